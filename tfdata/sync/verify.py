"""The final gate: old and new hold the same config store (Cassandra objects and rows, ZooKeeper trees).

Both clusters keep serving while this runs, so a first comparison can catch writes in flight.
Everything found different is read again from both sides after a settle delay; only what is
still different is reported.

With ``repair``, what is still different is then made equal to OLD (an object with its fq-name
index and shared cells and every link cell naming it on its peers, a row of another table, a
znode), and re-checked after another settle: the last resort for a difference no notification
explains (pre-sync's catch-up handles the known ones).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..model.cells import Cell, TableRef, now_us
from ..ops.diff import (
    DiffOptions,
    DiffResult,
    changed_fields,
    diff_sources,
    object_document,
)
from ..stores.base import LiveCluster, RowStore, ZnodeChange, ZnodeStore
from .reconcile import Counts, reconcile, sort_cells
from .objects import FQ_REF, SHARED_REF, UUID_REF, sync_object
from .zk import compare_trees, tree_pairs


@dataclass
class VerifyResult(DiffResult):
    """A diff's result (equal, summary, changes: one JSON contract with tfdata diff), plus how the
    verdict was reached: the first pass, what settled, what was repaired."""

    first_pass: int = 0
    settled: int = 0  # differences that disappeared on re-check
    repaired: list[dict[str, Any]] = field(default_factory=list)  # made equal by --repair (or planned, dry run)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "first_pass_differences": self.first_pass, "settled_in_flight": self.settled,
                "repaired": self.repaired, "dry_run": self.dry_run}


def verify(old_store: LiveCluster, new_store: LiveCluster, settle: float = 2.0, options: DiffOptions | None = None,
           on_cell: Callable[[], None] | None = None, zookeeper: bool = True, repair: bool = False,
           dry_run: bool = False, readers: int = 1) -> VerifyResult:
    """old_store/new_store: ClusterStore. Differences are keyed old -> new (added = only on new).

    ``zookeeper=False`` checks Cassandra only: until zk-sync (the last step) the trees differ by design.
    ``repair`` makes what stays different equal to OLD (``dry_run``: only lists it in ``repaired``).
    """
    options = options or DiffOptions()
    options.zookeeper = False
    first = diff_sources(old_store, new_store, options, on_cell=on_cell, readers=readers).changes
    if zookeeper:
        first += _zk_differences(_zookeeper_of(old_store), _zookeeper_of(new_store))
    result = VerifyResult(first_pass=len(first))
    if not first:
        return result
    time.sleep(settle)
    known = _KnownTables()
    for change in first:
        if _still_differs(change, old_store, new_store, options, known):
            result.changes.append(change)
        else:
            result.settled += 1
    if not repair or not result.changes:
        return result
    result.dry_run = dry_run
    result.repaired = result.changes
    if dry_run:
        return result
    repair_changes(old_store, new_store, result.changes, known)
    time.sleep(settle)
    result.changes = [c for c in result.repaired if _still_differs(c, old_store, new_store, options, known)]
    return result


def repair_changes(old_store: LiveCluster, new_store: LiveCluster, changes: list[dict[str, Any]],
                   known: "_KnownTables | None" = None) -> Counts:
    """Make each difference equal to OLD on NEW, with OLD's write times (as run-sync would)."""
    known = known or _KnownTables()
    counts = Counts()
    old_db, new_db = old_store.cassandra, new_store.cassandra
    znodes: list[dict[str, Any]] = []
    for change in changes:
        kind = change["kind"]
        if kind == "object":
            sync_object(old_db, new_db, change["uuid"], change.get("type"), change.get("fq_name"), set(), counts)
            _repair_index_cells(old_db, new_db, change, counts)
            _unshadow(old_db, new_db, UUID_REF, change["uuid"], counts)
        elif kind == "stale_index_entry":  # index cells naming no object: only the cells
            _repair_index_cells(old_db, new_db, change, counts)
        elif kind == "row":
            table = TableRef(change["keyspace"], change["table"])
            source = sort_cells(known.row(old_db, table, change["key"]))
            if source:
                new_db.ensure_tables([table])
                known.created(new_db, table)
            target = sort_cells(known.row(new_db, table, change["key"]))
            for actions in reconcile(source, target, counts, whole_rows=True):
                new_db.mutate([(table, actions)])
            if source:
                _unshadow(old_db, new_db, table, change["key"], counts)
        elif kind == "znode":
            znodes.append(change)
    if znodes:
        _repair_znodes(_zookeeper_of(old_store), _zookeeper_of(new_store), znodes)
    return counts


def _unshadow(old_db: RowStore, new_db: RowStore, table: TableRef, key: str, counts: Counts) -> None:
    """Cells written with OLD's write time stay invisible under a newer tombstone on NEW (a delete
    made there by hand, or by a rollback): those are written again, stamped just after now."""
    target = {c.column: c.value for c in new_db.row_cells(table, key)}
    stamp = now_us()
    lost = [Cell(key, c.column, c.value, max(stamp, (c.writetime or 0) + 1))
            for c in old_db.row_cells(table, key) if target.get(c.column) != c.value]
    if lost:
        new_db.write_cells(table, lost)
        counts.bumped += len(lost)


