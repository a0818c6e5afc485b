#!/usr/bin/env bash
# Kafka sources end to end, against the mock cluster of test/kafka: every
# format lands exactly the rows its messages hold (json, csv, text, bytes),
# with the partition, offset, timestamp and key that kcat reports; every bad
# message becomes one dead letter with its payload and error while the good
# ones around it land; a live GROUP BY view over a stream table is exact
# after each form of pathway.sync(); pathway.sources shows the positions,
# counters and masked secrets (a secret never reaches the server log);
# create_kafka_source rejects bad arguments with their SQLSTATEs; a source
# with "auto.offset.reset": "latest" starts at the end and sync() does not
# wait for what came before; sync() right after a creation waits for the
# new source; and drop_source removes the table, the source and its offsets.
#
# Shared cluster, own database, own Kafka mock.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/kafka.sh"

db=pathway_kafka_source_$$
role=pathway_kafka_reader_$$
work=$(mktemp -d)
db_created=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then kafka_log 20; fi
  kafka_stop
  if ((db_created)); then drop_pathway_db "$db" >/dev/null 2>&1 || true; fi
  sql -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# q SQL: one query in the test database, NULL shown as NULL, '|' between columns
q() {
  sql -d "$db" -F '|' -P null=NULL -c "$1"
}

# produce TOPIC [kcat args...]: stdin, one message a line; a failure is fatal
produce() {
  kafka_produce "$@" || tap_bail "kcat could not produce to $1"
}

# the topic's messages as "PARTITION OFFSET KEY TIMESTAMP_MS", by partition and offset
topic_listing() {
  kafka_consume "$1" 100000 -f '%p %o %k %T\n' | sort -n -k1,1 -k2,2
}

# the topic's end offsets as pathway.sources shows positions: {"0": 5, "1": 3}
topic_ends() {
  kafka_consume "$1" 100000 -f '%p %o\n' |
    awk '{ if ($2 + 1 > end[$1]) end[$1] = $2 + 1 }
         END { for (p in end) print p, end[p] }' |
    sort -n | awk '{ s = s (NR > 1 ? ", " : "") "\"" $1 "\": " $2 } END { print "{" s "}" }'
}

