#!/usr/bin/env bash
# Kafka ingest: messages/s from a topic into a stream table, with and without
# a live GROUP BY view over it (JSON parsing included), against the rate at
# which kcat alone consumes the same topic, measured in the same run
# (alternating rounds, medians).
#
#   bash bench/kafka_ingest.sh [messages] [rounds]
#
# Defaults: 200000 messages, 5 rounds; with BENCH_QUICK=1: 20000, 1 round.
# One mock broker (test/kafka/kafka_mock, librdkafka's mock cluster, on
# 127.0.0.1), one topic holding the messages, produced before anything is
# timed: 4 partitions, more when needed to stay under the mock's retention of
# 5 MiB per partition (it drops older messages beyond that). Every round
# reads all of it from the beginning, once per consumer, the order rotating:
#   kcat   kcat -C -o beginning -c N -e, piped to wc -l: start to exit
#   copy   (a reference: plain PostgreSQL) kcat piped to COPY into a temp
#          table (jsonb), then INSERT ... SELECT into a table shaped like
#          the stream table (same columns, same primary key)
#   table  create_kafka_source (json) and COMMIT; the time from that COMMIT
#          until pathway.sync(source) returns with the N rows landed
#   view   the same, with a GROUP BY view over the stream table created in
#          the same transaction, until pathway.sync(view) returns
# Each pathway round uses a fresh source (stream table) and drops it after.
# After each round the table must hold N rows, the view must count N and
# equal its query (pathway.check_view), and no dead letter may exist;
# otherwise the script fails. Also shown: the engine worker's CPU time over
# the wall time and the growth of its private memory (RssAnon, sampled)
# while it ingests, and the stream table's size per message against the
# average JSON message.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
source test/lib/kafka.sh

if quick; then n=${1:-20000}; rounds=${2:-1}; else n=${1:-200000}; rounds=${2:-5}; fi
parts=$(( n > 200000 ? (n + 49999) / 50000 : 4 ))   # <= 50k messages (~4.5 MB) per partition
topic=ingest
columns='user_id int, url text, amount numeric, ts timestamptz'
query='SELECT user_id, count(*) AS n, sum(amount) AS total FROM %s GROUP BY user_id'

KAFKA_TIMEOUT=30          # mock start and commands
KAFKA_MAX_SECONDS=7200    # the mock quits by itself after that in any case
die() { note "FAILED: $*"; exit 1; }

bench_start "${PATHWAY_BENCH_PORT:-55497}"
# the mock goes first, then bench_cleanup (which keeps the exit status);
# what the worker logged about its Kafka sources is shown too
kafka_ingest_cleanup() {
  local rc=$?
  set +e
  kafka_stop
  grep -a 'Kafka' "$bench_dir/log" 2>/dev/null | grep -avE 'source "[^"]*" (starts|stops)$' | head -n 10 |
    while read -r l; do note "server log: $l"; done
  (exit "$rc")
  bench_cleanup
}
trap kafka_ingest_cleanup EXIT

note "starting the Kafka mock (1 broker), topic $topic with $parts partitions"
kafka_start 1 || die "the Kafka mock did not start"
brokers=$KAFKA_BROKERS
[[ $brokers =~ ^127\.0\.0\.1:[0-9]+$ ]] || die "unexpected bootstrap list '$brokers'"
kafka_cmd topic "$topic" "$parts" || die "could not create topic $topic"

# N messages, as evenly over the partitions as they come (message i goes to
# partition i % parts), produced one partition at a time
note "producing $n JSON messages"
awk -v n="$n" -v parts="$parts" -v dir="$bench_tmp" 'BEGIN {
  srand(1)
  for (i = 0; i < n; i++)
    printf "{\"user_id\": %d, \"url\": \"/p/%d\", \"amount\": %.2f, \"ts\": \"2026-11-25T%02d:%02d:%02dZ\"}\n",
      int(rand() * 1000), int(rand() * 100), rand() * 100, int(i / 3600) % 24, int(i / 60) % 60, i % 60 \
      > (dir "/msgs." (i % parts))
}'
for p in $(seq 0 $((parts - 1))); do
  timeout -k 2 300 kcat -P -b "$brokers" -t "$topic" -p "$p" -X message.timeout.ms=60000 <"$bench_tmp/msgs.$p" ||
    die "kcat could not produce partition $p"
done
msg_bytes=$(cat "$bench_tmp"/msgs.* | wc -c)
avg_len=$(awk -v b="$msg_bytes" -v n="$n" 'BEGIN {printf "%.1f", (b - n) / n}')   # without the newlines
held=$(timeout -k 2 60 kcat -C -b "$brokers" -t "$topic" -o beginning -e -q -f '%p\n' | wc -l)
(( held == n )) || die "the topic holds $held messages, not $n (the mock keeps 5 MiB per partition)"
note "$n messages, $avg_len bytes on average, in the broker"

