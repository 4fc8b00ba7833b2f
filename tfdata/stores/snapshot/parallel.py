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
import queue
import time
from typing import TYPE_CHECKING, Any, Callable

from ...errors import TfdataError
from ...model.cells import TableRef
from ..cassandra import CassandraStore
from ..tokens import token_ranges
from .store import SnapshotWriter

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.sharedctypes import Synchronized

    from ...config import Profile

    _Sums = dict[tuple[str, str], dict[int, tuple[int, int, int, int]]]  # SnapshotWriter.finish_part()
    _Result = tuple[int, _Sums | None, TfdataError | None]  # reader index, its sums or its error

RANGES_PER_READER = 32
_PROGRESS_EVERY = 2000


def _read_share(profile: Profile, tables: list[TableRef], ranges: list[tuple[int, int]], part: str,
                counter: Synchronized[int], results: Queue[_Result], index: int) -> None:
    """Reader process: these token ranges of every table into the part file; its sums (or its
    error) go back on ``results``."""
    try:
        store = CassandraStore(profile, workers=2)
        writer = SnapshotWriter(part, force=True, part=True)
        try:
            pending = 0
            for table, cell in store.cells(tables, ranges=ranges, empty_rows=False):
                writer.add_cell(table, cell)
                pending += 1
                if pending >= _PROGRESS_EVERY:
                    with counter.get_lock():
                        counter.value += pending
                    pending = 0
            with counter.get_lock():
                counter.value += pending
            results.put((index, writer.finish_part(), None))
        except BaseException:
            writer.abort()
            raise
        finally:
            store.close()
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        results.put((index, None, exc if isinstance(exc, TfdataError) else TfdataError(f"{type(exc).__name__}: {exc}")))


def _collect_results(readers: list, results: "Queue[_Result]", counter: Any,
                     on_cell: Callable[[], None] | None) -> "dict[int, _Sums]":
    """Each reader's sums, as they arrive; progress ticks from the shared counter meanwhile. A
    reader's error is raised here, as is the death of a reader that sent nothing."""
    sums: dict[int, _Sums] = {}
    exited: dict[int, float] = {}  # reader -> when it was first seen gone without a result
    reported = 0
    while len(sums) < len(readers):
        try:
            index, part_sums, error = results.get(timeout=0.25)
        except queue.Empty:
            _check_alive(readers, sums, exited)
        else:
            if error is not None:
                raise error
            assert part_sums is not None  # a reader sends its sums or its error
            sums[index] = part_sums
        if on_cell is not None:
            for _ in range(counter.value - reported):
                on_cell()
            reported = counter.value
    return sums


def _check_alive(readers: list, sums: "dict[int, _Sums]", exited: dict[int, float]) -> None:
    now = time.monotonic()
    for i, reader in enumerate(readers):
        if i not in sums and reader.exitcode is not None:
            if now - exited.setdefault(i, now) > 5:  # its result would have arrived by now
                raise TfdataError(f"snapshot reader {i} died (exit code {reader.exitcode}); "
                                  "nothing was written") from None


def read_in_parallel(profile: Profile, writer: SnapshotWriter, tables: list[TableRef], processes: int,
                     on_cell: Callable[[], None] | None = None,
                     meanwhile: Callable[[], None] | None = None) -> None:
    """Every cell of ``tables`` into ``writer`` through ``processes`` readers (cell-less rows of
    dumps excepted: CassandraStore.empty_rows); ``meanwhile`` runs here while they read. A reader
    that fails stops the others; its error is raised here and no part is left behind."""
    context = multiprocessing.get_context("spawn")  # the driver's threads and sockets do not survive fork
    counter = context.Value("q", 0)
    results: Queue[_Result] = context.Queue()
    ranges = token_ranges(processes * RANGES_PER_READER)
    parts = [writer.path.with_name(f".{writer.path.name}.part{i}-{os.getpid()}") for i in range(processes)]
    readers = [context.Process(target=_read_share, daemon=True, name=f"tfdata-snapshot-reader-{i}",
                               args=(profile, tables, ranges[i::processes], str(part), counter, results, i))
               for i, part in enumerate(parts)]
    try:
        for reader in readers:
            reader.start()
        if meanwhile is not None:
            meanwhile()
        sums = _collect_results(readers, results, counter, on_cell)
        for reader in readers:
            reader.join()
        for index, part in enumerate(parts):
            writer.merge_part(part, sums[index])
            part.unlink()
    finally:
        for reader in readers:
            if reader.is_alive():
                reader.terminate()
                reader.join()
        for part in parts:
            part.unlink(missing_ok=True)
