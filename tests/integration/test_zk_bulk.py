"""The bulk ZooKeeper reader against the real OLD ZooKeeper: same tree as kazoo, gone nodes, idle sessions."""

from __future__ import annotations

import dataclasses
import time

from tfdata.stores import zkread
from tfdata.stores.zookeeper import ZookeeperStore


def _tree(store: ZookeeperStore) -> None:
    client = store.client
    client.create("/fq-name-to-uuid/virtual_network:default-domain:p:net", b"6b7a", makepath=True)
    client.create("/fq-name-to-uuid/project:default-domain:p", b"", makepath=True)
    client.create("/id/virtual-networks/0000000005", b"default-domain:p:net", makepath=True)
    client.set("/id", b"inner data")
    client.create("/api-server/election/lock-", b"me", ephemeral=True, sequence=True, makepath=True)
    for i in range(2500):  # more than one window of requests
        client.create(f"/id/bgp/route-targets/{i:010d}", f"rt-{i}".encode(), makepath=True)


def test_bulk_walk_equals_kazoo_walk(old, monkeypatch):
    store = ZookeeperStore(old)
    try:
        _tree(store)
        bulk = [(n.path, n.data, n.stat) for n in store.znodes()]
        monkeypatch.setattr(zkread, "supported", lambda cfg: False)
        slow = [(n.path, n.data, n.stat) for n in store.znodes()]
    finally:
        store.close()
    assert bulk == slow
    paths = [p for p, _, _ in bulk]
    assert "/id/bgp/route-targets/0000002499" in paths and ("/id", b"inner data") in [(p, d) for p, d, _ in bulk]
    assert not any("election" in p and "lock-" in p for p in paths)  # ephemerals are not config
    assert paths.index("/id/bgp") < paths.index("/id/bgp/route-targets")  # parents first


def test_missing_nodes_read_as_none_and_an_idle_session_is_replaced(old):
    store = ZookeeperStore(old)
    try:
        _tree(store)
    finally:
        store.close()
    reader = zkread.BulkReader(dataclasses.replace(old.zookeeper, timeout=1.0))
    try:
        got = reader.get_many(["/id", "/no/such/node", "/id/virtual-networks/0000000005"])
        assert got[0][0] == b"inner data" and got[1] is None and got[2][0] == b"default-domain:p:net"
        time.sleep(1.5)  # longer than the reader keeps a quiet session
        assert sorted(reader.children_many(["/id/virtual-networks"])[0]) == ["0000000005"]
    finally:
        reader.close()
