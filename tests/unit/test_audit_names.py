"""tfdata audit on names holding '/', ':' and non-ASCII text (issue 13 item 6).

TF allows such names (project ``ops/infra``, network ``ext/uplink``); its ZooKeeper paths embed
fq_name strings unquoted (vnc_db.py VncZkClient: ``/fq-name-to-uuid/<type>:<fq_name str>``,
``/api-server/subnets/<owner fq_name str>:<prefix>/<len>/<%010d index>``,
``/id/aggregated-ethernet/<router name>/<%010d>``, ``/id/tags/values/<type>/<%010d>``), and
kazoo splits on '/' and drops empty segments (kazoo.protocol.paths.normpath). The world below is
written that way -- the paths go through kazoo's own normpath -- and must audit clean, both as a
db_json_exim dump (leaves only) and as a live walk (intermediate nodes too); planted defects on
such names must still be found and name the right object.
"""

from __future__ import annotations

import json

from kazoo.protocol.paths import normpath

from tfdata.audit import audit
from tfdata.model.zk import ZNode, text_data
from tfdata.stores.dump import DumpSource, write_dump

from .test_audit import (
    RELEASE,
    RT_TABLE_T,
    TABLES,
    USERAGENT_T,
    World,
    invoke,
    ip_index,
    link_rt,
    subnet,
    uid,
)

DOMAIN = ["corp/é:dc1"]
OPS = DOMAIN + ["ops/infra"]
AB = DOMAIN + ["a:b"]


def tf_path(path: str) -> str:
    """The znode kazoo creates for the path TF composes."""
    return normpath(path)


def fq_str(fq_name: list[str]) -> str:
    return ":".join(fq_name)


def ip_lock(owner: list[str], prefix: str, plen: int, address: str) -> str:
    return tf_path(f"/api-server/subnets/{fq_str(owner)}:{prefix}/{plen}/{ip_index(address)}")


