"""Object sync planning (sync/objects.py) over in-memory rows: which cells an apply writes and
deletes on NEW given OLD's and NEW's cells. The rules are in docs/design/object-sync.md."""

from __future__ import annotations

import json

import pytest

from tfdata.model.fqname import fq_name_column, shared_column
from tfdata.model.objects import ObjectSpec, encode_json, object_columns, peer_columns
from tfdata.sync.objects import FQ_REF, SHARED_REF, UUID_REF, ObjectChange

from .sync_world import OWN_ROWS, World, apply_sync, deleted, plan_sync, uid, written

PROJECT, GROUP, NETWORK, PORT, OTHER_PORT, ACL = (uid(n) for n in range(1, 7))
VMI = "virtual_machine_interface"
TENANT = uid(99)
SHARE = shared_column("tenant", TENANT, PORT)
SHARED = {"owner": "cloud-admin", "owner_access": 7, "global_access": 0,
          "share": [{"tenant": f"tenant:{TENANT}", "tenant_access": 5}]}


def child(uuid: str, obj_type: str, name: str, parent: str = PROJECT, parent_type: str = "project", **kw) -> ObjectSpec:
    return ObjectSpec(uuid, obj_type, ["default-domain", "demo", name], parent_type=parent_type,
                      parent_uuid=parent, **kw)


def port(uuid: str = PORT, refs=((("security_group", GROUP)),), perms2=None) -> ObjectSpec:
    props = {"display_name": "p"} | ({"perms2": perms2} if perms2 else {})
    return child(uuid, VMI, uuid, props=props, refs=[(t, u, None) for t, u in refs])


def cloud() -> World:
    """A project with a security group (and its ACL) and a network, created at 100-103."""
    world = World()
    world.create(ObjectSpec(PROJECT, "project", ["default-domain", "demo"]), 100)
    world.create(child(GROUP, "security_group", "default"), 101)
    world.create(child(ACL, "access_control_list", "ingress", parent=GROUP, parent_type="security-group"), 102)
    world.create(child(NETWORK, "virtual_network", "net"), 103)
    return world


def delete(world: World, spec: ObjectSpec, ts: int) -> None:
    """Every cell a delete removes, and META on the peers."""
    for column, _ in object_columns(spec):
        world.drop(UUID_REF, spec.uuid, column)
    for key, column, _ in peer_columns(spec):
        if column.startswith("META:"):
            world.put(UUID_REF, key, column, "null", ts)
        elif (UUID_REF, key, column) in world.cells:
            world.drop(UUID_REF, key, column)
    world.drop(FQ_REF, spec.type, fq_name_column(spec.fq_name, spec.uuid))


def ref_value() -> str:
    return encode_json({"attr": None, "is_weakref": False})


# ----------------------------------------------------------------------------- whole objects

def test_a_created_object_brings_its_row_index_cell_and_the_cells_naming_it_on_its_peers():
    old = cloud()
    new = old.copy()
    old.create(port(), 200)
    actions, plan = plan_sync(old, new, ObjectChange(PORT, VMI))
    assert written(actions, UUID_REF, GROUP) == {f"backref:{VMI}:{PORT}": (ref_value(), 200),
                                                 "META:latest_col_ts": ("null", 200)}
    assert written(actions, UUID_REF, PROJECT) == {f"children:{VMI}:{PORT}": ("null", 200),
                                                   "META:latest_col_ts": ("null", 200)}
    assert written(actions, FQ_REF, VMI) == {f"default-domain:demo:{PORT}:{PORT}": ("null", 200)}
    assert written(actions, OWN_ROWS, PORT) == {c: (v, 200) for c, v in old.row(PORT).items()}
    assert {s.uuid: s.synced for s in plan.scopes} == {PORT: {PORT, GROUP, PROJECT}}
    apply_sync(old, new, ObjectChange(PORT, VMI))
    assert new.cells == old.cells


def test_a_deleted_object_takes_its_row_index_cell_and_peer_cells_with_it():
    old = cloud()
    old.create(port(), 200)
    new = old.copy()
    delete(old, port(), 300)
    actions, _ = plan_sync(old, new, ObjectChange(PORT, VMI))
    assert [key for key, _ in actions[OWN_ROWS].row_deletes] == [PORT]
    assert deleted(actions, UUID_REF, GROUP) == {f"backref:{VMI}:{PORT}"}
    assert deleted(actions, UUID_REF, PROJECT) == {f"children:{VMI}:{PORT}"}
    assert deleted(actions, FQ_REF, VMI) == {f"default-domain:demo:{PORT}:{PORT}"}
    apply_sync(old, new, ObjectChange(PORT, VMI))
    assert new.cells == old.cells


