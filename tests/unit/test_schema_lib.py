"""tfdata.schema library: loading, examples, check_object, diff, upgrade impact, release guess."""

from __future__ import annotations

import random
import shutil

import pytest

from tfdata.errors import InputError
from tfdata.schema import (
    UnknownRelease,
    check_object,
    diff_releases,
    example_props,
    example_ref_attr,
    guess_release,
    list_releases,
    load_release,
    schemas_dir,
    upgrade_impact,
)
from tfdata.schema.check import without_empty_values

RELEASES = ["R5.0", "R5.1", "R1909", "R1912", "R2002", "R2005", "R2011", "R21.3", "R21.4", "master"]


def kinds(problems, severity="error"):
    return sorted({(p["kind"], p["field"]) for p in problems if p["severity"] == severity})


def first(problems, kind):
    return next(p for p in problems if p["kind"] == kind)


# --- loading ---------------------------------------------------------------------------------

def test_load_release_is_cached_and_accepts_both_name_forms():
    master = load_release("master")
    assert load_release("master") is master
    assert load_release(master) is master
    assert master.type_name("virtual-network") == master.type_name("virtual_network") == "virtual_network"
    assert master.type_name("no-such-type") is None


def test_unknown_release_is_an_input_error_with_known_names():
    with pytest.raises(UnknownRelease) as excinfo:
        load_release("R9")
    assert isinstance(excinfo.value, InputError)
    assert str(excinfo.value) == f"unknown release 'R9' (known: {', '.join(RELEASES)})"


def test_schemas_dir_can_be_overridden_by_environment(tmp_path, monkeypatch):
    shutil.copy(schemas_dir() / "R5.0.json", tmp_path / "R5.0.json")
    monkeypatch.setenv("TFDATA_SCHEMAS_DIR", str(tmp_path))
    assert list_releases() == ["R5.0"]
    assert load_release("R5.0").name == "R5.0"
    with pytest.raises(UnknownRelease):
        load_release("master")


def test_parents_top_level_and_config_root():
    r50, r51 = load_release("R5.0"), load_release("R5.1")
    assert r50.parent_types("multicast_policy") == []
    assert r50.allows_parent("multicast-policy", None)
    assert r50.allows_parent("multicast_policy", "config-root")
    assert not r51.allows_parent("multicast_policy", None)
    assert r51.allows_parent("multicast_policy", "project")
    master = load_release("master")
    assert master.allows_parent("domain", "config-root") and master.allows_parent("domain", None)
    assert master.allows_parent("tag", "project") and master.allows_parent("tag", None)
    assert sorted(master.parent_types("virtual_port_group")) == ["fabric", "project"]


# --- examples --------------------------------------------------------------------------------

@pytest.mark.parametrize("release", RELEASES)
def test_example_of_every_type_validates(release):
    schema = load_release(release)
    for obj_type in schema.object_types:
        rng = random.Random(f"{release}/{obj_type}")
        props = example_props(release, obj_type, rng)
        parent = (schema.parent_types(obj_type) or [None])[0]
        refs = {target: [example_ref_attr(release, obj_type, target, rng)]
                for target in schema.references(obj_type)}
        document = {"uuid": "u", "fq_name": ["x"], **props,
                    **{f"{t}_refs": [{"to": ["x"], "uuid": "u", "attr": a[0]}] for t, a in refs.items()}}
        errors = [e.message for e in schema.object_validator(obj_type).iter_errors(document)]
        assert errors == [], (obj_type, errors[:3])
        problems = check_object(release, obj_type, props, refs, parent, strict=True)
        assert kinds(problems) == [], (obj_type, problems[:3])


def test_examples_are_deterministic_and_realistic():
    a = example_props("master", "virtual_machine_interface", random.Random(7))
    b = example_props("master", "virtual_machine_interface", random.Random(7))
    assert a == b
    macs = a["virtual_machine_interface_mac_addresses"]["mac_address"]
    assert all(len(mac.split(":")) == 6 for mac in macs)
    assert a["id_perms"]["enable"] is True
    subnets = example_props("master", "network_ipam", random.Random(1))["ipam_subnets"]
    assert set(subnets) == {"subnets"} and subnets["subnets"]


def test_partial_fill_keeps_required_properties():
    props = example_props("master", "virtual_network", random.Random(3), fill=0.0)
    required = [n for n, p in load_release("master").object_types["virtual_network"]["properties"].items()
                if p["presence"] == "required"]
    assert set(required) <= set(props)


