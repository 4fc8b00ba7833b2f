"""dump -> load into a real cluster -> export gives back the same dump, cell for cell."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tfdata.cli import cli
from tfdata.stores.cluster import ClusterStore
from tfdata.stores.dump import DumpSource

from ..helpers import IRREGULAR, REPO, UPSTREAM_SAMPLE

SMALL = REPO / "fixtures" / "small-dump.json"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def dump_cells(path):
    return {(str(t), c.key, c.column): (c.value, c.writetime, c.literal) for t, c in DumpSource(path).cells()}


def dump_znodes(path):
    return {n.path: n.data for n in DumpSource(path).znodes()}


@pytest.mark.skipif(not UPSTREAM_SAMPLE.exists(), reason="shared/upstream-samples not present")
def test_upstream_sample_survives_load_and_export_unchanged(old, tmp_path):
    result = run("load", str(UPSTREAM_SAMPLE), "--to", "old")
    assert result.exit_code == 0, result.output
    out = tmp_path / "export.json"
    result = run("export", "old", "-o", str(out))
    assert result.exit_code == 0, result.output
    # the non-JSON cell, the bare number, the UUID column and the empty row all come back
    assert json.loads(out.read_text()) == json.loads(UPSTREAM_SAMPLE.read_text())


@pytest.mark.skipif(not SMALL.exists(), reason="fixtures/small-dump.json not generated yet")
def test_generated_dump_round_trips_through_cassandra_and_zookeeper(old, tmp_path):
    assert run("load", str(SMALL), "--to", "old").exit_code == 0
    out = tmp_path / "export.json.gz"
    assert run("export", "old", "-o", str(out)).exit_code == 0
    assert dump_cells(out) == dump_cells(SMALL)  # every value text and writetime equal
    assert dump_znodes(out) == dump_znodes(SMALL)  # every ZooKeeper leaf equal


def test_load_refuses_non_empty_target_and_dry_run_writes_nothing(old, tmp_path):
    assert run("load", str(IRREGULAR), "--to", "old").exit_code == 0
    before = tmp_path / "before.json"
    run("export", "old", "-o", str(before))
    refused = run("load", str(IRREGULAR), "--to", "old")
    assert refused.exit_code == 2 and "not empty" in refused.output and "--force" in refused.output
    dry = run("load", str(IRREGULAR), "--to", "old", "--force", "--dry-run", "--format", "json")
    assert dry.exit_code == 0 and json.loads(dry.output)["dry_run"] is True
    after = tmp_path / "after.json"
    run("export", "old", "-o", str(after))
    assert after.read_bytes() == before.read_bytes()


def test_force_replaces_never_merges(old, tmp_path):
    """A row only the target had must be gone after load --force."""
    from tfdata.model.cells import Cell, TableRef

    store = ClusterStore(old)
    table = TableRef("config_db_uuid", "obj_uuid_table")
    store.cassandra.ensure_tables([table])
    store.cassandra.write_cells(table, [Cell("only-in-target", "type", '"project"', 1)])
    store.zookeeper.write_znodes([])
    store.zookeeper.client.create("/id/virtual-networks/0000000099", b"stale", makepath=True)
    store.close()
    dump = tmp_path / "one.json"
    dump.write_text(json.dumps({"cassandra": {"config_db_uuid": {"obj_uuid_table": {
        "u1": {"type": ['"project"', 5]}}}}, "zookeeper": json.dumps([["/id/virtual-networks/0000000001/",
                                                                        ["d:p:vn", None]]])}))
    assert run("load", str(dump), "--to", "old", "--force").exit_code == 0
    store = ClusterStore(old)
    try:
        keys = {c.key for _, c in store.cells()}
        assert keys == {"u1"}
        paths = {n.path: n.data for n in store.znodes()}
        assert paths["/id/virtual-networks/0000000001"] == b"d:p:vn"
        assert "/id/virtual-networks/0000000099" not in paths
    finally:
        store.close()


def test_unreachable_profile_is_a_one_line_error(tmp_path):
    config = tmp_path / "tfdata.toml"
    config.write_text('[profiles.closed.cassandra]\nhosts = ["127.0.0.1"]\nport = 1\nconnect_timeout = 2\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "export", "closed", "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert "cassandra of profile 'closed' 127.0.0.1:1: cannot connect" in result.output
    assert not (tmp_path / "x.json").exists()
