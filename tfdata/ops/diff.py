"""Object-level differences between two states of the config store.

Any two sources (snapshot, dump, live cluster) are first brought to snapshot form (sources that
are not snapshots are streamed into temporary snapshot files, so memory stays bounded), then:
rows whose hashes are equal on both sides are skipped in SQL, and only the differing rows are
decoded and compared with deepdiff. obj_uuid_table rows are compared as objects (props, list and
map items, refs and their attrs, parent, children, backrefs); obj_fq_name_table and
obj_shared_table cells are folded into the object they name; other keyspaces are compared per
row and column; ZooKeeper per node (path and data).
"""

from __future__ import annotations

import fnmatch
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..model.cells import Cell, blob_to_text, text_to_blob
from ..model.fqname import split_fq_name_column, split_shared_column
from ..model.keyspaces import CONFIG_KEYSPACE, FQ_NAME_TABLE, SHARED_TABLE, UUID_TABLE
from ..model.objects import decode_row
from ..stores.base import Source
from ..stores.snapshot.pair import SnapshotPair
from ..stores.snapshot.store import SnapshotSource


@dataclass
class DiffOptions:
    ignore: list[str] = field(default_factory=list)  # dotted field paths (wildcards ok) or column names
    types: list[str] = field(default_factory=list)  # object types to compare (underscore or dash)
    keyspaces: list[str] = field(default_factory=list)
    writetimes: bool = False
    zookeeper: bool = True


CHANGES = ("added", "removed", "changed")
# kind of a change entry -> its group in the summary
SUMMARY_GROUPS = {"object": "objects", "stale_index_entry": "stale_index_entries", "row": "rows", "znode": "znodes"}
STALE_NOTE = "index cell naming an object that exists on neither side"


def change_identity(change: dict[str, Any]) -> tuple:
    """What one entry is about: an object (or a stale index entry's uuid), a row, a znode."""
    kind = change["kind"]
    if kind in ("object", "stale_index_entry"):
        return kind, change["uuid"]
    if kind == "row":
        return kind, change["keyspace"], change["table"], change["key"]
    return kind, change.get("path")


