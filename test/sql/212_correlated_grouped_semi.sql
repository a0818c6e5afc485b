-- IN and [NOT] EXISTS in WHERE over a subquery with GROUP BY (and HAVING)
-- correlated through equalities: the subquery grouped by its side of the
-- equalities too, so that each group holds the rows of one outer key as
-- the correlation gave it, and the semi- or anti-join on those keys.
-- Exact rows, NULL keys, then random changes and the oracle.  What stays
-- refused: a correlated global aggregate with HAVING, NOT IN over a
-- correlated aggregate.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t212_t, t212_s CASCADE;

SELECT plan(11);

CREATE TABLE t212_t (id int PRIMARY KEY, k int, x int);
CREATE TABLE t212_s (id int PRIMARY KEY, k int, g int, y int);
INSERT INTO t212_t VALUES (1, 1, 10), (2, 1, 20), (3, 2, 5), (4, NULL, 7), (5, 3, 10);
INSERT INTO t212_s VALUES (1, 1, 1, 10), (2, 1, 1, 10), (3, 1, 2, 20), (4, 2, 1, 5), (5, 3, 1, 3), (6, 3, 2, 4),
  (7, NULL, 1, 10), (8, NULL, 1, 10);

SELECT lives_ok($$SELECT pathway.create_view('t212_in', 'SELECT id FROM t212_t t WHERE t.x IN (SELECT s.y FROM t212_s s WHERE s.k = t.k GROUP BY s.y HAVING count(*) > 1)')$$,
  'IN over a correlated GROUP BY ... HAVING');
SELECT lives_ok($$SELECT pathway.create_view('t212_exists', 'SELECT id FROM t212_t t WHERE EXISTS (SELECT 1 FROM t212_s s WHERE s.k = t.k GROUP BY s.g HAVING sum(s.y) > 10)')$$,
  'EXISTS over a correlated GROUP BY ... HAVING');
SELECT lives_ok($$SELECT pathway.create_view('t212_not_exists', 'SELECT id FROM t212_t t WHERE NOT EXISTS (SELECT 1 FROM t212_s s WHERE s.k = t.k GROUP BY s.g HAVING count(*) > 1)')$$,
  'NOT EXISTS over a correlated GROUP BY ... HAVING');
SELECT lives_ok($$SELECT pathway.create_view('t212_exists_grouped', 'SELECT id FROM t212_t t WHERE EXISTS (SELECT s.g FROM t212_s s WHERE s.k = t.k GROUP BY s.g)')$$,
  'EXISTS over a correlated GROUP BY');
SELECT throws_ok($$SELECT pathway.create_view('t212_bad', 'SELECT id FROM t212_t t WHERE EXISTS (SELECT 1 FROM t212_s s WHERE s.k = t.k HAVING count(*) > 1)')$$,
  '0A000', 'cannot maintain view "t212_bad"', 'a correlated global aggregate with HAVING: refused');
SELECT throws_ok($$SELECT pathway.create_view('t212_bad', 'SELECT id FROM t212_t t WHERE t.x NOT IN (SELECT max(s.y) FROM t212_s s WHERE s.k = t.k GROUP BY s.g)')$$,
  '0A000', 'cannot maintain view "t212_bad"', 'NOT IN over a correlated aggregate: refused');

SELECT pathway.sync();
SELECT results_eq('SELECT id FROM t212_in ORDER BY id', $$VALUES (1)$$,
  'IN: a value that two rows of the key share (NULL keys meet nothing)');
SELECT results_eq('SELECT id FROM t212_exists ORDER BY id', $$VALUES (1), (2)$$,
  'EXISTS: a group of the key whose sum passes');
SELECT results_eq('SELECT id FROM t212_not_exists ORDER BY id', $$VALUES (3), (4), (5)$$,
  'NOT EXISTS: no group of the key with two rows (a NULL key has none)');
SELECT results_eq('SELECT id FROM t212_exists_grouped ORDER BY id', $$VALUES (1), (2), (3), (5)$$,
  'EXISTS over groups: any row of the key');

INSERT INTO t212_t SELECT i, CASE WHEN i % 9 = 0 THEN NULL ELSE i % 5 END, (i * 7) % 25 FROM generate_series(6, 50) i;
INSERT INTO t212_s SELECT i, CASE WHEN i % 11 = 0 THEN NULL ELSE i % 5 END, i % 3, (i * 7) % 25 FROM generate_series(9, 80) i;
UPDATE t212_s SET g = (g + 1) % 3 WHERE id % 4 = 0;
UPDATE t212_s SET k = (k + 2) % 5 WHERE id % 7 = 0;
DELETE FROM t212_s WHERE id % 6 = 1;
UPDATE t212_t SET x = x + 1 WHERE id % 3 = 0;
DELETE FROM t212_t WHERE id % 8 = 5;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.views v, LATERAL pathway.check_view(v.name) c WHERE v.name LIKE 't212_%')
          + (SELECT count(*) FROM pathway.views WHERE name LIKE 't212_%' AND status <> 'running'), 0::bigint,
  'every view running and equal to its query after the changes');

SELECT pathway.drop_view(name) FROM pathway.views WHERE name LIKE 't212_%';
DROP TABLE t212_t, t212_s;
SELECT * FROM finish();
