"""The bad-input corpus: every case runs the real `tfdata` CLI against the real OLD/NEW services.

A rejected input must give exactly one stderr line naming the input and the place, the
documented exit code, no traceback, and write NOTHING: the target cluster's snapshot hashes
(tfdata's own) and the working directory are compared before and after. OLD holds the small
corpus dump (so `--force` cases prove validation happens before anything is replaced); NEW is
empty (so they prove not even a keyspace is created).

Every case here reaches a service before it is refused (load connects to its target before it
reads a dump, restore before it reads its snapshot, audit before it looks up --release). Inputs
refused before any service is reached are in the unit corpus (tests/unit/corpus.py, which runs
tfdata with the network cut off).

Inputs TF really stores (a cell that is not JSON, a column of unknown form, a row without
type/fq_name) are accepted by design: they must load exactly and be reported by `audit`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from tfdata.ops.load import load
from tfdata.ops.snapshot import take_snapshot
from tfdata.stores.snapshot.store import write_manifest, read_manifest
from tfdata.stores.cluster import ClusterStore
from tfdata.stores.dump import DumpSource
from tfdata.sync.run import DEFAULT_QUEUE

from ..helpers import REPO, wipe_cluster, wipe_queues

CORPUS = REPO / "tests" / "corpus"
BASE = CORPUS / "base.json"
RUN_SYNC_QUEUE = DEFAULT_QUEUE  # what `sync pre` declares without --queue

# A profile whose every port is closed (port 1 on loopback refuses at once).
CLOSED_TOML = """[profiles.old]
[profiles.new]
[profiles.closed]
[profiles.closed.cassandra]
hosts = ["127.0.0.1"]
port = 1
connect_timeout = 3
[profiles.closed.zookeeper]
hosts = "127.0.0.1:1"
[profiles.closed.rabbitmq]
hosts = ["127.0.0.1"]
port = 1
"""


# ------------------------------------------------------------------------------ inputs built per case

def _snapshot_of(dump: Path, path: Path) -> Path:
    take_snapshot(DumpSource(dump), path)
    return path


def _edit_snapshot(path: Path, sql: str | None = None, manifest: dict | None = None) -> None:
    conn = sqlite3.connect(path)
    if sql:
        conn.execute(sql)
    if manifest:
        m = read_manifest(conn, path)
        m.update(manifest)
        write_manifest(conn, m)  # a consistent manifest hash: only the edited field is wrong
    conn.commit()
    conn.close()


def snap_bad_manifest(tmp: Path) -> None:
    _edit_snapshot(_snapshot_of(BASE, tmp / "edited.tfsnap"),
                   "UPDATE manifest SET value = '\"somewhere-else\"' WHERE key = 'prefix'")


def snap_newer_format(tmp: Path) -> None:
    _edit_snapshot(_snapshot_of(BASE, tmp / "future.tfsnap"), manifest={"format_version": 99})


def snap_truncated(tmp: Path) -> None:
    whole = _snapshot_of(BASE, tmp / "whole.tfsnap").read_bytes()
    (tmp / "whole.tfsnap").unlink()
    (tmp / "cut.tfsnap").write_bytes(whole[:len(whole) // 2])


def snap_tampered_cell(tmp: Path) -> None:
    _edit_snapshot(_snapshot_of(BASE, tmp / "tampered.tfsnap"),
                   "UPDATE cells SET value = 'tampered' WHERE column = CAST('value' AS BLOB)")


def snap_flipped_cell_byte(tmp: Path) -> None:
    """One byte of a stored cell changed in place (a disk error; SQLite itself notices nothing)."""
    path = _snapshot_of(BASE, tmp / "flipped.tfsnap")
    data = bytearray(path.read_bytes())
    at = data.find(b"plain text")
    data[at + 3] ^= 0x20
    path.write_bytes(bytes(data))


def snap_different(tmp: Path) -> None:
    _snapshot_of(CORPUS / "accept-unknown-column.json", tmp / "different.tfsnap")


def closed_profile(tmp: Path) -> None:
    (tmp / "tfdata.toml").write_text(CLOSED_TOML)


def queue_absent_on_old(profiles) -> None:
    """sync pre must not leave a durable queue on OLD's broker when it could not copy."""
    import pika

    from tfdata.stores.rabbitmq import connect

    conn = connect(profiles["old"].rabbitmq)
    try:
        with pytest.raises(pika.exceptions.ChannelClosedByBroker):
            conn.channel().queue_declare(RUN_SYNC_QUEUE, passive=True)
    finally:
        conn.close()


