-- Uncorrelated scalar subqueries in the select list and HAVING of a query
-- with GROUPING SETS, ROLLUP or CUBE: one value, the same in every set, so
-- it is grouped on in each set as an extra key (which splits no group).
-- Exact rows, then random changes and the oracle.  A correlated one stays
-- refused (a set that leaves its column out reads it as NULL).
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t213_t, t213_c CASCADE;

SELECT plan(7);

CREATE TABLE t213_t (id int PRIMARY KEY, a int, b int, v int);
CREATE TABLE t213_c (id int PRIMARY KEY, lim int);
INSERT INTO t213_t VALUES (1, 1, 1, 10), (2, 1, 2, 20), (3, 2, 1, 5), (4, NULL, 1, 7);
INSERT INTO t213_c VALUES (1, 10), (2, 3);

SELECT lives_ok($$SELECT pathway.create_view('t213_rollup', 'SELECT a, b, sum(v) AS s, sum(v) - (SELECT max(lim) FROM t213_c) AS d, GROUPING(a, b) AS g FROM t213_t GROUP BY ROLLUP (a, b)')$$,
  'ROLLUP with an uncorrelated scalar in the select list');
SELECT lives_ok($$SELECT pathway.create_view('t213_having', 'SELECT a, count(*) AS n FROM t213_t GROUP BY CUBE (a) HAVING sum(v) > (SELECT min(lim) FROM t213_c) * 3')$$,
  'CUBE with an uncorrelated scalar in HAVING');
SELECT throws_ok($$SELECT pathway.create_view('t213_bad', 'SELECT a, (SELECT count(*) FROM t213_c c WHERE c.id = t.a) AS n FROM t213_t t GROUP BY ROLLUP (a)')$$,
  '0A000', 'cannot maintain view "t213_bad"', 'a correlated scalar in a ROLLUP query: refused');

SELECT pathway.sync('t213_rollup');
SELECT pathway.sync('t213_having');
SELECT results_eq('SELECT a, b, s, d, g FROM t213_rollup ORDER BY a NULLS LAST, b NULLS LAST, g',
  $$VALUES (1, 1, 10::bigint, 0::bigint, 0), (1, 2, 20::bigint, 10::bigint, 0), (1, NULL, 30::bigint, 20::bigint, 1),
           (2, 1, 5::bigint, -5::bigint, 0), (2, NULL, 5::bigint, -5::bigint, 1),
           (NULL, 1, 7::bigint, -3::bigint, 0), (NULL, NULL, 7::bigint, -3::bigint, 1), (NULL, NULL, 42::bigint, 32::bigint, 3)$$,
  'every set of the ROLLUP, the subquery''s value in each');
SELECT results_eq('SELECT a, n FROM t213_having ORDER BY a NULLS LAST, n', $$VALUES (1, 2::bigint), (NULL, 4::bigint)$$,
  'the CUBE''s sets whose sum passes three times the smallest limit (9)');

INSERT INTO t213_t SELECT i, i % 3, i % 2, (i * 7) % 20 FROM generate_series(5, 40) i;
UPDATE t213_c SET lim = 25 WHERE id = 1;
DELETE FROM t213_t WHERE id % 5 = 0;
INSERT INTO t213_c VALUES (3, 1);
SELECT pathway.sync('t213_rollup');
SELECT pathway.sync('t213_having');
SELECT is((SELECT count(*) FROM pathway.check_view('t213_rollup')) + (SELECT count(*) FROM pathway.check_view('t213_having')), 0::bigint,
  'both views equal their queries after changes to the rows and to the subqueries'' table');
SELECT is((SELECT string_agg(name, ',') FROM pathway.views WHERE name LIKE 't213_%' AND status <> 'running'), NULL, 'both running');

SELECT pathway.drop_view(name) FROM pathway.views WHERE name LIKE 't213_%';
DROP TABLE t213_t, t213_c;
SELECT * FROM finish();
