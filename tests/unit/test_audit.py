"""tfdata audit: a small consistent world audits clean; each planted defect is caught by its check.

The world is built the way contrail-api writes (object_columns/peer_columns, fq-name index,
shared table, fq-name locks, ID and address allocations), including the things upstream
db_manage.py mistakes for inconsistencies: a VxLAN reservation in the VN-ID tree, an object
created with a client-chosen uuid (no fq-name lock), a user-configured SG id, an RI that only
imports another network's route target, a non-subnet useragent key, a route target whose name
holds ':' and an interface name holding '/'.
"""

from __future__ import annotations

import ipaddress
import json
import uuid as uuidlib
from urllib.parse import quote_plus

import pytest
from click.testing import CliRunner

from tfdata.audit import CATALOGUE, audit
from tfdata.cli import cli
from tfdata.model.cells import Cell, TableRef, column_sort_key
from tfdata.model.fqname import fq_name_column
from tfdata.model.objects import ObjectSpec, encode_json, object_columns, peer_columns, uuid_to_longs
from tfdata.model.zk import ZNode, text_data
from tfdata.stores.dump import DumpSource, write_dump

from ..helpers import IRREGULAR, UPSTREAM_SAMPLE

UUID_T = TableRef("config_db_uuid", "obj_uuid_table")
FQ_T = TableRef("config_db_uuid", "obj_fq_name_table")
SHARED_T = TableRef("config_db_uuid", "obj_shared_table")
USERAGENT_T = TableRef("useragent", "useragent_keyval_table")
RT_TABLE_T = TableRef("to_bgp_keyspace", "route_target_table")
TABLES = [UUID_T, FQ_T, SHARED_T, USERAGENT_T, RT_TABLE_T]
RELEASE = "R21.4"


def uid(name: str) -> str:
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"tfdata-audit-test/{name}"))


def ip_index(address: str) -> str:
    return f"{int(ipaddress.ip_address(address)):010d}"


class World:
    """A TF store in memory: rows of each table and znodes; written as a db_json_exim dump."""

    def __init__(self) -> None:
        self.rows: dict[TableRef, dict[str, dict[str, str]]] = {t: {} for t in TABLES}
        self.zk: dict[str, str] = {}
        self.types: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    # --- editing -------------------------------------------------------------------------
    def set(self, table: TableRef, key: str, column: str, value: str) -> None:
        self.rows[table].setdefault(key, {})[column] = value

    def get(self, table: TableRef, key: str, column: str) -> str:
        return self.rows[table][key][column]

    def drop(self, table: TableRef, key: str, column: str | None = None) -> None:
        if column is None:
            del self.rows[table][key]
        else:
            del self.rows[table][key][column]

    def set_json(self, key: str, column: str, value) -> None:
        self.set(UUID_T, key, column, encode_json(value))

    def create(self, name: str, obj_type: str, fq_name: list[str], parent: str | None = None, props=None,
               refs=(), list_props=None, map_props=None, lock: bool = True, perms2=None) -> str:
        uuid = uid(name)
        self.ids[name] = uuid
        self.types[uuid] = obj_type
        parent_uuid = self.ids[parent] if parent else None
        perms = perms2 or {"owner": "cloud-admin", "owner_access": 7, "global_access": 0, "share": []}
        spec = ObjectSpec(
            uuid, obj_type, fq_name,
            parent_type=self.types[parent_uuid].replace("_", "-") if parent_uuid else None,
            parent_uuid=parent_uuid,
            props={"id_perms": id_perms(uuid), "perms2": perms, "display_name": fq_name[-1], **(props or {})},
            list_props=list_props or {}, map_props=map_props or {},
            refs=[(self.types[self.ids[target]], self.ids[target], attr) for target, attr in refs],
        )
        for column, value in object_columns(spec):
            self.set(UUID_T, uuid, column, value)
        for row, column, value in peer_columns(spec):
            self.set(UUID_T, row, column, value)
        self.set(FQ_T, obj_type, fq_name_column(fq_name, uuid), "null")
        if perms.get("global_access"):
            self.set(SHARED_T, obj_type, f"global::{uuid}", encode_json(perms["global_access"]))
        for share in perms.get("share", []):
            self.set(SHARED_T, obj_type, f"{share['tenant']}:{uuid}", encode_json(share["tenant_access"]))
        if lock:
            self.zk[f"/fq-name-to-uuid/{obj_type}:{':'.join(fq_name)}"] = uuid
        return uuid

    # --- writing -------------------------------------------------------------------------
    def cells(self):
        for table in TABLES:
            for key in sorted(self.rows[table]):
                row = self.rows[table][key]
                for column in sorted(row, key=column_sort_key):
                    yield table, Cell(key, column, row[column], 1_700_000_000_000_000)

    def znodes(self):
        for path in sorted(self.zk):
            data = text_data(self.zk[path])
            yield ZNode(path, data, (1, 1, 0, 0, 0, 0, 0, 0, len(data), 0, 1))

    def write(self, path, with_zookeeper: bool = True, tables=TABLES):
        write_dump(path, ((t, c) for t, c in self.cells() if t in tables),
                   self.znodes() if with_zookeeper else (), tables, force=True)
        return path


def id_perms(uuid: str) -> dict:
    return {"enable": True, "uuid": uuid_to_longs(uuid), "created": "2024-01-09T10:11:12.345678",
            "last_modified": "2024-01-09T10:11:12.345678", "user_visible": True, "description": None,
            "creator": None, "permissions": {"owner": "cloud-admin", "owner_access": 7, "group": "cloud-admin-group",
                                             "group_access": 7, "other_access": 7}}


def subnet(prefix: str, plen: int, subnet_uuid: str | None, gateway: str, dns: str) -> dict:
    entry = {"subnet": {"ip_prefix": prefix, "ip_prefix_len": plen}, "default_gateway": gateway,
             "dns_server_address": dns, "alloc_unit": 1, "addr_from_start": True, "enable_dhcp": True}
    if subnet_uuid:
        entry["subnet_uuid"] = subnet_uuid
    return entry


