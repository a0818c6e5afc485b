#!/usr/bin/env bash
# All live views of a database move together: a reader that selects from two
# views in one statement never sees them at different points of the stream.
# Writers insert into one table and move rows of another in the same
# transactions; two views read both; their totals must agree in every read.
#
# Shared cluster, own database.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

db=pathway_consistency_$$
script=$(mktemp)
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  rm -f "$script"
  drop_pathway_db "$db" >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tap_plan 4
sql -d postgres -c "CREATE DATABASE $db"
sql -d "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pathway;
CREATE TABLE ledger (account int, amount int);
CREATE TABLE moves (id int, account int);
INSERT INTO moves SELECT g, g % 10 FROM generate_series(1, 100) g;
SELECT pathway.create_view('total_in', 'SELECT count(*) AS n, sum(amount) AS s FROM ledger');
SELECT pathway.create_view('per_account', 'SELECT m.account, count(*) AS n, sum(l.amount) AS s FROM ledger l JOIN moves m ON m.account = l.account GROUP BY m.account');
SELECT pathway.create_view('moves_n', 'SELECT count(*) AS n FROM moves');
SELECT pathway.sync();
SQL

# every transaction adds a ledger row and moves a row: the three views must
# always show the same number of transactions
cat > "$script" <<'SQL'
\set a random(0, 9)
\set v random(1, 100)
BEGIN;
INSERT INTO ledger VALUES (:a, :v);
INSERT INTO moves VALUES (1000 + :v, :a);
END;
SQL
"$TAP_PGBIN/pgbench" -n -f "$script" -c 3 -j 2 -t 300 -R 200 "$db" >/dev/null 2>&1 &
writers=$!

# read the three views together, 300 times, while the writers run
bad=0
reads=0
for _ in $(seq 300); do
  r=$(sql -d "$db" -c "SELECT (SELECT n FROM total_in) + 100 = (SELECT n FROM moves_n)")
  reads=$((reads + 1))
  [[ $r == t ]] || bad=$((bad + 1))
  kill -0 "$writers" 2>/dev/null || break
done
wait_pid "$writers" 120 >/dev/null || true
tap_diag "$reads reads of the views while writing"
tap_is "$bad" 0 "every read saw total_in and moves_n at the same point"

sql -d "$db" -c "SELECT pathway.sync()" >/dev/null
tap_is "$(sql -d "$db" -c "SELECT n FROM total_in")" 900 "900 transactions counted once"
tap_is "$(sql -d "$db" -c "SELECT n FROM moves_n")" 1000 "and their 900 moves"
tap_is "$(check_view "$db" per_account "SELECT m.account, count(*) AS n, sum(l.amount) AS s FROM ledger l JOIN moves m ON m.account = l.account GROUP BY m.account")" "0 0" "per_account (a join growing on both sides) equals its query"
tap_done
