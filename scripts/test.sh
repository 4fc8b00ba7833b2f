#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs tfdata and the nine services (OLD, NEW and
# SECURE: Cassandra 5.0 + ZooKeeper + RabbitMQ each; SECURE with passwords and TLS), starts them,
# runs pytest, stops them. Extra arguments go to pytest (e.g. scripts/test.sh tests/unit -k dump).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v 'Running pip as the' || true
bash scripts/services.sh install
trap 'bash scripts/services.sh stop secure >/dev/null 2>&1 || true; bash scripts/services.sh stop all >/dev/null 2>&1 || true' EXIT
bash scripts/services.sh start all
bash scripts/services.sh start secure
bash scripts/services.sh wait all
bash scripts/services.sh wait secure
python3 -m pytest "$@"
