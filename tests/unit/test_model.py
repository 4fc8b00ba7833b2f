"""The TF encoding: column forms, ref variants, list ordering, names, malformed cells."""

from __future__ import annotations

import pytest

from tfdata.model.cells import Cell, blob_to_text, text_to_blob
from tfdata.model.columns import Column, format_column, parse_column
from tfdata.model.fqname import fq_name_column, looks_url_quoted, split_fq_name_column, split_shared_column
from tfdata.model.objects import (ObjectSpec, decode_row, longs_to_uuid, object_columns, parse_ref_value,
                                  peer_columns, uuid_to_longs)
from tfdata.model.zk import allocator_node, parse_allocator_node, parse_dump_path, tf_roots

U = "3f6c2a2e-5a0c-4c1e-9d7e-0a1b2c3d4e5f"


@pytest.mark.parametrize("column, expected", [
    ("type", Column("type")),
    ("fq_name", Column("fq_name")),
    ("parent_type", Column("parent_type")),
    (f"parent:project:{U}", Column("parent", "project", U)),
    (f"children:routing_instance:{U}", Column("children", "routing_instance", U)),
    ("prop:id_perms", Column("prop", "id_perms")),
    ("propl:ipam_subnets:10", Column("propl", "ipam_subnets", "10")),
    (f"propl:ipam_subnets:{U}", Column("propl", "ipam_subnets", U)),
    ("propm:annotations:owner:team", Column("propm", "annotations", "owner:team")),
    (f"ref:network_ipam:{U}", Column("ref", "network_ipam", U)),
    (f"backref:virtual_machine_interface:{U}", Column("backref", "virtual_machine_interface", U)),
    (f"relaxbackref:{U}", Column("relaxbackref", "", U)),
    ("META:latest_col_ts", Column("meta", "latest_col_ts")),
    ("UUID", Column("unknown", "UUID")),
    ("ref:network_ipam", Column("unknown", "ref:network_ipam")),
    ("bogus:x", Column("unknown", "bogus:x")),
])
def test_every_column_form_parses_and_formats_back(column, expected):
    parsed = parse_column(column)
    assert parsed == expected
    assert format_column(parsed) == column


@pytest.mark.parametrize("value, attr, weak, variant", [
    ({"attr": {"a": 1}, "is_weakref": False}, {"a": 1}, False, "create"),
    ({"attr": None, "is_weakref": True}, None, True, "update"),
    ({"attr": {"import_export": None}}, {"import_export": None}, None, "ref-update"),
    ({"sequence": {"major": 0}}, {"sequence": {"major": 0}}, None, "legacy"),
    (None, None, None, "legacy"),
])
def test_ref_value_variants(value, attr, weak, variant):
    ref = parse_ref_value(value)
    assert (ref.attr, ref.is_weakref, ref.variant) == (attr, weak, variant)


def _row(*cells):
    return [Cell(U, c, v, ts) for c, v, ts in cells]


def test_list_positions_sort_as_text_like_upstream():
    cells = _row(*[(f"propl:ipam_subnets:{i}", f'{{"i": {i}}}', 1) for i in range(12)],
                 ("type", '"network_ipam"', 1), ("fq_name", '["d", "i"]', 1))
    obj = decode_row(U, cells)
    assert [pos for pos, _ in obj.list_props["ipam_subnets"]] == ["0", "1", "10", "11", "2", "3", "4", "5", "6",
                                                                   "7", "8", "9"]
    assert obj.list_values("ipam_subnets")[2] == {"i": 10}


def test_full_object_decodes_every_part():
    cells = _row(
        ("META:latest_col_ts", "null", 5),
        (f"backref:virtual_machine_interface:{U}", '{"attr": null, "is_weakref": false}', 4),
        (f"children:routing_instance:{U}", "null", 3),
        ("fq_name", '["default-domain", "demo", "vn-blue"]', 1),
        (f"parent:project:{U}", "null", 1),
        ("parent_type", '"project"', 1),
        ("prop:virtual_network_network_id", "5", 1),
        ("propm:annotations:owner", '{"key": "owner", "value": "team-a"}', 1),
        (f"ref:network_ipam:{U}", '{"attr": {"ipam_subnets": []}, "is_weakref": false}', 1),
        (f"relaxbackref:{U}", "null", 1),
        ("type", '"virtual_network"', 1),
    )
    obj = decode_row(U, cells)
    assert obj.problems == []
    assert obj.type == "virtual_network" and obj.fq_name == ["default-domain", "demo", "vn-blue"]
    assert obj.parent == ("project", U) and obj.parent_type == "project"
    assert obj.props == {"virtual_network_network_id": 5}
    assert obj.map_props == {"annotations": {"owner": {"key": "owner", "value": "team-a"}}}
    assert obj.refs == {("network_ipam", U): {"attr": {"ipam_subnets": []}, "is_weakref": False}}
    assert ("virtual_machine_interface", U) in obj.backrefs
    assert obj.children == {("routing_instance", U): 3}
    assert obj.relaxbackrefs == {U}
    assert obj.meta == {"latest_col_ts": 5}


