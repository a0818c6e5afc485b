-- WITH RECURSIVE: UNION (a set) and UNION ALL (a bag, every derivation),
-- on a tree, a DAG with a diamond, cycles and self-loops; an edge deleted
-- that disconnects and one that does not; rows that only supported each
-- other through a cycle; depth bounds, path arrays with a cycle check,
-- SEARCH and CYCLE; aggregates, DISTINCT and joins over the result; the
-- recursion that does not end stopped by pathway.max_iterations; what is
-- refused.  Exact rows, check_view after every change, then random edges.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t240_emp, t240_e, t240_g CASCADE;

SELECT plan(55);

-- an org chart (a tree) and a small graph
CREATE TABLE t240_emp (id int PRIMARY KEY, boss int, name text);
INSERT INTO t240_emp VALUES (1, NULL, 'ada'), (2, 1, 'bo'), (3, 1, 'cy'), (4, 2, 'di'), (5, 4, 'ed');
CREATE TABLE t240_e (src int, dst int);
-- a diamond 1->2->4, 1->3->4, then 4->5
INSERT INTO t240_e VALUES (1, 2), (1, 3), (2, 4), (3, 4), (4, 5);

CREATE TEMP TABLE t240_q (name text, q text);
INSERT INTO t240_q VALUES
  ('t240_chain', $$WITH RECURSIVE sub(id, name, depth) AS (
      SELECT id, name, 0 FROM t240_emp WHERE boss IS NULL
      UNION ALL
      SELECT e.id, e.name, s.depth + 1 FROM t240_emp e JOIN sub s ON e.boss = s.id)
    SELECT id, name, depth FROM sub$$),
  ('t240_reach', $$WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT e.dst FROM r JOIN t240_e e ON e.src = r.n) SELECT n FROM r$$),
  ('t240_walks', $$WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT e.dst FROM r JOIN t240_e e ON e.src = r.n) SELECT n FROM r$$),
  ('t240_near', $$WITH RECURSIVE r(n, d) AS (SELECT 1, 0 UNION ALL SELECT e.dst, r.d + 1 FROM r JOIN t240_e e ON e.src = r.n WHERE r.d < 2) SELECT n, d FROM r$$),
  ('t240_paths', $$WITH RECURSIVE r(n, path) AS (SELECT 1, ARRAY[1] UNION ALL SELECT e.dst, r.path || e.dst FROM r JOIN t240_e e ON e.src = r.n WHERE NOT e.dst = ANY(r.path)) SELECT n, path FROM r$$),
  ('t240_count', $$WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT e.dst FROM r JOIN t240_e e ON e.src = r.n) SELECT n, count(*) AS ways FROM r GROUP BY n$$),
  ('t240_named', $$WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT e.dst FROM r JOIN t240_e e ON e.src = r.n) SELECT DISTINCT m.name FROM r JOIN t240_emp m ON m.id = r.n$$),
  ('t240_cycle', $$WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT e.dst FROM r JOIN t240_e e ON e.src = r.n) CYCLE n SET is_cycle USING path SELECT n, is_cycle, cardinality(path) AS len FROM r$$),
  ('t240_shared', $$WITH RECURSIVE ok AS (SELECT src, dst FROM t240_e WHERE dst <> 3), r(n) AS (SELECT 1 UNION SELECT ok.dst FROM r JOIN ok ON ok.src = r.n) SELECT r.n, ok.dst FROM r JOIN ok ON ok.src = r.n$$),
  ('t240_two', $$WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT e.dst FROM r JOIN t240_e e ON e.src = r.n) SELECT a.n, count(*) AS below FROM r a JOIN r b ON b.n <= a.n GROUP BY a.n$$),
  ('t240_in', $$SELECT DISTINCT src FROM t240_e WHERE dst IN (WITH RECURSIVE r(n) AS (SELECT 4 UNION SELECT e.dst FROM r JOIN t240_e e ON e.src = r.n) SELECT n FROM r)$$),
  ('t240_left', $$WITH RECURSIVE r(n, m) AS (SELECT 1, 0 UNION SELECT coalesce(e.dst, -1), r.m + 1 FROM r LEFT JOIN t240_e e ON e.src = r.n WHERE r.n > 0 AND r.m < 4) SELECT n, m FROM r$$),
  ('t240_avoid', $$WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT e.dst FROM r JOIN t240_e e ON e.src = r.n WHERE NOT EXISTS (SELECT 1 FROM t240_emp x WHERE x.id = e.dst AND x.name = 'cy')) SELECT n FROM r$$),
  ('t240_search', $$WITH RECURSIVE r(n, d) AS (SELECT 1, 0 UNION ALL SELECT e.dst, r.d + 1 FROM r JOIN t240_e e ON e.src = r.n WHERE r.d < 3) SEARCH DEPTH FIRST BY n SET ord SELECT n, d, ord::text AS ord FROM r$$);