def clean_world() -> World:
    w = World()
    dd = ["default-domain"]
    demo = dd + ["demo"]
    w.create("gsc", "global_system_config", ["default-global-system-config"],
             props={"autonomous_system": 64512})
    w.create("domain", "domain", dd)
    w.create("project", "project", demo, parent="domain", lock=False)  # uuid chosen by Keystone sync
    w.create("ipam", "network_ipam", demo + ["ipam"], parent="project",
             perms2={"owner": "cloud-admin", "owner_access": 7, "global_access": 5,
                     "share": [{"tenant": f"tenant:{w.ids['project']}", "tenant_access": 4}]})
    su_blue, su_red = uid("subnet-blue"), uid("subnet-red")
    w.create("vn-blue", "virtual_network", demo + ["vn-blue"], parent="project",
             props={"virtual_network_network_id": 5,
                    "virtual_network_properties": {"vxlan_network_identifier": 100, "forwarding_mode": "l2_l3"},
                    "route_target_list": {"route_target": ["target:64512:100"]}},
             refs=[("ipam", {"ipam_subnets": [subnet("10.1.0.0", 24, su_blue, "10.1.0.1", "10.1.0.2")]})],
             map_props={"annotations": ("key", [{"key": "owner", "value": "team-a"}])})
    w.create("vn-red", "virtual_network", demo + ["vn-red"], parent="project",
             props={"virtual_network_network_id": 6},
             refs=[("ipam", {"ipam_subnets": [subnet("10.2.0.0", 24, su_red, "10.2.0.1", "10.2.0.2")]}),
                   ("vn-blue", None)])
    w.create("ri-blue", "routing_instance", demo + ["vn-blue", "vn-blue"], parent="vn-blue",
             props={"routing_instance_is_default": True})
    w.create("ri-red", "routing_instance", demo + ["vn-red", "vn-red"], parent="vn-red")
    w.create("rt1", "route_target", ["target:64512:8000001"])
    w.create("rt2", "route_target", ["target:64512:8000002"])
    link_rt(w, "ri-blue", "rt1", None)
    link_rt(w, "ri-red", "rt2", None)
    link_rt(w, "ri-red", "rt1", "import")  # importing another VN's RT is not an extra owner
    w.create("sg", "security_group", demo + ["default"], parent="project", props={"security_group_id": 8000001})
    w.create("sg-user", "security_group", demo + ["sg-user"], parent="project",
             props={"security_group_id": 42, "configured_security_group_id": 42})
    w.create("vm", "virtual_machine", [uid("vm")])
    w.create("vmi", "virtual_machine_interface", demo + ["vmi"], parent="project",
             refs=[("vn-blue", None), ("ri-blue", {"direction": "both"}), ("vm", None), ("sg", None)])
    w.create("iip", "instance_ip", [uid("iip")], props={"instance_ip_address": "10.1.0.3"},
             refs=[("vmi", None), ("vn-blue", None)])
    w.create("pool", "floating_ip_pool", demo + ["vn-blue", "pool"], parent="vn-blue")
    w.create("fip", "floating_ip", demo + ["vn-blue", "pool", "fip"], parent="pool",
             props={"floating_ip_address": "10.1.0.10"})
    w.create("lr", "logical_router", demo + ["lr"], parent="project")
    w.create("pr", "physical_router", ["default-global-system-config", "pr1"], parent="gsc")
    w.create("pi", "physical_interface", ["default-global-system-config", "pr1", "xe-0/0/0"], parent="pr")
    w.create("vpg", "virtual_port_group", demo + ["vpg1"], parent="project", refs=[("pi", {"ae_num": 0})])
    w.create("tag-type", "tag_type", ["application"], props={"tag_type_id": "0x0001"})
    w.create("tag", "tag", ["application=web"], props={"tag_type_name": "application", "tag_value": "web",
                                                       "tag_id": "0x00010001"}, refs=[("tag-type", None)])
    # private keyspaces
    w.set(USERAGENT_T, su_blue, "value", f"{w.ids['vn-blue']} 10.1.0.0/24")
    w.set(USERAGENT_T, su_red, "value", f"{w.ids['vn-red']} 10.2.0.0/24")
    w.set(USERAGENT_T, "subnet_to_neutron_tags", "value", "{}")  # not a subnet entry
    w.set(RT_TABLE_T, "default-domain:demo:vn-blue:vn-blue", "rtgt_num", "8000001")
    w.set(RT_TABLE_T, "default-domain:demo:vn-red:vn-red", "rtgt_num", "8000002")
    # ZooKeeper allocations
    w.zk["/id/virtual-networks/0000000004"] = "default-domain:demo:vn-blue"
    w.zk["/id/virtual-networks/0000000005"] = "default-domain:demo:vn-red"
    w.zk["/id/virtual-networks/0000000099"] = "default-domain:demo:vn-blue_vxlan"
    w.zk["/id/virtual-networks/0000000199"] = f"default-domain:demo:{w.ids['lr']}_vxlan"
    w.zk["/id/security-groups/id/0000000000"] = "__reserved__"
    w.zk["/id/security-groups/id/0000000001"] = "default-domain:demo:default"
    w.zk["/id/bgp/route-targets/type0/0008000001"] = "default-domain:demo:vn-blue:vn-blue"
    w.zk["/id/bgp/route-targets/type0/0008000002"] = "default-domain:demo:vn-red:vn-red"
    w.zk[ip_lock("10.1.0.3")] = w.ids["iip"]
    w.zk[ip_lock("10.1.0.10")] = w.ids["fip"]
    w.zk["/id/aggregated-ethernet/pr1/0000000000"] = "vpg1"
    w.zk["/id/virtual-port-group/0000000001"] = "default-domain:demo:vpg1"
    w.zk["/id/tags/types/0000000001"] = "application"
    w.zk["/id/tags/values/application/0000000001"] = "application=web"
    return w


def ip_lock(address: str, owner: str = "default-domain:demo:vn-blue:10.1.0.0") -> str:
    return f"/api-server/subnets/{owner}/24/{ip_index(address)}"


def link_rt(w: World, ri: str, rt: str, direction: str | None) -> None:
    """An RI -> RT link added after both exist (what the schema transformer does)."""
    value = encode_json({"attr": {"import_export": direction}, "is_weakref": False})
    w.set(UUID_T, w.ids[ri], f"ref:route_target:{w.ids[rt]}", value)
    w.set(UUID_T, w.ids[rt], f"backref:routing_instance:{w.ids[ri]}", value)


def run(w: World, tmp_path, release: str | None = RELEASE, **write_options):
    path = w.write(tmp_path / "world.json", **write_options)
    return audit(DumpSource(path), release=release)


