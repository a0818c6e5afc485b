#!/usr/bin/env bash
# Time per single-row change, each followed by pathway.sync(), for every
# construct docs/sql.md lists as maintained, with a small and a large source,
# in the same run (alternating sizes, medians). The cost of a change must not
# grow with the size of the data.
#
#   bash bench/cost_per_change.sh [small rows] [large rows] [changes per round] [rounds]
#
# One database per size (the large one's engine worker holds every view's
# state at that size, as it would in production), and a third with no view
# at all for the floor. In each size's database every construct has its own
# source table src_<construct> (id int PRIMARY KEY, k int, v int) read by its
# one view only, so a change feeds that view alone; the static tables a view
# may also read (dim, dim2, side, other) are shared and never change. Groups
# (and window partitions) keep 10 rows at every size (k = id % (rows / 10)),
# so a recomputed group costs the same at both sizes, except in
# groupby_max_growing and window_growing, whose 10 groups grow with the table
# on purpose, with values in 0..65535 (min/max keep each distinct value of a
# group once: with 0..99 a group would stop growing); in groupby_max_growing
# each new row is its group's new max, and deleting it removes the max (the
# one change that makes min/max recompute the group).
#
# A plpgsql procedure times, in the server with clock_timestamp(), each
#   change; COMMIT; PERFORM pathway.sync(view)
# so no client round trip is in the numbers; the sync() part is also kept
# alone (the statement itself gets a little dearer on a larger table: B-tree
# depth, cache misses; that is PostgreSQL's share, not the engine's).
# Changes: INSERT of a new row (into a random group), UPDATE of the v column
# of a random existing row, DELETE of a row inserted earlier in the round,
# newest first (the table keeps its size). Random rows and groups, so that at the large
# size a change meets cold pages and cold engine state, as it would in use. A construct that costs more than BENCH_BUDGET_MS (default 4000) per
# size, change kind and round stops early (after at least 5 changes): the
# ones whose cost grows with the table would otherwise take hours at 1M rows.
# Floor rows: the same change on a table in a database with no view (commit
# + sync() round trip), and on a table no view reads in the database with
# all the views (decoded and dropped). After the last round every view is
# compared with its query (pathway.check_view).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

if quick; then small=${1:-1000}; large=${2:-50000}; reps=${3:-100}; rounds=${4:-1}
else small=${1:-10000}; large=${2:-1000000}; reps=${3:-300}; rounds=${4:-3}; fi
budget_ms=${BENCH_BUDGET_MS:-$(quick && echo 2000 || echo 4000)}
# no autovacuum: the tables are vacuumed once loaded and once the views are
# built, and the rounds change a few hundred rows; it would only add noise
bench_start "${PATHWAY_BENCH_PORT:-55495}" "autovacuum = off"
t_start=$(date +%s)

