-- Correlated scalar subqueries in the select list and in WHERE that are global
-- aggregates: the aggregate grouped by the correlation, LEFT JOINed, and the
-- aggregate of no rows for rows without partners (count 0, sum NULL), as
-- PostgreSQL computes them.  NULL keys, partners appearing and vanishing,
-- a row moving between keys; exact rows, then the oracle.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t205_c, t205_o CASCADE;

SELECT plan(13);

CREATE TABLE t205_c (id int, region int, name text);
CREATE TABLE t205_o (cust int, region int, amount int);
INSERT INTO t205_c VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c'), (NULL, 1, 'n');
INSERT INTO t205_o VALUES (1, 1, 10), (1, 1, 5), (2, 1, 7), (NULL, 1, 100), (1, 2, 1000);

SELECT lives_ok($$SELECT pathway.create_view('t205_v', $q$
  SELECT c.name,
         (SELECT count(*) FROM t205_o o WHERE o.cust = c.id) AS n,
         (SELECT sum(o.amount) FROM t205_o o WHERE o.cust = c.id AND o.amount > 6) AS big,
         (SELECT coalesce(max(o.amount), -1) FROM t205_o o WHERE o.cust = c.id AND o.region = c.region) AS top
    FROM t205_c c $q$)$$, 'three correlated scalar subqueries, one correlated on two columns');
SELECT lives_ok($$SELECT pathway.create_view('t205_cross', $q$
  SELECT c.name, (SELECT count(*) FROM t205_o o WHERE o.cust::bigint = c.id) AS n FROM t205_c c $q$)$$,
  'correlated across types (bigint = int)');
SELECT lives_ok($$SELECT pathway.create_view('t205_where', $q$
  SELECT c.name FROM t205_c c
   WHERE (SELECT count(*) FROM t205_o o WHERE o.cust = c.id) >= 2 OR c.name = 'n' $q$)$$,
  'a correlated scalar subquery in WHERE, under OR');
SELECT pathway.sync();
SELECT results_eq('SELECT name FROM t205_where ORDER BY name', $$VALUES ('a'), ('n')$$,
  'WHERE: rows with two partners or more, and n');
SELECT results_eq('SELECT name, n, big, top FROM t205_v ORDER BY name',
  $$VALUES ('a', 3::bigint, 1010::bigint, 10), ('b', 1, 7, 7), ('c', 0, NULL, -1), ('n', 0, NULL, -1)$$,
  'counts of no rows are 0, sums NULL, coalesce applied to the empty aggregate');

INSERT INTO t205_o VALUES (3, 2, 50);
DELETE FROM t205_o WHERE cust = 2;
UPDATE t205_c SET id = 2 WHERE name = 'a';
SELECT pathway.sync();
SELECT results_eq('SELECT name, n, big, top FROM t205_v ORDER BY name',
  $$VALUES ('a', 0::bigint, NULL::bigint, -1), ('b', 0, NULL, -1), ('c', 1, 50, 50), ('n', 0, NULL, -1)$$,
  'partners vanish, appear, and a row moves to another key');

-- the same row inserted and deleted in one transaction changes nothing
BEGIN;
INSERT INTO t205_o VALUES (2, 1, 9);
DELETE FROM t205_o WHERE amount = 9;
COMMIT;
SELECT pathway.sync();
SELECT is((SELECT n FROM t205_v WHERE name = 'b'), 0::bigint, 'insert and delete in one transaction: still 0');

INSERT INTO t205_c SELECT g % 20, g % 3, 'x' || g FROM generate_series(1, 200) g;
INSERT INTO t205_o SELECT CASE WHEN g % 17 = 0 THEN NULL ELSE g % 25 END, g % 3, g FROM generate_series(1, 500) g;
DELETE FROM t205_o WHERE amount % 11 = 0;
UPDATE t205_o SET cust = cust + 1 WHERE amount % 7 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t205_v')) + (SELECT count(*) FROM pathway.check_view('t205_cross'))
        + (SELECT count(*) FROM pathway.check_view('t205_where')),
  0::bigint, 'both views equal their query after random changes');
SELECT cmp_ok((SELECT count(*) FROM t205_v WHERE n > 0), '>', 0::bigint, 'not trivially zero');

SELECT throws_ok($$SELECT pathway.create_view('t205_bad', 'SELECT name, (SELECT amount FROM t205_o o WHERE o.cust = c.id) FROM t205_c c')$$,
  '21000', 'more than one row returned by a subquery used as an expression',
  'a correlated scalar subquery that is not an aggregate, over several rows: the query''s own error');
SELECT throws_ok($$SELECT pathway.create_view('t205_bad', 'SELECT name, (SELECT amount FROM t205_o o WHERE o.cust = c.id ORDER BY amount LIMIT 2) FROM t205_c c')$$,
  '0A000', 'cannot maintain view "t205_bad"', 'a correlated scalar subquery with LIMIT 2 is refused');
SELECT lives_ok($$SELECT pathway.create_view('t205_grouped', 'SELECT c.region, count(*) AS n, (SELECT count(*) FROM t205_o o WHERE o.region = c.region) AS m FROM t205_c c GROUP BY c.region')$$,
  'in a grouped select list, correlated by the group');
DELETE FROM t205_o WHERE random() < 0.2;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t205_grouped')), 0::bigint, 'the grouped view equals its query after changes');
SELECT pathway.drop_view('t205_grouped');

SELECT pathway.drop_view('t205_v');
SELECT pathway.drop_view('t205_cross');
SELECT pathway.drop_view('t205_where');
DROP TABLE t205_c, t205_o;
SELECT * FROM finish();
