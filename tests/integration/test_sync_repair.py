"""What no notification names: pre-sync's catch-up and `sync verify --repair`, on the real OLD/NEW services.

The overlap is produced deterministically: the bulk copy takes every row, then a ref is removed
on OLD the way the API server removes it (referrer's ref: and target's backref: cells, META on the
target), then only the referrer's row is copied again (the copy reached it after the change).
"""

from __future__ import annotations

import json
import uuid as uuidlib

from click.testing import CliRunner

from tfdata.cli import cli
from tfdata.model.cells import Cell, TableRef, now_us
from tfdata.model.objects import ObjectSpec, decode_row
from tfdata.stores.cassandra import CassandraStore
from tfdata.stores.zookeeper import ZookeeperStore
from tfdata.sync.catchup import catch_up, resync_rows
from tfdata.sync.copy import CopyOptions, copy_tables
from tfdata.sync.reconcile import Counts
from tfdata.sync.objects import FQ_REF, SHARED_REF, UUID_REF, sync_object
from tfdata.sync.simulate import ApiSimulator

from .sync_helpers import load_generated, pick_objects


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def cells(store, uuid):
    return {(c.column, c.value) for c in store.row_cells(UUID_REF, uuid)}


def port_with_group(old, name: str = "overlap-port") -> tuple[str, str]:
    """A port on OLD that refers to a security group (made through the simulator, unpublished)."""
    objects = pick_objects(old)
    project, group, network = objects["project"][0], objects["security_group"][0], objects["virtual_network"][0]
    uid = str(uuidlib.uuid4())
    sim = ApiSimulator(old, publish=False)
    try:
        sim.create(ObjectSpec(uid, "virtual_machine_interface", project.fq_name + [name],
                              parent_type="project", parent_uuid=project.uuid, props={"display_name": "p"},
                              refs=[("virtual_network", network.uuid, None), ("security_group", group.uuid, None)]))
    finally:
        sim.close()
    return uid, group.uuid


def overlap(old_db, new_db, old, port: str, group: str) -> int:
    """Copy everything, then drop the port's ref on OLD and copy only the port row again."""
    started = now_us()
    copy_tables(old_db, new_db, CopyOptions(clock_skew=None))
    sim = ApiSimulator(old, publish=False)
    try:
        sim.update(port, remove_refs=[("security_group", group)])
    finally:
        sim.close()
    assert resync_rows(old_db, new_db, [port], Counts()) == 1
    return started


