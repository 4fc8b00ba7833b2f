"""Which keyspaces and tables make up the TF config store, and how a cluster prefix renames them."""

from __future__ import annotations

CONFIG_KEYSPACE = "config_db_uuid"
UUID_TABLE = "obj_uuid_table"
FQ_NAME_TABLE = "obj_fq_name_table"
SHARED_TABLE = "obj_shared_table"

# Tables each keyspace has in current releases; stores also pick up any other table they find
# (e.g. dm_keyspace.dm_pr_ae_id_table from R5.x), as db_json_exim does.
KNOWN_TABLES: dict[str, tuple[str, ...]] = {
    CONFIG_KEYSPACE: (UUID_TABLE, FQ_NAME_TABLE, SHARED_TABLE),
    "useragent": ("useragent_keyval_table",),
    "to_bgp_keyspace": (
        "route_target_table",
        "service_chain_ip_address_table",
        "service_chain_table",
        "service_chain_uuid_table",
    ),
    "svc_monitor_keyspace": (
        "service_instance_table",
        "pool_table",
        "loadbalancer_table",
        "healthmonitor_table",
    ),
    "dm_keyspace": (
        "dm_pr_vn_ip_table",
        "dm_pr_asn_table",
        "dm_ni_ipv6_ll_table",
        "dm_pnf_resource_table",
    ),
}

TF_KEYSPACES: tuple[str, ...] = tuple(KNOWN_TABLES)
# Keyspaces that ISSU post-sync copies (everything but the object store).
PRIVATE_KEYSPACES: tuple[str, ...] = tuple(k for k in TF_KEYSPACES if k != CONFIG_KEYSPACE)


def physical_keyspace(keyspace: str, prefix: str | None) -> str:
    """TF's rule: ``<prefix>_<name>`` when a cluster_id is set, the bare name otherwise."""
    return f"{prefix}_{keyspace}" if prefix else keyspace


def logical_keyspace(physical: str, prefix: str | None) -> str | None:
    """Inverse of physical_keyspace; None when the name is not one of ours under that prefix."""
    if prefix:
        head = f"{prefix}_"
        if not physical.startswith(head):
            return None
        physical = physical[len(head):]
    return physical if physical in KNOWN_TABLES else None
