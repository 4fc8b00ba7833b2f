"""Pre-sync's catch-up: rows whose links changed while the bulk copy ran are copied once more.

Why it is needed: for one reference the API server changes two rows (the referrer's ``ref:`` cell
and the target's ``backref:``) but notifies only the referrer. When the bulk copy took the target
before such a change and the referrer after it, run-sync's apply of the referrer finds both sides
equal and never looks at the target, whose stale (or missing) backref would stay on NEW for good.
The same holds for a parent's ``children:`` cell. TF writes ``META:latest_col_ts`` on every row
whose ``children:``/``backref:`` cells change, so the rows whose META cell is newer than the start
of the copy are exactly the rows at risk. They are found by one filtered scan (one cell per row
comes back) and made equal to OLD row by row.

obj_shared_table has the same hazard without a META marker (a share withdrawn, or a shared object
deleted, between the copies of the object's row and of its type's shared row leaves the share on
NEW, and neither side's perms2 names it any more). That table holds one row per type and one cell
per shared object, so each pass simply makes all of it equal again.

A catch-up pass can itself overlap a change (it re-reads one row before a change and its peer
after), so passes repeat, each looking at what changed since the previous pass began, until one
has nothing left to write (at most ``passes``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator

from ..ops.hashes import token_bounds
from .reconcile import Counts, reconcile, sort_cells
from .rows import SHARED_REF, UUID_REF

LINKS_CHANGED = "META:latest_col_ts"
DEFAULT_CLOCK_SKEW = 60.0  # seconds: API servers stamp cells with their own clocks


def now_us() -> int:
    return int(time.time() * 1_000_000)


@dataclass
class CatchUpResult:
    passes: int = 0
    rows_checked: int = 0
    rows_rewritten: int = 0
    since_us: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"passes": self.passes, "rows_checked": self.rows_checked,
                "rows_rewritten": self.rows_rewritten, "since_us": self.since_us}


def rows_with_links_changed_since(store, since_us: int, ranges: int = 16) -> Iterator[str]:
    """Keys of obj_uuid_table rows whose children/backref cells changed at or after ``since_us``."""
    for rng in range(ranges):
        lo, hi = token_bounds(rng, ranges)
        for key, ts in store.column_writetimes(UUID_REF, LINKS_CHANGED, lo, hi):
            if ts is not None and ts >= since_us:
                yield key


def resync_rows(old, new, keys: list[str], counts: Counts, dry_run: bool = False) -> int:
    """Make these whole rows of NEW equal to OLD's (a row gone from OLD is deleted). Returns the
    number of rows that needed writes."""
    if not keys:
        return 0
    source = sort_cells(old.read_async(UUID_REF, keys).result())
    target = sort_cells(new.read_async(UUID_REF, keys).result())
    before = counts.rows_added + counts.rows_updated + counts.rows_deleted
    for actions in reconcile(source, target, counts, whole_rows=True):
        if not dry_run:
            new.mutate([(UUID_REF, actions)])
    return counts.rows_added + counts.rows_updated + counts.rows_deleted - before


def resync_table(old, new, table, counts: Counts) -> int:
    """Make a small table of NEW equal to OLD's in one streaming pass; rows that needed writes."""
    if table not in set(old.tables()):
        return 0
    new.ensure_tables([table])
    before = counts.rows_added + counts.rows_updated + counts.rows_deleted
    lo, hi = token_bounds(0, 1)
    for actions in reconcile(old.token_range_cells(table, lo, hi), new.token_range_cells(table, lo, hi), counts):
        new.mutate([(table, actions)])
    return counts.rows_added + counts.rows_updated + counts.rows_deleted - before


def catch_up(old, new, copy_started_us: int, counts: Counts, clock_skew: float = DEFAULT_CLOCK_SKEW,
             passes: int = 3, batch: int = 50, ranges: int = 16) -> CatchUpResult:
    """Re-copy the rows whose links changed since the copy started (old, new: CassandraStore)."""
    skew = int(clock_skew * 1_000_000)
    result = CatchUpResult(since_us=copy_started_us - skew)
    since = result.since_us
    for _ in range(passes):
        pass_started = now_us()
        result.passes += 1
        rewritten = 0
        keys: list[str] = []
        for key in rows_with_links_changed_since(old, since, ranges):
            keys.append(key)
            if len(keys) >= batch:
                rewritten += resync_rows(old, new, keys, counts)
                result.rows_checked += len(keys)
                keys = []
        rewritten += resync_rows(old, new, keys, counts)
        result.rows_checked += len(keys)
        rewritten += resync_table(old, new, SHARED_REF, counts)
        result.rows_rewritten += rewritten
        if not rewritten:
            break
        since = pass_started - skew
    return result