# def NAME LABEL QUERY, one per construct; @S is its own source table. The
# chain's view reads the live view v_chain_base (created first, over @S).
constructs=()
declare -A label_of q_of
def() { constructs+=("$1"); label_of[$1]=$2; q_of[$1]=$3; }
def filter 'filter + projection' 'SELECT id, k, v * 2 AS v2 FROM @S WHERE v < 50'
def join 'inner join' 'SELECT s.id, s.v, d.name FROM @S s JOIN dim d ON d.id = s.k'
def join3 '3-table join' 'SELECT s.id, s.v, d.name, c.label FROM @S s JOIN dim d ON d.id = s.k JOIN dim2 c ON c.id = d.cat'
def left_join 'LEFT JOIN' 'SELECT s.id, s.v, x.flag FROM @S s LEFT JOIN side x ON x.id = s.k'
def full_join 'FULL JOIN' 'SELECT s.id, s.v, x.id AS side_id, x.flag FROM @S s FULL JOIN side x ON x.id = s.k'
def semi_join 'semi-join (EXISTS)' 'SELECT s.id, s.v FROM @S s WHERE EXISTS (SELECT 1 FROM side x WHERE x.id = s.k)'
def in_subquery 'semi-join (IN subquery)' 'SELECT s.id, s.v FROM @S s WHERE s.k IN (SELECT id FROM side WHERE flag)'
def anti_join 'anti-join (NOT EXISTS)' 'SELECT s.id, s.v FROM @S s WHERE NOT EXISTS (SELECT 1 FROM side x WHERE x.id = s.k)'
def not_in 'NOT IN (subquery)' 'SELECT s.id, s.v FROM @S s WHERE s.k NOT IN (SELECT id FROM side)'
def mark_join 'EXISTS in the select list (mark join)' 'SELECT s.id, s.v, EXISTS (SELECT 1 FROM side x WHERE x.id = s.k) AS matched FROM @S s'
def groupby 'GROUP BY count/sum/avg' 'SELECT k, count(*) AS n, sum(v) AS total, avg(v) AS mean FROM @S GROUP BY k'
def groupby_minmax 'GROUP BY min/max' 'SELECT k, min(v) AS lo, max(v) AS hi FROM @S GROUP BY k'
def groupby_max_growing 'GROUP BY max, 10 groups growing with the table; INSERT adds the max, DELETE removes it' 'SELECT k, max(v) AS hi FROM @S GROUP BY k'
def percentile 'percentile_cont (ordered-set aggregate)' 'SELECT k, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median FROM @S GROUP BY k'
def count_distinct 'count(DISTINCT)' 'SELECT k, count(DISTINCT v) AS nv FROM @S GROUP BY k'
def string_agg 'string_agg(... ORDER BY)' "SELECT k, string_agg(id::text, ',' ORDER BY id) AS ids FROM @S GROUP BY k"
def having 'GROUP BY ... HAVING' 'SELECT k, sum(v) AS total FROM @S GROUP BY k HAVING sum(v) > 450'
def rollup 'ROLLUP (grouping sets)' 'SELECT k, v, count(*) AS n, sum(v) AS total FROM @S GROUP BY ROLLUP (k, v)'
def global_agg 'global aggregate (count/sum/avg)' 'SELECT count(*) AS n, sum(v) AS total, avg(v) AS mean FROM @S'
def distinct 'DISTINCT' 'SELECT DISTINCT k, v / 10 AS band FROM @S'
def distinct_on 'DISTINCT ON' 'SELECT DISTINCT ON (k) k, id, v FROM @S ORDER BY k, v DESC, id'
def union_all 'UNION ALL' 'SELECT id, k, v FROM @S WHERE v < 50 UNION ALL SELECT id, k, v FROM other WHERE v >= 50'
def union 'UNION' 'SELECT k, v FROM @S UNION SELECT k, v FROM other'
def intersect 'INTERSECT' 'SELECT k, v FROM @S INTERSECT SELECT k, v FROM other'
def except 'EXCEPT' 'SELECT k, v FROM @S EXCEPT SELECT k, v FROM other'
def from_subquery 'subquery in FROM' 'SELECT x.k, x.total FROM (SELECT k, sum(v) AS total FROM @S GROUP BY k) x WHERE x.total > 450'
def with 'WITH (aggregate, then join)' 'WITH per AS (SELECT k, count(*) AS n, sum(v) AS total FROM @S GROUP BY k) SELECT per.k, per.total, d.name FROM per JOIN dim d ON d.id = per.k WHERE per.n > 5'
def scalar_subquery 'scalar subquery, global aggregate (every row judged again when it moves)' 'SELECT id, v FROM @S WHERE v > (SELECT avg(v) FROM @S)'
def scalar_select 'correlated scalar subquery in the select list' 'SELECT d.id, d.name, (SELECT count(*) FROM @S s WHERE s.k = d.id) AS n FROM dim d'
def scalar_where 'correlated scalar subquery in WHERE' 'SELECT d.id, d.name FROM dim d WHERE (SELECT sum(s.v) FROM @S s WHERE s.k = d.id) > 450'
def lateral 'LEFT JOIN LATERAL (GROUP BY), correlated' 'SELECT d.id, x.parity, x.n FROM dim d LEFT JOIN LATERAL (SELECT s.v % 2 AS parity, count(*) AS n FROM @S s WHERE s.k = d.id GROUP BY s.v % 2) x ON true'
def window 'window: rank() OVER (PARTITION BY k), partitions of 10 rows' 'SELECT id, k, v, rank() OVER (PARTITION BY k ORDER BY v) AS r FROM @S'
def window_growing 'window: rank() OVER (PARTITION BY k), 10 partitions (partition size grows with the table)' 'SELECT id, k, v, rank() OVER (PARTITION BY k ORDER BY v) AS r FROM @S'
def top3_per_group 'top 3 per group (row_number() <= 3)' 'SELECT k, id, v FROM (SELECT k, id, v, row_number() OVER (PARTITION BY k ORDER BY v DESC, id) AS rn FROM @S) s WHERE rn <= 3'
def topk 'ORDER BY ... LIMIT 10 (one partition: the whole table)' 'SELECT id, v FROM @S ORDER BY v DESC, id LIMIT 10'
def srf 'function in FROM (unnest)' 'SELECT s.id, e.x FROM @S s, unnest(ARRAY[s.k, s.v]) AS e(x)'
def jsonb_srf 'function in FROM (jsonb_array_elements)' 'SELECT s.id, e.value FROM @S s, jsonb_array_elements(jsonb_build_array(s.k, s.v)) e'
def srf_select 'set-returning function in the select list' 'SELECT id, unnest(ARRAY[k, v]) AS x FROM @S'
def values 'VALUES in FROM, joined' "SELECT s.id, s.v, m.label FROM @S s JOIN (VALUES (0, 'low'), (1, 'mid'), (2, 'high')) m(band, label) ON m.band = s.v / 34"
def partitioned 'partitioned source (4 hash partitions), filter' 'SELECT id, k, v FROM @S WHERE v < 50'
def chain 'live view over a live view (GROUP BY, then join)' 'SELECT b.k, b.total, d.name FROM v_chain_base b JOIN dim d ON d.id = b.k WHERE b.n > 5'
chain_base='SELECT k, count(*) AS n, sum(v) AS total FROM @S GROUP BY k'
query() { echo "${q_of[$1]//@S/src_$1}"; }
# groups of 10 rows, v in 0..99; but 10 groups of distinct values for the ones
# that show what a growing group costs (min/max keep distinct values only)
growing() { [[ $1 == groupby_max_growing || $1 == window_growing ]]; }
groups_of() { if growing "$1"; then echo 10; else echo $(( $2 / 10 )); fi; }
vmod_of() { if growing "$1"; then echo 65536; else echo 100; fi; }
# v of a new row ($1 is its id): for groupby_max_growing above every value, so
# that each INSERT adds its group's new max and each DELETE (newest first)
# removes the current max, which makes the group recomputed from its rows
vnew_of() {
  if [[ $1 == groupby_max_growing ]]; then echo '65536 + $1'; else echo "(hashint4(\$1) & 65535) % $(vmod_of "$1")"; fi
}

