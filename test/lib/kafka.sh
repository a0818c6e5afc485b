# A Kafka cluster for the shell tests: librdkafka's mock cluster run by
# test/kafka/kafka_mock (built by make), driven through a fifo.  Sourced,
# never run; source test/lib/tap.sh first if you want diagnostics as TAP.
#
#   kafka_start [BROKERS]      start the mock (default 3 brokers) on
#                              127.0.0.1; exports KAFKA_BROKERS (the
#                              bootstrap list) and sets KAFKA_PID
#   kafka_cmd COMMAND...       send one fixture command ("topic t 2",
#                              "down 1", "up all", "errors Fetch 3 _TRANSPORT",
#                              ...), wait for its reply; non-zero (and the
#                              reply on stderr) unless it is "ok"
#   kafka_stop                 quit the mock and wait for it; removes its
#                              files (safe to call twice, and from a trap)
#   kafka_produce TOPIC [kcat args...]
#                              produce stdin, one message a line, with
#                              kcat -P (add -K: for KEY:VALUE lines)
#   kafka_consume TOPIC COUNT [kcat args...]
#                              print up to COUNT messages from the
#                              beginning, one a line (kcat -C -e: stops at
#                              the end of every partition); non-zero if kcat
#                              fails or takes more than KAFKA_TIMEOUT s
#   kafka_log [N]              the mock's last N log lines as diagnostics
#
# Every wait is bounded by KAFKA_TIMEOUT seconds (default 10).  The mock
# exits by itself after KAFKA_MAX_SECONDS (default 600) even if nobody
# stops it.  The commands are described at the top of test/kafka/kafka_mock.c.

: "${KAFKA_MOCK:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/kafka/kafka_mock}"
: "${KAFKA_TIMEOUT:=10}"
: "${KAFKA_MAX_SECONDS:=600}"

KAFKA_PID=
KAFKA_DIR=
KAFKA_IN=
KAFKA_OUT=
KAFKA_BROKERS=

_kafka_diag() {
  if declare -F tap_diag >/dev/null; then
    tap_diag "$@"
  else
    printf '# %s\n' "$@" >&2
  fi
}

kafka_start() {
  local brokers=${1:-3} line=
  if [[ -n $KAFKA_PID ]]; then
    _kafka_diag "kafka_start: the mock is already running (pid $KAFKA_PID)"
    return 1
  fi
  if [[ ! -x $KAFKA_MOCK ]]; then
    # not built yet (a test run by hand): build only the fixture
    make -s -C "$(dirname "$KAFKA_MOCK")/../.." test/kafka/kafka_mock >&2 || return 1
  fi
  KAFKA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pathway-kafka.XXXXXX") || return 1
  mkfifo "$KAFKA_DIR/in" "$KAFKA_DIR/out" || { kafka_stop; return 1; }
  # Read-write opens of a fifo never block, so neither side can hang here
  # even if the mock dies at once; holding the write end of "in" keeps the
  # mock's stdin open between commands.
  exec {KAFKA_IN}<>"$KAFKA_DIR/in" {KAFKA_OUT}<>"$KAFKA_DIR/out"
  # the mock gets neither of the shell's ends (its stdin would never end)
  "$KAFKA_MOCK" --max-seconds "$KAFKA_MAX_SECONDS" "$brokers" \
    <"$KAFKA_DIR/in" >"$KAFKA_DIR/out" 2>"$KAFKA_DIR/log" \
    {KAFKA_IN}>&- {KAFKA_OUT}>&- &
  KAFKA_PID=$!
  if ! read -r -t "$KAFKA_TIMEOUT" -u "$KAFKA_OUT" line || [[ $line != *:* ]]; then
    _kafka_diag "kafka_start: no bootstrap list from the mock after $KAFKA_TIMEOUT s (got '$line')"
    kafka_log 20
    kafka_stop
    return 1
  fi
  export KAFKA_BROKERS=$line
}

kafka_cmd() {
  local reply=
  if [[ -z $KAFKA_PID ]] || ! kill -0 "$KAFKA_PID" 2>/dev/null; then
    echo "kafka_cmd: the mock is not running" >&2
    return 1
  fi
  # a reply that came after an earlier timeout would answer this command
  while read -r -t 0 -u "$KAFKA_OUT"; do
    read -r -t 1 -u "$KAFKA_OUT" reply || break
    echo "kafka_cmd: dropping a late reply: $reply" >&2
  done
  printf '%s\n' "$*" 1>&"$KAFKA_IN"
  if ! read -r -t "$KAFKA_TIMEOUT" -u "$KAFKA_OUT" reply; then
    echo "kafka_cmd: no reply to '$*' after $KAFKA_TIMEOUT s" >&2
    return 1
  fi
  if [[ $reply != ok ]]; then
    echo "kafka_cmd: $*: $reply" >&2
    return 1
  fi
}

kafka_stop() {
  local pid=$KAFKA_PID deadline reply
  KAFKA_PID=
  if [[ -n $pid ]]; then
    if kill -0 "$pid" 2>/dev/null; then
      printf 'quit\n' 1>&"$KAFKA_IN"
      read -r -t 5 -u "$KAFKA_OUT" reply || true
      deadline=$((SECONDS + 5))
      while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        _kafka_diag "kafka_stop: the mock did not quit: terminating it"
        kill -TERM "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 3))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
    wait "$pid" 2>/dev/null || true
  fi
  [[ -z $KAFKA_IN ]] || exec {KAFKA_IN}>&-
  [[ -z $KAFKA_OUT ]] || exec {KAFKA_OUT}>&-
  KAFKA_IN=
  KAFKA_OUT=
  [[ -z $KAFKA_DIR ]] || rm -rf -- "$KAFKA_DIR"
  KAFKA_DIR=
  unset KAFKA_BROKERS
  return 0
}

kafka_produce() {
  local topic=$1
  shift
  timeout -k 2 "$KAFKA_TIMEOUT" \
    kcat -P -b "$KAFKA_BROKERS" -t "$topic" -X message.timeout.ms=$((KAFKA_TIMEOUT * 1000 / 2)) "$@"
}

kafka_consume() {
  local topic=$1 count=$2
  shift 2
  timeout -k 2 "$KAFKA_TIMEOUT" \
    kcat -C -b "$KAFKA_BROKERS" -t "$topic" -o beginning -c "$count" -e -q "$@"
}

# kafka_count TOPIC MAX: how many messages (up to MAX) the topic holds
kafka_count() {
  kafka_consume "$1" "$2" -f '%o\n' 2>/dev/null | wc -l
}

kafka_log() {
  [[ -n $KAFKA_DIR && -s $KAFKA_DIR/log ]] || return 0
  _kafka_diag "--- last ${1:-40} lines of the Kafka mock's log" "$(tail -n "${1:-40}" "$KAFKA_DIR/log")"
}
