#!/usr/bin/env bash
# pathway.engine shows the WAL the engine's replication slot keeps: a
# transaction that holds an xid (in another database even) stops restart_lsn,
# so wal_retained_bytes grows with every byte of WAL written meanwhile; the
# figures are those of pg_replication_slots, the oldest transaction is the
# one holding it, and pathway.metrics() has the gauge.  Once it ends the
# slot moves on.  Shared test cluster; bounded (about 30 s).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

other=pw_wal_other
holder=
holder_out=$(mktemp)

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $holder ]]; then kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; fi
  sql -c "DROP TABLE IF EXISTS wal_src, wal_v, wal_fill CASCADE" >/dev/null 2>&1 || true
  sql -d postgres -c "DROP DATABASE IF EXISTS $other WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f -- "$holder_out"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tap_plan 9

sql <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
CREATE TABLE wal_src (k int, x int);
INSERT INTO wal_src VALUES (1, 1);
SELECT pathway.create_view('wal_v', 'SELECT k, sum(x) AS s FROM wal_src GROUP BY k');
CREATE TABLE wal_fill (pad text);
SQL
sql -c "SELECT pathway.sync('wal_v')" >/dev/null
sql -d postgres -c "CREATE DATABASE $other"

tap_is "$(sql -c "SELECT e.slot_name = s.slot_name AND e.slot_active AND e.pid = s.active_pid
                    FROM pathway.engine e JOIN pg_replication_slots s
                      ON s.database = current_database() AND s.slot_name LIKE 'pathway%'")" \
  t "pathway.engine names the worker's active slot and pid"

# first the slot catches up with the WAL earlier tests wrote (restart_lsn
# moves on at the running-transactions record a checkpoint logs, once the
# worker confirmed past it): what it keeps below is then the holder's doing
mark=$(sql -c "SELECT pg_current_wal_lsn()")
caught_up() {
  sql -c "INSERT INTO wal_src VALUES (1, 0)" -c "SELECT pathway.sync('wal_v')" -c "CHECKPOINT" >/dev/null
  [[ $(sql -c "SELECT restart_lsn >= '$mark'::pg_lsn FROM pathway.engine") == t ]]
}
wait_until 30 caught_up || true

# a transaction with an xid, held open in another database
hold_lsn=$(sql -c "SELECT pg_current_wal_lsn()")
psql -X -q -At -d "$other" -c "BEGIN" \
  -c "CREATE TABLE hold (i int)" \
  -c "SELECT pg_current_xact_id()" -c "SELECT pg_sleep(25)" >"$holder_out" 2>/dev/null &
holder=$!
holder_xid() { head -n 1 "$holder_out" 2>/dev/null; }
has_xid() { [[ -n $(holder_xid) ]]; }
wait_until 10 has_xid || true
sleep 0.5
xid=$(holder_xid)
tap_ok "$([[ $xid =~ ^[0-9]+$ ]]; echo $?)" "the holding transaction has an xid ($xid)"

# WAL written and applied while it runs: the slot cannot move past its start
sql -c "INSERT INTO wal_src VALUES (1, 2)" -c "SELECT pathway.sync('wal_v')" >/dev/null
sql -c "CHECKPOINT" >/dev/null
r1=$(sql -c "SELECT wal_retained_bytes FROM pathway.engine")
before=$(sql -c "SELECT pg_current_wal_lsn()")
sql -c "INSERT INTO wal_fill SELECT repeat('x', 1000) FROM generate_series(1, 8000)" \
    -c "INSERT INTO wal_src VALUES (1, 3)" -c "SELECT pathway.sync('wal_v')" >/dev/null
sql -c "CHECKPOINT" >/dev/null
read -r r2 held exact < <(sql -F ' ' -c "
  SELECT e.wal_retained_bytes,
         e.restart_lsn <= '$hold_lsn'::pg_lsn,
         e.restart_lsn = s.restart_lsn AND e.confirmed_flush_lsn = s.confirmed_flush_lsn
         AND e.wal_retained_bytes BETWEEN pg_wal_lsn_diff('$before', s.restart_lsn)
                                      AND pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)
    FROM pathway.engine e JOIN pg_replication_slots s ON s.slot_name = e.slot_name")
written=$(sql -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$before')::bigint")
tap_is "$(sql -c "SELECT s FROM wal_v")" 6 "the view is maintained meanwhile"
tap_ok "$([[ $r2 -gt $r1 && $held == t ]]; echo $?)" \
  "wal_retained_bytes grew ($r1 -> $r2, $written bytes written) and keeps all WAL since the transaction began"
tap_ok "$((r2 > 8000000 ? 0 : 1))" "it holds the 8 MB just written ($r2)"
tap_is "$exact" t "restart_lsn and confirmed_flush_lsn are pg_replication_slots', wal_retained_bytes is the current position minus restart_lsn"
tap_is "$(sql -c "SELECT oldest_xid::text = '$xid' AND oldest_xid_age >= 1 FROM pathway.engine")" t \
  "the oldest transaction shown is the one holding the slot"
m=$(sql -c "SELECT pathway.metrics()")
gauge=$(grep -E "^pathway_wal_retained_bytes\{database=\"$PGDATABASE\"\} [0-9]+$" <<<"$m" | awk '{print $2}')
tap_ok "$([[ -n $gauge && $gauge -ge $r2 ]]; echo $?)" "pathway.metrics() has the gauge pathway_wal_retained_bytes ($gauge)"

# it ends: the slot moves on and the WAL is released (the backend is ended
# itself: a killed psql leaves it in pg_sleep until the sleep is over)
sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$other' AND pid <> pg_backend_pid()" >/dev/null
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
holder=
released() {
  sql -c "INSERT INTO wal_src VALUES (2, 1)" -c "SELECT pathway.sync('wal_v')" -c "CHECKPOINT" >/dev/null
  [[ $(sql -c "SELECT wal_retained_bytes < $r2 - 8000000 FROM pathway.engine") == t ]]
}
rc=0
wait_until 20 released || rc=1
tap_ok "$rc" "after the transaction ends the slot releases that WAL (now $(sql -c "SELECT wal_retained_bytes FROM pathway.engine"))"

sql -c "SELECT pathway.drop_view('wal_v')" >/dev/null
tap_done
