-- DISTINCT views and bag semantics: the unique index on a DISTINCT view,
-- duplicates inserted and deleted one at a time (a DISTINCT row stays until
-- its last copy goes), exact duplicate counts in a plain view, a row
-- inserted and deleted in one transaction, many changes in one transaction.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

-- leftovers of an interrupted run
DROP TABLE IF EXISTS t040_t, t040_bag CASCADE;

SELECT plan(47);

CREATE TABLE t040_t (id int, k int, v text);
INSERT INTO t040_t VALUES (1, 1, 'a'), (2, 1, 'a'), (3, 2, 'b'), (4, NULL, NULL), (5, NULL, NULL), (6, 2, NULL);
CREATE TABLE t040_bag (k int, v text);
INSERT INTO t040_bag VALUES (1, 'x'), (1, 'x'), (2, 'y');

SELECT lives_ok($$SELECT pathway.create_view('t040_d', 'SELECT DISTINCT k, v FROM t040_t')$$,
  'create DISTINCT view');
SELECT lives_ok($$SELECT pathway.create_view('t040_proj', 'SELECT k FROM t040_t')$$,
  'create projection view (duplicates from distinct source rows)');
SELECT lives_ok($$SELECT pathway.create_view('t040_bd', 'SELECT DISTINCT k, v FROM t040_bag')$$,
  'create DISTINCT view over identical rows');
SELECT lives_ok($$SELECT pathway.create_view('t040_b', 'SELECT k, v FROM t040_bag')$$,
  'create bag view over identical rows');
SELECT lives_ok($$SELECT pathway.create_view('t040_dj',
  'SELECT DISTINCT t.k FROM t040_t t JOIN t040_bag b ON t.k = b.k')$$, 'create DISTINCT over a join');

SELECT is((SELECT count(*) FROM pg_index WHERE indrelid = 't040_d'::regclass
            AND indisunique AND indnullsnotdistinct AND indnatts = 2), 1::bigint,
          'DISTINCT view has a unique NULLS NOT DISTINCT index on all its columns');
SELECT is((SELECT count(*) FROM pg_index WHERE indrelid = 't040_proj'::regclass), 0::bigint,
          'a plain projection view has no index');
SELECT is((SELECT count(*) FROM pg_index WHERE indrelid = 't040_b'::regclass), 0::bigint,
          'a bag view has no index');

SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after create');
SELECT results_eq('SELECT k, v FROM t040_d ORDER BY k NULLS LAST, v NULLS LAST',
  $$VALUES (1, 'a'), (2, 'b'), (2, NULL), (NULL, NULL::text)$$,
  'DISTINCT: one row per distinct (k, v), NULLs are not distinct');
SELECT results_eq('SELECT k, count(*) FROM t040_proj GROUP BY k ORDER BY k NULLS LAST',
  $$VALUES (1, 2::bigint), (2, 2), (NULL, 2)$$, 'projection keeps duplicates');
SELECT results_eq('SELECT k, v, count(*) FROM t040_b GROUP BY k, v ORDER BY k',
  $$VALUES (1, 'x', 2::bigint), (2, 'y', 1)$$, 'bag view has identical rows twice');
SELECT results_eq('SELECT k FROM t040_dj ORDER BY k', $$VALUES (1), (2)$$, 'DISTINCT over a join');

-- copies of (1, 'a') go one at a time
DELETE FROM t040_t WHERE id = 1;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after deleting the first copy');
SELECT results_eq('SELECT k, v FROM t040_d ORDER BY k NULLS LAST, v NULLS LAST',
  $$VALUES (1, 'a'), (2, 'b'), (2, NULL), (NULL, NULL::text)$$,
  'DISTINCT row stays while a copy is left');
DELETE FROM t040_t WHERE id = 2;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after deleting the last copy');
SELECT results_eq('SELECT k, v FROM t040_d ORDER BY k NULLS LAST, v NULLS LAST',
  $$VALUES (2, 'b'), (2, NULL), (NULL, NULL::text)$$,
  'DISTINCT row goes with its last copy');
