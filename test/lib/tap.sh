# Helpers for the TAP-emitting tests in test/shell.  Sourced, never run:
# prove only runs test/shell/*.sh, so this file is not mistaken for a test.
#
#   tap_plan N                 print "1..N"
#   tap_ok COND DESC           COND is 0 (pass) or anything else (fail)
#   tap_is GOT WANT DESC       string equality, with diagnostics on failure
#   tap_diag TEXT...           "# line" on stderr for every line (prove shows it)
#   tap_bail TEXT              "Bail out!" and exit 1
#   tap_done                   exit status: 0 only if every planned test passed
#
#   sql [psql args...]         psql -X -q -At -v ON_ERROR_STOP=1 (stdin or -c)
#   wait_until SECS CMD...     run CMD every 0.2 s until it succeeds or SECS pass
#   own_cluster_start NAME [conf...]   throwaway cluster on a free port in
#                              61470-61479; sets OWN_DIR, OWN_PORT and exports
#                              PGHOST/PGPORT/PGUSER to point at it
#   own_cluster_stop           stop and remove it (safe to call twice)
#   own_cluster_log [N]        its log's last N lines as diagnostics
#   as_pg CMD...               run a server binary as the postgres user
#   check_view DB VIEW QUERY   rows of VIEW minus QUERY and QUERY minus VIEW
#                              (EXCEPT ALL), printed as "extra missing"
#   show_view_diff DB VIEW QUERY   a few differing rows, as diagnostics
#   worker_count DB, has_worker DB, has_no_worker DB, wait_no_worker DB SECS
#                              the 'pathway engine worker' rows of DB in
#                              pg_stat_activity
#   drop_pathway_db DB         DROP EXTENSION, wait for the worker, DROP DATABASE
#   wait_pid PID SECS          wait for a child; kill it after SECS; its status
#   log_mark FILE              the size of a server log now (0 if unreadable)
#   log_since FILE MARK        what the log got since log_mark
#   engine_log_problems TEXT   its crash / rebuild / failed-view lines

TAP_PLANNED=0
TAP_N=0
TAP_FAILED=0
TAP_PGBIN=${PATHWAY_PGBIN:-/usr/lib/postgresql/15/bin}
: "${PATHWAY_CLUSTER:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/cluster.sh}"

tap_plan() {
  TAP_PLANNED=$1
  echo "1..$1"
}

tap_diag() {
  local line
  printf '%s\n' "$@" | while IFS= read -r line; do
    printf '# %s\n' "$line" >&2
  done
}

tap_ok() {
  local cond=$1 desc=$2
  TAP_N=$((TAP_N + 1))
  if [[ $cond == 0 ]]; then
    echo "ok $TAP_N - $desc"
  else
    echo "not ok $TAP_N - $desc"
    TAP_FAILED=$((TAP_FAILED + 1))
  fi
}

tap_is() {
  local got=$1 want=$2 desc=$3
  if [[ $got == "$want" ]]; then
    tap_ok 0 "$desc"
  else
    tap_ok 1 "$desc"
    tap_diag "     got: '$got'" "expected: '$want'"
  fi
}

tap_bail() {
  echo "Bail out! $*"
  exit 1
}

tap_done() {
  if ((TAP_N != TAP_PLANNED)); then
    tap_diag "planned $TAP_PLANNED tests but ran $TAP_N"
    return 1
  fi
  ((TAP_FAILED == 0))
}

