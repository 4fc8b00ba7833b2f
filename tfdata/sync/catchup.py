"""Pre-sync's catch-up: some rows the bulk copy took while OLD changed are wrong in a way no
notification names (a backref or children cell whose change notified only the other object, a share
cell withdrawn outside the copy of its object's row). Each pass takes those again, until one finds
nothing to write. Why and which rows: docs/design/catch-up.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, TypeVar

from ..model.cells import Cell, now_us
from ..model.fqname import split_shared_column
from ..stores.base import RowStore
from ..stores.tokens import token_bounds
from .objects import LINKS_CHANGED, MIRROR_PREFIXES, SHARED_REF, UUID_REF, ObjectChange, sync_objects
from .reconcile import Counts, reconcile, sort_cells

DEFAULT_CLOCK_SKEW = 60.0  # seconds: API servers stamp cells with their own clocks

Links = dict[tuple[str, str], set[str]]  # (type, named uuid) -> rows holding a link cell naming it
Item = TypeVar("Item")


@dataclass
class CatchUpResult:
    passes: int = 0
    rows_checked: int = 0
    rows_rewritten: int = 0
    links_rechecked: int = 0
    since_us: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"passes": self.passes, "rows_checked": self.rows_checked, "rows_rewritten": self.rows_rewritten,
                "links_rechecked": self.links_rechecked, "since_us": self.since_us}


def rows_with_links_changed_since(store: RowStore, since_us: int, ranges: int = 16) -> Iterator[str]:
    """Keys of obj_uuid_table rows whose children/backref cells changed at or after ``since_us``."""
    for rng in range(ranges):
        lo, hi = token_bounds(rng, ranges)
        yield from links_changed_since(store.column_writetimes(UUID_REF, LINKS_CHANGED, lo, hi), since_us)


def links_changed_since(writetimes: Iterable[tuple[str, int | None]], since_us: int) -> Iterator[str]:
    """The keys whose META:latest_col_ts was written at or after ``since_us``: TF rewrites it
    whenever a children:/backref: cell of the row changes."""
    return (key for key, ts in writetimes if ts is not None and ts >= since_us)


_LINK_PREFIXES = ("backref:", "children:", "ref:", "parent:")


def links_to_recheck(source: Iterable[Cell], target: Iterable[Cell], since_us: int) -> Links:
    """{(type, named uuid): rows holding the cell} for every link cell only one side holds, and
    every mirror cell OLD wrote at or after ``since_us`` even where both sides hold it: the named
    object's row may have been copied at another moment, and NEW must name this holder from that
    row, or no later notification of the object (an UPDATE names nothing) would reach the cell."""
    def link_cells(cells: Iterable[Cell]) -> set[tuple[str, str]]:
        return {(c.key, c.column) for c in cells if c.column is not None and c.column.startswith(_LINK_PREFIXES)}
    source = list(source)
    recent = {(c.key, c.column) for c in source
              if c.column is not None and c.column.startswith(MIRROR_PREFIXES) and (c.writetime or 0) >= since_us}
    links: Links = {}
    for holder, column in (link_cells(source) ^ link_cells(target)) | recent:
        _, obj_type, named = column.split(":", 2)
        links.setdefault((obj_type, named), set()).add(holder)
    return links


def resync_rows(old: RowStore, new: RowStore, keys: list[str], counts: Counts, links: Links | None = None,
                since_us: int = 0) -> int:
    """Make these whole rows of NEW equal to OLD's (a row gone from OLD is deleted). Returns the
    number of rows that needed writes; ``links`` collects links_to_recheck."""
    if not keys:
        return 0
    source = sort_cells(old.read_async(UUID_REF, keys).result())
    target = sort_cells(new.read_async(UUID_REF, keys).result())
    if links is not None:
        for named, holders in links_to_recheck(source, target, since_us).items():
            links.setdefault(named, set()).update(holders)
    before = counts.rows_changed
    for actions in reconcile(source, target, counts, whole_rows=True):
        new.mutate([(UUID_REF, actions)])
    return counts.rows_changed - before


def link_changes(links: Links) -> list[ObjectChange]:
    """One change per object a one-sided link cell names, its holders as peers (one per uuid,
    whatever types the cells name it under: sync_objects takes distinct uuids)."""
    by_uuid: dict[str, ObjectChange] = {}
    for (obj_type, named), holders in sorted(links.items()):
        by_uuid.setdefault(named, ObjectChange(named, obj_type)).peers.update(holders)
    return list(by_uuid.values())


def resync_links(old: RowStore, new: RowStore, links: Links, counts: Counts, batch: int = 50) -> int:
    """Sync each object a changed link cell names, with the rows holding those cells as peers."""
    changes = link_changes(links)
    for chunk in _batched(changes, batch):
        sync_objects(old, new, chunk, counts)
    return len(changes)


def share_changes(old_cells: Iterable[Cell], new_cells: Iterable[Cell], since_us: int) -> list[ObjectChange]:
    """From both sides' obj_shared_table (streams in Cassandra's order): the objects with a share
    cell that differs or that OLD wrote since ``since_us``, each with those columns."""
    found: dict[str, ObjectChange] = {}

    def note(obj_type: str, column: str | None) -> None:
        if column is None:  # a row without cells names no object
            return
        split = split_shared_column(column)
        if split:
            found.setdefault(split[2], ObjectChange(split[2], obj_type)).shares.add(column)

    def noting_recent(cells: Iterable[Cell]) -> Iterator[Cell]:
        for cell in cells:
            if (cell.writetime or 0) >= since_us:
                note(cell.key, cell.column)
            yield cell

    for actions in reconcile(noting_recent(old_cells), new_cells, Counts(), whole_rows=False):
        for cell in actions.writes:
            note(cell.key, cell.column)
        for key, column, _ in actions.cell_deletes:
            note(key, column)
    return [found[u] for u in sorted(found)]


def shares_to_recheck(old: RowStore, new: RowStore, since_us: int) -> list[ObjectChange]:
    """share_changes over the whole shared table of each side (one row per type: it is small)."""
    if SHARED_REF not in set(old.tables()):
        return []
    new.ensure_tables([SHARED_REF])
    lo, hi = token_bounds(0, 1)
    return share_changes(old.token_range_cells(SHARED_REF, lo, hi), new.token_range_cells(SHARED_REF, lo, hi),
                         since_us)


def catch_up(old: RowStore, new: RowStore, copy_started_us: int, counts: Counts, clock_skew: float = DEFAULT_CLOCK_SKEW,
             passes: int = 3, batch: int = 50, ranges: int = 16) -> CatchUpResult:
    """Re-copy the rows whose links changed since the copy started (old, new: CassandraStore);
    passes repeat, each from the start of the previous one, until one rewrites nothing."""
    skew = int(clock_skew * 1_000_000)
    result = CatchUpResult(since_us=copy_started_us - skew)
    since = result.since_us
    for _ in range(passes):
        pass_started = now_us()
        if not _catch_up_pass(old, new, since, counts, result, batch, ranges):
            break
        since = pass_started - skew
    return result


def _catch_up_pass(old: RowStore, new: RowStore, since: int, counts: Counts, result: CatchUpResult,
                   batch: int, ranges: int) -> int:
    """One pass; returns the rows it rewrote (linked rows and sharing objects)."""
    result.passes += 1
    rewritten = 0
    links: Links = {}
    for keys in _batched(rows_with_links_changed_since(old, since, ranges), batch):
        rewritten += resync_rows(old, new, keys, counts, links, since)
        result.rows_checked += len(keys)
    sharers = shares_to_recheck(old, new, since)
    for chunk in _batched(sharers, batch):
        before = counts.rows_changed
        sync_objects(old, new, chunk, counts)
        rewritten += counts.rows_changed - before
    result.rows_checked += len(sharers)
    result.links_rechecked += resync_links(old, new, links, counts, batch)
    result.rows_rewritten += rewritten
    return rewritten


def _batched(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
