"""The two derived tables of config_db_uuid against the objects they index.

obj_fq_name_table (db_manage check_fq_name_uuid_match, check_duplicate_fq_name, and the dry-run
findings of clean_stale_fq_names / clean_stale_object / heal_fq_name_index; invariants I2, I3)
and obj_shared_table, which nobody upstream audits (I7: it must equal what perms2 implies).
Duplicate names are judged on the object rows, so unindexed claimants are seen too.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

from ..model.cells import Cell, TableRef
from ..model.fqname import expected_shares, looks_url_quoted, split_fq_name_column, split_shared_column
from ..model.keyspaces import CONFIG_KEYSPACE, FQ_NAME_TABLE, SHARED_TABLE
from ..model.objects import TfObject, decode_json
from .base import AuditContext, Family
from .findings import ERROR, WARNING, check

FQ_NAME_TABLE_REF = TableRef(CONFIG_KEYSPACE, FQ_NAME_TABLE)
SHARED_TABLE_REF = TableRef(CONFIG_KEYSPACE, SHARED_TABLE)

STALE_ENTRY = check(
    "index.stale_entry", ERROR, "fq-name index entry whose object row does not exist",
    "delete the obj_fq_name_table cell (db_manage clean_stale_fq_names); the name cannot be reused until then")
MISSING_ENTRY = check(
    "index.missing_entry", ERROR, "object not in the fq-name index (I2): not found by name, name reusable",
    "add <fq_name>:<uuid> = null to its type's obj_fq_name_table row (db_manage heal_fq_name_index), "
    "unless it duplicates a name (then delete the row, as clean_stale_object does)")
MISMATCH = check(
    "index.mismatch", ERROR, "fq-name index entry names another type or fq_name than its object",
    "replace the index cell with one built from the object's type and fq_name")
URL_QUOTED = check(
    "index.url_quoted", WARNING, "index entry URL-quoted by a legacy Python 2 writer",
    "rewrite the index cell with the raw UTF-8 name; current releases never un-quote on lookup")
DUPLICATE_FQ_NAME = check(
    "index.duplicate_fq_name", ERROR, "several objects of one type share an fq_name (I3)",
    "keep the object the index and the other objects refer to; delete the others with their links")
BAD_COLUMN = check(
    "index.bad_column", ERROR, "obj_fq_name_table column is not <fq_name>:<uuid>",
    "delete the cell; it can never match an object")
SHARED_MISSING = check(
    "shared.missing", ERROR, "perms2 shares the object but obj_shared_table lacks the entry (I7)",
    "add the obj_shared_table cell (re-saving perms2 through the API rebuilds it)")
SHARED_EXTRA = check(
    "shared.extra", WARNING, "obj_shared_table entry that no perms2 implies (I7): access nobody granted",
    "delete the obj_shared_table cell")
SHARED_ACCESS_MISMATCH = check(
    "shared.access_mismatch", WARNING, "obj_shared_table access bits differ from perms2 (I7)",
    "rewrite the cell with the access bits of perms2")
SHARED_BAD_CELL = check(
    "shared.bad_cell", WARNING, "obj_shared_table cell is not <share type>:<id>:<uuid> = <integer>",
    "delete the cell")


def _fq(text: str | None):
    return json.loads(text) if text else None


class IndexChecks(Family):
    prefixes = ("index", "shared")
    tables = frozenset({FQ_NAME_TABLE_REF, SHARED_TABLE_REF})

    def setup(self, ctx: AuditContext) -> None:
        ctx.facts.define("fq_index", "type TEXT, name TEXT, uuid TEXT, col TEXT", indexes=["uuid", "type, name"])
        ctx.facts.define("shared_actual", "type TEXT, share_type TEXT, share_id TEXT, uuid TEXT, access TEXT",
                         indexes=["uuid, type, share_type, share_id"])
        ctx.facts.define("shared_expected", "type TEXT, share_type TEXT, share_id TEXT, uuid TEXT, access TEXT",
                         indexes=["uuid, type, share_type, share_id"])

    def on_object(self, obj: TfObject, ctx: AuditContext) -> None:
        if obj.is_live:
            for share_type, share_id, access in expected_shares(obj.props.get("perms2")):
                ctx.facts.add("shared_expected", (obj.type, share_type, share_id, obj.uuid, json.dumps(access)))

    def on_cell(self, table: TableRef, cell: Cell, ctx: AuditContext) -> None:
        if cell.column is None:
            return
        path = f"{table}/{cell.key}/{cell.column}"
        if table == FQ_NAME_TABLE_REF:
            parts = split_fq_name_column(cell.column)
            if parts is None:
                ctx.emit(BAD_COLUMN, f"column {cell.column!r} in row {cell.key!r} has no ':<uuid>' part", path=path)
            else:
                ctx.facts.add("fq_index", (cell.key, parts[0], parts[1], cell.column))
            return
        share = split_shared_column(cell.column)
        try:
            access = decode_json(cell.value)
        except ValueError:
            access = None
        if share is None or not isinstance(access, int) or isinstance(access, bool):
            ctx.emit(SHARED_BAD_CELL, f"row {cell.key!r} column {cell.column!r} value {cell.value[:40]!r}", path=path)
            return
        ctx.facts.add("shared_actual", (cell.key, share[0], share[1], share[2], json.dumps(access)))

    def finish(self, ctx: AuditContext) -> None:
        if ctx.has_table(FQ_NAME_TABLE_REF):
            self._index(ctx)
        else:
            ctx.skipped("fq-name index checks", "the source has no config_db_uuid.obj_fq_name_table")
        self._duplicates(ctx)
        if ctx.has_table(SHARED_TABLE_REF):
            self._shared(ctx)
        else:
            ctx.skipped("shared-table checks", "the source has no config_db_uuid.obj_shared_table")

    def _index(self, ctx: AuditContext) -> None:
        rows = ctx.facts.query(
            "SELECT i.type, i.name, i.uuid, i.col, o.uuid IS NOT NULL, o.type, o.fq, o.fq_str FROM fq_index i "
            "LEFT JOIN objects o ON o.uuid = i.uuid AND o.live = 1")
        for index_type, name, uuid, column, exists, obj_type, fq, fq_str in rows:
            path = f"{FQ_NAME_TABLE_REF}/{index_type}/{column}"
            if not exists:
                ctx.emit(STALE_ENTRY, f"{index_type} {name!r} -> {uuid}: no such object", uuid=uuid,
                         type=index_type, path=path)
            elif obj_type != index_type:
                ctx.emit(MISMATCH, f"indexed as {index_type} {name!r}, but the object is a {obj_type}", uuid=uuid,
                         type=obj_type, fq_name=_fq(fq), path=path)
            elif name != fq_str:
                if looks_url_quoted(name) and unquote_plus(name) == fq_str:
                    ctx.emit(URL_QUOTED, f"indexed as {name!r}, object name {fq_str!r}", uuid=uuid, type=obj_type,
                             fq_name=_fq(fq), path=path)
                else:
                    ctx.emit(MISMATCH, f"indexed as {name!r}, object fq_name is {fq_str!r}", uuid=uuid,
                             type=obj_type, fq_name=_fq(fq), path=path)
        rows = ctx.facts.query(
            "SELECT o.uuid, o.type, o.fq, o.fq_str FROM objects o WHERE o.live = 1 AND NOT EXISTS "
            "(SELECT 1 FROM fq_index i WHERE i.uuid = o.uuid AND i.type = o.type)")
        for uuid, obj_type, fq, fq_str in rows:
            ctx.emit(MISSING_ENTRY, f"no {obj_type} index entry for {fq_str!r}", uuid=uuid, type=obj_type,
                     fq_name=_fq(fq), path=f"{FQ_NAME_TABLE_REF}/{obj_type}")

    def _duplicates(self, ctx: AuditContext) -> None:
        groups = ctx.facts.query(
            "SELECT type, fq FROM objects WHERE live = 1 GROUP BY type, fq HAVING COUNT(DISTINCT uuid) > 1")
        has_index = ctx.has_table(FQ_NAME_TABLE_REF)
        for obj_type, fq in list(groups):
            claimants = list(ctx.facts.query(
                "SELECT DISTINCT o.uuid, o.created, EXISTS (SELECT 1 FROM fq_index i WHERE i.uuid = o.uuid "
                "AND i.type = o.type) FROM objects o WHERE o.live = 1 AND o.type = ? AND o.fq = ? ORDER BY o.created",
                (obj_type, fq)))
            described = ", ".join(f"{uuid} (created {created or '?'}"
                                  + (", indexed)" if indexed else ", not indexed)" if has_index else ")")
                                  for uuid, created, indexed in claimants)
            for uuid, _, _ in claimants:
                ctx.emit(DUPLICATE_FQ_NAME, f"{len(claimants)} {obj_type} objects named "
                         f"{':'.join(_fq(fq))}: {described}", uuid=uuid, type=obj_type, fq_name=_fq(fq))

    def _shared(self, ctx: AuditContext) -> None:
        key = "a.uuid = e.uuid AND a.type = e.type AND a.share_type = e.share_type AND a.share_id = e.share_id"
        for obj_type, share_type, share_id, uuid, access in ctx.facts.query(
                f"SELECT e.type, e.share_type, e.share_id, e.uuid, e.access FROM shared_expected e "
                f"WHERE NOT EXISTS (SELECT 1 FROM shared_actual a WHERE {key})"):
            ctx.emit(SHARED_MISSING, f"perms2 grants {share_type}:{share_id or '*'} access {access}, "
                     f"no obj_shared_table cell {share_type}:{share_id}:{uuid}", uuid=uuid,
                     path=f"{SHARED_TABLE_REF}/{obj_type}/{share_type}:{share_id}:{uuid}")
        for obj_type, share_type, share_id, uuid, actual, expected in ctx.facts.query(
                f"SELECT e.type, e.share_type, e.share_id, e.uuid, a.access, e.access FROM shared_expected e "
                f"JOIN shared_actual a ON {key} WHERE a.access != e.access"):
            ctx.emit(SHARED_ACCESS_MISMATCH, f"{share_type}:{share_id or '*'} has access {actual}, perms2 says "
                     f"{expected}", uuid=uuid, path=f"{SHARED_TABLE_REF}/{obj_type}/{share_type}:{share_id}:{uuid}")
        for obj_type, share_type, share_id, uuid, access, exists in ctx.facts.query(
                f"SELECT a.type, a.share_type, a.share_id, a.uuid, a.access, EXISTS (SELECT 1 FROM objects o "
                f"WHERE o.uuid = a.uuid AND o.live = 1) FROM shared_actual a "
                f"WHERE NOT EXISTS (SELECT 1 FROM shared_expected e WHERE {key})"):
            why = "its perms2 does not grant it" if exists else "no such object"
            ctx.emit(SHARED_EXTRA, f"{share_type}:{share_id or '*'} access {access} in row {obj_type}: {why}",
                     uuid=uuid, type=obj_type if not exists else None,
                     path=f"{SHARED_TABLE_REF}/{obj_type}/{share_type}:{share_id}:{uuid}")
