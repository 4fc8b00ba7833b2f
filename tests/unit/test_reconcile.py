"""The merge that makes a target range equal to a source range."""

from __future__ import annotations

from tfdata.model.cells import Cell
from tfdata.sync.reconcile import Counts, reconcile, sort_cells


def apply(target: list[Cell], source: list[Cell]) -> tuple[dict, Counts]:
    """Run the merge and simulate Cassandra's last-write-wins on the target."""
    counts = Counts()
    state = {(c.key, c.column): (c.value, c.writetime) for c in target}
    tombstones: dict[tuple, int] = {}
    row_tombstones: dict[str, int] = {}
    for actions in reconcile(sort_cells(source), sort_cells(target), counts, chunk=3):
        for key, column, ts in actions.cell_deletes:
            tombstones[(key, column)] = max(ts, tombstones.get((key, column), 0))
        for key, ts in actions.row_deletes:
            row_tombstones[key] = max(ts, row_tombstones.get(key, 0))
        for c in actions.writes:
            current = state.get((c.key, c.column))
            if current is None or c.writetime > current[1]:
                state[(c.key, c.column)] = (c.value, c.writetime)
    live = {}
    for (key, column), (value, ts) in state.items():
        if ts <= tombstones.get((key, column), -1) or ts <= row_tombstones.get(key, -1):
            continue
        live[(key, column)] = (value, ts)
    return live, counts


def cells(*specs):
    return [Cell(k, c, v, t) for k, c, v, t in specs]


def test_target_becomes_source_and_times_are_kept():
    source = cells(("r1", "a", "1", 10), ("r1", "b", "2", 10), ("r2", "x", "9", 5))
    target = cells(("r1", "a", "1", 10), ("r1", "c", "old", 3), ("r3", "z", "gone", 7), ("r3", "y", "gone", 8))
    live, counts = apply(target, source)
    assert live == {(c.key, c.column): (c.value, c.writetime) for c in source}
    assert counts.rows_added == 1 and counts.rows_deleted == 1 and counts.rows_updated == 1
    assert counts.cells_deleted == 1 and counts.bumped == 0


def test_newer_target_value_is_overwritten_with_a_bumped_time():
    source = cells(("r1", "a", "source", 10))
    target = cells(("r1", "a", "target", 50))
    live, counts = apply(target, source)
    assert live == {("r1", "a"): ("source", 51)} and counts.bumped == 1


def test_equal_rows_do_nothing_and_wide_rows_stream():
    wide = cells(*[("w", f"c{i:06d}", str(i), i + 1) for i in range(5000)])
    live, counts = apply(wide, wide)
    assert counts.rows_same == 1 and counts.cells_written == 0 and len(live) == 5000
    half = wide[::2]
    live, counts = apply(wide, half)
    assert len(live) == 2500 and counts.cells_deleted == 2500


def test_row_only_in_target_gets_one_partition_tombstone_newer_than_all_its_cells():
    counts = Counts()
    batches = list(reconcile([], sort_cells(cells(("gone", "a", "x", 5), ("gone", "b", "y", 9))), counts))
    assert [b.row_deletes for b in batches] == [[("gone", 10)]]


def test_partial_streams_never_delete_whole_rows():
    counts = Counts()
    batches = list(reconcile([], sort_cells(cells(("type-row", "name:uuid", "null", 5))), counts, whole_rows=False))
    assert [b.row_deletes for b in batches] == [[]]
    assert [b.cell_deletes for b in batches] == [[("type-row", "name:uuid", 6)]]