# ------------------------------------------------------------------------------ the corpus

@dataclass
class Case:
    id: str
    args: list[str]  # {c} = tests/corpus, files made by `make` are in the working directory
    needles: tuple[str, ...]  # all in the one stderr line
    target: str | None = None  # cluster that must stay unchanged
    exit: int = 2
    make: Callable[[Path], None] | None = None
    check: Callable[[dict], None] | None = None


def dump_case(name: str, needles: tuple[str, ...], how: str = "load-old") -> Case:
    """A broken dump, fed to one of the commands that read dumps."""
    path = f"{{c}}/{name}"
    args, target = {
        "load-old": (["load", path, "--to", "old", "--force"], "old"),  # --force: nothing may be replaced
        "load-new": (["load", path, "--to", "new"], "new"),
        "snapshot": (["snapshot", path, "-o", "out.tfsnap"], None),
        "export": (["export", path, "-o", "out.json.gz"], None),
        "diff": (["diff", path, "{c}/base.json"], None),
    }[how]
    return Case(f"{name}:{how}", args, (name, *needles), target)


CASES = [
    # --- dumps: the file, and the place (character offset, table, row, column, item) in it
    dump_case("dump-cut-in-the-middle.json", ("truncated dump?", "at character 2330", "config_db_uuid.obj_uuid_table")),
    dump_case("dump-empty.json", ("unexpected end of file", "at character 0"), "load-new"),
    dump_case("dump-is-an-array.json", ("expected '{' but found '['", "at character 0", "top-level object")),
    dump_case("dump-non-utf8.json", ("not UTF-8 text", "byte 0xff at byte 4150")),
    dump_case("dump-non-utf8.json", ("not UTF-8 text", "byte 0xff at byte 4150"), "load-new"),
    dump_case("dump-corrupt.json.gz", ("corrupt gzip data",)),
    dump_case("dump-truncated.json.gz", ("cannot read", "Compressed file ended"), "load-new"),
    dump_case("dump-zookeeper-missing.json", ("'zookeeper' part is missing",)),
    dump_case("dump-zookeeper-not-a-string.json", ("'zookeeper' must be a JSON string", "found list")),
    dump_case("dump-zookeeper-string-not-a-list.json", ("'zookeeper' string must hold a JSON list",), "load-new"),
    dump_case("dump-zookeeper-string-cut.json", ("(zookeeper string)", "truncated dump?", "zookeeper item 0")),
    dump_case("dump-zookeeper-item-malformed.json", ("zookeeper item 0", "expected [path, [data, stat]]")),
    dump_case("dump-duplicate-column.json", ("duplicate key 'prop:display_name'", "at character 1612")),
    dump_case("dump-duplicate-row.json", ("duplicate key 'some-key'", "useragent.useragent_keyval_table")),
    dump_case("dump-unknown-keyspace.json", ("keyspace 'user_agent' is not a TF keyspace", "at character 4041")),
    dump_case("dump-prefixed-keyspace.json", ("keyspace 'east_config_db_uuid'", "without cluster prefix"), "load-new"),
    dump_case("dump-cassandra-not-an-object.json", ("expected '{' but found '['", "in cassandra")),
    dump_case("dump-table-not-an-object.json", ("expected a table object", "config_db_uuid.obj_shared_table")),
    dump_case("dump-row-not-an-object.json", ("expected a row object", "row 'some-key'")),
    dump_case("dump-cell-not-a-pair.json", ("row 'some-key' column 'value'", "expected [value, writetime]")),
    dump_case("dump-writetime-not-an-integer.json", ("column 'value'", "writetime must be an integer")),
    dump_case("dump-trailing-data.json", ("trailing data", "at character 4661")),
    # strict JSON, int64 write times, znode paths as recorded, no lone surrogates (every command
    # that reads dumps is covered in tests/unit/test_corpus_dump.py; here: load leaves OLD/NEW alone)
    dump_case("dump-literal-nan.json", ("NaN is not JSON", "row 'some-key' column 'value'")),
    dump_case("dump-writetime-2-64.json", ("outside the 64-bit integer range", "column 'value'"), "load-new"),
    dump_case("dump-writetime-true.json", ("writetime must be an integer, found true",)),
    dump_case("dump-zookeeper-duplicate-path.json", ("duplicate path", "zookeeper item 3")),
    dump_case("dump-zookeeper-path-empty-name.json", ("an empty name", "zookeeper item 1"), "load-new"),
    dump_case("dump-zookeeper-stat-short.json", ("the stat has 10 fields, not 11", "zookeeper item 1")),
    dump_case("dump-value-lone-surrogate.json", ("lone surrogate escape", "column 'value'"), "load-new"),
    dump_case("dump-bom.json", ("BOM",)),
    # --- snapshots
    Case("snapshot-not-sqlite:restore", ["restore", "{c}/snapshot-not-sqlite.tfsnap", "--to", "old", "--force"],
         ("snapshot-not-sqlite.tfsnap", "not an SQLite file"), "old"),
    Case("snapshot-bad-manifest-hash:restore", ["restore", "edited.tfsnap", "--to", "old", "--force"],
         ("edited.tfsnap", "manifest hash does not match"), "old", make=snap_bad_manifest),
    Case("snapshot-newer-format:restore", ["restore", "future.tfsnap", "--to", "new", "--yes"],
         ("future.tfsnap", "format version 99 is newer"), "new", make=snap_newer_format),
    Case("snapshot-truncated:restore", ["restore", "cut.tfsnap", "--to", "old", "--force"],
         ("cut.tfsnap", "malformed"), "old", make=snap_truncated),
    Case("snapshot-tampered-cell:restore", ["restore", "tampered.tfsnap", "--to", "old", "--force"],
         ("tampered.tfsnap", "snapshot refused", "does not match the checksum"), "old", make=snap_tampered_cell),
    Case("snapshot-flipped-byte:restore", ["restore", "flipped.tfsnap", "--to", "new", "--yes"],
         ("flipped.tfsnap", "snapshot refused"), "new", make=snap_flipped_cell_byte),
    # --- targets that hold data
    Case("load-into-non-empty-target", ["load", "{c}/base.json", "--to", "old"],
         ("target profile 'old' is not empty", "--force"), "old"),
    Case("restore-into-non-empty-target", ["restore", "different.tfsnap", "--to", "old", "--yes"],
         ("target profile 'old' holds data", "--force"), "old", make=snap_different),
    # --- profiles and releases
    Case("profile-closed-port:load", ["load", "{c}/base.json", "--to", "closed"],
         ("profile 'closed'", "127.0.0.1:1", "connection refused"), make=closed_profile),
    Case("profile-closed-port:snapshot", ["snapshot", "closed", "-o", "out.tfsnap"],
         ("profile 'closed'", "127.0.0.1:1", "connection refused"), make=closed_profile),
    Case("profile-closed-port:sync-pre", ["sync", "pre", "--to", "closed", "--checkpoint", "pre.ckpt"],
         ("profile 'closed'", "127.0.0.1:1", "connection refused"), "old", make=closed_profile,
         check=queue_absent_on_old),
    Case("release-unknown:audit", ["audit", "old", "--release", "R9.9"], ("unknown release 'R9.9'", "known: R5.0"), "old"),
]


