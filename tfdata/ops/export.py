"""Export any source to a db_json_exim dump (the format operators already keep)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..model.zk import ZNode
from ..outfile import check_target
from ..stores.base import Source
from ..stores.dump import write_dump


@dataclass
class ExportResult:
    path: str
    tables: int
    cells: int
    znodes: int

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of `tfdata export --format json`."""
        return {"path": self.path, "tables": self.tables, "cells": self.cells, "znodes": self.znodes}


@dataclass
class ExportPlan:
    """What `export --dry-run` found: the source answered and lists these tables."""
    source: str
    output: str
    tables: list[str]

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of `tfdata export --dry-run --format json`."""
        return {"dry_run": True, "source": self.source, "output": self.output, "tables": self.tables}


def plan_export(source: Source, name: str, output: str | Path) -> ExportPlan:
    """Ask ``source`` (named ``name`` on the command line) for its tables; nothing is written."""
    return ExportPlan(name, str(output), [str(t) for t in source.tables()])


def leaves_only(nodes: Iterable[ZNode], source_kind: str) -> Iterator[ZNode]:
    """db_json_exim records only leaf znodes; a dump source already holds only those."""
    for node in nodes:
        if source_kind == "dump" or node.stat is None or node.stat[9] == 0:
            yield node


def export(source: Source, output: str | Path, force: bool = False,
           on_cell: Callable[[], None] | None = None) -> ExportResult:
    """The target is checked when the dump's temp file is created and again when it is published
    (tfdata.outfile): nothing that appears at ``output`` meanwhile is replaced without ``force``."""
    output = Path(output)
    check_target(output, force)  # before reading a possibly large source
    tables = source.tables()

    def counted():
        for item in source.cells(tables):
            if on_cell:
                on_cell()
            yield item

    prefix = getattr(source.info, "prefix", None)
    counts = write_dump(output, counted(), leaves_only(source.znodes(), source.info.kind), tables, prefix=prefix,
                        force=force)
    return ExportResult(str(output), len(tables), counts["cells"], counts["znodes"])


