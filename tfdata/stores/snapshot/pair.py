"""Two snapshot files compared in SQL: both attached to one read-only connection, so equal
rows and ranges are skipped by joins and EXCEPT merges without ever reaching Python."""

from __future__ import annotations

import sqlite3
from typing import Any, Iterator

from ...model.cells import Cell, blob_to_text
from ...model.keyspaces import CONFIG_KEYSPACE, FQ_NAME_TABLE, SHARED_TABLE
from .store import SnapshotSource, connect_readonly, snapshot_uri

_SCHEMA = {"a": "main", "b": "b"}


class SnapshotPair:
    """Snapshots A and B side by side; ``side`` arguments are "a" or "b"."""

    def __init__(self, a: SnapshotSource, b: SnapshotSource) -> None:
        self.conn = connect_readonly(a.path)
        try:
            self.conn.execute("ATTACH DATABASE ? AS b", (snapshot_uri(b.path),))
        except sqlite3.DatabaseError:
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "SnapshotPair":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def present_types(self) -> set[str]:
        """Object types either side holds: its objects' types and the rows of its index tables."""
        out: set[str] = set()
        for schema in _SCHEMA.values():
            out.update(t for (t,) in self.conn.execute(f"SELECT DISTINCT type FROM {schema}.objects") if t)
            for table in (FQ_NAME_TABLE, SHARED_TABLE):
                out.update(blob_to_text(k) for (k,) in self.conn.execute(
                    f"SELECT DISTINCT key FROM {schema}.cells WHERE keyspace = ? AND tbl = ?",
                    (CONFIG_KEYSPACE, table)))
        return out

    def differing_ranges(self, column: str) -> dict[tuple[str, str], list[int]]:
        """(keyspace, table) -> token ranges whose hash differs or that one side lacks. A few
        thousand small rows: tables and ranges that are equal are never looked at again."""
        out: dict[tuple[str, str], list[int]] = {}
        for ks, tbl, rng in self.conn.execute(
                f"""SELECT x.keyspace, x.tbl, x.range FROM main.range_hashes x LEFT JOIN b.range_hashes y
                      ON y.keyspace = x.keyspace AND y.tbl = x.tbl AND y.range = x.range
                    WHERE y.range IS NULL OR y.{column} != x.{column}
                    UNION
                    SELECT y.keyspace, y.tbl, y.range FROM b.range_hashes y LEFT JOIN main.range_hashes x
                      ON x.keyspace = y.keyspace AND x.tbl = y.tbl AND x.range = y.range
                    WHERE x.range IS NULL"""):
            out.setdefault((ks, tbl), []).append(rng)
        return out

    def differing_keys(self, ks: str, tbl: str, column: str, ranges: list[int] | None = None) -> list[bytes]:
        """Row keys whose hash differs or that exist on one side only — pure SQL, no decoding.
        Each EXCEPT is a merge of two scans in key order (no lookup per row): (key, hash) of A not in
        B gives changed and removed rows, keys of B not in A the added ones (keys alone: cheaper).
        With ``ranges``, rows of other (equal) ranges are dropped before the merge."""
        only = f" AND range IN ({', '.join(str(int(r)) for r in ranges)})" if ranges is not None else ""
        where = f"WHERE keyspace = ?1 AND tbl = ?2{only}"
        keys = {key for key, _ in self.conn.execute(
            f"""SELECT key, {column} FROM main.row_hashes {where} EXCEPT
                SELECT key, {column} FROM b.row_hashes {where} ORDER BY 1, 2""", (ks, tbl))}
        keys.update(key for (key,) in self.conn.execute(
            f"SELECT key FROM b.row_hashes {where} EXCEPT SELECT key FROM main.row_hashes {where} ORDER BY 1",
            (ks, tbl)))
        return sorted(keys)

    def row_cells(self, side: str, ks: str, tbl: str, key: bytes) -> list[Cell] | None:
        """One row of one side, None when that side lacks it ([] for a row without cells)."""
        schema = _SCHEMA[side]
        cur = self.conn.execute(f"SELECT column, value, writetime, literal FROM {schema}.cells "
                           "WHERE keyspace = ? AND tbl = ? AND key = ? ORDER BY column", (ks, tbl, key))
        cells = [Cell(blob_to_text(key), blob_to_text(c), v, w, bool(lit)) for c, v, w, lit in cur]
        if cells:
            return cells
        empty = self.conn.execute(f"SELECT 1 FROM {schema}.empty_rows WHERE keyspace = ? AND tbl = ? AND key = ?",
                             (ks, tbl, key)).fetchone()
        return [] if empty else None

    def differing_cells(self, ks: str, tbl: str, key: bytes, writetimes: bool) -> Iterator[tuple[str, Any, Any]]:
        """(column, old, new) of one row's cells that differ, joined in SQL: the widest rows (one
        fq-name row per type) are never held in memory. old/new: value, or (value, writetime)."""
        extra = " OR y.writetime IS NOT x.writetime" if writetimes else ""
        rows = self.conn.execute(
            f"""SELECT x.column, x.value, x.writetime, y.value, y.writetime FROM main.cells x LEFT JOIN b.cells y
                  ON y.keyspace = x.keyspace AND y.tbl = x.tbl AND y.key = x.key AND y.column = x.column
                WHERE x.keyspace = ? AND x.tbl = ? AND x.key = ? AND (y.value IS NULL OR y.value != x.value{extra})
                UNION ALL
                SELECT y.column, NULL, NULL, y.value, y.writetime FROM b.cells y LEFT JOIN main.cells x
                  ON x.keyspace = y.keyspace AND x.tbl = y.tbl AND x.key = y.key AND x.column = y.column
                WHERE y.keyspace = ? AND y.tbl = ? AND y.key = ? AND x.column IS NULL
                ORDER BY 1""", (ks, tbl, key, ks, tbl, key))
        for column, ov, ot, nv, nt in rows:
            old = None if ov is None else ((ov, ot) if writetimes else ov)
            new = None if nv is None else ((nv, nt) if writetimes else nv)
            yield blob_to_text(column), old, new

    def row_exists(self, side: str, ks: str, tbl: str, key: bytes) -> bool:
        schema = _SCHEMA[side]
        for table in ("cells", "empty_rows"):
            if self.conn.execute(f"SELECT 1 FROM {schema}.{table} WHERE keyspace = ? AND tbl = ? AND key = ? LIMIT 1",
                            (ks, tbl, key)).fetchone():
                return True
        return False

    def znode_differences(self) -> Iterator[tuple[str, bytes | None, bytes | None, int | None, int | None]]:
        """(path, data A, data B, leaf A, leaf B) of leaves on one side only and of nodes whose
        data differ; the filter runs in SQL so equal nodes never reach Python."""
        return self.conn.execute(
            """SELECT x.path, x.data, y.data, x.leaf, y.leaf FROM main.znodes x LEFT JOIN b.znodes y ON y.path = x.path
               WHERE (y.path IS NULL AND x.leaf) OR (y.path IS NOT NULL AND ifnull(x.data, x'') != ifnull(y.data, x''))
               UNION ALL
               SELECT y.path, NULL, y.data, NULL, y.leaf FROM b.znodes y LEFT JOIN main.znodes x ON x.path = y.path
               WHERE x.path IS NULL AND y.leaf""")