# ------------------------------------------------------------------------------ machinery

def cluster_state(profile) -> dict:
    """What tfdata's snapshot says about a cluster: per-table timed hashes and all znodes."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch, ClusterStore(profile) as store:
        manifest = take_snapshot(store, Path(scratch) / "s.tfsnap").manifest
    return {"tables": {k: v["timed_hash"] for k, v in manifest["tables"].items()},
            "znodes": manifest["all_znodes_hash"], "leaves": manifest["znodes_hash"], "counts": manifest["counts"]}


def dir_state(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(path.rglob("*"))}


def tfdata(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TFDATA_CONFIG"}
    return subprocess.run([sys.executable, "-m", "tfdata.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180)


def _reset(profiles, side: str) -> None:
    wipe_cluster(profiles[side])
    if side == "old":
        with ClusterStore(profiles["old"]) as target:
            load(DumpSource(BASE), target)


@pytest.fixture(scope="module")
def clusters(services_up):
    """OLD holds the corpus base dump, NEW is empty; their states are what every case must leave."""
    for side in ("old", "new"):
        wipe_queues(services_up[side])
        _reset(services_up, side)
    states = {side: cluster_state(services_up[side]) for side in ("old", "new")}
    assert states["old"]["counts"]["objects"] == 3 and states["new"]["counts"]["cells"] == 0
    return services_up, states


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_in_one_line_and_nothing_is_written(clusters, case, tmp_path):
    profiles, states = clusters
    if case.make:
        case.make(tmp_path)
    before = dir_state(tmp_path)
    result = tfdata([a.replace("{c}", str(CORPUS)) for a in case.args], tmp_path)
    try:
        assert "Traceback" not in result.stderr + result.stdout, result.stderr
        assert result.returncode == case.exit, (result.returncode, result.stderr, result.stdout)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("tfdata: error: "), result.stderr
        for needle in case.needles:
            assert needle in lines[0], (needle, lines[0])
        assert result.stdout == ""
        assert dir_state(tmp_path) == before  # no output, no temp file, no checkpoint, no pre-restore snapshot
        if case.check:
            case.check(profiles)
    finally:
        if case.target:
            after = cluster_state(profiles[case.target])
            if after != states[case.target]:
                _reset(profiles, case.target)  # keep later cases meaningful
            assert after == states[case.target], f"{case.target} was written to"


# ------------------------------------------------------------------------------ accepted by design

ACCEPTED = [  # (file, audit check that reports it, audit exit code: 1 when the check is an error)
    ("accept-non-json-cell.json", "object.bad_json", 1),
    ("accept-truncated-value.json", "object.bad_json", 1),
    ("accept-unknown-column.json", "object.unknown_column", 0),
    ("accept-missing-type.json", "object.missing_field", 1),
    ("accept-missing-fq-name.json", "object.missing_field", 1),
]


@pytest.mark.parametrize("name, check_id, audit_exit", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_data_tf_really_stores_is_loaded_exactly_and_audited(clusters, tmp_path, name, check_id, audit_exit):
    profiles, states = clusters
    dump = CORPUS / name
    try:
        loaded = tfdata(["load", str(dump), "--to", "new"], tmp_path)
        assert loaded.returncode == 0 and "Traceback" not in loaded.stderr, loaded.stderr
        expected = take_snapshot(DumpSource(dump), tmp_path / "dump.tfsnap").manifest
        got = cluster_state(profiles["new"])
        assert got["tables"] == {k: v["timed_hash"] for k, v in expected["tables"].items()}  # values and write times
        assert got["leaves"] == expected["znodes_hash"]  # a dump records leaves only
        audited = tfdata(["audit", "new", "--format", "json"], tmp_path)
        report = json.loads(audited.stdout)
        found = [f for f in report["findings"] if f["check"] == check_id]
        assert found, report["findings"]
        assert audited.returncode == audit_exit, (audited.returncode, report["summary"])
        assert (report["summary"]["error"] > 0) == bool(audit_exit)
    finally:
        _reset(profiles, "new")


def test_snapshot_with_tampered_cells_is_reported_by_verify(tmp_path):
    """A snapshot whose manifest is intact but whose cells were edited: `snapshots verify` names the table."""
    snap_tampered_cell(tmp_path)
    result = tfdata(["snapshots", "verify", "tampered.tfsnap"], tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "tampered.tfsnap: CORRUPT" in result.stdout
    assert "table useragent.useragent_keyval_table: content differs from the manifest" in result.stdout
    snap_bad_manifest(tmp_path)
    edited = tfdata(["snapshots", "verify", "edited.tfsnap"], tmp_path)
    assert edited.returncode == 1 and "manifest hash does not match" in edited.stdout
    untouched = tmp_path / "untouched.tfsnap"
    shutil.copy(_snapshot_of(BASE, tmp_path / "whole.tfsnap"), untouched)
    assert tfdata(["snapshots", "verify", str(untouched)], tmp_path).returncode == 0
