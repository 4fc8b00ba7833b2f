"""Each result type defines its JSON once (as_dict); the commands print exactly that, with the keys
tests and scripts read (`--format json` in tests/ and scripts/bench.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tfdata.cli import cli
from tfdata.ops.export import ExportResult
from tfdata.ops.load import LoadPlan, LoadReport
from tfdata.ops.restore import RestorePlan, RestoreResult
from tfdata.ops.snapshot import SnapshotResult, VerifyResult
from tfdata.schema import load_release

from ..helpers import REPO

SMALL = REPO / "fixtures" / "small-dump.json"
pytestmark = pytest.mark.skipif(not SMALL.exists(), reason="fixtures/small-dump.json missing")


def json_of(*args: str) -> dict | list:
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_export_prints_its_result_type(workdir):
    doc = json_of("export", str(SMALL), "-o", "out.json")
    assert set(doc) == {"path", "tables", "cells", "znodes"}
    assert doc == ExportResult(**doc).as_dict() and doc["cells"] > 0 and Path(doc["path"]).name == "out.json"
    plan = json_of("export", str(SMALL), "-o", "other.json", "--dry-run")
    assert set(plan) == {"dry_run", "source", "output", "tables"} and plan["dry_run"] is True
    assert "config_db_uuid.obj_uuid_table" in plan["tables"]


def test_snapshot_and_verify_print_their_result_types(workdir):
    plan = json_of("snapshot", str(SMALL), "-o", "s.tfsnap", "--dry-run")
    assert set(plan) == {"dry_run", "source", "output", "tables", "consistent"}
    doc = json_of("snapshot", str(SMALL), "-o", "s.tfsnap")
    assert set(doc) == {"path", "counts", "mode", "rereads", "notifications"} and doc["counts"]["objects"] > 0
    verified = json_of("snapshots", "verify", "s.tfsnap")
    assert verified == VerifyResult(verified["path"], True, []).as_dict()


def test_schema_show_prints_the_release_schema_dicts():
    schema = load_release("R2011")
    assert json_of("schema", "show", "R2011") == schema.as_dict()
    assert json_of("schema", "show", "R2011", "virtual-network") == schema.type_dict("virtual_network")
    assert json_of("schema", "list")[0] == load_release(json_of("schema", "list")[0]["release"]).summary_dict()


def test_schema_check_prints_only_schema_findings():
    doc = json_of("schema", "check", str(SMALL), "--release", "R2011")
    assert {"findings", "summary", "release"} <= set(doc)
    assert all(f["check"].startswith("schema.") for f in doc["findings"])
    assert sum(doc["summary"].values()) == len(doc["findings"])


def test_load_and_restore_contracts_keep_their_keys():
    plan = LoadPlan(tables={"t": 3}, rows={"t": 1}, znodes=2, replaced=["x"], notes=["n"])
    assert LoadReport("old", plan, dry_run=True).as_dict() == {
        "dry_run": True, "target": "old", "cells": 3, "tables": {"t": 3}, "rows": {"t": 1}, "znodes": 2,
        "replaced": ["x"], "notes": ["n"]}
    done = RestoreResult(RestorePlan(), acted=True, pre_snapshot="p.tfsnap", verified=True).as_dict()
    assert set(done) == {"acted", "resumed", "plan", "pre_snapshot", "verified", "remaining"}
    assert done["remaining"] is None and done["plan"]["changes"] is False


def test_snapshot_result_reads_its_manifest():
    manifest = {"counts": {"objects": 1}, "mode": "plain", "other": "not printed"}
    assert SnapshotResult("s.tfsnap", manifest, 2, 3).as_dict() == {
        "path": "s.tfsnap", "counts": {"objects": 1}, "mode": "plain", "rereads": 2, "notifications": 3}
