"""ISSU stage checks (sync/stage_checks.py) over clusters described in memory: which facts fail
which stage. The same checks against the real services: tests/integration/test_stage_checks.py."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tfdata.errors import ConnectionFailed
from tfdata.model.objects import TfObject
from tfdata.stores.probe import CassandraNode, Contender, Replication
from tfdata.sync.stage_checks import Side, election_paths, stage_findings

QUEUE = "tfdata.issu.run-sync"


@dataclass
class Cluster:
    """A cluster's answers, as a ClusterProbe would give them."""

    leaders: dict[str, list[Contender]] = field(default_factory=dict)  # election path -> contenders
    nodes: list[CassandraNode] = field(default_factory=lambda: [CassandraNode("10.0.0.1", True, "5.0.8")])
    keyspaces: list[Replication] = field(default_factory=lambda: [Replication("config_db_uuid", "SimpleStrategy",
                                                                              {"": 1})])
    objects_by_type: dict[str, list[TfObject]] = field(default_factory=dict)
    queues: dict[str, int] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)  # services that do not answer

    def _answer(self, service: str) -> None:
        if service in self.down:
            raise ConnectionFailed(f"{service} of profile 'x' 10.0.0.1: cannot connect (connection refused)")

    def contenders(self, path):
        self._answer("zookeeper")
        return self.leaders.get(path, [])

    def zookeeper_mode(self):
        self._answer("zookeeper")
        return "standalone"

    def cassandra_nodes(self):
        self._answer("cassandra")
        return self.nodes

    def replication(self):
        self._answer("cassandra")
        return self.keyspaces

    def objects(self, obj_type):
        self._answer("cassandra")
        return self.objects_by_type.get(obj_type, [])

    def queue_depth(self, queue):
        self._answer("rabbitmq")
        return self.queues.get(queue)

    def rabbitmq_answers(self):
        self._answer("rabbitmq")


def router(uuid: str, address: str, asn: int = 64512, router_type: str = "control-node") -> TfObject:
    return TfObject(uuid, "bgp_router", ["default-domain", "default-project", "ip-fabric", "__default__", address],
                    props={"bgp_router_parameters": {"address": address, "autonomous_system": asn,
                                                     "router_type": router_type}})


def gsc(asn: int = 64512) -> TfObject:
    return TfObject("g", "global_system_config", ["default-global-system-config"], props={"autonomous_system": asn})


def node(obj_type: str, uuid: str, address: str) -> TfObject:
    return TfObject(uuid, obj_type, ["default-global-system-config", uuid], props={f"{obj_type}_ip_address": address})


def contender(path: str, pid: str, seq: int) -> Contender:
    return Contender(f"{path}/_c_{seq:x}-lock-__lock__{seq:010d}", pid, 0x100 + seq)


def failing(findings, severity: str = "error") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        if f.severity == severity:
            out.setdefault(f.check, []).append(f"{f.cluster}: {f.detail}")
    return out


def sides(old: Cluster, new: Cluster, new_nodes=None, prefix=None):
    return (Side("old", old, prefix), Side("new", new, prefix, new_nodes or {}))


def test_healthy_clusters_pass_pre_with_the_new_control_nodes_registered_in_old():
    old = Cluster(objects_by_type={"bgp_router": [router("r1", "10.0.1.1"), router("r2", "10.0.2.1")],
                                   "global_system_config": [gsc()]})
    findings = stage_findings("pre", *sides(old, Cluster(), {"control": ["10.0.2.1"]}))
    assert failing(findings) == {} and failing(findings, "warning") == {}
    assert {f.check for f in findings} == {"zookeeper.mode", "cassandra.answers", "rabbitmq.answers"}


def test_a_batch_job_contending_on_new_fails_pre_and_final_naming_its_session():
    new = Cluster(leaders={"/schema-transformer": [contender("/schema-transformer", "4242", 3),
                                                    contender("/schema-transformer", "77", 1)]})
    for stage in ("pre", "final"):
        errors = failing(stage_findings(stage, *sides(Cluster(queues={QUEUE: 0}), new)))
        assert list(errors) == ["leader.on_new"], errors
        assert "leader 77 (session 0x101)" in errors["leader.on_new"][0]  # lowest sequence leads
        assert "4242 (session 0x103)" in errors["leader.on_new"][0]


def test_election_paths_follow_the_cluster_id_and_kube_managers_cluster_name():
    plain = election_paths(Side("new", Cluster()))
    assert plain == {"schema-transformer": "/schema-transformer", "svc-monitor": "/svc-monitor",
                     "device-manager": "/device-manager", "kube-manager": "/k8s/kube-manager"}
    prefixed = election_paths(Side("new", Cluster(), "east", kube_cluster_name="k8s-west"))
    assert prefixed["svc-monitor"] == "/east/svc-monitor"
    assert prefixed["kube-manager"] == "/east/k8s-west/kube-manager"


def test_an_unregistered_or_wrong_asn_control_node_fails_pre():
    old = Cluster(objects_by_type={"bgp_router": [router("r1", "10.0.2.1", asn=65000),
                                                  router("r2", "10.0.2.2", router_type="router")],
                                   "global_system_config": [gsc(64512)]})
    errors = failing(stage_findings("pre", *sides(old, Cluster(), {"control": ["10.0.2.1", "10.0.2.2"]})))
    assert sorted(errors["control.unregistered"]) == [
        "new: bgp_router default-domain:default-project:ip-fabric:__default__:10.0.2.1 for 10.0.2.1 has ASN "
        "65000, the cluster's is 64512",
        "new: no control-node bgp_router with address 10.0.2.2 in old"]


