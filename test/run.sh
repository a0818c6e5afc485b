#!/usr/bin/env bash
# Run the whole suite on a throwaway cluster: pgTAP files in test/sql through
# pg_prove, then TAP-emitting scripts in test/shell through prove.
# Expects the extension to be built already (make test does that).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
cluster="$root/test/cluster.sh"
port=${PATHWAY_TEST_PORT:-61432}
dir=/tmp/pathway-test-$port
db=pathway_test
# Connection settings from the caller's environment must not leak in.
unset PGSERVICE PGPASSWORD PGOPTIONS

work=$(mktemp -d)
cluster_started=0
cluster_up=0
log_shown=0

show_log() {
  (( log_shown == 0 )) || return 0
  log_shown=1
  if [[ -f $dir/log ]]; then
    cp "$dir/log" "$dir.log" 2>/dev/null || true
    echo
    echo "==> last 80 lines of the server log (full copy: $dir.log)"
    tail -n 80 "$dir/log"
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # cluster.sh already printed the log if the server never came up.
  if (( rc != 0 && cluster_up )); then show_log; fi
  if (( cluster_started )); then bash "$cluster" stop "$dir" || true; fi
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

psql_admin() {
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"
}

# Count files from a TAP::Harness summary: "Files=N" and, under "Test Summary
# Report", one "FILE (Wstat: W ... Tests: T Failed: F)" line per file worth a mention;
# a file failed if W or F is non-zero or parse errors follow (a passing TODO
# also gets a mention). Prints "passed failed".
count_results() {
  local out=$1 nfiles=$2 rc=$3 total failed
  total=$(sed -n 's/^Files=\([0-9]*\),.*/\1/p' "$out" | tail -n 1)
  failed=$(awk '
    /^Test Summary Report/ { in_report = 1; next }
    !in_report { next }
    /^Files=/ { exit }
    /^[^ ].* \(Wstat: [0-9]+.* Tests: [0-9]+ Failed: [0-9]+\)$/ {
      n += bad; bad = 0
      if (match($0, /Wstat: [0-9]+/) && substr($0, RSTART + 7, RLENGTH - 7) + 0 != 0) bad = 1
      if (match($0, /Failed: [0-9]+/) && substr($0, RSTART + 8, RLENGTH - 8) + 0 != 0) bad = 1
      next
    }
    /^ +Parse errors:/ { bad = 1 }
    END { print n + bad }
  ' "$out")
  if [[ -z $total ]]; then
    # The harness died before summarising; count every file as failed.
    failed=$nfiles
  else
    failed=$(( failed + nfiles - total ))
    # A failing exit status with a clean summary must still count as a failure.
    if (( rc != 0 && failed == 0 )); then failed=1; fi
  fi
  echo "$(( nfiles - failed )) $failed"
}

rm -f -- "$dir.log"

echo "==> make install"
# into the PostgreSQL the tests run (PATHWAY_PGBIN), never another one
make -s --no-print-directory install PG_CONFIG="${PATHWAY_PGBIN:-/usr/lib/postgresql/15/bin}/pg_config"

echo "==> starting cluster on 127.0.0.1:$port"
cluster_started=1
bash "$cluster" start "$dir" "$port"
cluster_up=1

psql_admin -d postgres -c "CREATE DATABASE $db"
psql_admin -d "$db" -c "CREATE EXTENSION pgtap"

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=$db
export PATHWAY_TEST_DIR=$dir PATHWAY_CLUSTER=$cluster

shopt -s nullglob
sql_files=(test/sql/*.sql)
shell_files=(test/shell/*.sh)
shopt -u nullglob
# PATHWAY_TEST_ONLY=REGEX runs only the files whose path matches (a subset
# while developing; make test always runs everything).
if [[ -n ${PATHWAY_TEST_ONLY:-} ]]; then
  keep=()
  for f in "${sql_files[@]}"; do [[ $f =~ $PATHWAY_TEST_ONLY ]] && keep+=("$f"); done
  sql_files=("${keep[@]}")
  keep=()
  for f in "${shell_files[@]}"; do [[ $f =~ $PATHWAY_TEST_ONLY ]] && keep+=("$f"); done
  shell_files=("${keep[@]}")
fi

passed=0
failed=0
status=0

if (( ${#sql_files[@]} > 0 )); then
  echo
  echo "==> pgTAP: ${#sql_files[@]} file(s) in test/sql"
  rc=0
  pg_prove -h 127.0.0.1 -p "$port" -U postgres -d "$db" --timer --failures --comments \
    "${sql_files[@]}" 2>&1 | tee "$work/sql.out" || rc=$?
  read -r p f < <(count_results "$work/sql.out" "${#sql_files[@]}" "$rc")
  (( rc == 0 && f == 0 )) || status=1
  passed=$(( passed + p )); failed=$(( failed + f ))
else
  echo "==> no pgTAP files in test/sql"
fi

if (( ${#shell_files[@]} > 0 )); then
  echo
  echo "==> shell: ${#shell_files[@]} file(s) in test/shell"
  rc=0
  prove --exec bash --timer --failures --comments ${PATHWAY_TEST_VERBOSE:+--verbose} \
    "${shell_files[@]}" 2>&1 | tee "$work/shell.out" || rc=$?
  read -r p f < <(count_results "$work/shell.out" "${#shell_files[@]}" "$rc")
  (( rc == 0 && f == 0 )) || status=1
  passed=$(( passed + p )); failed=$(( failed + f ))
else
  echo "==> no shell tests in test/shell"
fi

echo
if (( status != 0 )); then
  show_log
  echo "Result: FAIL"
else
  echo "Result: PASS"
fi
echo "$passed passed, $failed failed"
exit "$status"
