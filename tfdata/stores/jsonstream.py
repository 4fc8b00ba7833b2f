"""A small pull parser for big JSON documents: walk objects key by key, decode leaves whole.

db_json_exim dumps are one JSON document whose size grows with the cluster; json.load would hold
all of it (several times over) in memory. Here only the current leaf value is decoded at once.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Iterator, TextIO

from ..errors import InputError

_WS = " \t\n\r"
_DECODER = json.JSONDecoder()
_CHUNK = 1 << 20


class JsonStream:
    def __init__(self, fp: TextIO, source: str) -> None:
        self._fp = fp
        self.source = source
        self._buf = ""
        self._pos = 0
        self._consumed = 0  # characters dropped from the front of the buffer
        self._eof = False

    # ------------------------------------------------------------------ buffer handling
    @property
    def offset(self) -> int:
        return self._consumed + self._pos

    def _fill(self) -> bool:
        if self._eof:
            return False
        try:
            chunk = self._fp.read(_CHUNK)
        except zlib.error as exc:
            raise InputError(f"{self.source}: corrupt gzip data ({exc}) after character {self.offset}") from exc
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise InputError(f"{self.source}: cannot read ({exc.__class__.__name__}: {exc})") from exc
        if not chunk:
            self._eof = True
            return False
        if self._pos:
            self._consumed += self._pos
            self._buf = self._buf[self._pos:]
            self._pos = 0
        self._buf += chunk
        return True

    def error(self, what: str, context: str = "") -> InputError:
        where = f" in {context}" if context else ""
        return InputError(f"{self.source}: {what} at character {self.offset}{where}")

    def peek(self) -> str:
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in _WS:
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def expect(self, char: str, context: str = "") -> None:
        got = self.peek()
        if got != char:
            if not got:
                raise self.error(f"unexpected end of file (truncated dump?), expected {char!r}", context)
            raise self.error(f"expected {char!r} but found {got!r}", context)
        self._pos += 1

    # ------------------------------------------------------------------ values
    def read_value(self, context: str = "") -> Any:
        if not self.peek():
            raise self.error("unexpected end of file (truncated dump?)", context)
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._fill():
                    continue
                if exc.pos >= len(self._buf.rstrip()):
                    raise self.error("unexpected end of file (truncated dump?)", context) from None
                raise self.error(f"invalid JSON ({exc.msg})", context) from None
            # A number cut by the buffer edge decodes "successfully": make sure it really ended.
            if end == len(self._buf) and self._fill():
                continue
            self._pos = end
            return value

    def read_string(self, context: str = "") -> str:
        if self.peek() != '"':
            got = self.peek()
            raise self.error("unexpected end of file (truncated dump?)" if not got else f"expected a string but found {got!r}", context)
        value = self.read_value(context)
        return value

    def skip_value(self, context: str = "") -> None:
        """Skip without materialising nested objects."""
        if self.peek() == "{":
            for _ in self.iter_object(context):
                self.skip_value(context)
        else:
            self.read_value(context)

    def iter_object(self, context: str = "", unique: bool = True) -> Iterator[str]:
        """Yield keys in document order; the caller must consume each key's value before resuming.

        ``unique=False`` skips the duplicate-key check where remembering every key would cost
        memory in proportion to the input (rows of a table).
        """
        self.expect("{", context)
        if self.peek() == "}":
            self._pos += 1
            return
        seen: set[str] | None = set() if unique else None
        while True:
            key = self.read_string(context)
            if seen is not None:
                if key in seen:
                    raise self.error(f"duplicate key {key!r}", context)
                seen.add(key)
            self.expect(":", context)
            yield key
            nxt = self.peek()
            if nxt == ",":
                self._pos += 1
                continue
            if nxt == "}":
                self._pos += 1
                return
            if not nxt:
                raise self.error("unexpected end of file (truncated dump?)", context)
            raise self.error(f"expected ',' or '}}' but found {nxt!r}", context)

    def iter_array(self, context: str = "") -> Iterator[int]:
        """Yield indexes; the caller consumes each element before resuming."""
        self.expect("[", context)
        if self.peek() == "]":
            self._pos += 1
            return
        index = 0
        while True:
            yield index
            index += 1
            nxt = self.peek()
            if nxt == ",":
                self._pos += 1
                continue
            if nxt == "]":
                self._pos += 1
                return
            if not nxt:
                raise self.error("unexpected end of file (truncated dump?)", context)
            raise self.error(f"expected ',' or ']' but found {nxt!r}", context)

    def expect_end(self) -> None:
        if self.peek():
            raise self.error("trailing data after the JSON document")
