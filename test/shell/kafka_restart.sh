#!/usr/bin/env bash
# Exactly once through crashes: 20000 JSON messages are produced in bursts
# while the engine worker consumes them, at most 1000 an epoch (each row is
# also copied to an audit table by an AFTER INSERT trigger that pauses 10 ms
# every 100 offsets, so the worker lags behind and the crashes hit it in
# the middle of its work).  The worker is killed with kill -9 (a crash
# restart of the server); later the server is stopped with -m immediate
# (crash recovery at the next start) and the last burst is produced while
# it is down.  Afterwards the stream table holds every message of the topic
# exactly once, at its partition and offset; the live views over it are
# exact; the trigger ran once per message; and no message became a dead
# letter (a replayed one would: (partition, offset) is the primary key).
# A source created with "auto.offset.reset": "latest" keeps its starting
# point across the restarts: what is produced to it while the server is
# down lands once it is back.
#
# Own cluster (never the shared one): a port in 61470-61479; own Kafka mock.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/kafka.sh"

db=kafka_restart
work=$(mktemp -d)
N=20000
BURST=5000
PRODUCER_PID=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $PRODUCER_PID ]] && kill -0 "$PRODUCER_PID" 2>/dev/null; then
    kill "$PRODUCER_PID" 2>/dev/null || true
    wait "$PRODUCER_PID" 2>/dev/null || true
  fi
  if ((rc != 0)); then
    own_cluster_log 30
    kafka_log 20
  fi
  kafka_stop
  own_cluster_stop
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() {
  sql -d "$db" -F '|' -c "$1"
}

engine_pid() {
  sql -d postgres -c "SELECT pid FROM pg_stat_activity
                       WHERE backend_type = 'pathway engine worker' AND datname = '$db'
                       ORDER BY backend_start LIMIT 1" 2>/dev/null
}
has_engine() { [[ -n $(engine_pid) ]]; }
server_up() { sql -d "$db" -c "SELECT 1" >/dev/null 2>&1; }
landed() { q "SELECT count(*) FROM events" 2>/dev/null; }
# landed_over N: more than N rows in the stream table
landed_over() { local n; n=$(landed) && ((n > $1)); }

# produce_range FROM TO: messages {"id": i, "grp": i % 7}, in bursts of
# BURST with a pause between them; each burst's last id goes to $work/produced
produce_range() {
  local from
  for ((from = $1; from <= $2; from += BURST)); do
    seq "$from" $((from + BURST - 1)) |
      awk '{ printf "{\"id\":%d,\"grp\":%d}\n", $1, $1 % 7 }' |
      kafka_produce events || return 1
    echo $((from + BURST - 1)) >"$work/produced"
    sleep 0.5
  done
}
produced() { cat "$work/produced" 2>/dev/null || echo 0; }

tap_plan 20
own_cluster_start kafka "pathway.max_epoch_changes = 1000"
echo "# own cluster $OWN_DIR on port $OWN_PORT"
kafka_start 3 || tap_bail "the Kafka mock did not start"
kafka_cmd topic events 4 || tap_bail "could not create topic events"
kafka_cmd topic late 1 || tap_bail "could not create topic late"
seq -f 'old%g' 1 5 | kafka_produce late || tap_bail "could not produce to late"

sql -d postgres -c "CREATE DATABASE $db"
sql -d "$db" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pathway;
SELECT pathway.create_kafka_source('events', '$KAFKA_BROKERS', 'events', 'json', 'id int, grp int');
CREATE TABLE audit (id int, kafka_partition int, kafka_offset bigint);
CREATE FUNCTION audit_event() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    INSERT INTO audit VALUES (NEW.id, NEW.kafka_partition, NEW.kafka_offset);
    IF NEW.kafka_offset % 100 = 0 THEN
        PERFORM pg_sleep(0.01);
    END IF;
    RETURN NULL;
END \$\$;
CREATE TRIGGER audit AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION audit_event();
SELECT pathway.create_view('by_grp', 'SELECT grp, count(*) AS n, sum(id) AS s FROM events GROUP BY grp');
SELECT pathway.create_view('total', 'SELECT count(*) AS n, sum(id) AS s FROM events');
SELECT pathway.create_kafka_source('late', '$KAFKA_BROKERS', 'late', 'text', NULL, '{"auto.offset.reset": "latest"}');
SQL
rc=0
sql -d "$db" -c "SELECT pathway.sync(NULL, '20s')" >/dev/null || rc=1
tap_ok "$rc" "source and views created and synced"
late_started() { [[ $(q "SELECT positions FROM pathway.sources WHERE name = 'late'") == '{"0": 5}' ]]; }
rc=0
wait_until 15 late_started || rc=1
tap_ok "$rc" "latest: the starting point (the end, offset 5) is committed before any message lands"

# all but the last burst now, while the worker consumes; the last one
# while the server is down
echo 0 >"$work/produced"
produce_range 1 $((N - BURST)) &
PRODUCER_PID=$!

# --- kill -9 of the engine worker while it consumes
rc=0
wait_until 20 landed_over 3000 || rc=1
pid=$(engine_pid)
if ((rc == 0)) && [[ $pid =~ ^[0-9]+$ ]]; then
  tap_diag "kill -9 of the engine worker: $(landed) rows landed, $(produced) produced"
  kill -9 "$pid" || rc=1
