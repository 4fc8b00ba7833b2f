"""The checks an ISSU needs around the copy, as findings: before pre-sync ("pre"), before the
final post-sync and zk-sync ("final"), and after the switch to the new controllers ("cutover").

Each check reads one fact from a ClusterProbe (tfdata/stores/probe.py) and decides here, so the
rules are plain functions over values. Why each check exists and what each stage expects:
docs/design/stage-checks.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Protocol

from ..audit.findings import ERROR, INFO, SEVERITY_RANK, WARNING, Check, Finding
from ..config import Profile
from ..errors import TfdataError
from ..model.objects import TfObject
from ..stores.probe import CassandraNode, Contender, Replication
from .run import DEFAULT_QUEUE

STAGES = ("pre", "final", "cutover")
BATCH_JOBS = ("schema-transformer", "svc-monitor", "device-manager")  # must run on one side only
KUBE_MANAGER = "kube-manager"

# node roles: the object type and where its address is
NODE_ROLES = {
    "config": ("config_node", "config_node_ip_address"),
    "database": ("database_node", "database_node_ip_address"),
    "analytics": ("analytics_node", "analytics_node_ip_address"),
    "control": ("bgp_router", "bgp_router_parameters.address"),
}

CHECKS: dict[str, Check] = {}


def _check(id: str, severity: str, title: str, repair: str) -> Check:
    CHECKS[id] = Check(id, severity, title, repair)
    return CHECKS[id]


LEADER_ON_NEW = _check("leader.on_new", ERROR, "a batch job already runs on the new cluster",
                       "stop schema-transformer, svc-monitor, device-manager and kube-manager on the new "
                       "controllers until the cut-over")
LEADER_MISSING = _check("leader.missing_on_new", ERROR, "a batch job has no leader on the new cluster",
                        "start it on the new controllers")
KUBE_MISSING = _check("leader.kube_manager_missing_on_new", INFO, "no kube-manager leader on the new cluster",
                      "start kube-manager on the new controllers if the cluster serves Kubernetes")
LEADER_ON_OLD = _check("leader.on_old", ERROR, "a batch job still runs on the old cluster",
                       "stop it on the old controllers: two leaders would both write the config")
CONTROL_UNREGISTERED = _check(
    "control.unregistered", ERROR, "a new control node is not registered in the old cluster",
    "provision_control.py --router_asn <ASN> --host_ip <address> --oper add on the old cluster")
NODES_UNLISTED = _check("nodes.unlisted", WARNING, "the new profile lists no nodes of this role: not checked",
                        "add the addresses under [profiles.<new>.nodes] (or <side>_<role>_list in "
                        "contrail-issu.conf)")
NODE_OF_OLD = _check("nodes.old_still_registered", ERROR, "a node object names a host the new profile does not list",
                     "provision_issu.py (or delete the object): the old node must not stay registered")
NODE_MISSING = _check("nodes.new_not_registered", ERROR, "a new host has no node object",
                      "provision_issu.py registers the new nodes")
SERVICE_DOWN = _check("service.unreachable", ERROR, "a service of the cluster does not answer",
                      "start it, or fix the profile")
OLD_GONE = _check("service.old_unreachable", WARNING, "a service of the old cluster does not answer after the "
                  "switch: what it would show is not checked", "none needed if the old cluster is retired")
BROKER = _check("rabbitmq.answers", INFO, "the RabbitMQ broker answers", "")
CASSANDRA_ANSWERS = _check("cassandra.answers", INFO, "Cassandra answers", "")
CASSANDRA_NODE_DOWN = _check("cassandra.node_down", WARNING, "a Cassandra node is down",
                             "bring it back before the next step: one more failure loses the quorum")
CASSANDRA_NO_QUORUM = _check("cassandra.no_quorum", ERROR, "too few Cassandra replicas are up for QUORUM",
                             "bring the nodes back")
REPLICATION_LOW = _check("cassandra.replication_low", WARNING,
                         "a keyspace has fewer replicas than the cluster has nodes (at most 3)",
                         "ALTER KEYSPACE … WITH replication, then nodetool repair")
REPLICATION_HIGH = _check("cassandra.replication_above_nodes", ERROR,
                          "a keyspace asks for more replicas than the cluster has nodes",
                          "lower its replication factor: QUORUM writes cannot succeed")
ZK_MODE = _check("zookeeper.mode", INFO, "the ZooKeeper server's role", "")
QUEUE_WAITING = _check("queue.waiting", ERROR, "run-sync has not applied every change yet",
                       "let `tfdata sync run` drain the queue (and stop config changes) before post-sync")
QUEUE_LEFT = _check("queue.exists", INFO, "a run-sync queue already exists on the old broker",
                    "sync pre reuses it; delete it first (sync run --delete-queue) to start clean")
QUEUE_MISSING = _check("queue.missing", ERROR, "the run-sync queue does not exist on the old broker",
                       "changes made since pre-sync were not kept: run sync pre again, or the whole copy")
DEAD_LETTERS = _check("queue.dead_letters", ERROR, "run-sync dead-lettered changes",
                      "inspect QUEUE.dead; sync verify --repair, or sync post, repairs the objects")


class Probe(Protocol):
    """What the checks ask of one cluster (tfdata.stores.probe.ClusterProbe answers it)."""

    def contenders(self, path: str) -> list[Contender]: ...
    def zookeeper_mode(self) -> str | None: ...
    def cassandra_nodes(self) -> list[CassandraNode]: ...
    def replication(self) -> list[Replication]: ...
    def objects(self, obj_type: str) -> list[TfObject]: ...
    def queue_depth(self, queue: str) -> int | None: ...
    def rabbitmq_answers(self) -> None: ...


@dataclass
class Side:
    """One cluster as the checks see it: its profile's name, prefix and listed nodes, and a probe."""

    name: str
    probe: Probe
    prefix: str | None = None
    nodes: dict[str, list[str]] = field(default_factory=dict)
    kube_cluster_name: str = "k8s"

    @classmethod
    def of(cls, profile: Profile, probe: Probe) -> "Side":
        return cls(profile.name, probe, profile.prefix, dict(profile.nodes), profile.kube_cluster_name)


