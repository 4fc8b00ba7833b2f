"""Make a target table range equal to a source range: a streaming merge of two sorted cell streams.

Both streams come in Cassandra's order (token, key bytes, column bytes), so one pass with O(1)
memory decides every action, however wide a row is:
  cell only in source     -> write it with its original write time
  cell only in target     -> delete it (tombstone at its write time + 1: the smallest that wins)
  row only in target      -> delete the row (one partition tombstone, not one per cell)
  both, different         -> write the source cell; if the target's copy is as new or newer, the
                             source write time cannot win, so the write time is bumped to
                             target + 1 and counted ("bumped")
Write times are kept everywhere else, so copies keep child order and consumers' change detection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

from ..model.cells import Cell, text_to_blob
from ..stores.tokens import token


def row_position(key: str) -> tuple[int, bytes]:
    return token(key), text_to_blob(key)


@dataclass
class Actions:
    writes: list[Cell] = field(default_factory=list)
    cell_deletes: list[tuple[str, str, int]] = field(default_factory=list)  # key, column, timestamp
    row_deletes: list[tuple[str, int]] = field(default_factory=list)  # key, timestamp

    def __len__(self) -> int:
        return len(self.writes) + len(self.cell_deletes) + len(self.row_deletes)


@dataclass
class Counts:
    rows_added: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0
    rows_same: int = 0
    cells_written: int = 0
    cells_deleted: int = 0
    bumped: int = 0
    newer_on_target: int = 0  # same value, target write time newer: left alone

    @property
    def rows_changed(self) -> int:
        return self.rows_added + self.rows_updated + self.rows_deleted

    def add(self, other: "Counts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class _Peek:
    def __init__(self, cells: Iterable[Cell]) -> None:
        self._it = iter(cells)
        self.head: Cell | None = None
        self.head_pos: tuple[int, bytes] | None = None  # head's row position; None exactly when head is None
        self._last_key: str | None = None
        self.advance()

    def advance(self) -> None:
        self.head = next(self._it, None)
        if self.head is not None and self.head.key != self._last_key:
            self._last_key = self.head.key
            self.head_pos = row_position(self.head.key)
        elif self.head is None:
            self.head_pos = None

    def head_in(self, key: str) -> Cell | None:
        """The next cell if it belongs to row ``key``."""
        return self.head if self.head is not None and self.head.key == key else None

    def take_in(self, key: str) -> Cell | None:
        """The next cell if it belongs to row ``key``, consumed."""
        cell = self.head_in(key)
        if cell is not None:
            self.advance()
        return cell

    def row_key(self) -> str:
        """The key of the row the next cell belongs to (asked only while there is one)."""
        assert self.head is not None
        return self.head.key


class _Batches:
    """Actions handed out in batches of about ``chunk``, as soon as one fills (a wide row never
    has to be held whole)."""

    def __init__(self, chunk: int) -> None:
        self.chunk = chunk
        self.current = Actions()

    def take_if_full(self) -> Iterator[Actions]:
        if len(self.current) >= self.chunk:
            full, self.current = self.current, Actions()
            yield full


def _tombstone(cell: Cell) -> int:
    """The smallest delete time that wins over this cell."""
    return (cell.writetime or 0) + 1


def _column(cell: Cell) -> str:
    """The cell's column name. The streams merged here come from Cassandra, where every cell has
    one; only a dump holds a row without cells (column None), and such a row cannot be merged."""
    if cell.column is None:
        raise ValueError(f"row {cell.key!r}: a row without cells has no place in a merge of Cassandra cells")
    return cell.column


def reconcile(source: Iterable[Cell], target: Iterable[Cell], counts: Counts,
              chunk: int = 1000, whole_rows: bool = True) -> Iterator[Actions]:
    """Yield batches of actions that turn the target stream into the source stream.

    ``whole_rows=False`` when the streams hold only some cells of their rows (single-cell syncs):
    then a row missing from the source is NOT a reason to delete the target's whole row.
    """
    a, b = _Peek(source), _Peek(target)
    out = _Batches(chunk)
    while a.head_pos is not None or b.head_pos is not None:
        if b.head_pos is None or (a.head_pos is not None and a.head_pos < b.head_pos):
            yield from _row_only_in_source(a, out, counts)
        elif a.head_pos is None or b.head_pos < a.head_pos:
            if whole_rows:
                _row_only_in_target(b, out.current, counts)
            else:
                _cells_only_in_target(b, out.current, counts)
        else:
            yield from _row_on_both_sides(a, b, out, counts)
        yield from out.take_if_full()
    if len(out.current):
        yield out.current


def _row_only_in_source(a: _Peek, out: _Batches, counts: Counts) -> Iterator[Actions]:
    key = a.row_key()
    counts.rows_added += 1
    while (cell := a.take_in(key)) is not None:
        out.current.writes.append(cell)
        counts.cells_written += 1
        yield from out.take_if_full()


def _row_only_in_target(b: _Peek, actions: Actions, counts: Counts) -> None:
    """One partition tombstone newer than every cell of the row."""
    key = b.row_key()
    newest = 0
    while (cell := b.take_in(key)) is not None:
        newest = max(newest, cell.writetime or 0)
    actions.row_deletes.append((key, newest + 1))
    counts.rows_deleted += 1


def _cells_only_in_target(b: _Peek, actions: Actions, counts: Counts) -> None:
    """The streams hold only some cells of the row: delete those, never the row."""
    key = b.row_key()
    while (gone := b.take_in(key)) is not None:
        actions.cell_deletes.append((key, _column(gone), _tombstone(gone)))
        counts.cells_deleted += 1
    counts.rows_updated += 1


def _row_on_both_sides(a: _Peek, b: _Peek, out: _Batches, counts: Counts) -> Iterator[Actions]:
    """Merge the row's cells by column name (byte order, as Cassandra sorts them)."""
    key = a.row_key()
    changed = False
    while True:
        ac, bc = a.head_in(key), b.head_in(key)
        if ac is not None and bc is not None and ac.column == bc.column:
            a.advance()
            b.advance()
            changed |= _same_column(ac, bc, out.current, counts)
        elif ac is not None and (bc is None or text_to_blob(_column(ac)) < text_to_blob(_column(bc))):
            a.advance()
            out.current.writes.append(ac)
            counts.cells_written += 1
            changed = True
        elif bc is not None:
            b.advance()
            out.current.cell_deletes.append((key, _column(bc), _tombstone(bc)))
            counts.cells_deleted += 1
            changed = True
        else:  # the row is done on both sides
            break
        yield from out.take_if_full()
    if changed:
        counts.rows_updated += 1
    else:
        counts.rows_same += 1


def _same_column(ac: Cell, bc: Cell, actions: Actions, counts: Counts) -> bool:
    """One column on both sides; True when the target needs a write."""
    source_ts, target_ts = ac.writetime or 0, bc.writetime or 0
    if ac.value == bc.value:
        if source_ts > target_ts:
            actions.writes.append(ac)
            counts.cells_written += 1
            return True
        if source_ts < target_ts:
            counts.newer_on_target += 1
        return False
    if source_ts > target_ts:
        actions.writes.append(ac)
    else:  # the source's write time cannot win: one just after the target's
        actions.writes.append(Cell(ac.key, ac.column, ac.value, target_ts + 1))
        counts.bumped += 1
    counts.cells_written += 1
    return True


def sort_cells(cells: Iterable[Cell]) -> list[Cell]:
    """Cassandra's order, for callers holding cells from elsewhere (tests, single rows)."""
    return sorted(cells, key=lambda c: (row_position(c.key), text_to_blob(c.column or "")))
