#!/usr/bin/env bash
# The engine worker's life: CREATE EXTENSION starts one for its database
# without a server restart; it shows as application_name 'pathway engine';
# a server restart brings it back for a database that has the extension and
# not for one that has not; DROP EXTENSION stops it and removes its
# replication slot and origin; CREATE EXTENSION again starts it again.
#
# Own cluster (it is restarted): a port in 61470-61479.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

with=lc_with
without=lc_without

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then own_cluster_log 30; fi
  own_cluster_stop
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tap_plan 20
own_cluster_start lifecycle
echo "# own cluster $OWN_DIR on port $OWN_PORT"
sql -d postgres -c "CREATE DATABASE $with" -c "CREATE DATABASE $without"
oid=$(sql -d postgres -c "SELECT oid FROM pg_database WHERE datname = '$with'")
slot=pathway_$oid

slot_count() {
  sql -d postgres -c "SELECT count(*) FROM pg_replication_slots
                       WHERE slot_name = '$slot' AND database = '$with' AND slot_type = 'logical'"
}
has_slot() { [[ $(slot_count) == 1 ]]; }
has_no_slot() { [[ $(slot_count) == 0 ]]; }
origin_count() {
  sql -d "$with" -c "SELECT count(*) FROM pg_replication_origin WHERE roname = '$slot'"
}
# No worker for DB stays.  At server start the launcher probes every
# database with a worker that exits at once if there is no extension: give
# such a probe a moment to come and go, then expect none, and none a second
# later either.
stays_without_worker() {
  sleep 1
  wait_no_worker "$1" 10 && sleep 1 && has_no_worker "$1"
}
restart_server() {
  bash "$PATHWAY_CLUSTER" restart "$OWN_DIR" >&2 && wait_until 30 sql -d postgres -c "SELECT 1"
}

# --- CREATE EXTENSION starts a worker, no restart needed
tap_ok "$(has_no_worker "$with"; echo $?)" "no engine worker for $with before CREATE EXTENSION"
sql -d "$with" -c "CREATE EXTENSION pathway"
rc=0
wait_until 10 has_worker "$with" || rc=1
tap_ok "$rc" "CREATE EXTENSION starts an engine worker for $with within 10 s"
tap_is "$(sql -d postgres -c "SELECT application_name FROM pg_stat_activity
                               WHERE backend_type = 'pathway engine worker' AND datname = '$with'")" \
  "pathway engine" "the worker's application_name is 'pathway engine'"
tap_is "$(worker_count "$with")" 1 "exactly one engine worker for $with"
rc=0
wait_until 10 has_slot || rc=1
tap_ok "$rc" "replication slot $slot exists (logical, database $with)"
tap_ok "$(stays_without_worker "$without"; echo $?)" "no engine worker for $without (no extension)"

# --- a view is maintained
sql -d "$with" <<'SQL'
SET client_min_messages = warning;
CREATE TABLE t (id int, g int);
INSERT INTO t SELECT i, i % 3 FROM generate_series(1, 30) i;
SELECT pathway.create_view('v', 'SELECT g, count(*) AS n FROM t GROUP BY g');
SQL
sql -d "$with" -c "INSERT INTO t VALUES (100, 7)" -c "SELECT pathway.sync('v', '30s')" >/dev/null
tap_is "$(sql -d "$with" -c "SELECT string_agg(g || ':' || n, ' ' ORDER BY g) FROM v")" \
  "0:10 1:10 2:10 7:1" "the view follows its table"

# --- restart: back for the database with the extension only
restart_server
rc=0
wait_until 10 has_worker "$with" || rc=1
tap_ok "$rc" "after a server restart the worker for $with is back within 10 s"
tap_ok "$(stays_without_worker "$without"; echo $?)" "after a server restart there is no worker for $without"
tap_is "$(worker_count "$with")" 1 "after a server restart exactly one engine worker for $with"
sql -d "$with" -c "DELETE FROM t WHERE g = 0" -c "SELECT pathway.sync('v', '30s')" >/dev/null
tap_is "$(sql -d "$with" -c "SELECT string_agg(g || ':' || n, ' ' ORDER BY g) FROM v")" \
  "1:10 2:10 7:1" "after the restart the view follows its table"

# --- DROP EXTENSION: the worker stops, the slot and origin go away
sql -d "$with" -c "DROP EXTENSION pathway CASCADE" >/dev/null 2>&1
rc=0
wait_no_worker "$with" 10 || rc=1
tap_ok "$rc" "DROP EXTENSION stops the engine worker within 10 s"
rc=0
wait_until 10 has_no_slot || rc=1
tap_ok "$rc" "DROP EXTENSION removes replication slot $slot"
tap_is "$(origin_count)" 0 "DROP EXTENSION removes replication origin $slot"
tap_ok "$(stays_without_worker "$with"; echo $?)" "no engine worker comes back after DROP EXTENSION"

# --- a restart starts no worker for a database that dropped the extension
restart_server
tap_ok "$(stays_without_worker "$with"; echo $?)" "after a restart there is no worker for $with (extension dropped)"
tap_ok "$(stays_without_worker "$without"; echo $?)" "after a restart there is still no worker for $without"

# --- CREATE EXTENSION again, in the other database too
sql -d "$with" -c "CREATE EXTENSION pathway"
sql -d "$without" -c "CREATE EXTENSION pathway"
rc=0
wait_until 10 has_worker "$with" || rc=1
tap_ok "$rc" "CREATE EXTENSION again starts the worker for $with again"
rc=0
wait_until 10 has_worker "$without" || rc=1
tap_ok "$rc" "CREATE EXTENSION in $without starts a worker for it"
rc=0
wait_until 10 has_slot || rc=1
tap_ok "$rc" "the slot $slot is back"

tap_done
