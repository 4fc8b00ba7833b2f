"""The one streaming interface every store implements.

A source yields cells table by table, each row's cells contiguous and in column byte order, and
znodes in pre-order (parents before children). Nothing here requires a whole table in memory.
A target takes batches of cells and znodes. Operations (export, load, snapshot, diff, audit,
sync) are written against these protocols only. The sync steps need more of a live cluster than a
source gives (rows read by key, mutations, znode transactions): RowStore, ZnodeStore and
LiveCluster say what.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol, TypeVar, runtime_checkable

from ..model.cells import Cell, TableRef
from ..model.zk import ZNode

if TYPE_CHECKING:
    from ..config import Profile
    from .snapshot.hashing import RangeHash
    from .snapshot.store import SnapshotWriter


@dataclass(slots=True)
class SourceInfo:
    kind: str  # cluster | dump | snapshot
    location: str  # profile name, file path
    prefix: str | None = None


@runtime_checkable
class Source(Protocol):
    info: SourceInfo

    def tables(self) -> list[TableRef]:
        """Tables present, in a stable order (keyspace order of KNOWN_TABLES, then name)."""

    def cells(self, tables: Iterable[TableRef] | None = None) -> Iterator[tuple[TableRef, Cell]]:
        """Every cell of the given tables (all when None), table by table, rows contiguous."""

    def znodes(self) -> Iterator[ZNode]:
        """Every znode of the TF trees, parents first."""

    def range_hashes(self, tables: Iterable[TableRef] | None = None) -> "dict[TableRef, dict[int, RangeHash]]":
        """Per-token-range hashes of the tables' cells (stored in a snapshot, streamed elsewhere)."""

    def snapshot_into(self, writer: Any, tables: list[TableRef], readers: int = 1,
                      on_cell: Callable[[], None] | None = None, meanwhile: Callable[[], None] | None = None) -> None:
        """The tables' cells into a snapshot writer; ``meanwhile`` (the ZooKeeper walk) runs once."""

    def close(self) -> None: ...


@runtime_checkable
class LiveSource(Source, Protocol):
    """A source that changes while it is read (a live cluster): what consistent snapshots need."""

    def watch_changes(self) -> Any:
        """A capture of the changes made from now on (drain(), close())."""

    def row_cells(self, table: TableRef, key: str) -> list[Cell]: ...

    def facts(self) -> dict[str, str]:
        """What a snapshot's manifest records about the source besides its data."""


class Target(Source, Protocol):
    """A store that can be written (a live cluster): load and restore use only these."""

    def non_empty(self) -> list[str]:
        """Names of TF tables / ZooKeeper trees that already hold data (empty list: safe to load)."""

    def prepare_tables(self, tables: Iterable[TableRef]) -> None:
        """Create the tables that do not exist yet."""

    def clear_tables(self, tables: Iterable[TableRef] | None = None) -> None:
        """Empty these tables (all when None)."""

    def write_cells(self, table: TableRef, cells: Iterable[Cell]) -> int: ...

    def replace_znodes(self, nodes: Iterable[ZNode]) -> int:
        """Replace the TF trees by ``nodes``."""


class RowMutations(Protocol):
    """One table's share of a mutate() round (the sync steps' Actions): what to write and delete."""

    writes: list[Cell]
    cell_deletes: list[tuple[str, str, int]]  # key, column, timestamp
    row_deletes: list[tuple[str, int]]  # key, timestamp


class PendingCells(Protocol):
    """A read in flight: the sync steps put every read of a change on the wire before waiting."""

    def result(self) -> list[Cell]:
        """The cells read (multi-key reads in the order the keys were asked, not token order)."""


