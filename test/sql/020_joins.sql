-- Inner joins: 2 and 3 tables (ON, USING, comma + WHERE), an extra
-- non-equality condition, a cross join, NULL keys, duplicates on both sides
-- (multiplicities multiply), an UPDATE moving a row to another partner, a
-- self-join and join keys of different types.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

-- leftovers of an interrupted run
DROP TABLE IF EXISTS t020_a, t020_b, t020_c, t020_d, t020_x, t020_y CASCADE;

SELECT plan(62);

CREATE TABLE t020_a (id int, k int, v int);
CREATE TABLE t020_b (k int, w int, tag text);
CREATE TABLE t020_c (tag text, label text);
CREATE TABLE t020_d (k bigint, z text);
CREATE TABLE t020_x (x int);
CREATE TABLE t020_y (y text);
INSERT INTO t020_a VALUES (1, 1, 10), (2, 2, 20), (3, NULL, 30), (4, 3, 40), (8, 1, 80);
INSERT INTO t020_b VALUES (1, 15, 'x'), (2, 5, 'y'), (NULL, 100, 'x'), (4, 50, 'z');
INSERT INTO t020_c VALUES ('x', 'X'), ('y', 'Y');
INSERT INTO t020_d VALUES (2, 'two'), (7, 'seven');
INSERT INTO t020_x VALUES (1), (2);
INSERT INTO t020_y VALUES ('a'), ('b');

SELECT lives_ok($$SELECT pathway.create_view('t020_on',
  'SELECT a.id, a.k, b.w FROM t020_a a JOIN t020_b b ON a.k = b.k')$$, 'create 2-table join (ON)');
SELECT lives_ok($$SELECT pathway.create_view('t020_using',
  'SELECT k, a.id, b.w FROM t020_a a JOIN t020_b b USING (k)')$$, 'create 2-table join (USING)');
SELECT lives_ok($$SELECT pathway.create_view('t020_three_on',
  'SELECT a.id, b.w, c.label FROM t020_a a JOIN t020_b b ON a.k = b.k JOIN t020_c c ON c.tag = b.tag')$$,
  'create 3-table join (ON)');
SELECT lives_ok($$SELECT pathway.create_view('t020_three_comma',
  'SELECT a.id, b.w, c.label FROM t020_a a, t020_b b, t020_c c WHERE a.k = b.k AND b.tag = c.tag')$$,
  'create 3-table join (comma + WHERE)');
SELECT lives_ok($$SELECT pathway.create_view('t020_nonequi',
  'SELECT a.id, b.w FROM t020_a a JOIN t020_b b ON a.k = b.k AND a.v < b.w')$$,
  'create join with an extra non-equality condition');
SELECT lives_ok($$SELECT pathway.create_view('t020_cross',
  'SELECT x, y FROM t020_x CROSS JOIN t020_y')$$, 'create cross join');
SELECT lives_ok($$SELECT pathway.create_view('t020_self',
  'SELECT p.id AS pid, q.id AS qid FROM t020_a p JOIN t020_a q ON p.k = q.k AND p.id < q.id')$$,
  'create self-join');
SELECT lives_ok($$SELECT pathway.create_view('t020_selfall',
  'SELECT p.id AS pid, q.id AS qid FROM t020_a p JOIN t020_a q ON p.k = q.k')$$,
  'create self-join where every row matches itself');
SELECT lives_ok($$SELECT pathway.create_view('t020_mixed',
  'SELECT a.id, d.z FROM t020_a a JOIN t020_d d ON a.k = d.k')$$,
  'create join on int = bigint');

SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after create');
SELECT results_eq('SELECT id, k, w FROM t020_on ORDER BY id',
  $$VALUES (1, 1, 15), (2, 2, 5), (8, 1, 15)$$, 'ON join: initial rows (NULL keys do not match)');
SELECT results_eq('SELECT k, id, w FROM t020_using ORDER BY k, id',
  $$VALUES (1, 1, 15), (1, 8, 15), (2, 2, 5)$$, 'USING join: initial rows');
SELECT results_eq('SELECT id, w, label FROM t020_three_on ORDER BY id',
  $$VALUES (1, 15, 'X'), (2, 5, 'Y'), (8, 15, 'X')$$, '3-table ON join: initial rows');
SELECT results_eq('SELECT id, w, label FROM t020_three_comma ORDER BY id',
  $$VALUES (1, 15, 'X'), (2, 5, 'Y'), (8, 15, 'X')$$, '3-table comma join: initial rows');
