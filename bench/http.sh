#!/usr/bin/env bash
# HTTP in and out.  1. Webhook ingest: POST requests to a webhook source
# (the listener, pathway.http_listen, answers 200 once the rows are
# committed), with 1 and 8 concurrent clients (bench/http/post.py, a new
# connection per request), one row and 100 rows a request, against plain
# PostgreSQL: one INSERT per request over a kept connection (pgbench, as
# many clients), the same rows.  Requests/s and rows/s.
#
# 2. HTTP calls from a live view: an enrichment view (one pathway.http_request
# POST per row, each row's body distinct) over N rows, against an
# endpoint that takes DELAY ms a call (bench/http/endpoint.py, asyncio, on
# 127.0.0.1), measured in the same run (alternating rounds, medians):
#   view        create_view + pathway.sync(): the engine makes the view's
#               calls at once, at most pathway.http_max_concurrency
#               (default 64) in flight; checked to hold N right answers
#               and to have made exactly N calls
#   sequential  the same calls one after the other (a plain query calling
#               http_request per row, as a trigger or an ETL loop would),
#               on a sample of S rows, scaled to N
#   floor       N x DELAY: what sequential calls cost at the least
#
#   bash bench/http.sh [rows] [delay_ms] [rounds] [requests]
#
# Defaults: 10000 rows, 20 ms, 3 rounds (sample 300 rows), 2000 webhook
# requests a run; BENCH_QUICK=1: 2000 rows, 1 round (sample 100), 400
# requests.  Goal: the view at least 50x faster
# than the sequential calls.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if quick; then n=${1:-2000}; delay=${2:-20}; rounds=${3:-1}; sample=100; reqs=${4:-400}; else n=${1:-10000}; delay=${2:-20}; rounds=${3:-3}; sample=300; reqs=${4:-2000}; fi
die() { note "FAILED: $*"; exit 1; }

listen_port=${PATHWAY_BENCH_LISTEN_PORT:-55508}
bench_start "${PATHWAY_BENCH_PORT:-55503}" "pathway.http_listen = '127.0.0.1:$listen_port'"
ep_pid=
http_cleanup() {
  local rc=$?
  set +e
  [[ -z $ep_pid ]] || kill "$ep_pid" 2>/dev/null
  (exit "$rc")
  bench_cleanup
}
trap http_cleanup EXIT
ep_port=
for p in ${PATHWAY_BENCH_HTTP_PORTS:-55504 55505 55506 55507}; do
  port_free "$p" || continue
  python3 bench/http/endpoint.py "$p" "$delay" >"$bench_tmp/endpoint.out" 2>&1 &
  ep_pid=$!
  for _ in $(seq 50); do grep -q ready "$bench_tmp/endpoint.out" 2>/dev/null && break; sleep 0.1; done
  if grep -q ready "$bench_tmp/endpoint.out"; then ep_port=$p; break; fi
  kill "$ep_pid" 2>/dev/null || true; ep_pid=
done
[[ -n $ep_port ]] || die "the endpoint did not start"
url="http://127.0.0.1:$ep_port/score"
count() { curl -sf "http://127.0.0.1:$ep_port/count"; }
now() { date +%s.%N; }
elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", (b - a) * 1000}'; }

