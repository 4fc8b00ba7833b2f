"""Health of the servers behind a live cluster source: db_manage's check_zk_mode_and_node_count and
check_cassandra_keyspace_replication. Dumps and snapshots have no servers; the family is silent.

Differences from upstream, to avoid its false positives and crashes: ZooKeeper is asked with
``srvr`` (the one four-letter word 3.5+ allows by default; upstream's ``stat`` is usually
refused), observers are accepted, node counts that differ are a warning (they move under write
load), and the replication factor is compared with the nodes of the ring, not with the length of
a configured server list; NetworkTopologyStrategy keyspaces are described, not a crash.
"""

from __future__ import annotations

import socket

from ..model.keyspaces import TF_KEYSPACES, physical_keyspace
from .base import AuditContext, Family
from .findings import ERROR, WARNING, check

ZK_MODE = check(
    "cluster.zk_mode", ERROR, "ZooKeeper ensemble not in a working mode (standalone, or one leader + followers)",
    "restore the ensemble (every listed server up, one leader) before migrating")
ZK_NODE_COUNT = check(
    "cluster.zk_node_count", WARNING, "ZooKeeper servers disagree on the number of znodes",
    "audit again on a quiet system; a lasting difference means a server is out of sync")
REPLICATION_FACTOR = check(
    "cluster.replication_factor", WARNING, "keyspace replication factor differs from the nodes of the ring",
    "ALTER KEYSPACE ... replication_factor to the number of nodes (contrail services set it at start-up)")
REPLICATION_TOO_HIGH = check(
    "cluster.replication_too_high", ERROR, "keyspace replication factor above the number of nodes: QUORUM fails",
    "lower the replication factor or add nodes")

FOUR_LETTER_TIMEOUT = 2.0


def zk_servers(hosts: str) -> list[tuple[str, int]]:
    """'a:2181,b:2182/chroot' -> [('a', 2181), ('b', 2182)]."""
    servers = []
    for item in hosts.split("/", 1)[0].split(","):
        host, sep, port = item.strip().rpartition(":")
        if not item.strip():
            continue
        servers.append((host, int(port)) if sep and port.isdigit() else (item.strip(), 2181))
    return servers


def four_letter_word(host: str, port: int, word: bytes = b"srvr", timeout: float = FOUR_LETTER_TIMEOUT) -> str:
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(word)
        chunks = []
        while True:
            data = conn.recv(4096)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


def parse_srvr(text: str) -> dict:
    """{'mode': ..., 'node_count': ...} from srvr/stat output; {'refused': reason} when the server
    does not allow the command."""
    if "not in the whitelist" in text or "not executed" in text:
        return {"refused": text.strip().splitlines()[0] if text.strip() else "refused"}
    state: dict = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        if key.strip() == "Mode":
            state["mode"] = value.strip()
        elif key.strip() == "Node count":
            state["node_count"] = int(value.strip()) if value.strip().isdigit() else None
    return state


def judge_ensemble(states: dict[str, dict]) -> list[tuple]:
    """(check, detail) for the states of every listed server ({'error': ...} when unreachable)."""
    problems = []
    reachable = {server: s for server, s in states.items() if "mode" in s}
    for server, state in states.items():
        if "error" in state:
            problems.append((ZK_MODE, f"{server}: unreachable ({state['error']})"))
    modes = {server: s["mode"] for server, s in reachable.items()}
    if len(states) == 1:
        problems += [(ZK_MODE, f"{server}: mode {mode}, a single server must be standalone")
                     for server, mode in modes.items() if mode != "standalone"]
    elif modes:
        leaders = [server for server, mode in modes.items() if mode == "leader"]
        odd = {server: mode for server, mode in modes.items() if mode not in ("leader", "follower", "observer")}
        if len(leaders) != 1:
            problems.append((ZK_MODE, f"{len(leaders)} leaders among {', '.join(sorted(modes))}"))
        problems += [(ZK_MODE, f"{server}: mode {mode} in an ensemble") for server, mode in odd.items()]
    counts = {server: s.get("node_count") for server, s in reachable.items() if s.get("node_count") is not None}
    if len(set(counts.values())) > 1:
        problems.append((ZK_NODE_COUNT, ", ".join(f"{server}: {count}" for server, count in sorted(counts.items()))))
    return problems


def judge_replication(keyspace: str, replication: dict, nodes: int) -> list[tuple]:
    """(check, detail) for one keyspace's replication map against the size of the ring."""
    strategy = replication.get("class", "").rsplit(".", 1)[-1]
    if strategy != "SimpleStrategy":
        factors = {dc: rf for dc, rf in replication.items() if dc != "class"}
        total = sum(int(rf) for rf in factors.values() if str(rf).isdigit())
        if total > nodes:
            return [(REPLICATION_TOO_HIGH, f"{keyspace}: {strategy} {factors} asks for {total} copies, "
                                           f"the ring has {nodes} nodes")]
        return []
    factor = int(replication.get("replication_factor", 0))
    if factor > nodes:
        return [(REPLICATION_TOO_HIGH, f"{keyspace}: replication factor {factor}, the ring has {nodes} nodes")]
    if factor != nodes:
        return [(REPLICATION_FACTOR, f"{keyspace}: replication factor {factor}, the ring has {nodes} nodes")]
    return []


class ClusterChecks(Family):
    prefixes = ("cluster",)

    def finish(self, ctx: AuditContext) -> None:
        profile = getattr(ctx.source, "profile", None)
        if profile is None:
            return  # a dump or a snapshot: no servers to ask
        cassandra = getattr(ctx.source, "cassandra", None)
        if cassandra is not None:
            self._replication(ctx, cassandra, profile)
        if getattr(ctx.source, "zookeeper", None) is not None:
            self._ensemble(ctx, profile)

    @staticmethod
    def _replication(ctx: AuditContext, cassandra, profile) -> None:
        session = cassandra.session
        nodes = len(session.cluster.metadata.all_hosts())
        ours = {physical_keyspace(ks, profile.prefix) for ks in TF_KEYSPACES}
        for row in session.execute("SELECT keyspace_name, replication FROM system_schema.keyspaces"):
            if row.keyspace_name in ours:
                for declared, detail in judge_replication(row.keyspace_name, dict(row.replication), nodes):
                    ctx.emit(declared, detail, path=f"cassandra:{row.keyspace_name}")

    @staticmethod
    def _ensemble(ctx: AuditContext, profile) -> None:
        if profile.zookeeper.tls.enabled:
            ctx.skipped("ZooKeeper ensemble check", "four-letter words are not sent over TLS")
            return
        states: dict[str, dict] = {}
        for host, port in zk_servers(profile.zookeeper.hosts):
            server = f"{host}:{port}"
            try:
                states[server] = parse_srvr(four_letter_word(host, port))
            except OSError as exc:
                states[server] = {"error": exc.strerror or exc.__class__.__name__}
        refused = [server for server, state in states.items() if "refused" in state]
        if refused:
            ctx.skipped("ZooKeeper ensemble check", f"{', '.join(refused)} refused 'srvr' (4lw.commands.whitelist)")
            return
        for declared, detail in judge_ensemble(states):
            ctx.emit(declared, detail, path=f"zookeeper:{profile.zookeeper.hosts}")
