"""What an upgrade to another release would do to THIS data, object by object.

A thin layer over tfdata.schema.upgrade_impact: the objects are streamed from the source, the
source release is guessed when not given, and the results become audit Findings (check id
``upgrade.<kind>``) so that both commands print and count them alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..errors import InputError
from ..model.cells import TableRef, rows
from ..model.keyspaces import CONFIG_KEYSPACE, UUID_TABLE
from ..model.objects import TfObject, decode_row, parse_ref_value
from ..schema import load_release, upgrade_impact
from .findings import ERROR, INFO, WARNING, Finding
from .release import FeatureCounts, ReleaseChoice
from .schema import SERVER_ASSIGNED

UUID_TABLE_REF = TableRef(CONFIG_KEYSPACE, UUID_TABLE)


@dataclass
class UpgradeResult:
    source: ReleaseChoice
    target: str
    objects: int
    objects_affected: int
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return {severity: counts.get(severity, 0) for severity in (ERROR, WARNING, INFO)}

    def as_dict(self) -> dict:
        return {"from": self.source.as_dict(), "to": self.target, "objects": self.objects,
                "objects_affected": self.objects_affected,
                "findings": [f.as_dict() for f in self.findings], "summary": self.summary()}


UPGRADE_REPAIRS = {
    "type_removed": "delete these objects before the upgrade (the target release has no such type)",
    "reparent_needed": "recreate the object under a parent the target release allows",
    "property_dropped": "nothing is lost for the API (the cell is skipped); delete it to keep the store clean",
    "reference_dropped": "the link disappears for the API; delete the ref/backref cells",
    "field_dropped": "the nested field is rejected by the target's validation; remove it before updating",
    "value_invalid": "change the value to one the target release accepts",
    "storage_changed": "convert the cells to the target's storage form during migration",
    "no_longer_updatable": "set the final value before the upgrade",
    "newly_required": "set the property before the upgrade (not enforced upstream)",
}


def _object_document(obj: TfObject) -> dict:
    """What upgrade_impact reads: props as the API shows them (list/map items as bare lists)."""
    props: dict[str, Any] = dict(obj.props)
    for prop in obj.list_props:
        props[prop] = obj.list_values(prop)
    for prop, items in obj.map_props.items():
        props[prop] = list(items.values())
    refs: dict[str, list] = defaultdict(list)
    for (ref_type, _), value in obj.refs.items():
        refs[ref_type].append(parse_ref_value(value).attr)
    parent_type = obj.parent[0] if obj.parent else (obj.parent_type or None)
    return {"uuid": obj.uuid, "type": obj.type, "fq_name": obj.fq_name, "parent_type": parent_type,
            "props": props, "refs": dict(refs)}


def _live_objects(source, on_progress: Callable[[int], None] | None) -> Iterator[TfObject]:
    cells = (cell for _, cell in source.cells([UUID_TABLE_REF]))
    for key, row in rows(cells):
        if on_progress:
            on_progress(len(row))
        obj = decode_row(key, row)
        if obj.is_live:
            yield obj


def upgrade_check(source, to_release: str, from_release: str | None = None,
                  on_progress: Callable[[int], None] | None = None) -> UpgradeResult:
    """What moving THIS data from ``from_release`` (guessed when None, at the cost of one extra
    pass over the object table) to ``to_release`` means, object by object."""
    load_release(to_release)
    if from_release is None:
        counts = FeatureCounts()
        for obj in _live_objects(source, None):
            counts.add(obj)
        choice = counts.choose(None)
    else:
        choice = FeatureCounts().choose(from_release)
    if choice is None:
        raise InputError("no release whitelists are installed; give --from-release")
    documents = (_object_document(obj) for obj in _live_objects(source, on_progress))
    impact = upgrade_impact(choice.name, to_release, documents)
    findings = [_upgrade_finding(item, choice.name) for item in impact["findings"] if not _server_assigned(item)]
    affected = len({f.uuid for f in findings if f.severity == ERROR})
    return UpgradeResult(choice, impact["to"], impact["objects"], affected, findings)


def _server_assigned(item: dict) -> bool:
    """Range findings on IDs contrail-api assigns itself (see SERVER_ASSIGNED) are not upgrade risks."""
    return item["kind"] == "value_invalid" and (item.get("type"), item["field"].split(".")[0]) in SERVER_ASSIGNED


def _upgrade_finding(item: dict, source_release: str) -> Finding:
    """upgrade_impact's finding as an audit Finding (check id ``upgrade.<kind>``, its own severity)."""
    kind = item["kind"]
    detail = f"{item['field']}: {item['detail']}"
    if item.get("preexisting"):
        detail += f" (already so in {source_release})"
    return Finding(check=f"upgrade.{kind}", severity=item["severity"], detail=" ".join(detail.split()),
                   repair=UPGRADE_REPAIRS.get(kind, "review the object before the upgrade"),
                   uuid=item.get("uuid"), type=item.get("type"),
                   fq_name=tuple(item["fq_name"]) if item.get("fq_name") else None)
