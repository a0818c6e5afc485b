#!/usr/bin/env bash
# pathway.embed against the deterministic embeddings endpoint of
# test/http/server.py (POST /v1/embeddings): a plain query calls it
# (memo first) and gets the server's vector; a live view over 40 new rows
# makes few requests (batched), equals its query (check_view) and its
# rows are the server's vectors; a delete (a retraction), a rebuild and a
# restart of the server make no new request (the memo); a call under
# CASE is not evaluated ahead for rows that skip it; a failing
# endpoint gives NULL rows and dead letters with the error, memoized so
# that check_view agrees, and a view's owner sees its own dead letters
# only; a plain role is refused, and cannot read or write the memo nor
# set the endpoint; the API key reaches the server as a bearer token but is
# in no log line and not in pg_settings nor SHOW for a plain role; and
# the retrieval walkthrough of docs/ml.md, run from the text itself
# (documents -> chunk -> embed -> a live top-3 per question), gives the
# rows the text shows, after an edit and a delete too (doc_examples.sh
# with DOC_EXAMPLES='docs/ml.md#Retrieval', on this cluster).
#
# Own cluster (the settings are superuser-only, and it restarts).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/http.sh"
root=$(cd "$here/../.." && pwd)

db=pathway_embed
role=pathway_embed_plain
key=sk-test-$$-0123456789secret
work=$(mktemp -d)
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then own_cluster_log 40; fi
  http_stop
  own_cluster_stop
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() { sql -d "$db" -F '|' -P null=NULL -c "$1"; }
requests() { http_requests /v1/embeddings; }
# inputs sent so far, over all requests
inputs_sent() {
  python3 - "$HTTP_DIR/requests.log" <<'PY'
import json, sys
n = 0
try:
    for l in open(sys.argv[1]):
        d = json.loads(l)
        if d["path"] == "/v1/embeddings":
            n += d.get("inputs", 0)
except OSError:
    pass
print(n)
PY
}
# the server's vector of a text, as PostgreSQL prints a float4[]
server_vec() {
  python3 - "$1" <<'PY'
import hashlib, re, sys
v = [0] * 16
for w in re.findall(r"[a-z0-9]+", sys.argv[1].lower()):
    v[hashlib.md5(w.encode()).digest()[0] % 16] += 1
print("{" + ",".join(str(x) for x in v) + "}")
PY
}
server_up() { sql -d postgres -c "SELECT 1" >/dev/null 2>&1; }

tap_plan 27
http_start || tap_bail "the test HTTP server did not start"
own_cluster_start embed "pathway.embedding_url = '$HTTP_URL/v1/embeddings'" \
  "pathway.embedding_model = 'words-16'" "pathway.embedding_api_key = '$key'" \
  "pathway.embedding_batch_size = 16" "log_statement = 'all'" "log_min_messages = debug1"
echo "# own cluster $OWN_DIR on port $OWN_PORT, HTTP server on $HTTP_PORT"

sql -d postgres -c "CREATE DATABASE $db" >/dev/null
sql -d postgres -c "CREATE ROLE $role LOGIN" >/dev/null
sql -d "$db" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pathway;
CREATE TABLE notes (id int PRIMARY KEY, body text);
SQL

# ---------------------------------------------------------------- plain query
tap_is "$(q "SELECT pathway.embed('the quick brown fox')")" "$(server_vec 'the quick brown fox')" \
  "a plain query gets the server's vector"
tap_is "$(requests)|$(http_header /v1/embeddings authorization)" "1|Bearer $key" \
  "one request, with the API key as a bearer token"
before=$(requests)
tap_is "$(q "SELECT pathway.embed('the quick brown fox'), pathway.embed('the quick brown fox', 'words-16')" | tr -d '{}0-9,')|$(( $(requests) - before ))" "||0" \
  "the same input again (default model or named) comes from the memo: no request"
tap_is "$(q "SELECT pathway.embed(NULL) IS NULL")" t "embed(NULL) is NULL"

# ---------------------------------------------------------------- a live view: batched, exact, memoized
sql -d "$db" -c "INSERT INTO notes SELECT i, 'note number ' || i || ' about ' || (ARRAY['cats','dogs','fish','birds'])[i % 4 + 1] FROM generate_series(1, 5) i" >/dev/null
sql -d "$db" -c "SELECT pathway.create_view('note_vecs', 'SELECT id, pathway.embed(body) AS vec FROM notes')" >/dev/null 2>&1
before=$(requests); sent=$(inputs_sent)
sql -d "$db" -c "INSERT INTO notes SELECT i, 'note number ' || i || ' about ' || (ARRAY['cats','dogs','fish','birds'])[i % 4 + 1] FROM generate_series(6, 45) i" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('note_vecs')" >/dev/null
tap_is "$(( $(requests) - before ))|$(( $(inputs_sent) - sent ))" "3|40" \
  "40 new rows: their 40 inputs in 3 requests (16 a request)"
