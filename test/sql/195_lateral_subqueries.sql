-- LATERAL subqueries correlated through equalities in their WHERE: a join,
-- a GROUP BY and a DISTINCT per outer row, as a comma item, as the right
-- side of a LEFT JOIN ... ON true, and across types.  Exact rows, then the
-- oracle; a global aggregate per outer row (as correlated scalar
-- subqueries); other LATERAL subqueries are refused with a hint.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t195_c, t195_o CASCADE;

SELECT plan(10);

CREATE TABLE t195_c (id int, name text);
CREATE TABLE t195_o (cust bigint, amount int, kind text);
INSERT INTO t195_c VALUES (1, 'a'), (2, 'b'), (3, 'c'), (NULL, 'n');
INSERT INTO t195_o VALUES (1, 10, 'x'), (1, 5, 'y'), (1, 5, 'y'), (2, 7, 'x'), (NULL, 100, 'x');

SELECT lives_ok($$SELECT pathway.create_view('t195_join', $q$
  SELECT c.name, x.amount FROM t195_c c, LATERAL (SELECT o.amount FROM t195_o o WHERE o.cust = c.id AND o.amount > 5) x $q$)$$,
  'a LATERAL join, correlated across types (bigint = int)');
SELECT lives_ok($$SELECT pathway.create_view('t195_grouped', $q$
  SELECT c.name, x.kind, x.n FROM t195_c c
    LEFT JOIN LATERAL (SELECT o.kind, count(*) AS n FROM t195_o o WHERE o.cust = c.id GROUP BY o.kind) x ON true $q$)$$,
  'LEFT JOIN LATERAL over a GROUP BY');
SELECT lives_ok($$SELECT pathway.create_view('t195_distinct', $q$
  SELECT c.name, x.kind FROM t195_c c CROSS JOIN LATERAL (SELECT DISTINCT o.kind FROM t195_o o WHERE o.cust = c.id) x $q$)$$,
  'CROSS JOIN LATERAL over a DISTINCT');
SELECT pathway.sync();
SELECT results_eq('SELECT name, kind, n FROM t195_grouped ORDER BY name, kind',
  $$VALUES ('a', 'x', 1::bigint), ('a', 'y', 2), ('b', 'x', 1), ('c', NULL, NULL), ('n', NULL, NULL)$$,
  'per outer row, padded where there is nothing');
SELECT results_eq('SELECT name, amount FROM t195_join ORDER BY name, amount', $$VALUES ('a', 10), ('b', 7)$$,
  'the join keeps only rows with partners');

INSERT INTO t195_o VALUES (3, 1, 'z'), (2, 8, 'x');
DELETE FROM t195_o WHERE amount = 10;
UPDATE t195_c SET id = 2 WHERE name = 'a';
SELECT pathway.sync();
SELECT results_eq('SELECT name, kind, n FROM t195_grouped ORDER BY name, kind',
  $$VALUES ('a', 'x', 2::bigint), ('b', 'x', 2), ('c', 'z', 1), ('n', NULL, NULL)$$,
  'after partners came and went and a row changed its key');

INSERT INTO t195_c SELECT g % 25, 'x' || g FROM generate_series(1, 150) g;
INSERT INTO t195_o SELECT CASE WHEN g % 13 = 0 THEN NULL ELSE g % 30 END, g % 40, 'k' || g % 4 FROM generate_series(1, 400) g;
DELETE FROM t195_o WHERE amount % 7 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t195_join')) + (SELECT count(*) FROM pathway.check_view('t195_grouped'))
        + (SELECT count(*) FROM pathway.check_view('t195_distinct')), 0::bigint, 'every view equals its query after random changes');
SELECT lives_ok($$SELECT pathway.create_view('t195_agg', 'SELECT c.name, x.n FROM t195_c c, LATERAL (SELECT count(*) AS n FROM t195_o o WHERE o.cust = c.id) x')$$,
  'a LATERAL global aggregate: one row per outer row');
DELETE FROM t195_o WHERE amount % 5 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t195_agg')), 0::bigint, 'the LATERAL global aggregate equals its query after changes');
SELECT pathway.drop_view('t195_agg');
SELECT throws_ok($$SELECT pathway.create_view('t195_bad', 'SELECT c.name, x.amount FROM t195_c c, LATERAL (SELECT o.amount FROM t195_o o WHERE o.cust > c.id) x')$$,
  '0A000', 'cannot maintain view "t195_bad"', 'a LATERAL subquery correlated by a non-equality is refused');

SELECT pathway.drop_view('t195_join');
SELECT pathway.drop_view('t195_grouped');
SELECT pathway.drop_view('t195_distinct');
DROP TABLE t195_c, t195_o;
SELECT * FROM finish();