def test_malformed_cells_are_reported_not_dropped():
    cells = _row(("prop:id_perms", '{"created": "2019-10-01T17:04:34", ', 1),
                 ("UUID", '"x"', 1), ("parent_type", '""', 1))
    obj = decode_row(U, cells)
    kinds = sorted(p.kind for p in obj.problems)
    assert kinds == ["bad_json", "missing_fq_name", "missing_type", "unknown_column"]
    bad = next(p for p in obj.problems if p.kind == "bad_json")
    assert bad.key == U and bad.column == "prop:id_perms"
    assert obj.unknown["prop:id_perms"].startswith('{"created"')  # kept verbatim
    assert obj.parent_type == ""  # empty parent_type occurs upstream and is accepted
    assert not obj.is_live


def test_big_unsigned_longs_survive_and_map_to_uuid():
    longs = uuid_to_longs("f9886b57-7278-11ea-bf6e-02486f9480e0")
    assert longs["uuid_lslong"] > 2**63
    assert longs_to_uuid(longs) == "f9886b57-7278-11ea-bf6e-02486f9480e0"
    obj = decode_row(U, _row(("prop:id_perms", '{"uuid": {"uuid_lslong": 13793965218815312096}}', 1)))
    assert obj.props["id_perms"]["uuid"]["uuid_lslong"] == 13793965218815312096


@pytest.mark.parametrize("fq", [
    ["target:64512:8000001"],
    ["default-global-system-config", "qfx1", "ge-0/0/0"],
    ["default-domain", "réseau-東京", "vn"],
])
def test_fq_name_columns_keep_colons_slashes_unicode(fq):
    column = fq_name_column(fq, U)
    joined, uuid = split_fq_name_column(column)
    assert uuid == U and joined == ":".join(fq)
    assert blob_to_text(text_to_blob(column)) == column


def test_non_utf8_bytes_round_trip_through_text():
    raw = b"bad-\xff-key"
    assert text_to_blob(blob_to_text(raw)) == raw


def test_quoted_names_are_flagged_and_shared_columns_split():
    assert looks_url_quoted("n%C3%A9") and not looks_url_quoted("plain-name")
    assert split_shared_column(f"global::{U}") == ("global", "", U)
    assert split_shared_column(f"tenant:{U}:{U}") == ("tenant", U, U)


def test_encoding_matches_what_the_api_server_writes():
    spec = ObjectSpec(U, "virtual_network", ["d", "p", "vn"], parent_type="project", parent_uuid="P",
                      props={"display_name": "vn", "unset": None}, list_props={"l": ["a", "b"]},
                      map_props={"annotations": ("key", [{"key": "k", "value": "v"}])},
                      refs=[("network_ipam", "I", None), ("virtual_network", "V2", None)])
    columns = dict(object_columns(spec))
    assert columns["parent:project:P"] == "null"
    assert columns["ref:network_ipam:I"] == '{"attr": null, "is_weakref": false}'
    assert columns["parent_type"] == '"project"' and "prop:unset" not in columns
    assert columns["propl:l:1"] == '"b"' and columns["propm:annotations:k"] == '{"key": "k", "value": "v"}'
    peers = peer_columns(spec)
    assert ("P", f"children:virtual_network:{U}", "null") in peers
    assert ("I", f"backref:virtual_network:{U}", '{"attr": null, "is_weakref": false}') in peers
    assert ("V2", f"ref:virtual_network:{U}", '{"attr": null, "is_weakref": false}') in peers  # same type: symmetric
    decoded = decode_row(U, [Cell(U, c, v, 1) for c, v in columns.items()])
    assert decoded.problems == [] and decoded.list_values("l") == ["a", "b"]


def test_zookeeper_layout_rules():
    assert allocator_node(42) == "0000000042" and parse_allocator_node("0000000042") == 42
    assert parse_allocator_node("00042") is None
    assert parse_dump_path("/a/b/", absolute=True) == "/a/b" and parse_dump_path("east/id/", absolute=False) == "/east/id"
    for recorded, absolute, reason in [("//a//b/", True, "empty name"), ("/a//b/", True, "empty name"),
                                       ("/", True, "empty name"), ("", True, "empty"), ("a/b/", True, "no leading"),
                                       ("/a/", False, "has a leading"), ("/a/b", True, "does not end with '/'"),
                                       ("/a/../b/", True, "relative"), ("/a\0/", True, "NUL"),
                                       ("/a\ud800/", True, "surrogate")]:
        with pytest.raises(ValueError, match=reason):
            parse_dump_path(recorded, absolute)
    assert tf_roots(None)[:3] == ["/fq-name-to-uuid", "/api-server", "/id"]
    roots = tf_roots("east")
    assert "/east/id" in roots and "/id/service-chain" in roots and "/id/pnf" in roots  # never prefixed upstream