# one database per size; "bench" (made by bench_start) has no view: the floor
db_of() { echo "cpc_$1"; }
qd() { PGDATABASE=$1 q "$2"; }
k_of() { awk -v n="$1" 'BEGIN {if (n >= 1000000 && n % 1000000 == 0) printf "%dM", n / 1000000;
  else if (n >= 1000 && n % 1000 == 0) printf "%dk", n / 1000; else print n}'; }
S=$(k_of "$small")
L=$(k_of "$large")

procedure=$(cat <<'SQL'
CREATE TABLE timings (construct text, n int, op text, ms float8, sync_ms float8);
-- up to nchanges changes of one kind on tbl (rows 1..nrows, k = id % groups,
-- v in 0..vmod - 1; a new row goes to a random group, its v is the expression
-- vnew of its id $1; rows are deleted newest first),
-- each committed and followed by sync(view) (sync() of everything when view is
-- NULL); new rows get ids from first_id. Stops after budget_ms (and at least
-- 5 changes). Returns how many changes it made.
CREATE PROCEDURE bench_changes(construct text, tbl text, view text, nrows int, groups int,
                               vmod int, vnew text, op text, nchanges int, first_id int,
                               budget_ms float8, INOUT done int DEFAULT 0)
LANGUAGE plpgsql AS $$
DECLARE
  start timestamptz := clock_timestamp();
  t0 timestamptz;
  t1 timestamptz;
  ms float8[] := '{}';
  sync_ms float8[] := '{}';
  sqltext text := CASE op
    WHEN 'insert' THEN format('INSERT INTO %I VALUES ($1, (hashint8($1) & 1073741823) %% %s, %s)',
                              tbl, groups, vnew)
    WHEN 'update' THEN format('UPDATE %I SET v = (v + 1) %% %s WHERE id = $1', tbl, vmod)
    WHEN 'delete' THEN format('DELETE FROM %I WHERE id = $1', tbl) END;
  arg int;
BEGIN
  FOR i IN 0 .. nchanges - 1 LOOP
    EXIT WHEN i >= 5 AND extract(epoch FROM clock_timestamp() - start) * 1000 > budget_ms;
    arg := CASE op WHEN 'update' THEN 1 + floor(random() * nrows)::int
                   WHEN 'insert' THEN first_id + i ELSE first_id + nchanges - 1 - i END;
    t0 := clock_timestamp();
    EXECUTE sqltext USING arg;
    COMMIT;
    t1 := clock_timestamp();
    IF view IS NULL THEN
      PERFORM pathway.sync(NULL, '600s');
    ELSE
      PERFORM pathway.sync(view, '600s');
    END IF;
    ms := ms || extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
    sync_ms := sync_ms || extract(epoch FROM clock_timestamp() - t1)::float8 * 1000;
    done := i + 1;
  END LOOP;
  INSERT INTO timings SELECT construct, nrows, op, a, b FROM unnest(ms, sync_ms) AS u(a, b);
  COMMIT;
END $$;
SQL
)

