"""Seeded generator of realistic TF config stores (db_json_exim dumps) at any scale.

    from tfdata.gen import generate_dump
    counts = generate_dump("cloud.json.gz", 50_000, seed=7)

Same arguments, same bytes. See generator.py for what the generated cloud contains.
"""

from .generator import (
    MIN_OBJECTS,
    SCALES,
    GeneratedStore,
    generate,
    generate_dump,
    generate_znodes,
)

__all__ = ["MIN_OBJECTS", "SCALES", "GeneratedStore", "generate", "generate_dump", "generate_znodes"]
