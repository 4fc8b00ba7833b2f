#!/usr/bin/env python3
"""Benchmarks (not tests): speed and memory of tfdata against reference tools, on the local services.

Each benchmark appends a record to benchmarks/results.json; `render` rewrites BENCHMARKS.md from
it. Peak RSS is measured with /usr/bin/time -v around the real `tfdata` command.

    python scripts/bench.py export --scale M
    python scripts/bench.py snapshot --scale M      # vs cqlsh COPY TO
    python scripts/bench.py presync --scale M       # vs cqlsh COPY TO + COPY FROM
    python scripts/bench.py diff --scale M          # vs a naive full deepdiff
    python scripts/bench.py runsync --rate 500 --seconds 20
    python scripts/bench.py zksync --znodes 100000  # vs zk-shell cp
    python scripts/bench.py audit --scale M
    python scripts/bench.py render
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
WORK = REPO / ".bench"
RESULTS = REPO / "benchmarks" / "results.json"
SCALES = {"S": 1_000, "M": 50_000, "L": 500_000}


def record(name: str, **fields) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    data = [r for r in data if not (r["name"] == name and r.get("scale") == fields.get("scale"))]
    data.append({"name": name, "date": time.strftime("%Y-%m-%d"), **fields})
    RESULTS.write_text(json.dumps(data, indent=1) + "\n")
    print(json.dumps(data[-1]))


def _session_rss_kb(session: int) -> int:
    """Resident memory of every process of a session, summed (a command's worker processes count)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) != session:  # field 6 of stat: the session id
                continue
            with open(f"/proc/{entry.name}/statm") as f:
                total += int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, IndexError, ValueError):
            continue
    return total


def timed(cmd: list[str], cwd: Path | None = None, env: dict | None = None,
          timeout: float | None = None) -> tuple[float, int, str]:
    """(seconds, peak RSS in MB, stdout) of a command run under /usr/bin/time -v. The peak is the
    larger of time's figure (one process) and the sum over the command's processes, sampled."""
    started = time.monotonic()
    peak_kb = 0
    with subprocess.Popen(["/usr/bin/time", "-v", *cmd], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env={**os.environ, **(env or {})}, start_new_session=True) as proc:
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_kb
            while not done.wait(0.1):
                peak_kb = max(peak_kb, _session_rss_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the command too, not only /usr/bin/time
            proc.communicate()
            raise
        finally:
            done.set()
            sampler.join()
    proc = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    seconds = time.monotonic() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    rss = max(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1)), peak_kb) // 1024
    return seconds, rss, proc.stdout


def dataset(scale: str) -> Path:
    from tfdata.gen import generate_dump

    WORK.mkdir(exist_ok=True)
    path = WORK / f"gen-{scale}.json.gz"
    if not path.exists():
        generate_dump(path, SCALES[scale], seed=7, tmp_dir=WORK)
    return path


def load_old(scale: str) -> float:
    """Load the generated dataset into OLD unless the last load there was this one."""
    path = dataset(scale)
    marker = WORK / "old-holds"
    if marker.exists() and marker.read_text() == scale and old_has_data():
        return 0.0
    marker.unlink(missing_ok=True)
    seconds, _, _ = timed(["tfdata", "load", str(path), "--to", "old", "--force", "--format", "json"])
    marker.write_text(scale)
    return seconds


def old_has_data() -> bool:
    """The marker can lie: a test run (scripts/test.sh) wipes OLD."""
    from tfdata.config import local_profiles
    from tfdata.stores.cassandra import CassandraStore
    from tfdata.sync.objects import UUID_REF

    store = CassandraStore(local_profiles()["old"])
    try:
        return UUID_REF in store.tables() and bool(store.non_empty([UUID_REF]))
    finally:
        store.close()


def objects_in(scale: str) -> int:
    return SCALES[scale]


def wipe(profile_name: str) -> None:
    from tfdata.config import local_profiles
    from tests.helpers import wipe_cluster

    if profile_name == "old":
        (WORK / "old-holds").unlink(missing_ok=True)
    wipe_cluster(local_profiles()[profile_name])


