"""Which Cassandra versions and OLD/NEW pairs tfdata copies between, and how layouts are named."""

from __future__ import annotations

import pytest

from tfdata.stores.versions import (COMPACT, NON_COMPACT, describe_layouts, layout_of, parse_version,
                                    sync_pair_refusal)


def test_release_numbers_parse_and_others_do_not():
    assert parse_version("4.1.10") == (4, 1, 10)
    assert parse_version("5.0-beta1") == (5, 0)
    assert parse_version("unknown") is None


def test_layout_comes_from_the_dense_flag():
    assert layout_of({"dense"}) == COMPACT
    assert layout_of({"compound"}) == NON_COMPACT
    assert layout_of(None) == NON_COMPACT


def test_layouts_are_summed_up_in_one_phrase():
    assert describe_layouts({}) == "no TF tables"
    assert describe_layouts({"a": COMPACT, "b": COMPACT}) == COMPACT
    assert describe_layouts({"a": COMPACT, "b": NON_COMPACT, "c": NON_COMPACT}) == "mixed (1 compact, 2 non-compact)"


@pytest.mark.parametrize("old,new", [("3.11.19", "3.11.19"), ("3.11.19", "4.1.10"), ("4.1.10", "5.0.8"),
                                     ("3.11.19", "5.0.8"), ("4.1.10", "4.1.3"), ("5.0.8", "5.1.0")])
def test_forward_and_same_version_pairs_are_served(old, new):
    assert sync_pair_refusal(old, new) is None


@pytest.mark.parametrize("old,new,reason", [
    ("5.0.8", "4.1.10", "NEW runs Cassandra 4.1.10, older than OLD's 5.0.8"),
    ("4.1.10", "3.11.19", "older than OLD's 4.1.10: an ISSU cannot downgrade; to go back, restore a snapshot"),
    ("2.2.19", "3.11.19", "OLD runs Cassandra 2.2.19: tfdata serves 3.x (3.11), 4.x and 5.x"),
    ("5.0.8", "6.0.0", "NEW runs Cassandra 6.0.0"),
    ("unknown", "5.0.8", "cannot tell the Cassandra version of OLD"),
])
def test_a_downgrade_or_an_unserved_version_is_refused_with_its_reason(old, new, reason):
    refusal = sync_pair_refusal(old, new)
    assert refusal is not None and reason in refusal and "\n" not in refusal
