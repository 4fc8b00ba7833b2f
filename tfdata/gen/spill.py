"""Disk-backed accumulation of generated cells and znodes.

The generator writes cells in creation order, but a dump needs them grouped by table with each
row's cells contiguous, and peer cells (children, backrefs, META) land on rows created long
before. Holding 10M cells as Python objects would need many GB, so they go to a temporary SQLite
file and come back through SQLite's external sort: memory stays bounded at any scale.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from typing import Iterator

from ..model.cells import Cell, TableRef
from ..model.zk import ZNode, text_data

_BATCH = 50_000


class CellSpill:
    """Cells keyed by (table, row key, column) plus znodes, read back in dump order.

    A cell written twice (e.g. ``META:latest_col_ts`` touched by every new child) keeps the
    value with the highest writetime, which is what Cassandra would return.
    """

    def __init__(self, tables: list[TableRef], directory: str | os.PathLike | None = None) -> None:
        self.tables = list(tables)
        self._table_index = {table: i for i, table in enumerate(self.tables)}
        self._dir = tempfile.mkdtemp(prefix="tfdata-gen-", dir=directory)
        self._db = sqlite3.connect(os.path.join(self._dir, "spill.sqlite"))
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE",
                       "cache_size=-32768", "locking_mode=EXCLUSIVE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE cells (t INTEGER, k TEXT, c TEXT, v TEXT, ts INTEGER)")
        self._db.execute("CREATE TABLE znodes (sk BLOB, p TEXT, d TEXT, stat TEXT)")
        self._cells: list[tuple] = []
        self._znodes: list[tuple] = []
        self.cells_added = 0
        self.znodes_added = 0

    # ------------------------------------------------------------------ writing
    def add(self, table: TableRef, key: str, column: str, value: str, writetime: int) -> None:
        self._cells.append((self._table_index[table], key, column, value, writetime))
        if len(self._cells) >= _BATCH:
            self._flush_cells()

    def adder(self, table: TableRef):
        """A faster add() bound to one table, for the hot path (saves hashing the TableRef)."""
        index = self._table_index[table]
        cells = self._cells

        def add(key: str, column: str, value: str, writetime: int) -> None:
            cells.append((index, key, column, value, writetime))
            if len(cells) >= _BATCH:
                self._flush_cells()
        return add

    def add_znode(self, path: str, data: str, stat: tuple[int, ...]) -> None:
        # Replacing '/' by NUL makes byte order equal a depth-first walk with sorted children.
        sort_key = path.encode("utf-8").replace(b"/", b"\x00")
        self._znodes.append((sort_key, path, data, ",".join(map(str, stat))))
        if len(self._znodes) >= _BATCH:
            self._flush_znodes()

    def _flush_cells(self) -> None:
        if self._cells:
            self._db.executemany("INSERT INTO cells VALUES (?, ?, ?, ?, ?)", self._cells)
            self.cells_added += len(self._cells)
            self._cells.clear()

    def _flush_znodes(self) -> None:
        if self._znodes:
            self._db.executemany("INSERT INTO znodes VALUES (?, ?, ?, ?)", self._znodes)
            self.znodes_added += len(self._znodes)
            self._znodes.clear()

    def flush(self) -> None:
        self._flush_cells()
        self._flush_znodes()
        self._db.commit()

    # ------------------------------------------------------------------ reading
    def cells(self) -> Iterator[tuple[TableRef, Cell]]:
        """Tables in the given order, rows and columns in byte order (TEXT compares as UTF-8)."""
        self.flush()
        cursor = self._db.execute("SELECT t, k, c, v, ts FROM cells ORDER BY t, k, c, ts, v")
        pending: tuple | None = None
        while True:
            batch = cursor.fetchmany(10_000)
            if not batch:
                break
            for record in batch:
                if pending is not None and record[:3] != pending[:3]:
                    yield self.tables[pending[0]], Cell(pending[1], pending[2], pending[3], pending[4])
                pending = record  # same cell again: the later writetime wins
        if pending is not None:
            yield self.tables[pending[0]], Cell(pending[1], pending[2], pending[3], pending[4])

    def znodes(self) -> Iterator[ZNode]:
        self.flush()
        cursor = self._db.execute("SELECT p, d, stat FROM znodes ORDER BY sk")
        while True:
            batch = cursor.fetchmany(10_000)
            if not batch:
                break
            for path, data, stat in batch:
                yield ZNode(path, text_data(data), tuple(int(x) for x in stat.split(",")))

    def close(self) -> None:
        try:
            self._db.close()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "CellSpill":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
