#!/usr/bin/env python3
"""An escape-heavy dump for reader benchmarks: cells whose values are long strings of JSON text.

Each value is the JSON text of an object whose strings hold quotes, backslashes and non-ASCII, so
in the dump (JSON inside JSON) it is dense with \\" and \\\\u00xx escapes. Big values (1-5 MB) and
many mid-size ones (16-256 KB) until the file reaches the requested size; or, with --single, one
cell holding it all (the worst case for a reader that re-scans a value each time it reads more).

    python scripts/gen_escape_dump.py --mb 189 -o /tmp/escapes.json
    python scripts/gen_escape_dump.py --mb 189 --single -o /tmp/one-value.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tfdata.model.cells import Cell, TableRef  # noqa: E402
from tfdata.stores.dump import write_dump  # noqa: E402

TABLE = TableRef("config_db_uuid", "obj_uuid_table")
WORDS = ['say "hi"', "C:\\temp\\x", "réseau-été", "ünïcödé ß", "tab\there", "a/b\\c", "東京"]


def value_text(rng: random.Random, size: int) -> str:
    parts, total = [], 0
    while total < size:
        s = " ".join(rng.choice(WORDS) for _ in range(16))
        parts.append(s)
        total += len(s) * 2
    return json.dumps({"annotations": parts})


def cells(rng: random.Random, limit: int, single: bool):
    written, n = 0, 0
    while written < limit:
        if single:
            sample = value_text(random.Random(0), 1 << 16)
            size = int(limit * (1 << 16) / len(json.dumps(sample)))  # from a value's length to its dump text
        else:
            size = rng.randint(1 << 20, 5 << 20) if n % 40 == 0 else rng.randint(16 << 10, 256 << 10)
        text = value_text(rng, size)
        written += len(json.dumps(text))
        yield TABLE, Cell(f"{n:08d}-0000-0000-0000-000000000000", "prop:annotations", text, 1592899701292475 + n)
        n += 1
        if single:
            return


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=50)
    ap.add_argument("--single", action="store_true", help="one cell holding the whole size")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    cells_made = cells(random.Random(args.seed), int(args.mb * (1 << 20)), args.single)
    counts = write_dump(args.output, cells_made, [], [TABLE])
    print(f"{args.output}: {counts['cells']} cells, {Path(args.output).stat().st_size / (1 << 20):.0f} MB")


if __name__ == "__main__":
    main()