def cqlsh(host: str, port: int, command: str) -> float:
    started = time.monotonic()
    subprocess.run(["cqlsh", host, str(port), "--request-timeout", "600", "-e", command], check=True,
                   capture_output=True, text=True)
    return time.monotonic() - started


def tf_tables() -> list[tuple[str, str]]:
    from tfdata.config import local_profiles
    from tfdata.stores.cassandra import CassandraStore

    store = CassandraStore(local_profiles()["old"])
    try:
        return [(t.keyspace, t.table) for t in store.tables()]
    finally:
        store.close()


# ------------------------------------------------------------------------------ benchmarks

def bench_export(args) -> None:
    load_s = load_old(args.scale)
    out = WORK / f"export-{args.scale}.json"
    out.unlink(missing_ok=True)
    seconds, rss, _ = timed(["tfdata", "export", "old", "-o", str(out), "--format", "json"])
    n = objects_in(args.scale)
    record("export", scale=args.scale, objects=n, seconds=round(seconds, 1), objects_per_s=round(n / seconds),
           peak_rss_mb=rss, load_seconds=round(load_s, 1), command="tfdata export old -o FILE.json")


def bench_snapshot(args) -> None:
    load_old(args.scale)
    out = WORK / f"snap-{args.scale}.tfsnap"
    seconds, rss, _ = timed(["tfdata", "snapshot", "old", "-o", str(out), "--force", "--format", "json"])
    copy_dir = Path(tempfile.mkdtemp(dir=WORK))
    cq = 0.0
    for ks, table in tf_tables():
        cq += cqlsh("127.0.0.1", 9042, f"COPY {ks}.{table} (key, column1, value) TO '{copy_dir}/{ks}.{table}.csv'")
    shutil.rmtree(copy_dir)
    n = objects_in(args.scale)
    record("snapshot", scale=args.scale, objects=n, seconds=round(seconds, 1), objects_per_s=round(n / seconds),
           peak_rss_mb=rss, cqlsh_copy_to_seconds=round(cq, 1), speedup_vs_cqlsh=round(cq / seconds, 2),
           command="tfdata snapshot old -o FILE.tfsnap", reference="cqlsh COPY TO of every TF table (no writetimes)")


def bench_presync(args) -> None:
    load_old(args.scale)
    wipe("new")
    seconds, rss, _ = timed(["tfdata", "sync", "pre", "--no-queue", "--restart", "--format", "json"], cwd=WORK)
    wipe("new")
    # reference: cqlsh COPY TO from old, then COPY FROM into new (tables created the same way)
    from tfdata.config import local_profiles
    from tfdata.model.cells import TableRef
    from tfdata.stores.cassandra import CassandraStore

    tables = tf_tables()
    new = CassandraStore(local_profiles()["new"])
    new.ensure_tables([TableRef(k, t) for k, t in tables])
    new.close()
    copy_dir = Path(tempfile.mkdtemp(dir=WORK))
    cq = 0.0
    for ks, table in tables:
        csv = f"{copy_dir}/{ks}.{table}.csv"
        cq += cqlsh("127.0.0.1", 9042, f"COPY {ks}.{table} (key, column1, value) TO '{csv}'")
        cq += cqlsh("127.0.0.2", 9043, f"COPY {ks}.{table} (key, column1, value) FROM '{csv}'")
    shutil.rmtree(copy_dir)
    n = objects_in(args.scale)
    record("presync", scale=args.scale, objects=n, seconds=round(seconds, 1), objects_per_s=round(n / seconds),
           peak_rss_mb=rss, cqlsh_copy_seconds=round(cq, 1), speedup_vs_cqlsh=round(cq / seconds, 2),
           command="tfdata sync pre --no-queue (into an empty NEW)",
           reference="cqlsh COPY TO + COPY FROM per table (fresh timestamps, no deletes)")


