"""Range hashes of any source, computed while streaming (snapshots already carry them)."""

from __future__ import annotations

from ..model.cells import TableRef
from ..stores.snapshot.hashing import RangeHash, TableHasher


def range_hashes(source, tables=None) -> dict[TableRef, dict[int, RangeHash]]:
    from ..stores.snapshot.store import SnapshotSource

    tables = list(tables) if tables is not None else source.tables()
    if isinstance(source, SnapshotSource):
        return source.range_hashes(tables)
    hashers = {t: TableHasher(str(t)) for t in tables}
    for table, cell in source.cells(tables):
        hashers[table].add(cell)
    return {t: h.by_range for t, h in hashers.items()}
