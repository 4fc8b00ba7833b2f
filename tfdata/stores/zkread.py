"""Bulk ZooKeeper reads: one read-only session with many requests in flight on one socket.

kazoo serves one request per turn of its event loop (and builds a new poll set each turn), which
caps a tree walk at a few thousand reads a second. A walk needs nothing kazoo adds (watches,
retries, session recovery), only getData/getChildren in bulk, so this speaks the wire protocol
directly: a window of requests goes out in one write and the replies, which ZooKeeper sends in
request order, are parsed as they come. Serialization reuses kazoo's protocol classes.
"""

from __future__ import annotations

import socket
import struct
import time
from typing import Iterable

from kazoo.protocol.serialization import Auth, Connect, GetChildren, GetData, ReplyHeader, ZnodeStat

from ..config import ZookeeperConfig
from ..errors import ConnectionFailed

NO_NODE = -101
NO_AUTH = -102
_AUTH_XID = -4
_PING_XID = -2
_PING_TYPE = 11
_LEN = struct.Struct("!i")
_HEADER = struct.Struct("!ii")


def _endpoints(hosts: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for item in hosts.split(","):
        item = item.strip()
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        out.append((host, int(port)) if sep and port.isdigit() else (item, 2181))
    return out


def supported(cfg: ZookeeperConfig) -> bool:
    """Chroots and SASL are left to kazoo (walks then take its slower path)."""
    return "/" not in cfg.hosts and cfg.auth_scheme in (None, "digest")


class BulkReader:
    def __init__(self, cfg: ZookeeperConfig, what: str = "zookeeper", window: int = 1000) -> None:
        self.cfg = cfg
        self.what = what
        self.window = window
        self._sock: socket.socket | None = None
        self._buf = bytearray()
        self._xid = 0
        self._session_ms = int(max(cfg.timeout, 10.0) * 3000)
        self._last_io = 0.0
        self._open()

    # ------------------------------------------------------------------ session
    def _open(self) -> None:
        errors: list[str] = []
        for host, port in _endpoints(self.cfg.hosts):
            try:
                sock = socket.create_connection((host, port), timeout=self.cfg.timeout)
                if self.cfg.tls.enabled:
                    from ..tls import client_context

                    ctx = client_context(self.cfg.tls)
                    assert ctx is not None  # client_context gives a context whenever tls is enabled
                    ctx.check_hostname = False  # as kazoo does: the chain is verified, the name is not
                    sock = ctx.wrap_socket(sock, server_hostname=host)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError as exc:
                errors.append(f"{host}:{port}: {exc.__class__.__name__}")
                continue
            self._sock, self._buf = sock, bytearray()
            try:
                self._handshake()
            except OSError as exc:
                self.close()
                errors.append(f"{host}:{port}: {exc.__class__.__name__}")
                continue
            return
        raise ConnectionFailed(f"{self.what} {self.cfg.hosts}: cannot open a read session ({'; '.join(errors)})")

    def _session(self) -> socket.socket:
        """The open session's socket (every request path opens one first)."""
        assert self._sock is not None, "no ZooKeeper session: _open() first"
        return self._sock

    def _handshake(self) -> None:
        body = Connect(0, 0, self._session_ms, 0, b"\x00" * 16, False).serialize()
        self._session().sendall(_LEN.pack(len(body)) + body)
        Connect.deserialize(self._frame(), 0)
        if self.cfg.auth_scheme:
            body = _HEADER.pack(_AUTH_XID, Auth.type) + Auth(0, self.cfg.auth_scheme,
                                                             self.cfg.auth_credential or "").serialize()
            self._session().sendall(_LEN.pack(len(body)) + body)
            header, _ = ReplyHeader.deserialize(self._frame(), 0)
            if header.err:
                raise ConnectionFailed(f"{self.what} {self.cfg.hosts}: authentication failed")
        self._last_io = time.monotonic()

    def _frame(self) -> bytes:
        while True:
            if len(self._buf) >= 4:
                size = _LEN.unpack_from(self._buf)[0]
                if len(self._buf) >= 4 + size:
                    frame = bytes(self._buf[4:4 + size])
                    del self._buf[:4 + size]
                    return frame
            chunk = self._session().recv(1 << 20)
            if not chunk:
                raise ConnectionResetError("server closed the connection")
            self._buf += chunk

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    # ------------------------------------------------------------------ requests
    def _many(self, request_class: type[GetData] | type[GetChildren], paths: list[str]) -> list:
        """Replies for ``paths`` in order: the parsed payload, or None where the node is gone."""
        if self._sock is None or time.monotonic() - self._last_io > self.cfg.timeout:
            self.close()  # idle too long for the session: a fresh one is cheaper than pings
            self._open()
        out: list = []
        for start in range(0, len(paths), self.window):
            chunk = paths[start:start + self.window]
            payload = bytearray()
            first = self._xid + 1
            for path in chunk:
                self._xid += 1
                body = _HEADER.pack(self._xid, request_class.type) + request_class(path, False).serialize()
                payload += _LEN.pack(len(body)) + body
            self._session().sendall(payload)
            expected = first
            while expected <= self._xid:
                frame = self._frame()
                header, offset = ReplyHeader.deserialize(frame, 0)
                if header.xid == _PING_XID or header.xid == -1:
                    continue  # a ping reply or a watch event: not ours to answer
                if header.xid != expected:
                    raise ConnectionFailed(f"{self.what} {self.cfg.hosts}: reply out of order "
                                           f"(xid {header.xid}, expected {expected})")
                expected += 1
                if header.err == NO_NODE:
                    out.append(None)
                elif header.err == NO_AUTH:
                    raise ConnectionFailed(f"{self.what} {self.cfg.hosts}: not authorized to read "
                                           f"{chunk[header.xid - first]} (check the digest user/password)")
                elif header.err:
                    raise ConnectionFailed(f"{self.what} {self.cfg.hosts}: read of {chunk[header.xid - first]} "
                                           f"failed (ZooKeeper error {header.err})")
                else:
                    out.append(request_class.deserialize(frame, offset))
        self._last_io = time.monotonic()
        return out

    def get_many(self, paths: Iterable[str]) -> list[tuple[bytes, ZnodeStat] | None]:
        return self._many(GetData, list(paths))

    def children_many(self, paths: Iterable[str]) -> list[list[str] | None]:
        return self._many(GetChildren, list(paths))
