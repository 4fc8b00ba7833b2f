"""Catch-up planning (sync/catchup.py) over in-memory cells: which rows a pass copies again, which
objects it then syncs for the link and share cells it found one-sided. docs/design/catch-up.md."""

from __future__ import annotations

from tfdata.model.cells import Cell
from tfdata.model.fqname import shared_column
from tfdata.model.objects import ObjectSpec
from tfdata.sync.catchup import (
    link_changes,
    links_changed_since,
    links_to_recheck,
    share_changes,
)
from tfdata.sync.objects import UUID_REF, ObjectChange, mirrored_objects
from tfdata.sync.reconcile import Actions, sort_cells

from .sync_world import OWN_ROWS, World, apply_sync, uid

PORT, GROUP, PROJECT, OTHER = uid(1), uid(2), uid(3), uid(4)
VMI = "virtual_machine_interface"
COPY_STARTED = 1_000


def test_rows_whose_links_changed_at_or_after_the_copy_start_are_copied_again():
    writetimes = [("before", COPY_STARTED - 1), ("at", COPY_STARTED), ("after", COPY_STARTED + 5), ("never", None)]
    assert list(links_changed_since(writetimes, COPY_STARTED)) == ["at", "after"]


def test_link_cells_on_one_side_only_name_the_objects_to_sync_with_their_holders():
    old = [Cell(GROUP, "META:latest_col_ts", "null", 1_200), Cell(PROJECT, f"children:{VMI}:{PORT}", "null", 900),
           Cell(GROUP, "prop:display_name", '"new"', 1_200), Cell(OTHER, f"ref:security_group:{GROUP}", '{"a":1}', 5)]
    new = [Cell(GROUP, "META:latest_col_ts", "null", 900), Cell(PROJECT, f"children:{VMI}:{PORT}", "null", 900),
           Cell(GROUP, f"backref:{VMI}:{PORT}", "{}", 900), Cell(OTHER, f"ref:security_group:{GROUP}", '{"a":2}', 5)]
    # META, props and a link cell both sides hold (whatever its value) name nothing to sync
    assert links_to_recheck(old, new, COPY_STARTED) == {(VMI, PORT): {GROUP}}


def test_each_named_object_is_synced_once_with_every_holder_as_a_peer():
    links = {("security_group", GROUP): {PORT}, ("security-group", GROUP): {OTHER}, (VMI, PORT): {GROUP}}
    changes = link_changes(links)
    assert sorted(c.uuid for c in changes) == [PORT, GROUP]  # sync_objects takes distinct uuids
    by_uuid = {c.uuid: c for c in changes}
    assert by_uuid[GROUP].peers == {PORT, OTHER} and by_uuid[PORT].peers == {GROUP}


def share(uuid: str, value: str, ts: int, obj_type: str = VMI) -> Cell:
    return Cell(obj_type, shared_column("tenant", PROJECT, uuid), value, ts)


def test_objects_whose_share_cells_differ_or_changed_since_the_copy_are_synced():
    equal_old, equal_recent = uid(10), uid(11)
    only_old, only_new, value_differs = uid(12), uid(13), uid(14)
    old = sort_cells([share(equal_old, "5", 10), share(equal_recent, "5", COPY_STARTED + 1),
                      share(only_old, "5", 10), share(value_differs, "7", 10),
                      Cell(VMI, "malformed", "5", COPY_STARTED + 1)])
    new = sort_cells([share(equal_old, "5", 10), share(equal_recent, "5", COPY_STARTED + 1),
                      share(only_new, "5", 10), share(value_differs, "5", 10)])
    changes = share_changes(old, new, COPY_STARTED)
    assert [c.uuid for c in changes] == sorted([equal_recent, only_old, only_new, value_differs])
    assert all(c.type == VMI and c.shares == {shared_column("tenant", PROJECT, c.uuid)} for c in changes)


def test_a_backref_the_copy_took_before_its_ref_was_removed_is_found_and_dropped():
    """The overlap catch-up exists for: the copy took the group before the port dropped its ref
    and the port after; the port's own notification names only the port."""
    old = World()
    old.create(ObjectSpec(GROUP, "security_group", ["g"]), 100)
    old.create(ObjectSpec(PORT, VMI, ["p"]), 100)
    new = old.copy()
    backref = f"backref:{VMI}:{PORT}"
    new.put(UUID_REF, GROUP, backref, "{}", 100)  # copied before the removal
    old.put(UUID_REF, GROUP, "META:latest_col_ts", "null", COPY_STARTED + 10)  # the removal, on OLD
    # run-sync's apply of the port's UPDATE cannot see the group: neither row of the port names it
    apply_sync(old, new, ObjectChange(PORT, VMI))
    assert backref in new.row(GROUP)

    changed = list(links_changed_since([(PORT, 100), (GROUP, COPY_STARTED + 10)], COPY_STARTED))
    assert changed == [GROUP]
    links = links_to_recheck(old.read(UUID_REF, changed), new.read(UUID_REF, changed), COPY_STARTED)
    assert links == {(VMI, PORT): {GROUP}}
    apply_sync(old, new, *link_changes(links))  # the port, with the group as a peer
    assert new.row(GROUP) == old.row(GROUP)