def test_catch_up_rewrites_the_backref_a_copy_took_before_its_ref_was_removed(old, new, tmp_path):
    load_generated(old, tmp_path, 300)
    port, group = port_with_group(old)
    old_db, new_db = CassandraStore(old), CassandraStore(new)
    try:
        started = overlap(old_db, new_db, old, port, group)
        stale = f"backref:virtual_machine_interface:{port}"
        assert stale in {c for c, _ in cells(new_db, group)} and stale not in {c for c, _ in cells(old_db, group)}
        # run-sync's apply of the UPDATE (which names only the port) cannot see the group
        synced = sync_object(old_db, new_db, port, "virtual_machine_interface", None, set(), Counts())
        assert group not in synced
        assert cells(new_db, group) != cells(old_db, group)

        counts = Counts()
        result = catch_up(old_db, new_db, started, counts, clock_skew=0)
        assert result.rows_rewritten >= 1 and counts.cells_deleted >= 1
        assert result.rows_checked < 50  # only rows whose links changed since the copy began
        assert cells(new_db, group) == cells(old_db, group)
        assert cells(new_db, port) == cells(old_db, port)
    finally:
        old_db.close()
        new_db.close()
    result = invoke("sync", "verify", "--no-zookeeper", "--settle", "0.2", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["first_pass_differences"] == 0


def shared_port(old, tmp_path) -> tuple[str, str, dict]:
    """A port on OLD (300 generated objects around it), and perms2 that share it with a project."""
    load_generated(old, tmp_path, 300)
    port, _ = port_with_group(old)
    project = pick_objects(old)["project"][-1]
    shared = {"owner": "cloud-admin", "owner_access": 7, "global_access": 0,
              "share": [{"tenant": f"tenant:{project.uuid}", "tenant_access": 5}]}
    return port, project.uuid, shared


def test_catch_up_withdraws_a_share_the_copy_took_before_it_was_withdrawn(old, new, tmp_path):
    port, _, shared = shared_port(old, tmp_path)
    sim = ApiSimulator(old, publish=False)
    try:
        sim.update(port, set_props={"perms2": shared})
    finally:
        sim.close()
    old_db, new_db = CassandraStore(old), CassandraStore(new)
    try:
        started = now_us()
        copy_tables(old_db, new_db, CopyOptions(clock_skew=None))
        share = {c.column for c in new_db.row_cells(SHARED_REF, "virtual_machine_interface")}
        assert any(port in column for column in share)
        sim = ApiSimulator(old, publish=False)
        try:  # withdrawn on OLD; the copy reaches the port's row only afterwards
            sim.update(port, set_props={"perms2": {**shared, "share": []}})
        finally:
            sim.close()
        resync_rows(old_db, new_db, [port], Counts())
        sync_object(old_db, new_db, port, "virtual_machine_interface", None, set(), Counts())
        stale = {c.column for c in new_db.row_cells(SHARED_REF, "virtual_machine_interface")}
        assert any(port in column for column in stale)  # neither side's perms2 names the share now

        catch_up(old_db, new_db, started, Counts(), clock_skew=0)
        left = {c.column for c in new_db.row_cells(SHARED_REF, "virtual_machine_interface")}
        assert not any(port in column for column in left)
        assert left == {c.column for c in old_db.row_cells(SHARED_REF, "virtual_machine_interface")}
    finally:
        old_db.close()
        new_db.close()


def test_an_apply_keeps_no_share_cell_the_row_it_writes_does_not_name(old, new, tmp_path):
    port, project, shared = shared_port(old, tmp_path)
    column = f"tenant:{project}:{port}"
    sim = ApiSimulator(old, publish=False)
    old_db, new_db = CassandraStore(old), CassandraStore(new)
    try:
        sim.update(port, set_props={"perms2": shared})
        copy_tables(old_db, new_db, CopyOptions(clock_skew=None))

        def share_cells(store):
            return {c.column for c in store.row_cells(SHARED_REF, "virtual_machine_interface") if port in c.column}

        assert share_cells(new_db) == {column}
        # the withdrawal half done on OLD, as an apply of an earlier notification reads it: the
        # row no longer shares, the shared cell is not deleted yet
        withdrawn = json.dumps({**shared, "share": []})
        old_db.write_cells(UUID_REF, [Cell(port, "prop:perms2", withdrawn, now_us())])
        assert share_cells(old_db) == {column}
        sync_object(old_db, new_db, port, "virtual_machine_interface", None, set(), Counts())
        assert share_cells(new_db) == set()  # kept, no later apply could find it: neither row names it
        # the withdrawal ends; its own notification's apply then finds both sides equal
        old_db.delete_cells(SHARED_REF, [("virtual_machine_interface", column)], now_us())
        sync_object(old_db, new_db, port, "virtual_machine_interface", None, set(), Counts())
        assert share_cells(new_db) == share_cells(old_db) == set()
        assert cells(new_db, port) == cells(old_db, port)
    finally:
        sim.close()
        old_db.close()
        new_db.close()


def test_an_apply_keeps_no_backref_the_row_it_writes_does_not_name(old, new, tmp_path):
    load_generated(old, tmp_path, 300)
    port, group = port_with_group(old)
    old_db, new_db = CassandraStore(old), CassandraStore(new)
    try:
        copy_tables(old_db, new_db, CopyOptions(clock_skew=None))
        backref = f"backref:virtual_machine_interface:{port}"
        assert backref in {c for c, _ in cells(new_db, group)}
        # the ref's removal half done on OLD, as an apply of an earlier notification reads it: the
        # port's ref: cell is gone, the group's backref: cell not yet
        old_db.delete_cells(UUID_REF, [(port, f"ref:security_group:{group}")], now_us())
        assert backref in {c for c, _ in cells(old_db, group)}
        sync_object(old_db, new_db, port, "virtual_machine_interface", None, set(), Counts())
        assert backref not in {c for c, _ in cells(new_db, group)}  # else no later apply would find it
        # the removal ends; its own notification's apply then finds both sides equal
        old_db.delete_cells(UUID_REF, [(group, backref)], now_us())
        sync_object(old_db, new_db, port, "virtual_machine_interface", None, set(), Counts())
        assert cells(new_db, group) == cells(old_db, group)
        assert cells(new_db, port) == cells(old_db, port)
    finally:
        old_db.close()
        new_db.close()


def test_sync_pre_reports_its_catch_up_and_leaves_new_equal(old, new, tmp_path):
    load_generated(old, tmp_path, 300)  # generated write times are in the past: outside the catch-up
    port_with_group(old)  # links of the project, network and group change now, within the clock skew
    result = invoke("sync", "pre", "--no-queue", "--checkpoint", str(tmp_path / "pre.ckpt"), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["catch_up"]["passes"] == 1
    # read again, but the copy already took them after the change: nothing to write
    assert report["catch_up"]["rows_checked"] == 4 and report["catch_up"]["rows_rewritten"] == 0
    quiet = invoke("sync", "pre", "--no-queue", "--no-catch-up", "--checkpoint", str(tmp_path / "p2.ckpt"),
                   "--format", "json")
    assert json.loads(quiet.output)["catch_up"] is None
    assert invoke("sync", "verify", "--no-zookeeper", "--settle", "0.2").exit_code == 0


def test_verify_repair_makes_every_kind_of_difference_equal(old, new, tmp_path):
    load_generated(old, tmp_path, 300)
    assert invoke("sync", "pre", "--no-queue", "--checkpoint", str(tmp_path / "pre.ckpt")).exit_code == 0
    assert invoke("sync", "zk").exit_code == 0
    objects = pick_objects(old)
    group, network = objects["security_group"][0], objects["virtual_network"][0]
    ghost = str(uuidlib.uuid4())
    new_db, new_zk = CassandraStore(new), ZookeeperStore(new)
    useragent = TableRef("useragent", "useragent_keyval_table")
    try:
        ts = now_us()
        new_db.write_cells(UUID_REF, [Cell(group.uuid, f"backref:virtual_machine_interface:{ghost}",
                                           '{"attr":null,"is_weakref":false}', ts)])  # stale link
        new_db.delete_cells(UUID_REF, [(network.uuid, "prop:display_name")], ts)  # lost prop
        new_db.write_cells(FQ_REF, [Cell("virtual_network", f"default-domain:ghost:{ghost}", "null", ts)])
        new_db.ensure_tables([useragent])
        new_db.write_cells(useragent, [Cell("only-on-new", "k", "v", ts)])  # row of another keyspace
        victim = decode_row(network.uuid, new_db.row_cells(UUID_REF, network.uuid))
        path = f"/fq-name-to-uuid/virtual_network:{':'.join(victim.fq_name)}"
        new_zk.client.set(path, b"wrong")
        new_zk.client.create("/fq-name-to-uuid/virtual_network:only-on-new", b"x")
    finally:
        new_db.close()
        new_zk.close()

    plain = invoke("sync", "verify", "--settle", "0.2", "--format", "json")
    assert plain.exit_code == 1
    before = json.loads(plain.output)["changes"]
    kinds = sorted({c["kind"] for c in before})
    assert kinds == ["object", "row", "stale_index_entry", "znode"] and len(before) == 6  # the ghost index cell: stale

    planned = invoke("sync", "verify", "--repair", "--dry-run", "--settle", "0.2", "--format", "json")
    assert planned.exit_code == 1
    plan = json.loads(planned.output)
    assert plan["dry_run"] is True and len(plan["repaired"]) == 6
    assert len(json.loads(invoke("sync", "verify", "--settle", "0.2", "--format", "json").output)["changes"]) == 6

    repaired = invoke("sync", "verify", "--repair", "--settle", "0.2", "--format", "json")
    assert repaired.exit_code == 0, repaired.output
    report = json.loads(repaired.output)
    assert len(report["repaired"]) == 6 and report["changes"] == []
    after = invoke("sync", "verify", "--settle", "0.2", "--format", "json")
    assert after.exit_code == 0 and json.loads(after.output)["first_pass_differences"] == 0


def test_verify_dry_run_needs_repair():
    result = invoke("sync", "verify", "--dry-run")
    assert result.exit_code == 2 and "--repair" in result.output


class ChangeBetweenReads:
    """The real OLD store, with an API change made after the objects' rows are read and before
    their peers' link cells are: the interleaving a busy OLD produces by chance."""

    def __init__(self, store, change) -> None:
        self.store, self.change = store, change

    def read_async(self, table, keys, columns=None):
        if columns is not None and table == UUID_REF and self.change is not None:
            self.change()
            self.change = None
        return self.store.read_async(table, keys, columns)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_a_group_apply_writes_no_link_cell_its_own_row_does_not_name(old, new, tmp_path):
    load_generated(old, tmp_path, 300)
    lone, group = port_with_group(old)  # the port that will gain a ref mid-apply
    sim = ApiSimulator(old, publish=False)
    try:
        sim.update(lone, remove_refs=[("security_group", group)])
        other, _ = port_with_group(old, "other-port")  # a second port of the same group, applied in the same call
        old_db, new_db = CassandraStore(old), CassandraStore(new)
        try:
            copy_tables(old_db, new_db, CopyOptions(clock_skew=None))
            from tfdata.sync.objects import ObjectChange, sync_objects

            racing = ChangeBetweenReads(old_db, lambda: sim.update(lone, add_refs=[("security_group", group, None)]))
            sync_objects(racing, new_db, [ObjectChange(lone, "virtual_machine_interface"),
                                          ObjectChange(other, "virtual_machine_interface")], Counts())
            backref = f"backref:virtual_machine_interface:{lone}"
            on_group = backref in {c for c, _ in cells(new_db, group)}
            names_group = f"ref:security_group:{group}" in {c for c, _ in cells(new_db, lone)}
            assert on_group == names_group  # else no later apply of the port could find the group
            # the UPDATE's own apply then brings both rows to OLD's state
            sync_objects(old_db, new_db, [ObjectChange(lone, "virtual_machine_interface")], Counts())
            assert cells(new_db, group) == cells(old_db, group)
            assert cells(new_db, lone) == cells(old_db, lone)
        finally:
            old_db.close()
            new_db.close()
    finally:
        sim.close()