@dataclass
class StageCheckResult:
    stage: str
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    def summary(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITY_RANK}

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "ok": self.errors == 0, "summary": self.summary(),
                "findings": [f.as_dict() for f in self.findings]}


def election_paths(side: Side) -> dict[str, str]:
    """Where each batch job elects its leader, as kazoo resolves the path the job builds
    (a relative path becomes absolute, '//' collapses)."""
    base = f"/{side.prefix}" if side.prefix else ""
    paths = {job: f"{base}/{job}" for job in BATCH_JOBS}
    paths[KUBE_MANAGER] = f"{base}/{side.kube_cluster_name}/{KUBE_MANAGER}"
    return paths


def _found(check: Check, detail: str, side: Side, **where: Any) -> Finding:
    return Finding(check.id, check.severity, " ".join(detail.split()), check.repair, cluster=side.name, **where)


def lock_sequence(contender: Contender) -> int:
    """The sequence number kazoo's lock recipe appends ('…__lock__0000000007'): the lowest leads."""
    tail = contender.path.rsplit("__lock__", 1)[-1]
    return int(tail) if "__lock__" in contender.path and tail.isdigit() else 1 << 62


def _contenders(side: Side) -> Iterator[tuple[str, list[Contender]]]:
    """Each job's contenders, the leader first."""
    for job, path in election_paths(side).items():
        yield job, sorted(side.probe.contenders(path), key=lambda c: (lock_sequence(c), c.path))


def _who(contenders: list[Contender]) -> str:
    return ", ".join(f"{c.identifier or '?'} (session 0x{c.session:x})" for c in contenders)


def leaders_absent(side: Side, check: Check) -> Iterator[Finding]:
    for job, contenders in _contenders(side):
        if contenders:
            yield _found(check, f"{job} has {len(contenders)} contender(s), leader {_who(contenders[:1])}; "
                         f"all: {_who(contenders)}", side, path=contenders[0].path.rsplit("/", 1)[0])


def leaders_present(side: Side) -> Iterator[Finding]:
    for job, contenders in _contenders(side):
        if not contenders:
            check = KUBE_MISSING if job == KUBE_MANAGER else LEADER_MISSING
            yield _found(check, f"no contender under {election_paths(side)[job]}", side,
                         path=election_paths(side)[job])