declare -A total epochs busy rss
sizes_heap=() sizes_index=() sizes_total=()
wpid=$(worker_pid)
[[ -n $wpid ]] || die "no engine worker"
hz=$(getconf CLK_TCK)
# CPU time of the engine worker, all its threads (librdkafka's included), in ticks
worker_cpu() { awk '{print $14 + $15}' "/proc/$wpid/stat"; }
# the worker's RssAnon (kB) every 20 ms, each new maximum a line of $bench_tmp/rss
rss_sampler() {
  local v max=0
  while v=$(rss_anon_kb "$wpid" 2>/dev/null) && [[ -n $v ]]; do
    if (( v > max )); then max=$v; echo "$max" >>"$bench_tmp/rss"; fi
    sleep 0.02
  done
}

run_kcat() {
  local t0 t1 got
  t0=$(date +%s%N)
  got=$(timeout -k 2 300 kcat -C -b "$brokers" -t "$topic" -o beginning -c "$n" -e -q | wc -l)
  t1=$(date +%s%N)
  (( got == n )) || die "kcat consumed $got messages, not $n"
  total[kcat]+="$(( (t1 - t0) / 1000000 )) "
}

# plain PostgreSQL: kcat | COPY into a temp table, INSERT ... SELECT the fields
run_copy() {
  local t0 t1 c=c_$1 rows
  q "CREATE TABLE $c ($columns, kafka_partition int NOT NULL, kafka_offset bigint NOT NULL,
                      kafka_timestamp timestamptz, kafka_key bytea, PRIMARY KEY (kafka_partition, kafka_offset));
     CHECKPOINT" >/dev/null
  t0=$(date +%s%N)
  # (the messages hold no tab nor backslash: COPY's text format takes them as they are)
  timeout -k 2 300 kcat -C -b "$brokers" -t "$topic" -o beginning -c "$n" -e -q -f '%p\t%o\t%T\t%s\n' |
    psql -XqAt -v ON_ERROR_STOP=1 -c "CREATE TEMP TABLE raw (p int, o bigint, t bigint, doc jsonb)" \
      -c "COPY raw FROM STDIN" \
      -c "INSERT INTO $c SELECT (doc->>'user_id')::int, doc->>'url', (doc->>'amount')::numeric,
                                (doc->>'ts')::timestamptz, p, o, to_timestamp(t / 1000.0), NULL FROM raw" ||
    die "copy round $1: failed"
  t1=$(date +%s%N)
  rows=$(q "SELECT count(*) FROM $c")
  (( rows == n )) || die "copy round $1: $rows rows, not $n"
  total[copy]+="$(( (t1 - t0) / 1000000 )) "
  q "DROP TABLE $c" >/dev/null
}

# run_pathway table|view ROUND
run_pathway() {
  local mode=$1 s=s_$1_$2 v=v_$1_$2 e0 e1 t create_view="SELECT 1" target rss0 sampler c0 c1 w0 w1
  target=$s
  if [[ $mode == view ]]; then
    create_view="SELECT pathway.create_view('$v', format('$query', '$s'))"
    target=$v
  fi
  q CHECKPOINT >/dev/null
  e0=$(q "SELECT epoch FROM pathway.epoch")
  rss0=$(rss_anon_kb "$wpid")
  echo "$rss0" >"$bench_tmp/rss"
  rss_sampler &
  sampler=$!
  bench_pids+=("$sampler")
  c0=$(worker_cpu) w0=$(date +%s%N)
  # BEGIN, create source, create view, COMMIT, sync
  t=$(ms "BEGIN" \
         "SELECT pathway.create_kafka_source('$s', '$brokers', '$topic', 'json', '$columns')" \
         "$create_view" \
         "COMMIT" \
         "SELECT pathway.sync('$target', '600s')") || die "$mode round $2: ingest failed"
  c1=$(worker_cpu) w1=$(date +%s%N)
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  local p keep=()
  for p in "${bench_pids[@]}"; do [[ $p == "$sampler" ]] || keep+=("$p"); done
  bench_pids=("${keep[@]}")   # ended: never signal its pid again
  rss[$mode]+="$(( ($(sort -n "$bench_tmp/rss" | tail -n 1) - rss0) / 1024 )) "
  e1=$(q "SELECT epoch FROM pathway.epoch")
  busy[$mode]+="$(awk -v c=$((c1 - c0)) -v hz="$hz" -v w=$((w1 - w0)) 'BEGIN {printf "%.2f", c / hz / (w / 1e9)}') "
  read -r -a t <<<"$t"
  (( ${#t[@]} == 5 )) || die "$mode round $2: expected 5 timings, got '${t[*]}'"
  total[$mode]+="$(awk -v a="${t[3]}" -v b="${t[4]}" 'BEGIN {printf "%.0f", a + b}') "
  epochs[$mode]+="$(( e1 - e0 )) "

  # the result, or fail loudly
  local rows dead
  rows=$(q "SELECT count(*) FROM $s")
  (( rows == n )) || die "$mode round $2: the stream table holds $rows rows after sync(), not $n"
  dead=$(q "SELECT count(*) FROM pathway.dead_letters WHERE source = '$s'")
  (( dead == 0 )) || die "$mode round $2: $dead dead letters: $(q "SELECT error FROM pathway.dead_letters WHERE source = '$s' LIMIT 1")"
  if [[ $mode == view ]]; then
    rows=$(q "SELECT coalesce(sum(n), 0) FROM $v")
    (( rows == n )) || die "view round $2: the view counts $rows messages after sync(), not $n"
    rows=$(q "SELECT count(*) FROM pathway.check_view('$v')")
    (( rows == 0 )) || die "view round $2: the view differs from its query by $rows rows"
  fi
  local h i a
  read -r h i a < <(q "SELECT pg_relation_size('$s'), pg_indexes_size('$s'), pg_total_relation_size('$s')" | tr '|' ' ')
  sizes_heap+=("$h") sizes_index+=("$i") sizes_total+=("$a")

  [[ $mode == view ]] && q "SELECT pathway.drop_view('$v')" >/dev/null
  q "SELECT pathway.drop_source('$s')" >/dev/null
}

modes=(kcat copy table view)
for r in $(seq "$rounds"); do
  # rotate the order from round to round
  for k in 0 1 2 3; do
    m=${modes[$(( (k + r - 1) % 4 ))]}
    note "round $r/$rounds: $m"
    case $m in
      kcat) run_kcat ;;
      copy) run_copy "$r" ;;
      *) run_pathway "$m" "$r" ;;
    esac
  done
