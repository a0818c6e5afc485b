#!/usr/bin/env bash
# Throwaway PostgreSQL 15 clusters for tests and the demo.
#
#   cluster.sh start   DIR PORT [postgresql.conf line...]   fresh cluster, started
#   cluster.sh restart DIR                                   restart, keeping data
#   cluster.sh stop    DIR                                   stop and remove DIR
#
# The server runs as the unprivileged "postgres" user (initdb refuses root),
# listens on 127.0.0.1:PORT and on a socket in DIR, trusts every local
# connection and logs to DIR/log. Extra conf lines are appended last, so they
# override the defaults: "shared_preload_libraries=''" starts without pathway.
set -euo pipefail

PGBIN=${PATHWAY_PGBIN:-/usr/lib/postgresql/15/bin}

die() { echo "cluster: $*" >&2; exit 1; }

usage() {
  sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# Run a server binary as postgres when we are root, else as ourselves.
# cd / so the postgres user never inherits a cwd it cannot read.
as_pg() {
  if (( EUID == 0 )); then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

abs_dir() {
  local d=$1
  [[ -n $d ]] || die "empty DIR"
  [[ $d == /* ]] || d="$PWD/$d"
  d=${d%/}
  # Guard the rm -rf below against typos such as "/" or "/tmp".
  [[ $d == /*/* ]] || die "refusing to use '$1' as a cluster dir (too close to /)"
  [[ $d != *"'"* ]] || die "cluster dir must not contain a single quote"
  printf '%s\n' "$d"
}

# Only remove directories that are empty, look like a cluster, or carry our name.
safe_remove() {
  local d=$1
  [[ -e $d ]] || return 0
  if [[ -f $d/PG_VERSION || $(basename "$d") == pathway-* ]] || [[ -z $(ls -A "$d") ]]; then
    rm -rf -- "$d"
  else
    die "refusing to remove $d: not empty and not a PostgreSQL data dir"
  fi
}

is_running() {
  local pid state
  pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  # A killed postmaster lingers as a zombie when nothing reaps it; that is down.
  state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d ' ' -f 1) || return 1
  [[ -n $state && $state != Z ]]
}

stop_server() {
  local d=$1
  is_running "$d" || return 0
  as_pg "$PGBIN/pg_ctl" -D "$d" -m fast -w -t 60 stop >/dev/null 2>&1 ||
    as_pg "$PGBIN/pg_ctl" -D "$d" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
    echo "cluster: warning: could not stop server in $d" >&2
}

start_server() {
  local d=$1
  # postgres itself would refuse lock files naming a zombie postmaster.
  if [[ -f $d/postmaster.pid ]] && ! is_running "$d"; then
    rm -f -- "$d/postmaster.pid" "$d"/.s.PGSQL.*.lock
  fi
  if ! as_pg "$PGBIN/pg_ctl" -D "$d" -l "$d/log" -w -t 60 start >/dev/null; then
    echo "cluster: server in $d failed to start; last lines of $d/log:" >&2
    tail -n 40 "$d/log" >&2 2>/dev/null || true
    exit 1
  fi
}

cmd_start() {
  (( $# >= 2 )) || usage
  local dir port parent
  dir=$(abs_dir "$1")
  port=$2
  shift 2
  if ! [[ $port =~ ^[0-9]+$ ]] || (( port < 1 || port > 65535 )); then
    die "bad port '$port'"
  fi
  [[ -x $PGBIN/initdb ]] || die "$PGBIN/initdb not found; run 'make deps'"
  if (( EUID == 0 )); then
    id postgres >/dev/null 2>&1 || die "no 'postgres' user; run 'make deps'"
  fi

  # A leftover server from an interrupted run would hold the port and the dir.
  [[ -d $dir ]] && stop_server "$dir"
  safe_remove "$dir"

  parent=$(dirname "$dir")
  if [[ ! -d $parent ]]; then
    mkdir -p "$parent"
    if (( EUID == 0 )); then chown postgres: "$parent"; fi
  fi
  mkdir -m 700 "$dir"
  if (( EUID == 0 )); then chown postgres: "$dir"; fi
  as_pg test -w "$dir" || die "the postgres user cannot write $dir (check permissions of $parent)"

  local initdb_out
  if ! initdb_out=$(as_pg "$PGBIN/initdb" -D "$dir" -U postgres -A trust \
      -E UTF8 --no-locale --no-sync 2>&1); then
    echo "$initdb_out" >&2
    die "initdb failed in $dir"
  fi

  {
    echo
    echo "# pathway test settings"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$dir'"
    echo "shared_preload_libraries = 'pathway'"
    echo "wal_level = logical"
    echo "max_replication_slots = 10"
    echo "max_wal_senders = 10"
    echo "max_worker_processes = 32"
    echo "fsync = off"
    echo "synchronous_commit = on"
    echo "log_min_messages = warning"
    if (( $# > 0 )); then
      echo "# extra settings (override the above)"
      printf '%s\n' "$@"
    fi
  } >>"$dir/postgresql.conf"

  start_server "$dir"
  echo "cluster: started $dir on 127.0.0.1:$port (log: $dir/log)"
}

cmd_restart() {
  (( $# == 1 )) || usage
  local dir
  dir=$(abs_dir "$1")
  [[ -f $dir/PG_VERSION ]] || die "$dir is not a cluster dir"
  stop_server "$dir"
  start_server "$dir"
}

cmd_stop() {
  (( $# == 1 )) || usage
  local dir
  dir=$(abs_dir "$1")
  [[ -d $dir ]] || return 0
  stop_server "$dir"
  safe_remove "$dir"
}

(( $# >= 1 )) || usage
sub=$1
shift
case $sub in
  start) cmd_start "$@" ;;
  restart) cmd_restart "$@" ;;
  stop) cmd_stop "$@" ;;
  *) usage ;;
esac
