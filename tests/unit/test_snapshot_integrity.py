"""A snapshot edited after it was written is never trusted: not by diff, export or snapshot, and
`snapshots verify` says what differs (cells, write times, znodes, the derived objects table)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tfdata.ops.snapshot import take_snapshot, verify_snapshot
from tfdata.stores.snapshot.integrity import MARKER_OFFSET, read_seal
from tfdata.stores.snapshot.store import SnapshotSource, content_problems, read_manifest, write_manifest
from tfdata.stores.dump import DumpSource

from .corpus import CORPUS, Case, run_case, tfdata

BASE = CORPUS / "base.json"


def _snapshot(tmp: Path, name: str = "x.tfsnap") -> Path:
    path = tmp / name
    take_snapshot(DumpSource(BASE), path)
    return path


def _sql(sql: str, params: tuple = ()):
    def edit(path: Path) -> None:
        conn = sqlite3.connect(path)
        assert conn.execute(sql, params).rowcount != 0, sql  # the edit really changed something
        conn.commit()
        conn.close()
    return edit


def _flip_inside(needle: bytes):
    """Flip one byte inside the stored bytes of a cell (found by its text), as a disk error would."""
    def edit(path: Path) -> None:
        data = bytearray(path.read_bytes())
        at = data.find(needle)
        assert at > 100, needle
        data[at + len(needle) // 2] ^= 0x20
        path.write_bytes(bytes(data))
    return edit


def _flip_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for offset in range(len(data) // 2, len(data) // 2 + 3):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _user_version(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.commit()
    conn.close()


EDITS = {
    "cell-value": _sql("UPDATE cells SET value = 'tampered' WHERE column = CAST('value' AS BLOB)"),
    "cell-writetime": _sql("UPDATE cells SET writetime = writetime + 1 WHERE column = CAST('fq_name' AS BLOB)"),
    "cell-deleted": _sql("DELETE FROM cells WHERE column = CAST('prop:display_name' AS BLOB)"),
    "znode-data": _sql("UPDATE znodes SET data = X'41' WHERE leaf = 1"),
    "znode-deleted": _sql("DELETE FROM znodes WHERE leaf = 1"),
    "object-row": _sql("UPDATE objects SET type = 'project' WHERE type IS NOT NULL"),
    "objects-emptied": _sql("DELETE FROM objects"),
    "row-hash": _sql("UPDATE row_hashes SET content = zeroblob(16)"),
    "seal-field": _user_version,
    "byte-in-cell-page": _flip_inside(b"plain text"),
    "bytes-mid-file": _flip_middle,
}


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    return _snapshot(tmp_path_factory.mktemp("orig"))


def test_the_corpus_base_has_the_cell_the_byte_flip_targets(original):
    assert b"plain text" in original.read_bytes()
    assert read_seal(original) is not None and verify_snapshot(original).ok


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
@pytest.mark.parametrize("command", ["diff", "diff-writetimes", "export", "snapshot", "show", "audit"])
def test_every_command_refuses_an_edited_snapshot(original, tmp_path, edit, command):
    def make(tmp: Path) -> None:
        (tmp / "e.tfsnap").write_bytes(original.read_bytes())
        EDITS[edit](tmp / "e.tfsnap")

    args = {"diff": ["diff", str(BASE), "e.tfsnap"], "diff-writetimes": ["diff", "e.tfsnap", str(BASE), "--writetimes"],
            "export": ["export", "e.tfsnap", "-o", "out.json"], "snapshot": ["snapshot", "e.tfsnap", "-o", "y.tfsnap"],
            "show": ["snapshots", "show", "e.tfsnap"], "audit": ["audit", "e.tfsnap"]}[command]
    line = run_case(Case(f"{edit}:{command}", args, ("e.tfsnap",), make=make), tmp_path)
    assert "snapshot refused" in line or "not a" in line, line


def _edited(name: str, edit):
    """The corpus base as snapshot ``name`` in the case's directory, with ``edit`` applied."""
    def make(tmp: Path) -> None:
        edit(_snapshot(tmp, name))
    return make


def _sqlite_of_another_kind(tmp: Path) -> None:
    conn = sqlite3.connect(tmp / "other.tfsnap")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()


