#!/usr/bin/env bash
# pathway.max_memory bounds the engine worker.  A self-join of 3,000 rows
# (9M result rows, produced inside one graph step) fails its view, both in
# an epoch and in a build, while the worker's peak RSS stays near the limit;
# another view stays correct; a restart (with the limit raised) and a kill -9
# of the worker leave the failed views failed with their errors and do not
# build them again.  A
# build in progress shows what it holds in state_bytes; the memory a large
# build used for a while, and a large view once dropped, goes back to the
# kernel.
#
# Own cluster (it is restarted, with its own limit): a port in 61470-61479.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

db=mem
GATE_PID=

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $GATE_PID ]]; then kill "$GATE_PID" 2>/dev/null || true; wait "$GATE_PID" 2>/dev/null || true; fi
  if ((rc != 0 || TAP_FAILED != 0)); then own_cluster_log 30; fi
  own_cluster_stop
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tap_plan 23
own_cluster_start memory "pathway.max_memory = '64MB'"
echo "# own cluster $OWN_DIR on port $OWN_PORT"
sql -d postgres -c "CREATE DATABASE $db"
sql -d "$db" -c "CREATE EXTENSION pathway"
export PGDATABASE=$db

worker_pid() { sql -c "SELECT pid FROM pathway._epoch_state()"; }
# a field of /proc/PID/status, in kB
proc_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
view_status() { sql -c "SELECT status FROM pathway.views WHERE name = '$1'"; }
is_failed() { [[ $(view_status "$1") == failed ]]; }

# --- the setting
tap_is "$(sql -c "SELECT boot_val || unit || ' ' || setting || ' ' || context FROM pg_settings WHERE name = 'pathway.max_memory'")" \
  "1048576kB 65536 sighup" "pathway.max_memory: 1GB by default, in kB, set per server (here 64MB)"
out=$(sql -c "ALTER SYSTEM SET pathway.max_memory = '512kB'" 2>&1 || true)
rc=0
[[ $out == *'invalid value for parameter "pathway.max_memory"'* && $out == *'must be -1 (no limit) or at least 1MB'* ]] || rc=1
sql -c "ALTER SYSTEM SET pathway.max_memory = -1" -c "ALTER SYSTEM RESET pathway.max_memory" || rc=1
tap_ok "$rc" "a limit under 1MB is refused, -1 (no limit) is accepted"
[[ $rc == 0 ]] || tap_diag "$out"

# --- a small view that must survive everything below
sql <<'SQL'
CREATE TABLE s (id int PRIMARY KEY, v int);
INSERT INTO s SELECT i, i % 10 FROM generate_series(1, 1000) i;
SELECT pathway.create_view('small', 'SELECT v, count(*) AS n, sum(id) AS total FROM s GROUP BY v');
CREATE TABLE j (id int, g int);
SELECT pathway.create_view('big', 'SELECT a.id, b.id AS id2 FROM j a JOIN j b ON a.g = b.g');
CREATE TABLE j2 (id int, g int);
SELECT pathway.create_view('big2', 'SELECT a.id, b.id AS id2 FROM j2 a JOIN j2 b ON a.g = b.g');
SELECT pathway.sync();
SQL
small_q='SELECT v, count(*) AS n, sum(id) AS total FROM s GROUP BY v'
pid=$(worker_pid)

# --- in an epoch: 3,000 rows in one transaction, 9M join rows in one step
sql -c "INSERT INTO j SELECT i, 1 FROM generate_series(1, 3000) i"
rc=0
wait_until 30 is_failed big || rc=1
tap_ok "$rc" "the 9M-row self-join fails in its epoch (within 30 s)"
big_error=$(sql -c "SELECT error FROM pathway.views WHERE name = 'big'")
re='^live view "public\.big" exceeds pathway\.max_memory \(64MB\) in its epoch: the view holds [0-9]+ MB, the engine worker [0-9]+ MB: A view that passes the limit fails and is not built again, not even after a restart, until it is recreated\.$'
rc=0
[[ $big_error =~ $re ]] || rc=1
tap_ok "$rc" "its error names the view, what it holds and the setting"
[[ $rc == 0 ]] || tap_diag "error: $big_error"

