"""Route targets across their three stores and their links (I9).

From db_manage: check_route_targets_id (ZooKeeper locks vs the schema transformer's
route_target_table vs the route_target objects, malformed names, user RTs in the system range),
check_route_targets_routing_instance_backrefs (which RIs / LR link a system RT) and the RTs that
clean_stale_route_target would delete. Differences from upstream, to avoid its false
positives: an RT object matches its lock when *any* of its RI/LR owners is the lock's owner
(upstream takes the last RI back-ref, so RTs shared with service-chain RIs look stale), RIs that
only import the RT are not "extra", and a duplicate number in the schema table is reported
(upstream declares that error but never raises it).
"""

from __future__ import annotations

import json
import re

from ..model.cells import Cell, TableRef
from ..model.objects import TfObject
from ..model.zk import ZNode, data_text
from .base import AuditContext, Family
from .findings import ERROR, INFO, WARNING, check
from .zkpaths import RT_ID, ZkPlace, allocator_index, is_intermediate

ROUTE_TARGET_TABLE = TableRef("to_bgp_keyspace", "route_target_table")
RT_NAME = re.compile(r"^target:(\d+|\d+\.\d+\.\d+\.\d+):(\d+)$")
RT_LIST_PROPS = ("route_target_list", "import_route_target_list", "export_route_target_list",
                 "configured_route_target_list")
SERVICE_CHAIN_PROPS = ("service_chain_information", "ipv6_service_chain_information")
OWNER_TYPES = ("routing_instance", "logical_router")


def system_rt_minimum(asn: int) -> int:
    """Auto-allocated RT numbers start at 8 000 000 for a 2-byte ASN, 8 000 for a 4-byte one."""
    return 8_000 if asn > 0xFFFF else 8_000_000


def lock_tree(asn: int) -> str:
    return "type1_2" if asn > 0xFFFF else "type0"


MALFORMED = check(
    "rt.malformed", ERROR, "route target name is not target:<asn>:<number>",
    "fix or remove the entry (db_manage clean_stale_route_target_id removes it)")
USER_IN_SYSTEM_RANGE = check(
    "rt.user_in_system_range", ERROR, "configured route target inside the auto-allocated range of the global ASN",
    "pick a number below the system minimum; this one can collide with an allocated RT")
OUT_OF_RANGE = check(
    "rt.id_out_of_range", ERROR, "allocated RT number below the system minimum",
    "delete the lock / schema-table row and let the schema transformer re-allocate")
SCHEMA_DB_NOT_IN_ZK = check(
    "rt.schema_db_not_in_zk", ERROR, "route_target_table number with no matching ZooKeeper lock",
    "delete the route_target_table row (db_manage clean_stale_route_target_id); the schema transformer "
    "re-allocates")
OBJECT_NOT_IN_ZK = check(
    "rt.object_not_in_zk", ERROR, "system route target with no ZooKeeper lock for any of its owners",
    "restore the lock, or delete the RT object with its refs (db_manage clean_stale_route_target_id)")
OBJECT_MISSING = check(
    "rt.object_missing", WARNING, "allocated RT (lock and schema table agree) without its route_target object",
    "restart the schema transformer so that it re-creates the object")
ZK_LOCK_UNUSED = check(
    "rt.zk_lock_unused", WARNING, "RT lock used neither by the schema table nor by an RT object",
    "delete the znode (db_manage clean_stale_route_target_id)")
DUPLICATE_NUMBER = check(
    "rt.duplicate_number", ERROR, "one RT number assigned to several owners in route_target_table",
    "keep the owner named by the ZooKeeper lock; delete the other rows")
LEGACY_LOCK_PATH = check(
    "rt.legacy_lock_path", INFO, "RT locks still under the pre-R1909 path /id/bgp/route-targets/<n>",
    "the R1909+ schema transformer moves them at start-up; db_manage does not read them")
MULTIPLE_LR = check(
    "rt.multiple_lr", ERROR, "system RT linked to more than one logical router",
    "keep the LR named by the ZooKeeper lock; remove the others' links")
LR_OWNER_MISMATCH = check(
    "rt.lr_owner_mismatch", ERROR, "system RT's logical router is not the lock's owner",
    "relink the RT to the LR named in the lock, or re-allocate")
