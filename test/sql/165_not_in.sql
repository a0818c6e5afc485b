-- x NOT IN (subquery) with PostgreSQL's NULL semantics: a NULL in the
-- subquery empties the result, a NULL x passes only while the subquery is
-- empty, correlated or not, also over a subquery that has an IN or EXISTS
-- of its own (the fuzzer found its NULL branch planned without it).  Exact rows through every NULL transition, then
-- random changes and the oracle.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t165_a, t165_b, t165_n, t165_m, t165_c CASCADE;

SELECT plan(18);

CREATE TABLE t165_a (id int, x int, g int);
CREATE TABLE t165_b (y int, g int);
INSERT INTO t165_a VALUES (1, 1, 1), (2, 2, 1), (3, NULL, 1), (4, 4, 2), (5, NULL, 3);
INSERT INTO t165_b VALUES (1, 1), (3, 2);

SELECT lives_ok($$SELECT pathway.create_view('t165_plain', 'SELECT id FROM t165_a WHERE x NOT IN (SELECT y FROM t165_b)')$$,
  'NOT IN over a plain subquery');
SELECT lives_ok($$SELECT pathway.create_view('t165_corr', 'SELECT id FROM t165_a a WHERE x NOT IN (SELECT y FROM t165_b b WHERE b.g = a.g)')$$,
  'NOT IN correlated by an equality');
SELECT pathway.sync();
SELECT results_eq('SELECT id FROM t165_plain ORDER BY id', $$VALUES (2), (4)$$,
  'a NULL x does not pass while the subquery has rows');
SELECT results_eq('SELECT id FROM t165_corr ORDER BY id', $$VALUES (2), (4), (5)$$,
  'correlated: a NULL x passes where its subquery is empty (g = 3)');

-- a NULL appears in the subquery
INSERT INTO t165_b VALUES (NULL, 2);
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM t165_plain), 0::bigint, 'a NULL in the subquery: no row passes');
SELECT results_eq('SELECT id FROM t165_corr ORDER BY id', $$VALUES (2), (5)$$,
  'correlated: only the group with the NULL (g = 2) loses its rows');

-- the subquery empties: every row passes, NULL x included
DELETE FROM t165_b;
SELECT pathway.sync();
SELECT results_eq('SELECT id FROM t165_plain ORDER BY id', $$VALUES (1), (2), (3), (4), (5)$$,
  'an empty subquery: every row passes, NULL x too');

-- the same row inserted and deleted in one transaction changes nothing
BEGIN;
INSERT INTO t165_b VALUES (NULL, 1);
DELETE FROM t165_b WHERE y IS NULL;
COMMIT;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM t165_plain), 5::bigint, 'a NULL inserted and deleted in one transaction: nothing changes');

-- a row's x moves onto and off a subquery value
INSERT INTO t165_b VALUES (2, 1);
UPDATE t165_a SET x = 7 WHERE id = 2;
SELECT pathway.sync();
SELECT results_eq('SELECT id FROM t165_plain ORDER BY id', $$VALUES (1), (2), (4)$$,
  'x moved off the subquery''s value');

-- random changes, NULLs on both sides, then the oracle
INSERT INTO t165_b SELECT CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 20)::int END, (random() * 5)::int
  FROM generate_series(1, 40);
INSERT INTO t165_a SELECT g, CASE WHEN random() < 0.2 THEN NULL ELSE (random() * 25)::int END, (random() * 6)::int
  FROM generate_series(10, 300) g;
UPDATE t165_b SET g = g + 1 WHERE y % 3 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t165_plain')) + (SELECT count(*) FROM pathway.check_view('t165_corr')),
  0::bigint, 'both views equal their query after random changes');
DELETE FROM t165_b WHERE y IS NULL;
UPDATE t165_a SET x = NULL WHERE id % 17 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t165_plain')) + (SELECT count(*) FROM pathway.check_view('t165_corr')),
  0::bigint, 'and after the NULLs left the subquery');
SELECT cmp_ok((SELECT count(*) FROM t165_plain), '>', 0::bigint, 'the plain view is not trivially empty');

-- a subquery with a semi-join of its own: the branches that look for a NULL
-- y and for an empty subquery must keep it
CREATE TABLE t165_n (id int, x int);
CREATE TABLE t165_m (y int, g int);
CREATE TABLE t165_c (k int);
INSERT INTO t165_n VALUES (1, 1), (2, 2), (3, NULL);
INSERT INTO t165_m VALUES (1, 10), (NULL, 20), (5, 10);
INSERT INTO t165_c VALUES (10);
SELECT lives_ok($$SELECT pathway.create_view('t165_nested_in',
  'SELECT id FROM t165_n WHERE x NOT IN (SELECT y FROM t165_m WHERE g IN (SELECT k FROM t165_c))')$$,
  'NOT IN over a subquery with an IN of its own');
SELECT lives_ok($$SELECT pathway.create_view('t165_nested_exists',
  'SELECT id FROM t165_n WHERE x NOT IN (SELECT y FROM t165_m m WHERE EXISTS (SELECT 1 FROM t165_c c WHERE c.k = m.g))')$$,
  'NOT IN over a subquery with an EXISTS of its own');
SELECT pathway.sync();
SELECT results_eq('SELECT id FROM t165_nested_in ORDER BY id', $$VALUES (2)$$,
  'the NULL y is filtered out by the inner IN: 2 passes, the NULL x does not');
DELETE FROM t165_c;
SELECT pathway.sync();
SELECT results_eq('SELECT id FROM t165_nested_in ORDER BY id', $$VALUES (1), (2), (3)$$,
  'the inner IN empties the subquery: every row passes, the NULL x too');
INSERT INTO t165_c VALUES (20);
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM t165_nested_in), 0::bigint, 'now the subquery is the NULL y alone: no row passes');
INSERT INTO t165_c VALUES (10);
DELETE FROM t165_m WHERE y IS NULL;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t165_nested_in')) + (SELECT count(*) FROM pathway.check_view('t165_nested_exists')),
  0::bigint, 'both nested views equal their queries');

SELECT pathway.drop_view('t165_plain');
SELECT pathway.drop_view('t165_corr');
SELECT pathway.drop_view('t165_nested_in');
SELECT pathway.drop_view('t165_nested_exists');
DROP TABLE t165_a, t165_b, t165_n, t165_m, t165_c;
SELECT * FROM finish();
