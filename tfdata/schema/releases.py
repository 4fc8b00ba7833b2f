"""Release names and their order (branch heads: R5.0 < R5.1 < R1909 < ... < R21.4 < master)."""

from __future__ import annotations

import re

_DOTTED = re.compile(r"^R(\d+)\.(\d+)$")  # R5.0, R21.3
_YYMM = re.compile(r"^R(\d\d)(\d\d)$")  # R1909, R2011
MASTER = "master"


def release_sort_key(name: str) -> tuple:
    """Chronological-ish order by version number; master last, unknown names after that."""
    dotted = _DOTTED.match(name)
    if dotted:
        return (0, int(dotted[1]), int(dotted[2]), name)
    yymm = _YYMM.match(name)
    if yymm:
        return (0, int(yymm[1]), int(yymm[2]), name)
    if name == MASTER:
        return (1, 0, 0, name)
    return (2, 0, 0, name)
