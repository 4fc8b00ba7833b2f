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

from ..errors import ConnectionFailed
from ..model.cells import TableRef, now_us
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
        if path.exists():
            lines = path.read_text().splitlines()
            header = json.loads(lines[0]) if lines else {}
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
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fp:
                fp.write(json.dumps({"identity": identity, "started_us": self.started_us}) + "\n")

    def mark(self, table: str, rng: int, counts: Counts) -> None:
        if self.path is None:
            return
        with self._lock, open(self.path, "a") as fp:
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


def copy_tables(old, new, tables: Iterable[TableRef] | None = None, keyspaces: Iterable[str] | None = None,
                ranges: int = DEFAULT_RANGES, workers: int = 8, dry_run: bool = False,
                checkpoint: Path | None = None, rate: float | None = None,
                on_unit: Callable[[int, int], None] | None = None,
                clock_skew: float | None = DEFAULT_CLOCK_SKEW) -> CopyResult:
    """Copy old's tables to new (both CassandraStore). ``on_unit(done, total)`` reports progress.

    When obj_uuid_table is copied, a catch-up (catchup.py) follows unless ``clock_skew`` is None.
    """
    started = time.monotonic()
    old_tables = old.tables()
    wanted = list(tables) if tables is not None else [t for t in old_tables
                                                      if keyspaces is None or t.keyspace in set(keyspaces)]
    result = CopyResult(dry_run=dry_run)
    result.missing_on_old = [str(t) for t in wanted if t not in set(old_tables)]
    wanted = [t for t in wanted if t in set(old_tables)]
    if not dry_run:
        new.ensure_tables(wanted)
    new_tables = set(new.tables())
    identity = {"old": old.profile.name, "new": new.profile.name, "ranges": ranges,
                "tables": [str(t) for t in wanted]}
    ckpt = Checkpoint(None if dry_run else checkpoint, identity)
    limiter = RateLimiter(rate)
    def empty(store, table: TableRef) -> bool:
        return not store.session.execute(f"SELECT key FROM {store.physical(table)} LIMIT 1").one()

    # a table empty on both sides needs no range scans at all
    idle = {t for t in wanted if empty(old, t) and (t not in new_tables or empty(new, t))}
    units = [(t, r) for t in wanted if t not in idle for r in range(ranges)]
    todo = [(t, r) for t, r in units if (str(t), r) not in ckpt.done]
    result.skipped_units = len(units) - len(todo)
    for t in wanted:
        result.tables[str(t)] = Counts().as_dict()
    lock = threading.Lock()
    done = result.skipped_units

    def run_unit(table: TableRef, rng: int) -> Counts:
        lo, hi = token_bounds(rng, ranges)
        counts = Counts()
        source = old.token_range_cells(table, lo, hi)
        target = new.token_range_cells(table, lo, hi) if table in new_tables else iter(())
        for actions in reconcile(source, target, counts):
            if dry_run:
                continue
            limiter.take(len(actions.writes))
            new.mutate([(table, actions)])
        return counts

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync") as pool:
        futures = {pool.submit(run_unit, t, r): (t, r) for t, r in todo}
        try:
            for future in as_completed(futures):
                table, rng = futures[future]
                counts = future.result()
                ckpt.mark(str(table), rng, counts)
                with lock:
                    merged = Counts(**result.tables[str(table)])
                    merged.add(counts)
                    result.tables[str(table)] = merged.as_dict()
                    done += 1
                if on_unit:
                    on_unit(done, len(units))
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    if not dry_run and clock_skew is not None and UUID_REF in set(wanted):
        counts = Counts()
        result.catch_up = {**catch_up(old, new, ckpt.started_us, counts, clock_skew=clock_skew).as_dict(),
                           **counts.as_dict()}
    ckpt.finish()
    result.seconds = time.monotonic() - started
    return result