def test_a_deleted_parent_takes_the_parent_cell_off_its_children():
    old = cloud()
    new = old.copy()
    old.drop(UUID_REF, ACL, f"parent:security_group:{GROUP}")  # the ACL's own delete is still to come
    delete(old, child(GROUP, "security_group", "default"), 300)
    actions, _ = plan_sync(old, new, ObjectChange(GROUP, "security_group"))
    assert deleted(actions, UUID_REF, ACL) == {f"parent:security_group:{GROUP}"}
    assert written(actions, UUID_REF, ACL) == {}


# ----------------------------------------------------------------------------- half-done changes on OLD

def test_a_ref_removal_half_done_on_old_leaves_no_backref_on_new():
    old = cloud()
    old.create(port(), 200)
    new = old.copy()
    # the port's ref: cell is gone on OLD, the group's backref: cell not yet
    old.drop(UUID_REF, PORT, f"ref:security_group:{GROUP}")
    backref = f"backref:{VMI}:{PORT}"
    actions = apply_sync(old, new, ObjectChange(PORT, VMI))
    assert deleted(actions, UUID_REF, GROUP) == {backref}  # no later apply of the port would find it
    assert deleted(actions, OWN_ROWS, PORT) == {f"ref:security_group:{GROUP}"}
    # the removal ends on OLD; its own notification's apply finds nothing left to do
    old.drop(UUID_REF, GROUP, backref)
    actions = apply_sync(old, new, ObjectChange(PORT, VMI))
    assert not actions[UUID_REF] and not actions[OWN_ROWS]
    assert new.row(GROUP) == old.row(GROUP) and new.row(PORT) == old.row(PORT)


def test_a_share_withdrawal_half_done_on_old_leaves_no_share_cell_on_new():
    old = cloud()
    old.create(port(perms2=SHARED), 200)
    new = old.copy()
    # the row no longer shares on OLD, the shared cell is not deleted yet
    old.put(UUID_REF, PORT, "prop:perms2", json.dumps({**SHARED, "share": []}), 300)
    actions = apply_sync(old, new, ObjectChange(PORT, VMI))
    assert deleted(actions, SHARED_REF, VMI) == {SHARE} and written(actions, SHARED_REF, VMI) == {}
    old.drop(SHARED_REF, VMI, SHARE)
    actions = apply_sync(old, new, ObjectChange(PORT, VMI))
    assert not actions[SHARED_REF]
    assert new.row(VMI, SHARED_REF) == old.row(VMI, SHARED_REF) == {}


def test_a_share_granted_on_old_is_written_with_its_write_time():
    old = cloud()
    new = old.copy()
    old.create(port(perms2=SHARED), 200)
    actions, _ = plan_sync(old, new, ObjectChange(PORT, VMI))
    assert written(actions, SHARED_REF, VMI) == {SHARE: ("5", 200)}


@pytest.mark.parametrize("on_new", [False, True])
def test_a_share_cell_only_a_scan_names_is_never_written_only_deleted(on_new):
    old = cloud()
    old.create(port(), 200)  # perms2 shares nothing
    new = old.copy()
    old.put(SHARED_REF, VMI, SHARE, "5", 300)  # a grant half done on OLD: the cell first
    if on_new:
        new.put(SHARED_REF, VMI, SHARE, "5", 300)
    actions, _ = plan_sync(old, new, ObjectChange(PORT, VMI, shares={SHARE}))
    assert written(actions, SHARED_REF, VMI) == {}
    assert deleted(actions, SHARED_REF, VMI) == ({SHARE} if on_new else set())


def test_a_mirror_cell_on_a_peer_only_the_message_names_is_never_written():
    old = cloud()
    old.create(port(refs=()), 200)
    new = old.copy()
    old.put(UUID_REF, GROUP, f"backref:{VMI}:{PORT}", ref_value(), 300)  # ref addition half done on OLD
    actions, _ = plan_sync(old, new, ObjectChange(PORT, VMI, peers={GROUP}))
    assert written(actions, UUID_REF, GROUP) == {}
    new.put(UUID_REF, GROUP, f"backref:{VMI}:{PORT}", ref_value(), 300)
    actions, _ = plan_sync(old, new, ObjectChange(PORT, VMI, peers={GROUP}))
    assert deleted(actions, UUID_REF, GROUP) == {f"backref:{VMI}:{PORT}"}


# ----------------------------------------------------------------------------- a peer's own cells

