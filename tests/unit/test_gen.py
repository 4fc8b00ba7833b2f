"""The generator's output must look like a healthy TF config store (tf-config-store.md §3–§5, §10)."""

from __future__ import annotations

import gzip
import ipaddress
import json
import sys
from collections import defaultdict
from itertools import groupby
from pathlib import Path

import pytest

from tfdata.gen import MIN_OBJECTS, GeneratedStore, generate, generate_dump, generate_znodes
from tfdata.model.fqname import fq_name_column, shared_column, split_fq_name_column
from tfdata.model.keyspaces import KNOWN_TABLES
from tfdata.model.objects import decode_json, decode_row, longs_to_uuid
from tfdata.model.zk import data_text, parse_allocator_node
from tfdata.stores.dump import DumpSource, write_dump

REPO_ROOT = Path(__file__).resolve().parents[2]
N_OBJECTS = 600
SEED = 3


class Store:
    """A generated dump read back through DumpSource, indexed for assertions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = DumpSource(path)
        self.tables: dict[str, dict[str, dict[str, tuple[str, int]]]] = defaultdict(dict)
        uuid_cells = []
        for ref, cell in self.source.cells():
            if str(ref) == "config_db_uuid.obj_uuid_table":
                uuid_cells.append(cell)
            self.tables[str(ref)].setdefault(cell.key, {})[cell.column] = (cell.value, cell.writetime)
        self.objects = {key: decode_row(key, list(cells)) for key, cells in groupby(uuid_cells, key=lambda c: c.key)}
        self.znodes = {node.path: data_text(node.data) for node in self.source.znodes()}

    def of_type(self, obj_type: str):
        return [o for o in self.objects.values() if o.type == obj_type]

    def created(self, obj) -> int:
        return obj.writetimes["type"]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    path = tmp_path_factory.mktemp("gen") / "cloud.json"
    counts = generate_dump(path, N_OBJECTS, SEED)
    assert counts["objects"] == N_OBJECTS
    return Store(path)


# ---------------------------------------------------------------------------------- determinism

def test_same_seed_gives_same_bytes(tmp_path):
    for name in ("a.json", "b.json", "a.json.gz", "b.json.gz"):
        generate_dump(tmp_path / name, 300, 11)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()
    generate_dump(tmp_path / "c.json", 300, 12)
    assert (tmp_path / "c.json").read_bytes() != (tmp_path / "a.json").read_bytes()


def test_gzip_dump_holds_the_plain_dump(tmp_path):
    generate_dump(tmp_path / "a.json", 250, 4)
    generate_dump(tmp_path / "a.json.gz", 250, 4)
    assert gzip.decompress((tmp_path / "a.json.gz").read_bytes()) == (tmp_path / "a.json").read_bytes()


@pytest.mark.parametrize("prefix", [None, "east"])
def test_streamed_zookeeper_equals_write_dump(tmp_path, prefix):
    """generate_dump streams the ZooKeeper part itself; the bytes must equal write_dump's."""
    generate_dump(tmp_path / "streamed.json", 250, 6, prefix)
    with GeneratedStore(250, 6, prefix) as store:
        write_dump(tmp_path / "reference.json", store.cells(), store.znodes(), store.tables, prefix)
    assert (tmp_path / "streamed.json").read_bytes() == (tmp_path / "reference.json").read_bytes()


@pytest.mark.parametrize("n_objects", [MIN_OBJECTS, 257, 1000])
def test_object_count_is_exact(tmp_path, n_objects):
    counts = generate_dump(tmp_path / "x.json", n_objects, 5)
    assert counts["objects"] == n_objects == sum(counts["types"].values())
    rows = {cell.key for ref, cell in DumpSource(tmp_path / "x.json").cells() if ref.table == "obj_uuid_table"}
    assert len(rows) == n_objects


