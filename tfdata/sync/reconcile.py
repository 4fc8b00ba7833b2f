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
        self.head_pos: tuple[int, bytes] | None = None
        self._last_key: str | None = None
        self.advance()

    def advance(self) -> Cell | None:
        current = self.head
        self.head = next(self._it, None)
        if self.head is not None and self.head.key != self._last_key:
            self._last_key = self.head.key
            self.head_pos = row_position(self.head.key)
        elif self.head is None:
            self.head_pos = None
        return current


def reconcile(source: Iterable[Cell], target: Iterable[Cell], counts: Counts,
              chunk: int = 1000, whole_rows: bool = True) -> Iterator[Actions]:
    """Yield batches of actions that turn the target stream into the source stream.

    ``whole_rows=False`` when the streams hold only some cells of their rows (single-cell syncs):
    then a row missing from the source is NOT a reason to delete the target's whole row.
    """
    a, b = _Peek(source), _Peek(target)
    actions = Actions()
    while a.head is not None or b.head is not None:
        if b.head is None or (a.head is not None and a.head_pos < b.head_pos):
            key = a.head.key
            counts.rows_added += 1
            while a.head is not None and a.head.key == key:
                actions.writes.append(a.advance())
                counts.cells_written += 1
                if len(actions) >= chunk:
                    yield actions
                    actions = Actions()
        elif (a.head is None or b.head_pos < a.head_pos) and not whole_rows:
            key = b.head.key
            while b.head is not None and b.head.key == key:
                gone = b.advance()
                actions.cell_deletes.append((key, gone.column, (gone.writetime or 0) + 1))
                counts.cells_deleted += 1
            counts.rows_updated += 1
        elif a.head is None or b.head_pos < a.head_pos:
            key = b.head.key
            newest = 0
            while b.head is not None and b.head.key == key:
                newest = max(newest, b.advance().writetime or 0)
            actions.row_deletes.append((key, newest + 1))
            counts.rows_deleted += 1
        else:
            key = a.head.key
            changed = False
            while (a.head is not None and a.head.key == key) or (b.head is not None and b.head.key == key):
                ac = a.head if a.head is not None and a.head.key == key else None
                bc = b.head if b.head is not None and b.head.key == key else None
                ca = text_to_blob(ac.column) if ac else None
                cb = text_to_blob(bc.column) if bc else None
                if bc is None or (ac is not None and ca < cb):
                    actions.writes.append(a.advance())
                    counts.cells_written += 1
                    changed = True
                elif ac is None or cb < ca:
                    b.advance()
                    actions.cell_deletes.append((key, bc.column, (bc.writetime or 0) + 1))
                    counts.cells_deleted += 1
                    changed = True
                else:
                    a.advance()
                    b.advance()
                    if ac.value == bc.value:
                        if (ac.writetime or 0) > (bc.writetime or 0):
                            actions.writes.append(ac)
                            counts.cells_written += 1
                            changed = True
                        elif (ac.writetime or 0) < (bc.writetime or 0):
                            counts.newer_on_target += 1
                    else:
                        if (ac.writetime or 0) > (bc.writetime or 0):
                            actions.writes.append(ac)
                        else:
                            actions.writes.append(Cell(ac.key, ac.column, ac.value, (bc.writetime or 0) + 1))
                            counts.bumped += 1
                        counts.cells_written += 1
                        changed = True
                if len(actions) >= chunk:
                    yield actions
                    actions = Actions()
            if changed:
                counts.rows_updated += 1
            else:
                counts.rows_same += 1
        if len(actions) >= chunk:
            yield actions
            actions = Actions()
    if len(actions):
        yield actions


def sort_cells(cells: Iterable[Cell]) -> list[Cell]:
    """Cassandra's order, for callers holding cells from elsewhere (tests, single rows)."""
    return sorted(cells, key=lambda c: (row_position(c.key), text_to_blob(c.column or "")))
