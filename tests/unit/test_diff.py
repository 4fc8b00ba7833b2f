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


def counts(added=0, removed=0, changed=0):
    return {"added": added, "removed": removed, "changed": changed}


def summary(objects=None, stale=None, rows=None, znodes=None):
    """diff's summary: these counts per group (none where not given) and their totals."""
    groups = {"objects": objects, "stale_index_entries": stale, "rows": rows, "znodes": znodes}
    groups = {name: given or counts() for name, given in groups.items()}
    totals = {c: sum(g[c] for g in groups.values()) for c in ("added", "removed", "changed")}
    return {**groups, "totals": totals}


def test_identical_states_are_equal(tmp_path):
    result = run_diff(tmp_path, lambda s: None)
    assert result == {"equal": True, "summary": summary(), "changes": []}


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
    assert result["summary"] == summary(objects=counts(added=1, changed=1))
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
    assert run_diff(tmp_path, touch)["summary"]["objects"]["changed"] == 1
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
    assert body["summary"] == summary(objects=counts(changed=1))
    assert set(body["changes"][0]) >= {"change", "kind", "uuid", "type", "fq_name", "fields", "details"}
    text = runner.invoke(cli, ["diff", str(a), str(b)])
    assert text.exit_code == 1 and "props.display_name: \"vn\" -> \"renamed\"" in text.output
    assert text.output.splitlines()[-1] == "1 object changed"
    broken = write(tmp_path, "broken.json", {"cassandra": {}})
    bad = runner.invoke(cli, ["diff", str(a), str(broken)])
    assert bad.exit_code == 2 and "'zookeeper' part is missing" in bad.output


def test_cli_json_and_text_for_every_kind_of_entry(tmp_path):
    """Every entry kind in one diff: its JSON fields, its text section, and the summary line."""
    a = write(tmp_path, "a.json", base_state())
    b_state = base_state()
    with_new_ipam(b_state)
    cdb = b_state["cassandra"]["config_db_uuid"]
    cdb["obj_fq_name_table"]["virtual_network"][f"d:p:ghost:{STALE}"] = ["null", 9]
    del cdb["obj_uuid_table"][VMI]
    del cdb["obj_uuid_table"][VN][f"backref:virtual_machine_interface:{VMI}"]
    b_state["cassandra"]["to_bgp_keyspace"]["route_target_table"]["d:p:vn:vn"] = {"rtgt_num": ["8000002", 9]}
    b_state["zookeeper"] = json.dumps([["/fq-name-to-uuid/virtual_network:d:p:vn/", [VN, None]]])
    b = write(tmp_path, "b.json", b_state)
    runner = CliRunner()
    body = json.loads(runner.invoke(cli, ["diff", str(a), str(b), "--format", "json"]).output)
    assert body["equal"] is False
    assert body["summary"] == summary(objects=counts(added=1, removed=1, changed=1), stale=counts(added=1),
                                      rows=counts(changed=1), znodes=counts(removed=1))
    assert body["summary"]["totals"] == counts(added=2, removed=2, changed=2)
    entries = [(c["kind"], c["change"], c.get("uuid") or c.get("key") or c.get("path")) for c in body["changes"]]
    assert entries == [("object", "added", NEW_IPAM), ("object", "removed", VMI), ("object", "changed", VN),
                       ("stale_index_entry", "added", STALE), ("row", "changed", "d:p:vn:vn"),
                       ("znode", "removed", "/id/virtual-networks/0000000000")]
    for change in body["changes"]:
        if change["kind"] in ("object", "stale_index_entry") or "details" in change:
            assert change["fields"] == [d["field"] for d in change["details"]], change
    removed = next(c for c in body["changes"] if c["change"] == "removed" and c["kind"] == "object")
    assert removed["fields"] == [f"refs.virtual_network:{VN}"]
    text = runner.invoke(cli, ["diff", str(a), str(b)])
    assert text.exit_code == 1
    lines = text.output.splitlines()
    assert "stale index entries, no such object on either side (1)" in lines
    assert f"  + {STALE}  virtual_network" in lines
    assert f"      refs.virtual_network:{VN}: {{\"attr\": null, \"is_weakref\": false}} -> null" in lines
    assert lines[-1] == ("1 object added, 1 removed, 1 changed; 1 stale index entry added; 1 row changed; "
                         "1 znode removed")


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


# ------------------------------------------------ one entry per (change, object); distinct counts

