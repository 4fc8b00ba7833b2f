"""Turn what the user typed (profile name, dump path, snapshot path) into a store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..config import get_profile
from ..errors import InputError
from ..outfile import check_input

if TYPE_CHECKING:
    from .base import Source
    from .cluster import ClusterStore

SNAPSHOT_SUFFIX = ".tfsnap"


def classify(spec: str) -> str:
    """'snapshot', 'dump' or 'profile'."""
    path = Path(spec)
    if spec.endswith(SNAPSHOT_SUFFIX):
        return "snapshot"
    if path.suffix in (".json", ".gz") or path.name.endswith(".json.gz"):
        return "dump"
    if path.is_file():
        check_input(path)  # readable, or one line
        with open(path, "rb") as fp:
            head = fp.read(16)
        if head.startswith(b"SQLite format 3"):
            return "snapshot"
        return "dump"
    if "/" in spec or spec.startswith("."):
        check_input(path)  # says what is there instead: nothing, a directory, a FIFO...
        raise InputError(f"{spec}: no such file")
    return "profile"


def open_source(spec: str, config_path: str | None = None, issu_conf: str | None = None,
                with_zookeeper: bool = True, defer_integrity: bool = False) -> Source:
    """``defer_integrity``: a snapshot's seal is checked by the caller (SnapshotSource.check_integrity)."""
    kind = classify(spec)
    if kind == "dump":
        from .dump import DumpSource

        return DumpSource(spec)
    if kind == "snapshot":
        try:
            from .snapshot.store import SnapshotSource
        except ModuleNotFoundError:
            raise InputError(f"{spec}: snapshots are not supported yet") from None
        return SnapshotSource(spec, defer_integrity=defer_integrity)
    from .cluster import ClusterStore

    return ClusterStore(get_profile(spec, config_path, issu_conf), with_zookeeper=with_zookeeper)


def open_cluster(profile_name: str, config_path: str | None = None, issu_conf: str | None = None) -> ClusterStore:
    from .cluster import ClusterStore

    return ClusterStore(get_profile(profile_name, config_path, issu_conf))
