#!/usr/bin/env bash
# Commit-to-visible latency of a live view, at idle and under an 8-client
# pgbench INSERT load (alternating rounds, samples pooled over the rounds).
#
#   bash bench/freshness.sh [samples per round] [rounds]
#
# (a) sync:  one pgbench client runs "INSERT one row; SELECT pathway.sync(view)"
#            back to back; latency of that round trip (pgbench's per-transaction log).
# (b) poll:  a writer session inserts rows (id, clock_timestamp()) and commits,
#            one every ~10 ms; a reader session spins in a plpgsql function that
#            re-reads the view until the row is there and records
#            clock_timestamp() - the row's timestamp. No sync() involved: this is
#            when an ordinary reader of the view sees the row.
# The load: 8 pgbench clients inserting single rows into another table that
# has a GROUP BY view, so the engine has to keep up with it as well.
# Goal (idle): p50 < 5 ms, p99 < 50 ms.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

if quick; then n=${1:-150}; rounds=${2:-1}; else n=${1:-1000}; rounds=${2:-3}; fi
bench_start "${PATHWAY_BENCH_PORT:-55491}"

note "setup"
q "
CREATE TABLE fresh_a (id bigserial, ts timestamptz, pad int);
CREATE TABLE fresh_b (id int, ts timestamptz);
CREATE TABLE orders (id bigserial, customer_id int, amount int);
SELECT pathway.create_view('fresh_av', 'SELECT id, ts FROM fresh_a WHERE pad IS NULL');
SELECT pathway.create_view('fresh_bv', 'SELECT id, ts FROM fresh_b');
SELECT pathway.create_view('orders_by_customer', 'SELECT customer_id % 100 AS k, count(*), sum(amount) FROM orders GROUP BY 1');
" >/dev/null
q "CREATE INDEX ON fresh_bv (id)" >/dev/null
q "SELECT pathway.sync(timeout => '300s')" >/dev/null

psql -XqAt -v ON_ERROR_STOP=1 <<'SQL'
-- writer: n rows, one commit each, ~gap ms apart (jittered)
CREATE PROCEDURE bench_write(first int, n int, gap_ms float8) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN first .. first + n - 1 LOOP
    INSERT INTO fresh_b VALUES (i, clock_timestamp());
    COMMIT;
    PERFORM pg_sleep(gap_ms / 1000.0 * (0.5 + random()));
  END LOOP;
END $$;

-- reader: spins until each row shows up in the view; returns ms from the
-- row's timestamp to the moment the reader saw it. Gives up on a row after
-- row_timeout (then returns what it has).
CREATE FUNCTION bench_poll(first int, n int, row_timeout interval)
RETURNS SETOF float8 LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  deadline timestamptz;
BEGIN
  FOR i IN first .. first + n - 1 LOOP
    deadline := clock_timestamp() + row_timeout;
    LOOP
      SELECT v.ts INTO t0 FROM fresh_bv v WHERE v.id = i;
      EXIT WHEN FOUND;
      IF clock_timestamp() > deadline THEN
        RAISE WARNING 'bench_poll: row % not visible after %', i, row_timeout;
        RETURN;
      END IF;
    END LOOP;
    RETURN NEXT extract(epoch FROM clock_timestamp() - t0) * 1000;
  END LOOP;
END $$;
SQL

cat >"$bench_tmp/sync.sql" <<'SQL'
INSERT INTO fresh_a (ts) VALUES (clock_timestamp());
SELECT pathway.sync('fresh_av');
SQL
cat >"$bench_tmp/load.sql" <<'SQL'
\set c random(1, 10000)
\set a random(1, 1000)
INSERT INTO orders (customer_id, amount) VALUES (:c, :a);
SQL

load_pid=
load_t0=0 load_rows0=0 load_tps=()
load_start() {
  load_rows0=$(q "SELECT count(*) FROM orders"); load_t0=$(date +%s%N)
  $pgbench -n -f "$bench_tmp/load.sql" -c 8 -j 2 -T 900 >"$bench_tmp/load.out" 2>&1 &
  load_pid=$!
  bench_pids+=("$load_pid")
  sleep 2   # let it reach steady state
}
load_stop() {
  kill "$load_pid" 2>/dev/null || true
  wait "$load_pid" 2>/dev/null || true
  load_pid=
  load_tps+=("$(awk -v r="$(q "SELECT count(*) FROM orders")" -v r0="$load_rows0" -v t="$(date +%s%N)" -v t0="$load_t0" \
    'BEGIN {printf "%.0f", (r - r0) / ((t - t0) / 1e9)}')")
  q "SELECT pathway.sync(timeout => '300s')" >/dev/null
}

# (a): appends latencies (ms) to $bench_tmp/a.$1
measure_sync() {
  rm -f "$bench_tmp"/alog*
  $pgbench -n -f "$bench_tmp/sync.sql" -c 1 -t "$n" -l --log-prefix="$bench_tmp/alog" >/dev/null 2>&1
  awk '{printf "%.3f\n", $3 / 1000}' "$bench_tmp"/alog* >>"$bench_tmp/a.$1"
}

next_id=1
# (b): appends latencies (ms) to $bench_tmp/b.$1
measure_poll() {
  local first=$next_id got
  next_id=$((next_id + n))
  psql -XqAt -v ON_ERROR_STOP=1 -c "SELECT round(ms::numeric, 3) FROM bench_poll($first, $n, '20s') AS ms" \
    >"$bench_tmp/poll.out" 2>"$bench_tmp/poll.err" &
  local reader=$!
  bench_pids+=("$reader")
  sleep 0.3
  q "CALL bench_write($first, $n, 10)" >/dev/null
  wait "$reader" || true
  got=$(wc -l <"$bench_tmp/poll.out")
  (( got == n )) || note "poll: only $got of $n rows seen: $(head -c 300 "$bench_tmp/poll.err")"
  cat "$bench_tmp/poll.out" >>"$bench_tmp/b.$1"
}

for r in $(seq "$rounds"); do
  note "round $r/$rounds: idle"
  measure_sync idle
  measure_poll idle
  note "round $r/$rounds: under load"
  load_start
  measure_sync load
  measure_poll load
  load_stop
done

echo
echo "| measure | condition | samples | p50 ms | p99 ms | max ms | goal (idle: p50 < 5, p99 < 50) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for m in a b; do
  for c in idle load; do
    f=$bench_tmp/$m.$c
    [[ -s $f ]] || continue
    p50=$(pct 50 <"$f"); p99=$(pct 99 <"$f"); max=$(pct 100 <"$f")
    goal=
    if [[ $c == idle ]]; then
      if awk -v a="$p50" -v b="$p99" 'BEGIN {exit !(a < 5 && b < 50)}'; then goal=met; else goal="not met"; fi
    fi
    label=$([[ $m == a ]] && echo "INSERT + sync() round trip" || echo "commit to seen by a polling reader")
    cond=$([[ $c == idle ]] && echo idle || echo "8-client INSERT load")
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$cond" "$(wc -l <"$f")" \
      "$(fmt "$p50" 2)" "$(fmt "$p99" 2)" "$(fmt "$max" 2)" "$goal"
  done
done
echo
echo "Load: 8 pgbench clients, single-row INSERTs into a table with a GROUP BY view, about $(lines "${load_tps[*]}" | median) TPS (median over the rounds, measured rows / wall time)."