def bench_presync_versions(args) -> None:
    """Pre-sync into NEW (5.0) from a 4.1 cluster and from OLD (5.0), same data, same run: what
    the older server costs. Needs the v41 cluster: scripts/services.sh start v41."""
    config = WORK / "versions.toml"
    WORK.mkdir(exist_ok=True)
    config.write_text('[profiles.v41]\ncassandra = {hosts = ["127.0.0.4"], port = 9045}\n'
                      'zookeeper = {hosts = "127.0.0.1:2185"}\nrabbitmq = {hosts = ["127.0.0.1"], port = 5677}\n'
                      '[profiles.old]\n[profiles.new]\n')
    path = dataset(args.scale)
    from tests.helpers import wipe_cluster
    from tfdata.config import get_profile
    from tfdata.stores.cassandra import CassandraStore

    wipe_cluster(get_profile("v41", str(config)))
    timed(["tfdata", "--config", str(config), "load", str(path), "--to", "v41", "--force", "--format", "json"])
    load_old(args.scale)
    runs = {}
    for source in ("v41", "old"):
        wipe("new")
        runs[source] = timed(["tfdata", "--config", str(config), "sync", "pre", "--from", source, "--to", "new",
                              "--no-queue", "--restart", "--format", "json"], cwd=WORK)[:2]
    store = CassandraStore(get_profile("v41", str(config)))
    release = store.server_version()
    store.close()
    n = objects_in(args.scale)
    record("presync-versions", scale=args.scale, objects=n, from_41_seconds=round(runs["v41"][0], 1),
           from_50_seconds=round(runs["old"][0], 1), from_41_peak_rss_mb=runs["v41"][1],
           from_50_peak_rss_mb=runs["old"][1], ratio_41_to_50=round(runs["v41"][0] / runs["old"][0], 2),
           command=f"tfdata sync pre --no-queue from Cassandra {release} (v41) and from 5.0.8 (old) into 5.0.8 (new)")


def bench_diff(args) -> None:
    """Two snapshots of the same generated data, the second with 0.1% of objects changed."""
    import random

    from tfdata.model.cells import Cell
    from tfdata.model.keyspaces import CONFIG_KEYSPACE, UUID_TABLE
    from tfdata.ops.snapshot import take_snapshot
    from tfdata.stores.dump import DumpSource, write_dump

    dump = dataset(args.scale)
    n = objects_in(args.scale)
    changed_dump = WORK / f"gen-{args.scale}-changed.json.gz"
    rng = random.Random(5)
    src = DumpSource(dump)
    chosen: set[str] = set()
    if not changed_dump.exists():
        def mutated():
            for table, cell in src.cells():
                if (table.keyspace, table.table) == (CONFIG_KEYSPACE, UUID_TABLE) \
                        and cell.column == "prop:display_name" \
                        and (cell.key in chosen or rng.random() < 0.001):
                    chosen.add(cell.key)
                    cell = Cell(cell.key, cell.column, '"changed-by-bench"', cell.writetime)
                yield table, cell
        write_dump(changed_dump, mutated(), src.znodes(), src.tables())
    a, b = WORK / f"diff-a-{args.scale}.tfsnap", WORK / f"diff-b-{args.scale}.tfsnap"
    for source, snap in ((dump, a), (changed_dump, b)):
        if not snap.exists() or snap.stat().st_mtime < source.stat().st_mtime:  # L takes minutes each
            take_snapshot(DumpSource(source), snap, force=True)
    seconds, rss, out = timed(["tfdata", "diff", str(a), str(b), "--format", "json"])
    changes = json.loads(out)["summary"]["objects"]["changed"]
    naive = None
    reference = "json.load both dumps, decode every object, DeepDiff"
    if args.scale != "L" or args.naive:
        naive = naive_diff(dump, changed_dump, limit=float(os.environ.get("NAIVE_LIMIT", 1500)),
                           probe=args.scale == "L")
        if naive[2] < 1:
            reference += (f" (whole run predicted over {os.environ.get('NAIVE_LIMIT', 1500)} s: both dumps loaded and "
                          f"decoded, DeepDiff timed on {naive[2]:.0%} of the objects and scaled up)")
    record("diff", scale=args.scale, objects=n, changed_objects=changes, seconds=round(seconds, 2),
           objects_per_s=round(n / seconds), peak_rss_mb=rss,
           naive_seconds=round(naive[0], 1) if naive else None, naive_peak_rss_mb=naive[1] if naive else None,
           speedup_vs_naive=round(naive[0] / seconds, 1) if naive else None,
           command="tfdata diff A.tfsnap B.tfsnap", reference=reference)


