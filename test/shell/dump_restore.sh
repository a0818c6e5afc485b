#!/usr/bin/env bash
# pg_dump / pg_restore bring live views back maintained: a database with a
# live view (join + GROUP BY) dumped with pg_dump -Fc and restored into a
# new database, and dumped as plain SQL and replayed with psql.  In each
# copy the view is in pathway.views, becomes running, follows a write to its
# source, still refuses direct writes, depends on its sources again, and
# pathway.drop_view drops it.  Shared test cluster; bounded (about 1 min).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

src=pw_dump_src
fc=pw_dump_fc
plain=pw_dump_plain
work=$(mktemp -d)

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for d in $src $fc $plain; do drop_pathway_db "$d"; done
  sql -d postgres -c "DROP ROLE IF EXISTS pw_dump_owner" >/dev/null 2>&1 || true
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tap_plan 21

query="SELECT c.region, count(*) AS n, sum(o.amount) AS total FROM orders o JOIN customers c ON c.id = o.cust GROUP BY c.region"

# the view belongs to an ordinary role, and its query names tables through
# the search_path it was created with (a dump restores with an empty one)
sql -d postgres -c "DROP ROLE IF EXISTS pw_dump_owner" -c "CREATE ROLE pw_dump_owner"
sql -d postgres -c "CREATE DATABASE $src"
sql -d "$src" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pathway;
CREATE SCHEMA shop;
SET search_path = shop, public;
CREATE TABLE customers (id int PRIMARY KEY, region text);
CREATE TABLE orders (id int, cust int, amount int);
ALTER TABLE customers REPLICA IDENTITY FULL;
ALTER TABLE orders REPLICA IDENTITY FULL;
INSERT INTO customers VALUES (1, 'north'), (2, 'south'), (3, 'east');
INSERT INTO orders SELECT g, g % 3 + 1, g FROM generate_series(1, 30) g;
GRANT USAGE ON SCHEMA shop TO pw_dump_owner;
GRANT CREATE ON SCHEMA public TO pw_dump_owner;
GRANT SELECT ON customers, orders TO pw_dump_owner;
SET ROLE pw_dump_owner;
SELECT pathway.create_view('public.sales', '$query');
SQL
sql -d "$src" -c "SELECT pathway.sync('public.sales')" >/dev/null

"$TAP_PGBIN/pg_dump" -Fc -d "$src" -f "$work/dump.fc"
"$TAP_PGBIN/pg_dump" -Fp -d "$src" -f "$work/dump.sql"

check_copy() {
  local db=$1 how=$2
  tap_is "$(sql -d "$db" -c "SELECT name || ' ' || owner || ' ' || query FROM pathway.views")" "sales pw_dump_owner $query" \
    "$how: the view is in pathway.views, with its owner"
  rc=0
  wait_until 30 sql -d "$db" -c "SELECT pathway.sync('public.sales', '5s')" || rc=1
  tap_ok "$rc" "$how: pathway.sync() on the view succeeds"
  tap_is "$(sql -d "$db" -c "SELECT status FROM pathway.views WHERE name = 'sales'")" running \
    "$how: the view is running"
  sql -d "$db" -c "INSERT INTO shop.orders VALUES (100, 2, 1000), (101, 3, 7)" \
    -c "UPDATE shop.customers SET region = 'west' WHERE id = 1" \
    -c "SELECT pathway.sync('public.sales')" >/dev/null
  tap_is "$(sql -d "$db" -c "SELECT string_agg(region || ':' || n || ':' || total, ' ' ORDER BY region) FROM public.sales")" \
    "east:11:162 south:11:1145 west:10:165" "$how: the view follows writes to its sources"
  tap_is "$(PGOPTIONS='-c search_path=shop,public' check_view "$db" public.sales "$query")" "0 0" \
    "$how: the view equals its query"
  err=$(sql -d "$db" -c "INSERT INTO public.sales VALUES ('forged', 1, 1)" 2>&1 || true)
  tap_ok "$([[ $err == *'cannot modify live view "sales"'* ]]; echo $?)" "$how: writing the view's table is refused"
  err=$(sql -d "$db" -c "DROP TABLE shop.orders" 2>&1 || true)
  tap_ok "$([[ $err == *'depends on table shop.orders'* || $err == *'other objects depend on it'* ]]; echo $?)" \
    "$how: the view depends on its source again (DROP TABLE without CASCADE refused)"
  sql -d "$db" -c "SELECT pathway.drop_view('public.sales')" >/dev/null
  tap_is "$(sql -d "$db" -c "SELECT count(*) FROM pathway.views")|$(sql -d "$db" -c "SELECT to_regclass('public.sales') IS NULL")" \
    "0|t" "$how: pathway.drop_view drops it"
}

