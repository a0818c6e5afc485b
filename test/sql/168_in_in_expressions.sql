-- IN (subquery) inside expressions: in the select list, under OR, NOT and
-- CASE, correlated or not (also with other conditions in the subquery), three-valued as PostgreSQL has it (true when a
-- row equals, NULL when none does but the tested value is NULL and the
-- subquery has rows, or the subquery holds a NULL; false otherwise).
-- Exact rows through NULLs appearing and vanishing on both sides, then the
-- oracle after random changes.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t168_t, t168_s CASCADE;

SELECT plan(20);

CREATE TABLE t168_t (id int, x int, flag bool);
CREATE TABLE t168_s (y int, g int);
INSERT INTO t168_t VALUES (1, 10, false), (2, 20, true), (3, NULL, false), (4, 40, false);
INSERT INTO t168_s VALUES (10, 1), (30, 2);

SELECT lives_ok($$SELECT pathway.create_view('t168_sel', $q$
  SELECT id, x IN (SELECT y FROM t168_s) AS isin FROM t168_t $q$)$$, 'IN in the select list');
SELECT lives_ok($$SELECT pathway.create_view('t168_or', $q$
  SELECT id FROM t168_t WHERE x IN (SELECT y FROM t168_s) OR flag $q$)$$, 'IN under OR');
SELECT lives_ok($$SELECT pathway.create_view('t168_not', $q$
  SELECT id FROM t168_t t WHERE NOT (t.x IN (SELECT s.y FROM t168_s s WHERE s.g = t.id)) OR t.flag $q$)$$,
  'a correlated IN under NOT and OR');
SELECT lives_ok($$SELECT pathway.create_view('t168_case', $q$
  SELECT id, CASE WHEN x IN (SELECT y FROM t168_s WHERE g > 0) THEN 'in'
                  WHEN (x IN (SELECT y FROM t168_s WHERE g > 0)) IS NULL THEN 'unknown'
                  ELSE 'out' END AS c
    FROM t168_t $q$)$$, 'IN under CASE, and its NULL tested');
SELECT lives_ok($$SELECT pathway.create_view('t168_corr2', $q$
  SELECT id, x IN (SELECT s.y FROM t168_s s WHERE s.y > 5 AND s.g = t.id) AS isin FROM t168_t t $q$)$$,
  'a correlated IN whose subquery has another condition too, in the select list');
SELECT pathway.sync();
SELECT results_eq('SELECT id, isin FROM t168_corr2 ORDER BY id',
  $$VALUES (1, true), (2, false), (3, false), (4, false)$$,
  'correlated with another condition: each row against its own partners; none: false, also for a NULL x');

SELECT results_eq('SELECT id, isin FROM t168_sel ORDER BY id',
  $$VALUES (1, true), (2, false), (3, NULL::bool), (4, false)$$, 'no NULL y: a NULL x gives NULL, the others true or false');
SELECT results_eq('SELECT id FROM t168_or ORDER BY id', $$VALUES (1), (2)$$, 'under OR');
SELECT results_eq('SELECT id, c FROM t168_case ORDER BY id',
  $$VALUES (1, 'in'), (2, 'out'), (3, 'unknown'), (4, 'out')$$, 'under CASE');

-- a NULL y: every x without a match becomes NULL
INSERT INTO t168_s VALUES (NULL, 3);
SELECT pathway.sync();
SELECT results_eq('SELECT id, isin FROM t168_sel ORDER BY id',
  $$VALUES (1, true), (2, NULL::bool), (3, NULL), (4, NULL)$$, 'a NULL in the subquery: no match is NULL, not false');
SELECT results_eq('SELECT id, c FROM t168_case ORDER BY id',
  $$VALUES (1, 'in'), (2, 'unknown'), (3, 'unknown'), (4, 'unknown')$$, 'and under CASE');
-- the NULL goes, 40 comes
DELETE FROM t168_s WHERE y IS NULL;
INSERT INTO t168_s VALUES (40, 4);
SELECT pathway.sync();
SELECT results_eq('SELECT id, isin FROM t168_sel ORDER BY id',
  $$VALUES (1, true), (2, false), (3, NULL::bool), (4, true)$$, 'the NULL gone: false again; a new match: true');
-- an empty subquery: false even for a NULL x
DELETE FROM t168_s;
SELECT pathway.sync();
SELECT results_eq('SELECT id, isin FROM t168_sel ORDER BY id',
  $$VALUES (1, false), (2, false), (3, false), (4, false)$$, 'an empty subquery: false, also for a NULL x');
SELECT results_eq('SELECT id FROM t168_not ORDER BY id', $$VALUES (1), (2), (3), (4)$$,
  'NOT IN of an empty subquery holds, for a NULL x too');

-- random changes, NULLs included, on both sides; then the oracle
INSERT INTO t168_s SELECT CASE WHEN g % 17 = 0 THEN NULL ELSE g % 23 END, g % 7 FROM generate_series(1, 120) g;
INSERT INTO t168_t SELECT g, CASE WHEN g % 11 = 0 THEN NULL ELSE g % 29 END, g % 5 = 0 FROM generate_series(5, 80) g;
SELECT pathway.sync();
DELETE FROM t168_s WHERE y IS NULL AND g % 2 = 0;
UPDATE t168_t SET x = x + 1 WHERE id % 3 = 0;
DELETE FROM t168_s WHERE y % 5 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view(v)), 0::bigint, 'after random changes, check_view: ' || v)
  FROM unnest(ARRAY['t168_sel', 't168_or', 't168_not', 't168_case', 't168_corr2']) v;
SELECT is((SELECT count(*) FROM ((TABLE t168_sel EXCEPT ALL SELECT id, x IN (SELECT y FROM t168_s) FROM t168_t)
                          UNION ALL (SELECT id, x IN (SELECT y FROM t168_s) FROM t168_t EXCEPT ALL TABLE t168_sel)) d),
  0::bigint, 'the oracle (EXCEPT ALL both ways): t168_sel');

SELECT pathway.drop_view(v) FROM unnest(ARRAY['t168_sel', 't168_or', 't168_not', 't168_case', 't168_corr2']) v;
DROP TABLE t168_t, t168_s;
SELECT * FROM finish();
