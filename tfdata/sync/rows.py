"""Make single rows on the new cluster equal to the old cluster's (used by run-sync and verify)."""

from __future__ import annotations

from ..model.cells import Cell, TableRef
from ..model.fqname import fq_name_column
from ..model.keyspaces import CONFIG_KEYSPACE, FQ_NAME_TABLE, SHARED_TABLE, UUID_TABLE
from ..model.objects import decode_row
from .reconcile import Counts, reconcile, sort_cells

UUID_REF = TableRef(CONFIG_KEYSPACE, UUID_TABLE)
FQ_REF = TableRef(CONFIG_KEYSPACE, FQ_NAME_TABLE)
SHARED_REF = TableRef(CONFIG_KEYSPACE, SHARED_TABLE)


def perform(new, table: TableRef, actions) -> None:
    """Carry out one batch of reconcile actions on the target store."""
    if actions.writes:
        new.write_cells(table, actions.writes)
    for key, column, ts in actions.cell_deletes:
        new.delete_cells(table, [(key, column)], ts)
    for key, ts in actions.row_deletes:
        new.delete_rows(table, [key], ts)


def apply_actions(new, table: TableRef, source: list[Cell], target: list[Cell], counts: Counts,
                  whole_rows: bool = True) -> None:
    for actions in reconcile(sort_cells(source), sort_cells(target), counts, whole_rows=whole_rows):
        perform(new, table, actions)


def sync_row(old, new, table: TableRef, key: str, counts: Counts) -> tuple[list[Cell], list[Cell]]:
    """new[key] := old[key]; returns (old cells, new cells before the change)."""
    source = old.row_cells(table, key)
    target = new.row_cells(table, key)
    apply_actions(new, table, source, target, counts)
    return source, target


def sync_cell(old, new, table: TableRef, key: str, column: str, counts: Counts) -> None:
    source = [c for c in [old.cell(table, key, column)] if c is not None]
    target = [c for c in [new.cell(table, key, column)] if c is not None]
    apply_actions(new, table, source, target, counts, whole_rows=False)


def sync_object(old, new, uuid: str, obj_type: str | None, fq_name: list[str] | None, extra_peers: set[str],
                counts: Counts) -> set[str]:
    """Sync an object's row, every row its change touched (parent, ref targets: children/backrefs),
    its fq-name index cell and its type's shared-table row. Returns the uuids synced."""
    source, target = sync_row(old, new, UUID_REF, uuid, counts)
    peers = set(extra_peers)
    types = {obj_type} if obj_type else set()
    names = [fq_name] if fq_name else []
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
            names.append(obj.fq_name)
    peers.discard(uuid)
    # On a peer's row this object can only have changed its own link cells and META: sync those
    # cells (one IN query per side), not the peer's whole, often very wide, row.
    columns = ["META:latest_col_ts"]
    for t in sorted(types or {""}):
        columns += [f"backref:{t}:{uuid}", f"ref:{t}:{uuid}", f"children:{t}:{uuid}", f"parent:{t}:{uuid}"]
    for peer in sorted(peers):
        source = old.cells_of_row(UUID_REF, peer, columns)
        target = new.cells_of_row(UUID_REF, peer, columns)
        apply_actions(new, UUID_REF, source, target, counts, whole_rows=False)
    for obj_type_ in types:
        for name in {tuple(n) for n in names}:
            sync_cell(old, new, FQ_REF, obj_type_, fq_name_column(list(name), uuid), counts)
        sync_row(old, new, SHARED_REF, obj_type_, counts)
    return {uuid} | peers
