"""zk-sync done right: new's config trees become equal to old's, node by node, data included.

Upstream deletes the new subtrees and copies top-down, then compares the names of three nodes'
direct children. Here the two trees are compared first and only the differences are applied
(creates parents first, data updates, deletes deepest first) in small transactions; a rerun after
a kill applies only what is still missing, and the result is verified recursively (every path
and its data, both ways). Ephemeral nodes (elections, locks) are never copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..model.zk import ISSU_TREES, UNPREFIXED_ID_TREES, VALIDATION_TREE

TXN_OPS = 200


def tree_pairs(old_prefix: str | None, new_prefix: str | None, include_validation: bool = True) -> list[tuple[str, str]]:
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


def read_tree(zk, root: str) -> dict[str, bytes]:
    """Relative path ('' for the root) -> data, ephemeral nodes excluded."""
    out: dict[str, bytes] = {}
    for node in zk.walk(root):
        rel = node.path[len(root):]
        if node.path == root or node.path.startswith(root + "/"):
            out[rel] = node.data
    return out


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


def sync_tree(old_zk, new_zk, old_root: str, new_root: str, dry_run: bool = False,
              on_op: Callable[[int], None] | None = None) -> TreeResult:
    result = TreeResult(old_root, new_root)
    src = read_tree(old_zk, old_root)
    dst = read_tree(new_zk, new_root)
    if not src and not dst:
        result.verified = True
        return result
    creates = sorted((p for p in src if p not in dst), key=lambda p: (p.count("/"), p))
    updates = sorted(p for p in src if p in dst and src[p] != dst[p])
    deletes = sorted((p for p in dst if p not in src), key=lambda p: (-p.count("/"), p))
    result.same = sum(1 for p in src if p in dst and src[p] == dst[p])
    result.created, result.updated, result.deleted = len(creates), len(updates), len(deletes)
    if dry_run:
        return result
    if "" in creates:
        new_zk.client.ensure_path(new_root.rsplit("/", 1)[0] or "/")
    ops: list[tuple[str, str, bytes]] = [("create", new_root + p, src[p]) for p in creates]
    ops += [("set", new_root + p, src[p]) for p in updates]
    ops += [("delete", new_root + p, b"") for p in deletes]
    for start in range(0, len(ops), TXN_OPS):
        _commit(new_zk.client, ops[start:start + TXN_OPS])
        if on_op:
            on_op(len(ops[start:start + TXN_OPS]))
    after = read_tree(new_zk, new_root)
    src_again = read_tree(old_zk, old_root)
    result.mismatches = sorted(p or "/" for p in set(after) | set(src_again) if after.get(p) != src_again.get(p))[:20]
    result.verified = not result.mismatches
    return result


def _commit(client, ops: list[tuple[str, str, bytes]]) -> None:
    from kazoo.exceptions import NodeExistsError, NoNodeError, NotEmptyError

    txn = client.transaction()
    for kind, path, data in ops:
        if kind == "create":
            txn.create(path, data)
        elif kind == "set":
            txn.set_data(path, data)
        else:
            txn.delete(path)
    results = txn.commit()
    if not any(isinstance(r, Exception) for r in results):
        return
    # The transaction failed as a whole (e.g. a node appeared meanwhile): apply one by one.
    for kind, path, data in ops:
        try:
            if kind == "create":
                client.create(path, data, makepath=True)
            elif kind == "set":
                client.set(path, data)
            else:
                client.delete(path, recursive=True)
        except NodeExistsError:
            client.set(path, data)
        except (NoNodeError, NotEmptyError):
            if kind == "set":
                client.create(path, data, makepath=True)
            elif kind == "delete":
                continue


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


def sync_zookeeper(old_zk, new_zk, dry_run: bool = False, include_validation: bool = True,
                   on_op: Callable[[int], None] | None = None) -> ZkSyncResult:
    pairs = tree_pairs(old_zk.prefix, new_zk.prefix, include_validation)
    return ZkSyncResult([sync_tree(old_zk, new_zk, o, n, dry_run, on_op) for o, n in pairs], dry_run)
