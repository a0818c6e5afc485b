-- What PostgreSQL answers and the planner used to refuse: scalar subqueries
-- and [NOT] EXISTS correlated by non-equalities (through a magic set of the
-- outer values, NULLs included), TPC-H Q21's EXISTS with an equality and an
-- inequality, scalar subqueries in HAVING (TPC-H Q11) and in a grouped
-- select list (uncorrelated, correlated by the group, inside an aggregate),
-- LATERAL global aggregates (a LEFT JOIN LATERAL ON a condition too), views
-- that read no table, several
-- set-returning functions in a select list (lockstep) and ROWS FROM, ONLY
-- on an inheritance parent and on a partitioned table.
-- Exact rows, then random changes and the oracle (check_view) on every
-- view.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t188_t, t188_u, t188_par, t188_part CASCADE;

SELECT plan(43);

CREATE TABLE t188_t (a int PRIMARY KEY, b int, c int);
CREATE TABLE t188_u (id int PRIMARY KEY, k int, v int);
INSERT INTO t188_t VALUES (1, 10, 1), (2, 20, 2), (3, 20, NULL), (4, NULL, 1);
INSERT INTO t188_u VALUES (1, 1, 5), (2, 1, 15), (3, 2, 25), (4, NULL, 30);
CREATE TABLE t188_par (id int PRIMARY KEY, v int);
CREATE TABLE t188_chi (w int) INHERITS (t188_par);
CREATE TABLE t188_part (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE t188_part_1 PARTITION OF t188_part FOR VALUES FROM (0) TO (1000);
INSERT INTO t188_par VALUES (1, 10), (2, 20);
INSERT INTO t188_chi VALUES (3, 30, 0), (4, 40, 0);
INSERT INTO t188_part VALUES (1, 1);

-- ---------------------------------------------------------------- magic sets
SELECT lives_ok($$SELECT pathway.create_view('t188_rank', 'SELECT a, (SELECT count(*) FROM t188_t x WHERE x.b < t188_t.b) AS r FROM t188_t')$$,
  'a scalar subquery correlated by <');
SELECT lives_ok($$SELECT pathway.create_view('t188_above', 'SELECT a FROM t188_t WHERE b > (SELECT avg(v) FROM t188_u WHERE t188_u.v <= t188_t.b * 2)')$$,
  'in WHERE, against an average over <=');
SELECT lives_ok($$SELECT pathway.create_view('t188_mixed', 'SELECT a, (SELECT max(v) FROM t188_u WHERE t188_u.k = t188_t.c AND t188_u.v < t188_t.b) AS m FROM t188_t')$$,
  'an equality and an inequality');
SELECT lives_ok($$SELECT pathway.create_view('t188_q21', $q$
  SELECT a FROM t188_t t WHERE EXISTS (SELECT 1 FROM t188_t x WHERE x.b = t.b AND x.a <> t.a)
                           AND NOT EXISTS (SELECT 1 FROM t188_u u WHERE u.k = t.c AND u.v > t.b) $q$)$$,
  'EXISTS and NOT EXISTS with an equality and an inequality (TPC-H Q21)');
SELECT lives_ok($$SELECT pathway.create_view('t188_flag', 'SELECT a, EXISTS (SELECT 1 FROM t188_u WHERE t188_u.v > t188_t.b) AS e FROM t188_t')$$,
  'EXISTS by an inequality in the select list');

-- ---------------------------------------------------------------- grouped levels
SELECT lives_ok($$SELECT pathway.create_view('t188_q11', 'SELECT k, sum(v) AS s FROM t188_u GROUP BY k HAVING sum(v) > (SELECT sum(v) * 0.25 FROM t188_u)')$$,
  'an uncorrelated scalar in HAVING (TPC-H Q11)');
SELECT lives_ok($$SELECT pathway.create_view('t188_grouped', $q$
  SELECT k, sum(v) AS s, (SELECT count(*) FROM t188_t WHERE t188_t.c = t188_u.k) AS n,
         sum(v) - (SELECT max(v) FROM t188_u) AS d
    FROM t188_u GROUP BY k HAVING sum(v) >= (SELECT count(*) FROM t188_t WHERE t188_t.c = t188_u.k) $q$)$$,
  'correlated and uncorrelated scalars in a grouped select list and HAVING');
SELECT lives_ok($$SELECT pathway.create_view('t188_inside', 'SELECT k, sum(v * (SELECT count(*) FROM t188_t WHERE t188_t.b < t188_u.v)) AS s FROM t188_u GROUP BY k')$$,
  'a scalar inside an aggregate, correlated by the row');
SELECT lives_ok($$SELECT pathway.create_view('t188_globalin', 'SELECT count(*) AS n, sum(v * (SELECT count(*) FROM t188_t WHERE t188_t.b < t188_u.v)) AS s FROM t188_u')$$,
  'a scalar inside the aggregate of a query without GROUP BY');
SELECT lives_ok($$SELECT pathway.create_view('t188_globalout', 'SELECT sum(v) - (SELECT max(v) FROM t188_u) AS d, count(*) AS n FROM t188_u WHERE v > (SELECT min(v) FROM t188_u) HAVING count(*) < (SELECT count(*) + 1 FROM t188_t)')$$,
  'scalars outside the aggregates of a query without GROUP BY (select list, WHERE, HAVING): over the aggregates computed first');
SELECT lives_ok($$SELECT pathway.create_view('t188_globalboth', 'SELECT sum(v * (SELECT count(*) FROM t188_t WHERE t188_t.b < t188_u.v)) - (SELECT max(v) FROM t188_u) AS d FROM t188_u')$$,
  'a scalar inside an aggregate and one outside, in one global aggregate');
SELECT lives_ok($$SELECT pathway.create_view('t188_globalnone', 'SELECT count(*) AS n, sum(v) + (SELECT 1) AS s FROM t188_u WHERE v > 1000')$$,
  'the same over no row');
SELECT throws_ok($$SELECT pathway.create_view('t188_bad', 'SELECT a FROM t188_t t WHERE NOT EXISTS (SELECT 1 FROM t188_u u WHERE u.v = (SELECT count(*) FROM t188_u w WHERE w.k = t.c))')$$,
  '0A000', 'cannot maintain view "t188_bad"', 'a subquery inside a correlation is not taken for a join key: refused, not an internal error');
SELECT throws_ok($$SELECT pathway.create_view('t188_bad', 'SELECT t.a FROM t188_t t, LATERAL (SELECT count(*) AS n FROM t188_u u WHERE u.k = t.c) s WHERE EXISTS (SELECT 1 FROM t188_u w WHERE w.v = s.n)')$$,
  '0A000', 'cannot maintain view "t188_bad"', 'a LATERAL aggregate''s column read inside a subquery: refused');
SELECT lives_ok($$SELECT pathway.create_view('t188_ingrouped', 'SELECT a, b FROM t188_t WHERE b::numeric IN (SELECT v FROM t188_u GROUP BY v HAVING count(*) >= 1)')$$,
  'IN over a grouped subquery of another type (the keys converted as the test converts them; the engine worker crashed on it)');

-- ---------------------------------------------------------------- LATERAL global aggregates
SELECT lives_ok($$SELECT pathway.create_view('t188_lat', $q$
  SELECT t.a, s.n, s.m FROM t188_t t, LATERAL (SELECT count(*) AS n, max(u.v) AS m FROM t188_u u WHERE u.v < t.b) s $q$)$$,
  'LATERAL global aggregate in a comma list');
SELECT lives_ok($$SELECT pathway.create_view('t188_latleft', $q$
  SELECT t.a, s.n FROM t188_t t LEFT JOIN LATERAL (SELECT count(*) AS n FROM t188_u u WHERE u.k = t.c) s ON true WHERE s.n < 2 $q$)$$,
  'LEFT JOIN LATERAL global aggregate ON true, filtered in WHERE');
SELECT lives_ok($$SELECT pathway.create_view('t188_latcond', 'SELECT t.a, s.n FROM t188_t t JOIN LATERAL (SELECT count(*) AS n FROM t188_u u WHERE u.k = t.c) s ON s.n > 1')$$,
  'JOIN LATERAL over a global aggregate ON a condition (the condition filters, as in WHERE)');
SELECT lives_ok($$SELECT pathway.create_view('t188_latpad', $q$
  SELECT t.a, s.n, s.m FROM t188_t t LEFT JOIN LATERAL (SELECT count(*) AS n, max(u.v) AS m FROM t188_u u WHERE u.v < t.b) s ON s.n > 1 OR t.a = 4 $q$)$$,
  'LEFT JOIN LATERAL over a global aggregate ON a condition: NULLs where it is not true');
SELECT throws_ok($$SELECT pathway.create_view('t188_bad', 'SELECT t.a FROM t188_u w LEFT JOIN (t188_t t JOIN LATERAL (SELECT count(*) AS n FROM t188_u u WHERE u.k = t.c) s ON s.n > 1) ON w.k = t.a')$$,
  '0A000', 'cannot maintain view "t188_bad"', 'an inner JOIN LATERAL over a global aggregate ON a condition, under an outer join: refused');

-- ---------------------------------------------------------------- no table, set-returning functions
SELECT lives_ok($$SELECT pathway.create_view('t188_one', 'SELECT 1 AS one, ''x''::text AS s UNION ALL SELECT g, ''g'' FROM generate_series(2, 3) g')$$,
  'a view that reads no table');
SELECT lives_ok($$SELECT pathway.create_view('t188_srfs', 'SELECT a, generate_series(1, c) AS g, unnest(ARRAY[b, c, a]) AS u FROM t188_t')$$,
  'two set-returning functions in the select list');
SELECT lives_ok($$SELECT pathway.create_view('t188_rowsfrom', 'SELECT t.a, x, y FROM t188_t t, ROWS FROM (generate_series(1, t.c), unnest(ARRAY[''p'', ''q''])) r(x, y)')$$,
  'ROWS FROM of two functions');
SELECT lives_ok($$SELECT pathway.create_view('t188_shadow', 'SELECT DISTINCT ON (x.c2, x.c1) x.c1 - x.c1 AS c2, x.c2 AS c3 FROM (SELECT sum(v) % 5 AS c1, k AS c2 FROM t188_u GROUP BY k) x ORDER BY x.c2 DESC, x.c1')$$,
  'an ORDER BY and DISTINCT ON over columns that output aliases shadow');
SELECT lives_ok($$SELECT pathway.create_view('t188_only', 'SELECT id, v FROM ONLY t188_par')$$,
  'ONLY on an inheritance parent');
SELECT lives_ok($$SELECT pathway.create_view('t188_onlypart', 'SELECT count(*) AS n FROM ONLY t188_part')$$,
  'ONLY on a partitioned table');
SELECT pathway.sync();
SELECT results_eq('SELECT d, n FROM t188_globalout', $$VALUES (40::bigint, 3::bigint)$$,
  'a global aggregate with scalars outside its aggregates: sum 70 of the rows above the minimum, less the maximum 30; 3 rows');
SELECT results_eq('SELECT d FROM t188_globalboth', $$VALUES (150::numeric)$$,
  'inside and outside: 5*0 + 15*1 + 25*3 + 30*3 = 180, less the maximum 30');
SELECT results_eq('SELECT n, s FROM t188_globalnone', $$VALUES (0::bigint, NULL::bigint)$$,
  'over no row: still its one row, count 0 and the sum NULL, as PostgreSQL gives');

SELECT is((SELECT count(*) FROM pathway.check_view('t188_shadow')) || ' ' || (SELECT count(*) FROM t188_shadow), '0 3',
  'check_view reads the shadowed columns as the query does (it deparses them qualified): 3 groups of equal sums, 3 rows');
SELECT results_eq('SELECT id, v FROM t188_only ORDER BY id', $$VALUES (1, 10), (2, 20)$$, 'the parent''s own rows, not the child''s');
SELECT results_eq('SELECT n FROM t188_onlypart', $$VALUES (0::bigint)$$, 'a partitioned table holds no row of its own');
SELECT results_eq('SELECT a, r FROM t188_rank ORDER BY a', $$VALUES (1, 0::bigint), (2, 1::bigint), (3, 1::bigint), (4, 0::bigint)$$,
  'rank by <: a NULL b counts nothing below it');
SELECT results_eq('SELECT a, m FROM t188_mixed ORDER BY a', $$VALUES (1, 5), (2, NULL), (3, NULL), (4, NULL)$$,
  'max over an equality and an inequality (none below b, a NULL b or c: NULL)');
SELECT results_eq('SELECT a FROM t188_q21 ORDER BY a', $$VALUES (3)$$, 'Q21-style EXISTS and NOT EXISTS');
SELECT results_eq($$SELECT k, s, n, d FROM t188_grouped ORDER BY k NULLS LAST$$,
  $$VALUES (1, 20::bigint, 2::bigint, -10::bigint), (2, 25::bigint, 1::bigint, -5::bigint), (NULL, 30::bigint, 0::bigint, 0::bigint)$$,
  'grouped select list and HAVING');
SELECT results_eq('SELECT a, n, m FROM t188_lat ORDER BY a',
  $$VALUES (1, 1::bigint, 5), (2, 2::bigint, 15), (3, 2::bigint, 15), (4, 0::bigint, NULL)$$, 'LATERAL global aggregate');
SELECT results_eq('SELECT a, n, m FROM t188_latpad ORDER BY a',
  $$VALUES (1, NULL::bigint, NULL::int), (2, 2::bigint, 15), (3, 2::bigint, 15), (4, 0::bigint, NULL)$$,
  'LEFT JOIN LATERAL ... ON a condition: the aggregate where it holds (reading the aggregate and the outer row), NULLs elsewhere');
SELECT results_eq('SELECT one, s FROM t188_one ORDER BY one', $$VALUES (1, 'x'), (2, 'g'), (3, 'g')$$, 'the constant view');
SELECT results_eq('SELECT a, g, u FROM t188_srfs WHERE a = 2 ORDER BY u NULLS LAST, g NULLS LAST',
  $$VALUES (2, 2, 2), (2, NULL, 2), (2, 1, 20)$$, 'lockstep: as many rows as the longest, NULLs past the end of the shorter');

-- random changes, NULLs among them, then every view against its query
INSERT INTO t188_t SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 37) % 50 END, CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 END
  FROM generate_series(5, 60) i;