@pytest.mark.parametrize("on_old, on_new, expected", [
    (True, True, "kept"),  # the first cut deleted it: ports lost their refs when a network was applied
    (True, False, "not written"),  # the peer's own apply writes it
    (False, True, "deleted"),
])
def test_a_peers_own_ref_cell_is_delete_only_when_the_objects_rows_do_not_name_the_peer(on_old, on_new, expected):
    old = cloud()
    old.create(port(refs=(("virtual_network", NETWORK),)), 200)
    new = old.copy()
    column = f"ref:virtual_network:{NETWORK}"
    for world, holds in ((old, on_old), (new, on_new)):
        if not holds:
            world.drop(UUID_REF, PORT, column)
    # the network's rows name its children and refs, not the ports referring to it: catch-up
    # passes the port as a peer because the port's ref: cell differed
    actions, _ = plan_sync(old, new, ObjectChange(NETWORK, "virtual_network", peers={PORT}))
    if column in deleted(actions, UUID_REF, PORT):
        outcome = "deleted"
    elif column in written(actions, UUID_REF, PORT):
        outcome = "written"
    else:
        outcome = "kept" if on_new else "not written"
    assert outcome == expected


def test_a_peers_own_parent_cell_is_written_when_the_objects_row_names_the_peer():
    old = cloud()
    old.create(port(), 200)
    new = old.copy()
    new.drop(UUID_REF, PORT, f"parent:project:{PROJECT}")  # lost on NEW
    actions, _ = plan_sync(old, new, ObjectChange(PROJECT, "project"))
    assert written(actions, UUID_REF, PORT) == {f"parent:project:{PROJECT}": ("null", 200)}


def test_a_same_type_ref_on_a_peer_follows_the_object_like_a_backref():
    a, b = uid(11), uid(12)
    old = World()
    old.create(ObjectSpec(b, "bgp_router", ["b"]), 100)
    new = old.copy()
    old.create(ObjectSpec(a, "bgp_router", ["a"], refs=[("bgp_router", b, None)]), 200)
    actions = apply_sync(old, new, ObjectChange(a, "bgp_router"))
    assert f"ref:bgp_router:{a}" in written(actions, UUID_REF, b)
    old.drop(UUID_REF, a, f"ref:bgp_router:{b}")  # removal half done: b still names a on OLD
    actions = apply_sync(old, new, ObjectChange(a, "bgp_router"))
    assert deleted(actions, UUID_REF, b) == {f"ref:bgp_router:{a}"}


# ----------------------------------------------------------------------------- group applies

def test_a_group_apply_reads_peers_link_cells_once_and_writes_no_cell_an_objects_row_does_not_name():
    before = cloud()
    before.create(port(refs=()), 200)
    before.create(port(OTHER_PORT), 201)
    new = before.copy()
    after = before.copy()  # the port gains the ref after its row was read, before the peers' cells are
    after.put(UUID_REF, PORT, f"ref:security_group:{GROUP}", ref_value(), 300)
    after.put(UUID_REF, GROUP, f"backref:{VMI}:{PORT}", ref_value(), 300)
    after.put(UUID_REF, GROUP, "META:latest_col_ts", "null", 300)
    changes = (ObjectChange(PORT, VMI), ObjectChange(OTHER_PORT, VMI))
    actions, plan = plan_sync(after, new, *changes, old_rows_from=before)
    link_reads = [(keys, columns) for table, keys, columns in plan.reads() if table == UUID_REF]
    assert len(link_reads) == 1 and link_reads[0][0] == [PROJECT, GROUP]
    assert f"backref:{VMI}:{PORT}" in link_reads[0][1]  # asked of the group, for the other port's sake
    assert written(actions, UUID_REF, GROUP) == {"META:latest_col_ts": ("null", 300)}
    # the port's own apply of its UPDATE then brings both rows to OLD's state
    apply_sync(after, new, ObjectChange(PORT, VMI))
    assert new.row(GROUP) == after.row(GROUP) and new.row(PORT) == after.row(PORT)


def test_a_peer_in_the_same_call_is_made_equal_as_a_whole_row():
    old = cloud()
    new = old.copy()
    old.create(port(), 200)
    old.put(UUID_REF, GROUP, "prop:display_name", '"renamed"', 300)
    actions, plan = plan_sync(old, new, ObjectChange(PORT, VMI), ObjectChange(GROUP, "security_group"))
    assert GROUP not in plan.peers
    assert set(written(actions, OWN_ROWS, GROUP)) == {"prop:display_name", f"backref:{VMI}:{PORT}",
                                                      "META:latest_col_ts"}
