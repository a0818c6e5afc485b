#!/usr/bin/env bash
# HTTP sources end to end, against test/http/server.py on loopback: a JSON
# array lands exactly its records, and a second poll answered 304 (the
# ETag sent back as If-None-Match) lands nothing; records under a path,
# paginated with a cursor taken from the last record and sent as a query
# parameter, land once each, also when more come later; "key" makes a
# re-polled record replace its row (the live view follows); NDJSON with a
# bad line and a body that is not JSON become dead letters with their
# positions while the good records land; Link: rel="next" pagination; a
# 500 retried with backoff; a redirect followed, a redirect to file:// or
# to another origin's link refused; a body over max_response_bytes and a
# slow endpoint fail with the reason; headers reach the server but are
# masked in pathway.sources and never reach the server log; a role without
# EXECUTE cannot create a source, and bad URLs (file://, ftp://, user:pass@)
# and options are refused with their SQLSTATE; drop_source removes the
# table, the state and the dead letters.
#
# Shared cluster, own database, own HTTP server.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/http.sh"

db=pathway_http_source_$$
role=pathway_http_plain_$$
work=$(mktemp -d)
db_created=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)) && [[ -n $HTTP_DIR && -s $HTTP_DIR/server.err ]]; then tap_diag "$(tail -n 20 "$HTTP_DIR/server.err")"; fi
  [[ -z ${HTTP_KEEP_LOG:-} || -z $HTTP_DIR ]] || cp "$HTTP_DIR/requests.log" "$HTTP_KEEP_LOG" 2>/dev/null || true
  http_stop
  if ((db_created)); then drop_pathway_db "$db" >/dev/null 2>&1 || true; fi
  sql -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() {
  sql -d "$db" -F '|' -P null=NULL -c "$1"
}