def odd_world() -> World:
    """Every name the audit reads back from a znode path holds '/', ':' or non-ASCII text."""
    w = World()
    w.create("gsc", "global_system_config", ["default-global-system-config"], props={"autonomous_system": 64512})
    w.create("domain", "domain", DOMAIN)
    w.create("ops", "project", OPS, parent="domain")
    w.create("ab", "project", AB, parent="domain")
    w.create("ipam", "network_ipam", OPS + ["ipam/ü:x"], parent="ops")
    flat_subnet = dict(subnet("10.7.0.0", 24, uid("s-flat"), "10.7.0.1", "10.7.0.2"))
    w.create("flat", "network_ipam", OPS + ["flat/ipam:é"], parent="ops",
             props={"ipam_subnet_method": "flat-subnet"}, list_props={"ipam_subnets": [flat_subnet]})
    networks = {
        # name: (project, fq_name, id, subnets [(prefix, plen, gateway, dns, [addresses])], ipam)
        "uplink": ("ops", OPS + ["ext/uplink"], 11,
                   [("10.1.0.0", 24, "10.1.0.1", "10.1.0.2", ["10.1.0.3", "10.1.0.4"]),
                    ("fd00:1::", 64, "fd00:1::1", "fd00:1::2", ["fd00:1::5"])], "ipam"),
        "ext": ("ops", OPS + ["ext"], 12, [("10.5.0.0", 24, "10.5.0.1", "10.5.0.2", ["10.5.0.3"])], "ipam"),
        "reseau": ("ab", AB + ["réseau-é/ü"], 13,
                   [("10.2.0.0", 24, "10.2.0.1", "10.2.0.2", ["10.2.0.3", "10.2.0.9"])], "ipam"),
        # an owner that looks like a subnet node followed by a prefix-length node: <...>:10.0.0.0 / 8 / x:...
        "cidr": ("ops", OPS + ["10.0.0.0/8/x"], 14, [("10.3.0.0", 24, "10.3.0.1", "10.3.0.2", ["10.3.0.3"])], "ipam"),
        # kazoo collapses '//' (the path reads <...>:edge/dbl/:10.4.0.0/24/<index>)
        "dbl": ("ab", AB + ["edge//dbl/"], 15, [("10.4.0.0", 24, "10.4.0.1", "10.4.0.2", ["10.4.0.3"])], "ipam"),
        # 'beef:fd00::' reads as an IPv6 address too: only the configured subnets tell the owner
        "beef": ("ab", AB + ["beef"], 16, [("fd00::", 64, "fd00::1", "fd00::2", ["fd00::7"])], "ipam"),
        # '<...>:v6:00ab:fd00:ab::' first reads as owner '<...>:v6' + address '00ab:fd00:ab::' (= ab:fd00:ab::)
        "v6": ("ab", AB + ["v6:00ab"], 18, [("fd00:ab::", 64, "fd00:ab::1", "fd00:ab::2", ["fd00:ab::9"])], "ipam"),
        "flatvn": ("ops", OPS + ["flat/vn"], 17, [], "flat"),
    }
    rt_number = 8000001
    for key, (project, fq_name, vn_id, subnets, ipam) in networks.items():
        entries = [subnet(prefix, plen, uid(f"s-{key}-{prefix}"), gw, dns) for prefix, plen, gw, dns, _ in subnets]
        w.create(key, "virtual_network", fq_name, parent=project, props={"virtual_network_network_id": vn_id},
                 refs=[(ipam, {"ipam_subnets": entries})])
        w.zk[f"/id/virtual-networks/{vn_id - 1:010d}"] = fq_str(fq_name)
        for (prefix, plen, *_), entry in zip(subnets, entries, strict=True):
            w.set(USERAGENT_T, entry["subnet_uuid"], "value", f"{w.ids[key]} {prefix}/{plen}")
        ri = f"ri-{key}"
        w.create(ri, "routing_instance", fq_name + [fq_name[-1]], parent=key,
                 props={"routing_instance_is_default": True})
        rt = f"rt-{key}"
        w.create(rt, "route_target", [f"target:64512:{rt_number}"])
        link_rt(w, ri, rt, None)
        w.set(RT_TABLE_T, fq_str(fq_name + [fq_name[-1]]), "rtgt_num", str(rt_number))
        w.zk[f"/id/bgp/route-targets/type0/{rt_number:010d}"] = fq_str(fq_name + [fq_name[-1]])
        rt_number += 1
        for prefix, plen, _, _, addresses in subnets:
            for address in addresses:
                iip = f"iip-{key}-{address}"
                w.create(iip, "instance_ip", [uid(iip)], props={"instance_ip_address": address}, refs=[(key, None)])
                w.zk[ip_lock(fq_name, prefix, plen, address)] = w.ids[iip]
    # flat IPAM: the address locks are keyed by the IPAM's fq_name
    w.create("iip-flat", "instance_ip", [uid("iip-flat")], props={"instance_ip_address": "10.7.0.5"},
             refs=[("flatvn", None)])
    w.zk[ip_lock(OPS + ["flat/ipam:é"], "10.7.0.0", 24, "10.7.0.5")] = w.ids["iip-flat"]
    # a floating IP under a pool whose name holds '/'
    w.create("pool", "floating_ip_pool", OPS + ["ext/uplink", "pool/é"], parent="uplink")
    w.create("fip", "floating_ip", OPS + ["ext/uplink", "pool/é", "fip:1"], parent="pool",
             props={"floating_ip_address": "10.1.0.20"})
    w.zk[ip_lock(OPS + ["ext/uplink"], "10.1.0.0", 24, "10.1.0.20")] = w.ids["fip"]
    # security group id lock: data is the fq_name string
    w.create("sg", "security_group", OPS + ["sg/ü:1"], parent="ops", props={"security_group_id": 8000001})
    w.zk["/id/security-groups/id/0000000000"] = "__reserved__"
    w.zk["/id/security-groups/id/0000000001"] = fq_str(OPS + ["sg/ü:1"])
    # AE id of a router whose name holds '/': /id/aggregated-ethernet/<router name>/<id>
    w.create("pr", "physical_router", ["default-global-system-config", "spine/1:é"], parent="gsc")
    w.create("pi", "physical_interface", ["default-global-system-config", "spine/1:é", "ae1"], parent="pr")
    w.create("vpg", "virtual_port_group", OPS + ["vpg/é"], parent="ops", refs=[("pi", {"ae_num": 1})])
    w.zk[tf_path("/id/aggregated-ethernet/spine/1:é/0000000001")] = "ae1"
    w.zk["/id/virtual-port-group/0000000002"] = fq_str(OPS + ["vpg/é"])
    # tags: /id/tags/values/<type name>/<id>
    w.create("tag-type", "tag_type", ["site/é"], props={"tag_type_id": "0x0002"})
    w.create("tag", "tag", ["site/é=paris/ü"], props={"tag_type_name": "site/é", "tag_value": "paris/ü",
                                                      "tag_id": "0x00020001"}, refs=[("tag-type", None)])
    w.zk["/id/tags/types/0000000002"] = "site/é"
    w.zk[tf_path("/id/tags/values/site/é/0000000001")] = "site/é=paris/ü"
    # what TF leaves behind after deleting network ops/infra:gone/net (its leaf lock and its subnet
    # folder <owner>:<prefix> are deleted; the empty parents made by makepath stay)
    w.zk[tf_path(f"/fq-name-to-uuid/virtual_network:{fq_str(OPS)}:gone")] = ""
    w.zk[tf_path(f"/api-server/subnets/{fq_str(OPS)}:gone")] = ""
    # free_ae_id deletes the id node only; deleting tag type 'old/type' removes values/old/type/
    w.zk[tf_path("/id/aggregated-ethernet/leaf/2:é")] = ""
    w.zk[tf_path("/id/tags/values/old")] = ""
    # fq-name locks exactly where kazoo puts them
    w.zk = {tf_path(path): data for path, data in w.zk.items()}
    return w


