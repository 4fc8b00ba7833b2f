"""Make objects on the new cluster equal to the old cluster's (run-sync, catch-up, verify --repair).

An object is more than its row: its fq-name index cell, its shared-table cells and the link
cells naming it on its peers' rows change with it. Planning (which cells, and what NEW may keep)
is pure and lives in plan_objects; sync_objects only does the round trips. The rules and why
they are so: docs/design/object-sync.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model.cells import Cell, TableRef
from ..model.fqname import expected_shares, fq_name_column, shared_column
from ..model.keyspaces import CONFIG_KEYSPACE, FQ_NAME_TABLE, SHARED_TABLE, UUID_TABLE
from ..model.objects import TfObject, decode_row
from ..stores.base import RowStore
from .reconcile import Actions, Counts, reconcile, sort_cells

UUID_REF = TableRef(CONFIG_KEYSPACE, UUID_TABLE)
FQ_REF = TableRef(CONFIG_KEYSPACE, FQ_NAME_TABLE)
SHARED_REF = TableRef(CONFIG_KEYSPACE, SHARED_TABLE)

LINKS_CHANGED = "META:latest_col_ts"
MIRROR_PREFIXES = ("backref:", "children:")  # link cells that follow the row of the object they name
FOLLOW_UPS = 2  # rounds of objects synced because a copied row's mirror cell named them

Rows = dict[str, list[Cell]]  # row key -> its cells
Read = tuple[TableRef, list[str], list[str]]  # table, row keys, columns


@dataclass
class ObjectChange:
    """One object run-sync must make equal on NEW, with what its notification(s) said."""
    uuid: str
    type: str | None = None
    fq_name: list[str] | None = None
    peers: set[str] = field(default_factory=set)  # named by the message body (parent, ref targets)
    shares: set[str] = field(default_factory=set)  # shared-table columns a scan found; only ever deleted


@dataclass
class ObjectScope:
    """What one object's sync may touch, from its change and its rows on both sides."""
    uuid: str
    types: set[str] = field(default_factory=set)
    fq_names: set[tuple[str, ...]] = field(default_factory=set)
    shares: set[str] = field(default_factory=set)  # shared columns either row or the change names
    peers: set[str] = field(default_factory=set)  # named by either row: parent, children, ref targets
    extra_peers: set[str] = field(default_factory=set)  # named only by the change
    named_by_old: set[str] = field(default_factory=set)  # named by OLD's row, the one written last
    symmetric: set[str] = field(default_factory=set)  # same-type ref targets: both rows hold a ref: cell
    granted: set[str] = field(default_factory=set)  # shared columns OLD's row names
    granted_type: str = ""  # the shared row they belong to

    @property
    def synced(self) -> set[str]:
        return {self.uuid} | self.peers | self.extra_peers

    def add_row(self, obj: TfObject, on_old: bool, change_type: str | None) -> None:
        # children too: a deleted parent's children lose their parent cell
        named = {u for (_, u) in obj.refs} | {u for (_, u) in obj.children}
        if obj.parent:
            named.add(obj.parent[1])
        self.peers |= named
        self.symmetric.update(u for (t, u) in obj.refs if t == obj.type)
        if obj.type:
            self.types.add(obj.type)
        if obj.fq_name:
            self.fq_names.add(tuple(obj.fq_name))
        shares = {shared_column(kind, owner, self.uuid) for kind, owner, _ in expected_shares(obj.props.get("perms2"))}
        self.shares |= shares
        if on_old:
            self.named_by_old |= named
            self.granted |= shares
            self.granted_type = obj.type or change_type or ""


def scope_object(change: ObjectChange, old_row: list[Cell], new_row: list[Cell]) -> ObjectScope:
    scope = ObjectScope(change.uuid, {change.type} if change.type else set(),
                        {tuple(change.fq_name)} if change.fq_name else set(), set(change.shares))
    for cells, on_old in ((old_row, True), (new_row, False)):
        if cells:
            scope.add_row(decode_row(change.uuid, cells), on_old, change.type)
    scope.peers.discard(change.uuid)
    scope.extra_peers = set(change.peers) - scope.peers - {change.uuid}
    return scope


