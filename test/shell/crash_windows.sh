#!/usr/bin/env bash
# kill -9 of the engine worker while windows close: a view with
# emit => 'on_close' writes each window once (a row trigger on its table
# logs every write: inserts only, one per window, none undone), nothing is
# lost (every closed window holds the source's count), and a view with a
# cutoff equals its query on the windows not final and the source on the
# final ones; an interval join with a cutoff holds every pair of the
# source, each once.  After each crash the views are rebuilt from the saved
# time.
#
# Own cluster (never the shared one).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/crash.sh"

CRASH_DB=crash_windows
CRASH_WORK=$(mktemp -d)
BURST_PID=

crash_install_traps

tap_plan 14
own_cluster_start windows
echo "# own cluster $OWN_DIR on port $OWN_PORT"

sql -d postgres -c "CREATE DATABASE $CRASH_DB"
sql -d "$CRASH_DB" <<'SQL'
CREATE EXTENSION pathway;
SET TimeZone = 'UTC';
CREATE SEQUENCE tick;
CREATE TABLE ev (id bigserial PRIMARY KEY, k int, ts timestamptz);
SELECT pathway.create_view('v_close', $$SELECT k, pathway.tumble(ts, '1 s') AS w, count(*) AS n
  FROM ev GROUP BY k, w$$, emit => 'on_close');
SELECT pathway.create_view('v_cut', $$SELECT k, pathway.tumble(ts, '1 s') AS w, count(*) AS n, max(ts) AS last
  FROM ev GROUP BY k, w$$, cutoff => '2 s');
SELECT pathway.create_view('v_join', $$SELECT a.id AS aid, b.id AS bid, a.ts FROM ev a JOIN ev b
  ON b.k = a.k AND b.ts BETWEEN a.ts - interval '20 ms' AND a.ts$$, cutoff => '1 s');
-- every write the engine makes to v_close, in the epoch's transaction
CREATE TABLE audit (op text, k int, w timestamptz, n bigint);
CREATE FUNCTION audit_close() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit VALUES (TG_OP, NEW.k, NEW.w, NEW.n);
  ELSE
    INSERT INTO audit VALUES (TG_OP, OLD.k, OLD.w, OLD.n);
  END IF;
  RETURN NULL;
END $f$;
CREATE TRIGGER audit_close AFTER INSERT OR UPDATE OR DELETE ON v_close
  FOR EACH ROW EXECUTE FUNCTION audit_close();
SQL

# One client, so events commit in time order: no row is ever late, and
# every window's count in the source is what the view must hold once closed.
# 100 transactions a second of 3 events 10 ms apart in event time: a window
# of each key closes every second.
cat >"$CRASH_WORK/tick.sql" <<'SQL'
INSERT INTO ev (k, ts) SELECT g, timestamptz '2024-01-01 00:00:00+00' + nextval('tick') * interval '10 ms' FROM generate_series(1, 3) g;
SQL
burst() {
  local out=$1
  shift
  "$TAP_PGBIN/pgbench" -n -c 1 "$@" -f "$CRASH_WORK/tick.sql" "$CRASH_DB" >"$out" 2>&1 &
  BURST_PID=$!
}

killed=()
kill_worker() {
  local pid rc=0
  wait_until 20 has_engine || true
  pid=$(engine_pid)
  if [[ $pid =~ ^[0-9]+$ ]]; then
    kill -9 "$pid" || rc=1
    killed+=("$pid")
  else
    rc=1
    tap_diag "no engine worker found"
  fi
  tap_ok "$rc" "kill -9 of the engine worker ($1)"
}

burst "$CRASH_WORK/b1.out" -T 20 -R 100
sleep 4
kill_worker "while windows close"
wait_pid "$BURST_PID" 40 || true
BURST_PID=
up=0
wait_until 60 server_up || up=1
tap_ok "$up" "the server is back after the crash restart"

