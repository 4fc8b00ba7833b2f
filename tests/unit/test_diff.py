"""diff on hand-built pairs: every change kind is reported exactly, and nothing else."""

from __future__ import annotations

import copy
import json

from click.testing import CliRunner

from tfdata.cli import cli
from tfdata.ops.diff import DiffOptions, diff_sources
from tfdata.stores.dump import DumpSource

VN = "11111111-0000-0000-0000-000000000001"
VMI = "11111111-0000-0000-0000-000000000002"
IPAM = "11111111-0000-0000-0000-000000000003"
PROJ = "11111111-0000-0000-0000-000000000004"


def base_state():
    ref_none = '{"attr": null, "is_weakref": false}'
    uuid_table = {
        PROJ: {"type": ['"project"', 1], "fq_name": ['["d", "p"]', 1], f"children:virtual_network:{VN}": ["null", 2]},
        VN: {"type": ['"virtual_network"', 2], "fq_name": ['["d", "p", "vn"]', 2], f"parent:project:{PROJ}": ["null", 2],
             "parent_type": ['"project"', 2], "prop:display_name": ['"vn"', 2],
             "prop:id_perms": ['{"created": "t0", "last_modified": "t0"}', 2],
             "propl:route_list:0": ['"a"', 2], "propl:route_list:1": ['"b"', 2],
             "propm:annotations:k": ['{"key": "k", "value": "v"}', 2],
             f"ref:network_ipam:{IPAM}": ['{"attr": {"subnets": ["10.0.0.0/24"]}, "is_weakref": false}', 2],
             f"backref:virtual_machine_interface:{VMI}": [ref_none, 3], "META:latest_col_ts": ["null", 3]},
        IPAM: {"type": ['"network_ipam"', 1], "fq_name": ['["d", "p", "ipam"]', 1],
               f"backref:virtual_network:{VN}": ['{"attr": {"subnets": ["10.0.0.0/24"]}, "is_weakref": false}', 2]},
        VMI: {"type": ['"virtual_machine_interface"', 3], "fq_name": ['["d", "p", "port"]', 3],
              f"ref:virtual_network:{VN}": [ref_none, 3]},
    }
    return {"cassandra": {
        "config_db_uuid": {
            "obj_uuid_table": uuid_table,
            "obj_fq_name_table": {"virtual_network": {f"d:p:vn:{VN}": ["null", 2]}},
            "obj_shared_table": {"virtual_network": {f"global::{VN}": ["5", 2]}},
        },
        "to_bgp_keyspace": {"route_target_table": {"d:p:vn:vn": {"rtgt_num": ["8000001", 2]}}},
    }, "zookeeper": json.dumps([["/id/virtual-networks/0000000000/", ["d:p:vn", None]],
                                ["/fq-name-to-uuid/virtual_network:d:p:vn/", [VN, None]]])}


def write(tmp_path, name, state):
    path = tmp_path / name
    path.write_text(json.dumps(state))
    return path


def run_diff(tmp_path, mutate, options=None):
    a = base_state()
    b = copy.deepcopy(a)
    mutate(b)
    pa, pb = write(tmp_path, "a.json", a), write(tmp_path, "b.json", b)
    return diff_sources(DumpSource(pa), DumpSource(pb), options or DiffOptions(), workdir=str(tmp_path)).as_dict()


def uuid_table(state):
    return state["cassandra"]["config_db_uuid"]["obj_uuid_table"]


def only_change(result):
    assert len(result["changes"]) == 1, result["changes"]
    return result["changes"][0]


def test_identical_states_are_equal(tmp_path):
    result = run_diff(tmp_path, lambda s: None)
    assert result == {"equal": True, "summary": {"added": 0, "removed": 0, "changed": 0}, "changes": []}


def test_property_change(tmp_path):
    def mutate(s):
        uuid_table(s)[VN]["prop:display_name"] = ['"renamed"', 9]
    c = only_change(run_diff(tmp_path, mutate))
    assert (c["change"], c["kind"], c["uuid"], c["type"], c["fq_name"]) == ("changed", "object", VN, "virtual_network",
                                                                            ["d", "p", "vn"])
    assert c["fields"] == ["props.display_name"]
    assert c["details"][0]["old"] == "vn" and c["details"][0]["new"] == "renamed"


def test_list_and_map_items(tmp_path):
    def mutate(s):
        row = uuid_table(s)[VN]
        row["propl:route_list:1"] = ['"c"', 9]
        row["propl:route_list:2"] = ['"d"', 9]
        del row["propm:annotations:k"]
    c = only_change(run_diff(tmp_path, mutate))
    assert c["fields"] == ["props.annotations{}", "props.route_list[].1", "props.route_list[].2"]


