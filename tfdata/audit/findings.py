"""What an audit reports: one Finding per inconsistency, and the catalogue of check ids.

Upstream db_manage.py has no severities and prints free text; every check here has a stable id
(``<family>.<name>``), one severity and a one-line repair hint, so scripts can filter and count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)  # most severe first
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    severity: str
    title: str  # what the check is about, one line
    repair: str  # default repair hint


@dataclass(frozen=True, slots=True)
class Finding:
    """One inconsistency. ``path`` locates it outside an object row: a znode or a table cell."""

    check: str
    severity: str
    detail: str
    repair: str
    uuid: str | None = None
    type: str | None = None
    fq_name: tuple[str, ...] | None = None
    path: str | None = None
    cluster: str | None = None  # the profile, where a check looks at two clusters

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract: keys that do not apply are left out."""
        out: dict[str, Any] = {"check": self.check, "severity": self.severity}
        if self.cluster is not None:
            out["cluster"] = self.cluster
        if self.uuid is not None:
            out["uuid"] = self.uuid
        if self.type is not None:
            out["type"] = self.type
        if self.fq_name is not None:
            out["fq_name"] = list(self.fq_name)
        if self.path is not None:
            out["path"] = self.path
        out["detail"] = self.detail
        out["repair"] = self.repair
        return out


CATALOGUE: dict[str, Check] = {}


def check(id: str, severity: str, title: str, repair: str) -> Check:
    """Declare a check once, at import time of the family that runs it."""
    if id in CATALOGUE:
        raise ValueError(f"check id {id} declared twice")
    declared = Check(id, severity, title, repair)
    CATALOGUE[id] = declared
    return declared


def finding(declared: Check, detail: str, *, uuid: str | None = None, type: str | None = None,
            fq_name: Any = None, path: str | None = None, repair: str | None = None) -> Finding:
    """A Finding of a declared check; ``repair`` overrides the default hint when it can be precise."""
    return Finding(
        check=declared.id,
        severity=declared.severity,
        detail=" ".join(str(detail).split()),  # always one line
        repair=repair or declared.repair,
        uuid=uuid,
        type=type,
        fq_name=tuple(fq_name) if fq_name is not None else None,
        path=path,
    )


def matches(check_id: str, selectors: list[str] | tuple[str, ...] | None) -> bool:
    """``--check`` selection: an exact id, a family (``link``) or a family wildcard (``link.*``)."""
    if not selectors:
        return True
    for selector in selectors:
        selector = selector.removesuffix(".*")
        if check_id == selector or check_id.startswith(selector + "."):
            return True
    return False
