#!/usr/bin/env bash
# The 22 TPC-H queries of bench/tpch.sh as live views, at a small scale:
# the benchmark's generator, query texts and refresh functions
# (bench/tpch/), all 22 views created at once, then one round of the refresh
# functions (RF1 inserts orders and their lineitems, RF2 deletes as many, 1%
# of the lineitems and orders updated). Every maintained view must then equal
# its query (EXCEPT ALL both ways) and be running; the queries refused must
# be exactly those of TPCH_REFUSED, each with SQLSTATE 0A000. When the
# planner learns one of them, this test fails until the list is updated.
#
# SF 0.02 is the smallest of 0.001, 0.002, 0.005, 0.01, 0.015 and 0.02 at
# which every query has rows (Q18 needs an order whose quantities sum to
# more than 300; test 2 checks it). Shared cluster, own database.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
tpch=$(cd "$here/../../bench/tpch" && pwd)

# the query numbers refused today, with SQLSTATE 0A000
TPCH_REFUSED=""
SF=0.02

db=pathway_tpch_$$
# every statement bounded: nothing here should take more than seconds
export PGOPTIONS="-c statement_timeout=120000 -c client_min_messages=warning"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  drop_pathway_db "$db" >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

nums=$(seq -w 1 22)
expected_refused() { [[ " $TPCH_REFUSED " == *" $((10#$1)) "* ]]; }
query() { sed "s/{SF}/$SF/g" "$tpch/queries/q$1.sql" | grep -v '^--'; }

accepted=0
for n in $nums; do expected_refused "$n" || accepted=$((accepted + 1)); done
tap_plan $((3 + 22 + accepted))

sql -d postgres -c "CREATE DATABASE $db"
sql -d "$db" -c "CREATE EXTENSION pathway"

# 1. the data
out=$( { sql -d "$db" -f "$tpch/schema.sql" && sql -d "$db" -v sf="$SF" -f "$tpch/generate.sql"; } 2>&1 >/dev/null) && rc=0 || rc=$?
tap_is "$rc:$(sql -d "$db" -c "SELECT count(*) FROM region")|$(sql -d "$db" -c "SELECT count(*) FROM nation")|$(sql -d "$db" -c "SELECT count(*) FROM supplier")|$(sql -d "$db" -c "SELECT count(*) FROM part")|$(sql -d "$db" -c "SELECT count(*) FROM partsupp")|$(sql -d "$db" -c "SELECT count(*) FROM customer")|$(sql -d "$db" -c "SELECT count(*) FROM orders")" \
  "0:5|25|$(awk -v s="$SF" 'BEGIN {printf "%d|%d|%d|%d|%d", 10000 * s, 200000 * s, 800000 * s, 150000 * s, 1500000 * s}')" \
  "SF $SF generated: the specification's cardinalities"
[[ $rc == 0 ]] || tap_diag "$out"

# 2. every query has rows that are not all NULL (so that no check below is vacuous)
empty=
for n in $nums; do
  c=$(sql -d "$db" -c "SELECT count(*) FROM ($(query "$n")) x WHERE x IS NOT NULL" 2>&1) || c="error: $c"
  [[ $c =~ ^[1-9][0-9]*$ ]] || empty+="Q$n ($c) "
done
tap_is "${empty:-none}" none "every query has rows at SF $SF"

# 3-24. every view created, or refused with 0A000 exactly when listed
for n in $nums; do
  out=$(sql -d "$db" -v VERBOSITY=verbose -c "SELECT pathway.create_view('tpch_q$n', \$tpch\$$(query "$n")\$tpch\$)" 2>&1 >/dev/null) &&
    got=maintained || got="refused $(sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): .*/\1/p' <<<"$out" | head -n 1)"
  if expected_refused "$n"; then want="refused 0A000"; else want=maintained; fi
  tap_is "$got" "$want" "Q$n: $want"
  [[ $got == "$want" ]] || tap_diag "Q$n: $(grep -E '^(ERROR|DETAIL):' <<<"$out" | paste -sd ' ')"
done

# 25. the views adopted, one round of the refresh functions, and the views caught up
err=$(sql -d "$db" -c "SELECT pathway.sync(timeout => '60s')" 2>&1 >/dev/null) || true
changed=$(sql -d "$db" -c "SELECT tpch_refresh()" 2>&1) || true
err+=$(sql -d "$db" -c "SELECT pathway.sync(timeout => '60s')" 2>&1 >/dev/null) || true
tap_is "$([[ $changed =~ ^[0-9]+$ ]] && ((changed > 1000)) && echo changed)|${err:-synced}" "changed|synced" \
  "a round of RF1, RF2 and 1% updates ($changed rows), then pathway.sync() of every view"

# the rest: every maintained view equals its query and runs
for n in $nums; do
  expected_refused "$n" && continue
  got=$(sql -d "$db" -F ' ' -c "
    SELECT (SELECT count(*) FROM (TABLE tpch_q$n EXCEPT ALL ($(query "$n"))) a),
           (SELECT count(*) FROM (($(query "$n")) EXCEPT ALL TABLE tpch_q$n) b),
           (SELECT status FROM pathway.views WHERE name = 'tpch_q$n')" 2>&1) || true
  tap_is "$got" "0 0 running" "Q$n after the round: no row extra, none missing, running"
  if [[ $got != "0 0 running" ]]; then
    tap_diag "$(sql -d "$db" -c "SELECT error FROM pathway.views WHERE name = 'tpch_q$n'" 2>&1)"
    show_view_diff "$db" "tpch_q$n" "$(query "$n")" 2>&1 || true
  fi
done

tap_done