def link_cells(uuid: str, types: set[str], symmetric: bool) -> tuple[set[str], set[str]]:
    """The cells on a peer's row that name this object: (mirrors, the peer's own). A mirror cell
    (backref:, children:, a same-type ref:) follows this object's row; the peer's own ref: or
    parent: cell follows the peer's row (META is the peer's too, whoever changed it)."""
    mirrors: set[str] = set()
    own = {LINKS_CHANGED}
    for t in types or {""}:
        mirrors.update((f"backref:{t}:{uuid}", f"children:{t}:{uuid}"))
        (mirrors if symmetric else own).add(f"ref:{t}:{uuid}")
        own.add(f"parent:{t}:{uuid}")
    return mirrors, own


@dataclass
class PeerLinks:
    """The link cells of the objects being synced on one peer's row."""
    read: set[str] = field(default_factory=set)  # compared on both sides; others on the row are left alone
    held: set[str] = field(default_factory=set)  # those NEW holds afterwards, as OLD does; the rest are deleted
    writable: set[str] = field(default_factory=set)  # those that may be written, not only deleted

    def add(self, scope: ObjectScope, peer: str) -> None:
        mirrors, own = link_cells(scope.uuid, scope.types, peer in scope.symmetric)
        followed = mirrors if peer in scope.named_by_old else set()
        self.read |= mirrors | own
        self.held |= followed | own
        self.writable |= followed | (own if peer in scope.peers else {LINKS_CHANGED})


@dataclass
class TypeCells:
    """The objects' cells in one type's fq-name index row and shared row."""
    names: set[str] = field(default_factory=set)
    shares: set[str] = field(default_factory=set)
    granted: set[str] = field(default_factory=set)  # the shares OLD's rows name: the only ones NEW keeps


@dataclass
class ObjectSyncPlan:
    """Everything a sync of some objects touches besides their own rows, and what NEW may keep."""
    scopes: list[ObjectScope]
    peers: dict[str, PeerLinks] = field(default_factory=dict)
    types: dict[str, TypeCells] = field(default_factory=dict)

    def reads(self) -> list[Read]:
        """One read of every peer's link cells (cut to each peer's own afterwards), and the
        objects' cells of each type's fq-name and shared rows: never a whole wide row."""
        reads: list[Read] = []
        if self.peers:
            columns = set().union(*(links.read for links in self.peers.values()))
            reads.append((UUID_REF, sorted(self.peers), sorted(columns)))
        for t in sorted(self.types):
            reads.append((FQ_REF, [t], sorted(self.types[t].names)))
            reads.append((SHARED_REF, [t], sorted(self.types[t].shares)))
        return reads

    def actions(self, table: TableRef, old_cells: list[Cell], new_cells: list[Cell], counts: Counts) -> Actions:
        """What to write and delete on NEW for one of reads(), given what each side returned."""
        actions = merged_actions(self._kept(table, old_cells, on_old=True),
                                 self._kept(table, new_cells, on_old=False), counts, whole_rows=False)
        if table == UUID_REF:
            actions.writes = [c for c in actions.writes if c.column in self._peer(c.key).writable]
        return actions

    def _kept(self, table: TableRef, cells: list[Cell], on_old: bool) -> list[Cell]:
        """NEW's cells that are compared, and OLD's that NEW is made to hold."""
        if table == UUID_REF:
            return [c for c in cells if c.column in (self._peer(c.key).held if on_old else self._peer(c.key).read)]
        if table == SHARED_REF and on_old:
            return [c for c in cells if c.column in self.types.get(c.key, TypeCells()).granted]
        return cells

    def _peer(self, key: str) -> PeerLinks:
        return self.peers.get(key) or PeerLinks()


