-- EXISTS inside expressions: in the select list, under OR, NOT and CASE.
-- Each becomes a mark join (the semi-join's rows flagged true, the
-- anti-join's flagged false); WHERE conjuncts that read a mark filter after
-- it.  Exact rows through partners appearing and vanishing, then the
-- oracle.  IN inside an expression: test/sql/168_in_in_expressions.sql;
-- with a row of several columns it stays refused.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t167_c, t167_o CASCADE;

SELECT plan(9);

CREATE TABLE t167_c (id int, vip bool, name text);
CREATE TABLE t167_o (cust int, amount int);
INSERT INTO t167_c VALUES (1, false, 'a'), (2, true, 'b'), (3, false, 'c'), (NULL, false, 'n');
INSERT INTO t167_o VALUES (1, 10), (1, 5), (4, 7);

SELECT lives_ok($$SELECT pathway.create_view('t167_flag', $q$
  SELECT c.name, EXISTS (SELECT 1 FROM t167_o o WHERE o.cust = c.id) AS has_orders FROM t167_c c $q$)$$,
  'EXISTS in the select list');
SELECT lives_ok($$SELECT pathway.create_view('t167_or', $q$
  SELECT c.name FROM t167_c c
   WHERE c.vip OR EXISTS (SELECT 1 FROM t167_o o WHERE o.cust = c.id AND o.amount > 6) $q$)$$,
  'EXISTS under OR');
SELECT lives_ok($$SELECT pathway.create_view('t167_case', $q$
  SELECT c.name, CASE WHEN NOT EXISTS (SELECT 1 FROM t167_o o WHERE o.cust = c.id) THEN 'browser' ELSE 'buyer' END AS kind
    FROM t167_c c WHERE c.name <> 'zzz' OR NOT EXISTS (SELECT 1 FROM t167_o) $q$)$$,
  'NOT EXISTS under CASE, and an uncorrelated one under OR');
SELECT pathway.sync();
SELECT results_eq('SELECT name, has_orders FROM t167_flag ORDER BY name',
  $$VALUES ('a', true), ('b', false), ('c', false), ('n', false)$$, 'flags, a NULL key has no partner');
SELECT results_eq('SELECT name FROM t167_or ORDER BY name', $$VALUES ('a'), ('b')$$, 'OR: vip or a big order');

INSERT INTO t167_o VALUES (3, 100), (NULL, 1);
DELETE FROM t167_o WHERE cust = 1;
UPDATE t167_c SET vip = true WHERE name = 'a';
SELECT pathway.sync();
SELECT results_eq('SELECT name, has_orders FROM t167_flag ORDER BY name',
  $$VALUES ('a', false), ('b', false), ('c', true), ('n', false)$$, 'flags flip as partners come and go');
SELECT results_eq('SELECT name, kind FROM t167_case ORDER BY name',
  $$VALUES ('a', 'browser'), ('b', 'browser'), ('c', 'buyer'), ('n', 'browser')$$, 'CASE over NOT EXISTS');

INSERT INTO t167_c SELECT g % 30, g % 5 = 0, 'x' || g FROM generate_series(1, 200) g;
INSERT INTO t167_o SELECT g % 40, g FROM generate_series(1, 300) g;
DELETE FROM t167_o WHERE amount % 3 = 0;
UPDATE t167_c SET id = id + 1 WHERE name LIKE 'x1%';
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t167_flag')) + (SELECT count(*) FROM pathway.check_view('t167_or'))
        + (SELECT count(*) FROM pathway.check_view('t167_case')), 0::bigint, 'every view equals its query after random changes');
SELECT throws_ok($$SELECT pathway.create_view('t167_bad', 'SELECT c.name, (c.id, c.vip) IN (SELECT cust, amount > 5 FROM t167_o) AS b FROM t167_c c')$$,
  '0A000', 'cannot maintain view "t167_bad"', 'IN of a row of several columns inside an expression is refused');

SELECT pathway.drop_view('t167_flag');
SELECT pathway.drop_view('t167_or');
SELECT pathway.drop_view('t167_case');
DROP TABLE t167_c, t167_o;
SELECT * FROM finish();
