"""Make single rows on the new cluster equal to the old cluster's (used by run-sync and verify)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model.cells import Cell, TableRef
from ..model.fqname import expected_shares, fq_name_column, shared_column
from ..model.keyspaces import CONFIG_KEYSPACE, FQ_NAME_TABLE, SHARED_TABLE, UUID_TABLE
from ..model.objects import decode_row
from .reconcile import Actions, Counts, reconcile, sort_cells

UUID_REF = TableRef(CONFIG_KEYSPACE, UUID_TABLE)
FQ_REF = TableRef(CONFIG_KEYSPACE, FQ_NAME_TABLE)
SHARED_REF = TableRef(CONFIG_KEYSPACE, SHARED_TABLE)


def _actions(source: list[Cell], target: list[Cell], counts: Counts, whole_rows: bool) -> Actions:
    merged = Actions()
    for actions in reconcile(sort_cells(source), sort_cells(target), counts, whole_rows=whole_rows):
        merged.writes += actions.writes
        merged.cell_deletes += actions.cell_deletes
        merged.row_deletes += actions.row_deletes
    return merged


LINKS_CHANGED = "META:latest_col_ts"


def _link_cells(uuid: str, types: set[str], symmetric: bool) -> tuple[set[str], set[str]]:
    """The cells on a peer's row that name this object: (mirrors, own). A mirror cell (backref:,
    children:, a same-type ref:) follows this object's row; the peer's own ref: or parent: cell
    follows the peer's row (META is the peer's too, whoever changed it)."""
    mirrors: set[str] = set()
    own = {LINKS_CHANGED}
    for t in types or {""}:
        mirrors.update((f"backref:{t}:{uuid}", f"children:{t}:{uuid}"))
        (mirrors if symmetric else own).add(f"ref:{t}:{uuid}")
        own.add(f"parent:{t}:{uuid}")
    return mirrors, own


@dataclass
class ObjectChange:
    """One object run-sync must make equal on NEW, with what its notification(s) said."""
    uuid: str
    type: str | None = None
    fq_name: list[str] | None = None
    peers: set[str] = field(default_factory=set)  # named by the message body (parent, ref targets)
    shares: set[str] = field(default_factory=set)  # shared-table columns a scan found; only ever deleted


def sync_object(old, new, uuid: str, obj_type: str | None, fq_name: list[str] | None, extra_peers: set[str],
                counts: Counts) -> set[str]:
    """Sync one object's row and every row its change touched; returns the uuids synced."""
    return sync_objects(old, new, [ObjectChange(uuid, obj_type, fq_name, set(extra_peers))], counts)[uuid]


