"""Take, verify, list and show snapshots."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError
from ..model.cells import TableRef
from ..model.keyspaces import CONFIG_KEYSPACE, FQ_NAME_TABLE, SHARED_TABLE, UUID_TABLE
from ..outfile import check_input, raise_write_failure, stale_temps
from ..stores.base import LiveSource, Source
from ..stores.rabbitmq import Notification
from ..stores.snapshot.store import SnapshotSource, SnapshotWriter, manifest_of, verify_file

DEFAULT_DIR = Path("snapshots")
UUID_REF = TableRef(CONFIG_KEYSPACE, UUID_TABLE)


def default_path(label: str, directory: Path = DEFAULT_DIR) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in label)[:40]
    return directory / f"{safe}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.tfsnap"


@dataclass
class SnapshotResult:
    path: str
    manifest: dict[str, Any]
    rereads: int = 0
    notifications: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of `tfdata snapshot --format json`."""
        return {"path": self.path, "counts": self.manifest["counts"], "mode": self.manifest["mode"],
                "rereads": self.rereads, "notifications": self.notifications}


@dataclass
class SnapshotPlan:
    """What `snapshot --dry-run` found: the source answered and lists these tables."""
    source: str
    output: str
    tables: list[str]
    consistent: bool

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of `tfdata snapshot --dry-run --format json`."""
        return {"dry_run": True, "source": self.source, "output": self.output, "tables": self.tables,
                "consistent": self.consistent}


def plan_snapshot(source: Source, name: str, path: str | os.PathLike, consistent: bool = False) -> SnapshotPlan:
    """Ask ``source`` (named ``name`` on the command line) for its tables; nothing is written."""
    return SnapshotPlan(name, str(path), [str(t) for t in source.tables()], consistent)


def take_snapshot(source: Source, path: str | os.PathLike, force: bool = False, consistent: bool = False,
                  on_cell: Callable[[], None] | None = None, max_drain_rounds: int = 20,
                  settle_seconds: float = 1.0, readers: int = 1) -> SnapshotResult:
    """Stream a source into a new snapshot file.

    ``consistent`` (live clusters): a durable queue bound to vnc_config.object-update is declared
    before the scan; afterwards every row a notified change touched is read again, until a round
    brings no new notification, so config_db_uuid matches one moment's state.
    ``readers`` (live clusters): processes reading Cassandra at once; the file is the same
    whatever their number.
    """
    live = source if isinstance(source, LiveSource) else None
    if consistent and live is None:
        raise InputError("--consistent needs a live cluster as SOURCE")
    writer = SnapshotWriter(path, force=force)
    capture = None
    try:
        capture = live.watch_changes() if consistent and live else None
        tables = source.tables()
        for table in tables:
            writer.add_table(table)

        def walk_zookeeper() -> None:
            for node in source.znodes():
                writer.add_znode(node)

        source.snapshot_into(writer, tables, readers=readers, on_cell=on_cell, meanwhile=walk_zookeeper)
        rereads = notes = 0
        if capture is not None and live is not None:
            rereads, notes = _reread_changed(live, writer, capture, max_drain_rounds, settle_seconds)
        manifest = {
            "source": {"kind": source.info.kind, "location": source.info.location},
            "prefix": source.info.prefix,
            "mode": "consistent" if consistent else "plain",
            **(live.facts() if live is not None else {}),
        }
        manifest = writer.finish(manifest)
    except BaseException as exc:
        writer.abort()
        raise_write_failure(exc, path)  # a full disk: one line naming the file, temp removed
        raise
    finally:
        if capture is not None:
            capture.close()
    return SnapshotResult(str(path), manifest, rereads, notes)


def _reread_changed(source: LiveSource, writer: SnapshotWriter, capture: Any, rounds: int,
                    settle: float) -> tuple[int, int]:
    """Read again every row a change notified during the scan touched (the object, its peers
    before and after, the index rows of its type), round after round until one brings nothing.
    Returns (rows re-read, notifications)."""
    rereads = total = 0
    for _ in range(rounds):
        time.sleep(settle)
        notes = capture.drain()
        if not notes:
            break
        total += len(notes)
        rows, types = _touched(source, writer, notes)
        for key in rows:
            writer.replace_object_row(UUID_REF, key, source.row_cells(UUID_REF, key))
            rereads += 1
        for obj_type in types:
            for table in (TableRef(CONFIG_KEYSPACE, FQ_NAME_TABLE), TableRef(CONFIG_KEYSPACE, SHARED_TABLE)):
                writer.replace_object_row(table, obj_type, source.row_cells(table, obj_type))
                rereads += 1
    return rereads, total


def _touched(source: LiveSource, writer: SnapshotWriter, notes: list[Notification]) -> tuple[set[str], set[str]]:
    """Object rows and types a batch of notifications touched: the objects, the peers they name,
    and the parents and refs of each as stored before and as read now."""
    from ..model.objects import decode_row

    rows: set[str] = set()
    types: set[str] = set()
    for note in notes:
        rows.add(note.uuid)
        rows.update(note.peer_uuids())
        if note.type:
            types.add(note.type)
    for key in list(rows):
        for cells in (writer.stored_cells(UUID_REF, key), source.row_cells(UUID_REF, key)):
            obj = decode_row(key, cells)
            if obj.parent:
                rows.add(obj.parent[1])
            rows.update(u for (_, u) in obj.refs)
            if obj.type:
                types.add(obj.type)
    return rows, types


# ---------------------------------------------------------------------------------- inspect

@dataclass
class VerifyResult:
    path: str
    ok: bool
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of `tfdata snapshots verify --format json`."""
        return {"path": self.path, "ok": self.ok, "problems": self.problems}


def verify_snapshot(path: str | os.PathLike) -> VerifyResult:
    """Everything that can be checked: the seal over the file's bytes, SQLite's own integrity
    check, and every hash, count and object recomputed from the stored cells and znodes."""
    path = check_input(path)  # not a readable regular file: an input error (exit 2), not a verdict
    problems = verify_file(path)
    return VerifyResult(str(path), not problems, problems)


def show_snapshot(path: str | os.PathLike) -> dict[str, Any]:
    with SnapshotSource(path) as src:
        counts = src.object_counts()
        return {"path": str(path), "size_bytes": Path(path).stat().st_size, "manifest": src.manifest,
                "object_types": counts}


def list_snapshots(directory: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Also lists temp files left by killed runs (``stale_temp``), which only waste space.
    ``None``: the default directory, which holds no snapshot until the first is taken (no error);
    a directory the caller names must exist."""
    if directory is None:
        if not DEFAULT_DIR.exists():
            return []
        directory = DEFAULT_DIR
    if not Path(directory).is_dir():
        what = "no such directory" if not os.path.lexists(directory) else "is not a directory"
        raise InputError(f"{directory}: {what}")
    out = []
    for path in sorted(Path(directory).glob("*.tfsnap")):
        entry: dict[str, Any] = {"path": str(path), "size_bytes": path.lstat().st_size}
        try:
            check_input(path)  # SQLite would block on a FIFO
            manifest = manifest_of(path)
            entry.update(created_at=manifest.get("created_at"), source=manifest.get("source"),
                         mode=manifest.get("mode"), counts=manifest.get("counts"))
        except InputError as exc:
            entry["error"] = str(exc)
        out.append(entry)
    return out + stale_temps(directory)