SELECT results_eq('SELECT k FROM t040_dj ORDER BY k', $$VALUES (2)$$, 'DISTINCT over a join loses k = 1');
DELETE FROM t040_t WHERE id = 4;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after deleting one (NULL, NULL) copy');
SELECT results_eq('SELECT k, v FROM t040_d ORDER BY k NULLS LAST, v NULLS LAST',
  $$VALUES (2, 'b'), (2, NULL), (NULL, NULL::text)$$, 'the (NULL, NULL) row stays while a copy is left');
DELETE FROM t040_t WHERE id = 5;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after deleting the last (NULL, NULL) copy');
SELECT results_eq('SELECT k, v FROM t040_d ORDER BY k NULLS LAST, v NULLS LAST',
  $$VALUES (2, 'b'), (2, NULL)$$, 'the (NULL, NULL) row goes with its last copy');

-- identical rows inserted one at a time, then deleted one at a time
INSERT INTO t040_bag VALUES (3, 'c');
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after the first copy of (3, c)');
SELECT results_eq($$SELECT (SELECT count(*) FROM t040_b WHERE k = 3), (SELECT count(*) FROM t040_bd WHERE k = 3)$$,
  $$VALUES (1::bigint, 1::bigint)$$, 'one copy: bag 1, distinct 1');
INSERT INTO t040_bag VALUES (3, 'c');
INSERT INTO t040_bag VALUES (3, 'c');
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after three copies of (3, c)');
SELECT results_eq($$SELECT (SELECT count(*) FROM t040_b WHERE k = 3), (SELECT count(*) FROM t040_bd WHERE k = 3)$$,
  $$VALUES (3::bigint, 1::bigint)$$, 'three copies: bag 3, distinct 1');
DELETE FROM t040_bag WHERE ctid = (SELECT min(ctid) FROM t040_bag WHERE k = 3);
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after deleting one copy');
SELECT results_eq($$SELECT (SELECT count(*) FROM t040_b WHERE k = 3), (SELECT count(*) FROM t040_bd WHERE k = 3)$$,
  $$VALUES (2::bigint, 1::bigint)$$, 'two copies left: bag 2, distinct 1');
DELETE FROM t040_bag WHERE ctid = (SELECT min(ctid) FROM t040_bag WHERE k = 3);
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after deleting another copy');
SELECT results_eq($$SELECT (SELECT count(*) FROM t040_b WHERE k = 3), (SELECT count(*) FROM t040_bd WHERE k = 3)$$,
  $$VALUES (1::bigint, 1::bigint)$$, 'one copy left: bag 1, distinct 1');
DELETE FROM t040_bag WHERE ctid = (SELECT min(ctid) FROM t040_bag WHERE k = 3);
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after deleting the last copy');
SELECT results_eq($$SELECT (SELECT count(*) FROM t040_b WHERE k = 3), (SELECT count(*) FROM t040_bd WHERE k = 3)$$,
  $$VALUES (0::bigint, 0::bigint)$$, 'no copy left: bag 0, distinct 0');

-- an UPDATE that turns one copy into another row
UPDATE t040_bag SET v = 'xx' WHERE ctid = (SELECT min(ctid) FROM t040_bag WHERE k = 1);
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after updating one of two identical rows');
SELECT results_eq('SELECT k, v, count(*) FROM t040_b GROUP BY k, v ORDER BY k, v',
  $$VALUES (1, 'x', 1::bigint), (1, 'xx', 1), (2, 'y', 1)$$, 'bag: one copy changed');
SELECT results_eq('SELECT k, v FROM t040_bd ORDER BY k, v',
  $$VALUES (1, 'x'), (1, 'xx'), (2, 'y')$$, 'distinct: both rows present');