def found(result, check_id: str, uuid: str | None = None, path: str | None = None) -> list:
    hits = [f for f in result.findings if f.check == check_id]
    if uuid is not None:
        hits = [f for f in hits if f.uuid == uuid]
    if path is not None:
        hits = [f for f in hits if f.path and f.path.startswith(path)]
    return hits


# ---------------------------------------------------------------------- the clean world

def test_clean_world_audits_without_any_finding(tmp_path):
    result = run(clean_world(), tmp_path)
    assert [f.as_dict() for f in result.findings] == []
    assert result.summary() == {"error": 0, "warning": 0, "info": 0}
    assert result.stats["objects"] == len(clean_world().types)


def test_clean_world_guess_is_a_release_that_has_every_type_and_still_no_finding(tmp_path):
    result = run(clean_world(), tmp_path, release=None)
    assert result.release.guessed
    assert result.release.name not in ("R5.0", "R5.1")  # virtual_port_group appeared in R1909
    assert 0 < result.release.confidence <= 1
    assert result.findings == []


def test_generated_cloud_has_no_error_severity_finding(tmp_path):
    gen = pytest.importorskip("tfdata.gen")
    path = tmp_path / "gen.json"
    gen.generate_dump(path, 400, seed=11)
    result = audit(DumpSource(path))
    assert [f.as_dict() for f in result.findings if f.severity == "error"] == []


# ---------------------------------------------------------------------- one defect at a time

def _w(name):
    return lambda w: w.ids[name]


def new_uuid(label: str) -> str:
    return uid("planted/" + label)


def m_missing_field(w):
    w.drop(UUID_T, w.ids["vn-blue"], "prop:id_perms")


def m_bad_json(w):
    w.set(UUID_T, w.ids["vn-blue"], "prop:display_name", "{not json")


def m_malformed_field(w):
    w.set(UUID_T, w.ids["vn-red"], "type", "42")


def m_unknown_column(w):
    w.set(UUID_T, w.ids["vn-blue"], "UUID", json.dumps(w.ids["vn-blue"]))


def m_duplicate_parent(w):
    w.set(UUID_T, w.ids["vn-blue"], f"parent:domain:{w.ids['domain']}", "null")


def m_id_perms_mismatch(w):
    w.set_json(w.ids["vn-blue"], "prop:id_perms", id_perms(w.ids["vn-red"]))


def m_id_perms_uuid_missing(w):
    perms = id_perms(w.ids["vn-blue"])
    del perms["uuid"]
    w.set_json(w.ids["vn-blue"], "prop:id_perms", perms)


def m_parent_type_mismatch(w):
    w.set_json(w.ids["vn-blue"], "parent_type", "domain")


def m_parent_type_empty(w):
    w.set_json(w.ids["gsc"], "parent_type", "")


def m_parent_type_missing(w):
    w.drop(UUID_T, w.ids["vn-blue"], "parent_type")


def m_map_key_mismatch(w):
    w.set_json(w.ids["vn-blue"], "propm:annotations:owner", {"key": "other", "value": "x"})


def m_vm_without_vmi(w):
    w.create("vm2", "virtual_machine", [new_uuid("vm2")])


def m_orphan(w):
    vn = w.ids["vn-blue"]
    w.drop(UUID_T, vn, f"parent:project:{w.ids['project']}")
    w.set(UUID_T, vn, f"parent:project:{new_uuid('gone-project')}", "null")


def m_parent_wrong_type(w):
    vn = w.ids["vn-blue"]
    w.drop(UUID_T, vn, f"parent:project:{w.ids['project']}")
    w.set(UUID_T, vn, f"parent:project:{w.ids['domain']}", "null")


def m_fq_not_under_parent(w):
    w.set_json(w.ids["vn-blue"], "fq_name", ["default-domain", "elsewhere", "vn-blue"])


def m_child_not_listed(w):
    w.drop(UUID_T, w.ids["project"], f"children:virtual_network:{w.ids['vn-blue']}")


def m_dangling_child(w):
    w.set(UUID_T, w.ids["project"], f"children:virtual_network:{new_uuid('ghost-vn')}", "null")


def m_child_not_claimed(w):
    w.set(UUID_T, w.ids["domain"], f"children:virtual_network:{w.ids['vn-blue']}", "null")


def m_target_wrong_type(w):
    vmi, vn = w.ids["vmi"], w.ids["vn-blue"]
    value = w.get(UUID_T, vmi, f"ref:virtual_network:{vn}")
    w.drop(UUID_T, vmi, f"ref:virtual_network:{vn}")
    w.set(UUID_T, vmi, f"ref:network_ipam:{vn}", value)


def m_dangling_ref(w):
    w.set(UUID_T, w.ids["vmi"], f"ref:security_group:{new_uuid('ghost-sg')}", '{"attr": null}')


def m_backref_missing(w):
    w.drop(UUID_T, w.ids["vn-blue"], f"backref:virtual_machine_interface:{w.ids['vmi']}")


def m_symmetric_ref_missing(w):
    w.drop(UUID_T, w.ids["vn-blue"], f"ref:virtual_network:{w.ids['vn-red']}")


def m_attr_mismatch(w):
    w.set_json(w.ids["ri-blue"], f"backref:virtual_machine_interface:{w.ids['vmi']}",
               {"attr": {"direction": "ingress"}, "is_weakref": False})


def m_dangling_backref(w):
    w.set(UUID_T, w.ids["vn-blue"], f"backref:virtual_machine_interface:{new_uuid('ghost-vmi')}", '{"attr": null}')


def m_ref_missing(w):
    w.set(UUID_T, w.ids["vn-blue"], f"backref:security_group:{w.ids['sg']}", '{"attr": null}')


def m_dangling_relaxbackref(w):
    w.set(UUID_T, w.ids["vn-blue"], f"relaxbackref:{new_uuid('ghost-referrer')}", "null")


def m_stale_entry(w):
    w.set(FQ_T, "virtual_network", f"default-domain:demo:ghost:{new_uuid('ghost')}", "null")


def m_missing_entry(w):
    w.drop(FQ_T, "virtual_network", fq_name_column(["default-domain", "demo", "vn-blue"], w.ids["vn-blue"]))


def m_index_mismatch(w):
    w.drop(FQ_T, "virtual_network", fq_name_column(["default-domain", "demo", "vn-blue"], w.ids["vn-blue"]))
    w.set(FQ_T, "virtual_network", f"default-domain:demo:vn-other:{w.ids['vn-blue']}", "null")


