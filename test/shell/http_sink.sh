#!/usr/bin/env bash
# HTTP sinks end to end, against test/http/server.py's receiver on loopback:
# a live view's current rows and then its inserts, updates and deletes
# arrive as exact NDJSON lines, in order, one POST per epoch (every line of
# a POST with the POST's frontier, frontiers increasing), each POST with an
# Idempotency-Key, the header given in the options reaching the receiver
# while pathway.sinks masks it and the server log never shows it; batch
# "change" makes one POST per change.  With the receiver failing the next
# 3 requests, pathway.sinks shows the lag (status error, the error, pending
# changes and epochs, failures), every change still arrives in order, each
# POST sent again carries the same Idempotency-Key and body, and the outbox
# empties; an answer over 1 MB is a failure.  A receiver that hangs past
# the sink's timeout holds only its own sink: another sink and the live
# views go on.  A 307 is not followed.
# kill -9 of the engine worker while changes wait: all of them arrive after
# the restart (at least once, in order).  max_batch_rows cuts an epoch into
# several POSTs of one frontier.  Who may: create_http_sink is not
# executable by PUBLIC, a role without EXECUTE cannot create one, a role
# must own the view, a sink whose owner lost EXECUTE stops;
# pathway.http_allowed_hosts is checked at creation and
# before every POST; bad URLs and options are refused without quoting a
# header's value.  drop_sink(view, url) and DROP TABLE of the view remove a
# sink and its outbox rows.
#
# Own cluster (kill -9 of its worker), own HTTP server.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/http.sh"

db=http_sink
role=http_sink_plain_$$
grantee=http_sink_etl_$$
work=$(mktemp -d)
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then
    own_cluster_log 30
    q "SELECT view, url, status, error, pending FROM pathway.sinks" 2>/dev/null | while read -r l; do tap_diag "$l"; done || true
  fi
  http_stop
  own_cluster_stop
  rm -rf -- "$work"
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

