"""The streaming tree comparison of zk-sync and verify: walk order is a total order it can merge on."""

from __future__ import annotations

import random
from collections import deque

from tfdata.model.zk import ZNode
from tfdata.sync.zk import compare_trees


class Tree:
    """Nodes in memory, walked the way ZookeeperStore.walk does (level by level, children sorted)."""

    def __init__(self, nodes: dict[str, bytes]) -> None:
        self.nodes = nodes

    def walk(self, root):
        pending = deque([root])
        while pending:
            path = pending.popleft()
            if path not in self.nodes:
                continue
            yield ZNode(path, self.nodes[path], None, False)
            kids = sorted(p.rsplit("/", 1)[1] for p in self.nodes if p.rsplit("/", 1)[0] == path)
            pending.extend(f"{path}/{k}" for k in kids)


def random_tree(rng: random.Random, root: str, size: int) -> dict[str, bytes]:
    nodes = {root: b""}
    for i in range(size):
        parent = rng.choice(sorted(nodes))
        name = rng.choice(["a", "b", "a:b", "z", "0000000001", "vn-1", "x y"]) + str(rng.randrange(30))
        nodes.setdefault(f"{parent}/{name}", str(i % 7).encode())
    return nodes


def test_merge_finds_exactly_the_differences_of_random_trees():
    rng = random.Random(5)
    for _ in range(40):
        old = random_tree(rng, "/id", 120)
        new = {p.replace("/id", "/ndb/id", 1): d for p, d in random_tree(rng, "/id", 120).items()}
        got = {(kind, rel) for kind, rel, _ in compare_trees(Tree(old), "/id", Tree(new), "/ndb/id")}
        rel_old = {p[len("/id"):]: d for p, d in old.items()}
        rel_new = {p[len("/ndb/id"):]: d for p, d in new.items()}
        expected = ({("create", r) for r in rel_old.keys() - rel_new.keys()}
                    | {("delete", r) for r in rel_new.keys() - rel_old.keys()}
                    | {("set" if rel_old[r] != rel_new[r] else "same", r) for r in rel_old.keys() & rel_new.keys()})
        assert got == expected


def test_creates_come_parents_first_and_an_absent_tree_is_all_creates():
    old = {"/id": b"", "/id/b": b"1", "/id/a": b"", "/id/a/c": b"2"}
    ops = list(compare_trees(Tree(old), "/id", Tree({}), "/id"))
    assert [rel for _, rel, _ in ops] == ["", "/a", "/b", "/a/c"]
    assert {kind for kind, _, _ in ops} == {"create"}
