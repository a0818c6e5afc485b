#!/usr/bin/env bash
# Webhook sources and the listener (pathway.http_listen), with curl as the
# client: a JSON array, NDJSON and an object with "records" land exactly
# (stream table and a live view over it); 401 without or with a wrong
# token; 413 over max_body_bytes, 400 for malformed JSON (with its dead
# letter), 404, 405, 411, 431 (a head too large, too many lines), 408 (a
# head that stops coming): nothing landed by any of them; the same
# Idempotency-Key twice lands once and answers the same; /sources/<db>/<name>;
# a role without EXECUTE cannot create a source; the token is never in
# the log nor in pathway.sources.  200 only after commit: the worker is
# killed (kill -9) while the epoch that landed a request is still open (an
# AFTER INSERT trigger sleeps in it); the client gets no 200, the row is
# not there, and the client's retry with the same Idempotency-Key after
# the crash restart lands it exactly once.  GET /metrics is scraped and
# parsed: its samples for a view are pathway.metrics()'s.  An empty
# pathway.http_listen stops the listener; setting it again brings it back;
# an address that is taken is logged and bound once it is free.
#
# Own cluster (never the shared one); the listener on a free port of
# PATHWAY_LISTEN_PORTS (default 61490-61499), on 127.0.0.1.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"

db=webhook
etl=webhook_etl_$$
plain=webhook_plain_$$
token=tok_$$_0123456789abcdef
work=$(mktemp -d)
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then
    own_cluster_log 30
  fi
  [[ -z ${CURL_PID:-} ]] || kill "$CURL_PID" 2>/dev/null || true
  own_cluster_stop
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

LPORT=
for p in ${PATHWAY_LISTEN_PORTS:-61490 61491 61492 61493 61494 61495 61496 61497 61498 61499}; do
  if port_free "$p"; then LPORT=$p; break; fi
done
[[ -n $LPORT ]] || tap_bail "no free port for the listener"
L=http://127.0.0.1:$LPORT

q() { sql -d "$db" -F '|' -c "$1"; }
# post PATH [curl args...]: prints "STATUS BODY" (000 when no answer came)
post() {
  local path=$1 code
  shift
  code=$(curl -s -m 20 -o "$work/body" -w '%{http_code}' -X POST "$@" "$L$path" 2>/dev/null) || true
  printf '%s %s' "${code:-000}" "$({ tr -d '\n' <"$work/body"; } 2>/dev/null)"
  rm -f "$work/body"
}
auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
listener_up() { [[ $(curl -s -m 5 -o /dev/null -w '%{http_code}' "$L/metrics") == 200 ]]; }
# (a chunked request is refused after the lookup: 411 once published, else 404; nothing lands)
published() { [[ $(post "/sources/$1" -H 'Transfer-Encoding: chunked' --data '[]') == 411* ]]; }
engine_pid() {
  sql -d postgres -c "SELECT pid FROM pg_stat_activity
                       WHERE backend_type = 'pathway engine worker' AND datname = '$db' LIMIT 1" 2>/dev/null
}
server_up() { sql -d "$db" -c "SELECT 1" >/dev/null 2>&1; }

tap_plan 42
own_cluster_start webhook "pathway.http_listen = '127.0.0.1:$LPORT'"
echo "# own cluster $OWN_DIR on port $OWN_PORT, listener on $LPORT"
sql -d postgres -c "CREATE DATABASE $db"
sql -d "$db" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pathway;
CREATE ROLE $etl LOGIN;
CREATE ROLE $plain LOGIN;
GRANT CREATE ON SCHEMA public TO $etl, $plain;
GRANT EXECUTE ON FUNCTION pathway.create_webhook_source(text, text, text, jsonb) TO $etl;
SET ROLE $etl;
SELECT pathway.create_webhook_source('orders', 'id int, customer text, amount numeric',
    options => '{"token": "$token", "max_body_bytes": 300}');
SELECT pathway.create_webhook_source('lines', 'id int, customer text, amount numeric', format => 'ndjson');
SELECT pathway.create_webhook_source('bulk', 'id int, pad text', format => 'ndjson',
    options => '{"max_body_bytes": 3000000}');