def m_url_quoted(w):
    w.drop(FQ_T, "virtual_network", fq_name_column(["default-domain", "demo", "vn-blue"], w.ids["vn-blue"]))
    w.set(FQ_T, "virtual_network", f"{quote_plus('default-domain:demo:vn-blue')}:{w.ids['vn-blue']}", "null")


def m_duplicate_fq_name(w):
    w.create("vn-twin", "virtual_network", ["default-domain", "demo", "vn-red"], parent="project",
             props={"virtual_network_network_id": 6}, lock=False)


def m_index_bad_column(w):
    w.set(FQ_T, "virtual_network", "nocolon", "null")


def m_shared_missing(w):
    w.drop(SHARED_T, "network_ipam", f"global::{w.ids['ipam']}")


def m_shared_extra(w):
    w.set(SHARED_T, "virtual_network", f"tenant:{w.ids['project']}:{w.ids['vn-blue']}", "4")


def m_shared_access(w):
    w.set(SHARED_T, "network_ipam", f"global::{w.ids['ipam']}", "7")


def m_shared_bad_cell(w):
    w.set(SHARED_T, "network_ipam", "garbage", '"x"')


def m_fq_lock_dangling(w):
    w.zk["/fq-name-to-uuid/virtual_network:default-domain:demo:ghost"] = new_uuid("ghost-lock")


def m_fq_lock_mismatch(w):
    w.zk["/fq-name-to-uuid/virtual_network:default-domain:demo:vn-blue"] = w.ids["ipam"]


def m_fq_lock_malformed(w):
    w.zk["/fq-name-to-uuid/nocolon"] = "x"


def m_vn_id_missing(w):
    w.drop(UUID_T, w.ids["vn-blue"], "prop:virtual_network_network_id")


def m_vn_id_duplicate(w):
    w.set(UUID_T, w.ids["vn-red"], "prop:virtual_network_network_id", "5")


def m_vn_id_lock_missing(w):
    del w.zk["/id/virtual-networks/0000000004"]


def m_vn_id_lock_extra(w):
    w.zk["/id/virtual-networks/0000000041"] = "default-domain:demo:gone"


def m_sg_id_missing(w):
    w.drop(UUID_T, w.ids["sg"], "prop:security_group_id")


def m_sg_id_duplicate(w):
    w.create("sg-twin", "security_group", ["default-domain", "demo", "sg-twin"], parent="project",
             props={"security_group_id": 8000001})


def m_sg_id_lock_missing(w):
    del w.zk["/id/security-groups/id/0000000001"]


def m_sg_id_lock_extra(w):
    w.zk["/id/security-groups/id/0000000007"] = "default-domain:demo:gone"


def m_sg_reserved(w):
    w.zk["/id/security-groups/id/0000000000"] = "default-domain:demo:default"


def m_ae_lock_unused(w):
    w.zk["/id/aggregated-ethernet/pr1/0000000005"] = "vpg1"


def m_ae_lock_missing(w):
    w.set_json(w.ids["vpg"], f"ref:physical_interface:{w.ids['pi']}", {"attr": {"ae_num": 3}, "is_weakref": False})
    w.set_json(w.ids["pi"], f"backref:virtual_port_group:{w.ids['vpg']}", {"attr": {"ae_num": 3}, "is_weakref": False})


def m_id_lock_owner_missing(w):
    w.zk["/id/tags/values/application/0000000009"] = "application=gone"


def m_id_lock_malformed(w):
    w.zk["/id/virtual-networks/abc"] = "x"


def m_rt_malformed(w):
    w.create("rt-bad", "route_target", ["target:bogus"])


def m_rt_user_in_system_range(w):
    w.set_json(w.ids["vn-blue"], "prop:route_target_list", {"route_target": ["target:64512:8000005"]})


def m_rt_out_of_range(w):
    w.zk["/id/bgp/route-targets/type0/0000000100"] = "default-domain:demo:vn-blue:vn-blue"


def m_rt_schema_db_not_in_zk(w):
    w.set(RT_TABLE_T, "default-domain:demo:gone:gone", "rtgt_num", "8000009")


def m_rt_object_not_in_zk(w):
    del w.zk["/id/bgp/route-targets/type0/0008000001"]


def m_rt_object_missing(w):
    w.zk["/id/bgp/route-targets/type0/0008000003"] = "default-domain:demo:vn-blue:vn-blue"
    w.set(RT_TABLE_T, "default-domain:demo:vn-blue:vn-blue", "rtgt_num", "8000003")


def m_rt_zk_lock_unused(w):
    w.zk["/id/bgp/route-targets/type0/0008000004"] = "default-domain:demo:x:x"


def m_rt_duplicate_number(w):
    w.set(RT_TABLE_T, "default-domain:demo:other:other", "rtgt_num", "8000001")


def m_rt_legacy_path(w):
    w.zk["/id/bgp/route-targets/0008000001"] = "default-domain:demo:vn-blue:vn-blue"


def m_rt_multiple_lr(w):
    w.create("lr-a", "logical_router", ["default-domain", "demo", "lr-a"], parent="project", refs=[("rt1", None)])
    w.create("lr-b", "logical_router", ["default-domain", "demo", "lr-b"], parent="project", refs=[("rt1", None)])


def m_rt_lr_owner_mismatch(w):
    w.create("lr-a", "logical_router", ["default-domain", "demo", "lr-a"], parent="project", refs=[("rt1", None)])


def m_rt_backref_missing(w):
    w.zk["/id/bgp/route-targets/type0/0008000002"] = "default-domain:demo:vn-blue:vn-blue"


def m_rt_backref_extra(w):
    link_rt(w, "ri-red", "rt1", None)


def m_rt_lock_owner_missing(w):
    w.zk["/id/bgp/route-targets/type0/0008000001"] = "default-domain:demo:gone:gone"


def m_rt_unused(w):
    w.create("rt-unused", "route_target", ["target:64512:8000007"])


def m_rt_unlinked_user(w):
    w.create("rt-user", "route_target", ["target:64512:100"])


def m_subnet_uuid_missing(w):
    attr = {"ipam_subnets": [subnet("10.2.0.0", 24, None, "10.2.0.1", "10.2.0.2")]}
    w.set_json(w.ids["vn-red"], f"ref:network_ipam:{w.ids['ipam']}", {"attr": attr, "is_weakref": False})
    w.set_json(w.ids["ipam"], f"backref:virtual_network:{w.ids['vn-red']}", {"attr": attr, "is_weakref": False})


