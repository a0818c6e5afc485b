#!/usr/bin/env bash
# HTTP sources through crashes, and the limits that hold in the worker:
# 300 records paginated by a cursor (30 pages of 10, each answer delayed
# 150 ms) land while the engine worker is killed twice with kill -9; the
# stream table then holds every record exactly once (an AFTER INSERT
# trigger ran once per record), a live view over it is exact, and every
# cursor value was asked for (a request whose answer was not committed is
# asked again, none is skipped).  With pathway.http_allowed_hosts set,
# create_http_source refuses another host and another port, and a redirect
# to a host not on the list is refused at run time.  A source whose owner
# loses EXECUTE on create_http_source stops with the reason and lands
# nothing more; narrowing the allowed hosts by a reload stops a running
# source's requests.
#
# Own cluster (never the shared one), own HTTP server.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/http.sh"

db=http_restart
role=http_etl_$$
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then
    own_cluster_log 30
    [[ -z $HTTP_DIR ]] || tap_diag "--- last requests" "$(tail -n 5 "$HTTP_DIR/requests.log" 2>/dev/null | cut -c 1-200)"
    q "SELECT name, status, error, positions FROM pathway.sources" 2>/dev/null | while read -r l; do tap_diag "$l"; done || true
  fi
  http_stop
  own_cluster_stop
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
landed() { q "SELECT count(*) FROM items" 2>/dev/null; }
landed_over() { local n; n=$(landed) && ((n > $1)); }
# 30 pages and the empty one that ends the chain (a restart may ask for a page again)
all_landed() { (($(q "SELECT coalesce((positions->>'polls')::int, 0) FROM pathway.sources WHERE name = 'items'") >= 31)); }

# kill_worker_after N: kill -9 the engine worker once more than N records landed
kill_worker_after() {
  local rc=0 pid
  wait_until 30 landed_over "$1" || rc=1
  pid=$(engine_pid)
  if ((rc == 0)) && [[ $pid =~ ^[0-9]+$ ]]; then
    tap_diag "kill -9 of the engine worker: $(landed) records landed"
    kill -9 "$pid" || rc=1
  else
    rc=1
    tap_diag "no engine worker landing: $(landed) records, pid '${pid:-}'"
  fi
  wait_until 60 server_up || rc=1
  wait_until 30 has_engine || rc=1
  return "$rc"
}

tap_plan 12
http_start || tap_bail "the test HTTP server did not start"
U=$HTTP_URL
own_cluster_start http "pathway.http_allowed_hosts = '127.0.0.1:$HTTP_PORT'"
echo "# own cluster $OWN_DIR on port $OWN_PORT, HTTP server on $HTTP_PORT"

echo 300 >"$HTTP_DIR/items_count"
echo 150 >"$HTTP_DIR/items_delay_ms"
sql -d postgres -c "CREATE DATABASE $db"
sql -d "$db" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pathway;
CREATE TABLE audit (id int);
CREATE FUNCTION audit_item() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    INSERT INTO audit VALUES (NEW.id);
    RETURN NULL;
END \$\$;
SELECT pathway.create_http_source('items', '$U/items?page=10', 'json', 'id int, name text, grp int',
    '{"records": "data.items", "cursor_param": "after", "cursor_field": "id", "interval": "1h"}');
CREATE TRIGGER audit AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION audit_item();
SELECT pathway.create_view('by_grp', 'SELECT grp, count(*) AS n, sum(id) AS s FROM items GROUP BY grp');
SQL

kill_worker_after 60
tap_ok $? "kill -9 of the engine worker in the middle of the pages; the server and a worker are back"
kill_worker_after 180
tap_ok $? "a second kill -9 later in the chain; the server and a worker are back"
rc=0; wait_until 60 all_landed || rc=1
tap_ok "$rc" "the chain goes on from the committed cursor to its last page"
tap_is "$(q "SELECT count(*), count(DISTINCT id), min(id), max(id), sum(id) FROM items")|$(q "SELECT count(*), count(DISTINCT id) FROM audit")" \
  "300|300|1|300|45150|300|300" "every record landed exactly once, and its trigger ran once"
sql -d "$db" -c "SELECT pathway.sync('by_grp')" >/dev/null
tap_is "$(q "SELECT string_agg(format('%s:%s:%s', grp, n, s), ' ' ORDER BY grp) FROM by_grp")|$(q "SELECT count(*) FROM pathway.check_view('by_grp')")" \
  "0:100:15150 1:100:14950 2:100:15050|0" "the live view over the stream table is exact"