SELECT pathway.create_webhook_source('wrapped', 'id int, customer text, amount numeric',
    options => '{"records": "data.items"}');
SELECT pathway.create_view('by_customer',
    'SELECT customer, count(*) AS n, sum(amount) AS total FROM orders GROUP BY customer');
-- the crash test's source: an AFTER INSERT trigger sleeps while slow_flag has a row
CREATE TABLE slow_flag (on_ bool);
CREATE TABLE slow_audit (id int);
SELECT pathway.create_webhook_source('slow', 'id int', options => '{"token": "$token"}');
CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    INSERT INTO slow_audit VALUES (NEW.id);
    IF EXISTS (SELECT FROM slow_flag) THEN PERFORM pg_sleep(60); END IF;
    RETURN NULL;
END \$\$;
CREATE TRIGGER slow AFTER INSERT ON slow FOR EACH ROW EXECUTE FUNCTION slow_insert();
SQL

rc=0
wait_until 60 listener_up || { rc=1; tap_diag "GET $L/metrics did not answer 200"; }
wait_until 60 published lines || { rc=1; tap_diag "source lines was not published"; }
wait_until 60 published wrapped || { rc=1; tap_diag "source wrapped was not published"; }
tap_ok "$rc" "the listener answers and the worker publishes its webhook sources"
if ((rc)); then
  tap_diag "listener port $LPORT; listening sockets: $(ss -ltnH 2>/dev/null | awk '{print $4}' | tr '\n' ' ')"
  own_cluster_log 60
fi

# ---------------------------------------------------------------- landing
got=$(post /sources/orders "${auth[@]}" --data '[{"id": 1, "customer": "ann", "amount": 10}, {"id": 2, "customer": "bob", "amount": 5}, {"id": 3, "customer": "ann", "amount": 2.5}]')
tap_is "$got" '200 {"landed": 3, "dead_letters": 0, "request": 1}' "a JSON array: 200 after commit, with the rows landed"
tap_is "$(q "SELECT string_agg(format('%s:%s:%s:%s:%s', id, customer, amount, http_poll, http_index), ' ' ORDER BY id) FROM orders")" \
  "1:ann:10:1:0 2:bob:5:1:1 3:ann:2.5:1:2" "the stream table holds exactly the posted records"
sql -d "$db" -c "SELECT pathway.sync('by_customer')" >/dev/null
tap_is "$(q "SELECT string_agg(format('%s:%s:%s', customer, n, total), ' ' ORDER BY customer) FROM by_customer")|$(q "SELECT count(*) FROM pathway.check_view('by_customer')")" \
  "ann:2:12.5 bob:1:5|0" "the live view over the stream table is exact"
got=$(post /sources/lines --data-binary $'{"id": 10, "customer": "cy", "amount": 1}\n\n{"id": 11, "customer": "di", "amount": 2}\n')
tap_is "$got|$(q "SELECT string_agg(format('%s:%s:%s', id, customer, http_index), ' ' ORDER BY id) FROM lines")" \
  '200 {"landed": 2, "dead_letters": 0, "request": 1}|10:cy:0 11:di:1' "NDJSON: one record a line, blank lines skipped"
# 2 MB: curl waits for "100 Continue", the worker reads the body in its loop
seq 1 20000 | awk '{printf "{\"id\": %d, \"pad\": \"%080d\"}\n", $1, 0}' >"$work/bulk.ndjson"
got=$(post /sources/bulk --data-binary @"$work/bulk.ndjson" -H 'Expect: 100-continue')
tap_is "$got|$(q "SELECT count(*), count(DISTINCT id), sum(id), min(http_index), max(http_index) FROM bulk")" \
  '200 {"landed": 20000, "dead_letters": 0, "request": 1}|20000|20000|200010000|0|19999' "a 2 MB body (Expect: 100-continue) lands whole"
