"""docs/issu-runbook.md, followed on OLD/NEW with the commands it prints, through the real CLI.

Every command is taken from the runbook text (the test fails if the runbook stops printing it),
placeholders filled in, and run as `tfdata --issu-conf contrail-issu.conf ...` in a subprocess,
as an operator with an existing contrail-issu.conf would. The API keeps writing to OLD during
pre-sync and run-sync (ApiSimulator: creates, updates that remove props and refs, deletes).
"""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
import threading
import time

from tfdata.stores.snapshot.store import SnapshotSource
from tfdata.sync.run import DEFAULT_QUEUE

from ..helpers import ISSU_CONF, REPO
from .sync_helpers import load_generated, mutate_like_the_api

RUNBOOK = " ".join((REPO / "docs" / "issu-runbook.md").read_text().split())  # lines unwrapped
QUEUE = DEFAULT_QUEUE  # the runbook uses the default queue
RELEASES = {"<old release>": "R2011", "<old>": "R2011", "<current>": "R2011",
            "<new release>": "R21.4", "<new>": "R21.4", "<target>": "R21.4"}


def argv(template: str, extra: tuple[str, ...] = (), **fill: str) -> list[str]:
    """The runbook's command with its placeholders filled (plus ``extra`` arguments, e.g. --format
    json for the test to read); fails if the runbook does not print it."""
    assert f"`{template}`" in RUNBOOK, f"the runbook does not print `{template}`"
    text = template
    for key, value in {**RELEASES, **fill}.items():
        text = text.replace(key, value)
    words = shlex.split(text)
    assert words[0] == "tfdata"
    return [sys.executable, "-m", "tfdata.cli", "--issu-conf", "contrail-issu.conf", *words[1:], *extra]