SELECT results_eq('SELECT id, w FROM t020_nonequi ORDER BY id',
  $$VALUES (1, 15)$$, 'non-equality join: initial rows');
SELECT results_eq('SELECT x, y FROM t020_cross ORDER BY x, y',
  $$VALUES (1, 'a'), (1, 'b'), (2, 'a'), (2, 'b')$$, 'cross join: initial rows');
SELECT results_eq('SELECT pid, qid FROM t020_self ORDER BY pid, qid',
  $$VALUES (1, 8)$$, 'self-join: initial rows');
SELECT results_eq('SELECT id, z FROM t020_mixed ORDER BY id',
  $$VALUES (2, 'two')$$, 'int = bigint join: initial rows');
SELECT results_eq('SELECT pid, qid FROM t020_selfall ORDER BY pid, qid',
  $$VALUES (1, 1), (1, 8), (2, 2), (4, 4), (8, 1), (8, 8)$$, 'self-join without inequality: initial rows');

-- 1. NULL keys never match, including after an UPDATE to NULL
INSERT INTO t020_a VALUES (5, NULL, 1);
INSERT INTO t020_b VALUES (NULL, 7, 'y');
UPDATE t020_a SET k = NULL WHERE id = 8;
UPDATE t020_b SET k = NULL WHERE k = 4;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after NULL-key changes');
SELECT results_eq('SELECT id, k, w FROM t020_on ORDER BY id',
  $$VALUES (1, 1, 15), (2, 2, 5)$$, 'ON join: a key updated to NULL leaves, NULL keys never match');
SELECT results_eq('SELECT pid, qid FROM t020_self ORDER BY pid, qid',
  $$SELECT 1, 1 WHERE false$$, 'self-join: NULL keys do not match themselves');
SELECT results_eq('SELECT id, w, label FROM t020_three_on ORDER BY id',
  $$VALUES (1, 15, 'X'), (2, 5, 'Y')$$, '3-table ON join after NULL-key changes');

-- 2. duplicates on both sides: multiplicities multiply
INSERT INTO t020_a VALUES (6, 7, 0), (6, 7, 0);
INSERT INTO t020_b VALUES (7, 70, 'x'), (7, 70, 'x'), (7, 70, 'x');
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after duplicates');
SELECT results_eq('SELECT id, k, w, count(*) FROM t020_on GROUP BY id, k, w ORDER BY id',
  $$VALUES (1, 1, 15, 1::bigint), (2, 2, 5, 1), (6, 7, 70, 6)$$, 'ON join: 2 x 3 duplicates give 6 rows');
SELECT results_eq('SELECT k, id, w, count(*) FROM t020_using GROUP BY k, id, w ORDER BY k, id',
  $$VALUES (1, 1, 15, 1::bigint), (2, 2, 5, 1), (7, 6, 70, 6)$$, 'USING join: 6 duplicate rows');
SELECT results_eq('SELECT id, w, count(*) FROM t020_nonequi GROUP BY id, w ORDER BY id',
  $$VALUES (1, 15, 1::bigint), (6, 70, 6)$$, 'non-equality join: 6 duplicate rows');

DELETE FROM t020_a WHERE ctid = (SELECT min(ctid) FROM t020_a WHERE id = 6);
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after deleting one left copy');
SELECT results_eq('SELECT id, k, w, count(*) FROM t020_on GROUP BY id, k, w ORDER BY id',
  $$VALUES (1, 1, 15, 1::bigint), (2, 2, 5, 1), (6, 7, 70, 3)$$, 'ON join: 1 x 3 = 3 rows');
DELETE FROM t020_b WHERE ctid = (SELECT min(ctid) FROM t020_b WHERE k = 7);
INSERT INTO t020_c VALUES ('x', 'X');
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after deleting one right copy and duplicating a c row');
SELECT results_eq('SELECT id, k, w, count(*) FROM t020_on GROUP BY id, k, w ORDER BY id',
  $$VALUES (1, 1, 15, 1::bigint), (2, 2, 5, 1), (6, 7, 70, 2)$$, 'ON join: 1 x 2 = 2 rows');
SELECT results_eq('SELECT id, w, label, count(*) FROM t020_three_on GROUP BY id, w, label ORDER BY id',
  $$VALUES (1, 15, 'X', 2::bigint), (2, 5, 'Y', 1), (6, 70, 'X', 4)$$,
  '3-table ON join: 1 x 2 x 2 = 4 rows, a duplicated c row doubles');
SELECT results_eq('SELECT id, w, label, count(*) FROM t020_three_comma GROUP BY id, w, label ORDER BY id',
  $$VALUES (1, 15, 'X', 2::bigint), (2, 5, 'Y', 1), (6, 70, 'X', 4)$$,
  '3-table comma join: same multiplicities');
