#!/usr/bin/env bash
# HTTP sources in mode 'stream', against test/http/server.py's /stream
# route on loopback: Server-Sent Events (ids, data over two lines,
# comments, event fields) land exactly their records as they arrive, the
# last event id being the committed cursor; a server that drops each
# connection after 4 events, in the middle of the next, is reconnected with
# Last-Event-ID set to the last event landed, and no event is lost or
# doubled across the drops; a line over max_line_bytes is a dead letter
# with its size and the stream goes on; kill -9 of the engine worker while
# events keep coming: after the restart the stream resumes after the last
# committed id, nothing lost or doubled; a burst over max_buffer_bytes
# closes the connection and the reconnect resumes after the last event
# received.  Narrowing pathway.http_allowed_hosts
# closes an open stream.  NDJSON: the records land exactly,
# a bad line is a dead letter, a dropped feed is reconnected.  Refused:
# mode stream with format json, format sse without mode stream, poll-only
# options with a stream.  An error status is reopened with backoff; a
# silent stream is closed after idle_timeout_ms.  The test server's fault
# routes for polls: malformed JSON is a dead letter, a wrong content type
# is no obstacle, a trickling body times out.
#
# Own cluster (kill -9 of its worker), own HTTP server.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/http.sh"

db=http_stream
writer=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -z $writer ]] || kill "$writer" 2>/dev/null || true
  if ((rc != 0)); then
    own_cluster_log 30
    q "SELECT name, status, error, positions, messages FROM pathway.sources" 2>/dev/null | while read -r l; do tap_diag "$l"; done || true
  fi
  http_stop
  own_cluster_stop
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() {
  sql -d "$db" -F '|' -P null=NULL -c "$1"
}
engine_pid() {
  sql -d postgres -c "SELECT pid FROM pg_stat_activity
                       WHERE backend_type = 'pathway engine worker' AND datname = '$db'
                       ORDER BY backend_start LIMIT 1" 2>/dev/null
}
has_engine() { [[ -n $(engine_pid) ]]; }
server_up() { sql -d "$db" -c "SELECT 1" >/dev/null 2>&1; }
rows_are() { [[ $(q "SELECT count(*) FROM $1") == "$2" ]]; }
asked_at_least() { (($(http_requests "$1") >= $2)); }
rows_over() { local n; n=$(q "SELECT count(*) FROM $1" 2>/dev/null) && ((n > $2)); }