def plan_objects(changes: list[ObjectChange], old_rows: Rows, new_rows: Rows) -> ObjectSyncPlan:
    """Plan a sync of these objects (distinct uuids) from their rows as each side holds them."""
    plan = ObjectSyncPlan([scope_object(c, old_rows.get(c.uuid, []), new_rows.get(c.uuid, [])) for c in changes])
    members = {c.uuid for c in changes}
    for scope in plan.scopes:
        for peer in (scope.peers | scope.extra_peers) - members:  # a member's whole row is made equal
            plan.peers.setdefault(peer, PeerLinks()).add(scope, peer)
        for t in scope.types:
            cells = plan.types.setdefault(t, TypeCells())
            cells.names.update(fq_name_column(list(n), scope.uuid) for n in scope.fq_names)
            cells.shares |= scope.shares
        if scope.granted_type in plan.types:
            plan.types[scope.granted_type].granted |= scope.granted
    return plan


def own_rows_actions(uuids: list[str], old_rows: Rows, new_rows: Rows, counts: Counts) -> Actions:
    """The objects' own rows made equal to OLD's (a row gone from OLD is deleted)."""
    return merged_actions([c for u in uuids for c in old_rows.get(u, [])],
                          [c for u in uuids for c in new_rows.get(u, [])], counts, whole_rows=True)


def merged_actions(source: list[Cell], target: list[Cell], counts: Counts, whole_rows: bool) -> Actions:
    merged = Actions()
    for actions in reconcile(sort_cells(source), sort_cells(target), counts, whole_rows=whole_rows):
        merged.writes += actions.writes
        merged.cell_deletes += actions.cell_deletes
        merged.row_deletes += actions.row_deletes
    return merged


def rows_by_key(cells: list[Cell]) -> Rows:
    rows: Rows = {}
    for cell in cells:
        rows.setdefault(cell.key, []).append(cell)
    return rows


def sync_object(old: RowStore, new: RowStore, uuid: str, obj_type: str | None, fq_name: list[str] | None,
                extra_peers: set[str], counts: Counts) -> set[str]:
    """Sync one object's row and every row its change touched; returns the uuids synced."""
    return sync_objects(old, new, [ObjectChange(uuid, obj_type, fq_name, set(extra_peers))], counts)[uuid]


def sync_objects(old: RowStore, new: RowStore, changes: list[ObjectChange], counts: Counts,
                 follow_ups: int = FOLLOW_UPS) -> dict[str, set[str]]:
    """Sync objects (distinct uuids) with their index, share and peer link cells in four round
    trips however many they are; returns, per object, the uuids synced. The objects' own rows
    are written last, so a retry after a failure still finds NEW's old rows and what they name.
    A mirror cell the copy of an own row writes (a group's backref to a port) is then followed
    by a sync of the object it names (the port), up to ``follow_ups`` rounds."""
    uuids = [c.uuid for c in changes]
    pending = (old.read_async(UUID_REF, uuids), new.read_async(UUID_REF, uuids))
    old_rows, new_rows = (rows_by_key(read.result()) for read in pending)
    plan = plan_objects(changes, old_rows, new_rows)
    in_flight = [(table, old.read_async(table, keys, columns), new.read_async(table, keys, columns))
                 for table, keys, columns in plan.reads()]
    new.mutate([(table, plan.actions(table, a.result(), b.result(), counts)) for table, a, b in in_flight])
    own_rows = own_rows_actions(uuids, old_rows, new_rows, counts)
    new.mutate([(UUID_REF, own_rows)])
    followed = mirrored_objects(own_rows, set(uuids))
    if followed and follow_ups > 0:
        sync_objects(old, new, followed, counts, follow_ups - 1)
    return {scope.uuid: scope.synced for scope in plan.scopes}


def mirrored_objects(actions: Actions, members: set[str]) -> list[ObjectChange]:
    """The objects named by the mirror cells a copy of whole rows writes, each with the rows
    holding them as peers. Such a cell stays healable only while NEW's row of the object it names
    names the holder too (docs/design/object-sync.md): the holder's row was copied at another
    moment than the object's, so the object is synced next, with the holder as a peer."""
    found: dict[str, ObjectChange] = {}
    for cell in actions.writes:
        if cell.column is not None and cell.column.startswith(MIRROR_PREFIXES):
            _, obj_type, named = cell.column.split(":", 2)
            if named not in members:
                found.setdefault(named, ObjectChange(named, obj_type)).peers.add(cell.key)
    return [found[u] for u in sorted(found)]