# --- in a build: TRUNCATE makes the view rebuild from the 3,000 rows
sql -c "BEGIN" -c "TRUNCATE j2" -c "INSERT INTO j2 SELECT i, 1 FROM generate_series(1, 3000) i" -c "COMMIT"
rc=0
wait_until 30 is_failed big2 || rc=1
big2_error=$(sql -c "SELECT error FROM pathway.views WHERE name = 'big2'")
re='^live view "public\.big2" exceeds pathway\.max_memory \(64MB\) in its build: the view holds [0-9]+ MB, the engine worker [0-9]+ MB: A view that passes the limit fails and is not built again, not even after a restart, until it is recreated\.$'
[[ $big2_error =~ $re ]] || rc=1
tap_ok "$rc" "the same join fails in its build, with its error"
[[ $rc == 0 ]] || tap_diag "error: $big2_error"

out=$(sql -c "SELECT pathway.sync('big2')" 2>&1 || true)
rc=0
[[ $out == *'live view "big2" has failed'* && $out == *'exceeds pathway.max_memory'* ]] || rc=1
tap_ok "$rc" "pathway.sync() on it reports the failure and its cause"
[[ $rc == 0 ]] || tap_diag "$out"

hwm=$(proc_kb "$pid" VmHWM)
rc=0
((hwm < 196608)) || rc=1
tap_ok "$rc" "the worker's peak RSS stayed under 192MB (the limit is 64MB; unbounded, this join takes GBs)"
tap_diag "worker peak RSS: ${hwm} kB"

# --- the other view goes on
sql -c "INSERT INTO s SELECT i, i % 7 FROM generate_series(1001, 1500) i" \
  -c "UPDATE s SET v = v + 1 WHERE id % 3 = 0" -c "DELETE FROM s WHERE id % 11 = 0"
rc=0
sql -c "SELECT pathway.sync('small')" >/dev/null || rc=1
tap_ok "$rc" "pathway.sync('small') succeeds after the big views failed"
tap_is "$(check_view "$db" small "$small_q")" "0 0" "the small view equals its query"
tap_is "$(view_status small)" "running" "the small view is running"

# --- restart, with the limit raised: the failed views stay failed
echo "pathway.max_memory = '512MB'" >>"$OWN_DIR/postgresql.conf"
mark=$(log_mark "$OWN_DIR/log")
bash "$PATHWAY_CLUSTER" restart "$OWN_DIR" >&2
rc=0
# adoption builds every starting view before the epoch that syncs 'small'
wait_until 30 sql -c "SELECT pathway.sync('small')" || rc=1
tap_ok "$rc" "after the restart pathway.sync('small') succeeds"
tap_is "$(sql -c "SELECT status || ' ' || (build_rows_done IS NULL) FROM pathway.views WHERE name IN ('big', 'big2') ORDER BY name")" \
  "failed true
failed true" "both big views are still failed, and not being built"
tap_is "$(sql -c "SELECT error FROM pathway.views WHERE name = 'big'")" "$big_error" "big keeps its error"
tap_is "$(sql -c "SELECT error FROM pathway.views WHERE name = 'big2'")" "$big2_error" "big2 keeps its error"
since=$(log_since "$OWN_DIR/log" "$mark")
tap_is "$(grep -c 'exceeds pathway.max_memory\|terminated by signal' <<<"$since" || true)" "0" \
  "the restarted worker built neither (no new memory error, no crash in the log)"
pid=$(worker_pid)
hwm=$(proc_kb "$pid" VmHWM)
rc=0
((hwm < 65536)) || rc=1
tap_ok "$rc" "the restarted worker's peak RSS stays under 64MB"
tap_diag "restarted worker peak RSS: ${hwm} kB"
tap_is "$(check_view "$db" small "$small_q")" "0 0" "the small view equals its query after the restart"

