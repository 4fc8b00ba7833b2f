"""Property values shaped like the ones contrail-api, schema-transformer and Neutron write.

Every builder takes its randomness from the caller's ``random.Random`` so a seed fixes the bytes.
Shapes follow the master schema (tf-schema.md); values are plausible, not copied from anywhere.
"""

from __future__ import annotations

import ipaddress
import random
from datetime import datetime, timezone
from typing import Any

from ..model.objects import uuid_to_longs

CLOUD_ADMIN = "cloud-admin"


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from the seeded generator (uuid.uuid4() would not be repeatable)."""
    value = rng.getrandbits(128)
    value = (value & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    value = (value & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def iso_time(writetime_us: int) -> str:
    """id_perms times: naive UTC ISO-8601 with microseconds, as the API server formats them."""
    return datetime.fromtimestamp(writetime_us / 1_000_000, tz=timezone.utc).replace(tzinfo=None) \
        .isoformat(timespec="microseconds")


def id_perms(uuid: str, created_us: int, last_modified_us: int | None = None,
             user_visible: bool = True) -> dict[str, Any]:
    """The API server sets created/last_modified itself and mirrors the row key as two longs."""
    return {
        "enable": True,
        "uuid": uuid_to_longs(uuid),
        "created": iso_time(created_us),
        "last_modified": iso_time(last_modified_us if last_modified_us is not None else created_us),
        "user_visible": user_visible,
        "permissions": {"owner": CLOUD_ADMIN, "owner_access": 7, "group": "cloud-admin-group",
                        "group_access": 7, "other_access": 7},
        "description": None,
        "creator": None,
    }


def perms2(owner: str, global_access: int = 0, shares: list[tuple[str, int]] = ()) -> dict[str, Any]:
    """``shares`` are (project uuid, rwx); stored in the ``tenant:<uuid>`` form newer APIs use."""
    return {
        "owner": owner,
        "owner_access": 7,
        "global_access": global_access,
        "share": [{"tenant": f"tenant:{tenant}", "tenant_access": access} for tenant, access in shares],
    }


def keystone_owner(project_uuid: str) -> str:
    """perms2.owner holds the Keystone project id, which is the project uuid without dashes."""
    return project_uuid.replace("-", "")


def mac_address(rng: random.Random) -> str:
    """Locally administered unicast MACs, like the 02:xx ones the API hands out."""
    return "02:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(5))


def key_value(key: str, value: str) -> dict[str, str]:
    return {"key": key, "value": value}


# ---------------------------------------------------------------------------------- addressing

class SubnetPool:
    """One IPv4 subnet of a VN with sequential allocation (addr_from_start) and a few holes.

    The network, gateway (.1) and DNS (.2) addresses are reserved in memory only, as upstream
    does, so they never get a ZooKeeper lock.
    """

    __slots__ = ("uuid", "network", "gateway", "dns", "_next", "_last", "name")

    def __init__(self, uuid: str, network: ipaddress.IPv4Network, name: str = "") -> None:
        self.uuid = uuid
        self.network = network
        self.name = name
        base = int(network.network_address)
        self.gateway = ipaddress.IPv4Address(base + 1)
        self.dns = ipaddress.IPv4Address(base + 2)
        self._next = base + 3
        self._last = int(network.broadcast_address) - 2  # keep the top one free for DM IRB use

    @property
    def cidr(self) -> str:
        return str(self.network)

    def allocate(self, rng: random.Random) -> ipaddress.IPv4Address:
        """Next free address; now and then one is skipped, as if a port had been deleted."""
        if rng.random() < 0.08 and self._next < self._last - 64:
            self._next += 1
        if self._next > self._last:
            raise RuntimeError(f"subnet {self.network} exhausted (generator sizing bug)")
        address = ipaddress.IPv4Address(self._next)
        self._next += 1
        return address

    def irb_address(self) -> ipaddress.IPv4Address:
        """A device-manager IRB address: the last usable one, which allocate() never reaches."""
        return ipaddress.IPv4Address(int(self.network.broadcast_address) - 1)

    def ipam_subnet(self, created: str) -> dict[str, Any]:
        """One entry of VnSubnetsType.ipam_subnets on the VN -> network_ipam ref."""
        return {
            "subnet": {"ip_prefix": str(self.network.network_address),
                       "ip_prefix_len": self.network.prefixlen},
            "default_gateway": str(self.gateway),
            "dns_server_address": str(self.dns),
            "enable_dhcp": True,
            "addr_from_start": True,
            "dns_nameservers": [],
            "allocation_pools": [],
            "dhcp_option_list": None,
            "host_routes": None,
            "subnet_uuid": self.uuid,
            "subnet_name": self.name or self.uuid,
            "alloc_unit": 1,
            "created": created,
            "last_modified": created,
        }


def prefix_len_for(hosts: int) -> int:
    """Smallest prefix holding ``hosts`` allocations plus reserved addresses and slack, max /24."""
    needed = hosts + hosts // 4 + 8
    plen = 32 - max(needed - 1, 1).bit_length()
    return min(24, max(8, plen))


def zk_ip_index(address: ipaddress.IPv4Address) -> str:
    """Address-lock node name: the integer address, zero-padded to 10 digits (alloc_unit 1)."""
    return f"{int(address):010d}"


# ---------------------------------------------------------------------------------- rules

def _sg_address(kind: str, value: Any) -> dict[str, Any]:
    address = {"security_group": None, "subnet": None, "virtual_network": None,
               "subnet_list": [], "network_policy": None}
    address[kind] = value
    return address


def _ports(start: int = 0, end: int = 65535) -> list[dict[str, int]]:
    return [{"start_port": start, "end_port": end}]


def sg_rule(rng: random.Random, direction: str, ethertype: str, protocol: str,
            remote: tuple[str, Any], port: int | None = None) -> dict[str, Any]:
    """A PolicyRuleType the way Neutron security-group rules land in security_group_entries.

    ``direction`` is 'ingress' or 'egress'; the local side is always the group itself ('local').
    """
    local = _sg_address("security_group", "local")
    remote_address = _sg_address(*remote)
    ports = _ports(port, port) if port is not None else _ports()
    src, dst = (remote_address, local) if direction == "ingress" else (local, remote_address)
    return {
        "rule_uuid": new_uuid(rng),
        "rule_sequence": None,
        "direction": ">",
        "protocol": protocol,
        "src_addresses": [src],
        "src_ports": _ports(),
        "dst_addresses": [dst],
        "dst_ports": ports,
        "action_list": None,
        "ethertype": ethertype,
        "application": [],
        "created": None,
        "last_modified": None,
    }


def default_sg_rules(rng: random.Random, sg_fq_str: str) -> list[dict[str, Any]]:
    """The four rules every 'default' group starts with: members talk freely, egress open."""
    any_v4 = ("subnet", {"ip_prefix": "0.0.0.0", "ip_prefix_len": 0})
    any_v6 = ("subnet", {"ip_prefix": "::", "ip_prefix_len": 0})
    return [
        sg_rule(rng, "ingress", "IPv4", "any", ("security_group", sg_fq_str)),
        sg_rule(rng, "ingress", "IPv6", "any", ("security_group", sg_fq_str)),
        sg_rule(rng, "egress", "IPv4", "any", any_v4),
        sg_rule(rng, "egress", "IPv6", "any", any_v6),
    ]


def service_sg_rules(rng: random.Random, ports: list[int]) -> list[dict[str, Any]]:
    any_v4 = ("subnet", {"ip_prefix": "0.0.0.0", "ip_prefix_len": 0})
    rules = [sg_rule(rng, "ingress", "IPv4", "tcp", any_v4, port) for port in ports]
    rules.append(sg_rule(rng, "egress", "IPv4", "any", any_v4))
    return rules


def acl_rules_from_policy(rules: list[dict[str, Any]], direction: str | None) -> list[dict[str, Any]]:
    """Schema-transformer's compiled form of policy rules (one AclRuleType per rule)."""
    compiled = []
    for rule in rules:
        if direction == "ingress" and rule["dst_addresses"][0].get("security_group") != "local":
            continue
        if direction == "egress" and rule["src_addresses"][0].get("security_group") != "local":
            continue
        compiled.append({
            "match_condition": {
                "protocol": rule["protocol"],
                "src_address": rule["src_addresses"][0],
                "src_port": rule["src_ports"][0],
                "dst_address": rule["dst_addresses"][0],
                "dst_port": rule["dst_ports"][0],
                "ethertype": rule["ethertype"],
            },
            "action_list": rule["action_list"] or {"simple_action": "pass", "gateway_name": None,
                                                  "apply_service": [], "mirror_to": None,
                                                  "assign_routing_instance": None, "log": False,
                                                  "alert": False, "qos_action": None},
            "rule_uuid": rule["rule_uuid"],
            "direction": rule["direction"],
        })
    return compiled


