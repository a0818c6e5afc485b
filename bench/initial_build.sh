#!/usr/bin/env bash
# Initial build of a live view over an existing table, against CREATE
# MATERIALIZED VIEW of the same query, in the same run (alternating rounds,
# medians).
#
#   bash bench/initial_build.sh [sizes] [rounds]      sizes: e.g. "1000000 10000000"
#
# Live: pathway.create_view() (fills the table under the caller's snapshot)
# plus pathway.sync() (returns once the engine has adopted the view: built its
# state by a batch run of the graph and reconciled it with the table).
# Views: a GROUP BY (count, sum) and a 2-table join (one output row per
# source row). Rows are narrow (three ints) so that 10M rows fit in time.
# Before each build the engine is let catch up with the WAL written so far
# (untimed), so a build never pays for decoding the load or the other build;
# it does pay for decoding the rows create_view itself wrote into the table.
# Goal: create_view + sync within 1.5x of CREATE MATERIALIZED VIEW.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

if quick; then sizes=${1:-"100000 1000000"}; rounds=${2:-1}; else sizes=${1:-"1000000 10000000"}; rounds=${2:-2}; fi
bench_start "${PATHWAY_BENCH_PORT:-55493}"

declare -A q_of mat cv sy
q_of[groupby]='SELECT k, count(*) AS n, sum(v) AS total FROM %s GROUP BY k'
q_of[join]='SELECT s.id, s.v, d.name FROM %s s JOIN dim d ON d.id = s.k'

note "loading"
q "CREATE TABLE dim (id int PRIMARY KEY, name text);
   INSERT INTO dim SELECT g, 'name ' || g FROM generate_series(0, 9999) g;" >/dev/null
for n in $sizes; do
  q "CREATE TABLE src_$n (id int, k int, v int);
     INSERT INTO src_$n SELECT g, g % 10000, g % 97 FROM generate_series(1, $n) g;
     ALTER TABLE src_$n REPLICA IDENTITY FULL;" >/dev/null
done
q "ALTER TABLE dim REPLICA IDENTITY FULL" >/dev/null; q "VACUUM ANALYZE" >/dev/null; q CHECKPOINT >/dev/null

# Wait (untimed) until the engine has decoded all WAL written so far (the
# load, the previous build): sync() of no view waits for the frontier. Else
# the next build would pay for decoding someone else's rows.
settle() { q "SELECT pathway.sync(timeout => '1800s')" >/dev/null; q CHECKPOINT >/dev/null; }

build_mat() { # view size
  settle
  mat[$1,$2]+="$(ms "CREATE MATERIALIZED VIEW m AS $(printf "${q_of[$1]}" "src_$2")") "
  q "DROP MATERIALIZED VIEW m" >/dev/null
}
build_live() {
  local a b rows
  settle
  read -r a b < <(ms "SELECT pathway.create_view('l', format('${q_of[$1]}', 'src_$2'))" \
                     "SELECT pathway.sync('l', '1800s')")
  cv[$1,$2]+="$a "; sy[$1,$2]+="$b "
  rows=$(q "SELECT (SELECT count(*) FROM l) = (SELECT count(*) FROM ($(printf "${q_of[$1]}" "src_$2")) x)")
  [[ $rows == t ]] || note "WRONG RESULT: live view $1 over $2 rows has a different row count"
  q "SELECT pathway.drop_view('l')" >/dev/null
}

for r in $(seq "$rounds"); do
  for n in $sizes; do
    for v in groupby join; do
      note "round $r/$rounds: $v over $n rows"
      if (( r % 2 )); then build_mat "$v" "$n"; build_live "$v" "$n"
      else build_live "$v" "$n"; build_mat "$v" "$n"; fi
    done
  done
done

echo
echo "| view | source rows | CREATE MATERIALIZED VIEW (ms) | create_view (ms) | then sync() (ms) | live total (ms) | live / matview (goal <= 1.5x) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for v in groupby join; do
  for n in $sizes; do
    m=$(lines "${mat[$v,$n]}" | median); c=$(lines "${cv[$v,$n]}" | median); s=$(lines "${sy[$v,$n]}" | median)
    t=$(echo "$c + $s" | bc -l)
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$v" "$n" "$(fmt "$m" 0)" "$(fmt "$c" 0)" "$(fmt "$s" 0)" \
      "$(fmt "$t" 0)" "$(ratio "$t" "$m")"
  done
done
echo
echo "Queries: groupby = $(printf "${q_of[groupby]}" src); join = $(printf "${q_of[join]}" src) (dim: 10000 rows); medians of $rounds rounds (live total = median create_view + median sync)."