def sync_objects(old, new, changes: list[ObjectChange], counts: Counts) -> dict[str, set[str]]:
    """Sync objects' rows, every row their changes touched (parent, ref targets: children/backrefs),
    their fq-name index cells and their shared-table cells. Returns, per object, the uuids synced.

    Four round trips whatever the number and size of the objects (uuids must be distinct): both
    sides of their rows are read at once, then every other cell the changes can have touched
    (both sides, all at once), then those are written, and the objects' own rows last, so that a
    retry after a partial failure still finds the pre-change rows on the new side and with them
    the peers and shares to clean up. Several objects in one call is how run-sync keeps up under
    load: the requests (and their cost on both clusters) are per call, not per object.
    """
    uuids = [c.uuid for c in changes]
    pending = (old.read_async(UUID_REF, uuids), new.read_async(UUID_REF, uuids))
    rows: tuple[dict[str, list[Cell]], dict[str, list[Cell]]] = ({}, {})
    for side, read in zip(rows, pending):
        for cell in read.result():
            side.setdefault(cell.key, []).append(cell)
    members = set(uuids)
    synced: dict[str, set[str]] = {}
    wanted: dict[str, set[str]] = {}  # peer -> link cells of these objects on it
    held: dict[str, set[str]] = {}  # peer -> those of them NEW may hold (the others are deleted)
    writable: dict[str, set[str]] = {}  # peer -> those of them that may be written, not only deleted
    links: set[str] = set()
    names: dict[str, set[str]] = {}  # type -> fq-name index columns
    shares: dict[str, set[str]] = {}  # type -> shared columns
    granted: dict[str, set[str]] = {}  # type -> those of them OLD's row names: the only ones NEW may hold
    for change in changes:
        uuid = change.uuid
        peers: set[str] = set()  # named by the object's rows
        named_by_old: set[str] = set()  # named by OLD's row, the one written last
        symmetric: set[str] = set()  # same-type ref targets: both rows hold a ref: cell
        types = {change.type} if change.type else set()
        fq_names = {tuple(change.fq_name)} if change.fq_name else set()
        own_shares: set[str] = set(change.shares)
        for index, side in enumerate(rows):
            cells = side.get(uuid)
            if not cells:
                continue
            obj = decode_row(uuid, cells)
            # children too: a deleted parent's children lose their parent cell
            named_peers = {u for (_, u) in obj.refs} | {u for (_, u) in obj.children}
            if obj.parent:
                named_peers.add(obj.parent[1])
            peers.update(named_peers)
            symmetric.update(u for (t, u) in obj.refs if t == obj.type)
            if index == 0:
                named_by_old.update(named_peers)
            if obj.type:
                types.add(obj.type)
            if obj.fq_name:
                fq_names.add(tuple(obj.fq_name))
            named = {shared_column(kind, owner, uuid) for kind, owner, _ in expected_shares(obj.props.get("perms2"))}
            own_shares.update(named)
            if index == 0:
                granted.setdefault(obj.type or change.type or "", set()).update(named)
        peers.discard(uuid)
        extra = set(change.peers) - peers - {uuid}
        synced[uuid] = {uuid} | peers | extra
        for peer in (peers | extra) - members:  # a peer in this call has its whole row made equal below
            mirrors, own = _link_cells(uuid, types, peer in symmetric)
            wanted.setdefault(peer, set()).update(mirrors | own)
            links.update(mirrors | own)
            held.setdefault(peer, set()).update((mirrors if peer in named_by_old else set()) | own)
            writable.setdefault(peer, set()).update((mirrors if peer in named_by_old else set())
                                                    | (own if peer in peers else {LINKS_CHANGED}))
        for t in types:
            names.setdefault(t, set()).update(fq_name_column(list(n), uuid) for n in fq_names)
            shares.setdefault(t, set()).update(own_shares)
    # On a peer's row these objects can only have changed their own link cells and META: read those
    # cells, not the peers' whole (often very wide) rows; likewise some cells of the type-wide
    # fq-name and shared rows. One read asks every peer for every object's link cells; what comes
    # back is then cut to each object's own peers.
    reads: list[tuple[TableRef, list[str], list[str]]] = []
    if wanted:
        reads.append((UUID_REF, sorted(wanted), sorted(links)))
    for t in sorted(names):
        reads.append((FQ_REF, [t], sorted(names[t])))
        reads.append((SHARED_REF, [t], sorted(shares[t])))
    in_flight = [(table, old.read_async(table, keys, columns), new.read_async(table, keys, columns))
                 for table, keys, columns in reads]

    def own(table: TableRef, cells: list[Cell], source: bool) -> list[Cell]:
        """The cells of the read that NEW holds (target) or is made to hold (source). A mirror
        cell on a peer, or a share cell, only while the row written last (OLD's, as read above)
        names that peer or share: no later apply could find one that neither side's row names,
        its own notification's included. Such a cell is what a change half done on OLD leaves (a
        ref or a share withdrawn from the row, its cell on the peer or in the shared table not
        deleted yet), and what a peer named only by a message or a caller holds."""
        if table == UUID_REF:
            keep = held if source else wanted
        elif table == SHARED_REF and source:
            keep = granted
        else:
            return cells
        return [c for c in cells if c.column in keep.get(c.key, ())]

    def allowed(table: TableRef, actions: Actions) -> Actions:
        """A peer's own cells that name these objects (its ref: or parent: cell) may be deleted
        on it, never written, unless these objects' rows name the peer."""
        if table == UUID_REF:
            actions.writes = [c for c in actions.writes if c.column in writable.get(c.key, ())]
        return actions

    new.mutate([(table, allowed(table, _actions(own(table, a.result(), True), own(table, b.result(), False),
                                                counts, whole_rows=False)))
                for table, a, b in in_flight])
    new.mutate([(UUID_REF, _actions([c for u in uuids for c in rows[0].get(u, [])],
                                    [c for u in uuids for c in rows[1].get(u, [])], counts, whole_rows=True))])
    return synced