# expect_error DESC SQLSTATE MESSAGE_REGEX SQL: SQL fails with that state and message
expect_error() {
  local desc=$1 state=$2 regex=$3 stmt=$4 got
  got=$(sql -d "$db" -v stmt="$stmt" <<<"SELECT kt_error(:'stmt')")
  if [[ ${got%% *} == "$state" && ${got#* } =~ $regex ]]; then
    tap_ok 0 "$desc ($state)"
  else
    tap_ok 1 "$desc ($state)"
    tap_diag "     got: '$got'" "expected: '$state' and a message matching /$regex/"
  fi
}

sync_all() {
  sql -d "$db" -c "SELECT pathway.sync(${1:-NULL}, '20s')" >/dev/null 2>"$work/sync.err"
}

log=${PATHWAY_TEST_DIR:-}/log
if [[ -z ${PATHWAY_TEST_DIR:-} ]]; then
  log=$(sql -d postgres -c "SHOW data_directory" 2>/dev/null || true)/log
fi
mark=$(log_mark "$log")

tap_plan 66

kafka_start 3 || tap_bail "the Kafka mock did not start"
for t in j:3 ja:1 jx:1 c:1 t:1 b:1 d:1 g:3 s:1 lt:1 fresh:2; do
  kafka_cmd topic "${t%%:*}" "${t#*:}" || tap_bail "could not create topic ${t%%:*}"
done

sql -d postgres -c "CREATE DATABASE $db"
db_created=1
sql -d "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pathway;
CREATE TABLE keep (a int);
-- the SQLSTATE and message of a statement's error ('00000 no error' if none)
CREATE FUNCTION kt_error(stmt text) RETURNS text LANGUAGE plpgsql AS $$
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

# ---------------------------------------------------------------- json
# half the topic is there before the source: it starts from the beginning
produce j -K'|' <<'EOF'
k1|{"id":1,"name":"alpha","amount":12.5,"at":"2024-03-01T10:00:00Z","doc":{"a":[1,{"b":null}]},"ok":true,"tags":"{1,2,3}"}
k2|{"id":2,"name":null,"amount":-0.01,"at":null,"doc":[1,"x"],"ok":false,"tags":"{}"}
{"id":3,"name":"gamma \"q\" é","amount":1e3,"at":"2024-03-01 12:00:00+02","doc":"str","ok":null,"tags":null,"extra":"ignored"}
EOF

brokers=$KAFKA_BROKERS
sql -d "$db" >/dev/null <<SQL
SELECT pathway.create_kafka_source('j', '$brokers', 'j', 'json',
    'id int, name text, amount numeric(10,2), at timestamptz, doc jsonb, ok bool, tags int[]');
SELECT pathway.create_kafka_source('ja', '$brokers', 'ja', 'json', 'id int, tags int[], names text[]');
SELECT pathway.create_kafka_source('c', '$brokers', 'c', 'csv', 'id int, a text, b text, n numeric');
SELECT pathway.create_kafka_source('t', '$brokers', 't', 'text');
SELECT pathway.create_kafka_source('b', '$brokers', 'b', 'bytes', NULL, '{"pathway.max_message_bytes": 300}');
SELECT pathway.create_kafka_source('d', '$brokers', 'd', 'json', 'id int CHECK (id > 0), name text NOT NULL');
SELECT pathway.create_kafka_source('g', '$brokers', 'g', 'json', 'k text, v int');
SELECT pathway.create_kafka_source('jx', '$brokers', 'jx', 'json', 'id int, n numeric, f float8, s text, b bool');
SELECT pathway.create_kafka_source('s', '$brokers', 's', 'text', NULL,
    '{"sasl.password":"hunter2", "security.protocol":"plaintext"}');
SQL

produce j -K'|' <<'EOF'
k4|{"id":"4","name":"δ","amount":"7.25","at":"2024-03-01 10:00:00.123456+00","doc":true,"ok":"yes","tags":"{4,5}"}
{"id":5,"name":"","amount":0,"at":"infinity","doc":null,"ok":false,"tags":null}
EOF
produce ja <<'EOF'
{"id":1,"tags":[1,2,3],"names":["a","b c"]}
{"id":2,"tags":[],"names":[]}
EOF

# no jsonb or array column: the fields are read off the text (no jsonb built)
# and must come out as through jsonb: numbers as numeric prints them, the
# last of duplicate keys, an object into text as jsonb's text
produce jx <<'EOF'
{"id":1e2,"n":1.50,"f":-0,"s":"a\nb\u00e9","b":true}
{"id":2,"id":3,"s":{"x":1,"a":[2]},"n":null,"f":2.5E-1,"b":false}
{"id":4,"s":"x","n":1,"f":1,"b":null,"s":"y"}
{"id":5,"n":1,"f":1,"s":"a\u0000b","b":true}
{"id":6,"n":1,"f":1,"s":"t","b":true}}
{"id":1.5e0,"n":1,"f":1,"s":"t","b":true}
{"id":7,"n":12345678901234567890.123,"f":1e308,"s":"q","b":true,"deep":{"z":[1,{"y":2}]}}
EOF

# ---------------------------------------------------------------- csv
produce c <<'EOF'
1,plain,"with, comma",1.5
2,"say ""hi""","",
3,,"",-2
4,"""","a,""b"",c",0
EOF
printf '5,"multi\nline",b,5\r\n' >"$work/c5"
produce c "$work/c5"
produce c <<'EOF'
6,too few
7,a,b,1,extra
8,"unterminated,b,1
9,a,b,abc
10,last,,10
EOF

# ---------------------------------------------------------------- text
printf 'hello\nwörld ✓\ntab\tand back\\slash\n' | produce t
printf '\xff\xfe\n' | produce t
printf 'ab\0cd' >"$work/t_nul"
produce t "$work/t_nul"
printf 'kt|\n' | produce t -K'|' -Z
printf 'last\n' | produce t

# ---------------------------------------------------------------- bytes
printf "$(printf '\\x%02x' $(seq 0 255))" >"$work/b_all"
head -c 300 /dev/zero | tr '\0' x >"$work/b_300"
head -c 301 /dev/zero | tr '\0' y >"$work/b_301"
produce b "$work/b_all" "$work/b_300" "$work/b_301"
printf 'kb|\n' | produce b -K'|' -Z
printf 'tail\n' | produce b

# ---------------------------------------------------------------- dead letters (json)
seq 1 50 | awk '{ printf "{\"id\":%d,\"name\":\"n%d\"}\n", $1, $1 }' | produce d
produce d <<'EOF'
not json
[1,2]
{"id":1001}
{"id":"two","name":"x"}
{"id":-1,"name":"neg"}
EOF
printf '\xff\xfe\n' | produce d
printf 'kd|\n' | produce d -K'|' -Z
printf '{"id":1002,"name":null}\n' | produce d
seq 51 100 | awk '{ printf "{\"id\":%d,\"name\":\"n%d\"}\n", $1, $1 }' | produce d

# ---------------------------------------------------------------- group view, round 1
seq 1 600 | awk '{ printf "{\"k\":\"%c\",\"v\":%d}\n", 97 + $1 % 5, $1 }' | produce g
sql -d "$db" -c "SELECT pathway.create_view('gv', 'SELECT k, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi FROM g GROUP BY k')" >/dev/null 2>&1 ||
  tap_bail "create_view gv failed"

rc=0
sync_all || rc=1
tap_ok "$rc" "pathway.sync() returns once every topic is landed"
((rc == 0)) || tap_diag "$(cat "$work/sync.err")"

# ---------------------------------------------------------------- json checks
tap_is "$(q "SELECT id, quote_nullable(name), amount, at AT TIME ZONE 'UTC', doc, ok, tags, convert_from(kafka_key, 'UTF8') FROM j ORDER BY id")" \
  "1|'alpha'|12.50|2024-03-01 10:00:00|{\"a\": [1, {\"b\": null}]}|t|{1,2,3}|k1
2|NULL|-0.01|NULL|[1, \"x\"]|f|{}|k2
3|'gamma \"q\" é'|1000.00|2024-03-01 10:00:00|\"str\"|NULL|NULL|NULL
4|'δ'|7.25|2024-03-01 10:00:00.123456|true|t|{4,5}|k4
5|''|0.00|infinity|NULL|f|NULL|NULL" \
  "json: int, text, numeric, timestamptz, jsonb, bool, int[] columns exact (strings through the input functions, null is NULL, extra fields ignored)"
tap_is "$(q "SELECT kafka_partition || ' ' || kafka_offset || ' ' || coalesce(convert_from(kafka_key, 'UTF8'), '') || ' ' ||
                    (extract(epoch FROM kafka_timestamp) * 1000)::bigint
               FROM j ORDER BY kafka_partition, kafka_offset")" \
  "$(topic_listing j)" \
  "json: kafka_partition, kafka_offset, kafka_key and kafka_timestamp are what kcat reports for each message"
tap_is "$(q "SELECT count(DISTINCT kafka_partition) > 1 FROM j")" t "json: the messages are spread over several partitions"
tap_is "$(q "SELECT id, tags, names FROM ja ORDER BY id") / dead letters: $(q "SELECT count(*) FROM pathway.dead_letters WHERE source = 'ja'")" \
  '1|{1,2,3}|{a,"b c"}
2|{}|{} / dead letters: 0' \
  "json: JSON arrays land in int[] and text[] columns"
if [[ $(q "SELECT count(*) FROM pathway.dead_letters WHERE source = 'ja'") != 0 ]]; then
  tap_diag "$(q "SELECT \"offset\", error FROM pathway.dead_letters WHERE source = 'ja'")"
fi

tap_is "$(q "SELECT id, n, f, quote_nullable(replace(s, E'\n', '<LF>')), quote_nullable(b) FROM jx ORDER BY kafka_offset")" \
  "100|1.50|0|'a<LF>bé'|'true'
3|NULL|0.25|'{\"a\": [2], \"x\": 1}'|'false'
4|1|1|'y'|NULL
7|12345678901234567890.123|1e+308|'q'|'true'" \
  "json read without jsonb: 1e2 into int, -0 into float8 as 0, escapes, the last duplicate key, an object into text as jsonb text, nested unused fields"
tap_is "$(q "SELECT \"offset\" || ': ' || error FROM pathway.dead_letters WHERE source = 'jx' ORDER BY \"offset\"")" \
  '3: unsupported Unicode escape sequence
4: invalid input syntax for type json
5: column "id": invalid input syntax for type integer: "1.5"' \
  "json read without jsonb: \\u0000, trailing garbage and a fraction into int are dead letters with jsonb's errors"

# ---------------------------------------------------------------- csv checks
tap_is "$(q "SELECT id, quote_nullable(replace(a, E'\n', '<LF>')), quote_nullable(b), n FROM c ORDER BY kafka_offset")" \
  "1|'plain'|'with, comma'|1.5
2|'say \"hi\"'|''|NULL
3|NULL|''|-2
4|'\"'|'a,\"b\",c'|0
5|'multi<LF>line'|'b'|5
10|'last'|NULL|10" \
  "csv: quotes, embedded commas and line breaks, doubled quotes, CRLF; empty unquoted is NULL, quoted empty is ''"
tap_is "$(q "SELECT \"offset\" || ': ' || error FROM pathway.dead_letters WHERE source = 'c' ORDER BY \"offset\"")" \
  '5: CSV record has 2 fields, the stream table has 4
6: CSV record has more than 4 fields
7: unterminated quoted CSV field 2
8: column "n": invalid input syntax for type numeric: "abc"' \
  "csv: too few fields, too many, an unterminated quote and a bad number are dead letters with their errors"
tap_is "$(q "SELECT convert_from(payload, 'UTF8') FROM pathway.dead_letters WHERE source = 'c' ORDER BY \"offset\"")" \
  '6,too few
7,a,b,1,extra
8,"unterminated,b,1
9,a,b,abc' \
  "csv: the dead letters hold the messages' payloads"

# ---------------------------------------------------------------- text checks
tap_is "$(q "SELECT kafka_offset, quote_nullable(value), convert_from(kafka_key, 'UTF8') FROM t ORDER BY kafka_offset")" \
  "0|'hello'|NULL
1|'wörld ✓'|NULL
2|E'tab	and back\\\\slash'|NULL
5|NULL|kt
6|'last'|NULL" \
  "text: one row a message, UTF-8, tabs and backslashes verbatim; a message without a value is NULL"
tap_is "$(q "SELECT \"offset\" || ' ' || encode(payload, 'hex') || ' ' || error FROM pathway.dead_letters WHERE source = 't' ORDER BY \"offset\"")" \
  '3 fffe column "value": invalid byte sequence for encoding "UTF8": 0xff
4 6162006364 column "value": invalid byte sequence for encoding "UTF8": 0x00' \
  "text: invalid UTF-8 and a NUL byte are dead letters, not truncated text"

# ---------------------------------------------------------------- bytes checks
tap_is "$(q "SELECT kafka_offset, CASE WHEN value IS NULL THEN 'NULL' ELSE length(value) || ' ' || md5(value) END, convert_from(kafka_key, 'UTF8') FROM b ORDER BY kafka_offset")" \
  "0|256 $(md5sum <"$work/b_all" | cut -d' ' -f1)|NULL
1|300 $(md5sum <"$work/b_300" | cut -d' ' -f1)|NULL
3|NULL|kb
4|4 $(printf tail | md5sum | cut -d' ' -f1)|NULL" \
  "bytes: binary payloads byte for byte (all 256 values, one of exactly the limit), a message without a value is NULL"
tap_is "$(q "SELECT value = (SELECT decode(string_agg(lpad(to_hex(i), 2, '0'), '' ORDER BY i), 'hex') FROM generate_series(0, 255) i) FROM b WHERE kafka_offset = 0")" t \
  "bytes: the 256-byte message is the bytes 0x00..0xff in order"
tap_is "$(q "SELECT \"offset\" || ' ' || length(payload) || ' ' || md5(payload) || ' ' || error FROM pathway.dead_letters WHERE source = 'b'")" \
  "2 301 $(md5sum <"$work/b_301" | cut -d' ' -f1) message of 301 bytes exceeds the source's limit of 300 bytes" \
  "bytes: a message one byte over pathway.max_message_bytes is a dead letter with its whole payload"

# ---------------------------------------------------------------- dead letter checks (json)
tap_is "$(q "SELECT count(*), sum(id), min(kafka_offset), max(kafka_offset) FROM d")" "100|5050|0|107" \
  "dead letters: the 100 good messages around the 8 bad ones all landed"
declare -a dl_offset=(50 51 52 53 54 55 56 57)
declare -a dl_key=(NULL NULL NULL NULL NULL NULL kd NULL)
declare -a dl_payload=("not json" "[1,2]" '{"id":1001}' '{"id":"two","name":"x"}' '{"id":-1,"name":"neg"}' HEX:fffe NULL '{"id":1002,"name":null}')
declare -a dl_error=(
  '^invalid input syntax for type json$'
  '^message is not a JSON object$'
  'field "name" is missing$'
  '^column "id": invalid input syntax for type integer: "two"$'
  'new row for relation "d" violates check constraint "d_id_check"$'
  'invalid byte sequence for encoding "UTF8": 0xff$'
  '^message has no value$'
  'null value in column "name" of relation "d" violates not-null constraint$'
)
declare -a dl_what=("not JSON" "not an object" "missing field" "wrong type" "CHECK constraint" "invalid UTF-8" "no value" "null into NOT NULL")
mapfile -t dl_rows < <(q "SELECT \"offset\", coalesce(convert_from(key, 'UTF8'), 'NULL'), coalesce(encode(payload, 'hex'), 'NULL'), error
                            FROM pathway.dead_letters WHERE source = 'd' ORDER BY \"offset\"")
tap_is "${#dl_rows[@]}" 8 "dead letters: exactly 8 for the 8 bad messages"
for i in "${!dl_offset[@]}"; do
  p=${dl_payload[$i]}
  if [[ $p == HEX:* ]]; then p=${p#HEX:}; elif [[ $p != NULL ]]; then p=$(printf '%s' "$p" | od -An -tx1 -v | tr -d ' \n'); fi
  IFS='|' read -r got_off got_key got_payload got_error <<<"${dl_rows[$i]:-}"
  if [[ $got_off == "${dl_offset[$i]}" && $got_key == "${dl_key[$i]}" && $got_payload == "$p" && $got_error =~ ${dl_error[$i]} ]]; then
    tap_ok 0 "dead letter: ${dl_what[$i]} (offset ${dl_offset[$i]}: payload, key and error)"
  else
    tap_ok 1 "dead letter: ${dl_what[$i]} (offset ${dl_offset[$i]}: payload, key and error)"
    tap_diag "     got: '${dl_rows[$i]:-}'" "expected: '${dl_offset[$i]}|${dl_key[$i]}|$p|' and an error matching /${dl_error[$i]}/"
  fi
done

# ---------------------------------------------------------------- live view over a stream
expected_g() {
  echo "SELECT chr(97 + i % 5) AS k, count(*) AS n, sum(i) AS s, min(i) AS lo, max(i) AS hi FROM generate_series(1, $1) i GROUP BY 1"
}
tap_is "$(check_view "$db" gv "$(expected_g 600)")" "0 0" "live view: GROUP BY counts, sums, min and max exact after pathway.sync() (600 messages)"

seq 601 1000 | awk '{ printf "%d:{\"k\":\"%c\",\"v\":%d}\n", $1, 97 + $1 % 5, $1 }' | produce g -K:
rc=0
sync_all "'g'" || rc=1
tap_is "$rc $(check_view "$db" gv "$(expected_g 1000)")" "0 0 0" "live view: exact right after pathway.sync('g') on the stream table (1000 messages)"

seq 1001 1200 | awk '{ printf "{\"k\":\"%c\",\"v\":%d}\n", 97 + $1 % 5, $1 }' | produce g
rc=0
sync_all "'gv'" || rc=1
tap_is "$rc $(check_view "$db" gv "$(expected_g 1200)")" "0 0 0" "live view: exact right after pathway.sync('gv') on the view (1200 messages)"
tap_is "$(q "SELECT count(*) FROM pathway.check_view('gv')")" 0 "live view: pathway.check_view('gv') is empty"
tap_is "$(q "SELECT count(*), count(DISTINCT (kafka_partition, kafka_offset)), sum(v) FROM g")" "1200|1200|720600" \
  "live view: the stream table holds each of the 1200 messages once"

# ---------------------------------------------------------------- pathway.sources
sources_settled() {
  [[ $(q "SELECT count(*) FROM pathway.sources WHERE lag <> 0 OR status <> 'running'") == 0 ]]
}
wait_until 10 sources_settled || true
tap_is "$(q "SELECT kind, \"table\", brokers, topic, format, owner, status, error, lag, partitions, last_message IS NOT NULL FROM pathway.sources WHERE name = 'd'")" \
  "kafka|d|$brokers|d|json|postgres|running|NULL|0|1|t" \
  "pathway.sources: kind, table, brokers, topic, format, owner, status running, no error, no lag"
tap_is "$(q "SELECT name || ' ' || status || ' ' || messages || ' ' || dead_letters FROM pathway.sources WHERE name <> 's' ORDER BY name")" \
  "b running 5 1
c running 10 4
d running 108 8
g running 1200 0
j running 5 0
ja running 2 0
jx running 7 3
t running 7 2" \
  "pathway.sources: messages and dead letters counted per source"
tap_is "$(q "SELECT string_agg(source || ' ' || n, ', ' ORDER BY source) FROM (SELECT source, count(*) AS n FROM pathway.dead_letters GROUP BY source) x")" \
  "b 1, c 4, d 8, jx 3, t 2" "pathway.dead_letters: exactly the expected rows per source"
ok=0
for t in j c t b d g; do
  got=$(q "SELECT positions FROM pathway.sources WHERE name = '$t'")
  want=$(topic_ends "$t")
  if [[ $got != "$want" ]]; then
    ok=1
    tap_diag "$t: positions '$got', the topic's end offsets '$want'"
  fi
done
tap_ok "$ok" "pathway.sources: positions equal the topics' end offsets (dead letters' offsets counted)"
tap_is "$(q "SELECT string_agg(source || ':' || partition || ':' || next_offset, ' ' ORDER BY source, partition) FROM pathway.source_offsets WHERE source IN ('b', 'c', 'd', 't')")" \
  "b:0:5 c:0:10 d:0:108 t:0:7" "pathway.source_offsets: the next offset of every partition"

# ---------------------------------------------------------------- secrets
tap_is "$(q "SELECT status || ' ' || options FROM pathway.sources WHERE name = 's'")" \
  'running {"sasl.password": "********", "security.protocol": "plaintext"}' \
  "secrets: sasl.password is masked in pathway.sources (the source runs with it)"
tap_is "$(q "SELECT count(*) FROM pathway.sources s WHERE s::text LIKE '%hunter2%'")" 0 "secrets: no column of pathway.sources shows it"
tap_is "$(q "SELECT pathway._mask_options('{\"ssl.key.password\":\"x\",\"ssl.key.pem\":\"x\",\"sasl.oauthbearer.config\":\"x\",\"sasl.jaas.config\":\"x\",\"ssl.keystore.password\":\"x\",\"client.secret\":\"x\",\"client.id\":\"x\"}')")" \
  '{"client.id": "x", "ssl.key.pem": "********", "client.secret": "********", "sasl.jaas.config": "********", "ssl.key.password": "********", "ssl.keystore.password": "********", "sasl.oauthbearer.config": "********"}' \
  "secrets: every secret kind of key is masked, other options are shown"
sql -d postgres -c "CREATE ROLE $role LOGIN" >/dev/null
tap_is "$(sql -d "$db" -U "$role" -c "SELECT kt_error('SELECT options FROM pathway.kafka_sources')") / $(sql -d "$db" -U "$role" -c "SELECT options FROM pathway.sources WHERE name = 's'")" \
  '42501 permission denied for table kafka_sources / {"sasl.password": "********", "security.protocol": "plaintext"}' \
  "secrets: another role cannot read the raw options, and sees them masked"

# ---------------------------------------------------------------- create-time errors
expect_error "a reserved column name" 42701 'column name "kafka_offset" is reserved' \
  "SELECT pathway.create_kafka_source('bad1', '$brokers', 'x', 'json', 'kafka_offset int, a int')"
expect_error "an unknown format" 22023 'unknown format "xml"' \
  "SELECT pathway.create_kafka_source('bad2', '$brokers', 'x', 'xml', 'a int')"
expect_error "columns that are not a column list" 22023 'invalid column definitions' \
  "SELECT pathway.create_kafka_source('bad3', '$brokers', 'x', 'json', 'a int); DROP TABLE keep; --')"
tap_is "$(q "SELECT to_regclass('keep') IS NOT NULL")" t "the injected DROP TABLE did not run"
expect_error "json without columns" 22023 'needs column definitions' \
  "SELECT pathway.create_kafka_source('bad4', '$brokers', 'x', 'json')"
expect_error "text with two columns" 22023 'exactly one column' \
  "SELECT pathway.create_kafka_source('bad5', '$brokers', 'x', 'text', 'a text, b text')"
expect_error "no columns at all" 22023 'at least one column' \
  "SELECT pathway.create_kafka_source('bad6', '$brokers', 'x', 'csv', '')"
expect_error "an unknown librdkafka property" 22023 'invalid librdkafka property "no.such.property"' \
  "SELECT pathway.create_kafka_source('bad7', '$brokers', 'x', 'text', NULL, '{\"no.such.property\":\"1\"}')"
expect_error "a bad value of a property, not echoed" 22023 '^[^~]*invalid librdkafka property "security.protocol"[^~]*$' \
  "SELECT pathway.create_kafka_source('bad8', '$brokers', 'x', 'text', NULL, '{\"security.protocol\":\"s3cr3t~\"}')"
expect_error "pathway.max_message_bytes 0" 22023 'must be a positive integer' \
  "SELECT pathway.create_kafka_source('bad9', '$brokers', 'x', 'text', NULL, '{\"pathway.max_message_bytes\":0}')"
expect_error "an unknown pathway option" 22023 'unknown option "pathway.nope"' \
  "SELECT pathway.create_kafka_source('bad10', '$brokers', 'x', 'text', NULL, '{\"pathway.nope\":1}')"
expect_error "a property pathway sets itself" 22023 'enable.auto.commit' \
  "SELECT pathway.create_kafka_source('bad11', '$brokers', 'x', 'text', NULL, '{\"enable.auto.commit\":true}')"
expect_error "options that are not an object" 22023 'must be a JSON object' \
  "SELECT pathway.create_kafka_source('bad12', '$brokers', 'x', 'text', NULL, '[1]')"
expect_error "an empty topic" 22023 'must not be empty' \
  "SELECT pathway.create_kafka_source('bad13', '$brokers', '', 'text')"
expect_error "a NULL topic" 22004 'topic must not be null' \
  "SELECT pathway.create_kafka_source('bad14', '$brokers', NULL, 'text')"
expect_error "the name of an existing table" 42P07 'relation "keep" already exists' \
  "SELECT pathway.create_kafka_source('keep', '$brokers', 'x', 'text')"
tap_is "$(q "SELECT (SELECT count(*) FROM pathway.kafka_sources WHERE name LIKE 'bad%') + (SELECT count(*) FROM pg_class WHERE relname LIKE 'bad%')")" 0 \
  "the failed creations left no source and no table behind"

# ---------------------------------------------------------------- auto.offset.reset latest
# lt holds 5 messages before the source exists; the source starts at the end
seq -f 'old%g' 1 5 | produce lt
sql -d "$db" -c "SELECT pathway.create_kafka_source('lt', '$brokers', 'lt', 'text', NULL, '{\"auto.offset.reset\":\"latest\"}')" >/dev/null
lt_started() {
  [[ $(q "SELECT status || ' ' || positions FROM pathway.sources WHERE name = 'lt'") == 'running {"0": 5}' ]]
}
rc=0
wait_until 15 lt_started || rc=1
tap_ok "$rc" "latest: the source starts at the topic's end and commits that starting point (offset 5)"
rc=0
sql -d "$db" -c "SELECT pathway.sync(NULL, '3s')" >/dev/null 2>"$work/sync.err" || rc=1
tap_ok "$rc" "latest: pathway.sync() does not wait for the messages before the source's start"
((rc == 0)) || tap_diag "$(cat "$work/sync.err")"
seq -f 'new%g' 1 2 | produce lt
rc=0
sync_all "'lt'" || rc=1
tap_is "$rc $(q "SELECT string_agg(value || '@' || kafka_offset, ' ' ORDER BY kafka_offset) FROM lt")" "0 new1@5 new2@6" \
  "latest: only the messages produced after the start land, at their offsets"
sql -d "$db" -c "SELECT pathway.drop_source('lt')" >/dev/null

# ---------------------------------------------------------------- sync right after the creation
# the worker has not started the source yet when sync() is called
seq -f 'f%g' 1 30 | produce fresh
rc=0
sql -d "$db" -c "SELECT pathway.create_kafka_source('fresh', '$brokers', 'fresh', 'text')" -c "SELECT pathway.sync(NULL, '20s')" >/dev/null 2>"$work/sync.err" || rc=1
tap_is "$rc $(q "SELECT count(*) FROM fresh")" "0 30" "pathway.sync() right after create_kafka_source commits waits for the new source's messages"
((rc == 0)) || tap_diag "$(cat "$work/sync.err")"

# ---------------------------------------------------------------- drop_source
rc=0
sql -d "$db" -c "SELECT pathway.drop_source('d')" >/dev/null || rc=1
tap_is "$rc $(q "SELECT to_regclass('d') IS NULL, (SELECT count(*) FROM pathway.sources WHERE name = 'd'), (SELECT count(*) FROM pathway.source_offsets WHERE source = 'd'), (SELECT count(*) FROM pathway.kafka_sources WHERE name = 'd')")" \
  "0 t|0|0|0" "drop_source: the stream table, the pathway.sources row and the offsets are gone"
seq 200 209 | awk '{ printf "{\"id\":%d,\"name\":\"late\"}\n", $1 }' | produce d
rc=0
sync_all || rc=1
tap_is "$rc $(q "SELECT to_regclass('d') IS NULL, (SELECT count(*) FROM pathway.source_offsets WHERE source = 'd')")" "0 t|0" \
  "drop_source: messages produced afterwards are not consumed, and pathway.sync() does not wait for them"
sql -d "$db" -c "DROP TABLE t" >/dev/null
tap_is "$(q "SELECT (SELECT count(*) FROM pathway.sources WHERE name = 't') + (SELECT count(*) FROM pathway.source_offsets WHERE source = 't')")" 0 \
  "DROP TABLE of a stream table removes its source and offsets too"
expect_error "drop_source of a table that is not a source" 42704 '"keep" is not a source' "SELECT pathway.drop_source('keep')"
expect_error "drop_source of nothing" 42704 '"nosuch" is not a source' "SELECT pathway.drop_source('nosuch')"

# ---------------------------------------------------------------- the server log
if [[ -r $log ]]; then
  tap_is "$(log_since "$log" "$mark" | grep -c hunter2 || true)" 0 "secrets: the server log never shows the password"
else
  tap_ok 1 "secrets: the server log never shows the password"
  tap_diag "cannot read the server log '$log' (set PATHWAY_TEST_DIR)"
fi
tap_done
