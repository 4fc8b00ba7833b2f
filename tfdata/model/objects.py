"""obj_uuid_table rows <-> TF objects.

Decoding never fails: anything odd in a row becomes a Problem on the object, so audit and diff
can report it with row key and column. Encoding produces exactly the cells the API server writes,
so generated data and test mutations look like the real thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from .cells import Cell
from .columns import Column, parse_column
from .problems import Problem

_MISSING = object()


def decode_json(text: str) -> Any:
    """TF values are Python json.dumps output; ints may exceed 2**53 (Python keeps them exact).

    Nesting too deep for Python's recursive decoder is a ValueError like any other bad value.
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deep to decode") from None


def encode_json(value: Any) -> str:
    """The way the API server writes values: json.dumps defaults (ASCII, ', ' and ': ')."""
    return json.dumps(value)


@dataclass(slots=True)
class RefValue:
    """A ref/backref cell value in any of the variants upstream wrote over the years."""

    attr: Any
    is_weakref: bool | None  # None: the variant without the flag
    variant: str  # "create" | "update" | "ref-update" | "legacy"


def parse_ref_value(value: Any) -> RefValue:
    if isinstance(value, dict) and "attr" in value:
        if "is_weakref" in value and set(value) == {"attr", "is_weakref"}:
            return RefValue(value["attr"], value["is_weakref"], "update" if value["is_weakref"] else "create")
        if set(value) == {"attr"}:
            return RefValue(value["attr"], None, "ref-update")
    # Very old releases stored the link attribute itself; upstream readers take the whole value.
    return RefValue(value, None, "legacy")


@dataclass
class TfObject:
    uuid: str
    type: str | None = None
    fq_name: list[str] | None = None
    parent_type: str | None = None
    parent: tuple[str, str] | None = None  # (underscore type, uuid)
    props: dict[str, Any] = field(default_factory=dict)
    list_props: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)  # sorted by position text
    map_props: dict[str, dict[str, Any]] = field(default_factory=dict)
    refs: dict[tuple[str, str], Any] = field(default_factory=dict)
    backrefs: dict[tuple[str, str], Any] = field(default_factory=dict)
    children: dict[tuple[str, str], int | None] = field(default_factory=dict)  # -> writetime
    relaxbackrefs: set[str] = field(default_factory=set)
    meta: dict[str, int | None] = field(default_factory=dict)  # META name -> writetime
    unknown: dict[str, str] = field(default_factory=dict)  # column -> raw text
    writetimes: dict[str, int | None] = field(default_factory=dict)  # column -> writetime
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_live(self) -> bool:
        """Upstream treats a row without type or fq_name as deleted."""
        return self.type is not None and self.fq_name is not None

    @property
    def fq_name_str(self) -> str:
        return ":".join(self.fq_name) if self.fq_name else ""

    def list_values(self, prop: str) -> list[Any]:
        return [value for _, value in self.list_props.get(prop, [])]

    def to_document(self) -> dict[str, Any]:
        """A JSON-able view for diff and snapshots: every column is represented once."""
        doc: dict[str, Any] = {
            "uuid": self.uuid,
            "type": self.type,
            "fq_name": self.fq_name,
            "parent_type": self.parent_type,
            "parent": ":".join(self.parent) if self.parent else None,
            "props": dict(self.props),
        }
        for prop, items in self.list_props.items():
            doc["props"].setdefault(prop + "[]", {pos: value for pos, value in items})
        for prop, entries in self.map_props.items():
            doc["props"].setdefault(prop + "{}", dict(entries))
        doc["refs"] = {f"{t}:{u}": v for (t, u), v in self.refs.items()}
        doc["backrefs"] = {f"{t}:{u}": v for (t, u), v in self.backrefs.items()}
        # keyed by "type:uuid" so a difference names the child itself
        doc["children"] = {f"{t}:{u}": True for (t, u) in sorted(self.children)}
        doc["relaxbackrefs"] = {u: True for u in sorted(self.relaxbackrefs)}
        doc["meta"] = sorted(self.meta)
        if self.unknown:
            doc["unknown"] = dict(self.unknown)
        return doc


def decode_row(key: str, cells: Iterable[Cell], table: str = "config_db_uuid.obj_uuid_table") -> TfObject:
    obj = TfObject(uuid=key)
    list_items: dict[str, list[tuple[str, Any]]] = {}

    def problem(kind: str, column: str | None, detail: str) -> None:
        obj.problems.append(Problem(kind, key, column, detail, table))

    for cell in cells:
        if cell.column is None:
            continue
        column = cell.column
        obj.writetimes[column] = cell.writetime
        col = parse_column(column)
        if col.kind == "unknown":
            obj.unknown[column] = cell.value
            problem("unknown_column", column, f"column name of unknown form {column!r}")
            continue
        if col.kind == "meta":
            obj.meta[col.name] = cell.writetime
            continue
        try:
            value = decode_json(cell.value)
        except (ValueError, TypeError) as exc:
            obj.unknown[column] = cell.value
            problem("bad_json", column, f"value is not valid JSON ({exc.__class__.__name__}: {str(exc)[:80]})")
            continue
        _apply(obj, col, column, value, cell, list_items, problem)

    for prop, items in list_items.items():
        # Upstream sorts list elements by the position *text*: 0, 1, 10, 11, 2, ...
        obj.list_props[prop] = sorted(items, key=lambda item: item[0])
    if obj.type is None:
        problem("missing_type", None, "row has no 'type' column (readers treat it as deleted)")
    if obj.fq_name is None:
        problem("missing_fq_name", None, "row has no 'fq_name' column (readers treat it as deleted)")
    return obj