def acl_hash(rng: random.Random) -> int:
    """access_control_list_hash: a hash of the entries; the schema declares it unsigned."""
    return rng.getrandbits(63)


def network_policy_rule(rng: random.Random, left_vn: str, right_vn: str,
                        service: str | None = None, protocol: str = "any") -> dict[str, Any]:
    """A network-policy rule between two VN fq-name strings, optionally through a service."""
    def vn_address(name: str) -> dict[str, Any]:
        return _sg_address("virtual_network", name)

    return {
        "rule_uuid": new_uuid(rng),
        "rule_sequence": {"major": -1, "minor": -1},
        "direction": "<>",
        "protocol": protocol,
        "src_addresses": [vn_address(left_vn)],
        "src_ports": _ports(),
        "dst_addresses": [vn_address(right_vn)],
        "dst_ports": _ports(),
        "action_list": {"simple_action": "pass", "gateway_name": None,
                        "apply_service": [service] if service else [], "mirror_to": None,
                        "assign_routing_instance": None, "log": False, "alert": False,
                        "qos_action": None},
        "ethertype": "IPv4",
        "application": [],
        "created": None,
        "last_modified": None,
    }


def pbf_attr() -> dict[str, Any]:
    """VMI -> routing_instance link attribute (PolicyBasedForwardingRuleType) for a plain port."""
    return {"direction": "both", "vlan_tag": None, "src_mac": None, "dst_mac": None,
            "mpls_label": None, "service_chain_address": None,
            "ipv6_service_chain_address": None, "protocol": None}


def bgp_peering_attr() -> dict[str, Any]:
    """bgp_router <-> bgp_router link attribute for an iBGP mesh between control nodes."""
    return {"session": [{"uuid": None, "attributes": [{
        "bgp_router": None, "admin_down": False, "passive": False, "as_override": False,
        "hold_time": 0, "loop_count": 0, "local_autonomous_system": 0,
        "address_families": {"family": ["route-target", "inet-vpn", "e-vpn", "erm-vpn", "inet6-vpn"]},
        "auth_data": None, "family_attributes": [], "private_as_action": None,
        "route_origin_override": None}]}]}
