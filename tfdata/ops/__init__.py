"""Operations: library functions the CLI wraps; each consumes stores through their streams."""
