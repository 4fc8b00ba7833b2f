"""Bulk copy old -> new for pre-sync and post-sync: new's tables become equal to old's.

Work is split into (table, token range) units processed by parallel workers; each unit streams
both sides' range and reconciles them (reconcile.py), so memory does not depend on table size or
row width. Every finished unit is appended to a checkpoint file, so a killed run resumes without
redoing finished ranges. ``dry_run`` runs the same merge without writing: its counts are the plan.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..errors import ConnectionFailed, InputError
from ..model.cells import TableRef, now_us
from ..outfile import check_state_file, make_parent
from ..stores.base import RowStore
from ..stores.tokens import token_bounds
from .catchup import DEFAULT_CLOCK_SKEW, catch_up
from .reconcile import Counts, reconcile
from .objects import UUID_REF

DEFAULT_RANGES = 64


class RateLimiter:
    """Token bucket shared by the workers: at most ``rate`` cells written per second."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._allowance = rate or 0.0
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self, n: int) -> None:
        if not self.rate or n <= 0:
            return
        while True:
            with self._lock:
                now = time.monotonic()
                self._allowance = min(self.rate, self._allowance + (now - self._last) * self.rate)
                self._last = now
                if self._allowance >= min(n, self.rate):
                    self._allowance -= n
                    return
                wait = (min(n, self.rate) - self._allowance) / self.rate
            time.sleep(wait)


class Checkpoint:
    """Append-only record of finished units; one JSON line each, fsynced, file mode 0600."""

    def __init__(self, path: Path | None, identity: dict) -> None:
        self.path = path
        self.done: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self.started_us = now_us()  # of the first run: a resumed copy's catch-up looks back that far
        if path is None:
            return
        check_state_file(path)  # a FIFO would hang read_text(), a link would be written through
        if os.path.lexists(path):
            lines = path.read_text(errors="replace").splitlines()
            try:
                header = json.loads(lines[0]) if lines else {}
            except ValueError:
                raise InputError(f"{path}: not a tfdata checkpoint (first line is not JSON); "
                                 "remove it or use --restart") from None
            if not isinstance(header, dict):
                raise InputError(f"{path}: not a tfdata checkpoint; remove it or use --restart")
            if header.get("identity") != identity:
                raise ConnectionFailed(f"{path}: checkpoint belongs to another copy ({header.get('identity')}); "
                                       "remove it or use --restart")
            self.started_us = header.get("started_us", 0)  # older checkpoints: catch-up looks at every row
            for line in lines[1:]:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # a line cut by a kill: that unit is simply redone
                self.done.add((rec["table"], rec["range"]))
        else:
            make_parent(path)
            try:
                fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
            except OSError as exc:
                raise InputError(f"{path}: cannot create the checkpoint ({exc.strerror})") from None
            with os.fdopen(fd, "w") as fp:
                fp.write(json.dumps({"identity": identity, "started_us": self.started_us}) + "\n")

    def mark(self, table: str, rng: int, counts: Counts) -> None:
        if self.path is None:
            return
        # O_NOFOLLOW: a link planted at the checkpoint's name is not written through
        with self._lock, os.fdopen(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC),
                                   "a") as fp:
            fp.write(json.dumps({"table": table, "range": rng, **counts.as_dict()}) + "\n")
            fp.flush()
            os.fsync(fp.fileno())

    def finish(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


@dataclass
class CopyResult:
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped_units: int = 0  # finished in an earlier run (checkpoint)
    missing_on_old: list[str] = field(default_factory=list)
    dry_run: bool = False
    seconds: float = 0.0
    catch_up: dict | None = None  # rows re-copied because their links changed during the copy

    def total(self) -> Counts:
        total = Counts()
        for counts in self.tables.values():
            total.add(Counts(**counts))
        return total

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "tables": self.tables, "total": self.total().as_dict(),
                "skipped_units": self.skipped_units, "missing_on_old": self.missing_on_old,
                "catch_up": self.catch_up, "seconds": round(self.seconds, 3)}


@dataclass
class CopyOptions:
    """What a bulk copy covers and how hard it pushes; pre-sync and post-sync each build one."""

    keyspaces: list[str] | None = None  # old's tables of these keyspaces; None: every table old has
    tables: list[TableRef] | None = None  # exactly these tables instead (reported when old lacks one)
    ranges: int = DEFAULT_RANGES  # token ranges per table: the unit of work and of resume
    workers: int = 8
    rate: float | None = None  # at most this many cells written per second
    dry_run: bool = False  # merge without writing: the counts are the plan
    checkpoint: Path | None = None  # finished units are recorded there; None: a killed copy starts over
    clock_skew: float | None = DEFAULT_CLOCK_SKEW  # seconds the catch-up looks back further; None: no catch-up


Unit = tuple[TableRef, int]  # (table, token range index)


