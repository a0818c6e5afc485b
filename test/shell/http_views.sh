#!/usr/bin/env bash
# pathway.http_request in live views, against POST /score of
# test/http/server.py ({"score": 2 * x}, 20 ms a call, 500 for "fail"):
# a view over 1,000 rows with 1,000 distinct inputs makes exactly 1,000
# calls and holds the server's answers; 1,000 rows over 100 distinct
# inputs make 100; inserts call for their new inputs only, deletes and
# updates back to known inputs not at all; check_view agrees and calls
# nothing (the memo); after kill -9 of the engine worker every view is
# rebuilt exact with no call made; a failed call gives NULL and a dead
# letter (the request and the error, never the headers) and is memoized
# so that check_view agrees, unless the view was created with
# pathway.http_request_on_error = 'fail', which fails it with the error;
# a call under CASE is made for the rows that reach it; a URL outside
# pathway.http_allowed_hosts fails the view; a header's token reaches the
# server but neither the memo, the dead letters nor the server log; a
# role without EXECUTE on http_request cannot create such a view, nor read
# the memo; granted pathway_http it can.  A slow endpoint (4 s a call)
# delays only the views that call it (in a select list, or in the first
# condition of WHERE; two views asking the same calls share them) and
# those that read them: another
# view's sync() returns while the calls run, the calling view's frontier
# stays behind with its rows held (pathway.views), its sync() waits, and
# changes made meanwhile (an update to a new input, a delete) are applied
# after the held rows, in order, so both views end exact; a kill -9 while
# a row is held rebuilds the views exact.
#
# Own cluster (settings, a kill -9).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/http.sh"

