#!/usr/bin/env bash
# Write throughput with live views, against the same writes with no view,
# measured in the same run (alternating rounds, medians): the machines are
# shared and noisy, so only ratios within one run mean anything.
#
#   bash bench/writes.sh [seconds per round] [rounds]
#
# Defaults: 10 s, 3 rounds; with BENCH_QUICK=1: 2 s, 1 round.
# Single-row INSERT transactions into a source table from 1 and 8 pgbench
# clients; after each round, the time until pathway.sync() returns.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -n ${BENCH_QUICK:-} && ${BENCH_QUICK:-} != 0 ]]; then
  secs=${1:-2}; rounds=${2:-1}
else
  secs=${1:-10}; rounds=${2:-3}
fi
port=${PATHWAY_BENCH_PORT:-55490}
dir=/tmp/pathway-bench-$port
pgbench=/usr/lib/postgresql/15/bin/pgbench
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=bench PGOPTIONS="-c client_min_messages=warning"

make -s install >/dev/null
bash test/cluster.sh start "$dir" "$port" >/dev/null
trap 'bash test/cluster.sh stop "$dir" >/dev/null 2>&1 || true' EXIT
createdb bench
psql -XqAt <<'SQL'
CREATE EXTENSION pathway;
CREATE TABLE regions (id int PRIMARY KEY, name text);
INSERT INTO regions SELECT g, 'region ' || g FROM generate_series(1, 100) g;
CREATE TABLE customers (id int PRIMARY KEY, region_id int);
INSERT INTO customers SELECT g, 1 + g % 100 FROM generate_series(1, 10000) g;
CREATE TABLE orders (id bigserial, customer_id int, amount int);
ALTER TABLE orders REPLICA IDENTITY FULL;
SQL
script=$(mktemp)
cat > "$script" <<'SQL'
\set c random(1, 10000)
\set a random(1, 1000)
INSERT INTO orders (customer_id, amount) VALUES (:c, :a);
SQL

views() {
  psql -XqAt -c "SELECT pathway.drop_view(name) FROM pathway.views" >/dev/null
  case $1 in
    none) ;;
    groupby) psql -XqAt -c "SELECT pathway.create_view('v_groupby', 'SELECT customer_id % 100 AS k, count(*), sum(amount) FROM orders GROUP BY 1')" >/dev/null ;;
    join3) psql -XqAt -c "SELECT pathway.create_view('v_join3', 'SELECT r.name, count(*), sum(o.amount) FROM orders o JOIN customers c ON c.id = o.customer_id JOIN regions r ON r.id = c.region_id GROUP BY r.name')" >/dev/null ;;
  esac
  psql -XqAt -c "SELECT pathway.sync(timeout => '300s')" >/dev/null
}

# one round: prints "tps catchup_ms"
round() {
  local clients=$1 tps t0 t1
  tps=$($pgbench -n -f "$script" -c "$clients" -j "$(( clients < 2 ? 1 : 2 ))" -T "$secs" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  t0=$(date +%s%N)
  psql -XqAt -c "SELECT pathway.sync(timeout => '300s')" >/dev/null
  t1=$(date +%s%N)
  echo "$tps $(( (t1 - t0) / 1000000 ))"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A tps catch
for clients in 1 8; do
  for r in $(seq "$rounds"); do
    for setup in none groupby join3; do
      views "$setup"
      read -r t c < <(round "$clients")
      tps[$clients,$setup]+="$t "
      catch[$clients,$setup]+="$c "
    done
  done
done

echo
echo "| clients | views | TPS (median of $rounds x ${secs}s) | ratio to no view | catch-up after run (ms) |"
echo "| --- | --- | --- | --- | --- |"
for clients in 1 8; do
  base=$(tr ' ' '\n' <<<"${tps[$clients,none]}" | grep . | median)
  for setup in none groupby join3; do
    m=$(tr ' ' '\n' <<<"${tps[$clients,$setup]}" | grep . | median)
    c=$(tr ' ' '\n' <<<"${catch[$clients,$setup]}" | grep . | median)
    printf '| %s | %s | %.0f | %.2fx | %s |\n' "$clients" "$setup" "$m" "$(echo "$m / $base" | bc -l)" "$c"
  done
done
psql -XqAt -c "SELECT 'engine state of the last view: ' || state_rows || ' rows, ' || state_bytes || ' bytes' FROM pathway.views"
rm -f "$script"
