"""zk-sync done right: new's config trees become equal to old's, node by node, data included.

Upstream deletes the new subtrees and copies top-down, then compares the names of three nodes'
direct children. Here the two trees are compared first and only the differences are applied
(creates parents first, data updates, deletes deepest first) in small transactions; a rerun after
a kill applies only what is still missing, and the result is verified recursively (every path
and its data, both ways). Ephemeral nodes (elections, locks) are never copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from ..model.zk import ISSU_TREES, UNPREFIXED_ID_TREES, VALIDATION_TREE
from ..stores.base import ZnodeChange, ZnodeStore, ZnodeTree

TXN_OPS = 200


def tree_pairs(old_prefix: str | None, new_prefix: str | None,
               include_validation: bool = True) -> list[tuple[str, str]]:
    """(old root, new root) of every tree to copy; prefix-aware, including trees upstream never prefixes."""
    def base(prefix: str | None) -> str:
        return f"/{prefix}" if prefix else ""

    pairs = [(f"{base(old_prefix)}/{t}", f"{base(new_prefix)}/{t}") for t in ISSU_TREES]
    if old_prefix or new_prefix:
        # these live outside /<prefix>/id on a prefixed cluster
        pairs += [(f"/{t}", f"/{t}") for t in UNPREFIXED_ID_TREES]
    if include_validation:
        pairs.append((f"/{VALIDATION_TREE}", f"/{VALIDATION_TREE}"))
    return pairs


WalkOrder = tuple[int, list[str]]  # (depth, path components): the order of a walk


def _relative(zk: ZnodeTree, root: str) -> Iterator[tuple[WalkOrder, str, bytes]]:
    """(order key, path relative to root, data) in the walk's breadth-first order.

    The walk lists children sorted and visits level by level, so its order is exactly
    (depth, path components): two trees' walks can be merged like sorted lists, one node at a
    time, whatever their size.
    """
    for node in zk.walk(root):
        if node.path == root or node.path.startswith(root + "/"):
            rel = node.path[len(root):]
            yield (rel.count("/"), rel.split("/")), rel, node.data


def compare_trees(old_zk: ZnodeTree, old_root: str, new_zk: ZnodeTree,
                  new_root: str) -> Iterator[tuple[str, str, bytes]]:
    """Streaming merge of two trees: ("create" | "set" | "delete" | "same", relative path, old data)."""
    src, dst = _relative(old_zk, old_root), _relative(new_zk, new_root)
    a, b = next(src, None), next(dst, None)
    while a is not None or b is not None:
        if a is not None and (b is None or a[0] < b[0]):
            yield "create", a[1], a[2]
            a = next(src, None)
        elif b is not None and (a is None or b[0] < a[0]):
            yield "delete", b[1], b""
            b = next(dst, None)
        elif a is not None and b is not None:
            yield ("same" if a[2] == b[2] else "set"), a[1], a[2]
            a, b = next(src, None), next(dst, None)


@dataclass
class TreeResult:
    old_root: str
    new_root: str
    created: int = 0
    updated: int = 0
    deleted: int = 0
    same: int = 0
    verified: bool | None = None
    mismatches: list[str] = field(default_factory=list)


def sync_tree(old_zk: ZnodeTree, new_zk: ZnodeStore, old_root: str, new_root: str, dry_run: bool = False,
              on_op: Callable[[int], None] | None = None) -> TreeResult:
    """Apply the differences while both trees are walked; then walk both again to verify.

    Creates come parents first (walk order); a delete removes its whole subtree, so the
    deletes of its descendants that follow find nothing and are skipped.
    """
    result = TreeResult(old_root, new_root)
    ops: list[ZnodeChange] = []
    root_made = False
    for kind, rel, data in compare_trees(old_zk, old_root, new_zk, new_root):
        if kind == "same":
            result.same += 1
            continue
        result.created += kind == "create"
        result.updated += kind == "set"
        result.deleted += kind == "delete"
        if dry_run:
            continue
        if kind == "create" and rel == "" and not root_made:
            new_zk.make_path(new_root.rsplit("/", 1)[0] or "/")
            root_made = True
        ops.append((kind, new_root + rel, data))
        if len(ops) >= TXN_OPS:
            new_zk.apply_changes(ops)
            if on_op:
                on_op(len(ops))
            ops = []
    if ops:
        new_zk.apply_changes(ops)
        if on_op:
            on_op(len(ops))
    if dry_run:
        return result
    for kind, rel, _ in compare_trees(old_zk, old_root, new_zk, new_root):
        if kind != "same":
            result.mismatches.append(rel or "/")
            if len(result.mismatches) >= 20:
                break
    result.verified = not result.mismatches
    return result


@dataclass
class ZkSyncResult:
    trees: list[TreeResult]
    dry_run: bool

    @property
    def verified(self) -> bool:
        return all(t.verified for t in self.trees) if not self.dry_run else False

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "verified": None if self.dry_run else self.verified,
                "trees": [t.__dict__ for t in self.trees]}


def sync_zookeeper(old_zk: ZnodeStore, new_zk: ZnodeStore, dry_run: bool = False, include_validation: bool = True,
                   on_op: Callable[[int], None] | None = None) -> ZkSyncResult:
    pairs = tree_pairs(old_zk.prefix, new_zk.prefix, include_validation)
    return ZkSyncResult([sync_tree(old_zk, new_zk, o, n, dry_run, on_op) for o, n in pairs], dry_run)
