"""The audit's memory: compact facts in a temporary SQLite file, so cross-row checks are SQL.

A full scan never keeps objects in Python: each row is reduced to a few facts (uuid, type,
fq_name, parent, one line per link) that are inserted in batches; indexes are built once the
scan is over, then every cross-row check is a query. The file lives in its own temporary
folder and is removed on close.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any, Iterable

from ..model.objects import TfObject, parse_ref_value

BATCH_ROWS = 5000


def canonical_json(value: Any) -> str:
    """One text per value, whatever producer wrote it (key order and spacing differ upstream)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fq_json(fq_name: Iterable[str] | None) -> str | None:
    """fq_names are compared as JSON lists: joining with ':' is ambiguous for names holding ':'."""
    return None if fq_name is None else json.dumps(list(fq_name), ensure_ascii=False, separators=(",", ":"))


def value_digest(value: Any) -> str:
    """Short fingerprint of a link attribute: enough to compare ref and backref values."""
    return hashlib.blake2b(canonical_json(value).encode("utf-8"), digest_size=8).hexdigest()


class FactStore:
    def __init__(self, tmp_dir: str | None = None) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="tfdata-audit-", dir=tmp_dir))
        self.db = sqlite3.connect(self._dir / "facts.sqlite", isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE", "cache_size=-16384"):
            self.db.execute(f"PRAGMA {pragma}")
        self._insert_sql: dict[str, str] = {}
        self._pending: dict[str, list[tuple]] = {}
        self._indexes: list[str] = []
        self.finalized = False

    # ------------------------------------------------------------------ schema
    def define(self, table: str, columns: str, indexes: Iterable[str] = ()) -> None:
        """Create a fact table; ``indexes`` (column lists) are built after the scan, when bulk
        loading is over."""
        if table in self._insert_sql:
            return
        self.db.execute(f"CREATE TABLE {table} ({columns})")
        width = len(self.db.execute(f"SELECT * FROM {table} LIMIT 0").description)
        self._insert_sql[table] = f"INSERT INTO {table} VALUES ({', '.join('?' * width)})"
        self._pending[table] = []
        for number, cols in enumerate(indexes):
            self._indexes.append(f"CREATE INDEX {table}_i{number} ON {table} ({cols})")

    # ------------------------------------------------------------------ loading
    def add(self, table: str, row: tuple) -> None:
        pending = self._pending[table]
        pending.append(row)
        if len(pending) >= BATCH_ROWS:
            self._flush_table(table)

    def _flush_table(self, table: str) -> None:
        pending = self._pending[table]
        if pending:
            self.db.execute("BEGIN")
            self.db.executemany(self._insert_sql[table], pending)
            self.db.execute("COMMIT")
            pending.clear()

    def flush(self) -> None:
        for table in self._pending:
            self._flush_table(table)

    def finalize(self) -> None:
        """End of the scan: write what is pending, build the indexes, gather statistics."""
        self.flush()
        for statement in self._indexes:
            self.db.execute(statement)
        self.db.execute("ANALYZE")
        self.finalized = True

    # ------------------------------------------------------------------ reading
    def query(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        """Rows of a query, streamed (a cursor, not a list: iterate it, or fetchone/fetchall)."""
        return self.db.execute(sql, params)

    def scalar(self, sql: str, params: tuple | dict = ()) -> Any:
        row = self.db.execute(sql, params).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "FactStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------- facts every family reads

OBJECTS = "objects"
LINKS = "links"


def define_core(store: FactStore) -> None:
    """``objects``: one line per obj_uuid_table row (live = has type and fq_name, as upstream
    readers decide). ``links``: one line per ref/backref/children/relaxbackref cell."""
    store.define(OBJECTS, "uuid TEXT, type TEXT, fq TEXT, fq_str TEXT, parent_fq TEXT, parent_kind TEXT, "
                          "parent_uuid TEXT, live INTEGER, created TEXT",
                 indexes=["uuid", "type, fq_str", "parent_uuid"])
    store.define(LINKS, "src TEXT, kind TEXT, dst_type TEXT, dst TEXT, attr TEXT",
                 indexes=["src, kind, dst", "dst, kind"])


def record_object(store: FactStore, obj: TfObject) -> None:
    fq = obj.fq_name
    id_perms = obj.props.get("id_perms")
    created = id_perms.get("created") if isinstance(id_perms, dict) else None
    store.add(OBJECTS, (
        obj.uuid, obj.type, fq_json(fq), ":".join(fq) if fq else None, fq_json(fq[:-1]) if fq else None,
        obj.parent[0] if obj.parent else None, obj.parent[1] if obj.parent else None,
        1 if obj.is_live else 0, created if isinstance(created, str) else None,
    ))
    for kind, links in (("ref", obj.refs), ("backref", obj.backrefs)):
        for (link_type, link_uuid), value in links.items():
            store.add(LINKS, (obj.uuid, kind, link_type, link_uuid, value_digest(parse_ref_value(value).attr)))
    for link_type, link_uuid in obj.children:
        store.add(LINKS, (obj.uuid, "children", link_type, link_uuid, None))
    for link_uuid in obj.relaxbackrefs:
        store.add(LINKS, (obj.uuid, "relaxbackref", None, link_uuid, None))