got=$(post "/sources/$db/wrapped" --data '{"data": {"items": [{"id": 20, "customer": "ed", "amount": 7}]}, "meta": 1}')
tap_is "$got|$(q "SELECT string_agg(format('%s:%s', id, customer), ' ') FROM wrapped")" \
  '200 {"landed": 1, "dead_letters": 0, "request": 1}|20:ed' "an object with its records at the \"records\" path, by /sources/<database>/<name>"
got=$(post /sources/wrapped --data '{"data": {"items": [{"id": 21, "customer": "fi"}, {"id": 22, "customer": "gu", "amount": 1}]}}')
tap_is "$got|$(q "SELECT count(*) FROM wrapped")|$(q "SELECT partition || ':' || error FROM pathway.dead_letters WHERE source = 'wrapped'")" \
  '200 {"landed": 1, "dead_letters": 1, "request": 2}|2|0:column "amount": field "amount" is missing' "a record that does not convert is a dead letter, the others land"

# ---------------------------------------------------------------- refusals land nothing
before=$(q "SELECT count(*) FROM orders")
tap_is "$(post /sources/orders --data '[{"id": 90, "customer": "x", "amount": 1}]' | cut -c1-3)" "401" "no token: 401"
tap_is "$(post /sources/orders -H 'Authorization: Bearer wrong-wrong-wrong-wrong' --data '[{"id": 91, "customer": "x", "amount": 1}]' | cut -c1-3)" \
  "401" "a wrong token: 401"
big=$(printf '[%s{"id": 92, "customer": "x", "amount": 1}]' "$(printf '{"id": 93, "customer": "pad", "amount": 0}, %.0s' 1 2 3 4 5 6 7)")
tap_is "$(post /sources/orders "${auth[@]}" --data "$big")" \
  "413 {\"error\": \"the body is over the source's limit of 300 bytes\"}" "over max_body_bytes: 413"
head -c 200000 /dev/zero | tr '\0' ' ' >"$work/spaces"
tap_is "$(post /sources/orders -H 'Expect:' --data-binary @"$work/spaces" | cut -c1-3)|$(post /sources/orders "${auth[@]}" -H 'Expect:' --data-binary @"$work/spaces" | cut -c1-3)" \
  "401|413" "a 200 kB body sent whole without a token, or over the limit: the client reads 401 or 413 (the rest is drained)"
got=$(post /sources/orders "${auth[@]}" --data '[{"id": 94, "customer": "x", "amount": 1},')
tap_is "$got" '400 {"error": "the body could not be parsed: invalid input syntax for type json: The input string ended unexpectedly.", "request": 2, "dead_letters": 1}' \
  "malformed JSON: 400 with the reason"
tap_is "$(q "SELECT format('%s|%s|%s|%s', partition, \"offset\", convert_from(payload, 'UTF8'), error) FROM pathway.dead_letters WHERE source = 'orders'")" \
  '-1|2|[{"id": 94, "customer": "x", "amount": 1},|body: invalid input syntax for type json' "its dead letter: the body, its position (partition -1, request 2) and the error"
tap_is "$(post /sources/nothing --data '[]')|$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$L/sources/orders")|$(post /metrics --data x | cut -c1-3)|$(post /elsewhere --data x | cut -c1-3)" \
  '404 {"error": "no such webhook source"}|405|405|404' "an unknown source 404, GET of a source 405, POST /metrics 405, another path 404"
tap_is "$(post /sources/orders "${auth[@]}" -H 'Transfer-Encoding: chunked' --data '[]' | cut -c1-3)" "411" "a chunked body: 411"
tap_is "$(post /sources/orders "${auth[@]}" -H "Idempotency-Key: $(head -c 300 /dev/zero | tr '\0' k)" --data '[]' | cut -c1-3)|$(post /sources/orders "${auth[@]}" -H $'Idempotency-Key: k\x01y' --data '[]' | cut -c1-3)" \
  "400|400" "an Idempotency-Key over 255 bytes or with a control character: 400"
