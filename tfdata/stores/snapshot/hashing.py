"""Order-independent content hashes per token range, so two stores can be compared range by range.

Each cell hashes to a 128-bit number and a range's hash is their sum modulo 2**128: the same
cells give the same hash whatever order a store streams them in (Cassandra: token order; dumps:
file order). Ranges are the Murmur3 token of the row key, the partitioner TF clusters use, so a
range in a snapshot is the same set of rows as that token range in a live cluster.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ...model.cells import Cell, TableRef, text_to_blob
from .. import tokens
from ...model.zk import ZNode

RANGES = 64  # per table
_MOD = 1 << 128
_SEP = b"\x00"


def range_of(key: str, ranges: int = RANGES) -> int:
    return tokens.range_of(key, ranges)


def cell_hashes(row_prefix: bytes, cell: Cell) -> tuple[int, int]:
    """(content hash, content+writetime hash) of one cell; ``row_prefix`` is the table and key
    part, encoded once per row (table SEP key SEP)."""
    digest = hashlib.blake2b(row_prefix + _SEP.join((
        text_to_blob(cell.column or ""), text_to_blob(cell.value), b"L" if cell.literal else b"T",
        b"E" if cell.column is None else b"C")), digest_size=16)
    content = int.from_bytes(digest.digest(), "big")
    digest.update(_SEP + str(cell.writetime).encode())  # the same as hashing base + SEP + time at once
    return content, int.from_bytes(digest.digest(), "big")


def znode_hash(node: ZNode) -> int:
    return int.from_bytes(hashlib.blake2b(node.path.encode() + _SEP + node.data, digest_size=16).digest(), "big")


@dataclass
class RangeHash:
    rows: int = 0
    cells: int = 0
    content: int = 0
    timed: int = 0

    def add(self, content: int, timed: int, cells: int = 1) -> None:
        self.cells += cells
        self.content = (self.content + content) % _MOD
        self.timed = (self.timed + timed) % _MOD

    def hexes(self) -> tuple[str, str]:
        return f"{self.content:032x}", f"{self.timed:032x}"


@dataclass
class TableHasher:
    """Accumulates range hashes of one table from a stream of its cells."""

    table: str
    ranges: int = RANGES
    by_range: dict[int, RangeHash] = field(default_factory=dict)
    on_row: "Callable[[str, int, int, int], None] | None" = None  # (key, range, content, timed) per finished row
    _last_key: str | None = None
    _last_range: int = 0
    _row_content: int = 0
    _row_timed: int = 0
    _row_prefix: bytes = b""
    _row_hash: RangeHash | None = None

    def add(self, cell: Cell) -> int:
        if cell.key != self._last_key:
            self.end_row()
            self._last_key = cell.key
            self._last_range = range_of(cell.key, self.ranges)
            self._row_hash = self.by_range.setdefault(self._last_range, RangeHash())
            self._row_hash.rows += 1
            self._row_prefix = self.table.encode() + _SEP + text_to_blob(cell.key) + _SEP
        content, timed = cell_hashes(self._row_prefix, cell)
        assert self._row_hash is not None  # set with _last_key, which was just set if it was not already
        self._row_hash.add(content, timed, 1 if cell.column is not None else 0)
        self._row_content = (self._row_content + content) % _MOD
        self._row_timed = (self._row_timed + timed) % _MOD
        return self._last_range

    def end_row(self) -> None:
        if self._last_key is not None and self.on_row is not None:
            self.on_row(self._last_key, self._last_range, self._row_content, self._row_timed)
        self._last_key = None
        self._row_content = self._row_timed = 0

    def total(self) -> RangeHash:
        out = RangeHash()
        for r in self.by_range.values():
            out.rows += r.rows
            out.add(r.content, r.timed, r.cells)
        return out


def streamed_range_hashes(cells: Callable[[list[TableRef]], Iterable[tuple[TableRef, Cell]]],
                          tables: list[TableRef]) -> dict[TableRef, dict[int, RangeHash]]:
    """Range hashes of ``tables`` from one pass over ``cells(tables)`` (any store's cell stream)."""
    hashers = {t: TableHasher(str(t)) for t in tables}
    for table, cell in cells(tables):
        hashers[table].add(cell)
    for hasher in hashers.values():
        hasher.end_row()
    return {t: h.by_range for t, h in hashers.items()}


def to_blob(value: int) -> bytes:
    return value.to_bytes(16, "big")


def combine_hex(values: Iterable[str]) -> str:
    total = 0
    for v in values:
        total = (total + int(v, 16)) % _MOD
    return f"{total:032x}"