def test_ref_attr_change_reports_both_ends(tmp_path):
    def mutate(s):
        value = '{"attr": {"subnets": ["10.9.0.0/24"]}, "is_weakref": false}'
        uuid_table(s)[VN][f"ref:network_ipam:{IPAM}"] = [value, 9]
        uuid_table(s)[IPAM][f"backref:virtual_network:{VN}"] = [value, 9]
    result = run_diff(tmp_path, mutate)
    by_uuid = {c["uuid"]: c for c in result["changes"]}
    assert set(by_uuid) == {VN, IPAM}
    assert by_uuid[VN]["fields"] == [f"refs.network_ipam:{IPAM}.attr.subnets.0"]
    assert by_uuid[IPAM]["fields"] == [f"backrefs.virtual_network:{VN}.attr.subnets.0"]


def test_added_port_reports_its_network_through_the_backref(tmp_path):
    new_vmi = "11111111-0000-0000-0000-0000000000aa"

    def mutate(s):
        uuid_table(s)[new_vmi] = {"type": ['"virtual_machine_interface"', 9], "fq_name": ['["d", "p", "p2"]', 9],
                                  f"ref:virtual_network:{VN}": ['{"attr": null, "is_weakref": false}', 9]}
        uuid_table(s)[VN][f"backref:virtual_machine_interface:{new_vmi}"] = ['{"attr": null, "is_weakref": false}', 9]
    result = run_diff(tmp_path, mutate)
    assert result["summary"] == {"added": 1, "removed": 0, "changed": 1}
    changed = next(c for c in result["changes"] if c["change"] == "changed")
    assert changed["uuid"] == VN and changed["fields"] == [f"backrefs.virtual_machine_interface:{new_vmi}"]


def test_missing_backref_is_a_change(tmp_path):
    def mutate(s):
        del uuid_table(s)[VN][f"backref:virtual_machine_interface:{VMI}"]
    c = only_change(run_diff(tmp_path, mutate))
    assert c["uuid"] == VN and c["fields"] == [f"backrefs.virtual_machine_interface:{VMI}"]


def test_removed_object_and_children(tmp_path):
    def mutate(s):
        del uuid_table(s)[VMI]
        del uuid_table(s)[PROJ][f"children:virtual_network:{VN}"]
    result = run_diff(tmp_path, mutate)
    kinds = {(c["uuid"], c["change"]) for c in result["changes"]}
    assert kinds == {(VMI, "removed"), (PROJ, "changed")}
    assert next(c for c in result["changes"] if c["uuid"] == PROJ)["fields"] == [f"children.virtual_network:{VN}"]


def test_index_and_shared_changes_fold_into_the_object(tmp_path):
    def mutate(s):
        cdb = s["cassandra"]["config_db_uuid"]
        cdb["obj_fq_name_table"]["virtual_network"] = {}
        cdb["obj_shared_table"]["virtual_network"][f"global::{VN}"] = ["7", 9]
    c = only_change(run_diff(tmp_path, mutate))
    assert c["uuid"] == VN and c["type"] == "virtual_network"
    assert c["fields"] == [f"fq_name_index.d:p:vn:{VN}", f"shared.global::{VN}"]


def test_other_keyspace_rows_and_znodes(tmp_path):
    def mutate(s):
        s["cassandra"]["to_bgp_keyspace"]["route_target_table"]["d:p:vn:vn"] = {"rtgt_num": ["8000002", 9]}
        s["cassandra"]["to_bgp_keyspace"]["route_target_table"]["d:p:x:x"] = {"rtgt_num": ["8000003", 9]}
        s["zookeeper"] = json.dumps([["/id/virtual-networks/0000000000/", ["d:p:other", None]],
                                     ["/id/virtual-networks/0000000001/", ["d:p:x", None]]])
    result = run_diff(tmp_path, mutate)
    rows = [(c["change"], c.get("key"), c.get("path"), c.get("fields")) for c in result["changes"]]
    assert rows == [("changed", "d:p:vn:vn", None, ["rtgt_num"]), ("added", "d:p:x:x", None, None),
                    ("removed", None, "/fq-name-to-uuid/virtual_network:d:p:vn", None),
                    ("changed", None, "/id/virtual-networks/0000000000", ["data"]),
                    ("added", None, "/id/virtual-networks/0000000001", None)]