def dump_nodes(w: World):
    """db_json_exim: leaves only (the data of a lock that has children is lost)."""
    paths = sorted(w.zk)
    parents = {p.rsplit("/", 1)[0] for p in paths}
    for path in paths:
        if path not in parents:
            data = text_data(w.zk[path])
            yield ZNode(path, data, (1, 1, 0, 0, 0, 0, 0, 0, len(data), 0, 1))


def live_nodes(w: World):
    """A live walk: every node, intermediate ones with empty data and their number of children."""
    nodes: dict[str, str] = {}
    for path, data in w.zk.items():
        segments = path.split("/")[1:]
        for depth in range(1, len(segments)):
            nodes.setdefault("/" + "/".join(segments[:depth]), "")
        nodes[path] = data
    children: dict[str, int] = {}
    for path in nodes:
        parent = path.rsplit("/", 1)[0]
        children[parent] = children.get(parent, 0) + 1
    for path in sorted(nodes):
        data = text_data(nodes[path])
        yield ZNode(path, data, (1, 1, 0, 0, 0, 0, 0, 0, len(data), children.get(path, 0), 1))


def write(w: World, path, nodes=dump_nodes):
    write_dump(path, w.cells(), nodes(w), TABLES, force=True)
    return path


def run(w: World, tmp_path, nodes=dump_nodes):
    return audit(DumpSource(write(w, tmp_path / "odd.json", nodes)), release=RELEASE)


# ---------------------------------------------------------------------- path rules

def test_subnet_paths_read_from_the_right():
    from tfdata.audit.addresses import read_subnet_path, subnet_key, subnet_readings

    def parts(path):
        return tuple(tf_path(path).split("/")[3:])

    lock = parts(f"/api-server/subnets/{fq_str(OPS + ['10.0.0.0/8/x'])}:10.3.0.0/24/0167968771")
    assert read_subnet_path(lock) == ("ip", "corp/é:dc1:ops/infra:10.0.0.0/8/x:10.3.0.0", "24", "0167968771")
    assert read_subnet_path(lock[:-1]) == ("subnet", "corp/é:dc1:ops/infra:10.0.0.0/8/x:10.3.0.0", "24", None)
    assert read_subnet_path(lock[:-2]) is None and read_subnet_path(lock[:2]) is None
    assert read_subnet_path(("p:vn:10.1.0.0", "²4")) is None  # no crash on non-ASCII digits
    # the configured side reads the same once kazoo has normalised the path
    assert subnet_key(fq_str(AB + ["edge//dbl/"]), "10.4.0.0", 24) == "corp/é:dc1:a:b:edge/dbl/:10.4.0.0/24"
    assert subnet_readings("corp/é:dc1:a:b:edge/dbl/:10.4.0.0", "24") == ("corp/é:dc1:a:b:edge/dbl/:10.4.0.0/24",)
    # IPv6: every reading is kept, longest address first; the configured subnets decide
    readings = subnet_readings("corp/é:dc1:a:b:v6:00ab:fd00:ab::", "64")
    assert readings[0] == "corp/é:dc1:a:b:v6:ab:fd00:ab::/64"
    assert subnet_key(fq_str(AB + ["v6:00ab"]), "fd00:ab::", 64) in readings[1:]