done

rate() { awk -v n="$n" -v ms="$1" 'BEGIN {printf "%.0f", n / (ms / 1000)}'; }
kcat_ms=$(lines "${total[kcat]}" | median)
copy_ms=$(lines "${total[copy]}" | median)

echo
echo "| consumer | time to the last message (ms) | messages/s | ratio to kcat | ratio to the COPY reference | epochs | engine worker CPU / wall | engine worker peak RssAnon growth (MB) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
printf '| kcat alone (-C -o beginning -c %s -e, to wc -l) | %s | %s | 1.00x | | | | |\n' \
  "$n" "$(fmt "$kcat_ms" 0)" "$(rate "$kcat_ms")"
printf '| reference: kcat to COPY (jsonb), then INSERT ... SELECT into a table like the stream table | %s | %s | %s | 1.00x | | | |\n' \
  "$(fmt "$copy_ms" 0)" "$(rate "$copy_ms")" "$(ratio "$(rate "$copy_ms")" "$(rate "$kcat_ms")")"
for m in table view; do
  tm=$(lines "${total[$m]}" | median)
  label=$([[ $m == table ]] && echo "pathway: stream table only" || echo "pathway: stream table + GROUP BY view")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(fmt "$tm" 0)" "$(rate "$tm")" \
    "$(ratio "$(rate "$tm")" "$(rate "$kcat_ms")")" "$(ratio "$(rate "$tm")" "$(rate "$copy_ms")")" \
    "$(lines "${epochs[$m]}" | median)" "$(lines "${busy[$m]}" | median)" "$(lines "${rss[$m]}" | median)"
done
echo
echo "$n JSON messages ($avg_len bytes on average, e.g. \`$(head -n 1 "$bench_tmp/msgs.0")\`) in one topic of $parts partitions on one mock broker (librdkafka's mock cluster, loopback); median of $rounds round(s), the order rotating."
echo "Each round (ms): kcat ${total[kcat]% }; reference ${total[copy]% }; stream table ${total[table]% }; with the view ${total[view]% }."
echo "pathway's time runs from the COMMIT of \`create_kafka_source(..., 'json', '$columns')\` (and, for the view, \`create_view\` of \`$(printf "$query" 's')\` in the same transaction) until \`pathway.sync()\` returns with every message in the stream table (and the view); messages/s = messages / that time. kcat's runs from its start to its exit; the reference's from kcat's start to the end of the INSERT. Engine worker CPU / wall: its CPU time (all threads) over the run's wall time; peak RssAnon growth: its largest private resident memory during the run (sampled every 20 ms) minus that before it."

per() { awk -v b="$1" -v n="$n" 'BEGIN {printf "%.1f", b / n}'; }
heap=$(per "$(printf '%s\n' "${sizes_heap[@]}" | median)")
index=$(per "$(printf '%s\n' "${sizes_index[@]}" | median)")
tot=$(per "$(printf '%s\n' "${sizes_total[@]}" | median)")
echo
echo "| per message | bytes | ratio to the JSON message |"
echo "| --- | --- | --- |"
echo "| JSON message (average length, without the newline) | $avg_len | 1.00x |"
echo "| stream table heap (\`pg_relation_size\`) | $heap | $(ratio "$heap" "$avg_len") |"
echo "| its primary key (kafka_partition, kafka_offset) (\`pg_indexes_size\`) | $index | $(ratio "$index" "$avg_len") |"
echo "| stream table in all (\`pg_total_relation_size\`) | $tot | $(ratio "$tot" "$avg_len") |"
