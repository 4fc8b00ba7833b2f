"""`tfdata schema list|show|diff` through the real CLI entry point."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from tfdata.cli import cli

RELEASES = ["R5.0", "R5.1", "R1909", "R1912", "R2002", "R2005", "R2011", "R21.3", "R21.4", "master"]


def run(*args: str):
    return CliRunner().invoke(cli, ["schema", *args], obj={})


def test_list_text_and_json():
    result = run("list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines[1:]] == RELEASES
    assert "c6035dc045" in result.output  # R5.0 source commit
    rows = json.loads(run("list", "--format", "json").output)
    assert [r["release"] for r in rows] == RELEASES
    assert rows[0]["counts"]["object_types"] == 93 and rows[-1]["counts"]["object_types"] == 126


def test_show_release():
    result = run("show", "R5.0")
    assert result.exit_code == 0
    assert "multicast_policy" in result.output and "(top level)" in result.output
    data = json.loads(run("show", "R5.1", "--format", "json").output)
    assert data["object_types"]["multicast_policy"]["parents"] == ["project"]
    assert data["counts"]["references"] == 129


def test_show_type_text_accepts_dash_names():
    result = run("show", "master", "virtual-network")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("virtual-network (virtual_network) in master")
    assert "network_ipam_refs" in result.output and "attr VnSubnetsType" in result.output
    assert "range 0..9216" in result.output


def test_show_type_json_and_json_schema():
    data = json.loads(run("show", "master", "network_ipam", "--format", "json").output)
    assert data["properties"]["ipam_subnets"]["kind"] == "list"
    assert "id_perms" in data["properties"]
    schema = json.loads(run("show", "master", "network_ipam", "--json-schema").output)
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"uuid": "u", "fq_name": ["a", "b", "c"], "parent_type": "project"})
    assert not validator.is_valid({"ipam_subnets": {"subnets": [{"subnet": {"ip_prefix_len": "x"}}]}})


@pytest.mark.parametrize("args, message", [
    (("show", "R9"), "tfdata: error: unknown release 'R9' (known: R5.0, R5.1, R1909"),
    (("diff", "R5.0", "R9"), "tfdata: error: unknown release 'R9' (known:"),
    (("show", "R5.0", "virtual-port-group"), "tfdata: error: unknown object type 'virtual-port-group' in release R5.0"),
])
def test_unknown_names_are_one_line_errors_with_exit_2(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


def test_diff_r50_r51_shows_multicast_policy_parent_change_and_exits_1():
    result = run("diff", "R5.0", "R5.1")
    assert result.exit_code == 1
    assert "~ parents of multicast_policy: (top level) -> project" in result.output
    assert "- property job_template.job_template_multi_device_job" in result.output
    assert "+ object type virtual_port_group" in result.output


def test_diff_json_is_structured():
    result = run("diff", "R5.1", "R1909", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert (data["from"], data["to"], data["identical"]) == ("R5.1", "R1909", False)
    assert data["summary"]["reference removed"] == 2


def test_diff_identical_exits_0():
    result = run("diff", "master", "master")
    assert result.exit_code == 0
    assert "identical" in result.output
    assert json.loads(run("diff", "R21.4", "R21.4", "--format", "json").output)["identical"] is True
