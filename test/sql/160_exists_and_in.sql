-- [NOT] EXISTS and IN (subquery) in WHERE, correlated through equalities or
-- not: rows enter and leave as their partners come and go; NULL keys; an
-- IN over a grouped subquery; NOT IN over correlated aggregates and other
-- correlations are refused (NOT IN itself: 165_not_in.sql).
-- Exact rows, then the oracle after random changes.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t160_c, t160_o CASCADE;

SELECT plan(14);

CREATE TABLE t160_c (id int, region text);
CREATE TABLE t160_o (cust int, amount int);
INSERT INTO t160_c VALUES (1, 'n'), (2, 's'), (3, 'n'), (NULL, 'x');
INSERT INTO t160_o VALUES (1, 10), (1, 50), (3, 5), (NULL, 7);

CREATE TEMP TABLE t160_q (name text, q text);
INSERT INTO t160_q VALUES
  ('t160_exists',   'SELECT c.id, c.region FROM t160_c c WHERE EXISTS (SELECT 1 FROM t160_o o WHERE o.cust = c.id AND o.amount > 8)'),
  ('t160_notexists','SELECT c.id, c.region FROM t160_c c WHERE NOT EXISTS (SELECT 1 FROM t160_o o WHERE o.cust = c.id)'),
  ('t160_in',       'SELECT c.id FROM t160_c c WHERE c.id IN (SELECT o.cust FROM t160_o o WHERE o.amount < 20)'),
  ('t160_in_group', 'SELECT c.region, count(*) AS n FROM t160_c c WHERE c.id IN (SELECT cust FROM t160_o GROUP BY cust HAVING sum(amount) > 30) GROUP BY c.region'),
  ('t160_uncorr',   'SELECT c.id FROM t160_c c WHERE EXISTS (SELECT 1 FROM t160_o WHERE amount > 40)');
SELECT pathway.create_view(name, q) FROM t160_q;
SELECT pathway.sync();

SELECT bag_eq('TABLE t160_exists', $$VALUES (1, 'n')$$, 'EXISTS, correlated, with a condition of its own');
SELECT bag_eq('TABLE t160_notexists', $$VALUES (2, 's'), (NULL::int, 'x')$$, 'NOT EXISTS keeps rows whose key is NULL');
SELECT bag_eq('TABLE t160_in', $$VALUES (1), (3)$$, 'IN (subquery)');
SELECT bag_eq('TABLE t160_in_group', $$VALUES ('n', 1::bigint)$$, 'IN over a grouped subquery');
SELECT is((SELECT count(*) FROM t160_uncorr), 4::bigint, 'uncorrelated EXISTS that holds: every row');

DELETE FROM t160_o WHERE amount = 50;
INSERT INTO t160_o VALUES (2, 9);
SELECT pathway.sync();
SELECT bag_eq('TABLE t160_exists', $$VALUES (1, 'n'), (2, 's')$$, 'EXISTS after partners changed');
SELECT bag_eq('TABLE t160_notexists', $$VALUES (NULL::int, 'x')$$, 'NOT EXISTS after partners changed');
SELECT is((SELECT count(*) FROM t160_uncorr), 0::bigint, 'uncorrelated EXISTS that no longer holds: no row');

SELECT throws_ok($$SELECT pathway.create_view('t160_bad', 'SELECT id FROM t160_c WHERE id NOT IN (SELECT max(cust) FROM t160_o WHERE t160_o.amount = t160_c.id)')$$,
  '0A000', 'cannot maintain view "t160_bad"', 'NOT IN over a correlated aggregate is refused, with a hint (uncorrelated: 209)');

INSERT INTO t160_c SELECT CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 30)::int END, chr(97 + (random() * 3)::int) FROM generate_series(1, 100);
INSERT INTO t160_o SELECT CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 30)::int END, (random() * 60)::int FROM generate_series(1, 150);
DELETE FROM t160_o WHERE random() < 0.3;
UPDATE t160_o SET cust = (random() * 30)::int WHERE random() < 0.3;
DELETE FROM t160_c WHERE random() < 0.2;
SELECT pathway.sync();

CREATE FUNCTION t160_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t160_diff(name, q), 0::bigint, 'oracle: ' || name) FROM t160_q ORDER BY name;

SELECT pathway.drop_view(name) FROM t160_q;
DROP FUNCTION t160_diff(text, text);
DROP TABLE t160_c, t160_o;
SELECT * FROM finish();