# --- check_object ----------------------------------------------------------------------------

def test_valid_object_has_no_errors():
    props = {"virtual_network_properties": {"forwarding_mode": "l2_l3", "vxlan_network_identifier": 5},
             "mtu": 9000, "display_name": "net", "uuid": "ignored-identity-field"}
    refs = {"network_ipam": [{"ipam_subnets": [{"subnet": {"ip_prefix": "10.0.0.0", "ip_prefix_len": 24}}]}],
            "tag_refs": [None]}
    assert kinds(check_object("master", "virtual-network", props, refs, "project")) == []


def test_enum_range_and_type_misses_are_invalid_values():
    props = {
        "virtual_network_properties": {"forwarding_mode": "l9"},
        "mtu": 10000,
        "is_shared": "yes",
    }
    problems = check_object("master", "virtual_network", props, None, "project")
    by_field = {p["field"]: p for p in problems if p["kind"] == "invalid_value"}
    assert by_field["virtual_network_properties.forwarding_mode"]["reason"] == "enum"
    assert "'l9' is not one of" in by_field["virtual_network_properties.forwarding_mode"]["detail"]
    assert by_field["mtu"]["reason"] == "range"
    assert by_field["mtu"]["detail"] == "10000 is outside 0..9216"
    assert by_field["is_shared"]["reason"] == "type"
    assert by_field["is_shared"]["detail"].startswith("expected boolean, got string")


def test_nested_unknown_field_and_array_paths():
    props = {"ipam_subnets": {"subnets": [{"subnet": {"ip_prefix": "10.0.0.0", "ip_prefix_len": "24x"},
                                           "bogus": 1}]}}
    problems = check_object("master", "network_ipam", props, None, "project")
    fields = {(p["field"], p["reason"]) for p in problems if p["kind"] == "invalid_value"}
    assert ("ipam_subnets.subnets[0]", "unknown_field") in fields
    assert ("ipam_subnets.subnets[0].subnet.ip_prefix_len", "type") in fields


def test_unknown_type_property_reference_and_parent():
    assert kinds(check_object("R5.0", "virtual_port_group", {}, None, "fabric")) == \
        [("unknown_type", "virtual_port_group")]
    problems = check_object("R5.1", "multicast_policy", {"no_such_prop": 1}, {"bogus_type": [None]}, None)
    assert kinds(problems) == [("parent_not_allowed", "parent_type"), ("unknown_property", "no_such_prop"),
                               ("unknown_ref", "bogus_type")]
    assert "allowed: project" in first(problems, "parent_not_allowed")["detail"]


def test_list_properties_accept_wrapped_or_bare_items_only_when_they_are_lists():
    wrapped = {"ipam_subnets": {"subnets": [{"default_gateway": "10.0.0.1"}]}}
    bare = {"ipam_subnets": [{"default_gateway": "10.0.0.1"}]}
    assert kinds(check_object("master", "network_ipam", wrapped, None, "project")) == []
    assert kinds(check_object("master", "network_ipam", bare, None, "project")) == []
    problems = check_object("master", "virtual_network", {"virtual_network_properties": [{}]}, None, "project")
    assert kinds(problems) == [("not_a_list_property", "virtual_network_properties")]


def test_map_property_keys_must_be_present_and_unique():
    annotations = {"key_value_pair": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}, {"value": "3"}]}
    problems = check_object("master", "project", {"annotations": annotations}, None, "domain")
    details = sorted(p["detail"] for p in problems if p["kind"] == "invalid_value")
    assert details == ["duplicate map key 'a'", "map item without its key field 'key'"]


def test_reference_attributes_are_validated():
    refs = {"network_policy": [{"sequence": {"major": "one"}}], "route_table": [{"unexpected": 1}]}
    problems = check_object("master", "virtual_network", {}, refs, "project")
    fields = {(p["field"], p.get("reason")) for p in problems if p["kind"] == "invalid_value"}
    assert ("network_policy_refs[0].attr.sequence.major", "type") in fields
    assert ("route_table_refs[0].attr", "unknown_field") in fields


def test_required_is_only_a_warning():
    problems = check_object("master", "virtual_network", {}, {}, "project")
    assert kinds(problems) == []
    assert ("missing_required", "network_ipam_refs") in kinds(problems, "warning")