BACKREF_MISSING = check(
    "rt.backref_missing", ERROR, "routing instance that must carry this system RT is not linked to it",
    "add the RI<->RT link (ref on the RI, backref on the RT; db_manage heal_lr_vmi_ri_rt_refs for LR cases)")
BACKREF_EXTRA = check(
    "rt.backref_extra", WARNING, "routing instance linked to a system RT it neither owns nor imports",
    "remove the RI<->RT link (db_manage clean_route_targets_routing_instance_backrefs)")
LOCK_OWNER_MISSING = check(
    "rt.lock_owner_missing", WARNING, "RT lock names a routing instance / logical router that does not exist",
    "delete the lock and its schema-table row once nothing uses the RT")
UNUSED_SYSTEM = check(
    "rt.unused", WARNING, "system route target no routing instance or logical router uses",
    "delete it with its lock (db_manage clean_stale_route_target)")
UNLINKED_USER = check(
    "rt.unlinked_user_rt", INFO, "user route target no routing instance or logical router uses yet",
    "nothing, unless it is a leftover (db_manage clean_stale_route_target would delete it)")


def parse_rt(name: str) -> tuple[str, int] | None:
    match = RT_NAME.match(name)
    return (match[1], int(match[2])) if match else None


class RouteTargetChecks(Family):
    prefixes = ("rt",)
    tables = frozenset({ROUTE_TARGET_TABLE})

    def __init__(self) -> None:
        self.asn: int | None = None

    def setup(self, ctx: AuditContext) -> None:
        define = ctx.facts.define
        define("rt_objects", "uuid TEXT, name TEXT", indexes=["name"])
        define("rt_lists", "uuid TEXT, prop TEXT, value TEXT")
        define("ri_rt", "ri TEXT, rt TEXT, import_export TEXT", indexes=["rt"])
        define("ri_service_chain", "uuid TEXT", indexes=["uuid"])
        define("rt_schema_db", "owner TEXT, num TEXT")
        define("zk_rt", "path TEXT, tree TEXT, num INTEGER, data TEXT", indexes=["num"])

    # ------------------------------------------------------------------ scan
    def on_object(self, obj: TfObject, ctx: AuditContext) -> None:
        if obj.type is None or obj.fq_name is None:  # not live (TfObject.is_live)
            return
        add = ctx.facts.add
        if obj.type == "global_system_config" and obj.fq_name == ["default-global-system-config"]:
            asn = obj.props.get("autonomous_system")
            self.asn = asn if isinstance(asn, int) and not isinstance(asn, bool) else None
        elif obj.type == "route_target":
            add("rt_objects", (obj.uuid, obj.fq_name[-1]))
        elif obj.type in ("virtual_network", "logical_router"):
            for prop in RT_LIST_PROPS:
                value = obj.props.get(prop)
                for entry in (value.get("route_target") or []) if isinstance(value, dict) else []:
                    add("rt_lists", (obj.uuid, prop, entry if isinstance(entry, str) else json.dumps(entry)))
        elif obj.type == "routing_instance":
            for (ref_type, ref_uuid), value in obj.refs.items():
                if ref_type == "route_target":
                    attr = value.get("attr") if isinstance(value, dict) else None
                    direction = attr.get("import_export") if isinstance(attr, dict) else None
                    add("ri_rt", (obj.uuid, ref_uuid, direction))
            if any(obj.props.get(prop) for prop in SERVICE_CHAIN_PROPS):
                add("ri_service_chain", (obj.uuid,))

    def on_cell(self, table: TableRef, cell: Cell, ctx: AuditContext) -> None:
        if cell.column == "rtgt_num":
            ctx.facts.add("rt_schema_db", (cell.key, cell.value))

    def on_znode(self, node: ZNode, place: ZkPlace, ctx: AuditContext) -> None:
        if place.tree != RT_ID or is_intermediate(node):
            return
        parts = place.parts
        tree = parts[0] if len(parts) == 2 else "legacy" if len(parts) == 1 else None
        number = allocator_index(parts[-1])
        if tree is not None and number is not None:
            ctx.facts.add("zk_rt", (node.path, tree, number, data_text(node.data)))

    # ------------------------------------------------------------------ cross checks
    def finish(self, ctx: AuditContext) -> None:
        self._names(ctx)
        if self.asn is None:
            ctx.skipped("route-target id checks", "no autonomous_system on default-global-system-config")
            self._unused(ctx, None)
            return
        minimum = system_rt_minimum(self.asn)
        self._lists(ctx, minimum)
        self._owners_table(ctx)
        self._unused(ctx, minimum)
        has_schema_db = ctx.has_table(ROUTE_TARGET_TABLE)
        if has_schema_db:
            self._schema_db(ctx, minimum)
        if not ctx.has_zookeeper:
            ctx.skipped("route-target lock checks", "the source holds no znodes")
            return
        tree = lock_tree(self.asn)
        legacy = ctx.facts.scalar("SELECT COUNT(*) FROM zk_rt WHERE tree = 'legacy'")
        if legacy:
            example = ctx.facts.scalar("SELECT path FROM zk_rt WHERE tree = 'legacy' LIMIT 1")
            ctx.emit(LEGACY_LOCK_PATH, f"{legacy} lock(s) under the old flat path", path=example.rsplit("/", 1)[0])
        for path, number in ctx.facts.query("SELECT path, num FROM zk_rt WHERE tree = ? AND num < ?",
                                                 (tree, minimum)):
            ctx.emit(OUT_OF_RANGE, f"lock {number} is below {minimum}", path=path)
        self._objects_vs_locks(ctx, tree, minimum)
        self._locks_vs_users(ctx, tree, has_schema_db)
        if has_schema_db:
            for owner, number in ctx.facts.query(
                    "SELECT s.owner, s.num FROM rt_schema_db s WHERE NOT EXISTS (SELECT 1 FROM zk_rt z "
                    "WHERE z.tree = ? AND z.num = CAST(s.num AS INTEGER) AND z.data = s.owner)", (tree,)):
                ctx.emit(SCHEMA_DB_NOT_IN_ZK, f"{owner} -> {number}: no such lock",
                         path=f"{ROUTE_TARGET_TABLE}/{owner}/rtgt_num")

    def _names(self, ctx: AuditContext) -> None:
        for uuid, name in ctx.facts.query("SELECT uuid, name FROM rt_objects"):
            if parse_rt(name) is None:
                ctx.emit(MALFORMED, f"route_target object named {name!r}", uuid=uuid)

    def _lists(self, ctx: AuditContext, minimum: int) -> None:
        for uuid, prop, value in ctx.facts.query("SELECT uuid, prop, value FROM rt_lists"):
            parsed = parse_rt(value)
            if parsed is None:
                ctx.emit(MALFORMED, f"{prop} holds {value!r}", uuid=uuid)
            elif parsed[0] == str(self.asn) and parsed[1] >= minimum:
                ctx.emit(USER_IN_SYSTEM_RANGE, f"{prop} holds {value} (system range starts at {minimum})", uuid=uuid)

    def _owners_table(self, ctx: AuditContext) -> None:
        """rt_owner: every live RI / LR linked to an RT, by its ref or by the RT's backref."""
        ctx.facts.db.executescript(
            "CREATE TEMP TABLE rt_owner AS "
            "SELECT DISTINCT l.dst AS rt, s.uuid AS owner, s.type AS type, s.fq_str AS fq_str, s.fq AS fq FROM links l "
            "JOIN objects s ON s.uuid = l.src AND s.live = 1 AND s.type IN ('routing_instance', 'logical_router') "
            "WHERE l.kind = 'ref' AND l.dst_type = 'route_target' "
            "UNION SELECT l.src, s.uuid, s.type, s.fq_str, s.fq FROM links l "
            "JOIN objects s ON s.uuid = l.dst AND s.live = 1 AND s.type IN ('routing_instance', 'logical_router') "
            "WHERE l.kind = 'backref' AND l.dst_type IN ('routing_instance', 'logical_router');"
            "CREATE INDEX temp.rt_owner_rt ON rt_owner (rt);")

    def _system_rts(self, ctx: AuditContext, minimum: int):
        """(uuid, name, number) of the route_target objects the schema transformer allocated."""
        for uuid, name in ctx.facts.query("SELECT uuid, name FROM rt_objects"):
            parsed = parse_rt(name)
            if parsed and parsed[0] == str(self.asn) and parsed[1] >= minimum:
                yield uuid, name, parsed[1]

    def _unused(self, ctx: AuditContext, minimum: int | None) -> None:
        rows = ctx.facts.query(
            "SELECT r.uuid, r.name FROM rt_objects r WHERE NOT EXISTS (SELECT 1 FROM links l JOIN objects s "
            "ON s.uuid = l.src AND s.live = 1 WHERE l.kind = 'ref' AND l.dst = r.uuid) AND NOT EXISTS "
            "(SELECT 1 FROM links l JOIN objects t ON t.uuid = l.dst AND t.live = 1 "
            "WHERE l.src = r.uuid AND l.kind = 'backref')")
        for uuid, name in list(rows):
            parsed = parse_rt(name)
            system = minimum is not None and parsed and parsed[0] == str(self.asn) and parsed[1] >= minimum
            ctx.emit(UNUSED_SYSTEM if system else UNLINKED_USER, f"{name}: no live RI or LR links it", uuid=uuid)

    def _schema_db(self, ctx: AuditContext, minimum: int) -> None:
        for owner, number in ctx.facts.query("SELECT owner, num FROM rt_schema_db"):
            if not number.strip().isdigit():
                ctx.emit(OUT_OF_RANGE, f"{owner} -> {number!r} is not a number",
                         path=f"{ROUTE_TARGET_TABLE}/{owner}/rtgt_num")
            elif int(number) < minimum:
                ctx.emit(OUT_OF_RANGE, f"{owner} -> {number} is below {minimum}",
                         path=f"{ROUTE_TARGET_TABLE}/{owner}/rtgt_num")
        for number, owners in ctx.facts.query(
                "SELECT CAST(num AS INTEGER), GROUP_CONCAT(owner, ' | ') FROM rt_schema_db "
                "GROUP BY CAST(num AS INTEGER) HAVING COUNT(DISTINCT owner) > 1"):
            ctx.emit(DUPLICATE_NUMBER, f"{number} is assigned to {owners}", path=f"{ROUTE_TARGET_TABLE}")

    def _objects_vs_locks(self, ctx: AuditContext, tree: str, minimum: int) -> None:
        for uuid, name, number in self._system_rts(ctx, minimum):
            owners = ctx.facts.query("SELECT owner, type, fq_str, fq FROM rt_owner WHERE rt = ?", (uuid,)).fetchall()
            lock = ctx.facts.query("SELECT path, data FROM zk_rt WHERE tree = ? AND num = ?", (tree, number)).fetchone()
            if not owners:
                continue  # reported as rt.unused
            if lock is None:
                ctx.emit(OBJECT_NOT_IN_ZK, f"{name}: no lock {number:010d} under type {tree}", uuid=uuid)
                continue
            path, lock_owner = lock
            if lock_owner not in {fq_str for _, _, fq_str, _ in owners}:
                ctx.emit(OBJECT_NOT_IN_ZK, f"{name}: the lock holds {lock_owner!r}, none of its "
                         f"{len(owners)} RI/LR owners", uuid=uuid, path=path)
            self._links_of_system_rt(ctx, uuid, name, lock_owner, path, owners)

    def _links_of_system_rt(self, ctx: AuditContext, uuid: str, name: str, lock_owner: str, path: str,
                            owners: list[tuple]) -> None:
        """db_manage check_route_targets_routing_instance_backrefs, for one system RT."""
        routers = [o for o in owners if o[1] == "logical_router"]
        instances = {o[0]: o for o in owners if o[1] == "routing_instance"}
        if len(routers) > 1:
            ctx.emit(MULTIPLE_LR, f"{name} is linked to {len(routers)} logical routers: "
                     f"{', '.join(o[2] for o in routers)}", uuid=uuid)
            return
        expected: dict[str, str] = {}  # RI uuid -> why it must link this RT
        if routers:
            router_uuid, _, router_name, _ = routers[0]
            if router_name != lock_owner:
                ctx.emit(LR_OWNER_MISMATCH, f"{name} belongs to LR {router_name}, the lock says {lock_owner!r}",
                         uuid=uuid, path=path)
            for ri, why in self._lr_instances(ctx, router_uuid):
                expected[ri] = why
            owner_fq = None
        else:
            owner = ctx.facts.query("SELECT uuid, fq FROM objects WHERE live = 1 AND type IN "
                                    "('routing_instance', 'logical_router') AND fq_str = ? LIMIT 1",
                                    (lock_owner,)).fetchone()
            if owner is None:
                ctx.emit(LOCK_OWNER_MISSING, f"{name}: the lock names {lock_owner!r}, no such RI or LR", uuid=uuid,
                         path=path)
                return
            expected[owner[0]] = "owner named by the lock"
            owner_fq = json.loads(owner[1])
        for ri, why in expected.items():
            if ri not in instances:
                ri_name = ":".join(ctx.identity(ri)[1] or [])
                ctx.emit(BACKREF_MISSING, f"{name}: routing instance {ri_name} ({ri}, {why}) is not linked", uuid=uuid)
        for ri, (_, _, ri_name, ri_fq) in instances.items():
            if ri in expected or self._tolerated_instance(ctx, ri, uuid, json.loads(ri_fq), owner_fq):
                continue
            ctx.emit(BACKREF_EXTRA, f"{name}: routing instance {ri_name} ({ri}) is linked but not "
                     f"{'the lock owner' if owner_fq else 'an RI of the LR'}", uuid=uuid)

    @staticmethod
    def _lr_instances(ctx: AuditContext, router: str):
        """RIs an LR's RT must reach: its interfaces' RIs, and the left RI of each SNAT service instance."""
        for (ri,) in ctx.facts.query(
                "SELECT DISTINCT r.dst FROM links v JOIN links r ON r.src = v.dst AND r.kind = 'ref' "
                "AND r.dst_type = 'routing_instance' WHERE v.src = ? AND v.kind = 'ref' "
                "AND v.dst_type = 'virtual_machine_interface'", (router,)):
            yield ri, "RI of an LR interface"
        for (fq,) in ctx.facts.query(
                "SELECT s.fq FROM links l JOIN objects s ON s.uuid = l.dst AND s.live = 1 WHERE l.src = ? "
                "AND l.kind = 'ref' AND l.dst_type = 'service_instance'", (router,)):
            si_fq = json.loads(fq)
            left = f"snat-si-left_{si_fq[-1]}"
            snat = json.dumps(si_fq[:-1] + [left, left], ensure_ascii=False, separators=(",", ":"))
            ri = ctx.facts.scalar("SELECT uuid FROM objects WHERE live = 1 AND type = 'routing_instance' AND fq = ?",
                                  (snat,))
            if ri:
                yield ri, "SNAT left RI"

    @staticmethod
    def _tolerated_instance(ctx: AuditContext, ri: str, rt: str, ri_fq: list[str], owner_fq: list[str] | None) -> bool:
        """RIs that legitimately link someone else's RT: import-only links, and service-chain RIs of the
        owner's network (name starts with 'service-')."""
        direction = ctx.facts.scalar("SELECT import_export FROM ri_rt WHERE ri = ? AND rt = ?", (ri, rt))
        if direction == "import":
            return True
        if owner_fq is None:
            return False
        service_chain = ctx.facts.scalar("SELECT 1 FROM ri_service_chain WHERE uuid = ?", (ri,))
        return bool(service_chain) and ri_fq[-1].startswith("service-") and ri_fq[:-1] == owner_fq[:-1]

    def _locks_vs_users(self, ctx: AuditContext, tree: str, has_schema_db: bool) -> None:
        asn = str(self.asn)
        for path, number, owner in ctx.facts.query("SELECT path, num, data FROM zk_rt WHERE tree = ?", (tree,)):
            name = f"target:{asn}:{number}"
            in_objects = ctx.facts.scalar(
                "SELECT 1 FROM rt_objects r JOIN rt_owner o ON o.rt = r.uuid WHERE r.name = ? AND o.fq_str = ?",
                (name, owner))
            in_schema_db = has_schema_db and ctx.facts.scalar(
                "SELECT 1 FROM rt_schema_db WHERE owner = ? AND CAST(num AS INTEGER) = ?", (owner, number))
            if in_objects:
                continue
            if in_schema_db:
                if not ctx.facts.scalar("SELECT 1 FROM rt_objects WHERE name = ?", (name,)):
                    ctx.emit(OBJECT_MISSING, f"{name} allocated to {owner!r} but no such route_target object",
                             path=path)
                continue
            ctx.emit(ZK_LOCK_UNUSED, f"{number} locked for {owner!r}: no RT object of that owner"
                     + (", no route_target_table row" if has_schema_db else ""), path=path)
