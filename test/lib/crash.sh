# Shared parts of the crash tests (crash_worker.sh, crash_immediate.sh):
# a schema with an invariant, a bounded pgbench write burst, and the checks
# after the server came back.  Sourced after tap.sh, with PGHOST/PGPORT
# pointing at the test's own cluster and CRASH_DB, CRASH_WORK set.
#
# Every write transaction inserts exactly one event and adds one to exactly
# one counter, so in the tables  count(events) = sum(counters.n)  always
# holds; a view that lost or doubled a transaction breaks it.

declare -A CRASH_QUERY
CRASH_VIEWS=(v_by_grp v_counters v_events v_chain v_top_events v_nearest)
CRASH_QUERY[v_by_grp]="SELECT a.grp, count(*) AS n, sum(e.amount) AS total, max(e.amount) AS top
  FROM events e JOIN accounts a ON a.id = e.account_id
 GROUP BY a.grp"
# a live view over a live view: rebuilt after the crash from the other's table
CRASH_QUERY[v_chain]="SELECT count(*) AS groups, sum(n) AS n, sum(total) AS total FROM v_by_grp"
CRASH_QUERY[v_counters]="SELECT sum(n) AS n, count(*) AS counters FROM counters"
# LATERAL ... ORDER BY ... LIMIT per outer row: each account's two largest
# events (as-of style, by an equality), and its two nearest other accounts by
# a vector that follows its group (the distance fast path)
CRASH_QUERY[v_top_events]="SELECT a.id, t.amount
  FROM accounts a LEFT JOIN LATERAL (
    SELECT e.amount FROM events e WHERE e.account_id = a.id ORDER BY e.amount DESC LIMIT 2) t ON true"
CRASH_QUERY[v_nearest]="SELECT a.id, n.id AS other
  FROM accounts a CROSS JOIN LATERAL (
    SELECT b.id FROM accounts b WHERE b.id <> a.id
     ORDER BY pathway.l2_distance(b.vec, a.vec), b.id LIMIT 2) n"
CRASH_QUERY[v_events]="SELECT e.account_id, a.grp, e.amount
  FROM events e JOIN accounts a ON a.id = e.account_id
 WHERE e.amount % 3 <> 0"

crash_setup() {
  sql -d postgres -c "CREATE DATABASE $CRASH_DB"
  sql -d "$CRASH_DB" <<'SQL'
CREATE EXTENSION pathway;
CREATE TABLE accounts (id int, grp int, vec float4[]);
CREATE TABLE events (account_id int, amount int);        -- no key: duplicates
CREATE TABLE counters (id int, n bigint);
INSERT INTO accounts SELECT i, i % 5, ARRAY[i % 5, i % 3]::float4[] FROM generate_series(1, 20) i;
INSERT INTO counters SELECT i, 0 FROM generate_series(1, 10) i;
SQL
  local v
  for v in "${CRASH_VIEWS[@]}"; do
    sql -d "$CRASH_DB" -c "SELECT pathway.create_view('$v', \$q\$${CRASH_QUERY[$v]}\$q\$)" >/dev/null 2>&1 ||
      tap_bail "create_view $v failed"
  done

  cat >"$CRASH_WORK/event.sql" <<'SQL'
\set a random(1, 20)
\set amt random(1, 100)
\set k random(1, 10)
BEGIN;
INSERT INTO events VALUES (:a, :amt);
UPDATE counters SET n = n + 1 WHERE id = :k;
UPDATE events SET amount = amount + 1 WHERE ctid = (SELECT ctid FROM events WHERE account_id = :a LIMIT 1);
END;
SQL
  # moves accounts between groups and adds an event: both sides of the join
  cat >"$CRASH_WORK/move.sql" <<'SQL'
\set a random(1, 20)
\set g random(0, 6)
\set k random(1, 10)
BEGIN;
UPDATE accounts SET grp = :g, vec = ARRAY[:g, id % 3]::float4[] WHERE id = :a;
INSERT INTO events VALUES (:a, :g + 1);
UPDATE counters SET n = n + 1 WHERE id = :k;
END;
SQL
}

