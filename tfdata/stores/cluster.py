"""A live cluster as one Source/Target: its Cassandra plus its ZooKeeper."""

from __future__ import annotations

from typing import Iterable, Iterator

from ..config import Profile
from ..model.cells import Cell, TableRef
from ..model.zk import ZNode
from .base import SourceInfo
from .cassandra import CassandraStore
from .zookeeper import ZookeeperStore


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