def m_uuid_map_missing(w):
    w.drop(USERAGENT_T, uid("subnet-red"))


def m_uuid_map_extra(w):
    w.set(USERAGENT_T, new_uuid("old-subnet"), "value", f"{w.ids['vn-red']} 10.9.0.0/24")


def m_uuid_map_value(w):
    w.set(USERAGENT_T, uid("subnet-red"), "value", f"{w.ids['vn-red']} 10.9.0.0/24")


def m_reverse_key_dangling(w):
    w.set(USERAGENT_T, f"{w.ids['vn-red']} 10.2.0.0/24", "value", new_uuid("old-subnet"))


def m_ipam_missing(w):
    w.set(UUID_T, w.ids["vn-red"], f"ref:network_ipam:{new_uuid('ghost-ipam')}", '{"attr": null}')


def m_address_missing(w):
    w.drop(UUID_T, w.ids["iip"], "prop:instance_ip_address")


def m_address_invalid(w):
    w.set_json(w.ids["iip"], "prop:instance_ip_address", "not-an-ip")


def m_network_missing(w):
    iip = w.ids["iip"]
    w.drop(UUID_T, iip, f"ref:virtual_network:{w.ids['vn-blue']}")
    w.set(UUID_T, iip, f"ref:virtual_network:{new_uuid('ghost-vn')}", '{"attr": null}')


def m_subnet_missing(w):
    w.set_json(w.ids["iip"], "prop:instance_ip_address", "10.9.9.9")


def m_address_duplicate(w):
    w.create("iip2", "instance_ip", [new_uuid("iip2")], props={"instance_ip_address": "10.1.0.3"},
             refs=[("vmi", None), ("vn-blue", None)])


def m_lock_missing(w):
    del w.zk[ip_lock("10.1.0.3")]


def m_lock_owner_mismatch(w):
    w.zk[ip_lock("10.1.0.3")] = w.ids["vmi"]


def m_lock_extra(w):
    w.zk[ip_lock("10.1.0.77")] = new_uuid("gone-iip")


def m_subnet_lock_missing(w):
    del w.zk[ip_lock("10.1.0.3")]
    del w.zk[ip_lock("10.1.0.10")]


def m_subnet_lock_extra(w):
    w.zk["/api-server/subnets/default-domain:demo:gone:10.5.0.0/24/0168099843"] = new_uuid("gone-iip")


def m_lock_path_invalid(w):
    w.zk["/api-server/subnets/garbage"] = "x"


def m_stale_instance_ip(w):
    w.create("iip-stale", "instance_ip", [new_uuid("iip-stale")], props={"instance_ip_address": "10.1.0.50"})


def m_unknown_type(w):
    w.create("bogus", "bogus_type", ["bogus"])


def m_unknown_property(w):
    w.set(UUID_T, w.ids["vn-blue"], "prop:bogus_prop", "1")


def m_unknown_list_property(w):
    w.set(UUID_T, w.ids["vn-blue"], "propl:bogus_list:0", "1")


def m_storage_mismatch(w):
    w.set(UUID_T, w.ids["vn-blue"], "propl:display_name:0", '"x"')


def m_unknown_ref(w):
    w.set(UUID_T, w.ids["vn-blue"], f"ref:virtual_machine:{w.ids['vm']}", '{"attr": null, "is_weakref": false}')
    w.set(UUID_T, w.ids["vm"], f"backref:virtual_network:{w.ids['vn-blue']}", '{"attr": null, "is_weakref": false}')


def m_parent_not_allowed(w):
    w.create("sg-in-domain", "security_group", ["default-domain", "sg-in-domain"], parent="domain")


def m_invalid_value(w):
    w.set_json(w.ids["vn-blue"], "prop:virtual_network_properties", {"forwarding_mode": "bogus"})