-- the same row inserted and deleted in one transaction: no effect
BEGIN;
INSERT INTO t040_bag VALUES (9, 'gone');
INSERT INTO t040_bag VALUES (1, 'x');
DELETE FROM t040_bag WHERE k = 9;
DELETE FROM t040_bag WHERE ctid = (SELECT max(ctid) FROM t040_bag WHERE k = 1 AND v = 'x');
COMMIT;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after insert + delete in one transaction');
SELECT results_eq('SELECT k, v, count(*) FROM t040_b GROUP BY k, v ORDER BY k, v',
  $$VALUES (1, 'x', 1::bigint), (1, 'xx', 1), (2, 'y', 1)$$, 'bag: insert + delete in one transaction has no effect');
SELECT results_eq('SELECT k, v FROM t040_bd ORDER BY k, v',
  $$VALUES (1, 'x'), (1, 'xx'), (2, 'y')$$, 'distinct: insert + delete in one transaction has no effect');

-- many changes in one transaction
BEGIN;
INSERT INTO t040_bag SELECT g % 10, 'm' || (g % 3) FROM generate_series(1, 1000) g;
UPDATE t040_bag SET v = 'm9' WHERE k = 0 AND v = 'm2';
DELETE FROM t040_bag WHERE k = 1 AND v = 'm1';
INSERT INTO t040_t SELECT g, g % 4, 'n' || (g % 2) FROM generate_series(100, 599) g;
DELETE FROM t040_t WHERE id BETWEEN 100 AND 199;
UPDATE t040_t SET v = 'n9' WHERE id BETWEEN 200 AND 203;
COMMIT;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after many changes in one transaction');
SELECT results_eq($$SELECT count(*), count(*) FILTER (WHERE k = 0 AND v = 'm9'), count(*) FILTER (WHERE k = 1 AND v = 'm1')
                      FROM t040_b WHERE v LIKE 'm%'$$,
  $$VALUES (966::bigint, 33::bigint, 0::bigint)$$, 'bag after many changes: exact counts');
SELECT results_eq($$SELECT count(*) FROM t040_bd WHERE v LIKE 'm%'$$,
  $$VALUES (29::bigint)$$, 'distinct after many changes: 30 pairs - 2 gone + 1 new');
SELECT results_eq('SELECT k, v FROM t040_d ORDER BY k, v NULLS LAST',
  $$VALUES (0, 'n0'), (0, 'n9'), (1, 'n1'), (1, 'n9'), (2, 'b'), (2, 'n0'), (2, 'n9'), (2, NULL), (3, 'n1'), (3, 'n9')$$,
  'DISTINCT view after many changes: exact rows');

-- oracles
SELECT is((SELECT count(*) FROM (
    (TABLE t040_d EXCEPT ALL (SELECT DISTINCT k, v FROM t040_t))
    UNION ALL
    ((SELECT DISTINCT k, v FROM t040_t) EXCEPT ALL TABLE t040_d)) d),
  0::bigint, 't040_d equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t040_proj EXCEPT ALL (SELECT k FROM t040_t))
    UNION ALL
    ((SELECT k FROM t040_t) EXCEPT ALL TABLE t040_proj)) d),
  0::bigint, 't040_proj equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t040_bd EXCEPT ALL (SELECT DISTINCT k, v FROM t040_bag))
    UNION ALL
    ((SELECT DISTINCT k, v FROM t040_bag) EXCEPT ALL TABLE t040_bd)) d),
  0::bigint, 't040_bd equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t040_b EXCEPT ALL (SELECT k, v FROM t040_bag))
    UNION ALL
    ((SELECT k, v FROM t040_bag) EXCEPT ALL TABLE t040_b)) d),
  0::bigint, 't040_b equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t040_dj EXCEPT ALL (SELECT DISTINCT t.k FROM t040_t t JOIN t040_bag b ON t.k = b.k))
    UNION ALL
    ((SELECT DISTINCT t.k FROM t040_t t JOIN t040_bag b ON t.k = b.k) EXCEPT ALL TABLE t040_dj)) d),
  0::bigint, 't040_dj equals its query');

-- cleanup
SELECT pathway.drop_view(v) FROM unnest(ARRAY['t040_d', 't040_proj', 't040_bd', 't040_b', 't040_dj']) v;
DROP TABLE t040_t, t040_bag;

SELECT * FROM finish();