# make_src TABLE ROWS GROUPS VMOD: the shape every changed table has (a bulk load,
# then the primary key)
make_src() {
  if [[ $1 == src_partitioned ]]; then
    echo "CREATE TABLE $1 (id int PRIMARY KEY, k int, v int) PARTITION BY HASH (id);"
    for p in 0 1 2 3; do
      echo "CREATE TABLE ${1}_$p PARTITION OF $1 FOR VALUES WITH (MODULUS 4, REMAINDER $p);"
    done
    echo "INSERT INTO $1 SELECT g, g % $3, (hashint4(g) & 65535) % $4 FROM generate_series(1, $2) g;"
    return
  fi
  echo "CREATE TABLE $1 AS
          SELECT g AS id, g % $3 AS k, (hashint4(g) & 65535) % $4 AS v FROM generate_series(1, $2) g;
        ALTER TABLE $1 ADD PRIMARY KEY (id);"
  # a fresh run of a correlated subquery (check_view) would scan it once per dim row
  [[ $1 == src_scalar_select || $1 == src_scalar_where || $1 == src_lateral ]] && echo "CREATE INDEX ON $1 (k);"
  true
}

q "$procedure" >/dev/null
for n in $small $large; do
  q "$(make_src "floor_$n" "$n" $(( n / 10 )) 100)" >/dev/null
done
q "VACUUM ANALYZE" >/dev/null

