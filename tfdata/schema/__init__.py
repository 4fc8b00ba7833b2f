"""Per-release schema whitelists of the Tungsten Fabric configuration database.

Library-first: everything here is a pure function of the committed ``schemas/<release>.json``
files (generated from the upstream XSD by ``scripts/gen_schemas.py``).
"""

from .check import check_object
from .diff import describe_change, diff_releases
from .examples import example_props, example_ref_attr, example_value
from .guess import guess_release, score_releases
from .store import (
    ReleaseSchema,
    UnknownObjectType,
    UnknownRelease,
    list_releases,
    load_release,
    schemas_dir,
)
from .upgrade import upgrade_impact

__all__ = [
    "ReleaseSchema",
    "UnknownObjectType",
    "UnknownRelease",
    "check_object",
    "describe_change",
    "diff_releases",
    "example_props",
    "example_ref_attr",
    "example_value",
    "guess_release",
    "list_releases",
    "load_release",
    "schemas_dir",
    "score_releases",
    "upgrade_impact",
]