# ---------------------------------------------------------------------- clean

def test_the_world_really_nests_names_in_znode_paths():
    w = odd_world()
    assert tf_path("/fq-name-to-uuid/project:corp/é:dc1:ops/infra") in w.zk
    assert "/api-server/subnets/corp/é:dc1:a:b:edge/dbl/:10.4.0.0/24/0168034307" in w.zk
    # a lock with children is lost in a dump
    assert "/fq-name-to-uuid/virtual_network:corp/é:dc1:ops/infra:ext" not in {z.path for z in dump_nodes(w)}


def test_clean_world_with_odd_names_audits_without_any_finding_as_a_dump(tmp_path):
    result = run(odd_world(), tmp_path)
    assert [f.as_dict() for f in result.findings] == []


def test_clean_world_with_odd_names_audits_without_any_finding_as_a_live_walk(tmp_path):
    result = run(odd_world(), tmp_path, nodes=live_nodes)
    assert [f.as_dict() for f in result.findings] == []


def test_clean_world_with_odd_names_through_the_cli(tmp_path):
    result = invoke(str(write(odd_world(), tmp_path / "odd.json")), "--format", "json", "--release", RELEASE)
    doc = json.loads(result.output)
    assert result.exit_code == 0, result.output
    assert doc["findings"] == [] and doc["summary"] == {"error": 0, "warning": 0, "info": 0}


# ---------------------------------------------------------------------- planted defects


def _only(result, check_id):
    return [f for f in result.findings if f.check == check_id]


def test_missing_subnet_lock_names_the_network(tmp_path):
    w = odd_world()
    for address in ("10.1.0.3", "10.1.0.4", "10.1.0.20"):
        del w.zk[ip_lock(OPS + ["ext/uplink"], "10.1.0.0", 24, address)]
    for nodes in (dump_nodes, live_nodes):
        result = run(w, tmp_path, nodes)
        hits = _only(result, "ip.subnet_lock_missing")
        assert len(hits) == 1 and hits[0].uuid == w.ids["uplink"]
        assert list(hits[0].fq_name) == OPS + ["ext/uplink"] and "10.1.0.0/24" in hits[0].detail
        assert {f.check for f in result.findings} == {"ip.subnet_lock_missing"}


def test_missing_ip_lock_names_the_instance_ip(tmp_path):
    w = odd_world()
    del w.zk[ip_lock(AB + ["réseau-é/ü"], "10.2.0.0", 24, "10.2.0.9")]
    del w.zk[ip_lock(AB + ["beef"], "fd00::", 64, "fd00::7")]
    for nodes in (dump_nodes, live_nodes):
        result = run(w, tmp_path, nodes)
        assert {f.uuid for f in _only(result, "ip.lock_missing")} == {w.ids["iip-reseau-10.2.0.9"]}
        # beef's only address is gone: its whole subnet folder is missing
        assert [f.uuid for f in _only(result, "ip.subnet_lock_missing")] == [w.ids["beef"]]
        assert {f.check for f in result.findings} == {"ip.lock_missing", "ip.subnet_lock_missing"}