# ---------------------------------------------------------------- 1. webhook ingest
q "SELECT pathway.create_webhook_source('hooks', 'id int, v text')" >/dev/null
q "CREATE TABLE plain_hooks (id int, v text)" >/dev/null
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$listen_port/metrics" && break; sleep 0.1; done
hook_url="http://127.0.0.1:$listen_port/sources/hooks"
next_id=1
wh_rows=()
for per in 1 100; do
  for c in 1 8; do
    wr=() pr=()
    for r in $(seq "$rounds"); do
      note "webhook: $reqs requests of $per rows, $c clients, round $r"
      out=$(python3 bench/http/post.py "$hook_url" "$reqs" "$c" "$per" "$next_id")
      next_id=$((next_id + reqs * per))
      [[ ${out#* } == "$reqs" ]] || die "webhook: ${out#* } of $reqs requests answered 200"
      wr+=("${out% *}")
      # the same rows by INSERT, one statement a request, over kept connections
      printf 'INSERT INTO plain_hooks SELECT i, %s FROM generate_series(1, %d) i;\n' "'x' || i" "$per" >"$bench_tmp/insert.sql"
      t0=$(now)
      "$PGBIN/pgbench" -n -c "$c" -j "$c" -t $((reqs / c)) -f "$bench_tmp/insert.sql" -h 127.0.0.1 -p "$PGPORT" -U "$PGUSER" "$PGDATABASE" >"$bench_tmp/pgbench.out" 2>&1 \
        || die "pgbench failed: $(tail -3 "$bench_tmp/pgbench.out")"
      t1=$(now)
      pr+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')")
    done
    wm=$(printf '%s\n' "${wr[@]}" | median)
    pm=$(printf '%s\n' "${pr[@]}" | median)
    wh_rows+=("| $per | $c | $(awk -v n="$reqs" -v t="$wm" 'BEGIN {printf "%.0f", n / t}') | $(awk -v n="$reqs" -v p="$per" -v t="$wm" 'BEGIN {printf "%.0f", n * p / t}') | $(awk -v n="$reqs" -v t="$pm" 'BEGIN {printf "%.0f", n / t}') | $(awk -v n="$reqs" -v p="$per" -v t="$pm" 'BEGIN {printf "%.0f", n * p / t}') | $(ratio "$pm" "$wm") |")
  done
done
landed=$(q "SELECT count(*) FROM hooks")
[[ $landed == $((next_id - 1)) ]] || die "webhook: $landed rows landed, $((next_id - 1)) sent"
echo "## Webhook ingest: $reqs POST requests a run (a new connection each, 200 after commit), median of $rounds"
echo
echo "| rows a request | clients | webhook requests/s | webhook rows/s | INSERT requests/s | INSERT rows/s | webhook vs INSERT |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${wh_rows[@]}"
echo

# ---------------------------------------------------------------- 2. calls from a live view
q "CREATE TABLE orders (id int PRIMARY KEY, x int)" >/dev/null
q "INSERT INTO orders SELECT i, i FROM generate_series(1, $n) i" >/dev/null
q "ANALYZE orders" >/dev/null
conc=$(q "SHOW pathway.http_max_concurrency")

view_ms=() seq_ms=()
for r in $(seq "$rounds"); do
  # each round's bodies are new (the memo would answer known ones)
  note "round $r: view over $n rows"
  before=$(count)
  t0=$(now)
  q "SELECT pathway.create_view('enriched_$r', \$\$SELECT id, x, pathway.http_request('POST', '$url', jsonb_build_object('x', x, 'round', $r)) -> 'score' AS score FROM orders\$\$)" >/dev/null
  q "SELECT pathway.sync('enriched_$r', '600s')" >/dev/null
  t1=$(now)
  made=$(( $(count) - before ))
  right=$(q "SELECT count(*) FROM enriched_$r WHERE score = to_jsonb(2 * x)")
  [[ $made == "$n" && $right == "$n" ]] || die "round $r: $made calls, $right right rows (want $n and $n)"
  view_ms+=("$(elapsed_ms "$t0" "$t1")")
  q "SELECT pathway.drop_view('enriched_$r')" >/dev/null

  note "round $r: $sample calls in sequence"
  t0=$(now)
  got=$(q "SELECT count(*) FROM (SELECT i, pathway.http_request('POST', '$url', jsonb_build_object('x', i, 'seq', $r)) -> 'score' AS s FROM generate_series(1, $sample) i) c WHERE s = to_jsonb(2 * i)")
  t1=$(now)
  [[ $got == "$sample" ]] || die "round $r: $got of $sample sequential answers right"
  seq_ms+=("$(awk -v a="$(elapsed_ms "$t0" "$t1")" -v n="$n" -v s="$sample" 'BEGIN {printf "%.1f", a * n / s}')")
done

v=$(printf '%s\n' "${view_ms[@]}" | median)
s=$(printf '%s\n' "${seq_ms[@]}" | median)
floor=$(( n * delay ))
echo "## HTTP calls from a live view: $n rows, one POST each, endpoint $delay ms a call, http_max_concurrency $conc, median of $rounds"
echo
echo "| how | time to sync() (ms) | calls/s | speed-up vs sequential |"
echo "| --- | ---: | ---: | ---: |"
echo "| view (create_view + sync) | $(fmt "$v") | $(awk -v n="$n" -v t="$v" 'BEGIN {printf "%.0f", n / (t / 1000)}') | $(ratio "$s" "$v") |"
echo "| sequential calls ($sample measured, scaled to $n) | $(fmt "$s") | $(awk -v n="$n" -v t="$s" 'BEGIN {printf "%.0f", n / (t / 1000)}') | 1.00x |"
echo "| floor: $n x $delay ms | $floor | $(( 1000 / delay )) | $(ratio "$s" "$floor") |"
echo
echo "goal: the view at least 50x faster than sequential calls: $(awk -v s="$s" -v v="$v" 'BEGIN {print (s / v >= 50) ? "met" : "not met"}') ($(ratio "$s" "$v"))"
