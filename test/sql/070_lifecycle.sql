-- Lifecycle: drop_view removes the table and the catalog row; DROP TABLE of
-- a view's table deregisters it (and a rolled-back DROP does not); a source
-- cannot be dropped (or lose a column the view reads) while a view depends
-- on it, DROP ... CASCADE removes the view; a name can be reused; two views
-- over the same tables share the frontier after sync(NULL); sync(NULL) with
-- no views returns at once.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

-- leftovers of an interrupted run
DROP TABLE IF EXISTS t070_a, t070_b, t070_j, t070_p, t070_q, t070_src, t070_src2 CASCADE;

SELECT plan(45);

CREATE TABLE t070_src (id int, x int, unused text);
CREATE TABLE t070_src2 (id int, y int);
INSERT INTO t070_src VALUES (1, 10, 'u'), (2, 20, 'v'), (3, 10, 'w');
INSERT INTO t070_src2 VALUES (1, 100), (2, 200);

SELECT lives_ok($$SELECT pathway.create_view('t070_a', 'SELECT id, x FROM t070_src')$$, 'create t070_a');
SELECT lives_ok($$SELECT pathway.create_view('t070_b', 'SELECT x, count(*) AS c FROM t070_src GROUP BY x')$$, 'create t070_b');
SELECT lives_ok($$SELECT pathway.create_view('t070_j',
  'SELECT s.id, s.x, t.y FROM t070_src s JOIN t070_src2 t ON s.id = t.id')$$, 'create t070_j');
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all');

-- drop_view
SELECT lives_ok($$SELECT pathway.drop_view('t070_a')$$, 'drop_view t070_a');
SELECT ok(to_regclass('t070_a') IS NULL, 'drop_view drops the table');
SELECT is((SELECT count(*) FROM pathway.catalog c WHERE NOT EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = c.relid)),
  0::bigint, 'no catalog row without a table');
SELECT is((SELECT count(*) FROM pathway.views WHERE name = 't070_a'), 0::bigint, 'drop_view removes it from pathway.views');
SELECT throws_ok($$SELECT pathway.drop_view('t070_a')$$, '42P01', 'relation "t070_a" does not exist',
  'drop_view twice: the table is gone');
INSERT INTO t070_src VALUES (4, 30, 'x');
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after a drop_view and a source change');
SELECT results_eq('SELECT x, c FROM t070_b ORDER BY x', $$VALUES (10, 2::bigint), (20, 1), (30, 1)$$,
  'the other views are still maintained');

-- the name can be reused at once
SELECT lives_ok($$SELECT pathway.create_view('t070_a', 'SELECT id, x * 10 AS x10 FROM t070_src WHERE x > 10')$$,
  'create_view again under a dropped view''s name');
UPDATE t070_src SET x = 40 WHERE id = 4;
SELECT lives_ok($$SELECT pathway.sync('t070_a')$$, 'sync the new t070_a');
SELECT results_eq('SELECT id, x10 FROM t070_a ORDER BY id', $$VALUES (2, 200), (4, 400)$$,
  'the new view under the old name has the new query''s rows');

-- DROP TABLE of a view's table deregisters it; a rolled-back DROP does not
BEGIN;
DROP TABLE t070_b;
ROLLBACK;
SELECT is((SELECT count(*) FROM pathway.catalog WHERE relid = to_regclass('t070_b')), 1::bigint,
  'a rolled-back DROP TABLE keeps the view registered');
INSERT INTO t070_src VALUES (5, 10, 'y');
SELECT lives_ok($$SELECT pathway.sync('t070_b')$$, 'sync after a rolled-back DROP TABLE');
SELECT results_eq('SELECT x, c FROM t070_b ORDER BY x', $$VALUES (10, 3::bigint), (20, 1), (40, 1)$$,
  'the view is still maintained after a rolled-back DROP TABLE');
SELECT (SELECT oid FROM pg_class WHERE oid = to_regclass('t070_b')) AS t070_b_oid \gset
DROP TABLE t070_b;
SELECT is((SELECT count(*) FROM pathway.catalog WHERE relid = :t070_b_oid), 0::bigint,
  'DROP TABLE of a view''s table removes its catalog row');
SELECT is((SELECT count(*) FROM pathway.views WHERE name = 't070_b' OR name = :'t070_b_oid'), 0::bigint,
  'and its pathway.views row');
SELECT throws_ok($$SELECT pathway.sync('t070_b')$$, '42P01', 'relation "t070_b" does not exist',
  'sync of a dropped view: the table is gone');
INSERT INTO t070_src VALUES (6, 10, 'z');
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after DROP TABLE of a view');

-- a source cannot be dropped while a view depends on it
SELECT throws_ok($$DROP TABLE t070_src$$, '2BP01', 'cannot drop table t070_src because other objects depend on it',
  'DROP TABLE of a source: 2BP01');
