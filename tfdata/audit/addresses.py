"""Subnets and IP addresses: the useragent subnet map and the ZooKeeper address locks (I9, I10).

From db_manage: check_subnet_uuid, check_subnet_addr_alloc and the instance IPs
clean_stale_instance_ip deletes. Differences from upstream, to avoid its false positives and
crashes: only UUID-shaped useragent keys count as subnet entries (the Neutron plugin keeps other
keys there), a lock index is the address divided by the subnet's alloc_unit, a lock held by
another object is one finding (not an extra plus a missing), secondary and local instance IPs
may share an address, and a VN referencing a missing IPAM is a finding, not a crash.

Lock paths are ``/api-server/subnets/<owner fq_name str>:<prefix>/<len>/<%010d index>``
(vnc_addr_mgmt.py names the allocator ``'%s:%s' % (fq_name_str, '<prefix>/<len>')``, vnc_db.py
``create_subnet_allocator`` puts it under the subnet path, nothing quoted). The owner may hold
':' and '/' (more levels), an IPv6 prefix holds ':', so a path is read from the right: index and
length are the last segments, the address the longest ':'-suffix of what remains that parses as
one, the owner the rest; when several readings are possible the configured subnets decide.
Subnet keys compare in zk_form, the shape kazoo gives the path. Empty folders that are not
``<owner>:<prefix>/<len>`` are levels of an owner name holding '/' (or what TF's deletes leave of
them: it removes ``<owner>:<prefix>`` recursively, not the parents makepath created): no finding.
"""

from __future__ import annotations

import ipaddress
import json
import re
from functools import lru_cache

from ..model.cells import Cell, TableRef
from ..model.objects import TfObject
from ..model.zk import ZNode, data_text
from .base import AuditContext, Family
from .findings import ERROR, WARNING, check
from .zkpaths import SUBNETS, ZkPlace, is_intermediate, is_number, zk_form

USERAGENT_TABLE = TableRef("useragent", "useragent_keyval_table")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
REVERSE_KEY = re.compile(r"^\S+ \S+/\S+$")  # "<vn uuid> <prefix>/<len>", written before 3.2
IP_TYPES = {"instance_ip": "instance_ip_address", "floating_ip": "floating_ip_address",
            "alias_ip": "alias_ip_address"}
POOL_PARENTS = {"floating_ip": "floating_ip_pool", "alias_ip": "alias_ip_pool"}

SUBNET_UUID_MISSING = check(
    "subnet.uuid_missing", ERROR, "VN subnet (on its IPAM ref) without a subnet_uuid",
    "re-save the VN through the API (its resync fills subnet uuids), then heal the useragent map")
UUID_MAP_MISSING = check(
    "subnet.uuid_map_missing", ERROR, "configured subnet uuid absent from the useragent subnet map (I10)",
    "add useragent row <subnet uuid> = '<vn uuid> <prefix>/<len>' (db_manage heal_subnet_uuid); "
    "Neutron subnet lookups fail without it")
UUID_MAP_EXTRA = check(
    "subnet.uuid_map_extra", WARNING, "useragent subnet entry no VN subnet has (I10)",
    "delete the useragent row (db_manage clean_stale_subnet_uuid)")
UUID_MAP_VALUE = check(
    "subnet.uuid_map_value_mismatch", WARNING, "useragent subnet entry names another VN or prefix than the config",
    "rewrite the value as '<vn uuid> <prefix>/<len>'")
REVERSE_KEY_DANGLING = check(
    "subnet.reverse_key_dangling", WARNING, "legacy reverse key '<vn> <cidr>' whose subnet row is gone",
    "delete the useragent row (db_manage clean_stale_subnet_uuid)")
IPAM_MISSING = check(
    "subnet.ipam_missing", ERROR, "VN references an IPAM that does not exist (db_manage crashes on it)",
    "remove the ref or restore the IPAM")
ADDRESS_MISSING = check(
    "ip.address_missing", ERROR, "instance/floating/alias IP without an address",
    "delete the IP object or set its address from the ZooKeeper lock that names it")
