-- GROUP BY an expression over a subquery's value: a LATERAL global
-- aggregate's column (GROUP BY t4.lm % 2) and a correlated scalar subquery
-- (GROUP BY (SELECT max(...) ...) % 2).  The groups are those of the
-- expression: rows whose subqueries give different values (3 and 5; no
-- partner and a partner whose value is NULL) but the same expression are
-- one group.  The fuzzer found such rows split into several groups (the
-- subquery's own columns were made grouping keys too).  Exact rows, then
-- the oracle after changes.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t207_o, t207_p CASCADE;

SELECT plan(6);

CREATE TABLE t207_o (id int, g text);
CREATE TABLE t207_p (g text, k int);
INSERT INTO t207_o VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, NULL);
-- a: max 3, b: max 5 (both odd); c: a partner with NULL k (max NULL); d: none (max NULL)
INSERT INTO t207_p VALUES ('a', 3), ('a', 1), ('b', 5), ('c', NULL), (NULL, 8);

SELECT lives_ok($$SELECT pathway.create_view('t207_lateral', $q$
  SELECT t4.lm % 2 AS parity, count(*) AS n, sum(t4.lc) AS partners
    FROM t207_o t1, LATERAL (SELECT count(*) AS lc, max(t3.k) AS lm FROM t207_p t3 WHERE t3.g = t1.g) t4
   GROUP BY t4.lm % 2 $q$)$$,
  'GROUP BY an expression over a LATERAL aggregate''s column');
SELECT lives_ok($$SELECT pathway.create_view('t207_scalar', $q$
  SELECT (SELECT max(t3.k) FROM t207_p t3 WHERE t3.g = t1.g) % 2 AS parity, count(*) AS n
    FROM t207_o t1 GROUP BY 1 $q$)$$,
  'GROUP BY an expression over a correlated scalar subquery');
SELECT pathway.sync();

SELECT results_eq('SELECT parity, n, partners FROM t207_lateral ORDER BY parity NULLS LAST',
  $$VALUES (1, 2::bigint, 3::numeric), (NULL, 3, 1)$$,
  'one group per parity: a and b (3 and 5) together, c, d and the NULL g together');
SELECT results_eq('SELECT parity, n FROM t207_scalar ORDER BY parity NULLS LAST',
  $$VALUES (1, 2::bigint), (NULL, 3)$$,
  'the same groups through a scalar subquery');

INSERT INTO t207_p VALUES ('c', 4), ('d', 7);
DELETE FROM t207_p WHERE k = 1;
INSERT INTO t207_o VALUES (6, 'a'), (7, 'e');
UPDATE t207_p SET k = 6 WHERE g = 'b';
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t207_lateral')) + (SELECT count(*) FROM pathway.check_view('t207_scalar')),
  0::bigint, 'both views equal their queries after changes');
SELECT results_eq('SELECT parity, n FROM t207_scalar ORDER BY parity NULLS LAST',
  $$VALUES (0, 2::bigint), (1, 3), (NULL, 2)$$,
  'after changes: b and c even, a (twice) and d odd, e and the NULL g without a value');

SELECT pathway.drop_view('t207_lateral');
SELECT pathway.drop_view('t207_scalar');
DROP TABLE t207_o, t207_p;
SELECT * FROM finish();