def _address(obj: TfObject, where: str) -> str | None:
    prop, _, key = where.partition(".")
    value = obj.props.get(prop)
    if key:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def _control_nodes(objects: list[TfObject]) -> list[TfObject]:
    def router_type(obj: TfObject) -> Any:
        params = obj.props.get("bgp_router_parameters")
        return params.get("router_type") if isinstance(params, dict) else None
    return [o for o in objects if router_type(o) == "control-node"]


def _asn(objects: list[TfObject]) -> int | None:
    """The cluster's ASN (global_system_config), when there is exactly one."""
    values = {value for o in objects if isinstance(value := o.props.get("autonomous_system"), int)}
    return next(iter(values)) if len(values) == 1 else None


def control_nodes_registered(old: Side, new: Side) -> Iterator[Finding]:
    """Each control node the new profile lists is a control-node bgp_router of the old cluster,
    with its address and the cluster's ASN (else the old and new control nodes do not peer)."""
    listed = new.nodes.get("control") or []
    if not listed:
        yield _found(NODES_UNLISTED, "no control nodes listed: their registration in the old cluster is not "
                     "checked", new)
        return
    routers = _control_nodes(old.probe.objects("bgp_router"))
    asn = _asn(old.probe.objects("global_system_config"))
    for address in listed:
        matching = [r for r in routers if _address(r, NODE_ROLES["control"][1]) == address]
        if not matching:
            yield _found(CONTROL_UNREGISTERED, f"no control-node bgp_router with address {address} in {old.name}",
                         new)
            continue
        router_asn = (matching[0].props.get("bgp_router_parameters") or {}).get("autonomous_system")
        if asn is not None and router_asn != asn:
            yield _found(CONTROL_UNREGISTERED, f"bgp_router {':'.join(matching[0].fq_name or [])} for {address} "
                         f"has ASN {router_asn}, the cluster's is {asn}", new, uuid=matching[0].uuid,
                         type="bgp_router", fq_name=matching[0].fq_name)


def nodes_are_new(new: Side) -> Iterator[Finding]:
    """After the switch, every node object of the roles the new profile lists names a new host,
    and every listed host has one."""
    for role, (obj_type, where) in NODE_ROLES.items():
        listed = set(new.nodes.get(role) or [])
        if not listed:
            yield _found(NODES_UNLISTED, f"no {role} nodes listed: {obj_type} objects not checked", new)
            continue
        objects = new.probe.objects(obj_type)
        if role == "control":
            objects = _control_nodes(objects)
        seen = set()
        for obj in objects:
            address = _address(obj, where)
            seen.add(address)
            if address not in listed:
                yield _found(NODE_OF_OLD, f"{obj_type} {':'.join(obj.fq_name or [])} has address {address}, "
                             f"not one of the new {role} nodes", new, uuid=obj.uuid, type=obj_type,
                             fq_name=obj.fq_name)
        for address in sorted(listed - seen):
            yield _found(NODE_MISSING, f"no {obj_type} with address {address}", new)


def cassandra_health(side: Side) -> Iterator[Finding]:
    nodes = side.probe.cassandra_nodes()
    down = [n for n in nodes if not n.up]
    releases = sorted({n.release for n in nodes if n.release})
    yield _found(CASSANDRA_ANSWERS, f"Cassandra {', '.join(releases) or '(release unknown)'}: "
                 f"{len(nodes) - len(down)} of {len(nodes)} node(s) up", side)
    for node in down:
        yield _found(CASSANDRA_NODE_DOWN, f"Cassandra node {node.address} is down ({len(nodes) - len(down)} of "
                     f"{len(nodes)} up)", side)
    for rep in side.probe.replication():
        rf = sum(rep.factors.values())
        if rf > len(nodes):
            yield _found(REPLICATION_HIGH, f"keyspace {rep.keyspace}: replication factor {rf}, {len(nodes)} "
                         "node(s)", side)
        elif rf < min(3, len(nodes)):
            yield _found(REPLICATION_LOW, f"keyspace {rep.keyspace}: replication factor {rf}, {len(nodes)} "
                         "nodes", side)
        quorum = rf // 2 + 1
        if len(down) > rf - quorum:  # a range whose replicas include the down nodes may lack a quorum
            yield _found(CASSANDRA_NO_QUORUM, f"keyspace {rep.keyspace}: replication factor {rf}, {len(down)} of "
                         f"{len(nodes)} nodes down: a range they hold may have fewer than {quorum} replica(s) up "
                         "(QUORUM)", side)


