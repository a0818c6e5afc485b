-- Scalar subqueries that are not aggregates, with PostgreSQL's semantics:
-- NULL for no row, the value for one, and the "more than one row returned
-- by a subquery used as an expression" error turning the view failed
-- exactly when a row of the query evaluates such a subquery (duplicates
-- under a key no outer row reads are no error).  Uncorrelated (plain, with
-- ORDER BY ... LIMIT, DISTINCT) and correlated through equalities, in the
-- select list and in WHERE.  Exact rows, then the oracle after changes.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t255_t, t255_dim CASCADE;

SELECT plan(20);

CREATE TABLE t255_dim (id int, name text);
CREATE TABLE t255_t (id int PRIMARY KEY, k int, v int);
INSERT INTO t255_dim VALUES (1, 'one'), (2, 'two'), (3, 'three'), (5, 'five');
INSERT INTO t255_t VALUES (1, 1, 10), (2, 2, 20), (3, 4, 30), (4, NULL, 40), (5, 5, 50);

CREATE TEMP TABLE t255_views (name text, q text);
INSERT INTO t255_views VALUES
  ('t255_const', $q$SELECT id, (SELECT name FROM t255_dim WHERE id = 5) AS five FROM t255_t$q$),
  ('t255_latest', $q$SELECT id, (SELECT name FROM t255_dim ORDER BY id DESC LIMIT 1) AS last_name FROM t255_t$q$),
  ('t255_corr', $q$SELECT t.id, (SELECT d.name FROM t255_dim d WHERE d.id = t.k) AS name FROM t255_t t$q$),
  ('t255_where', $q$SELECT t.id FROM t255_t t WHERE t.k = (SELECT id FROM t255_dim WHERE name = 'two')$q$),
  ('t255_top1', $q$SELECT t.id, (SELECT d.name FROM t255_dim d WHERE d.id >= t.k ORDER BY d.id, d.name LIMIT 1) AS next_name FROM t255_t t$q$),
  ('t255_top1_where', $q$SELECT t.id FROM t255_t t WHERE t.v >= (SELECT d.id * 10 FROM t255_dim d WHERE d.id = t.k ORDER BY d.name DESC LIMIT 1)$q$),
  ('t255_case', $q$SELECT t.id, CASE WHEN t.v > 25 THEN (SELECT upper(d.name) FROM t255_dim d WHERE d.id = t.k) ELSE 'small' END AS c FROM t255_t t$q$);
SELECT pathway.create_view(name, q) FROM t255_views;
SELECT pathway.sync();

SELECT results_eq('SELECT id, five FROM t255_const ORDER BY id',
  $$VALUES (1, 'five'), (2, 'five'), (3, 'five'), (4, 'five'), (5, 'five')$$, 'uncorrelated: the one row''s value');
SELECT results_eq('SELECT DISTINCT last_name FROM t255_latest', $$VALUES ('five')$$, 'uncorrelated ORDER BY ... LIMIT 1');
SELECT results_eq('SELECT id, name FROM t255_corr ORDER BY id',
  $$VALUES (1, 'one'), (2, 'two'), (3, NULL), (4, NULL), (5, 'five')$$, 'correlated: NULL for no row, also for a NULL key');
SELECT results_eq('SELECT id FROM t255_where', $$VALUES (2)$$, 'in WHERE');
SELECT results_eq('SELECT id, next_name FROM t255_top1 ORDER BY id',
  $$VALUES (1, 'one'), (2, 'two'), (3, 'five'), (4, NULL), (5, 'five')$$,
  'correlated ORDER BY ... LIMIT 1: the first row (a non-equality correlation), NULL for none');
SELECT results_eq('SELECT id FROM t255_top1_where ORDER BY id', $$VALUES (1), (2), (5)$$,
  'correlated ORDER BY ... LIMIT 1 in WHERE');
SELECT results_eq('SELECT id, c FROM t255_case ORDER BY id',
  $$VALUES (1, 'small'), (2, 'small'), (3, NULL), (4, NULL), (5, 'FIVE')$$, 'inside CASE');

-- no row: NULL; a duplicate under a key no trade reads: no error
DELETE FROM t255_dim WHERE id = 5;
INSERT INTO t255_dim VALUES (3, 'drei');
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM t255_const WHERE five IS NULL), 5::bigint, 'the row is gone: NULL');
SELECT results_eq('SELECT id, name FROM t255_corr ORDER BY id',
  $$VALUES (1, 'one'), (2, 'two'), (3, NULL), (4, NULL), (5, NULL)$$,
  'two rows under key 3, which no row reads: no error');
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't255_%' AND status = 'running'), 7::bigint,
  'all running');

-- random changes, then the oracle
DELETE FROM t255_dim WHERE id = 3 AND name = 'drei';
INSERT INTO t255_t SELECT g, g % 7, g FROM generate_series(10, 60) g;
INSERT INTO t255_dim VALUES (6, 'six'), (0, 'zero');
UPDATE t255_t SET k = k + 1 WHERE id % 3 = 0;
SELECT pathway.sync();
CREATE FUNCTION t255_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t255_diff(name, q), 0::bigint, 'oracle (EXCEPT ALL both ways): ' || name) FROM t255_views ORDER BY name;

-- two rows where a row reads them: the view fails with PostgreSQL's message
INSERT INTO t255_dim VALUES (2, 'deux');
SELECT throws_like('SELECT pathway.sync()', '%has failed%', 'sync() reports the failed view');
SELECT ok((SELECT error FROM pathway.views WHERE name = 't255_corr') = 'more than one row returned by a subquery used as an expression',
  'the correlated view failed with PostgreSQL''s message');
SELECT throws_ok('SELECT t.id, (SELECT d.name FROM t255_dim d WHERE d.id = t.k) FROM t255_t t', '21000',
  'more than one row returned by a subquery used as an expression', 'as the query itself does');

SELECT pathway.drop_view(name) FROM t255_views;
DROP FUNCTION t255_diff(text, text);
DROP TABLE t255_t, t255_dim;
SELECT * FROM finish();