def _zookeeper_of(store: LiveCluster) -> ZnodeStore:
    """The cluster's ZooKeeper: znodes are compared and repaired only on stores opened with it."""
    if store.zookeeper is None:
        raise ValueError(f"{store.info.location}: opened without ZooKeeper (verify it with zookeeper=False)")
    return store.zookeeper


class _KnownTables:
    """Each side's tables, read once per verify: a row difference may name a table only one side has."""

    def __init__(self) -> None:
        self._tables: dict[int, set[TableRef]] = {}

    def row(self, db: RowStore, table: TableRef, key: str) -> list[Cell]:
        if id(db) not in self._tables:
            self._tables[id(db)] = set(db.tables())
        return db.row_cells(table, key) if table in self._tables[id(db)] else []

    def created(self, db: RowStore, table: TableRef) -> None:
        self._tables.setdefault(id(db), set(db.tables())).add(table)


_INDEX_TABLES = {"fq_name_index.": FQ_REF, "shared.": SHARED_REF}


def _index_columns(change: dict[str, Any], prefix: str) -> list[str]:
    return sorted(f[len(prefix):] for f in change.get("fields", []) if f.startswith(prefix))


def _index_cells(db: RowStore, change: dict[str, Any]) -> dict[tuple[str, str | None], str]:
    """The fq-name index and shared cells a difference names, as one side holds them."""
    out: dict[tuple[str, str | None], str] = {}
    for prefix, table in _INDEX_TABLES.items():
        columns = _index_columns(change, prefix)
        if columns and change.get("type"):
            out.update({(prefix, c.column): c.value for c in db.cells_of_row(table, change["type"], columns)})
    return out


def _repair_index_cells(old_db: RowStore, new_db: RowStore, change: dict[str, Any], counts: Counts) -> None:
    """fq-name index and shared cells the diff named (they can outlive both copies of the object)."""
    for prefix, table in _INDEX_TABLES.items():
        columns = _index_columns(change, prefix)
        if not columns or not change.get("type"):
            continue
        key = change["type"]
        source = sort_cells(old_db.cells_of_row(table, key, columns))
        target = sort_cells(new_db.cells_of_row(table, key, columns))
        for actions in reconcile(source, target, counts, whole_rows=False):
            new_db.mutate([(table, actions)])


def _repair_znodes(old_zk: ZnodeStore, new_zk: ZnodeStore, changes: list[dict[str, Any]]) -> None:
    """Creates parents first, deletes children first; only the named nodes are touched."""
    ops: list[ZnodeChange] = []
    for change in sorted(changes, key=lambda c: c["path"].count("/")):
        if change["change"] in ("removed", "changed"):  # on old: copy its data
            data = old_zk.node_data(change["old_path"])
            if data is None:
                continue  # gone from OLD meanwhile: the re-check reports it if NEW still has it
            ops.append(("create" if change["change"] == "removed" else "set", change["path"], data))
    deletes = [c for c in changes if c["change"] == "added"]
    ops += [("delete", c["path"], b"") for c in sorted(deletes, key=lambda c: -c["path"].count("/"))]
    for op in ops:
        new_zk.apply_changes([op])  # one at a time: each falls back to the forgiving single call


def _zk_differences(old_zk: ZnodeStore, new_zk: ZnodeStore) -> list[dict[str, Any]]:
    """Differences only: both trees are compared as they are walked, never held."""
    out: list[dict[str, Any]] = []
    meaning = {"create": "removed", "delete": "added", "set": "changed"}  # as seen from old to new
    for old_root, new_root in tree_pairs(old_zk.prefix, new_zk.prefix):
        for kind, rel, _ in compare_trees(old_zk, old_root, new_zk, new_root):
            if kind == "same":
                continue
            entry: dict[str, Any] = {"change": meaning[kind], "kind": "znode", "path": new_root + rel,
                                     "old_path": old_root + rel}
            if kind == "set":
                entry["fields"] = ["data"]
            out.append(entry)
    return out


def _still_differs(change: dict[str, Any], old_store: LiveCluster, new_store: LiveCluster, options: DiffOptions,
                   known: _KnownTables) -> bool:
    kind = change["kind"]
    if kind == "object":
        a = old_store.cassandra.row_cells(UUID_REF, change["uuid"])
        b = new_store.cassandra.row_cells(UUID_REF, change["uuid"])
        if _index_cells(old_store.cassandra, change) != _index_cells(new_store.cassandra, change):
            return True
        if not a or not b:
            return bool(a) != bool(b)
        return bool(changed_fields(object_document(change["uuid"], a, options),
                                   object_document(change["uuid"], b, options)))
    if kind == "stale_index_entry":
        return _index_cells(old_store.cassandra, change) != _index_cells(new_store.cassandra, change)
    if kind == "row":
        table = TableRef(change["keyspace"], change["table"])
        old_row = {c.column: c.value for c in known.row(old_store.cassandra, table, change["key"])}
        new_row = {c.column: c.value for c in known.row(new_store.cassandra, table, change["key"])}
        return old_row != new_row
    if kind == "znode":
        old_data = _zookeeper_of(old_store).node_data(change["old_path"])
        return old_data != _zookeeper_of(new_store).node_data(change["path"])
    return True