huge=$(head -c 17000 /dev/zero | tr '\0' a)
tap_is "$(post /sources/orders "${auth[@]}" -H "X-Huge: $huge" --data '[]' | cut -c1-3)" "431" "a request head over 16384 bytes: 431"
many=(); for i in $(seq 1 70); do many+=(-H "X-N$i: $i"); done
tap_is "$(post /sources/orders "${auth[@]}" "${many[@]}" --data '[]')" '431 {"error": "too many header lines"}' "more than 64 header lines: 431"
# a client that sends half a head and waits: answered 408 and closed after 10 s
slow=$( { exec 3<>"/dev/tcp/127.0.0.1/$LPORT"; printf 'POST /sources/orders HTTP/1.1\r\nHost: x\r\n' >&3; timeout 20 head -n 1 <&3; exec 3>&-; } 2>/dev/null | tr -d '\r')
tap_is "$slow" "HTTP/1.1 408 Request Timeout" "a head that does not come in time: 408"
tap_is "$(q "SELECT count(*) FROM orders")" "$before" "none of the refused requests landed a row"

# ---------------------------------------------------------------- Idempotency-Key
first=$(post /sources/orders "${auth[@]}" -H 'Idempotency-Key: order-4' --data '{"id": 4, "customer": "bob", "amount": 1}')
second=$(post /sources/orders "${auth[@]}" -H 'Idempotency-Key: order-4' --data '{"id": 4, "customer": "bob", "amount": 1}')
tap_is "$first|$second" '200 {"landed": 1, "dead_letters": 0, "request": 3}|200 {"landed": 1, "dead_letters": 0, "request": 3}' \
  "the same Idempotency-Key twice: the same 200 answer"
tap_is "$(q "SELECT count(*) FROM orders WHERE id = 4")|$(q "SELECT count(*) FROM pathway.webhook_keys WHERE source = 'orders' AND key = 'order-4'")" \
  "1|1" "... and the record landed once"
tap_is "$(q "SELECT format('%s|%s|%s|%s', kind, status, messages, dead_letters) FROM pathway.sources WHERE name = 'orders'")" \
  "webhook|running|4|1" "pathway.sources counts the records landed and the dead letter"

# ---------------------------------------------------------------- privileges and secrets
got=$(sql -d "$db" -c "SET ROLE $plain; SELECT pathway.create_webhook_source('mine', 'v text')" 2>&1 || true)
tap_ok "$([[ $got == *'permission denied for function create_webhook_source'* ]]; echo $?)" "a role without EXECUTE cannot create a webhook source"
tap_is "$(q "SELECT options->>'token' FROM pathway.sources WHERE name = 'orders'")|$(q "SELECT count(*) FROM pathway.sources WHERE options::text LIKE '%$token%'")" \
  "********|0" "pathway.sources masks the token"
got=$(sql -d "$db" -c "SELECT pathway.create_webhook_source('bad', 'v text', options => '{\"token\": \"$token\", \"bogus\": 1}')" 2>&1 || true)
tap_ok "$([[ $got == *'unknown option "bogus" for a webhook source'* && $got != *"$token"* ]]; echo $?)" "a bad option is named, the token is not quoted"
tap_ok "$(! grep -q "$token" "$OWN_DIR/log"; echo $?)" "the token never appears in the server log"

# ---------------------------------------------------------------- /metrics
curl -s -m 10 "$L/metrics" >"$work/metrics"
bad=$(grep -v '^#' "$work/metrics" | grep -cvE '^[a-z_]+\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\} -?[0-9.e+-]+$' || true)
tap_is "$bad|$(grep -c '^# TYPE pathway_view_rows_written_total counter$' "$work/metrics")|$(grep -cE "^pathway_wal_retained_bytes\{database=\"$db\"\} [0-9]+$" "$work/metrics")|$(grep -cE "^pathway_epochs_total\{database=\"(${db}|${db}_two)\"\} [0-9]+$" "$work/metrics")" \
  "0|1|1|1" "GET /metrics: every sample is name{labels} value, with TYPE lines, the slot's retained WAL, the database's epochs"
