#!/usr/bin/env python3
"""Generate a realistic TF config store as a db_json_exim dump (deterministic for a seed).

Usage: python scripts/gen_tf_data.py (--scale S|M|L | --objects N) [--seed N] [--prefix ID]
                                     [--tmp-dir DIR] -o OUT.json[.gz]

Scales: S = 1 000, M = 50 000, L = 500 000 objects (obj_uuid_table rows). The same arguments
always give the same bytes. Memory stays bounded at any scale: cells are spilled to a temporary
SQLite file (in --tmp-dir, default the system temp folder; L needs a few GB there).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tfdata.gen import MIN_OBJECTS, SCALES, generate_dump  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--scale", choices=sorted(SCALES), help="S=1k, M=50k, L=500k objects")
    size.add_argument("--objects", type=int, metavar="N", help=f"exact number of objects (>= {MIN_OBJECTS})")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--prefix", default=None,
                        help="cluster_id: ZooKeeper paths are recorded under '<prefix>/' as exim does")
    parser.add_argument("--tmp-dir", default=None, help="folder for the temporary spill file")
    parser.add_argument("-o", "--output", required=True, type=Path, help="dump file (.json or .json.gz)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)

    n_objects = SCALES[args.scale] if args.scale else args.objects
    if n_objects < MIN_OBJECTS:
        parser.error(f"--objects must be at least {MIN_OBJECTS}")
    if not args.output.parent.is_dir():
        parser.error(f"output folder does not exist: {args.output.parent}")

    started = time.monotonic()
    counts = generate_dump(args.output, n_objects, args.seed, args.prefix, args.tmp_dir)
    elapsed = time.monotonic() - started
    if not args.quiet:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{args.output}: {counts['objects']:,} objects, {counts['cells']:,} cells, "
              f"{counts['znodes']:,} znodes, {args.output.stat().st_size:,} bytes "
              f"in {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB")
        for obj_type, count in sorted(counts["types"].items(), key=lambda item: -item[1]):
            print(f"  {obj_type:<28} {count:>9,}  {100 * count / counts['objects']:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
