"""Export any source to a db_json_exim dump (the format operators already keep)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import TargetNotEmpty

from ..stores.dump import write_dump


@dataclass
class ExportResult:
    path: str
    tables: int
    cells: int
    znodes: int


def leaves_only(nodes, source_kind: str):
    """db_json_exim records only leaf znodes; a dump source already holds only those."""
    for node in nodes:
        if source_kind == "dump" or node.stat is None or node.stat[9] == 0:
            yield node


def export(source, output: str | Path, force: bool = False, on_cell: Callable[[], None] | None = None) -> ExportResult:
    output = Path(output)
    if output.exists() and not force:
        raise TargetNotEmpty(f"{output}: file exists (use --force to overwrite)")
    tables = source.tables()

    def counted():
        for item in source.cells(tables):
            if on_cell:
                on_cell()
            yield item

    prefix = getattr(source.info, "prefix", None)
    counts = write_dump(output, counted(), leaves_only(source.znodes(), source.info.kind), tables, prefix=prefix)
    return ExportResult(str(output), len(tables), counts["cells"], counts["znodes"])


