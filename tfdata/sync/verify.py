"""The final gate: old and new hold the same config store (Cassandra objects and rows, ZooKeeper trees).

Both clusters keep serving while this runs, so a first comparison can catch writes in flight.
Everything found different is read again from both sides after a settle delay; only what is
still different is reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..model.cells import TableRef
from ..ops.diff import DiffOptions, changed_fields, diff_sources, object_document
from .rows import UUID_REF
from .zk import compare_trees, tree_pairs


@dataclass
class VerifyResult:
    changes: list[dict[str, Any]] = field(default_factory=list)
    first_pass: int = 0
    settled: int = 0  # differences that disappeared on re-check

    @property
    def equal(self) -> bool:
        return not self.changes

    def summary(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0}
        for c in self.changes:
            counts[c["change"]] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {"equal": self.equal, "summary": self.summary(), "changes": self.changes,
                "first_pass_differences": self.first_pass, "settled_in_flight": self.settled}


def verify(old_store, new_store, settle: float = 2.0, options: DiffOptions | None = None,
           on_cell=None, zookeeper: bool = True) -> VerifyResult:
    """old_store/new_store: ClusterStore. Differences are keyed old -> new (added = only on new).

    ``zookeeper=False`` checks Cassandra only: until zk-sync (the last step) the trees differ by design.
    """
    options = options or DiffOptions()
    options.zookeeper = False
    first = diff_sources(old_store, new_store, options, on_cell=on_cell).changes
    if zookeeper:
        first += _zk_differences(old_store.zookeeper, new_store.zookeeper)
    result = VerifyResult(first_pass=len(first))
    if not first:
        return result
    time.sleep(settle)
    for change in first:
        if _still_differs(change, old_store, new_store, options):
            result.changes.append(change)
        else:
            result.settled += 1
    return result


def _zk_differences(old_zk, new_zk) -> list[dict[str, Any]]:
    """Differences only: both trees are compared as they are walked, never held."""
    out = []
    meaning = {"create": "removed", "delete": "added", "set": "changed"}  # as seen from old to new
    for old_root, new_root in tree_pairs(old_zk.prefix, new_zk.prefix):
        for kind, rel, _ in compare_trees(old_zk, old_root, new_zk, new_root):
            if kind == "same":
                continue
            entry = {"change": meaning[kind], "kind": "znode", "path": new_root + rel, "old_path": old_root + rel}
            if kind == "set":
                entry["fields"] = ["data"]
            out.append(entry)
    return out


def _still_differs(change: dict[str, Any], old_store, new_store, options: DiffOptions) -> bool:
    kind = change["kind"]
    if kind == "object":
        a = old_store.cassandra.row_cells(UUID_REF, change["uuid"])
        b = new_store.cassandra.row_cells(UUID_REF, change["uuid"])
        if not a or not b:
            return bool(a) != bool(b)
        if any(f.startswith(("fq_name_index.", "shared.")) for f in change.get("fields", [])):
            return True  # index cells: the full diff already re-read them moments ago
        return bool(changed_fields(object_document(change["uuid"], a, options),
                                   object_document(change["uuid"], b, options)))
    if kind == "row":
        table = TableRef(change["keyspace"], change["table"])
        a = {c.column: c.value for c in old_store.cassandra.row_cells(table, change["key"])}
        b = {c.column: c.value for c in new_store.cassandra.row_cells(table, change["key"])}
        return a != b
    if kind == "znode":
        def data(zk, path):
            got = zk.client.exists(path)
            return None if got is None else zk.client.get(path)[0]
        return data(old_store.zookeeper, change["old_path"]) != data(new_store.zookeeper, change["path"])
    return True


