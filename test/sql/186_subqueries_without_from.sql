-- Subqueries without FROM inside a view that reads tables: (SELECT 5), IN
-- (SELECT 1 UNION SELECT 2), EXISTS (SELECT 1 WHERE ...), a constant row
-- whose WHERE reads another table; each is one empty row under its select
-- list and conditions.  Exact rows through changes, then check_view.  (A
-- view that reads no table at all: 188.)  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t186_t, t186_u CASCADE;

SELECT plan(12);

CREATE TABLE t186_t (a int);
CREATE TABLE t186_u (b int);
INSERT INTO t186_t VALUES (1), (2), (3), (NULL);

SELECT lives_ok($$SELECT pathway.create_view('t186_scalar', 'SELECT a, (SELECT 5) AS c, a + (SELECT 10) AS d FROM t186_t')$$,
  'a scalar subquery without FROM');
SELECT lives_ok($$SELECT pathway.create_view('t186_in', 'SELECT a FROM t186_t WHERE a IN (SELECT 1 UNION SELECT 3)')$$,
  'IN over a union of constant rows');
SELECT lives_ok($$SELECT pathway.create_view('t186_gate', $q$
  SELECT a FROM t186_t WHERE a IN (SELECT 2 WHERE EXISTS (SELECT 1 FROM t186_u WHERE b > 0)) OR 1 IN (SELECT 1 WHERE false) $q$)$$,
  'a constant row whose WHERE reads another table; a constant row that never is');
SELECT pathway.sync();

SELECT results_eq('SELECT a, c, d FROM t186_scalar ORDER BY a NULLS LAST',
  $$VALUES (1, 5, 11), (2, 5, 12), (3, 5, 13), (NULL, 5, NULL)$$, 'the constant scalar on every row');
SELECT results_eq('SELECT a FROM t186_in ORDER BY a', $$VALUES (1), (3)$$, 'IN over constant rows');
SELECT is((SELECT count(*) FROM t186_gate), 0::bigint, 'the gate is closed while t186_u has no positive row');

INSERT INTO t186_u VALUES (0), (7);
INSERT INTO t186_t VALUES (2), (4);
SELECT pathway.sync();
SELECT results_eq('SELECT a FROM t186_gate ORDER BY a', $$VALUES (2), (2)$$, 'a positive row in t186_u opens it');
SELECT results_eq('SELECT a, c FROM t186_scalar WHERE a >= 2 ORDER BY a', $$VALUES (2, 5), (2, 5), (3, 5), (4, 5)$$,
  'new rows get the constant too');
DELETE FROM t186_u WHERE b = 7;
DELETE FROM t186_t WHERE a = 3;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM t186_gate) + (SELECT count(*) FROM t186_in WHERE a = 3), 0::bigint,
  'closed again, and a deleted row leaves');
SELECT is((SELECT count(*) FROM pathway.check_view(v)), 0::bigint, 'check_view: ' || v)
  FROM unnest(ARRAY['t186_scalar', 't186_in', 't186_gate']) v;

SELECT pathway.drop_view(v) FROM unnest(ARRAY['t186_scalar', 't186_in', 't186_gate']) v;
DROP TABLE t186_t, t186_u;
SELECT * FROM finish();