ProblemSink = Callable[[str, Optional[str], str], None]  # (kind, column, detail)


def _apply(obj: TfObject, col: Column, column: str, value: Any, cell: Cell,
           list_items: dict[str, list[tuple[str, Any]]], problem: ProblemSink) -> None:
    kind = col.kind
    if kind in ("type", "fq_name", "parent_type", "parent"):
        _apply_identity(obj, col, column, value, cell, problem)
    elif kind == "children":
        obj.children[(col.name, col.item)] = cell.writetime
    elif kind == "prop":
        obj.props[col.name] = value
    elif kind == "propl":
        list_items.setdefault(col.name, []).append((col.item, value))
    elif kind == "propm":
        obj.map_props.setdefault(col.name, {})[col.item] = value
    elif kind == "ref":
        obj.refs[(col.name, col.item)] = value
    elif kind == "backref":
        obj.backrefs[(col.name, col.item)] = value
    elif kind == "relaxbackref":
        obj.relaxbackrefs.add(col.item)


def _apply_identity(obj: TfObject, col: Column, column: str, value: Any, cell: Cell, problem: ProblemSink) -> None:
    """type, fq_name, parent_type and the parent: each checked, a bad one reported, not guessed."""
    kind = col.kind
    if kind == "type":
        if isinstance(value, str) and value:
            obj.type = value
        else:
            problem("bad_type", column, f"type is not a non-empty string: {cell.value[:60]!r}")
    elif kind == "fq_name":
        if isinstance(value, list) and value and all(isinstance(x, str) for x in value):
            obj.fq_name = value
        else:
            problem("bad_fq_name", column, f"fq_name is not a list of strings: {cell.value[:60]!r}")
    elif kind == "parent_type":
        obj.parent_type = value if isinstance(value, str) else None
        if not isinstance(value, str):
            problem("bad_parent_type", column, f"parent_type is not a string: {cell.value[:60]!r}")
    elif kind == "parent":
        if obj.parent is not None:
            problem("duplicate_parent", column, f"second parent column (first: {obj.parent[0]}:{obj.parent[1]})")
        else:
            obj.parent = (col.name, col.item)


# ---------------------------------------------------------------------------------- encoding

@dataclass
class ObjectSpec:
    """What a create request leaves on disk for one object (the generator and tests build these)."""

    uuid: str
    type: str
    fq_name: list[str]
    parent_type: str | None = None  # dash form, as the API stores it
    parent_uuid: str | None = None
    props: dict[str, Any] = field(default_factory=dict)
    list_props: dict[str, list[Any]] = field(default_factory=dict)
    map_props: dict[str, tuple[str, list[dict]]] = field(default_factory=dict)  # prop -> (key field, elements)
    refs: list[tuple[str, str, Any]] = field(default_factory=list)  # (type, uuid, attr)


def object_columns(spec: ObjectSpec) -> list[tuple[str, str]]:
    """The object's own row, as (column, value text), in the order the API server writes them."""
    out: list[tuple[str, str]] = []
    if spec.parent_uuid:
        out.append((f"parent:{(spec.parent_type or '').replace('-', '_')}:{spec.parent_uuid}", "null"))
    for ref_type, ref_uuid, attr in spec.refs:
        out.append((f"ref:{ref_type}:{ref_uuid}", encode_json({"attr": attr, "is_weakref": False})))
    out.append(("fq_name", encode_json(spec.fq_name)))
    out.append(("type", encode_json(spec.type)))
    out.append(("META:latest_col_ts", "null"))
    if spec.parent_type:
        out.append(("parent_type", encode_json(spec.parent_type)))
    for name, value in spec.props.items():
        if value is not None:
            out.append((f"prop:{name}", encode_json(value)))
    for name, items in spec.list_props.items():
        for pos, item in enumerate(items):
            out.append((f"propl:{name}:{pos}", encode_json(item)))
    for name, (key_field, items) in spec.map_props.items():
        for item in items:
            out.append((f"propm:{name}:{item[key_field]}", encode_json(item)))
    return out


def peer_columns(spec: ObjectSpec) -> list[tuple[str, str, str]]:
    """Cells the create writes on other rows: (row key, column, value text)."""
    out: list[tuple[str, str, str]] = []
    if spec.parent_uuid:
        out.append((spec.parent_uuid, f"children:{spec.type}:{spec.uuid}", "null"))
        out.append((spec.parent_uuid, "META:latest_col_ts", "null"))
    for ref_type, ref_uuid, attr in spec.refs:
        value = encode_json({"attr": attr, "is_weakref": False})
        if ref_type == spec.type:
            out.append((ref_uuid, f"ref:{spec.type}:{spec.uuid}", value))
        else:
            out.append((ref_uuid, f"backref:{spec.type}:{spec.uuid}", value))
        out.append((ref_uuid, "META:latest_col_ts", "null"))
    return out


def uuid_to_longs(uuid: str) -> dict[str, int]:
    """id_perms.uuid holds the UUID as two unsigned 64-bit integers."""
    value = int(uuid.replace("-", ""), 16)
    return {"uuid_mslong": value >> 64, "uuid_lslong": value & ((1 << 64) - 1)}


def longs_to_uuid(longs: dict[str, int]) -> str:
    value = (int(longs["uuid_mslong"]) << 64) | int(longs["uuid_lslong"])
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
