-- Uncorrelated scalar subqueries that are global aggregates, in WHERE and in
-- the select list: every row is re-judged when the aggregate moves; one
-- correlated by the group in HAVING.  Others (LIMIT without ORDER BY) are
-- refused; correlated
-- ones in the select list and WHERE: 205_correlated_scalar.sql.  Exact rows, then
-- the oracle.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t200_o, t200_p CASCADE;

SELECT plan(10);

CREATE TABLE t200_o (id int, amount int);
CREATE TABLE t200_p (id int, price int);
INSERT INTO t200_o VALUES (1, 10), (2, 20), (3, 30);
INSERT INTO t200_p VALUES (1, 5);

CREATE TEMP TABLE t200_q (name text, q text);
INSERT INTO t200_q VALUES
  ('t200_above', 'SELECT id, amount FROM t200_o WHERE amount > (SELECT avg(amount) FROM t200_o)'),
  ('t200_share', 'SELECT id, amount, amount * 100 / (SELECT sum(amount) FROM t200_o) AS pct, (SELECT max(price) FROM t200_p) AS top FROM t200_o');
SELECT pathway.create_view(name, q) FROM t200_q;
SELECT pathway.sync();

SELECT bag_eq('TABLE t200_above', $$VALUES (3, 30)$$, 'rows above the average');
SELECT bag_eq('TABLE t200_share', $$VALUES (1, 10, 16::bigint, 5), (2, 20, 33::bigint, 5), (3, 30, 50::bigint, 5)$$,
  'shares of the total and a scalar from another table');

INSERT INTO t200_o VALUES (4, 100);
DELETE FROM t200_p;
SELECT pathway.sync();
SELECT bag_eq('TABLE t200_above', $$VALUES (4, 100)$$, 'a new row moves the average: others drop out');
SELECT is((SELECT count(*) FROM t200_share WHERE top IS NULL), 4::bigint, 'max over an empty table is NULL for every row');

INSERT INTO t200_q VALUES ('t200_having', 'SELECT id FROM t200_o o GROUP BY id HAVING count(*) < (SELECT max(price) FROM t200_p p WHERE p.id = o.id)');
SELECT lives_ok($$SELECT pathway.create_view('t200_having', (SELECT q FROM t200_q WHERE name = 't200_having'))$$,
  'a correlated scalar subquery in HAVING');
SELECT throws_ok($$SELECT pathway.create_view('t200_bad', 'SELECT id, (SELECT price FROM t200_p LIMIT 1) FROM t200_o')$$,
  '0A000', 'cannot maintain view "t200_bad"', 'a scalar subquery that may yield no row is refused');

INSERT INTO t200_o SELECT g, (g * 37) % 200 FROM generate_series(10, 200) g;
INSERT INTO t200_p SELECT g, g % 50 FROM generate_series(1, 20) g;
DELETE FROM t200_o WHERE random() < 0.3;
UPDATE t200_o SET amount = amount + 3 WHERE random() < 0.3;
SELECT pathway.sync();

CREATE FUNCTION t200_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t200_diff(name, q), 0::bigint, 'oracle: ' || name) FROM t200_q ORDER BY name;
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't200_%' AND status = 'running'), 3::bigint, 'all three running');

SELECT pathway.drop_view(name) FROM t200_q;
DROP FUNCTION t200_diff(text, text);
DROP TABLE t200_o, t200_p;
SELECT * FROM finish();
