"""Row-level checks: what can be judged from one obj_uuid_table row alone.

Covers db_manage's check_obj_mandatory_fields and the VM rows clean_vm_with_no_vmi deletes, plus
what nobody upstream checks: cells the readers cannot decode, columns of unknown form,
id_perms.uuid versus the row key (invariant I6), parent_type versus the parent column, map
cells filed under the wrong key, and rows too wide for upstream readers (I12).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TypedDict

from ..model.cells import TableRef
from ..model.keyspaces import CONFIG_KEYSPACE, UUID_TABLE
from ..model.objects import TfObject, longs_to_uuid
from .base import AuditContext, Family
from .findings import ERROR, INFO, WARNING, check

UUID_TABLE_REF = TableRef(CONFIG_KEYSPACE, UUID_TABLE)
MANDATORY = ("type", "fq_name", "prop:id_perms")
# Upstream full scans (pycassa get_range and the CQL driver alike) stop at 100 000 columns per row.
READER_COLUMN_LIMIT = 100_000

MISSING_FIELD = check(
    "object.missing_field", ERROR, "object row lacks type, fq_name or prop:id_perms (I1)",
    "restore the missing cells from a backup or snapshot; db_manage clean_obj_missing_mandatory_fields "
    "would delete the whole row")
BAD_JSON = check(
    "object.bad_json", ERROR, "cell value is not valid JSON",
    "rewrite the cell with valid JSON (e.g. from a backup); the API server fails on this object")
MALFORMED_FIELD = check(
    "object.malformed_field", ERROR, "type, fq_name or parent_type holds a value of the wrong shape",
    "rewrite the cell: type is a JSON string, fq_name a JSON list of strings, parent_type a JSON string")
UNKNOWN_COLUMN = check(
    "object.unknown_column", WARNING, "column name of no known form (readers skip it)",
    "delete the stray cell once its content is understood; it is never read")
DUPLICATE_PARENT = check(
    "object.duplicate_parent", ERROR, "row has more than one parent: column",
    "keep the parent: column that matches fq_name and the parent's children: cell; delete the others")
ID_PERMS_UUID_MISMATCH = check(
    "object.id_perms_uuid_mismatch", ERROR, "id_perms.uuid differs from the row key (I6)",
    "rewrite prop:id_perms with uuid_mslong/uuid_lslong of the row key")
ID_PERMS_UUID_MISSING = check(
    "object.id_perms_uuid_missing", WARNING, "id_perms has no usable uuid",
    "rewrite prop:id_perms with uuid_mslong/uuid_lslong of the row key")
PARENT_TYPE_MISMATCH = check(
    "object.parent_type_mismatch", ERROR, "parent_type disagrees with the parent: column",
    "set parent_type to the dash form of the parent: column's type (or remove it for top-level objects)")
PARENT_TYPE_EMPTY = check(
    "object.parent_type_empty", WARNING, "parent_type is the empty string",
    "delete the parent_type cell (objects under config-root have none)")
PARENT_TYPE_MISSING = check(
    "object.parent_type_missing", WARNING, "parent: column without a parent_type cell",
    "add parent_type with the dash form of the parent's type")
MAP_KEY_MISMATCH = check(
    "object.map_key_mismatch", WARNING, "map property cell filed under a key its element does not hold",
    "rewrite the cell as propm:<prop>:<element key>")
VM_WITHOUT_VMI = check(
    "object.vm_without_vmi", INFO, "virtual machine with no back-references and no children",
    "delete it if no VMI will attach again (db_manage clean_vm_with_no_vmi does)")
WIDE_ROW = check(
    "store.wide_row", WARNING, f"row wider than the {READER_COLUMN_LIMIT:,} columns upstream readers page through",
    "expect upstream full scans (db_manage, ISSU, db_json_exim) to truncate this row; copy it with tfdata")

_MALFORMED_KINDS = {"bad_type", "bad_fq_name", "bad_parent_type"}


def underscore(name: str) -> str:
    return name.replace("-", "_")


@lru_cache(maxsize=None)
def map_key_field(obj_type: str, prop: str) -> str | None:
    """The element field a map property is keyed by, from the newest known release."""
    try:
        from ..schema import list_releases, load_release

        releases = list_releases()
        for release in reversed(releases):
            schema = load_release(release)
            if schema.has_type(obj_type):
                spec = schema.property(obj_type, prop)
                if spec and spec.get("kind") == "map":
                    return spec.get("map_key")
    except Exception:  # no schemas installed: the check simply does not run
        return None
    return None


class _Ident(TypedDict):
    """The object a finding is about, as emit() takes it (keywords)."""

    uuid: str
    type: str | None
    fq_name: list[str] | None


class ObjectChecks(Family):
    prefixes = ("object", "store")

    def on_object(self, obj: TfObject, ctx: AuditContext) -> None:
        ident: _Ident = {"uuid": obj.uuid, "type": obj.type, "fq_name": obj.fq_name}
        self._problems(obj, ctx, ident)
        missing = [column for column in MANDATORY if column not in obj.writetimes]
        if missing:
            ctx.emit(MISSING_FIELD, f"row has no {', '.join(missing)}"
                     + (" (readers treat it as deleted)" if not obj.is_live else ""), **ident)
        if "id_perms" in obj.props:
            self._id_perms_uuid(obj, ctx, ident)
        self._parent_type(obj, ctx, ident)
        self._map_keys(obj, ctx, ident)
        if obj.type == "virtual_machine" and not obj.backrefs and not obj.children:
            ctx.emit(VM_WITHOUT_VMI, "no back-references (no VMI, no virtual router) and no children", **ident)

    def _problems(self, obj: TfObject, ctx: AuditContext, ident: _Ident) -> None:
        for problem in obj.problems:
            path = f"{UUID_TABLE_REF}/{obj.uuid}/{problem.column}" if problem.column else None
            if problem.kind == "bad_json":
                ctx.emit(BAD_JSON, f"{problem.column}: {problem.detail}", path=path, **ident)
            elif problem.kind == "unknown_column":
                raw = obj.unknown.get(problem.column, "") if problem.column is not None else ""
                ctx.emit(UNKNOWN_COLUMN, f"{problem.detail}, value {raw[:60]!r}", path=path, **ident)
            elif problem.kind == "duplicate_parent":
                ctx.emit(DUPLICATE_PARENT, f"{problem.column}: {problem.detail}", path=path, **ident)
            elif problem.kind in ("missing_type", "missing_fq_name"):
                continue  # reported once per row as missing_field (or as bad_json / malformed)
            else:
                ctx.emit(MALFORMED_FIELD, f"{problem.column or 'row'}: {problem.detail}", path=path, **ident)

    def _id_perms_uuid(self, obj: TfObject, ctx: AuditContext, ident: _Ident) -> None:
        id_perms = obj.props.get("id_perms")
        longs = id_perms.get("uuid") if isinstance(id_perms, dict) else None
        path = f"{UUID_TABLE_REF}/{obj.uuid}/prop:id_perms"
        if not isinstance(longs, dict) or "uuid_mslong" not in longs or "uuid_lslong" not in longs:
            ctx.emit(ID_PERMS_UUID_MISSING, "id_perms.uuid is absent or not {uuid_mslong, uuid_lslong}",
                     path=path, **ident)
            return
        try:
            stored = longs_to_uuid(longs)
        except (TypeError, ValueError):
            ctx.emit(ID_PERMS_UUID_MISSING, f"id_perms.uuid is not two integers: {longs!r}"[:160], path=path, **ident)
            return
        if stored != obj.uuid.lower():
            ctx.emit(ID_PERMS_UUID_MISMATCH, f"id_perms.uuid is {stored}, row key is {obj.uuid}", path=path, **ident)

    def _parent_type(self, obj: TfObject, ctx: AuditContext, ident: _Ident) -> None:
        has_cell = "parent_type" in obj.writetimes
        stored = obj.parent_type
        path = f"{UUID_TABLE_REF}/{obj.uuid}/parent_type"
        if obj.parent is not None:
            if not has_cell:
                ctx.emit(PARENT_TYPE_MISSING, f"parent:{obj.parent[0]}:{obj.parent[1]} but no parent_type", **ident)
            elif stored is not None and underscore(stored) != obj.parent[0]:
                ctx.emit(PARENT_TYPE_MISMATCH, f"parent_type {stored!r} but parent column is "
                         f"parent:{obj.parent[0]}:{obj.parent[1]}", path=path, **ident)
        elif stored == "":
            ctx.emit(PARENT_TYPE_EMPTY, "parent_type is \"\" (and there is no parent: column)", path=path, **ident)
        elif stored is not None and underscore(stored) != "config_root":
            ctx.emit(PARENT_TYPE_MISMATCH, f"parent_type {stored!r} but no parent: column "
                     "(db_manage's orphan check fails on such rows)", path=path, **ident)

    def _map_keys(self, obj: TfObject, ctx: AuditContext, ident: _Ident) -> None:
        if not obj.type:
            return
        for prop, items in obj.map_props.items():
            key_field = map_key_field(obj.type, prop)
            if not key_field:
                continue
            for key, element in items.items():
                if isinstance(element, dict) and element.get(key_field) != key:
                    ctx.emit(MAP_KEY_MISMATCH, f"propm:{prop}:{key} holds {key_field}="
                             f"{element.get(key_field)!r}", path=f"{UUID_TABLE_REF}/{obj.uuid}/propm:{prop}:{key}",
                             **ident)

    def on_row_end(self, table: TableRef, key: str, cells: int, ctx: AuditContext) -> None:
        if cells > READER_COLUMN_LIMIT:
            uuid = key if table == UUID_TABLE_REF else None
            ctx.emit(WIDE_ROW, f"{table} row {key!r} has {cells:,} cells", uuid=uuid, path=f"{table}/{key}")
