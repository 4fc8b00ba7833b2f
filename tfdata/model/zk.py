"""ZooKeeper layout of a TF cluster: which trees belong to the config store and how prefixes apply."""

from __future__ import annotations

import re
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
        return dict(zip(STAT_FIELDS, self.stat, strict=True)) if self.stat else None


_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_dump_path(recorded: str, absolute: bool) -> str:
    """A znode path as a dump records it -> the absolute path; ValueError says what is wrong.

    db_json_exim walks from '/' without a cluster_id, recording '/a/b/', and from '<cluster_id>/'
    with one, recording 'east/a/b/' (tf-config-store.md §8.2). So a recorded path is: a leading
    '/' when ``absolute`` (the form of the dump's first path) and none otherwise, then one or more
    names each followed by '/'. A name is never empty (no '//', no bare '/'), never '.' or '..',
    and holds no NUL and no surrogate: ZooKeeper refuses all of these. Nothing is normalised,
    because two spellings of one path would silently merge.
    """
    if not recorded:
        raise ValueError("is empty")
    if recorded.startswith("/") != absolute:
        raise ValueError("has a leading '/', unlike the dump's first path" if not absolute else
                         "has no leading '/', unlike the dump's first path")
    if not recorded.endswith("/"):
        raise ValueError("does not end with '/' (a dump records every path with one)")
    body = recorded[1 if absolute else 0:-1]
    names = body.split("/")
    if not body or "" in names:
        raise ValueError("has an empty name")
    if "." in names or ".." in names:
        raise ValueError("has a relative name ('.' or '..')")
    if "\0" in body:
        raise ValueError("holds a NUL character")
    if _SURROGATE.search(body):
        raise ValueError("holds a lone surrogate escape (not text)")
    return "/" + body


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
