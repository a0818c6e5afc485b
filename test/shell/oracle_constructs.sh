#!/usr/bin/env bash
# The oracle tool (test/oracle/oracle.sh) over the constructs added last:
# window functions, top-k per group, ORDER BY ... LIMIT, NOT IN, correlated
# scalar subqueries, EXISTS under OR, a partitioned table, VALUES, a live
# view over a live view, a set-returning function in the select list, a set
# operation over different types, LATERAL (... ORDER BY ... LIMIT) per outer
# row (an as-of join, WITH TIES over duplicates, OFFSET).  Each view is created while four
# sessions write, then compared with its query.
#
# Shared cluster, own database.
set -euo pipefail
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../oracle" && pwd)
exec bash "$dir/oracle.sh" --schema "$dir/constructs_schema.sql" \
  --dml "$dir/constructs_t.sql" --dml "$dir/constructs_s.sql" --dml "$dir/constructs_p.sql" \
  --clients 4 --txns ${ORACLE_TXNS:-120} --rate 160 --seed ${ORACLE_SEED:-7} \
  --query 'SELECT k, v, id, rank() OVER (PARTITION BY k ORDER BY v, id) AS r FROM o_t' \
  --query 'SELECT id, k, sum(v) OVER (PARTITION BY k ORDER BY id) AS running FROM o_t' \
  --query 'SELECT k, id, v FROM (SELECT k, id, v, row_number() OVER (PARTITION BY k ORDER BY v DESC, id) AS rn FROM o_t) x WHERE rn <= 2' \
  --query 'SELECT id, v FROM o_t ORDER BY v DESC, id LIMIT 5' \
  --query 'SELECT id FROM o_t WHERE k NOT IN (SELECT k FROM o_s)' \
  --query 'SELECT id FROM o_t WHERE k NOT IN (SELECT k FROM o_s WHERE w > 2 AND k IS NOT NULL)' \
  --query 'SELECT t.id, (SELECT count(*) FROM o_s s WHERE s.k = t.k) AS n, (SELECT max(w) FROM o_s s WHERE s.k = t.k) AS top FROM o_t t' \
  --query 'SELECT t.id FROM o_t t WHERE t.v > 90 OR EXISTS (SELECT 1 FROM o_s s WHERE s.k = t.k AND s.w > 5)' \
  --query 'SELECT k, count(*) AS n, sum(v) AS s FROM o_p GROUP BY k' \
  --query 'SELECT count(*) AS groups, sum(n) AS total, sum(s) AS s FROM oracle_v9' \
  --query "SELECT m.name, count(*) AS n FROM o_t t JOIN (VALUES (1, 'one'), (2, 'two'), (3, 'three')) m(k, name) ON m.k = t.k GROUP BY m.name" \
  --query 'SELECT id, unnest(ARRAY[k, v]) AS x FROM o_t' \
  --query 'SELECT k::bigint AS x FROM o_t UNION SELECT w FROM o_s' \
  --query 'SELECT t.id, x.w FROM o_t t LEFT JOIN LATERAL (SELECT s.w FROM o_s s WHERE s.k = t.k AND s.w <= t.v % 11 ORDER BY s.w DESC LIMIT 1) x ON true' \
  --query 'SELECT t.id, x.w FROM o_t t CROSS JOIN LATERAL (SELECT s.w FROM o_s s ORDER BY abs(s.w - t.v % 11) FETCH FIRST 2 ROWS WITH TIES) x' \
  --query 'SELECT t.id, x.w, x.k FROM o_t t, LATERAL (SELECT s.w, s.k FROM o_s s WHERE s.k = t.k ORDER BY s.w, s.k OFFSET 1 LIMIT 2) x'