INSERT INTO t188_u SELECT i, CASE WHEN i % 6 = 0 THEN NULL ELSE i % 4 END, (i * 13) % 60 FROM generate_series(5, 50) i;
UPDATE t188_t SET b = b + 7 WHERE a % 4 = 1;
UPDATE t188_u SET k = (k + 1) % 4, v = v - 3 WHERE id % 3 = 0;
DELETE FROM t188_t WHERE a % 9 = 2;
DELETE FROM t188_u WHERE id % 8 = 1;
INSERT INTO t188_par SELECT i, i FROM generate_series(10, 20) i;
INSERT INTO t188_chi SELECT i, i, 1 FROM generate_series(30, 40) i;
UPDATE t188_par SET v = v + 1 WHERE id % 2 = 0;
DELETE FROM t188_par WHERE id % 3 = 0;
INSERT INTO t188_part SELECT i, i FROM generate_series(2, 50) i;
SELECT pathway.sync();
SELECT is((SELECT string_agg(name, ', ' ORDER BY name) FROM pathway.views WHERE name LIKE 't188_%' AND status <> 'running'), NULL,
  'every view still running');
SELECT is((SELECT count(*) FROM pathway.views v, LATERAL pathway.check_view(v.name) c WHERE v.name LIKE 't188_%'), 0::bigint,
  'check_view: every view equals its query after the changes');
DELETE FROM t188_u;
UPDATE t188_t SET c = NULL WHERE a % 2 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.views v, LATERAL pathway.check_view(v.name) c WHERE v.name LIKE 't188_%'), 0::bigint,
  'and after the inner table emptied (aggregates of no rows)');

SELECT pathway.drop_view(name) FROM pathway.views WHERE name LIKE 't188_%';
DROP TABLE t188_t, t188_u, t188_chi, t188_par, t188_part;
SELECT * FROM finish();
