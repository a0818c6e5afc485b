#!/usr/bin/env bash
# An endless in-order stream into a 1-minute tumbling count per key, with
# cutoff => '5 minutes' and without: the engine's state as the stream grows
# from N/10 to N events (flat with the cutoff), throughput of each (events
# from the INSERT to pathway.sync()), and the worker's memory.
#
#   bash bench/time.sh [events] [chunk]
#
# Events come from a table: 100 keys, one event every 10 ms of event time
# (100 s of event time per 10k events; BENCH_TIME_SPACING_MS changes it,
# 100 ms with BENCH_QUICK so that small runs close windows too), in chunks of `chunk` rows,
# each followed by pathway.sync(). The two views read two identical tables
# and are streamed one after the other, so each phase times one view alone.
# Then the same from Kafka: the events as JSON messages on a one-partition
# topic of the mock broker (test/kafka/kafka_mock; in order), produced chunk
# by chunk with kcat into a stream table (create_kafka_source), each chunk
# followed by pathway.sync(), which waits for what the broker holds.
# BENCH_TIME_KAFKA=0 skips that part.  Every view must count every event
# (the stream is in order: none is late), or the run fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
source test/lib/kafka.sh

if quick; then events=${1:-100000}; spacing=${BENCH_TIME_SPACING_MS:-100}; else events=${1:-10000000}; spacing=${BENCH_TIME_SPACING_MS:-10}; fi
chunk=${2:-$(( events / 100 > 100000 ? 100000 : (events / 100 > 1000 ? events / 100 : 1000) ))}
bench_start "${PATHWAY_BENCH_PORT:-55500}"
with_kafka=$([[ ${BENCH_TIME_KAFKA:-1} != 0 && -x test/kafka/kafka_mock ]] && command -v kcat >/dev/null && echo 1 || echo 0)
KAFKA_TIMEOUT=60
if ((with_kafka)); then
  time_cleanup() {
    local rc=$?
    set +e
    kafka_stop
    (exit "$rc")
    bench_cleanup
  }
  trap time_cleanup EXIT
  kafka_start 1 || { note "the Kafka mock did not start"; exit 1; }
  brokers=$KAFKA_BROKERS
fi

q "CREATE TABLE ev_cut (id bigint, k int, ts timestamptz);
   CREATE TABLE ev_all (id bigint, k int, ts timestamptz);
   ALTER TABLE ev_cut REPLICA IDENTITY FULL;
   ALTER TABLE ev_all REPLICA IDENTITY FULL;" >/dev/null
q "SELECT pathway.create_view('v_cut', \$\$SELECT k, pathway.tumble(ts, '1 min') AS w, count(*) AS n
     FROM ev_cut GROUP BY k, w\$\$, cutoff => '5 minutes')" >/dev/null
q "SELECT pathway.create_view('v_all', \$\$SELECT k, pathway.tumble(ts, '1 min') AS w, count(*) AS n
     FROM ev_all GROUP BY k, w\$\$)" >/dev/null
q "SELECT pathway.sync()" >/dev/null

# stream TABLE FROM TO: events FROM..TO-1 in chunks, each synced; prints seconds
stream() {
  local t=$1 from=$2 to=$3 s0 s1 lo hi
  s0=$(date +%s.%N)
  for ((lo = from; lo < to; lo += chunk)); do
    hi=$(( lo + chunk < to ? lo + chunk : to ))
    q "INSERT INTO $t SELECT g, g % 100, timestamptz '2024-01-01 00:00:00+00' + g * interval '$spacing ms'
         FROM generate_series($lo, $hi - 1) g" >/dev/null
    q "SELECT pathway.sync(NULL, '600s')" >/dev/null
  done
  s1=$(date +%s.%N)
  awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.3f", b - a}'
}

# stream_kafka TOPIC FROM TO: the same events as JSON messages {"k", "ms"}
# (event time: milliseconds since 2024-01-01); prints seconds
stream_kafka() {
  local t=$1 from=$2 to=$3 s0 s1 lo hi
  s0=$(date +%s.%N)
  for ((lo = from; lo < to; lo += chunk)); do
    hi=$(( lo + chunk < to ? lo + chunk : to ))
    awk -v lo="$lo" -v hi="$hi" -v sp="$spacing" \
      'BEGIN { for (g = lo; g < hi; g++) printf "{\"k\": %d, \"ms\": %d}\n", g % 100, g * sp }' |
      kafka_produce "$t" -p 0 >/dev/null || { note "kcat could not produce to $t"; exit 1; }
    q "SELECT pathway.sync(NULL, '600s')" >/dev/null
  done
  s1=$(date +%s.%N)
  awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.3f", b - a}'
}

state() { q "SELECT state_bytes || ' ' || state_rows FROM pathway.views WHERE name = '$1'"; }

