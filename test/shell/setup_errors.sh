#!/usr/bin/env bash
# CREATE EXTENSION refuses a server that cannot run pathway, and says what
# to set: without shared_preload_libraries = 'pathway', and with
# wal_level = replica.  Nothing is left behind and the server stays up.
#
# Own clusters (started with other settings): a port in 61470-61479.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

db=setup_errors
work=$(mktemp -d)

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then own_cluster_log 30; fi
  own_cluster_stop
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# refused DESC HINT-TEXT: CREATE EXTENSION fails with that hint, leaves
# nothing behind, and the server is still up.  Four checks.
refused() {
  local desc=$1 hint=$2 rc=0
  sql -d "$db" -c "CREATE EXTENSION pathway" >"$work/out" 2>"$work/err" || rc=$?
  if ((rc != 0)) && grep -q '^ERROR:' "$work/err"; then
    tap_ok 0 "$desc: CREATE EXTENSION fails with an error"
  else
    tap_ok 1 "$desc: CREATE EXTENSION fails with an error"
    tap_diag "exit $rc; stdout: $(cat "$work/out")" "stderr: $(cat "$work/err")"
  fi
  if grep '^HINT:' "$work/err" | grep -qF -- "$hint"; then
    tap_ok 0 "$desc: the hint says $hint"
  else
    tap_ok 1 "$desc: the hint says $hint"
    tap_diag "stderr: $(cat "$work/err")"
  fi
  tap_is "$(sql -d "$db" -c "SELECT count(*) FROM pg_extension WHERE extname = 'pathway'")
$(sql -d "$db" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'pathway'")
$(sql -d postgres -c "SELECT count(*) FROM pg_replication_slots")" "0
0
0" "$desc: no extension, schema or replication slot is left behind"
  local crashed
  crashed=$(grep -c 'terminated by signal' "$OWN_DIR/log" || true)
  if sql -d "$db" -c "SELECT 1" >/dev/null 2>&1 && [[ $crashed == 0 ]]; then
    tap_ok 0 "$desc: the server is still up, no backend crashed"
  else
    tap_ok 1 "$desc: the server is still up, no backend crashed"
  fi
}

tap_plan 10

own_cluster_start setup "shared_preload_libraries=''"
echo "# own cluster $OWN_DIR on port $OWN_PORT, without pathway preloaded"
sql -d postgres -c "CREATE DATABASE $db"
tap_is "$(sql -d postgres -c "SHOW shared_preload_libraries")" "" "the server runs without pathway preloaded"
refused "not preloaded" "shared_preload_libraries = 'pathway'"
own_cluster_stop

own_cluster_start setup "wal_level=replica"
echo "# own cluster $OWN_DIR on port $OWN_PORT, wal_level = replica"
sql -d postgres -c "CREATE DATABASE $db"
tap_is "$(sql -d postgres -c "SELECT current_setting('shared_preload_libraries') || ' ' || current_setting('wal_level')")" \
  "pathway replica" "the server runs with pathway preloaded and wal_level = replica"
refused "wal_level = replica" "wal_level = logical"

tap_done