ZK = "/id/virtual-networks"
CASES = [
    ("object.missing_field", m_missing_field, _w("vn-blue"), None),
    ("object.bad_json", m_bad_json, _w("vn-blue"), None),
    ("object.malformed_field", m_malformed_field, _w("vn-red"), None),
    ("object.unknown_column", m_unknown_column, _w("vn-blue"), None),
    ("object.duplicate_parent", m_duplicate_parent, _w("vn-blue"), None),
    ("object.id_perms_uuid_mismatch", m_id_perms_mismatch, _w("vn-blue"), None),
    ("object.id_perms_uuid_missing", m_id_perms_uuid_missing, _w("vn-blue"), None),
    ("object.parent_type_mismatch", m_parent_type_mismatch, _w("vn-blue"), None),
    ("object.parent_type_empty", m_parent_type_empty, _w("gsc"), None),
    ("object.parent_type_missing", m_parent_type_missing, _w("vn-blue"), None),
    ("object.map_key_mismatch", m_map_key_mismatch, _w("vn-blue"), None),
    ("object.vm_without_vmi", m_vm_without_vmi, _w("vm2"), None),
    ("link.orphan", m_orphan, _w("vn-blue"), None),
    ("link.parent_wrong_type", m_parent_wrong_type, _w("vn-blue"), None),
    ("link.fq_name_not_under_parent", m_fq_not_under_parent, _w("vn-blue"), None),
    ("link.child_not_listed", m_child_not_listed, _w("vn-blue"), None),
    ("link.dangling_child", m_dangling_child, _w("project"), None),
    ("link.child_not_claimed", m_child_not_claimed, _w("domain"), None),
    ("link.target_wrong_type", m_target_wrong_type, _w("vmi"), None),
    ("link.dangling_ref", m_dangling_ref, _w("vmi"), None),
    ("link.backref_missing", m_backref_missing, _w("vmi"), None),
    ("link.symmetric_ref_missing", m_symmetric_ref_missing, _w("vn-red"), None),
    ("link.attr_mismatch", m_attr_mismatch, _w("vmi"), None),
    ("link.dangling_backref", m_dangling_backref, _w("vn-blue"), None),
    ("link.ref_missing", m_ref_missing, _w("vn-blue"), None),
    ("link.dangling_relaxbackref", m_dangling_relaxbackref, _w("vn-blue"), None),
    ("index.stale_entry", m_stale_entry, lambda w: new_uuid("ghost"), "config_db_uuid.obj_fq_name_table/"),
    ("index.missing_entry", m_missing_entry, _w("vn-blue"), None),
    ("index.mismatch", m_index_mismatch, _w("vn-blue"), None),
    ("index.url_quoted", m_url_quoted, _w("vn-blue"), None),
    ("index.duplicate_fq_name", m_duplicate_fq_name, _w("vn-twin"), None),
    ("index.bad_column", m_index_bad_column, None, "config_db_uuid.obj_fq_name_table/virtual_network/nocolon"),
    ("shared.missing", m_shared_missing, _w("ipam"), "config_db_uuid.obj_shared_table/network_ipam/global::"),
    ("shared.extra", m_shared_extra, _w("vn-blue"), None),
    ("shared.access_mismatch", m_shared_access, _w("ipam"), None),
    ("shared.bad_cell", m_shared_bad_cell, None, "config_db_uuid.obj_shared_table/network_ipam/garbage"),
    ("zk.fq_name_lock_dangling", m_fq_lock_dangling, None, "/fq-name-to-uuid/virtual_network:default-domain:demo:gho"),
    ("zk.fq_name_lock_mismatch", m_fq_lock_mismatch, _w("ipam"), "/fq-name-to-uuid/virtual_network:"),
    ("zk.fq_name_lock_malformed", m_fq_lock_malformed, None, "/fq-name-to-uuid/nocolon"),
    ("zk.vn_id_missing", m_vn_id_missing, _w("vn-blue"), None),
    ("zk.vn_id_duplicate", m_vn_id_duplicate, _w("vn-red"), None),
    ("zk.vn_id_lock_missing", m_vn_id_lock_missing, _w("vn-blue"), None),
    ("zk.vn_id_lock_extra", m_vn_id_lock_extra, None, f"{ZK}/0000000041"),
    ("zk.sg_id_missing", m_sg_id_missing, _w("sg"), None),
    ("zk.sg_id_duplicate", m_sg_id_duplicate, _w("sg-twin"), None),
    ("zk.sg_id_lock_missing", m_sg_id_lock_missing, _w("sg"), None),
    ("zk.sg_id_lock_extra", m_sg_id_lock_extra, None, "/id/security-groups/id/0000000007"),
    ("zk.sg_id_reserved_missing", m_sg_reserved, None, "/id/security-groups/id/0000000000"),
    ("zk.ae_id_lock_unused", m_ae_lock_unused, None, "/id/aggregated-ethernet/pr1/0000000005"),
    ("zk.ae_id_lock_missing", m_ae_lock_missing, _w("vpg"), None),
    ("zk.id_lock_owner_missing", m_id_lock_owner_missing, None, "/id/tags/values/application/0000000009"),
    ("zk.id_lock_malformed", m_id_lock_malformed, None, f"{ZK}/abc"),
    ("rt.malformed", m_rt_malformed, _w("rt-bad"), None),
    ("rt.user_in_system_range", m_rt_user_in_system_range, _w("vn-blue"), None),
    ("rt.id_out_of_range", m_rt_out_of_range, None, "/id/bgp/route-targets/type0/0000000100"),
    ("rt.schema_db_not_in_zk", m_rt_schema_db_not_in_zk, None, "to_bgp_keyspace.route_target_table/default-domain"),
    ("rt.object_not_in_zk", m_rt_object_not_in_zk, _w("rt1"), None),
    ("rt.object_missing", m_rt_object_missing, None, "/id/bgp/route-targets/type0/0008000003"),
    ("rt.zk_lock_unused", m_rt_zk_lock_unused, None, "/id/bgp/route-targets/type0/0008000004"),
    ("rt.duplicate_number", m_rt_duplicate_number, None, "to_bgp_keyspace.route_target_table"),
    ("rt.legacy_lock_path", m_rt_legacy_path, None, "/id/bgp/route-targets"),
    ("rt.multiple_lr", m_rt_multiple_lr, _w("rt1"), None),
    ("rt.lr_owner_mismatch", m_rt_lr_owner_mismatch, _w("rt1"), None),
    ("rt.backref_missing", m_rt_backref_missing, _w("rt2"), None),
    ("rt.backref_extra", m_rt_backref_extra, _w("rt1"), None),
    ("rt.lock_owner_missing", m_rt_lock_owner_missing, _w("rt1"), None),
    ("rt.unused", m_rt_unused, _w("rt-unused"), None),
    ("rt.unlinked_user_rt", m_rt_unlinked_user, _w("rt-user"), None),
    ("subnet.uuid_missing", m_subnet_uuid_missing, _w("vn-red"), None),
    ("subnet.uuid_map_missing", m_uuid_map_missing, _w("vn-red"), None),
    ("subnet.uuid_map_extra", m_uuid_map_extra, None, "useragent.useragent_keyval_table/"),
    ("subnet.uuid_map_value_mismatch", m_uuid_map_value, _w("vn-red"), None),
    ("subnet.reverse_key_dangling", m_reverse_key_dangling, None, "useragent.useragent_keyval_table/"),
    ("subnet.ipam_missing", m_ipam_missing, _w("vn-red"), None),
    ("ip.address_missing", m_address_missing, _w("iip"), None),
    ("ip.address_invalid", m_address_invalid, _w("iip"), None),
    ("ip.network_missing", m_network_missing, _w("iip"), None),
    ("ip.subnet_missing", m_subnet_missing, _w("iip"), None),
    ("ip.address_duplicate", m_address_duplicate, _w("iip2"), None),
    ("ip.lock_missing", m_lock_missing, _w("iip"), None),
    ("ip.lock_owner_mismatch", m_lock_owner_mismatch, _w("iip"), None),
    ("ip.lock_extra", m_lock_extra, None, ip_lock("10.1.0.77")),
    ("ip.subnet_lock_missing", m_subnet_lock_missing, _w("vn-blue"), None),
    ("ip.subnet_lock_extra", m_subnet_lock_extra, None, "/api-server/subnets/default-domain:demo:gone:10.5.0.0/24"),
    ("ip.lock_path_invalid", m_lock_path_invalid, None, "/api-server/subnets/garbage"),
    ("ip.stale_instance_ip", m_stale_instance_ip, _w("iip-stale"), None),
    ("schema.unknown_type", m_unknown_type, _w("bogus"), None),
    ("schema.unknown_property", m_unknown_property, _w("vn-blue"), None),
    ("schema.unknown_list_property", m_unknown_list_property, _w("vn-blue"), None),
    ("schema.storage_mismatch", m_storage_mismatch, _w("vn-blue"), None),
    ("schema.unknown_ref", m_unknown_ref, _w("vn-blue"), None),
    ("schema.parent_not_allowed", m_parent_not_allowed, _w("sg-in-domain"), None),
    ("schema.invalid_value", m_invalid_value, _w("vn-blue"), None),
]


