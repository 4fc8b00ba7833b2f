"""Links between rows: parent/children and ref/backref, each side against the other (I4, I5).

Upstream only finds missing parents (check_orphan_resources) and, in clean/heal dry runs,
dangling ref/backref/children cells and missing children cells. Nobody upstream checks that a
ref has its backref (or the symmetric ref of a same-type link), that a backref has its ref, or
that an object's fq_name continues its parent's. Only live rows count as link ends: a row
without type or fq_name is what every reader treats as deleted.
"""

from __future__ import annotations

import json

from .base import AuditContext, Family
from .findings import ERROR, WARNING, check

ORPHAN = check(
    "link.orphan", ERROR, "parent row is missing (db_manage check_orphan_resources)",
    "restore the parent from a backup, or delete the orphan and its index entries "
    "(db_manage clean_orphan_resources)")
PARENT_WRONG_TYPE = check(
    "link.parent_wrong_type", ERROR, "parent: column names a type the parent row does not have",
    "rewrite the parent: column (and parent_type) with the parent's real type")
FQ_NAME_NOT_UNDER_PARENT = check(
    "link.fq_name_not_under_parent", ERROR, "fq_name does not continue the parent's fq_name (I4)",
    "recreate the object under the right parent; fq_name never changes in place")
CHILD_NOT_LISTED = check(
    "link.child_not_listed", ERROR, "parent row lacks the children: cell of this child (I4)",
    "add children:<type>:<uuid> = null on the parent row (db_manage heal_children_index)")
DANGLING_CHILD = check(
    "link.dangling_child", WARNING, "children: cell names a row that does not exist",
    "delete the children: cell (db_manage clean_stale_children)")
CHILD_NOT_CLAIMED = check(
    "link.child_not_claimed", WARNING, "children: cell names a row whose parent is another object",
    "delete the children: cell on the wrong parent")
TARGET_WRONG_TYPE = check(
    "link.target_wrong_type", ERROR, "link column names a type the linked row does not have",
    "rewrite the link column with the linked row's real type (and its mirror cell)")
DANGLING_REF = check(
    "link.dangling_ref", ERROR, "ref: cell to a row that does not exist (the API shows to=['ERROR'])",
    "delete the ref: cell (db_manage clean_stale_refs) or restore the referenced object")
BACKREF_MISSING = check(
    "link.backref_missing", ERROR, "referenced row lacks the backref: cell of this ref (I5)",
    "add backref:<referrer type>:<referrer uuid> with the ref's value on the referenced row; "
    "without it the referenced object can be deleted under the reference")
SYMMETRIC_REF_MISSING = check(
    "link.symmetric_ref_missing", WARNING, "same-type reference not mirrored on the other row (I5)",
    "add the mirror ref:<type>:<uuid> cell with the same value on the referenced row")
ATTR_MISMATCH = check(
    "link.attr_mismatch", WARNING, "ref and its mirror cell carry different link attributes",
    "rewrite the mirror cell with the ref's value (readers of back_refs see the stale attribute)")
DANGLING_BACKREF = check(
    "link.dangling_backref", WARNING, "backref: cell from a row that does not exist",
    "delete the backref: cell (db_manage clean_stale_back_refs); it blocks deleting this object")
REF_MISSING = check(
    "link.ref_missing", WARNING, "backref: cell whose referrer holds no matching ref: (I5)",
    "delete the backref: cell, or add the ref on the referrer if the link is wanted")
DANGLING_RELAXBACKREF = check(
    "link.dangling_relaxbackref", WARNING, "relaxbackref: cell without a live ref behind it",
    "delete the relaxbackref: cell")

# The mirror of a ref A -> B, on B: a symmetric ref for a same-type link, a backref otherwise.
_MIRROR_ATTR = ("(SELECT m.attr FROM links m WHERE m.src = l.dst AND m.dst = l.src AND m.kind = "
                "CASE WHEN s.type = l.dst_type THEN 'ref' ELSE 'backref' END LIMIT 1)")
# Whether the far end of a backref / relaxbackref holds the ref it mirrors.
_FAR_REF = "EXISTS (SELECT 1 FROM links m WHERE m.src = l.dst AND m.kind = 'ref' AND m.dst = l.src)"


def _link_query(kind: str, extra: str) -> str:
    """Links of one kind from live rows, with whether the far end is live and its real type."""
    return (f"SELECT s.uuid, s.type, s.fq, l.dst_type, l.dst, t.uuid IS NOT NULL, t.type, {extra} FROM links l "
            f"JOIN objects s ON s.uuid = l.src AND s.live = 1 "
            f"LEFT JOIN objects t ON t.uuid = l.dst AND t.live = 1 WHERE l.kind = '{kind}'")


def _fq(text: str | None):
    return json.loads(text) if text else None


