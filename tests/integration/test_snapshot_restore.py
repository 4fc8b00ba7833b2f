"""Snapshots and rollback on the real services."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from tfdata.cli import cli
from tfdata.model.cells import Cell
from tfdata.stores.snapshot.store import SnapshotSource
from tfdata.stores.cluster import ClusterStore
from tfdata.stores.dump import DumpSource
from tfdata.sync.objects import UUID_REF

from ..helpers import IRREGULAR, REPO, UPSTREAM_SAMPLE

SMALL = REPO / "fixtures" / "small-dump.json"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def manifest(path):
    with SnapshotSource(path) as snap:
        return snap.manifest


def same_content(a, b):
    ma, mb = manifest(a), manifest(b)
    return ({k: v["content_hash"] for k, v in ma["tables"].items()},
            ma["znodes_hash"]) == ({k: v["content_hash"] for k, v in mb["tables"].items()}, mb["znodes_hash"])


@pytest.mark.parametrize("dump", [UPSTREAM_SAMPLE, IRREGULAR, SMALL], ids=["upstream-sample", "irregular", "generated"])
def test_snapshot_of_cluster_equals_snapshot_of_its_dump_and_exports_back(old, tmp_path, dump):
    if not dump.exists():
        pytest.skip(f"{dump} not present")
    assert run("load", str(dump), "--to", "old").exit_code == 0
    assert run("snapshot", str(dump), "-o", str(tmp_path / "dump.tfsnap")).exit_code == 0
    assert run("snapshot", "old", "-o", str(tmp_path / "old.tfsnap")).exit_code == 0
    a, b = manifest(tmp_path / "dump.tfsnap"), manifest(tmp_path / "old.tfsnap")
    assert {k: v["timed_hash"] for k, v in a["tables"].items()} == {k: v["timed_hash"] for k, v in b["tables"].items()}
    assert a["znodes_hash"] == b["znodes_hash"] and a["counts"]["cells"] == b["counts"]["cells"]
    out = tmp_path / "export.json"
    assert run("export", str(tmp_path / "old.tfsnap"), "-o", str(out)).exit_code == 0
    if dump == UPSTREAM_SAMPLE:
        assert json.loads(out.read_text()) == json.loads(dump.read_text())
    else:
        def cells(p):
            return {(str(t), c.key, c.column): (c.value, c.writetime) for t, c in DumpSource(p).cells()}
        assert cells(out) == cells(dump)
        assert {n.path: n.data for n in DumpSource(out).znodes()} == {n.path: n.data for n in DumpSource(dump).znodes()}
    assert (tmp_path / "old.tfsnap").stat().st_mode & 0o777 == 0o600


def test_parallel_readers_write_the_same_snapshot_as_one(old, tmp_path):
    """Cells, row and range hashes, objects and empty rows do not depend on how many processes
    read Cassandra (the irregular fixture holds literals and rows without cells)."""
    assert run("load", str(IRREGULAR), "--to", "old").exit_code == 0
    for readers in (1, 3):
        result = run("snapshot", "old", "-o", str(tmp_path / f"r{readers}.tfsnap"), "--readers", str(readers))
        assert result.exit_code == 0, result.output
    assert not [p.name for p in tmp_path.iterdir() if ".part" in p.name or ".tmp-" in p.name]
    conn = sqlite3.connect(tmp_path / "r3.tfsnap")
    conn.execute("ATTACH DATABASE ? AS one", (str(tmp_path / "r1.tfsnap"),))
    for table in ("cells", "row_hashes", "range_hashes", "objects", "empty_rows", "znodes", "tables"):
        counts = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert counts == conn.execute(f"SELECT count(*) FROM one.{table}").fetchone()[0], table
        assert conn.execute(f"SELECT count(*) FROM (SELECT * FROM {table} EXCEPT SELECT * FROM one.{table})"
                            ).fetchone()[0] == 0, table
    assert conn.execute("SELECT count(*) FROM empty_rows").fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM cells WHERE literal = 1").fetchone()[0] > 0
    conn.close()
    a, b = manifest(tmp_path / "r1.tfsnap"), manifest(tmp_path / "r3.tfsnap")
    assert a["tables"] == b["tables"] and a["counts"] == b["counts"]
    assert "OK" in run("snapshots", "verify", str(tmp_path / "r3.tfsnap")).output


def test_a_reader_that_fails_stops_the_snapshot_and_leaves_no_file(tmp_path):
    import dataclasses

    from tfdata.config import local_profiles
    from tfdata.errors import ConnectionFailed
    from tfdata.stores.snapshot.parallel import read_in_parallel
    from tfdata.stores.snapshot.store import SnapshotWriter

    profile = local_profiles()["old"]
    unreachable = dataclasses.replace(profile, cassandra=dataclasses.replace(profile.cassandra, port=1))
    writer = SnapshotWriter(tmp_path / "x.tfsnap")
    with pytest.raises(ConnectionFailed, match="127.0.0.1:1"):
        read_in_parallel(unreachable, writer, [UUID_REF], 2)
    writer.abort()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not SMALL.exists(), reason="fixtures/small-dump.json missing")
def test_snapshot_is_queryable_with_sqlite_utils(old, tmp_path):
    snap = tmp_path / "s.tfsnap"
    assert run("snapshot", str(SMALL), "-o", str(snap)).exit_code == 0
    tables = subprocess.run([sys.executable, "-m", "sqlite_utils", "tables", str(snap)], capture_output=True,
                            text=True, check=True).stdout
    assert "objects" in tables and "cells" in tables and "znodes" in tables
    conn = sqlite3.connect(snap)
    per_project = conn.execute("SELECT project, virtual_networks FROM virtual_networks_per_project").fetchall()
    direct = conn.execute("SELECT count(*) FROM objects WHERE type = 'virtual_network' AND parent_uuid IN "
                          "(SELECT uuid FROM objects WHERE type = 'project')").fetchone()[0]
    assert per_project and sum(n for _, n in per_project) == direct > 0


def _modify(profile):
    store = ClusterStore(profile)
    try:
        rows = {}
        for _, cell in store.cells([UUID_REF]):
            rows.setdefault(cell.key, []).append(cell)
            if len(rows) > 30:
                break
        keys = list(rows)
        now = int(time.time() * 1_000_000)
        store.cassandra.write_cells(UUID_REF, [Cell(keys[0], "prop:display_name", '"changed"', now),
                                               Cell("new-row", "type", '"project"', now)])
        store.cassandra.delete_rows(UUID_REF, [keys[1]], now)
        store.zookeeper.client.create("/id/virtual-networks/0009999999", b"intruder", makepath=True)
    finally:
        store.close()


@pytest.mark.skipif(not SMALL.exists(), reason="fixtures/small-dump.json missing")
def test_restore_brings_a_modified_cluster_back_exactly(old, tmp_path):
    assert run("load", str(SMALL), "--to", "old").exit_code == 0
    before = tmp_path / "before.tfsnap"
    assert run("snapshot", "old", "-o", str(before)).exit_code == 0
    _modify(old)
    plan = run("restore", str(before), "--to", "old", "--format", "json")
    assert plan.exit_code == 0 and json.loads(plan.output)["acted"] is False  # a plan unless --yes/--force
    assert run("restore", str(before), "--to", "old", "--yes").exit_code == 2  # non-empty target needs --force
    done = run("restore", str(before), "--to", "old", "--force", "--pre-snapshot-dir", str(tmp_path / "pre"),
               "--format", "json")
    report = json.loads(done.output)
    assert done.exit_code == 0 and report["verified"] is True and report["pre_snapshot"]
    after = tmp_path / "after.tfsnap"
    assert run("snapshot", "old", "-o", str(after)).exit_code == 0
    ma, mb = manifest(before), manifest(after)
    assert {k: v["timed_hash"] for k, v in ma["tables"].items()} == {k: v["timed_hash"] for k, v in mb["tables"].items()}
    assert ma["all_znodes_hash"] == mb["all_znodes_hash"]


def test_killed_restore_resumes_to_the_same_exact_result(old, tmp_path):
    from tfdata.gen import generate_dump

    dump = tmp_path / "gen.json"
    generate_dump(dump, 4000, seed=9)
    assert run("load", str(dump), "--to", "old").exit_code == 0
    before = tmp_path / "before.tfsnap"
    assert run("snapshot", "old", "-o", str(before)).exit_code == 0
    _modify(old)
    cmd = [sys.executable, "-m", "tfdata.cli", "restore", str(before), "--to", "old", "--force",
           "--pre-snapshot-dir", str(tmp_path / "pre"), "--format", "json"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = before.with_name(f".{before.name}.restore-old.ckpt")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill -9 once the restore has truncated and started reloading
        if ckpt.exists() and "truncated:" in ckpt.read_text():
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert ckpt.exists()
    rerun = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["resumed"] is True and report["verified"] is True
    assert not ckpt.exists()
    after = tmp_path / "after.tfsnap"
    assert run("snapshot", "old", "-o", str(after)).exit_code == 0
    assert same_content(before, after)


@pytest.mark.parametrize("readers", [1, 2])
def test_consistent_snapshot_matches_the_final_state_under_concurrent_writes(old, tmp_path, readers):
    """The writer runs in the middle of the scan (rows before and after the scan position change);
    the --consistent snapshot must equal the cluster's final state exactly; a plain one must not."""
    from tfdata.ops.diff import diff_sources
    from tfdata.ops.snapshot import take_snapshot

    from .sync_helpers import load_generated, mutate_like_the_api

    load_generated(old, tmp_path, 3000)

    def snapshot(path, consistent):
        seen = {"n": 0}

        def on_cell():
            seen["n"] += 1
            if seen["n"] == 20_000:  # mid-scan: the API server writes
                mutate_like_the_api(old, 150, seed=13 if consistent else 14)
        with ClusterStore(old) as source:
            return take_snapshot(source, path, consistent=consistent, on_cell=on_cell, readers=readers)

    consistent = snapshot(tmp_path / "consistent.tfsnap", True)
    assert consistent.manifest["mode"] == "consistent" and consistent.notifications >= 150
    final = tmp_path / "final.tfsnap"
    assert run("snapshot", "old", "-o", str(final)).exit_code == 0
    with SnapshotSource(tmp_path / "consistent.tfsnap") as a, SnapshotSource(final) as b:
        result = diff_sources(a, b)
    assert [c for c in result.changes if c["kind"] != "znode"] == []

    plain = snapshot(tmp_path / "plain.tfsnap", False)
    assert plain.manifest["mode"] == "plain"
    final2 = tmp_path / "final2.tfsnap"
    assert run("snapshot", "old", "-o", str(final2)).exit_code == 0
    with SnapshotSource(tmp_path / "plain.tfsnap") as a, SnapshotSource(final2) as b:
        assert not diff_sources(a, b).equal  # without --consistent the same traffic is visible