declare -A failed=() state=() rss=()
# every table of both sizes first: a worker with no view decodes nothing
for n in $small $large; do
  db=$(db_of "$n")
  g=$(( n / 10 ))
  note "loading $db: ${#constructs[@]} sources of $n rows, $g groups"
  createdb "$db"
  qd "$db" "CREATE EXTENSION pathway" >/dev/null
  qd "$db" "$procedure" >/dev/null
  qd "$db" "CREATE TABLE dim (id int PRIMARY KEY, name text, cat int);
    INSERT INTO dim SELECT i, 'name ' || i, i % greatest($g / 10, 1) FROM generate_series(0, $g - 1) i;
    CREATE TABLE dim2 (id int PRIMARY KEY, label text);
    INSERT INTO dim2 SELECT i, 'label ' || i FROM generate_series(0, greatest($g / 10, 1) - 1) i;
    -- the even keys and as many above the sources' keys (FULL JOIN's right-only rows)
    CREATE TABLE side (id int PRIMARY KEY, flag bool);
    INSERT INTO side SELECT i, i % 4 = 0 FROM generate_series(0, 2 * $g, 2) i;
    CREATE TABLE other AS
      SELECT i AS id, i % $g AS k, (hashint4(i + 1) & 65535) % 100 AS v FROM generate_series(1, $n) i;
    ALTER TABLE other ADD PRIMARY KEY (id);
    $(make_src src_unread "$n" "$g" 100)" >/dev/null
  for c in "${constructs[@]}"; do
    qd "$db" "$(make_src "src_$c" "$n" "$(groups_of "$c" "$n")" "$(vmod_of "$c")")" >/dev/null
  done
  qd "$db" "VACUUM ANALYZE" >/dev/null
done
for n in $small $large; do
  db=$(db_of "$n")
  note "creating ${#constructs[@]} views in $db"
  for c in "${constructs[@]}"; do
    if [[ $c == chain ]] &&
      ! qd "$db" "SELECT pathway.create_view('v_chain_base', \$\$${chain_base//@S/src_chain}\$\$)" >/dev/null; then
      failed[$c]=1; note "create_view of v_chain_base failed in $db"; continue
    fi
    qd "$db" "SELECT pathway.create_view('v_$c', \$\$$(query "$c")\$\$)" >/dev/null ||
      { failed[$c]=1; note "create_view of v_$c failed in $db"; }
  done
done
for n in $small $large; do
  db=$(db_of "$n")
  t0=$(date +%s)
  qd "$db" "SELECT pathway.sync(timeout => '3600s')" >/dev/null
  note "$db: views built, sync() waited $(( $(date +%s) - t0 )) s"
  # the view tables were just written
  qd "$db" "VACUUM ANALYZE" >/dev/null
  state[$n]=$(qd "$db" "SELECT pg_size_pretty(sum(state_bytes)) FROM pathway.views")
  rss[$n]=$(( $(PGDATABASE=$db rss_anon_kb) / 1024 ))
done
t_built=$(date +%s)

# change one construct's table at one size, all three kinds, one round
run_changes() { # construct n round
  local c=$1 n=$2 r=$3 db tbl view g done first
  if [[ $c == floor ]]; then db=bench tbl=floor_$n view=NULL
  else db=$(db_of "$n") tbl=src_$c view="'v_$c'"; fi
  [[ $c == unread ]] && view=NULL
  g="$(groups_of "$c" "$n"), $(vmod_of "$c"), '$(vnew_of "$c")'"
  first=$(( 10 * large + r * 10 * reps ))
  done=$(qd "$db" "CALL bench_changes('$c', '$tbl', $view, $n, $g, 'insert', $reps, $first, $budget_ms)")
  qd "$db" "CALL bench_changes('$c', '$tbl', $view, $n, $g, 'update', $reps, $first, $budget_ms)" >/dev/null
  qd "$db" "CALL bench_changes('$c', '$tbl', $view, $n, $g, 'delete', $done, $first, 'Infinity')" >/dev/null
}

measured=(floor unread)
for c in "${constructs[@]}"; do [[ -n ${failed[$c]:-} ]] || measured+=("$c"); done
for r in $(seq "$rounds"); do
  note "round $r/$rounds: ${#measured[@]} constructs, sizes $small and $large"
  for c in "${measured[@]}"; do
    for n in $small $large; do run_changes "$c" "$n" "$r"; done
  done
done
t_measured=$(date +%s)

