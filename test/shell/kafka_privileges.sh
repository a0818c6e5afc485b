#!/usr/bin/env bash
# Who may make the server talk to Kafka, and with what.  The attacks as they
# were found: a role granted create_kafka_source cannot load a library into
# its backend or the worker (plugin.library.paths: a tiny library built here
# writes a marker file from its constructor) nor run a command
# (sasl.kerberos.kinit.cmd), through a source or a sink, nor name server
# files; a superuser still can (the same library and command do run, in the
# worker only); a role without the grant gets 42501; a granted role's safe
# options work end to end; no secret of a failing call reaches the server
# log; dead letters are seen and deleted by their source's owner only; a
# temporary stream table is refused; and a source or sink whose owner lost
# superuser stops (running) or does not start (after a worker restart).
#
# Shared cluster, own database, own roles, own Kafka mock.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
source "$here/../lib/kafka.sh"

db=pathway_kafka_priv_$$
alice=pathway_kp_alice_$$
bob=pathway_kp_bob_$$
carol=pathway_kp_carol_$$
secret="hunter2-$$-s3cr3t"
work=$(mktemp -d)
db_created=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then kafka_log 20; fi
  kafka_stop
  if ((db_created)); then drop_pathway_db "$db" >/dev/null 2>&1 || true; fi
  for r in "$alice" "$bob" "$carol"; do
    sql -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true
  done
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# the server (another OS user) reads the library and writes the markers here
chmod 755 "$work"
mkdir -m 1777 "$work/marks"

export PGOPTIONS="-c client_min_messages=warning"
q() { sql -d "$db" -F '|' -P null=NULL -c "$1"; }
# as ROLE SQL: one statement in the test database as that role
as() { sql -d "$db" -U "$1" -F '|' -P null=NULL -c "$2"; }

