-- IN and NOT IN over an uncorrelated subquery with aggregates, GROUP BY, a
-- set operation or ORDER BY ... LIMIT: taken as a plain SELECT over the
-- subquery as a FROM item, so NOT IN in WHERE and IN inside an expression
-- (the select list, OR, CASE) are three-valued as PostgreSQL has them
-- (NULLs on both sides); IN and EXISTS in WHERE over an uncorrelated
-- subquery with window functions, LIMIT or OFFSET likewise.  EXISTS (...
-- LIMIT n) with n >= 1 and no OFFSET is EXISTS without the limit.  Exact rows, then random changes and the
-- oracle.
-- A correlated one stays refused (160).  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t209_t, t209_s CASCADE;

SELECT plan(17);

CREATE TABLE t209_t (id int PRIMARY KEY, x int);
CREATE TABLE t209_s (id int PRIMARY KEY, g int, y int);
INSERT INTO t209_t VALUES (1, 10), (2, 20), (3, NULL), (4, 5);
INSERT INTO t209_s VALUES (1, 1, 10), (2, 1, 3), (3, 2, 5), (4, 3, NULL);

SELECT lives_ok($$SELECT pathway.create_view('t209_in_list', 'SELECT id, x IN (SELECT max(y) FROM t209_s GROUP BY g) AS f FROM t209_t')$$,
  'IN over a grouped aggregate in the select list');
SELECT lives_ok($$SELECT pathway.create_view('t209_not_in', 'SELECT id FROM t209_t WHERE x NOT IN (SELECT max(y) FROM t209_s WHERE y IS NOT NULL GROUP BY g)')$$,
  'NOT IN over a grouped aggregate in WHERE');
SELECT lives_ok($$SELECT pathway.create_view('t209_union', 'SELECT id FROM t209_t WHERE id = 4 OR x IN (SELECT y FROM t209_s UNION SELECT 20)')$$,
  'IN over a UNION under OR');
SELECT lives_ok($$SELECT pathway.create_view('t209_top', $q$SELECT id, CASE WHEN x IN (SELECT y FROM t209_s ORDER BY y DESC NULLS LAST, id LIMIT 2) THEN 'top' ELSE 'no' END AS t FROM t209_t$q$)$$,
  'IN over ORDER BY ... LIMIT under CASE');
SELECT lives_ok($$SELECT pathway.create_view('t209_not_in_agg', 'SELECT id FROM t209_t WHERE x NOT IN (SELECT max(y) FROM t209_s)')$$,
  'NOT IN over a global aggregate');
SELECT lives_ok($$SELECT pathway.create_view('t209_exists_limit', 'SELECT id FROM t209_t t WHERE EXISTS (SELECT 1 FROM t209_s s WHERE s.y < t.x ORDER BY s.y LIMIT 1)')$$,
  'EXISTS (... ORDER BY ... LIMIT 1) correlated by a non-equality: the limit does not change whether a row exists');
SELECT lives_ok($$SELECT pathway.create_view('t209_in_window', 'SELECT id FROM t209_t WHERE id IN (SELECT row_number() OVER (ORDER BY y NULLS LAST, id) FROM t209_s WHERE g = 1)')$$,
  'IN in WHERE over a window function');
SELECT lives_ok($$SELECT pathway.create_view('t209_exists_offset', 'SELECT id FROM t209_t WHERE x > 6 AND EXISTS (SELECT 1 FROM t209_s ORDER BY id OFFSET 3)')$$,
  'uncorrelated EXISTS with OFFSET in WHERE');

SELECT pathway.sync();
SELECT results_eq('SELECT id FROM t209_in_window ORDER BY id', $$VALUES (1), (2)$$,
  'IN over the row numbers of group 1 (two rows)');
SELECT results_eq('SELECT id FROM t209_exists_offset ORDER BY id', $$VALUES (1), (2)$$,
  'EXISTS over four rows past an OFFSET of 3: true');
SELECT results_eq('SELECT id FROM t209_exists_limit ORDER BY id', $$VALUES (1), (2), (4)$$,
  'EXISTS with LIMIT: the rows with some smaller y');
SELECT results_eq('SELECT id, f FROM t209_in_list ORDER BY id', $$VALUES (1, true), (2, NULL), (3, NULL), (4, true)$$,
  'IN over the groups'' maxima (10, 5, NULL): a NULL among them makes a miss NULL');
SELECT results_eq('SELECT id FROM t209_not_in ORDER BY id', $$VALUES (2)$$,
  'NOT IN (10, 5): 20 only; NULL x is not kept');
SELECT results_eq('SELECT id FROM t209_union ORDER BY id', $$VALUES (1), (2), (4)$$,
  'IN over a UNION holding 20, or the row''s own condition');
SELECT results_eq('SELECT id, t FROM t209_top ORDER BY id', $$VALUES (1, 'top'), (2, 'no'), (3, 'no'), (4, 'top')$$,
  'IN over the two largest values');
SELECT results_eq('SELECT id FROM t209_not_in_agg ORDER BY id', $$VALUES (2), (4)$$,
  'NOT IN over the maximum (10)');

INSERT INTO t209_t SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 13) % 40 END FROM generate_series(5, 60) i;
INSERT INTO t209_s SELECT i, i % 6, CASE WHEN i % 9 = 0 THEN NULL ELSE (i * 7) % 40 END FROM generate_series(5, 50) i;
UPDATE t209_s SET y = y + 1 WHERE id % 4 = 0;
DELETE FROM t209_s WHERE id % 5 = 1;
UPDATE t209_t SET x = x + 2 WHERE id % 3 = 0;
DELETE FROM t209_t WHERE id % 8 = 3;
SELECT pathway.sync();
DELETE FROM t209_s WHERE y IS NULL;
UPDATE t209_s SET g = 0 WHERE id % 2 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.views v, LATERAL pathway.check_view(v.name) c WHERE v.name LIKE 't209_%')
          + (SELECT count(*) FROM pathway.views WHERE name LIKE 't209_%' AND status <> 'running'), 0::bigint,
  'every view running and equal to its query after the changes');

SELECT pathway.drop_view(name) FROM pathway.views WHERE name LIKE 't209_%';
DROP TABLE t209_t, t209_s;
SELECT * FROM finish();
