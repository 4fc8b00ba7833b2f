"""Cassandra's Murmur3 token ring: the token of a row key, and ranges of the ring.

Every place that splits work by token (snapshot range hashes, parallel scans, the copy's
checkpointed units, catch-up, run-sync's merge order) uses these, so a range index means the
same rows in a snapshot file and in a live cluster.
"""

from __future__ import annotations

from typing import Callable

from ..model.cells import text_to_blob

MIN_TOKEN = -(2**63)
MAX_TOKEN = 2**63 - 1

_murmur3: Callable[[bytes], int] | None = None


def _hash(raw: bytes) -> int:
    global _murmur3
    if _murmur3 is None:  # imported on first use: commands that only read snapshots skip the driver
        try:  # the driver's C extension; its pure-Python twin otherwise
            from cassandra.cmurmur3 import murmur3
        except ImportError:  # pragma: no cover
            from cassandra.murmur3 import murmur3
        _murmur3 = murmur3
    return _murmur3(raw)


def token(key: str) -> int:
    """The token Cassandra gives the row: Murmur3Partitioner maps the one reserved hash value,
    the minimum, to the maximum."""
    value = _hash(text_to_blob(key))
    return MAX_TOKEN if value == MIN_TOKEN else value


def range_of(key: str, ranges: int) -> int:
    """Index of the equal-width slice of the ring (``ranges`` slices) the row's token falls in."""
    return ((token(key) - MIN_TOKEN) * ranges) >> 64


def token_bounds(index: int, ranges: int) -> tuple[int, int]:
    """Inclusive token bounds of slice ``index``: the inverse of range_of."""
    def start(i: int) -> int:
        return MIN_TOKEN - ((-i << 64) // ranges)  # MIN + ceil(i * 2**64 / ranges)

    return start(index), start(index + 1) - 1


def token_ranges(splits: int) -> list[tuple[int, int]]:
    """(start, end] pairs covering the whole ring, for scans by ``token(key) > start AND <= end``."""
    step = (MAX_TOKEN - MIN_TOKEN) // splits
    bounds = [MIN_TOKEN + i * step for i in range(splits)] + [MAX_TOKEN]
    return list(zip(bounds[:-1], bounds[1:], strict=True))
