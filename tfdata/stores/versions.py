"""Cassandra versions and table layouts: which ones tfdata serves, and which pairs it copies between.

Facts and the reasons for the policy: docs/design/cassandra-versions.md.
"""

from __future__ import annotations

from typing import Any, Collection, Mapping

COMPACT = "compact"  # WITH COMPACT STORAGE: what TF's drivers create (Thrift sees only these)
NON_COMPACT = "non-compact"  # the CQL equivalent: can also hold a row marker (a column without value)
SERVED_MAJORS = (3, 4, 5)  # tested: 3.11, 4.1, 5.0 (docs/services.md)


def parse_version(text: str) -> tuple[int, ...] | None:
    """'4.1.10' -> (4, 1, 10); None for what is not a release number (e.g. 'unknown')."""
    parts = []
    for piece in text.split("-")[0].split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts) or None


def layout_of(flags: Collection[str] | None) -> str:
    """A table's layout from system_schema.tables' flags: COMPACT STORAGE tables are 'dense'."""
    return COMPACT if flags and "dense" in flags else NON_COMPACT


def describe_layouts(layouts: Mapping[Any, str]) -> str:
    """One phrase for a cluster's TF tables: 'compact', 'non-compact', 'mixed (…)' or 'no TF tables'."""
    kinds = sorted(set(layouts.values()))
    if not kinds:
        return "no TF tables"
    if len(kinds) == 1:
        return kinds[0]
    counts = ", ".join(f"{sum(1 for v in layouts.values() if v == k)} {k}" for k in kinds)
    return f"mixed ({counts})"


def version_refusal(version: str, side: str) -> str | None:
    """Why tfdata cannot copy to or from this Cassandra, or None."""
    parsed = parse_version(version)
    if parsed is None:
        return f"cannot tell the Cassandra version of {side} (release_version {version!r})"
    if parsed[0] not in SERVED_MAJORS:
        return (f"{side} runs Cassandra {version}: tfdata serves 3.x (3.11), 4.x and 5.x "
                "(older ones lack system_schema; newer ones are untested)")
    return None


def sync_pair_refusal(old_version: str, new_version: str) -> str | None:
    """Why an ISSU copy from OLD to NEW must not start, or None.

    NEW older than OLD is refused: an ISSU moves forward, and going back is a rollback, done by
    restoring a snapshot (``tfdata restore``), which accepts any served version.
    """
    for version, side in ((old_version, "OLD"), (new_version, "NEW")):
        reason = version_refusal(version, side)
        if reason:
            return reason
    old, new = parse_version(old_version), parse_version(new_version)
    if old is not None and new is not None and new[:2] < old[:2]:
        return (f"NEW runs Cassandra {new_version}, older than OLD's {old_version}: an ISSU cannot downgrade; "
                "to go back, restore a snapshot (tfdata restore)")
    return None
