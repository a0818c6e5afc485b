#!/usr/bin/env bash
# The Kafka fixture itself (test/kafka/kafka_mock through test/lib/kafka.sh):
# a topic made by command holds exactly what kcat produced, with its keys;
# with every broker down clients fail within a bounded time, and once the
# brokers are back on the same ports they work again; an injected request
# error fails exactly one request; the brokers listen on 127.0.0.1 only.
#
# Needs no PostgreSQL.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/kafka.sh"

KAFKA_TIMEOUT=8
topic=fixture
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then kafka_log 20; fi
  kafka_stop
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# the TCP addresses the mock listens on, sorted, comma-separated
listeners() {
  ss -Hltnp | awk -v p="pid=$KAFKA_PID," 'index($0, p) { print $4 }' | sort | paste -sd,
}

# what kcat reads back, as sorted "KEY|VALUE" lines (empty KEY: none)
consume_all() {
  kafka_consume "$topic" 1000 -f '%k|%s\n' | sort
}

tap_plan 17

kafka_start 3 || tap_bail "the Kafka mock did not start"
want_listeners=$(tr , '\n' <<<"$KAFKA_BROKERS" | sort | paste -sd,)
[[ $KAFKA_BROKERS =~ ^127\.0\.0\.1:[0-9]+(,127\.0\.0\.1:[0-9]+){2}$ ]] && rc=0 || rc=1
tap_ok "$rc" "three brokers on 127.0.0.1 in the bootstrap list ($KAFKA_BROKERS)"
tap_is "$(listeners)" "$want_listeners" "the mock listens on exactly those addresses, all on 127.0.0.1"

kafka_cmd topic "$topic" 2 && rc=0 || rc=1
tap_ok "$rc" "topic created with 2 partitions"
tap_is "$(timeout 10 kcat -L -b "$KAFKA_BROKERS" -t "$topic" -m 5 2>/dev/null | grep -c '^    partition ')" 2 \
  "its metadata lists 2 partitions"
tap_is "$(kafka_cmd topic "$topic" 2 2>&1)" \
  "kafka_cmd: topic $topic 2: error: topic: Broker: Topic already exists" \
  "creating it again is an error"
tap_is "$(kafka_cmd partitions "$topic" 4 2>&1)" \
  "kafka_cmd: partitions $topic 4: error: not supported by the mock" \
  "growing it is refused: the mock cannot"

# 50 messages without a key, 50 with one
rc=0
seq -f 'm%g' 1 50 | kafka_produce "$topic" || rc=1
for i in $(seq 51 100); do echo "k$i:m$i"; done | kafka_produce "$topic" -K: || rc=1
tap_ok "$rc" "kcat produced 100 messages, 50 of them keyed"

want=$({
  seq -f '|m%g' 1 50
  for i in $(seq 51 100); do echo "k$i|m$i"; done
} | sort)
got=$(consume_all) || true
tap_is "$(grep -c . <<<"$got")" 100 "kcat consumed exactly 100 messages back"
tap_is "$got" "$want" "with the values and keys produced"
tap_is "$(kafka_consume "$topic" 1000 -f '%p\n' | sort -u | paste -sd' ')" "0 1" \
  "spread over both partitions"

# every broker down: clients fail, within a bounded time
kafka_cmd down all
start=$SECONDS
echo lost | kafka_produce "$topic" >/dev/null 2>&1 && rc=0 || rc=$?
((rc != 0 && SECONDS - start <= KAFKA_TIMEOUT + 2)) && ok=0 || ok=1
tap_ok "$ok" "with every broker down a producer fails within $KAFKA_TIMEOUT s (status $rc after $((SECONDS - start)) s)"
start=$SECONDS
got=$(KAFKA_TIMEOUT=4 kafka_consume "$topic" 1 2>/dev/null) && rc=0 || rc=$?
((rc != 0 && ${#got} == 0 && SECONDS - start <= 6)) && ok=0 || ok=1
tap_ok "$ok" "and a consumer gets nothing before its 4 s timeout (status $rc after $((SECONDS - start)) s)"

# back up, on the same ports
kafka_cmd up all
tap_is "$(listeners)" "$want_listeners" "the brokers are back on the same addresses"
rc=0
echo back | kafka_produce "$topic" || rc=1
got=$(consume_all) || true
[[ $rc == 0 && $(grep -c . <<<"$got") == 101 && $got == *'|back'* ]] && ok=0 || ok=1
tap_ok "$ok" "producing and consuming work again (101 messages)"

# an injected error fails exactly one request
kafka_cmd errors Produce 1 TOPIC_AUTHORIZATION_FAILED
echo refused | kafka_produce "$topic" >/dev/null 2>&1 && rc=0 || rc=$?
echo accepted | kafka_produce "$topic" && rc2=0 || rc2=$?
got=$(consume_all) || true
[[ $rc != 0 && $rc2 == 0 && $got == *'|accepted'* && $got != *'|refused'* ]] && ok=0 || ok=1
tap_ok "$ok" "an injected Produce error fails one produce (status $rc), the next one works (status $rc2)"

pid=$KAFKA_PID
dir=$KAFKA_DIR
kafka_stop
kill -0 "$pid" 2>/dev/null && rc=1 || rc=0
[[ -e $dir ]] && rc=1
tap_ok "$rc" "kafka_stop ends the mock and removes its files"
kafka_stop && rc=0 || rc=1
tap_ok "$rc" "kafka_stop is safe to call twice"
tap_done
