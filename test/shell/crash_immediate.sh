#!/usr/bin/env bash
# pg_ctl stop -m immediate in the middle of writes (twice: once while the
# engine worker applies epochs, once right after the restart while it
# re-adopts its views), then a normal start.  Afterwards every view equals
# its query and nothing committed is lost or applied twice.
#
# Own cluster (never the shared one): a port in 61470-61479.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/crash.sh"

CRASH_DB=crash_immediate
CRASH_WORK=$(mktemp -d)
BURST_PID=

crash_install_traps

tap_plan 18
own_cluster_start immediate
echo "# own cluster $OWN_DIR on port $OWN_PORT"
crash_setup

sync_ok=0
sql -d "$CRASH_DB" -c "SELECT pathway.sync(NULL, '30s')" >/dev/null 2>&1 || sync_ok=1
tap_ok "$sync_ok" "views created and synced before the writes"

# stop_immediately DESC: immediate shutdown (no checkpoint: crash recovery
# at the next start), then a normal start through cluster.sh.
stop_immediately() {
  local rc=0
  as_pg "$TAP_PGBIN/pg_ctl" -D "$OWN_DIR" -m immediate -w -t 30 stop >/dev/null 2>&1 || rc=1
  tap_ok "$rc" "pg_ctl stop -m immediate ($1)"
  wait_pid "$BURST_PID" 40 || true
  BURST_PID=
  rc=0
  bash "$PATHWAY_CLUSTER" restart "$OWN_DIR" >&2 || rc=1
  wait_until 60 server_up || rc=1
  tap_ok "$rc" "the server starts again after the immediate stop ($1)"
}

# --- burst 1: bounded by time; the stop ends it
crash_burst "$CRASH_WORK/burst1.out" -T 20 -R 400 --random-seed=44
sleep 3
stop_immediately "while the worker applies epochs"
tap_diag "burst 1: $(burst_processed "$CRASH_WORK/burst1.out") transactions before the stop"

# --- burst 2: stop again as soon as the worker is back and adopting
crash_burst "$CRASH_WORK/burst2.out" -T 20 -R 400 --random-seed=55
back=1
wait_until 30 has_engine && back=0
stop_immediately "right after the worker came back"

# --- burst 3: runs to its end while the worker comes back
crash_burst "$CRASH_WORK/burst3.out" -t 150 -R 300 --random-seed=66
burst3_rc=0
wait_pid "$BURST_PID" 60 || burst3_rc=$?
BURST_PID=
processed=$(burst_processed "$CRASH_WORK/burst3.out")
if ((burst3_rc == 0)) && [[ $processed == 600 ]]; then
  tap_ok 0 "a write burst after the restarts commits all its 600 transactions"
else
  tap_ok 1 "a write burst after the restarts commits all its 600 transactions"
  tap_diag "pgbench exit $burst3_rc, processed '${processed:-}'"
  tap_diag "$(tail -n 10 "$CRASH_WORK/burst3.out")"
fi

synced=0
crash_sync 60 || synced=1
tap_ok "$synced" "pathway.sync() succeeds once the worker is back (retried up to 60 s)"
((synced == 0)) || tap_diag "$(cat "$CRASH_WORK/sync.err")"

tap_ok "$back" "the engine worker came back after the first restart"

crash_checks
tap_done
