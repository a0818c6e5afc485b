# Helpers shared by the bench/ scripts (sourced, not run).
#
#   bench_start PORT [postgresql.conf line...]
#       make install (into the PostgreSQL of PATHWAY_PGBIN, default the
#       system's 15), a fresh throwaway cluster on 127.0.0.1:PORT (stopped and
#       removed on exit), database "bench" with the extension, PG* exported;
#       BENCH_PG_CONF="a = 1;b = 2" appends postgresql.conf lines (experiments)
#   q SQL                  run SQL, print the unaligned result
#   ms SQL...              run the statements in one session, print each one's
#                          client-side time in ms (psql \timing), space-separated
#   worker_pid             pid of the engine worker
#   rss_anon_kb [PID]      RssAnon of the worker (private memory, kB)
#   median / pct P         of numbers on stdin, one a line (nearest rank)
#   quick                  true when BENCH_QUICK is set (small, short runs)
#   note MSG               progress on stderr (stdout carries only the tables)

PGBIN=${PATHWAY_PGBIN:-/usr/lib/postgresql/15/bin}
pgbench=$PGBIN/pgbench

pg_config_libdir() { "$PGBIN/pg_config" --pkglibdir 2>/dev/null || pg_config --pkglibdir; }

quick() { [[ -n ${BENCH_QUICK:-} && ${BENCH_QUICK:-} != 0 ]]; }

note() { printf '%s [%s] %s\n' "$(date +%T)" "$(basename "$0" .sh)" "$*" >&2; }

bench_start() {
  local port=$1
  shift
  bench_dir=/tmp/pathway-bench-$port   # from here on, bench_cleanup stops it
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=bench \
         PGOPTIONS="-c client_min_messages=warning"
  make -s install PG_CONFIG="$PGBIN/pg_config" >/dev/null
  bench_so=$(pg_config_libdir)/pathway.so
  bench_so_sum=$(md5sum <"$bench_so")
  local extra=()
  [[ -n ${BENCH_PG_CONF:-} ]] && IFS=';' read -r -a extra <<<"$BENCH_PG_CONF"
  # no memory bound: the largest runs hold more than pathway.max_memory's default
  bash test/cluster.sh start "$bench_dir" "$port" "pathway.max_memory = -1" "$@" "${extra[@]}" >/dev/null
  createdb bench
  q "CREATE EXTENSION pathway" >/dev/null
}

# Background jobs registered here (by pid) are ended on exit.
bench_pids=()
bench_tmp=$(mktemp -d /tmp/pathway-bench-tmp.XXXXXX)
trap bench_cleanup EXIT

bench_cleanup() {
  local p rc=$?
  set +e
  for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${bench_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -n ${bench_dir:-} ]]; then
    # anything that went wrong in the engine shows up here, not in the tables
    psql -XqAt -c "SELECT 'FAILED VIEW ' || name || ': ' || coalesce(error, '') FROM pathway.views WHERE status = 'failed'" \
      2>/dev/null | while read -r l; do note "$l"; done
    grep -aE 'PANIC|TRAP|terminated by signal|ERROR|FATAL|WARNING' "$bench_dir/log" 2>/dev/null |
      grep -avE 'due to administrator command|canceling statement due to user request' | head -n 20 | while read -r l; do note "server log: $l"; done
    bash test/cluster.sh stop "$bench_dir" >/dev/null 2>&1
    # another checkout's "make install" while we ran: a restart would load it
    [[ $(md5sum <"$bench_so" 2>/dev/null) == "$bench_so_sum" ]] ||
      note "warning: $bench_so was replaced during this run (another make install?)"
  fi
  rm -rf -- "$bench_tmp"
  exit "$rc"
}

q() { psql -XqAt -v ON_ERROR_STOP=1 -c "$1"; }

ms() {
  local out a args=()
  for a in "$@"; do args+=(-c "$a"); done
  out=$(psql -XqAt -v ON_ERROR_STOP=1 -o /dev/null -c '\timing on' "${args[@]}") || return 1
  sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | paste -sd ' '
}

worker_pid() {
  q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pathway engine worker' AND datname = current_database()"
}

rss_anon_kb() {
  local pid=${1:-$(worker_pid)}
  awk '/^RssAnon:/ {print $2}' "/proc/$pid/status"
}

median() {
  sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}

# nearest-rank percentile: pct 99 < numbers
pct() {
  sort -g | awk -v p="$1" '{a[NR]=$1} END {if (NR == 0) {print "nan"; exit}
    r = int((p / 100) * NR + 0.999999); if (r < 1) r = 1; if (r > NR) r = NR; print a[r]}'
}

# fmt NUMBER [decimals]
fmt() { LC_ALL=C printf "%.${2:-1}f" "$1"; }

# ratio A B -> "A/B" formatted as 1.23x
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0) print "n/a"; else printf "%.2fx", a / b}'; }

# words "1 2 3" -> one a line
lines() { tr ' ' '\n' <<<"$1" | grep .; }
