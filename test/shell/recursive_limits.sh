#!/usr/bin/env bash
# The bounds on a recursive view's work: pathway.max_iterations (here 50)
# fails a view whose data is deeper than that many levels, with the
# reason; pathway.max_memory (here 32MB) fails one whose recursion keeps
# growing (every path of a 10-node complete graph, 10x more each round)
# while it grows, inside one epoch's iteration; a small recursive view next
# to them stays running and equal to its query.
#
# Own cluster (its own limits): a port of PATHWAY_OWN_PORTS.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

db=rec
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0 || TAP_FAILED != 0)); then own_cluster_log 30; fi
  own_cluster_stop
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tap_plan 8
own_cluster_start recursive "pathway.max_iterations = 50" "pathway.max_memory = '32MB'"
echo "# own cluster $OWN_DIR on port $OWN_PORT"
sql -d postgres -c "CREATE DATABASE $db"
sql -d "$db" -c "CREATE EXTENSION pathway"
export PGDATABASE=$db
view_status() { sql -c "SELECT status FROM pathway.views WHERE name = '$1'"; }
is_failed() { [[ $(view_status "$1") == failed ]]; }

tap_is "$(sql -c "SELECT boot_val || ' ' || setting || ' ' || context FROM pg_settings WHERE name = 'pathway.max_iterations'")" \
  "10000 50 sighup" "pathway.max_iterations: 10000 by default, set per server (here 50)"

sql >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE TABLE chain (src int, dst int);
INSERT INTO chain SELECT g, g + 1 FROM generate_series(1, 40) g;
SELECT pathway.create_view('deep', 'WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT c.dst FROM r JOIN chain c ON c.src = r.n) SELECT n FROM r');
CREATE TABLE k (src int, dst int);
SELECT pathway.create_view('paths', 'WITH RECURSIVE p(n, path) AS (SELECT 0, ARRAY[0] UNION ALL SELECT k.dst, p.path || k.dst FROM p JOIN k ON k.src = p.n WHERE cardinality(p.path) < 12) SELECT n, path FROM p');
CREATE TABLE small (src int, dst int);
INSERT INTO small VALUES (1, 2), (2, 3), (3, 1);
SELECT pathway.create_view('fine', 'WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT s.dst FROM r JOIN small s ON s.src = r.n) SELECT n FROM r');
SELECT pathway.sync();
SQL
tap_is "$(sql -c "SELECT count(*) FROM deep")" 41 "a chain of 40 edges: 41 levels, under the bound"

# deeper than 50 levels
sql -c "INSERT INTO chain SELECT g, g + 1 FROM generate_series(41, 60) g"
rc=0
wait_until 30 is_failed deep || rc=1
tap_ok "$rc" "60 levels fail the view"
err=$(sql -c "SELECT error FROM pathway.views WHERE name = 'deep'")
rc=0
[[ $err == 'recursive query "r" did not reach a fixed point in pathway.max_iterations (50) rounds: Round 51 still derived new rows.' ]] || rc=1
tap_ok "$rc" "with the setting and the round in its error"
((rc == 0)) || tap_diag "error: $err"

# every path of a complete graph of 10 nodes up to 12 nodes long: 10^11 rows
sql -c "INSERT INTO k SELECT a, b FROM generate_series(0, 9) a, generate_series(0, 9) b"
rc=0
wait_until 60 is_failed paths || rc=1
tap_ok "$rc" "a recursion that keeps growing fails its view"
err=$(sql -c "SELECT error FROM pathway.views WHERE name = 'paths'")
rc=0
[[ $err == 'live view "public.paths" exceeds pathway.max_memory (32MB) in its epoch'* ]] || rc=1
tap_ok "$rc" "on pathway.max_memory, in its epoch"
((rc == 0)) || tap_diag "error: $err"

sql -c "INSERT INTO small VALUES (3, 4)" -c "SELECT pathway.sync('fine')" >/dev/null
tap_is "$(sql -c "SELECT status || ' ' || count(*) FROM pathway.views v, fine WHERE v.name = 'fine' GROUP BY status")" \
  "running 4" "the small view goes on"
tap_is "$(sql -c "SELECT count(*) FROM pathway.check_view('fine')")" 0 "and equals its query"
tap_done