ADDRESS_INVALID = check(
    "ip.address_invalid", ERROR, "IP object address is not an IP address",
    "delete the IP object or rewrite its address")
NETWORK_MISSING = check(
    "ip.network_missing", ERROR, "IP object whose virtual network is missing",
    "delete the IP object (and its lock) or restore the network")
SUBNET_MISSING = check(
    "ip.subnet_missing", ERROR, "address inside none of its network's subnets",
    "delete the IP object or move it to an address of a configured subnet")
ADDRESS_DUPLICATE = check(
    "ip.address_duplicate", ERROR, "one address on several IP objects of one subnet",
    "keep the object the lock names; give the others new addresses (no automatic fix upstream)")
LOCK_MISSING = check(
    "ip.lock_missing", ERROR, "address not locked in /api-server/subnets: the allocator can hand it out again",
    "create the lock with the IP object's uuid (db_manage heal_subnet_addr_alloc)")
LOCK_OWNER_MISMATCH = check(
    "ip.lock_owner_mismatch", ERROR, "address locked for another object",
    "set the lock's data to the uuid of the object holding the address, or re-address one of them")
LOCK_EXTRA = check(
    "ip.lock_extra", WARNING, "address lock no IP object holds (leaked address)",
    "delete the znode (db_manage clean_subnet_addr_alloc)")
SUBNET_LOCK_MISSING = check(
    "ip.subnet_lock_missing", ERROR, "subnet with addresses in use but no /api-server/subnets node",
    "create the subnet's locks for every address in use (db_manage heal_subnet_addr_alloc)")
SUBNET_LOCK_EXTRA = check(
    "ip.subnet_lock_extra", WARNING, "/api-server/subnets node for a subnet no network has",
    "delete the znode tree (db_manage clean_subnet_addr_alloc)")
LOCK_PATH_INVALID = check(
    "ip.lock_path_invalid", WARNING, "node under /api-server/subnets that is not <owner>:<prefix>/<len>/<index>",
    "delete the znode (db_manage clean_subnet_addr_alloc)")
STALE_INSTANCE_IP = check(
    "ip.stale_instance_ip", WARNING, "instance IP with neither a live VMI nor a live VN",
    "delete it and free its lock (db_manage clean_stale_instance_ip, then clean_subnet_addr_alloc)")


def subnet_key(owner: str, prefix: str, plen: int | str) -> str | None:
    """Canonical '<owner fq_name>:<network address>/<len>' as it reads in a lock path (zk_form,
    addresses normalised)."""
    try:
        network = ipaddress.ip_network(f"{prefix}/{int(plen)}", strict=False)
    except (ValueError, TypeError):
        return None
    return f"{zk_form(f'{owner}:{network.network_address}')}/{network.prefixlen}"


def split_subnet_node(name: str) -> list[tuple[str, str]]:
    """Every (owner, address) reading of '<owner fq_name str>:<address>', longest address first.
    The address is after the last '/' (it never holds one); the owner may hold ':' and '/'."""
    readings = []
    pos = name.find(":", name.rfind("/") + 1)
    while pos != -1:
        address = name[pos + 1:]
        try:
            ipaddress.ip_address(address)
        except ValueError:
            pass
        else:
            readings.append((name[:pos], address))
        pos = name.find(":", pos + 1)
    return readings


@lru_cache(maxsize=4096)
def subnet_readings(name: str, plen: str) -> tuple[str, ...]:
    """Distinct subnet keys the node '<name>/<plen>' can stand for; the first is the default.
    They differ only when the address is not written in canonical form."""
    keys: list[str] = []
    for owner, address in split_subnet_node(name):
        key = subnet_key(owner, address, plen)
        if key is not None and key not in keys:
            keys.append(key)
    return tuple(keys)


