"""Compare two release whitelists: what an upgrade (or rollback) between them changes.

Types, properties, references and parent links are compared as sets; for properties and
reference attributes present in both, the value type is flattened into paths
(``.subnets[].dhcp_relay_server[]``) and compared path by path, so a field added six levels
down or one new enumeration value shows up as its own change.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

from .store import ReleaseSchema, load_release

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
PROPERTY_ASPECTS = ("kind", "xsd_type", "presence", "ops", "wrapper_field", "map_key")
REFERENCE_ASPECTS = ("attr_type", "presence", "ops", "derived")
LEAF_ASPECTS = ("type", "min", "max", "default", "required")
COMMON = "*"  # "type" of the properties every object type has


def flatten_type(schema: ReleaseSchema, type_name: str, prefix: str = "",
                 stack: tuple[str, ...] = ()) -> dict[str, dict]:
    """Paths inside a value of ``type_name`` -> leaf descriptor (type, enum, range, ...).

    The root is path "" ; recursion stops at a type already being expanded on this path.
    """
    entry = schema.types.get(type_name)
    paths: dict[str, dict] = {}
    if prefix == "":
        paths[""] = _descriptor(schema, {"type": type_name})
    if entry is None or entry["kind"] != "complex" or type_name in stack:
        return paths
    for field_name, field in entry["fields"].items():
        path = f"{prefix}.{field_name}" + ("[]" if field.get("array") else "")
        paths[path] = _descriptor(schema, field)
        if not field.get("enum"):
            paths.update(flatten_type(schema, field["type"], path, stack + (type_name,)))
    return paths


def _descriptor(schema: ReleaseSchema, field: dict) -> dict:
    """What matters about one leaf: its type and the facets of that type."""
    descriptor: dict[str, Any] = {"type": field["type"]}
    simple = schema.types.get(field["type"])
    if simple is not None and simple["kind"] == "simple":
        for facet in ("enum", "min", "max", "default"):
            if facet in simple:
                descriptor[facet] = simple[facet]
    if field.get("enum"):
        descriptor["enum"] = field["enum"]
    for facet in ("default", "required"):
        if field.get(facet) is not None:
            descriptor[facet] = field[facet]
    return descriptor


def _compare_paths(old: dict[str, dict], new: dict[str, dict], where: dict) -> Iterator[dict]:
    """Field/enum/facet changes between two flattened types; descendants of an added or
    removed field are not repeated."""
    def under_reported(path: str, reported: list[str]) -> bool:
        return any(path.startswith(p + ".") or path.startswith(p + "[]") for p in reported)

    added_roots: list[str] = []
    removed_roots: list[str] = []
    for path in sorted(set(new) - set(old)):
        if not under_reported(path, added_roots):
            added_roots.append(path)
            yield {"category": "field", "change": ADDED, **where, "path": path, "new": new[path]["type"]}
    for path in sorted(set(old) - set(new)):
        if not under_reported(path, removed_roots):
            removed_roots.append(path)
            yield {"category": "field", "change": REMOVED, **where, "path": path, "old": old[path]["type"]}
    for path in sorted(set(old) & set(new)):
        before, after = old[path], new[path]
        old_enum, new_enum = before.get("enum") or [], after.get("enum") or []
        if new_values := [v for v in new_enum if v not in old_enum]:
            yield {"category": "enum", "change": ADDED, **where, "path": path, "values": new_values}
        if gone_values := [v for v in old_enum if v not in new_enum]:
            yield {"category": "enum", "change": REMOVED, **where, "path": path, "values": gone_values}
        for aspect in LEAF_ASPECTS:
            if before.get(aspect) != after.get(aspect):
                yield {"category": "field", "change": CHANGED, **where, "path": path, "aspect": aspect,
                       "old": before.get(aspect), "new": after.get(aspect)}


def _compare_attributes(old: dict, new: dict, aspects: tuple[str, ...], base: dict) -> Iterator[dict]:
    for aspect in aspects:
        if old.get(aspect) != new.get(aspect):
            yield {**base, "change": CHANGED, "aspect": aspect, "old": old.get(aspect), "new": new.get(aspect)}


def _property_changes(a: ReleaseSchema, b: ReleaseSchema, type_name: str, old_props: dict,
                      new_props: dict, new_type: bool) -> Iterator[dict]:
    for prop in sorted(set(new_props) - set(old_props)):
        yield {"category": "property", "change": ADDED, "type": type_name, "property": prop,
               "on_new_type": new_type, "new": new_props[prop]["xsd_type"]}
    for prop in sorted(set(old_props) - set(new_props)):
        yield {"category": "property", "change": REMOVED, "type": type_name, "property": prop,
               "old": old_props[prop]["xsd_type"]}
    for prop in sorted(set(old_props) & set(new_props)):
        where = {"type": type_name, "property": prop}
        yield from _compare_attributes(old_props[prop], new_props[prop], PROPERTY_ASPECTS,
                                       {"category": "property", **where})
        yield from _compare_paths(_property_paths(a, old_props[prop]), _property_paths(b, new_props[prop]), where)


def _property_paths(schema: ReleaseSchema, prop: dict) -> dict[str, dict]:
    paths = flatten_type(schema, prop["xsd_type"])
    root = dict(paths[""])
    for facet in ("enum", "min", "max"):
        if facet in prop:
            root[facet] = prop[facet]
    if "default" in prop:
        root["default"] = prop["default"]
    paths[""] = root
    return paths


def _reference_changes(a: ReleaseSchema, b: ReleaseSchema, type_name: str, old_refs: dict,
                       new_refs: dict, new_type: bool) -> Iterator[dict]:
    for target in sorted(set(new_refs) - set(old_refs)):
        yield {"category": "reference", "change": ADDED, "type": type_name, "target": target,
               "on_new_type": new_type, "new": new_refs[target]["attr_type"]}
    for target in sorted(set(old_refs) - set(new_refs)):
        yield {"category": "reference", "change": REMOVED, "type": type_name, "target": target,
               "old": old_refs[target]["attr_type"]}
    for target in sorted(set(old_refs) & set(new_refs)):
        where = {"type": type_name, "reference": target}
        before, after = old_refs[target], new_refs[target]
        yield from _compare_attributes(before, after, REFERENCE_ASPECTS,
                                       {"category": "reference", "type": type_name, "target": target})
        if before["attr_type"] and after["attr_type"]:
            yield from _compare_paths(flatten_type(a, before["attr_type"]),
                                      flatten_type(b, after["attr_type"]), where)


def _parent_changes(type_name: str, old_parents: dict, new_parents: dict, existed: bool) -> Iterator[dict]:
    for parent in sorted(set(new_parents) - set(old_parents)):
        yield {"category": "parent", "change": ADDED, "type": type_name, "parent": parent,
               "on_new_type": not existed}
    for parent in sorted(set(old_parents) - set(new_parents)):
        yield {"category": "parent", "change": REMOVED, "type": type_name, "parent": parent}
    if existed and set(old_parents) != set(new_parents):
        yield {"category": "parent_set", "change": CHANGED, "type": type_name,
               "old": sorted(old_parents), "new": sorted(new_parents)}
    for parent in sorted(set(old_parents) & set(new_parents)):
        yield from _compare_attributes(old_parents[parent], new_parents[parent], ("presence", "ops", "derived"),
                                       {"category": "parent", "type": type_name, "parent": parent})


def diff_releases(release_a: "str | ReleaseSchema", release_b: "str | ReleaseSchema") -> dict:
    """Structured differences from ``release_a`` to ``release_b``.

    Returns ``{"from", "to", "identical", "summary", "changes"}``; each change is a dict with
    ``category`` (object_type, property, reference, parent, parent_set, field, enum),
    ``change`` (added, removed, changed) and where it applies (type, property/target/parent,
    path for nested fields; path "" is the property value itself), plus old/new/values.
    """
    a, b = load_release(release_a), load_release(release_b)
    changes: list[dict] = []
    old_types, new_types = a.object_types, b.object_types
    for type_name in sorted(set(new_types) - set(old_types)):
        changes.append({"category": "object_type", "change": ADDED, "type": type_name})
    for type_name in sorted(set(old_types) - set(new_types)):
        changes.append({"category": "object_type", "change": REMOVED, "type": type_name})
    changes.extend(_property_changes(a, b, COMMON, a.common_properties, b.common_properties, False))
    changes.extend(_reference_changes(a, b, COMMON, a.universal_references, b.universal_references, False))
    for type_name in sorted(set(old_types) | set(new_types)):
        old = old_types.get(type_name, {})
        new = new_types.get(type_name, {})
        new_type = type_name not in old_types
        changes.extend(_property_changes(a, b, type_name, old.get("properties", {}),
                                         new.get("properties", {}), new_type))
        changes.extend(_reference_changes(a, b, type_name, old.get("references", {}),
                                          new.get("references", {}), new_type))
        changes.extend(_parent_changes(type_name, old.get("parents", {}), new.get("parents", {}),
                                       existed=type_name in old_types and type_name in new_types))
    summary = Counter(f"{c['category']} {c['change']}" for c in changes)
    return {
        "from": a.name,
        "to": b.name,
        "identical": not changes,
        "summary": dict(sorted(summary.items())),
        "changes": changes,
    }


def _where(change: dict) -> str:
    where = change["type"]
    if "property" in change:
        where += f".{change['property']}"
    elif "reference" in change:
        where += f"->{change['reference']} attr"
    if change.get("path"):
        where += f" {change['path']}"
    return where


def _parents(names: list[str]) -> str:
    return ", ".join(names) if names else "(top level)"


def describe_change(change: dict) -> str:
    """One line for people, e.g. '~ multicast_policy parents: (top level) -> project'."""
    category, kind = change["category"], change["change"]
    sign = {ADDED: "+", REMOVED: "-", CHANGED: "~"}[kind]
    if category == "object_type":
        return f"{sign} object type {change['type']}"
    if category == "property" and kind != CHANGED:
        type_info = change.get("new") if kind == ADDED else change.get("old")
        return f"{sign} property {change['type']}.{change['property']} ({type_info})"
    if category == "reference" and kind != CHANGED:
        attr = change.get("new") if kind == ADDED else change.get("old")
        return f"{sign} reference {change['type']}->{change['target']}" + (f" (attr {attr})" if attr else "")
    if category == "parent" and kind != CHANGED:
        return f"{sign} parent link {change['type']} under {change['parent']}"
    if category == "parent_set":
        return f"~ parents of {change['type']}: {_parents(change['old'])} -> {_parents(change['new'])}"
    if category == "enum":
        return f"{sign} enum values of {_where(change)}: {', '.join(map(str, change['values']))}"
    if category == "field" and kind != CHANGED:
        type_info = change.get("new") if kind == ADDED else change.get("old")
        return f"{sign} field {_where(change)} ({type_info})"
    subject = {"property": f"property {change['type']}.{change.get('property')}",
               "reference": f"reference {change['type']}->{change.get('target')}",
               "parent": f"parent link {change['type']} under {change.get('parent')}",
               "field": f"field {_where(change)}"}.get(category, category)
    return f"~ {subject} {change.get('aspect')}: {change.get('old')} -> {change.get('new')}"