expect_error() {
  local desc=$1 state=$2 regex=$3 stmt=$4 got
  got=$(sql -d "$db" -v stmt="$stmt" <<<"SELECT ht_error(:'stmt')")
  if [[ ${got%% *} == "$state" && ${got#* } =~ $regex ]]; then
    tap_ok 0 "$desc ($state)"
  else
    tap_ok 1 "$desc ($state)"
    tap_diag "     got: '$got'" "expected: '$state' and a message matching /$regex/"
  fi
}

# sync_source NAME: pathway.sync of the stream table; 0 if it returned
sync_source() {
  sql -d "$db" -c "SELECT pathway.sync('$1', '20s')" >/dev/null 2>"$work/sync.err"
}

# status_is NAME STATUS ERROR_REGEX: wait (10 s) for the source's status and error
status_is() {
  local got deadline=$((SECONDS + 10))
  while :; do
    got=$(q "SELECT status || ' ' || coalesce(error, '') FROM pathway.sources WHERE name = '$1'")
    [[ ${got%% *} == "$2" && ${got#* } =~ $3 ]] && return 0
    ((SECONDS < deadline)) || { tap_diag "source $1: '$got'"; return 1; }
    sleep 0.2
  done
}

# wait_polls NAME N: wait (10 s) until the source has landed N responses
wait_polls() {
  local deadline=$((SECONDS + 10))
  while (($(q "SELECT coalesce((positions->>'polls')::int, 0) FROM pathway.sources WHERE name = '$1'") < $2)); do
    ((SECONDS < deadline)) || { tap_diag "source $1 landed fewer than $2 responses"; return 1; }
    sleep 0.1
  done
}

log=${PATHWAY_TEST_DIR:-}/log
if [[ -z ${PATHWAY_TEST_DIR:-} ]]; then
  log=$(sql -d postgres -c "SHOW data_directory" 2>/dev/null || true)/log
fi
mark=$(log_mark "$log")

tap_plan 53

http_start || tap_bail "the test HTTP server did not start"
U=$HTTP_URL

sql -d postgres -c "CREATE DATABASE $db"
db_created=1
sql -d postgres -c "CREATE ROLE $role LOGIN" >/dev/null
sql -d "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pathway;
CREATE FUNCTION ht_error(stmt text) RETURNS text LANGUAGE plpgsql AS $$
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

# ---------------------------------------------------------------- who may
got=$(sql -d "$db" -U "$role" -c "SELECT pathway.create_http_source('p', '$U/file/a.json', 'json', 'id int')" 2>&1 || true)
tap_ok "$([[ $got == *"permission denied for function create_http_source"* ]]; echo $?)" \
  "a role without EXECUTE cannot create an HTTP source"
[[ $got == *"permission denied"* ]] || tap_diag "got: $got"
tap_is "$(q "SELECT has_function_privilege('public', 'pathway.create_http_source(text, text, text, text, jsonb)', 'EXECUTE')")" f \
  "create_http_source is not executable by PUBLIC"

# ---------------------------------------------------------------- refused URLs and options
expect_error "file:// is refused" 22023 'URL refused: URL scheme "file" is not allowed: only http and https' \
  "SELECT pathway.create_http_source('x', 'file:///etc/passwd', 'json', 'v text')"
expect_error "ftp:// is refused" 22023 'URL scheme "ftp" is not allowed' \
  "SELECT pathway.create_http_source('x', 'ftp://127.0.0.1/x', 'json', 'v text')"
expect_error "credentials in the URL are refused" 22023 'must not hold a user name or password' \
  "SELECT pathway.create_http_source('x', 'http://u:secretpw@127.0.0.1/x', 'json', 'v text')"
expect_error "an unknown option is refused" 22023 'unknown option "nope"' \
  "SELECT pathway.create_http_source('x', '$U/x', 'json', 'v text', '{\"nope\": 1}')"
expect_error "a header with a line break is refused, without its value" 22023 'header "X-A" must have a string value without line breaks$' \
  "SELECT pathway.create_http_source('x', '$U/x', 'json', 'v text', '{\"headers\": {\"X-A\": \"a\\r\\nHost: evil\"}}')"
expect_error "cursor_param without a cursor is refused" 22023 'needs "cursor_path" or "cursor_field"' \
  "SELECT pathway.create_http_source('x', '$U/x', 'json', 'v text', '{\"cursor_param\": \"c\"}')"
expect_error "a key that is not a column is refused" 42703 'key column "nope"' \
  "SELECT pathway.create_http_source('x', '$U/x', 'json', 'v text', '{\"key\": \"nope\"}')"
expect_error "mode stream with format json is refused" 22023 'mode "stream" needs format ndjson or sse' \
  "SELECT pathway.create_http_source('x', '$U/x', 'json', 'v text', '{\"mode\": \"stream\"}')"
expect_error "a reserved column name is refused" 42701 '"http_poll" is reserved' \
  "SELECT pathway.create_http_source('x', '$U/x', 'json', 'http_poll int')"

# ---------------------------------------------------------------- a JSON array, ETag
cat >"$HTTP_DIR/a.json" <<'EOF'
[{"id": 1, "name": "alpha", "amount": 12.5, "tags": [1, 2], "doc": {"k": [1, null]}},
 {"id": 2, "name": null, "amount": -0.01, "tags": [], "doc": "s", "extra": true},
 {"id": 3, "name": "gamma \"q\" é", "amount": 1e3, "tags": null, "doc": null}]
EOF
sql -d "$db" >/dev/null <<SQL
SELECT pathway.create_http_source('a', '$U/file/a.json', 'json',
    'id int, name text, amount numeric(10,2), tags int[], doc jsonb',
    '{"interval": "1h", "headers": {"Authorization": "Bearer tok-s3cr3t-42"}}');
SELECT pathway.create_view('a_sum', 'SELECT count(*) AS n, sum(amount) AS total FROM a');
SQL
rc=0; wait_polls a 1 && sql -d "$db" -c "SELECT pathway.sync('a_sum')" >/dev/null || rc=1
tap_is "$rc|$(q "SELECT string_agg(format('%s;%s;%s;%s;%s;%s;%s', id, coalesce(name, 'NULL'), amount, coalesce(tags::text, 'NULL'), coalesce(doc::text, 'NULL'), http_poll, http_index), ' / ' ORDER BY id) FROM a")" \
  '0|1;alpha;12.50;{1,2};{"k": [1, null]};1;0 / 2;NULL;-0.01;{};"s";1;1 / 3;gamma "q" é;1000.00;NULL;NULL;1;2' \
  "json: every record lands with its values converted by the column types, poll 1, index 0..2"
tap_is "$(q "SELECT n, total FROM a_sum")" "3|1012.49" "json: a live view over the stream table is exact"
tap_is "$(http_header /file/a.json authorization | sort -u)" "Bearer tok-s3cr3t-42" "headers: the Authorization header reaches the server"
before=$(http_requests /file/a.json)
rc=0; sync_source a || rc=1
tap_is "$rc|$(q "SELECT count(*) FROM a")|$(($(http_requests /file/a.json) - before))|$(http_header /file/a.json if-none-match | tail -n 1 | tr -d '"' | wc -c)" "0|3|1|17" \
  "etag: sync() of an idle source polls once more, with If-None-Match; the 304 lands nothing"
tap_is "$(q "SELECT options->'headers'->>'Authorization', url = '$U/file/a.json', kind, status, messages, positions->>'polls' FROM pathway.sources WHERE name = 'a'")" \
  "********|t|http|running|3|1" "pathway.sources: the header is masked; status, count and polls shown"
tap_is "$(q "SELECT count(*) FROM pathway.sources s WHERE s::text LIKE '%s3cr3t%'")" 0 "secrets: no column of pathway.sources shows the header"
got=$(sql -d "$db" -U "$role" -c "SELECT options FROM pathway.http_sources" 2>&1 || true)
tap_ok "$([[ $got == *"permission denied"* ]]; echo $?)" "secrets: another role cannot read the raw options"

# ---------------------------------------------------------------- records under a path, cursor pagination
echo 12 >"$HTTP_DIR/items_count"
sql -d "$db" >/dev/null <<SQL
SELECT pathway.create_http_source('items', '$U/items', 'json', 'id int, name text, grp int',
    '{"records": "data.items", "cursor_param": "after", "cursor_field": "id", "interval": "1h"}');
SELECT pathway.create_view('items_grp', 'SELECT grp, count(*) AS n, sum(id) AS s FROM items GROUP BY grp');
SQL
rc=0; wait_polls items 4 || rc=1
tap_is "$rc|$(q "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM items")|$(http_query /items after | uniq | tr '\n' ' ')" \
  "0|12|12|1|12|- 5 10 12 " \
  "cursor: three pages land once each; each request sends the cursor of the last record landed, until a page is empty"
tap_is "$(q "SELECT positions->>'cursor', positions->>'polls' FROM pathway.sources WHERE name = 'items'")" "12|4" \
  "cursor: the committed cursor and the number of responses are in pathway.sources"
echo 17 >"$HTTP_DIR/items_count"
rc=0; sync_source items || rc=1
tap_is "$rc|$(q "SELECT count(*), count(DISTINCT id), sum(id) FROM items")|$(q "SELECT string_agg(format('%s:%s:%s', grp, n, s), ' ' ORDER BY grp) FROM items_grp")" \
  "0|17|17|153|0:5:45 1:6:51 2:6:57" "cursor: later records land from the cursor on; the live view is exact"

q "SELECT pathway.create_http_source('ip', '$U/items?page=4', 'json', 'id int, name text, grp int',
    '{\"records\": \"data.items\", \"cursor_param\": \"after\", \"cursor_path\": \"next\", \"interval\": \"1h\"}')" >/dev/null
rc=0; wait_polls ip 6 || rc=1
tap_is "$rc|$(q "SELECT count(*), count(DISTINCT id), sum(id) FROM ip")|$(q "SELECT positions->>'cursor', positions->>'polls' FROM pathway.sources WHERE name = 'ip'")" \
  "0|17|17|153|17|6" "cursor_path: the cursor taken from the response object pages through every record once"

# ---------------------------------------------------------------- key: upserts
echo '[{"id": 1, "v": "one"}, {"id": 2, "v": "two"}]' >"$HTTP_DIR/k.json"
sql -d "$db" >/dev/null <<SQL
SELECT pathway.create_http_source('k', '$U/file/k.json', 'json', 'id int, v text', '{"key": "id", "interval": "1h"}');
SELECT pathway.create_view('k_v', 'SELECT string_agg(v, '','' ORDER BY id) AS vs, count(*) AS n FROM k');
SQL
wait_polls k 1 || true
echo '[{"id": 2, "v": "TWO"}, {"id": 3, "v": "three"}, {"id": 1, "v": "one"}, {"id": 3, "v": "THREE"}]' >"$HTTP_DIR/k.json"
rc=0; sync_source k || rc=1
tap_is "$rc|$(q "SELECT string_agg(format('%s=%s@%s', id, v, http_poll), ' ' ORDER BY id) FROM k")|$(q "SELECT vs, n FROM k_v")" \
  "0|1=one@1 2=TWO@2 3=THREE@2|one,TWO,THREE|3" \
  "key: a changed record replaces its row, an unchanged one keeps it, the last of a key in a response wins; the view follows"
sql -d "$db" -c "SELECT pathway.sync('k_v')" >/dev/null
tap_is "$(q "SELECT count(*) FROM pathway.check_view('k_v')")" 0 "key: check_view finds the view exact"

# ---------------------------------------------------------------- ndjson and dead letters
printf '%s\n' '{"id": 1, "n": 10}' 'not json' '{"id": "x", "n": 2}' '' '{"id": 4, "n": 40}' '[1]' '{"n": 6}' >"$HTTP_DIR/l.ndjson"
q "SELECT pathway.create_http_source('l', '$U/file/l.ndjson', 'ndjson', 'id int, n int', '{\"interval\": \"1h\"}')" >/dev/null
rc=0; wait_polls l 1 || rc=1
tap_is "$rc|$(q "SELECT string_agg(format('%s:%s:%s', id, n, http_index), ' ' ORDER BY id) FROM l")" "0|1:10:0 4:40:3" \
  "ndjson: the good lines land, with their index among the records"
tap_is "$(q "SELECT string_agg(format('%s@%s:%s:%s', partition, \"offset\", convert_from(payload, 'UTF8'), error), ' / ' ORDER BY partition) FROM pathway.dead_letters WHERE source = 'l'")" \
  '1@1:not json:invalid input syntax for type json / 2@1:{"id": "x", "n": 2}:column "id": invalid input syntax for type integer: "x" / 4@1:[1]:record is not a JSON object / 5@1:{"n": 6}:column "id": field "id" is missing' \
  "ndjson: each bad line is a dead letter with its index, the response number, its text and the error"
tap_is "$(q "SELECT messages, dead_letters FROM pathway.sources WHERE name = 'l'")" "2|4" "ndjson: pathway.sources counts both"
printf '{"oops": ' >"$HTTP_DIR/bad.json"
q "SELECT pathway.create_http_source('bad', '$U/file/bad.json', 'json', 'id int', '{\"interval\": \"1h\"}')" >/dev/null
rc=0; wait_polls bad 1 || rc=1
tap_is "$rc|$(q "SELECT count(*) FROM bad")|$(q "SELECT partition, \"offset\", convert_from(payload, 'UTF8'), error LIKE 'body: invalid input syntax for type json%' FROM pathway.dead_letters WHERE source = 'bad' AND \"offset\" = 1")|$(q "SELECT status FROM pathway.sources WHERE name = 'bad'")" \
  '0|0|-1|1|{"oops": |t|error' "a body that is not JSON is one dead letter (partition -1, the response's number) with the body; the source says error"
got=$(sql -d "$db" -U "$role" -c "SELECT count(*) FROM pathway.dead_letters" 2>&1 || true)
tap_is "$got" 0 "dead letters: another role sees none of them"

# ---------------------------------------------------------------- Link: rel=next
q "SELECT pathway.create_http_source('ln', '$U/link', 'json', 'n int', '{\"link_next\": true, \"interval\": \"1h\"}')" >/dev/null
rc=0; wait_polls ln 3 || rc=1
tap_is "$rc|$(q "SELECT string_agg(n::text, ' ' ORDER BY n) FROM ln")|$(http_query /link page | tr '\n' ' ')" "0|10 11 20 21 30 31|- 2 3 " \
  "link: every page of a Link: rel=\"next\" chain lands"
q "SELECT pathway.create_http_source('off', '$U/offsite-link', 'json', 'n int', '{\"link_next\": true, \"interval\": \"1h\"}')" >/dev/null
rc=0; wait_polls off 1 || rc=1
tap_is "$rc|$(q "SELECT count(*) FROM off")|$(q "SELECT error FROM pathway.sources WHERE name = 'off'")" \
  "0|1|the next page's link leads to another origin or is refused: not followed" \
  "link: a next link to another origin is not followed"

# ---------------------------------------------------------------- failures
q "SELECT pathway.create_http_source('fl', '$U/flaky/a?fail=2', 'json', 'v text', '{\"retry_backoff_ms\": 50, \"interval\": \"1h\"}')" >/dev/null
rc=0; wait_polls fl 1 || rc=1
tap_is "$rc|$(q "SELECT v FROM fl")|$(http_requests /flaky/a)" "0|a|3" "retries: two 500s are retried with backoff, the third answer lands"
q "SELECT pathway.create_http_source('rd', '$U/redirect?to=/file/k.json', 'json', 'id int, v text', '{\"interval\": \"1h\"}')" >/dev/null
rc=0; wait_polls rd 1 || rc=1
tap_is "$rc|$(q "SELECT count(*) FROM rd")" "0|4" "redirects: a redirect to an http URL is followed"
q "SELECT pathway.create_http_source('rf', '$U/redirect?to=file:///etc/passwd', 'json', 'v text', '{\"interval\": \"1h\"}')" >/dev/null
status_is rf error 'redirect refused: URL scheme "file" is not allowed'
tap_ok $? "redirects: a redirect to file:// is refused, with the reason"
tap_is "$(q "SELECT count(*) FROM rf")" 0 "redirects: nothing of file:// lands"
q "SELECT pathway.create_http_source('hg', '$U/huge?bytes=300000', 'json', 'v text', '{\"max_response_bytes\": 100000, \"interval\": \"1h\"}')" >/dev/null
status_is hg error 'response exceeds 100000 bytes'
tap_ok $? "size: a body over max_response_bytes fails the request with the reason"
q "SELECT pathway.create_http_source('sl', '$U/slow?ms=3000', 'json', 'v int', '{\"timeout_ms\": 300, \"retries\": 1, \"retry_backoff_ms\": 50, \"interval\": \"1h\"}')" >/dev/null
status_is sl error 'Operation timed out.*after 2 attempts'
tap_ok $? "timeouts: a slow endpoint times out, is retried, and the source says so"
q "SELECT pathway.create_http_source('dr', '$U/drop', 'json', 'v int', '{\"retries\": 0, \"interval\": \"1h\"}')" >/dev/null
status_is dr error 'after 1 attempts'
tap_ok $? "a connection dropped mid-body fails the request"
q "SELECT pathway.create_http_source('s4', '$U/status/404', 'json', 'v int', '{\"interval\": \"1h\"}')" >/dev/null
status_is s4 error 'HTTP status 404'
tap_ok $? "a 404 is an error of the source, not retried"
rc=0; sql -d "$db" -c "SELECT pathway.sync('s4', '2s')" >/dev/null 2>"$work/sync.err" || rc=1
tap_ok "$([[ $rc == 1 ]] && grep -q 'HTTP source "s4" has not landed what its endpoint held at the call: HTTP status 404' "$work/sync.err"; echo $?)" \
  "sync() of a failing source times out and names the source and its error"

# ---------------------------------------------------------------- http_request, http_get (plain queries)
echo '{"a": [1, 2], "s": "x"}' >"$HTTP_DIR/h.json"
tap_is "$(q "SELECT pathway.http_get('$U/file/h.json')")" '{"a": [1, 2], "s": "x"}' "http_get: the answer's body as jsonb"
tap_is "$(q "SELECT pathway.http_request('POST', '$U/echo', '{\"x\": 1}', '{\"X-Key\": \"s3cr3t-h\"}') -> 'x'")|$(http_header /echo x-key)|$(http_header /echo content-type)" \
  "1|s3cr3t-h|application/json" "http_request: POST sends the body as JSON and the headers"
got=$(sql -d "$db" -U "$role" -c "SELECT pathway.http_get('$U/file/h.json')" 2>&1 || true)
tap_ok "$([[ $got == *"permission denied for function http_get"* ]]; echo $?)" "http_get: a role without EXECUTE is refused"
expect_error "http_get: file:// is refused" 22023 'URL refused: URL scheme "file" is not allowed' "SELECT pathway.http_get('file:///etc/passwd')"
expect_error "http_get: a redirect to file:// is refused" 08006 'redirect refused: URL scheme "file" is not allowed' \
  "SELECT pathway.http_get('$U/redirect?to=file:///etc/passwd')"
expect_error "http_get: a 404 is an error" 38000 'answered with status 404' "SELECT pathway.http_get('$U/status/404')"
expect_error "http_get: an answer that is not JSON is an error" 22P02 'invalid input syntax for type json' "SELECT pathway.http_get('$U/file/bad.json')"
expect_error "http_request: headers are checked" 22023 'header "X-A" must have a string value without line breaks$' \
  "SELECT pathway.http_request('GET', '$U/file/h.json', NULL, '{\"X-A\": \"a\\r\\nb\"}')"
before=$(http_requests /file/h.json)
sql -d "$db" -c "SELECT pathway.create_view('hv', 'SELECT id, pathway.http_get(''$U/file/h.json'') -> ''s'' AS r FROM k')" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('hv', '30s')" >/dev/null
tap_is "$(q "SELECT count(*), count(*) FILTER (WHERE r = '\"x\"') FROM hv")|$(q "SELECT count(*) FROM k")|$(( $(http_requests /file/h.json) - before ))" "$(q "SELECT count(*) FROM k")|$(q "SELECT count(*) FROM k")|$(q "SELECT count(*) FROM k")|1" \
  "a live view may call http_get: one call for its one distinct URL (docs/http.md, calls from live views)"
sql -d "$db" -c "SELECT pathway.drop_view('hv')" >/dev/null
expect_error "a live view still refuses a volatile function" 0A000 'cannot maintain view' \
  "SELECT pathway.create_view('hv2', 'SELECT id, random() AS r FROM k')"

# ---------------------------------------------------------------- drop
sql -d "$db" -c "SELECT pathway.drop_source('l')" >/dev/null
tap_is "$(q "SELECT to_regclass('l') IS NULL, (SELECT count(*) FROM pathway.http_source_state WHERE source = 'l'), (SELECT count(*) FROM pathway.dead_letters WHERE source = 'l'), (SELECT count(*) FROM pathway.sources WHERE name = 'l')")" \
  "t|0|0|0" "drop_source: the table, the state, the dead letters and the pathway.sources row are gone"
expect_error "a source name is taken across kinds" 42P07 'already exists' \
  "SELECT pathway.create_http_source('a', '$U/x', 'json', 'v text')"

# ---------------------------------------------------------------- the server log
if [[ -r $log ]]; then
  tap_is "$(log_since "$log" "$mark" | grep -c 's3cr3t' || true)" 0 "secrets: the server log never shows the header's value"
else
  tap_ok 1 "secrets: the server log never shows the header's value"
  tap_diag "cannot read the server log '$log' (set PATHWAY_TEST_DIR)"
fi
tap_done
