"""The contract between the audit runner and each family of checks.

A family sees the data once, as it streams by (decoded object rows, cells of the other tables,
znodes), writes the few facts it needs into the shared FactStore, and reports cross-row findings
from SQL in ``finish`` once the scan is over.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

from ..model.cells import Cell, TableRef
from ..model.objects import TfObject
from ..model.zk import ZNode
from .facts import FactStore
from .findings import INFO, Check, Finding, check, finding
from .release import ReleaseChoice
from .zkpaths import ZkPlace

SKIPPED = check("audit.skipped", INFO, "a family of checks could not run on this source",
                "provide the missing part (e.g. capture ZooKeeper too) and audit again")


@dataclass
class AuditContext:
    facts: FactStore
    list_tables: Callable[[], list[TableRef]]  # the source's tables() (a dump pays a file pass for it)
    report: Callable[[Finding], None]
    zk_prefix: str | None = None
    source: object = None  # the source itself, for families that talk to live servers
    znodes: int = 0  # znodes seen in the scan; 0 means the source carries no ZooKeeper data
    release: ReleaseChoice | None = None
    seen_tables: set[TableRef] = field(default_factory=set)  # tables that yielded cells in the scan
    _listed_tables: set[TableRef] | None = None
    _identity_cache: dict = field(default_factory=dict)

    @property
    def has_zookeeper(self) -> bool:
        return self.znodes > 0

    def has_table(self, table: TableRef) -> bool:
        """Whether the source holds the table: an absent table means "not captured" (its checks
        are skipped), an empty one means "no entries" (they run). Only asks the source when the
        scan saw no cell of it."""
        if table in self.seen_tables:
            return True
        if self._listed_tables is None:
            self._listed_tables = set(self.list_tables())
        return table in self._listed_tables

    def emit(self, declared: Check, detail: str, *, uuid: str | None = None, path: str | None = None,
             repair: str | None = None, type: str | None = None, fq_name=None) -> None:
        """Report a finding; for an object uuid, type and fq_name are filled in from the facts
        (after the scan) unless given."""
        if uuid is not None and (type is None or fq_name is None) and self.facts.finalized:
            known_type, known_fq = self.identity(uuid)
            type = type or known_type
            fq_name = fq_name if fq_name is not None else known_fq
        self.report(finding(declared, detail, uuid=uuid, type=type, fq_name=fq_name, path=path, repair=repair))

    def skipped(self, what: str, reason: str) -> None:
        self.report(finding(SKIPPED, f"{what} skipped: {reason}"))

    def identity(self, uuid: str) -> tuple[str | None, list[str] | None]:
        """(type, fq_name) of a row, from the facts; (None, None) when there is no such row."""
        cached = self._identity_cache.get(uuid)
        if cached is None:
            row = self.facts.db.execute("SELECT type, fq FROM objects WHERE uuid = ? LIMIT 1", (uuid,)).fetchone()
            cached = (row[0], json.loads(row[1]) if row[1] else None) if row else (None, None)
            if len(self._identity_cache) > 10000:
                self._identity_cache.clear()
            self._identity_cache[uuid] = cached
        return cached


class Family:
    """A family of checks. ``prefixes`` are the check-id families it reports (for ``--check``);
    ``tables`` the non-object tables whose cells it wants to see."""

    prefixes: tuple[str, ...] = ()
    tables: frozenset[TableRef] = frozenset()

    def setup(self, ctx: AuditContext) -> None:
        """Define fact tables."""

    def on_object(self, obj: TfObject, ctx: AuditContext) -> None:
        """One decoded obj_uuid_table row (live or not)."""

    def on_cell(self, table: TableRef, cell: Cell, ctx: AuditContext) -> None:
        """One cell of a table listed in ``tables``."""

    def on_row_end(self, table: TableRef, key: str, cells: int, ctx: AuditContext) -> None:
        """A row of any table is complete (``cells`` = its number of cells)."""

    def on_znode(self, node: ZNode, place: ZkPlace, ctx: AuditContext) -> None:
        """A znode inside one of the trees of zkpaths."""

    def finish(self, ctx: AuditContext) -> None:
        """The scan is over and the facts are indexed: report the cross-row findings."""