burst "$CRASH_WORK/b2.out" -T 20 -R 100
wait_until 30 has_engine || true
sleep 2
kill_worker "again, while it rebuilds its views"
wait_pid "$BURST_PID" 40 || true
BURST_PID=
wait_until 60 server_up || true

burst "$CRASH_WORK/b3.out" -t 300 -R 100
b3=0
wait_pid "$BURST_PID" 60 || b3=$?
BURST_PID=
tap_is "$b3 $(burst_processed "$CRASH_WORK/b3.out")" "0 300" "a burst after the crashes commits all its transactions"

synced=0
crash_sync 60 || synced=1
tap_ok "$synced" "pathway.sync() succeeds once the worker is back"

tap_is "$(sql -d "$CRASH_DB" -c "SELECT string_agg(name || ': ' || status, ', ' ORDER BY name) FROM pathway.views")" \
  "v_close: running, v_cut: running, v_join: running" "the views are running"

T="(SELECT view_time::timestamptz FROM pathway.views WHERE name = 'v_close')"
closed=$(sql -d "$CRASH_DB" -c "SELECT count(*) FROM v_close")
tap_ok $((closed >= 30 ? 0 : 1)) "windows closed during the test ($closed rows)"

lost=$(sql -d "$CRASH_DB" -c "
  WITH src AS (SELECT k, pathway.tumble(ts, '1 s') AS w, count(*) AS n FROM ev GROUP BY 1, 2)
  SELECT count(*) FROM (SELECT * FROM src WHERE w + interval '1 s' <= $T) s
    FULL JOIN v_close v USING (k, w) WHERE s.n IS DISTINCT FROM v.n")
tap_is "$lost" 0 "v_close: every window closed by the view's time, with the source's count, and no other"

twice=$(sql -d "$CRASH_DB" -c "SELECT count(*) FILTER (WHERE op <> 'INSERT') || ' ' || (count(*) - count(DISTINCT (k, w))) || ' ' || (count(*) = (SELECT count(*) FROM v_close)) FROM audit")
tap_is "$twice" "0 0 true" "v_close: each window written once, by an insert, never updated or deleted (even across the crashes)"

tap_is "$(sql -d "$CRASH_DB" -c "SELECT count(*) FROM pathway.check_view('v_cut')")" 0 \
  "v_cut: check_view (windows not final) is empty"
final=$(sql -d "$CRASH_DB" -c "
  WITH src AS (SELECT k, pathway.tumble(ts, '1 s') AS w, count(*) AS n, max(ts) AS last FROM ev GROUP BY 1, 2)
  SELECT count(*) FROM src FULL JOIN v_cut v USING (k, w)
   WHERE src.n IS DISTINCT FROM v.n OR src.last IS DISTINCT FROM v.last")
tap_is "$final" 0 "v_cut: every window, final ones included, as the source holds them (no row was late)"

tap_is "$(sql -d "$CRASH_DB" -c "SELECT count(*) FROM pathway.check_view('v_join')")" 0 \
  "v_join: check_view (rows not final) is empty"
pairs=$(sql -d "$CRASH_DB" -c "
  WITH src AS (SELECT a.id AS aid, b.id AS bid, a.ts, count(*) AS n FROM ev a JOIN ev b
                 ON b.k = a.k AND b.ts BETWEEN a.ts - interval '20 ms' AND a.ts GROUP BY 1, 2, 3),
       v AS (SELECT aid, bid, ts, count(*) AS n FROM v_join GROUP BY 1, 2, 3)
  SELECT count(*) FILTER (WHERE src.n IS DISTINCT FROM v.n) || ' ' || count(*) FROM src FULL JOIN v USING (aid, bid, ts)")
tap_ok "$([[ $pairs =~ ^0\ ([0-9]+)$ && ${BASH_REMATCH[1]} -gt 1000 ]]; echo $?)" \
  "v_join: every pair of the source, final ones included, each once (mismatches, pairs: $pairs)"

crashes=$(grep -c 'pathway engine worker.*terminated by signal 9' "$OWN_DIR/log" || true)
tap_is "$crashes" 2 "the server log shows both kills"
tap_done
