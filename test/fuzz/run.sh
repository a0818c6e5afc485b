#!/usr/bin/env bash
# The query fuzzer: random queries (test/fuzz/gen.pl) over a fixed schema
# become live views, random concurrent writes change their sources, and
# every view is compared with a fresh run of its query (pathway.check_view:
# EXCEPT ALL both ways).  Prints TAP: one test per query, then one for the
# server log and one for the share of queries maintained.
#
# Per batch of FUZZ_BATCH queries:
#   create     pathway.create_view and pathway.sync for each in turn: 0A000
#              counts as refused (the DETAIL is the reason), any other error,
#              a failed view or a crash of the engine worker as a failure of
#              that query (a view that crashes the worker is dropped so that
#              the run goes on)
#   check      every view equals its query (after the build)
#   rounds     FUZZ_ROUNDS times: 2 sessions run FUZZ_TXNS random write
#              transactions each at the same time (multi-statement, rolled
#              back, savepoints, NULLs, rows moving between groups and join
#              keys), then sync and check again
#   drop       every view of the batch; the server log must show no crash
#              and no failed view
# A mismatch prints the seed, the query, the command that prints it again
# and a few differing rows, and the run goes on; the exit status is non-zero
# if any query failed.
#
# Environment:
#   FUZZ_SEED            seed (default: the time, printed); the queries, the
#                        initial rows and the write scripts follow from it
#   FUZZ_QUERIES         number of queries (default 100)
#   FUZZ_ROUNDS          write rounds per batch (default 2)
#   FUZZ_TXNS            transactions per session per round (default 15)
#   FUZZ_BATCH           views maintained at once (default 10)
#   FUZZ_MIN_MAINTAINED  percentage of the queries that must be maintained,
#                        not refused (default 50)
#   FUZZ_AVOID           known engine bugs the queries steer clear of
#                        (gen.pl --avoid; default none)
#   FUZZ_OWN_CLUSTER=1   use a throwaway cluster of its own even when PGPORT
#                        is set (it does so anyway when PGPORT is not set)
# With PGHOST/PGPORT set (as test/run.sh does) it runs in a database of its
# own on that cluster, and reads the server log from $PATHWAY_TEST_DIR/log.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/tap.sh"

seed=${FUZZ_SEED:-$(date +%s)}
nq=${FUZZ_QUERIES:-100}
rounds=${FUZZ_ROUNDS:-2}
txns=${FUZZ_TXNS:-15}
batch=${FUZZ_BATCH:-10}
min_pct=${FUZZ_MIN_MAINTAINED:-50}
avoid=${FUZZ_AVOID:-}
for v in seed nq rounds txns batch min_pct; do
  [[ ${!v} =~ ^[0-9]+$ ]] || tap_bail "${v}: '${!v}' is not a non-negative integer"
done
((batch > 0)) || batch=1

unset PGSERVICE PGPASSWORD PGOPTIONS PGDATABASE
work=$(mktemp -d)
db=pathway_fuzz_$$
db_created=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((db_created)); then drop_pathway_db "$db"; fi
  own_cluster_stop
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n ${FUZZ_OWN_CLUSTER:-} || -z ${PGPORT:-} ]]; then
  own_cluster_start fuzz
  log=$OWN_DIR/log
else
  log=${PATHWAY_TEST_DIR:-}/log
fi

tap_plan $((nq + 2))
echo "# seed $seed: $nq queries, batches of $batch views, $rounds rounds of 2 x $txns transactions"
echo "# rerun: FUZZ_SEED=$seed FUZZ_QUERIES=$nq FUZZ_ROUNDS=$rounds FUZZ_TXNS=$txns FUZZ_BATCH=$batch${avoid:+ FUZZ_AVOID=$avoid} bash test/fuzz/run.sh"

# psql that goes on after an error; messages with their SQLSTATE
fz_psql() {
  psql -X -q -At -v ON_ERROR_STOP=0 -v VERBOSITY=verbose -d "$db" "$@"
}

# Errors of a script whose statements are preceded by "\warn @@ ID": one
# line "ID<TAB>SQLSTATE<TAB>message<TAB>detail" per statement that failed.
parse_errors() {
  awk '
    function flush() { if (cur != "" && state != "") printf "%s\t%s\t%s\t%s\n", cur, state, msg, detail; state = "" }
    /^@@ / { flush(); cur = $2; next }
    /ERROR:  [0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z]: / {
      if (state != "") next
      s = $0; sub(/.*ERROR:  /, "", s)
      state = substr(s, 1, 5); msg = substr(s, 8); detail = ""; next
    }
    /^DETAIL:  / { if (state != "" && detail == "") { detail = $0; sub(/^DETAIL:  /, "", detail) } }
    END { flush() }
  ' "$1"
}