SELECT pathway.create_view(name, q) FROM t240_q;
SELECT pathway.sync();

CREATE FUNCTION pg_temp.t240_clean() RETURNS bigint LANGUAGE sql AS
  $$SELECT sum((SELECT count(*) FROM pathway.check_view(name))) FROM t240_q$$;

SELECT results_eq('SELECT id, name, depth FROM t240_chain ORDER BY id',
  $$VALUES (1, 'ada'::text, 0), (2, 'bo', 1), (3, 'cy', 1), (4, 'di', 2), (5, 'ed', 3)$$, 'a tree with depths');
SELECT results_eq('SELECT n FROM t240_reach ORDER BY n', $$VALUES (1), (2), (3), (4), (5)$$,
  'UNION: each node once');
SELECT results_eq('SELECT n FROM t240_walks ORDER BY n', $$VALUES (1), (2), (3), (4), (4), (5), (5)$$,
  'UNION ALL: the diamond derives 4 and 5 twice');
SELECT results_eq('SELECT n, d FROM t240_near ORDER BY n, d', $$VALUES (1, 0), (2, 1), (3, 1), (4, 2), (4, 2)$$,
  'a depth bound');
SELECT results_eq('SELECT path::text FROM t240_paths ORDER BY t240_paths.path',
  $$VALUES ('{1}'), ('{1,2}'), ('{1,2,4}'), ('{1,2,4,5}'), ('{1,3}'), ('{1,3,4}'), ('{1,3,4,5}')$$, 'path arrays');
SELECT results_eq('SELECT n, ways FROM t240_count ORDER BY n', $$VALUES (1, 1::bigint), (2, 1), (3, 1), (4, 2), (5, 2)$$,
  'an aggregate over the recursive result');
SELECT results_eq('SELECT name FROM t240_named ORDER BY name', $$VALUES ('ada'::text), ('bo'), ('cy'), ('di'), ('ed')$$,
  'DISTINCT and a join over it');
SELECT results_eq('SELECT n, is_cycle, len FROM t240_cycle ORDER BY n, len', $$VALUES (1, false, 1), (2, false, 2), (3, false, 2), (4, false, 3), (4, false, 3), (5, false, 4), (5, false, 4)$$,
  'CYCLE on a DAG: no cycle');
SELECT results_eq('SELECT n, d, ord FROM t240_search ORDER BY n, ord',
  $$VALUES (1, 0, '{(1)}'), (2, 1, '{(1),(2)}'), (3, 1, '{(1),(3)}'), (4, 2, '{(1),(2),(4)}'), (4, 2, '{(1),(3),(4)}'), (5, 3, '{(1),(2),(4),(5)}'), (5, 3, '{(1),(3),(4),(5)}')$$,
  'SEARCH DEPTH FIRST');
SELECT results_eq('SELECT n, dst FROM t240_shared ORDER BY n, dst', $$VALUES (1, 2), (2, 4), (4, 5)$$,
  'a WITH query read inside the recursive term and outside it');
SELECT results_eq('SELECT src FROM t240_in ORDER BY src', $$VALUES (2), (3), (4)$$, 'a recursive query in IN (subquery)');
SELECT results_eq('SELECT n, m FROM t240_left ORDER BY m, n', $$VALUES (1, 0), (2, 1), (3, 1), (4, 2), (5, 3), (-1, 4)$$,
  'a LEFT JOIN with the working table on the preserved side');
SELECT results_eq('SELECT n FROM t240_avoid ORDER BY n', $$VALUES (1), (2), (4), (5)$$, 'NOT EXISTS on another table in the recursive term');
SELECT results_eq('SELECT n, below FROM t240_two ORDER BY n', $$VALUES (1, 1::bigint), (2, 2), (3, 3), (4, 4), (5, 5)$$,
  'the recursive result read twice (a self-join)');
SELECT is(pg_temp.t240_clean(), 0::bigint, 'every view equals its query');

-- a deleted edge that does not disconnect: 4 is still reached through 3
DELETE FROM t240_e WHERE src = 2 AND dst = 4;
SELECT pathway.sync();
SELECT results_eq('SELECT n FROM t240_reach ORDER BY n', $$VALUES (1), (2), (3), (4), (5)$$,
  'UNION: another path remains');
