#!/usr/bin/env bash
# Bulk statements on a source with a live GROUP BY view, against a
# MATERIALIZED VIEW of the same query refreshed after the same statement,
# in the same run (alternating rounds, medians).
#
#   bash bench/bulk.sh [rows] [rounds]
#
# Each round starts from an empty source (with the view already live) and runs
#   INSERT ... SELECT generate_series   (rows rows)
#   UPDATE of 10% of the rows
#   DELETE of 10% of the rows
# timing for each: the statement itself, then pathway.sync() until the view
# has it, then REFRESH MATERIALIZED VIEW of the same query. The same statement
# on a twin table with no view (no REPLICA IDENTITY FULL, no matview) gives
# the statement's own baseline. Goal: catching up costs no more than a refresh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

if quick; then rows=${1:-100000}; rounds=${2:-1}; else rows=${1:-1000000}; rounds=${2:-3}; fi
bench_start "${PATHWAY_BENCH_PORT:-55492}"

query='SELECT k, count(*) AS n, sum(v) AS total, avg(amount) AS avg_amount FROM %s GROUP BY k'
groups=$(( rows / 100 ))
declare -A stmt sync refresh plain

# Wait (untimed) until the engine has decoded all WAL written so far, so the
# timed sync() never pays for decoding the twin table's rows.
settle() { q "SELECT pathway.sync(timeout => '900s')" >/dev/null; q CHECKPOINT >/dev/null; }

stmts() { # table -> the three statements, one a line, "name|sql"
  echo "insert|INSERT INTO $1 SELECT g, g % $groups, g % 97, (g % 1000) / 10.0 FROM generate_series(1, $rows) g"
  echo "update|UPDATE $1 SET v = v + 1 WHERE id % 10 = 3"
  echo "delete|DELETE FROM $1 WHERE id % 10 = 7"
}

for r in $(seq "$rounds"); do
  note "round $r/$rounds"
  q "DROP TABLE IF EXISTS src, twin CASCADE;
     CREATE TABLE src (id int PRIMARY KEY, k int, v int, amount numeric);
     CREATE TABLE twin (id int PRIMARY KEY, k int, v int, amount numeric);
     SELECT pathway.create_view('live', format('$query', 'src'));
     CREATE MATERIALIZED VIEW mat AS $(printf "$query" src);" >/dev/null
  settle
  while IFS='|' read -r name sql; do
    # twin first or second, alternating, so neither always runs on a warmer cache
    if (( r % 2 )); then plain[$name]+="$(ms "${sql//src/twin}") "; settle; fi
    # same session: sync() starts the moment the statement returns
    read -r a b < <(ms "$sql" "SELECT pathway.sync('live', '900s')")
    stmt[$name]+="$a "; sync[$name]+="$b "
    refresh[$name]+="$(ms "REFRESH MATERIALIZED VIEW mat") "
    if (( r % 2 == 0 )); then plain[$name]+="$(ms "${sql//src/twin}") "; fi
    q "VACUUM src, twin" >/dev/null
    settle
  done < <(stmts src)
  # the live view must equal the query
  diff=$(q "SELECT count(*) FROM ((TABLE live EXCEPT ALL TABLE mat) UNION ALL (TABLE mat EXCEPT ALL TABLE live)) d")
  [[ $diff == 0 ]] || note "WRONG RESULT: live view differs from the matview in $diff rows (round $r)"
done
q "SELECT pathway.drop_view('live')" >/dev/null

echo
echo "| statement | rows changed | statement, no view (ms) | statement, live view (ms) | then sync() (ms) | REFRESH MATERIALIZED VIEW (ms) | sync / refresh | (statement + sync) / (no-view statement + refresh) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for name in insert update delete; do
  p=$(lines "${plain[$name]}" | median); s=$(lines "${stmt[$name]}" | median)
  y=$(lines "${sync[$name]}" | median); f=$(lines "${refresh[$name]}" | median)
  case $name in insert) changed=$rows ;; *) changed=$(( rows / 10 )) ;; esac
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$changed" "$(fmt "$p" 0)" "$(fmt "$s" 0)" \
    "$(fmt "$y" 0)" "$(fmt "$f" 0)" "$(ratio "$y" "$f")" "$(ratio "$(echo "$s + $y" | bc -l)" "$(echo "$p + $f" | bc -l)")"
done
echo
echo "Source: (id int PRIMARY KEY, k int, v int, amount numeric), $rows rows inserted, $groups groups; view: $(printf "$query" src); medians of $rounds rounds."