# expect_error DESC ROLE SQLSTATE MESSAGE_REGEX SQL
expect_error() {
  local desc=$1 role=$2 state=$3 regex=$4 stmt=$5 got
  got=$(sql -d "$db" -U "$role" -v stmt="$stmt" <<<"SELECT kt_error(:'stmt')")
  if [[ ${got%% *} == "$state" && ${got#* } =~ $regex ]]; then
    tap_ok 0 "$desc ($state)"
  else
    tap_ok 1 "$desc ($state)"
    tap_diag "     got: '$got'" "expected: '$state' and a message matching /$regex/"
  fi
}

worker_pid() {
  sql -d postgres -c "SELECT pid FROM pg_stat_activity
                       WHERE backend_type = 'pathway engine worker' AND datname = '$db'"
}

log=${PATHWAY_TEST_DIR:-}/log
if [[ -z ${PATHWAY_TEST_DIR:-} ]]; then
  log=$(sql -d postgres -c "SHOW data_directory" 2>/dev/null || true)/log
fi

tap_plan 35

# a library whose constructor leaves a marker (the backend or worker's pid)
cat >"$work/evil.c" <<EOF
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void mark(void)
{
	FILE *f = fopen("$work/marks/loaded", "a");

	if (f) { fprintf(f, "%d\n", (int) getpid()); fclose(f); }
}
int conf_init(void *conf, void **opaque, char *errstr, unsigned long errlen) { return 0; }
EOF
gcc -shared -fPIC -o "$work/evil.so" "$work/evil.c" || tap_bail "could not build the test library"
chmod 755 "$work/evil.so"

kafka_start 1 || tap_bail "the Kafka mock did not start"
for t in a out d cs csout; do
  kafka_cmd topic "$t" 1 || tap_bail "could not create topic $t"
done
brokers=$KAFKA_BROKERS

sql -d postgres -c "CREATE DATABASE $db"
db_created=1
sql -d postgres >/dev/null <<SQL
CREATE ROLE $alice LOGIN;
CREATE ROLE $bob LOGIN;
CREATE ROLE $carol LOGIN SUPERUSER;
SQL
sql -d "$db" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pathway;
GRANT CREATE ON SCHEMA public TO $alice, $bob, $carol;
GRANT EXECUTE ON FUNCTION pathway.create_kafka_source(text, text, text, text, text, jsonb) TO $alice;
GRANT EXECUTE ON FUNCTION pathway.create_kafka_sink(text, text, text, text, jsonb) TO $alice;
-- the SQLSTATE and message of a statement's error ('00000 no error' if none)
CREATE FUNCTION kt_error(stmt text) RETURNS text LANGUAGE plpgsql AS \$\$
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
CREATE TABLE bobs (id int PRIMARY KEY, n int);
ALTER TABLE bobs OWNER TO $bob;
SQL
sql -d "$db" -U "$bob" -c "SELECT pathway.create_view('bobv', 'SELECT count(*) AS c FROM bobs')" >/dev/null

# ---------------------------------------------------------------- no grant: 42501
expect_error "a role without the grant cannot call create_kafka_source" "$bob" 42501 \
  'permission denied for function create_kafka_source' \
  "SELECT pathway.create_kafka_source('bs', '$brokers', 'a', 'text')"
expect_error "a role without the grant cannot call create_kafka_sink, even on its own view" "$bob" 42501 \
  'permission denied for function create_kafka_sink' \
  "SELECT pathway.create_kafka_sink('bobv', '$brokers', 'out')"

# ---------------------------------------------------------------- libraries and commands
expect_error "plugin.library.paths is refused for a granted role" "$alice" 42501 \
  '^permission denied to set librdkafka property "plugin.library.paths"$' \
  "SELECT pathway.create_kafka_source('ev', '$brokers', 'a', 'text', NULL, '{\"plugin.library.paths\": \"$work/evil.so\"}')"
sleep 1
tap_is "$([[ -e $work/marks/loaded ]] && echo loaded || echo absent) $(q "SELECT count(*) FROM pathway.kafka_sources")" \
  "absent 0" "the refused library was never loaded (no marker, no source registered)"

kinit="{\"security.protocol\": \"SASL_PLAINTEXT\", \"sasl.mechanisms\": \"GSSAPI\", \"sasl.kerberos.kinit.cmd\": \"touch $work/marks/kinit\"}"
expect_error "sasl.kerberos.kinit.cmd is refused for a source" "$alice" 42501 \
  'permission denied to (set librdkafka property "sasl.kerberos.kinit.cmd"|use this SASL mechanism)' \
  "SELECT pathway.create_kafka_source('kc', '$brokers', 'a', 'text', NULL, '$kinit')"
sql -d "$db" -U "$alice" >/dev/null <<SQL
CREATE TABLE at (id int PRIMARY KEY, v int);
SELECT pathway.create_view('av', 'SELECT id, v FROM at');
SQL
expect_error "sasl.kerberos.kinit.cmd is refused for a sink on a view the role owns" "$alice" 42501 \
  'permission denied to (set librdkafka property "sasl.kerberos.kinit.cmd"|use this SASL mechanism)' \
  "SELECT pathway.create_kafka_sink('av', '$brokers', 'out', 'json', '$kinit')"
expect_error "GSSAPI alone is refused (its kinit would use the server's keytab)" "$alice" 42501 \
  'permission denied to use this SASL mechanism \("sasl.mechanism"\)' \
  "SELECT pathway.create_kafka_source('kc', '$brokers', 'a', 'text', NULL, '{\"security.protocol\": \"sasl_plaintext\", \"sasl.mechanism\": \"GSSAPI\"}')"
expect_error "SASL without a mechanism is refused (librdkafka's default is GSSAPI)" "$alice" 42501 \
  'permission denied to use SASL without "sasl.mechanisms"' \
  "SELECT pathway.create_kafka_source('kc', '$brokers', 'a', 'text', NULL, '{\"security.protocol\": \"SASL_SSL\", \"sasl.username\": \"u\"}')"
sleep 1
tap_is "$([[ -e $work/marks/kinit ]] && echo ran || echo absent) $(q "SELECT (SELECT count(*) FROM pathway.kafka_sources) + (SELECT count(*) FROM pathway.kafka_sinks)")" \
  "absent 0" "the refused command never ran (no marker, nothing registered)"

# every option that names a file, a directory, a library or a command, and
# the unknown (not on the list); each alone, each refused with 42501
bad=""
for opt in ssl.ca.location ssl.certificate.location ssl.key.location ssl.keystore.location \
  ssl.keystore.password ssl.crl.location ssl.engine.location ssl.engine.id ssl.providers \
  sasl.kerberos.keytab sasl.kerberos.principal sasl.kerberos.service.name \
  sasl.oauthbearer.token.endpoint.url sasl.oauthbearer.method enable.sasl.oauthbearer.unsecure.jwt \
  offset.store.path offset.store.method debug test.mock.num.brokers internal.termination.signal \
  enable.random.seed statistics.interval.ms group.id transactional.id Plugin.library.paths no.such.property; do
  got=$(sql -d "$db" -U "$alice" -c "SELECT kt_error(\$q\$SELECT pathway.create_kafka_source('x', '$brokers', 'a', 'text', NULL, '{\"$opt\": \"$work/marks/x\"}')\$q\$)")
  [[ $got == "42501 permission denied to set librdkafka property \"$opt\"" ]] || bad+="$opt: $got; "
done
tap_is "${bad:-none}" none "every property off the safe list is refused for a granted role"
tap_is "$(q "SELECT count(*) FROM pg_class WHERE relname = 'x'")" 0 "the refused creations left no table behind"
expect_error "SASL with a safe mechanism is accepted for a granted role" "$alice" 00000 'no error' \
  "SELECT pathway.create_kafka_source('sp', '$brokers', 'a', 'text', NULL, '{\"security.protocol\": \"SASL_PLAINTEXT\", \"sasl.mechanisms\": \"PLAIN\", \"sasl.username\": \"u\", \"sasl.password\": \"p\", \"ssl.ca.pem\": \"x\"}')"
as "$alice" "SELECT pathway.drop_source('sp')" >/dev/null
expect_error "OAUTHBEARER is refused" "$alice" 42501 'permission denied to use this SASL mechanism' \
  "SELECT pathway.create_kafka_source('kc', '$brokers', 'a', 'text', NULL, '{\"sasl.mechanisms\": \"OAUTHBEARER\"}')"
expect_error "a property pathway sets itself stays refused (bootstrap.servers comes from brokers)" "$alice" 22023 \
  'option "bootstrap.servers" is set by pathway' \
  "SELECT pathway.create_kafka_source('kc', '$brokers', 'a', 'text', NULL, '{\"bootstrap.servers\": \"127.0.0.1:1\"}')"

# a superuser may: the same library and command run, in the worker only
sql -d "$db" -c "SELECT pathway.create_kafka_source('su_ev', '$brokers', 'a', 'text', NULL, '{\"plugin.library.paths\": \"$work/evil.so\"}')" >/dev/null
rc=0
wait_until 15 test -s "$work/marks/loaded" || rc=1
tap_is "$rc $(head -n 1 "$work/marks/loaded" 2>/dev/null)" "0 $(worker_pid)" \
  "a superuser's plugin.library.paths is loaded by the engine worker (not by the calling backend)"
sql -d "$db" -c "SELECT pathway.create_kafka_source('su_kc', '$brokers', 'a', 'text', NULL, '$kinit')" >/dev/null
rc=0
wait_until 15 test -e "$work/marks/kinit" || rc=1
tap_ok "$rc" "a superuser's sasl.kerberos.kinit.cmd runs (so the refusals above are not vacuous)"
sql -d "$db" -c "SELECT pathway.drop_source('su_ev')" -c "SELECT pathway.drop_source('su_kc')" >/dev/null

# ---------------------------------------------------------------- safe options work end to end
safe="{\"client.id\": \"alice\", \"fetch.wait.max.ms\": 50, \"security.protocol\": \"plaintext\", \"sasl.mechanisms\": \"SCRAM-SHA-256\", \"sasl.username\": \"alice\", \"sasl.password\": \"$secret\", \"check.crcs\": true}"
printf '1\n2\n3\n' | kafka_produce a || tap_bail "kcat could not produce"
as "$alice" "SELECT pathway.create_kafka_source('alice_in', '$brokers', 'a', 'text', NULL, '$safe')" >/dev/null
rc=0
as "$alice" "SELECT pathway.sync('alice_in', '20s')" >/dev/null 2>"$work/sync.err" || rc=1
tap_is "$rc $(as "$alice" "SELECT string_agg(value, ',' ORDER BY kafka_offset) FROM alice_in") $(q "SELECT owner || ' ' || (options->>'sasl.password') FROM pathway.sources WHERE name = 'alice_in'")" \
  "0 1,2,3 $alice ********" "a granted role's source with safe options lands its messages (password masked)"
((rc == 0)) || tap_diag "$(cat "$work/sync.err")"
as "$alice" "INSERT INTO at VALUES (1, 10), (2, 20)" >/dev/null
as "$alice" "SELECT pathway.create_kafka_sink('av', '$brokers', 'out', 'json', '{\"acks\": \"all\", \"linger.ms\": 1, \"compression.codec\": \"none\", \"message.timeout.ms\": 20000}')" >/dev/null
rc=0
wait_output 20 2 kafka_count out 2 || rc=1
tap_is "$rc $(kafka_consume out 2 -f '%s\n' 2>/dev/null | sed 's/"frontier": "[^"]*"//' | sort | tr '\n' ' ')" \
  '0 {"op": "insert", "row": {"id":1,"v":10}, } {"op": "insert", "row": {"id":2,"v":20}, } ' \
  "a granted role's sink with safe options publishes its view"

# ---------------------------------------------------------------- secrets and the server log
mark=$(log_mark "$log")
fails=0
try_fail() {   # ROLE SQL: must fail, at top level (so the server logs the error)
  if sql -d "$db" -U "$1" -c "$2" >/dev/null 2>>"$work/fail.err"; then
    fails=$((fails + 1))
    tap_diag "succeeded unexpectedly: $2"
  fi
}
opts_pw="\"sasl.password\": \"$secret\""
try_fail "$alice" "SELECT pathway.create_kafka_source('l1', '$brokers', 'a', 'text', NULL, '{$opts_pw, \"plugin.library.paths\": \"$work/evil.so\"}')"
try_fail "$alice" "SELECT pathway.create_kafka_source('l2', '$brokers', 'a', 'text', NULL, '{$opts_pw, \"security.protocol\": \"$secret\"}')"
try_fail "$alice" "SELECT pathway.create_kafka_source('l3', '$brokers', 'a', 'json', 'a no_such_type', '{$opts_pw}')"
try_fail "$alice" "SELECT pathway.create_kafka_source('alice_in', '$brokers', 'a', 'text', NULL, '{$opts_pw}')"
try_fail "$alice" "SELECT pathway.create_kafka_source('pg_temp.l5', '$brokers', 'a', 'text', NULL, '{$opts_pw}')"
try_fail "$alice" "SELECT pathway.create_kafka_sink('at', '$brokers', 'out', 'json', '{$opts_pw}')"
try_fail "$alice" "SELECT pathway.create_kafka_sink('av', '$brokers', 'out', 'json', '{$opts_pw}')"
try_fail "$alice" "SELECT pathway.create_kafka_sink('av', '$brokers', 'o2', 'json', '{$opts_pw, \"ssl.key.location\": \"/etc/passwd\"}')"
try_fail "$alice" "DO \$\$ BEGIN PERFORM pathway.create_kafka_source('l9', '$brokers', 'a', 'text', NULL, '{$opts_pw, \"debug\": \"all\"}'); END \$\$"
try_fail postgres "SELECT pathway.create_kafka_source('l10', '$brokers', 'a', 'text', NULL, '{$opts_pw, \"linger.ms\": \"$secret\"}')"
sleep 0.5
since=$(log_since "$log" "$mark")
if [[ -r $log ]]; then
  tap_is "$fails $(grep -c "$secret" <<<"$since" || true) $(grep -E '^(ERROR|DETAIL|HINT):' "$work/fail.err" | grep -c "$secret" || true)" "0 0 0" \
    "ten failing calls carrying a password: no message quotes it, none puts it into the server log"
  tap_is "$(grep -cE 'ERROR: +(permission denied to set librdkafka property|invalid options for|type "no_such_type" does not exist|relation "alice_in" already exists|a stream table cannot be a temporary table|"at" is not a live view|live view "av" is already published)' <<<"$since" || true)" 10 \
    "the ten errors themselves are in the server log (without their statements)"
else
  tap_ok 1 "the server log never shows the password"
  tap_ok 1 "the ten errors themselves are in the server log"
  tap_diag "cannot read the server log '$log' (set PATHWAY_TEST_DIR)"
fi

# ---------------------------------------------------------------- dead letters
as "$alice" "SELECT pathway.create_kafka_source('alice_d', '$brokers', 'd', 'json', 'id int')" >/dev/null
printf '%s\n' '{"id": 1}' '{"id": "card 4111 1111 1111 1111"}' '{"id": 3}' | kafka_produce d || tap_bail "kcat could not produce"
rc=0
as "$alice" "SELECT pathway.sync('alice_d', '20s')" >/dev/null 2>"$work/sync.err" || rc=1
tap_is "$rc $(as "$alice" "SELECT count(*) FROM alice_d") $(as "$alice" "SELECT source || ':' || \"offset\" || ':' || convert_from(payload, 'UTF8') FROM pathway.dead_letters")" \
  "0 2 alice_d:1:{\"id\": \"card 4111 1111 1111 1111\"}" "the source's owner sees its dead letter"
tap_is "$(as "$bob" "SELECT count(*) FROM pathway.dead_letters")|$(as "$bob" "WITH d AS (DELETE FROM pathway.dead_letters RETURNING 1) SELECT count(*) FROM d")|$(q "SELECT count(*) FROM pathway.dead_letters")" \
  "0|0|1" "another role neither sees nor deletes it (it is still there)"
tap_is "$(as "$alice" "WITH d AS (DELETE FROM pathway.dead_letters RETURNING 1) SELECT count(*) FROM d")|$(q "SELECT count(*) FROM pathway.dead_letters")" \
  "1|0" "the owner deletes it"
printf '%s\n' '{"id": "x"}' | kafka_produce d || tap_bail "kcat could not produce"
as "$alice" "SELECT pathway.sync('alice_d', '20s')" >/dev/null 2>&1 || true
before=$(q "SELECT count(*) FROM pathway.dead_letters WHERE source = 'alice_d'")
as "$alice" "SELECT pathway.drop_source('alice_d')" >/dev/null
tap_is "$before $(q "SELECT count(*) FROM pathway.dead_letters WHERE source = 'alice_d'")" "1 0" \
  "a source's dead letters go with it (a new source of that name does not see them)"

# ---------------------------------------------------------------- temporary stream tables
wpid=$(worker_pid)
expect_error "a stream table in pg_temp is refused" "$alice" 0A000 'a stream table cannot be a temporary table: "pg_temp.tt"' \
  "SELECT pathway.create_kafka_source('pg_temp.tt', '$brokers', 'a', 'text')"
tap_is "$(sql -d "$db" -U "$alice" <<SQL
SET search_path = pg_temp, public;
SELECT kt_error(\$q\$SELECT pathway.create_kafka_source('tt2', '$brokers', 'a', 'text')\$q\$);
SQL
)" '0A000 a stream table cannot be a temporary table: "tt2"' \
  "a name that resolves into pg_temp through the search_path is refused too (0A000)"
sleep 1
tap_is "$(q "SELECT count(*) FROM pathway.kafka_sources WHERE name LIKE '%tt%'") $(worker_pid)" "0 $wpid" \
  "nothing registered, and the engine worker did not restart"

# ---------------------------------------------------------------- a demoted owner
# carol, superuser, names a server file (harmless with plaintext)
sql -d "$db" -U "$carol" >/dev/null <<SQL
SELECT pathway.create_kafka_source('carol_in', '$brokers', 'cs', 'text', NULL, '{"ssl.ca.location": "/nonexistent"}');
CREATE TABLE ct (id int PRIMARY KEY);
SELECT pathway.create_view('cv', 'SELECT id FROM ct');
SELECT pathway.create_kafka_sink('cv', '$brokers', 'csout', 'json', '{"ssl.ca.location": "/nonexistent"}');
SQL
printf 'one\n' | kafka_produce cs || tap_bail "kcat could not produce"
sql -d "$db" -c "INSERT INTO ct VALUES (1)" >/dev/null
rc=0
sql -d "$db" -c "SELECT pathway.sync('carol_in', '20s')" >/dev/null 2>&1 || rc=1
wait_output 20 1 kafka_count csout 1 || rc=1
tap_is "$rc $(q "SELECT count(*) FROM carol_in") $(q "SELECT status FROM pathway.sources WHERE name = 'carol_in'") $(q "SELECT status FROM pathway.sinks WHERE view = 'cv'::regclass")" \
  "0 1 running running" "a superuser's source and sink with a file option run"
sql -d postgres -c "ALTER ROLE $carol NOSUPERUSER" >/dev/null
printf 'two\n' | kafka_produce cs || tap_bail "kcat could not produce"
sql -d "$db" -c "INSERT INTO ct VALUES (2)" >/dev/null
src_failed() { [[ $(q "SELECT status FROM pathway.sources WHERE name = 'carol_in'") == failed ]]; }
sink_failed() { [[ $(q "SELECT status FROM pathway.sinks WHERE view = 'cv'::regclass") == failed ]]; }
rc=0
wait_until 20 src_failed || rc=1
wait_until 20 sink_failed || rc=1
tap_is "$rc $(q "SELECT count(*) FROM carol_in") $(q "SELECT error FROM pathway.sources WHERE name = 'carol_in'")" \
  "0 1 the source stopped: its owner \"$carol\" is no longer superuser, and its options need one" \
  "once its owner is demoted, the running source fails at its next epoch and lands nothing more"
tap_is "$(q "SELECT error FROM pathway.sinks WHERE view = 'cv'::regclass") $(kafka_consume csout 10 -f '%s\n' 2>/dev/null | wc -l)" \
  "the sink stopped: its owner \"$carol\" is no longer superuser, and its options need one 1" \
  "and so does the running sink, before it sends the change"
old=$(worker_pid)
sql -d postgres -c "SELECT pg_terminate_backend($old)" >/dev/null
new_worker() { local p; p=$(worker_pid); [[ -n $p && $p != "$old" ]]; }
rc=0
wait_until 30 new_worker || rc=1
wait_until 20 src_failed || rc=1
wait_until 20 sink_failed || rc=1
tap_is "$rc $(q "SELECT error FROM pathway.sources WHERE name = 'carol_in'") / $(q "SELECT error FROM pathway.sinks WHERE view = 'cv'::regclass")" \
  "0 the source cannot start: its owner \"$carol\" is not superuser: permission denied to set librdkafka property \"ssl.ca.location\" / the sink cannot start: its owner \"$carol\" is not superuser: permission denied to set librdkafka property \"ssl.ca.location\"" \
  "after a worker restart they do not start, and say why"
sink_running() { [[ $(q "SELECT status FROM pathway.sinks WHERE view = 'av'::regclass") == running ]]; }
rc=0
wait_until 20 sink_running || rc=1
tap_is "$rc $(q "SELECT status FROM pathway.sources WHERE name = 'alice_in'")" "0 running" \
  "alice's source and sink, loaded in the same rounds, start as before"
tap_is "$(q "SELECT count(*) FROM carol_in")" 1 "the source's later message never landed"
sql -d postgres -c "ALTER ROLE $carol SUPERUSER" >/dev/null
sql -d "$db" -U "$carol" -c "SELECT pathway.drop_source('carol_in')" -c "SELECT pathway.drop_sink('cv')" >/dev/null

# ---------------------------------------------------------------- docs
doc=$here/../../docs/kafka.md
missing=""
for p in $(sed -n '/^static const char \*const safe_properties\[\] = {$/,/^};/p' "$here/../../connectors/kafka_options.c" | grep -o '"[a-z._]*"' | tr -d '"'); do
  grep -q "\`$p\`" "$doc" || missing+="$p "
done
tap_is "${missing:-none}" none "docs/kafka.md lists every safe property"

# a stream table handed to another owner: its triggers run as that owner
kafka_cmd topic h 1 || tap_bail "could not create topic h"
q "SELECT pathway.create_kafka_source('handed', '$brokers', 'h', 'text')" >/dev/null
q "CREATE TABLE landed_by (who text); GRANT INSERT ON landed_by TO PUBLIC;
   CREATE FUNCTION note_lander() RETURNS trigger LANGUAGE plpgsql AS
     \$\$ BEGIN INSERT INTO public.landed_by VALUES (current_user); RETURN NULL; END \$\$;
   CREATE TRIGGER note AFTER INSERT ON handed FOR EACH ROW EXECUTE FUNCTION note_lander();
   ALTER TABLE handed OWNER TO $bob" >/dev/null
printf 'x\n' | kafka_produce h || tap_bail "kcat could not produce"
rc=0
q "SELECT pathway.sync(NULL, '20s')" >/dev/null 2>"$work/sync.err" || rc=1
tap_is "$rc $(q "SELECT string_agg(who, ',') FROM landed_by")" "0 $bob" \
  "a stream table handed to another owner lands as that owner (its trigger ran as $bob)"
tap_done
