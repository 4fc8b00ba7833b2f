#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs tfdata with its test tools, runs the fast
# checks (ruff, mypy, unit tests: no services needed), then installs and starts the nine
# services (OLD, NEW and SECURE: Cassandra 5.0 + ZooKeeper + RabbitMQ each; SECURE with
# passwords and TLS), runs the integration tests and stops the services.
# Extra arguments are pytest options for both runs (e.g. scripts/test.sh -x -k dump).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v 'Running pip as the' || true
echo "== ruff"; python3 -m ruff check tfdata tests scripts
echo "== mypy"; python3 -m mypy
echo "== unit tests"; python3 -m pytest tests/unit "$@"
bash scripts/services.sh install
trap 'bash scripts/services.sh stop secure >/dev/null 2>&1 || true; bash scripts/services.sh stop all >/dev/null 2>&1 || true' EXIT
bash scripts/services.sh start all
bash scripts/services.sh start secure
bash scripts/services.sh wait all
bash scripts/services.sh wait secure
echo "== integration tests"; python3 -m pytest tests/integration "$@"
