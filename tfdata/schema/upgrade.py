"""What moving given objects from one release to another means, object by object.

Each object is checked against the target release; a problem the source release already had
is marked ``preexisting`` (the data was already wrong, the upgrade does not cause it).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping

from . import check
from .store import ReleaseSchema, load_release

TYPE_REMOVED = "type_removed"
REPARENT_NEEDED = "reparent_needed"
PROPERTY_DROPPED = "property_dropped"
REFERENCE_DROPPED = "reference_dropped"
FIELD_DROPPED = "field_dropped"
VALUE_INVALID = "value_invalid"
STORAGE_CHANGED = "storage_changed"
NO_LONGER_UPDATABLE = "no_longer_updatable"
NEWLY_REQUIRED = "newly_required"

_KIND_BY_PROBLEM = {
    check.UNKNOWN_TYPE: TYPE_REMOVED,
    check.PARENT_NOT_ALLOWED: REPARENT_NEEDED,
    check.UNKNOWN_PROPERTY: PROPERTY_DROPPED,
    check.UNKNOWN_REF: REFERENCE_DROPPED,
    check.NOT_A_LIST_PROPERTY: STORAGE_CHANGED,
}


def _finding_kind(problem: dict) -> str:
    if problem["kind"] == check.INVALID_VALUE:
        return FIELD_DROPPED if problem.get("reason") == check.REASON_UNKNOWN_FIELD else VALUE_INVALID
    if problem["kind"] == check.MISSING_REQUIRED:
        return NEWLY_REQUIRED
    return _KIND_BY_PROBLEM.get(problem["kind"], problem["kind"])


def _refs_of(obj: Mapping[str, Any]) -> dict[str, list]:
    """Accept refs as {target: [attr, ...]} or {target: [{"to":..., "attr":...}, ...]}."""
    refs = obj.get("refs") or {}
    result = {}
    for target, items in refs.items():
        attrs = []
        for item in items or []:
            attrs.append(item.get("attr") if isinstance(item, dict) and ("to" in item or "uuid" in item) else item)
        result[target] = attrs
    return result


def _object_findings(source: ReleaseSchema, target: ReleaseSchema, obj: Mapping[str, Any]) -> list[dict]:
    obj_type = obj.get("type") or ""
    props = obj.get("props") or {}
    refs = _refs_of(obj)
    parent_type = obj.get("parent_type")
    after = check.check_object(target, obj_type, props, refs, parent_type)
    before = check.check_object(source, obj_type, props, refs, parent_type)
    before_keys = {(p["kind"], p["field"]) for p in before}
    identity = {"uuid": obj.get("uuid"), "type": obj_type, "fq_name": obj.get("fq_name")}
    findings = []
    for problem in after:
        preexisting = (problem["kind"], problem["field"]) in before_keys
        if problem["kind"] == check.MISSING_REQUIRED and preexisting:
            continue  # was already "required" and missing: nothing changes
        findings.append({
            **identity,
            "kind": _finding_kind(problem),
            "field": problem["field"],
            "detail": problem["detail"],
            "severity": problem["severity"],
            "preexisting": preexisting,
        })
    findings.extend(_behaviour_changes(source, target, obj_type, props, identity))
    return findings


def _behaviour_changes(source: ReleaseSchema, target: ReleaseSchema, obj_type: str,
                       props: Mapping[str, Any], identity: dict) -> list[dict]:
    """Properties that survive but are stored or updated differently in the target."""
    findings = []
    if not (source.has_type(obj_type) and target.has_type(obj_type)):
        return findings
    for prop, value in props.items():
        if value is None:
            continue
        old, new = source.property(obj_type, prop), target.property(obj_type, prop)
        if old is None or new is None:
            continue
        if old["kind"] != new["kind"]:
            findings.append({**identity, "kind": STORAGE_CHANGED, "field": prop, "severity": check.ERROR,
                             "preexisting": False,
                             "detail": f"{prop} changes from a {old['kind']} to a {new['kind']} property "
                                       f"(different database columns)"})
        if "U" in old["ops"] and "U" not in new["ops"]:
            findings.append({**identity, "kind": NO_LONGER_UPDATABLE, "field": prop, "severity": check.WARNING,
                             "preexisting": False,
                             "detail": f"{prop} operations {old['ops']} -> {new['ops']}: cannot be updated "
                                       f"after creation in {target.name}"})
    return findings


def upgrade_impact(from_release: "str | ReleaseSchema", to_release: "str | ReleaseSchema",
                   objects: Iterable[Mapping[str, Any]]) -> dict:
    """Findings for moving ``objects`` (dicts with uuid, type, fq_name, parent_type, props, refs)
    from ``from_release`` to ``to_release``.

    Finding kinds: type_removed, reparent_needed, property_dropped, reference_dropped,
    field_dropped (nested member unknown to the target), value_invalid (enum/range/type),
    storage_changed, no_longer_updatable, newly_required (warning).
    """
    source, target = load_release(from_release), load_release(to_release)
    findings: list[dict] = []
    count = 0
    affected = set()
    for obj in objects:
        count += 1
        found = _object_findings(source, target, obj)
        if any(f["severity"] == check.ERROR for f in found):
            affected.add(obj.get("uuid") or count)
        findings.extend(found)
    summary = Counter(f["kind"] for f in findings)
    return {
        "from": source.name,
        "to": target.name,
        "objects": count,
        "objects_affected": len(affected),
        "summary": dict(sorted(summary.items())),
        "findings": findings,
    }