def summarize(changes: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Distinct objects, stale index entries, rows and znodes per change, plus totals: an object
    counts once however many of its cells (row, index, shared) differ."""
    out = {group: dict.fromkeys(CHANGES, 0) for group in SUMMARY_GROUPS.values()}
    seen: set[tuple] = set()
    for change in changes:
        identity = change_identity(change)
        if identity not in seen:
            seen.add(identity)
            out[SUMMARY_GROUPS[change["kind"]]][change["change"]] += 1
    out["totals"] = {c: sum(out[group][c] for group in SUMMARY_GROUPS.values()) for c in CHANGES}
    return out


@dataclass
class DiffResult:
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.changes

    def summary(self) -> dict[str, dict[str, int]]:
        return summarize(self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {"equal": self.equal, "summary": self.summary(), "changes": self.changes}


def check_options(options: DiffOptions, present_types: Callable[[], set[str]] | None = None) -> None:
    """Filters that can match nothing are input errors, not an "equal" verdict. Object types no
    release knows are accepted only when ``present_types`` (the types the data holds) has them;
    without it they are left for the check against the data."""
    from ..filters import (
        check_ignore_patterns,
        check_keyspaces,
        check_object_types,
        unknown_to_schemas,
    )

    check_keyspaces(options.keyspaces)
    check_ignore_patterns(options.ignore)
    unknown = unknown_to_schemas(options.types)
    if unknown and present_types is not None:
        check_object_types(unknown, present_types())


# ---------------------------------------------------------------------------------- documents

def object_document(key: str, cells: list[Cell], options: DiffOptions) -> dict[str, Any]:
    obj = decode_row(key, cells)
    doc = obj.to_document()
    doc.pop("uuid", None)
    if options.writetimes:
        doc["writetimes"] = {c.column: c.writetime for c in cells if c.column is not None}
    if obj.problems:
        doc["malformed"] = {p.column or p.kind: p.kind for p in obj.problems
                            if p.kind in ("bad_json", "unknown_column")}
    return _apply_ignores(doc, options.ignore)


def _apply_ignores(doc: dict[str, Any], patterns: list[str]) -> dict[str, Any]:
    for pattern in patterns:
        if pattern == "writetimes":
            doc.pop("writetimes", None)
            continue
        if pattern.startswith("META:"):
            name = pattern[5:]
            doc["meta"] = [m for m in doc.get("meta", []) if not fnmatch.fnmatch(m, name)]
            if "writetimes" in doc:
                doc["writetimes"] = {c: t for c, t in doc["writetimes"].items() if not fnmatch.fnmatch(c, pattern)}
            continue
        for candidate in (pattern, "props." + pattern):
            _drop_path(doc, candidate.split("."))
    return doc


def _drop_path(node: Any, parts: list[str]) -> None:
    if not parts or not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    for key in [k for k in node if fnmatch.fnmatch(str(k), head)]:
        if rest:
            _drop_path(node[key], rest)
        else:
            del node[key]


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Each changed leaf as {"field": dotted path, "old": ..., "new": ...} via deepdiff."""
    simple: list[dict[str, Any]] = []
    if _scalar_changes(old, new, "", simple):
        return sorted(simple, key=lambda e: e["field"])
    from deepdiff import DeepDiff  # the rare rest; importing it alone costs 0.2 s

    dd = DeepDiff(old, new, verbose_level=2)
    out: list[dict[str, Any]] = []
    for report, items in dd.items():
        if not isinstance(items, dict):
            continue
        for path, detail in items.items():
            entry: dict[str, Any] = {"field": _dotted(path)}
            if report in ("values_changed", "type_changes"):
                entry.update(old=detail.get("old_value"), new=detail.get("new_value"))
            elif report.endswith("_added"):
                entry.update(old=None, new=detail)
            elif report.endswith("_removed"):
                entry.update(old=detail, new=None)
            out.append(entry)
    return sorted(out, key=lambda e: e["field"])


_SCALARS = (str, int, bool, type(None))
_DEEPER = 0.33  # deepdiff's threshold_to_diff_deeper: below this share of common keys a dict is one change
_UNSAFE = frozenset("'\"\\")  # keys deepdiff quotes specially in its paths


def _scalar_changes(old: Any, new: Any, path: str, out: list[dict[str, Any]]) -> bool:
    """Exactly what deepdiff reports (verbose_level=2, dotted) when every differing leaf is a
    string, integer, boolean or None — the common change — without deepdiff's cost of walking
    the identical rest of the object. False, with nothing reliable in ``out``, when deepdiff
    itself is needed: lists and floats (its ordering and NaN rules), keys with quotes or
    backslashes (its path quoting), a root that is replaced whole."""
    if type(old) is dict and type(new) is dict:
        common = old.keys() & new.keys()
        union = len(old) + len(new) - len(common)
        if union > 1 and len(common) / union < _DEEPER:
            if not path:
                return False
            out.append({"field": path, "old": old, "new": new})
            return True
        for key, value in old.items():
            if key in new and _identical(value, new[key]):
                continue
            if not _plain(key):
                return False
            where = f"{path}.{key}" if path else key
            if key not in new:
                out.append({"field": where, "old": value, "new": None})
            elif not _scalar_changes(value, new[key], where, out):
                return False
        for key, value in new.items():
            if key not in old:
                if not _plain(key):
                    return False
                out.append({"field": f"{path}.{key}" if path else key, "old": None, "new": value})
        return True
    if not path or type(old) not in _SCALARS or type(new) not in _SCALARS:
        return False
    out.append({"field": path, "old": old, "new": new})
    return True


def _plain(key: Any) -> bool:
    """A key whose dotted field is just itself in deepdiff's paths too."""
    return isinstance(key, str) and bool(key) and _UNSAFE.isdisjoint(key)


def _identical(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1, 1.0 and True are == but deepdiff tells them apart)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return a.keys() == b.keys() and all(_identical(v, b[k]) for k, v in a.items())
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _dotted(path: str) -> str:
    # root['props']['ipam[]']['0'] -> props.ipam[].0
    import re

    parts = re.findall(r"\[('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\d+)\]", path)
    return ".".join(p[1:-1] if p[:1] in "'\"" else p for p in parts)


# ---------------------------------------------------------------------------------- comparing

def as_snapshot(source: Source, stack: ExitStack, workdir: str, label: str,
                on_cell: Callable[[], None] | None = None, readers: int = 1) -> SnapshotSource:
    """A snapshot of any source: the snapshot itself, or a temporary one streamed from it
    (``readers``: processes reading a live cluster, as in take_snapshot)."""
    if isinstance(source, SnapshotSource):
        return source
    from .snapshot import take_snapshot

    path = Path(workdir) / f"{label}.tfsnap"
    take_snapshot(source, path, force=True, on_cell=on_cell, readers=readers)
    snap = SnapshotSource(path)
    stack.callback(snap.close)
    return snap


def diff_sources(a: Source, b: Source, options: DiffOptions | None = None, workdir: str | None = None,
                 on_cell: Callable[[], None] | None = None, readers: int = 1) -> DiffResult:
    options = options or DiffOptions()
    check_options(options)  # before a live cluster is read for minutes
    unchecked = [s for s in (a, b) if isinstance(s, SnapshotSource) and not s.trusted]
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=2) as pool:
        checks = [pool.submit(s.check_integrity) for s in unchecked]  # beside the comparison: it has the other core
        try:
            tmp = workdir or stack.enter_context(tempfile.TemporaryDirectory(prefix="tfdata-diff-"))
            sa = as_snapshot(a, stack, tmp, "a", on_cell, readers)
            sb = as_snapshot(b, stack, tmp, "b", on_cell, readers)
            result = _compare(sa, sb, options)
        except Exception:
            for check in checks:
                check.result()  # a broken seal explains a failure reading the file better
            raise
        for check in checks:
            check.result()  # no verdict from a file whose seal does not hold
        return result