@pytest.mark.parametrize("check_id, plant, expected_uuid, expected_path", CASES, ids=[c[0] for c in CASES])
def test_each_planted_defect_is_caught_by_its_check(tmp_path, check_id, plant, expected_uuid, expected_path):
    world = clean_world()
    plant(world)
    result = run(world, tmp_path)
    uuid = expected_uuid(world) if expected_uuid else None
    hits = found(result, check_id, uuid=uuid, path=expected_path)
    assert hits, f"{check_id} not reported; got {[f.check for f in result.findings]}"
    assert all(h.severity == CATALOGUE[check_id].severity for h in hits)
    assert all(h.detail and "\n" not in h.detail and h.repair for h in hits)


def test_every_declared_check_has_a_planted_case():
    """A check without a test could be dead code; the others are tested below."""
    tested = {case[0] for case in CASES} | {"audit.skipped", "store.wide_row"} | CLUSTER_CHECKS
    assert set(CATALOGUE) == tested


def test_wide_rows_are_reported(tmp_path, monkeypatch):
    import tfdata.audit.objects as objects

    monkeypatch.setattr(objects, "READER_COLUMN_LIMIT", 12)
    world = clean_world()
    result = run(world, tmp_path)
    hits = found(result, "store.wide_row")
    widths = {k: len(r) for t in TABLES for k, r in world.rows[t].items() if len(r) > 12}
    assert widths and {h.path.rsplit("/", 1)[1] for h in hits} == set(widths)


def test_missing_zookeeper_and_tables_skip_their_checks_instead_of_flagging_everything(tmp_path):
    result = run(clean_world(), tmp_path, with_zookeeper=False, tables=[UUID_T, FQ_T])
    assert result.errors == 0
    skipped = " | ".join(f.detail for f in found(result, "audit.skipped"))
    for part in ("ZooKeeper", "IP address lock", "route-target lock", "subnet uuid map", "shared-table"):
        assert part in skipped


def test_selected_checks_only(tmp_path):
    world = clean_world()
    m_dangling_ref(world)
    m_vn_id_missing(world)
    result = audit(DumpSource(world.write(tmp_path / "w.json")), release=RELEASE, checks=["link"])
    assert {f.check for f in result.findings} == {"link.dangling_ref"}


def test_prefixed_zookeeper_paths_are_found(tmp_path):
    world = clean_world()
    world.zk = {"/east" + path: data for path, data in world.zk.items()}
    assert run(world, tmp_path).findings == []
    del world.zk["/east/id/virtual-networks/0000000004"]
    assert found(run(world, tmp_path), "zk.vn_id_lock_missing", uuid=world.ids["vn-blue"])


def test_vxlan_reservation_of_a_deleted_network_is_extra(tmp_path):
    world = clean_world()
    world.zk["/id/virtual-networks/0000000120"] = "default-domain:demo:vn-gone_vxlan"
    hits = found(run(world, tmp_path), "zk.vn_id_lock_extra", path="/id/virtual-networks/0000000120")
    assert hits and "VxLAN" in hits[0].detail


def test_alloc_unit_divides_the_lock_index(tmp_path):
    world = clean_world()
    attr = {"ipam_subnets": [dict(subnet("10.1.0.0", 24, uid("subnet-blue"), "10.1.0.1", "10.1.0.2"), alloc_unit=4)]}
    vn, ipam = world.ids["vn-blue"], world.ids["ipam"]
    world.set_json(vn, f"ref:network_ipam:{ipam}", {"attr": attr, "is_weakref": False})
    world.set_json(ipam, f"backref:virtual_network:{vn}", {"attr": attr, "is_weakref": False})
    assert found(run(world, tmp_path), "ip.lock_missing", uuid=world.ids["iip"])  # locks are still per address
    for address in ("10.1.0.3", "10.1.0.10"):
        owner = world.zk.pop(ip_lock(address))
        world.zk[f"/api-server/subnets/default-domain:demo:vn-blue:10.1.0.0/24/"
                 f"{int(ipaddress.ip_address(address)) // 4:010d}"] = owner
    assert [f for f in run(world, tmp_path).findings if f.check.startswith("ip.")] == []


# ---------------------------------------------------------------------- live servers (pure judgement)

CLUSTER_CHECKS = {"cluster.zk_mode", "cluster.zk_node_count", "cluster.replication_factor",
                  "cluster.replication_too_high"}
SRVR = "Zookeeper version: 3.8.4\nLatency min/avg/max: 0/0.1/9\nZxid: 0x3\nMode: {mode}\nNode count: {count}\n"


def test_zookeeper_ensemble_judgement():
    from tfdata.audit.cluster import judge_ensemble, parse_srvr, zk_servers

    def ids(states):
        return [declared.id for declared, _ in judge_ensemble(states)]

    state = parse_srvr(SRVR.format(mode="follower", count=12))
    assert state == {"mode": "follower", "node_count": 12}
    assert "refused" in parse_srvr("srvr is not executed because it is not in the whitelist.\n")
    assert zk_servers("a:2181,b:2182/tf") == [("a", 2181), ("b", 2182)]
    assert ids({"a": {"mode": "standalone", "node_count": 3}}) == []
    assert ids({"a": {"mode": "follower", "node_count": 3}}) == ["cluster.zk_mode"]
    healthy = {"a": {"mode": "leader", "node_count": 3}, "b": {"mode": "follower", "node_count": 3},
               "c": {"mode": "observer", "node_count": 3}}
    assert ids(healthy) == []
    assert ids({**healthy, "b": {"mode": "leader", "node_count": 3}}) == ["cluster.zk_mode"]
    assert ids({**healthy, "c": {"error": "Connection refused"}}) == ["cluster.zk_mode"]
    assert ids({**healthy, "c": {"mode": "observer", "node_count": 4}}) == ["cluster.zk_node_count"]