SELECT results_eq('SELECT n FROM t240_walks ORDER BY n', $$VALUES (1), (2), (3), (4), (5)$$,
  'UNION ALL: one derivation of 4 and 5 left');
SELECT is(pg_temp.t240_clean(), 0::bigint, 'every view equals its query after the delete');

-- one that disconnects
DELETE FROM t240_e WHERE src = 3 AND dst = 4;
SELECT pathway.sync();
SELECT results_eq('SELECT n FROM t240_reach ORDER BY n', $$VALUES (1), (2), (3)$$, 'UNION: 4 and 5 are cut off');
SELECT results_eq('SELECT n, ways FROM t240_count ORDER BY n', $$VALUES (1, 1::bigint), (2, 1), (3, 1)$$,
  'the aggregate follows');
SELECT is(pg_temp.t240_clean(), 0::bigint, 'every view equals its query after the cut');

-- a cycle and a self-loop (the UNION ALL views over the graph would not
-- end: they go first; t240_near and t240_paths stay bounded)
SELECT pathway.drop_view(name) FROM t240_q WHERE name IN ('t240_walks', 't240_count', 't240_named', 't240_search');
DELETE FROM t240_q WHERE name IN ('t240_walks', 't240_count', 't240_named', 't240_search');
INSERT INTO t240_e VALUES (3, 4), (4, 2), (5, 5);
SELECT pathway.sync();
SELECT results_eq('SELECT n FROM t240_reach ORDER BY n', $$VALUES (1), (2), (3), (4), (5)$$, 'UNION over a cycle');
SELECT results_eq('SELECT path::text FROM t240_paths ORDER BY t240_paths.path',
  $$VALUES ('{1}'), ('{1,2}'), ('{1,3}'), ('{1,3,4}'), ('{1,3,4,2}'), ('{1,3,4,5}')$$, 'paths stop at a node they hold');
SELECT results_eq('SELECT n, is_cycle, len FROM t240_cycle ORDER BY n, len, is_cycle',
  $$VALUES (1, false, 1), (2, false, 2), (2, false, 4), (3, false, 2), (4, false, 3), (5, false, 4), (5, true, 5)$$,
  'CYCLE marks the row that closes a cycle');
SELECT results_eq('SELECT n, d FROM t240_near ORDER BY n, d', $$VALUES (1, 0), (2, 1), (3, 1), (4, 2)$$,
  'a depth bound over a cycle');
SELECT is(pg_temp.t240_clean(), 0::bigint, 'every view equals its query with cycles');

-- rows that support each other through a cycle vanish when their root goes
DELETE FROM t240_e WHERE src = 1;
SELECT pathway.sync();
SELECT results_eq('SELECT n FROM t240_reach', $$VALUES (1)$$, 'a cycle cut off from the root is gone');
SELECT results_eq('SELECT n, is_cycle FROM t240_cycle', $$VALUES (1, false)$$, 'CYCLE too');
SELECT is(pg_temp.t240_clean(), 0::bigint, 'every view equals its query after the cycle is cut off');
INSERT INTO t240_e VALUES (1, 4);
SELECT pathway.sync();
SELECT results_eq('SELECT n FROM t240_reach ORDER BY n', $$VALUES (1), (2), (4), (5)$$, 'and is back through another edge');
UPDATE t240_e SET dst = 5 WHERE src = 1;
SELECT pathway.sync();
SELECT results_eq('SELECT n FROM t240_reach ORDER BY n', $$VALUES (1), (5)$$, 'an update moves the edge');
SELECT is(pg_temp.t240_clean(), 0::bigint, 'every view equals its query after the update');

-- the tree: a new level, a manager who leaves, a move
INSERT INTO t240_emp VALUES (6, 5, 'fu');
UPDATE t240_emp SET boss = 3 WHERE id = 4;
DELETE FROM t240_emp WHERE id = 2;
SELECT pathway.sync();
SELECT results_eq('SELECT id, depth FROM t240_chain ORDER BY id', $$VALUES (1, 0), (3, 1), (4, 2), (5, 3), (6, 4)$$,
  'the tree after a move and a removal');
UPDATE t240_emp SET boss = 2 WHERE id = 3;
SELECT pathway.sync();
SELECT results_eq('SELECT id, depth FROM t240_chain ORDER BY id', $$VALUES (1, 0)$$, 'a subtree under a missing boss is gone');
SELECT is(pg_temp.t240_clean(), 0::bigint, 'every view equals its query after the tree changes');

