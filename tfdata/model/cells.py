"""Cells are the unit every store moves: the exact stored text plus its write time.

Row keys and column names are blobs in Cassandra that TF fills with UTF-8 text. We carry them as
``str`` decoded with ``surrogateescape`` so that a non-UTF-8 byte survives a round trip unchanged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import groupby
from typing import Iterable, Iterator


def now_us() -> int:
    """Now as a Cassandra write time (microseconds since the epoch)."""
    return int(time.time() * 1_000_000)


def blob_to_text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def text_to_blob(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


@dataclass(slots=True, frozen=True)
class Cell:
    """One Cassandra cell.

    ``value`` is the stored text. ``literal`` marks a dump cell that held a bare JSON literal
    (e.g. ``64512``) where upstream normally writes a string; ``value`` then holds its JSON text,
    so the dump can be rewritten byte for byte. Cassandra can only store text, so ``literal`` is
    lost there (reported by load).

    ``column is None`` marks a row that exists with no cells at all, which only a dump can hold
    (Cassandra has no empty partitions); it keeps such rows through dump -> snapshot -> dump.
    """

    key: str
    column: str | None
    value: str
    writetime: int | None = None
    literal: bool = False


@dataclass(slots=True, frozen=True)
class TableRef:
    """A table by its unprefixed keyspace name (the form dumps and snapshots use)."""

    keyspace: str
    table: str

    def __str__(self) -> str:
        return f"{self.keyspace}.{self.table}"


def empty_row(key: str) -> Cell:
    return Cell(key, None, "", None)


def rows(cells: Iterable[Cell]) -> Iterator[tuple[str, list[Cell]]]:
    """Group a row-contiguous cell stream into (key, cells) rows.

    Materialises one row at a time: use only where a whole row is needed (object decoding).
    """
    for key, group in groupby(cells, key=lambda c: c.key):
        yield key, list(group)


def column_sort_key(column: str) -> bytes:
    """Cassandra orders cells of a row by the unsigned bytes of the column name."""
    return text_to_blob(column)
