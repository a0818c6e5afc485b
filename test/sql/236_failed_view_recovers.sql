-- A view failed by an error of its query over the data (a division by
-- zero, a scalar subquery of several rows) is built again by itself once a
-- source changes, after a delay that doubles with each failed retry: while
-- the bad row is there it stays failed (pathway.views and sync() say why,
-- its table keeps the rows it had), once it is gone the view runs again
-- and equals its query.  A failure of another kind is not retried.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t236_d, t236_dim, t236_other CASCADE;

SELECT plan(16);

-- wait (up to 20 s) until the view's status is the one wanted
CREATE FUNCTION t236_wait(v text, want text) RETURNS text LANGUAGE plpgsql AS $$
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

CREATE TABLE t236_d (a int PRIMARY KEY, b int);
CREATE TABLE t236_other (a int);
INSERT INTO t236_d VALUES (1, 10), (2, 20);
SELECT pathway.create_view('t236_q', 'SELECT a, b / a AS q FROM t236_d');
SELECT pathway.sync();

INSERT INTO t236_d VALUES (0, 5);
SELECT throws_ok($$SELECT pathway.sync('t236_q')$$, '55000', 'live view "t236_q" has failed',
  'a row that divides by zero fails the view');
SELECT results_eq($$SELECT status, error FROM pathway.views WHERE name = 't236_q'$$,
  $$VALUES ('failed', 'division by zero')$$, 'pathway.views shows why');

-- a change to another table does not build it again; one to its source
-- does, and it fails again while the bad row is there
INSERT INTO t236_other VALUES (1);
INSERT INTO t236_d VALUES (3, 30);
SELECT pg_sleep(1.5);
SELECT is(t236_wait('t236_q', 'failed'), 'failed', 'still failed while the bad row is there');
SELECT results_eq('SELECT a, q FROM t236_q ORDER BY a', $$VALUES (1, 10), (2, 10)$$,
  'its table keeps the rows it had when it failed');

-- the bad row goes: the view runs again, with every change since
DELETE FROM t236_d WHERE a = 0;
UPDATE t236_d SET b = 90 WHERE a = 3;
SELECT is(t236_wait('t236_q', 'running'), 'running', 'built again once the bad row is deleted');
SELECT lives_ok($$SELECT pathway.sync('t236_q')$$, 'sync() succeeds again');
SELECT results_eq('SELECT a, q FROM t236_q ORDER BY a', $$VALUES (1, 10), (2, 10), (3, 30)$$,
  'the view equals its query, the changes made while it was failed included');
SELECT is((SELECT error FROM pathway.views WHERE name = 't236_q'), NULL, 'and shows no error');
INSERT INTO t236_d VALUES (4, 8);
SELECT pathway.sync('t236_q');
SELECT results_eq('SELECT a, q FROM t236_q ORDER BY a', $$VALUES (1, 10), (2, 10), (3, 30), (4, 2)$$,
  'and is maintained from then on');
SELECT is((SELECT count(*) FROM pathway.check_view('t236_q')), 0::bigint, 'check_view agrees');

-- a scalar subquery that returns several rows, then one
CREATE TABLE t236_dim (k int, name text);
INSERT INTO t236_dim VALUES (1, 'one');
SELECT pathway.create_view('t236_s', $$SELECT a, (SELECT name FROM t236_dim WHERE k = 1) AS name FROM t236_d$$);
SELECT pathway.sync();
INSERT INTO t236_dim VALUES (1, 'uno');
SELECT throws_like($$SELECT pathway.sync('t236_s')$$, '%live view "t236_s" has failed%',
  'a scalar subquery of two rows fails the view');
SELECT is((SELECT error FROM pathway.views WHERE name = 't236_s'), 'more than one row returned by a subquery used as an expression',
  'with PostgreSQL''s message');
DELETE FROM t236_dim WHERE name = 'uno';
SELECT is(t236_wait('t236_s', 'running'), 'running', 'built again once the subquery has one row');
SELECT pathway.sync('t236_s');
SELECT results_eq('SELECT a, name FROM t236_s ORDER BY a', $$VALUES (1, 'one'), (2, 'one'), (3, 'one'), (4, 'one')$$,
  'and equals its query');

-- a failure that is not of the data (the owner lost the right to read a
-- source) is not retried by a change
CREATE ROLE t236_owner;
GRANT SELECT ON t236_d TO t236_owner;
GRANT USAGE ON SCHEMA public TO t236_owner;
SELECT pathway.create_view('t236_a', 'SELECT a FROM t236_d');
ALTER TABLE t236_a OWNER TO t236_owner;
SELECT pathway.sync('t236_a');
REVOKE SELECT ON t236_d FROM t236_owner;
INSERT INTO t236_d VALUES (5, 5);
SELECT throws_like($$SELECT pathway.sync('t236_a')$$, '%live view "t236_a" has failed%',
  'a view whose owner lost SELECT on its source fails');
GRANT SELECT ON t236_d TO t236_owner;
INSERT INTO t236_d VALUES (6, 6);
SELECT pg_sleep(1.5);
SELECT is(t236_wait('t236_a', 'failed'), 'failed', 'and a change does not build it again');

SELECT pathway.drop_view(v) FROM unnest(ARRAY['t236_q', 't236_s', 't236_a']) v;
DROP TABLE t236_d, t236_dim, t236_other;
DROP FUNCTION t236_wait(text, text);
REVOKE USAGE ON SCHEMA public FROM t236_owner;
DROP ROLE t236_owner;
SELECT * FROM finish();
