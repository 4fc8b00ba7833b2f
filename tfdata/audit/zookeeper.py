"""ZooKeeper against Cassandra: the fq-name locks and the ID allocators (I8, I9).

From db_manage: check_virtual_networks_id, check_security_groups_id, check_aggregated_ethernet_id
(and the VN/SG ID findings of their clean/heal dry runs). Beyond it: the /fq-name-to-uuid locks
(a partial index: objects created with a client-chosen uuid have none, so only locks that point
nowhere or at the wrong object are findings), AE IDs used but not locked, and the owners of the
tag, VPG and sub-cluster allocations. User-configured VxLAN IDs share the VN-ID allocator
(data ``<VN fq_name>_vxlan`` or ``<project>:<LR uuid>_vxlan``); they are not stale VN IDs.

Names in paths (zkpaths): ``/fq-name-to-uuid/<type>:<fq_name joined by ':'>`` (vnc_db.py
``create_fq_name_to_uuid_mapping``, type in underscore form, nothing quoted), so the lock name is
every segment after the tree joined back with '/', cut at the first ':' (types hold neither ':'
nor '/'), and compared with the object's name in zk_form. A lock that got children (a longer
name with '/') keeps its data in a live walk and loses it in a dump, where it is absent -- fine
for a partial index. Empty nodes there are what makepath created for such names (and what stays
after their delete): no finding. ``/id/aggregated-ethernet/<router name>/<%010d>`` (router may
hold '/': all but the last segment) and ``/id/tags/values/<tag type>/<%010d>`` likewise; the
other allocators keep names only in their data, compared as fq_name strings.
"""

from __future__ import annotations

import json
import re

from ..model.objects import TfObject
from ..model.zk import ZNode, data_text
from .base import AuditContext, Family
from .findings import ERROR, WARNING, check
from .zkpaths import (AE_ID, FQ_NAME_TO_UUID, SG_ID, SUB_CLUSTER_ID, TAGS, VN_ID, VPG_ID, ZkPlace,
                      allocator_index, is_intermediate, zk_form)

SG_ID_BASE = 8_000_000  # auto-allocated SG IDs are index + 8 000 000; lower ones are user-configured
SG_RESERVED = "__reserved__"
VXLAN_SUFFIX = "_vxlan"
AE_NAME = re.compile(r"^ae(\d+)$")
AE_MAX = 128

FQ_LOCK_DANGLING = check(
    "zk.fq_name_lock_dangling", WARNING, "/fq-name-to-uuid lock names a uuid that has no object",
    "delete the znode (contrail-api also replaces such a lock on the next create of that name)")
FQ_LOCK_MISMATCH = check(
    "zk.fq_name_lock_mismatch", ERROR, "/fq-name-to-uuid lock points at an object of another type or name (I8)",
    "set the znode's data to the uuid of the object that owns the name, or delete it")
FQ_LOCK_MALFORMED = check(
    "zk.fq_name_lock_malformed", WARNING, "/fq-name-to-uuid node is not <type>:<fq_name> holding a uuid",
    "delete the znode")
VN_ID_MISSING = check(
    "zk.vn_id_missing", ERROR, "virtual network without a network id",
    "allocate an id (db_manage heal_virtual_networks_id) and write prop:virtual_network_network_id")
VN_ID_DUPLICATE = check(
    "zk.vn_id_duplicate", ERROR, "one network id on several virtual networks",
    "keep the id on the VN named by the ZooKeeper lock; re-allocate the others "
    "(db_manage clean_stale_virtual_network_id, then heal_virtual_networks_id)")
VN_ID_LOCK_MISSING = check(
    "zk.vn_id_lock_missing", ERROR, "network id not locked in /id/virtual-networks for its VN",
    "create the lock <index = id - 1> with the VN fq_name (db_manage heal_virtual_networks_id); "
    "otherwise the id can be handed out twice")
VN_ID_LOCK_EXTRA = check(
    "zk.vn_id_lock_extra", WARNING, "/id/virtual-networks lock no VN (and no VxLAN reservation) uses",
    "delete the znode once no VN or LR claims it (db_manage clean_stale_virtual_network_id, "
    "which would also delete VxLAN reservations: check those by hand)")
SG_ID_MISSING = check(
    "zk.sg_id_missing", ERROR, "security group without a security_group_id",
    "allocate an id (db_manage heal_security_groups_id)")