-- connected components over an undirected reachability: min(label) per node
CREATE TABLE t240_g (a int, b int);
INSERT INTO t240_g VALUES (1, 2), (2, 3), (4, 5), (6, 6), (7, 8), (8, 7);
INSERT INTO t240_q VALUES
  ('t240_cc', $$WITH RECURSIVE r(label, n) AS (
      SELECT a, a FROM t240_g UNION SELECT b, b FROM t240_g
      UNION
      SELECT r.label, u.y FROM r JOIN (SELECT a AS x, b AS y FROM t240_g UNION ALL SELECT b, a FROM t240_g) u ON u.x = r.n)
    SELECT n, min(label) AS component FROM r GROUP BY n$$),
  ('t240_sizes', $$WITH RECURSIVE r(label, n) AS (
      SELECT a, a FROM t240_g UNION SELECT b, b FROM t240_g
      UNION
      SELECT r.label, u.y FROM r JOIN (SELECT a AS x, b AS y FROM t240_g UNION ALL SELECT b, a FROM t240_g) u ON u.x = r.n)
    SELECT component, count(*) AS size FROM (SELECT n, min(label) AS component FROM r GROUP BY n) c GROUP BY component$$);
SELECT pathway.create_view(name, q) FROM t240_q WHERE name IN ('t240_cc', 't240_sizes');
SELECT pathway.sync();
SELECT results_eq('SELECT n, component FROM t240_cc ORDER BY n',
  $$VALUES (1, 1), (2, 1), (3, 1), (4, 4), (5, 4), (6, 6), (7, 7), (8, 7)$$, 'connected components');
INSERT INTO t240_g VALUES (3, 4);
DELETE FROM t240_g WHERE a = 7;
SELECT pathway.sync();
SELECT results_eq('SELECT n, component FROM t240_cc ORDER BY n',
  $$VALUES (1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 6), (7, 7), (8, 7)$$, 'two components merge; one stays joined by its other edge');
DELETE FROM t240_g WHERE a = 2 AND b = 3;
SELECT pathway.sync();
SELECT results_eq('SELECT component, size FROM t240_sizes ORDER BY component',
  $$VALUES (1, 2::bigint), (3, 3), (6, 1), (7, 2)$$, 'a component splits');
SELECT is(pg_temp.t240_clean(), 0::bigint, 'every view equals its query after the components change');

-- random edges on a graph of 300 nodes, several epochs (the components'
-- all-pairs query would be slow for PostgreSQL itself there)
SELECT pathway.drop_view(name) FROM t240_q WHERE name IN ('t240_cc', 't240_sizes');
DELETE FROM t240_q WHERE name IN ('t240_cc', 't240_sizes');
TRUNCATE t240_g;
SELECT pathway.sync();
SELECT setseed(0.24);
INSERT INTO t240_g SELECT (random() * 300)::int, (random() * 300)::int FROM generate_series(1, 450);
INSERT INTO t240_q VALUES
  ('t240_from', $$WITH RECURSIVE r(root, n) AS (SELECT a, a FROM t240_g WHERE a % 50 = 0 UNION SELECT r.root, g.b FROM r JOIN t240_g g ON g.a = r.n) SELECT root, n FROM r$$),
  ('t240_hops', $$WITH RECURSIVE r(n, d) AS (SELECT a, 0 FROM t240_g WHERE a % 30 = 0 UNION ALL SELECT g.b, r.d + 1 FROM r JOIN t240_g g ON g.a = r.n WHERE r.d < 3) SELECT n, d, count(*) AS c FROM r GROUP BY n, d$$);
SELECT pathway.create_view(name, q) FROM t240_q WHERE name IN ('t240_from', 't240_hops');
SELECT pathway.sync();
SELECT is(pg_temp.t240_clean(), 0::bigint, 'random graph: every view equals its query');
SELECT ok((SELECT count(*) FROM t240_from) > 200, 'random graph: reachability is not trivial');
DELETE FROM t240_g WHERE ctid IN (SELECT ctid FROM t240_g ORDER BY random() LIMIT 20);
INSERT INTO t240_g SELECT (random() * 300)::int, (random() * 300)::int FROM generate_series(1, 20);
SELECT pathway.sync();
SELECT is(pg_temp.t240_clean(), 0::bigint, 'random graph: after 20 deletes and 20 inserts in one transaction');
DELETE FROM t240_g WHERE ctid IN (SELECT ctid FROM t240_g ORDER BY random() LIMIT 1);
SELECT pathway.sync();
INSERT INTO t240_g SELECT (random() * 300)::int, (random() * 300)::int;
SELECT pathway.sync();
DELETE FROM t240_g WHERE ctid IN (SELECT ctid FROM t240_g WHERE a % 50 = 0 ORDER BY random() LIMIT 2);
SELECT pathway.sync();
UPDATE t240_g SET b = (random() * 300)::int WHERE ctid IN (SELECT ctid FROM t240_g ORDER BY random() LIMIT 10);
SELECT pathway.sync();
SELECT is(pg_temp.t240_clean(), 0::bigint, 'random graph: after single changes in separate epochs');
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't240%' AND status <> 'running'), 0::bigint,
  'every view is running');