# --- kill -9 of the worker (what the OOM killer does): a crash restart of
# the cluster, and again neither view is built
mark=$(log_mark "$OWN_DIR/log")
kill -9 "$pid"
rc=0
wait_until 60 sql -c "SELECT pathway.sync('small')" || rc=1
[[ $(sql -c "SELECT string_agg(status, ' ' ORDER BY name) FROM pathway.views WHERE name IN ('big', 'big2')") == "failed failed" ]] || rc=1
[[ $(sql -c "SELECT error FROM pathway.views WHERE name = 'big'") == "$big_error" ]] || rc=1
tap_ok "$rc" "after kill -9 of the worker and the crash restart both big views are still failed with their errors"
since=$(log_since "$OWN_DIR/log" "$mark")
pid=$(worker_pid)
rc=0
[[ $(grep -c 'exceeds pathway.max_memory' <<<"$since" || true) == 0 ]] || rc=1
(($(proc_kb "$pid" VmHWM) < 65536)) || rc=1
tap_ok "$rc" "and the new worker built neither (no new memory error, peak RSS under 64MB)"
[[ $rc == 0 ]] || tap_diag "new worker peak RSS: $(proc_kb "$pid" VmHWM) kB"

base_anon=$(proc_kb "$pid" RssAnon)

# --- a build in progress counts what it holds.  The view's expression
# waits on an advisory lock at row 150,000: the build stops in its second
# chunk of 100,000 rows, after the first was consolidated.
sql <<'SQL'
CREATE TABLE w (id int, pad text);
CREATE FUNCTION gate(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF i = 150000 THEN
        PERFORM pg_advisory_lock_shared(4242);
        PERFORM pg_advisory_unlock_shared(4242);
    END IF;
    RETURN i;
END $$;
SELECT pathway.create_view('wide', 'SELECT gate(id) AS id, pad FROM w');
SELECT pathway.sync('wide');
SQL
PGAPPNAME=mem_gate sql -c "SELECT pg_advisory_lock(4242)" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
GATE_PID=$!
gate_held() { [[ $(sql -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND granted") == 1 ]]; }
wait_until 10 gate_held || tap_diag "the gate's lock was not taken"
sql -c "BEGIN" -c "TRUNCATE w" -c "INSERT INTO w SELECT i, repeat('x', 300) FROM generate_series(1, 200000) i" -c "COMMIT"
building() {
  [[ $(sql -c "SELECT status = 'starting' AND build_rows_done >= 100000 AND state_rows >= 100000
                        AND state_bytes > 30000000
                 FROM pathway.views WHERE name = 'wide'") == t ]]
}
rc=0
wait_until 30 building || rc=1
tap_ok "$rc" "while it is built, the view shows the rows read and the 100,000 rows (30MB+) it holds"
tap_diag "wide while built: $(sql -c "SELECT status, build_rows_done, state_rows, state_bytes FROM pathway.views WHERE name = 'wide'")"
sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mem_gate'" >/dev/null
wait "$GATE_PID" 2>/dev/null || true
GATE_PID=
rc=0
sql -c "SELECT pathway.sync('wide', '60s')" >/dev/null || rc=1
[[ $(check_view "$db" wide "SELECT id, pad FROM w") == "0 0" ]] || rc=1
tap_ok "$rc" "once the gate opens the build finishes and the view equals its query"

# --- memory goes back to the kernel: what the build and the reconciling
# epoch used for a while, and the view's own memory once it is dropped.
# (RssAnon: the worker's private memory; VmRSS also counts the shared
# buffers it touched.)
state=$(sql -c "SELECT state_bytes / 1024 FROM pathway.views WHERE name = 'wide'")
anon=$(proc_kb "$pid" RssAnon)
rc=0
((anon < state + 32768)) || rc=1
tap_ok "$rc" "after the build the worker's private memory is the view's state plus under 32MB"
tap_diag "worker RssAnon after the build: ${anon} kB, the view's state_bytes: ${state} kB"
sql -c "SELECT pathway.drop_view('wide')" -c "SELECT pathway.sync('small')" >/dev/null
after=$(proc_kb "$pid" RssAnon)
rc=0
((after < base_anon + 8192)) || rc=1
tap_ok "$rc" "dropping the view returns its memory: the worker's private memory is back within 8MB of where it was"
tap_diag "worker RssAnon before the view: ${base_anon} kB, after its drop: ${after} kB (VmRSS $(proc_kb "$pid" VmRSS) kB)"

tap_done
