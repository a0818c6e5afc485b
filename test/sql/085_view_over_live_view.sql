-- Live views over live views: chains maintained in the same epoch, never a
-- step behind.  Exact rows on a small case, then random changes and the
-- oracle at every level, and a read of two levels in one statement.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

-- leftovers of an interrupted run
DROP TABLE IF EXISTS t085_top, t085_j, t085_v2, t085_v1, t085_src, t085_names CASCADE;

SELECT plan(14);

CREATE TABLE t085_src (x int, g int);
CREATE TABLE t085_names (g int PRIMARY KEY, name text);
INSERT INTO t085_src VALUES (1, 1), (2, 1), (3, 2);
INSERT INTO t085_names VALUES (1, 'one'), (2, 'two'), (3, 'three');

SELECT lives_ok($$SELECT pathway.create_view('t085_v1', 'SELECT g, count(*) AS n, sum(x) AS s FROM t085_src GROUP BY g')$$,
  'a GROUP BY view');
SELECT lives_ok($$SELECT pathway.create_view('t085_v2', 'SELECT n, count(*) AS groups, sum(s) AS s FROM t085_v1 GROUP BY n')$$,
  'a view over it: a GROUP BY of its groups');
SELECT lives_ok($$SELECT pathway.create_view('t085_j', 'SELECT v.g, t.name, v.s FROM t085_v1 v JOIN t085_names t ON t.g = v.g')$$,
  'a view joining it with a table');
SELECT lives_ok($$SELECT pathway.create_view('t085_top', 'SELECT sum(groups) AS groups, sum(s) AS s FROM t085_v2')$$,
  'a third level');
SELECT is((SELECT count(*) FROM pg_class WHERE relname = 't085_v1' AND relreplident = 'f'), 0::bigint,
  'a live view as a source needs no REPLICA IDENTITY FULL');
SELECT pathway.sync();

SELECT results_eq('SELECT n, groups, s FROM t085_v2 ORDER BY n',
  $$VALUES (1::bigint, 1::bigint, 3::numeric), (2, 1, 3)$$, 'filled at creation');

-- a change reaches every level in one epoch
INSERT INTO t085_src VALUES (4, 2), (10, 3);
UPDATE t085_src SET g = 3 WHERE x = 1;
SELECT pathway.sync();
SELECT results_eq('SELECT g, n, s FROM t085_v1 ORDER BY g',
  $$VALUES (1, 1::bigint, 2::bigint), (2, 2, 7), (3, 2, 11)$$, 'level 1 follows its table');
SELECT results_eq('SELECT n, groups, s FROM t085_v2 ORDER BY n',
  $$VALUES (1::bigint, 1::bigint, 2::numeric), (2, 2, 18)$$, 'level 2 follows level 1 in the same epoch');
SELECT results_eq('SELECT g, name, s FROM t085_j ORDER BY g',
  $$VALUES (1, 'one', 2::bigint), (2, 'two', 7), (3, 'three', 11)$$, 'the join follows level 1 and the table');

-- a group of level 1 disappears, a name changes
DELETE FROM t085_src WHERE g = 1;
UPDATE t085_names SET name = 'TWO' WHERE g = 2;
SELECT pathway.sync();
SELECT results_eq('SELECT groups, s FROM t085_top', $$VALUES (2::numeric, 18::numeric)$$,
  'level 3 after a group of level 1 vanished');
SELECT results_eq('SELECT g, name, s FROM t085_j ORDER BY g',
  $$VALUES (2, 'TWO', 7::bigint), (3, 'three', 11)$$, 'the join after a group vanished and a name changed');

-- random changes, then the oracle at every level
INSERT INTO t085_src SELECT (random() * 100)::int, (random() * 20)::int FROM generate_series(1, 2000);
UPDATE t085_src SET g = g + 1 WHERE x % 7 = 0;
DELETE FROM t085_src WHERE x % 11 = 0;
INSERT INTO t085_names SELECT g, 'n' || g FROM generate_series(4, 15) g;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t085_v1')) + (SELECT count(*) FROM pathway.check_view('t085_v2'))
        + (SELECT count(*) FROM pathway.check_view('t085_j')) + (SELECT count(*) FROM pathway.check_view('t085_top')),
  0::bigint, 'every level equals its query after random changes');
SELECT is((SELECT s FROM t085_top), (SELECT sum(x) FROM t085_src)::numeric,
  'the top of the chain equals the sum over the base table');

-- two levels read in one statement agree
SELECT is((SELECT sum(s) FROM t085_v1)::numeric, (SELECT sum(s) FROM t085_v2),
  'levels 1 and 2 read together agree');

-- cleanup
SELECT pathway.drop_view('t085_top');
SELECT pathway.drop_view('t085_j');
SELECT pathway.drop_view('t085_v2');
SELECT pathway.drop_view('t085_v1');
DROP TABLE t085_src, t085_names;

SELECT * FROM finish();
