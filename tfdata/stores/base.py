"""The one streaming interface every store implements.

A source yields cells table by table, each row's cells contiguous and in column byte order, and
znodes in pre-order (parents before children). Nothing here requires a whole table in memory.
A target takes batches of cells and znodes. Operations (export, load, snapshot, diff, audit,
sync) are written against these protocols only.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Protocol, TypeVar, runtime_checkable

from ..model.cells import Cell, TableRef
from ..model.zk import ZNode


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

    def close(self) -> None: ...


class Target(Protocol):
    def non_empty(self) -> list[str]:
        """Names of TF tables / ZooKeeper trees that already hold data (empty list: safe to load)."""

    def write_cells(self, table: TableRef, cells: Iterable[Cell]) -> int: ...

    def write_znodes(self, nodes: Iterable[ZNode]) -> int: ...

    def close(self) -> None: ...


S = TypeVar("S")


@contextmanager
def opened_pair(open_store: Callable[[object], S], old: object, new: object) -> Iterator[tuple[S, S]]:
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
