#!/usr/bin/env bash
# A live view published to Kafka: the topic replays to the view's contents,
# also after the engine worker is killed while it publishes (at least once:
# a replay by key is idempotent), and the sink's surface (pathway.sinks,
# drop_sink, refusals) behaves.
#
# Shared cluster, own database, own mock Kafka cluster.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/kafka.sh"

db=pathway_kafka_sink_$$
work=$(mktemp -d)
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  kafka_stop || true
  drop_pathway_db "$db" >/dev/null 2>&1 || true
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The topic folded by key, in offset order: a key's last message decides
# (insert: the row is there; delete: it is gone).  Prints the rows as JSON,
# sorted.  Duplicates (at least once) change nothing.
fold_topic() {
  local topic=$1 n=$2
  kafka_consume "$topic" "$n" -f '%p\t%o\t%k\t%s\n' > "$work/topic.tsv" || true
  sql -d "$db" <<SQL
CREATE TEMP TABLE m (p int, o bigint, k text, v jsonb);
\copy m FROM '$work/topic.tsv'
SELECT r FROM (
  SELECT DISTINCT ON (k) v->>'op' AS op, v->'row' AS r FROM m ORDER BY k, p, o DESC
) last WHERE op = 'insert' ORDER BY r::text;
SQL
}

view_rows() {
  sql -d "$db" -c "SELECT to_jsonb(v) FROM $1 v ORDER BY to_jsonb(v)::text"
}

topic_size() {
  kafka_consume "$1" 1000000 -f '%o\n' 2>/dev/null | wc -l
}

wait_published() {
  wait_output 20 0 sql -d "$db" -c "SELECT count(*) FROM pathway.sinks WHERE pending > 0 OR status <> 'running'"
}

tap_plan 9
kafka_start 1 >/dev/null || tap_bail "could not start the Kafka mock"
kafka_cmd "topic orders 2" || tap_bail "could not create the topic"
kafka_cmd "topic totals 2" || tap_bail "could not create the topic"
sql -d postgres -c "CREATE DATABASE $db"
sql -d "$db" <<SQL >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION pathway;
SELECT pathway.create_kafka_source('orders', '$KAFKA_BROKERS', 'orders', 'json', 'shop text, amount int');
SELECT pathway.create_view('totals', 'SELECT shop, count(*) AS n, sum(amount) AS total FROM orders GROUP BY shop');
SQL

gen() { # gen FROM TO: orders over 5 shops
  seq "$1" "$2" | awk '{ printf "{\"shop\": \"s%d\", \"amount\": %d}\n", $1 % 5, $1 % 97 }'
}
gen 1 500 | kafka_produce orders
sql -d "$db" -c "SELECT pathway.sync('totals', '20s')" >/dev/null
sql -d "$db" -c "SELECT pathway.create_kafka_sink('totals', '$KAFKA_BROKERS', 'totals')" >/dev/null
wait_published
tap_is "$(fold_topic totals 100)" "$(view_rows totals)" "the topic replays to the view's rows"
tap_is "$(topic_size totals)" 5 "first the view's rows, one message each"

# changes: groups change and one disappears
gen 501 800 | kafka_produce orders
sql -d "$db" -c "SELECT pathway.sync('totals', '20s')" >/dev/null
sql -d "$db" -c "DELETE FROM orders WHERE shop = 's3'" >/dev/null
sql -d "$db" -c "SELECT pathway.sync('totals', '20s')" >/dev/null
wait_published
tap_is "$(fold_topic totals 1000)" "$(view_rows totals)" "after changes and a vanished group, the topic still replays to the view"
tap_is "$(sql -d "$db" -c "SELECT count(*) FROM totals WHERE shop = 's3'")" 0 "the deleted group is gone from the view"

# kill -9 the worker while it publishes a stream of changes
for round in 1 2 3 4; do
  gen $((1000 * round)) $((1000 * round + 999)) | kafka_produce orders
done &
producer=$!
sleep 0.3
pid=$(sql -d "$db" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pathway engine' AND datname = current_database()")
[[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
wait "$producer"
wait_until 30 sql -d "$db" -c "SELECT pathway.sync('totals', '5s')" >/dev/null 2>&1 || true
sql -d "$db" -c "SELECT pathway.sync('totals', '20s')" >/dev/null
wait_published
tap_is "$(fold_topic totals 100000)" "$(view_rows totals)" "after kill -9 of the worker, the topic replays to the view"
tap_is "$(sql -d "$db" -c "SELECT count(*) FROM pathway.check_view('totals')")" 0 "and the view equals its query"

# the surface
tap_is "$(sql -d "$db" -c "SELECT view, topic, status, pending FROM pathway.sinks")" "totals|totals|running|0" \
  "pathway.sinks shows the sink, running, nothing pending"
err=$(sql -d "$db" -c "SELECT pathway.create_kafka_sink('orders', '$KAFKA_BROKERS', 'x')" 2>&1 || true)
tap_ok "$([[ $err == *'"orders" is not a live view'* ]] && echo 0 || echo 1)" "a sink needs a live view"
sql -d "$db" -c "SELECT pathway.drop_sink('totals')" >/dev/null
tap_is "$(sql -d "$db" -c "SELECT count(*) FROM pathway.sinks")|$(sql -d "$db" -c "SELECT count(*) FROM pathway.sink_outbox" -U postgres)" "0|0" \
  "drop_sink removes the sink and its outbox"
tap_done