tap_is "$(http_query /items after | sort -u | tr '\n' ' ')" \
  "$( (echo -; seq 10 10 300) | sort -u | tr '\n' ' ')" "every cursor was asked for, none skipped"

# ---------------------------------------------------------------- allowed hosts
got=$(q "SELECT pathway.create_http_source('lh', 'http://localhost:$HTTP_PORT/file/x.json', 'json', 'v text')" 2>&1 || true)
tap_ok "$([[ $got == *'host "localhost" is not in pathway.http_allowed_hosts'* ]]; echo $?)" "allowed hosts: another host name is refused"
got=$(q "SELECT pathway.create_http_source('op', 'http://127.0.0.1:$((HTTP_PORT + 1))/x', 'json', 'v text')" 2>&1 || true)
tap_ok "$([[ $got == *'host "127.0.0.1" is not in pathway.http_allowed_hosts'* ]]; echo $?)" "allowed hosts: the same host on another port is refused"
q "SELECT pathway.create_http_source('rl', '$U/redirect?to=http://localhost:$HTTP_PORT/items', 'json', 'v text', '{\"interval\": \"1h\"}')" >/dev/null
st() { [[ $(q "SELECT status || ' ' || coalesce(error, '') FROM pathway.sources WHERE name = '$1'") =~ $2 ]]; }
rc=0; wait_until 10 st rl '^error redirect refused: host "localhost" is not in pathway.http_allowed_hosts' || rc=1
tap_ok "$rc" "allowed hosts: a redirect to a host not on the list is refused"

# ---------------------------------------------------------------- the owner loses EXECUTE
echo '[{"v": "x"}]' >"$HTTP_DIR/x.json"
sql -d "$db" >/dev/null <<SQL
CREATE ROLE $role LOGIN;
GRANT EXECUTE ON FUNCTION pathway.create_http_source(text, text, text, text, jsonb) TO $role;
GRANT CREATE ON SCHEMA public TO $role;
SQL
sql -d "$db" -U "$role" -c "SELECT pathway.create_http_source('px', '$U/file/x.json', 'json', 'v text', '{\"interval\": \"500ms\"}')" >/dev/null
some() { [[ $(q "SELECT count(*) FROM px") -ge 1 ]]; }
rc=0; wait_until 10 some || rc=1
tap_ok "$rc" "a role granted EXECUTE creates a source that lands"
q "REVOKE EXECUTE ON FUNCTION pathway.create_http_source(text, text, text, text, jsonb) FROM $role" >/dev/null
echo '[{"v": "y"}]' >"$HTTP_DIR/x.json"
rc=0; wait_until 10 st px "^failed the source stopped: its owner \"$role\" may no longer execute create_http_source" || rc=1
n1=$(q "SELECT count(*) FILTER (WHERE v = 'y') FROM px"); sleep 1.5; n2=$(q "SELECT count(*) FILTER (WHERE v = 'y') FROM px")
tap_is "$rc|$n1|$n2" "0|0|0" "REVOKE stops the source with the reason; nothing more lands"
q "SELECT pathway.drop_source('px')" >/dev/null
q "REVOKE CREATE ON SCHEMA public FROM $role" >/dev/null
q "DROP ROLE $role" >/dev/null

# ---------------------------------------------------------------- allowed hosts narrowed at run time
echo '[{"v": "n"}]' >"$HTTP_DIR/n.json"
q "SELECT pathway.create_http_source('nar', '$U/file/n.json', 'json', 'v text', '{\"interval\": \"300ms\"}')" >/dev/null
rc=0; wait_until 10 st nar '^running' || rc=1
q "ALTER SYSTEM SET pathway.http_allowed_hosts = 'example.invalid'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait_until 10 st nar '^error host "127.0.0.1" is not in pathway.http_allowed_hosts' || rc=1
before=$(http_requests /file/n.json); sleep 1.5; after=$(http_requests /file/n.json)
tap_is "$rc|$((after - before))" "0|0" "allowed hosts narrowed by a reload: a running source's next request is refused and none goes out"
q "ALTER SYSTEM RESET pathway.http_allowed_hosts" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
tap_done