NEW_IPAM = "11111111-0000-0000-0000-0000000000bb"
STALE = "11111111-0000-0000-0000-0000000000dd"


def with_new_ipam(state):
    """An object with its fq-name index and shared cells, linked to nothing."""
    cdb = state["cassandra"]["config_db_uuid"]
    cdb["obj_uuid_table"][NEW_IPAM] = {"type": ['"network_ipam"', 9], "fq_name": ['["d", "p", "ipam2"]', 9],
                                       "prop:display_name": ['"ipam2"', 9]}
    cdb["obj_fq_name_table"]["network_ipam"] = {f"d:p:ipam2:{NEW_IPAM}": ["null", 9]}
    cdb["obj_shared_table"]["network_ipam"] = {f"global::{NEW_IPAM}": ["5", 9]}


def index_tables_first(state):
    """The same data with obj_fq_name_table and obj_shared_table before obj_uuid_table: the
    snapshot keeps the dump's table order, so the diff meets the index cells first."""
    cdb = state["cassandra"]["config_db_uuid"]
    state["cassandra"]["config_db_uuid"] = {t: cdb[t] for t in ("obj_fq_name_table", "obj_shared_table",
                                                                 "obj_uuid_table")}


def run_pair(tmp_path, a, b, options=None):
    pa, pb = write(tmp_path, "a.json", a), write(tmp_path, "b.json", b)
    return diff_sources(DumpSource(pa), DumpSource(pb), options or DiffOptions(), workdir=str(tmp_path)).as_dict()


def both_orders(build):
    """(A, B) pairs of ``build()``, once as built and once with the index tables first."""
    for reorder in (False, True):
        a, b = build()
        if reorder:
            index_tables_first(a)
            index_tables_first(b)
        yield a, b


IPAM2_CELLS = [f"fq_name_index.d:p:ipam2:{NEW_IPAM}", f"shared.global::{NEW_IPAM}"]


def test_added_object_with_its_index_and_shared_cells_is_one_entry(tmp_path):
    def build():
        b = base_state()
        with_new_ipam(b)
        return base_state(), b
    for a, b in both_orders(build):
        result = run_pair(tmp_path, a, b)
        c = only_change(result)
        assert (c["change"], c["kind"], c["uuid"], c["type"], c["fq_name"]) == \
            ("added", "object", NEW_IPAM, "network_ipam", ["d", "p", "ipam2"])
        assert c["fields"] == IPAM2_CELLS
        assert c["details"] == [{"field": IPAM2_CELLS[0], "old": None, "new": "null"},
                                {"field": IPAM2_CELLS[1], "old": None, "new": "5"}]
        assert result["summary"] == summary(objects=counts(added=1))


def test_removed_object_with_its_index_and_shared_cells_is_one_entry(tmp_path):
    def build():
        a = base_state()
        with_new_ipam(a)
        return a, base_state()
    for a, b in both_orders(build):
        result = run_pair(tmp_path, a, b)
        c = only_change(result)
        assert (c["change"], c["uuid"], c["fields"]) == ("removed", NEW_IPAM, IPAM2_CELLS)
        assert [(d["old"], d["new"]) for d in c["details"]] == [("null", None), ("5", None)]
        assert result["summary"] == summary(objects=counts(removed=1))


def test_removed_object_lists_its_link_cells_and_its_peers_are_their_own_entries(tmp_path):
    def mutate(s):
        cdb = s["cassandra"]["config_db_uuid"]
        del cdb["obj_uuid_table"][VN]
        cdb["obj_fq_name_table"]["virtual_network"] = {}
        del cdb["obj_shared_table"]["virtual_network"]
        del cdb["obj_uuid_table"][PROJ][f"children:virtual_network:{VN}"]
        del cdb["obj_uuid_table"][IPAM][f"backref:virtual_network:{VN}"]
    result = run_diff(tmp_path, mutate)
    by_uuid = {c["uuid"]: c for c in result["changes"]}
    assert len(result["changes"]) == len(by_uuid) == 3
    assert by_uuid[VN]["change"] == "removed"
    assert by_uuid[VN]["fields"] == [f"backrefs.virtual_machine_interface:{VMI}", f"fq_name_index.d:p:vn:{VN}",
                                     "parent", f"refs.network_ipam:{IPAM}", f"shared.global::{VN}"]
    assert next(d for d in by_uuid[VN]["details"] if d["field"] == "parent") == \
        {"field": "parent", "old": f"project:{PROJ}", "new": None}
    assert (by_uuid[PROJ]["change"], by_uuid[PROJ]["fields"]) == ("changed", [f"children.virtual_network:{VN}"])
    assert (by_uuid[IPAM]["change"], by_uuid[IPAM]["fields"]) == ("changed", [f"backrefs.virtual_network:{VN}"])
    assert result["summary"] == summary(objects=counts(removed=1, changed=2))


