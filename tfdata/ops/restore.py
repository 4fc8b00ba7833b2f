"""Roll a cluster back to a snapshot, exactly, resumably, and verified.

Exactness: a rollback must give every cell its original value AND write time (TF orders children
by it and its consumers detect change by it). Cells changed after the snapshot carry newer write
times, so re-writing old ones would lose, and tombstones would shadow them. Hence each table that
differs is TRUNCATEd (no tombstones, no timestamps involved) and reloaded from the snapshot with
USING TIMESTAMP. Tables already equal (same range hashes) are left alone. Run it with the TF
services that write the store stopped, as for any rollback.

Resumability: a checkpoint file (0600) next to the snapshot records the plan and each finished
step; a rerun after a crash or kill -9 continues from there (reloading a table is idempotent).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..errors import TargetNotEmpty, TfdataError
from ..model.cells import Cell, TableRef
from ..outfile import OutputFile, check_input, make_parent
from ..stores.base import Target
from ..stores.snapshot.store import SnapshotSource
from .snapshot import DEFAULT_DIR, default_path, take_snapshot


@dataclass
class RestorePlan:
    # table -> {snapshot_cells, target_cells, ranges_differing}
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    replace_tables: list[str] = field(default_factory=list)
    zookeeper: dict[str, int] = field(default_factory=dict)  # write / delete / same
    target_empty: bool = True

    @property
    def changes(self) -> bool:
        return bool(self.replace_tables) or bool(self.zookeeper.get("write") or self.zookeeper.get("delete"))

    def as_dict(self) -> dict[str, Any]:
        return {"tables": self.tables, "replace_tables": self.replace_tables, "zookeeper": self.zookeeper,
                "target_empty": self.target_empty, "changes": self.changes}


def plan_restore(snapshot: SnapshotSource, target: Target) -> RestorePlan:
    plan = RestorePlan()
    snap_tables = snapshot.tables()
    target_tables = target.tables()
    all_tables = list(dict.fromkeys(snap_tables + target_tables))
    snap_hashes = snapshot.range_hashes(snap_tables)
    live_hashes = target.range_hashes(target_tables)
    for table in all_tables:
        s = snap_hashes.get(table, {})
        t = live_hashes.get(table, {})
        differing = [r for r in set(s) | set(t)
                     if (s[r].timed if r in s else None) != (t[r].timed if r in t else None)]
        entry = {"snapshot_cells": sum(h.cells for h in s.values()), "target_cells": sum(h.cells for h in t.values()),
                 "ranges_differing": len(differing), "in_target": table in target_tables}
        plan.tables[str(table)] = entry
        if entry["target_cells"]:
            plan.target_empty = False
        if differing or (table in snap_tables and table not in target_tables):
            plan.replace_tables.append(str(table))
    # live nodes stream past and are looked up in the snapshot (indexed by path): no tree in memory
    same = delete = 0
    for node in target.znodes():
        plan.target_empty = False
        stored = snapshot.znode_data(node.path)
        if stored is None:
            delete += 1
        elif stored == node.data:
            same += 1
    plan.zookeeper = {"write": snapshot.znode_count() - same, "delete": delete, "same": same}
    return plan


def checkpoint_path(snapshot_path: str | os.PathLike, profile: str) -> Path:
    p = Path(snapshot_path)
    return p.with_name(f".{p.name}.restore-{profile}.ckpt")


def _save(path: Path, state: dict[str, Any]) -> None:
    """Replaced atomically (OutputFile): a kill never leaves half a checkpoint, and a link or
    device planted at its name is refused, not written through."""
    out = OutputFile(path, force=True)
    try:
        with out.open() as fp:
            fp.write(json.dumps(state).encode())
            fp.flush()
            os.fsync(fp.fileno())
        out.publish()
    except BaseException:
        out.abort()
        raise


def _load(path: Path) -> dict[str, Any]:
    check_input(path, follow_links=False)  # a FIFO would hang read_text(); _save replaces, never follows
    try:
        state = json.loads(path.read_text())
    except ValueError:
        raise TfdataError(f"{path}: checkpoint is not valid JSON; remove it to start over") from None
    if not isinstance(state, dict):
        raise TfdataError(f"{path}: checkpoint is not a JSON object; remove it to start over")
    return state


@dataclass
class RestoreResult:
    plan: RestorePlan
    acted: bool
    resumed: bool = False
    pre_snapshot: str | None = None
    verified: bool | None = None
    remaining: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of `tfdata restore --format json` (``remaining``: null when verified)."""
        return {"acted": self.acted, "resumed": self.resumed, "plan": self.plan.as_dict(),
                "pre_snapshot": self.pre_snapshot, "verified": self.verified, "remaining": self.remaining or None}