DELETE FROM t020_c WHERE ctid = (SELECT max(ctid) FROM t020_c WHERE tag = 'x');

-- 3. an UPDATE moves a row from one join partner to another
UPDATE t020_a SET k = 2 WHERE id = 1;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after moving a row to another partner');
SELECT results_eq('SELECT id, k, w FROM t020_on ORDER BY id, w',
  $$VALUES (1, 2, 5), (2, 2, 5), (6, 7, 70), (6, 7, 70)$$, 'ON join: row 1 now joins b.k = 2');
SELECT results_eq('SELECT id, w FROM t020_nonequi ORDER BY id',
  $$VALUES (6, 70), (6, 70)$$, 'non-equality join: row 1 no longer satisfies a.v < b.w');
SELECT results_eq('SELECT pid, qid FROM t020_self ORDER BY pid, qid',
  $$VALUES (1, 2)$$, 'self-join: rows 1 and 2 now share a key');
SELECT results_eq('SELECT id, z FROM t020_mixed ORDER BY id',
  $$VALUES (1, 'two'), (2, 'two'), (6, 'seven')$$, 'int = bigint join follows the update');

UPDATE t020_b SET w = 6, tag = 'x' WHERE k = 2;
UPDATE t020_c SET label = 'XX' WHERE tag = 'x';
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after updates of the other tables');
SELECT results_eq('SELECT id, w, label FROM t020_three_on ORDER BY id',
  $$VALUES (1, 6, 'XX'), (2, 6, 'XX'), (6, 70, 'XX'), (6, 70, 'XX')$$,
  '3-table ON join follows updates of b and c');
SELECT results_eq('SELECT id, w, label FROM t020_three_comma ORDER BY id',
  $$VALUES (1, 6, 'XX'), (2, 6, 'XX'), (6, 70, 'XX'), (6, 70, 'XX')$$,
  '3-table comma join follows updates of b and c');

-- 4. deletes
DELETE FROM t020_b WHERE k = 2;
DELETE FROM t020_a WHERE id = 6;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after deletes');
SELECT results_eq('SELECT id, k, w FROM t020_on ORDER BY id',
  $$SELECT 1, 1, 1 WHERE false$$, 'ON join: empty after deleting every partner');

-- 5. one transaction changing both sides of the joins
BEGIN;
INSERT INTO t020_a VALUES (10, 50, 1);
INSERT INTO t020_b VALUES (50, 500, 'x');
UPDATE t020_a SET k = 50 WHERE id = 2;
INSERT INTO t020_b VALUES (1, 16, 'y');
UPDATE t020_a SET k = 1 WHERE id = 1;
COMMIT;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after one transaction changing both sides');
SELECT results_eq('SELECT id, k, w FROM t020_on ORDER BY id, w',
  $$VALUES (1, 1, 15), (1, 1, 16), (2, 50, 500), (10, 50, 500)$$,
  'ON join: inserts and updates on both sides in one transaction');
BEGIN;
DELETE FROM t020_b WHERE k = 50;
DELETE FROM t020_a WHERE id = 10;
INSERT INTO t020_a VALUES (11, 1, 5);
COMMIT;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after one transaction deleting from both sides');
SELECT results_eq('SELECT id, k, w FROM t020_on ORDER BY id, w',
  $$VALUES (1, 1, 15), (1, 1, 16), (11, 1, 15), (11, 1, 16)$$,
  'ON join: deletes on both sides and an insert in one transaction');
SELECT results_eq('SELECT id, w, label FROM t020_three_on ORDER BY id, w',
  $$VALUES (1, 15, 'XX'), (1, 16, 'Y'), (11, 15, 'XX'), (11, 16, 'Y')$$,
  '3-table ON join after the two transactions');
SELECT results_eq('SELECT pid, qid FROM t020_selfall ORDER BY pid, qid',
  $$VALUES (1, 1), (1, 11), (2, 2), (4, 4), (11, 1), (11, 11)$$, 'self-join without inequality after the two transactions');

-- cross join of two tiny tables
INSERT INTO t020_x VALUES (3);
DELETE FROM t020_y WHERE y = 'a';
INSERT INTO t020_y VALUES (NULL), ('b');
SELECT lives_ok($$SELECT pathway.sync('t020_cross')$$, 'sync the cross join');
SELECT results_eq('SELECT x, y FROM t020_cross ORDER BY x, y NULLS LAST',
  $$VALUES (1, 'b'), (1, 'b'), (1, NULL), (2, 'b'), (2, 'b'), (2, NULL), (3, 'b'), (3, 'b'), (3, NULL)$$,
  'cross join: 3 x 3 rows with a duplicate and a NULL');