class LinkChecks(Family):
    prefixes = ("link",)

    def finish(self, ctx: AuditContext) -> None:
        self._parents(ctx)
        self._children(ctx)
        self._refs(ctx)
        self._backrefs(ctx)
        self._relaxed(ctx)

    def _parents(self, ctx: AuditContext) -> None:
        rows = ctx.facts.query(
            "SELECT c.uuid, c.type, c.fq, c.parent_kind, c.parent_uuid, c.parent_fq, p.uuid IS NOT NULL, p.type, p.fq, "
            "EXISTS (SELECT 1 FROM links l WHERE l.src = c.parent_uuid AND l.kind = 'children' AND l.dst = c.uuid) "
            "FROM objects c LEFT JOIN objects p ON p.uuid = c.parent_uuid AND p.live = 1 "
            "WHERE c.live = 1 AND c.parent_uuid IS NOT NULL")
        for uuid, obj_type, fq, kind, parent, parent_fq, exists, real_type, real_fq, listed in rows:
            ident = {"uuid": uuid, "type": obj_type, "fq_name": _fq(fq)}
            if not exists:
                ctx.emit(ORPHAN, f"parent {kind} {parent} does not exist", **ident)
                continue
            if real_type != kind:
                ctx.emit(PARENT_WRONG_TYPE, f"parent:{kind}:{parent} but that row is a {real_type}", **ident)
            if parent_fq != real_fq:
                ctx.emit(FQ_NAME_NOT_UNDER_PARENT, f"fq_name {':'.join(_fq(fq))} is not under its parent "
                         f"{real_type} {':'.join(_fq(real_fq) or [])} ({parent})", **ident)
            if not listed:
                ctx.emit(CHILD_NOT_LISTED, f"parent {real_type} {parent} has no children:{obj_type}:{uuid}", **ident)

    def _children(self, ctx: AuditContext) -> None:
        rows = ctx.facts.query(_link_query("children", "t.parent_uuid"))
        for uuid, obj_type, fq, child_type, child, exists, real_type, real_parent in rows:
            ident = {"uuid": uuid, "type": obj_type, "fq_name": _fq(fq)}
            if not exists:
                ctx.emit(DANGLING_CHILD, f"children:{child_type}:{child}: no such row", **ident)
            elif real_type != child_type:
                ctx.emit(TARGET_WRONG_TYPE, f"children:{child_type}:{child} but that row is a {real_type}", **ident)
            elif real_parent != uuid:
                ctx.emit(CHILD_NOT_CLAIMED, f"children:{child_type}:{child} but that row's parent is "
                         f"{real_parent or 'none'}", **ident)

    def _refs(self, ctx: AuditContext) -> None:
        rows = ctx.facts.query(_link_query("ref", f"l.attr, {_MIRROR_ATTR}"))
        for uuid, obj_type, fq, ref_type, target, exists, real_type, attr, mirror_attr in rows:
            ident = {"uuid": uuid, "type": obj_type, "fq_name": _fq(fq)}
            if not exists:
                ctx.emit(DANGLING_REF, f"ref:{ref_type}:{target}: no such row", **ident)
            elif real_type != ref_type:
                ctx.emit(TARGET_WRONG_TYPE, f"ref:{ref_type}:{target} but that row is a {real_type}", **ident)
            elif mirror_attr is None:
                if obj_type == ref_type:
                    ctx.emit(SYMMETRIC_REF_MISSING, f"{ref_type} {target} has no ref:{obj_type}:{uuid}", **ident)
                else:
                    ctx.emit(BACKREF_MISSING, f"{ref_type} {target} has no backref:{obj_type}:{uuid}", **ident)
            elif mirror_attr != attr:
                ctx.emit(ATTR_MISMATCH, f"ref:{ref_type}:{target} attribute differs from the mirror cell on "
                         f"{target}", **ident)

    def _backrefs(self, ctx: AuditContext) -> None:
        rows = ctx.facts.query(_link_query("backref", _FAR_REF))
        for uuid, obj_type, fq, from_type, referrer, exists, real_type, has_ref in rows:
            ident = {"uuid": uuid, "type": obj_type, "fq_name": _fq(fq)}
            if not exists:
                ctx.emit(DANGLING_BACKREF, f"backref:{from_type}:{referrer}: no such row", **ident)
            elif real_type != from_type:
                ctx.emit(TARGET_WRONG_TYPE, f"backref:{from_type}:{referrer} but that row is a {real_type}", **ident)
            elif not has_ref:
                ctx.emit(REF_MISSING, f"{from_type} {referrer} has no ref:{obj_type}:{uuid}", **ident)

    def _relaxed(self, ctx: AuditContext) -> None:
        rows = ctx.facts.query(_link_query("relaxbackref", _FAR_REF))
        for uuid, obj_type, fq, _, referrer, exists, _real_type, has_ref in rows:
            if not exists or not has_ref:
                ctx.emit(DANGLING_RELAXBACKREF, f"relaxbackref:{referrer}: "
                         + ("no such row" if not exists else "that row holds no ref to this object"),
                         uuid=uuid, type=obj_type, fq_name=_fq(fq))
