"""audit(source): one streaming pass over a source, every family of checks, sorted findings.

The cells are read once, table by table; each obj_uuid_table row is decoded (one row in memory
at a time), reduced to facts in a temporary SQLite file and shown to every family; the other
tables' cells and the znodes are streamed to the families that asked for them. Cross-row
checks run as SQL once the scan is over, after the release has been chosen (given, or guessed
from the types and fields seen).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import Callable, Iterable

from ..filters import check_audit_checks
from ..model.cells import TableRef, rows
from ..model.keyspaces import CONFIG_KEYSPACE, UUID_TABLE
from ..model.objects import decode_row
from ..schema import load_release
from .addresses import AddressChecks
from .base import SKIPPED, AuditContext, Family
from .cluster import ClusterChecks
from .facts import FactStore, define_core, record_object
from .findings import CATALOGUE, SEVERITIES, SEVERITY_RANK, Finding, matches
from .index import IndexChecks
from .links import LinkChecks
from .objects import ObjectChecks
from .route_targets import RouteTargetChecks
from .release import FeatureCounts, ReleaseChoice
from .schema import SchemaChecks
from .zkpaths import locate
from .zookeeper import ZookeeperChecks

__all__ = ["AuditResult", "Finding", "audit", "check_ids"]

UUID_TABLE_REF = TableRef(CONFIG_KEYSPACE, UUID_TABLE)
FAMILIES = (ObjectChecks, LinkChecks, IndexChecks, ZookeeperChecks, RouteTargetChecks, AddressChecks, SchemaChecks,
            ClusterChecks)
PROGRESS_EVERY = 2000  # cells between progress callbacks


def check_ids() -> list[str]:
    """Every check id the audit can report."""
    return sorted(CATALOGUE)


@dataclass
class AuditResult:
    findings: list[Finding]
    release: ReleaseChoice | None
    stats: dict = field(default_factory=dict)

    def summary(self, findings: Iterable[Finding] | None = None) -> dict[str, int]:
        counts = {severity: 0 for severity in SEVERITIES}
        for item in self.findings if findings is None else findings:
            counts[item.severity] += 1
        return counts

    @property
    def errors(self) -> int:
        return self.summary()["error"]

    def shown(self, min_severity: str = "info") -> list[Finding]:
        limit = SEVERITY_RANK[min_severity]
        return [f for f in self.findings if SEVERITY_RANK[f.severity] <= limit]

    def only(self, families: Iterable[str]) -> "AuditResult":
        """The same audit with only the findings of these check families (`schema check` shows
        schema.* findings, whatever else the scan noticed)."""
        wanted = set(families)
        return AuditResult([f for f in self.findings if f.check.split(".", 1)[0] in wanted], self.release, self.stats)

    def as_dict(self, min_severity: str = "info") -> dict:
        """The JSON contract; ``summary`` counts every finding, ``findings`` lists those shown."""
        out = {"findings": [f.as_dict() for f in self.shown(min_severity)], "summary": self.summary()}
        if self.release is not None:
            out["release"] = self.release.as_dict()
        out["stats"] = self.stats
        return out


def _families(release: str | None, checks: Iterable[str] | None) -> list[Family]:
    wanted = {selector.split(".", 1)[0] for selector in checks or ()}
    families: list[Family] = []
    for family_class in FAMILIES:
        if wanted and not wanted.intersection(family_class.prefixes):
            continue
        families.append(family_class(release) if family_class is SchemaChecks else family_class())
    return families


def audit(source, release: str | None = None, on_progress: Callable[[int], None] | None = None,
          checks: Iterable[str] | None = None, tmp_dir: str | None = None) -> AuditResult:
    """Audit a source (cluster, dump or snapshot). ``release`` is guessed when None; ``checks``
    limits the run to these ids or families (``link``, ``zk.vn_id_missing``); ``on_progress``
    receives numbers of cells read."""
    if release:
        load_release(release)  # an unknown name fails before the scan
    checks = list(checks or ())
    check_audit_checks(checks, CATALOGUE)  # a typo would select nothing and report "clean"
    families = _families(release, checks)
    started = time.monotonic()
    found: list[Finding] = []
    with FactStore(tmp_dir) as facts:
        define_core(facts)
        ctx = AuditContext(facts, source.tables, found.append, zk_prefix=source.info.prefix, source=source)
        for family in families:
            family.setup(ctx)
        counts = FeatureCounts()
        stats = _scan_cells(source, families, ctx, counts, on_progress)
        _scan_znodes(source, families, ctx)
        facts.finalize()
        ctx.release = counts.choose(release)
        for family in families:
            family.finish(ctx)
    findings = [f for f in dict.fromkeys(found) if f.check == SKIPPED.id or matches(f.check, checks)]
    findings.sort(key=lambda f: (SEVERITY_RANK[f.severity], f.check, f.uuid or "", f.path or "", f.detail))
    stats.update(znodes=ctx.znodes, seconds=round(time.monotonic() - started, 3))
    return AuditResult(findings, ctx.release, stats)


def _scan_cells(source, families: list[Family], ctx: AuditContext, counts: FeatureCounts,
                on_progress: Callable[[int], None] | None) -> dict:
    stats = {"objects": 0, "rows": 0, "cells": 0}
    unreported = 0

    def tick(cells: int) -> None:
        nonlocal unreported
        stats["cells"] += cells
        stats["rows"] += 1
        unreported += cells
        if on_progress and unreported >= PROGRESS_EVERY:
            on_progress(unreported)
            unreported = 0

    for table, table_cells in groupby(source.cells(), key=itemgetter(0)):
        ctx.seen_tables.add(table)
        cells = (cell for _, cell in table_cells)
        if table == UUID_TABLE_REF:
            for key, row in rows(cells):
                obj = decode_row(key, row)
                record_object(ctx.facts, obj)
                counts.add(obj)
                stats["objects"] += obj.is_live
                for family in families:
                    family.on_object(obj, ctx)
                    family.on_row_end(table, key, len(row), ctx)
                tick(len(row))
            continue
        listeners = [family for family in families if table in family.tables]
        for key, row_cells in groupby(cells, key=attrgetter("key")):
            width = 0
            for cell in row_cells:
                width += 1
                for family in listeners:
                    family.on_cell(table, cell, ctx)
            for family in families:
                family.on_row_end(table, key, width, ctx)
            tick(width)
    if on_progress and unreported:
        on_progress(unreported)
    return stats


def _scan_znodes(source, families: list[Family], ctx: AuditContext) -> None:
    for node in source.znodes():
        ctx.znodes += 1
        place = locate(node.path, ctx.zk_prefix)
        if place is None:
            continue
        for family in families:
            family.on_znode(node, place, ctx)


def check_release(source, release: str | None = None, on_progress: Callable[[int], None] | None = None
                  ) -> AuditResult:
    """Only the schema family of an audit: unknown types, properties and refs, values failing the
    JSON Schema, parents not allowed. The release is guessed when None."""
    return audit(source, release=release, on_progress=on_progress, checks=["schema"])