def test_empty_values_are_skipped_like_the_api_server_unless_strict():
    props = {"virtual_network_properties": {"forwarding_mode": ""}}
    assert kinds(check_object("master", "virtual_network", props, None, "project")) == []
    strict = check_object("master", "virtual_network", props, None, "project", strict=True)
    assert kinds(strict) == [("invalid_value", "virtual_network_properties.forwarding_mode")]
    assert without_empty_values({"a": "", "b": [], "c": {"d": 0}, "e": 5}) == \
        {"a": None, "b": None, "c": {"d": None}, "e": 5}


# --- diff --------------------------------------------------------------------------------------

def _changes(result, category, change):
    return [c for c in result["changes"] if c["category"] == category and c["change"] == change]


def test_diff_r50_r51_shows_multicast_policy_reparented():
    result = diff_releases("R5.0", "R5.1")
    assert not result["identical"]
    assert {"category": "parent_set", "change": "changed", "type": "multicast_policy",
            "old": [], "new": ["project"]} in result["changes"]
    removed = _changes(result, "property", "removed")
    assert [(c["type"], c["property"]) for c in removed] == [("job_template", "job_template_multi_device_job")]
    field_removed = _changes(result, "field", "removed")
    assert [(c["property"], c["path"]) for c in field_removed] == [("virtual_network_properties", ".max_flow_rate")]
    max_flows = [c for c in _changes(result, "field", "changed") if c["path"] == ".max_flows"]
    assert {(c["aspect"], c["old"], c["new"]) for c in max_flows} >= {("type", "xsd:integer", "MaxFlowsType")}


def test_diff_r51_r1909_removed_references_and_ops_change():
    result = diff_releases("R5.1", "R1909")
    removed = {(c["type"], c["target"]) for c in _changes(result, "reference", "removed")}
    assert removed == {("role_config", "job_template"), ("virtual_network", "logical_router")}
    assert {"category": "property", "change": "changed", "type": "logical_router",
            "property": "logical_router_type", "aspect": "ops", "old": "CRUD", "new": "CRD"} in result["changes"]
    assert [(c["type"], c["property"]) for c in _changes(result, "property", "removed")] == \
        [("physical_router", "physical_router_chassis_id")]


