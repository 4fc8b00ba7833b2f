"""A live cluster's Cassandra read for a snapshot by several processes at once.

Why: a snapshot spends most of its time in per-cell Python work (hashing, decoding objects,
SQLite inserts), so one process uses one core however fast Cassandra answers. Each reader process
takes an interleaved share of every table's token ranges and writes a part file of its own; the
parts are then copied into the snapshot by SQLite itself, and their range hashes, being sums,
simply add up. Rows stay whole (a row's cells share one token), so each row is hashed and decoded
in one place. The calling process walks ZooKeeper meanwhile.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Callable

from ..model.cells import TableRef
from ..stores.cassandra import CassandraStore, token_ranges
from .store import SnapshotWriter

RANGES_PER_READER = 32
_PROGRESS_EVERY = 2000

_cells_read = None  # the shared counter, in each reader process


def _start_reader(counter) -> None:
    global _cells_read
    _cells_read = counter


def _count(n: int) -> None:
    if _cells_read is not None:
        with _cells_read.get_lock():
            _cells_read.value += n


def _read_share(profile, tables: list[TableRef], ranges: list[tuple[int, int]], part: str):
    """Reader process: these token ranges of every table into the part file; returns its sums."""
    store = CassandraStore(profile, workers=2)
    writer = SnapshotWriter(part, force=True, part=True)
    try:
        pending = 0
        for table, cell in store.cells(tables, ranges=ranges, empty_rows=False):
            writer.add_cell(table, cell)
            pending += 1
            if pending >= _PROGRESS_EVERY:
                _count(pending)
                pending = 0
        _count(pending)
        return writer.finish_part()
    except BaseException:
        writer.abort()
        raise
    finally:
        store.close()


def read_in_parallel(profile, writer: SnapshotWriter, tables: list[TableRef], processes: int,
                     on_cell: Callable[[], None] | None = None,
                     meanwhile: Callable[[], None] | None = None) -> None:
    """Every cell of ``tables`` into ``writer`` through ``processes`` readers (cells-less rows
    of dumps excepted: CassandraStore.empty_rows); ``meanwhile`` runs here while they read."""
    context = multiprocessing.get_context("spawn")  # the driver's threads and sockets do not survive fork
    counter = context.Value("q", 0)
    ranges = token_ranges(processes * RANGES_PER_READER)
    parts = [writer.path.with_name(f".{writer.path.name}.part{i}-{os.getpid()}") for i in range(processes)]
    try:
        with ProcessPoolExecutor(processes, mp_context=context, initializer=_start_reader,
                                 initargs=(counter,)) as pool:
            futures = [pool.submit(_read_share, profile, tables, ranges[i::processes], str(part))
                       for i, part in enumerate(parts)]
            if meanwhile is not None:
                meanwhile()
            reported = 0
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.25, return_when=FIRST_EXCEPTION)
                if on_cell is not None:
                    for _ in range(counter.value - reported):
                        on_cell()
                    reported = counter.value
                for future in done:
                    future.result()  # a reader's error, raised here as it was there
            sums = [f.result() for f in futures]
        for part, part_sums in zip(parts, sums):
            writer.merge_part(part, part_sums)
            Path(part).unlink()
    finally:
        for part in parts:
            Path(part).unlink(missing_ok=True)