-- a recursion that does not end: UNION ALL over a cycle without a bound
INSERT INTO t240_q VALUES
  ('t240_loop', $$WITH RECURSIVE r(n) AS (SELECT a FROM t240_g WHERE a = 1000 UNION ALL SELECT g.b FROM r JOIN t240_g g ON g.a = r.n) SELECT n FROM r$$);
SELECT pathway.create_view(name, q) FROM t240_q WHERE name = 't240_loop';
INSERT INTO t240_g VALUES (1000, 1001), (1001, 1002);
SELECT pathway.sync();
SELECT results_eq('SELECT n FROM t240_loop ORDER BY n', $$VALUES (1000), (1001), (1002)$$, 'no cycle yet');
INSERT INTO t240_g VALUES (1002, 1000);
SELECT throws_like('SELECT pathway.sync()', '%live view "t240_loop" has failed%', 'the cycle makes the view fail');
SELECT alike((SELECT error FROM pathway.views WHERE name = 't240_loop'),
  'recursive query "r" did not reach a fixed point in pathway.max_iterations (10000) rounds%', 'with the reason');
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't240%' AND status <> 'running'), 1::bigint,
  'the others go on');
SELECT pathway.drop_view('t240_loop');
DELETE FROM t240_q WHERE name = 't240_loop';

-- a cycle that two paths take: a row's count doubles each round, stopped
-- long before its weight could wrap around
INSERT INTO t240_q VALUES
  ('t240_double', $$WITH RECURSIVE r(n) AS (SELECT a FROM t240_g WHERE a = 2000 UNION ALL SELECT g.b FROM r JOIN t240_g g ON g.a = r.n) SELECT n FROM r$$);
SELECT pathway.create_view(name, q) FROM t240_q WHERE name = 't240_double';
INSERT INTO t240_g VALUES (2000, 2001), (2000, 2001);
SELECT pathway.sync();
SELECT results_eq('SELECT n FROM t240_double ORDER BY n', $$VALUES (2000), (2000), (2001), (2001), (2001), (2001)$$, 'two equal edges: two copies of the root, four derivations of its successor');
INSERT INTO t240_g VALUES (2001, 2000), (2001, 2000);
SELECT throws_like('SELECT pathway.sync()', '%live view "t240_double" has failed%', 'the doubling cycle makes the view fail');
SELECT is((SELECT error FROM pathway.views WHERE name = 't240_double'),
  'recursive query "r" derived more than 2^40 copies of a row', 'before its counts overflow');
SELECT pathway.drop_view('t240_double');
DELETE FROM t240_q WHERE name = 't240_double';

-- refused at creation
SELECT throws_ok($$SELECT pathway.create_view('t240_bad', 'WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT DISTINCT e.dst FROM r JOIN t240_e e ON e.src = r.n) SELECT n FROM r')$$,
  '0A000', 'cannot maintain view "t240_bad"', 'DISTINCT in the recursive term is refused');
SELECT throws_ok($$SELECT pathway.create_view('t240_bad', 'WITH RECURSIVE r(n) AS (SELECT 1 UNION (SELECT e.dst FROM r JOIN t240_e e ON e.src = r.n LIMIT 3)) SELECT n FROM r')$$,
  '0A000', 'cannot maintain view "t240_bad"', 'LIMIT in the recursive term is refused');
SELECT throws_ok($$SELECT pathway.create_view('t240_bad', 'WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT x.n FROM (SELECT DISTINCT r.n + 1 AS n FROM r) x WHERE x.n < 5) SELECT n FROM r')$$,
  '0A000', 'cannot maintain view "t240_bad"', 'DISTINCT over the working table in a subquery is refused');
SELECT is((SELECT setting FROM pg_settings WHERE name = 'pathway.max_iterations'), '10000', 'pathway.max_iterations: 10000 by default');

SELECT pathway.drop_view(name) FROM t240_q;
DROP TABLE t240_emp, t240_e, t240_g CASCADE;
SELECT * FROM finish();
