#!/usr/bin/env bash
# A live view kept up to date while the tables under it change, on a
# throwaway cluster. Expects the extension to be built (make demo does that).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
cluster="$PWD/test/cluster.sh"
port=${PATHWAY_DEMO_PORT:-61433}
dir=/tmp/pathway-demo-$port
view=revenue_by_region
query="SELECT r.name AS region, sum(o.amount) AS revenue, count(*) AS orders
  FROM orders o JOIN regions r ON r.id = o.region_id
 GROUP BY r.name"

cluster_started=0
cluster_up=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if (( rc != 0 )); then
    echo
    echo "demo FAILED (exit $rc)"
    if (( cluster_up )) && [[ -f $dir/log ]]; then
      echo "--- last 40 lines of the server log"
      tail -n 40 "$dir/log"
    fi
  fi
  if declare -F kafka_stop >/dev/null; then kafka_stop || true; fi
  if (( cluster_started )); then bash "$cluster" stop "$dir" || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

section() { printf '\n=== %s ===\n\n' "$*"; }

sql() {
  psql -X -v ON_ERROR_STOP=1 -P pager=off -h 127.0.0.1 -p "$port" -U postgres -d demo "$@"
}

# Explain a change, then run it in its own connection, hence its own transaction.
change() {
  local why=$1 stmt=$2
  echo "-- $why"
  sed 's/^/   > /' <<<"$stmt"
  sql -c "$stmt"
}

sync_view() {
  local out
  out=$(sql -q -At -c "SELECT pathway.sync('$view')")
  if [[ $out == f ]]; then
    echo "pathway.sync('$view') did not catch up" >&2
    return 1
  fi
}

show_view() {
  echo
  echo "$view after pathway.sync:"
  sql -c "TABLE $view ORDER BY region"
}

section "Setup: install, throwaway cluster on port $port, database demo"
make -s --no-print-directory install
cluster_started=1
bash "$cluster" start "$dir" "$port"
cluster_up=1
psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
  -c "CREATE DATABASE demo"
sql -q -c "CREATE EXTENSION pathway"
echo "extension pathway created"

section "Base tables"
change "four regions and a handful of orders" \
"CREATE TABLE regions(id int PRIMARY KEY, name text);
CREATE TABLE orders(id serial PRIMARY KEY, region_id int, amount numeric);
INSERT INTO regions VALUES (1, 'north'), (2, 'south'), (3, 'east'), (4, 'west');
INSERT INTO orders(region_id, amount) VALUES
  (1, 100), (1, 250), (2, 80), (3, 120), (4, 60), (4, 40);"

section "Create the live view"
echo "query:"
sed 's/^/   /' <<<"$query"
sql -q -At -c "SELECT pathway.create_view('$view', \$q\$$query\$q\$)" >/dev/null
sync_view
show_view

section "Round 1: new orders"
change "two new orders for north, one for east" \
"INSERT INTO orders(region_id, amount) VALUES (1, 30), (1, 20), (3, 500);"
sync_view
show_view

section "Round 2: an amount is corrected"
change "order 1 (north) goes from 100 to 175: north revenue +75" \
"UPDATE orders SET amount = 175 WHERE id = 1;"
sync_view
show_view

section "Round 3: an order moves to another region"
change "order 2 (250) moves from north to south" \
"UPDATE orders SET region_id = 2 WHERE id = 2;"
sync_view
show_view

section "Round 4: a whole group disappears"
change "all west orders are cancelled: the west row leaves the view" \
"DELETE FROM orders WHERE region_id = 4;"
sync_view
show_view

section "Round 5: a change on the other side of the join"
change "region east is renamed to 'east coast'" \
"UPDATE regions SET name = 'east coast' WHERE id = 3;"
sync_view
show_view

section "Round 6: a rolled-back transaction changes nothing"
change "a big order for south, rolled back" \
"BEGIN;
INSERT INTO orders(region_id, amount) VALUES (2, 99999);
ROLLBACK;"
sync_view
show_view

