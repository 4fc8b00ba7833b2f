"""The generator: XSD + IDL rules, the committed per-release files, and their JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tfdata.schema import list_releases, load_release
from tfdata.schema.build import build_whitelist
from tfdata.schema.generate import dump, find_releases, generate_release, read_sources
from tfdata.schema.idl import IdlError, iter_idl, parse_statement
from tfdata.schema.store import schemas_dir
from tfdata.schema.xsd import read_xsd_set

REPO = Path(__file__).resolve().parents[2]
SHARED_SCHEMA = REPO.parent / "shared" / "tf-schema"
RELEASES = ["R5.0", "R5.1", "R1909", "R1912", "R2002", "R2005", "R2011", "R21.3", "R21.4", "master"]

# shared/reference/tf-schema.md §6, column for column.
COLUMNS = [
    "files", "object_types", "properties", "distinct_property_elements", "properties_incl_common",
    "list_properties", "map_properties", "required_properties", "references",
    "references_with_attributes", "parent_links", "multi_parent_types", "top_level_types",
    "complex_types", "simple_types", "enum_simple_types",
]
REFERENCE_TABLE = {
    "R5.0": [15, 93, 275, 253, 647, 13, 6, 88, 117, 26, 92, 16, 19, 176, 99, 64],
    "R5.1": [15, 104, 320, 298, 736, 13, 6, 95, 129, 28, 104, 16, 18, 191, 107, 71],
    "R1909": [16, 114, 335, 313, 791, 14, 6, 95, 140, 29, 114, 17, 19, 196, 111, 74],
    "R1912": [16, 119, 350, 328, 826, 14, 6, 96, 149, 29, 119, 17, 19, 200, 118, 78],
    "R2002": [17, 121, 359, 337, 843, 15, 6, 98, 149, 29, 121, 17, 19, 202, 121, 81],
    "R2005": [18, 121, 366, 344, 850, 15, 6, 98, 152, 29, 121, 17, 19, 215, 131, 90],
    "R2011": [18, 126, 388, 365, 892, 15, 7, 100, 159, 29, 126, 17, 19, 228, 138, 95],
    "R21.3": [18, 126, 390, 367, 894, 16, 7, 100, 160, 30, 126, 17, 19, 229, 139, 95],
    "R21.4": [18, 126, 391, 368, 895, 16, 7, 100, 160, 30, 126, 17, 19, 229, 140, 95],
    "master": [18, 126, 391, 368, 895, 16, 7, 100, 160, 30, 126, 17, 19, 229, 140, 95],
}


def test_all_releases_are_committed_in_order():
    assert list_releases() == RELEASES


@pytest.mark.parametrize("release", RELEASES)
def test_counts_match_reference_table(release):
    assert load_release(release).counts() == dict(zip(COLUMNS, REFERENCE_TABLE[release], strict=True))


@pytest.mark.parametrize("release", ["R5.0", "R2005", "master"])  # check_schema takes ~1.5 s each
def test_json_schema_is_valid_draft_2020_12(release):
    document = load_release(release).data["json_schema"]
    Draft202012Validator.check_schema(document)
    assert set(load_release(release).object_types) <= set(document["$defs"])


@pytest.mark.skipif(not SHARED_SCHEMA.is_dir(), reason="upstream XSD sets (../shared/tf-schema) not available")
def test_committed_files_match_a_fresh_generation():
    assert find_releases(SHARED_SCHEMA) == RELEASES
    sources = read_sources(SHARED_SCHEMA)
    for release in RELEASES:
        fresh = dump(generate_release(SHARED_SCHEMA, release, sources))
        committed = (schemas_dir() / f"{release}.json").read_text(encoding="utf-8")
        assert fresh == committed, f"schemas/{release}.json is stale: run scripts/gen_schemas.py"


def test_dump_is_sorted_and_stable():
    document = {"b": [3, {"z": 1, "a": 2}], "a": "x" * 150}
    text = dump(document)
    assert text == dump(json.loads(text))
    assert text.index('"a"') < text.index('"b"')


# --- upstream quirks the generator must survive (tf-schema.md §3, §8) -------------------------

def test_r50_card_interface_map_typo_means_no_property():
    assert load_release("R5.0").object_types["card"]["properties"] == {}
    assert "interface_map" in load_release("R5.1").object_types["card"]["properties"]


def test_first_property_statement_wins_for_bgpvpn_route_targets():
    bgpvpn = load_release("master").object_types["bgpvpn"]["properties"]
    assert bgpvpn["route_target_list"]["kind"] == "scalar"
    assert bgpvpn["route_target_list"]["ops"] == "CRUD"


def test_garbled_link_statements_are_normalised_and_reported():
    master = load_release("master")
    bgp_router_parent = master.object_types["bgp_router"]["parents"]["routing_instance"]
    assert (bgp_router_parent["presence"], bgp_router_parent["ops"]) == ("optional", "CRUD")
    assert any("instance-bgp-router" in d for d in master.data["diagnostics"])


def test_names_keep_case_and_underscores():
    master = load_release("master")
    assert master.object_types["virtual_DNS"]["dash_name"] == "virtual-DNS"
    assert master.object_types["node"]["properties"]["node_type"]["dash_name"] == "node_type"
    assert master.type_name("virtual-DNS-record") == "virtual_DNS_record"


def test_common_properties_and_universal_tag_reference():
    master = load_release("master")
    assert sorted(master.common_properties) == ["annotations", "display_name", "id_perms", "perms2"]
    assert list(master.universal_references) == ["tag"]
    # config-root -> tag is ownership (has), not a reference
    assert "tag" in master.object_types["config_root"]["children"]
    assert "tag" not in master.object_types["config_root"]["references"]


def test_list_and_map_properties_record_wrapper_and_key():
    master = load_release("master")
    ipam_subnets = master.object_types["network_ipam"]["properties"]["ipam_subnets"]
    assert (ipam_subnets["kind"], ipam_subnets["wrapper_field"], ipam_subnets["item_type"]) == \
        ("list", "subnets", "IpamSubnetType")
    assert master.object_types["virtual_network"]["properties"]["virtual_network_properties"]["kind"] == "scalar"
    annotations = master.common_properties["annotations"]
    assert (annotations["kind"], annotations["wrapper_field"], annotations["map_key"]) == \
        ("map", "key_value_pair", "key")
    lists = [p for t in master.object_types.values() for p in t["properties"].values() if p["kind"] == "list"]
    assert all(p.get("wrapper_field") and p.get("item_type") for p in lists)


def test_reference_attributes_and_enum_ranges_on_properties():
    master = load_release("master")
    vn = master.object_types["virtual_network"]
    assert vn["references"]["network_ipam"]["attr_type"] == "VnSubnetsType"
    assert vn["references"]["network_ipam"]["presence"] == "required"
    assert vn["properties"]["mtu"]["min"] == 0 and vn["properties"]["mtu"]["max"] == 9216
    assert "routed" in vn["properties"]["virtual_network_category"]["enum"]
    assert "virtual_network" in master.object_types["network_ipam"]["back_references"]


# --- the generator on a small made-up XSD set --------------------------------------------------

WIDGET_ROOT = """<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  xmlns:ifmap="http://www.trustedcomputinggroup.org/2010/IFMAP/2">
<xsd:include schemaLocation='widget.xsd'/>
<xsd:element name="project" type="ifmap:IdentityType"/>
</xsd:schema>
"""

WIDGET = """<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  xmlns:ifmap="http://www.trustedcomputinggroup.org/2010/IFMAP/2">
<xsd:element name="widget" type="ifmap:IdentityType"/>
<xsd:element name="gadget" type="ifmap:IdentityType"/>
<xsd:simpleType name="WidgetColour" default="red">
  <xsd:restriction base="xsd:string">
    <xsd:enumeration value="red"/><xsd:enumeration value="blue"/>
  </xsd:restriction>