def test_leaked_ip_lock_and_stale_subnet_folder_on_odd_names(tmp_path):
    w = odd_world()
    leaked = ip_lock(OPS + ["10.0.0.0/8/x"], "10.3.0.0", 24, "10.3.0.77")
    w.zk[leaked] = uid("gone-iip")
    gone = ip_lock(AB + ["gone/vn"], "10.9.0.0", 24, "10.9.0.3")
    w.zk[gone] = uid("gone-iip-2")
    result = run(w, tmp_path)
    assert [f.path for f in _only(result, "ip.lock_extra")] == [leaked]
    extra = _only(result, "ip.subnet_lock_extra")
    assert len(extra) == 1 and "a:b:gone/vn:10.9.0.0/24" in extra[0].detail
    assert {f.check for f in result.findings} == {"ip.lock_extra", "ip.subnet_lock_extra"}


def test_stale_and_wrong_fq_name_locks_on_odd_names(tmp_path):
    w = odd_world()
    stale = tf_path(f"/fq-name-to-uuid/virtual_network:{fq_str(AB)}:ghost/x")
    w.zk[stale] = uid("ghost")
    wrong = tf_path(f"/fq-name-to-uuid/virtual_network:{fq_str(AB)}:réseau-é/ü")
    w.zk[wrong] = w.ids["sg"]
    result = run(w, tmp_path)
    assert [f.path for f in _only(result, "zk.fq_name_lock_dangling")] == [stale]
    mismatch = _only(result, "zk.fq_name_lock_mismatch")
    assert len(mismatch) == 1 and mismatch[0].uuid == w.ids["sg"] and mismatch[0].path == wrong
    assert w.ids["reseau"] in mismatch[0].detail  # the name's real owner
    assert {f.check for f in result.findings} == {"zk.fq_name_lock_dangling", "zk.fq_name_lock_mismatch"}


def test_allocator_defects_on_odd_names(tmp_path):
    w = odd_world()
    del w.zk["/id/virtual-networks/0000000012"]  # réseau-é/ü's id
    w.zk[tf_path("/id/aggregated-ethernet/spine/1:é/0000000004")] = "ae4"
    w.zk[tf_path("/id/tags/values/site/é/0000000009")] = "site/é=gone/ü"
    result = run(w, tmp_path)
    assert [f.uuid for f in _only(result, "zk.vn_id_lock_missing")] == [w.ids["reseau"]]
    ae = _only(result, "zk.ae_id_lock_unused")
    assert len(ae) == 1 and "spine/1:é" in ae[0].detail
    assert [f.path for f in _only(result, "zk.id_lock_owner_missing")] == ["/id/tags/values/site/é/0000000009"]
    assert {f.check for f in result.findings} == {"zk.vn_id_lock_missing", "zk.ae_id_lock_unused",
                                                  "zk.id_lock_owner_missing"}


def test_ambiguous_ipv6_path_is_resolved_against_the_configured_subnet(tmp_path):
    w = odd_world()
    leaked = ip_lock(AB + ["v6:00ab"], "fd00:ab::", 64, "fd00:ab::77")
    w.zk[leaked] = uid("gone-iip")
    result = run(w, tmp_path)
    assert [f.path for f in result.findings] == [leaked] and result.findings[0].check == "ip.lock_extra"
    del w.zk[leaked]
    del w.zk[ip_lock(AB + ["v6:00ab"], "fd00:ab::", 64, "fd00:ab::9")]
    result = run(w, tmp_path)
    assert [(f.check, f.uuid) for f in result.findings] == [("ip.subnet_lock_missing", w.ids["v6"])]


def test_planted_defects_through_the_cli(tmp_path):
    w = odd_world()
    del w.zk[ip_lock(OPS + ["ext/uplink"], "fd00:1::", 64, "fd00:1::5")]
    del w.zk[ip_lock(AB + ["réseau-é/ü"], "10.2.0.0", 24, "10.2.0.3")]
    result = invoke(str(write(w, tmp_path / "odd.json")), "--format", "json", "--release", RELEASE)
    assert result.exit_code == 1
    doc = json.loads(result.output)
    by_check = {}
    for item in doc["findings"]:
        by_check.setdefault(item["check"], []).append(item)
    assert set(by_check) == {"ip.subnet_lock_missing", "ip.lock_missing"}
    assert [i["fq_name"] for i in by_check["ip.subnet_lock_missing"]] == [OPS + ["ext/uplink"]]
    assert [i["uuid"] for i in by_check["ip.lock_missing"]] == [w.ids["iip-reseau-10.2.0.3"]]