sql -d postgres -c "CREATE DATABASE $db"
db_created=1
{
  echo "SET client_min_messages = warning;"
  echo "CREATE EXTENSION pathway;"
  perl "$here/gen.pl" --seed "$seed" --schema
} | sql -d "$db" >/dev/null

mapfile -t queries < <(perl "$here/gen.pl" --seed "$seed" --count "$nq" ${avoid:+--avoid "$avoid"})
((${#queries[@]} == nq)) || tap_bail "gen.pl printed ${#queries[@]} queries, not $nq"

declare -a status note diag had_rows gone
declare -A refusals
n_ok=0 n_refused=0 n_failed=0 deadlocks=0 dml_errors=0 txns_run=0
log_problems=""

# fail I TEXT [DIAG]: query I failed (only its first failure is kept)
fail() {
  local i=$1
  [[ ${status[i]} == failed ]] && return 0
  status[i]=failed
  note[i]=$2
  diag[i]="seed $seed, query $((i + 1)) (print it again: perl test/fuzz/gen.pl --seed $seed --first $((i + 1)) --count 1${avoid:+ --avoid $avoid}):
${queries[i]}${3:+
$3}"
}

# The live views of the batch (created, not failed).
live() {
  local i
  for ((i = lo; i < hi; i++)); do
    [[ ${status[i]} == live ]] && echo "$i"
  done
  return 0
}

# sync every view; a view that failed in the engine fails its query
sync_all() {
  local phase=$1 m=$2 i err
  if sql -d "$db" -c "SELECT pathway.sync(NULL, '60s')" >/dev/null 2>"$work/sync.err"; then
    return 0
  fi
  # after a crash the caller blames the whole batch
  crashed_since "$m" && return 0
  # one at a time: which view failed or timed out
  for i in $(live); do
    if ! sql -d "$db" -c "SELECT pathway.sync('fz_$i', '30s')" >/dev/null 2>"$work/sync1.err"; then
      err=$(sql -d "$db" -c "SELECT status || coalesce(': ' || error, '') FROM pathway.views WHERE name = 'fz_$i'" 2>&1 || true)
      fail "$i" "$phase: sync failed (view $err)" "$(head -n 5 "$work/sync1.err")"
    fi
  done
}

# check every live view against its query
check_all() {
  local phase=$1 i id extra missing rows
  : >"$work/check.sql"
  for i in $(live); do
    printf '\\warn @@ %s\nSELECT %s, count(*) FILTER (WHERE side = %s), count(*) FILTER (WHERE side <> %s), (SELECT count(*) FROM fz_%s) FROM pathway.check_view(%s);\n' \
      "$i" "$i" "'only in view'" "'only in view'" "$i" "'fz_$i'" >>"$work/check.sql"
  done
  [[ -s $work/check.sql ]] || return 0
  fz_psql -f "$work/check.sql" >"$work/check.out" 2>"$work/check.err" || true
  local -A seen=()
  while IFS='|' read -r id extra missing rows; do
    [[ -n $id ]] || continue
    seen[$id]=1
    ((rows > 0)) && had_rows[id]=1
    if ((extra + missing > 0)); then
      fail "$id" "$phase: $extra row(s) only in the view, $missing only in the query" \
        "$(fz_psql -F ' ' -c "SELECT side, row_data FROM pathway.check_view('fz_$id') ORDER BY 1, 2::text LIMIT 8" 2>&1)"
    fi
  done <"$work/check.out"
  parse_errors "$work/check.err" >"$work/check.errors"
  for i in $(live); do
    [[ -n ${seen[$i]:-} ]] && continue
    fail "$i" "$phase: check_view failed" "$(grep -P "^$i\t" "$work/check.errors" | cut -f 2- | tr '\t' ' ')"
  done
}

# two sessions of random write transactions at the same time
write_round() {
  local b=$1 r=$2 s pids=()
  for s in 0 1; do
    {
      echo "SET deadlock_timeout = '100ms';"
      perl "$here/gen.pl" --seed "$seed" --dml --stream $((b * 100 + r * 2 + s + 1)) --count "$txns"
    } >"$work/dml$s.sql"
    fz_psql -f "$work/dml$s.sql" >/dev/null 2>"$work/dml$s.err" &
    pids+=($!)
  done
  for s in "${pids[@]}"; do wait "$s" || true; done
  txns_run=$((txns_run + 2 * txns))
  local d o
  d=$(cat "$work"/dml?.err | grep -c 'ERROR:  40P01' || true)
  o=$(cat "$work"/dml?.err | grep 'ERROR:  ' | grep -v -c 'ERROR:  40P01\|ERROR:  25P02' || true)
  deadlocks=$((deadlocks + d))
  if ((o > 0)); then
    dml_errors=$((dml_errors + o))
    tap_diag "batch $b round $r: unexpected errors in the writers:" \
      "$(cat "$work"/dml?.err | grep 'ERROR:  ' | grep -v 'ERROR:  40P01\|ERROR:  25P02' | head -n 3)"
  fi
}

# crashed_since MARK: the server log shows a crash since MARK
crashed_since() {
  [[ -r $log ]] && grep -q 'terminated by signal' <<<"$(log_since "$log" "$1")"
}

# After a crash: wait for the server, then drop the views given (a view that
# crashes the worker while it is built crashes it again at every restart).
recover() {
  local i deadline=$((SECONDS + 90)) left
  while :; do
    left=0
    for i in "$@"; do
      [[ -n ${gone[i]:-} ]] && continue
      if sql -d "$db" -c "SELECT pathway.drop_view('fz_$i')" >/dev/null 2>&1 ||
        [[ $(sql -d "$db" -c "SELECT to_regclass('fz_$i') IS NULL" 2>/dev/null) == t ]]; then
        gone[i]=1
      else
        left=1
      fi
    done
    if ((!left)); then
      local m
      m=$(log_mark "$log")
      sleep 2
      crashed_since "$m" || return 0
    fi
    if ((SECONDS >= deadline)); then
      # last resort: drop every view of the database with the extension
      tap_diag "could not stop the crashes by dropping views $*: dropping the extension"
      deadline=$((SECONDS + 60))
      until sql -d "$db" -c "SET client_min_messages = warning" -c "DROP EXTENSION pathway CASCADE" \
        -c "CREATE EXTENSION pathway" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || tap_bail "the engine worker keeps crashing (queries $((lo + 1))-$hi)"
        sleep 0.3
      done
      for ((i = lo; i < hi; i++)); do gone[i]=1; done
      return 0
    fi
    sleep 0.3
  done
}

# A crash while the whole batch was live: which view caused it is unknown.
batch_crashed() {
  local i n views=()
  n=$(live | wc -l)
  for ((i = lo; i < hi; i++)); do
    [[ -n ${gone[i]:-} ]] && continue
    [[ ${status[i]} == live ]] && fail "$i" "$1: the engine worker crashed while this view and $((n - 1)) other(s) were live"
    views+=("$i")
  done
  recover "${views[@]}"
}

# create_view, then sync: refused, failed (and dropped if it crashed the
# worker), or live.  create_view's errors are told from sync's by the marks.
create_one() {
  local i=$1 m step state msg detail
  m=$(log_mark "$log")
  printf '%s\n' "SET client_min_messages = warning;" "\\warn @@ create" \
    "SELECT pathway.create_view('fz_$i', \$fz\$${queries[i]}\$fz\$);" \
    "\\warn @@ sync" "SELECT pathway.sync('fz_$i', '60s');" >"$work/create.sql"
  fz_psql -v ON_ERROR_STOP=1 -f "$work/create.sql" >/dev/null 2>"$work/create.err" || true
  if crashed_since "$m"; then
    fail "$i" "the engine worker crashed while building the view" \
      "$(engine_log_problems "$(log_since "$log" "$m")" | head -n 3)"
    recover "$i"
  elif IFS=$'\t' read -r step state msg detail < <(parse_errors "$work/create.err"); then
    if [[ $step == create ]]; then
      gone[i]=1
      if [[ $state == 0A000 ]]; then
        status[i]=refused
        note[i]=${detail:-$msg}
      else
        fail "$i" "create_view: $state $msg${detail:+ ($detail)}"
      fi
    else
      fail "$i" "sync after create_view: $state $msg${detail:+ ($detail)}" "$(head -n 5 "$work/create.err")"
    fi
  elif grep -q 'server closed\|connection' "$work/create.err"; then
    fail "$i" "create_view: $(grep -m 1 'server closed\|connection' "$work/create.err")"
  fi
}

for ((lo = 0; lo < nq; lo += batch)); do
  hi=$((lo + batch))
  ((hi <= nq)) || hi=$nq
  b=$((lo / batch + 1))
  mark=$(log_mark "$log")

  # create, one view at a time: a failure or a crash is that view's
  for ((i = lo; i < hi; i++)); do
    status[i]=live
    create_one "$i"
  done
  rmark=$(log_mark "$log")
  check_all "after the build"
  if crashed_since "$rmark"; then batch_crashed "check after the build"; fi
  for ((r = 1; r <= rounds; r++)); do
    rmark=$(log_mark "$log")
    write_round "$b" "$r"
    sync_all "after write round $r" "$rmark"
    check_all "after write round $r"
    if crashed_since "$rmark"; then batch_crashed "write round $r"; fi
  done

  # drop every view created (failed ones too)
  : >"$work/drop.sql"
  for ((i = lo; i < hi; i++)); do
    [[ ${status[i]} == refused ]] && continue
    [[ -n ${gone[i]:-} ]] && continue
    printf '\\warn @@ %s\nSELECT pathway.drop_view(%s);\n' "$i" "'fz_$i'" >>"$work/drop.sql"
  done
  fz_psql -f "$work/drop.sql" >/dev/null 2>"$work/drop.err" || true
  while IFS=$'\t' read -r i state msg detail; do
    fail "$i" "drop_view: $state $msg"
  done < <(parse_errors "$work/drop.err")

  # the engine's view of this batch: crashes, rebuilds, failed views
  if [[ -r $log ]]; then
    p=$(engine_log_problems "$(log_since "$log" "$mark")")
    if [[ -n $p ]]; then
      n=$(wc -l <<<"$p")
      log_problems+="queries $((lo + 1))-$hi:"$'\n'"$(head -n 5 <<<"$p")"$'\n'
      ((n <= 5)) || log_problems+="... and $((n - 5)) more line(s)"$'\n'
      # a failed or rebuilt view fails its query, even if it checked equal
      while IFS= read -r line; do
        if [[ $line =~ \"fz_([0-9]+)\" ]]; then
          fail "${BASH_REMATCH[1]}" "server log: ${line#*pathway: }"
        fi
      done <<<"$p"
    fi
  fi

  for ((i = lo; i < hi; i++)); do
    case ${status[i]} in
      live)
        n_ok=$((n_ok + 1))
        tap_ok 0 "q$((i + 1)) maintained${had_rows[i]:+ (had rows)}"
        ;;
      refused)
        n_refused=$((n_refused + 1))
        key=${note[i]}
        refusals[$key]=$((${refusals[$key]:-0} + 1))
        tap_ok 0 "q$((i + 1)) refused: ${note[i]}"
        ;;
      *)
        n_failed=$((n_failed + 1))
        tap_ok 1 "q$((i + 1)) ${note[i]}"
        tap_diag "${diag[i]}"
        ;;
    esac
  done
done

if [[ -r $log ]]; then
  tap_is "$log_problems" "" "no crash, failed view or rebuild after an internal inconsistency in the server log"
else
  echo "ok $((TAP_N + 1)) # SKIP server log '$log' not readable"
  TAP_N=$((TAP_N + 1))
fi
pct=$((nq > 0 ? 100 * n_ok / nq : 100))
tap_ok $((pct >= min_pct ? 0 : 1)) "at least $min_pct% of the queries maintained ($n_ok of $nq: $pct%)"

with_rows=0
for i in "${!had_rows[@]}"; do [[ ${status[i]} == live ]] && with_rows=$((with_rows + 1)); done
sizes=$(sql -d "$db" -c "SELECT string_agg(t || ' ' || n, ', ') FROM (
  SELECT 'r' t, count(*) n FROM r UNION ALL SELECT 's', count(*) FROM s
  UNION ALL SELECT 'u', count(*) FROM u UNION ALL SELECT 'd', count(*) FROM d) x" 2>/dev/null || echo '?')
tap_diag "fuzz seed $seed: $nq queries generated, $n_ok maintained and checked, $n_refused refused, $n_failed failed"
echo "# $with_rows of the $n_ok maintained views had rows at some check"
echo "# writers: $txns_run transactions, $deadlocks deadlocks, $dml_errors other errors; rows at the end: $sizes"
if ((n_refused > 0)); then
  echo "# refusal reasons:"
  for reason in "${!refusals[@]}"; do
    printf '#   %4d  %s\n' "${refusals[$reason]}" "$reason"
  done | sort -k2,2nr
fi
tap_done
