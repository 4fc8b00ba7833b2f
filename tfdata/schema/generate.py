"""Produce the committed ``schemas/<release>.json`` files from upstream XSD sets.

Kept in the package (not only in ``scripts/gen_schemas.py``) so tests can regenerate and
compare byte for byte.  Output must be deterministic: sorted keys, no timestamps, no paths.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .build import build_whitelist
from .json_schema import build_json_schema
from .releases import release_sort_key
from .xsd import ROOT_FILE, read_xsd_set

SOURCES_FILE = "SOURCES.md"
# | R5.0 | https://github.com/... | `R5.0` | `c6035dc...` | 2019-05-30 | ...
_SOURCE_ROW = re.compile(
    r"^\|\s*(?P<release>[^|\s]+)\s*\|\s*(?P<repo>https://\S+)\s*\|\s*`(?P<branch>[^`]+)`\s*\|"
    r"\s*`(?P<commit>[0-9a-f]{40})`\s*\|\s*(?P<date>[0-9-]+)\s*\|"
)


def find_releases(source_dir: Path | str) -> list[str]:
    """Release folders under ``source_dir`` that hold a root schema file, in release order."""
    source_dir = Path(source_dir)
    names = [p.name for p in source_dir.iterdir() if (p / ROOT_FILE).is_file()]
    return sorted(names, key=release_sort_key)


def read_sources(source_dir: Path | str) -> dict[str, dict]:
    """Upstream repository/branch/commit per release, from the SOURCES.md table if present."""
    path = Path(source_dir) / SOURCES_FILE
    if not path.is_file():
        return {}
    sources = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _SOURCE_ROW.match(line)
        if match:
            sources[match["release"]] = {
                "repo": match["repo"],
                "branch": match["branch"],
                "commit": match["commit"],
                "date": match["date"],
            }
    return sources


def generate_release(source_dir: Path | str, release: str, sources: dict | None = None) -> dict:
    """The whole per-release document: whitelist plus its JSON Schema under ``json_schema``."""
    source_dir = Path(source_dir)
    if sources is None:
        sources = read_sources(source_dir)
    xsd = read_xsd_set(source_dir / release)
    document = build_whitelist(xsd, release, sources.get(release))
    document["json_schema"] = build_json_schema(document)
    return document


LINE_WIDTH = 100


def dump(document: dict) -> str:
    """Deterministic, diff-friendly JSON: sorted keys; a container that fits on one line is
    written on one line, bigger ones are spread out one member per line."""
    return _dump(document, 0) + "\n"


def _dump(value, depth: int) -> str:
    compact = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
    if not isinstance(value, (dict, list)) or len(compact) + depth <= LINE_WIDTH or not value:
        return compact
    pad = " " * (depth + 1)
    if isinstance(value, list):
        items = [pad + _dump(item, depth + 1) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * depth + "]"
    items = [
        pad + json.dumps(key, ensure_ascii=False) + ": " + _dump(value[key], depth + 1)
        for key in sorted(value)
    ]
    return "{\n" + ",\n".join(items) + "\n" + " " * depth + "}"


def generate_all(source_dir: Path | str, out_dir: Path | str, releases: list[str] | None = None) -> list[Path]:
    """Write ``<out_dir>/<release>.json`` for each release; returns the written paths."""
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = read_sources(source_dir)
    written = []
    for release in releases or find_releases(source_dir):
        path = out_dir / f"{release}.json"
        path.write_text(dump(generate_release(source_dir, release, sources)), encoding="utf-8")
        written.append(path)
    return written
