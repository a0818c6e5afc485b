-- Correlated scalar subqueries that may yield several rows: with GROUP BY
-- (and HAVING) or DISTINCT, correlated through equalities, in the select
-- list and in WHERE.  PostgreSQL's answer: the only row's value, NULL
-- without one, and "more than one row returned by a subquery used as an
-- expression" for several, which fails the view exactly when a row of the
-- query meets such a subquery; the view is built again once that is gone.
-- Exact rows, the error and the recovery, then random changes and the
-- oracle.  What stays refused: the same correlated by a non-equality, or
-- with LIMIT.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t208_t, t208_s CASCADE;
DROP FUNCTION IF EXISTS t208_wait(text, text);

SELECT plan(15);

CREATE FUNCTION t208_wait(v text, want text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  s text;
BEGIN
  FOR i IN 1 .. 200 LOOP
    SELECT status INTO s FROM pathway.views WHERE name = v;
    IF s = want THEN
      RETURN s;
    END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN s;
END $$;

CREATE TABLE t208_t (id int PRIMARY KEY, k int);
CREATE TABLE t208_s (id int PRIMARY KEY, k int, g int, v int);
INSERT INTO t208_t VALUES (1, 1), (2, 2), (3, 3), (4, NULL);
INSERT INTO t208_s VALUES (1, 1, 1, 10), (2, 1, 1, 20), (3, 2, 1, 5), (4, 3, 1, 7), (5, 3, 1, 8), (6, NULL, 1, 100);

SELECT lives_ok($$SELECT pathway.create_view('t208_grouped', 'SELECT id, (SELECT max(v) FROM t208_s s WHERE s.k = t.k GROUP BY s.g) AS m FROM t208_t t')$$,
  'GROUP BY in a correlated scalar subquery (the grouping key not selected)');
SELECT lives_ok($$SELECT pathway.create_view('t208_distinct', 'SELECT id, (SELECT DISTINCT g FROM t208_s s WHERE s.k = t.k AND s.v > 6) AS d FROM t208_t t')$$,
  'DISTINCT in a correlated scalar subquery, with a condition of its own');
SELECT lives_ok($$SELECT pathway.create_view('t208_where', 'SELECT id FROM t208_t t WHERE 15 < (SELECT sum(v) FROM t208_s s WHERE s.k = t.k GROUP BY s.g HAVING count(*) > 1)')$$,
  'GROUP BY ... HAVING in a correlated scalar subquery in WHERE');
SELECT throws_ok($$SELECT pathway.create_view('t208_bad', 'SELECT id, (SELECT max(v) FROM t208_s s WHERE s.k < t.k GROUP BY s.g) AS m FROM t208_t t')$$,
  '0A000', 'cannot maintain view "t208_bad"', 'correlated by a non-equality: refused');
SELECT throws_ok($$SELECT pathway.create_view('t208_bad', 'SELECT id, (SELECT DISTINCT g FROM t208_s s WHERE s.k = t.k LIMIT 2) AS d FROM t208_t t')$$,
  '0A000', 'cannot maintain view "t208_bad"', 'with LIMIT other than ORDER BY ... LIMIT 1: refused');

SELECT pathway.sync('t208_grouped');
SELECT pathway.sync('t208_distinct');
SELECT pathway.sync('t208_where');
SELECT results_eq('SELECT id, m FROM t208_grouped ORDER BY id', $$VALUES (1, 20), (2, 5), (3, 8), (4, NULL)$$,
  'one group per key: its value; no partner (or a NULL key): NULL');
SELECT results_eq('SELECT id, d FROM t208_distinct ORDER BY id', $$VALUES (1, 1), (2, NULL), (3, 1), (4, NULL)$$,
  'one distinct value per key');
SELECT results_eq('SELECT id FROM t208_where ORDER BY id', $$VALUES (1)$$,
  'in WHERE: the groups that pass HAVING');

-- a second group for key 1: PostgreSQL's error, then the view recovers
INSERT INTO t208_s VALUES (7, 1, 2, 1);
SELECT throws_like($$SELECT pathway.sync('t208_grouped')$$, '%live view "t208_grouped" has failed%',
  'a key with two groups fails the view that reads it');
SELECT is((SELECT error FROM pathway.views WHERE name = 't208_grouped'), 'more than one row returned by a subquery used as an expression',
  'with PostgreSQL''s message');
SELECT is((SELECT string_agg(status, ',' ORDER BY name) FROM pathway.views WHERE name IN ('t208_distinct', 't208_where')), 'running,running',
  'the others hold one row per outer row still (HAVING keeps one group; DISTINCT one value) and go on');
DELETE FROM t208_s WHERE id = 7;
SELECT is(t208_wait('t208_grouped', 'running'), 'running', 'built again once every key has one group');
SELECT pathway.sync('t208_grouped');
SELECT results_eq('SELECT id, m FROM t208_grouped ORDER BY id', $$VALUES (1, 20), (2, 5), (3, 8), (4, NULL)$$,
  'and equals its query');

-- random changes (each key keeps one group for the views that must not
-- fail), then every view against its query
INSERT INTO t208_t SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE i % 9 END FROM generate_series(5, 60) i;
INSERT INTO t208_s SELECT i, CASE WHEN i % 11 = 0 THEN NULL ELSE i % 9 END, 1, (i * 37) % 50 FROM generate_series(8, 80) i;
UPDATE t208_s SET v = v + 3 WHERE id % 4 = 0;
UPDATE t208_s SET k = (k + 1) % 9 WHERE id % 5 = 0;
DELETE FROM t208_s WHERE id % 6 = 1;
UPDATE t208_t SET k = k + 1 WHERE id % 3 = 0;
DELETE FROM t208_t WHERE id % 8 = 2;
SELECT pathway.sync('t208_grouped');
SELECT pathway.sync('t208_distinct');
SELECT pathway.sync('t208_where');
SELECT is((SELECT string_agg(name, ', ' ORDER BY name) FROM pathway.views WHERE name LIKE 't208_%' AND status <> 'running'), NULL,
  'every view running after the changes');
SELECT is((SELECT count(*) FROM pathway.views v, LATERAL pathway.check_view(v.name) c WHERE v.name LIKE 't208_%'), 0::bigint,
  'every view equals its query after the changes');

SELECT pathway.drop_view(name) FROM pathway.views WHERE name LIKE 't208_%';
DROP TABLE t208_t, t208_s;
DROP FUNCTION t208_wait(text, text);
SELECT * FROM finish();
