"""Where a znode sits in the TF trees the audit knows (tf-config-store.md §5.2).

Prefixed trees start with ``/<cluster_id>``. A live cluster source knows its prefix; a dump made
with a cluster_id records ``<id>/...`` paths that we cannot tell from unprefixed ones by the
file alone, so without a known prefix both readings are tried (a TF tree name never is a
cluster id in practice).

Names inside paths (read from tf-controller vnc_db.py ``VncZkClient`` and zkclient.py
``IndexAllocator``): TF composes paths with plain ``'%s'`` -- no quoting, no escaping, raw UTF-8
-- so a name holding '/' adds levels, and kazoo (``kazoo.protocol.paths.normpath``) drops empty
segments, which collapses '//' and loses a '/' at either end of the path. :func:`zk_form` is that
transformation; names are compared with the paths in that form. A name can only be recovered by
reading the TF-chosen segments from the right (index, prefix length) and matching what is left
against the known objects.
"""

from __future__ import annotations

from dataclasses import dataclass

FQ_NAME_TO_UUID = "fq-name-to-uuid"
SUBNETS = "subnets"
VN_ID = "vn-id"
SG_ID = "sg-id"
RT_ID = "rt-id"
AE_ID = "ae-id"
TAGS = "tags"
VPG_ID = "vpg-id"
SUB_CLUSTER_ID = "sub-cluster-id"

TREE_HEADS: dict[str, tuple[str, ...]] = {
    FQ_NAME_TO_UUID: ("fq-name-to-uuid",),
    SUBNETS: ("api-server", "subnets"),
    VN_ID: ("id", "virtual-networks"),
    SG_ID: ("id", "security-groups", "id"),
    RT_ID: ("id", "bgp", "route-targets"),
    AE_ID: ("id", "aggregated-ethernet"),
    TAGS: ("id", "tags"),
    VPG_ID: ("id", "virtual-port-group"),
    SUB_CLUSTER_ID: ("id", "sub-clusters", "id"),
}


@dataclass(frozen=True, slots=True)
class ZkPlace:
    tree: str  # one of TREE_HEADS
    parts: tuple[str, ...]  # path segments below the tree root
    root: str  # absolute path of the tree root, prefix included


def locate(path: str, prefix: str | None) -> ZkPlace | None:
    """The tree a znode belongs to, or None for nodes the audit does not read."""
    segments = tuple(s for s in path.split("/") if s)
    if prefix:
        leads = [tuple(s for s in prefix.split("/") if s)]
    else:
        leads = [(), segments[:1]]
    for lead in leads:
        if segments[:len(lead)] != lead:
            continue
        rest = segments[len(lead):]
        for tree, head in TREE_HEADS.items():
            if rest[:len(head)] == head and len(rest) > len(head):
                return ZkPlace(tree, rest[len(head):], "/" + "/".join(lead + head))
    return None


def zk_form(text: str) -> str:
    """How text embedded in a znode path reads back: split on '/', empty segments dropped."""
    if "//" not in text and not text.startswith("/") and not text.endswith("/"):
        return text
    return "/".join(segment for segment in text.split("/") if segment)


def is_number(segment: str) -> bool:
    """ASCII digits only (str.isdigit also accepts '²', which int() refuses)."""
    return segment.isascii() and segment.isdigit()


def allocator_index(segment: str) -> int | None:
    """IndexAllocator node name (``%010d``) -> index, else None."""
    return int(segment) if len(segment) >= 10 and is_number(segment) else None


def is_intermediate(node) -> bool:
    """A node created only as a parent (empty data, has children). Dumps record leaves only, but
    a live walk also yields these."""
    if node.data:
        return False
    stat = node.stat
    return stat is None or (len(stat) > 9 and stat[9] > 0)