def diff_snapshots(a: SnapshotSource, b: SnapshotSource, options: DiffOptions | None = None) -> DiffResult:
    """diff_sources of two snapshots (their seals checked beside the comparison)."""
    return diff_sources(a, b, options)


def _compare(a: SnapshotSource, b: SnapshotSource, options: DiffOptions) -> DiffResult:
    result = DiffResult()
    with SnapshotPair(a, b) as pair:
        check_options(options, pair.present_types)
        tables = list(dict.fromkeys(a.tables() + b.tables()))
        want_ks = set(options.keyspaces)
        types = {t.replace("-", "_") for t in options.types}
        object_changes: dict[str, dict[str, Any]] = {}
        index_cells: list[_IndexCell] = []
        column = "timed" if options.writetimes else "content"
        same_ranges = a.manifest.get("ranges_per_table") == b.manifest.get("ranges_per_table")
        ranges = pair.differing_ranges(column) if same_ranges else None
        for table in tables:
            if want_ks and table.keyspace not in want_ks:
                continue
            if ranges is not None:
                table_ranges = ranges.get((table.keyspace, table.table))
                if not table_ranges:
                    continue  # every range hash is equal: no row can differ
                keys = pair.differing_keys(table.keyspace, table.table, column, table_ranges)
            else:
                keys = pair.differing_keys(table.keyspace, table.table, column)
            if not keys:
                continue
            if table.keyspace == CONFIG_KEYSPACE and table.table == UUID_TABLE:
                for key in keys:
                    change = _object_change(pair, key, options)
                    if change and (not types or change.get("type") in types):
                        object_changes[change["uuid"]] = change
            elif table.keyspace == CONFIG_KEYSPACE and table.table in (FQ_NAME_TABLE, SHARED_TABLE):
                index_cells += _index_cell_changes(pair, table.table, keys, options, types)
            elif not types:
                for key in keys:
                    change = _row_change(pair, table.keyspace, table.table, key, options)
                    if change:
                        result.changes.append(change)
        # only now: whether an index cell belongs to an added, removed, changed or no object is
        # known once every object row was compared, whatever order the tables came in
        stale = _fold_index_changes(pair, index_cells, object_changes, options, types)
        result.changes[:0] = sorted(object_changes.values(), key=lambda c: (c.get("type") or "", c["uuid"])) + stale
        if options.zookeeper and not types and (not want_ks or "zookeeper" in want_ks) \
                and not _same_znodes(a.manifest, b.manifest):
            result.changes.extend(_znode_changes(pair))
    return result


