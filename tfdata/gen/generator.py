"""A seeded generator of realistic TF config stores, at any scale, with bounded memory.

The world it builds is a small OpenStack-style cloud: the objects a fresh install creates
(default domain/project/IPAM/VNs, global configs, tag types, control nodes), compute nodes and
a fabric of physical routers, an admin project with the public network and floating-IP pool,
then tenant projects. Projects hold security groups, IPAMs, policies, networks (with routing
instances and route targets made by the schema transformer), VMs with ports and addresses,
floating IPs, routers, address groups, tags, load balancers and service instances. VM ports
and instance IPs dominate, as in real clouds.

Everything derived is kept consistent the way the services keep it: backrefs/children/META on
peer rows, obj_fq_name_table, obj_shared_table from perms2, ZooKeeper allocations (fq-name
locks, VN/SG/RT/tag ids, address locks), useragent subnet keys, schema-transformer route-target
numbers and service chains, svc-monitor load-balancer rows and device-manager rows.

One run is one pass in creation order; cells and znodes go to a temporary SQLite file (spill.py)
and come back sorted, so peak memory does not grow with the object count.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import math
import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..model.cells import Cell, TableRef
from ..model.objects import ObjectSpec, encode_json
from ..model.zk import ZNode, data_text
from ..stores.dump import write_dump
from .emit import ALL_TABLES, Emitter, Node
from .spill import CellSpill
from . import values as v

SCALES = {"S": 1_000, "M": 50_000, "L": 500_000}
MIN_OBJECTS = 200
MIN_LAST_PROJECT = 40  # a project is never left with fewer objects than this to fill

AUTONOMOUS_SYSTEM = 64512
RT_FIRST = 8_000_001  # type0 (2-byte ASN) route targets start above 8 000 000
SG_ID_BASE = 8_000_000
START_US = 1_673_769_600_000_000  # 2023-01-15T08:00:00Z: the day the cluster was installed

USERAGENT = TableRef("useragent", "useragent_keyval_table")
ROUTE_TARGET_TABLE = TableRef("to_bgp_keyspace", "route_target_table")
SC_UUID_TABLE = TableRef("to_bgp_keyspace", "service_chain_uuid_table")
SC_IP_TABLE = TableRef("to_bgp_keyspace", "service_chain_ip_address_table")
SC_TABLE = TableRef("to_bgp_keyspace", "service_chain_table")
LB_TABLE = TableRef("svc_monitor_keyspace", "loadbalancer_table")
DM_ASN_TABLE = TableRef("dm_keyspace", "dm_pr_asn_table")
DM_VN_IP_TABLE = TableRef("dm_keyspace", "dm_pr_vn_ip_table")

# Predefined tag types and their fixed ids (tag_type_id is stored as hex text).
TAG_TYPES = (("label", 0), ("application", 1), ("tier", 2), ("deployment", 3), ("site", 4),
             ("neutron_fwaas", 5))
GLOBAL_TAGS = (("application", "web"), ("application", "db"), ("application", "api"),
               ("tier", "frontend"), ("tier", "backend"), ("deployment", "production"),
               ("deployment", "staging"), ("site", "dc1"), ("label", "pci"))

PROJECT_WORDS = ("acme", "blue", "cobalt", "delta", "ember", "falcon", "granite", "harbor", "iris",
                 "juniper", "kestrel", "lumen", "maple", "nova", "onyx", "pine", "quartz", "raven",
                 "sierra", "tundra", "umber", "vega", "willow", "zephyr")
TEAM_WORDS = ("web", "data", "ml", "ops", "qa", "dev", "sec", "pay", "search", "media", "iot", "crm")
VN_WORDS = ("web", "app", "db", "mgmt", "backend", "frontend", "data", "k8s-pods", "storage", "dmz",
            "cache", "batch")
VM_ROLES = ("web", "app", "db", "worker", "cache", "lb", "bastion", "etl", "api", "kafka")
# Physical interface names as Junos spells them: '/' nests ZooKeeper paths, ':' is a breakout.
PHYSICAL_INTERFACES = ("ge-0/0/0", "ge-0/0/1", "xe-0/0/2", "et-0/0/48:0")
SHOWCASE_VNS = ("web-net", "réseau-東京", "db-net")
# VMs per project: many small tenants, a long tail of big ones (mean about 17). A bucket table
# rather than a lognormal draw: libm-free arithmetic keeps the bytes identical on every platform.
VMS_PER_PROJECT = ((0, 3), (4, 10), (11, 30), (31, 80), (81, 250))
VMS_PER_PROJECT_WEIGHTS = (30, 60, 85, 94, 97)  # cumulative


# ---------------------------------------------------------------------------------- planning

@dataclass
class Port:
    """One VM port: how many instance IPs it gets and whether a floating IP points at it."""

    iips: int = 1
    fip: bool = False


@dataclass
class ProjectPlan:
    """The shape of one project, decided before anything is written so its size is exact."""

    name: str
    showcase: bool = False
    vn_names: list[str] = field(default_factory=list)
    vn_subnets: list[int] = field(default_factory=list)  # subnets per VN
    vn_policy: list[int | None] = field(default_factory=list)  # policy index per VN
    sg_names: list[str] = field(default_factory=lambda: ["default"])
    own_ipam: bool = False
    n_policies: int = 0
    vms: list[list[Port]] = field(default_factory=list)
    unbound_ports: list[int] = field(default_factory=list)  # iips per port without a VM
    lr_vns: list[int] = field(default_factory=list)  # VN indexes behind the router (empty: none)
    address_group: bool = False
    n_tags: int = 0
    lb: bool = False
    si: bool = False  # service instance chained between VN 0 and VN 1 via policy 0

    def fixed_size(self) -> int:
        size = 2 + 3 * len(self.sg_names) + self.own_ipam + self.n_policies  # project, APS, SG+2 ACLs
        size += sum(3 + (p is not None) for p in self.vn_policy)  # VN, RI, RT, VN ACL
        size += 7 if self.si else 0  # SI, service VM, 2 VMIs, 2 IIPs, service-chain IIP
        size += 2 + 2 * len(self.lr_vns) if self.lr_vns else 0  # LR, its RT, VMI+IIP per VN
        size += self.address_group + self.n_tags + (3 if self.lb else 0)  # LB + VIP VMI + IIP
        return size

    def size(self) -> int:
        vm_objects = sum(1 + sum(1 + port.iips + port.fip for port in ports) for ports in self.vms)
        return self.fixed_size() + vm_objects + sum(1 + iips for iips in self.unbound_ports)

    def ports_per_vn(self) -> int:
        """Upper bound of addresses any one VN subnet must hold (sizing the prefix)."""
        total = sum(port.iips for ports in self.vms for port in ports) + sum(self.unbound_ports)
        return total + 8


@dataclass
class Network:
    node: Node
    ri: Node
    subnets: list[v.SubnetPool]
    network_id: int

    def subnet(self, rng: random.Random) -> v.SubnetPool:
        return self.subnets[0] if len(self.subnets) == 1 or rng.random() < 0.7 else self.subnets[1]


# ---------------------------------------------------------------------------------- the builder

class CloudBuilder:
    """Creates the whole cloud in time order through an Emitter."""

    def __init__(self, n_objects: int, seed: int, emitter: Emitter) -> None:
        if n_objects < MIN_OBJECTS:
            raise ValueError(f"need at least {MIN_OBJECTS} objects, got {n_objects}")
        self.n_objects = n_objects
        self.rng = random.Random(seed)
        self.out = emitter
        self.now = START_US
        self.next_vn_id = 1
        self.next_sg_index = 1
        self.next_rt = RT_FIRST
        self.next_tag_value: dict[str, int] = {}
        self.projects: list[Node] = []  # tenants, for cross-project shares
        self.vrouters: list[Node] = []
        self.prouters: list[Node] = []
        self.global_tags: list[Node] = []
        self.tag_types: dict[str, tuple[Node, int]] = {}

    # ------------------------------------------------------------------ helpers
    def tick(self, low_ms: int = 20, high_ms: int = 2500) -> int:
        self.now += self.rng.randint(low_ms * 1000, high_ms * 1000)
        return self.now

    def make(self, obj_type: str, name: str, parent: Node | None, owner: str, *,
             props: dict[str, Any] | None = None, refs: list[tuple[Node, Any]] = (),
             list_props: dict[str, list[Any]] | None = None,
             map_props: dict[str, tuple[str, list[dict]]] | None = None,
             uuid: str | None = None, lock: bool = True, display_name: str | None = None,
             global_access: int = 0, shares: list[tuple[str, int]] = (),
             annotations: list[tuple[str, str]] = ()) -> Node:
        """Create one object now; id_perms/perms2/display_name are filled in like the API does."""
        ts = self.tick()
        uuid = uuid or v.new_uuid(self.rng)
        all_props = {
            "id_perms": v.id_perms(uuid, ts),
            "perms2": v.perms2(owner, global_access, shares),
            "display_name": display_name if display_name is not None else name,
        }
        all_props.update(props or {})
        maps = dict(map_props or {})
        if annotations:
            maps["annotations"] = ("key", [v.key_value(k, val) for k, val in annotations])
        spec = ObjectSpec(
            uuid=uuid, type=obj_type,
            fq_name=(parent.fq_name if parent else []) + [name],
            parent_type=parent.resource_type if parent else None,
            parent_uuid=parent.uuid if parent else None,
            props=all_props, list_props=dict(list_props or {}), map_props=maps,
            refs=[(target.type, target.uuid, attr) for target, attr in refs],
        )
        return self.out.create(spec, ts, lock=lock)

    def later(self, low_ms: int = 5, high_ms: int = 400) -> int:
        """A timestamp shortly after the last create, for follow-up writes by other services."""
        return self.tick(low_ms, high_ms)

    def allocate_rt(self, owner_fq_str: str) -> Node:
        """Schema-transformer: RT number lock in ZK, its route_target_table row, the RT object.

        The owner is the routing instance (or logical router) that uses the RT, by fq-name string.
        """
        number = self.next_rt
        self.next_rt += 1
        ts = self.later()
        self.out.allocation("/id/bgp/route-targets/type0", number, owner_fq_str, ts)
        self.out.cell(ROUTE_TARGET_TABLE, owner_fq_str, "rtgt_num", str(number), ts)
        name = f"target:{AUTONOMOUS_SYSTEM}:{number}"
        return self.make("route_target", name, None, v.CLOUD_ADMIN)

    def new_vn_id(self, fq_str: str) -> int:
        vn_id = self.next_vn_id
        self.next_vn_id += 1
        self.out.allocation("/id/virtual-networks", vn_id - 1, fq_str, self.later(1, 30))
        return vn_id

    # ------------------------------------------------------------------ run
    def run(self) -> None:
        self.infrastructure()
        index = 0
        while True:
            remaining = self.n_objects - self.out.objects
            if remaining <= 0:
                break
            plan = self.plan_project(index)
            if plan.size() + MIN_LAST_PROJECT > remaining:
                self.fit(plan, remaining)  # the last project takes exactly what is left
            self.project(plan)
            index += 1
        self.out.finish()
        if self.out.objects != self.n_objects:
            raise RuntimeError(f"generated {self.out.objects} objects instead of {self.n_objects}")

    # ------------------------------------------------------------------ infrastructure
    def infrastructure(self) -> None:
        """What a fresh install and its provisioning create, before any tenant."""
        self.out.allocation("/id/security-groups/id", 0, "__reserved__", self.now)
        self.global_config()
        self.tag_types_and_policies()
        self.default_service_template()
        fabric_ri = self.default_project_and_networks()
        self.bgp_control_nodes(fabric_ri)
        self.compute_and_fabric()
        self.admin_project(self.n_objects)

    def global_config(self) -> None:
        admin = v.CLOUD_ADMIN
        self.domain = self.make("domain", "default-domain", None, admin, props={
            "domain_limits": {"project_limit": 0, "virtual_network_limit": 0, "security_group_limit": 0}})
        self.gsc = self.make("global_system_config", "default-global-system-config", None, admin, props={
            "autonomous_system": AUTONOMOUS_SYSTEM,
            "enable_4byte_as": False,
            "ibgp_auto_mesh": True,
            "bgp_always_compare_med": False,
            "config_version": "2011",
            "ip_fabric_subnets": {"subnet": [{"ip_prefix": "10.10.0.0", "ip_prefix_len": 16}]},
            "graceful_restart_parameters": {"enable": False, "restart_time": 300,
                                            "long_lived_restart_time": 300, "end_of_rib_timeout": 300,
                                            "bgp_helper_enable": False, "xmpp_helper_enable": False},
            "mac_aging_time": 300,
            "igmp_enable": False,
            "alarm_enable": False,
        }, map_props={"user_defined_log_statistics": ("name", [
            {"name": "ssh-login-failures", "pattern": "sshd.*Failed password"},
            {"name": "kernel-oom", "pattern": "Out of memory: Kill process"},
        ])})
        self.make("global_vrouter_config", "default-global-vrouter-config", self.gsc, admin, props={
            "encapsulation_priorities": {"encapsulation": ["MPLSoUDP", "MPLSoGRE", "VXLAN"]},
            "vxlan_network_identifier_mode": "automatic",
            "forwarding_mode": "l2_l3",
            "flow_export_rate": 0,
            "enable_security_logging": True,
            "linklocal_services": {"linklocal_service_entry": [{
                "linklocal_service_name": "metadata", "linklocal_service_ip": "169.254.169.254",
                "linklocal_service_port": 80, "ip_fabric_DNS_service_name": "",
                "ip_fabric_service_port": 8775, "ip_fabric_service_ip": ["10.10.0.10"]}]},
        })
        self.make("global_qos_config", "default-global-qos-config", self.gsc, admin, props={
            "control_traffic_dscp": {"control": 48, "analytics": 40, "dns": 46}})

    def tag_types_and_policies(self) -> None:
        """Predefined tag types, the global policy management and the global tags."""
        admin = v.CLOUD_ADMIN
        for type_name, type_id in TAG_TYPES:
            node = self.make("tag_type", type_name, None, admin, props={"tag_type_id": f"0x{type_id:04x}"})
            self.out.allocation("/id/tags/types", type_id, type_name, node.created)
            self.tag_types[type_name] = (node, type_id)
        policy_management = self.make("policy_management", "default-policy-management", None, admin)
        self.make("application_policy_set", "default-application-policy-set", policy_management, admin,
                  props={"all_applications": True})
        for tag_type, value in GLOBAL_TAGS:
            self.global_tags.append(self.tag(tag_type, value, None, admin))

    def default_service_template(self) -> None:
        admin = v.CLOUD_ADMIN
        self.service_template = self.make("service_template", "firewall-template", self.domain, admin, props={
            "service_template_properties": {
                "version": 2, "service_mode": "in-network", "service_type": "firewall",
                "service_virtualization_type": "virtual-machine",
                "interface_type": [{"service_interface_type": "management"},
                                   {"service_interface_type": "left"},
                                   {"service_interface_type": "right"}],
                "ordered_interfaces": True, "availability_zone_enable": False},
            "service_config_managed": False})

    def default_project_and_networks(self) -> Node:
        """default-project, its IPAM and the three system networks; returns ip-fabric's RI."""
        admin = v.CLOUD_ADMIN
        self.default_project = self.make("project", "default-project", self.domain, admin, props={
            "quota": {"defaults": -1}, "vxlan_routing": False, "enable_security_policy_draft": False})
        self.default_ipam = self.make("network_ipam", "default-network-ipam", self.default_project, admin,
                                      props={"ipam_subnet_method": "user-defined-subnet",
                                             "network_ipam_mgmt": {"ipam_method": "dhcp",
                                                                   "ipam_dns_method": "default-dns-server"}})
        fabric_ri = None
        for vn_name, ri_name in (("default-virtual-network", "default-virtual-network"),
                                 ("ip-fabric", "__default__"), ("__link_local__", "__link_local__")):
            fq_str = ":".join(self.default_project.fq_name + [vn_name])
            vn_id = self.new_vn_id(fq_str)
            vn = self.make("virtual_network", vn_name, self.default_project, admin, props={
                "virtual_network_network_id": vn_id,
                "virtual_network_properties": {"forwarding_mode": "l2_l3" if vn_name != "ip-fabric" else "l3",
                                               "allow_transit": False, "rpf": "enable"},
                "is_shared": False, "router_external": False,
                "is_provider_network": vn_name == "ip-fabric"})
            refs = []
            if ri_name != "__default__":
                rt = self.allocate_rt(f"{fq_str}:{ri_name}")
                refs = [(rt, {"import_export": None})]
            ri = self.make("routing_instance", ri_name, vn, admin, refs=refs, props={
                "routing_instance_is_default": True, "routing_instance_has_pnf": False,
                "routing_instance_fabric_snat": False})
            if ri_name == "__default__":
                fabric_ri = ri
        return fabric_ri

    def bgp_control_nodes(self, fabric_ri: Node) -> None:
        """Three control nodes in a full BGP mesh under the fabric RI."""
        admin = v.CLOUD_ADMIN
        control_nodes: list[Node] = []
        for i in range(3):
            address = f"10.10.0.{11 + i}"
            params = {"vendor": "contrail", "router_type": "control-node", "address": address,
                      "identifier": address, "autonomous_system": AUTONOMOUS_SYSTEM, "port": 179,
                      "source_port": 0, "hold_time": 90, "admin_down": False,
                      "address_families": {"family": ["route-target", "inet-vpn", "e-vpn", "erm-vpn",
                                                      "inet6-vpn"]}}
            control_nodes.append(self.make(
                "bgp_router", f"control-{i + 1}", fabric_ri, admin, props={"bgp_router_parameters": params},
                refs=[(peer, v.bgp_peering_attr()) for peer in control_nodes]))
        for node in control_nodes:
            self.out.ref_update(self.gsc, node, None, self.later())

    def compute_and_fabric(self) -> None:
        """The fabric with its leaf switches, and the compute nodes (one per 400 objects)."""
        admin = v.CLOUD_ADMIN
        n = self.n_objects
        self.fabric = self.make("fabric", "default-fabric", self.gsc, admin, props={
            "fabric_ztp": False, "fabric_os_version": "junos", "fabric_enterprise_style": True,
            "disable_vlan_vn_uniqueness_check": False})
        self.physical_fabric(max(2, min(40, n // 25_000)))

        for i in range(max(2, n // 400)):
            address = f"10.10.{1 + i // 250}.{1 + i % 250}"
            self.vrouters.append(self.make("virtual_router", f"compute-{i + 1:04d}", self.gsc, admin, props={
                "virtual_router_ip_address": address, "virtual_router_dpdk_enabled": False}))

    def physical_fabric(self, count: int) -> None:
        """Leaf switches with Junos-named interfaces; neighbouring leaves are cabled together."""
        admin = v.CLOUD_ADMIN
        previous_uplink: Node | None = None
        for i in range(count):
            loopback = f"10.20.0.{1 + i}"
            router = self.make("physical_router", f"leaf-{i + 1:02d}", self.gsc, admin,
                               refs=[(self.fabric, None)], props={
                "physical_router_management_ip": f"10.30.0.{1 + i}",
                "physical_router_dataplane_ip": loopback,
                "physical_router_loopback_ip": loopback,
                "physical_router_vendor_name": "juniper",
                "physical_router_device_family": "junos-qfx",
                "physical_router_product_name": "qfx5120-48y",
                "physical_router_role": "leaf",
                "physical_router_vnc_managed": True,
                "physical_router_managed_state": "active",
                "physical_router_os_version": "20.4R3-S2",
                "physical_router_hostname": f"leaf-{i + 1:02d}",
                "physical_router_serial_number": f"WS37{self.rng.randrange(10**8):08d}",
            })
            self.prouters.append(router)
            asn = 64600 + i
            self.out.cell(DM_ASN_TABLE, router.uuid, "asn", f"{self.fabric.uuid}:{asn}", self.later())
            for name in PHYSICAL_INTERFACES:
                refs = []
                if name.startswith("xe-") and previous_uplink is not None:
                    refs = [(previous_uplink, None)]  # symmetric physical_interface link
                interface = self.make("physical_interface", name, router, admin, refs=refs, props={
                    "physical_interface_type": "fabric" if name.startswith("xe-") else "access",
                    "physical_interface_mac_addresses": {"mac_address": [v.mac_address(self.rng)]},
                    "physical_interface_port_id": name.rsplit("/", 1)[-1],
                })
                if name.startswith("xe-"):
                    previous_uplink = interface
                if name.startswith("ge-"):
                    unit = 0 if name.endswith("0") else 100
                    self.make("logical_interface", f"{name}.{unit}", interface, admin, props={
                        "logical_interface_vlan_tag": unit, "logical_interface_type": "l2"})

    def tag(self, tag_type: str, value: str, project: Node | None, owner: str) -> Node:
        """A tag with its value id allocated under /id/tags/values/<type>."""
        type_node, type_id = self.tag_types[tag_type]
        value_id = self.next_tag_value.get(tag_type, 1)
        self.next_tag_value[tag_type] = value_id + 1
        name = f"{tag_type}={value}"
        node = self.make("tag", name, project, owner, refs=[(type_node, None)], props={
            "tag_type_name": tag_type, "tag_value": value,
            "tag_id": f"0x{(type_id << 16) | value_id:08x}", "tag_predefined": False})
        self.out.allocation(f"/id/tags/values/{tag_type}", value_id, node.fq_str, node.created)
        return node

    def admin_project(self, n: int) -> None:
        """The admin tenant owns the external network, its floating-IP pool and a shared VN."""
        project = self.make("project", "admin", self.domain, v.CLOUD_ADMIN, uuid=v.new_uuid(self.rng), lock=False,
                            props={"quota": {"defaults": -1}, "vxlan_routing": False,
                                   "enable_security_policy_draft": False})
        owner = v.keystone_owner(project.uuid)
        self.admin = project
        self.security_group(project, "default", owner)
        # Room for every floating IP the tenants may take (they take about 2% of all objects).
        plen = v.prefix_len_for(n // 20 + 64)
        plen = min(plen, 22)
        self.public = self.network(project, "public", owner, [ipaddress.IPv4Network(f"100.64.0.0/{plen}")],
                                   self.default_ipam, extra_props={"router_external": True},
                                   global_access=5)
        self.fip_pool = self.make("floating_ip_pool", "public-pool", self.public.node, owner, global_access=5,
                                  props={"floating_ip_pool_subnets": {"subnet_uuid": [self.public.subnets[0].uuid]}})
        self.network(project, "shared-services", owner, [ipaddress.IPv4Network("172.31.0.0/24")],
                     self.default_ipam, extra_props={"is_shared": True}, global_access=7)

    # ------------------------------------------------------------------ building blocks
    def security_group(self, project: Node, name: str, owner: str, rules: list[dict] | None = None) -> Node:
        fq_str = ":".join(project.fq_name + [name])
        index = self.next_sg_index
        self.next_sg_index += 1
        self.out.allocation("/id/security-groups/id", index, fq_str, self.later(1, 30))
        rules = rules if rules is not None else v.default_sg_rules(self.rng, fq_str)
        sg = self.make("security_group", name, project, owner, props={
            "security_group_id": SG_ID_BASE + index,
            "configured_security_group_id": 0,
            "security_group_entries": {"policy_rule": rules}})
        for direction in ("ingress", "egress"):
            self.make("access_control_list", f"{direction}-access-control-list", sg, owner, props={
                "access_control_list_entries": {"dynamic": None,
                                                "acl_rule": v.acl_rules_from_policy(rules, direction)},
                "access_control_list_hash": v.acl_hash(self.rng)})
        return sg

    def network(self, project: Node, name: str, owner: str, prefixes: list[ipaddress.IPv4Network],
                ipam: Node, *, extra_props: dict | None = None, policies: list[Node] = (),
                tags: list[Node] = (), global_access: int = 0, shares: list[tuple[str, int]] = (),
                annotations: list[tuple[str, str]] = ()) -> Network:
        """VN with its subnets, id lock and useragent keys, then the RT and RI the ST adds."""
        fq_str = ":".join(project.fq_name + [name])
        vn_id = self.new_vn_id(fq_str)
        created = v.iso_time(self.now)
        subnets = [v.SubnetPool(v.new_uuid(self.rng), prefix, f"{name}-subnet{i or ''}")
                   for i, prefix in enumerate(prefixes)]
        props = {
            "virtual_network_network_id": vn_id,
            "virtual_network_properties": {"forwarding_mode": "l2_l3", "allow_transit": False,
                                           "rpf": "enable", "mirror_destination": False},
            "is_shared": False,
            "router_external": False,
            "port_security_enabled": True,
            "flood_unknown_unicast": False,
            "mac_learning_enabled": False,
            "pbb_evpn_enable": False,
            "address_allocation_mode": "user-defined-subnet-only",
        }
        props.update(extra_props or {})
        refs = [(ipam, {"ipam_subnets": [s.ipam_subnet(created) for s in subnets], "host_routes": None})]
        refs += [(policy, {"sequence": {"major": 0, "minor": i}, "timer": None}) for i, policy in enumerate(policies)]
        refs += [(tag, None) for tag in tags]
        vn = self.make("virtual_network", name, project, owner, props=props, refs=refs,
                       global_access=global_access, shares=shares, annotations=annotations)
        for subnet in subnets:
            self.out.cell(USERAGENT, subnet.uuid, "value", f"{vn.uuid} {subnet.cidr}", self.later(1, 50))
        rt = self.allocate_rt(f"{fq_str}:{name}")
        ri = self.make("routing_instance", name, vn, owner, refs=[(rt, {"import_export": None})], props={
            "routing_instance_is_default": True, "routing_instance_has_pnf": False,
            "routing_instance_fabric_snat": False})
        return Network(vn, ri, subnets, vn_id)

    def instance_ip(self, network: Network, vmi: Node | None, owner: str, *, secondary: bool = False,
                    service_ip: bool = False, name: str | None = None) -> tuple[Node, ipaddress.IPv4Address]:
        """An instance IP and its address lock under /api-server/subnets."""
        subnet = network.subnet(self.rng)
        address = subnet.allocate(self.rng)
        uuid = v.new_uuid(self.rng)
        props = {"instance_ip_address": str(address), "instance_ip_family": "v4",
                 "subnet_uuid": subnet.uuid}
        if secondary:
            props["instance_ip_secondary"] = True
        if service_ip:
            props["service_instance_ip"] = True
        refs = [(network.node, None)] + ([(vmi, None)] if vmi else [])
        node = self.make("instance_ip", name or uuid, None, owner, uuid=uuid, props=props, refs=refs)
        path = (f"/api-server/subnets/{network.node.fq_str}:{subnet.network.network_address}"
                f"/{subnet.network.prefixlen}")
        self.out.znode(f"{path}/{v.zk_ip_index(address)}", node.uuid, node.created)
        return node, address

    def port(self, project: Node, owner: str, network: Network, sgs: list[Node], *, vm: Node | None = None,
             host: str = "", device_owner: str = "compute:nova", tags: list[Node] = (),
             extra_props: dict | None = None, annotations: list[tuple[str, str]] = (),
             display_name: str | None = None) -> Node:
        """A Neutron port: a VMI named by its uuid under the project."""
        uuid = v.new_uuid(self.rng)
        props = {
            "virtual_machine_interface_mac_addresses": {"mac_address": [v.mac_address(self.rng)]},
            "virtual_machine_interface_device_owner": device_owner,
            "virtual_machine_interface_disable_policy": False,
            "port_security_enabled": True,
        }
        props.update(extra_props or {})
        bindings = [v.key_value("vnic_type", "normal")]
        if host:
            bindings += [v.key_value("host_id", host), v.key_value("vif_type", "vrouter"),
                         v.key_value("vif_details", '{"port_filter": true}')]
        refs = [(network.node, None)] + [(sg, None) for sg in sgs]
        if vm is not None:
            refs.append((vm, None))
        refs.append((network.ri, v.pbf_attr()))
        refs += [(tag, None) for tag in tags]
        return self.make("virtual_machine_interface", uuid, project, owner, uuid=uuid, props=props, refs=refs,
                         map_props={"virtual_machine_interface_bindings": ("key", bindings)},
                         annotations=annotations, display_name=display_name)

    # ------------------------------------------------------------------ projects
    def plan_project(self, index: int) -> ProjectPlan:
        rng = self.rng
        if index == 0:
            return self.showcase_plan()
        name = f"{rng.choice(PROJECT_WORDS)}-{rng.choice(TEAM_WORDS)}-{index:04d}"
        low, high = rng.choices(VMS_PER_PROJECT, cum_weights=VMS_PER_PROJECT_WEIGHTS)[0]
        n_vms = rng.randint(low, high)
        n_vns = 1 + min(9, int(math.isqrt(n_vms) * rng.random() * 1.2))
        plan = ProjectPlan(name=name)
        plan.vn_names = self.vn_names(n_vns)
        plan.vn_subnets = [2 if rng.random() < 0.15 else 1 for _ in range(n_vns)]
        if rng.random() < 0.6:
            plan.sg_names += rng.sample(["web", "ssh-access", "db", "monitoring", "app"], rng.randint(1, 3))
        plan.own_ipam = rng.random() < 0.25
        plan.n_policies = 0 if n_vns < 2 or rng.random() < 0.6 else rng.randint(1, 2)
        plan.vn_policy = [rng.randrange(plan.n_policies) if plan.n_policies and rng.random() < 0.7 else None
                          for _ in range(n_vns)]
        if rng.random() < 0.45:
            plan.lr_vns = sorted(rng.sample(range(n_vns), rng.randint(1, n_vns)))
        fip_rate = 0.12 if plan.lr_vns else 0.0
        for _ in range(n_vms):
            n_ports = 1 if rng.random() < 0.82 else (2 if rng.random() < 0.8 else 3)
            plan.vms.append([Port(2 if rng.random() < 0.04 else 1, rng.random() < fip_rate)
                             for _ in range(n_ports)])
        plan.unbound_ports = [1 if rng.random() < 0.7 else 0 for _ in range(rng.choice((0, 0, 0, 1, 2)))]
        plan.address_group = rng.random() < 0.1
        plan.n_tags = rng.choice((0, 0, 0, 1, 2))
        plan.lb = rng.random() < 0.05
        plan.si = n_vns >= 2 and plan.n_policies >= 1 and rng.random() < 0.04
        if plan.si:
            plan.vn_policy[0] = plan.vn_policy[1] = 0
        return plan

    def showcase_plan(self) -> ProjectPlan:
        """The first project carries one of every feature, so even the smallest dump has them."""
        plan = ProjectPlan(name="demo", showcase=True)
        plan.vn_names = list(SHOWCASE_VNS)
        plan.vn_subnets = [2, 1, 1]
        plan.vn_policy = [0, 0, None]
        plan.sg_names = ["default", "web", "db:5432"]
        plan.own_ipam = True
        plan.n_policies = 1
        plan.vms = [[Port(1, True), Port(2, False)], [Port(1, True)], [Port(1, False)], [Port(1, False)]]
        plan.unbound_ports = [1, 0]
        plan.lr_vns = [0, 1]
        plan.address_group = True
        plan.n_tags = 2
        plan.lb = True
        plan.si = True
        return plan

    def vn_names(self, count: int) -> list[str]:
        names: list[str] = []
        for word in self.rng.sample(VN_WORDS, min(count, len(VN_WORDS))):
            names.append(f"{word}-net")
        while len(names) < count:
            names.append(f"net-{len(names)}")
        return names

    def fit(self, plan: ProjectPlan, target: int) -> None:
        """Make this (last) project exactly ``target`` objects: trim features, then fill with VMs."""
        plan.vms.clear()
        plan.unbound_ports.clear()
        trims = [
            lambda p: setattr(p, "lb", False), lambda p: setattr(p, "address_group", False),
            lambda p: setattr(p, "n_tags", 0), lambda p: p.lr_vns.clear(),
            lambda p: setattr(p, "si", False), lambda p: del_extra_sgs(p),
            lambda p: drop_policies(p), lambda p: drop_vns(p),
        ]
        for trim in trims:
            if plan.fixed_size() <= target:
                break
            if not plan.showcase:
                trim(plan)
        remaining = target - plan.fixed_size()
        if remaining < 0:
            raise ValueError(f"{self.n_objects} objects are too few for this cloud (need at least "
                             f"{self.n_objects - remaining})")
        fip = bool(plan.lr_vns)
        while remaining >= 3:
            if fip and remaining >= 4 and self.rng.random() < 0.1:
                plan.vms.append([Port(1, True)])
                remaining -= 4
            else:
                plan.vms.append([Port(1, False)])
                remaining -= 3
        if remaining:
            plan.unbound_ports.append(remaining - 1)

    def project(self, plan: ProjectPlan) -> None:
        """One tenant in creation order: the project, its security groups, IPAM, tags, service
        instance and policies, networks, VMs with their ports, then router, address group, LB."""
        self.now += self.rng.randint(60_000_000, 3_600_000_000)  # projects come minutes to an hour apart
        project, owner = self.new_project(plan)
        sgs = [self.security_group(project, name, owner,
                                   None if name == "default" else v.service_sg_rules(self.rng, self.sg_ports(name)))
               for name in plan.sg_names]
        ipam = self.project_ipam(plan, project, owner)
        project_tags = [self.tag(tag_type, value, project, owner)
                        for tag_type, value in [("tier", "db"), ("application", "billing")][:plan.n_tags]]
        vn_fq = [":".join(project.fq_name + [name]) for name in plan.vn_names]
        service_instance = self.service_instance(project, owner, vn_fq) if plan.si else None
        policies = self.policies(plan, project, owner, vn_fq, service_instance)
        networks = self.project_networks(plan, project, owner, ipam, policies)
        if service_instance is not None:
            self.service_chain(project, owner, service_instance, networks[0], networks[1], vn_fq)
        host_sg = sgs[:1]
        for ports in plan.vms:
            self.virtual_machine(project, owner, ports, networks, sgs, project_tags)
        for iips in plan.unbound_ports:
            network = self.rng.choice(networks)
            vmi = self.port(project, owner, network, host_sg, device_owner="", display_name="reserved-port")
            for _ in range(iips):
                self.instance_ip(network, vmi, owner)
        if plan.lr_vns:
            self.router(project, owner, [networks[i] for i in plan.lr_vns])
        if plan.address_group:
            self.address_group(project, owner)
        if plan.lb:
            self.load_balancer(project, owner, networks[0], host_sg)
        self.projects.append(project)

    def new_project(self, plan: ProjectPlan) -> tuple[Node, str]:
        """The project and its default application policy set; returns it with its owner."""
        rng = self.rng
        project = self.make("project", plan.name, self.domain, v.CLOUD_ADMIN, uuid=v.new_uuid(rng), lock=False,
                            display_name="Démo — équipe Données" if plan.showcase else None,
                            props={"quota": {"defaults": -1}, "vxlan_routing": False,
                                   "enable_security_policy_draft": False},
                            annotations=[("cost-center", f"cc-{rng.randrange(1000, 9999)}"),
                                         ("owner", "team-a")] if plan.showcase else ())
        owner = v.keystone_owner(project.uuid)
        aps = self.make("application_policy_set", "default-application-policy-set", project, owner,
                        props={"all_applications": False})
        self.out.ref_update(project, aps, None, self.later())
        return project, owner

    def project_ipam(self, plan: ProjectPlan, project: Node, owner: str) -> Node:
        if not plan.own_ipam:
            return self.default_ipam
        return self.make("network_ipam", f"{plan.name}-ipam", project, owner, props={
            "ipam_subnet_method": "user-defined-subnet",
            "network_ipam_mgmt": {"ipam_method": "dhcp", "ipam_dns_method": "default-dns-server"}})

    def service_instance(self, project: Node, owner: str, vn_fq: list[str]) -> Node:
        """A firewall between the project's first two networks."""
        return self.make("service_instance", "fw-1", project, owner, refs=[(self.service_template, None)], props={
            "service_instance_properties": {
                "left_virtual_network": vn_fq[0], "right_virtual_network": vn_fq[1],
                "management_virtual_network": "", "auto_policy": False, "ha_mode": "active-standby",
                "scale_out": {"max_instances": 1, "auto_scale": False},
                "interface_list": [{"virtual_network": vn_fq[0]}, {"virtual_network": vn_fq[1]}]},
            "service_instance_bgp_enabled": False})

    def policies(self, plan: ProjectPlan, project: Node, owner: str, vn_fq: list[str],
                 service_instance: Node | None) -> list[tuple[Node, list[dict]]]:
        """Network policies between the networks that use them (policy 0 through the service
        instance, if any), each with its rules."""
        out = []
        for p in range(plan.n_policies):
            members = [vn_fq[i] for i, pol in enumerate(plan.vn_policy) if pol == p] or vn_fq[:1]
            service = service_instance.fq_str if service_instance is not None and p == 0 else None
            rules = [v.network_policy_rule(self.rng, members[0], other, service) for other in members[1:]] or \
                [v.network_policy_rule(self.rng, members[0], members[0])]
            policy = self.make("network_policy", "left-to-right-via-fw" if service else f"policy-{p + 1}",
                               project, owner, props={"network_policy_entries": {"policy_rule": rules}})
            out.append((policy, rules))
        return out

    def project_networks(self, plan: ProjectPlan, project: Node, owner: str, ipam: Node,
                         policies: list[tuple[Node, list[dict]]]) -> list[Network]:
        networks = []
        for i, (name, prefixes) in enumerate(zip(plan.vn_names, vn_prefixes(plan), strict=False)):
            policy = policies[plan.vn_policy[i]] if plan.vn_policy[i] is not None else None
            networks.append(self.project_network(plan, i, name, prefixes, project, owner, ipam, policy))
        return networks

    def project_network(self, plan: ProjectPlan, i: int, name: str, prefixes: list[ipaddress.IPv4Network],
                        project: Node, owner: str, ipam: Node, policy: tuple[Node, list[dict]] | None) -> Network:
        """A tenant network: sometimes shared with another tenant, annotated, tagged, with the
        ACL its policy implies, and now and then extended to the fabric."""
        rng = self.rng
        shares = []
        if plan.showcase and i == 0:
            shares = [(self.admin.uuid, 7)]
        elif self.projects and rng.random() < 0.03:
            shares = [(rng.choice(self.projects).uuid, 5)]
        annotations = [("k8s.io/namespace", f"ns-{name}"), ("owner", "team-a")] \
            if plan.showcase or rng.random() < 0.1 else []
        tags = [rng.choice(self.global_tags)] if rng.random() < 0.2 else []
        network = self.network(project, name, owner, prefixes, ipam,
                               policies=[policy[0]] if policy is not None else [],
                               tags=tags, shares=shares, annotations=annotations)
        if policy is not None:
            self.make("access_control_list", name, network.node, owner, props={
                "access_control_list_entries": {
                    "dynamic": None, "acl_rule": v.acl_rules_from_policy(policy[1], None)},
                "access_control_list_hash": v.acl_hash(rng)})
        if self.prouters and (plan.showcase and i == 0 or rng.random() < 0.02):
            self.extend_to_fabric(network)
        return network

    def virtual_machine(self, project: Node, owner: str, ports: list[Port], networks: list[Network],
                        sgs: list[Node], project_tags: list[Node]) -> None:
        """A VM on a random compute node, its ports (first on a random network), their addresses
        and floating IPs."""
        rng = self.rng
        vrouter = rng.choice(self.vrouters)
        vm_uuid = v.new_uuid(rng)
        role = rng.choice(VM_ROLES)
        vm = self.make("virtual_machine", vm_uuid, None, owner, uuid=vm_uuid, lock=False,
                       display_name=f"{role}-{rng.randrange(1, 100):02d}")
        self.out.ref_update(vrouter, vm, None, self.later(), variant="ref-update")
        for k, spec in enumerate(ports):
            network = networks[k % len(networks)] if k else rng.choice(networks)
            extra_sgs = [rng.choice(sgs[1:])] if len(sgs) > 1 and rng.random() < 0.5 else []
            tags = [rng.choice(self.global_tags)] if rng.random() < 0.15 else []
            tags += [rng.choice(project_tags)] if project_tags and rng.random() < 0.3 else []
            annotations = [("app", role)] if rng.random() < 0.05 else []
            vmi = self.port(project, owner, network, sgs[:1] + extra_sgs, vm=vm,
                            host=vrouter.fq_name[-1], tags=tags, annotations=annotations)
            address = None
            for j in range(spec.iips):
                _, ip = self.instance_ip(network, vmi, owner, secondary=j > 0)
                address = address or ip
            if spec.fip:
                self.floating_ip(project, owner, vmi, address)

    def address_group(self, project: Node, owner: str) -> None:
        prefixes = [{"ip_prefix": f"198.51.{self.rng.randrange(256)}.0", "ip_prefix_len": 24}
                    for _ in range(self.rng.randint(11, 16))]
        self.make("address_group", "partner-ranges", project, owner, list_props={"address_group_prefix": prefixes})

    @staticmethod
    def sg_ports(name: str) -> list[int]:
        return {"web": [80, 443], "ssh-access": [22], "db": [5432, 3306], "db:5432": [5432],
                "monitoring": [9100, 9090], "app": [8080]}.get(name, [22])

    def extend_to_fabric(self, network: Network) -> None:
        """Device manager: a leaf hosts the VN (PR -> VN ref) and an IRB address for it."""
        router = self.rng.choice(self.prouters)
        self.out.ref_update(router, network.node, None, self.later())
        subnet = network.subnets[0]
        key = f"{router.uuid}:{network.node.uuid}:{subnet.cidr}"
        self.out.cell(DM_VN_IP_TABLE, key, "ip_address", f"{subnet.irb_address()}/{subnet.network.prefixlen}",
                      self.later())

    def floating_ip(self, project: Node, owner: str, vmi: Node, fixed: ipaddress.IPv4Address | None) -> Node:
        subnet = self.public.subnets[0]
        address = subnet.allocate(self.rng)
        uuid = v.new_uuid(self.rng)
        node = self.make("floating_ip", uuid, self.fip_pool, owner, uuid=uuid,
                         refs=[(project, None), (vmi, None)], props={
            "floating_ip_address": str(address), "floating_ip_address_family": "v4",
            "floating_ip_fixed_ip_address": str(fixed) if fixed else None,
            "floating_ip_is_virtual_ip": False, "floating_ip_traffic_direction": "both"})
        network = subnet.network
        path = f"/api-server/subnets/{self.public.node.fq_str}:{network.network_address}/{network.prefixlen}"
        self.out.znode(f"{path}/{v.zk_ip_index(address)}", node.uuid, node.created)
        return node

    def router(self, project: Node, owner: str, networks: list[Network]) -> None:
        """A Neutron router: interface ports, its own RT (imported by the attached VNs' RIs)."""
        interfaces = []
        for network in networks:
            vmi = self.port(project, owner, network, [], device_owner="network:router_interface",
                            extra_props={"port_security_enabled": False})
            self.instance_ip(network, vmi, owner)
            interfaces.append((vmi, network))
        fq_str = ":".join(project.fq_name + ["router1"])
        rt = self.allocate_rt(fq_str)
        refs = [(vmi, None) for vmi, _ in interfaces] + [(rt, None)]
        refs.append((self.public.node, {"logical_router_virtual_network_type": "ExternalGateway"}))
        self.make("logical_router", "router1", project, owner, refs=refs, props={
            "logical_router_gateway_external": False, "logical_router_type": "snat-routing"})
        for _, network in interfaces:
            self.out.ref_update(network.ri, rt, {"import_export": None}, self.later())

    def load_balancer(self, project: Node, owner: str, network: Network, sgs: list[Node]) -> None:
        """An LBaaS v2 load balancer: VIP port + address, the object, svc-monitor's row."""
        vmi = self.port(project, owner, network, sgs, device_owner="neutron:LOADBALANCERV2")
        iip, address = self.instance_ip(network, vmi, owner)
        subnet = network.subnets[0]
        lb = self.make("loadbalancer", "lb-web", project, owner, refs=[(vmi, None)], props={
            "loadbalancer_provider": "opencontrail",
            "loadbalancer_properties": {"status": None, "provisioning_status": "ACTIVE",
                                        "operating_status": "ONLINE", "vip_subnet_id": subnet.uuid,
                                        "vip_address": str(address), "admin_state": True}})
        ts = self.later()
        config = {"id": lb.uuid, "name": "lb-web", "tenant_id": owner, "vip_address": str(address),
                  "vip_subnet_id": subnet.uuid, "provisioning_status": "ACTIVE", "operating_status": "ONLINE",
                  "admin_state_up": True, "provider": "opencontrail"}
        driver = {"vmi": vmi.uuid, "lb_instance_ips": [iip.uuid], "lb_floating_ips": []}
        self.out.cell(LB_TABLE, lb.uuid, "config_info", encode_json(config), ts)
        self.out.cell(LB_TABLE, lb.uuid, "driver_info", encode_json(driver), ts)

    def service_chain(self, project: Node, owner: str, si: Node, left: Network, right: Network,
                      vn_fq: list[str]) -> None:
        """Service VM with left/right ports, then schema-transformer's chain bookkeeping."""
        vm_uuid = v.new_uuid(self.rng)
        vrouter = self.rng.choice(self.vrouters)
        vm = self.make("virtual_machine", vm_uuid, None, owner, uuid=vm_uuid, lock=False,
                       refs=[(si, None)], display_name=f"{si.fq_str.replace(':', '__')}__1")
        self.out.ref_update(vrouter, vm, None, self.later(), variant="ref-update")
        for side, network in (("left", left), ("right", right)):
            vmi = self.port(project, owner, network, [], vm=vm, host=vrouter.fq_name[-1],
                            device_owner="", extra_props={
                                "virtual_machine_interface_properties": {"service_interface_type": side},
                                "port_security_enabled": False})
            self.instance_ip(network, vmi, owner)
        chain = v.new_uuid(self.rng)
        sc_ip, sc_address = self.instance_ip(left, None, owner, service_ip=True, name=f"{chain}-left")
        ts = self.later()
        body = {"py/object": "schema_transformer.db.ServiceChain", "name": chain,
                "left_vn": vn_fq[0], "right_vn": vn_fq[1], "direction": "<>",
                "sp_list": [{"start_port": 0, "end_port": 65535}],
                "dp_list": [{"start_port": 0, "end_port": 65535}],
                "protocol": "any", "service_list": [si.fq_str], "created": True,
                "partially_created": False, "error_msg": None}
        self.out.cell(SC_UUID_TABLE, chain, "value", encode_json(body), ts)
        self.out.cell(SC_IP_TABLE, chain, "ip_address", str(sc_address), ts)
        self.out.cell(SC_IP_TABLE, chain, "ip_uuid", sc_ip.uuid, ts)
        self.out.cell(SC_TABLE, vm.uuid, chain, "0", ts)
        if not self.out.prefix:  # this tree is never prefixed, so a prefixed export has none
            self.out.allocation(f"/id/service-chain/vlan/{vm.uuid}", 0, chain, ts)


def del_extra_sgs(plan: ProjectPlan) -> None:
    plan.sg_names = plan.sg_names[:1]


def drop_policies(plan: ProjectPlan) -> None:
    plan.n_policies = 0
    plan.vn_policy = [None] * len(plan.vn_names)
    plan.si = False


def drop_vns(plan: ProjectPlan) -> None:
    plan.vn_names, plan.vn_subnets, plan.vn_policy = plan.vn_names[:1], plan.vn_subnets[:1], plan.vn_policy[:1]
    plan.lr_vns = [i for i in plan.lr_vns if i == 0]


def vn_prefixes(plan: ProjectPlan) -> list[list[ipaddress.IPv4Network]]:
    """Each network's subnets: tenants overlap (everyone likes 10.0.0.0), networks of one never do."""
    plen = v.prefix_len_for(plan.ports_per_vn())
    out = []
    block = 0
    for i in range(len(plan.vn_names)):
        prefixes = []
        for _ in range(plan.vn_subnets[i]):
            base = int(ipaddress.IPv4Address("10.0.0.0")) + block * (1 << (32 - plen))
            prefixes.append(ipaddress.IPv4Network((base, plen)))
            block += 1
        out.append(prefixes)
    return out


# ---------------------------------------------------------------------------------- public API

class GeneratedStore:
    """A generated cloud held in a temporary spill; read it with cells() and znodes().

    Use as a context manager (or call close()) to delete the temporary files.
    """

    def __init__(self, n_objects: int, seed: int, prefix: str | None = None,
                 tmp_dir: str | os.PathLike | None = None) -> None:
        self.n_objects = n_objects
        self.seed = seed
        self.prefix = prefix
        self.tables: list[TableRef] = list(ALL_TABLES)
        self._spill = CellSpill(self.tables, tmp_dir)
        try:
            emitter = Emitter(self._spill, prefix)
            CloudBuilder(n_objects, seed, emitter).run()
            self._spill.flush()
        except BaseException:
            self._spill.close()
            raise
        self.type_counts = dict(sorted(emitter.type_counts.items()))

    def cells(self) -> Iterator[tuple[TableRef, Cell]]:
        """Cells grouped by table (in ``tables`` order), each row contiguous, columns in byte order."""
        return self._spill.cells()

    def znodes(self) -> Iterator[ZNode]:
        return self._spill.znodes()

    def close(self) -> None:
        self._spill.close()

    def __enter__(self) -> "GeneratedStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def generate(n_objects: int, seed: int, prefix: str | None = None) -> Iterator[tuple[TableRef, Cell]]:
    """All generated cells as (TableRef, Cell), in dump order."""
    with GeneratedStore(n_objects, seed, prefix) as store:
        yield from store.cells()


def generate_znodes(n_objects: int, seed: int, prefix: str | None = None) -> Iterator[ZNode]:
    """All generated ZooKeeper leaves (same world as generate() for the same arguments)."""
    with GeneratedStore(n_objects, seed, prefix) as store:
        yield from store.znodes()


def generate_dump(path: str | os.PathLike, n_objects: int, seed: int, prefix: str | None = None,
                  tmp_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Write a db_json_exim dump (``.gz`` compressed); returns counts of objects, cells, znodes.

    The bytes are those write_dump() produces for the same cells and znodes (a test holds us to
    that), but the ZooKeeper string is streamed: DumpWriter keeps every znode in memory until
    close(), which at L scale would dominate peak memory. For ``.gz`` the header carries no file
    name and no mtime, so the bytes depend on the arguments only.
    """
    path = Path(path)
    work = path.with_name(f".{path.name}.work-{os.getpid()}")
    packed = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with GeneratedStore(n_objects, seed, prefix, tmp_dir) as store:
            counts = write_dump(work, store.cells(), (), store.tables, prefix)
            _cut_empty_zookeeper(work)
            if path.name.endswith(".gz"):
                with open(work, "rb") as src, open(packed, "wb") as raw:
                    os.chmod(packed, 0o600)
                    with gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as out:
                        shutil.copyfileobj(src, out, 1 << 20)
                        counts["znodes"] = _write_zookeeper(out, store.znodes(), prefix)
                os.replace(packed, path)
            else:
                with open(work, "ab") as out:
                    counts["znodes"] = _write_zookeeper(out, store.znodes(), prefix)
                os.replace(work, path)
            return {"objects": sum(store.type_counts.values()), **counts, "types": store.type_counts}
    finally:
        work.unlink(missing_ok=True)
        packed.unlink(missing_ok=True)


# How DumpWriter ends a dump without znodes; the streamed ZooKeeper part replaces it.
_EMPTY_ZOOKEEPER_TAIL = b'\n    "zookeeper": "[]"\n}\n'


def _cut_empty_zookeeper(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as fp:
        fp.seek(max(0, size - len(_EMPTY_ZOOKEEPER_TAIL)))
        if fp.read() != _EMPTY_ZOOKEEPER_TAIL:
            raise RuntimeError(f"{path}: DumpWriter's layout changed; update _EMPTY_ZOOKEEPER_TAIL")
        fp.truncate(size - len(_EMPTY_ZOOKEEPER_TAIL))


def _write_zookeeper(out, znodes: Iterator[ZNode], prefix: str | None) -> int:
    """The "zookeeper" member: a JSON string holding the JSON list of [path + '/', [data, stat]].

    JSON string escaping works character by character, so escaping each piece separately gives
    the same text as escaping the whole list at once.
    """
    def escaped(text: str) -> str:
        return json.dumps(text)[1:-1]

    out.write(b'\n    "zookeeper": "[')
    count = 0
    pieces: list[str] = []
    for node in znodes:
        zk_path = node.path + "/"
        if prefix:
            zk_path = zk_path.lstrip("/")
        item = json.dumps([zk_path, [data_text(node.data), list(node.stat) if node.stat else None]])
        pieces.append((", " if count else "") + escaped(item))
        count += 1
        if len(pieces) >= 2000:
            out.write("".join(pieces).encode("ascii"))
            pieces.clear()
    out.write("".join(pieces).encode("ascii"))
    out.write(b']"\n}\n')
    return count