def test_a_recent_backref_both_sides_hold_is_rechecked_so_a_later_ref_removal_reaches_it():
    """The group was taken while the port held a ref added by an UPDATE, the port's row before
    that: both groups agree, but NEW's port does not name the group. The removal's UPDATE names
    nothing, so only NEW's port row could lead run-sync to the group's backref."""
    old = World()
    old.create(ObjectSpec(GROUP, "security_group", ["g"]), 100)
    old.create(ObjectSpec(PORT, VMI, ["p"]), 100)
    new = old.copy()  # the port's row as the copy took it: no ref yet
    added = COPY_STARTED + 5
    old.put(UUID_REF, PORT, f"ref:security_group:{GROUP}", "{}", added)
    for world in (old, new):  # the group's row, copied after the ref was added
        world.put(UUID_REF, GROUP, f"backref:{VMI}:{PORT}", "{}", added)
        world.put(UUID_REF, GROUP, "META:latest_col_ts", "null", added)

    links = links_to_recheck(old.read(UUID_REF, [GROUP]), new.read(UUID_REF, [GROUP]), COPY_STARTED)
    assert links == {(VMI, PORT): {GROUP}}
    assert links_to_recheck(old.read(UUID_REF, [GROUP]), new.read(UUID_REF, [GROUP]), added + 1) == {}
    apply_sync(old, new, *link_changes(links))
    assert new.row(PORT) == old.row(PORT)

    removed = added + 10  # after the catch-up: an UPDATE that names no peer
    old.drop(UUID_REF, PORT, f"ref:security_group:{GROUP}")
    old.drop(UUID_REF, GROUP, f"backref:{VMI}:{PORT}")
    old.put(UUID_REF, GROUP, "META:latest_col_ts", "null", removed)
    apply_sync(old, new, ObjectChange(PORT, VMI))
    assert new.row(GROUP) == old.row(GROUP) and new.row(PORT) == old.row(PORT)


def test_without_the_recheck_the_same_removal_leaves_the_backref_on_new():
    """The control for the test above: what run-sync alone does with that copy."""
    old = World()
    old.create(ObjectSpec(GROUP, "security_group", ["g"]), 100)
    old.create(ObjectSpec(PORT, VMI, ["p"]), 100)
    new = old.copy()
    new.put(UUID_REF, GROUP, f"backref:{VMI}:{PORT}", "{}", COPY_STARTED + 5)
    apply_sync(old, new, ObjectChange(PORT, VMI))
    assert f"backref:{VMI}:{PORT}" in new.row(GROUP)


def test_a_member_row_copied_with_a_new_backref_makes_the_port_follow():
    """A group synced whole (another port's ref to it was one-sided) took a backref the port's
    UPDATE had just added, while NEW's port was copied before that UPDATE: the port is synced
    next (mirrored_objects), so the UPDATE removing the ref later reaches the group's cell."""
    old = World()
    old.create(ObjectSpec(GROUP, "security_group", ["g"]), 100)
    old.create(ObjectSpec(PORT, VMI, ["p"]), 100)
    new = old.copy()
    added = COPY_STARTED + 5
    old.put(UUID_REF, PORT, f"ref:security_group:{GROUP}", "{}", added)
    old.put(UUID_REF, GROUP, f"backref:{VMI}:{PORT}", "{}", added)

    actions = apply_sync(old, new, ObjectChange(GROUP, "security_group"))
    assert f"backref:{VMI}:{PORT}" in new.row(GROUP) and f"ref:security_group:{GROUP}" not in new.row(PORT)
    followed = mirrored_objects(actions[OWN_ROWS], {GROUP})
    assert [(c.uuid, c.type, c.peers) for c in followed] == [(PORT, VMI, {GROUP})]
    apply_sync(old, new, *followed)
    assert new.row(PORT) == old.row(PORT)

    old.drop(UUID_REF, PORT, f"ref:security_group:{GROUP}")  # the UPDATE removing it names no peer
    old.drop(UUID_REF, GROUP, f"backref:{VMI}:{PORT}")
    apply_sync(old, new, ObjectChange(PORT, VMI))
    assert new.row(GROUP) == old.row(GROUP) and new.row(PORT) == old.row(PORT)


def test_only_written_mirror_cells_naming_non_members_are_followed():
    written = Actions(writes=[Cell(GROUP, f"backref:{VMI}:{PORT}", "{}", 5), Cell(PROJECT, f"children:{VMI}:{PORT}",
                                                                               "null", 5),
                              Cell(GROUP, f"backref:{VMI}:{OTHER}", "{}", 5), Cell(GROUP, "prop:x", "1", 5),
                              Cell(PORT, f"ref:security_group:{GROUP}", "{}", 5)],
                      cell_deletes=[(GROUP, f"backref:{VMI}:{uid(9)}", 6)])
    followed = mirrored_objects(written, {GROUP, OTHER})
    assert [(c.uuid, c.peers) for c in followed] == [(PORT, {GROUP, PROJECT})]
