#!/usr/bin/env bash
# The main job on the embedded default: an ISSU-style migration between the local OLD and NEW
# clusters, using the bundled generated dump (fixtures/small-dump.json), checked at every step.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e . 2>&1 | grep -v 'Running pip as the' || true
bash scripts/services.sh install
bash scripts/services.sh start all
bash scripts/services.sh wait all
DUMP=fixtures/small-dump.json
WORK=$(mktemp -d)
step() { printf '\n== %s\n' "$*"; }

step "load $DUMP into OLD (replacing what is there) and empty NEW"
tfdata load "$DUMP" --to old --force
step "snapshot OLD before touching anything"
tfdata snapshot old -o "$WORK/old-before.tfsnap"
step "pre-upgrade audit of OLD"
tfdata audit old || echo "(audit findings above; exit $?)"
step "sync pre: declare the run-sync queue, then copy every keyspace OLD -> NEW"
tfdata sync pre --restart
step "sync run: replay whatever changed meanwhile (stops when idle)"
tfdata sync run --until-idle 3 --delete-queue
step "sync post and sync zk"
tfdata sync post --restart
tfdata sync zk
step "sync verify: the gate (exit 0 only when OLD and NEW are equal)"
tfdata sync verify
step "diff the snapshot taken before with NEW"
tfdata diff "$WORK/old-before.tfsnap" new --keyspace config_db_uuid && echo "NEW equals OLD's snapshot"
echo
echo "snapshots in $WORK; services keep running (stop: bash scripts/services.sh stop all)"
