#!/usr/bin/env bash
# The 22 TPC-H queries as live views against materialized views of the same
# queries, on data of our own generator, under the refresh functions.
#
#   bash bench/tpch.sh [scale factors] [rounds]     e.g. "0.01 0.1" 3
#
# For each scale factor the tables are generated afresh (bench/tpch/schema.sql,
# generate.sql), then for each query, one view at a time:
#   build: pathway.create_view + pathway.sync() (or the refusal, with its
#          SQLSTATE and message), and CREATE MATERIALIZED VIEW of the same text;
#   rounds: one round of the refresh functions in one transaction
#          (tpch_refresh(): RF1 inserts SF x 1,500 orders and their lineitems,
#          RF2 deletes as many, 1% of the lineitems get a new quantity and
#          discount, 1% of the orders a new status), then the time from its
#          COMMIT until pathway.sync() returns (catch-up) and the time of
#          REFRESH MATERIALIZED VIEW; after each round the view is compared
#          with a fresh run of its query (EXCEPT ALL both ways: the refreshed
#          materialized view, or the query where that failed) and its status
#          must be running;
#   then both are dropped.
# BENCH_BUDGET_MS caps each query (its build's sync, every statement, and no
# new round once the query has used it up). Goal: 22/22 maintained and
# correct, catch-up at least 5x cheaper than REFRESH for each.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

if quick; then sfs=${1:-"0.01"}; rounds=${2:-1}; budget=${BENCH_BUDGET_MS:-120000}
else sfs=${1:-"0.01 0.1"}; rounds=${2:-3}; budget=${BENCH_BUDGET_MS:-600000}; fi
bench_start "${PATHWAY_BENCH_PORT:-55502}"

tpch=bench/tpch
nums=$(seq -w 1 22)

# query N SF -> its text (comment lines dropped, the scale factor put in)
query() { sed "s/{SF}/$2/g" "$tpch/queries/q$1.sql" | grep -v '^--'; }

# timed SQL...: run the statements in one session, stop at the first error;
# sets t_ms (each statement's time, space-separated), t_state and t_msg (the
# error's SQLSTATE and DETAIL, else its message; empty when none failed).
timed() {
  local out a args=(-c "SET statement_timeout = $budget" -c '\timing on')
  for a in "$@"; do args+=(-c "$a"); done
  out=$(psql -XqAt -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -o /dev/null "${args[@]}" 2>&1) || true
  t_ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | paste -sd ' ')
  t_state=$(sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): .*/\1/p' <<<"$out" | head -n 1)
  t_msg=$(sed -n 's/^DETAIL:  //p' <<<"$out" | head -n 1)
  [[ -n $t_msg ]] || t_msg=$(sed -n 's/^ERROR:  [0-9A-Z]\{5\}: //p' <<<"$out" | head -n 1)
  [[ -z $t_state ]]
}

# (not fatal: a view that failed makes sync() of every view fail; it is
# reported in its own row)
settle() {
  q "SELECT pathway.sync(timeout => '1800s')" >/dev/null 2>&1 || note "settle: sync() failed"
  q CHECKPOINT >/dev/null
}
now_ms() { date +%s%3N; }

