"""Cassandra over the CQL native protocol (cassandra-driver): bounded-memory scans and exact writes.

Scans split the Murmur3 token ring into ranges read by parallel workers with driver paging, so
memory stays bounded however many rows a table has and however wide a row is (paging is per
cell). Writes carry each cell's original write time (USING TIMESTAMP), so child order and the
consumers' change detection survive a copy.
"""

from __future__ import annotations

import logging
import queue
import ssl
import struct
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ..config import CassandraConfig, Profile
from ..errors import ConnectionFailed, InputError, VersionNotServed
from ..tls import client_context, tls_reason
from ..model.cells import Cell, TableRef, blob_to_text, text_to_blob
from ..model.keyspaces import logical_keyspace, physical_keyspace
from .base import RowMutations, SourceInfo, table_order
from .tokens import token_ranges
from .versions import COMPACT, NON_COMPACT, describe_layouts, layout_of, sync_pair_refusal

if TYPE_CHECKING:
    from cassandra.cluster import Cluster, ResponseFuture, Session
    from cassandra.query import BatchStatement, PreparedStatement

log = logging.getLogger(__name__)


class _QuietNegotiation(logging.Filter):
    """Protocol negotiation is intended (one client for Cassandra 3.11 to 5.0): not worth a warning.
    Nor is the server's note that a bulk write batch is over its 5 KiB warning size: the batches
    are sized on purpose (see CassandraStore._insert_batches)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return "Downgrading core protocol version" not in text and not (
            text.startswith("Server warning: Batch") and "exceeding specified threshold" in text)


logging.getLogger("cassandra.cluster").addFilter(_QuietNegotiation())
logging.getLogger("cassandra.protocol").addFilter(_QuietNegotiation())

GC_GRACE_SECONDS = 864000  # what TF sets on every table


_INT64 = struct.Struct(">q")
# v4 is the newest protocol Cassandra 3.11 (every TF release from R5.0) speaks, and 4.x/5.0 still
# do; v5 adds nothing tfdata uses and its frame checksums cost a bulk copy about 6% of its time.
PROTOCOL_VERSION = 4
TUPLES = "tuples"  # execution profile of the hot read paths


def connect(cfg: CassandraConfig, what: str = "cassandra") -> tuple[Cluster, Session]:
    """Open a session (protocol v4: Cassandra 3.11, 4.x and 5.0 all speak it)."""
    from cassandra import AuthenticationFailed, ConsistencyLevel
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, NoHostAvailable
    from cassandra.policies import RoundRobinPolicy
    from cassandra.query import tuple_factory

    endpoint = f"{','.join(cfg.hosts)}:{cfg.port}"
    consistency = getattr(ConsistencyLevel, (cfg.consistency or "QUORUM").upper(), None)
    if consistency is None:
        raise InputError(f"{what}: unknown consistency level {cfg.consistency!r}")
    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), consistency_level=consistency,
                               request_timeout=120.0)
    # Bulk reads take plain tuples: the default factory builds a namedtuple class per result page.
    tuples = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), consistency_level=consistency,
                              request_timeout=120.0, row_factory=tuple_factory)
    auth = PlainTextAuthProvider(cfg.user, cfg.password or "") if cfg.user else None
    try:
        ctx = client_context(cfg.tls)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectionFailed(f"{what} {endpoint}: TLS setup failed ({exc})") from None
    cluster = Cluster(cfg.hosts, port=cfg.port, auth_provider=auth, ssl_context=ctx,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile, TUPLES: tuples},
                      connect_timeout=cfg.connect_timeout, control_connection_timeout=cfg.connect_timeout,
                      idle_heartbeat_interval=0, executor_threads=4,
                      protocol_version=PROTOCOL_VERSION)
    try:
        session = cluster.connect()
    except NoHostAvailable as exc:
        cluster.shutdown()
        reasons = "; ".join(f"{host}: {_short(err)}" for host, err in exc.errors.items()) or "no host reachable"
        if any(isinstance(err, AuthenticationFailed) for err in exc.errors.values()):
            raise ConnectionFailed(f"{what} {endpoint}: authentication failed (check user/password)") from None
        raise ConnectionFailed(f"{what} {endpoint}: cannot connect ({reasons})") from None
    except Exception as exc:  # driver raises assorted errors for TLS and protocol failures
        cluster.shutdown()
        raise ConnectionFailed(f"{what} {endpoint}: cannot connect ({_short(exc)})") from None
    return cluster, session


def _short(err: BaseException) -> str:
    text = str(err)
    if "Connection refused" in text:
        return "connection refused"
    if "Bad credentials" in text or "AuthenticationFailed" in text or "Provided username" in text:
        return "authentication failed"
    if "SSL" in text or "certificate" in text:
        return tls_reason(err)
    if "Connection reset by peer" in text:  # what a TLS-only port does to a plain-text client
        return "connection reset by the server (does the port require TLS? set tls in the profile)"
    return text.splitlines()[0][:160] if text else err.__class__.__name__


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Chunk:
    cells: list[tuple[bytes, bytes, str, int]]
    row_open: bool  # the last row continues in the next chunk of the same range
    done: bool = False
    error: BaseException | None = None


META_KEYSPACE = "tfdata_meta"
IRREGULAR_TABLE = "irregular_cells"


class CassandraStore:
    """Source and target for one cluster's Cassandra; keyspace names are logical (unprefixed)."""

    batch_rows = 10  # rows per write batch (see _insert_batches)
    batch_bytes = 24 * 1024

    def __init__(self, profile: Profile, workers: int = 4, splits_per_worker: int = 4, fetch_size: int = 2000) -> None:
        self.profile = profile
        self.prefix = profile.prefix
        self.info = SourceInfo("cluster", profile.name, profile.prefix)
        self.workers = workers
        self.splits = workers * splits_per_worker
        self.fetch_size = fetch_size
        self._cluster, self.session = connect(profile.cassandra, f"cassandra of profile '{profile.name}'")
        self._prepared: dict[str, PreparedStatement] = {}
        self._prepare_lock = threading.Lock()

    # ------------------------------------------------------------------ names
    def physical(self, table: TableRef) -> str:
        return f"{_quote(physical_keyspace(table.keyspace, self.prefix))}.{_quote(table.table)}"

    def server_version(self) -> str:
        row = self.session.execute("SELECT release_version FROM system.local").one()
        return row.release_version if row else "unknown"

    def table_layouts(self) -> dict[TableRef, str]:
        """Each TF table's layout as the server reports it (never assumed from the version)."""
        rows = self.session.execute("SELECT keyspace_name, table_name, flags FROM system_schema.tables")
        found = {}
        for r in rows:
            ks = logical_keyspace(r.keyspace_name, self.prefix)
            if ks is not None:
                found[TableRef(ks, r.table_name)] = layout_of(r.flags)
        return found

    def layout(self) -> str:
        return describe_layouts(self.table_layouts())

    def tables(self) -> list[TableRef]:
        rows = self.session.execute("SELECT keyspace_name, table_name FROM system_schema.tables")
        found = []
        for r in rows:
            ks = logical_keyspace(r.keyspace_name, self.prefix)
            if ks is not None:
                found.append(TableRef(ks, r.table_name))
        return table_order(found)

    # ------------------------------------------------------------------ reading
    def _prepare(self, cql: str) -> PreparedStatement:
        stmt = self._prepared.get(cql)
        if stmt is None:
            with self._prepare_lock:
                stmt = self._prepared.get(cql)
                if stmt is None:
                    stmt = self._prepared[cql] = self.session.prepare(cql)
        return stmt

    def cells(self, tables: Iterable[TableRef] | None = None, ranges: list[tuple[int, int]] | None = None,
              empty_rows: bool = True) -> Iterator[tuple[TableRef, Cell]]:
        """Every cell, table by table. ``ranges``: only those token ranges (a parallel reader's
        share); ``empty_rows``: also the rows a dump loaded without cells (see empty_rows())."""
        for table in (table_order(tables) if tables is not None else self.tables()):
            irregular = self._irregularities(table)
            for cell in self.table_cells(table, ranges):
                marker = irregular.get((cell.key, cell.column)) if irregular else None
                if marker is not None and marker == (cell.value, cell.writetime):
                    cell = Cell(cell.key, cell.column, cell.value, cell.writetime, literal=True)
                yield table, cell
            if empty_rows:
                yield from self.empty_rows([table], irregular)

    def empty_rows(self, tables: Iterable[TableRef], irregular: dict | None = None) -> Iterator[tuple[TableRef, Cell]]:
        """Rows a dump held without cells that still have none (a cell-less Cell each)."""
        for table in tables:
            marks = irregular if irregular is not None else self._irregularities(table)
            for (key, column), _ in marks.items():
                if column is None and not self.row_cells(table, key):
                    yield table, Cell(key, None, "", None)

    # ------------------------------------------------------------------ what Cassandra cannot hold
    # A dump may hold a bare JSON literal where TF writes text, or a row without cells. Load records
    # those in a small side table; export restores them only while the cell is untouched (same
    # text and write time) or the row still has no cells, so later TF writes always win.
    def _meta_table(self) -> str:
        return f"{_quote(physical_keyspace(META_KEYSPACE, self.prefix))}.{_quote(IRREGULAR_TABLE)}"

    def _irregularities(self, table: TableRef) -> dict[tuple[str, str | None], tuple[str, int | None]]:
        ks = physical_keyspace(META_KEYSPACE, self.prefix)
        if ks not in self._cluster.metadata.keyspaces:
            return {}
        rows = self.session.execute(
            f"SELECT key, column1, literal, writetime, empty_row FROM {self._meta_table()} "
            "WHERE keyspace_name = %s AND table_name = %s", (table.keyspace, table.table))
        out: dict[tuple[str, str | None], tuple[str, int | None]] = {}
        for r in rows:
            key = blob_to_text(r.key)
            if r.empty_row:
                out[(key, None)] = ("", None)
            else:
                out[(key, blob_to_text(r.column1))] = (r.literal, r.writetime)
        return out

    def record_irregularities(self, table: TableRef, cells: list[Cell]) -> None:
        ks = physical_keyspace(META_KEYSPACE, self.prefix)
        self.session.execute(f"CREATE KEYSPACE IF NOT EXISTS {_quote(ks)} WITH replication = "
                             "{'class': 'SimpleStrategy', 'replication_factor': "
                             f"{max(1, len(self.profile.cassandra.hosts))}}}")
        self.session.execute(f"CREATE TABLE IF NOT EXISTS {self._meta_table()} (keyspace_name text, table_name text, "
                             "key blob, column1 blob, literal text, writetime bigint, empty_row boolean, "
                             "PRIMARY KEY ((keyspace_name, table_name), key, column1))")
        self._cluster.refresh_schema_metadata()
        for cell in cells:
            self.session.execute(
                f"INSERT INTO {self._meta_table()} (keyspace_name, table_name, key, column1, literal, writetime, "
                "empty_row) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (table.keyspace, table.table, text_to_blob(cell.key), text_to_blob(cell.column or ""),
                 cell.value, cell.writetime, cell.column is None))

    def clear_irregularities_of(self, table: TableRef) -> None:
        if physical_keyspace(META_KEYSPACE, self.prefix) in self._cluster.metadata.keyspaces:
            self.session.execute(f"DELETE FROM {self._meta_table()} WHERE keyspace_name = %s AND table_name = %s",
                                 (table.keyspace, table.table))

    def clear_irregularities(self) -> None:
        self.session.execute(f"DROP KEYSPACE IF EXISTS {_quote(physical_keyspace(META_KEYSPACE, self.prefix))}",
                             timeout=120)

    def table_cells(self, table: TableRef, ranges: list[tuple[int, int]] | None = None) -> Iterator[Cell]:
        """One table, rows contiguous (row order = token order), bounded memory: worker threads
        read the token ranges, each into a small queue of its own, consumed in range order."""
        stmt = self._prepare(
            f"SELECT key, column1, value, WRITETIME(value) FROM {self.physical(table)} "
            "WHERE token(key) > ? AND token(key) <= ?")
        ranges = ranges if ranges is not None else token_ranges(self.splits)
        work: queue.Queue[tuple[int, tuple[int, int]]] = queue.Queue()
        for index, rng in enumerate(ranges):
            work.put((index, rng))
        outputs: list[queue.Queue[_Chunk]] = [queue.Queue(maxsize=4) for _ in ranges]
        stop = threading.Event()
        threads = [threading.Thread(target=self._scan_ranges, args=(stmt, work, outputs, stop), daemon=True,
                                    name=f"scan-{table.table}-{i}")
                   for i in range(min(self.workers, len(ranges)))]
        for t in threads:
            t.start()
        try:
            yield from self._cells_in_range_order(table, outputs)
        finally:
            stop.set()
            _unblock(outputs)

    def _scan_ranges(self, stmt: Any, work: "queue.Queue[tuple[int, tuple[int, int]]]",
                     outputs: "list[queue.Queue[_Chunk]]", stop: threading.Event) -> None:
        """A worker thread: takes ranges until none is left, pages each into its range's queue;
        an error is passed on in the queue, for the consumer to raise."""
        while not stop.is_set():
            try:
                index, (start, end) = work.get_nowait()
            except queue.Empty:
                return
            out = outputs[index]
            try:
                bound = stmt.bind((start, end))
                bound.fetch_size = self.fetch_size
                result = self.session.execute(bound, execution_profile=TUPLES)
                batch: list = []
                for row in result:
                    if stop.is_set():
                        return
                    batch.append((row[0], row[1], row[2], row[3]))
                    if len(batch) >= self.fetch_size:
                        out.put(_Chunk(batch, row_open=True))
                        batch = []
                out.put(_Chunk(batch, row_open=False, done=True))
            except BaseException as exc:  # surfaced in the consumer
                out.put(_Chunk([], False, True, exc))

    def _cells_in_range_order(self, table: TableRef, outputs: "list[queue.Queue[_Chunk]]") -> Iterator[Cell]:
        """Ranges consumed in order; each range's cells are contiguous, so rows are too."""
        markers = 0
        for out in outputs:
            while True:
                chunk: _Chunk = out.get()
                if chunk.error is not None:
                    raise ConnectionFailed(f"cassandra of profile '{self.profile.name}': reading {table} failed "
                                           f"({_short(chunk.error)})")
                for key, column, value, ts in chunk.cells:
                    if value is None:
                        markers += 1
                        continue
                    yield Cell(blob_to_text(key), blob_to_text(column), value, ts)
                if chunk.done:
                    break
        if markers:
            log.warning("%s: %d column(s) without a value (row markers of a non-compact table) ignored, "
                        "as a compact table could not hold them", table, markers)

    def token_range_cells(self, table: TableRef, lo: int, hi: int) -> Iterator[Cell]:
        """Cells with lo <= token(key) <= hi, in Cassandra's order (token, key bytes, column bytes)."""
        stmt = self._prepare(
            f"SELECT key, column1, value, WRITETIME(value) FROM {self.physical(table)} "
            "WHERE token(key) >= ? AND token(key) <= ?")
        bound = stmt.bind((lo, hi))
        bound.fetch_size = self.fetch_size
        for key, column, value, ts in self.session.execute(bound, execution_profile=TUPLES):
            if value is not None:  # a row marker is not a cell (see _cells_in_range_order)
                yield Cell(blob_to_text(key), blob_to_text(column), value, ts)

    def column_writetimes(self, table: TableRef, column: str, lo: int, hi: int) -> Iterator[tuple[str, int | None]]:
        """(key, write time) of one named cell in every row of a token range: a filtered scan that
        sends back one cell per row (pre-sync's catch-up finds the rows changed during the copy)."""
        stmt = self._prepare(
            f"SELECT key, WRITETIME(value) FROM {self.physical(table)} "
            "WHERE token(key) >= ? AND token(key) <= ? AND column1 = ? ALLOW FILTERING")
        bound = stmt.bind((lo, hi, text_to_blob(column)))
        bound.fetch_size = self.fetch_size
        for key, ts in self.session.execute(bound, execution_profile=TUPLES):
            if ts is not None:  # a row marker: no value, so no write time
                yield blob_to_text(key), ts

    def cells_of_row(self, table: TableRef, key: str, columns: list[str]) -> list[Cell]:
        """Named cells of one row in one round trip (run-sync reads only what a change can touch)."""
        if not columns:
            return []
        marks = ", ".join("?" * len(columns))
        stmt = self._prepare(f"SELECT column1, value, WRITETIME(value) FROM {self.physical(table)} "
                             f"WHERE key = ? AND column1 IN ({marks})")
        rows = self.session.execute(stmt, (text_to_blob(key), *[text_to_blob(c) for c in columns]),
                                    execution_profile=TUPLES)
        return [Cell(key, blob_to_text(r[0]), r[1], r[2]) for r in rows if r[1] is not None]

    def cell(self, table: TableRef, key: str, column: str) -> Cell | None:
        stmt = self._prepare(f"SELECT value, WRITETIME(value) FROM {self.physical(table)} "
                             "WHERE key = ? AND column1 = ?")
        row = self.session.execute(stmt, (text_to_blob(key), text_to_blob(column)), execution_profile=TUPLES).one()
        return None if row is None or row[0] is None else Cell(key, column, row[0], row[1])

    def row_cells(self, table: TableRef, key: str) -> list[Cell]:
        """All cells of one row (used to re-read single objects), paged."""
        stmt = self._prepare(f"SELECT column1, value, WRITETIME(value) FROM {self.physical(table)} WHERE key = ?")
        bound = stmt.bind((text_to_blob(key),))
        bound.fetch_size = self.fetch_size
        return [Cell(key, blob_to_text(r[0]), r[1], r[2])
                for r in self.session.execute(bound, execution_profile=TUPLES) if r[1] is not None]

    def read_async(self, table: TableRef, keys: list[str], columns: list[str] | None = None) -> "PendingRead":
        """Start reading rows ``keys`` (all cells, or only ``columns``) without waiting.

        Lets run-sync put every read one change needs on the wire at once, old and new side.
        """
        if columns is not None and not columns:
            return PendingRead(None)
        where = "key IN ?" if len(keys) > 1 else "key = ?"
        key_arg = [text_to_blob(k) for k in keys] if len(keys) > 1 else text_to_blob(keys[0])
        cql = f"SELECT key, column1, value, WRITETIME(value) FROM {self.physical(table)} WHERE {where}"
        args: tuple = (key_arg,)
        if columns is not None:
            cql += " AND column1 IN ?"
            args += ([text_to_blob(c) for c in columns],)
        bound = self._prepare(cql).bind(args)
        bound.fetch_size = self.fetch_size
        return PendingRead(self.session.execute_async(bound, execution_profile=TUPLES))

    def znodes(self):  # a Cassandra store has no ZooKeeper part
        return iter(())

    # ------------------------------------------------------------------ schema for writing
    def ensure_tables(self, tables: Iterable[TableRef], replication_factor: int | None = None) -> None:
        """Create missing keyspaces/tables as TF does (key blob, column1 blob, value text).

        Layout: that of the TF tables already there when they agree, else COMPACT STORAGE as TF's
        own driver creates on every version; non-compact only where the server refuses compact
        tables (a guardrail). Rationale: docs/design/cassandra-versions.md.
        """
        from cassandra import InvalidRequest

        rf = replication_factor or max(1, len(self.profile.cassandra.hosts))
        existing = self.table_layouts()
        kinds = set(existing.values())
        layout = kinds.pop() if len(kinds) == 1 else COMPACT
        made_ks: set[str] = set()
        for table in tables:
            if table in existing:
                continue
            ks = physical_keyspace(table.keyspace, self.prefix)
            if ks not in made_ks:
                self.session.execute(
                    f"CREATE KEYSPACE IF NOT EXISTS {_quote(ks)} WITH replication = "
                    f"{{'class': 'SimpleStrategy', 'replication_factor': {rf}}}")
                made_ks.add(ks)
            try:
                self._create_table(table, layout)
            except InvalidRequest as exc:
                if layout != COMPACT or "compact" not in str(exc).lower():
                    raise
                log.warning("cassandra of profile '%s' refuses COMPACT STORAGE tables (%s); creating "
                            "non-compact ones", self.profile.name, _short(exc))
                layout = NON_COMPACT
                self._create_table(table, layout)

    def _create_table(self, table: TableRef, layout: str) -> None:
        options = f"CLUSTERING ORDER BY (column1 ASC) AND gc_grace_seconds = {GC_GRACE_SECONDS}"
        if layout == COMPACT:
            options = "COMPACT STORAGE AND " + options
        self.session.execute(
            f"CREATE TABLE IF NOT EXISTS {self.physical(table)} (key blob, column1 blob, value text, "
            f"PRIMARY KEY (key, column1)) WITH {options}")

    def has_rows(self, table: TableRef) -> bool:
        """Whether an existing table holds at least one row (a one-row read): a bulk copy skips the
        range scans of a table empty on both sides."""
        return self.session.execute(f"SELECT key FROM {self.physical(table)} LIMIT 1").one() is not None

    def non_empty(self, tables: Iterable[TableRef] | None = None) -> list[str]:
        found = []
        ordered = self.tables()  # one schema read, not one per table
        existing = set(ordered)
        for table in (tables if tables is not None else ordered):
            if table not in existing:
                continue
            if self.has_rows(table):
                found.append(f"cassandra {table}")
        return found

    def truncate(self, tables: Iterable[TableRef]) -> None:
        for table in tables:
            self.session.execute(f"TRUNCATE {self.physical(table)}", timeout=120)

    # ------------------------------------------------------------------ writing
    def _insert_batches(self, table: TableRef, cells: Iterable[Cell], now: int) -> Iterator[tuple[BatchStatement, int]]:
        """UNLOGGED batches that group up to ``batch_rows`` consecutive rows within ``batch_bytes``.

        Bulk copies write rows in token order, so neighbouring rows mostly share replicas; grouping
        them is what cqlsh COPY FROM does and cuts both the client's and the server's cost per cell
        by half or more. The limits keep multi-row batches below Cassandra's default failure
        threshold (batch_size_fail_threshold 50 KiB) and its cross-partition warning (10 rows); a
        row larger than the byte budget goes in single-row batches, which no threshold applies to.
        ``batch_rows=1`` writes one row per batch (no server warnings at all).
        """
        from cassandra.query import BatchStatement, BatchType

        insert = self._prepare(f"INSERT INTO {self.physical(table)} (key, column1, value) VALUES (?, ?, ?) "
                               "USING TIMESTAMP ?")
        query_id = insert.query_id
        pack = _INT64.pack
        batch = None
        add = None
        last_key = None
        rows = count = size = 0
        for cell in cells:
            if cell.column is None:
                continue
            key, column = text_to_blob(cell.key), text_to_blob(cell.column)
            value = cell.value.encode("utf-8")
            ts = cell.writetime if cell.writetime is not None else now
            cell_size = len(key) + len(column) + len(value) + 32
            new_row = cell.key != last_key
            if batch is not None and (size + cell_size > self.batch_bytes or count >= 0xFFF0
                                      or (new_row and rows >= self.batch_rows)):
                yield batch, count
                batch = None
            if batch is None:
                batch = BatchStatement(batch_type=BatchType.UNLOGGED)
                batch.add(insert, (key, column, cell.value, ts))  # the first add sets keyspace and routing
                add = getattr(batch, "_add_statement_and_params", None)
                rows, count, size, last_key = 1, 1, cell_size, cell.key
                continue
            if new_row:
                rows += 1
                last_key = cell.key
            if add is not None:  # values already serialized: skips a bound statement per cell
                add(True, query_id, [key, column, value, pack(ts)])
            else:  # pragma: no cover - a driver without the private hook
                batch.add(insert, (key, column, cell.value, ts))
            count += 1
            size += cell_size
        if batch is not None:
            yield batch, count

    def _run_concurrently(self, statements: list, concurrency: int, what: str) -> None:
        from cassandra.concurrent import execute_concurrent

        for ok, result in execute_concurrent(self.session, statements, concurrency=concurrency,
                                             raise_on_first_error=False):
            if not ok:
                raise ConnectionFailed(f"cassandra of profile '{self.profile.name}': {what} failed ({_short(result)})")

    def write_cells(self, table: TableRef, cells: Iterable[Cell], concurrency: int = 32,
                    default_ts: int | None = None, window: int = 200) -> int:
        """Insert cells with their original write times; one UNLOGGED batch per row chunk.

        The input is consumed in this thread, ``window`` batches at a time (the driver would
        otherwise pull the iterator from its own threads), so memory stays bounded.
        """
        now = default_ts or int(time.time() * 1_000_000)
        written = 0
        pending: list[tuple[object, tuple]] = []
        for batch, count in self._insert_batches(table, cells, now):
            pending.append((batch, ()))
            written += count
            if len(pending) >= window:
                self._run_concurrently(pending, concurrency, f"write to {table}")
                pending.clear()
        if pending:
            self._run_concurrently(pending, concurrency, f"write to {table}")
        return written

    def mutate(self, changes: Iterable[tuple[TableRef, RowMutations]], concurrency: int = 32) -> None:
        """Writes and deletes of several tables in one concurrent round trip (run-sync's unit of work).

        Order inside the round does not matter: every mutation carries its own timestamp.
        """
        now = int(time.time() * 1_000_000)
        statements: list[tuple[object, tuple]] = []
        for table, actions in changes:
            statements += [(batch, ()) for batch, _ in self._insert_batches(table, actions.writes, now)]
            if actions.cell_deletes:
                stmt = self._prepare(f"DELETE FROM {self.physical(table)} USING TIMESTAMP ? "
                                     "WHERE key = ? AND column1 = ?")
                statements += [(stmt, (ts, text_to_blob(k), text_to_blob(c))) for k, c, ts in actions.cell_deletes]
            if actions.row_deletes:
                stmt = self._prepare(f"DELETE FROM {self.physical(table)} USING TIMESTAMP ? WHERE key = ?")
                statements += [(stmt, (ts, text_to_blob(k))) for k, ts in actions.row_deletes]
        if statements:
            self._run_concurrently(statements, concurrency, "mutation")

    def delete_rows(self, table: TableRef, keys: Iterable[str], timestamp: int, concurrency: int = 32) -> int:
        from cassandra.concurrent import execute_concurrent_with_args

        stmt = self._prepare(f"DELETE FROM {self.physical(table)} USING TIMESTAMP ? WHERE key = ?")
        args = [(timestamp, text_to_blob(k)) for k in keys]
        for ok, result in execute_concurrent_with_args(self.session, stmt, args, concurrency=concurrency,
                                                       raise_on_first_error=False):
            if not ok:
                raise ConnectionFailed(f"cassandra: delete in {table} failed ({_short(result)})")
        return len(args)

    def delete_cells(self, table: TableRef, cells: Iterable[tuple[str, str]], timestamp: int,
                     concurrency: int = 32) -> int:
        from cassandra.concurrent import execute_concurrent_with_args

        stmt = self._prepare(f"DELETE FROM {self.physical(table)} USING TIMESTAMP ? WHERE key = ? AND column1 = ?")
        args = [(timestamp, text_to_blob(k), text_to_blob(c)) for k, c in cells]
        for ok, result in execute_concurrent_with_args(self.session, stmt, args, concurrency=concurrency,
                                                       raise_on_first_error=False):
            if not ok:
                raise ConnectionFailed(f"cassandra: delete in {table} failed ({_short(result)})")
        return len(args)

    def drop_keyspaces(self, keyspaces: Iterable[str]) -> None:
        for ks in keyspaces:
            self.session.execute(f"DROP KEYSPACE IF EXISTS {_quote(physical_keyspace(ks, self.prefix))}", timeout=120)

    def close(self) -> None:
        self._cluster.shutdown()


def refuse_unservable_pair(old: CassandraStore, new: CassandraStore) -> None:
    """Stop an ISSU copy between versions tfdata does not serve, before anything is written."""
    reason = sync_pair_refusal(old.server_version(), new.server_version())
    if reason:
        raise VersionNotServed(reason)


class PendingRead:
    """A read in flight; ``result()`` waits for its cells (multi-key reads come back in the order
    the keys were asked, not token order: callers that merge sort them)."""

    def __init__(self, future: ResponseFuture | None) -> None:
        self._future = future

    def result(self) -> list[Cell]:
        if self._future is None:
            return []
        return [Cell(blob_to_text(k), blob_to_text(c), v, ts)
                for k, c, v, ts in self._future.result() if v is not None]


def _unblock(outputs: "list[queue.Queue[_Chunk]]") -> None:
    """Empty the range queues, so producers blocked on a full one see the stop."""
    for out in outputs:
        try:
            while True:
                out.get_nowait()
        except queue.Empty:
            pass