db=pathway_http_views
role=pathway_http_views_plain
token=tok-$$-secret-0123456789
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then own_cluster_log 40; fi
  http_stop
  own_cluster_stop
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() { sql -d "$db" -F '|' -P null=NULL -c "$1"; }
calls() { http_requests /score; }
server_up() { sql -d postgres -c "SELECT 1" >/dev/null 2>&1; }
engine_pid() { sql -d "$db" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pathway engine' AND datname = '$db'"; }
status_of() { q "SELECT status FROM pathway.views WHERE name = '$1'"; }
view_is() { [[ $(status_of "$1") == "$2" ]]; }

tap_plan 21
http_start || tap_bail "the test HTTP server did not start"
own_cluster_start http_views "log_min_messages = debug1"
echo "# own cluster $OWN_DIR on port $OWN_PORT, HTTP server on $HTTP_PORT"
echo 20 >"$HTTP_DIR/score_delay_ms"
score="'POST', '$HTTP_URL/score'"

sql -d postgres -c "CREATE DATABASE $db" >/dev/null
sql -d postgres -c "CREATE ROLE $role LOGIN" >/dev/null
sql -d "$db" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pathway;
CREATE TABLE orders (id int PRIMARY KEY, x int, tok text);
INSERT INTO orders SELECT i, i, '$token' FROM generate_series(1, 1000) i;
CREATE TABLE small (id int PRIMARY KEY, x int);
INSERT INTO small SELECT i, 5000 + i % 100 FROM generate_series(1, 1000) i;
SQL

# ---------------------------------------------------------------- one call per distinct input
sql -d "$db" -c "SELECT pathway.create_view('scored', \$\$SELECT id, x, pathway.http_request($score, jsonb_build_object('x', x), jsonb_build_object('Authorization', 'Bearer ' || tok)) -> 'score' AS score FROM orders\$\$)" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('scored', '120s')" >/dev/null
tap_is "$(calls)|$(q "SELECT count(*), count(*) FILTER (WHERE score = to_jsonb(2 * x)) FROM scored")" "1000|1000|1000" \
  "1,000 rows, 1,000 distinct inputs: 1,000 calls, every row the server's answer"
tap_is "$(http_header /score authorization | sort -u)" "Bearer $token" "each call carried the row's header"
before=$(calls)
sql -d "$db" -c "SELECT pathway.create_view('small_scored', \$\$SELECT id, pathway.http_request($score, jsonb_build_object('x', x)) ->> 'score' AS score FROM small\$\$)" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('small_scored', '60s')" >/dev/null
tap_is "$(( $(calls) - before ))|$(q "SELECT count(*), count(DISTINCT score), min(score::int), max(score::int) FROM small_scored")" "100|1000|100|10000|10198" \
  "1,000 rows over 100 distinct inputs: 100 calls"
before=$(calls)
sql -d "$db" -c "INSERT INTO orders SELECT i, i, '$token' FROM generate_series(1001, 1010) i" >/dev/null
sql -d "$db" -c "DELETE FROM orders WHERE id <= 5; UPDATE orders SET x = 7 WHERE id = 6; UPDATE orders SET x = 99999 WHERE id = 8" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('scored', '60s')" >/dev/null
tap_is "$(( $(calls) - before ))|$(q "SELECT count(*), count(*) FILTER (WHERE score = to_jsonb(2 * x)) FROM scored")" "11|1005|1005" \
  "10 inserts and 1 update to a new input: 11 calls; deletes and an update to a known input: none"
before=$(calls)
tap_is "$(q "SELECT count(*) FROM pathway.check_view('scored')")|$(q "SELECT count(*) FROM pathway.check_view('small_scored')")|$(( $(calls) - before ))" "0|0|0" \
  "check_view: both views equal their queries, answered from the memo (no call)"

# ---------------------------------------------------------------- kill -9: rebuilt from the memo
before=$(calls)
pid=$(engine_pid)
kill -9 "$pid"
wait_until 60 server_up
wait_until 60 view_is scored running
sql -d "$db" -c "SELECT pathway.sync(NULL, '120s')" >/dev/null
tap_is "$(( $(calls) - before ))|$(status_of scored)|$(status_of small_scored)|$(q "SELECT count(*) FROM pathway.check_view('scored')")|$(q "SELECT count(*) FILTER (WHERE score = to_jsonb(2 * x)) FROM scored")" \
  "0|running|running|0|1005" "after kill -9 of the worker both views are rebuilt exact without a call"

# ---------------------------------------------------------------- failures
sql -d "$db" -c "CREATE TABLE risky (id int PRIMARY KEY, x int); INSERT INTO risky VALUES (1, 1), (2, -2)" >/dev/null
sql -d "$db" -c "SELECT pathway.create_view('risky_scored', \$\$SELECT id, pathway.http_request($score, jsonb_build_object('x', x, 'fail', x < 0, 'tok', 'no')) -> 'score' AS score FROM risky\$\$)" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('risky_scored', '60s')" >/dev/null
tap_is "$(status_of risky_scored)|$(q "SELECT id, score FROM risky_scored ORDER BY id" | tr '\n' ' ')" "running|1|2 2|NULL " \
  "a call failing with 500: the view goes on, that row gets NULL"
tap_is "$(q "SELECT source, convert_from(payload, 'UTF8'), error FROM pathway.dead_letters")" \
  "public.risky_scored|POST $HTTP_URL/score {\"x\": -2, \"tok\": \"no\", \"fail\": true}|HTTP request failed: HTTP status 500 (after 3 attempts)" \
  "one dead letter: the view, the request with its body, the error"
before=$(calls)
sql -d "$db" -c "DELETE FROM risky WHERE id = 2" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('risky_scored')" >/dev/null
tap_is "$(q "SELECT count(*) FROM pathway.check_view('risky_scored')")|$(q "SELECT count(*) FROM risky_scored")|$(( $(calls) - before ))" "0|1|0" \
  "the failure is memoized: the row is retracted as it was, check_view agrees, no call"
sql -d "$db" -c "INSERT INTO risky VALUES (3, -3)" >/dev/null
sql -d "$db" >/dev/null 2>&1 <<SQL || true
SET pathway.http_request_on_error = 'fail';
SELECT pathway.create_view('strict_scored', \$\$SELECT id, pathway.http_request($score, jsonb_build_object('x', x, 'fail', x < 0)) -> 'score' AS score FROM risky\$\$);
SQL
wait_until 60 view_is strict_scored failed
tap_is "$(status_of strict_scored)|$(q "SELECT error LIKE '%HTTP status 500%' FROM pathway.views WHERE name = 'strict_scored'")|$(status_of risky_scored)" "failed|t|running" \
  "with http_request_on_error = 'fail' the view fails with the call's error; the other views go on"

# ---------------------------------------------------------------- a slow endpoint delays only its views
sql -d "$db" >/dev/null <<SQL
CREATE TABLE events (id int PRIMARY KEY, x int);
CREATE TABLE tally_src (id int PRIMARY KEY);
SELECT pathway.create_view('tally', 'SELECT count(*) AS n FROM tally_src');
SELECT pathway.create_view('slow_scored', \$\$SELECT id, pathway.http_request($score, jsonb_build_object('x', x)) -> 'score' AS score FROM events\$\$);
SELECT pathway.create_view('slow_total', 'SELECT count(*) AS n, sum(score::int) AS total FROM slow_scored');
SELECT pathway.create_view('slow_filter', \$\$SELECT id FROM events WHERE (pathway.http_request($score, jsonb_build_object('x', x)) ->> 'score')::int > 1400003\$\$);
SQL
sql -d "$db" -c "SELECT pathway.sync('tally', '60s'), pathway.sync('slow_total', '60s'), pathway.sync('slow_filter', '60s')" >/dev/null
echo 4000 >"$HTTP_DIR/score_delay_ms"
before=$(calls)
t0=$(date +%s%N)
sql -d "$db" -c "INSERT INTO events VALUES (1, 700001), (2, 700002)" -c "INSERT INTO tally_src VALUES (1)" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('tally', '10s')" >/dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
got=$(q "SELECT (SELECT n FROM tally), (SELECT count(*) FROM slow_scored), (SELECT n FROM slow_total),
                (SELECT held_rows FROM pathway.views WHERE name = 'slow_scored'),
                (SELECT frontier FROM pathway.views WHERE name = 'slow_scored') < (SELECT frontier FROM pathway.views WHERE name = 'tally'),
                (SELECT frontier FROM pathway.views WHERE name = 'slow_total') < (SELECT frontier FROM pathway.views WHERE name = 'tally'),
                (SELECT held_rows FROM pathway.views WHERE name = 'slow_filter')")
tap_is "$got|$((ms < 3000))" "1|0|0|2|t|t|2|1" \
  "with calls of 4 s in flight another view is synced at once; the calling views (select list, WHERE) and the view over one hold their rows, their frontier behind ($ms ms)"
got=$(sql -d "$db" -c "SELECT pathway.sync('slow_scored', '500ms')" 2>&1 || true)
tap_ok "$([[ $got == *"pathway.sync timed out"* && $got == *'Live view "slow_scored" waits for the answers of its HTTP calls'* ]]; echo $?)" \
  "sync() of the calling view waits for the calls, and says so when it times out"
sql -d "$db" -c "UPDATE events SET x = 700003 WHERE id = 1" -c "DELETE FROM events WHERE id = 2" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('slow_total', '60s'), pathway.sync('slow_filter', '60s')" >/dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
tap_is "$(q "SELECT id, score FROM slow_scored")|$(q "SELECT n, total FROM slow_total")|$(q "SELECT string_agg(id::text, ',') FROM slow_filter")|$(q "SELECT held_rows FROM pathway.views WHERE name = 'slow_scored'")|$(( $(calls) - before ))|$((ms < 7800))" \
  "1|1400006|1|1400006|1|0|3|1" \
  "an update and a delete made while the calls ran apply after the held rows, in order; one call per distinct input; the update's call ran beside the first ones, not after them ($ms ms, two calls in a row take 8 s)"
tap_is "$(q "SELECT count(*) FROM pathway.check_view('slow_scored')")|$(q "SELECT count(*) FROM pathway.check_view('slow_total')")|$(q "SELECT count(*) FROM pathway.check_view('slow_filter')")|$(q "SELECT count(*) FROM pathway.check_view('tally')")" \
  "0|0|0|0" "check_view: all four equal their queries"
# kill -9 while rows are held: the view is rebuilt, its unanswered call made again
echo 3000 >"$HTTP_DIR/score_delay_ms"
sql -d "$db" -c "INSERT INTO events VALUES (3, 700010)" >/dev/null
held() { [[ $(q "SELECT held_rows FROM pathway.views WHERE name = 'slow_scored'") == 1 ]]; }
held_seen=0
wait_until 30 held && held_seen=1
kill -9 "$(engine_pid)"
wait_until 60 server_up
wait_until 60 view_is slow_scored running
sql -d "$db" -c "SELECT pathway.sync('slow_total', '60s'), pathway.sync('slow_filter', '60s')" >/dev/null
tap_is "$held_seen|$(q "SELECT string_agg(id || ':' || score, ',' ORDER BY id) FROM slow_scored")|$(q "SELECT n, total FROM slow_total")|$(q "SELECT string_agg(id::text, ',' ORDER BY id) FROM slow_filter")|$(q "SELECT count(*) FROM pathway.check_view('slow_scored')")|$(q "SELECT count(*) FROM pathway.check_view('slow_total')")" \
  "1|1:1400006,3:1400020|2|2800026|1,3|0|0" \
  "kill -9 of the worker while a row waited for its call: rebuilt, the row lands once, the views equal their queries"
echo 20 >"$HTTP_DIR/score_delay_ms"

# ---------------------------------------------------------------- a call under CASE, a refused URL
before=$(calls)
sql -d "$db" -c "SELECT pathway.create_view('guarded', \$\$SELECT id, CASE WHEN x % 2 = 1 THEN pathway.http_request($score, jsonb_build_object('x', 100 / (x % 2))) END AS s FROM small WHERE id <= 10\$\$)" >/dev/null 2>&1 || true
sql -d "$db" -c "SELECT pathway.sync('guarded', '60s')" >/dev/null 2>&1 || true
tap_is "$(status_of guarded)|$(q "SELECT count(*) FROM pathway.check_view('guarded')")|$(q "SELECT count(s) FROM guarded")" "running|0|5" \
  "a call under CASE is made for the rows that reach it only (no division by zero ahead)"
sql -d postgres -c "ALTER SYSTEM SET pathway.http_allowed_hosts = 'localhost'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
sql -d "$db" -c "INSERT INTO small VALUES (2001, 424242)" >/dev/null
wait_until 60 view_is small_scored failed
tap_is "$(status_of small_scored)|$(q "SELECT error LIKE '%not in pathway.http_allowed_hosts%' OR error LIKE '%refused%' FROM pathway.views WHERE name = 'small_scored'")" "failed|t" \
  "a call to a host outside pathway.http_allowed_hosts fails the view"
sql -d postgres -c "ALTER SYSTEM RESET pathway.http_allowed_hosts" -c "SELECT pg_reload_conf()" >/dev/null

# ---------------------------------------------------------------- secrets, who may
tap_is "$(q "SELECT count(*) FROM pathway.http_cache c WHERE c::text LIKE '%$token%'")|$(q "SELECT count(*) FROM pathway.dead_letters d WHERE d::text LIKE '%$token%' OR convert_from(payload, 'UTF8') LIKE '%$token%'")|$(grep -c -- "$token" "$OWN_DIR/log" || true)" \
  "0|0|0" "the header's token is in neither the memo, the dead letters nor the server log"
sql -d "$db" -c "GRANT USAGE ON SCHEMA pathway TO $role; GRANT CREATE ON SCHEMA public TO $role" >/dev/null
got=$(sql -d "$db" -U "$role" 2>&1 <<SQL || true
CREATE TABLE mine (id int PRIMARY KEY, x int);
SELECT pathway.create_view('mine_scored', \$\$SELECT id, pathway.http_request($score, jsonb_build_object('x', x)) AS s FROM mine\$\$);
SQL
)
tap_ok "$([[ $got == *"permission denied for function http_request"* ]]; echo $?)" \
  "a role without EXECUTE on http_request cannot create a view that calls it"
got=$(sql -d "$db" -U "$role" -c "SELECT count(*) FROM pathway.http_cache" 2>&1 || true)
tap_ok "$([[ $got == *"permission denied for table http_cache"* ]]; echo $?)" "nor read the memo"
sql -d postgres -c "GRANT pathway_http TO $role" >/dev/null
before=$(calls)
sql -d "$db" -U "$role" >/dev/null 2>&1 <<SQL
INSERT INTO mine VALUES (1, 21), (2, 22);
SELECT pathway.create_view('mine_scored', \$\$SELECT id, pathway.http_request($score, jsonb_build_object('x', x)) -> 'score' AS s FROM mine\$\$);
SELECT pathway.sync('mine_scored', '60s');
SQL
tap_is "$(sql -d "$db" -U "$role" -F '|' -c "SELECT id, s FROM mine_scored ORDER BY id" | tr '\n' ' ')|$(( $(calls) - before ))" "1|42 2|44 |2" \
  "granted pathway_http, the role creates the view; its two calls are made as it"
sql -d postgres -c "REVOKE pathway_http FROM $role" >/dev/null

tap_done
