#!/usr/bin/env bash
# Engine memory per source row, next to the size of a source row itself.
#
#   bash bench/memory.sh [rows]
#
# For each view kind, on a server restarted twice (so the worker starts
# from nothing, with no WAL left to decode, and no other view holds memory): create the view, sync(), then
# read pathway.views.state_bytes (what the engine counts as held for the
# view) and the growth of the engine worker's RssAnon (its private memory as
# the kernel sees it: state, allocator slack, caches, and whatever adoption
# left behind; shared buffers are not in it). Both are divided by the number
# of source rows (for the join: rows of both tables) and compared with the
# average pg_column_size() of a source row. The growth of the worker's memory
# contexts (pg_log_backend_memory_contexts) is shown too: it includes what
# state_bytes does not count (the writer's copy of the view's rows) and
# excludes malloc's retention. Goal: no more than 2x.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

if quick; then rows=${1:-100000}; else rows=${1:-1000000}; fi
bench_start "${PATHWAY_BENCH_PORT:-55494}"

groups=$(( rows / 100 ))
note "loading $rows rows"
q "CREATE TABLE src (id int PRIMARY KEY, k int, v int, amount numeric(10,2), note text);
   INSERT INTO src SELECT g, g % $groups, g % 100, (g % 100000) / 100.0, md5(g::text)
     FROM generate_series(1, $rows) g;
   CREATE TABLE dim (id int PRIMARY KEY, name text, region int);
   INSERT INTO dim SELECT g, 'customer ' || g, g % 50 FROM generate_series(0, $groups - 1) g;
   ALTER TABLE src REPLICA IDENTITY FULL;
   ALTER TABLE dim REPLICA IDENTITY FULL;" >/dev/null
q "VACUUM ANALYZE" >/dev/null

declare -A q_of
kinds="groupby groupby_numeric groupby_minmax filter join"
q_of[groupby]='SELECT k, count(*) AS n, sum(v) AS total FROM src GROUP BY k'
q_of[groupby_numeric]='SELECT k, count(*) AS n, sum(amount) AS amount FROM src GROUP BY k'
q_of[groupby_minmax]='SELECT k, min(v) AS lo, max(amount) AS hi FROM src GROUP BY k'
q_of[filter]='SELECT id, v, amount, note FROM src WHERE v < 50'
q_of[join]='SELECT s.id, s.amount, d.name FROM src s JOIN dim d ON d.id = s.k'

src_size=$(q "SELECT avg(pg_column_size(s.*)) FROM src s")
both_size=$(q "SELECT (SELECT sum(pg_column_size(s.*)) FROM src s) + (SELECT sum(pg_column_size(d.*)) FROM dim d)")
dim_rows=$groups

wait_worker() {
  local i pid
  for i in $(seq 100); do
    pid=$(worker_pid)
    [[ -n $pid ]] && { echo "$pid"; return; }
    sleep 0.1
  done
  echo "no engine worker" >&2; return 1
}

# Sum of the worker's memory contexts (palloc'd memory, allocator slack
# inside the contexts included, malloc's own retention excluded), from
# pg_log_backend_memory_contexts() in the server log.
ctx_total() {
  local pid=$1 before i line
  before=$(grep -ac "Grand total" "$bench_dir/log" || true)
  q "SELECT pg_log_backend_memory_contexts($pid)" >/dev/null
  for i in $(seq 50); do
    line=$(grep -a "Grand total" "$bench_dir/log" | sed -n "$((before + 1))p")
    [[ -n $line ]] && { sed 's/.*Grand total: \([0-9]*\) bytes.*/\1/' <<<"$line"; return; }
    sleep 0.1
  done
  echo 0
}

mb() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }

echo
echo "| view | state_rows | state_bytes (MB) | contexts growth (MB) | RssAnon growth (MB) | source rows | row size (B) | per source row (B): state / contexts / RssAnon | vs row size: state / contexts / RssAnon | goal (<= 2x) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for v in $kinds; do
  note "$v"
  # twice: the first start decodes what the slot still holds (the load, the
  # last view's drop) and malloc keeps that memory, which a view then reuses
  # (a baseline read then made the growth negative); the second starts with
  # nothing to decode
  bash test/cluster.sh restart "$bench_dir" >/dev/null
  wait_worker >/dev/null
  q "SELECT pathway.sync(timeout => '600s')" >/dev/null
  bash test/cluster.sh restart "$bench_dir" >/dev/null
  pid=$(wait_worker)
  q "SELECT pathway.sync(timeout => '60s')" >/dev/null
  sleep 1
  before=$(rss_anon_kb "$pid"); cbefore=$(ctx_total "$pid")
  q "SELECT pathway.create_view('v_$v', \$\$${q_of[$v]}\$\$)" >/dev/null
  q "SELECT pathway.sync('v_$v', '1200s')" >/dev/null
  sleep 1
  after=$(rss_anon_kb "$pid"); cafter=$(ctx_total "$pid")
  view_state=$(q "SELECT state_rows, state_bytes FROM pathway.views WHERE name = 'v_$v'" | tr '|' ' ')
  # the baseline: the worker once the view is dropped (its state freed and
  # given back); the start's own garbage is given back with the build's, so
  # RssAnon before the build is no baseline (it made the growth negative)
  q "SELECT pathway.drop_view('v_$v')" >/dev/null
  q "SELECT pathway.sync(timeout => '60s')" >/dev/null
  sleep 1
  dropped=$(rss_anon_kb "$pid")
  (( dropped < before )) && before=$dropped
  read -r srows sbytes <<<"$view_state"
  if [[ $v == join ]]; then n=$(( rows + dim_rows )); size=$(echo "$both_size / $n" | bc -l)
  else n=$rows; size=$src_size; fi
  per_state=$(echo "$sbytes / $n" | bc -l)
  per_rss=$(echo "($after - $before) * 1024 / $n" | bc -l)
  per_ctx=$(echo "($cafter - $cbefore) / $n" | bc -l)
  goal=$(awk -v a="$per_state" -v b="$per_ctx" -v c="$per_rss" -v s="$size" 'BEGIN {
    m = a; if (b > m) m = b; if (c > m) m = c; print (m <= 2 * s) ? "met" : (a <= 2 * s ? "state_bytes only" : "not met")}')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %s |\n' "$v" "$srows" "$(mb "$sbytes")" \
    "$(mb "$(( cafter - cbefore ))")" "$(mb "$(( (after - before) * 1024 ))")" "$n" "$(fmt "$size" 1)" \
    "$(fmt "$per_state" 0)" "$(fmt "$per_ctx" 0)" "$(fmt "$per_rss" 0)" \
    "$(ratio "$per_state" "$size")" "$(ratio "$per_ctx" "$size")" "$(ratio "$per_rss" "$size")" "$goal"
done
echo
echo "Source: src (id int PRIMARY KEY, k int, v int, amount numeric(10,2), note text = md5), $rows rows, $groups groups of 100;"
echo "dim (id int PRIMARY KEY, name text, region int), $dim_rows rows. Queries:"
for v in $kinds; do echo "- $v: \`${q_of[$v]}\`"; done