def _object_change(pair: SnapshotPair, key: bytes, options: DiffOptions) -> dict[str, Any] | None:
    old = pair.row_cells("a", CONFIG_KEYSPACE, UUID_TABLE, key)
    new = pair.row_cells("b", CONFIG_KEYSPACE, UUID_TABLE, key)
    uuid = blob_to_text(key)
    if old is None and new is None:
        return None
    present = new if new is not None else old
    assert present is not None  # one side has the row: its key came from the row hashes
    base = decode_row(uuid, present)
    change: dict[str, Any] = {"kind": "object", "uuid": uuid, "type": base.type, "fq_name": base.fq_name}
    if old is None or new is None:
        change["change"] = "added" if old is None else "removed"
        details = _link_details(object_document(uuid, present, options), added=old is None)
        change["fields"] = [d["field"] for d in details]
        change["details"] = details
        return change
    fields = changed_fields(object_document(uuid, old, options), object_document(uuid, new, options))
    if not fields:
        return None
    change["change"] = "changed"
    change["fields"] = [f["field"] for f in fields]
    change["details"] = fields
    return change


_LINK_SECTIONS = ("refs", "backrefs", "children", "relaxbackrefs")


def _link_details(doc: dict[str, Any], added: bool) -> list[dict[str, Any]]:
    """The link cells of an object that one side lacks (parent, refs, backrefs, children), named
    as a changed object's fields are: they explain the entries of its peers."""
    out = []
    if doc.get("parent"):
        out.append({"field": "parent", "value": doc["parent"]})
    for section in _LINK_SECTIONS:
        out += [{"field": f"{section}.{name}", "value": value} for name, value in (doc.get(section) or {}).items()]
    for entry in out:
        value = entry.pop("value")
        entry.update(old=None, new=value) if added else entry.update(old=value, new=None)
    return out


@dataclass(frozen=True)
class _IndexCell:
    """A differing cell of obj_fq_name_table or obj_shared_table, and the object it names."""
    uuid: str
    row: str  # the row key: an object type
    field: str  # fq_name_index.<column> or shared.<column>
    old: Any
    new: Any


def _index_cell_changes(pair: SnapshotPair, table: str, keys: list[bytes], options: DiffOptions,
                        types: set[str]) -> list[_IndexCell]:
    label = "fq_name_index" if table == FQ_NAME_TABLE else "shared"
    out = []
    for key in keys:
        obj_type = blob_to_text(key)
        if types and obj_type not in types:
            continue
        for column, o, n in pair.differing_cells(CONFIG_KEYSPACE, table, key, options.writetimes):
            split = split_fq_name_column(column) if table == FQ_NAME_TABLE else split_shared_column(column)
            out.append(_IndexCell(split[-1] if split else column, obj_type, f"{label}.{column}", o, n))
    return out