def test_too_few_objects_is_refused(tmp_path):
    with pytest.raises(ValueError):
        generate_dump(tmp_path / "x.json", MIN_OBJECTS - 1, 1)


def test_library_iterators_match_the_dump(store):
    cells = [(str(ref), cell.key, cell.column, cell.value, cell.writetime)
             for ref, cell in generate(N_OBJECTS, SEED)]
    from_dump = [(str(ref), cell.key, cell.column, cell.value, cell.writetime)
                 for ref, cell in store.source.cells()]
    assert cells == from_dump
    assert {n.path: data_text(n.data) for n in generate_znodes(N_OBJECTS, SEED)} == store.znodes


# ---------------------------------------------------------------------------------- format

def test_dump_reads_back_and_validates(store):
    counts = store.source.validate()
    assert counts["cells"] == sum(len(row) for table in store.tables.values() for row in table.values())
    assert counts["znodes"] == len(store.znodes)
    found = {(ref.keyspace, ref.table) for ref in store.source.tables()}
    assert found == {(ks, t) for ks, tables in KNOWN_TABLES.items() for t in tables}


def test_rows_decode_without_problems(store):
    assert len(store.objects) == N_OBJECTS
    for obj in store.objects.values():
        assert obj.problems == [], (obj.uuid, obj.problems)
        assert obj.is_live


def test_every_row_has_the_mandatory_columns(store):
    for obj in store.objects.values():
        for column in ("type", "fq_name", "META:latest_col_ts", "prop:id_perms", "prop:perms2",
                       "prop:display_name"):
            assert column in obj.writetimes, (obj.uuid, obj.type, column)
        if obj.parent is None:
            assert obj.parent_type is None
        else:
            assert obj.parent_type == obj.parent[0].replace("_", "-")
        perms = obj.props["id_perms"]
        assert longs_to_uuid(perms["uuid"]) == obj.uuid
        assert perms["created"] <= perms["last_modified"]


def test_writetimes_are_plausible(store):
    low, high = 1_577_836_800_000_000, 1_893_456_000_000_000  # 2020 .. 2030 in µs
    for table in store.tables.values():
        for row in table.values():
            for _, writetime in row.values():
                assert low < writetime < high
    for obj in store.objects.values():
        created = store.created(obj)
        assert obj.writetimes["fq_name"] == created
        assert obj.meta["latest_col_ts"] >= created
        assert obj.writetimes["prop:id_perms"] >= created


# ---------------------------------------------------------------------------------- links

def test_every_ref_has_its_backref(store):
    objects = store.objects
    for obj in objects.values():
        for (ref_type, ref_uuid), value in obj.refs.items():
            target = objects.get(ref_uuid)
            assert target is not None and target.type == ref_type, (obj.uuid, ref_type, ref_uuid)
            mirror = target.refs if ref_type == obj.type else target.backrefs
            assert mirror.get((obj.type, obj.uuid)) == value, (obj.uuid, ref_type, ref_uuid)
            assert target.meta["latest_col_ts"] >= obj.writetimes[f"ref:{ref_type}:{ref_uuid}"]
        for (from_type, from_uuid), value in obj.backrefs.items():
            source = objects.get(from_uuid)
            assert source is not None and source.type == from_type
            assert from_type != obj.type
            assert source.refs.get((obj.type, obj.uuid)) == value


def test_symmetric_same_type_refs_exist(store):
    assert any(t == o.type for o in store.objects.values() for (t, _) in o.refs)


def test_every_parent_has_the_children_cell(store):
    objects = store.objects
    for obj in objects.values():
        if obj.parent is not None:
            parent_type, parent_uuid = obj.parent
            parent = objects.get(parent_uuid)
            assert parent is not None and parent.type == parent_type
            assert parent.fq_name == obj.fq_name[:-1]
            # the children cell is written when the child is created
            assert parent.children.get((obj.type, obj.uuid)) == store.created(obj)
        for (child_type, child_uuid) in obj.children:
            child = objects.get(child_uuid)
            assert child is not None and child.type == child_type and child.parent == (obj.type, obj.uuid)