def naive_diff(a: Path, b: Path, limit: float, probe: bool) -> tuple[float, int, float]:
    """(seconds, peak RSS MB, fraction of objects deep-diffed). With ``probe``, DeepDiff first
    runs on a tenth of the objects (loading and decoding measured whole); if that predicts more
    than ``limit`` seconds for the whole, the prediction is the figure."""
    code = (
        "import gzip, json, sys, time\n"
        "from deepdiff import DeepDiff\n"
        "def objs(p):\n"
        "    d = json.load(gzip.open(p, 'rt'))\n"
        "    return {k: {c: json.loads(v[0]) if v[0][:1] in '{[\"' or v[0] in ('null','true','false') else v[0]\n"
        "                for c, v in row.items()}\n"
        "           for k, row in d['cassandra']['config_db_uuid']['obj_uuid_table'].items()}\n"
        "fraction = float(sys.argv[3])\n"
        "x, y = objs(sys.argv[1]), objs(sys.argv[2])\n"
        "if fraction < 1:\n"
        "    keep = sorted(x)[:int(len(x) * fraction)]\n"
        "    x, y = {k: x[k] for k in keep}, {k: y[k] for k in keep if k in y}\n"
        "started = time.monotonic()\n"
        "n = len(DeepDiff(x, y))\n"
        "print(json.dumps({'deepdiff_seconds': time.monotonic() - started, 'reports': n}))\n")
    if probe:  # L: time a tenth first, and run the whole only if it fits in the limit
        fraction = 0.1
        seconds, rss, out = timed([sys.executable, "-c", code, str(a), str(b), str(fraction)])
        dd = json.loads(out.strip().splitlines()[-1])["deepdiff_seconds"]
        estimate = seconds + dd * (1 / fraction - 1)
        if estimate > limit:
            return estimate, rss, fraction
    seconds, rss, _ = timed([sys.executable, "-c", code, str(a), str(b), "1"])
    return seconds, rss, 1.0


def runsync_publisher(args) -> None:
    """The API side of the run-sync benchmark, in its own process so it competes with run-sync
    for CPU the way a real API server on another node would not for the GIL: per update, write
    the cell on OLD, then publish the UPDATE (stamped with its send time) once the write is
    acknowledged. Up to 32 writes are in flight at once (as several API workers would have), so
    this process can reach the target rate on a small machine."""
    from collections import deque

    from tfdata.config import local_profiles
    from tfdata.model.cells import now_us, text_to_blob
    from tfdata.sync.objects import UUID_REF
    from tfdata.sync.simulate import ApiSimulator

    targets = json.loads(Path(args.targets).read_text())
    sim = ApiSimulator(local_profiles()["old"])
    insert = sim.db._prepare(f"INSERT INTO {sim.db.physical(UUID_REF)} (key, column1, value) VALUES (?, ?, ?) "
                             "USING TIMESTAMP ?")
    total = int(args.rate * args.seconds)
    in_flight: deque = deque()

    def publish_oldest() -> None:
        future, message = in_flight.popleft()
        future.result()  # the API server publishes only after its write succeeded
        sim._publish(message)

    started = time.monotonic()
    for i in range(total):
        uuid, obj_type, fq_name = targets[i % len(targets)]
        future = sim.db.session.execute_async(insert, (text_to_blob(uuid), text_to_blob("prop:display_name"),
                                                       json.dumps(f"bench-{i}"), now_us()))
        in_flight.append((future, {"oper": "UPDATE", "type": obj_type, "uuid": uuid, "fq_name": fq_name}))
        if len(in_flight) >= 32:
            publish_oldest()
        delay = started + (i + 1) / args.rate - time.monotonic()
        if delay > 0:
            while in_flight:  # ahead of schedule: nothing waits longer than it must
                publish_oldest()
            time.sleep(max(0.0, started + (i + 1) / args.rate - time.monotonic()))
    while in_flight:
        publish_oldest()
    print(json.dumps({"published": total, "rate": total / (time.monotonic() - started)}))
    sim.close()