DELETE FROM t020_x;
SELECT lives_ok($$SELECT pathway.sync('t020_cross')$$, 'sync the cross join after emptying one side');
SELECT is((SELECT count(*) FROM t020_cross), 0::bigint, 'cross join with an empty side is empty');

-- oracles
SELECT is((SELECT count(*) FROM (
    (TABLE t020_on EXCEPT ALL (SELECT a.id, a.k, b.w FROM t020_a a JOIN t020_b b ON a.k = b.k))
    UNION ALL
    ((SELECT a.id, a.k, b.w FROM t020_a a JOIN t020_b b ON a.k = b.k) EXCEPT ALL TABLE t020_on)) d),
  0::bigint, 't020_on equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t020_using EXCEPT ALL (SELECT k, a.id, b.w FROM t020_a a JOIN t020_b b USING (k)))
    UNION ALL
    ((SELECT k, a.id, b.w FROM t020_a a JOIN t020_b b USING (k)) EXCEPT ALL TABLE t020_using)) d),
  0::bigint, 't020_using equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t020_three_on EXCEPT ALL (SELECT a.id, b.w, c.label FROM t020_a a JOIN t020_b b ON a.k = b.k JOIN t020_c c ON c.tag = b.tag))
    UNION ALL
    ((SELECT a.id, b.w, c.label FROM t020_a a JOIN t020_b b ON a.k = b.k JOIN t020_c c ON c.tag = b.tag) EXCEPT ALL TABLE t020_three_on)) d),
  0::bigint, 't020_three_on equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t020_three_comma EXCEPT ALL (SELECT a.id, b.w, c.label FROM t020_a a, t020_b b, t020_c c WHERE a.k = b.k AND b.tag = c.tag))
    UNION ALL
    ((SELECT a.id, b.w, c.label FROM t020_a a, t020_b b, t020_c c WHERE a.k = b.k AND b.tag = c.tag) EXCEPT ALL TABLE t020_three_comma)) d),
  0::bigint, 't020_three_comma equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t020_nonequi EXCEPT ALL (SELECT a.id, b.w FROM t020_a a JOIN t020_b b ON a.k = b.k AND a.v < b.w))
    UNION ALL
    ((SELECT a.id, b.w FROM t020_a a JOIN t020_b b ON a.k = b.k AND a.v < b.w) EXCEPT ALL TABLE t020_nonequi)) d),
  0::bigint, 't020_nonequi equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t020_cross EXCEPT ALL (SELECT x, y FROM t020_x CROSS JOIN t020_y))
    UNION ALL
    ((SELECT x, y FROM t020_x CROSS JOIN t020_y) EXCEPT ALL TABLE t020_cross)) d),
  0::bigint, 't020_cross equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t020_self EXCEPT ALL (SELECT p.id AS pid, q.id AS qid FROM t020_a p JOIN t020_a q ON p.k = q.k AND p.id < q.id))
    UNION ALL
    ((SELECT p.id AS pid, q.id AS qid FROM t020_a p JOIN t020_a q ON p.k = q.k AND p.id < q.id) EXCEPT ALL TABLE t020_self)) d),
  0::bigint, 't020_self equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t020_selfall EXCEPT ALL (SELECT p.id AS pid, q.id AS qid FROM t020_a p JOIN t020_a q ON p.k = q.k))
    UNION ALL
    ((SELECT p.id AS pid, q.id AS qid FROM t020_a p JOIN t020_a q ON p.k = q.k) EXCEPT ALL TABLE t020_selfall)) d),
  0::bigint, 't020_selfall equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t020_mixed EXCEPT ALL (SELECT a.id, d.z FROM t020_a a JOIN t020_d d ON a.k = d.k))
    UNION ALL
    ((SELECT a.id, d.z FROM t020_a a JOIN t020_d d ON a.k = d.k) EXCEPT ALL TABLE t020_mixed)) d),
  0::bigint, 't020_mixed equals its query');

-- cleanup
SELECT pathway.drop_view(v) FROM unnest(ARRAY['t020_on', 't020_using', 't020_three_on', 't020_three_comma',
                                              't020_nonequi', 't020_cross', 't020_self', 't020_selfall', 't020_mixed']) v;
DROP TABLE t020_a, t020_b, t020_c, t020_d, t020_x, t020_y;

SELECT * FROM finish();