</xsd:simpleType>
<xsd:simpleType name="WidgetSize">
  <xsd:restriction base="xsd:integer"><xsd:minInclusive value="1"/><xsd:maxInclusive value="64"/></xsd:restriction>
</xsd:simpleType>
<xsd:complexType name="WidgetSettings">
  <xsd:all>
    <xsd:element name="colour" type="WidgetColour" required="true"/>
    <xsd:element name="size" type="WidgetSize" default="8"/>
    <xsd:element name="labels" type="xsd:string" maxOccurs="unbounded"/>
  </xsd:all>
</xsd:complexType>
<xsd:complexType name="WidgetPortList">
  <xsd:element name="port" type="xsd:integer" maxOccurs="unbounded"/>
</xsd:complexType>
<xsd:complexType name="WidgetGadgetAttr"><xsd:all><xsd:element name="weight" type="xsd:integer"/></xsd:all></xsd:complexType>
<xsd:element name="widget-settings" type="xsd:string"/>
<xsd:element name="widget-settings" type="WidgetSettings"/>
<!--#IFMAP-SEMANTICS-IDL
     Property('widget-settings', 'widget', 'required', 'CRUD',
              'How the widget looks; colour and size') -->
<xsd:element name="widget-ports" type="WidgetPortList"/>
<!--#IFMAP-SEMANTICS-IDL ListProperty('widget-ports', 'widget', 'optional', 'CRUD', 'Ports');
     ListProperty('widget-ports', 'gadget', 'optional' 'CRUD', 'Ports again') -->