for n in $small $large; do
  db=$(db_of "$n")
  note "checking every view in $db against its query"
  for c in "${measured[@]}" chain_base; do
    [[ $c == floor || $c == unread ]] && continue
    [[ $c == chain_base && -n ${failed[chain]:-} ]] && continue
    diff=$(qd "$db" "SELECT count(*) FROM pathway.check_view('v_$c')") || diff="check failed"
    [[ $diff == 0 ]] || { failed[$c]=1; note "WRONG RESULT: v_$c in $db differs from its query in $diff rows"; }
  done
  status=$(qd "$db" "SELECT string_agg(name || ': ' || coalesce(error, ''), '; ') FROM pathway.views WHERE status <> 'running'")
  [[ -z $status ]] || note "views not running in $db: $status"
  qd "$db" "COPY timings TO STDOUT" | q "COPY timings FROM STDIN"
done

q "CREATE TABLE labels (construct text, label text)" >/dev/null
label_of[floor]='floor: no view in the database'
label_of[unread]='floor: a table no view reads, next to all the views'
for c in floor unread "${constructs[@]}"; do
  q "INSERT INTO labels VALUES ('$c', \$\$${label_of[$c]}\$\$)" >/dev/null
done

# table COLUMN: one line per construct, medians per kind of change
table() {
  local col=$1 order
  order=$(printf "'%s'," floor unread "${constructs[@]}")
  echo "| construct | INSERT ms at $S | at $L | ratio | UPDATE ms at $S | at $L | ratio | DELETE ms at $S | at $L | ratio | changes timed per kind at $S / $L |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  q "WITH m AS (
       SELECT construct, op, n, percentile_disc(0.5) WITHIN GROUP (ORDER BY $col) AS p50, count(*) AS cnt
         FROM timings GROUP BY 1, 2, 3),
     c AS (
       SELECT a.construct, a.op, a.p50 AS s, b.p50 AS l, a.cnt AS sn, b.cnt AS ln
         FROM m a JOIN m b ON b.construct = a.construct AND b.op = a.op AND a.n = $small AND b.n = $large)
     SELECT format('| %s | %s | %s |', (SELECT label FROM labels l WHERE l.construct = c.construct),
                   string_agg(format('%s | %s | %sx', round(s::numeric, 3), round(l::numeric, 3),
                                     round((l / s)::numeric, 2)), ' | '
                              ORDER BY array_position('{insert,update,delete}'::text[], op)),
                   min(sn) || ' / ' || min(ln))
       FROM c GROUP BY construct
      ORDER BY array_position(ARRAY[${order%,}]::text[], construct)"
}

echo
echo "Whole change: the statement, COMMIT and sync(), median ms per change, and the ratio $L / $S:"
echo
table ms
echo
echo "The sync() part alone (the engine's share: wake, decode, step, write the view, commit):"
echo
table sync_ms
echo
echo "Up to $reps changes of each kind per round and size, $rounds rounds, sizes alternating per construct, timed"
echo "inside the server. A construct stops after ${budget_ms} ms per kind, size and round (at least 5 changes): fewer"
echo "changes timed means more than ~$(( budget_ms / reps )) ms a change."
echo "Sources: src_<construct> (id int PRIMARY KEY, k int, v int), k = id % (rows / 10) (groups of 10 rows), v in 0..99;"
echo "a new row goes to a random group. groupby_max_growing and window_growing: k = id % 10, v in 0..65535, and in"
echo "groupby_max_growing a new row's v is 65536 + id. Never changed: dim (id, name, cat) with rows / 10 rows, dim2"
echo "(id, label) with rows / 100, side (id, flag) with the even keys 0 .. 2 * rows / 10, other like a source."
echo "floor: a table in a database with no view; unread: a table no view reads, next to all the views."
echo "Engine state (sum of state_bytes) and worker RssAnon after the build: ${state[$small]} and ${rss[$small]} MB at $S,"
echo "${state[$large]} and ${rss[$large]} MB at $L. Load and build $(( t_built - t_start )) s, changes $(( t_measured - t_built )) s."
(( ${#failed[@]} == 0 )) || echo "**Failed or wrong: ${!failed[*]}** (see stderr)."
echo "Queries (@S is the construct's source table):"
for c in "${constructs[@]}"; do
  echo "- $c (${label_of[$c]}): \`${q_of[$c]}\`"
  [[ $c == chain ]] && echo "  where v_chain_base is the live view \`$chain_base\`"
done
true
