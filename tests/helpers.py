"""Test helpers that talk to the real local services (never fakes)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TFDATA_SHARED", REPO.parent / "shared"))
UPSTREAM_SAMPLE = SHARED / "upstream-samples" / "r2002-in-place-upgrade-db-dump.json"
SERVICES = REPO / "scripts" / "services.sh"
# Our own small dump with the upstream sample's irregularities (a cell that is not JSON, bare-number
# cells, a row without cells, a stray column, empty tables, one write time everywhere) plus znodes
# recorded as db_json_exim does without a cluster_id ('/…/'); tests use it when ../shared is absent.
IRREGULAR = REPO / "tests" / "corpus" / "irregular.json"


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _refuse_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate key in {keys}")
    return dict(pairs)


def strict_json(text: str):
    """json.loads as a strict parser reads: NaN/Infinity and duplicate keys are errors (Python's json
    accepts both)."""
    return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicates)


def strict_dump(path) -> tuple[dict, list]:
    """A dump tfdata wrote, parsed strictly, with its 'zookeeper' string parsed strictly too."""
    raw = Path(path).read_bytes()
    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    document = strict_json(text)
    return document, strict_json(document["zookeeper"])

# contrail-issu.conf as an operator would write it for the local OLD/NEW services (Thrift ports,
# which tfdata maps to CQL; NEW's CQL port given explicitly)
ISSU_CONF = """[DEFAULTS]
old_cassandra_address_list = 127.0.0.1:9161
old_zookeeper_address_list = 127.0.0.1:2181
old_rabbit_address_list = 127.0.0.1
old_rabbit_port = 5673
new_cassandra_address_list = 127.0.0.2:9161
new_cassandra_cql_port = 9043
new_zookeeper_address_list = 127.0.0.1:2182
new_rabbit_address_list = 127.0.0.1
new_rabbit_port = 5674
"""


def services(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SERVICES), *args], cwd=REPO, check=check, capture_output=True, text=True,
                          timeout=600)


def wipe_cluster(profile) -> None:
    """Remove every TF keyspace (any prefix) and every ZooKeeper tree a test may have written."""
    from tfdata.stores.cassandra import connect as cql_connect
    from tfdata.stores.zookeeper import connect as zk_connect

    cluster, session = cql_connect(profile.cassandra)
    try:
        for row in session.execute("SELECT keyspace_name FROM system_schema.keyspaces"):
            name = row.keyspace_name
            if not name.startswith("system"):
                session.execute(f'DROP KEYSPACE IF EXISTS "{name}"', timeout=120)
    finally:
        cluster.shutdown()
    zk = zk_connect(profile.zookeeper)
    try:
        for child in zk.get_children("/"):
            if child != "zookeeper":
                zk.delete("/" + child, recursive=True)
    finally:
        zk.stop()
        zk.close()


TEST_QUEUES = ("tfdata.test.run-sync", "tfdata.issu.run-sync", "tfdata.bench")


def wipe_queues(profile) -> None:
    """Durable queues outlive a test; drop the ones tests declare (and their dead-letter twins)."""
    from tfdata.stores.rabbitmq import connect

    conn = connect(profile.rabbitmq)
    try:
        channel = conn.channel()
        for name in TEST_QUEUES:
            channel.queue_delete(name)
            channel.queue_delete(name + ".dead")
    finally:
        conn.close()