else
  rc=1
  tap_diag "no engine worker consuming: $(landed) rows landed, pid '${pid:-}'"
fi
tap_ok "$rc" "kill -9 of the engine worker while it consumes"
rc=0
wait_until 60 server_up || rc=1
wait_until 30 has_engine || rc=1
tap_ok "$rc" "the server and an engine worker are back after the crash restart"

# --- immediate shutdown once the new worker made progress
rc=0
base=$(landed) || base=0
wait_until 20 landed_over $((base + 2000)) || rc=1
tap_ok "$rc" "the new worker goes on consuming ($base rows at its start)"
tap_diag "pg_ctl stop -m immediate: $(landed) rows landed, $(produced) produced"
rc=0
as_pg "$TAP_PGBIN/pg_ctl" -D "$OWN_DIR" -m immediate -w -t 30 stop >/dev/null 2>&1 || rc=1
tap_ok "$rc" "pg_ctl stop -m immediate while it consumes"
rc=0
wait_pid "$PRODUCER_PID" 40 || rc=$?
PRODUCER_PID=
((rc == 0)) && produce_range $((N - BURST + 1)) "$N" || rc=1
seq -f 'new%g' 1 2 | kafka_produce late || rc=1
tap_is "$rc $(produced)" "0 $N" "kcat produced all $N messages, the last $BURST (and 2 to late) while the server was down"
rc=0
bash "$PATHWAY_CLUSTER" restart "$OWN_DIR" >&2 || rc=1
wait_until 60 server_up || rc=1
tap_ok "$rc" "the server starts again after the immediate stop"

synced=1
deadline=$((SECONDS + 30))
while ((SECONDS < deadline)); do
  if sql -d "$db" -c "SELECT pathway.sync(NULL, '10s')" >/dev/null 2>"$work/sync.err"; then
    synced=0
    break
  fi
  sleep 0.5
done
tap_ok "$synced" "pathway.sync() succeeds once the worker is back (retried up to 30 s)"
((synced == 0)) || tap_diag "$(cat "$work/sync.err")"

# --- exactly once
kafka_consume events $((N + 1)) -f '%p %o %s\n' |
  sed -E 's/^([0-9]+) ([0-9]+) \{"id":([0-9]+),.*/\1 \2 \3/' | sort -n -k1,1 -k2,2 >"$work/topic"
tap_is "$(wc -l <"$work/topic")" "$N" "the topic holds $N messages"
tap_is "$(q "SELECT count(*), count(DISTINCT (kafka_partition, kafka_offset)), count(DISTINCT id), sum(id) FROM events")" \
  "$N|$N|$N|$((N * (N + 1) / 2))" "the stream table holds $N rows, each message once"
q "SELECT kafka_partition || ' ' || kafka_offset || ' ' || id FROM events ORDER BY kafka_partition, kafka_offset" >"$work/table"
if cmp -s "$work/topic" "$work/table"; then
  tap_ok 0 "every row is at the partition and offset kcat reports for its message"
else
  tap_ok 1 "every row is at the partition and offset kcat reports for its message"
  tap_diag "$(diff "$work/topic" "$work/table" | head -n 10)"
fi
tap_is "$(q "SELECT positions FROM pathway.sources WHERE name = 'events'")" \
  "$(awk '{ if ($2 + 1 > end[$1]) end[$1] = $2 + 1 } END { for (p in end) print p, end[p] }' "$work/topic" |
    sort -n | awk '{ s = s (NR > 1 ? ", " : "") "\"" $1 "\": " $2 } END { print "{" s "}" }')" \
  "the committed positions are the topic's end offsets"
tap_is "$(q "SELECT n, s FROM total")" "$N|$((N * (N + 1) / 2))" "the live view's count(*) and sum(id) are exact"
tap_is "$(check_view "$db" by_grp "SELECT i % 7 AS grp, count(*) AS n, sum(i) AS s FROM generate_series(1, $N) i GROUP BY 1")" "0 0" \
  "the live GROUP BY view equals the expected groups (EXCEPT ALL both ways)"
tap_is "$(q "SELECT count(*) FROM pathway.check_view('by_grp')") $(q "SELECT count(*) FROM pathway.check_view('total')")" "0 0" \
  "pathway.check_view is empty for both views"
tap_is "$(q "SELECT count(*) FROM pathway.dead_letters")" 0 "no dead letters (nothing was landed twice)"
tap_is "$(q "SELECT count(*) FROM (TABLE audit EXCEPT ALL SELECT id, kafka_partition, kafka_offset FROM events) a") $(q "SELECT count(*) FROM audit")" "0 $N" \
  "the AFTER INSERT trigger ran exactly once per landed row"
tap_is "$(q "SELECT string_agg(value || '@' || kafka_offset, ' ' ORDER BY kafka_offset) FROM late")" "new1@5 new2@6" \
  "latest: the messages produced while the server was down landed after the restart, nothing before the start"
problems=$(grep -E 'pathway: rebuilding view|pathway: view ".*" failed|PANIC' "$OWN_DIR/log" || true)
tap_is "$(grep -c 'pathway engine worker.*terminated by signal 9' "$OWN_DIR/log" || true) ${problems:-none}" "1 none" \
  "the server log shows the kill, and no failed view, rebuild or PANIC"
tap_done