sql() {
  psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

wait_until() {
  local secs=$1 deadline
  shift
  deadline=$((SECONDS + secs))
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# wait_output SECS WANT CMD...: run CMD again until it prints WANT (a
# "$(...)" in wait_until's arguments is evaluated once, before the wait)
wait_output() {
  local secs=$1 want=$2 deadline
  shift 2
  deadline=$((SECONDS + secs))
  while :; do
    [[ $("$@" 2>/dev/null) == "$want" ]] && return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

wait_pid() {
  local pid=$1 deadline=$((SECONDS + $2)) rc=0
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    tap_diag "process $pid still running after $2 s: killing it"
    kill "$pid" 2>/dev/null || true
  fi
  wait "$pid" || rc=$?
  return "$rc"
}

log_mark() {
  if [[ -r $1 ]]; then stat -c %s "$1"; else echo 0; fi
}

log_since() {
  [[ -r $1 ]] || return 0
  tail -c "+$(($2 + 1))" "$1"
}

# engine_log_problems LOGTEXT: crashes, rebuilds after an internal
# inconsistency, and failed views, one line each (empty: none).
engine_log_problems() {
  grep -E 'terminated by signal|pathway: rebuilding view|pathway: view ".*" failed|PANIC' <<<"$1" || true
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

OWN_DIR=
OWN_PORT=

# Run a server binary as the postgres user when we are root (as cluster.sh does).
as_pg() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

own_cluster_start() {
  local name=$1 p
  shift
  OWN_PORT=
  # PATHWAY_OWN_PORTS: another range, so that two checkouts can test at once
  for p in ${PATHWAY_OWN_PORTS:-61470 61471 61472 61473 61474 61475 61476 61477 61478 61479}; do
    if port_free "$p"; then
      OWN_PORT=$p
      break
    fi
  done
  [[ -n $OWN_PORT ]] || tap_bail "no free port in 61470-61479"
  OWN_DIR=/tmp/pathway-crash-$name-$$
  if ! bash "$PATHWAY_CLUSTER" start "$OWN_DIR" "$OWN_PORT" "$@" >&2; then
    tap_bail "could not start a cluster in $OWN_DIR on port $OWN_PORT"
  fi
  export PGHOST=127.0.0.1 PGPORT=$OWN_PORT PGUSER=postgres
}

own_cluster_stop() {
  if [[ -n $OWN_DIR ]]; then
    bash "$PATHWAY_CLUSTER" stop "$OWN_DIR" >&2 || true
    OWN_DIR=
  fi
}

# Print the server log of the own cluster (tail) as diagnostics.
own_cluster_log() {
  [[ -n $OWN_DIR && -f $OWN_DIR/log ]] || return 0
  tap_diag "--- last ${1:-40} lines of $OWN_DIR/log"
  tap_diag "$(tail -n "${1:-40}" "$OWN_DIR/log")"
}

# Rows of the view not in the query, then rows of the query not in the view.
check_view() {
  local db=$1 view=$2 query=$3
  sql -d "$db" -F ' ' -c "
    SELECT (SELECT count(*) FROM (TABLE $view EXCEPT ALL ($query)) a),
           (SELECT count(*) FROM (($query) EXCEPT ALL TABLE $view) b)"
}

# Show a few differing rows (diagnostics for a failed check_view).
show_view_diff() {
  local db=$1 view=$2 query=$3
  tap_diag "$(sql -d "$db" -F ' | ' -c "
    (SELECT 'view only' AS side, d::text FROM (TABLE $view EXCEPT ALL ($query)) d LIMIT 5)
    UNION ALL
    (SELECT 'query only', d::text FROM (($query) EXCEPT ALL TABLE $view) d LIMIT 5)" 2>&1)"
}

worker_count() {
  sql -d postgres -c "SELECT count(*) FROM pg_stat_activity
                       WHERE backend_type = 'pathway engine worker' AND datname = '$1'"
}

has_worker() { [[ $(worker_count "$1") -ge 1 ]]; }
has_no_worker() { [[ $(worker_count "$1") == 0 ]]; }

wait_no_worker() {
  wait_until "$2" has_no_worker "$1"
}

# Drop a database that may have the extension (hence a slot and a worker).
drop_pathway_db() {
  local db=$1
  sql -d "$db" -c "DROP EXTENSION IF EXISTS pathway CASCADE" >/dev/null 2>&1 || true
  wait_no_worker "$db" 15 || tap_diag "engine worker of $db still running before DROP DATABASE"
  sql -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 ||
    tap_diag "could not drop database $db"
}
