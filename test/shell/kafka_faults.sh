#!/usr/bin/env bash
# Kafka sources through broker faults: with the only broker down a source
# shows status 'error' with the reason within a bounded time, and
# pathway.sync() times out with SQLSTATE 57014 naming the source; a source
# created meanwhile lands nothing and says why; once the broker is back both
# consume what is produced by themselves, exactly once.  Injected Fetch
# errors lose and repeat nothing.  New partitions are picked up within one
# metadata interval when the mock can add them (librdkafka 2.0's cannot:
# that check is skipped).  At the end, with the broker down, a sync pending
# and then the whole mock gone, DROP EXTENSION still stops the worker and
# DROP DATABASE completes, both within a bounded time.
#
# Shared cluster, own database, own Kafka mock (one broker).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/kafka.sh"

db=pathway_kafka_faults_$$
work=$(mktemp -d)
db_created=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then kafka_log 20; fi
  kafka_stop
  if ((db_created)); then drop_pathway_db "$db" >/dev/null 2>&1 || true; fi
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() {
  sql -d "$db" -F '|' -P null=NULL -c "$1"
}

produce() {
  kafka_produce "$@" || tap_bail "kcat could not produce to $1"
}

# json_ids FROM TO: {"id": i} lines
json_ids() {
  seq "$1" "$2" | awk '{ printf "{\"id\":%d}\n", $1 }'
}

# tap_skip DESC REASON: a check this setup cannot make
tap_skip() {
  TAP_N=$((TAP_N + 1))
  echo "ok $TAP_N - $1 # skip $2"
}

status_is() { [[ $(q "SELECT status FROM pathway.sources WHERE name = '$1'") == "$2" ]]; }
in_error() { [[ $(q "SELECT status = 'error' AND error <> '' FROM pathway.sources WHERE name = '$1'") == t ]]; }
not_running() { [[ $(q "SELECT status <> 'running' AND error <> '' FROM pathway.sources WHERE name = '$1'") == t ]]; }
running_clean() { [[ $(q "SELECT status || ' ' || coalesce(error, 'NULL') FROM pathway.sources WHERE name = '$1'") == "running NULL" ]]; }
rows_are() { [[ $(q "SELECT count(*) FROM $1") == "$2" ]]; }

tap_plan 20

kafka_start 1 || tap_bail "the Kafka mock did not start"
kafka_cmd topic f 2 || tap_bail "could not create topic f"
sql -d postgres -c "CREATE DATABASE $db"
db_created=1
sql -d "$db" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pathway;
SELECT pathway.create_kafka_source('f', '$KAFKA_BROKERS', 'f', 'json', 'id int');
SELECT pathway.create_view('fv', 'SELECT count(*) AS n, sum(id) AS s FROM f');
-- SQLSTATE, message and detail of a statement's error
CREATE FUNCTION kt_error(stmt text) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE
    st text;
    msg text;
    det text;
BEGIN
    EXECUTE stmt;
    RETURN '00000 no error';
EXCEPTION WHEN OTHERS OR query_canceled THEN  -- OTHERS alone does not catch 57014
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN st || ' ' || msg || ' / ' || det;
END \$\$;
SQL

json_ids 1 100 | produce f
rc=0
sql -d "$db" -c "SELECT pathway.sync(NULL, '20s')" >/dev/null || rc=1
tap_is "$rc $(q "SELECT n, s FROM fv") $(q "SELECT status || ' ' || coalesce(error, 'NULL') FROM pathway.sources WHERE name = 'f'")" \
  "0 100|5050 running NULL" "before the fault: 100 messages landed, the source running without error"

# ---------------------------------------------------------------- broker down
kafka_cmd down 1
start=$SECONDS
rc=0
wait_until 15 in_error f || rc=1
tap_ok "$rc" "with the broker down the source shows status 'error' with a reason within 15 s ($((SECONDS - start)) s)"
tap_diag "error: $(q "SELECT error FROM pathway.sources WHERE name = 'f'")"

start=$SECONDS
got=$(q "SELECT kt_error(\$\$SELECT pathway.sync('f', '2s')\$\$)")
took=$((SECONDS - start))
if [[ $got == '57014 pathway.sync timed out / Kafka source "f" '* ]] && ((took >= 1 && took <= 6)); then
  tap_ok 0 "pathway.sync('f', '2s') fails after 2 s with 57014 and a detail naming the source"
else
  tap_ok 1 "pathway.sync('f', '2s') fails after 2 s with 57014 and a detail naming the source"
  tap_diag "after $took s: '$got'"
fi
got=$(q "SELECT kt_error(\$\$SELECT pathway.sync(NULL, '2s')\$\$)")
tap_ok "$([[ $got == '57014 pathway.sync timed out / Kafka source "f" '* ]] && echo 0 || echo 1)" \
  "pathway.sync(NULL, '2s') fails the same way (it waits for every source)"
[[ $got == '57014 '* ]] || tap_diag "got: '$got'"

# a source created while the broker is down
sql -d "$db" -c "SELECT pathway.create_kafka_source('f2', '$KAFKA_BROKERS', 'f', 'json', 'id int')" >/dev/null
rc=0
wait_until 15 not_running f2 || rc=1
tap_is "$rc $(q "SELECT count(*) FROM f2") $(q "SELECT positions FROM pathway.sources WHERE name = 'f2'")" "0 0 {}" \
  "a source created while the broker is down says why it is not running and lands nothing"