# tf-schema.md §7 table: types+, types-, props+ (existing), props+ (new types), props-, refs+, refs-,
# has-links+, has-links-, parent set changed.
STEP_TABLE = {
    ("R5.0", "R5.1"): (11, 0, 21, 25, 1, 12, 0, 12, 0, 1),
    ("R5.1", "R1909"): (10, 0, 10, 6, 1, 13, 2, 10, 0, 1),
    ("R1909", "R1912"): (5, 0, 5, 10, 0, 9, 0, 5, 0, 0),
    ("R1912", "R2002"): (2, 0, 1, 8, 0, 0, 0, 2, 0, 0),
    ("R2002", "R2005"): (0, 0, 7, 0, 0, 3, 0, 0, 0, 0),
    ("R2005", "R2011"): (5, 0, 11, 11, 0, 7, 0, 5, 0, 0),
    ("R2011", "R21.3"): (0, 0, 2, 0, 0, 1, 0, 0, 0, 0),
    ("R21.3", "R21.4"): (0, 0, 1, 0, 0, 0, 0, 0, 0, 0),
    ("R21.4", "master"): (0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
}


@pytest.mark.parametrize("step", list(STEP_TABLE), ids=lambda s: f"{s[0]}->{s[1]}")
def test_diff_counts_match_reference_table(step):
    result = diff_releases(*step)
    props_added = _changes(result, "property", "added")
    counts = (
        len(_changes(result, "object_type", "added")),
        len(_changes(result, "object_type", "removed")),
        sum(1 for c in props_added if not c["on_new_type"]),
        sum(1 for c in props_added if c["on_new_type"]),
        len(_changes(result, "property", "removed")),
        len(_changes(result, "reference", "added")),
        len(_changes(result, "reference", "removed")),
        len(_changes(result, "parent", "added")),
        len(_changes(result, "parent", "removed")),
        len(_changes(result, "parent_set", "changed")),
    )
    assert counts == STEP_TABLE[step]


def test_diff_of_a_release_with_itself_is_identical():
    result = diff_releases("R2011", "R2011")
    assert result["identical"] and result["changes"] == []


def test_diff_r21_4_master_only_nested_fields():
    result = diff_releases("R21.4", "master")
    assert {(c["category"], c["change"], c["path"]) for c in result["changes"]} == \
        {("field", "added", ".playbook_info[].refresh_token")}


# --- upgrade impact ----------------------------------------------------------------------------

def _obj(obj_type, props=None, refs=None, parent_type=None, uuid="u1"):
    return {"uuid": uuid, "type": obj_type, "fq_name": ["x"], "parent_type": parent_type,
            "props": props or {}, "refs": refs or {}}


def test_upgrade_r50_r51_reparenting_and_dropped_fields():
    objects = [
        _obj("multicast_policy", uuid="mp"),
        _obj("job_template", {"job_template_multi_device_job": True}, parent_type="global-system-config",
             uuid="jt"),
        _obj("virtual_network", {"virtual_network_properties": {"max_flow_rate": 5, "max_flows": -1}},
             parent_type="project", uuid="vn"),
    ]
    report = upgrade_impact("R5.0", "R5.1", objects)
    found = {(f["uuid"], f["kind"], f["field"]) for f in report["findings"]}
    assert ("mp", "reparent_needed", "parent_type") in found
    assert ("jt", "property_dropped", "job_template_multi_device_job") in found
    assert ("vn", "field_dropped", "virtual_network_properties") in found
    assert ("vn", "value_invalid", "virtual_network_properties.max_flows") in found
    assert report["objects"] == 3 and report["objects_affected"] == 3
    assert all(not f["preexisting"] for f in report["findings"])


def test_upgrade_r51_r1909_dropped_refs_and_read_only_after_create():
    objects = [
        _obj("role_config", refs={"job_template": [{"to": ["a"], "uuid": "x", "attr": None}]},
             parent_type="node-profile", uuid="rc"),
        _obj("physical_router", {"physical_router_chassis_id": "abc"}, parent_type="global-system-config",
             uuid="pr"),
        _obj("logical_router", {"logical_router_type": "snat-routing"}, parent_type="project", uuid="lr"),
    ]
    report = upgrade_impact("R5.1", "R1909", objects)
    found = {(f["uuid"], f["kind"], f["field"]) for f in report["findings"]}
    assert ("rc", "reference_dropped", "job_template") in found
    assert ("pr", "property_dropped", "physical_router_chassis_id") in found
    assert ("lr", "no_longer_updatable", "logical_router_type") in found
    assert report["summary"]["reference_dropped"] == 1


def test_upgrade_marks_problems_the_source_already_had():
    report = upgrade_impact("R21.3", "master", [_obj("virtual_network", {"mtu": 99999}, parent_type="project")])
    assert [(f["kind"], f["preexisting"]) for f in report["findings"]] == [("value_invalid", True)]


def test_upgrade_of_clean_objects_reports_nothing():
    rng = random.Random(5)
    objects = [_obj("virtual_network", example_props("R2005", "virtual_network", rng, fill=0.5),
                    parent_type="project")]
    report = upgrade_impact("R2005", "R2011", objects)
    assert [f for f in report["findings"] if f["severity"] == "error"] == []


# --- guess_release -----------------------------------------------------------------------------

def test_guess_release_from_release_only_property():
    counts = {"physical_router": {"physical_router_chassis_id": 3, "physical_router_role": 3},
              "virtual_network": {"virtual_network_properties": 10, "network_ipam_refs": 10}}
    release, confidence, reason = guess_release(counts)
    assert (release, confidence) == ("R5.1", 1.0)
    assert "R5.0 lacks physical_router.physical_router_chassis_id" in reason


def test_guess_release_prefers_oldest_fitting_and_says_what_else_fits():
    counts = {"grpc_profile": {"grpc_parameters": 1}, "project": 4}
    release, confidence, reason = guess_release(counts)
    assert release == "R2011"
    assert 0.5 < confidence < 1.0
    assert "also consistent: R21.3, R21.4, master" in reason


def test_guess_release_accepts_database_columns():
    counts = {"virtual_network": {"prop:mtu": 2, "ref:network_ipam:1234": 1, "parent:project:99": 1,
                                  "fq_name": 2, "type": 2}}
    release, _, _ = guess_release(counts)
    assert release == "R21.3"


def test_guess_release_without_a_perfect_fit():
    counts = {"virtual_network": {"virtual_network_properties": 5}, "no_such_type": 1,
              "physical_router": {"physical_router_chassis_id": 1, "physical_router_managed_state": 1}}
    release, confidence, reason = guess_release(counts)
    assert confidence <= 0.5
    assert "no release knows everything observed" in reason
    assert "no_such_type" in reason