expect_error() {
  local desc=$1 state=$2 regex=$3 stmt=$4 who=${5:-postgres} got
  got=$(sql -d "$db" -U "$who" -v stmt="$stmt" <<<"SELECT public.hs_error(:'stmt')")
  if [[ ${got%% *} == "$state" && ${got#* } =~ $regex ]]; then
    tap_ok 0 "$desc ($state)"
  else
    tap_ok 1 "$desc ($state)"
    tap_diag "     got: '$got'" "expected: '$state' and a message matching /$regex/"
  fi
}

# The receiver's log of sink NAME (test/http/server.py), read by python:
#   lines NAME    every change of the POSTs answered 200, in order: "op row"
#   check NAME    "ok", or what is wrong: a POST without a 64-hex
#                 Idempotency-Key, lines of one POST with different
#                 frontiers, frontiers going back, a content type that is
#                 not the batch's
#   resent NAME   "ok" if every failed or hung POST has the Idempotency-Key
#                 and body of the next POST (the same changes sent again)
#   posts NAME    how many POSTs were answered 200
sink_log() {
  python3 - "$HTTP_DIR/sink_$2.log" "$1" <<'PY'
import json, re, sys
path, what = sys.argv[1], sys.argv[2]
try:
    reqs = [json.loads(l) for l in open(path)]
except OSError:
    reqs = []
good = [r for r in reqs if not r["failed"] and not r["hung"]]
def lsn(s):
    a, b = s.split("/")
    return (int(a, 16), int(b, 16))
if what == "lines":
    # within a POST (one epoch) deletes first, then inserts, each sorted:
    # the engine writes an epoch's changes in an order of its own
    for r in good:
        cs = [json.loads(l) for l in r["body"].splitlines()]
        for c in sorted(cs, key=lambda c: (c["op"] != "delete", c["row"]["id"])):
            print(c["op"], json.dumps(c["row"], sort_keys=True))
elif what == "posts":
    print(len(good))
elif what == "check":
    last, problems = (0, 0), []
    for r in reqs:
        key = r["headers"].get("idempotency-key", "")
        if not re.fullmatch(r"[0-9a-f]{64}", key):
            problems.append("no key: %r" % key)
        lines = [json.loads(l) for l in r["body"].splitlines()]
        ctype = r["headers"].get("content-type")
        if ctype not in ("application/x-ndjson", "application/json") or \
           (ctype == "application/json" and len(lines) != 1) or \
           (ctype == "application/x-ndjson" and not r["body"].endswith("\n")):
            problems.append("content type %s for %d lines" % (ctype, len(lines)))
        fr = {l["frontier"] for l in lines}
        if len(fr) != 1:
            problems.append("frontiers %s in one POST" % sorted(fr))
        elif not r["failed"] and not r["hung"]:
            f = lsn(fr.pop())
            if f < last:
                problems.append("frontier went back")
            last = f
    print("ok" if not problems else "; ".join(problems[:3]))
elif what == "resent":
    bad = 0
    for i, r in enumerate(reqs):
        if r["failed"] or r["hung"]:
            n = reqs[i + 1] if i + 1 < len(reqs) else None
            if n is None or n["headers"].get("idempotency-key") != r["headers"].get("idempotency-key") \
               or n["body"] != r["body"]:
                bad += 1
    print("ok" if bad == 0 else "%d POSTs not sent again as they were" % bad)
PY
}
sink_field() { q "SELECT $2 FROM pathway.sinks WHERE url LIKE '%/sink/$1'"; }
sink_pending() { sink_field "$1" pending; }
outbox_empty() { [[ $(sink_pending "$1") == 0 ]]; }
sink_status_is() { [[ $(sink_field "$1" "status || ' ' || coalesce(error, '')") =~ $2 ]]; }
posts_at_least() { (($(sink_log posts "$1") >= $2)); }

tap_plan 49
http_start || tap_bail "the test HTTP server did not start"
U=$HTTP_URL
own_cluster_start httpsink
echo "# own cluster $OWN_DIR on port $OWN_PORT, HTTP server on $HTTP_PORT"
log=$OWN_DIR/log

sql -d postgres -c "CREATE DATABASE $db"
sql -d postgres -c "CREATE ROLE $role LOGIN" >/dev/null
sql -d postgres -c "CREATE ROLE $grantee LOGIN" >/dev/null
sql -d "$db" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pathway;
CREATE FUNCTION public.hs_error(stmt text) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE
    st text;
    msg text;
BEGIN
    EXECUTE stmt;
    RETURN '00000 no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN st || ' ' || msg;
END \$\$;
GRANT CREATE ON SCHEMA public TO $role, $grantee;
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t VALUES (1, 'a'), (2, 'b');
SELECT pathway.create_view('tv', 'SELECT id, v FROM t');
GRANT SELECT ON t TO $role, $grantee;
SQL
mark=$(log_mark "$log")

# ---------------------------------------------------------------- who may
tap_is "$(q "SELECT has_function_privilege('public', 'pathway.create_http_sink(text, text, jsonb)', 'EXECUTE')")" f \
  "create_http_sink is not executable by PUBLIC"
sql -d "$db" -U "$role" -c "SELECT pathway.create_view('plain_v', 'SELECT id FROM t')" >/dev/null 2>&1
expect_error "a role without EXECUTE cannot create a sink, even of its own view" 42501 \
  'permission denied for function create_http_sink' \
  "SELECT pathway.create_http_sink('plain_v', '$U/sink/x')" "$role"
q "GRANT EXECUTE ON FUNCTION pathway.create_http_sink(text, text, jsonb) TO $grantee" >/dev/null
expect_error "a granted role must own the view" 42501 'must be owner of table tv' \
  "SELECT pathway.create_http_sink('tv', '$U/sink/x')" "$grantee"

# ---------------------------------------------------------------- refused URLs and options
expect_error "file:// is refused" 22023 'URL refused: URL scheme "file" is not allowed' \
  "SELECT pathway.create_http_sink('tv', 'file:///tmp/x')"
expect_error "credentials in the URL are refused" 22023 'must not hold a user name or password' \
  "SELECT pathway.create_http_sink('tv', 'http://u:pw@127.0.0.1:$HTTP_PORT/sink/x')"
expect_error "an unknown option is refused" 22023 'unknown option "nope"' \
  "SELECT pathway.create_http_sink('tv', '$U/sink/x', '{\"nope\": 1}')"
expect_error "a bad batch is refused" 22023 'invalid value for option "batch"' \
  "SELECT pathway.create_http_sink('tv', '$U/sink/x', '{\"batch\": \"row\"}')"
expect_error "Idempotency-Key is pathway's" 22023 'header "idempotency-key" is set by pathway' \
  "SELECT pathway.create_http_sink('tv', '$U/sink/x', '{\"headers\": {\"idempotency-key\": \"k\"}}')"
expect_error "a header with a line break is refused, without its value" 22023 'header "X-A" must have a string value without line breaks$' \
  "SELECT pathway.create_http_sink('tv', '$U/sink/x', '{\"headers\": {\"X-A\": \"hidden\\r\\nHost: evil\"}}')"
expect_error "a table that is no live view is refused" 42809 '"t" is not a live view' \
  "SELECT pathway.create_http_sink('t', '$U/sink/x')"
q "ALTER SYSTEM SET pathway.http_allowed_hosts = 'example.invalid'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait_output 10 example.invalid q "SHOW pathway.http_allowed_hosts" || tap_diag "the setting did not reach new sessions"
expect_error "a host not in pathway.http_allowed_hosts is refused" 22023 'host "127.0.0.1" is not in pathway.http_allowed_hosts' \
  "SELECT pathway.create_http_sink('tv', '$U/sink/x')"
q "ALTER SYSTEM RESET pathway.http_allowed_hosts" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null

# ---------------------------------------------------------------- changes arrive, exactly, in order
q "SELECT pathway.create_http_sink('tv', '$U/sink/s1', '{\"headers\": {\"Authorization\": \"Bearer s3cr3t-token\"}}')" >/dev/null
q "INSERT INTO t VALUES (3, 'c')" >/dev/null
q "UPDATE t SET v = 'bb' WHERE id = 2" >/dev/null
q "DELETE FROM t WHERE id = 1" >/dev/null
q "BEGIN; INSERT INTO t VALUES (4, 'd'), (5, 'e'); DELETE FROM t WHERE id = 3; COMMIT" >/dev/null
q "SELECT pathway.sync('tv')" >/dev/null
rc=0; wait_until 20 outbox_empty s1 || rc=1
tap_ok "$rc" "the outbox of the sink empties"
tap_is "$(sink_log lines s1 | tr '\n' ';')" \
  'insert {"id": 1, "v": "a"};insert {"id": 2, "v": "b"};insert {"id": 3, "v": "c"};delete {"id": 2, "v": "b"};insert {"id": 2, "v": "bb"};delete {"id": 1, "v": "a"};delete {"id": 3, "v": "c"};insert {"id": 4, "v": "d"};insert {"id": 5, "v": "e"};' \
  "the view's rows, then each change, arrive as NDJSON lines in order"
tap_is "$(sink_log posts s1)" 5 "one POST per epoch: the rows, then one per transaction"
tap_is "$(sink_log check s1)" ok "every POST has a 64-hex Idempotency-Key, one frontier, frontiers increasing, NDJSON"
tap_is "$(python3 -c "import json,sys; print(len({json.loads(l)['headers']['idempotency-key'] for l in open(sys.argv[1])}))" "$HTTP_DIR/sink_s1.log")" 5 \
  "the keys of different POSTs differ"
tap_is "$(python3 -c "import json,sys; print(sorted({json.loads(l)['headers'].get('authorization') for l in open(sys.argv[1])}))" "$HTTP_DIR/sink_s1.log")" \
  "['Bearer s3cr3t-token']" "the header of the options reaches the receiver"
tap_is "$(sink_field s1 "options::text || ' ' || kind || ' ' || messages || ' ' || status")" \
  '{"headers": {"Authorization": "********"}} http 9 running' "pathway.sinks masks the header, counts the changes delivered"
tap_is "$(q "SELECT has_column_privilege('public', 'pathway.http_sinks', 'options', 'SELECT')")" f \
  "the options column is not readable by PUBLIC"

# ---------------------------------------------------------------- one POST per change
q "SELECT pathway.create_view('tv2', 'SELECT id, v FROM t WHERE id >= 4')" >/dev/null
q "SELECT pathway.create_http_sink('tv2', '$U/sink/s2', '{\"batch\": \"change\"}')" >/dev/null
rc=0; wait_until 20 posts_at_least s2 2 || rc=1
q "UPDATE t SET v = 'dd' WHERE id = 4" >/dev/null
q "SELECT pathway.sync('tv2')" >/dev/null
wait_until 20 outbox_empty s2 || rc=1
tap_ok "$rc" "batch change: the outbox empties"
tap_is "$(sink_log posts s2)|$(sink_log lines s2 | tr '\n' ';')|$(sink_log check s2)" \
  '4|insert {"id": 4, "v": "d"};insert {"id": 5, "v": "e"};delete {"id": 4, "v": "d"};insert {"id": 4, "v": "dd"};|ok' \
  "batch change: one POST (a JSON object) per change, in order"

# ---------------------------------------------------------------- max_batch_rows cuts an epoch
q "SELECT pathway.create_view('tv7', 'SELECT id, v FROM t')" >/dev/null
q "SELECT pathway.create_http_sink('tv7', '$U/sink/s7', '{\"max_batch_rows\": 2}')" >/dev/null
rc=0; wait_until 20 outbox_empty s7 || rc=1
tap_ok "$rc" "max_batch_rows: the outbox empties"
tap_is "$(sink_log posts s7)|$(python3 -c "
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
print(','.join(str(len(r['body'].splitlines())) for r in reqs),
      len({json.loads(r['body'].splitlines()[0])['frontier'] for r in reqs}),
      len({r['headers']['idempotency-key'] for r in reqs}))" "$HTTP_DIR/sink_s7.log")|$(sink_log lines s7 | wc -l)" \
  "2|2,1 1 2|3" "an epoch of 3 rows with max_batch_rows 2 goes in 2 POSTs of one frontier, each with its own key"
q "SELECT pathway.drop_sink('tv7')" >/dev/null

# ---------------------------------------------------------------- a failing receiver
echo 3 >"$HTTP_DIR/sink_s3_fail"
q "SELECT pathway.create_view('tv3', 'SELECT id, v FROM t WHERE id < 100')" >/dev/null
q "SELECT pathway.create_http_sink('tv3', '$U/sink/s3', '{\"retries\": 0}')" >/dev/null
q "INSERT INTO t VALUES (6, 'f')" >/dev/null
q "INSERT INTO t VALUES (7, 'g')" >/dev/null
q "SELECT pathway.sync('tv3')" >/dev/null
rc=0; wait_until 15 sink_status_is s3 '^error HTTP status 500 \(after 1 attempts\)$' || rc=1
tap_ok "$rc" "a receiver answering 500: pathway.sinks shows status error and the error"
lag=$(sink_field s3 "pending || ' ' || pending_epochs || ' ' || (failures >= 1)")
tap_is "$lag" "5 3 true" "while it fails, the changes and epochs waiting and the failures are shown"
rc=0; wait_until 30 outbox_empty s3 || rc=1
tap_ok "$rc" "once the receiver answers 200 again, the outbox empties"
tap_is "$(sink_log lines s3 | tr '\n' ';')" \
  'insert {"id": 2, "v": "bb"};insert {"id": 4, "v": "dd"};insert {"id": 5, "v": "e"};insert {"id": 6, "v": "f"};insert {"id": 7, "v": "g"};' \
  "every change arrived, in order"
tap_is "$(python3 -c "import json,sys; print(sum(json.loads(l)['failed'] for l in open(sys.argv[1])))" "$HTTP_DIR/sink_s3.log")|$(sink_log resent s3)|$(sink_log check s3)" \
  "3|ok|ok" "the 3 failed POSTs were each sent again with the same Idempotency-Key and body"
tap_is "$(sink_field s3 "status || ' ' || coalesce(error, '-') || ' ' || failures")" "running - 3" \
  "the sink runs again; failures counts the 3"

# ---------------------------------------------------------------- a hanging receiver holds only its sink
echo 3000 >"$HTTP_DIR/sink_s4_hang_ms"
q "SELECT pathway.create_view('tv4', 'SELECT id FROM t')" >/dev/null
q "SELECT pathway.create_http_sink('tv4', '$U/sink/s4', '{\"timeout\": \"500ms\", \"retries\": 0}')" >/dev/null
rc=0; wait_until 15 sink_status_is s4 '^error .*[Tt]imed out' || rc=1
tap_ok "$rc" "a receiver that hangs past the timeout: the sink shows the timeout"
before=$(sink_log posts s1)
q "INSERT INTO t VALUES (8, 'h')" >/dev/null
rc=0; q "SELECT pathway.sync('tv', '10s')" >/dev/null || rc=1
wait_until 10 posts_at_least s1 $((before + 1)) || rc=1
tap_ok "$rc" "meanwhile the live views and another sink go on"
tap_is "$(sink_log lines s1 | tail -n 1)" 'insert {"id": 8, "v": "h"}' "the other sink got the change"
rm -f "$HTTP_DIR/sink_s4_hang_ms"
rc=0; wait_until 30 outbox_empty s4 || rc=1
tap_ok "$rc" "once the receiver answers in time the hung sink delivers"
tap_is "$(sink_log lines s4 | sort -u | wc -l)|$(sink_log resent s4)" "6|ok" \
  "every row arrived; a POST that timed out was sent again with the same key"

# ---------------------------------------------------------------- a redirect is not followed
q "SELECT pathway.create_view('tv5', 'SELECT id FROM t WHERE id = 2')" >/dev/null
q "SELECT pathway.create_http_sink('tv5', '$U/redirect?to=$U/sink/s5')" >/dev/null
rc=0; wait_until 15 sink_status_is s5 '^error HTTP status 307 \(redirects are not followed\)$' || rc=1
tap_ok "$rc" "a 307 is not followed: the sink shows it"
tap_is "$(sink_log posts s5)|$(sink_pending s5)" "0|1" "the redirect's target got nothing; the change waits in the outbox"

# ---------------------------------------------------------------- allowed hosts narrowed: checked before every POST
q "ALTER SYSTEM SET pathway.http_allowed_hosts = 'example.invalid'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
# a new change each try: the first the worker sends after its reload is refused
extra=100
change_refused() {
  extra=$((extra + 1))
  q "INSERT INTO t VALUES ($extra, 'x')" >/dev/null
  sink_status_is s1 '^error URL refused: host "127.0.0.1" is not in pathway.http_allowed_hosts$'
}
rc=0; wait_until 15 change_refused || rc=1
tap_ok "$rc" "narrowing pathway.http_allowed_hosts stops a running sink's POSTs, with the reason"
q "ALTER SYSTEM RESET pathway.http_allowed_hosts" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
rc=0; wait_until 30 outbox_empty s1 || rc=1
tap_ok "$rc" "allowed again: the held change goes out"
q "DELETE FROM t WHERE id > 100" >/dev/null
q "SELECT pathway.sync()" >/dev/null

# ---------------------------------------------------------------- kill -9 while changes wait
echo 100000 >"$HTTP_DIR/sink_s6_fail"
q "SELECT pathway.create_view('tv6', 'SELECT id, v FROM t WHERE id > 5')" >/dev/null
q "SELECT pathway.create_http_sink('tv6', '$U/sink/s6', '{\"retries\": 0}')" >/dev/null
q "INSERT INTO t VALUES (9, 'i')" >/dev/null
q "UPDATE t SET v = 'ii' WHERE id = 9" >/dev/null
q "SELECT pathway.sync('tv6')" >/dev/null
rc=0; wait_until 15 sink_status_is s6 '^error HTTP status 500 \(after 1 attempts\)$' || rc=1
pid=$(engine_pid)
if [[ -n $pid ]]; then kill -9 "$pid" || rc=1; else rc=1; fi
wait_until 60 server_up || rc=1
wait_until 30 has_engine || rc=1
tap_ok "$rc" "kill -9 of the engine worker while the receiver fails; the server and a worker are back"
echo 0 >"$HTTP_DIR/sink_s6_fail"
rc=0; wait_until 30 outbox_empty s6 || rc=1
tap_ok "$rc" "after the restart the outbox empties"
tap_is "$(sink_log lines s6 | tr '\n' ';')" \
  'insert {"id": 6, "v": "f"};insert {"id": 7, "v": "g"};insert {"id": 8, "v": "h"};insert {"id": 9, "v": "i"};delete {"id": 9, "v": "i"};insert {"id": 9, "v": "ii"};' \
  "every change arrived once the receiver answers, in order"

# ---------------------------------------------------------------- an oversized answer
echo 2000000 >"$HTTP_DIR/sink_s9_answer_bytes"
q "SELECT pathway.create_view('tv9', 'SELECT id FROM t WHERE id = 2')" >/dev/null
q "SELECT pathway.create_http_sink('tv9', '$U/sink/s9')" >/dev/null
rc=0; wait_until 15 sink_status_is s9 '^error response exceeds 1048576 bytes$' || rc=1
tap_ok "$rc" "an answer over 1 MB fails the POST (its body is never kept whole)"
tap_is "$(sink_pending s9)" 1 "and the change stays in the outbox"
q "SELECT pathway.drop_sink('tv9')" >/dev/null

# ---------------------------------------------------------------- the owner loses EXECUTE
sql -d "$db" -U "$grantee" -c "SELECT pathway.create_view('etl_v', 'SELECT id FROM t WHERE id = 9')" >/dev/null
sql -d "$db" -U "$grantee" -c "SELECT pathway.create_http_sink('etl_v', '$U/sink/s8')" >/dev/null
rc=0; wait_until 20 posts_at_least s8 1 || rc=1
tap_ok "$rc" "a granted role's sink of its own view delivers"
q "REVOKE EXECUTE ON FUNCTION pathway.create_http_sink(text, text, jsonb) FROM $grantee" >/dev/null
q "UPDATE t SET v = 'iii' WHERE id = 9" >/dev/null
q "DELETE FROM t WHERE id = 9" >/dev/null
rc=0; wait_until 20 sink_status_is s8 "^failed the sink stopped: its owner \"$grantee\" may no longer execute create_http_sink$" || rc=1
tap_ok "$rc" "once its owner lost EXECUTE the sink stops, with the reason"
tap_is "$(sink_log posts s8)" 1 "and sends nothing more"

# ---------------------------------------------------------------- secrets, drop
tap_is "$(log_since "$log" "$mark" | grep -c 's3cr3t-token\|hidden' || true)" 0 "no header value reaches the server log"
id=$(q "SELECT id FROM pathway.http_sinks WHERE url = '$U/redirect?to=$U/sink/s5'")
q "SELECT pathway.drop_sink('tv5', '$U/redirect?to=$U/sink/s5')" >/dev/null
tap_is "$(q "SELECT count(*) FROM pathway.sinks WHERE view = 'tv5'::regclass")|$(q "SELECT count(*) FROM pathway.sink_outbox WHERE sink = $id")" \
  "0|0" "drop_sink(view, url) removes the sink and its waiting changes"
id=$(q "SELECT id FROM pathway.http_sinks WHERE view = 'tv2'::regclass")
q "DROP TABLE tv2" >/dev/null
tap_is "$(q "SELECT count(*) FROM pathway.http_sinks WHERE id = $id")|$(q "SELECT count(*) FROM pathway.sink_outbox WHERE sink = $id")" \
  "0|0" "DROP TABLE of the view removes its sink"

tap_done