def test_no_listed_control_nodes_is_a_warning_not_a_pass_in_silence():
    findings = stage_findings("pre", *sides(Cluster(), Cluster()))
    assert failing(findings) == {}
    assert list(failing(findings, "warning")) == ["nodes.unlisted"]


def test_final_needs_a_drained_queue_without_dead_letters():
    assert failing(stage_findings("final", *sides(Cluster(queues={QUEUE: 0}), Cluster()))) == {}
    errors = failing(stage_findings("final", *sides(Cluster(queues={QUEUE: 12, f"{QUEUE}.dead": 2}), Cluster())))
    assert sorted(errors) == ["queue.dead_letters", "queue.waiting"]
    assert list(failing(stage_findings("final", *sides(Cluster(), Cluster())))) == ["queue.missing"]


def test_cutover_wants_leaders_on_new_only_and_node_objects_of_new_hosts():
    jobs = ("/schema-transformer", "/svc-monitor", "/device-manager")
    new_nodes = {"control": ["10.0.2.1"], "config": ["10.0.2.1"], "database": ["10.0.2.1"],
                 "analytics": ["10.0.2.1"]}
    objects = {"bgp_router": [router("r1", "10.0.2.1"), router("r0", "10.0.1.1")],
               "config_node": [node("config_node", "c1", "10.0.2.1")],
               "database_node": [node("database_node", "d1", "10.0.2.1")],
               "analytics_node": []}
    new = Cluster(leaders={p: [contender(p, "9", 1)] for p in jobs}, objects_by_type=objects)
    old = Cluster(leaders={"/svc-monitor": [contender("/svc-monitor", "5", 1)]})
    errors = failing(stage_findings("cutover", *sides(old, new, new_nodes)))
    assert sorted(errors) == ["leader.on_old", "nodes.new_not_registered", "nodes.old_still_registered"]
    assert errors["nodes.old_still_registered"] == [
        "new: bgp_router default-domain:default-project:ip-fabric:__default__:10.0.1.1 has address 10.0.1.1, "
        "not one of the new control nodes"]
    assert errors["nodes.new_not_registered"] == ["new: no analytics_node with address 10.0.2.1"]
    info = failing(stage_findings("cutover", *sides(old, new, new_nodes)), "info")
    assert "leader.kube_manager_missing_on_new" in info


def test_at_cutover_a_retired_old_cluster_is_a_warning_and_its_health_is_not_checked():
    jobs = ("/schema-transformer", "/svc-monitor", "/device-manager")
    new = Cluster(leaders={p: [contender(p, "9", 1)] for p in jobs})
    gone = Cluster(down={"zookeeper", "cassandra", "rabbitmq"})
    findings = stage_findings("cutover", *sides(gone, new))
    assert failing(findings) == {}
    assert failing(findings, "warning")["service.old_unreachable"] == [
        "old: zookeeper: zookeeper of profile 'x' 10.0.0.1: cannot connect (connection refused)"]


@pytest.mark.parametrize("stage", ["pre", "final"])
def test_a_service_that_does_not_answer_fails_before_the_cutover_and_the_other_checks_go_on(stage):
    findings = stage_findings(stage, *sides(Cluster(down={"cassandra"}, queues={QUEUE: 0}), Cluster(),
                                            {"control": ["10.0.2.1"]}))
    errors = failing(findings)
    assert list(errors) == ["service.unreachable"]
    assert len(errors["service.unreachable"]) == (2 if stage == "pre" else 1)  # health, and pre's control check
    assert "zookeeper.mode" in failing(findings, "info")


def test_cassandra_replication_and_quorum():
    three_one_down = [CassandraNode("10.0.0.1", True, "5.0.8"), CassandraNode("10.0.0.2", False, "5.0.8"),
                      CassandraNode("10.0.0.3", True, "5.0.8")]
    cluster = Cluster(nodes=three_one_down, keyspaces=[Replication("config_db_uuid", "SimpleStrategy", {"": 3}),
                                                       Replication("useragent", "SimpleStrategy", {"": 1})],
                      queues={QUEUE: 0})
    findings = stage_findings("final", *sides(cluster, Cluster()))
    assert failing(findings)["cassandra.no_quorum"] == [  # one replica, maybe on the node that is down
        "old: keyspace useragent: replication factor 1, 1 of 3 nodes down: a range they hold may have fewer "
        "than 1 replica(s) up (QUORUM)"]
    warnings = failing(findings, "warning")
    assert warnings["cassandra.node_down"] == ["old: Cassandra node 10.0.0.2 is down (2 of 3 up)"]
    assert warnings["cassandra.replication_low"] == ["old: keyspace useragent: replication factor 1, 3 nodes"]
    two_down = [CassandraNode(n.address, n.address == "10.0.0.1", "5.0.8") for n in three_one_down]
    cluster.nodes = two_down
    errors = failing(stage_findings("final", *sides(cluster, Cluster())))
    assert errors["cassandra.no_quorum"] == [
        "old: keyspace config_db_uuid: replication factor 3, 2 of 3 nodes down: a range they hold may have fewer "
        "than 2 replica(s) up (QUORUM)",
        "old: keyspace useragent: replication factor 1, 2 of 3 nodes down: a range they hold may have fewer "
        "than 1 replica(s) up (QUORUM)"]
    too_many = Cluster(keyspaces=[Replication("config_db_uuid", "NetworkTopologyStrategy", {"dc1": 3})])
    errors = failing(stage_findings("pre", *sides(Cluster(), too_many)))
    assert errors["cassandra.replication_above_nodes"] == ["new: keyspace config_db_uuid: replication factor 3, "
                                                           "1 node(s)"]