def bench_runsync(args) -> None:
    """Updates published at a fixed rate (by a separate process) while run-sync applies them;
    lag = publish -> applied (acked after the new cluster holds the change)."""
    import threading

    from tfdata.config import local_profiles
    from tfdata.sync.run import RunSync, declare_queue, delete_queue
    from tests.integration.sync_helpers import pick_objects

    profiles = local_profiles()
    load_old("S")
    subprocess.run(["tfdata", "sync", "pre", "--no-queue", "--restart"], cwd=WORK, check=True, capture_output=True)
    # every object of S, round robin: an object comes round again only after 1000 others, so
    # coalescing (several messages of one object, one apply) helps only when run-sync lags
    targets = [(o.uuid, o.type, o.fq_name) for objs in pick_objects(profiles["old"]).values() for o in objs]
    targets_file = WORK / "runsync-targets.json"
    targets_file.write_text(json.dumps(targets))
    queue = "tfdata.bench.runsync"
    delete_queue(profiles["old"], queue)
    declare_queue(profiles["old"], queue)
    syncer = RunSync(profiles["old"], profiles["new"], queue=queue, workers=args.workers)
    runner = threading.Thread(target=syncer.run, kwargs={"until_idle": 5}, daemon=True)
    consume_started = time.monotonic()
    runner.start()
    publisher = subprocess.run([sys.executable, str(Path(__file__)), "runsync-publisher", "--rate", str(args.rate),
                                "--seconds", str(args.seconds), "--targets", str(targets_file)],
                               check=True, capture_output=True, text=True)
    achieved = json.loads(publisher.stdout.strip().splitlines()[-1])["rate"]
    runner.join(timeout=900)
    syncer_seconds = time.monotonic() - consume_started - 5  # minus the idle wait that ends it
    # backlog drain (what run-sync faces after pre-sync): 5000 updates queued, then consumed
    subprocess.run([sys.executable, str(Path(__file__)), "runsync-publisher", "--rate", "100000",
                    "--seconds", "0.05", "--targets", str(targets_file)], check=True, capture_output=True)
    drainer = RunSync(profiles["old"], profiles["new"], queue=queue, workers=args.workers)
    drain_started = time.monotonic()
    drained = drainer.run(until_idle=2).applied
    drain_per_s = drained / (time.monotonic() - drain_started - 2)
    delete_queue(profiles["old"], queue)
    stats = syncer.stats.as_dict()
    record("runsync", scale=f"{args.rate:g}/s", target_rate=args.rate, achieved_publish_rate=round(achieved),
           updates=int(args.rate * args.seconds), applied=stats["applied"], lag_p50_ms=stats["lag_ms"]["p50"],
           lag_p99_ms=stats["lag_ms"]["p99"], dead_lettered=stats["dead_lettered"], coalesced=stats["coalesced"],
           applies_per_s=round((stats["applied"] - stats["coalesced"]) / syncer_seconds),
           backlog_drained=drained, drain_per_s=round(drain_per_s),
           command=f"RunSync (tfdata sync run) with {args.workers} workers; publisher in its own process")


