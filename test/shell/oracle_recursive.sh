#!/usr/bin/env bash
# The oracle tool (test/oracle/oracle.sh) over WITH RECURSIVE: four sessions
# insert, delete and move random edges of a 300-node graph while the views
# are created; each is then compared with its query.  Reachability from
# roots (UNION), walks with a depth bound (UNION ALL), paths with a cycle
# check, CYCLE and SEARCH, connected components (min label per node), and
# a join and an aggregate over the recursive result.
#
# Shared cluster, own database.
set -euo pipefail
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../oracle" && pwd)
exec bash "$dir/oracle.sh" --schema "$dir/recursive_schema.sql" \
  --dml "$dir/recursive_e.sql@3" --dml "$dir/recursive_u.sql@1" \
  --clients 4 --txns 100 --rate 150 --seed 15 \
  --query 'WITH RECURSIVE r(root, n) AS (SELECT id, id FROM r_n WHERE id % 40 = 0 UNION SELECT r.root, e.dst FROM r JOIN r_e e ON e.src = r.n) SELECT root, n FROM r' \
  --query 'WITH RECURSIVE r(n, d) AS (SELECT id, 0 FROM r_n WHERE id % 25 = 0 UNION ALL SELECT e.dst, r.d + 1 FROM r JOIN r_e e ON e.src = r.n WHERE r.d < 3) SELECT n, d FROM r' \
  --query 'WITH RECURSIVE r(n, path) AS (SELECT id, ARRAY[id] FROM r_n WHERE id % 60 = 0 UNION ALL SELECT e.dst, r.path || e.dst FROM r JOIN r_e e ON e.src = r.n WHERE NOT e.dst = ANY(r.path) AND cardinality(r.path) < 5) SELECT n, path FROM r' \
  --query 'WITH RECURSIVE r(n, d) AS (SELECT id, 0 FROM r_n WHERE id % 70 = 0 UNION ALL SELECT e.dst, r.d + 1 FROM r JOIN r_e e ON e.src = r.n WHERE r.d < 4) CYCLE n SET looped USING path SELECT n, d, looped FROM r' \
  --query 'WITH RECURSIVE r(label, n) AS (SELECT id, id FROM r_n UNION SELECT r.label, u.y FROM r JOIN (SELECT src AS x, dst AS y FROM r_e UNION ALL SELECT dst, src FROM r_e) u ON u.x = r.n) SELECT n, min(label) AS component FROM r GROUP BY n' \
  --query 'WITH RECURSIVE r(root, n) AS (SELECT id, id FROM r_n WHERE id % 30 = 0 UNION SELECT r.root, e.dst FROM r JOIN r_e e ON e.src = r.n) SELECT r.root, sum(w.w) AS weight, count(*) AS reached FROM r JOIN r_n w ON w.id = r.n GROUP BY r.root' \
  --query 'WITH RECURSIVE r(n) AS (SELECT id FROM r_n WHERE w = 0 AND id < 100 UNION SELECT e.dst FROM r JOIN r_e e ON e.src = r.n JOIN r_n m ON m.id = e.dst WHERE m.w <> 3) SELECT n FROM r'