def restore(snapshot_path: str | os.PathLike, target: Target, yes: bool = False, force: bool = False,
            dry_run: bool = False, pre_snapshot_dir: str | os.PathLike = DEFAULT_DIR,
            on_cell: Callable[[int], None] | None = None) -> RestoreResult:
    snapshot = SnapshotSource(snapshot_path)
    try:
        ckpt = checkpoint_path(snapshot_path, target.info.location)
        state: dict[str, Any] | None = None
        if os.path.lexists(ckpt):
            state = _load(ckpt)
            if state.get("manifest_hash") != snapshot.manifest["manifest_hash"]:
                raise TfdataError(f"{ckpt}: checkpoint belongs to another snapshot; remove it to start over")
        resumed = state is not None
        plan = plan_restore(snapshot, target) if state is None else _plan_from_state(state)
        if dry_run or not yes:
            return RestoreResult(plan, acted=False, resumed=resumed)
        if state is None and not plan.changes:
            return RestoreResult(plan, acted=False, verified=True)  # already equal: touch nothing
        if state is None:
            if not plan.target_empty and not force:
                raise TargetNotEmpty(f"target profile '{target.info.location}' holds data; restoring replaces it: "
                                     "add --force (a snapshot of the target is taken first)")
            state = {"manifest_hash": snapshot.manifest["manifest_hash"], "plan": plan.as_dict(),
                     "done": [], "started_at": time.time()}
            if not plan.target_empty:
                pre = default_path(f"auto-{target.info.location}-pre-restore", Path(pre_snapshot_dir))
                make_parent(pre)  # SnapshotWriter creates no directory
                take_snapshot(target, pre)
                state["pre_snapshot"] = str(pre)
            _save(ckpt, state)
        _apply(snapshot, target, state, ckpt, on_cell)
        result = RestoreResult(plan, acted=True, resumed=resumed, pre_snapshot=state.get("pre_snapshot"))
        after = plan_restore(snapshot, target)
        result.verified = not after.changes
        result.remaining = after.as_dict()
        if result.verified:
            ckpt.unlink(missing_ok=True)
        return result
    finally:
        snapshot.close()


def _plan_from_state(state: dict[str, Any]) -> RestorePlan:
    p = state["plan"]
    return RestorePlan(p["tables"], p["replace_tables"], p["zookeeper"], p["target_empty"])


def _apply(snapshot: SnapshotSource, target: Target, state: dict[str, Any], ckpt: Path,
           on_cell: Callable[[int], None] | None) -> None:
    tables = [TableRef(*name.split(".", 1)) for name in state["plan"]["replace_tables"]]
    snap_tables = set(snapshot.tables())
    target.prepare_tables([t for t in tables if t in snap_tables])
    for table in tables:
        step = f"table:{table}"
        if step in state["done"]:
            continue
        if f"truncated:{table}" not in state["done"]:
            target.clear_tables([table])
            state["done"].append(f"truncated:{table}")
            _save(ckpt, state)
        if table in snap_tables:
            target.write_cells(table, _counted(snapshot.cells([table]), on_cell))
        state["done"].append(step)
        _save(ckpt, state)
    if "zookeeper" not in state["done"]:
        target.replace_znodes(snapshot.znodes())
        state["done"].append("zookeeper")
        _save(ckpt, state)


def _counted(cells: Iterable[tuple[TableRef, Cell]], on_cell: Callable[[int], None] | None) -> Iterator[Cell]:
    for _, cell in cells:
        if on_cell:
            on_cell(1)
        yield cell
