-- pathway.create_iterate_view: a fixed number of rounds of a step with
-- aggregates in it (which WITH RECURSIVE forbids): label propagation that
-- reaches its fixed point (connected components), PageRank in numeric
-- (exact, so PostgreSQL's answer is the same to the last digit), a step
-- with its own WITH list; edges inserted, deleted and moved; the bounds
-- on rounds.  Exact rows and check_view after every change.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t245_n, t245_e CASCADE;

SELECT plan(17);

CREATE TABLE t245_n (id int PRIMARY KEY);
CREATE TABLE t245_e (src int, dst int);
INSERT INTO t245_n SELECT generate_series(1, 8);
-- two chains, 1-2-3-4 and 5-6, and 7, 8 alone
INSERT INTO t245_e VALUES (1, 2), (2, 3), (3, 4), (5, 6);

-- label propagation: each node takes the least label among itself and its
-- neighbours; 6 rounds are at least the longest path, so the result is
-- the fixed point (the connected components)
SELECT pathway.create_iterate_view('t245_labels',
  'SELECT id AS node, id AS label FROM t245_n',
  $$SELECT node, min(label) AS label FROM (
      SELECT node, label FROM prev
      UNION ALL SELECT e.dst, p.label FROM prev p JOIN t245_e e ON e.src = p.node
      UNION ALL SELECT e.src, p.label FROM prev p JOIN t245_e e ON e.dst = p.node) x
    GROUP BY node$$,
  6);
-- the same for 1 round only: labels one hop away
SELECT pathway.create_iterate_view('t245_hop',
  'SELECT id AS node, id AS label FROM t245_n',
  $$SELECT node, min(label) AS label FROM (
      SELECT node, label FROM prev
      UNION ALL SELECT e.dst, p.label FROM prev p JOIN t245_e e ON e.src = p.node
      UNION ALL SELECT e.src, p.label FROM prev p JOIN t245_e e ON e.dst = p.node) x
    GROUP BY node;$$,
  1);
-- PageRank, damping 0.85, 10 rounds, in numeric rounded at each round
SELECT pathway.create_iterate_view('t245_rank',
  $$SELECT id AS node, round(1.0 / c.total, 6) AS rank FROM t245_n CROSS JOIN (SELECT count(*) AS total FROM t245_n) c$$,
  $$WITH out AS (SELECT src, count(*) AS deg FROM t245_e GROUP BY src)
    SELECT n.id AS node,
           round(0.15 / c.total + 0.85 * coalesce(sum(p.rank / o.deg), 0), 6) AS rank
      FROM t245_n n
      CROSS JOIN (SELECT count(*) AS total FROM t245_n) c
      LEFT JOIN t245_e e ON e.dst = n.id
      LEFT JOIN prev p ON p.node = e.src
      LEFT JOIN out o ON o.src = e.src
     GROUP BY n.id, c.total$$,
  10);
SELECT pathway.sync();

CREATE FUNCTION pg_temp.t245_clean() RETURNS bigint LANGUAGE sql AS
  $$SELECT sum((SELECT count(*) FROM pathway.check_view(name))) FROM pathway.views WHERE name LIKE 't245%'$$;

SELECT results_eq('SELECT node, label FROM t245_labels ORDER BY node',
  $$VALUES (1, 1), (2, 1), (3, 1), (4, 1), (5, 5), (6, 5), (7, 7), (8, 8)$$, 'label propagation: the components');
SELECT results_eq('SELECT node, label FROM t245_hop ORDER BY node',
  $$VALUES (1, 1), (2, 1), (3, 2), (4, 3), (5, 5), (6, 5), (7, 7), (8, 8)$$, 'one round: the least label one hop away');
SELECT results_eq('SELECT node, rank FROM t245_rank WHERE node IN (1, 7) ORDER BY node',
  $$VALUES (1, 0.018750), (7, 0.018750)$$, 'PageRank: a node without in-edges keeps the teleport share');
SELECT ok((SELECT rank FROM t245_rank WHERE node = 4) > (SELECT rank FROM t245_rank WHERE node = 2),
  'PageRank: rank flows down the chain');
SELECT is(pg_temp.t245_clean(), 0::bigint, 'every view equals its query');

-- an edge that joins the components, one that leaves, one that moves
INSERT INTO t245_e VALUES (4, 5), (7, 8);
SELECT pathway.sync();
SELECT results_eq('SELECT node, label FROM t245_labels ORDER BY node',
  $$VALUES (1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 7), (8, 7)$$, 'components merge');
SELECT is(pg_temp.t245_clean(), 0::bigint, 'every view equals its query after the inserts');
DELETE FROM t245_e WHERE src = 2 AND dst = 3;
SELECT pathway.sync();
SELECT results_eq('SELECT node, label FROM t245_labels ORDER BY node',
  $$VALUES (1, 1), (2, 1), (3, 3), (4, 3), (5, 3), (6, 3), (7, 7), (8, 7)$$, 'a component splits');
SELECT is(pg_temp.t245_clean(), 0::bigint, 'every view equals its query after the delete');
UPDATE t245_e SET src = 1 WHERE src = 7;
INSERT INTO t245_n VALUES (9);
SELECT pathway.sync();
SELECT results_eq('SELECT node, label FROM t245_labels ORDER BY node',
  $$VALUES (1, 1), (2, 1), (3, 3), (4, 3), (5, 3), (6, 3), (7, 7), (8, 1), (9, 9)$$, 'an edge moves, a node arrives');
SELECT results_eq('SELECT count(*), max(rank) FILTER (WHERE node = 9) FROM t245_rank', $$VALUES (9::bigint, 0.016667)$$, 'PageRank over the new node');
SELECT is(pg_temp.t245_clean(), 0::bigint, 'every view equals its query after the update');

-- a longer chain than the rounds: the labels stop 6 hops away, as the query says
INSERT INTO t245_n SELECT generate_series(10, 20);
INSERT INTO t245_e SELECT g, g + 1 FROM generate_series(10, 19) g;
SELECT pathway.sync();
SELECT results_eq('SELECT label FROM t245_labels WHERE node = 20', $$VALUES (14)$$, 'six rounds reach six hops');
SELECT is(pg_temp.t245_clean(), 0::bigint, 'every view equals its query on the long chain');

SELECT throws_ok($$SELECT pathway.create_iterate_view('t245_bad', 'SELECT 1 AS x FROM t245_n', 'SELECT x FROM prev', 0)$$,
  '22023', 'rounds must be between 1 and 100, not 0', 'rounds of 0 are refused');
SELECT throws_ok($$SELECT pathway.create_iterate_view('t245_bad', 'SELECT 1 AS x FROM t245_n', 'SELECT x FROM prev', 101)$$,
  '22023', 'rounds must be between 1 and 100, not 101', 'more than 100 rounds are refused');
SELECT ok(EXISTS (SELECT 1 FROM pathway.views WHERE name = 't245_rank' AND query LIKE '%pathway_round_10 AS%'),
  'the stored query is the rounds written out');

SELECT pathway.drop_view(name) FROM pathway.views WHERE name LIKE 't245%';
DROP TABLE t245_n, t245_e CASCADE;
SELECT * FROM finish();