sql -d "$db" -c "SELECT pathway.sync('by_customer')" >/dev/null
curl -s -m 10 "$L/metrics" | grep "view=\"public.by_customer\"" | grep -E '^pathway_(view_rows_written|view_epochs|operator_rows_in|operator_rows_out)_total' | sort >"$work/scraped"
q "SELECT pathway.metrics()" | grep "view=\"public.by_customer\"" | grep -E '^pathway_(view_rows_written|view_epochs|operator_rows_in|operator_rows_out)_total' | sort >"$work/sql"
tap_is "$(diff "$work/scraped" "$work/sql" >/dev/null && echo same)|$(grep -c . "$work/scraped")" "same|$(grep -c . "$work/sql")" \
  "the view's counters scraped equal pathway.metrics()'s"
# the view's known changes: four records landed (ids 1-4), two groups inserted and one updated
tap_is "$(grep "^pathway_operator_rows_in_total{database=\"$db\",view=\"public.by_customer\",operator=\"1 source orders\"}" "$work/scraped" | awk '{print $NF}')|$(grep "^pathway_view_rows_written_total{database=\"$db\",view=\"public.by_customer\"}" "$work/scraped" | awk '{print $NF}')|$(q "SELECT rows_written FROM pathway.views WHERE name = 'by_customer'")" \
  "4|3|3" "scraped: the source operator took the 4 records landed, the view wrote 3 rows (pathway.views agrees)"