expect_error() {
  local desc=$1 state=$2 regex=$3 stmt=$4 got
  got=$(sql -d "$db" -v stmt="$stmt" <<<"SELECT public.hs_error(:'stmt')")
  if [[ ${got%% *} == "$state" && ${got#* } =~ $regex ]]; then
    tap_ok 0 "$desc ($state)"
  else
    tap_ok 1 "$desc ($state)"
    tap_diag "     got: '$got'" "expected: '$state' and a message matching /$regex/"
  fi
}

# records FILE FROM TO: the records FROM..TO appended to the stream FILE
records() {
  local i
  for ((i = $2; i <= $3; i++)); do printf '{"id": %d, "v": "value %d"}\n' "$i" "$i"; done >>"$HTTP_DIR/$1"
}
# exact TABLE N: "N|N|1|N|sum" when ids 1..N landed once each, with their values
exact() {
  q "SELECT count(*), count(DISTINCT id), min(id), max(id), sum(id), bool_and(v = 'value ' || id) FROM $1"
}
expect_exact() { echo "$1|$1|1|$1|$(($1 * ($1 + 1) / 2))|t"; }

tap_plan 31
http_start || tap_bail "the test HTTP server did not start"
U=$HTTP_URL
own_cluster_start httpstream
echo "# own cluster $OWN_DIR on port $OWN_PORT, HTTP server on $HTTP_PORT"

sql -d postgres -c "CREATE DATABASE $db"
sql -d "$db" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pathway;
CREATE FUNCTION public.hs_error(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text;
    msg text;
BEGIN
    EXECUTE stmt;
    RETURN '00000 no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN st || ' ' || msg;
END $$;
SQL

# ---------------------------------------------------------------- refused
expect_error "mode stream needs ndjson or sse" 22023 'mode "stream" needs format ndjson or sse' \
  "SELECT pathway.create_http_source('x', '$U/stream/x', 'json', 'v text', '{\"mode\": \"stream\"}')"
expect_error "format sse needs mode stream" 22023 'format "sse" needs mode "stream"' \
  "SELECT pathway.create_http_source('x', '$U/stream/x', 'sse', 'v text')"
expect_error "poll-only options are refused with a stream" 22023 'are for mode "poll"' \
  "SELECT pathway.create_http_source('x', '$U/stream/x', 'sse', 'v text', '{\"mode\": \"stream\", \"interval\": \"1s\"}')"

# ---------------------------------------------------------------- SSE lands exactly, as it arrives
records stream_e1 1 5
q "SELECT pathway.create_http_source('ev', '$U/stream/e1?format=sse', 'sse', 'id int, v text', '{\"mode\": \"stream\"}')" >/dev/null
q "SELECT pathway.create_view('ev_count', 'SELECT count(*) AS n, sum(id) AS s FROM ev')" >/dev/null
rc=0; wait_until 20 rows_are ev 5 || rc=1
tap_ok "$rc" "SSE: the events the stream holds land"
records stream_e1 6 12
rc=0; wait_until 20 rows_are ev 12 || rc=1
tap_ok "$rc" "SSE: events that come later on the open connection land"
tap_is "$(exact ev)" "$(expect_exact 12)" "SSE: each event once, its data (over two data lines) as the record"
tap_is "$(q "SELECT positions->>'cursor', status FROM pathway.sources WHERE name = 'ev'")|$(http_requests /stream/e1)" \
  "12|running|1" "SSE: the last event id is the committed cursor; one connection"
q "SELECT pathway.sync('ev_count')" >/dev/null
tap_is "$(q "SELECT n, s FROM ev_count")" "12|78" "a live view over the stream table follows"
source_is() { [[ $(q "SELECT status || ' ' || coalesce(error, '') FROM pathway.sources WHERE name = '$1'") =~ $2 ]]; }
q "ALTER SYSTEM SET pathway.http_allowed_hosts = 'example.invalid'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
rc=0; wait_until 15 source_is ev '^error host "127.0.0.1" is not in pathway.http_allowed_hosts$' || rc=1
tap_ok "$rc" "narrowing pathway.http_allowed_hosts closes an open stream, with the reason"
q "ALTER SYSTEM RESET pathway.http_allowed_hosts" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
records stream_e1 13 13
rc=0; wait_until 30 rows_are ev 13 || rc=1
tap_ok "$rc" "allowed again: the stream is opened again and goes on"
tap_is "$(exact ev)|$(http_header /stream/e1 last-event-id | tr '\n' ' ')" "$(expect_exact 13)|- 12 " \
  "it reconnected after the last event landed, nothing lost or doubled"

# ---------------------------------------------------------------- SSE: drops mid-event, no event lost or doubled
echo 4 >"$HTTP_DIR/stream_e2_drop"
records stream_e2 1 20
q "SELECT pathway.create_http_source('ev2', '$U/stream/e2?format=sse', 'sse', 'id int, v text', '{\"mode\": \"stream\", \"retry_backoff_ms\": 50}')" >/dev/null
rc=0; wait_until 30 rows_are ev2 20 || rc=1
tap_ok "$rc" "SSE: a connection dropped after 4 events, in the middle of the next, is opened again until all landed"
tap_is "$(exact ev2)" "$(expect_exact 20)" "SSE: across the drops no event is lost or doubled"
tap_is "$(http_header /stream/e2 last-event-id | tr '\n' ' ')" "- 4 8 12 16 " \
  "SSE: each reconnect sends Last-Event-ID, the last event landed"

# ---------------------------------------------------------------- a line over max_line_bytes
records stream_e3 1 2
printf '{"id": 3, "v": "%s"}\n' "$(head -c 600 /dev/zero | tr '\0' x)" >>"$HTTP_DIR/stream_e3"
printf '{"id": 4, "v": "value 4"}\n' >>"$HTTP_DIR/stream_e3"
q "SELECT pathway.create_http_source('ev3', '$U/stream/e3?format=ndjson', 'ndjson', 'id int, v text', '{\"mode\": \"stream\", \"max_line_bytes\": 256}')" >/dev/null
rc=0; wait_until 20 rows_are ev3 3 || rc=1
tap_ok "$rc" "a line over max_line_bytes does not stop the stream"
tap_is "$(q "SELECT string_agg(id::text, ',' ORDER BY id) FROM ev3")|$(q "SELECT partition, length(payload), error FROM pathway.dead_letters WHERE source = 'ev3'")" \
  "1,2,4|-1|256|line of 618 bytes exceeds max_line_bytes (256): the dead letter holds its first 256 bytes" \
  "it is a dead letter with its size and first bytes; the records around it land"

# ---------------------------------------------------------------- NDJSON: a bad line, a dropped feed
printf '{"id": 1, "v": "value 1"}\nnot json\n{"id": 2, "v": "value 2"}\n' >"$HTTP_DIR/stream_n1"
echo 3 >"$HTTP_DIR/stream_n1_drop"
q "SELECT pathway.create_http_source('nd', '$U/stream/n1?format=ndjson', 'ndjson', 'id int, v text', '{\"mode\": \"stream\", \"retry_backoff_ms\": 50}')" >/dev/null
records stream_n1 3 10
rc=0; wait_until 30 rows_are nd 10 || rc=1
tap_ok "$rc" "NDJSON: the records land, across dropped connections"
tap_is "$(exact nd)|$(q "SELECT count(*) FROM pathway.dead_letters WHERE source = 'nd' AND payload = 'not json'")" \
  "$(expect_exact 10)|1" "NDJSON: each record once (the feed goes on where it was); the bad line is a dead letter"
tap_is "$(q "SELECT status FROM pathway.sources WHERE name = 'nd'")" running "an open stream with nothing more to send is running"
rc=0; q "SELECT pathway.sync('nd', '10s')" >/dev/null || rc=1
tap_ok "$rc" "sync() of an open, idle stream returns"

# ---------------------------------------------------------------- failures of a stream
q "SELECT pathway.create_http_source('bad', '$U/status/503', 'ndjson', 'id int, v text', '{\"mode\": \"stream\", \"retry_backoff_ms\": 100}')" >/dev/null
rc=0; wait_until 15 source_is bad '^error the stream failed: HTTP status 503 \(after 1 attempts\)$' || rc=1
wait_until 15 asked_at_least /status/503 3 || rc=1
tap_ok "$rc" "an error status: the source shows it and opens the stream again, with backoff"
q "SELECT pathway.create_http_source('quiet', '$U/stream/q1?format=ndjson', 'ndjson', 'id int, v text', '{\"mode\": \"stream\", \"idle_timeout_ms\": 1000, \"retry_backoff_ms\": 100}')" >/dev/null
rc=0; wait_until 20 source_is quiet '^error the stream failed: Operation too slow' || rc=1
tap_ok "$rc" "a stream silent for idle_timeout_ms is closed (and opened again)"
records stream_q1 1 3
rc=0; wait_until 20 rows_are quiet 3 || rc=1
tap_ok "$rc" "the quiet stream's records land once they come"
((rc == 0)) || tap_diag "quiet: $(q "SELECT count(*) FROM quiet") rows, $(q "SELECT status || ' ' || error FROM pathway.sources WHERE name = 'quiet'")"
q "SELECT pathway.drop_source('bad')" >/dev/null
q "SELECT pathway.drop_source('quiet')" >/dev/null

# ---------------------------------------------------------------- max_buffer_bytes
# 300 events at once (some 60 kB) against a bound of 1 kB of lines not yet
# taken: the connection is closed when the bound is passed, and opened again
# after the last event received, until all landed
q "SELECT pathway.create_http_source('ev5', '$U/stream/e5?format=sse', 'sse', 'id int, v text', '{\"mode\": \"stream\", \"max_buffer_bytes\": 1024, \"retry_backoff_ms\": 50}')" >/dev/null
records stream_e5 1 300
rc=0; wait_until 60 rows_are ev5 300 || rc=1
tap_ok "$rc" "max_buffer_bytes: a burst over the bound still lands"
tap_is "$(exact ev5)|$(($(http_requests /stream/e5) > 1))" "$(expect_exact 300)|1" \
  "the connection was closed over the bound and resumed by Last-Event-ID: nothing lost or doubled"

# ---------------------------------------------------------------- the poll side of the fault routes
q "SELECT pathway.create_http_source('mal', '$U/malformed', 'json', 'v int', '{\"interval\": \"1h\"}')" >/dev/null
rc=0; wait_until 15 source_is mal '^error response 1 could not be parsed' || rc=1
tap_is "$rc|$(q "SELECT partition, convert_from(payload, 'UTF8') FROM pathway.dead_letters WHERE source = 'mal'")" \
  '0|-1|[{"v": 1},' "malformed JSON: the body is one dead letter"
q "SELECT pathway.create_http_source('wt', '$U/wrong-type', 'json', 'v int', '{\"interval\": \"1h\"}')" >/dev/null
rc=0; wait_until 15 rows_are wt 1 || rc=1
tap_ok "$rc" "a JSON body served as text/html lands: the body is parsed, the content type is not trusted nor needed"
q "SELECT pathway.create_http_source('sb', '$U/slow-body?ms=300', 'json', 'v int', '{\"interval\": \"1h\", \"timeout_ms\": 1000, \"retries\": 0}')" >/dev/null
rc=0; wait_until 15 source_is sb '^error Operation timed out' || rc=1
tap_ok "$rc" "a body that trickles past timeout_ms fails the request"

# ---------------------------------------------------------------- kill -9 mid-stream
records stream_e4 1 10
q "SELECT pathway.create_http_source('ev4', '$U/stream/e4?format=sse', 'sse', 'id int, v text', '{\"mode\": \"stream\", \"retry_backoff_ms\": 50}')" >/dev/null
# events keep coming while the worker is killed
( for ((i = 11; i <= 150; i++)); do printf '{"id": %d, "v": "value %d"}\n' "$i" "$i" >>"$HTTP_DIR/stream_e4"; sleep 0.02; done ) &
writer=$!
rc=0; wait_until 30 rows_over ev4 40 || rc=1
pid=$(engine_pid)
before=$(q "SELECT count(*) FROM ev4")
if [[ -n $pid ]]; then kill -9 "$pid" || rc=1; else rc=1; fi
tap_diag "kill -9 of the engine worker with $before events landed"
wait_until 60 server_up || rc=1
wait_until 30 has_engine || rc=1
tap_ok "$rc" "kill -9 of the engine worker mid-stream; the server and a worker are back"
wait "$writer" || true
writer=
rc=0; wait_until 60 rows_are ev4 150 || rc=1
tap_ok "$rc" "the stream resumes after the restart"
tap_is "$(exact ev4)" "$(expect_exact 150)" "SSE across kill -9: nothing lost or doubled"

tap_done