def step(cwd, template: str, expect: int | None = 0, extra: tuple[str, ...] = (), **fill: str
         ) -> subprocess.CompletedProcess:
    result = subprocess.run(argv(template, extra, **fill), cwd=cwd, capture_output=True, text=True, timeout=600)
    assert expect is None or result.returncode == expect, (template, result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    return result


def state(path) -> tuple:
    """A snapshot's content: per-table timed hashes (values and write times) and every znode."""
    with SnapshotSource(path) as snap:
        m = snap.manifest
    return {k: v["timed_hash"] for k, v in m["tables"].items() if v["cells"]}, m["all_znodes_hash"]


def queue_depth(profile) -> int | None:
    import pika

    from tfdata.stores.rabbitmq import connect

    conn = connect(profile.rabbitmq)
    try:
        return conn.channel().queue_declare(QUEUE, durable=True, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker:
        return None
    finally:
        conn.close()


def test_issu_runbook_end_to_end_with_rollbacks(old, new, tmp_path):
    (tmp_path / "contrail-issu.conf").write_text(ISSU_CONF)
    load_generated(old, tmp_path, 1000)

    # 0: snapshots of both sides, audit, what the new release will do
    (tmp_path / "snapshots").mkdir()  # the runbook's `mkdir -p snapshots`: -o never creates directories
    step(tmp_path, "tfdata snapshot old -o snapshots/old-before-issu.tfsnap --consistent")
    step(tmp_path, "tfdata snapshot new -o snapshots/new-empty.tfsnap")
    for name in ("old-before-issu", "new-empty"):
        assert "OK" in step(tmp_path, "tfdata snapshots verify FILE", FILE=f"snapshots/{name}.tfsnap").stdout
    step(tmp_path, "tfdata audit old --release <old release>")
    step(tmp_path, "tfdata schema check old --from-release <old> --to-release <new>")

    # 2: pre-sync while the API writes; the queue exists before the copy starts
    mutations: dict[str, int] = {}
    mutator = threading.Thread(target=lambda: mutations.update(mutate_like_the_api(old, 600, seed=5)), daemon=True)
    plan = json.loads(step(tmp_path, "tfdata sync pre --dry-run", extra=("--format", "json")).stdout)
    assert plan["tables"]["config_db_uuid.obj_uuid_table"]["rows_added"] >= 1000
    assert queue_depth(old) is None  # a plan declares nothing
    mutator.start()
    pre = step(tmp_path, "tfdata sync pre")
    assert f"run-sync queue '{QUEUE}' declared" in pre.stdout

    # 3: run-sync, left running while the API keeps writing
    run = subprocess.Popen(argv("tfdata sync run"), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        mutator.join(timeout=600)
        assert not mutator.is_alive() and mutations["create"] and mutations["update"] and mutations["delete"]
        deadline = time.monotonic() + 300
        while queue_depth(old) != 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        # 3/4: the check between batches (Cassandra; ZooKeeper is copied in step 7). Pre-sync's
        # catch-up covered the rows whose notification names another object, so the copy is exact
        # without a repair; the repair's dry run must then find nothing either.
        assert "catch-up: " in pre.stdout
        time.sleep(2)
        step(tmp_path, "tfdata sync verify --no-zookeeper")
        step(tmp_path, "tfdata sync verify --no-zookeeper --repair --dry-run")
        # 5: stop run-sync
        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, err
    final = out.strip().splitlines()[-1]
    assert final.startswith("stopped: ") and " 0 dead-lettered" in final and final.endswith("queue depth 0"), final
    last = step(tmp_path, "tfdata sync run --until-idle 5 --delete-queue")
    assert last.stdout.strip().endswith("queue depth 0") and queue_depth(old) is None

    # 6: post-sync
    step(tmp_path, "tfdata snapshot new -o snapshots/new-before-post.tfsnap")
    step(tmp_path, "tfdata sync post")
    step(tmp_path, "tfdata sync verify --no-zookeeper")
    step(tmp_path, "tfdata sync verify", expect=1)  # not yet: the ZooKeeper trees

    # 7: zk-sync and the gate
    step(tmp_path, "tfdata snapshot new -o snapshots/new-before-zk.tfsnap")
    zk_plan = step(tmp_path, "tfdata sync zk --dry-run")
    assert re.search(r": \+[1-9]", zk_plan.stdout), zk_plan.stdout  # the plan has nodes to create
    step(tmp_path, "tfdata sync zk")
    gate = json.loads(step(tmp_path, "tfdata sync verify", extra=("--format", "json")).stdout)
    assert gate["equal"] is True and gate["changes"] == []

    # 8: after the switch
    step(tmp_path, "tfdata snapshot new -o snapshots/new-after-issu.tfsnap")
    step(tmp_path, "tfdata audit new --release <new release>")
    moved = json.loads(step(tmp_path, "tfdata diff snapshots/old-before-issu.tfsnap new --ignore id_perms.last_modified",
                            expect=1, extra=("--format", "json")).stdout)
    added = {c["type"] for c in moved["changes"] if c["kind"] == "object" and c["change"] == "added"}
    assert added == {"virtual_machine_interface"}  # what the API made after the snapshot, nothing else new

    # rollbacks: each restore gives NEW back exactly (cells, write times, znodes)
    step(tmp_path, "tfdata restore snapshots/new-before-zk.tfsnap --to new --force")
    _snapshot(tmp_path, "new", "check-1")
    assert state(tmp_path / "snapshots/check-1.tfsnap") == state(tmp_path / "snapshots/new-before-zk.tfsnap")
    step(tmp_path, "tfdata restore snapshots/new-after-issu.tfsnap --to new --force")
    _snapshot(tmp_path, "new", "check-2")
    assert state(tmp_path / "snapshots/check-2.tfsnap") == state(tmp_path / "snapshots/new-after-issu.tfsnap")
    step(tmp_path, "tfdata sync verify")  # back at the gate
    step(tmp_path, "tfdata restore snapshots/new-before-post.tfsnap --to new --force")
    _snapshot(tmp_path, "new", "check-3")
    assert state(tmp_path / "snapshots/check-3.tfsnap") == state(tmp_path / "snapshots/new-before-post.tfsnap")
    step(tmp_path, "tfdata restore snapshots/new-empty.tfsnap --to new --force")
    _snapshot(tmp_path, "new", "check-4")
    with SnapshotSource(tmp_path / "snapshots/check-4.tfsnap") as snap:
        assert snap.manifest["counts"]["cells"] == 0 and snap.manifest["counts"]["znodes"] == 0


def _snapshot(cwd, profile: str, name: str) -> None:
    """A check snapshot (not a runbook step): same CLI, same profiles."""
    result = subprocess.run([sys.executable, "-m", "tfdata.cli", "--issu-conf", "contrail-issu.conf", "snapshot",
                             profile, "-o", f"snapshots/{name}.tfsnap"], cwd=cwd, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr


def test_in_place_upgrade_runbook_with_rollback(old, tmp_path):
    """ZIU: snapshot, audit, the new API server rewrites objects, diff shows them, restore undoes them."""
    from tfdata.sync.simulate import ApiSimulator

    from .sync_helpers import pick_objects

    (tmp_path / "contrail-issu.conf").write_text(ISSU_CONF)
    load_generated(old, tmp_path, 1000)
    assert "`mkdir -p snapshots`" in RUNBOOK
    (tmp_path / "snapshots").mkdir()  # the runbook's `mkdir -p snapshots`: -o never creates directories
    step(tmp_path, "tfdata snapshot old -o snapshots/before-ziu.tfsnap --consistent")
    step(tmp_path, "tfdata snapshots verify", extra=("snapshots/before-ziu.tfsnap",))
    step(tmp_path, "tfdata audit old --release <current>")
    step(tmp_path, "tfdata schema check old --from-release <current> --to-release <target>")
    # 3: the upgraded API server rewrites some objects at its first start
    networks = pick_objects(old)["virtual_network"][:5]
    sim = ApiSimulator(old)
    try:
        for vn in networks:
            sim.update(vn.uuid, set_props={"display_name": f"{vn.fq_name[-1]}-upgraded"})
    finally:
        sim.close()
    report = json.loads(step(tmp_path, "tfdata diff snapshots/before-ziu.tfsnap old --ignore id_perms.last_modified",
                             expect=1, extra=("--format", "json")).stdout)
    changed = {c["uuid"] for c in report["changes"] if c["kind"] == "object"}
    assert changed == {vn.uuid for vn in networks}
    step(tmp_path, "tfdata audit old --release <target>")
    # 5: rollback
    step(tmp_path, "tfdata restore snapshots/before-ziu.tfsnap --to old --force")
    step(tmp_path, "tfdata diff snapshots/before-ziu.tfsnap old --ignore id_perms.last_modified")
    _snapshot(tmp_path, "old", "after-rollback")
    assert state(tmp_path / "snapshots/after-rollback.tfsnap") == state(tmp_path / "snapshots/before-ziu.tfsnap")