# ---------------------------------------------------------------- 200 only after commit, across kill -9
q "INSERT INTO slow_flag VALUES (true)" >/dev/null
( post /sources/slow "${auth[@]}" -H 'Idempotency-Key: slow-1' --data '{"id": 1}' >"$work/first" ) &
CURL_PID=$!
sleeping() { [[ $(sql -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pathway engine worker' AND datname = '$db' AND wait_event = 'PgSleep'") == 1 ]]; }
rc=0; wait_until 30 sleeping || rc=1
pid=$(engine_pid)
[[ $rc == 0 && $pid =~ ^[0-9]+$ ]] && kill -9 "$pid" || rc=1
wait_pid "$CURL_PID" 30 || true
CURL_PID=
tap_ok "$rc" "kill -9 of the engine worker while the epoch that landed the request is open"
tap_is "$(cut -c1-3 "$work/first")" "000" "the client got no answer (no 200 before the commit)"
rc=0
wait_until 60 server_up || rc=1
q "DELETE FROM slow_flag" >/dev/null 2>&1 || rc=1
tap_is "$rc|$(q "SELECT count(*) FROM slow")|$(q "SELECT count(*) FROM slow_audit")" "0|0|0" "after the crash restart nothing of it is there"
retry_ok() { [[ $(post /sources/slow "${auth[@]}" -H 'Idempotency-Key: slow-1' --data '{"id": 1}' | tee "$work/retry") == 200* ]]; }
rc=0; wait_until 60 retry_ok || rc=1
again=$(post /sources/slow "${auth[@]}" -H 'Idempotency-Key: slow-1' --data '{"id": 1}')
tap_is "$rc|$(cat "$work/retry")|$again|$(q "SELECT count(*) FROM slow")|$(q "SELECT count(*) FROM slow_audit")" \
  "0|$(cat "$work/retry")|$(cat "$work/retry")|1|1" "the client's retries with the same key: 200, the same answer again, the row landed exactly once"

# ---------------------------------------------------------------- the owner loses EXECUTE
n_wrapped=$(q "SELECT count(*) FROM wrapped")
q "REVOKE EXECUTE ON FUNCTION pathway.create_webhook_source(text, text, text, jsonb) FROM $etl" >/dev/null
first=$(post /sources/wrapped --data '{"data": {"items": [{"id": 30, "customer": "x", "amount": 1}]}}')
second=$(post /sources/wrapped --data '{"data": {"items": [{"id": 31, "customer": "x", "amount": 1}]}}')
tap_is "$first|$second|$(q "SELECT count(*) FROM wrapped")|$(q "SELECT status FROM pathway.sources WHERE name = 'wrapped'")" \
  "403 {\"error\": \"the source stopped: its owner \\\"$etl\\\" may no longer execute create_webhook_source\"}|403 {\"error\": \"the source stopped: its owner \\\"$etl\\\" may no longer execute create_webhook_source\"}|$n_wrapped|failed" \
  "an owner who lost EXECUTE: the source stops (403), nothing more lands"

# ---------------------------------------------------------------- drop
q "SELECT pathway.drop_source('lines')" >/dev/null
gone() { [[ $(post /sources/lines --data '{"id": 12, "customer": "x", "amount": 1}') == 404* ]]; }
rc=0; wait_until 30 gone || rc=1
tap_is "$rc|$(q "SELECT count(*) FROM pathway.http_sources WHERE name = 'lines'")" "0|0" "a dropped source: 404, and it is gone from the catalog"

# ---------------------------------------------------------------- the same name in two databases
sql -d postgres -c "CREATE DATABASE ${db}_two"
sql -d "${db}_two" -c "SET client_min_messages = warning" -c "CREATE EXTENSION pathway" \
  -c "SELECT pathway.create_webhook_source('orders', 'id int')" >/dev/null
ambiguous() { [[ $(post /sources/orders -H 'Transfer-Encoding: chunked' --data '[]') == 409* ]]; }
rc=0; wait_until 30 ambiguous || rc=1
got=$(post "/sources/${db}_two/orders" --data '{"id": 77}')
tap_is "$rc|$got|$(sql -d "${db}_two" -c "SELECT string_agg(id::text, ',') FROM orders")|$(post "/sources/$db/orders" --data '[]' | cut -c1-3)" \
  "0|200 {\"landed\": 1, \"dead_letters\": 0, \"request\": 1}|77|401" \
  "a name in two databases: /sources/<name> 409, /sources/<database>/<name> goes to that database"
tap_is "$(curl -s -m 10 "$L/metrics" | grep -cE "^pathway_epochs_total\{database=\"(${db}|${db}_two)\"\} [0-9]+$")" "2" "GET /metrics covers both databases"

# ---------------------------------------------------------------- the setting
sql -d postgres -c "ALTER SYSTEM SET pathway.http_listen = ''" -c "SELECT pg_reload_conf()" >/dev/null
rc=0; wait_until 20 port_free "$LPORT" || rc=1
sql -d postgres -c "ALTER SYSTEM RESET pathway.http_listen" -c "SELECT pg_reload_conf()" >/dev/null
wait_until 30 listener_up || rc=1
tap_ok "$rc" "an empty pathway.http_listen stops the listener; the setting back starts it again"

# an address that is taken: logged, and bound once it is free (the launcher retries)
TPORT=
for p in ${PATHWAY_LISTEN_PORTS:-61490 61491 61492 61493 61494 61495 61496 61497 61498 61499}; do
  if [[ $p != "$LPORT" ]] && port_free "$p"; then TPORT=$p; break; fi
done
rc=0
if [[ -n $TPORT ]]; then
  python3 -c "import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $TPORT)); s.listen(1); time.sleep(30)" &
  HOLDER=$!
  # (the holder listens once a connection to it succeeds)
  wait_until 10 bash -c "(exec 3<>/dev/tcp/127.0.0.1/$TPORT) 2>/dev/null" || rc=1
  sql -d postgres -c "ALTER SYSTEM SET pathway.http_listen = '127.0.0.1:$TPORT'" -c "SELECT pg_reload_conf()" >/dev/null
  taken() { grep -q "the listener could not listen on \"127.0.0.1:$TPORT\"" "$OWN_DIR/log"; }
  wait_until 20 taken || rc=1
  kill "$HOLDER" 2>/dev/null || true
  wait "$HOLDER" 2>/dev/null || true
  L=http://127.0.0.1:$TPORT
  wait_until 30 listener_up || rc=1
else
  rc=1
fi
tap_ok "$rc" "a taken address is logged and bound once free"

tap_is "$(grep -cE 'reference leak|TRAP: |PANIC: |WARNING: ' "$OWN_DIR/log" || true)|$(grep -c 'terminated by signal' "$OWN_DIR/log" || true)" "0|1" \
  "the server log: no leak, assertion, panic or warning; one process killed by a signal (ours)"

tap_done
