"""`tfdata sync check` on the real OLD/NEW services: batch-job leaders held through kazoo's lock
recipe (what TF's master election uses) and control-node registration read from Cassandra."""

from __future__ import annotations

import json

from click.testing import CliRunner
from kazoo.client import KazooClient

from tfdata.cli import cli
from tfdata.sync.run import declare_queue, delete_queue

from .sync_helpers import load_generated

QUEUE = "tfdata.test.stage-check"


def check(stage: str, *extra: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, [*extra, "sync", "check", stage, "--queue", QUEUE, "--format", "json"],
                                catch_exceptions=False)
    return result.exit_code, json.loads(result.output)


def errors(report: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in report["findings"]:
        if f["severity"] == "error":
            out.setdefault(f["check"], []).append(f["detail"])
    return out


def contend(hosts: str, path: str, identifier: str) -> KazooClient:
    """A batch job's contender: an ephemeral sequential lock node, as kazoo's Election holds."""
    client = KazooClient(hosts=hosts)
    client.start(timeout=15)
    assert client.Lock(path, identifier).acquire(timeout=15)
    return client


def test_a_batch_job_on_new_blocks_pre_and_final_and_cutover_wants_it_there(old, new):
    code, report = check("pre")
    assert code == 0, report
    job = contend(new.zookeeper.hosts, "/svc-monitor", "31337")
    try:
        code, report = check("pre")
        assert code == 1
        assert errors(report) == {"leader.on_new": [
            f"svc-monitor has 1 contender(s), leader 31337 (session 0x{job.client_id[0]:x}); "
            f"all: 31337 (session 0x{job.client_id[0]:x})"]}
        declare_queue(old, QUEUE)
        try:
            code, report = check("final")
            assert code == 1 and list(errors(report)) == ["leader.on_new"]
        finally:
            delete_queue(old, QUEUE)
            delete_queue(old, f"{QUEUE}.dead")
        code, report = check("cutover")  # svc-monitor moved; the other two not yet
        assert code == 1
        assert sorted(errors(report)["leader.missing_on_new"]) == [
            "no contender under /device-manager", "no contender under /schema-transformer"]
    finally:
        job.stop()
        job.close()
    code, report = check("pre")  # the session ended: its ephemeral node went with it
    assert code == 0, report


def test_cutover_passes_once_every_leader_is_on_new_and_none_on_old(old, new):
    jobs = [contend(new.zookeeper.hosts, f"/{name}", "7") for name in ("schema-transformer", "svc-monitor",
                                                                       "device-manager")]
    stale = contend(old.zookeeper.hosts, "/device-manager", "99")
    try:
        code, report = check("cutover")
        assert code == 1 and list(errors(report)) == ["leader.on_old"]
        assert "leader 99" in errors(report)["leader.on_old"][0]
        stale.stop()
        code, report = check("cutover")
        assert code == 0, report
    finally:
        for client in [*jobs, stale]:
            client.stop()
            client.close()


def test_a_new_control_node_missing_from_old_is_named(old, new, tmp_path):
    load_generated(old, tmp_path, 300)  # three control nodes 10.10.0.11-13 in the cluster's ASN
    config = tmp_path / "tfdata.toml"
    config.write_text('[profiles.old]\n\n[profiles.new.nodes]\ncontrol = ["10.10.0.12", "10.10.0.99"]\n')
    code, report = check("pre", "--config", str(config))
    assert code == 1
    assert errors(report) == {"control.unregistered": ["no control-node bgp_router with address 10.10.0.99 in old"]}