# Files that are not (or no longer) the snapshot they claim to be. load checks its snapshot before it
# connects to the target, so these need no cluster (--force included: nothing could be replaced).
NOT_SNAPSHOTS = [
    Case("snapshot-not-sqlite:diff", ["diff", "{c}/snapshot-not-sqlite.tfsnap", "{c}/base.json"],
         ("snapshot-not-sqlite.tfsnap", "not an SQLite file")),
    Case("snapshot-bad-manifest-hash:export", ["export", "edited.tfsnap", "-o", "out.json"],
         ("edited.tfsnap", "manifest hash does not match"),
         make=_edited("edited.tfsnap", _sql("UPDATE manifest SET value = '\"somewhere-else\"' WHERE key = 'prefix'"))),
    Case("sqlite-not-a-snapshot:diff", ["diff", "other.tfsnap", "{c}/base.json"],
         ("other.tfsnap", "not a tfdata snapshot", "no manifest table"), make=_sqlite_of_another_kind),
    Case("snapshot-table-missing:load", ["load", "nocells.tfsnap", "--to", "new"],
         ("nocells.tfsnap", "cells missing"), make=_edited("nocells.tfsnap", _sql("DROP TABLE cells"))),
    Case("snapshot-tampered-cell:load", ["load", "tampered.tfsnap", "--to", "new"],
         ("tampered.tfsnap", "snapshot refused"), make=_edited("tampered.tfsnap", EDITS["cell-value"])),
    Case("snapshot-flipped-byte:load", ["load", "flipped.tfsnap", "--to", "old", "--force"],
         ("flipped.tfsnap", "snapshot refused"), make=_edited("flipped.tfsnap", EDITS["byte-in-cell-page"])),
]


@pytest.mark.parametrize("case", NOT_SNAPSHOTS, ids=[c.id for c in NOT_SNAPSHOTS])
def test_a_file_that_is_not_an_intact_snapshot_is_refused(case, tmp_path):
    run_case(case, tmp_path)


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_verify_reports_every_edit(original, tmp_path, edit):
    path = tmp_path / "e.tfsnap"
    path.write_bytes(original.read_bytes())
    EDITS[edit](path)
    result = tfdata(["snapshots", "verify", str(path), "--format", "json"], tmp_path)
    report = json.loads(result.stdout)
    assert result.returncode == 1 and not report["ok"], report
    assert any("seal" in p or "malformed" in p for p in report["problems"]), report["problems"]


@pytest.mark.parametrize("edit, needle", [
    ("cell-value", "content differs from the manifest"),
    ("cell-writetime", "range hash(es) do not match"),
    ("znode-data", "ZooKeeper nodes differ"),
    ("object-row", "objects table does not match the cells"),
    ("objects-emptied", "objects table does not match the cells (0 rows stored, 3 decoded)"),
    ("row-hash", "row hashes do not match the cells"),
])
def test_verify_names_what_differs(original, tmp_path, edit, needle):
    path = tmp_path / "e.tfsnap"
    path.write_bytes(original.read_bytes())
    EDITS[edit](path)
    problems = verify_snapshot(path).problems
    assert any(needle in p for p in problems), problems


def _as_unsealed_v1(path: Path) -> None:
    """What a snapshot written before seals looks like: format 1, no marker in the header."""
    conn = sqlite3.connect(path)
    manifest = read_manifest(conn, path)
    manifest["format_version"] = 1
    write_manifest(conn, manifest)
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    data[MARKER_OFFSET:MARKER_OFFSET + 4] = b"\x00" * 4
    path.write_bytes(bytes(data))


def test_an_unsealed_older_snapshot_is_checked_in_full_when_opened(original, tmp_path):
    old = tmp_path / "v1.tfsnap"
    old.write_bytes(original.read_bytes())
    _as_unsealed_v1(old)
    with SnapshotSource(old) as src:  # intact: accepted after the full check
        assert src.manifest["format_version"] == 1
    assert verify_snapshot(old).ok
    assert tfdata(["diff", str(BASE), str(old)], tmp_path).returncode == 0
    EDITS["cell-value"](old)
    line = run_case(Case("v1-edited", ["diff", str(BASE), str(old)], ("v1.tfsnap", "content differs")), tmp_path)
    assert "snapshot refused" in line


def test_a_sealed_format_without_its_marker_is_refused(original, tmp_path):
    path = tmp_path / "nomarker.tfsnap"
    data = bytearray(original.read_bytes())
    data[MARKER_OFFSET:MARKER_OFFSET + 4] = b"\x00" * 4
    path.write_bytes(bytes(data))
    run_case(Case("no-marker", ["export", str(path), "-o", "out.json"], ("nomarker.tfsnap", "seal is missing")),
             tmp_path)


def test_content_problems_is_empty_for_an_intact_file(original):
    conn = sqlite3.connect(original)
    try:
        assert content_problems(conn, read_manifest(conn, original)) == []
    finally:
        conn.close()


def test_reading_never_writes_the_snapshot(original, tmp_path):
    """Every command opens snapshots immutable: the bytes, and so the seal, stay as written."""
    before = original.read_bytes()
    for args in (["diff", str(original), str(BASE)], ["export", str(original), "-o", "o.json"],
                 ["snapshots", "verify", str(original)], ["snapshots", "show", str(original)]):
        assert tfdata(args, tmp_path).returncode == 0
    assert original.read_bytes() == before
