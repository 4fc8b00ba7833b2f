"""Turns object creations into the cells and znodes contrail-api would leave behind.

One ``create`` writes what tf-config-store.md §3.5 describes: the object's own row, the peer cells
on parent and ref targets (children/backref/symmetric ref + META), the obj_fq_name_table cell, the
obj_shared_table cells implied by perms2 and the /fq-name-to-uuid lock. Everything goes straight
to the spill, so nothing is kept per object.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..model.cells import TableRef
from ..model.fqname import fq_name_column, shared_column
from ..model.keyspaces import CONFIG_KEYSPACE, FQ_NAME_TABLE, KNOWN_TABLES, SHARED_TABLE, UUID_TABLE
from ..model.objects import ObjectSpec, encode_json, object_columns, peer_columns
from ..model.zk import allocator_node
from .spill import CellSpill
from .values import id_perms

UUID_TABLE_REF = TableRef(CONFIG_KEYSPACE, UUID_TABLE)
FQ_NAME_TABLE_REF = TableRef(CONFIG_KEYSPACE, FQ_NAME_TABLE)
SHARED_TABLE_REF = TableRef(CONFIG_KEYSPACE, SHARED_TABLE)
ALL_TABLES = [TableRef(keyspace, table) for keyspace, tables in KNOWN_TABLES.items() for table in tables]

# A ZooKeeper epoch-1 zxid, so stats look like a long-running ensemble rather than zeros.
_ZXID_BASE = (1 << 32) + 0x100


@dataclass(slots=True)
class Node:
    """The little the generator remembers about a created object."""

    type: str
    uuid: str
    fq_name: list[str]
    created: int  # writetime (µs) of the create

    @property
    def fq_str(self) -> str:
        return ":".join(self.fq_name)

    @property
    def resource_type(self) -> str:
        """Dash form, as stored in parent_type."""
        return self.type.replace("_", "-")


class Emitter:
    """Writes creations and later link updates to a CellSpill with plausible writetimes."""

    def __init__(self, spill: CellSpill, prefix: str | None = None) -> None:
        self.spill = spill
        self._add_uuid_cell = spill.adder(UUID_TABLE_REF)
        self._add_fq_name_cell = spill.adder(FQ_NAME_TABLE_REF)
        self.prefix = prefix
        self.type_counts: Counter[str] = Counter()
        self._zxid = _ZXID_BASE
        # Objects whose own ref: cells changed after creation: uuid -> (created, last update).
        # Their prop:id_perms is rewritten with the new last_modified at the end.
        self._updated: dict[str, tuple[int, int]] = {}

    @property
    def objects(self) -> int:
        return sum(self.type_counts.values())

    # ------------------------------------------------------------------ objects
    def create(self, spec: ObjectSpec, ts: int, lock: bool = True) -> Node:
        """Write one object create. ``lock=False``: the client chose the uuid, so no znode."""
        add = self._add_uuid_cell
        for column, value in object_columns(spec):
            add(spec.uuid, column, value, ts)
        for row, column, value in peer_columns(spec):
            add(row, column, value, ts)
        self._add_fq_name_cell(spec.type, fq_name_column(spec.fq_name, spec.uuid), "null", ts)
        self._shared_cells(spec, ts)
        if lock:
            self.znode(f"/fq-name-to-uuid/{spec.type}:{':'.join(spec.fq_name)}", spec.uuid, ts)
        self.type_counts[spec.type] += 1
        return Node(spec.type, spec.uuid, spec.fq_name, ts)

    def _shared_cells(self, spec: ObjectSpec, ts: int) -> None:
        perms = spec.props.get("perms2") or {}
        if perms.get("global_access"):
            self.spill.add(SHARED_TABLE_REF, spec.type, shared_column("global", "", spec.uuid),
                           encode_json(perms["global_access"]), ts)
        for share in perms.get("share") or ():
            share_type, _, share_id = share["tenant"].rpartition(":")
            self.spill.add(SHARED_TABLE_REF, spec.type, shared_column(share_type or "tenant", share_id, spec.uuid),
                           encode_json(share["tenant_access"]), ts)

    def ref_update(self, source: Node, target: Node, attr: Any, ts: int, variant: str = "update") -> None:
        """A ref added after both objects exist (REST ref-update or a schema-transformer update).

        ``variant`` picks the stored value form (§3.3): "update" -> {"attr", "is_weakref"},
        "ref-update" -> {"attr"} only.
        """
        value = {"attr": attr} if variant == "ref-update" else {"attr": attr, "is_weakref": False}
        text = encode_json(value)
        add = self._add_uuid_cell
        add(source.uuid, f"ref:{target.type}:{target.uuid}", text, ts)
        if source.type == target.type:
            add(target.uuid, f"ref:{source.type}:{source.uuid}", text, ts)
        else:
            add(target.uuid, f"backref:{source.type}:{source.uuid}", text, ts)
        add(target.uuid, "META:latest_col_ts", "null", ts)
        created, last = self._updated.get(source.uuid, (source.created, ts))
        self._updated[source.uuid] = (created, max(last, ts))

    def finish(self) -> None:
        """Rewrite id_perms of updated objects: last_modified and the cell writetime move on."""
        for uuid, (created, last) in self._updated.items():
            self._add_uuid_cell(uuid, "prop:id_perms", encode_json(id_perms(uuid, created, last)), last)
        self._updated.clear()

    # ------------------------------------------------------------------ other stores
    def cell(self, table: TableRef, key: str, column: str, value: str, ts: int) -> None:
        self.spill.add(table, key, column, value, ts)

    def znode(self, path: str, data: str, ts: int) -> None:
        """A persistent leaf with a stat consistent with its creation time."""
        if self.prefix:
            path = f"/{self.prefix}{path}"
        self._zxid += 1
        ms = ts // 1000
        zxid = self._zxid
        self.spill.add_znode(path, data, (zxid, zxid, ms, ms, 0, 0, 0, 0, len(data.encode("utf-8")), 0, zxid))

    def allocation(self, path: str, index: int, owner: str, ts: int) -> None:
        """An IndexAllocator entry: ``<path>/<%010d index>`` holding the owner string."""
        self.znode(f"{path}/{allocator_node(index)}", owner, ts)
