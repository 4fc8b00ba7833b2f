"""Load a dump (or snapshot) into a cluster: all or nothing from the user's point of view.

The source is validated end to end before the first write, a non-empty target is refused
without ``force``, and ``force`` REPLACES the target's TF tables and ZooKeeper trees (never a
merge, which would silently keep rows the dump does not have).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Callable, Iterable, Iterator

from ..errors import TargetNotEmpty
from ..model.cells import Cell, TableRef
from ..stores.base import Source, Target


@dataclass
class LoadPlan:
    tables: dict[str, int] = field(default_factory=dict)  # table -> cells
    rows: dict[str, int] = field(default_factory=dict)
    znodes: int = 0
    replaced: list[str] = field(default_factory=list)  # what --force would wipe in the target
    notes: list[str] = field(default_factory=list)  # things Cassandra cannot represent exactly

    @property
    def cells(self) -> int:
        return sum(self.tables.values())


@dataclass
class LoadReport:
    """A load's plan as run (or, for a dry run, as it would run) into the profile ``target``."""
    target: str
    plan: LoadPlan
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of `tfdata load --format json`."""
        plan = self.plan
        return {"dry_run": self.dry_run, "target": self.target, "cells": plan.cells, "tables": plan.tables,
                "rows": plan.rows, "znodes": plan.znodes, "replaced": plan.replaced, "notes": plan.notes}


def plan_load(source: Source, target: Target) -> LoadPlan:
    """One full pass over the source (proves it is complete) plus the target's emptiness check."""
    plan = LoadPlan()
    literal = empty_rows = 0
    for ref in source.tables():
        plan.tables.setdefault(str(ref), 0)
        plan.rows.setdefault(str(ref), 0)
    last_key: tuple | None = None
    for ref, cell in source.cells():
        name = str(ref)
        if (name, cell.key) != last_key:
            plan.rows[name] = plan.rows.get(name, 0) + 1
            last_key = (name, cell.key)
        if cell.column is None:
            empty_rows += 1
            continue
        plan.tables[name] = plan.tables.get(name, 0) + 1
        literal += cell.literal
    plan.znodes = sum(1 for _ in source.znodes())
    if literal:
        plan.notes.append(f"{literal} cell(s) hold a bare JSON literal: stored as text, remembered in "
                          "keyspace tfdata_meta so export gives them back")
    if empty_rows:
        plan.notes.append(f"{empty_rows} row(s) have no cells: Cassandra cannot store an empty row, "
                          "remembered in keyspace tfdata_meta so export gives them back")
    plan.replaced = target.non_empty()
    return plan


def load(source: Source, target: Target, force: bool = False, dry_run: bool = False,
         on_cell: Callable[[int], None] | None = None, plan: LoadPlan | None = None) -> LoadPlan:
    """Write every cell and znode of ``source`` into ``target`` (a Target: ClusterStore)."""
    plan = plan or plan_load(source, target)
    if plan.replaced and not force:
        raise TargetNotEmpty(f"target profile '{target.info.location}' is not empty "
                             f"({', '.join(plan.replaced[:4])}{' ...' if len(plan.replaced) > 4 else ''}); "
                             "use --force to replace its TF data")
    if dry_run:
        return plan
    target.clear_tables()
    target.prepare_tables(source.tables())
    for ref, group in groupby(source.cells(), key=lambda item: item[0]):
        target.write_cells(ref, _counted(group, on_cell))
    target.replace_znodes(source.znodes())
    return plan


def _counted(group: Iterable[tuple[TableRef, Cell]], on_cell: Callable[[int], None] | None) -> Iterator[Cell]:
    for _, cell in group:
        yield cell
        if on_cell:
            on_cell(1)