SG_ID_DUPLICATE = check(
    "zk.sg_id_duplicate", ERROR, "one security-group id on several security groups",
    "keep the id on the SG named by the lock; re-allocate the others (db_manage clean/heal security_groups_id)")
SG_ID_LOCK_MISSING = check(
    "zk.sg_id_lock_missing", ERROR, "security-group id not locked in /id/security-groups/id for its SG",
    "create the lock <index = id - 8000000> with the SG fq_name (db_manage heal_security_groups_id)")
SG_ID_LOCK_EXTRA = check(
    "zk.sg_id_lock_extra", WARNING, "/id/security-groups/id lock no security group uses",
    "delete the znode (db_manage clean_stale_security_group_id)")
SG_RESERVED_MISSING = check(
    "zk.sg_id_reserved_missing", ERROR, "security-group id 0 is not reserved (__reserved__)",
    "create /id/security-groups/id/0000000000 with data __reserved__")
AE_LOCK_UNUSED = check(
    "zk.ae_id_lock_unused", WARNING, "AE-ID lock no physical interface of that router uses",
    "delete the znode (db_manage clean_aggregated_ethernet_id)")
AE_LOCK_MISSING = check(
    "zk.ae_id_lock_missing", WARNING, "AE id used by a VPG interface but not locked",
    "create /id/aggregated-ethernet/<router>/<ae id> with the VPG name")
ID_LOCK_OWNER_MISSING = check(
    "zk.id_lock_owner_missing", WARNING, "tag / VPG / sub-cluster id lock whose owner does not exist",
    "delete the znode once no object claims it")
ID_LOCK_MALFORMED = check(
    "zk.id_lock_malformed", WARNING, "allocator node name is not a zero-padded index",
    "delete the znode")

# allocator trees whose lock data is the fq_name string of an object of this type
_OWNED_TREES = {VPG_ID: "virtual_port_group", SUB_CLUSTER_ID: "sub_cluster"}


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def sg_lock_names(fq_name: list[str]) -> set[str]:
    """Lock data accepted for an SG: its fq_name string, or (db_manage 1.20) the Python list repr
    that older releases wrote for default-domain:default-project:__no_rule__."""
    names = [str(x) for x in fq_name]
    return {":".join(names), repr(names), "[" + ", ".join(f"u'{x}'" for x in names) + "]"}


