"""tfdata across Cassandra versions, on the version clusters of scripts/services.sh (v311 = 3.11.19,
v41 = 4.1.10, v50 = 5.0.8, each with its own ZooKeeper and RabbitMQ).

Only two of them run at a time on a small machine, so every test names the clusters it needs and
skips, saying which are down, when they are not running:

    bash scripts/services.sh start v41,v50 && bash scripts/services.sh wait v41,v50
    pytest tests/integration/test_versions.py
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from tfdata.config import CassandraConfig, Profile, RabbitConfig, ZookeeperConfig
from tfdata.stores.cassandra import CassandraStore, connect
from tfdata.stores.snapshot.store import SnapshotSource
from tfdata.stores.versions import COMPACT, NON_COMPACT

from ..helpers import wipe_cluster, wipe_queues
from .sync_helpers import load_generated, mutate_like_the_api

# cluster: (Cassandra address, CQL port, ZooKeeper port, AMQP port, major.minor) — services.sh's plan
VERSION_CLUSTERS = {
    "v311": ("127.0.0.6", 9047, 2187, 5679, "3.11"),
    "v41": ("127.0.0.4", 9045, 2185, 5677, "4.1"),
    "v50": ("127.0.0.5", 9046, 2186, 5678, "5.0"),
}
UPGRADES = [("v311", "v41"), ("v41", "v50"), ("v311", "v50")]  # OLD, NEW as an ISSU goes
PAIRS = UPGRADES + [(new, old) for old, new in UPGRADES]  # a snapshot goes both ways (rollback)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def profile_of(name: str) -> Profile:
    ip, cql, zk, amqp, _ = VERSION_CLUSTERS[name]
    return Profile(name, CassandraConfig([ip], cql), ZookeeperConfig(f"127.0.0.1:{zk}"), RabbitConfig(["127.0.0.1"], amqp))


def clusters(*names: str) -> list[Profile]:
    """The named version clusters, emptied; the test is skipped when any of them is not running."""
    down = [f"{n} ({VERSION_CLUSTERS[n][0]}:{VERSION_CLUSTERS[n][1]})" for n in names
            if not all(_reachable(h, p) for h, p in _ports(n))]
    if down and os.environ.get("TFDATA_TEST_ALL_CLUSTERS"):
        pytest.fail(f"version cluster(s) not running: {', '.join(down)} (scripts/test.sh starts them)", pytrace=False)
    if down:
        pytest.skip(f"version cluster(s) not running: {', '.join(down)}; start them with "
                    f"`bash scripts/services.sh start {','.join(names)} && bash scripts/services.sh wait "
                    f"{','.join(names)}`")
    profiles = [profile_of(n) for n in names]
    for p in profiles:
        wipe_cluster(p)
        wipe_queues(p)
    return profiles


def _ports(name: str) -> list[tuple[str, int]]:
    ip, cql, zk, amqp, _ = VERSION_CLUSTERS[name]
    return [(ip, cql), ("127.0.0.1", zk), ("127.0.0.1", amqp)]


def write_config(tmp_path) -> str:
    lines = []
    for name, (ip, cql, zk, amqp, _) in VERSION_CLUSTERS.items():
        lines += [f"[profiles.{name}.cassandra]", f'hosts = ["{ip}"]', f"port = {cql}",
                  f"[profiles.{name}.zookeeper]", f'hosts = "127.0.0.1:{zk}"',
                  f"[profiles.{name}.rabbitmq]", 'hosts = ["127.0.0.1"]', f"port = {amqp}"]
    path = tmp_path / "versions.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def tfdata(tmp_path, *args: str, expect: int | None = 0) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "tfdata.cli", "--config", write_config(tmp_path), *args],
                            cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert expect is None or result.returncode == expect, (args, result.returncode, result.stdout[-2000:],
                                                           result.stderr[-2000:])
    return result


def layouts(profile: Profile) -> dict[str, str]:
    store = CassandraStore(profile)
    try:
        return {str(t): layout for t, layout in store.table_layouts().items()}
    finally:
        store.close()


def cql(profile: Profile, *statements: str) -> None:
    cluster, session = connect(profile.cassandra)
    try:
        for statement in statements:
            session.execute(statement)
    finally:
        cluster.shutdown()


# ------------------------------------------------------------------------------ table layout

@pytest.mark.parametrize("name", list(VERSION_CLUSTERS))
def test_tables_are_created_as_tf_creates_them(name, tmp_path):
    """COMPACT STORAGE, key/column1/value, column1 ascending: what TF's own driver creates."""
    (profile,) = clusters(name)
    load_generated(profile, tmp_path, 200)
    found = layouts(profile)
    assert found and set(found.values()) == {COMPACT}, found
    cluster, session = connect(profile.cassandra)
    try:
        row = session.execute("SELECT release_version FROM system.local").one()
        assert row.release_version.startswith(VERSION_CLUSTERS[name][4])
        columns = {(r.column_name, r.kind, r.type, r.clustering_order) for r in session.execute(
            "SELECT column_name, kind, type, clustering_order FROM system_schema.columns "
            "WHERE keyspace_name = 'config_db_uuid' AND table_name = 'obj_uuid_table'")}
    finally:
        cluster.shutdown()
    assert columns == {("key", "partition_key", "blob", "none"), ("column1", "clustering", "blob", "asc"),
                       ("value", "regular", "text", "none")}