def test_changed_object_lists_prop_index_and_shared_fields_in_one_entry(tmp_path):
    def build():
        b = base_state()
        cdb = b["cassandra"]["config_db_uuid"]
        cdb["obj_uuid_table"][VN]["prop:display_name"] = ['"renamed"', 9]
        cdb["obj_fq_name_table"]["virtual_network"] = {f"d:p:vn:{VN}": ['"x"', 9]}
        cdb["obj_shared_table"]["virtual_network"] = {f"global::{VN}": ["7", 9]}
        return base_state(), b
    for a, b in both_orders(build):
        result = run_pair(tmp_path, a, b)
        c = only_change(result)
        assert (c["change"], c["uuid"], c["fq_name"]) == ("changed", VN, ["d", "p", "vn"])
        assert c["fields"] == [f"fq_name_index.d:p:vn:{VN}", "props.display_name", f"shared.global::{VN}"]
        assert [(d["old"], d["new"]) for d in c["details"]] == [("null", '"x"'), ("vn", "renamed"), ("5", "7")]
        assert result["summary"] == summary(objects=counts(changed=1))


def test_ref_added_between_two_objects_counts_two_changed_objects(tmp_path):
    def mutate(s):
        link = '{"attr": null, "is_weakref": false}'
        uuid_table(s)[VMI][f"ref:network_ipam:{IPAM}"] = [link, 9]
        uuid_table(s)[IPAM][f"backref:virtual_machine_interface:{VMI}"] = [link, 9]
    result = run_diff(tmp_path, mutate)
    assert sorted((c["uuid"], c["change"], tuple(c["fields"])) for c in result["changes"]) == [
        (VMI, "changed", (f"refs.network_ipam:{IPAM}",)),
        (IPAM, "changed", (f"backrefs.virtual_machine_interface:{VMI}",))]
    assert result["summary"] == summary(objects=counts(changed=2))


def test_stale_index_cells_for_an_object_on_neither_side_are_one_labelled_entry(tmp_path):
    def build():
        b = base_state()
        cdb = b["cassandra"]["config_db_uuid"]
        cdb["obj_fq_name_table"]["virtual_network"][f"d:p:ghost:{STALE}"] = ["null", 9]
        cdb["obj_shared_table"]["virtual_network"][f"global::{STALE}"] = ["5", 9]
        return base_state(), b
    for a, b in both_orders(build):
        result = run_pair(tmp_path, a, b)
        c = only_change(result)
        assert (c["change"], c["kind"], c["uuid"], c["type"]) == ("added", "stale_index_entry", STALE,
                                                                  "virtual_network")
        assert "neither side" in c["note"]
        assert c["fields"] == [f"fq_name_index.d:p:ghost:{STALE}", f"shared.global::{STALE}"]
        assert result["summary"] == summary(stale=counts(added=1))
        gone = run_pair(tmp_path, b, a)
        assert only_change(gone)["change"] == "removed" and gone["summary"] == summary(stale=counts(removed=1))


def test_index_cell_of_an_unchanged_object_names_the_object(tmp_path):
    def mutate(s):
        del s["cassandra"]["config_db_uuid"]["obj_shared_table"]["virtual_network"]
    c = only_change(run_diff(tmp_path, mutate))
    assert (c["kind"], c["change"], c["type"], c["fq_name"]) == ("object", "changed", "virtual_network",
                                                                 ["d", "p", "vn"])
    assert c["details"] == [{"field": f"shared.global::{VN}", "old": "5", "new": None}]


def test_summary_counts_distinct_things_and_the_text_line_says_so():
    from tfdata.commands.diff import summary_line
    from tfdata.ops.diff import summarize

    changes = [{"kind": "object", "change": "added", "uuid": "a"}, {"kind": "object", "change": "added", "uuid": "b"},
               {"kind": "object", "change": "changed", "uuid": "c"},
               {"kind": "object", "change": "changed", "uuid": "c"},  # never made by diff; still one object
               *({"kind": "row", "change": "changed", "keyspace": "k", "table": "t", "key": k} for k in "xyz"),
               {"kind": "znode", "change": "removed", "path": "/p"}]
    s = summarize(changes)
    assert s == summary(objects=counts(added=2, changed=1), rows=counts(changed=3), znodes=counts(removed=1))
    assert s["totals"] == counts(added=2, changed=4, removed=1)
    assert summary_line(s) == "2 objects added, 1 changed; 3 rows changed; 1 znode removed"
    assert summary_line(summarize([])) == "equal"


