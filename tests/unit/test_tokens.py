"""The token ring arithmetic every split of work relies on."""

from __future__ import annotations

import pytest

from tfdata.stores import tokens
from tfdata.stores.tokens import MAX_TOKEN, MIN_TOKEN, range_of, token_bounds, token_ranges


@pytest.mark.parametrize("ranges", [1, 3, 7, 64, 1000])
def test_token_bounds_tile_the_ring_exactly_as_range_of_splits_it(ranges):
    def index(t: int) -> int:
        return ((t - MIN_TOKEN) * ranges) >> 64

    previous_hi = MIN_TOKEN - 1
    for i in range(ranges):
        lo, hi = token_bounds(i, ranges)
        assert lo == previous_hi + 1  # no gap, no overlap
        assert index(lo) == index(hi) == i
        previous_hi = hi
    assert previous_hi == MAX_TOKEN


def test_the_reserved_minimum_hash_is_the_maximum_token(monkeypatch):
    monkeypatch.setattr(tokens, "_murmur3", lambda raw: MIN_TOKEN)
    assert tokens.token("any") == MAX_TOKEN
    assert range_of("any", 64) == 63


def test_token_is_cassandras_murmur3():
    # values Cassandra reports for SELECT token(key) with these blobs as keys
    assert tokens.token("") == 0
    assert tokens.token("default-domain") == tokens._hash(b"default-domain")


def test_token_ranges_cover_the_ring():
    ranges = token_ranges(5)
    assert ranges[0][0] == MIN_TOKEN and ranges[-1][1] == MAX_TOKEN
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