def test_fq_name_table_has_one_cell_per_object(store):
    table = store.tables["config_db_uuid.obj_fq_name_table"]
    expected = defaultdict(set)
    for obj in store.objects.values():
        expected[obj.type].add(fq_name_column(obj.fq_name, obj.uuid))
    assert set(table) == set(expected)
    for obj_type, row in table.items():
        assert set(row) == expected[obj_type]
        assert all(value == "null" for value, _ in row.values())
    assert sum(len(row) for row in table.values()) == len(store.objects)
    for row in table.values():
        for column in row:
            assert split_fq_name_column(column)[1] in store.objects


def test_fq_names_are_unique_per_type(store):
    seen = set()
    for obj in store.objects.values():
        assert (obj.type, tuple(obj.fq_name)) not in seen, (obj.type, obj.fq_name)
        seen.add((obj.type, tuple(obj.fq_name)))


def test_shared_table_matches_perms2(store):
    expected = defaultdict(dict)
    for obj in store.objects.values():
        perms = obj.props["perms2"]
        if perms["global_access"]:
            expected[obj.type][shared_column("global", "", obj.uuid)] = str(perms["global_access"])
        for share in perms["share"]:
            kind, _, tenant = share["tenant"].rpartition(":")
            expected[obj.type][shared_column(kind, tenant, obj.uuid)] = str(share["tenant_access"])
    table = store.tables["config_db_uuid.obj_shared_table"]
    assert {t: {c: v for c, (v, _) in row.items()} for t, row in table.items()} == expected
    kinds = {column.split(":", 1)[0] for row in table.values() for column in row}
    assert kinds == {"global", "tenant"}


# ---------------------------------------------------------------------------------- content

def test_long_list_property_sorts_as_text(store):
    longest = max((items for o in store.objects.values() for items in o.list_props.values()), key=len)
    assert len(longest) >= 11
    positions = [position for position, _ in longest]
    assert positions[:3] == ["0", "1", "10"]


def test_map_properties_and_annotations(store):
    annotated = [o for o in store.objects.values() if "annotations" in o.map_props]
    assert annotated
    for obj in annotated:
        for key, item in obj.map_props["annotations"].items():
            assert item["key"] == key


def test_awkward_names_exist(store):
    names = [element for o in store.objects.values() for element in o.fq_name]
    assert any(":" in n for n in names)
    assert any("/" in n for n in names)
    assert any(any(ord(ch) > 127 for ch in n) for n in names)
    assert any(n.startswith("target:64512:") for n in names)
    interfaces = {o.fq_name[-1] for o in store.of_type("physical_interface")}
    assert "ge-0/0/0" in interfaces


def test_type_mix_looks_like_a_cloud(store):
    counts = defaultdict(int)
    for obj in store.objects.values():
        counts[obj.type] += 1
    for required in ("domain", "global_system_config", "project", "virtual_network", "network_ipam",
                     "routing_instance", "route_target", "virtual_machine_interface", "instance_ip",
                     "security_group", "access_control_list", "logical_router", "floating_ip_pool",
                     "floating_ip", "tag", "tag_type", "virtual_machine", "physical_router",
                     "physical_interface", "virtual_router", "bgp_router", "loadbalancer",
                     "service_instance", "address_group"):
        assert counts[required] > 0, required
    top_two = sorted(counts, key=counts.get, reverse=True)[:2]
    assert set(top_two) == {"virtual_machine_interface", "instance_ip"}
    gsc = store.of_type("global_system_config")[0]
    assert gsc.fq_name == ["default-global-system-config"] and gsc.props["autonomous_system"] == 64512
    assert [o.fq_name for o in store.of_type("domain")] == [["default-domain"]]


