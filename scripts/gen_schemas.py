#!/usr/bin/env python3
"""Regenerate schemas/<release>.json from the upstream XSD sets.

Usage: python scripts/gen_schemas.py [--source DIR] [--out DIR] [RELEASE ...]

The output is committed (users have no XSD files), so it is deterministic: run it twice and
git sees no change.  Default source: ../shared/tf-schema relative to the repository root.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tfdata.schema.generate import find_releases, generate_all  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO_ROOT.parent / "shared" / "tf-schema",
                        help="folder with one sub-folder of .xsd files per release")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "schemas",
                        help="where to write <release>.json")
    parser.add_argument("releases", nargs="*", help="only these releases (default: all found)")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        parser.error(f"source folder not found: {args.source}")
    known = find_releases(args.source)
    unknown = [r for r in args.releases if r not in known]
    if unknown:
        parser.error(f"unknown release(s) {', '.join(unknown)} (known: {', '.join(known)})")
    for path in generate_all(args.source, args.out, args.releases or None):
        print(f"{path}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