class RowStore(Protocol):
    """A live cluster's Cassandra as the sync steps use it (CassandraStore): rows read by key,
    by token range or a few columns at a time, and writes and deletes that carry their own write
    times (so a copy keeps OLD's)."""

    profile: Profile

    def tables(self) -> list[TableRef]: ...

    def ensure_tables(self, tables: Iterable[TableRef]) -> None:
        """Create the tables that do not exist yet."""

    def has_rows(self, table: TableRef) -> bool: ...

    def token_range_cells(self, table: TableRef, lo: int, hi: int) -> Iterator[Cell]:
        """Cells with lo <= token(key) <= hi, in Cassandra's order (token, key bytes, column bytes)."""

    def column_writetimes(self, table: TableRef, column: str, lo: int, hi: int) -> Iterator[tuple[str, int | None]]:
        """(key, write time) of one named cell in every row of a token range."""

    def row_cells(self, table: TableRef, key: str) -> list[Cell]: ...

    def cells_of_row(self, table: TableRef, key: str, columns: list[str]) -> list[Cell]: ...

    def read_async(self, table: TableRef, keys: list[str], columns: list[str] | None = None) -> PendingCells:
        """Start reading rows ``keys`` (all cells, or only ``columns``) without waiting."""

    def write_cells(self, table: TableRef, cells: Iterable[Cell]) -> int: ...

    def mutate(self, changes: Iterable[tuple[TableRef, RowMutations]]) -> None:
        """Writes and deletes of several tables in one round trip; each carries its own timestamp."""


# One difference to apply: ("create" | "set" | "delete", absolute path, data; empty for a delete).
ZnodeChange = tuple[str, str, bytes]


class ZnodeTree(Protocol):
    def walk(self, root: str) -> Iterator[ZNode]:
        """The tree under ``root``, root first, level by level, each node's children sorted by name."""


class ZnodeStore(ZnodeTree, Protocol):
    """A live cluster's ZooKeeper as zk-sync and verify use it (ZookeeperStore)."""

    prefix: str | None

    def node_data(self, path: str) -> bytes | None:
        """One node's data; None when there is no such node."""

    def make_path(self, path: str) -> None:
        """Create ``path`` and its missing ancestors; nothing when it exists."""

    def apply_changes(self, changes: list[ZnodeChange]) -> None: ...


class LiveCluster(Source, Protocol):
    """A live cluster as verify reads it (ClusterStore): one source for the diff, and its Cassandra
    and ZooKeeper apart for re-reading and repairing single differences."""

    @property
    def cassandra(self) -> RowStore: ...

    @property
    def zookeeper(self) -> ZnodeStore | None:
        """None when the cluster was opened without ZooKeeper."""


class Closable(Protocol):
    def close(self) -> None: ...


S = TypeVar("S", bound=Closable)
P = TypeVar("P")


@contextmanager
def opened_pair(open_store: Callable[[P], S], old: P, new: P) -> Iterator[tuple[S, S]]:
    """Both sides' stores (``open_store(old)`` first), closed on the way out, new before old;
    when new cannot be opened, old is closed before the error goes up."""
    old_store = open_store(old)
    try:
        new_store = open_store(new)
        try:
            yield old_store, new_store
        finally:
            new_store.close()
    finally:
        old_store.close()


def table_order(tables: Iterable[TableRef]) -> list[TableRef]:
    from ..model.keyspaces import KNOWN_TABLES

    ks_rank = {ks: i for i, ks in enumerate(KNOWN_TABLES)}

    def rank(t: TableRef) -> tuple:
        known = KNOWN_TABLES.get(t.keyspace, ())
        return (ks_rank.get(t.keyspace, len(ks_rank)), t.keyspace,
                known.index(t.table) if t.table in known else len(known), t.table)

    return sorted(set(tables), key=rank)


def stream_into(source: Source, writer: SnapshotWriter, tables: list[TableRef],
                on_cell: Callable[[], None] | None = None, meanwhile: Callable[[], None] | None = None) -> None:
    """Copy a source's cells into a snapshot writer in one stream, then run ``meanwhile`` (the
    ZooKeeper walk): what every store but a live cluster does for a snapshot."""
    for table, cell in source.cells(tables):
        writer.add_cell(table, cell)
        if on_cell:
            on_cell()
    if meanwhile:
        meanwhile()