def zookeeper_health(side: Side) -> Iterator[Finding]:
    mode = side.probe.zookeeper_mode()
    yield _found(ZK_MODE, f"ZooKeeper answers ({mode or 'role not reported: srvr not allowed'})", side)


def broker_health(side: Side) -> Iterator[Finding]:
    side.probe.rabbitmq_answers()
    yield _found(BROKER, "RabbitMQ answers", side)


def queue_state(old: Side, stage: str, queue: str) -> Iterator[Finding]:
    depth = old.probe.queue_depth(queue)
    if stage == "pre":
        if depth is not None:
            yield _found(QUEUE_LEFT, f"queue {queue} holds {depth} message(s)", old)
        return
    if depth is None:
        yield _found(QUEUE_MISSING, f"no queue {queue}", old)
    elif depth:
        yield _found(QUEUE_WAITING, f"queue {queue} holds {depth} message(s) not yet applied", old)
    dead = old.probe.queue_depth(f"{queue}.dead")
    if dead:
        yield _found(DEAD_LETTERS, f"queue {queue}.dead holds {dead} message(s)", old)


def _guarded(side: Side, service: str, checks: Callable[[], Iterator[Finding]],
             unreachable: Check = SERVICE_DOWN) -> list[Finding]:
    """A check whose service does not answer becomes one finding naming it, and the others go on."""
    try:
        return list(checks())
    except TfdataError as exc:
        reason = str(exc)
    except Exception as exc:  # the drivers' own errors (timeouts, lost sessions)
        reason = f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
    return [_found(unreachable, f"{service}: {reason}", side)]


def _health(side: Side) -> list[Finding]:
    """Whether each service of one cluster answers, and how it stands."""
    return (_guarded(side, "zookeeper", lambda: zookeeper_health(side))
            + _guarded(side, "cassandra", lambda: cassandra_health(side))
            + _guarded(side, "rabbitmq", lambda: broker_health(side)))


def stage_findings(stage: str, old: Side | None, new: Side, queue: str = DEFAULT_QUEUE) -> list[Finding]:
    """Every finding of one stage. At the cut-over the old cluster may be retired: what cannot be
    read from it is a warning, and its health is not checked."""
    if stage not in STAGES:
        raise ValueError(stage)
    out: list[Finding] = []
    for side in ([old] if old is not None and stage != "cutover" else []) + [new]:
        out += _health(side)
    if stage in ("pre", "final"):
        out += _guarded(new, "zookeeper", lambda: leaders_absent(new, LEADER_ON_NEW))
        if old is not None:
            out += _guarded(old, "rabbitmq", lambda: queue_state(old, stage, queue))
    if stage == "pre" and old is not None:
        out += _guarded(old, "cassandra", lambda: control_nodes_registered(old, new))
    if stage == "cutover":
        out += _guarded(new, "zookeeper", lambda: leaders_present(new))
        if old is not None:
            out += _guarded(old, "zookeeper", lambda: leaders_absent(old, LEADER_ON_OLD), OLD_GONE)
        out += _guarded(new, "cassandra", lambda: nodes_are_new(new))
    return sorted(out, key=lambda f: (SEVERITY_RANK[f.severity], f.check))


def check_stage(stage: str, old: Profile, new: Profile, queue: str = DEFAULT_QUEUE) -> StageCheckResult:
    """Run one stage's checks against the live clusters of two profiles."""
    from ..stores.probe import ClusterProbe

    with ClusterProbe(old) as old_probe, ClusterProbe(new) as new_probe:
        findings = stage_findings(stage, Side.of(old, old_probe), Side.of(new, new_probe), queue)
    return StageCheckResult(stage, findings)