tap_is "$(q "SELECT count(*) FROM pathway.check_view('note_vecs')")|$(q "SELECT count(*), count(vec) FROM note_vecs")" "0|45|45" \
  "the view equals its query"
tap_is "$(q "SELECT vec FROM note_vecs WHERE id = 7")" "$(server_vec 'note number 7 about birds')" \
  "a row of the view holds the server's vector"
before=$(requests)
sql -d "$db" -c "DELETE FROM notes WHERE id BETWEEN 1 AND 10; UPDATE notes SET id = id + 100 WHERE id BETWEEN 11 AND 20" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('note_vecs')" >/dev/null
tap_is "$(( $(requests) - before ))|$(q "SELECT count(*) FROM pathway.check_view('note_vecs')")|$(q "SELECT count(*) FROM note_vecs")" "0|0|35" \
  "deletes and updates (retractions, same inputs) make no request, and the view stays exact"

# a call under CASE is made only for the rows that reach it
sql -d "$db" -c "SELECT pathway.create_view('guarded', 'SELECT id, CASE WHEN id % 7 <> 0 THEN pathway.embed((1000 / (id % 7))::text) END AS vec FROM notes')" >/dev/null 2>&1
sql -d "$db" -c "INSERT INTO notes VALUES (49, 'seven times seven'), (50, 'fifty')" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('guarded')" >/dev/null
tap_is "$(q "SELECT status FROM pathway.views WHERE name = 'guarded'")|$(q "SELECT count(*) FROM pathway.check_view('guarded')")|$(q "SELECT count(vec) FROM guarded WHERE id IN (49, 50)")" \
  "running|0|1" "a call under CASE is not evaluated ahead for the rows that skip it (1000 / 0 never runs)"
sql -d "$db" -c "SELECT pathway.drop_view('guarded')" >/dev/null

# a call in WHERE's first condition is batched too (every row evaluates it): one request, same answers
sql -d "$db" -c "CREATE TABLE pets (id int PRIMARY KEY, body text); INSERT INTO pets VALUES (1, 'note number 3 about cats'), (2, 'note number 7 about birds')" >/dev/null
sql -d "$db" -c "SELECT pathway.create_view('near_cats', 'SELECT id FROM pets WHERE pathway.l2_distance(pathway.embed(body), pathway.embed(''about cats'')) < 3.2')" >/dev/null 2>&1
before=$(requests)
sql -d "$db" -c "INSERT INTO pets VALUES (60, 'sixty about cats'), (61, 'a long note that is not about the animal people keep')" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('near_cats')" >/dev/null
tap_is "$(q "SELECT count(*) FROM pathway.check_view('near_cats')")|$(q "SELECT string_agg(id::text, ',' ORDER BY id) FROM near_cats")|$(( $(requests) - before ))" \
  "0|1,2,60|1" "a call in WHERE's first condition is batched (2 new inputs, 1 request); the view equals its query"
sql -d "$db" -c "SELECT pathway.drop_view('near_cats')" >/dev/null

# a second view over the same inputs, then a restart: no request
before=$(requests)
sql -d "$db" -c "SELECT pathway.create_view('note_vecs2', 'SELECT id, pathway.embed(body) AS vec FROM notes WHERE id > 30')" >/dev/null 2>&1
bash "$PATHWAY_CLUSTER" restart "$OWN_DIR" >&2
wait_until 60 server_up
sql -d "$db" -c "SELECT pathway.sync(NULL, '60s')" >/dev/null
tap_is "$(( $(requests) - before ))|$(q "SELECT count(*) FROM pathway.check_view('note_vecs')")|$(q "SELECT count(*) FROM pathway.check_view('note_vecs2')")" "0|0|0" \
  "a new view over known inputs and a restart (views rebuilt) make no request"

# ---------------------------------------------------------------- a failing endpoint
echo 500 >"$HTTP_DIR/embed_status"
sql -d "$db" -c "INSERT INTO notes VALUES (200, 'a note the endpoint fails'), (201, 'another failing note')" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('note_vecs', '60s')" >/dev/null
tap_is "$(q "SELECT status FROM pathway.views WHERE name = 'note_vecs'")|$(q "SELECT id, vec FROM note_vecs WHERE id >= 200 ORDER BY id" | tr '\n' ' ')" \
  "running|200|NULL 201|NULL " "a failed call: the view goes on, its rows get NULL"
tap_is "$(q "SELECT count(DISTINCT source), bool_and(source IN ('public.note_vecs', 'public.note_vecs2')), string_agg(convert_from(payload, 'UTF8') || ': ' || error, ' / ' ORDER BY payload) FROM pathway.dead_letters")" \
  "1|t|a note the endpoint fails: embedding request failed: HTTP status 500 (after 3 attempts) / another failing note: embedding request failed: HTTP status 500 (after 3 attempts)" \
  "each failed input is one dead letter with the name of the view that asked first and the error; the other view finds the failure memoized"
tap_is "$(q "SELECT count(*) FROM pathway.check_view('note_vecs')")" 0 \
  "the failure is memoized: check_view sees the same NULL"
