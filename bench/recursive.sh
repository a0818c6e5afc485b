#!/usr/bin/env bash
# Recursive views and iteration on a generated graph with power-law degrees,
# at two sizes, in the same run: reachability from 100 roots (WITH
# RECURSIVE ... UNION), walks of at most 3 hops counted per node (UNION
# ALL with a depth bound), connected components by label propagation and
# PageRank (pathway.create_iterate_view, fixed rounds).
#
#   bash bench/recursive.sh [edges small] [edges large] [rounds]
#
# For each size and view: the build (create_view + sync()) against running
# the query once and CREATE MATERIALIZED VIEW; then, per round, one edge
# inserted and one deleted (each: the statement, COMMIT, pathway.sync())
# against running the query again and REFRESH MATERIALIZED VIEW of a twin
# materialized view.  Medians over the rounds.  The edges' ends are drawn
# with a skew (node = nodes * random()^3): a few hubs, many leaves; nodes =
# edges / 2.  After the rounds every view is compared with its query
# (pathway.check_view).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

if quick; then small=${1:-2000}; large=${2:-10000}; rounds=${3:-1}
else small=${1:-10000}; large=${2:-100000}; rounds=${3:-5}; fi
bench_start "${PATHWAY_BENCH_PORT:-55501}"

views=(reach walks components pagerank)
declare -A label_of=(
  [reach]='reachability from 100 roots (UNION)'
  [walks]='walks of at most 3 hops, counted (UNION ALL, depth bound)'
  [components]='connected components, label propagation, 12 rounds'
  [pagerank]='PageRank, 10 rounds (numeric)'
)
reach_q='WITH RECURSIVE r(root, n) AS (SELECT id, id FROM g_roots UNION SELECT r.root, e.dst FROM r JOIN g_edges e ON e.src = r.n) SELECT root, n FROM r'
walks_q='WITH RECURSIVE r(n, d) AS (SELECT id, 0 FROM g_roots UNION ALL SELECT e.dst, r.d + 1 FROM r JOIN g_edges e ON e.src = r.n WHERE r.d < 3) SELECT n, count(*) AS walks FROM r GROUP BY n'
cc_init='SELECT id AS node, id AS label FROM g_nodes'
cc_step='SELECT node, min(label) AS label FROM (SELECT node, label FROM prev UNION ALL SELECT e.dst, p.label FROM prev p JOIN g_edges e ON e.src = p.node UNION ALL SELECT e.src, p.label FROM prev p JOIN g_edges e ON e.dst = p.node) x GROUP BY node'
pr_init='SELECT id AS node, round(1.0 / c.total, 8) AS rank FROM g_nodes CROSS JOIN (SELECT count(*) AS total FROM g_nodes) c'
pr_step='WITH out AS (SELECT src, count(*) AS deg FROM g_edges GROUP BY src) SELECT n.id AS node, round(0.15 / c.total + 0.85 * coalesce(sum(p.rank / o.deg), 0), 8) AS rank FROM g_nodes n CROSS JOIN (SELECT count(*) AS total FROM g_nodes) c LEFT JOIN g_edges e ON e.dst = n.id LEFT JOIN prev p ON p.node = e.src LEFT JOIN out o ON o.src = e.src GROUP BY n.id, c.total'

# the query a view stores (the iterate views': the rounds written out)
query_of() { q "SELECT query FROM pathway.views WHERE name = 'v_$1'"; }

create() {
  case $1 in
    reach) echo "SELECT pathway.create_view('v_reach', \$q\$$reach_q\$q\$)" ;;
    walks) echo "SELECT pathway.create_view('v_walks', \$q\$$walks_q\$q\$)" ;;
    components) echo "SELECT pathway.create_iterate_view('v_components', \$q\$$cc_init\$q\$, \$q\$$cc_step\$q\$, 12)" ;;
    pagerank) echo "SELECT pathway.create_iterate_view('v_pagerank', \$q\$$pr_init\$q\$, \$q\$$pr_step\$q\$, 10)" ;;
  esac
}

sum_ms() { awk '{s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.3f\n", s}'; }

printf '| view | edges | rows | build | query | CREATE MATVIEW | insert + sync | delete + sync | query again | REFRESH | insert vs REFRESH |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
bad=0
for n in $small $large; do
  nodes=$(( n / 2 ))
  note "graph of $n edges, $nodes nodes"
  q "DROP TABLE IF EXISTS g_edges, g_nodes, g_roots CASCADE;
     SELECT setseed(0.5);
     CREATE TABLE g_nodes (id int PRIMARY KEY);
     INSERT INTO g_nodes SELECT generate_series(0, $nodes - 1);
     CREATE TABLE g_edges (id serial PRIMARY KEY, src int, dst int);
     INSERT INTO g_edges (src, dst)
       SELECT least((random() ^ 3 * $nodes)::int, $nodes - 1), least((random() ^ 3 * $nodes)::int, $nodes - 1)
         FROM generate_series(1, $n);
     CREATE INDEX ON g_edges (src); CREATE INDEX ON g_edges (dst);
     CREATE TABLE g_roots AS SELECT id FROM g_nodes ORDER BY hashint4(id) LIMIT 100" >/dev/null
  q "VACUUM ANALYZE" >/dev/null
  for v in "${views[@]}"; do
    build=$(ms "$(create "$v")" "SELECT pathway.sync(NULL, '3600s')" | sum_ms)
    query=$(query_of "$v")
    run=$(ms "SELECT count(*) FROM ($query) x" | sum_ms)
    mv=$(ms "CREATE MATERIALIZED VIEW mv_$v AS $query" | sum_ms)
    ins=() del=() again=() refresh=()
    for ((r = 0; r < rounds; r++)); do
      a=$(( (r * 7919 + 13) % nodes )); b=$(( (r * 104729 + 7) % nodes ))
      ins+=("$(ms "INSERT INTO g_edges (src, dst) VALUES ($a, $b)" "SELECT pathway.sync(NULL, '3600s')" | sum_ms)")
      again+=("$(ms "SELECT count(*) FROM ($query) x" | sum_ms)")
      refresh+=("$(ms "REFRESH MATERIALIZED VIEW mv_$v" | sum_ms)")
      del+=("$(ms "DELETE FROM g_edges WHERE id = (SELECT id FROM g_edges ORDER BY hashint4(id + $r) LIMIT 1)" "SELECT pathway.sync(NULL, '3600s')" | sum_ms)")
    done
    i_ms=$(lines "${ins[*]}" | median); d_ms=$(lines "${del[*]}" | median)
    a_ms=$(lines "${again[*]}" | median); r_ms=$(lines "${refresh[*]}" | median)
    rows=$(q "SELECT count(*) FROM v_$v")
    diff=$(q "SELECT count(*) FROM pathway.check_view('v_$v')")
    [[ $diff == 0 ]] || { note "v_$v differs from its query in $diff rows"; bad=1; }
    printf '| %s | %s | %s | %s ms | %s ms | %s ms | %s ms | %s ms | %s ms | %s ms | %s |\n' \
      "${label_of[$v]}" "$n" "$rows" "$(fmt "$build")" "$(fmt "$run")" "$(fmt "$mv")" \
      "$(fmt "$i_ms" 2)" "$(fmt "$d_ms" 2)" "$(fmt "$a_ms")" "$(fmt "$r_ms")" "$(ratio "$i_ms" "$r_ms")"
    q "SELECT pathway.drop_view('v_$v'); DROP MATERIALIZED VIEW mv_$v" >/dev/null
  done
done
exit "$bad"
