"""ZooKeeper (kazoo): pipelined recursive walks with data and stat, transactional batched writes.

Ephemeral nodes (elections, locks) belong to live sessions, so they are never read as config nor
written. Writes keep each node's data and ACL; stat fields (zxids, versions, times) are the
server's to assign, which is why comparisons look at path and data only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from ..config import Profile, ZookeeperConfig
from ..errors import ConnectionFailed
from ..model.zk import EXIM_IGNORED_NAMES, ZNode, tf_roots
from .base import SourceInfo, ZnodeChange

if TYPE_CHECKING:
    from kazoo.client import KazooClient
    from kazoo.protocol.serialization import ZnodeStat

    from .zkread import BulkReader

log = logging.getLogger(__name__)

_PIPELINE = 2000  # paths per walk step (requests in flight at once)
_TXN_OPS = 200  # small transactions: the server keeps recent requests in memory


def connect(cfg: ZookeeperConfig, what: str = "zookeeper") -> KazooClient:
    from kazoo.client import KazooClient
    from kazoo.handlers.threading import KazooTimeoutError

    kwargs: dict[str, object] = {}
    if cfg.auth_scheme:
        kwargs["auth_data"] = [(cfg.auth_scheme, cfg.auth_credential or "")]
        if cfg.auth_scheme == "digest":
            from kazoo.security import make_digest_acl

            user, _, password = (cfg.auth_credential or "").partition(":")
            kwargs["default_acl"] = [make_digest_acl(user, password, all=True)]
    if cfg.tls.enabled:
        kwargs.update(use_ssl=True, ca=cfg.tls.ca_file, certfile=cfg.tls.cert_file, keyfile=cfg.tls.key_file,
                      verify_certs=cfg.tls.verify)
    client = KazooClient(hosts=cfg.hosts, timeout=cfg.timeout, connection_retry={"max_tries": 2, "delay": 0.2},
                         command_retry={"max_tries": 3, "delay": 0.2}, **kwargs)
    try:
        client.start(timeout=cfg.timeout)
    except KazooTimeoutError:
        client.close()
        hint = "" if cfg.tls.enabled else "; if that port expects TLS, set tls in the profile"
        raise ConnectionFailed(f"{what} {cfg.hosts}: cannot connect (timed out after {cfg.timeout:g}s{hint})") from None
    except Exception as exc:
        client.close()
        raise ConnectionFailed(f"{what} {cfg.hosts}: cannot connect ({exc.__class__.__name__}: {exc})") from None
    if cfg.auth_scheme:
        # auth failures surface as a lost session on the first request
        try:
            client.exists("/")
        except Exception as exc:
            client.stop()
            client.close()
            raise ConnectionFailed(f"{what} {cfg.hosts}: authentication failed ({exc.__class__.__name__})") from None
    return client


class ZookeeperStore:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.prefix = profile.prefix
        self.info = SourceInfo("cluster", profile.name, profile.prefix)
        self._bulk: BulkReader | None = None
        what = f"zookeeper of profile '{profile.name}'"
        self.client = connect(profile.zookeeper, what)
        try:
            self._check_readable(what)
        except BaseException:
            self.close()
            raise

    def _check_readable(self, what: str) -> None:
        """Digest auth never fails at login (a wrong password is just another identity): find out now,
        before anything is written, whether the trees we will read or replace are ours to read."""
        from kazoo.exceptions import NoAuthError, NoNodeError

        for root in tf_roots(self.prefix):
            try:
                self.client.get(root)
            except NoNodeError:
                continue
            except NoAuthError:
                scheme = self.profile.zookeeper.auth_scheme
                raise ConnectionFailed(
                    f"{what} {self.profile.zookeeper.hosts}: not authorized to read {root} "
                    + (f"(check the {scheme} user/password)" if scheme else "(its ACL needs auth_scheme/user/password)")
                ) from None

    def roots(self) -> list[str]:
        """Where the config store's znodes live: the cluster's whole tree (minus EXIM_IGNORED_NAMES),
        plus the trees upstream never prefixes when a prefix is set."""
        if not self.prefix:
            return ["/"]
        return [f"/{self.prefix}", "/id/service-chain", "/id/pnf", "/validation"]

    # ------------------------------------------------------------------ reading
    def znodes(self, roots: Iterable[str] | None = None) -> Iterator[ZNode]:
        for root in (roots if roots is not None else self.roots()):
            yield from self.walk(root)

    def walk(self, root: str) -> Iterator[ZNode]:
        """Breadth-first walk (parents before children), requests pipelined so round trips overlap.

        Memory holds the frontier's paths only, never the data of nodes already emitted. Most
        config znodes are leaves, so children are listed only where the stat says there are some.
        """
        from collections import deque

        get_many, children_many = self._bulk_calls()
        pending: deque[str] = deque([root])
        while pending:
            batch = [pending.popleft() for _ in range(min(_PIPELINE, len(pending)))]
            parents = []
            for path, got in zip(batch, get_many(batch), strict=True):
                if got is None:
                    continue  # absent root, or deleted while we walked
                data, stat = got
                if stat.ephemeralOwner:
                    continue
                if path != "/":
                    yield ZNode(path, data or b"", tuple(stat), False)
                if stat.numChildren:
                    parents.append(path)
            for path, kids in zip(parents, children_many(parents), strict=True):
                if kids is None:
                    continue
                base = path.rstrip("/")
                pending.extend(f"{base}/{k}" for k in sorted(kids) if k not in EXIM_IGNORED_NAMES)

    def _bulk_calls(self) -> tuple[Callable[[list[str]], list[tuple[bytes, ZnodeStat] | None]],
                                   Callable[[list[str]], list[list[str] | None]]]:
        """(get_many, children_many): the bulk reader's when it can serve this profile, else kazoo's."""
        from . import zkread

        if zkread.supported(self.profile.zookeeper):
            if self._bulk is None:
                self._bulk = zkread.BulkReader(self.profile.zookeeper, f"zookeeper of profile '{self.profile.name}'")
            return self._bulk.get_many, self._bulk.children_many

        from kazoo.exceptions import NoNodeError

        def gather(requests):
            out = []
            for request in requests:
                try:
                    out.append(request.get())
                except NoNodeError:
                    out.append(None)
            return out

        return (lambda paths: gather([self.client.get_async(p) for p in paths]),
                lambda paths: gather([self.client.get_children_async(p) for p in paths]))

    def node_data(self, path: str) -> bytes | None:
        """One node's data; None when there is no such node."""
        from kazoo.exceptions import NoNodeError

        try:
            return self.client.get(path)[0]
        except NoNodeError:
            return None

    def non_empty(self) -> list[str]:
        found = []
        for root in tf_roots(self.prefix):
            stat = self.client.exists(root)
            if stat is not None and (stat.numChildren or stat.dataLength):
                found.append(f"zookeeper {root}")
        return found

    # ------------------------------------------------------------------ writing
    def write_znodes(self, nodes: Iterable[ZNode]) -> int:
        """Create (or set) nodes in small transactions; parents are created as needed."""
        from kazoo.exceptions import NodeExistsError, NoNodeError

        written = 0
        made: set[str] = set()
        txn_nodes: list[ZNode] = []

        def flush() -> None:
            nonlocal txn_nodes
            if not txn_nodes:
                return
            txn = self.client.transaction()
            for node in txn_nodes:
                txn.create(node.path, node.data)
            results = txn.commit()
            if any(isinstance(r, Exception) for r in results):
                # fall back per node: some exist already or a parent is missing
                for node in txn_nodes:
                    try:
                        self.client.create(node.path, node.data, makepath=True)
                    except NodeExistsError:
                        self.client.set(node.path, node.data)
                    except NoNodeError:
                        self.client.create(node.path, node.data, makepath=True)
            txn_nodes = []

        for node in nodes:
            if node.ephemeral:
                continue
            parent = node.path.rsplit("/", 1)[0] or "/"
            if parent != "/" and parent not in made and not any(n.path == parent for n in txn_nodes):
                flush()
                self.client.ensure_path(parent)
                made.add(parent)
            txn_nodes.append(node)
            made.add(node.path)
            written += 1
            if len(txn_nodes) >= _TXN_OPS:
                flush()
        flush()
        return written

    def make_path(self, path: str) -> None:
        """Create ``path`` and its missing ancestors, without data; nothing when it exists."""
        self.client.ensure_path(path)

    def apply_changes(self, changes: list[ZnodeChange]) -> None:
        """Create, set or delete nodes in one transaction (a sync's small batch of differences).

        When the transaction fails as a whole (a node appeared or vanished meanwhile, a parent is
        missing), each change is applied alone, forgivingly: a create of an existing node sets its
        data, a set of a missing node creates it, a delete removes the subtree or finds nothing.
        """
        from kazoo.exceptions import NodeExistsError, NoNodeError, NotEmptyError

        txn = self.client.transaction()
        for kind, path, data in changes:
            if kind == "create":
                txn.create(path, data)
            elif kind == "set":
                txn.set_data(path, data)
            else:
                txn.delete(path)
        results = txn.commit()
        if not any(isinstance(r, Exception) for r in results):
            return
        for kind, path, data in changes:
            try:
                if kind == "create":
                    self.client.create(path, data, makepath=True)
                elif kind == "set":
                    self.client.set(path, data)
                else:
                    self.client.delete(path, recursive=True)
            except NodeExistsError:
                self.client.set(path, data)
            except (NoNodeError, NotEmptyError):
                if kind == "set":
                    self.client.create(path, data, makepath=True)
                elif kind == "delete":
                    continue

    def delete_tf_trees(self) -> None:
        """Remove every config-store tree (what load --force replaces)."""
        for root in self.roots():
            if root == "/":
                for child in self.client.get_children("/"):
                    if child not in EXIM_IGNORED_NAMES:
                        self.delete_tree("/" + child)
            else:
                self.delete_tree(root)

    def delete_tree(self, path: str) -> None:
        if self.client.exists(path):
            self.client.delete(path, recursive=True)

    def close(self) -> None:
        if self._bulk is not None:
            self._bulk.close()
        try:
            self.client.stop()
        finally:
            self.client.close()