def test_tags_have_hex_ids(store):
    for tag_type in store.of_type("tag_type"):
        assert tag_type.props["tag_type_id"].startswith("0x")
        assert f"/id/tags/types/{int(tag_type.props['tag_type_id'], 16):010d}" in store.znodes
    for tag in store.of_type("tag"):
        tag_id = int(tag.props["tag_id"], 16)
        path = f"/id/tags/values/{tag.props['tag_type_name']}/{tag_id & 0xFFFF:010d}"
        assert store.znodes[path] == tag.fq_name_str


# ---------------------------------------------------------------------------------- ZooKeeper

def test_fq_name_locks_point_at_their_objects(store):
    by_type_fq = {(o.type, o.fq_name_str): o.uuid for o in store.objects.values()}
    locks = {path: data for path, data in store.znodes.items() if path.startswith("/fq-name-to-uuid/")}
    assert locks
    for path, uuid in locks.items():
        obj_type, _, fq_str = path[len("/fq-name-to-uuid/"):].partition(":")
        assert by_type_fq[(obj_type, fq_str)] == uuid
    # projects and VMs get client-supplied uuids (Keystone, Nova): no lock, as upstream
    locked = set(locks.values())
    assert not any(o.uuid in locked for o in store.of_type("virtual_machine"))
    assert any(path.endswith(":ge-0/0/0") for path in locks)  # "/" in a name nests the znode


def test_id_allocations_match_properties(store):
    vn_ids = {o.props["virtual_network_network_id"]: o.fq_name_str for o in store.of_type("virtual_network")}
    zk_vn = {int(p.rsplit("/", 1)[1]) + 1: d for p, d in store.znodes.items() if p.startswith("/id/virtual-networks/")}
    assert zk_vn == vn_ids
    sg_ids = {o.props["security_group_id"] - 8_000_000: o.fq_name_str for o in store.of_type("security_group")}
    zk_sg = {int(p.rsplit("/", 1)[1]): d for p, d in store.znodes.items() if p.startswith("/id/security-groups/id/")}
    assert zk_sg.pop(0) == "__reserved__"
    assert zk_sg == sg_ids


def test_address_locks_match_instance_ips(store):
    objects = store.objects
    expected = {}
    for obj in store.of_type("instance_ip") + store.of_type("floating_ip"):
        if obj.type == "instance_ip":
            vn = next(objects[u] for (t, u) in obj.refs if t == "virtual_network")
            address = ipaddress.ip_address(obj.props["instance_ip_address"])
        else:
            vn = objects[objects[obj.parent[1]].parent[1]]
            address = ipaddress.ip_address(obj.props["floating_ip_address"])
        subnets = [s["subnet"] for (t, u), ref in vn.refs.items() if t == "network_ipam"
                   for s in ref["attr"]["ipam_subnets"]]
        subnet = next(s for s in subnets
                      if address in ipaddress.ip_network(f"{s['ip_prefix']}/{s['ip_prefix_len']}"))
        path = (f"/api-server/subnets/{vn.fq_name_str}:{subnet['ip_prefix']}/{subnet['ip_prefix_len']}"
                f"/{int(address):010d}")
        assert path not in expected, f"duplicate address {address} in {vn.fq_name_str}"
        expected[path] = obj.uuid
    zk = {p: d for p, d in store.znodes.items() if p.startswith("/api-server/subnets/")}
    assert zk == expected


def test_route_targets_agree_across_stores(store):
    table = {row: int(cols["rtgt_num"][0]) for row, cols in store.tables["to_bgp_keyspace.route_target_table"].items()}
    zk = {int(p.rsplit("/", 1)[1]): d for p, d in store.znodes.items() if p.startswith("/id/bgp/route-targets/type0/")}
    assert {number: owner for owner, number in table.items()} == zk
    objects = store.objects
    for rt in store.of_type("route_target"):
        number = int(rt.fq_name[0].rsplit(":", 1)[1])
        owner = zk[number]
        routers = [objects[u] for (t, u) in rt.backrefs if t == "logical_router"]
        instances = [objects[u] for (t, u) in rt.backrefs if t == "routing_instance"]
        if routers:
            assert [r.fq_name_str for r in routers] == [owner]
        else:
            assert owner in {ri.fq_name_str for ri in instances}