class ZookeeperChecks(Family):
    prefixes = ("zk",)

    def setup(self, ctx: AuditContext) -> None:
        define = ctx.facts.define
        define("zk_fq", "path TEXT, lock_type TEXT, lock_name TEXT, data TEXT")
        # objects whose '<type>:<fq_name>' reads otherwise in a path ('//', '/' at an end)
        define("fq_zk_alias", "uuid TEXT, type TEXT, zk_name TEXT", indexes=["uuid", "type, zk_name"])
        define("vn_ids", "uuid TEXT, fq_str TEXT, id INTEGER", indexes=["id"])
        define("zk_vn", "path TEXT, idx INTEGER, data TEXT", indexes=["idx"])
        define("sg_ids", "uuid TEXT, fq TEXT, id INTEGER", indexes=["id"])
        define("zk_sg", "path TEXT, idx INTEGER, data TEXT", indexes=["idx"])
        define("phys_ifs", "uuid TEXT, router TEXT, router_zk TEXT, name TEXT", indexes=["uuid"])
        define("vpg_ae", "vpg TEXT, pi TEXT, ae INTEGER")
        define("zk_ae", "path TEXT, router TEXT, idx INTEGER, data TEXT")
        define("zk_owned", "path TEXT, owner_type TEXT, data TEXT")

    # ------------------------------------------------------------------ scan
    def on_object(self, obj: TfObject, ctx: AuditContext) -> None:
        if obj.type is None or obj.fq_name is None:  # not live (TfObject.is_live)
            return
        lock = f"{obj.type}:{obj.fq_name_str}"
        lock_zk = zk_form(lock)
        if lock_zk != lock:
            ctx.facts.add("fq_zk_alias", (obj.uuid, obj.type, lock_zk.partition(":")[2]))
        if obj.type == "virtual_network":
            self._vn(obj, ctx)
        elif obj.type == "security_group":
            self._sg(obj, ctx)
        elif obj.type == "physical_interface" and len(obj.fq_name) >= 2:
            router = obj.fq_name[-2]
            ctx.facts.add("phys_ifs", (obj.uuid, router, zk_form(router), obj.fq_name[-1]))
        elif obj.type == "virtual_port_group":
            for (ref_type, ref_uuid), value in obj.refs.items():
                attr = value.get("attr") if isinstance(value, dict) else None
                ae = _int(attr.get("ae_num")) if isinstance(attr, dict) else None
                if ref_type == "physical_interface" and ae is not None:
                    ctx.facts.add("vpg_ae", (obj.uuid, ref_uuid, ae))

    def _vn(self, obj: TfObject, ctx: AuditContext) -> None:
        raw = obj.props.get("virtual_network_network_id")
        if raw is None and isinstance(obj.props.get("virtual_network_properties"), dict):
            raw = obj.props["virtual_network_properties"].get("network_id")  # releases before 3.x
        vn_id = _int(raw)
        if vn_id is None:
            ctx.emit(VN_ID_MISSING, "no virtual_network_network_id" + (f" (stored {raw!r})" if raw is not None else ""),
                     uuid=obj.uuid, type=obj.type, fq_name=obj.fq_name)
        else:
            ctx.facts.add("vn_ids", (obj.uuid, obj.fq_name_str, vn_id))

    def _sg(self, obj: TfObject, ctx: AuditContext) -> None:
        raw = obj.props.get("security_group_id")
        sg_id = _int(raw)
        if sg_id is None:
            ctx.emit(SG_ID_MISSING, "no security_group_id" + (f" (stored {raw!r})" if raw is not None else ""),
                     uuid=obj.uuid, type=obj.type, fq_name=obj.fq_name)
        else:
            ctx.facts.add("sg_ids", (obj.uuid, json.dumps(obj.fq_name), sg_id))

    def on_znode(self, node: ZNode, place: ZkPlace, ctx: AuditContext) -> None:
        if is_intermediate(node):
            return
        data = data_text(node.data)
        tree, parts = place.tree, place.parts
        if tree == FQ_NAME_TO_UUID:
            if not data:
                return  # a level makepath created for a name holding '/', left empty
            lock_type, sep, lock_name = "/".join(parts).partition(":")
            if not sep or not lock_name:
                ctx.emit(FQ_LOCK_MALFORMED, f"node {'/'.join(parts)!r} holds {data[:40]!r}", path=node.path)
            else:
                ctx.facts.add("zk_fq", (node.path, lock_type, lock_name, data))
            return
        if tree not in (VN_ID, SG_ID, AE_ID, TAGS, VPG_ID, SUB_CLUSTER_ID):
            return
        index = allocator_index(parts[-1])
        if index is None:
            if not data and tree in (AE_ID, TAGS):
                return  # a per-router / per-tag-type folder (or a level of its name) with no id left
            ctx.emit(ID_LOCK_MALFORMED, f"{parts[-1]!r} under {place.root} is not an allocator index", path=node.path)
            return
        if tree == VN_ID and len(parts) == 1:
            ctx.facts.add("zk_vn", (node.path, index, data))
        elif tree == SG_ID and len(parts) == 1:
            ctx.facts.add("zk_sg", (node.path, index, data))
        elif tree == AE_ID and len(parts) >= 2:
            ctx.facts.add("zk_ae", (node.path, "/".join(parts[:-1]), index, data))
        elif tree == TAGS and parts[0] in ("types", "typesUD") and len(parts) == 2:
            ctx.facts.add("zk_owned", (node.path, "tag_type", data))
        elif tree == TAGS and parts[0] == "values" and len(parts) >= 3:
            ctx.facts.add("zk_owned", (node.path, "tag", data))
        elif tree in _OWNED_TREES and len(parts) == 1:
            ctx.facts.add("zk_owned", (node.path, _OWNED_TREES[tree], data))
        else:
            ctx.emit(ID_LOCK_MALFORMED, f"unexpected depth under {place.root}", path=node.path)

    # ------------------------------------------------------------------ cross checks
    def finish(self, ctx: AuditContext) -> None:
        self._duplicates(ctx)
        if not ctx.has_zookeeper:
            ctx.skipped("ZooKeeper checks (fq-name locks, VN/SG/AE/tag ids)", "the source holds no znodes")
            return
        self._fq_locks(ctx)
        self._vn_locks(ctx)
        self._sg_locks(ctx)
        self._ae_locks(ctx)
        self._owned_locks(ctx)

    def _duplicates(self, ctx: AuditContext) -> None:
        for table, declared, low in (("vn_ids", VN_ID_DUPLICATE, None), ("sg_ids", SG_ID_DUPLICATE, SG_ID_BASE)):
            where = f"WHERE id >= {low}" if low else ""
            for value, uuids in ctx.facts.query(
                    f"SELECT id, GROUP_CONCAT(uuid) FROM (SELECT DISTINCT id, uuid FROM {table} {where}) "
                    f"GROUP BY id HAVING COUNT(*) > 1"):
                members = uuids.split(",")
                for uuid in members:
                    ctx.emit(declared, f"id {value} is also used by {', '.join(u for u in members if u != uuid)}",
                             uuid=uuid)

    def _fq_locks(self, ctx: AuditContext) -> None:
        owner_sql = ("(SELECT x.uuid FROM objects x WHERE x.live = 1 AND x.type = z.lock_type "
                     "AND x.fq_str = z.lock_name UNION ALL SELECT a.uuid FROM fq_zk_alias a "
                     "WHERE a.type = z.lock_type AND a.zk_name = z.lock_name LIMIT 1)")
        rows = ctx.facts.query(
            f"SELECT z.path, z.lock_type, z.lock_name, z.data, o.uuid IS NOT NULL, o.type, o.fq_str, "
            f"(SELECT a.zk_name FROM fq_zk_alias a WHERE a.uuid = o.uuid LIMIT 1), {owner_sql} "
            f"FROM zk_fq z LEFT JOIN objects o ON o.uuid = z.data AND o.live = 1")
        for path, lock_type, lock_name, data, exists, obj_type, fq_str, zk_name, owner in rows:
            named = f"; the name belongs to {owner}" if owner and owner != data else ""
            if not exists:
                ctx.emit(FQ_LOCK_DANGLING, f"{lock_type}:{lock_name} -> {data}: no such object{named}",
                         path=path, uuid=owner or None, type=lock_type if owner else None)
            elif obj_type != lock_type or lock_name not in (fq_str, zk_name):
                ctx.emit(FQ_LOCK_MISMATCH, f"{lock_type}:{lock_name} -> {data}, which is {obj_type} {fq_str}{named}",
                         path=path, uuid=data)

    def _vn_locks(self, ctx: AuditContext) -> None:
        root = self._root(ctx, "zk_vn")
        for uuid, fq_str, vn_id, path, data in ctx.facts.query(
                "SELECT v.uuid, v.fq_str, v.id, z.path, z.data FROM vn_ids v "
                "LEFT JOIN zk_vn z ON z.idx = v.id - 1"):
            if path is None:
                ctx.emit(VN_ID_LOCK_MISSING, f"id {vn_id}: no lock {root or '/id/virtual-networks'}/{vn_id - 1:010d}",
                         uuid=uuid)
            elif data != fq_str:
                ctx.emit(VN_ID_LOCK_MISSING, f"id {vn_id}: the lock holds {data!r}, not {fq_str!r}", uuid=uuid,
                         path=path)
        for path, index, data in ctx.facts.query(
                "SELECT z.path, z.idx, z.data FROM zk_vn z WHERE NOT EXISTS "
                "(SELECT 1 FROM vn_ids v WHERE v.id = z.idx + 1 AND v.fq_str = z.data)"):
            if data.endswith(VXLAN_SUFFIX):
                if self._vxlan_owner_exists(ctx, data[: -len(VXLAN_SUFFIX)]):
                    continue
                ctx.emit(VN_ID_LOCK_EXTRA, f"VxLAN reservation {index + 1} for {data!r}: that VN or LR does not exist",
                         path=path)
                continue
            holder = ctx.facts.scalar("SELECT uuid FROM vn_ids WHERE fq_str = ? LIMIT 1", (data,))
            why = f"VN {data} has another id" if holder else f"no VN named {data!r}"
            ctx.emit(VN_ID_LOCK_EXTRA, f"id {index + 1}: {why}", path=path, uuid=holder)

    @staticmethod
    def _vxlan_owner_exists(ctx: AuditContext, owner: str) -> bool:
        """``<VN fq_name>`` (VN VxLAN id) or ``<project fq_name>:<LR uuid>`` (LR VxLAN id)."""
        if ctx.facts.scalar("SELECT 1 FROM objects WHERE live = 1 AND type = 'virtual_network' AND fq_str = ?",
                            (owner,)):
            return True
        lr_uuid = owner.rpartition(":")[2]
        return bool(ctx.facts.scalar("SELECT 1 FROM objects WHERE live = 1 AND type = 'logical_router' AND uuid = ?",
                                     (lr_uuid,)))

    def _sg_locks(self, ctx: AuditContext) -> None:
        if not ctx.facts.scalar("SELECT COUNT(*) FROM zk_sg") and not ctx.facts.scalar(
                "SELECT COUNT(*) FROM sg_ids WHERE id >= ?", (SG_ID_BASE,)):
            return
        reserved = ctx.facts.query("SELECT path, data FROM zk_sg WHERE idx = 0").fetchone()
        if reserved is None or reserved[1] != SG_RESERVED:
            ctx.emit(SG_RESERVED_MISSING, "index 0 holds " + (repr(reserved[1]) if reserved else "nothing"),
                     path=reserved[0] if reserved else None)
        for uuid, fq, sg_id, path, data in ctx.facts.query(
                "SELECT s.uuid, s.fq, s.id, z.path, z.data FROM sg_ids s LEFT JOIN zk_sg z ON z.idx = s.id - ? "
                "WHERE s.id >= ?", (SG_ID_BASE, SG_ID_BASE)):
            names = sg_lock_names(json.loads(fq))
            if path is None:
                ctx.emit(SG_ID_LOCK_MISSING, f"id {sg_id}: no lock for index {sg_id - SG_ID_BASE:010d}", uuid=uuid)
            elif data not in names:
                ctx.emit(SG_ID_LOCK_MISSING, f"id {sg_id}: the lock holds {data!r}, not {':'.join(json.loads(fq))!r}",
                         uuid=uuid, path=path)
        for path, index, data in ctx.facts.query("SELECT path, idx, data FROM zk_sg WHERE idx > 0"):
            owners = [json.loads(fq) for (fq,) in ctx.facts.query("SELECT fq FROM sg_ids WHERE id = ?",
                                                                  (index + SG_ID_BASE,))]
            if not any(data in sg_lock_names(fq) for fq in owners):
                ctx.emit(SG_ID_LOCK_EXTRA, f"id {index + SG_ID_BASE} locked for {data!r}, no such SG holds it",
                         path=path)

    def _ae_locks(self, ctx: AuditContext) -> None:
        ctx.facts.db.execute("CREATE TEMP TABLE ae_used (router TEXT, router_zk TEXT, ae INTEGER, vpg TEXT)")
        for router, router_zk, name in ctx.facts.query("SELECT router, router_zk, name FROM phys_ifs").fetchall():
            match = AE_NAME.match(name)
            if match and int(match[1]) < AE_MAX:
                ctx.facts.db.execute("INSERT INTO ae_used VALUES (?, ?, ?, NULL)", (router, router_zk, int(match[1])))
        ctx.facts.db.execute("INSERT INTO ae_used SELECT p.router, p.router_zk, v.ae, v.vpg FROM vpg_ae v "
                             "JOIN phys_ifs p ON p.uuid = v.pi")
        for path, router, index, data in ctx.facts.query(
                "SELECT z.path, z.router, z.idx, z.data FROM zk_ae z WHERE NOT EXISTS "
                "(SELECT 1 FROM ae_used u WHERE u.router_zk = z.router AND u.ae = z.idx)"):
            ctx.emit(AE_LOCK_UNUSED, f"ae{index} on {router} locked for VPG {data!r}; no interface uses it", path=path)
        if not ctx.facts.scalar("SELECT COUNT(*) FROM zk_ae"):
            return  # releases before R2005 keep AE ids elsewhere: absence of the tree is not a finding
        for router, ae, vpg in ctx.facts.query(
                "SELECT DISTINCT u.router, u.ae, u.vpg FROM ae_used u WHERE u.vpg IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM zk_ae z WHERE z.router = u.router_zk AND z.idx = u.ae)"):
            ctx.emit(AE_LOCK_MISSING, f"ae{ae} on {router} is used by this VPG but not locked", uuid=vpg)

    def _owned_locks(self, ctx: AuditContext) -> None:
        for path, owner_type, data in ctx.facts.query(
                "SELECT z.path, z.owner_type, z.data FROM zk_owned z WHERE NOT EXISTS "
                "(SELECT 1 FROM objects o WHERE o.live = 1 AND o.type = z.owner_type AND o.fq_str = z.data)"):
            ctx.emit(ID_LOCK_OWNER_MISSING, f"locked for {owner_type} {data!r}, which does not exist", path=path)

    @staticmethod
    def _root(ctx: AuditContext, table: str) -> str | None:
        path = ctx.facts.scalar(f"SELECT path FROM {table} LIMIT 1")
        return path.rsplit("/", 1)[0] if path else None
