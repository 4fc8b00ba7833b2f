"""A live cluster as one Source/Target: its Cassandra plus its ZooKeeper."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from ..config import Profile
from ..model.cells import Cell, TableRef
from ..model.zk import ZNode
from .base import SourceInfo, stream_into
from .snapshot.hashing import RangeHash, streamed_range_hashes
from .cassandra import CassandraStore
from .zookeeper import ZookeeperStore

if TYPE_CHECKING:
    from .rabbitmq import ChangeCapture
    from .snapshot.store import SnapshotWriter


class ClusterStore:
    def __init__(self, profile: Profile, with_zookeeper: bool = True, workers: int = 4) -> None:
        self.profile = profile
        self.info = SourceInfo("cluster", profile.name, profile.prefix)
        self.cassandra = CassandraStore(profile, workers=workers)
        try:
            self.zookeeper = ZookeeperStore(profile) if with_zookeeper else None
        except BaseException:
            self.cassandra.close()
            raise

    def tables(self) -> list[TableRef]:
        return self.cassandra.tables()

    def cells(self, tables: Iterable[TableRef] | None = None) -> Iterator[tuple[TableRef, Cell]]:
        return self.cassandra.cells(tables)

    def znodes(self) -> Iterator[ZNode]:
        return self.zookeeper.znodes() if self.zookeeper else iter(())

    def non_empty(self) -> list[str]:
        found = self.cassandra.non_empty()
        if self.zookeeper:
            found += self.zookeeper.non_empty()
        return found

    def snapshot_into(self, writer: SnapshotWriter, tables: list[TableRef], readers: int = 1,
                      on_cell: Callable[[], None] | None = None, meanwhile: Callable[[], None] | None = None) -> None:
        """Cells into a snapshot writer; with ``readers`` > 1 read by that many processes, each
        taking an interleaved share of the token ranges, while ``meanwhile`` runs here."""
        if readers <= 1:
            stream_into(self, writer, tables, on_cell, meanwhile)
            return
        from .snapshot.parallel import read_in_parallel

        read_in_parallel(self.profile, writer, tables, readers, on_cell, meanwhile=meanwhile)
        for table, cell in self.cassandra.empty_rows(tables):
            writer.add_cell(table, cell)

    def watch_changes(self) -> ChangeCapture:
        """A ChangeCapture on this cluster's broker: the changes made from now on."""
        from .rabbitmq import ChangeCapture

        return ChangeCapture(self.profile.rabbitmq, f"rabbitmq of profile '{self.profile.name}'")

    def row_cells(self, table: TableRef, key: str) -> list[Cell]:
        return self.cassandra.row_cells(table, key)

    def facts(self) -> dict[str, str]:
        """What a snapshot's manifest records about the source besides its data."""
        try:
            return {"cassandra_version": self.cassandra.server_version(), "cassandra_layout": self.cassandra.layout()}
        except Exception:  # a fact for the reader, never a reason to fail the snapshot
            return {}

    # ------------------------------------------------------------------ as a Target
    def range_hashes(self, tables: Iterable[TableRef] | None = None) -> dict[TableRef, dict[int, RangeHash]]:
        """Per-range hashes computed by streaming the tables (a snapshot stores them)."""
        return streamed_range_hashes(self.cells, list(tables) if tables is not None else self.tables())

    def prepare_tables(self, tables: Iterable[TableRef]) -> None:
        """Create the tables that do not exist yet (TF's layout for this Cassandra version)."""
        self.cassandra.ensure_tables(tables)

    def clear_tables(self, tables: Iterable[TableRef] | None = None) -> None:
        """Empty these tables (all TF tables when None), and forget what was recorded beside them.
        Tables that are already empty are not truncated (TRUNCATE costs a flush on every node)."""
        tables = list(tables) if tables is not None else None
        existing = self.cassandra.tables()
        chosen = existing if tables is None else [t for t in tables if t in set(existing)]
        holding = set(self.cassandra.non_empty(chosen))
        self.cassandra.truncate([t for t in chosen if f"cassandra {t}" in holding])
        if tables is None:
            self.cassandra.clear_irregularities()
        else:
            for table in tables:
                self.cassandra.clear_irregularities_of(table)

    def write_cells(self, table: TableRef, cells: Iterable[Cell]) -> int:
        """Write cells; what Cassandra cannot hold as such (a literal's kind, a row without cells)
        is recorded beside the tables, so that reading the cluster gives the same cells back."""
        irregular: list[Cell] = []

        def noting() -> Iterator[Cell]:
            for cell in cells:
                if cell.literal or cell.column is None:
                    irregular.append(cell)
                yield cell
        written = self.cassandra.write_cells(table, noting())
        if irregular:
            self.cassandra.record_irregularities(table, irregular)
        return written

    def replace_znodes(self, nodes: Iterable[ZNode]) -> int:
        """The TF trees replaced by ``nodes`` (nothing when the store was opened without ZooKeeper)."""
        if not self.zookeeper:
            return 0
        self.zookeeper.delete_tf_trees()
        return self.zookeeper.write_znodes(nodes)

    def close(self) -> None:
        try:
            self.cassandra.close()
        finally:
            if self.zookeeper:
                self.zookeeper.close()

    def __enter__(self) -> "ClusterStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
