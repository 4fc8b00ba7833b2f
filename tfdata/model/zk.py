"""ZooKeeper layout of a TF cluster: which trees belong to the config store and how prefixes apply."""

from __future__ import annotations

from dataclasses import dataclass

# kazoo's ZnodeStat field order; db_json_exim writes the stat as a list in this order.
STAT_FIELDS = (
    "czxid", "mzxid", "ctime", "mtime", "version", "cversion", "aversion",
    "ephemeralOwner", "dataLength", "numChildren", "pzxid",
)

# The trees ISSU zk-sync copies (prefixed with the cluster_id when one is set).
ISSU_TREES = ("fq-name-to-uuid", "api-server", "id")
# Trees under /id that upstream never prefixes (schema-transformer / device-manager quirks).
UNPREFIXED_ID_TREES = ("id/service-chain", "id/pnf")
# VLAN uniqueness markers: never prefixed, not copied by upstream ISSU (a loss we fix).
VALIDATION_TREE = "validation"

# Node names db_json_exim skips (with their subtrees) at any depth.
EXIM_IGNORED_NAMES = frozenset({
    "consumers", "config", "controller", "isr_change_notification", "admin", "brokers",
    "zookeeper", "controller_epoch", "api-server-election", "vnc_api_server_locks",
    "vnc_api_server_obj_create", "schema-transformer", "device-manager", "svc-monitor",
    "contrail_cs", "lockpath", "analytics-discovery-", "vcenter-plugin", "vcenter-fabric-manager",
})


@dataclass(slots=True, frozen=True)
class ZNode:
    """A znode: absolute path without trailing '/', raw data, and the stat as a tuple (or None)."""

    path: str
    data: bytes
    stat: tuple[int, ...] | None = None
    ephemeral: bool = False

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def stat_dict(self) -> dict[str, int] | None:
        return dict(zip(STAT_FIELDS, self.stat)) if self.stat else None


def normalize_path(path: str) -> str:
    """'/a//b/' and 'a/b' -> '/a/b' (kazoo normalises the same way)."""
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts)


def tf_roots(prefix: str | None) -> list[str]:
    """Absolute roots of the config-store trees for a cluster prefix."""
    base = f"/{prefix}" if prefix else ""
    roots = [f"{base}/{tree}" for tree in ISSU_TREES]
    if prefix:
        roots += [f"/{tree}" for tree in UNPREFIXED_ID_TREES]
    roots.append(f"/{VALIDATION_TREE}")
    return roots


def in_tf_trees(path: str, prefix: str | None) -> bool:
    return any(path == root or path.startswith(root + "/") for root in tf_roots(prefix))


def allocator_node(index: int) -> str:
    """IndexAllocator node names are the index zero-padded to at least 10 digits."""
    return f"{index:010d}"


def parse_allocator_node(name: str) -> int | None:
    if len(name) >= 10 and name.isdigit():
        return int(name)
    return None


def data_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def text_data(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")