def _fold_index_changes(pair: SnapshotPair, cells: list[_IndexCell], object_changes: dict[str, dict[str, Any]],
                        options: DiffOptions, types: set[str]) -> list[dict[str, Any]]:
    """Each fq-name index / shared cell that differs becomes a field of the one entry of the
    object it names: added, removed or changed, or a new "changed" entry when the object row
    itself is equal. Cells naming an object that exists on neither side are returned as stale
    index entries, one per uuid."""
    stale: dict[str, dict[str, Any]] = {}
    for cell in cells:
        detail = {"field": cell.field, "old": cell.old, "new": cell.new}
        change = object_changes.get(cell.uuid) or stale.get(cell.uuid)
        if change is None:
            cells_now = _existing_object_cells(pair, cell.uuid)
            if cells_now is None:
                change = stale[cell.uuid] = {"change": None, "kind": "stale_index_entry", "uuid": cell.uuid,
                                             "type": cell.row, "note": STALE_NOTE, "fields": [], "details": []}
            else:
                obj = decode_row(cell.uuid, cells_now)
                if types and obj.type not in types:
                    continue  # the object is filtered out, so are its index cells
                change = object_changes[cell.uuid] = {"kind": "object", "uuid": cell.uuid, "type": obj.type,
                                                      "fq_name": obj.fq_name, "change": "changed",
                                                      "fields": [], "details": []}
        change.setdefault("details", []).append(detail)
    for change in [*object_changes.values(), *stale.values()]:
        if change.get("details"):
            change["details"].sort(key=lambda d: d["field"])
            change["fields"] = [d["field"] for d in change["details"]]
    for change in stale.values():
        sides = {("old" if d["old"] is not None else "") + ("new" if d["new"] is not None else "")
                 for d in change["details"]}
        change["change"] = "added" if sides == {"new"} else "removed" if sides == {"old"} else "changed"
    return sorted(stale.values(), key=lambda c: (c["type"], c["uuid"]))


def _existing_object_cells(pair: SnapshotPair, uuid: str) -> list[Cell] | None:
    """The object row of either side (B's first), None when neither side has it."""
    key = text_to_blob(uuid)
    for side in ("b", "a"):
        cells = pair.row_cells(side, CONFIG_KEYSPACE, UUID_TABLE, key)
        if cells is not None:
            return cells
    return None


def _row_change(pair: SnapshotPair, ks: str, tbl: str, key: bytes, options: DiffOptions) -> dict[str, Any] | None:
    base = {"kind": "row", "keyspace": ks, "table": tbl, "key": blob_to_text(key)}
    in_a = pair.row_exists("a", ks, tbl, key)
    in_b = pair.row_exists("b", ks, tbl, key)
    if not in_a and not in_b:
        return None
    if not in_a:
        return {"change": "added", **base}
    if not in_b:
        return {"change": "removed", **base}
    details = [{"field": c, "old": o, "new": n} for c, o, n in pair.differing_cells(ks, tbl, key, options.writetimes)
               if not any(fnmatch.fnmatch(c, pattern) for pattern in options.ignore)]
    if not details:
        return None
    return {"change": "changed", **base, "fields": [d["field"] for d in details], "details": details}


def _same_znodes(ma: dict[str, Any], mb: dict[str, Any]) -> bool:
    """Both manifests hash every node's path and data (sum of per-node hashes): equal sums and
    counts mean no node can differ, so the join over all nodes is skipped."""
    ha, hb = ma.get("all_znodes_hash"), mb.get("all_znodes_hash")
    ca, cb = (ma.get("counts") or {}).get("znodes"), (mb.get("counts") or {}).get("znodes")
    return ha is not None and ha == hb and ca is not None and ca == cb


def _znode_changes(pair: SnapshotPair) -> list[dict[str, Any]]:
    """Leaves on either side (dumps only have leaves), and data of nodes both sides have."""
    out: list[dict[str, Any]] = []
    rows = pair.znode_differences()
    for path, da, db, la, lb in rows:
        if la is not None and db is None and lb is None:
            if la:
                out.append({"change": "removed", "kind": "znode", "path": path})
            continue
        if la is None:
            if lb:
                out.append({"change": "added", "kind": "znode", "path": path})
            continue
        if (da or b"") != (db or b""):
            out.append({"change": "changed", "kind": "znode", "path": path, "fields": ["data"],
                        "details": [{"field": "data", "old": (da or b"").decode("utf-8", "replace"),
                                     "new": (db or b"").decode("utf-8", "replace")}]})
    return sorted(out, key=lambda c: c["path"])
