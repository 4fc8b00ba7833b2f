#!/usr/bin/env bash
# Every benchmark, then BENCHMARKS.md. Needs the local services (started here) and ~5 GB of disk
# for L. Long: plan for an hour or more with SCALES="M L".
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e '.[test]' cqlsh zk-shell 2>&1 | grep -v 'Running pip as the' || true
bash scripts/services.sh install
bash scripts/services.sh start all
bash scripts/services.sh wait all
for scale in ${SCALES:-S M}; do
  python3 scripts/bench.py export --scale "$scale"
  python3 scripts/bench.py snapshot --scale "$scale"
  python3 scripts/bench.py presync --scale "$scale"
  python3 scripts/bench.py diff --scale "$scale"
  python3 scripts/bench.py audit --scale "$scale"
done
for rate in ${RUNSYNC_RATES:-500 150 100}; do   # the target rate, and rates this machine sustains
  python3 scripts/bench.py runsync --rate "$rate" --seconds 20
done
python3 scripts/bench.py zksync --znodes 100000
python3 scripts/bench.py render
