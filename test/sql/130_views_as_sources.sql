-- An ordinary view in the query is expanded (PostgreSQL's rewriter), with
-- the view owner's privileges on its tables; the live view keeps the meaning
-- it had when it was created.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t130_t CASCADE;

SELECT plan(5);

CREATE TABLE t130_t (k int, v int);
INSERT INTO t130_t VALUES (1, 10), (2, 20), (3, 30);
CREATE VIEW t130_big AS SELECT k, v FROM t130_t WHERE v >= 20;
SELECT pathway.create_view('t130_live', 'SELECT count(*) AS n, sum(v) AS s FROM t130_big');
SELECT pathway.sync('t130_live');
SELECT results_eq('TABLE t130_live', $$VALUES (2::bigint, 50::bigint)$$, 'a view over an ordinary view');

INSERT INTO t130_t VALUES (4, 40), (5, 5);
DELETE FROM t130_t WHERE k = 2;
SELECT pathway.sync('t130_live');
SELECT results_eq('TABLE t130_live', $$VALUES (2::bigint, 70::bigint)$$, 'changes through the view');

SELECT throws_ok('DROP VIEW t130_big', '2BP01', NULL, 'the ordinary view cannot be dropped under it');
CREATE OR REPLACE VIEW t130_big AS SELECT k, v FROM t130_t WHERE v >= 0;
INSERT INTO t130_t VALUES (6, 60);
SELECT pathway.sync('t130_live');
SELECT results_eq('TABLE t130_live', $$VALUES (3::bigint, 130::bigint)$$,
  'replacing the ordinary view does not change the live view''s meaning');
SELECT is((SELECT status FROM pathway.views WHERE name = 't130_live'), 'running', 'running');

SELECT pathway.drop_view('t130_live');
DROP VIEW t130_big;
DROP TABLE t130_t;
SELECT * FROM finish();
