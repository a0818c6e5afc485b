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
# (A Kafka source is not measured here: it lands in a table the same way.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

if quick; then events=${1:-100000}; spacing=${BENCH_TIME_SPACING_MS:-100}; else events=${1:-10000000}; spacing=${BENCH_TIME_SPACING_MS:-10}; fi
chunk=${2:-$(( events / 100 > 100000 ? 100000 : (events / 100 > 1000 ? events / 100 : 1000) ))}
bench_start "${PATHWAY_BENCH_PORT:-55498}"

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
done

echo "events: $tenth then $events, in order, $spacing ms apart, 100 keys, 1-minute windows, chunks of $chunk rows (INSERT + sync)"
echo
printf '| %-28s | %14s | %14s | %14s | %14s | %12s | %16s |\n' view "state_bytes at N/10" "state_bytes at N" "state_rows N/10" "state_rows N" "events/s" "worker RssAnon +"
printf '| %-28s | %14s | %14s | %14s | %14s | %12s | %16s |\n' --- --- --- --- --- --- ---
for v in cut all; do
  label=$([[ $v == cut ]] && echo "cutoff => '5 minutes'" || echo "no cutoff")
  eps=$(awk -v n="$events" -v a="${secs1[$v]}" -v b="${secs2[$v]}" 'BEGIN {printf "%.0f", n / (a + b)}')
  printf '| %-28s | %14s | %14s | %14s | %14s | %12s | %13s kB |\n' "$label" "${bytes1[$v]}" "${bytes2[$v]}" \
    "${rows1[$v]}" "${rows2[$v]}" "$eps" "${rss[$v]}"
done
echo
echo "state growth N/10 -> N: cutoff $(ratio "${bytes2[cut]}" "${bytes1[cut]}"), no cutoff $(ratio "${bytes2[all]}" "${bytes1[all]}");" \
     "throughput cutoff / no cutoff: $(ratio "$(awk -v a="${secs1[all]}" -v b="${secs2[all]}" 'BEGIN {print a + b}')" \
                                            "$(awk -v a="${secs1[cut]}" -v b="${secs2[cut]}" 'BEGIN {print a + b}')")"