SELECT throws_ok($$DROP TABLE t070_src2$$, '2BP01', 'cannot drop table t070_src2 because other objects depend on it',
  'DROP TABLE of the other join source: 2BP01');
SELECT throws_ok($$ALTER TABLE t070_src DROP COLUMN x$$, '2BP01', NULL,
  'dropping a column a view reads: 2BP01');
SELECT lives_ok($$ALTER TABLE t070_src DROP COLUMN unused$$, 'dropping a column no view reads is allowed');
INSERT INTO t070_src VALUES (7, 70);
UPDATE t070_src2 SET y = 101 WHERE id = 1;
INSERT INTO t070_src2 VALUES (7, 700);
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after dropping an unused column');
SELECT results_eq('SELECT id, x, y FROM t070_j ORDER BY id', $$VALUES (1, 10, 101), (2, 20, 200), (7, 70, 700)$$,
  'the join view is maintained after an unused source column was dropped');
SELECT results_eq('SELECT id, x10 FROM t070_a ORDER BY id', $$VALUES (2, 200), (4, 400), (7, 700)$$,
  'the scan view is maintained after an unused source column was dropped');
SELECT is((SELECT count(*) FROM (
    (TABLE t070_j EXCEPT ALL (SELECT s.id, s.x, t.y FROM t070_src s JOIN t070_src2 t ON s.id = t.id))
    UNION ALL
    ((SELECT s.id, s.x, t.y FROM t070_src s JOIN t070_src2 t ON s.id = t.id) EXCEPT ALL TABLE t070_j)) d),
  0::bigint, 't070_j equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t070_a EXCEPT ALL (SELECT id, x * 10 AS x10 FROM t070_src WHERE x > 10))
    UNION ALL
    ((SELECT id, x * 10 AS x10 FROM t070_src WHERE x > 10) EXCEPT ALL TABLE t070_a)) d),
  0::bigint, 't070_a equals its query');

-- two views over the same tables share the frontier after sync(NULL)
SELECT lives_ok($$SELECT pathway.create_view('t070_p', 'SELECT id, y FROM t070_src2 WHERE y > 150')$$, 'create t070_p');
SELECT lives_ok($$SELECT pathway.create_view('t070_q', 'SELECT count(*) AS c, sum(y) AS s FROM t070_src2')$$, 'create t070_q');
INSERT INTO t070_src2 VALUES (8, 800);
SELECT pg_current_wal_lsn() AS t070_lsn \gset
SELECT lives_ok($$SELECT pathway.sync(NULL)$$, 'sync(NULL)');
SELECT is((SELECT count(DISTINCT frontier) FROM pathway.views WHERE name IN ('t070_p', 't070_q', 't070_j', 't070_a')),
  1::bigint, 'every view is at the same frontier');
SELECT ok((SELECT bool_and(frontier >= :'t070_lsn'::pg_lsn) FROM pathway.views WHERE name IN ('t070_p', 't070_q')),
  'the frontier is past the last commit before sync(NULL)');
SELECT results_eq('SELECT id, y FROM t070_p ORDER BY id', $$VALUES (2, 200), (7, 700), (8, 800)$$,
  't070_p reflects the insert');
SELECT results_eq('SELECT c, s FROM t070_q', $$VALUES (4::bigint, 1801::bigint)$$, 't070_q reflects the insert');

-- DROP ... CASCADE of a source removes the views over it
SELECT (SELECT oid FROM pg_class WHERE oid = to_regclass('t070_j')) AS t070_j_oid \gset
SELECT lives_ok($$DROP TABLE t070_src CASCADE$$, 'DROP TABLE ... CASCADE of a source');
SELECT ok(to_regclass('t070_j') IS NULL AND to_regclass('t070_a') IS NULL, 'CASCADE drops the views over the source');
SELECT is((SELECT count(*) FROM pathway.catalog WHERE relid = :t070_j_oid), 0::bigint,
  'CASCADE removes the catalog rows');
SELECT results_eq($$SELECT name FROM pathway.views WHERE name LIKE 't070%' ORDER BY name$$,
  $$VALUES ('t070_p'), ('t070_q')$$, 'only the views over the other source are left');
SELECT lives_ok($$SELECT pathway.drop_view('t070_p')$$, 'drop t070_p');
SELECT lives_ok($$SELECT pathway.drop_view('t070_q')$$, 'drop t070_q');
DROP TABLE t070_src2;

-- sync(NULL) with no views returns at once (other files leave no views)
SELECT clock_timestamp() AS t070_t0 \gset
SELECT lives_ok($$SELECT pathway.sync(NULL)$$, 'sync(NULL) without views');
SELECT ok(clock_timestamp() - :'t070_t0'::timestamptz < interval '1 second', 'sync(NULL) without views returns at once');

SELECT * FROM finish();