def select_tables(old_tables: list[TableRef], keyspaces: Iterable[str] | None = None,
                  tables: Iterable[TableRef] | None = None) -> tuple[list[TableRef], list[TableRef]]:
    """(tables to copy, tables asked for that old does not have), in old's order for keyspaces."""
    present = set(old_tables)
    if tables is not None:
        wanted = list(tables)
    else:
        chosen = None if keyspaces is None else set(keyspaces)
        wanted = [t for t in old_tables if chosen is None or t.keyspace in chosen]
    return [t for t in wanted if t in present], [t for t in wanted if t not in present]


def plan_units(tables: list[TableRef], idle: set[TableRef], ranges: int,
               done: set[tuple[str, int]]) -> tuple[list[Unit], list[Unit]]:
    """(every unit, units still to copy): one per token range of each table not ``idle`` (empty on
    both sides), minus the (table name, range) pairs a checkpoint recorded as ``done``."""
    units = [(t, r) for t in tables if t not in idle for r in range(ranges)]
    return units, [(t, r) for t, r in units if (str(t), r) not in done]


@dataclass
class CopyPlan:
    tables: list[TableRef]
    missing_on_old: list[TableRef]
    new_tables: set[TableRef]  # present on new (a unit of a table new lacks reads nothing there)
    units: list[Unit]
    todo: list[Unit]
    checkpoint: Checkpoint


def plan_copy(old: RowStore, new: RowStore, options: CopyOptions) -> CopyPlan:
    """Choose the tables, create new's missing ones (unless a dry run), resume from the checkpoint
    and skip tables empty on both sides: they need no range scans at all."""
    old_tables = old.tables()
    wanted, missing = select_tables(old_tables, options.keyspaces, options.tables)
    if not options.dry_run:
        new.ensure_tables(wanted)
    new_tables = set(new.tables())
    identity = {"old": old.profile.name, "new": new.profile.name, "ranges": options.ranges,
                "tables": [str(t) for t in wanted]}
    checkpoint = Checkpoint(None if options.dry_run else options.checkpoint, identity)
    idle = {t for t in wanted if not old.has_rows(t) and (t not in new_tables or not new.has_rows(t))}
    units, todo = plan_units(wanted, idle, options.ranges, checkpoint.done)
    return CopyPlan(wanted, missing, new_tables, units, todo, checkpoint)


def copy_units(old: RowStore, new: RowStore, plan: CopyPlan, options: CopyOptions, result: CopyResult,
               on_unit: Callable[[int, int], None] | None = None) -> None:
    """Reconcile the plan's remaining units in parallel; each finished unit is checkpointed and
    its counts added to ``result``."""
    limiter = RateLimiter(options.rate)
    lock = threading.Lock()
    done = result.skipped_units

    def run_unit(table: TableRef, rng: int) -> Counts:
        lo, hi = token_bounds(rng, options.ranges)
        counts = Counts()
        source = old.token_range_cells(table, lo, hi)
        target = new.token_range_cells(table, lo, hi) if table in plan.new_tables else iter(())
        for actions in reconcile(source, target, counts):
            if options.dry_run:
                continue
            limiter.take(len(actions.writes))
            new.mutate([(table, actions)])
        return counts

    with ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix="sync") as pool:
        futures = {pool.submit(run_unit, t, r): (t, r) for t, r in plan.todo}
        try:
            for future in as_completed(futures):
                table, rng = futures[future]
                counts = future.result()
                plan.checkpoint.mark(str(table), rng, counts)
                with lock:
                    merged = Counts(**result.tables[str(table)])
                    merged.add(counts)
                    result.tables[str(table)] = merged.as_dict()
                    done += 1
                if on_unit:
                    on_unit(done, len(plan.units))
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def catch_up_links(old: RowStore, new: RowStore, plan: CopyPlan, options: CopyOptions) -> dict | None:
    """Copy again the rows whose links changed while obj_uuid_table was copied (catchup.py); None
    when there is nothing to catch up (dry run, no catch-up asked, obj_uuid_table not copied)."""
    if options.dry_run or options.clock_skew is None or UUID_REF not in set(plan.tables):
        return None
    counts = Counts()
    found = catch_up(old, new, plan.checkpoint.started_us, counts, clock_skew=options.clock_skew)
    return {**found.as_dict(), **counts.as_dict()}


def copy_tables(old: RowStore, new: RowStore, options: CopyOptions | None = None,
                on_unit: Callable[[int, int], None] | None = None) -> CopyResult:
    """Make new's tables equal to old's (both CassandraStore); ``on_unit(done, total)`` reports progress.

    The checkpoint is removed only once everything, catch-up included, is done.
    """
    options = options or CopyOptions()
    started = time.monotonic()
    plan = plan_copy(old, new, options)
    result = CopyResult(dry_run=options.dry_run, missing_on_old=[str(t) for t in plan.missing_on_old],
                        skipped_units=len(plan.units) - len(plan.todo),
                        tables={str(t): Counts().as_dict() for t in plan.tables})
    copy_units(old, new, plan, options, result, on_unit)
    result.catch_up = catch_up_links(old, new, plan, options)
    plan.checkpoint.finish()
    result.seconds = time.monotonic() - started
    return result
