"""The ISSU data path end to end on the real OLD/NEW services, with faults."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

from click.testing import CliRunner

from tfdata.cli import cli
from tfdata.sync.run import RunSync, declare_queue

from ..helpers import services
from .sync_helpers import load_generated, mutate_like_the_api

QUEUE = "tfdata.test.run-sync"


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def verify_json():
    result = invoke("sync", "verify", "--settle", "1", "--format", "json")
    return result.exit_code, json.loads(result.output)


def test_end_to_end_pre_run_post_zk_verify(old, new, tmp_path):
    load_generated(old, tmp_path, 3000)
    declare_queue(old, QUEUE)  # before pre-sync: nothing made during the copy can be missed
    syncer = RunSync(old, new, queue=QUEUE)
    runner = threading.Thread(target=syncer.run, kwargs={"until_idle": 3600}, daemon=True)
    stop_mutating = threading.Event()
    mutations = {}

    def mutate():
        mutations.update(mutate_like_the_api(old, 1500, stop=stop_mutating))

    mutator = threading.Thread(target=mutate, daemon=True)
    mutator.start()  # the API keeps writing while pre-sync copies
    assert invoke("sync", "pre", "--queue", QUEUE, "--checkpoint", str(tmp_path / "pre.ckpt")).exit_code == 0
    runner.start()
    mutator.join(timeout=600)
    assert not mutator.is_alive()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # drain what the mutator published
        if syncer.stats.queue_depth == 0 and syncer.stats.applied >= sum(mutations.values()):
            break
        time.sleep(0.5)
    syncer.stop_event.set()
    runner.join(timeout=60)
    assert syncer.stats.dead_lettered == 0
    assert syncer.stats.applied >= sum(mutations.values())
    assert mutations["create"] and mutations["update"] and mutations["delete"]
    # pre-sync (with its catch-up) and run-sync alone already made Cassandra exact: post-sync's
    # final pass must not be what hides a loss
    early = invoke("sync", "verify", "--no-zookeeper", "--settle", "1", "--format", "json")
    assert early.exit_code == 0, early.output
    assert invoke("sync", "post").exit_code == 0
    assert invoke("sync", "zk").exit_code == 0
    code, report = verify_json()
    assert report["changes"] == [] and code == 0
    assert report["equal"] is True


def test_killed_pre_sync_resumes_to_an_exact_copy(old, new, tmp_path):
    load_generated(old, tmp_path, 3000)
    ckpt = tmp_path / "pre.ckpt"
    cmd = [sys.executable, "-m", "tfdata.cli", "sync", "pre", "--no-queue", "--checkpoint", str(ckpt),
           "--workers", "1", "--ranges", "256", "--format", "json"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill -9 once some ranges are done, well before the end
        if ckpt.exists() and len(ckpt.read_text().splitlines()) > 40:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    finished_before = len(ckpt.read_text().splitlines()) - 1
    assert 0 < finished_before < 256 * 2
    rerun = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["skipped_units"] >= finished_before
    assert not ckpt.exists()  # a finished copy removes its checkpoint
    assert invoke("sync", "zk").exit_code == 0
    code, report = verify_json()
    assert report["changes"] == [] and code == 0


def test_killed_zk_sync_reruns_exact(old, new, tmp_path):
    from tfdata.model.zk import ZNode
    from tfdata.stores.zookeeper import ZookeeperStore

    zk = ZookeeperStore(old)
    zk.write_znodes(ZNode(f"/api-server/subnets/d:p:vn:10.0.0.0/16/{i:010d}", f"iip-{i}".encode())
                    for i in range(20000))
    zk.close()
    cmd = [sys.executable, "-m", "tfdata.cli", "sync", "zk", "--format", "json"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    new_zk = ZookeeperStore(new)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stat = new_zk.client.exists("/api-server/subnets/d:p:vn:10.0.0.0/16")
        if stat is not None and stat.numChildren > 1000:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    copied = new_zk.client.exists("/api-server/subnets/d:p:vn:10.0.0.0/16")
    new_zk.close()
    assert copied is not None and 0 < copied.numChildren < 20000  # really killed mid-copy
    result = invoke("sync", "zk", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.output)["verified"] is True
    code, report = verify_json()
    assert code == 0, report["changes"][:5]


def test_run_sync_loses_nothing_across_broker_restart_and_cassandra_outage(old, new, tmp_path):
    """10k updates wait in the queue; while run-sync consumes them the OLD broker restarts and NEW
    Cassandra is stopped for 30 s. Nothing may be lost."""
    from tfdata.model.cells import Cell
    from tfdata.sync.objects import UUID_REF
    from tfdata.model.cells import now_us
    from tfdata.sync.simulate import ApiSimulator

    from .sync_helpers import pick_objects

    load_generated(old, tmp_path, 1000)
    assert invoke("sync", "pre", "--queue", QUEUE, "--checkpoint", str(tmp_path / "p.ckpt")).exit_code == 0
    assert invoke("sync", "zk").exit_code == 0
    ports = [o for o in pick_objects(old)["virtual_machine_interface"]]
    sim = ApiSimulator(old, confirm=True)  # the broker holds every one: what is missing later, run-sync lost
    updates = 10_000
    for i in range(updates):  # each one: the cell the API writes, then its UPDATE notification
        port = ports[i % len(ports)]
        sim.db.write_cells(UUID_REF, [Cell(port.uuid, "prop:display_name", json.dumps(f"update-{i}"), now_us())])
        sim._publish({"oper": "UPDATE", "type": port.type, "uuid": port.uuid, "fq_name": port.fq_name})
    sim.close()
    assert declare_queue(old, QUEUE) == updates
    syncer = RunSync(old, new, queue=QUEUE, prefetch=50, backoff_max=2.0)
    runner = threading.Thread(target=syncer.run, kwargs={"until_idle": 3600}, daemon=True)
    runner.start()
    time.sleep(3)
    services("stop", "old", "rabbitmq")
    services("start", "old", "rabbitmq")
    services("wait", "old", "rabbitmq")
    services("stop", "new", "cassandra")
    time.sleep(30)
    services("start", "new", "cassandra")
    services("wait", "new", "cassandra")
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if syncer.stats.applied >= updates and syncer.stats.queue_depth == 0:
            break
        time.sleep(1)
    syncer.stop_event.set()
    runner.join(timeout=120)
    assert syncer.stats.applied < updates + 2000  # redeliveries only for what was in flight
    assert syncer.stats.dead_lettered == 0
    assert syncer.stats.applied >= updates
    assert syncer.stats.reconnects >= 1 and syncer.stats.retries >= 1  # the faults really hit it
    code, report = verify_json()
    assert report["changes"] == [] and code == 0


def test_run_sync_applies_a_burst_on_one_object_once_and_acks_every_message(old, new, tmp_path):
    """50 UPDATEs of one port wait in the queue; one worker: the first apply is under way while
    the rest arrive, so they share the next apply; all 50 are acked and the row ends up equal."""
    from tfdata.model.cells import Cell
    from tfdata.stores.cassandra import CassandraStore
    from tfdata.sync.objects import UUID_REF
    from tfdata.model.cells import now_us
    from tfdata.sync.simulate import ApiSimulator

    from .sync_helpers import pick_objects

    load_generated(old, tmp_path, 300)
    assert invoke("sync", "pre", "--queue", QUEUE, "--checkpoint", str(tmp_path / "p.ckpt")).exit_code == 0
    port = pick_objects(old)["virtual_machine_interface"][0]
    sim = ApiSimulator(old, confirm=True)
    for i in range(50):
        sim.db.write_cells(UUID_REF, [Cell(port.uuid, "prop:display_name", json.dumps(f"burst-{i}"), now_us())])
        sim._publish({"oper": "UPDATE", "type": port.type, "uuid": port.uuid, "fq_name": port.fq_name})
    sim.close()
    syncer = RunSync(old, new, queue=QUEUE, workers=1)
    stats = syncer.run(until_idle=2)
    assert stats.applied == 50 and stats.dead_lettered == 0 and stats.queue_depth == 0
    assert 10 <= stats.coalesced < 50
    stores = [CassandraStore(p) for p in (old, new)]
    try:
        rows = [{(c.column, c.value, c.writetime) for c in s.row_cells(UUID_REF, port.uuid)} for s in stores]
    finally:
        for s in stores:
            s.close()
    assert rows[0] == rows[1] and ("prop:display_name", json.dumps("burst-49")) in {(c, v) for c, v, _ in rows[1]}