def read_subnet_path(parts: tuple[str, ...]) -> tuple[str, str, str, str | None] | None:
    """('ip', name, plen, index) for ``<name>/<plen>/<index>``, ('subnet', name, plen, None) for
    ``<name>/<plen>``, None otherwise; name = '<owner>:<address>' (owner may hold '/')."""
    if len(parts) >= 3 and is_number(parts[-1]) and is_number(parts[-2]):
        name = "/".join(parts[:-2])
        if subnet_readings(name, parts[-2]):
            return "ip", name, parts[-2], parts[-1]
    if len(parts) >= 2 and is_number(parts[-1]):
        name = "/".join(parts[:-1])
        if subnet_readings(name, parts[-1]):
            return "subnet", name, parts[-1], None
    return None


def _address(text) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(text, str) or text in ("", "None"):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _subnet_entries(items) -> list[dict]:
    return [item for item in items or [] if isinstance(item, dict)]


class AddressChecks(Family):
    prefixes = ("subnet", "ip")
    tables = frozenset({USERAGENT_TABLE})

    def setup(self, ctx: AuditContext) -> None:
        define = ctx.facts.define
        define("vn_ipams", "vn TEXT, ipam TEXT", indexes=["vn"])
        define("subnets", "owner_uuid TEXT, via TEXT, prefix TEXT, plen TEXT, subnet_uuid TEXT, gateway TEXT, "
                          "dns TEXT, alloc_unit INTEGER, starts TEXT", indexes=["owner_uuid"])
        define("ipams", "uuid TEXT, flat INTEGER", indexes=["uuid"])
        define("ips", "uuid TEXT, type TEXT, address TEXT, vn TEXT, vn_fq TEXT, parent_kind TEXT, "
                      "secondary INTEGER, local INTEGER")
        define("useragent", "key TEXT, value TEXT", indexes=["key"])
        define("zk_ip", "path TEXT, skey TEXT, idx TEXT, data TEXT", indexes=["skey, idx"])
        define("zk_subnet", "skey TEXT, path TEXT", indexes=["skey", "path"])
        define("zk_subnet_alt", "skey TEXT, alt TEXT, path TEXT")  # other readings of an ambiguous path
        define("zk_subnet_inner", "parent TEXT", indexes=["parent"])
        self._zk_subnets: set[str] = set()

    # ------------------------------------------------------------------ scan
    def on_object(self, obj: TfObject, ctx: AuditContext) -> None:
        if not obj.is_live:
            return
        if obj.type == "virtual_network":
            self._network(obj, ctx)
        elif obj.type == "network_ipam":
            flat = obj.props.get("ipam_subnet_method") == "flat-subnet"
            ctx.facts.add("ipams", (obj.uuid, int(flat)))
            for entry in _subnet_entries(obj.list_values("ipam_subnets")):
                self._subnet(obj.uuid, None, entry, ctx)
        elif obj.type in IP_TYPES:
            self._ip(obj, ctx)

    def _network(self, obj: TfObject, ctx: AuditContext) -> None:
        for (ref_type, ipam), value in obj.refs.items():
            if ref_type != "network_ipam":
                continue
            ctx.facts.add("vn_ipams", (obj.uuid, ipam))
            attr = value.get("attr") if isinstance(value, dict) else None
            for entry in _subnet_entries(attr.get("ipam_subnets") if isinstance(attr, dict) else None):
                self._subnet(obj.uuid, ipam, entry, ctx)
                if not entry.get("subnet_uuid") and isinstance(entry.get("subnet"), dict):
                    sub = entry["subnet"]
                    ctx.emit(SUBNET_UUID_MISSING, f"subnet {sub.get('ip_prefix')}/{sub.get('ip_prefix_len')} "
                             f"on the ref to IPAM {ipam} has no subnet_uuid", uuid=obj.uuid, type=obj.type,
                             fq_name=obj.fq_name)

    @staticmethod
    def _subnet(owner: str, via: str | None, entry: dict, ctx: AuditContext) -> None:
        subnet = entry.get("subnet")
        sub = subnet if isinstance(subnet, dict) else {}
        starts = [pool.get("start") for pool in entry.get("allocation_pools") or [] if isinstance(pool, dict)]
        unit = entry.get("alloc_unit")
        ctx.facts.add("subnets", (
            owner, via, sub.get("ip_prefix"), str(sub.get("ip_prefix_len")), entry.get("subnet_uuid"),
            entry.get("default_gateway"), entry.get("dns_server_address"),
            unit if isinstance(unit, int) and unit > 0 else 1, json.dumps(starts)))

    def _ip(self, obj: TfObject, ctx: AuditContext) -> None:
        assert obj.type is not None and obj.fq_name is not None  # on_object passes live objects only
        address = obj.props.get(IP_TYPES[obj.type])
        vn = vn_fq = None
        if obj.type == "instance_ip":
            vns = sorted(uuid for (ref_type, uuid) in obj.refs if ref_type == "virtual_network")
            vn = vns[0] if vns else None
        elif obj.parent and obj.parent[0] == POOL_PARENTS[obj.type] and len(obj.fq_name) >= 3:
            vn_fq = json.dumps(obj.fq_name[:-2], ensure_ascii=False, separators=(",", ":"))
        ctx.facts.add("ips", (obj.uuid, obj.type, address if isinstance(address, str) else None, vn, vn_fq,
                              obj.parent[0] if obj.parent else None,
                              int(bool(obj.props.get("instance_ip_secondary"))),
                              int(bool(obj.props.get("instance_ip_local_ip")))))

    def on_cell(self, table: TableRef, cell: Cell, ctx: AuditContext) -> None:
        if cell.column == "value":
            ctx.facts.add("useragent", (cell.key, cell.value))

    def on_znode(self, node: ZNode, place: ZkPlace, ctx: AuditContext) -> None:
        if place.tree != SUBNETS:
            return
        parts = place.parts
        if len(parts) > 1 and not is_number(parts[-1]):
            # a folder below this one is a level of a name: this one is no prefix-length node
            ctx.facts.add("zk_subnet_inner", (f"{place.root}/{'/'.join(parts[:-1])}",))
        reading = read_subnet_path(parts)
        if reading is None or (reading[0] == "ip" and is_intermediate(node)):
            if node.data:
                ctx.emit(LOCK_PATH_INVALID, f"{'/'.join(parts)!r} under {place.root}", path=node.path)
            return  # an empty folder: part of an owner name holding '/', or what a delete left of one
        kind, name, plen, index = reading
        keys = subnet_readings(name, plen)
        subnet_path = f"{place.root}/{name}/{plen}"
        if subnet_path not in self._zk_subnets:
            self._zk_subnets.add(subnet_path)
            ctx.facts.add("zk_subnet", (keys[0], subnet_path))
            for other in keys[1:]:
                ctx.facts.add("zk_subnet_alt", (keys[0], other, subnet_path))
        if kind == "ip" and index is not None:
            ctx.facts.add("zk_ip", (node.path, keys[0], str(int(index)), data_text(node.data)))

    # ------------------------------------------------------------------ cross checks
    def finish(self, ctx: AuditContext) -> None:
        for vn, ipam in ctx.facts.query(
                "SELECT DISTINCT v.vn, v.ipam FROM vn_ipams v WHERE NOT EXISTS "
                "(SELECT 1 FROM objects o WHERE o.uuid = v.ipam AND o.live = 1)"):
            ctx.emit(IPAM_MISSING, f"ref:network_ipam:{ipam}: no such IPAM", uuid=vn)
        if ctx.has_table(USERAGENT_TABLE):
            self._subnet_map(ctx)
        else:
            ctx.skipped("subnet uuid map checks", "the source has no useragent.useragent_keyval_table")
        self._configured_subnets(ctx)
        self._addresses(ctx)
        for (uuid,) in ctx.facts.query(
                "SELECT i.uuid FROM ips i WHERE i.type = 'instance_ip' AND NOT EXISTS (SELECT 1 FROM links l "
                "JOIN objects t ON t.uuid = l.dst AND t.live = 1 WHERE l.src = i.uuid AND l.kind = 'ref' "
                "AND l.dst_type IN ('virtual_machine_interface', 'virtual_network'))"):
            ctx.emit(STALE_INSTANCE_IP, "no ref to a live virtual_machine_interface or virtual_network", uuid=uuid)
        if ctx.has_zookeeper:
            self._resolve_readings(ctx)
            self._locks(ctx)
        else:
            ctx.skipped("IP address lock checks", "the source holds no znodes")

    def _subnet_map(self, ctx: AuditContext) -> None:
        path = f"{USERAGENT_TABLE}/"
        configured = ("SELECT s.owner_uuid AS vn, s.subnet_uuid, s.prefix, s.plen FROM subnets s "
                      "LEFT JOIN ipams i ON i.uuid = s.via WHERE s.via IS NOT NULL AND s.subnet_uuid IS NOT NULL "
                      "AND COALESCE(i.flat, 0) = 0")
        for vn, subnet, prefix, plen, value in ctx.facts.query(
                f"SELECT c.vn, c.subnet_uuid, c.prefix, c.plen, u.value FROM ({configured}) c "
                f"LEFT JOIN useragent u ON u.key = c.subnet_uuid"):
            if value is None:
                ctx.emit(UUID_MAP_MISSING, f"subnet {subnet} ({prefix}/{plen}) has no useragent row", uuid=vn,
                         path=path + subnet)
                continue
            stored_vn, _, stored_cidr = value.partition(" ")
            if stored_vn != vn or subnet_key("", *stored_cidr.partition("/")[::2]) != subnet_key("", prefix, plen):
                ctx.emit(UUID_MAP_VALUE, f"subnet {subnet}: useragent says {value!r}, config says "
                         f"'{vn} {prefix}/{plen}'", uuid=vn, path=path + subnet)
        known = "SELECT subnet_uuid FROM subnets WHERE subnet_uuid IS NOT NULL"
        for key, value in ctx.facts.query(f"SELECT key, value FROM useragent WHERE key NOT IN ({known})"):
            if UUID_RE.match(key):
                ctx.emit(UUID_MAP_EXTRA, f"subnet {key} -> {value!r}: no VN subnet has this uuid", path=path + key)
            elif REVERSE_KEY.match(key) and not ctx.facts.scalar("SELECT 1 FROM useragent WHERE key = ?", (value,)):
                ctx.emit(REVERSE_KEY_DANGLING, f"{key!r} -> {value!r}: no row {value}", path=path + key)

    def _subnets_of(self, ctx: AuditContext, vn: str) -> list[tuple]:
        """(subnet key, network, gateway, alloc unit) of a VN: its own subnets, and the IPAM's for flat IPAMs."""
        rows = ctx.facts.query(
            "SELECT o.fq_str, s.prefix, s.plen, s.gateway, s.alloc_unit FROM subnets s JOIN objects o ON o.uuid = "
            "s.owner_uuid LEFT JOIN ipams i ON i.uuid = s.via WHERE s.owner_uuid = ? AND COALESCE(i.flat, 0) = 0 "
            "UNION ALL SELECT o.fq_str, s.prefix, s.plen, s.gateway, s.alloc_unit FROM vn_ipams v "
            "JOIN ipams i ON i.uuid = v.ipam AND i.flat = 1 JOIN subnets s ON s.owner_uuid = v.ipam "
            "JOIN objects o ON o.uuid = v.ipam WHERE v.vn = ?", (vn, vn))
        result = []
        for owner, prefix, plen, gateway, unit in rows:
            key = subnet_key(owner, prefix, plen) if prefix else None
            if key:
                network = ipaddress.ip_network(f"{prefix}/{int(plen)}", strict=False)
                result.append((key, network, _address(gateway), unit))
        return result

    def _configured_subnets(self, ctx: AuditContext) -> None:
        """configured(skey) and reserved(skey, idx): every subnet a lock may belong to, and the
        addresses allocators keep for themselves (network, broadcast, gateway, DNS, pool starts)."""
        db = ctx.facts.db
        db.execute("CREATE TEMP TABLE configured (skey TEXT PRIMARY KEY)")
        db.execute("CREATE TEMP TABLE reserved (skey TEXT, idx TEXT)")
        rows = ctx.facts.query("SELECT o.fq_str, s.prefix, s.plen, s.gateway, s.dns, s.alloc_unit, s.starts "
                               "FROM subnets s JOIN objects o ON o.uuid = s.owner_uuid AND o.live = 1 "
                               "WHERE s.prefix IS NOT NULL").fetchall()
        for owner, prefix, plen, gateway, dns, unit, starts in rows:
            key = subnet_key(owner, prefix, plen)
            if key is None:
                continue
            network = ipaddress.ip_network(f"{prefix}/{plen}", strict=False)
            db.execute("INSERT OR IGNORE INTO configured VALUES (?)", (key,))
            special = [network.network_address, network.broadcast_address, _address(gateway), _address(dns)]
            special += [_address(start) for start in json.loads(starts)]
            db.executemany("INSERT INTO reserved VALUES (?, ?)",
                           [(key, str(int(a) // unit)) for a in special if a is not None])
        db.execute("CREATE INDEX temp.reserved_i ON reserved (skey, idx)")

    def _addresses(self, ctx: AuditContext) -> None:
        db = ctx.facts.db
        db.execute("UPDATE ips SET vn = (SELECT o.uuid FROM objects o WHERE o.live = 1 AND "
                   "o.type = 'virtual_network' AND o.fq = ips.vn_fq LIMIT 1) WHERE vn IS NULL AND vn_fq IS NOT NULL")
        db.execute("CREATE TEMP TABLE ip_expected (uuid TEXT, vn TEXT, skey TEXT, idx TEXT, secondary INTEGER)")
        current_vn, subnets, pending = object(), [], []
        rows = db.execute("SELECT i.uuid, i.type, i.address, i.vn, i.vn_fq, i.parent_kind, i.secondary, i.local, "
                          "o.uuid IS NOT NULL FROM ips i LEFT JOIN objects o ON o.uuid = i.vn AND o.live = 1 "
                          "ORDER BY i.vn")
        for uuid, ip_type, address_text, vn, vn_fq, parent_kind, secondary, local, vn_live in rows:
            if address_text is None:
                ctx.emit(ADDRESS_MISSING, f"no {IP_TYPES[ip_type]}", uuid=uuid)
                continue
            address = _address(address_text)
            if address is None:
                ctx.emit(ADDRESS_INVALID, f"{IP_TYPES[ip_type]} is {address_text!r}", uuid=uuid)
                continue
            if not vn_live:
                if ip_type in POOL_PARENTS and parent_kind != POOL_PARENTS[ip_type]:
                    continue  # e.g. Kubernetes floating IPs under an instance IP (db_manage 1.34)
                where = f"VN {vn} does not exist" if vn else (
                    f"no VN named {':'.join(json.loads(vn_fq))}" if vn_fq else "no virtual_network ref")
                ctx.emit(NETWORK_MISSING, f"{address}: {where}", uuid=uuid)
                continue
            if vn != current_vn:
                current_vn, subnets = vn, self._subnets_of(ctx, vn)
            home = next((s for s in subnets if address in s[1]), None)
            if home is None:
                shown = ", ".join(str(s[1]) for s in subnets) or "none"
                ctx.emit(SUBNET_MISSING, f"{address} is in no subnet of VN {vn} (subnets: {shown})", uuid=uuid)
                continue
            key, _, gateway, unit = home
            if local or address == gateway:
                continue  # local IPs are not allocated; the gateway is reserved in memory only
            pending.append((uuid, vn, key, str(int(address) // unit), secondary))
            if len(pending) >= 5000:
                db.executemany("INSERT INTO ip_expected VALUES (?, ?, ?, ?, ?)", pending)
                pending.clear()
        db.executemany("INSERT INTO ip_expected VALUES (?, ?, ?, ?, ?)", pending)
        db.execute("CREATE INDEX temp.ip_expected_i ON ip_expected (skey, idx)")
        for key, idx, uuids in ctx.facts.query(
                "SELECT skey, idx, GROUP_CONCAT(uuid) FROM (SELECT DISTINCT skey, idx, uuid FROM ip_expected "
                "WHERE secondary = 0) GROUP BY skey, idx HAVING COUNT(*) > 1"):
            members = uuids.split(",")
            for uuid in members:
                ctx.emit(ADDRESS_DUPLICATE, f"lock index {idx} of {key} is also held by "
                         f"{', '.join(m for m in members if m != uuid)}", uuid=uuid)

    def _resolve_readings(self, ctx: AuditContext) -> None:
        """A path read several ways (address not in canonical form, owner and IPv6 address both
        holding ':') takes the reading a configured subnet has."""
        db = ctx.facts.db
        for key, alt, path in ctx.facts.query(
                "SELECT a.skey, MIN(a.alt), a.path FROM zk_subnet_alt a WHERE NOT EXISTS "
                "(SELECT 1 FROM configured c WHERE c.skey = a.skey) AND EXISTS "
                "(SELECT 1 FROM configured c WHERE c.skey = a.alt) GROUP BY a.skey, a.path").fetchall():
            db.execute("UPDATE zk_subnet SET skey = ? WHERE skey = ? AND path = ?", (alt, key, path))
            db.execute("UPDATE zk_ip SET skey = ? WHERE skey = ? AND substr(path, 1, ?) = ?",
                       (alt, key, len(path) + 1, path + "/"))

    def _locks(self, ctx: AuditContext) -> None:
        for key, vn, count in ctx.facts.query(
                "SELECT skey, MIN(vn), COUNT(*) FROM ip_expected e WHERE NOT EXISTS "
                "(SELECT 1 FROM zk_subnet z WHERE z.skey = e.skey) GROUP BY skey"):
            ctx.emit(SUBNET_LOCK_MISSING, f"{key}: {count} address(es) in use, no ZooKeeper node", uuid=vn)
        for uuid, key, idx, secondary, holders in ctx.facts.query(
                "SELECT e.uuid, e.skey, e.idx, e.secondary, (SELECT GROUP_CONCAT(z.data) FROM zk_ip z "
                "WHERE z.skey = e.skey AND z.idx = e.idx) FROM ip_expected e "
                "WHERE EXISTS (SELECT 1 FROM zk_subnet s WHERE s.skey = e.skey)"):
            if holders is None:
                ctx.emit(LOCK_MISSING, f"{key} index {idx}: no lock", uuid=uuid)
            elif not secondary and uuid not in holders.split(","):
                ctx.emit(LOCK_OWNER_MISMATCH, f"{key} index {idx} is locked for {holders}", uuid=uuid)
        for path, key, idx, data in ctx.facts.query(
                "SELECT z.path, z.skey, z.idx, z.data FROM zk_ip z WHERE EXISTS "
                "(SELECT 1 FROM configured c WHERE c.skey = z.skey) AND NOT EXISTS "
                "(SELECT 1 FROM ip_expected e WHERE e.skey = z.skey AND e.idx = z.idx) AND NOT EXISTS "
                "(SELECT 1 FROM reserved r WHERE r.skey = z.skey AND r.idx = z.idx)"):
            if UUID_RE.match(data):
                ctx.emit(LOCK_EXTRA, f"{key} index {idx} locked for {data}, which holds no such address", path=path)
        for key, path in ctx.facts.query(
                "SELECT skey, MIN(path) FROM zk_subnet z WHERE NOT EXISTS "
                "(SELECT 1 FROM configured c WHERE c.skey = z.skey) AND NOT EXISTS "
                "(SELECT 1 FROM zk_subnet_inner i WHERE i.parent = z.path) GROUP BY skey"):
            ctx.emit(SUBNET_LOCK_EXTRA, f"{key}: no network or flat IPAM has this subnet", path=path)