def test_replication_judgement():
    from tfdata.audit.cluster import judge_replication

    def ids(replication, nodes):
        return [declared.id for declared, _ in judge_replication("config_db_uuid", replication, nodes)]

    simple = "org.apache.cassandra.locator.SimpleStrategy"
    assert ids({"class": simple, "replication_factor": "3"}, 3) == []
    assert ids({"class": simple, "replication_factor": "1"}, 3) == ["cluster.replication_factor"]
    assert ids({"class": simple, "replication_factor": "3"}, 1) == ["cluster.replication_too_high"]
    topology = "org.apache.cassandra.locator.NetworkTopologyStrategy"
    assert ids({"class": topology, "dc1": "3"}, 3) == []  # described, no crash (upstream raises here)
    assert ids({"class": topology, "dc1": "3", "dc2": "2"}, 3) == ["cluster.replication_too_high"]


# ---------------------------------------------------------------------- the upstream sample

needs_sample = pytest.mark.skipif(not UPSTREAM_SAMPLE.exists(), reason="shared/upstream-samples not present")


@needs_sample
def test_upstream_sample_reports_its_known_irregularities():
    result = audit(DumpSource(UPSTREAM_SAMPLE))
    domain, gsc = "f9886b57-7278-11ea-bf6e-02486f9480e0", "bb32edd2-ab05-11ea-a066-02486f9480e0"
    bad_json = found(result, "object.bad_json", uuid=domain)
    assert bad_json and bad_json[0].path.endswith("/prop:id_perms")
    assert found(result, "object.unknown_column", uuid=gsc, path=f"config_db_uuid.obj_uuid_table/{gsc}/UUID")
    assert found(result, "object.parent_type_empty", uuid=gsc)
    # the hand-made links are one-sided, and two BGP routers sit under an RI they are not named after
    assert found(result, "link.child_not_listed") and found(result, "link.backref_missing")
    assert len(found(result, "link.fq_name_not_under_parent")) == 2
    # no ZooKeeper part and no useragent keyspace in this dump: those checks say so instead of flagging
    assert found(result, "audit.skipped")
    assert not found(result, "zk.vn_id_lock_missing") and not found(result, "subnet.uuid_map_missing")
    assert result.release.guessed and result.release.confidence < 1


def test_irregular_fixture_reports_the_same_kinds_of_irregularity():
    """tests/corpus/irregular.json stands in for the upstream sample where ../shared is absent."""
    result = audit(DumpSource(IRREGULAR))
    domain, gsc = "1f0c2d3e-0002-4a5b-8c6d-00000000a002", "1f0c2d3e-0001-4a5b-8c6d-00000000a001"
    bad_json = found(result, "object.bad_json", uuid=domain)
    assert bad_json and bad_json[0].path.endswith("/prop:id_perms")
    assert found(result, "object.unknown_column", uuid=gsc, path=f"config_db_uuid.obj_uuid_table/{gsc}/UUID")
    assert found(result, "object.parent_type_empty", uuid=gsc)


# ---------------------------------------------------------------------- the command line

def invoke(*args):
    return CliRunner().invoke(cli, ["audit", *args], catch_exceptions=False)


def test_cli_exit_codes(tmp_path):
    clean = clean_world().write(tmp_path / "clean.json")
    assert invoke(str(clean), "--release", RELEASE).exit_code == 0
    broken = clean_world()
    m_dangling_ref(broken)
    assert invoke(str(broken.write(tmp_path / "broken.json")), "--release", RELEASE).exit_code == 1
    only_warnings = clean_world()
    m_unknown_column(only_warnings)
    assert invoke(str(only_warnings.write(tmp_path / "warn.json")), "--release", RELEASE).exit_code == 0
    assert invoke(str(tmp_path / "missing.json")).exit_code == 2
    assert invoke(str(clean), "--release", "R0.0").exit_code == 2
    assert invoke(str(clean), "--check", "no.such.check").exit_code == 2
    assert invoke(str(clean), "--severity", "fatal").exit_code == 2


def test_cli_json_contract(tmp_path):
    world = clean_world()
    m_dangling_ref(world)
    m_lock_path_invalid(world)
    m_unknown_column(world)
    result = invoke(str(world.write(tmp_path / "w.json")), "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert {"findings", "summary", "release"} <= set(doc)
    assert set(doc["summary"]) == {"error", "warning", "info"}
    assert set(doc["release"]) >= {"name", "confidence", "guessed"} and doc["release"]["guessed"] is True
    allowed = {"check", "severity", "uuid", "type", "fq_name", "path", "detail", "repair"}
    for item in doc["findings"]:
        assert {"check", "severity", "detail", "repair"} <= set(item) <= allowed
        assert all(value is not None for value in item.values())
    by_check = {item["check"]: item for item in doc["findings"]}
    assert by_check["link.dangling_ref"]["uuid"] == world.ids["vmi"]
    assert by_check["link.dangling_ref"]["fq_name"] == ["default-domain", "demo", "vmi"]
    assert "uuid" not in by_check["ip.lock_path_invalid"] and by_check["ip.lock_path_invalid"]["path"]
    counts = {s: sum(1 for f in doc["findings"] if f["severity"] == s) for s in ("error", "warning", "info")}
    assert doc["summary"] == counts


def test_cli_severity_filter_keeps_summary_and_exit_code(tmp_path):
    world = clean_world()
    m_dangling_ref(world)
    m_unknown_column(world)
    path = str(world.write(tmp_path / "w.json"))
    result = invoke(path, "--release", RELEASE, "--format", "json", "--severity", "error")
    doc = json.loads(result.output)
    assert result.exit_code == 1
    assert {f["severity"] for f in doc["findings"]} == {"error"}
    assert doc["summary"]["warning"] >= 1


def test_cli_text_groups_by_check_and_names_the_guess(tmp_path):
    world = clean_world()
    m_dangling_ref(world)
    m_backref_missing(world)
    result = invoke(str(world.write(tmp_path / "w.json")))
    out = result.output
    assert out.splitlines()[0].startswith("release: ") and "guessed, confidence" in out
    assert "link.dangling_ref (1)" in out and "link.backref_missing (1)" in out
    assert "repair:" in out and "summary: " in out
    assert out.index("link.backref_missing") < out.index(world.ids["vmi"])


def test_cli_lists_checks():
    result = CliRunner().invoke(cli, ["audit", "--list-checks"])
    assert result.exit_code == 0
    assert all(check_id in result.output for check_id in CATALOGUE)
