"""Parse obj_uuid_table column names into their kind and parts.

Column-name forms (tf-config-store.md §3.1): ``type``, ``fq_name``, ``parent_type``,
``parent:<type>:<uuid>``, ``children:<type>:<uuid>``, ``prop:<name>``,
``propl:<prop>:<position>``, ``propm:<prop>:<key>``, ``ref:<type>:<uuid>``,
``backref:<type>:<uuid>``, ``relaxbackref:<uuid>``, ``META:<name>``. Anything else is
``unknown`` and is kept, never interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass

SIMPLE = frozenset({"type", "fq_name", "parent_type"})
TYPED_LINKS = frozenset({"parent", "children", "ref", "backref"})


@dataclass(slots=True, frozen=True)
class Column:
    # type | fq_name | parent_type | parent | children | prop | propl | propm | ref | backref | relaxbackref
    # | meta | unknown
    kind: str
    name: str = ""  # prop name, linked object type, or META name
    item: str = ""  # list position, map key, or linked uuid

    @property
    def is_link(self) -> bool:
        return self.kind in TYPED_LINKS


def parse_column(column: str) -> Column:
    if column in SIMPLE:
        return Column(column)
    head, sep, rest = column.partition(":")
    if not sep:
        return Column("unknown", column)
    if head == "prop" and rest:
        return Column("prop", rest)
    if head in ("propl", "propm"):
        name, sep2, item = rest.partition(":")
        if name and sep2:
            return Column(head, name, item)
        return Column("unknown", column)
    if head in TYPED_LINKS:
        obj_type, sep2, uuid = rest.partition(":")
        if obj_type and sep2 and uuid:
            return Column(head, obj_type, uuid)
        return Column("unknown", column)
    if head == "relaxbackref" and rest:
        return Column("relaxbackref", "", rest)
    if head == "META":
        return Column("meta", rest)
    return Column("unknown", column)


def format_column(col: Column) -> str:
    if col.kind in SIMPLE:
        return col.kind
    if col.kind == "prop":
        return f"prop:{col.name}"
    if col.kind in ("propl", "propm") or col.kind in TYPED_LINKS:
        return f"{col.kind}:{col.name}:{col.item}"
    if col.kind == "relaxbackref":
        return f"relaxbackref:{col.item}"
    if col.kind == "meta":
        return f"META:{col.name}"
    return col.name
