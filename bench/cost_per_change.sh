#!/usr/bin/env bash
# Time per single-row change, each followed by pathway.sync(), with a small
# and a large source, in the same run (alternating rounds, medians). The cost
# of a change must not grow with the size of the data.
#
#   bash bench/cost_per_change.sh [small rows] [large rows] [changes per round] [rounds]
#
# A plpgsql procedure times, server-side with clock_timestamp(), each
#   change; COMMIT; PERFORM pathway.sync(view)
# so no client round trip is in the numbers; the sync() part is also shown
# alone (the statement itself gets dearer with a larger table: B-tree depth,
# cache misses; that is PostgreSQL's share, not the engine's). Changes: INSERT of a new row,
# UPDATE of a random existing row (its value column), DELETE of a row inserted
# earlier in the round (so the table keeps its size). Each view kind has its
# own source table, so a change touches that one view only. Groups keep 100
# rows at every size (the number of groups grows with the data), so a
# recomputed max costs the same 100 rows at both sizes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

if quick; then small=${1:-1000}; large=${2:-100000}; reps=${3:-100}; rounds=${4:-1}
else small=${1:-10000}; large=${2:-1000000}; reps=${3:-300}; rounds=${4:-3}; fi
bench_start "${PATHWAY_BENCH_PORT:-55495}"

declare -A q_of
kinds="filter groupby groupby_max join"
q_of[filter]='SELECT id, k, v FROM @T WHERE v < 50'
q_of[groupby]='SELECT k, count(*) AS n, sum(v) AS total FROM @T GROUP BY k'
q_of[groupby_max]='SELECT k, max(v) AS hi FROM @T GROUP BY k'
q_of[join]='SELECT s.id, s.v, d.name FROM @T s JOIN dim_@N d ON d.id = s.k'
query() { local s=${q_of[$1]//@T/$2}; echo "${s//@N/$3}"; }

note "loading"
for n in $small $large; do
  g=$(( n / 100 ))
  q "CREATE TABLE dim_$n (id int PRIMARY KEY, name text);
     INSERT INTO dim_$n SELECT g, 'name ' || g FROM generate_series(0, $g - 1) g;" >/dev/null
  for v in $kinds; do
    t=${v}_$n
    q "CREATE TABLE $t (id int PRIMARY KEY, k int, v int);
       INSERT INTO $t SELECT g, g % $g, g % 100 FROM generate_series(1, $n) g;" >/dev/null
    q "SELECT pathway.create_view('v_$t', \$\$$(query "$v" "$t" "$n")\$\$)" >/dev/null
  done
done
q "VACUUM ANALYZE" >/dev/null
q "SELECT pathway.sync(timeout => '1800s')" >/dev/null

psql -XqAt -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE timings (kind text, n int, op text, ms float8, sync_ms float8);
-- nchanges changes of one kind on tbl (rows 1..nrows, nrows/100 groups),
-- each committed and followed by sync(view). New rows get ids from first_id.
CREATE PROCEDURE bench_changes(kind text, tbl text, view text, nrows int, op text,
                               nchanges int, first_id int, INOUT ms float8[] DEFAULT '{}',
                               INOUT sync_ms float8[] DEFAULT '{}')
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  t1 timestamptz;
  groups int := nrows / 100;
  sqltext text := CASE op
    WHEN 'insert' THEN format('INSERT INTO %I VALUES ($1, $1 %% %s, $1 %% 100)', tbl, groups)
    WHEN 'update' THEN format('UPDATE %I SET v = (v + 1) %% 100 WHERE id = $1', tbl)
    WHEN 'delete' THEN format('DELETE FROM %I WHERE id = $1', tbl) END;
  arg int;
BEGIN
  FOR i IN 0 .. nchanges - 1 LOOP
    arg := CASE op WHEN 'update' THEN 1 + floor(random() * nrows)::int ELSE first_id + i END;
    t0 := clock_timestamp();
    EXECUTE sqltext USING arg;
    COMMIT;
    t1 := clock_timestamp();
    PERFORM pathway.sync(view);
    ms := ms || extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
    sync_ms := sync_ms || extract(epoch FROM clock_timestamp() - t1)::float8 * 1000;
  END LOOP;
END $$;
SQL

for r in $(seq "$rounds"); do
  for n in $small $large; do
    for v in $kinds; do
      note "round $r/$rounds: $v over $n rows"
      t=${v}_$n
      first=$(( 10 * large + r * 10 * reps ))
      for op in insert update delete; do
        res=$(q "CALL bench_changes('$v', '$t', 'v_$t', $n, '$op', $reps, $first)")
        q "INSERT INTO timings SELECT '$v', $n, '$op', a, b
             FROM unnest('${res%%|*}'::float8[], '${res#*|}'::float8[]) AS u(a, b)" >/dev/null
      done
      # the view must still equal its query
      qq=$(query "$v" "$t" "$n")
      diff=$(q "SELECT count(*) FROM ((TABLE v_$t EXCEPT ALL ($qq)) UNION ALL (($qq) EXCEPT ALL TABLE v_$t)) d")
      [[ $diff == 0 ]] || note "WRONG RESULT: v_$t differs from its query in $diff rows"
    done
  done
done

echo
echo "| view | change | median ms at $small rows | median ms at $large rows | ratio $large / $small | p90 ms at $small | p90 ms at $large | sync() part: median ms at $small | at $large | ratio |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
q "WITH s AS (
     SELECT kind, op, n, percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
            percentile_disc(0.9) WITHIN GROUP (ORDER BY ms) AS p90,
            percentile_disc(0.5) WITHIN GROUP (ORDER BY sync_ms) AS s50
       FROM timings GROUP BY 1, 2, 3)
   SELECT format('| %s | %s | %s | %s | %sx | %s | %s | %s | %s | %sx |', a.kind, a.op, round(a.p50::numeric, 3),
                 round(b.p50::numeric, 3), round((b.p50 / a.p50)::numeric, 2),
                 round(a.p90::numeric, 3), round(b.p90::numeric, 3),
                 round(a.s50::numeric, 3), round(b.s50::numeric, 3), round((b.s50 / a.s50)::numeric, 2))
     FROM s a JOIN s b ON b.kind = a.kind AND b.op = a.op AND a.n = $small AND b.n = $large
    ORDER BY array_position('{filter,groupby,groupby_max,join}'::text[], a.kind),
             array_position('{insert,update,delete}'::text[], a.op)"
echo
echo "$reps changes of each kind per round, $rounds rounds, each change committed and followed by pathway.sync(); timed inside the server"
echo "(whole change + COMMIT + sync(); the sync() part alone is the engine's share: wake, decode, step, write the view, commit). Queries:"
for v in $kinds; do echo "- $v: \`$(query "$v" "<table>" "<n>")\`"; done
echo "Sources: (id int PRIMARY KEY, k int, v int), k = id % (rows / 100); the join's dim_<n> has rows / 100 rows."