@pytest.mark.parametrize("name", list(VERSION_CLUSTERS))
def test_a_non_compact_table_with_row_markers_reads_as_its_compact_twin(name, tmp_path):
    """A row marker (a column without value, which only a non-compact table holds) is no cell:
    snapshot, diff and copy see the same data in either layout."""
    (profile,) = clusters(name)
    ks = "useragent"
    table = f"{ks}.useragent_keyval_table"
    cql(profile,
        f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}",
        f"CREATE TABLE {table} (key blob, column1 blob, value text, PRIMARY KEY (key, column1)) "
        "WITH CLUSTERING ORDER BY (column1 ASC)",
        f"INSERT INTO {table} (key, column1, value) VALUES (textAsBlob('k1'), textAsBlob('a'), 'one') "
        "USING TIMESTAMP 1000",
        f"INSERT INTO {table} (key, column1, value) VALUES (textAsBlob('k1'), textAsBlob('b'), '') "
        "USING TIMESTAMP 1001",
        f"INSERT INTO {table} (key, column1) VALUES (textAsBlob('k1'), textAsBlob('marker'))",
        f"INSERT INTO {table} (key, column1) VALUES (textAsBlob('only-marker'), textAsBlob('m'))")
    assert layouts(profile) == {"useragent.useragent_keyval_table": NON_COMPACT}
    tfdata(tmp_path, "snapshot", name, "-o", "marker.tfsnap")
    show = tfdata(tmp_path, "snapshots", "show", "marker.tfsnap").stdout
    assert "cassandra_layout: non-compact" in show
    with SnapshotSource(tmp_path / "marker.tfsnap") as snap:
        got = sorted((c.key, c.column, c.value, c.writetime) for t, c in snap.cells() if t.table.startswith("useragent"))
    assert got == [("k1", "a", "one", 1000), ("k1", "b", "", 1001)]
    # the same data written compact (a restore into a fresh keyspace of the same server) diffs equal
    wipe_cluster(profile)
    tfdata(tmp_path, "restore", "marker.tfsnap", "--to", name, "--yes")
    assert layouts(profile) == {"useragent.useragent_keyval_table": COMPACT}
    tfdata(tmp_path, "diff", "marker.tfsnap", name, "--writetimes")


# ------------------------------------------------------------------------------ snapshot both ways

@pytest.mark.parametrize("source,target", PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_snapshot_restored_into_another_version(source, target, tmp_path):
    old, new = clusters(source, target)
    load_generated(old, tmp_path, 300)
    tfdata(tmp_path, "snapshot", source, "-o", "src.tfsnap")
    show = tfdata(tmp_path, "snapshots", "show", "src.tfsnap").stdout
    assert f"cassandra_version: {VERSION_CLUSTERS[source][4]}." in show and "cassandra_layout: compact" in show
    tfdata(tmp_path, "restore", "src.tfsnap", "--to", target, "--yes")
    tfdata(tmp_path, "diff", "src.tfsnap", target, "--writetimes")
    tfdata(tmp_path, "diff", source, target, "--writetimes")
    audit = tfdata(tmp_path, "audit", target, expect=None)
    assert audit.returncode in (0, 1)
    assert audit.stdout.splitlines()[0] == f"cassandra: {_version(new)}, TF tables compact"


def _version(profile: Profile) -> str:
    store = CassandraStore(profile)
    try:
        return store.server_version()
    finally:
        store.close()


# ------------------------------------------------------------------------------ the ISSU runbook

@pytest.mark.parametrize("source,target", UPGRADES, ids=[f"{a}-to-{b}" for a, b in UPGRADES])
def test_issu_across_versions_ends_in_verify(source, target, tmp_path):
    """sync pre, run (with changes made on OLD meanwhile), post, zk, verify exit 0."""
    old, new = clusters(source, target)
    load_generated(old, tmp_path, 300)
    pre = tfdata(tmp_path, "sync", "pre", "--from", source, "--to", target)
    assert "run-sync queue" in pre.stdout
    done = mutate_like_the_api(old, 30)
    assert sum(done.values()) == 30
    tfdata(tmp_path, "sync", "run", "--from", source, "--to", target, "--until-idle", "5", "--delete-queue")
    tfdata(tmp_path, "sync", "post", "--from", source, "--to", target)
    tfdata(tmp_path, "sync", "zk", "--from", source, "--to", target)
    gate = json.loads(tfdata(tmp_path, "sync", "verify", "--from", source, "--to", target,
                             "--format", "json").stdout)
    assert gate["equal"] is True, gate
    assert set(layouts(new).values()) == {COMPACT}


@pytest.mark.parametrize("source,target", [(b, a) for a, b in UPGRADES], ids=[f"{b}-to-{a}" for a, b in UPGRADES])
def test_sync_pre_refuses_a_downgrade(source, target, tmp_path):
    old, new = clusters(source, target)
    load_generated(old, tmp_path, 200)
    result = tfdata(tmp_path, "sync", "pre", "--from", source, "--to", target, expect=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "older than OLD's" in lines[0] and "tfdata restore" in lines[0], result.stderr
    assert layouts(new) == {}  # nothing created on NEW