# pg_restore in steps: tables and rows first, then indexes and triggers,
# then grants.  In between the engine leaves the restored table alone (it is
# still being loaded, its owner cannot read its sources yet); a row written
# there meanwhile is corrected once it takes over.
sql -d postgres -c "CREATE DATABASE $fc"
rc=0
"$TAP_PGBIN/pg_restore" --section=pre-data --section=data --no-privileges -d "$fc" "$work/dump.fc" 2>"$work/restore.err" || rc=$?
tap_ok "$rc" "pg_restore of the custom-format dump's tables and rows succeeds"
[[ $rc == 0 ]] || tap_diag "$(cat "$work/restore.err")"
sql -d "$fc" -c "INSERT INTO public.sales VALUES ('forged', 1, 1)" -c "INSERT INTO shop.orders VALUES (102, 1, 1)"
sleep 2
tap_is "$(sql -d "$fc" -c "SELECT status FROM pathway.views WHERE name = 'sales'")|$(sql -d "$fc" -c "SELECT string_agg(region || ':' || n || ':' || total, ' ' ORDER BY region) FROM public.sales")" \
  "starting|east:10:155 forged:1:1 north:10:165 south:10:145" \
  "before the post-data section the view is starting and the engine has not written its table"
sql -d "$fc" -c "DELETE FROM shop.orders WHERE id = 102"
# then indexes and triggers, but not yet the grants (a restore makes them last)
rc=0
"$TAP_PGBIN/pg_restore" --section=post-data --no-privileges -d "$fc" "$work/dump.fc" 2>"$work/restore.err" || rc=$?
tap_ok "$rc" "pg_restore of the post-data section (indexes, the view's trigger) succeeds"
[[ $rc == 0 ]] || tap_diag "$(cat "$work/restore.err")"
sleep 2
tap_is "$(sql -d "$fc" -c "SELECT status FROM pathway.views WHERE name = 'sales'")|$(sql -d "$fc" -c "SELECT count(*) FROM public.sales WHERE region = 'forged'")" \
  "starting|1" "until its owner has its grants back the view waits, starting (it does not fail)"
"$TAP_PGBIN/pg_restore" -l "$work/dump.fc" | grep ' ACL ' >"$work/acl.list"
rc=0
"$TAP_PGBIN/pg_restore" -L "$work/acl.list" -d "$fc" "$work/dump.fc" 2>"$work/restore.err" || rc=$?
tap_ok "$rc" "pg_restore of the grants succeeds"
[[ $rc == 0 ]] || tap_diag "$(cat "$work/restore.err")"
check_copy "$fc" "pg_restore"

sql -d postgres -c "CREATE DATABASE $plain"
rc=0
psql -X -q -v ON_ERROR_STOP=1 -d "$plain" -f "$work/dump.sql" >/dev/null 2>"$work/plain.err" || rc=$?
[[ $rc == 0 ]] || tap_diag "$(cat "$work/plain.err")"
check_copy "$plain" "plain dump replayed"

tap_done
