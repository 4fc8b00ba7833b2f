"""Make single rows on the new cluster equal to the old cluster's (used by run-sync and verify)."""

from __future__ import annotations

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


def sync_object(old, new, uuid: str, obj_type: str | None, fq_name: list[str] | None, extra_peers: set[str],
                counts: Counts) -> set[str]:
    """Sync an object's row, every row its change touched (parent, ref targets: children/backrefs),
    its fq-name index cell and its shared-table cells. Returns the uuids synced.

    Four round trips whatever the object's size: both sides of its row are read at once, then
    every other cell the change can have touched (both sides, all at once), then those are written,
    and the object's own row last, so that a retry after a partial failure still finds the
    pre-change row on the new side and with it the peers and shares it must clean up.
    """
    pending = (old.read_async(UUID_REF, [uuid]), new.read_async(UUID_REF, [uuid]))
    source, target = pending[0].result(), pending[1].result()
    peers = set(extra_peers)
    types = {obj_type} if obj_type else set()
    names = {tuple(fq_name)} if fq_name else set()
    shares: set[str] = set()
    for cells in (source, target):
        if not cells:
            continue
        obj = decode_row(uuid, cells)
        if obj.parent:
            peers.add(obj.parent[1])
        peers.update(u for (_, u) in obj.refs)
        peers.update(u for (_, u) in obj.children)  # a deleted parent's children lose their parent cell
        if obj.type:
            types.add(obj.type)
        if obj.fq_name:
            names.add(tuple(obj.fq_name))
        shares.update(shared_column(kind, owner, uuid) for kind, owner, _ in expected_shares(obj.props.get("perms2")))
    peers.discard(uuid)
    # On a peer's row this object can only have changed its own link cells and META: read those
    # cells, not the peer's whole (often very wide) row; likewise one cell of the type-wide
    # fq-name and shared rows.
    reads: list[tuple[TableRef, list[str], list[str]]] = []
    if peers:
        links = ["META:latest_col_ts"]
        for t in sorted(types or {""}):
            links += [f"backref:{t}:{uuid}", f"ref:{t}:{uuid}", f"children:{t}:{uuid}", f"parent:{t}:{uuid}"]
        reads.append((UUID_REF, sorted(peers), links))
    for t in sorted(types):
        reads.append((FQ_REF, [t], sorted(fq_name_column(list(n), uuid) for n in names)))
        reads.append((SHARED_REF, [t], sorted(shares)))
    in_flight = [(table, old.read_async(table, keys, columns), new.read_async(table, keys, columns))
                 for table, keys, columns in reads]
    new.mutate([(table, _actions(a.result(), b.result(), counts, whole_rows=False)) for table, a, b in in_flight])
    new.mutate([(UUID_REF, _actions(source, target, counts, whole_rows=True))])
    return {uuid} | peers
