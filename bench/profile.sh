#!/usr/bin/env bash
# Profile the engine worker with perf during one workload (not part of run.sh).
#
#   bash bench/profile.sh CASE [rows]
#
# CASE: bulk_insert      a rows-row INSERT ... SELECT into the source of a live
#                        GROUP BY view, until sync() returns   (default 1M rows)
#       build_groupby    create_view + sync() of a GROUP BY view over rows rows
#       build_join       create_view + sync() of a 2-table join over rows rows
# Prints the statement times, `perf report --stdio --no-children | head -60`,
# then a flat profile by function. perf.data is left in /tmp/pathway-perf-CASE.data.
# Needs perf (apt-get install linux-perf).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

case=${1:?usage: profile.sh bulk_insert|build_groupby|build_join [rows]}
rows=${2:-1000000}
command -v perf >/dev/null || { echo "profile: perf not found (apt-get install linux-perf)" >&2; exit 1; }
bench_start "${PATHWAY_BENCH_PORT:-55496}"
data=/tmp/pathway-perf-$case.data

note "loading $rows rows"
q "CREATE TABLE src (id int, k int, v int);
   CREATE TABLE dim (id int PRIMARY KEY, name text);
   INSERT INTO dim SELECT g, 'name ' || g FROM generate_series(0, 9999) g;
   ALTER TABLE src REPLICA IDENTITY FULL; ALTER TABLE dim REPLICA IDENTITY FULL;" >/dev/null
[[ $case == bulk_insert ]] ||
  q "INSERT INTO src SELECT g, g % 10000, g % 97 FROM generate_series(1, $rows) g" >/dev/null
[[ $case == bulk_insert ]] &&
  q "SELECT pathway.create_view('live', 'SELECT k, count(*) AS n, sum(v) AS total FROM src GROUP BY k')" >/dev/null
q "VACUUM ANALYZE" >/dev/null
q "SELECT pathway.sync(timeout => '1800s')" >/dev/null
q CHECKPOINT >/dev/null

pid=$(worker_pid)
# Keep a copy of the library the worker has mapped: another "make install"
# would replace the file on disk and perf would resolve against the new one.
so_copy=$bench_tmp/pathway.so
map=$(ls -l "/proc/$pid/map_files/" | awk '/pathway\.so/ && m == "" {m = $9} END {print m}')
cp "/proc/$pid/map_files/$map" "$so_copy"
perf buildid-cache -a "$so_copy" 2>/dev/null || true

perf record -q -g --buildid-mmap -o "$data" -p "$pid" 2>"$bench_tmp/perf.err" &
perf_pid=$!
bench_pids+=("$perf_pid")
sleep 1
case $case in
  bulk_insert)
    t=$(ms "INSERT INTO src SELECT g, g % 10000, g % 97 FROM generate_series(1, $rows) g" "SELECT pathway.sync('live', '1800s')") ;;
  build_groupby)
    t=$(ms "SELECT pathway.create_view('live', 'SELECT k, count(*) AS n, sum(v) AS total FROM src GROUP BY k')" "SELECT pathway.sync('live', '1800s')") ;;
  build_join)
    t=$(ms "SELECT pathway.create_view('live', 'SELECT s.id, s.v, d.name FROM src s JOIN dim d ON d.id = s.k')" "SELECT pathway.sync('live', '1800s')") ;;
  *) echo "profile: unknown case $case" >&2; exit 2 ;;
esac
sleep 0.5
kill -INT "$perf_pid"; wait "$perf_pid" || true

echo "statement then sync(), ms: $t"
echo
echo '```'
perf report -i "$data" --stdio --no-children >"$bench_tmp/report.txt" 2>/dev/null || true
head -n 60 "$bench_tmp/report.txt"
echo '```'
echo
echo "Flat profile by function (self time; pathway.so addresses resolved on the mapped copy):"
echo
echo '```'
perf report -i "$data" --stdio --no-children --sort dso,sym -g none 2>/dev/null |
  grep -E '^ +[0-9]+\.[0-9]+%' |
  while read -r pct dso rest; do
    sym=${rest#*] }
    if [[ $dso == pathway.so* && $sym == 0x* ]]; then sym=$(addr2line -f -e "$so_copy" "$sym" | sed -n 1p); fi
    [[ $dso == pathway.so* ]] && dso=pathway.so
    echo "${pct%\%} $dso $sym"
  done | awk '{k = $2 " " $3; s[k] += $1} END {for (k in s) printf "%6.2f%%  %s\n", s[k], k}' | sort -rn >"$bench_tmp/flat.txt" || true
head -n 30 "$bench_tmp/flat.txt"
echo '```'
echo
echo "By object:"
echo
echo '```'
perf report -i "$data" --stdio --no-children --sort dso -g none 2>/dev/null | grep -E '^ +[0-9]'
echo '```'
