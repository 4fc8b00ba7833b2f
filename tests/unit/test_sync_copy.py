"""The bulk copy's plan: which tables, which (table, range) units, what a checkpoint lets it skip."""

from __future__ import annotations

from tfdata.model.cells import TableRef
from tfdata.sync.copy import plan_units, select_tables

UUID = TableRef("config_db_uuid", "obj_uuid_table")
FQ = TableRef("config_db_uuid", "obj_fq_name_table")
USERAGENT = TableRef("useragent", "useragent_keyval_table")
OLD = [UUID, FQ, USERAGENT]


def test_every_table_of_old_when_no_keyspace_is_named():
    assert select_tables(OLD) == (OLD, [])


def test_keyspaces_keep_old_order_and_never_report_what_old_lacks():
    assert select_tables(OLD, keyspaces=["useragent", "config_db_uuid", "dm_keyspace"]) == (OLD, [])
    assert select_tables(OLD, keyspaces=["useragent"]) == ([USERAGENT], [])


def test_named_tables_old_lacks_are_reported_apart():
    ghost = TableRef("dm_keyspace", "dm_pnf_resource_table")
    assert select_tables(OLD, tables=[USERAGENT, ghost], keyspaces=["config_db_uuid"]) == ([USERAGENT], [ghost])


def test_units_cover_every_range_of_every_table_not_idle():
    units, todo = plan_units([UUID, FQ], idle={FQ}, ranges=3, done=set())
    assert units == todo == [(UUID, 0), (UUID, 1), (UUID, 2)]


def test_units_a_checkpoint_recorded_are_skipped():
    done = {(str(UUID), 1), (str(FQ), 0), ("other.table", 2)}
    units, todo = plan_units([UUID, FQ], idle=set(), ranges=2, done=done)
    assert len(units) == 4
    assert todo == [(UUID, 0), (FQ, 1)]