def test_useragent_subnets_match_vn_subnets(store):
    config = {}
    for vn in store.of_type("virtual_network"):
        for (t, _), ref in vn.refs.items():
            if t == "network_ipam":
                for s in ref["attr"]["ipam_subnets"]:
                    config[s["subnet_uuid"]] = f"{vn.uuid} {s['subnet']['ip_prefix']}/{s['subnet']['ip_prefix_len']}"
    table = store.tables["useragent.useragent_keyval_table"]
    assert {key: cols["value"][0] for key, cols in table.items()} == config


def test_private_keyspaces_are_populated(store):
    for table in ("to_bgp_keyspace.service_chain_uuid_table", "to_bgp_keyspace.service_chain_table",
                  "to_bgp_keyspace.service_chain_ip_address_table", "svc_monitor_keyspace.loadbalancer_table",
                  "dm_keyspace.dm_pr_asn_table", "dm_keyspace.dm_pr_vn_ip_table"):
        assert store.tables[table], table
    for lb_uuid, cols in store.tables["svc_monitor_keyspace.loadbalancer_table"].items():
        assert store.objects[lb_uuid].type == "loadbalancer"
        assert json.loads(cols["config_info"][0])["id"] == lb_uuid
        assert store.objects[json.loads(cols["driver_info"][0])["vmi"]].type == "virtual_machine_interface"
    for pr_uuid, cols in store.tables["dm_keyspace.dm_pr_asn_table"].items():
        assert store.objects[pr_uuid].type == "physical_router"
        fabric_uuid, asn = cols["asn"][0].split(":")
        assert store.objects[fabric_uuid].type == "fabric" and int(asn) > 0
    for chain, cols in store.tables["to_bgp_keyspace.service_chain_ip_address_table"].items():
        iip = store.objects[cols["ip_uuid"][0]]
        assert iip.props["instance_ip_address"] == cols["ip_address"][0]
        assert decode_json(store.tables["to_bgp_keyspace.service_chain_uuid_table"][chain]["value"][0])["name"] == chain


def test_prefix_applies_to_zookeeper_paths(tmp_path):
    generate_dump(tmp_path / "p.json", 250, 2, prefix="east")
    paths = [node.path for node in DumpSource(tmp_path / "p.json").znodes()]
    assert paths and all(p.startswith("/east/") for p in paths)
    raw = json.loads(json.loads((tmp_path / "p.json").read_text())["zookeeper"])
    assert all(item[0].startswith("east/") and item[0].endswith("/") for item in raw)
    assert all(parse_allocator_node(p.rsplit("/", 1)[1]) is not None
               for p in paths if "/id/" in p)


# ---------------------------------------------------------------------------------- CLI, fixture

def test_cli_writes_a_dump(tmp_path, capsys):
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        import gen_tf_data
    finally:
        sys.path.pop(0)
    assert gen_tf_data.main(["--objects", "250", "--seed", "9", "-o", str(tmp_path / "cli.json.gz")]) == 0
    assert "250 objects" in capsys.readouterr().out
    assert DumpSource(tmp_path / "cli.json.gz").validate()["cells"] > 0


def test_committed_fixture_is_what_the_generator_makes(tmp_path):
    fixture = REPO_ROOT / "fixtures" / "small-dump.json"
    generate_dump(tmp_path / "small-dump.json", 300, 1)
    assert fixture.read_bytes() == (tmp_path / "small-dump.json").read_bytes(), \
        "regenerate: python scripts/gen_tf_data.py --objects 300 --seed 1 -o fixtures/small-dump.json"