summary=()
for sf in $sfs; do
  note "SF $sf: generating"
  psql -Xq -v ON_ERROR_STOP=1 -f "$tpch/schema.sql" >/dev/null
  psql -Xq -v ON_ERROR_STOP=1 -v sf="$sf" -f "$tpch/generate.sql" >/dev/null
  rows_li=$(q "SELECT count(*) FROM lineitem"); rows_o=$(q "SELECT count(*) FROM orders")
  declare -A status=() build=() mat=() catch=() refresh=() correct=() nrows=()
  refused=()
  for n in $nums; do
    text=$(query "$n" "$sf")
    start=$(now_ms)
    settle
    note "SF $sf Q$n: build"
    # alternate which build runs first, so neither always finds a warmer cache
    if (( 10#$n % 2 )); then timed "CREATE MATERIALIZED VIEW tpch_m$n AS $text" && mat[$n]=$t_ms || mat[$n]=; settle; fi
    if timed "SELECT pathway.create_view('tpch_q$n', \$tpch\$$text\$tpch\$)" \
             "SELECT pathway.sync('tpch_q$n', '$budget ms')"; then
      status[$n]=maintained
      build[$n]=$(awk -v t="$t_ms" 'BEGIN {split(t, a, " "); printf "%.3f", (a[1] + a[2]) / 1000}')
    elif [[ $t_state == 0A000 ]]; then
      status[$n]="refused: $t_msg"; refused+=("Q$n ($t_state: $t_msg)")
    else
      status[$n]="error $t_state: $t_msg"
    fi
    if (( 10#$n % 2 == 0 )); then settle; timed "CREATE MATERIALIZED VIEW tpch_m$n AS $text" && mat[$n]=$t_ms || mat[$n]=; fi
    nrows[$n]='?'
    if [[ -n ${mat[$n]} ]]; then
      mat[$n]=$(awk -v t="${mat[$n]}" 'BEGIN {printf "%.3f", t / 1000}')
      nrows[$n]=$(q "SELECT count(*) FROM tpch_m$n")
    fi
    # a view whose build timed out or failed: gone before the rounds
    [[ ${status[$n]} == maintained ]] ||
      q "SELECT pathway.drop_view(name) FROM pathway.views WHERE name = 'tpch_q$n'" >/dev/null
    cu= rf= ok=0 bad=
    for r in $(seq "$rounds"); do
      (( $(now_ms) - start < budget )) || { note "SF $sf Q$n: budget used up after $((r - 1)) rounds"; break; }
      settle
      note "SF $sf Q$n: round $r/$rounds"
      if [[ ${status[$n]} == maintained ]]; then
        # same session: sync() starts the moment the refresh functions commit
        if timed "SELECT tpch_refresh()" "SELECT pathway.sync('tpch_q$n', '$budget ms')"; then
          cu+="${t_ms#* } "
        else
          bad="round $r: sync() $t_state: $t_msg"; break
        fi
      else
        q "SELECT tpch_refresh()" >/dev/null
      fi
      # the fresh run of the query to compare with: the materialized view
      # just refreshed (nothing writes meanwhile), else the query itself
      fresh="($text)"
      if [[ -n ${mat[$n]} ]] && timed "REFRESH MATERIALIZED VIEW tpch_m$n"; then rf+="$t_ms "; fresh="TABLE tpch_m$n"; fi
      if [[ ${status[$n]} == maintained ]]; then
        read -r extra missing st < <(q "SET statement_timeout = $budget;
          SELECT (SELECT count(*) FROM (TABLE tpch_q$n EXCEPT ALL $fresh) a),
                 (SELECT count(*) FROM ($fresh EXCEPT ALL TABLE tpch_q$n) b),
                 (SELECT status FROM pathway.views WHERE name = 'tpch_q$n')" | tr '|' ' ')
        if [[ $extra == 0 && $missing == 0 && $st == running ]]; then ok=$((ok + 1))
        else bad="round $r: $extra extra, $missing missing, $st"; break; fi
      fi
    done
    catch[$n]=$(lines "$cu" | median || true); refresh[$n]=$(lines "$rf" | median || true)
    if [[ ${status[$n]} != maintained ]]; then correct[$n]=-
    elif [[ -n $bad ]]; then correct[$n]="no ($bad)"
    elif (( ok == 0 )); then correct[$n]="not checked (budget used up before a round)"
    else correct[$n]="yes ($ok/$rounds rounds)"; fi
    # (also a view whose build timed out or that failed)
    q "SELECT pathway.drop_view(name) FROM pathway.views WHERE name = 'tpch_q$n'" >/dev/null
    q "DROP MATERIALIZED VIEW IF EXISTS tpch_m$n" >/dev/null
  done

  echo
  echo "### SF $sf ($rows_o orders, $rows_li lineitems; $rounds round(s) of $(awk -v s="$sf" 'BEGIN {n = int(1500 * s + 0.5); print (n < 1 ? 1 : n)}') orders inserted and as many deleted, 1% of lineitems and orders updated)"
  echo
  echo "| query | rows | maintained | build (s) | CREATE MATVIEW (s) | catch-up (ms, median) | REFRESH (ms, median) | REFRESH / catch-up (goal >= 5x) | correct |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  maintained=0 good=0 fast=0
  for n in $nums; do
    if [[ ${status[$n]} == maintained ]]; then
      maintained=$((maintained + 1))
      [[ ${correct[$n]} == yes* ]] && good=$((good + 1))
      c=${catch[$n]} f=${refresh[$n]}
      if [[ $c != nan && $f != nan ]]; then
        rt=$(ratio "$f" "$c")
        awk -v a="$f" -v b="$c" 'BEGIN {exit !(b > 0 && a / b >= 5)}' && fast=$((fast + 1))
        c=$(fmt "$c" 1) f=$(fmt "$f" 1)
      else rt=n/a; [[ $c == nan ]] && c=-; [[ $f == nan ]] && f=-; fi
      printf '| Q%s | %s | yes | %s | %s | %s | %s | %s | %s |\n' "$n" "${nrows[$n]}" "${build[$n]}" \
        "${mat[$n]:--}" "$c" "$f" "$rt" "${correct[$n]}"
    else
      f=${refresh[$n]}; [[ $f == nan ]] && f=- || f=$(fmt "$f" 1)
      printf '| Q%s | %s | no (%s) | - | %s | - | %s | - | - |\n' "$n" "${nrows[$n]}" "${status[$n]}" "${mat[$n]:--}" "$f"
    fi
  done
  echo
  line="SF $sf: $maintained/22 maintained, $good correct, $fast with REFRESH / catch-up >= 5x"
  echo "$line."
  (( ${#refused[@]} )) && printf 'Refused (SQLSTATE: detail): %s.\n' "$(IFS=';'; echo "${refused[*]}" | sed 's/;/; /g')"
  summary+=("$line")
  unset status build mat catch refresh correct nrows
done
echo
echo "Summary: $(IFS=';'; echo "${summary[*]}" | sed 's/;/; /g')."
echo "rows: the query's rows before its rounds (its materialized view's, ? where that failed); build: create_view + sync() until adopted; catch-up: from the COMMIT of a round of refresh functions until pathway.sync() returns; REFRESH: REFRESH MATERIALIZED VIEW after the same round; correct: the view equal to its query (EXCEPT ALL both ways with the materialized view just refreshed) and running after every round. Budget per query: $budget ms."
