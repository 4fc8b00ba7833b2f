"""What the ISSU stage checks ask of one cluster, answered from its live services.

Each question opens (once) only the service it needs, so a check of the batch-job leaders works
while Cassandra is down, and each failure names the service and the profile. Answers are plain
values from tfdata.model: the checks (tfdata/sync/stage_checks.py) never see a driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..config import Profile
from ..errors import ConnectionFailed
from ..model.cells import TableRef
from ..model.fqname import split_fq_name_column
from ..model.keyspaces import CONFIG_KEYSPACE, FQ_NAME_TABLE, TF_KEYSPACES, UUID_TABLE, physical_keyspace
from ..model.objects import TfObject, decode_row

FQ_REF = TableRef(CONFIG_KEYSPACE, FQ_NAME_TABLE)
UUID_REF = TableRef(CONFIG_KEYSPACE, UUID_TABLE)


@dataclass(frozen=True)
class Contender:
    """One ephemeral child of an election path: its name, data (the contender's id) and session."""

    path: str
    identifier: str
    session: int


@dataclass(frozen=True)
class CassandraNode:
    address: str
    up: bool
    release: str | None


@dataclass(frozen=True)
class Replication:
    keyspace: str  # logical name
    strategy: str
    factors: dict[str, int]  # replication factor per data centre ("" for SimpleStrategy)


class ClusterProbe:
    """Questions about one cluster, each answered from the service it is about."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._zk: Any = None
        self._cassandra: Any = None
        self._failed: dict[str, ConnectionFailed] = {}

    # ------------------------------------------------------------------ ZooKeeper
    def _zookeeper(self) -> Any:
        if self._zk is None:
            from .zookeeper import connect

            self._zk = self._once("zookeeper", lambda: connect(self.profile.zookeeper,
                                                               f"zookeeper of profile '{self.profile.name}'"))
        return self._zk

    def _once(self, service: str, opening: Callable[[], Any]) -> Any:
        """Open a service; one that failed fails again at once (no second connect timeout)."""
        if service in self._failed:
            raise self._failed[service]
        try:
            return opening()
        except ConnectionFailed as exc:
            self._failed[service] = exc
            raise

    def contenders(self, path: str) -> list[Contender]:
        """The ephemeral children of an election path, in no particular order."""
        from kazoo.exceptions import NoNodeError

        client = self._zookeeper()
        try:
            names = client.get_children(path)
        except NoNodeError:
            return []
        found = []
        for name in names:
            try:
                data, stat = client.get(f"{path.rstrip('/')}/{name}")
            except NoNodeError:
                continue  # the contender left while we looked
            if stat.ephemeralOwner:
                found.append(Contender(f"{path.rstrip('/')}/{name}", data.decode("utf-8", "replace"),
                                       stat.ephemeralOwner))
        return found

    def zookeeper_mode(self) -> str | None:
        """The server's role (standalone, leader, follower) from 'srvr', or None when the server
        does not allow that four-letter command. Answering at all means it has a quorum."""
        client = self._zookeeper()
        client.exists("/")  # a server without a quorum refuses requests: this fails first
        try:
            reply = client.command(b"srvr")
        except Exception:  # kazoo raises assorted errors when 4lw commands are not whitelisted
            return None
        for line in reply.splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
        return None

    # ------------------------------------------------------------------ Cassandra
    def _store(self) -> Any:
        if self._cassandra is None:
            from .cassandra import CassandraStore

            self._cassandra = self._once("cassandra", lambda: CassandraStore(self.profile, workers=1))
        return self._cassandra

    def cassandra_nodes(self) -> list[CassandraNode]:
        hosts = self._store().session.cluster.metadata.all_hosts()
        return sorted((CassandraNode(str(h.address), bool(h.is_up), str(h.release_version) if h.release_version
                                     else None) for h in hosts), key=lambda n: n.address)

    def replication(self) -> list[Replication]:
        """The replication of each TF keyspace that exists on the cluster."""
        keyspaces = self._store().session.cluster.metadata.keyspaces
        out = []
        for logical in TF_KEYSPACES:
            meta = keyspaces.get(physical_keyspace(logical, self.profile.prefix))
            if meta is not None:
                out.append(_replication(logical, meta.replication_strategy))
        return out

    def objects(self, obj_type: str) -> list[TfObject]:
        """Every object of a type, found through its fq-name index row (small types only: node
        and router objects)."""
        store = self._store()
        if FQ_REF not in set(store.tables()):
            return []
        uuids = [split[1] for cell in store.row_cells(FQ_REF, obj_type)
                 if (split := split_fq_name_column(cell.column))]
        rows = ((uuid, store.row_cells(UUID_REF, uuid)) for uuid in uuids)
        return [decode_row(uuid, cells) for uuid, cells in rows if cells]

    # ------------------------------------------------------------------ RabbitMQ
    def queue_depth(self, queue: str) -> int | None:
        """Messages ready in a queue of the broker; None when there is no such queue."""
        from pika.exceptions import ChannelClosedByBroker

        from .rabbitmq import connect

        conn = connect(self.profile.rabbitmq, f"rabbitmq of profile '{self.profile.name}'")
        try:
            try:
                return int(conn.channel().queue_declare(queue, passive=True).method.message_count)
            except ChannelClosedByBroker:
                return None
        finally:
            if conn.is_open:
                conn.close()

    def rabbitmq_answers(self) -> None:
        """Connect to the broker and leave: raises ConnectionFailed when it does not answer."""
        from .rabbitmq import connect

        connect(self.profile.rabbitmq, f"rabbitmq of profile '{self.profile.name}'").close()

    def close(self) -> None:
        if self._zk is not None:
            self._zk.stop()
            self._zk.close()
            self._zk = None
        if self._cassandra is not None:
            self._cassandra.close()
            self._cassandra = None

    def __enter__(self) -> "ClusterProbe":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _replication(keyspace: str, strategy: Any) -> Replication:
    """The driver's strategy object as names and numbers."""
    name = type(strategy).__name__
    if hasattr(strategy, "dc_replication_factors"):
        return Replication(keyspace, name, {dc: int(rf) for dc, rf in strategy.dc_replication_factors.items()})
    return Replication(keyspace, name, {"": int(getattr(strategy, "replication_factor", 1))})