class _FakeDb:
    """The few ClusterStore.cassandra calls sync verify makes for index cells, over a dict."""

    def __init__(self, rows):
        self.rows = rows  # (TableRef, key) -> {column: Cell}

    def cells_of_row(self, table, key, columns):
        row = self.rows.get((table, key), {})
        return [row[c] for c in columns if c in row]

    def row_cells(self, table, key):
        return list(self.rows.get((table, key), {}).values())

    def mutate(self, changes):
        for table, actions in changes:
            for cell in actions.writes:
                self.rows.setdefault((table, cell.key), {})[cell.column] = cell
            for key, column, _ in actions.cell_deletes:
                self.rows.get((table, key), {}).pop(column, None)


def test_sync_verify_rechecks_and_repairs_a_stale_index_entry_alone(tmp_path):
    """verify reuses diff's entries: a stale index entry is re-checked and repaired as index
    cells only (there is no object to copy), and its summary is diff's."""
    from types import SimpleNamespace

    from tfdata.model.cells import Cell
    from tfdata.sync.objects import FQ_REF
    from tfdata.sync.verify import (
        VerifyResult,
        _KnownTables,
        _still_differs,
        repair_changes,
    )

    column = f"d:p:ghost:{STALE}"

    def mutate(s):
        s["cassandra"]["config_db_uuid"]["obj_fq_name_table"]["virtual_network"][column] = ["null", 9]
    change = only_change(run_diff(tmp_path, mutate))
    assert change["kind"] == "stale_index_entry"
    old = SimpleNamespace(cassandra=_FakeDb({}))
    new = SimpleNamespace(cassandra=_FakeDb({(FQ_REF, "virtual_network"): {
        column: Cell("virtual_network", column, "null", 9)}}))
    assert _still_differs(change, old, new, DiffOptions(), _KnownTables())
    repair_changes(old, new, [change])
    assert new.cassandra.rows[(FQ_REF, "virtual_network")] == {}
    assert not _still_differs(change, old, new, DiffOptions(), _KnownTables())
    assert VerifyResult(changes=[change]).summary() == summary(stale=counts(added=1))


# ------------------------------------------------------------------------- filters (library)

def test_unknown_keyspace_type_and_blank_ignore_are_input_errors(tmp_path):
    import pytest

    from tfdata.errors import InputError

    with pytest.raises(InputError, match=r"unknown keyspace 'to_bgp' \(did you mean 'to_bgp_keyspace'\?.*"
                                         r"known: config_db_uuid, dm_keyspace, .*zookeeper"):
        run_diff(tmp_path, lambda s: None, DiffOptions(keyspaces=["to_bgp"]))
    with pytest.raises(InputError, match=r"unknown object type 'no_such_type' \(.*known: .*virtual_network"):
        run_diff(tmp_path, lambda s: None, DiffOptions(types=["no_such_type"]))
    with pytest.raises(InputError, match="empty --ignore pattern"):
        run_diff(tmp_path, lambda s: None, DiffOptions(ignore=[" "]))
    with pytest.raises(InputError, match="empty segment"):
        run_diff(tmp_path, lambda s: None, DiffOptions(ignore=["id_perms..last_modified"]))


def test_a_type_no_release_knows_is_accepted_when_the_data_has_it(tmp_path):
    odd = "11111111-0000-0000-0000-0000000000ee"

    def mutate(s):
        uuid_table(s)[odd] = {"type": ['"vendor_gadget"', 9], "fq_name": ['["g"]', 9]}
        uuid_table(s)[VN]["prop:display_name"] = ['"renamed"', 9]
    result = run_diff(tmp_path, mutate, DiffOptions(types=["vendor-gadget"]))
    assert [(c["uuid"], c["change"]) for c in result["changes"]] == [(odd, "added")]
    assert run_diff(tmp_path, mutate, DiffOptions(types=["virtual-network", "network_ipam"]))["summary"] == \
        summary(objects=counts(changed=1))
