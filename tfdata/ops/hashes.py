"""Range hashes of any source, computed while streaming (snapshots already carry them)."""

from __future__ import annotations

from ..model.cells import TableRef
from ..stores.snapshot.hashing import RangeHash, TableHasher


def range_hashes(source, tables=None) -> dict[TableRef, dict[int, RangeHash]]:
    from ..stores.snapshot.store import SnapshotSource

    out: dict[TableRef, dict[int, RangeHash]] = {}
    tables = list(tables) if tables is not None else source.tables()
    if isinstance(source, SnapshotSource):
        for table in tables:
            out[table] = {}
            for rng, rows, cells, content, timed in source.conn.execute(
                    "SELECT range, rows, cells, content, timed FROM range_hashes WHERE keyspace = ? AND tbl = ?",
                    (table.keyspace, table.table)):
                out[table][rng] = RangeHash(rows, cells, int(content, 16), int(timed, 16))
        return out
    hashers = {t: TableHasher(str(t)) for t in tables}
    for table, cell in source.cells(tables):
        hashers[table].add(cell)
    return {t: h.by_range for t, h in hashers.items()}
