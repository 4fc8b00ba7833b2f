#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs tfdata with its test tools, runs the fast
# checks (ruff, mypy, unit tests: no services needed), then installs and starts the nine
# services (OLD, NEW and SECURE: Cassandra 5.0 + ZooKeeper + RabbitMQ each; SECURE with
# passwords and TLS) and runs the integration tests; then swaps them for the version clusters
# (Cassandra 3.11, 4.1 and 5.0, each with its own ZooKeeper and RabbitMQ) and runs the tests
# across versions. Every service it started is stopped at the end.
# Extra arguments are pytest options for every run (e.g. scripts/test.sh -x -k dump).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v 'Running pip as the' || true
echo "== ruff"; python3 -m ruff check tfdata tests scripts
echo "== mypy"; python3 -m mypy
echo "== unit tests"; python3 -m pytest tests/unit "$@"

VERSIONS=v311,v41,v50
stop_everything() {
  for c in secure all "$VERSIONS"; do bash scripts/services.sh stop "$c" >/dev/null 2>&1 || true; done
}
trap stop_everything EXIT
export TFDATA_TEST_ALL_CLUSTERS=1  # a test whose clusters are down fails here instead of skipping

bash scripts/services.sh install
bash scripts/services.sh install "$VERSIONS"
bash scripts/services.sh start all
bash scripts/services.sh start secure
bash scripts/services.sh wait all
bash scripts/services.sh wait secure
echo "== integration tests"
python3 -m pytest tests/integration --ignore tests/integration/test_versions.py "$@"

bash scripts/services.sh stop secure
bash scripts/services.sh stop all
bash scripts/services.sh start "$VERSIONS"
bash scripts/services.sh wait "$VERSIONS"
echo "== integration tests across Cassandra versions"
python3 -m pytest tests/integration/test_versions.py "$@"
