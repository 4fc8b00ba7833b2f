"""In-memory config_db_uuid tables for testing sync planning: cells in, the planned actions out,
applied with Cassandra's last-write-wins. Plain data, no server stand-in: the planning functions
take cells, so the tests hand them cells."""

from __future__ import annotations

import copy

from tfdata.model.cells import Cell, TableRef
from tfdata.model.fqname import expected_shares, fq_name_column, shared_column
from tfdata.model.objects import ObjectSpec, encode_json, object_columns, peer_columns
from tfdata.sync.objects import (
    FQ_REF,
    SHARED_REF,
    UUID_REF,
    ObjectChange,
    ObjectSyncPlan,
    own_rows_actions,
    plan_objects,
    rows_by_key,
)
from tfdata.sync.reconcile import Actions, Counts

OWN_ROWS = "own rows"


def uid(n: int) -> str:
    return f"{n:08d}-0000-4000-8000-000000000000"


class World:
    """One cluster's tables: (table, row key, column) -> (value, write time)."""

    def __init__(self) -> None:
        self.cells: dict[tuple[TableRef, str, str], tuple[str, int]] = {}
        self.tombstones: dict[tuple[TableRef, str, str | None], int] = {}

    def copy(self) -> World:
        return copy.deepcopy(self)

    def put(self, table: TableRef, key: str, column: str, value: str, ts: int) -> None:
        self.cells[(table, key, column)] = (value, ts)

    def drop(self, table: TableRef, key: str, column: str) -> None:
        del self.cells[(table, key, column)]

    def create(self, spec: ObjectSpec, ts: int) -> None:
        """Every cell a create writes, as the API server writes them."""
        for column, value in object_columns(spec):
            self.put(UUID_REF, spec.uuid, column, value, ts)
        for key, column, value in peer_columns(spec):
            self.put(UUID_REF, key, column, value, ts)
        self.put(FQ_REF, spec.type, fq_name_column(spec.fq_name, spec.uuid), "null", ts)
        for kind, owner, access in expected_shares(spec.props.get("perms2")):
            self.put(SHARED_REF, spec.type, shared_column(kind, owner, spec.uuid), encode_json(access), ts)

    def read(self, table: TableRef, keys: list[str], columns: list[str] | None = None) -> list[Cell]:
        return [Cell(k, c, v, ts) for (t, k, c), (v, ts) in self.cells.items()
                if t == table and k in keys and (columns is None or c in columns)]

    def row(self, key: str, table: TableRef = UUID_REF) -> dict[str, str]:
        return {c: v for (t, k, c), (v, _) in self.cells.items() if t == table and k == key}

    def apply(self, table: TableRef, actions: Actions) -> None:
        for key, column, ts in actions.cell_deletes:
            self._tombstone((table, key, column), ts)
        for key, ts in actions.row_deletes:
            self._tombstone((table, key, None), ts)
            for (t, k, c) in [cell for cell in self.cells if cell[0] == table and cell[1] == key]:
                if self.cells[(t, k, c)][1] < ts:
                    del self.cells[(t, k, c)]
        for cell in actions.writes:
            where = (table, cell.key, cell.column)
            shadow = max(self.tombstones.get(where, -1), self.tombstones.get((table, cell.key, None), -1))
            if cell.writetime > shadow and cell.writetime > self.cells.get(where, ("", -1))[1]:
                self.cells[where] = (cell.value, cell.writetime)

    def _tombstone(self, where: tuple, ts: int) -> None:
        self.tombstones[where] = max(ts, self.tombstones.get(where, -1))
        if where in self.cells and self.cells[where][1] < ts:
            del self.cells[where]


def plan_sync(old: World, new: World, *changes: ObjectChange,
              old_rows_from: World | None = None) -> tuple[dict, ObjectSyncPlan]:
    """The actions sync_objects would send for these changes, by table (own rows apart).

    ``old_rows_from``: the OLD the objects' rows were read from, when OLD changed before their
    peers' cells were read (the interleaving a busy OLD produces)."""
    uuids = [c.uuid for c in changes]
    old_rows = rows_by_key((old_rows_from or old).read(UUID_REF, uuids))
    new_rows = rows_by_key(new.read(UUID_REF, uuids))
    plan = plan_objects(list(changes), old_rows, new_rows)
    actions = {table: plan.actions(table, old.read(table, keys, columns), new.read(table, keys, columns), Counts())
               for table, keys, columns in plan.reads()}
    actions[OWN_ROWS] = own_rows_actions(uuids, old_rows, new_rows, Counts())
    return actions, plan


def apply_sync(old: World, new: World, *changes: ObjectChange) -> dict:
    actions, _ = plan_sync(old, new, *changes)
    for table, done in actions.items():
        new.apply(UUID_REF if table == OWN_ROWS else table, done)
    return actions


def written(actions: dict, table, key: str) -> dict[str, tuple[str, int]]:
    done = actions.get(table, Actions())
    return {c.column: (c.value, c.writetime) for c in done.writes if c.key == key}


def deleted(actions: dict, table, key: str) -> set[str]:
    done = actions.get(table, Actions())
    return {column for k, column, _ in done.cell_deletes if k == key}
