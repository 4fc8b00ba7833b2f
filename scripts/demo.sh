#!/usr/bin/env bash
# The main job on the embedded default: local OLD/NEW clusters, the bundled generated dump.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e . 2>&1 | grep -v 'Running pip as the' || true
bash scripts/services.sh install
bash scripts/services.sh start all
bash scripts/services.sh wait all
DUMP=fixtures/small-dump.json
WORK=$(mktemp -d)
echo "== load $DUMP into OLD (replacing what is there)"
tfdata load "$DUMP" --to old --force
echo "== export OLD back to a dump"
tfdata export old -o "$WORK/old-export.json"
echo "== compare the dump with the export, cell by cell"
python3 - "$DUMP" "$WORK/old-export.json" <<'PY'
import sys
from tfdata.stores.dump import DumpSource
def cells(path):
    return {(str(t), c.key, c.column): (c.value, c.writetime) for t, c in DumpSource(path).cells() if c.column}
a, b = cells(sys.argv[1]), cells(sys.argv[2])
print(f"{len(a)} cells in the dump, {len(b)} in the export, {sum(a[k] != b.get(k) for k in a)} different")
sys.exit(0 if a == b else 1)
PY
echo "services keep running; stop them with: bash scripts/services.sh stop all"