# crash_burst OUT PGBENCH-ARGS...: pgbench in the background; sets BURST_PID.
crash_burst() {
  local out=$1
  shift
  "$TAP_PGBIN/pgbench" -n -c 4 -j 2 --max-tries=20 "$@" \
    -f "$CRASH_WORK/event.sql@4" -f "$CRASH_WORK/move.sql@1" "$CRASH_DB" \
    >"$out" 2>&1 &
  BURST_PID=$!
}

burst_processed() {
  sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$1"
}

server_up() {
  sql -d "$CRASH_DB" -c "SELECT 1" >/dev/null 2>&1
}

engine_pid() {
  sql -d postgres -c "SELECT pid FROM pg_stat_activity
                       WHERE backend_type = 'pathway engine worker' AND datname = '$CRASH_DB'
                       ORDER BY backend_start LIMIT 1" 2>/dev/null
}

has_engine() { [[ -n $(engine_pid) ]]; }

# sync every view, retrying while the server and the worker come back
crash_sync() {
  local secs=$1 deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    if sql -d "$CRASH_DB" -c "SELECT pathway.sync(NULL, '10s')" >/dev/null 2>"$CRASH_WORK/sync.err"; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}

# Ten checks: views running, each view against its query, the invariant,
# and a server log free of engine rebuilds and failed views.
crash_checks() {
  local v extra missing
  tap_is "$(sql -d "$CRASH_DB" -c "SELECT string_agg(name || ': ' || status || coalesce(' (' || error || ')', ''), ', ')
                                   FROM pathway.views WHERE status <> 'running'")" "" \
    "every view is running after the crash"
  for v in "${CRASH_VIEWS[@]}"; do
    read -r extra missing < <(check_view "$CRASH_DB" "$v" "${CRASH_QUERY[$v]}")
    if [[ $extra == 0 && $missing == 0 ]]; then
      tap_ok 0 "$v equals its query after the crash (EXCEPT ALL both ways)"
    else
      tap_ok 1 "$v equals its query after the crash (EXCEPT ALL both ways)"
      tap_diag "$v: ${extra:-?} row(s) only in the view, ${missing:-?} row(s) only in the query"
      show_view_diff "$CRASH_DB" "$v" "${CRASH_QUERY[$v]}"
    fi
  done
  local table_sum view_sum events view_events
  table_sum=$(sql -d "$CRASH_DB" -c "SELECT sum(n) FROM counters")
  view_sum=$(sql -d "$CRASH_DB" -c "SELECT n FROM v_counters")
  tap_is "$view_sum" "$table_sum" "the counters' sum in the view equals the table's (nothing lost, nothing twice)"
  events=$(sql -d "$CRASH_DB" -c "SELECT count(*) FROM events")
  view_events=$(sql -d "$CRASH_DB" -c "SELECT sum(n) FROM v_by_grp")
  tap_is "$view_events $view_sum" "$events $events" \
    "events counted by the views equal the committed transactions ($events)"
  tap_is "$(grep -E 'pathway: rebuilding view|pathway: view ".*" failed|PANIC' "$OWN_DIR/log" || true)" "" \
    "no failed view or rebuild after an internal inconsistency in the server log"
}

# On exit: stop a running write burst, the own cluster and the work dir.
crash_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $BURST_PID ]] && kill -0 "$BURST_PID" 2>/dev/null; then
    kill "$BURST_PID" 2>/dev/null || true
    wait "$BURST_PID" 2>/dev/null || true
  fi
  if ((rc != 0)); then own_cluster_log 30; fi
  own_cluster_stop
  rm -rf -- "$CRASH_WORK"
  exit "$rc"
}

crash_install_traps() {
  trap crash_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
