#!/usr/bin/env bash
# kill -9 of the engine worker in the middle of writes (twice: once while it
# applies epochs, once right after it came back and is re-adopting its views).
# PostgreSQL answers with a crash restart of every backend; the writers die
# with it and start again once the server is back.  Afterwards every view
# equals its query and nothing committed is lost or applied twice.
#
# Own cluster (never the shared one): a port in 61470-61479.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/crash.sh"

CRASH_DB=crash_worker
CRASH_WORK=$(mktemp -d)
BURST_PID=

crash_install_traps

tap_plan 18
own_cluster_start worker
echo "# own cluster $OWN_DIR on port $OWN_PORT"
crash_setup

sync_ok=0
sql -d "$CRASH_DB" -c "SELECT pathway.sync(NULL, '30s')" >/dev/null 2>&1 || sync_ok=1
tap_ok "$sync_ok" "views created and synced before the writes"

# kill_worker WHEN_DESC: kill -9 the engine worker, wait for the server.
killed_pids=()
kill_worker() {
  local pid rc=0
  wait_until 20 has_engine || true
  pid=$(engine_pid)
  if [[ $pid =~ ^[0-9]+$ ]]; then
    kill -9 "$pid" || rc=1
    killed_pids+=("$pid")
  else
    rc=1
    tap_diag "no engine worker found in pg_stat_activity"
  fi
  tap_ok "$rc" "kill -9 of the engine worker ($1)"
}

# --- burst 1: unbounded by count, bounded by time; the crash ends it
crash_burst "$CRASH_WORK/burst1.out" -T 20 -R 400 --random-seed=11
sleep 3
kill_worker "while it applies epochs"
burst1_rc=0
wait_pid "$BURST_PID" 40 || burst1_rc=$?
BURST_PID=
tap_diag "burst 1: exit $burst1_rc, $(burst_processed "$CRASH_WORK/burst1.out") transactions before the crash"

up=0
wait_until 60 server_up || up=1
tap_ok "$up" "the server accepts connections again after the crash restart"

# --- burst 2: the worker comes back and re-adopts its views; kill it again
crash_burst "$CRASH_WORK/burst2.out" -T 20 -R 400 --random-seed=22
back=1
wait_until 30 has_engine && back=0
kill_worker "again, right after it came back"
wait_pid "$BURST_PID" 40 || true
BURST_PID=
wait_until 60 server_up || true

# --- burst 3: runs to its end while the worker comes back
crash_burst "$CRASH_WORK/burst3.out" -t 150 -R 300 --random-seed=33
burst3_rc=0
wait_pid "$BURST_PID" 60 || burst3_rc=$?
BURST_PID=
processed=$(burst_processed "$CRASH_WORK/burst3.out")
if ((burst3_rc == 0)) && [[ $processed == 600 ]]; then
  tap_ok 0 "a write burst after the crashes commits all its 600 transactions"
else
  tap_ok 1 "a write burst after the crashes commits all its 600 transactions"
  tap_diag "pgbench exit $burst3_rc, processed '${processed:-}'"
  tap_diag "$(tail -n 10 "$CRASH_WORK/burst3.out")"
fi

synced=0
crash_sync 60 || synced=1
tap_ok "$synced" "pathway.sync() succeeds once the worker is back (retried up to 60 s)"
((synced == 0)) || tap_diag "$(cat "$CRASH_WORK/sync.err")"

pid=$(engine_pid)
fresh=1
if [[ $pid =~ ^[0-9]+$ ]]; then
  fresh=0
  for k in "${killed_pids[@]}"; do [[ $k == "$pid" ]] && fresh=1; done
fi
tap_ok $((fresh || back)) "a new engine worker serves the database (pid ${pid:-none})"

crashes=$(grep -c 'pathway engine worker.*terminated by signal 9' "$OWN_DIR/log" || true)
tap_is "$crashes" 2 "the server log shows both kills and crash restarts"

crash_checks
tap_done