<xsd:element name="project-widget"/>
<!--#IFMAP-SEMANTICS-IDL Link('project-widget', 'project', 'widget', ['has'], 'optional', 'CRUD', 'x') -->
<xsd:element name="widget-gadget" type="WidgetGadgetAttr"/>
<!--#IFMAP-SEMANTICS-IDL Link('widget-gadget', 'widget', 'gadget', ['ref'], 'optional' 'CRUD', 'glued') -->
<xsd:element name="orphan-element" type="xsd:string"/>
<!--#IFMAP-SEMANTICS-IDL Property('no-such-element', 'widget', 'optional', 'CRUD', 'x') -->
</xsd:schema>
"""


@pytest.fixture
def widget_whitelist(tmp_path):
    (tmp_path / "all_cfg.xsd").write_text(WIDGET_ROOT)
    (tmp_path / "widget.xsd").write_text(WIDGET)
    return build_whitelist(read_xsd_set(tmp_path), "test")


def test_widget_types_properties_and_links(widget_whitelist):
    types = widget_whitelist["object_types"]
    assert sorted(types) == ["gadget", "project", "widget"]
    settings = types["widget"]["properties"]["widget_settings"]
    assert settings["xsd_type"] == "WidgetSettings"  # last element declaration wins
    assert settings["presence"] == "required"
    assert settings["description"] == "How the widget looks; colour and size"  # ';' inside quotes
    ports = types["widget"]["properties"]["widget_ports"]
    assert (ports["kind"], ports["wrapper_field"], ports["item_type"]) == ("list", "port", "xsd:integer")
    assert types["gadget"]["properties"]["widget_ports"]["presence"] == "optional"  # first statement wins
    assert types["widget"]["parents"] == {
        "project": {"dash_name": "project", "link": "project-widget", "presence": "optional", "ops": "CRUD",
                    "derived": False}}
    assert types["project"]["children"] == {"widget": {"dash_name": "widget", "link": "project-widget"}}
    gadget_ref = types["widget"]["references"]["gadget"]
    assert gadget_ref["attr_type"] == "WidgetGadgetAttr"
    assert gadget_ref["presence"] == "optional"  # 'optional' 'CRUD' glued -> normalised
    assert types["gadget"]["back_references"]["widget"]["attr_type"] == "WidgetGadgetAttr"


def test_widget_types_section_and_diagnostics(widget_whitelist):
    types = widget_whitelist["types"]
    assert types["WidgetColour"] == {"kind": "simple", "base": "xsd:string", "enum": ["red", "blue"],
                                     "default": "red"}
    assert types["WidgetSize"]["min"] == 1 and types["WidgetSize"]["max"] == 64
    assert types["WidgetSettings"]["fields"]["labels"] == {"type": "xsd:string", "array": True}
    diagnostics = "\n".join(widget_whitelist["diagnostics"])
    assert "orphan-element" in diagnostics
    assert "no-such-element" in diagnostics
    assert "optionalCRUD" in diagnostics


def test_idl_statements_are_literals_only():
    assert isinstance(parse_statement("Property('a', __import__('os').getcwd())"), IdlError)
    statement = parse_statement("Link('x', 'a', 'b', ['ref'], 'optional' 'CRUD', 'd')")
    assert statement.args == ("x", "a", "b", ["ref"], "optionalCRUD", "d")
    comment = "<!-- #IFMAP-SEMANTICS-IDL\n Property('p', 't');\n Exclude('p', ['backend']) -->"
    assert [s.verb for s in iter_idl(comment)] == ["Property", "Exclude"]
    assert list(iter_idl("<!-- Definition of IFMAP-SEMANTICS-IDL: #IFMAP-SEMANTICS-IDL x -->")) == []