tap_diag "f2: $(q "SELECT status || ': ' || error FROM pathway.sources WHERE name = 'f2'")"
tap_is "$(q "SELECT n, s FROM fv") $(q "SELECT count(*) FROM pathway.dead_letters")" "100|5050 0" \
  "nothing was landed, lost or dead-lettered while the broker was down"

# ---------------------------------------------------------------- broker back
kafka_cmd up 1
json_ids 101 200 | produce f
start=$SECONDS
rc=0
wait_until 15 rows_are f 200 || rc=1
tap_ok "$rc" "once the broker is back, messages produced afterwards land by themselves within 15 s ($((SECONDS - start)) s)"
rc=0
wait_until 15 running_clean f || rc=1
tap_ok "$rc" "and the source is 'running' again without error"
start=$SECONDS
rc=0
wait_until 30 rows_are f2 200 || rc=1
tap_ok "$rc" "the source created during the outage starts by itself and lands all 200 messages ($((SECONDS - start)) s)"
rc=0
sql -d "$db" -c "SELECT pathway.sync(NULL, '20s')" >/dev/null 2>"$work/sync.err" || rc=1
tap_ok "$rc" "pathway.sync() succeeds again"
((rc == 0)) || tap_diag "$(cat "$work/sync.err")"
tap_is "$(q "SELECT n, s FROM fv") $(q "SELECT count(*), count(DISTINCT id), sum(id) FROM f2")" "200|20100 200|200|20100" \
  "each message exactly once in both stream tables and in the view"
tap_is "$(q "SELECT count(*) FROM pathway.check_view('fv')") $(q "SELECT count(*) FROM pathway.dead_letters")" "0 0" \
  "pathway.check_view('fv') is empty, and there are no dead letters"

# ---------------------------------------------------------------- injected Fetch errors
kafka_cmd errors Fetch 5 NOT_LEADER_FOR_PARTITION
json_ids 201 250 | produce f
kafka_cmd errors Fetch 3 _TRANSPORT
json_ids 251 300 | produce f
rc=0
sql -d "$db" -c "SELECT pathway.sync(NULL, '20s')" >/dev/null 2>"$work/sync.err" || rc=1
tap_ok "$rc" "pathway.sync() succeeds through injected Fetch errors"
((rc == 0)) || tap_diag "$(cat "$work/sync.err")"
tap_is "$(q "SELECT n, s FROM fv") $(q "SELECT count(*), count(DISTINCT id), sum(id) FROM f2")" "300|45150 300|300|45150" \
  "after the Fetch errors each message is landed exactly once"
tap_is "$(q "SELECT count(*) FROM pathway.check_view('fv')") $(q "SELECT count(*) FROM pathway.dead_letters")" "0 0" \
  "pathway.check_view('fv') is still empty, still no dead letters"
ends=$(kafka_consume f 1000 -f '%p %o\n' |
  awk '{ if ($2 + 1 > end[$1]) end[$1] = $2 + 1 } END { for (p in end) print p, end[p] }' |
  sort -n | awk '{ s = s (NR > 1 ? ", " : "") "\"" $1 "\": " $2 } END { print "{" s "}" }')
tap_is "$(q "SELECT string_agg(name || ' ' || positions, ', ' ORDER BY name) FROM pathway.sources")" "f $ends, f2 $ends" \
  "both sources' positions are the topic's end offsets"

# ---------------------------------------------------------------- new partitions
if kafka_cmd partitions f 3 2>"$work/partitions.err"; then
  json_ids 301 310 | produce f -p 2
  start=$SECONDS
  rc=0
  wait_until 15 rows_are "f WHERE kafka_partition = 2" 10 || rc=1
  tap_ok "$rc" "messages produced to a new partition land within 15 s ($((SECONDS - start)) s)"
  tap_is "$(q "SELECT partitions FROM pathway.sources WHERE name = 'f'")" 3 "pathway.sources counts the new partition"
else
  tap_skip "messages produced to a new partition land within 15 s" "$(tr -d '\n' <"$work/partitions.err")"
  tap_skip "pathway.sources counts the new partition" "the mock cannot add partitions"
fi

# ---------------------------------------------------------------- teardown under an outage
kafka_cmd down 1
q "SELECT kt_error(\$\$SELECT pathway.sync(NULL, '1s')\$\$)" >/dev/null
kafka_stop
sql -d "$db" -c "DROP EXTENSION pathway CASCADE" >/dev/null 2>&1
start=$SECONDS
rc=0
wait_no_worker "$db" 10 || rc=1
tap_ok "$rc" "with the broker down and then gone, DROP EXTENSION stops the engine worker within 10 s ($((SECONDS - start)) s)"
rc=0
timeout 15 psql -X -q -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null 2>"$work/drop.err" || rc=1
tap_ok "$rc" "and DROP DATABASE completes within 15 s"
if ((rc == 0)); then
  db_created=0
else
  tap_diag "$(cat "$work/drop.err")"
fi
tap_done
