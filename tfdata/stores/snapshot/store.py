"""The snapshot file: SQLite (made with sqlite-utils) that people can query and tfdata can replay.

Tables:
  manifest(key, value)           source, time, version, prefix, counts, hashes (JSON values)
  tables(keyspace, tbl, ...)     every table of the source, empty ones included
  cells(keyspace, tbl, key, column, value, writetime, literal, range)  keys/columns as BLOB (exact bytes)
  empty_rows(keyspace, tbl, key) rows a dump held without cells
  znodes(path, data, stat..., leaf)   inner nodes included
  range_hashes(keyspace, tbl, range, rows, cells, content, timed)
  objects(uuid, type, fq_name, parent_type, parent_uuid, props, refs, problems)  decoded config objects
Views: object_counts (per type), virtual_networks_per_project.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import sqlite_utils

from ... import __version__
from ...errors import InputError
from ...model.cells import Cell, TableRef, blob_to_text, text_to_blob
from ...model.keyspaces import CONFIG_KEYSPACE, UUID_TABLE
from ...model.objects import TfObject
from ...model.zk import STAT_FIELDS, ZNode
from ...outfile import OutputFile, check_input, guarded
from ..base import SourceInfo, stream_into, table_order
from .hashing import RANGES, RangeHash, TableHasher, combine_hex, range_of, to_blob, znode_hash
from .integrity import check_seal, seal, seal_problem

FORMAT_VERSION = 2  # 2: sealed (integrity.py); 1 is still read, and verified in full when opened
SEALED_SINCE = 2
_BATCH = 5000

SCHEMA = """
CREATE TABLE manifest (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE tables (keyspace TEXT, tbl TEXT, position INTEGER, PRIMARY KEY (keyspace, tbl));
CREATE TABLE cells (keyspace TEXT NOT NULL, tbl TEXT NOT NULL, key BLOB NOT NULL, column BLOB NOT NULL,
                    value TEXT NOT NULL, writetime INTEGER, literal INTEGER NOT NULL DEFAULT 0, range INTEGER NOT NULL,
                    PRIMARY KEY (keyspace, tbl, key, column)) WITHOUT ROWID;
CREATE TABLE empty_rows (keyspace TEXT, tbl TEXT, key BLOB, range INTEGER, PRIMARY KEY (keyspace, tbl, key));
CREATE TABLE znodes (path TEXT PRIMARY KEY, data BLOB, czxid INTEGER, mzxid INTEGER, ctime INTEGER,
                     mtime INTEGER, version INTEGER, cversion INTEGER, aversion INTEGER,
                     ephemeral_owner INTEGER, data_length INTEGER, num_children INTEGER, pzxid INTEGER,
                     has_stat INTEGER, leaf INTEGER);
CREATE TABLE range_hashes (keyspace TEXT, tbl TEXT, range INTEGER, rows INTEGER, cells INTEGER,
                           content TEXT, timed TEXT, PRIMARY KEY (keyspace, tbl, range));
CREATE TABLE row_hashes (keyspace TEXT, tbl TEXT, key BLOB, range INTEGER, content BLOB, timed BLOB,
                         PRIMARY KEY (keyspace, tbl, key)) WITHOUT ROWID;
CREATE TABLE objects (uuid TEXT PRIMARY KEY, type TEXT, fq_name TEXT, fq_name_str TEXT, parent_type TEXT,
                      parent_uuid TEXT, props TEXT, refs TEXT, problems TEXT, range INTEGER);
CREATE INDEX objects_type ON objects(type);
CREATE INDEX objects_parent ON objects(parent_uuid);
CREATE VIEW object_counts AS SELECT type, count(*) AS objects FROM objects GROUP BY type ORDER BY type;
CREATE VIEW virtual_networks_per_project AS
  SELECT p.fq_name_str AS project, count(v.uuid) AS virtual_networks
  FROM objects p LEFT JOIN objects v ON v.parent_uuid = p.uuid AND v.type = 'virtual_network'
  WHERE p.type = 'project' GROUP BY p.uuid ORDER BY project;
"""


def _object_row(obj: TfObject, rng: int) -> tuple:
    props: dict[str, Any] = dict(obj.props)
    for name, items in obj.list_props.items():
        props[name] = [value for _, value in items]
    for name, entries in obj.map_props.items():
        props[name] = list(entries.values())
    refs = [{"type": t, "uuid": u, "value": v} for (t, u), v in obj.refs.items()]
    return (obj.uuid, obj.type, json.dumps(obj.fq_name, ensure_ascii=False) if obj.fq_name is not None else None,
            obj.fq_name_str or None, obj.parent_type, obj.parent[1] if obj.parent else None,
            json.dumps(props, ensure_ascii=False), json.dumps(refs, ensure_ascii=False),
            json.dumps([p.as_dict() for p in obj.problems], ensure_ascii=False) if obj.problems else None, rng)


class SnapshotWriter:
    """Builds a snapshot in a temporary file (mode 0600) and publishes it at finish() (tfdata.outfile:
    the directory must exist; nothing that appeared at ``path`` meanwhile is replaced without ``force``)."""

    def __init__(self, path: str | os.PathLike, force: bool = False, part: bool = False) -> None:
        """``part``: one parallel reader's share, written at ``path`` itself (see finish_part)."""
        self.path = Path(path)
        if part:
            self._out = None
            self._tmp = self.path
            self._tmp.unlink(missing_ok=True)
            os.close(os.open(self._tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        else:
            self._out = OutputFile(self.path, force)
            self._out.close_fd()  # SQLite opens it by name
            self._tmp = self._out.tmp
        with guarded(self._out, self.abort) if self._out else nullcontext():
            self.conn = sqlite3.connect(self._tmp)
            self.conn.execute("PRAGMA journal_mode = OFF")
            self.conn.execute("PRAGMA synchronous = OFF")
            self.conn.executescript(SCHEMA)
        self.db = sqlite_utils.Database(self.conn)
        self.hashers: dict[TableRef, TableHasher] = {}
        self.table_counts: dict[str, dict[str, int]] = {}
        self.znode_count = 0
        self.znode_hash = 0
        self._cells: list[tuple] = []
        self._row_hashes: list[tuple] = []
        self._objects: list[tuple] = []
        self._row_key: str | None = None  # the key of the object row being collected
        self._row_cells: list[Cell] = []
        self._table: TableRef | None = None  # add_cell's current table, its hasher, and row key
        self._hasher: TableHasher | None = None
        self._objects_table = False
        self._key: str | None = None
        self._key_blob = b""

    # ------------------------------------------------------------------ cells
    def add_table(self, table: TableRef) -> None:
        if table not in self.hashers:
            self.hashers[table] = TableHasher(str(table), on_row=self._row_hash_sink(table))
            self.conn.execute("INSERT OR IGNORE INTO tables VALUES (?, ?, ?)",
                              (table.keyspace, table.table, len(self.hashers)))

    def add_cell(self, table: TableRef, cell: Cell) -> None:
        if table is not self._table:  # cells come table by table: the per-table work once per table
            self.add_table(table)
            self._table, self._hasher = table, self.hashers[table]
            self._objects_table = table.keyspace == CONFIG_KEYSPACE and table.table == UUID_TABLE
            self._key = None
        assert self._hasher is not None  # set with _table: it starts None, so a first cell always sets both
        rng = self._hasher.add(cell)
        if self._objects_table:
            self._collect_object_cell(cell, rng)
        if cell.key != self._key:
            self._key, self._key_blob = cell.key, text_to_blob(cell.key)
        if cell.column is None:
            self.conn.execute("INSERT OR IGNORE INTO empty_rows VALUES (?, ?, ?, ?)",
                              (table.keyspace, table.table, self._key_blob, rng))
            return
        self._cells.append((table.keyspace, table.table, self._key_blob, text_to_blob(cell.column),
                            cell.value, cell.writetime, int(cell.literal), rng))
        if len(self._cells) >= _BATCH:
            self._flush_cells()

    def _row_hash_sink(self, table: TableRef) -> Callable[[str, int, int, int], None]:
        def sink(key: str, rng: int, content: int, timed: int) -> None:
            self._row_hashes.append((table.keyspace, table.table, text_to_blob(key), rng, to_blob(content),
                                     to_blob(timed)))
            if len(self._row_hashes) >= _BATCH:
                self._flush_row_hashes()
        return sink

    def _flush_row_hashes(self) -> None:
        if self._row_hashes:
            try:
                self.conn.executemany("INSERT INTO row_hashes VALUES (?, ?, ?, ?, ?, ?)", self._row_hashes)
            except sqlite3.IntegrityError:
                raise InputError("source holds a row twice (its cells are not contiguous)") from None
            self._row_hashes = []

    def _flush_cells(self) -> None:
        if self._cells:
            try:
                self.conn.executemany("INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self._cells)
            except sqlite3.IntegrityError as exc:
                raise InputError(f"source holds the same cell twice ({exc})") from None
            self._cells = []

    def _collect_object_cell(self, cell: Cell, rng: int) -> None:
        if self._row_key != cell.key:
            self._finish_object()
            self._row_key = cell.key
            self._row_rng = rng
        self._row_cells.append(cell)

    def _finish_object(self) -> None:
        from ...model.objects import decode_row

        if self._row_key is not None and self._row_cells:
            obj = decode_row(self._row_key, self._row_cells)
            self._objects.append(_object_row(obj, self._row_rng))
            if len(self._objects) >= 1000:
                self._flush_objects()
        self._row_cells = []
        self._row_key = None

    def _flush_objects(self) -> None:
        if self._objects:
            self.conn.executemany("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._objects)
            self._objects = []

    def stored_cells(self, table: TableRef, key: str) -> list[Cell]:
        """A row as written so far (consistent snapshots compare it with a fresh read)."""
        self._flush_cells()
        return [Cell(key, blob_to_text(c), v, w, bool(lit)) for c, v, w, lit in self.conn.execute(
            "SELECT column, value, writetime, literal FROM cells WHERE keyspace = ? AND tbl = ? AND key = ?",
            (table.keyspace, table.table, text_to_blob(key)))]

    def replace_object_row(self, table: TableRef, key: str, cells: list[Cell]) -> None:
        """Swap one row for a fresh read (consistent snapshots); hashes are recomputed at finish()."""
        from ...model.objects import decode_row
        from .hashing import range_of

        self._flush_cells()
        self._finish_object()
        self._flush_objects()
        blob = text_to_blob(key)
        self.conn.execute("DELETE FROM cells WHERE keyspace = ? AND tbl = ? AND key = ?",
                          (table.keyspace, table.table, blob))
        rng = range_of(key)
        self.conn.executemany("INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              [(table.keyspace, table.table, blob, text_to_blob(c.column), c.value, c.writetime,
                                int(c.literal), rng) for c in cells if c.column is not None])
        if table.keyspace == CONFIG_KEYSPACE and table.table == UUID_TABLE:
            self.conn.execute("DELETE FROM objects WHERE uuid = ?", (key,))
            if cells:
                self.conn.execute("INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  _object_row(decode_row(key, cells), rng))
        self._rehash_needed = True

    # ------------------------------------------------------------------ znodes
    def add_znode(self, node: ZNode) -> None:
        stat = list(node.stat) if node.stat else [None] * len(STAT_FIELDS)
        leaf = 1 if node.stat is None else int(node.stat[9] == 0)  # dumps hold leaves only
        self.conn.execute("INSERT OR REPLACE INTO znodes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          (node.path, node.data, *stat, int(node.stat is not None), leaf))
        self.znode_count += 1

    # ------------------------------------------------------------------ parallel readers
    def finish_part(self) -> dict[tuple[str, str], dict[int, tuple[int, int, int, int]]]:
        """Close a part file; returns its sums (rows, cells, content, timed) per table and range."""
        self._flush_all()
        self.conn.commit()
        self.conn.close()
        return {(t.keyspace, t.table): {rng: (h.rows, h.cells, h.content, h.timed)
                                        for rng, h in hasher.by_range.items()}
                for t, hasher in self.hashers.items()}

    def merge_part(self, part: str | os.PathLike,
                   sums: dict[tuple[str, str], dict[int, tuple[int, int, int, int]]]) -> None:
        """Take a part file's rows (SQLite copies them) and add its sums: range hashes are sums,
        so the order in which the parts read their ranges does not matter."""
        self._flush_cells()
        self._flush_objects()
        self._flush_row_hashes()
        self.conn.commit()
        self.conn.execute("ATTACH DATABASE ? AS part", (str(part),))
        try:
            for name in ("cells", "row_hashes", "objects", "empty_rows"):
                self.conn.execute(f"INSERT INTO main.{name} SELECT * FROM part.{name}")
            self.conn.commit()
        except sqlite3.IntegrityError as exc:
            raise InputError(f"source holds the same cell or row twice ({exc})") from None
        finally:
            self.conn.execute("DETACH DATABASE part")
        for (keyspace, tbl), ranges in sums.items():
            table = TableRef(keyspace, tbl)
            self.add_table(table)
            by_range = self.hashers[table].by_range
            for rng, (rows, cells, content, timed) in ranges.items():
                merged = by_range.setdefault(rng, RangeHash())
                merged.rows += rows
                merged.add(content, timed, cells)

    # ------------------------------------------------------------------ finish
    def _flush_all(self) -> None:
        """Everything still buffered, the last row and object included, into the file."""
        self._flush_cells()
        self._finish_object()
        self._flush_objects()
        for hasher in self.hashers.values():
            hasher.end_row()
        self._flush_row_hashes()

    def finish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        self._flush_all()
        if getattr(self, "_rehash_needed", False):
            rehash(self.conn)
        else:
            for table, hasher in self.hashers.items():
                self.conn.executemany(
                    "INSERT INTO range_hashes VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(table.keyspace, table.table, rng, h.rows, h.cells, *h.hexes())
                     for rng, h in sorted(hasher.by_range.items())])
        manifest = dict(manifest)
        manifest.update(summarize(self.conn))
        manifest.setdefault("format_version", FORMAT_VERSION)
        manifest.setdefault("tfdata_version", __version__)
        manifest.setdefault("created_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        write_manifest(self.conn, manifest)
        self.conn.commit()
        self.conn.execute("PRAGMA journal_mode = DELETE")
        self.conn.close()
        seal(self._tmp)
        os.chmod(self._tmp, 0o600)
        assert self._out is not None, "a part writer ends with finish_part(), not finish()"
        self._out.publish()
        return manifest

    def abort(self) -> None:
        try:
            if hasattr(self, "conn"):
                self.conn.close()
        finally:
            if self._out is not None:
                self._out.abort()
            else:
                self._tmp.unlink(missing_ok=True)


def recompute_hashes(conn: sqlite3.Connection, on_row: Callable[[TableRef, str, int, int, int], None] | None = None
                     ) -> dict[TableRef, TableHasher]:
    """Range hashes of every table, recomputed by streaming the stored cells (nothing held but
    64 sums per table); ``on_row(table, key, range, content, timed)`` sees each row's hashes."""
    hashers = {}
    for table in [TableRef(k, t) for k, t in conn.execute("SELECT keyspace, tbl FROM tables ORDER BY position")]:
        sink = None if on_row is None else (lambda key, rng, c, t, table=table: on_row(table, key, rng, c, t))
        hasher = hashers[table] = TableHasher(str(table), on_row=sink)
        for cell in _table_cells(conn, table):
            hasher.add(cell)
        hasher.end_row()
    return hashers


def rehash(conn: sqlite3.Connection) -> None:
    """Rewrite range and row hashes from the stored cells (after in-place row swaps)."""
    conn.execute("DELETE FROM range_hashes")
    conn.execute("DELETE FROM row_hashes")
    pending: list[tuple] = []

    def row(table: TableRef, key: str, rng: int, content: int, timed: int) -> None:
        pending.append((table.keyspace, table.table, text_to_blob(key), rng, to_blob(content), to_blob(timed)))
        if len(pending) >= _BATCH:
            conn.executemany("INSERT INTO row_hashes VALUES (?, ?, ?, ?, ?, ?)", pending)
            pending.clear()

    hashers = recompute_hashes(conn, on_row=row)
    conn.executemany("INSERT INTO row_hashes VALUES (?, ?, ?, ?, ?, ?)", pending)
    conn.executemany("INSERT INTO range_hashes VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [(table.keyspace, table.table, rng, h.rows, h.cells, *h.hexes())
                      for table, hasher in hashers.items() for rng, h in sorted(hasher.by_range.items())])


def table_summary(range_rows: Iterable[tuple[int, int, str, str]]) -> dict[str, Any]:
    """A table's manifest entry from its ranges' (rows, cells, content hex, timed hex)."""
    range_rows = list(range_rows)
    return {"rows": sum(r[0] for r in range_rows), "cells": sum(r[1] for r in range_rows),
            "content_hash": combine_hex(r[2] for r in range_rows),
            "timed_hash": combine_hex(r[3] for r in range_rows)}


def summarize(conn: sqlite3.Connection) -> dict[str, Any]:
    """Counts and hashes for the manifest, derived from range_hashes and znodes."""
    tables = {}
    for ks, tbl in conn.execute("SELECT keyspace, tbl FROM tables ORDER BY position"):
        tables[f"{ks}.{tbl}"] = table_summary(conn.execute(
            "SELECT rows, cells, content, timed FROM range_hashes WHERE keyspace = ? AND tbl = ?", (ks, tbl)))
    zk_total = leaf_total = 0
    count = leaves = 0
    for path, data, leaf in conn.execute("SELECT path, data, leaf FROM znodes"):
        h = znode_hash(ZNode(path, data or b""))
        zk_total = (zk_total + h) % (1 << 128)
        count += 1
        if leaf:
            leaf_total = (leaf_total + h) % (1 << 128)
            leaves += 1
    objects = conn.execute("SELECT count(*) FROM objects WHERE type IS NOT NULL").fetchone()[0]
    return {"tables": tables, "counts": {"rows": sum(t["rows"] for t in tables.values()),
                                         "cells": sum(t["cells"] for t in tables.values()),
                                         "znodes": count, "znode_leaves": leaves, "objects": objects},
            # leaves (path + data) are what dumps record and what comparisons use; inner nodes of
            # the TF trees are created empty by makepath, but a snapshot keeps them for restore
            "znodes_hash": f"{leaf_total:032x}", "all_znodes_hash": f"{zk_total:032x}", "ranges_per_table": RANGES}


def _manifest_digest(manifest: dict[str, Any]) -> str:
    body = {k: v for k, v in manifest.items() if k != "manifest_hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def write_manifest(conn: sqlite3.Connection, manifest: dict[str, Any]) -> None:
    manifest["manifest_hash"] = _manifest_digest(manifest)
    conn.execute("DELETE FROM manifest")
    conn.executemany("INSERT INTO manifest VALUES (?, ?)", [(k, json.dumps(v)) for k, v in manifest.items()])


def _table_cells(conn: sqlite3.Connection, table: TableRef) -> Iterator[Cell]:
    """Cells of one table ordered by row key then column bytes, empty rows merged in."""
    empty = iter(conn.execute("SELECT key FROM empty_rows WHERE keyspace = ? AND tbl = ? ORDER BY key",
                              (table.keyspace, table.table)).fetchall())
    next_empty = next(empty, None)
    cur = conn.execute("SELECT key, column, value, writetime, literal FROM cells WHERE keyspace = ? AND tbl = ? "
                       "ORDER BY key, column", (table.keyspace, table.table))
    for key, column, value, writetime, literal in cur:
        while next_empty is not None and next_empty[0] < key:
            yield Cell(blob_to_text(next_empty[0]), None, "", None)
            next_empty = next(empty, None)
        yield Cell(blob_to_text(key), blob_to_text(column), value, writetime, bool(literal))
    while next_empty is not None:
        yield Cell(blob_to_text(next_empty[0]), None, "", None)
        next_empty = next(empty, None)


class SnapshotSource:
    """A snapshot file as a Source (read-only)."""

    def __init__(self, path: str | os.PathLike, defer_integrity: bool = False) -> None:
        """``defer_integrity``: the caller runs check_integrity() itself, e.g. beside other work,
        and must do so before it uses anything read from the file."""
        self.path = check_input(path)
        with open(self.path, "rb") as fp:
            if fp.read(16) != b"SQLite format 3\x00":
                raise InputError(f"{self.path}: not a tfdata snapshot (not an SQLite file)")
        self.conn = connect_readonly(self.path)
        self.trusted = False
        try:
            self.manifest = read_manifest(self.conn, self.path)
            if not defer_integrity:
                self.check_integrity()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise InputError(f"{self.path}: not a readable tfdata snapshot ({exc})") from None
        except InputError:
            self.conn.close()
            raise
        self.info = SourceInfo("snapshot", str(self.path), self.manifest.get("prefix"))

    def facts(self) -> dict[str, str]:
        """What the manifest recorded about the source cluster (a dump's snapshot has none)."""
        return {k: self.manifest[k] for k in ("cassandra_version", "cassandra_layout") if k in self.manifest}

    def check_integrity(self) -> None:
        """Refuse the file unless its bytes are those written (the seal), or, for a file older
        than seals, unless everything derived in it matches its cells. Thread-safe: it uses no
        connection the caller holds."""
        if self.trusted:
            return
        if not check_seal(self.path, self.manifest["format_version"] >= SEALED_SINCE):
            conn = connect_readonly(self.path)
            try:
                problems = content_problems(conn, self.manifest)
            except sqlite3.DatabaseError as exc:
                raise InputError(f"{self.path}: not a readable tfdata snapshot ({exc})") from None
            finally:
                conn.close()
            if problems:
                raise InputError(f"{self.path}: snapshot refused: {problems[0]}")
        self.trusted = True

    def tables(self) -> list[TableRef]:
        return [TableRef(k, t) for k, t in self.conn.execute("SELECT keyspace, tbl FROM tables ORDER BY position")]

    def cells(self, tables: Iterable[TableRef] | None = None) -> Iterator[tuple[TableRef, Cell]]:
        for table in (table_order(tables) if tables is not None else self.tables()):
            for cell in _table_cells(self.conn, table):
                yield table, cell

    def range_cells(self, table: TableRef, rng: int) -> Iterator[Cell]:
        cur = self.conn.execute("SELECT key, column, value, writetime, literal FROM cells "
                                "WHERE keyspace = ? AND tbl = ? AND range = ? ORDER BY key, column",
                                (table.keyspace, table.table, rng))
        for key, column, value, writetime, literal in cur:
            yield Cell(blob_to_text(key), blob_to_text(column), value, writetime, bool(literal))

    def range_hashes(self, tables: Iterable[TableRef] | None = None) -> dict[TableRef, dict[int, RangeHash]]:
        """The stored per-range hashes (what every other store computes by streaming its cells)."""
        out: dict[TableRef, dict[int, RangeHash]] = {}
        for table in (list(tables) if tables is not None else self.tables()):
            out[table] = {rng: RangeHash(rows, cells, int(content, 16), int(timed, 16))
                          for rng, rows, cells, content, timed in self.conn.execute(
                              "SELECT range, rows, cells, content, timed FROM range_hashes "
                              "WHERE keyspace = ? AND tbl = ?",
                              (table.keyspace, table.table))}
        return out

    def snapshot_into(self, writer: SnapshotWriter, tables: list[TableRef], readers: int = 1,
                      on_cell: Callable[[], None] | None = None, meanwhile: Callable[[], None] | None = None) -> None:
        """Cells into a snapshot writer in one stream (``readers``: for live clusters only)."""
        stream_into(self, writer, tables, on_cell, meanwhile)

    def object_counts(self) -> dict[str, int]:
        """Objects per type (the object_counts view)."""
        return {t: n for t, n in self.conn.execute("SELECT type, objects FROM object_counts")}

    def znodes(self) -> Iterator[ZNode]:
        for row in self.conn.execute("SELECT * FROM znodes ORDER BY path"):
            path, data, *stat_and_flags = row
            stat = tuple(stat_and_flags[:len(STAT_FIELDS)]) if stat_and_flags[len(STAT_FIELDS)] else None
            yield ZNode(path, data or b"", stat)

    def znode_data(self, path: str) -> bytes | None:
        row = self.conn.execute("SELECT data FROM znodes WHERE path = ?", (path,)).fetchone()
        return None if row is None else (row[0] or b"")

    def znode_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM znodes").fetchone()[0]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "SnapshotSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect_readonly(path: str | os.PathLike) -> sqlite3.Connection:
    """Read exactly the file's bytes: ``immutable`` makes SQLite ignore a journal or WAL file
    beside it (content the seal does not cover) and take no locks."""
    return sqlite3.connect(snapshot_uri(path), uri=True)


def snapshot_uri(path: str | os.PathLike) -> str:
    """URI for a read-only, immutable open (also for ATTACH); any character in the path is quoted."""
    return Path(path).resolve().as_uri() + "?mode=ro&immutable=1"


def content_problems(conn: sqlite3.Connection, manifest: dict[str, Any]) -> list[str]:
    """Everything derived in the file recomputed from its cells and znodes and compared with the
    manifest: per-table and per-range hashes, znode hashes, counts and the objects table."""
    problems: list[str] = []
    hashers = recompute_hashes(conn)
    fresh = summarize(conn)  # its znode part is computed afresh from the znodes table
    fresh["tables"] = {str(table): table_summary((h.rows, h.cells, *h.hexes()) for h in hasher.by_range.values())
                       for table, hasher in hashers.items()}
    for name, expected in manifest.get("tables", {}).items():
        got = fresh["tables"].get(name)
        if got is None:
            problems.append(f"table {name} listed in the manifest is missing")
        elif got != expected:
            problems.append(f"table {name}: content differs from the manifest "
                            f"(cells {got['cells']} vs {expected['cells']}, hash {got['content_hash'][:12]} "
                            f"vs {expected['content_hash'][:12]})")
    for name in set(fresh["tables"]) - set(manifest.get("tables", {})):
        problems.append(f"table {name} is not in the manifest")
    recorded_znodes = (manifest.get("znodes_hash"), manifest.get("all_znodes_hash"))
    if (fresh["znodes_hash"], fresh["all_znodes_hash"]) != recorded_znodes:
        problems.append("ZooKeeper nodes differ from the manifest hash")
    stored = {(k, t, r): (n, c, ti) for k, t, r, n, c, ti in conn.execute(
        "SELECT keyspace, tbl, range, cells, content, timed FROM range_hashes")}
    recomputed = {(table.keyspace, table.table, rng): (h.cells, *h.hexes())
                  for table, hasher in hashers.items() for rng, h in hasher.by_range.items()}
    bad = sorted(k for k in stored.keys() | recomputed.keys() if stored.get(k) != recomputed.get(k))
    if bad:
        problems.append(f"{len(bad)} range hash(es) do not match the cells (first: {bad[0][0]}.{bad[0][1]} "
                        f"range {bad[0][2]})")
    problems.extend(_row_hash_problems(conn, hashers))
    problems.extend(_objects_problems(conn))
    counts = {k: fresh["counts"][k] for k in ("rows", "cells", "znodes", "objects")}
    recorded = {k: (manifest.get("counts") or {}).get(k) for k in counts}
    if counts != recorded:
        problems.append(f"counts differ from the manifest ({counts} vs {recorded})")
    return problems


def _row_hash_problems(conn: sqlite3.Connection, hashers: dict[TableRef, TableHasher]) -> list[str]:
    """row_hashes (what diff compares) summed per range must equal the cells' range hashes."""
    sums: dict[tuple[str, str, int], list[int]] = {}
    for ks, tbl, rng, content, timed in conn.execute("SELECT keyspace, tbl, range, content, timed FROM row_hashes"):
        entry = sums.setdefault((ks, tbl, rng), [0, 0, 0])
        entry[0] += 1
        entry[1] = (entry[1] + int.from_bytes(content, "big")) % (1 << 128)
        entry[2] = (entry[2] + int.from_bytes(timed, "big")) % (1 << 128)
    expected = {(t.keyspace, t.table, rng): [h.rows, h.content, h.timed]
                for t, hasher in hashers.items() for rng, h in hasher.by_range.items()}
    bad = sorted(k for k in sums.keys() | expected.keys() if sums.get(k) != expected.get(k))
    if bad:
        return [f"{len(bad)} range(s) whose row hashes do not match the cells (first: {bad[0][0]}.{bad[0][1]} "
                f"range {bad[0][2]})"]
    return []


def _objects_problems(conn: sqlite3.Connection) -> list[str]:
    """The objects table (what `show`, the views and audits read) decoded afresh from the cells."""
    from ...model.cells import rows
    from ...model.objects import decode_row

    def digest(row: tuple) -> int:
        return int.from_bytes(hashlib.blake2b(repr(row).encode("utf-8", "surrogatepass"), digest_size=16).digest(),
                              "big")

    stored = fresh = 0
    stored_count = fresh_count = 0
    for row in conn.execute("SELECT * FROM objects"):
        stored = (stored + digest(tuple(row))) % (1 << 128)
        stored_count += 1
    uuid_table = TableRef(CONFIG_KEYSPACE, UUID_TABLE)
    if conn.execute("SELECT 1 FROM tables WHERE keyspace = ? AND tbl = ?", (CONFIG_KEYSPACE, UUID_TABLE)).fetchone():
        for key, cells in rows(_table_cells(conn, uuid_table)):
            fresh = (fresh + digest(_object_row(decode_row(key, cells), range_of(key)))) % (1 << 128)
            fresh_count += 1
    if (stored, stored_count) != (fresh, fresh_count):
        return [f"objects table does not match the cells ({stored_count} rows stored, {fresh_count} decoded)"]
    return []


def verify_file(path: Path) -> list[str]:
    """Everything that can be checked, as a list of problems (empty: the file is intact): the
    seal over its bytes, SQLite's integrity check, and every hash, count and object recomputed
    from the stored cells and znodes. A file that is not a snapshot at all is one problem."""
    try:
        conn = connect_readonly(path)
    except sqlite3.DatabaseError as exc:
        return [f"{path}: not a readable tfdata snapshot ({exc})"]
    try:
        try:
            manifest = read_manifest(conn, path)
        except sqlite3.DatabaseError as exc:
            return [f"{path}: not a readable tfdata snapshot ({exc})"]
        except InputError as exc:
            return [str(exc)]
        problems = []
        sealed = seal_problem(path, manifest["format_version"] >= SEALED_SINCE)
        if sealed:
            problems.append(f"seal: {sealed}")
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            problems.append(f"SQLite integrity check failed: {check}")
        problems.extend(content_problems(conn, manifest))
        return problems
    except sqlite3.DatabaseError as exc:
        return [f"cannot read the snapshot: {exc}"]
    finally:
        conn.close()


def manifest_of(path: Path) -> dict[str, Any]:
    """The manifest alone (no seal check: for listings); InputError when it cannot be read."""
    try:
        conn = connect_readonly(path)
        try:
            return read_manifest(conn, path)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: not a readable tfdata snapshot ({exc})") from None


def read_manifest(conn: sqlite3.Connection, path: Path) -> dict[str, Any]:
    try:
        rows = conn.execute("SELECT key, value FROM manifest").fetchall()
    except sqlite3.OperationalError:
        raise InputError(f"{path}: not a tfdata snapshot (no manifest table)") from None
    try:
        manifest = {k: json.loads(v) for k, v in rows}
    except ValueError:
        raise InputError(f"{path}: snapshot manifest is not valid JSON") from None
    if "format_version" not in manifest:
        raise InputError(f"{path}: not a tfdata snapshot (manifest has no format_version)")
    if manifest.get("manifest_hash") != _manifest_digest(manifest):
        raise InputError(f"{path}: snapshot manifest hash does not match its content (edited or corrupt)")
    version = manifest["format_version"]
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InputError(f"{path}: snapshot format version {version!r} is newer than this tfdata reads "
                         f"(up to {FORMAT_VERSION}); use the tfdata that wrote it")
    present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    missing = [name for name in _REQUIRED_TABLES if name not in present]
    if missing:  # a manifest alone proves nothing about the data tables next to it
        raise InputError(f"{path}: not a complete tfdata snapshot (table(s) {', '.join(missing)} missing)")
    return manifest


_REQUIRED_TABLES = ("tables", "cells", "empty_rows", "znodes", "range_hashes", "row_hashes", "objects")
