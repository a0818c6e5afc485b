#!/usr/bin/env bash
# The oracle as a tool: give it a schema, queries and random write scripts;
# it creates the live views while the writers run, waits for pathway.sync()
# and compares every view with a fresh run of its query both ways
# (EXCEPT ALL).  Prints TAP (one test per view, plus the writers), exits
# non-zero if any view differs.
#
#   oracle.sh --schema FILE --dml FILE[@WEIGHT] [--dml ...] --query SQL [--query ...]
#             [--clients N] [--txns N] [--rate TPS] [--seed N] [--db NAME]
#
#   --schema   SQL run first (tables, initial rows)
#   --dml      a pgbench script (\set x random(1, 10) ... BEGIN; ...; END;),
#              picked by weight; several clients run them concurrently
#   --query    a live view's query; views are named oracle_v1, oracle_v2, ...
#              and created one by one while the writers run
#   --clients  pgbench clients (default 4), --txns per client (default 200),
#   --rate     all clients together (default 200 tps), --seed (default 1)
#
# Connects with the caller's PGHOST/PGPORT/PGUSER and works in its own
# database (dropped at the end).  Bounded: pgbench runs a fixed number of
# transactions, every wait has a timeout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/tap.sh"

schema=
dmls=()
queries=()
clients=4
txns=200
rate=200
seed=1
db=pathway_oracle_tool_$$

while (($#)); do
  case $1 in
    --schema) schema=$2; shift 2 ;;
    --dml) dmls+=("$2"); shift 2 ;;
    --query) queries+=("$2"); shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --txns) txns=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    *) echo "oracle.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $schema && ${#dmls[@]} -gt 0 && ${#queries[@]} -gt 0 ]] ||
  { sed -n '2,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

work=$(mktemp -d)
pgbench_pid=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $pgbench_pid ]] && kill "$pgbench_pid" 2>/dev/null || true
  drop_pathway_db "$db" >/dev/null 2>&1 || true
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tap_plan $((${#queries[@]} + 2))
sql -d postgres -c "CREATE DATABASE $db"
sql -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION pathway" >/dev/null
sql -d "$db" -f "$schema" >/dev/null

# the writers, in the background
args=()
for d in "${dmls[@]}"; do args+=(-f "$d"); done
"$TAP_PGBIN/pgbench" -n -c "$clients" -j 2 -t "$txns" -R "$rate" --random-seed="$seed" \
  --max-tries=20 "${args[@]}" "$db" >"$work/pgbench.out" 2>&1 &
pgbench_pid=$!

# the views, created one by one while the writers run
created=0
for i in "${!queries[@]}"; do
  sleep 0.3
  if sql -d "$db" -c "SET client_min_messages = warning; SELECT pathway.create_view('oracle_v$((i + 1))', \$oracle\$${queries[$i]}\$oracle\$)" \
    >/dev/null 2>"$work/create_$i.err"; then
    created=$((created + 1))
  fi
done

rc=0
wait_pid "$pgbench_pid" 300 || rc=$?
pgbench_pid=
tap_ok "$rc" "the writers ran: $(grep -E '^number of (transactions actually processed|failed transactions)' "$work/pgbench.out" | tr '\n' ' ')"
sync_rc=0
sql -d "$db" -c "SELECT pathway.sync(NULL, '120s')" >/dev/null 2>"$work/sync.err" || sync_rc=1
tap_ok "$sync_rc" "pathway.sync() returned"
((sync_rc == 0)) || tap_diag "$(cat "$work/sync.err")"

for i in "${!queries[@]}"; do
  v=oracle_v$((i + 1))
  if [[ -s $work/create_$i.err ]]; then
    tap_ok 1 "$v was created"
    tap_diag "query: ${queries[$i]}" "$(cat "$work/create_$i.err")"
    continue
  fi
  read -r extra missing < <(check_view "$db" "$v" "${queries[$i]}")
  if [[ $extra == 0 && $missing == 0 ]]; then
    tap_ok 0 "$v equals its query (EXCEPT ALL both ways, $(sql -d "$db" -c "SELECT count(*) FROM $v") rows)"
  else
    tap_ok 1 "$v equals its query"
    tap_diag "query: ${queries[$i]}" "$v: ${extra:-?} row(s) only in the view, ${missing:-?} only in the query"
    show_view_diff "$db" "$v" "${queries[$i]}"
  fi
done
tap_done