def bench_zksync(args) -> None:
    from tfdata.config import local_profiles
    from tfdata.model.zk import ZNode
    from tfdata.stores.zookeeper import ZookeeperStore

    wipe("old")
    wipe("new")
    zk = ZookeeperStore(local_profiles()["old"])
    per = 1000
    zk.write_znodes(ZNode(f"/api-server/subnets/d:p:vn{i // per}:10.{i // per % 256}.0.0/16/{i % per:010d}",
                          f"iip-{i}".encode()) for i in range(args.znodes))
    zk.close()
    seconds, rss, _ = timed(["tfdata", "sync", "zk", "--format", "json"])
    wipe("new")
    started = time.monotonic()
    limit = float(os.environ.get("ZKSHELL_LIMIT", 900))
    try:
        subprocess.run(["zk-shell", "--run-once", "cp zk://127.0.0.1:2181/api-server zk://127.0.0.1:2182/api-server "
                        "true true"], check=True, capture_output=True, text=True, timeout=limit)
        ref = time.monotonic() - started
    except subprocess.TimeoutExpired:
        ref = float("inf")  # recorded as a lower bound below
    shown = round(ref, 1) if ref != float("inf") else f">{limit:g} (stopped)"
    speedup = round(ref / seconds, 1) if ref != float("inf") else f">{limit / seconds:.1f}"
    record("zksync", scale=f"{args.znodes} znodes", znodes=args.znodes, seconds=round(seconds, 1),
           znodes_per_s=round(args.znodes / seconds), peak_rss_mb=rss, zkshell_seconds=shown,
           speedup_vs_zkshell=speedup, command="tfdata sync zk (copy + recursive verify)",
           reference="zk-shell cp (recursive, no verify)")


def bench_audit(args) -> None:
    dump = dataset(args.scale)
    seconds, rss, out = timed(["tfdata", "audit", str(dump), "--release", "master", "--format", "json"])
    n = objects_in(args.scale)
    record("audit", scale=args.scale, objects=n, seconds=round(seconds, 1), objects_per_s=round(n / seconds),
           peak_rss_mb=rss, command="tfdata audit DUMP --release master")


def render(args) -> None:
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    lines = ["# Benchmarks", "",
             "Generated by `bash scripts/bench.sh` (or `python scripts/bench.py render`) from "
             "`benchmarks/results.json`. Machine: " + machine() + ".", "",
             "Each row: the command, its wall time and peak RSS (/usr/bin/time -v; for a command that starts "
             "worker processes, the sampled sum over all of them when larger), and the reference tool "
             "run in the same session on the same data. The services (two Cassandra 5.0 nodes, two ZooKeeper, "
             "two RabbitMQ) share the same 2 cores.", ""]
    for name in ("export", "snapshot", "presync", "diff", "runsync", "zksync", "audit"):
        rows = [r for r in data if r["name"] == name]
        if not rows:
            continue
        keys = [k for k in rows[0] if k not in ("name",)]
        lines.append(f"## {name}")
        lines.append("")
        lines.append("| " + " | ".join(keys) + " |")
        lines.append("|" + "---|" * len(keys))
        for r in rows:
            lines.append("| " + " | ".join(str(r.get(k, "")) for k in keys) + " |")
        lines.append("")
    notes = REPO / "benchmarks" / "notes.md"  # targets, misses and where the time goes (hand-written)
    if notes.exists():
        lines += [notes.read_text().rstrip("\n"), ""]
    (REPO / "BENCHMARKS.md").write_text("\n".join(lines))
    print("wrote BENCHMARKS.md")


def machine() -> str:
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 30)
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("export", "snapshot", "presync", "presync-versions", "diff", "audit"):
        p = sub.add_parser(name)
        p.add_argument("--scale", choices=SCALES, default="M")
        p.add_argument("--naive", action="store_true", help="diff: run the naive reference even at L")
    p = sub.add_parser("runsync")
    p.add_argument("--rate", type=float, default=500)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--workers", type=int, default=8)
    p = sub.add_parser("runsync-publisher")
    p.add_argument("--rate", type=float, default=500)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--targets", required=True)
    p = sub.add_parser("zksync")
    p.add_argument("--znodes", type=int, default=100_000)
    sub.add_parser("render")
    args = parser.parse_args()
    {"export": bench_export, "snapshot": bench_snapshot, "presync": bench_presync,
     "presync-versions": bench_presync_versions, "diff": bench_diff,
     "runsync": bench_runsync, "runsync-publisher": runsync_publisher, "zksync": bench_zksync, "audit": bench_audit,
     "render": render}[args.cmd](args)


if __name__ == "__main__":
    main()
