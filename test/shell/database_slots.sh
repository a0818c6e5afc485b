#!/usr/bin/env bash
# Each database with the extension takes one of the cluster's 32 shared
# database slots; it must come back when the database no longer needs it.
# 34 databases in turn, each with CREATE EXTENSION pathway and its engine
# worker running, then either DROP EXTENSION + DROP DATABASE, or the worker
# terminated and DROP DATABASE with the extension still in place: every
# CREATE EXTENSION succeeds, and no replication origin of a dropped database
# is left behind.
#
# Runs on the shared test cluster (no restart); bounded at about 4 minutes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

rounds=34
prefix=pw_slots_

cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = 1; i <= rounds; i++)); do
    sql -d postgres -c "DROP DATABASE IF EXISTS ${prefix}$i WITH (FORCE)" >/dev/null 2>&1 || true
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tap_plan 5

created=0
failed_at=
workers=0
oids=()
deadline=$((SECONDS + 240))
for ((i = 1; i <= rounds; i++)); do
  db=${prefix}$i
  sql -d postgres -c "CREATE DATABASE $db"
  oids+=("$(sql -d postgres -c "SELECT oid FROM pg_database WHERE datname = '$db'")")
  if ! err=$(sql -d "$db" -c "CREATE EXTENSION pathway" 2>&1); then
    failed_at="$i: $err"
    sql -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null 2>&1 || true
    break
  fi
  created=$((created + 1))
  if wait_until 20 has_worker "$db"; then workers=$((workers + 1)); fi
  if ((i % 2)); then
    sql -d "$db" -c "DROP EXTENSION pathway" >/dev/null
    wait_no_worker "$db" 20 || tap_diag "the worker of $db did not stop after DROP EXTENSION"
    sql -d postgres -c "DROP DATABASE $db"
  else
    # the worker holds the database's replication slot, which DROP DATABASE
    # refuses to drop while it is active: stop the worker, then drop at once
    gone=1
    for ((try = 0; try < 20 && gone; try++)); do
      sql -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                           WHERE backend_type = 'pathway engine worker' AND datname = '$db'" >/dev/null
      if sql -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null 2>&1; then gone=0; fi
    done
    ((gone == 0)) || tap_diag "could not drop $db with its extension in place"
  fi
  if ((SECONDS > deadline)); then
    tap_diag "out of time after $i rounds"
    break
  fi
done

tap_is "$created" "$rounds" "CREATE EXTENSION succeeded in all $rounds databases, one after another"
[[ -z $failed_at ]] || tap_diag "round $failed_at"
tap_is "$workers" "$created" "each of them had its engine worker running"

# and one more database still gets a slot and a running worker
db=${prefix}1
sql -d postgres -c "CREATE DATABASE $db"
sql -d "$db" -c "CREATE EXTENSION pathway"
rc=0
wait_until 20 has_worker "$db" || rc=1
tap_ok "$rc" "a database created afterwards gets an engine worker"
drop_pathway_db "$db"

# the databases dropped with their extension left a replication origin:
# the next engine worker to start drops them
origin_list=$(printf "'pathway_%s'," "${oids[@]}")
origins_left() {
  sql -d postgres -c "SELECT count(*) FROM pg_replication_origin WHERE roname IN (${origin_list%,})"
}
no_origins_left() { [[ $(origins_left) == 0 ]]; }
rc=0
wait_until 20 no_origins_left || rc=1
tap_ok "$rc" "no replication origin of a dropped database is left (got $(origins_left))"
tap_is "$(sql -d postgres -c "SELECT count(*) FROM pg_replication_slots WHERE database LIKE '${prefix}%'")" 0 \
  "no replication slot of a dropped database is left"

tap_done