got=$(q "SELECT pathway.embed('never asked before')" 2>&1 || true)
tap_ok "$([[ $got == *"embedding request failed: HTTP status 500"* ]]; echo $?)" \
  "in a plain query a failed call is an error"
rm -f "$HTTP_DIR/embed_status"
sql -d "$db" -c "DELETE FROM notes WHERE id = 200" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('note_vecs')" >/dev/null
tap_is "$(q "SELECT count(*) FROM pathway.check_view('note_vecs')")|$(q "SELECT count(*) FROM note_vecs WHERE id >= 200")" "0|1" \
  "the row that failed is retracted as it was (NULL), the endpoint healthy again"

# ---------------------------------------------------------------- who may
got=$(sql -d "$db" -U "$role" -c "SELECT pathway.embed('x')" 2>&1 || true)
tap_ok "$([[ $got == *"permission denied for function embed"* ]]; echo $?)" "a plain role may not call embed"
tap_is "$(q "SELECT has_function_privilege('public', 'pathway.embed(text, text)', 'EXECUTE')")" f \
  "embed is not executable by PUBLIC"
sql -d "$db" -c "GRANT USAGE ON SCHEMA pathway TO $role; GRANT EXECUTE ON FUNCTION pathway.embed(text, text) TO $role" >/dev/null
got=$(sql -d "$db" -U "$role" -c "INSERT INTO pathway.embedding_cache (model, input_sha256, input, vec) VALUES ('words-16', sha256('x'), 'x', '{1}')" 2>&1 || true)
tap_ok "$([[ $got == *"permission denied for table embedding_cache"* ]]; echo $?)" \
  "a role granted embed still cannot write the memo"
got=$(sql -d "$db" -U "$role" -c "SELECT count(*) FROM pathway.embedding_cache" 2>&1 || true)
tap_ok "$([[ $got == *"permission denied for table embedding_cache"* ]]; echo $?)" \
  "nor read it (the inputs are every role's documents)"
got=$(sql -d "$db" -U "$role" -c "SET pathway.embedding_url = 'http://127.0.0.1:1/v1/embeddings'" 2>&1 || true)
tap_ok "$([[ $got == *"permission denied to set parameter"* ]]; echo $?)" \
  "nor point embed at another endpoint (pathway.embedding_url is superuser-only)"
tap_is "$(sql -d "$db" -U "$role" -c "SELECT pathway.embed('quick fox')")" "$(server_vec 'quick fox')" \
  "with the grant the role gets vectors"
sql -d "$db" -c "GRANT CREATE ON SCHEMA public TO $role" >/dev/null
sql -d "$db" -U "$role" >/dev/null 2>&1 <<'SQL'
CREATE TABLE role_notes (id int PRIMARY KEY, body text);
INSERT INTO role_notes VALUES (1, 'quick fox');
SELECT pathway.create_view('role_vecs', 'SELECT id, pathway.embed(body) AS vec FROM role_notes');
SQL
echo 503 >"$HTTP_DIR/embed_status"
sql -d "$db" -U "$role" -c "INSERT INTO role_notes VALUES (2, 'the role''s failing note')" >/dev/null
sql -d "$db" -U "$role" -c "SELECT pathway.sync('role_vecs', '60s')" >/dev/null
rm -f "$HTTP_DIR/embed_status"
tap_is "$(sql -d "$db" -U "$role" -F '|' -c "SELECT source, convert_from(payload, 'UTF8') FROM pathway.dead_letters")|$(q "SELECT count(*) FROM pathway.dead_letters")" \
  "public.role_vecs|the role's failing note|3" "the owner of a view sees its own dead letters, not the other views'"

# ---------------------------------------------------------------- the key
tap_is "$(sql -d "$db" -U "$role" -c "SELECT count(*) FROM pg_settings WHERE name = 'pathway.embedding_api_key'")" 0 \
  "the key's setting is not in pg_settings for a plain role"
got=$(sql -d "$db" -U "$role" -c "SHOW pathway.embedding_api_key" 2>&1 || true)
tap_ok "$([[ $got != *"$key"* && $got == *"to examine"* ]]; echo $?)" "nor shown by SHOW"
# ---------------------------------------------------------------- the walkthrough of docs/ml.md
before=$(requests)
DOC_EXAMPLES='docs/ml.md#Retrieval' bash "$here/doc_examples.sh" >"$work/walk.tap" 2>&1 && rc=0 || rc=$?
tap_ok "$( ((rc == 0)) && ! grep -q '^not ok' "$work/walk.tap"; echo $?)" \
  "docs/ml.md's retrieval walkthrough gives the rows the text shows ($(grep -c '^ok' "$work/walk.tap") statements)"
((rc == 0)) || tap_diag "$(grep -v '^ok' "$work/walk.tap" | head -n 40)"

tap_is "$(grep -c -- "$key" "$OWN_DIR/log" || true)" 0 "the key is in no line of the server log (log_statement = all, debug1)"