def test_ignore_filters_and_writetimes(tmp_path):
    def touch(s):
        uuid_table(s)[VN]["prop:id_perms"] = ['{"created": "t0", "last_modified": "t9"}', 9]
        uuid_table(s)[VN]["META:latest_col_ts"] = ["null", 99]
    assert run_diff(tmp_path, touch)["summary"]["changed"] == 1
    assert run_diff(tmp_path, touch, DiffOptions(ignore=["id_perms.last_modified"]))["equal"]
    assert not run_diff(tmp_path, touch, DiffOptions(ignore=["id_perms.last_modified"], writetimes=True))["equal"]
    assert run_diff(tmp_path, touch, DiffOptions(ignore=["id_perms.last_modified", "writetimes"],
                                                 writetimes=True))["equal"]

    def only_ts(s):
        uuid_table(s)[VN]["prop:display_name"] = ['"vn"', 12345]
    assert run_diff(tmp_path, only_ts)["equal"]
    c = only_change(run_diff(tmp_path, only_ts, DiffOptions(writetimes=True)))
    assert c["fields"] == ["writetimes.prop:display_name"]

    def two(s):
        uuid_table(s)[VN]["prop:display_name"] = ['"x"', 9]
        uuid_table(s)[IPAM]["prop:display_name"] = ['"y"', 9]
    assert [c["uuid"] for c in run_diff(tmp_path, two, DiffOptions(types=["network-ipam"]))["changes"]] == [IPAM]
    assert run_diff(tmp_path, two, DiffOptions(keyspaces=["to_bgp_keyspace"]))["equal"]


def test_cli_contract_and_exit_codes(tmp_path):
    a = write(tmp_path, "a.json", base_state())
    b_state = base_state()
    uuid_table(b_state)[VN]["prop:display_name"] = ['"renamed"', 9]
    b = write(tmp_path, "b.json", b_state)
    runner = CliRunner()
    same = runner.invoke(cli, ["diff", str(a), str(a), "--format", "json"])
    assert same.exit_code == 0 and json.loads(same.output)["equal"] is True
    differ = runner.invoke(cli, ["diff", str(a), str(b), "--format", "json"])
    assert differ.exit_code == 1
    body = json.loads(differ.output)
    assert set(body) == {"equal", "summary", "changes"}
    assert set(body["changes"][0]) >= {"change", "kind", "uuid", "type", "fq_name", "fields"}
    text = runner.invoke(cli, ["diff", str(a), str(b)])
    assert text.exit_code == 1 and "props.display_name: \"vn\" -> \"renamed\"" in text.output
    broken = write(tmp_path, "broken.json", {"cassandra": {}})
    bad = runner.invoke(cli, ["diff", str(a), str(broken)])
    assert bad.exit_code == 2 and "'zookeeper' part is missing" in bad.output


def test_changed_fields_match_deepdiff_on_the_fast_path_and_off_it():
    """The scalar fast path reports what deepdiff reports: per key while most keys are shared,
    the whole dict once fewer than a third are; lists and floats go to deepdiff itself."""
    from tfdata.ops.diff import changed_fields

    base = {"type": "vn", "props": {"display_name": "a", "id_perms": {"enable": True, "uuid": {"a": 1, "b": 2}},
                                    "mtu": 1500, "flag": None}}
    two_added = copy.deepcopy(base)
    two_added["props"].update(x="1", y=2)
    assert [(f["field"], f["old"], f["new"]) for f in changed_fields(base, two_added)] == \
        [("props.x", None, "1"), ("props.y", None, 2)]
    replaced = copy.deepcopy(base)
    replaced["props"]["id_perms"]["uuid"] = {"c": 3, "d": 4}
    assert changed_fields(base, replaced) == [{"field": "props.id_perms.uuid", "old": {"a": 1, "b": 2},
                                               "new": {"c": 3, "d": 4}}]
    typed = copy.deepcopy(base)
    typed["props"]["mtu"] = 1500.0  # equal in Python, a type change for deepdiff
    typed["props"]["flag"] = False
    assert [f["field"] for f in changed_fields(base, typed)] == ["props.flag", "props.mtu"]
    listed = copy.deepcopy(base)
    listed["props"]["routes"] = ["10.0.0.0/8"]
    base_listed = copy.deepcopy(base)
    base_listed["props"]["routes"] = []
    assert changed_fields(base_listed, listed) == [{"field": "props.routes.0", "old": None, "new": "10.0.0.0/8"}]
