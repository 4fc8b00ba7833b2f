"""Change a cluster the way the TF API server does: cells first, then the notification.

Used by tests and benchmarks to drive run-sync with realistic traffic: creates write the object's
row, the parent's children cell, the ref targets' backrefs, the fq-name index cell and the
fq-name znode, then publish CREATE with the object body; updates rewrite or delete props and
refs (and the peers' backrefs) and publish UPDATE without a body; deletes undo everything and
publish DELETE with the last body. Messages carry an ``x-tfdata-sent-us`` header (epoch microseconds)
so run-sync can measure notification-to-applied lag.
"""

from __future__ import annotations

import json
import time
import uuid as uuidlib
from typing import TYPE_CHECKING, Any

from ..model.cells import Cell, now_us
from ..model.fqname import expected_shares, fq_name_column, shared_column
from ..model.objects import ObjectSpec, decode_row, encode_json, object_columns, peer_columns, uuid_to_longs
from ..stores.rabbitmq import connect, declare_exchange, publish_notification
from .objects import FQ_REF, SHARED_REF, UUID_REF

if TYPE_CHECKING:
    from ..config import Profile
    from ..stores.rabbitmq import BlockingChannel, BlockingConnection


class ApiSimulator:
    def __init__(self, profile: Profile, publish: bool = True, confirm: bool = False) -> None:
        """``confirm``: wait for the broker to take each notification (publisher confirms). The
        API servers do not; a test that counts messages must, since the broker may drop the last
        unconfirmed messages of a connection that closes right after a burst."""
        from ..stores.cassandra import CassandraStore
        from ..stores.zookeeper import ZookeeperStore

        self.profile = profile
        self.db = CassandraStore(profile)
        self.db.ensure_tables([UUID_REF, FQ_REF, SHARED_REF])
        self.zk = ZookeeperStore(profile)
        self.publish_enabled = publish
        self.confirm = confirm
        self._conn: BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self.sent = 0

    # ------------------------------------------------------------------ notifications
    def _publish(self, message: dict[str, Any]) -> None:
        if not self.publish_enabled:
            return
        if self._conn is None or self._conn.is_closed or self._channel is None:
            self._conn = connect(self.profile.rabbitmq, "simulator broker")
            self._channel = self._conn.channel()
            declare_exchange(self._channel)
            if self.confirm:
                self._channel.confirm_delivery()
        message.setdefault("request-id", f"req-{uuidlib.uuid4()}")
        publish_notification(self._channel, json.dumps(message).encode(),
                             {"x-tfdata-sent-us": int(time.time() * 1_000_000)})
        self.sent += 1

    # ------------------------------------------------------------------ operations
    def _share(self, obj_type: str, uuid: str, before: Any, after: Any, ts: int) -> None:
        """obj_shared_table follows perms2, as the API server's shared index does."""
        old = {shared_column(k, o, uuid) for k, o, _ in expected_shares(before)}
        new = {shared_column(k, o, uuid): encode_json(a) for k, o, a in expected_shares(after)}
        if old - set(new):
            self.db.delete_cells(SHARED_REF, [(obj_type, c) for c in sorted(old - set(new))], ts)
        if new:
            self.db.write_cells(SHARED_REF, [Cell(obj_type, c, v, ts) for c, v in sorted(new.items())])

    def create(self, spec: ObjectSpec) -> None:
        ts = now_us()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000"
        spec.props.setdefault("id_perms", {"enable": True, "uuid": uuid_to_longs(spec.uuid), "created": stamp,
                                           "last_modified": stamp, "user_visible": True, "creator": None,
                                           "description": None})
        spec.props.setdefault("perms2", {"owner": "cloud-admin", "owner_access": 7, "global_access": 0, "share": []})
        self.zk.apply_changes([("create", f"/fq-name-to-uuid/{spec.type}:{':'.join(spec.fq_name)}",
                                spec.uuid.encode())])
        peers = peer_columns(spec)
        self.db.write_cells(UUID_REF, [Cell(k, c, v, ts) for k, c, v in peers])
        self.db.write_cells(UUID_REF, [Cell(spec.uuid, c, v, ts) for c, v in object_columns(spec)])
        self.db.write_cells(FQ_REF, [Cell(spec.type, fq_name_column(spec.fq_name, spec.uuid), "null", ts)])
        self._share(spec.type, spec.uuid, None, spec.props.get("perms2"), ts)
        body = {"uuid": spec.uuid, "fq_name": spec.fq_name, "parent_type": spec.parent_type,
                "parent_uuid": spec.parent_uuid, **spec.props}
        for ref_type, ref_uuid, attr in spec.refs:
            body.setdefault(f"{ref_type}_refs", []).append({"uuid": ref_uuid, "attr": attr, "to": []})
        self._publish({"oper": "CREATE", "type": spec.type, "uuid": spec.uuid, "fq_name": spec.fq_name,
                       "obj_dict": body})

    def update(self, uuid: str, set_props: dict[str, Any] | None = None, remove_props: list[str] | None = None,
               add_refs: list[tuple[str, str, Any]] | None = None, remove_refs: list[tuple[str, str]] | None = None,
               ) -> None:
        ts = now_us()
        row = decode_row(uuid, self.db.row_cells(UUID_REF, uuid))
        if row.type is None or row.fq_name is None:  # not live (TfObject.is_live): the API server answers 404
            raise ValueError(f"update of {uuid}: no such object")
        id_perms = dict(row.props.get("id_perms") or {})
        id_perms["last_modified"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{ts % 1_000_000:06d}"
        writes = [Cell(uuid, "prop:id_perms", encode_json(id_perms), ts)]
        for name, value in (set_props or {}).items():
            writes.append(Cell(uuid, f"prop:{name}", encode_json(value), ts))
        deletes = [(uuid, f"prop:{name}") for name in (remove_props or [])]
        for ref_type, ref_uuid, attr in add_refs or []:
            value = encode_json({"attr": attr, "is_weakref": False})
            writes.append(Cell(uuid, f"ref:{ref_type}:{ref_uuid}", value, ts))
            peer_col = f"ref:{row.type}:{uuid}" if ref_type == row.type else f"backref:{row.type}:{uuid}"
            writes += [Cell(ref_uuid, peer_col, value, ts), Cell(ref_uuid, "META:latest_col_ts", "null", ts)]
        for ref_type, ref_uuid in remove_refs or []:
            deletes.append((uuid, f"ref:{ref_type}:{ref_uuid}"))
            peer_col = f"ref:{row.type}:{uuid}" if ref_type == row.type else f"backref:{row.type}:{uuid}"
            deletes.append((ref_uuid, peer_col))
            writes.append(Cell(ref_uuid, "META:latest_col_ts", "null", ts))
        if deletes:
            self.db.delete_cells(UUID_REF, deletes, ts)
        self.db.write_cells(UUID_REF, writes, default_ts=ts)
        if set_props and "perms2" in set_props:
            self._share(row.type, uuid, row.props.get("perms2"), set_props["perms2"], ts)
        self._publish({"oper": "UPDATE", "type": row.type, "uuid": uuid, "fq_name": row.fq_name})

    def delete(self, uuid: str) -> None:
        ts = now_us()
        row = decode_row(uuid, self.db.row_cells(UUID_REF, uuid))
        obj_type, fq_name = row.type, row.fq_name
        if obj_type is None or fq_name is None:  # not live (TfObject.is_live): nothing to delete
            return
        body: dict[str, Any] = {"uuid": uuid, "fq_name": fq_name, "parent_type": row.parent_type}
        deletes: list[tuple[str, str]] = []
        if row.parent:
            deletes.append((row.parent[1], f"children:{obj_type}:{uuid}"))
            body["parent_uuid"] = row.parent[1]
        for (ref_type, ref_uuid) in row.refs:
            peer_col = f"ref:{obj_type}:{uuid}" if ref_type == obj_type else f"backref:{obj_type}:{uuid}"
            deletes.append((ref_uuid, peer_col))
            body.setdefault(f"{ref_type}_refs", []).append({"uuid": ref_uuid, "to": []})
        if deletes:
            self.db.delete_cells(UUID_REF, deletes, ts)
        self.db.delete_rows(UUID_REF, [uuid], ts)
        self.db.delete_cells(FQ_REF, [(obj_type, fq_name_column(fq_name, uuid))], ts)
        self._share(obj_type, uuid, row.props.get("perms2"), None, ts)
        try:
            self.zk.apply_changes([("delete", f"/fq-name-to-uuid/{obj_type}:{':'.join(fq_name)}", b"")])
        except Exception:
            pass
        self._publish({"oper": "DELETE", "type": obj_type, "uuid": uuid, "fq_name": fq_name, "obj_dict": body})

    def close(self) -> None:
        try:
            if self._conn is not None and not self._conn.is_closed:
                self._conn.close()
        finally:
            self.db.close()
            self.zk.close()
