"""The pure part of `sync verify --repair` (sync/verify.py): which fq-name index and shared cells
a difference from diff names, i.e. the only cells of those type-wide rows a repair touches. The
rest of repair is object sync (tests/unit/test_object_sync_plan.py) and I/O."""

from __future__ import annotations

from tfdata.sync.objects import FQ_REF, SHARED_REF
from tfdata.sync.verify import _INDEX_TABLES, _index_columns

UUID = "00000001-0000-4000-8000-000000000000"


def repaired_columns(change: dict) -> dict:
    return {table: _index_columns(change, prefix) for prefix, table in _INDEX_TABLES.items()}


def test_an_object_difference_repairs_only_the_index_and_shared_cells_it_names():
    fq_column = f"default-domain:demo:web.v2:{UUID}"  # '.' and ':' inside the name stay in the column
    change = {"kind": "object", "uuid": UUID, "type": "virtual_network",
              "fields": ["prop.display_name", f"shared.tenant:demo:{UUID}", f"fq_name_index.{fq_column}",
                         f"backref.virtual_machine_interface:{UUID}"]}
    assert repaired_columns(change) == {FQ_REF: [fq_column], SHARED_REF: [f"tenant:demo:{UUID}"]}


def test_a_difference_naming_no_index_cell_repairs_none():
    change = {"kind": "object", "uuid": UUID, "type": "virtual_network", "fields": ["prop.display_name"]}
    assert repaired_columns(change) == {FQ_REF: [], SHARED_REF: []}
    assert repaired_columns({"kind": "object", "uuid": UUID, "change": "added"}) == {FQ_REF: [], SHARED_REF: []}


def test_a_stale_index_entry_repairs_its_cells_in_order():
    change = {"kind": "stale_index_entry", "uuid": UUID, "type": "virtual_network",
              "fields": [f"fq_name_index.z:{UUID}", f"fq_name_index.a:{UUID}"]}
    assert repaired_columns(change) == {FQ_REF: [f"a:{UUID}", f"z:{UUID}"], SHARED_REF: []}
