"""tfdata schema check: the data against one release, and an upgrade between two, on real dumps."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tfdata.audit import check_release, upgrade_check
from tfdata.cli import cli
from tfdata.stores.dump import DumpSource

from ..helpers import UPSTREAM_SAMPLE
from .test_audit import clean_world, m_invalid_value, m_unknown_property

RELEASE = "R21.4"


def schema_check(*args):
    return CliRunner().invoke(cli, ["schema", "check", *args], catch_exceptions=False)


def world_with(tmp_path, *plants, name="w.json"):
    world = clean_world()
    for plant in plants:
        plant(world)
    return world, world.write(tmp_path / name)


def with_router_role(role: str):
    def plant(world):
        world.set_json(world.ids["pr"], "prop:physical_router_role", role)
    return plant


# ---------------------------------------------------------------------- --release

def test_clean_world_is_clean_for_its_release(tmp_path):
    _, path = world_with(tmp_path)
    result = schema_check(str(path), "--release", RELEASE, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["findings"] == [] and doc["summary"] == {"error": 0, "warning": 0, "info": 0}
    assert doc["release"] == {"name": RELEASE, "confidence": 1.0, "guessed": False,
                              "reason": "given on the command line"}


def test_leftover_property_and_invalid_value_are_findings(tmp_path):
    world, path = world_with(tmp_path, m_unknown_property, m_invalid_value)
    result = schema_check(str(path), "--release", RELEASE, "--format", "json")
    assert result.exit_code == 1
    findings = {(f["check"], f["uuid"]) for f in json.loads(result.output)["findings"]}
    vn = world.ids["vn-blue"]
    assert findings == {("schema.unknown_property", vn), ("schema.invalid_value", vn)}


def test_a_value_is_judged_by_the_release_it_is_checked_against(tmp_path):
    """'pnf' became a physical_router_role in R5.1: one dump, two verdicts."""
    world, path = world_with(tmp_path, with_router_role("pnf"))
    newer = check_release(DumpSource(path), RELEASE)
    assert [f for f in newer.findings if f.check == "schema.invalid_value"] == []
    older = check_release(DumpSource(path), "R5.0")
    hits = [f for f in older.findings if f.check == "schema.invalid_value"]
    assert [h.uuid for h in hits] == [world.ids["pr"]] and "pnf" in hits[0].detail
    # R5.0 also lacks types this world uses: those are findings of their own
    assert any(f.check == "schema.unknown_type" and f.type == "virtual_port_group" for f in older.findings)


def test_guessed_release_validates_values_in_the_same_pass(tmp_path):
    """Without --release every release's verdict is computed during the one scan; the guess then
    picks which verdicts count (a value invalid everywhere is reported, a newer enum value is not)."""
    world, path = world_with(tmp_path, with_router_role("pnf"), m_invalid_value)
    result = check_release(DumpSource(path))
    assert result.release.guessed and result.release.name not in ("R5.0", "R5.1")
    invalid = {f.uuid for f in result.findings if f.check == "schema.invalid_value"}
    assert invalid == {world.ids["vn-blue"]}


def test_text_output_names_the_guess_and_groups_findings(tmp_path):
    _, path = world_with(tmp_path, m_unknown_property)
    result = schema_check(str(path))
    assert result.exit_code == 1
    assert result.output.startswith("release: ") and "guessed, confidence" in result.output
    assert "schema.unknown_property (1)" in result.output


# ---------------------------------------------------------------------- --from-release / --to-release

def test_upgrade_impact_on_this_data(tmp_path):
    world, path = world_with(tmp_path)
    result = schema_check(str(path), "--from-release", RELEASE, "--to-release", "R5.0", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["from"]["name"] == RELEASE and doc["from"]["guessed"] is False and doc["to"] == "R5.0"
    removed = {f["uuid"] for f in doc["findings"] if f["check"] == "upgrade.type_removed"}
    assert world.ids["vpg"] in removed
    assert doc["objects"] == len(world.types) and 0 < doc["objects_affected"] <= doc["objects"]
    assert set(doc["summary"]) == {"error", "warning", "info"}


def test_upgrade_to_the_same_release_is_clean(tmp_path):
    _, path = world_with(tmp_path)
    result = schema_check(str(path), "--from-release", RELEASE, "--to-release", RELEASE)
    assert result.exit_code == 0, result.output


def test_upgrade_source_release_is_guessed_when_not_given(tmp_path):
    _, path = world_with(tmp_path)
    result = upgrade_check(DumpSource(path), "R21.4")
    assert result.source.guessed and result.source.name not in ("R5.0", "R5.1")
    assert result.objects == len(clean_world().types)


@pytest.mark.skipif(not UPSTREAM_SAMPLE.exists(), reason="shared/upstream-samples not present")
def test_upstream_sample_leftover_property_is_seen_by_both_modes():
    vmi = "f98903fb-7278-11ea-bf6e-02486f9480e0"
    checked = check_release(DumpSource(UPSTREAM_SAMPLE), "R2002")
    assert any(f.check == "schema.unknown_property" and f.uuid == vmi and "port_security_enable" in f.detail
               for f in checked.findings)
    upgrade = upgrade_check(DumpSource(UPSTREAM_SAMPLE), "R21.4", "R2002")
    dropped = [f for f in upgrade.findings if f.uuid == vmi and f.check == "upgrade.property_dropped"]
    assert dropped and "already so in R2002" in dropped[0].detail


# ---------------------------------------------------------------------- usage errors

@pytest.mark.parametrize("args", [
    ["--release", "R0.0"],
    ["--from-release", "R21.4"],
    ["--release", "R21.4", "--to-release", "R5.0"],
    ["--to-release", "R99"],
])
def test_usage_errors_exit_2(tmp_path, args):
    _, path = world_with(tmp_path)
    assert schema_check(str(path), *args).exit_code == 2


@pytest.mark.parametrize("old_spelling", ["--from", "--to"])
def test_profile_spelling_of_a_release_option_is_refused(tmp_path, old_spelling):
    """--from/--to name profiles in load, restore and sync; here a release is --from-release/--to-release."""
    _, path = world_with(tmp_path)
    result = CliRunner().invoke(cli, ["schema", "check", str(path), old_spelling, RELEASE])
    assert result.exit_code == 2
    assert result.output.startswith("tfdata: error: ") and f"{old_spelling}-release" in result.output


def test_missing_source_exits_2(tmp_path):
    assert schema_check(str(tmp_path / "nope.json"), "--release", RELEASE).exit_code == 2