section "Round 7: several transactions, one sync"
change "transaction 1: west is back with one order" \
"INSERT INTO orders(region_id, amount) VALUES (4, 70);"
change "transaction 2: south's first order doubles" \
"UPDATE orders SET amount = amount * 2 WHERE id = 3;"
change "transaction 3: the east coast order of 120 is deleted" \
"DELETE FROM orders WHERE id = 4;"
sync_view
show_view

section "A Kafka stream feeding a live view"
# A Kafka cluster on loopback: librdkafka's mock, as the tests use it.
source test/lib/kafka.sh
kafka_start 1 >/dev/null
kafka_cmd "topic clicks 2" || exit 1
echo "a Kafka cluster on loopback: $KAFKA_BROKERS, topic clicks (2 partitions)"
change "land the topic in a stream table, parsed from JSON" \
"SELECT pathway.create_kafka_source('clicks', '$KAFKA_BROKERS', 'clicks',
       format => 'json', columns => 'region_id int, url text');"
change "a live view over the stream joined with a table" \
"SELECT pathway.create_view('clicks_by_region', \$q\$
  SELECT r.name AS region, count(*) AS clicks
    FROM clicks c JOIN regions r ON r.id = c.region_id
   GROUP BY r.name \$q\$);"
echo "-- produce 1000 clicks with kcat, and one message that is not JSON"
{ seq 1 1000 | awk '{ printf "{\"region_id\": %d, \"url\": \"/p/%d\"}\n", $1 % 4 + 1, $1 % 10 }'
  echo 'not json'; } | kafka_produce clicks
sql -q -At -c "SELECT pathway.sync('clicks_by_region')" >/dev/null
echo
echo "clicks_by_region after pathway.sync (it waits for what the brokers hold):"
sql -c "TABLE clicks_by_region ORDER BY region"
echo "the bad message is kept, with its error and position:"
sql -c "SELECT source, partition, \"offset\", convert_from(payload, 'UTF8') AS payload, error FROM pathway.dead_letters"
sql -c "SELECT name, status, positions, messages, dead_letters FROM pathway.sources"

section "The live view's changes, out to Kafka"
change "publish every committed change of clicks_by_region" \
"SELECT pathway.create_kafka_sink('clicks_by_region', '$KAFKA_BROKERS', 'clicks_by_region');"
echo '-- 3 more clicks for north'
printf '{"region_id": 1, "url": "/x"}\n%.0s' 1 2 3 | kafka_produce clicks
sql -q -At -c "SELECT pathway.sync('clicks_by_region')" >/dev/null
for i in $(seq 50); do
  [[ $(sql -q -At -c "SELECT count(*) FROM pathway.sinks WHERE pending = 0 AND messages >= 6") == 1 ]] && break
  sleep 0.2
done
echo "the topic clicks_by_region: the view's rows, then north's update (a delete and an insert):"
kafka_consume clicks_by_region 6 -f '%k  %s\n' | sed 's/^/   /'
kafka_stop

section "Catalog: pathway.views"
sql -c "SELECT name, status, frontier FROM pathway.views"

section "Check: the view equals its query"
diff_sql="WITH q AS ($query)
(TABLE $view EXCEPT ALL TABLE q) UNION ALL (TABLE q EXCEPT ALL TABLE $view)"
sed 's/^/   > /' <<<"$diff_sql"
sql -c "$diff_sql"
mismatches=$(sql -q -At -c "SELECT count(*) FROM ($diff_sql) d")
if [[ $mismatches != 0 ]]; then
  echo "the view differs from its query in $mismatches row(s)" >&2
  exit 1
fi
echo "no differences: the live view matches a fresh run of its query"

section "Drop the view"
sql -q -At -c "SELECT pathway.drop_view('$view')" >/dev/null
sql -c "SELECT count(*) AS views_left FROM pathway.views"

echo
echo "demo finished"