tenth=$(( events / 10 ))
declare -A secs1 secs2 bytes1 bytes2 rows1 rows2 rss
for v in cut all; do
  rss0=$(rss_anon_kb)
  note "v_$v: $tenth events"
  secs1[$v]=$(stream "ev_$v" 0 "$tenth")
  read -r bytes1[$v] rows1[$v] < <(state "v_$v")
  note "v_$v: up to $events events"
  secs2[$v]=$(stream "ev_$v" "$tenth" "$events")
  read -r bytes2[$v] rows2[$v] < <(state "v_$v")
  rss[$v]=$(( $(rss_anon_kb) - rss0 ))
  counted=$(q "SELECT sum(n) FROM v_$v")
  [[ $counted == "$events" ]] || { note "v_$v counts $counted events, not $events"; exit 1; }
done

kinds="cut all"
if ((with_kafka)); then
  for v in cut all; do
    kafka_cmd topic "k_$v" 1 || { note "could not create topic k_$v"; exit 1; }
    q "SELECT pathway.create_kafka_source('kev_$v', '$brokers', 'k_$v', 'json', 'k int, ms bigint')" >/dev/null
  done
  q "SELECT pathway.create_view('kv_cut', \$\$SELECT k, pathway.tumble(timestamptz '2024-01-01 00:00:00+00' + ms * interval '1 ms', '1 min') AS w,
       count(*) AS n FROM kev_cut GROUP BY 1, 2\$\$, cutoff => '5 minutes')" >/dev/null
  q "SELECT pathway.create_view('kv_all', \$\$SELECT k, pathway.tumble(timestamptz '2024-01-01 00:00:00+00' + ms * interval '1 ms', '1 min') AS w,
       count(*) AS n FROM kev_all GROUP BY 1, 2\$\$)" >/dev/null
  q "SELECT pathway.sync()" >/dev/null
  for v in cut all; do
    rss0=$(rss_anon_kb)
    note "kv_$v (Kafka): $tenth events"
    secs1[k$v]=$(stream_kafka "k_$v" 0 "$tenth")
    read -r bytes1[k$v] rows1[k$v] < <(state "kv_$v")
    note "kv_$v (Kafka): up to $events events"
    secs2[k$v]=$(stream_kafka "k_$v" "$tenth" "$events")
    read -r bytes2[k$v] rows2[k$v] < <(state "kv_$v")
    rss[k$v]=$(( $(rss_anon_kb) - rss0 ))
    landed=$(q "SELECT count(*) FROM kev_$v")
    [[ $landed == "$events" ]] || { note "kev_$v holds $landed rows, not $events"; exit 1; }
    counted=$(q "SELECT sum(n) FROM kv_$v")
    [[ $counted == "$events" ]] || { note "kv_$v counts $counted events, not $events"; exit 1; }
  done
  kinds="cut all kcut kall"
fi

echo "events: $tenth then $events, in order, $spacing ms apart, 100 keys, 1-minute windows, chunks of $chunk rows (INSERT + sync)"
echo
printf '| %-30s | %14s | %14s | %14s | %14s | %12s | %16s |\n' view "state_bytes at N/10" "state_bytes at N" "state_rows N/10" "state_rows N" "events/s" "worker RssAnon +"
printf '| %-30s | %14s | %14s | %14s | %14s | %12s | %16s |\n' --- --- --- --- --- --- ---
for v in $kinds; do
  case $v in
    cut) label="table, cutoff => '5 minutes'" ;;
    all) label="table, no cutoff" ;;
    kcut) label="Kafka, cutoff => '5 minutes'" ;;
    kall) label="Kafka, no cutoff" ;;
  esac
  eps=$(awk -v n="$events" -v a="${secs1[$v]}" -v b="${secs2[$v]}" 'BEGIN {printf "%.0f", n / (a + b)}')
  printf '| %-30s | %14s | %14s | %14s | %14s | %12s | %13s kB |\n' "$label" "${bytes1[$v]}" "${bytes2[$v]}" \
    "${rows1[$v]}" "${rows2[$v]}" "$eps" "${rss[$v]}"
done
echo
echo "state growth N/10 -> N: cutoff $(ratio "${bytes2[cut]}" "${bytes1[cut]}"), no cutoff $(ratio "${bytes2[all]}" "${bytes1[all]}");" \
     "throughput cutoff / no cutoff: $(ratio "$(awk -v a="${secs1[all]}" -v b="${secs2[all]}" 'BEGIN {print a + b}')" \
                                            "$(awk -v a="${secs1[cut]}" -v b="${secs2[cut]}" 'BEGIN {print a + b}')")"
if ((with_kafka)); then
  echo "Kafka: state growth N/10 -> N: cutoff $(ratio "${bytes2[kcut]}" "${bytes1[kcut]}"), no cutoff $(ratio "${bytes2[kall]}" "${bytes1[kall]}");" \
       "throughput cutoff / no cutoff: $(ratio "$(awk -v a="${secs1[kall]}" -v b="${secs2[kall]}" 'BEGIN {print a + b}')" \
                                              "$(awk -v a="${secs1[kcut]}" -v b="${secs2[kcut]}" 'BEGIN {print a + b}')")"
fi
