-- min and max run as moving aggregates: a removal costs nothing unless it
-- removes the current extreme, which reseeds the group from its rows.
-- Exact values through removals of non-extremes, of the extreme, of one of
-- two copies of the extreme, NULLs, text under a collation; then the oracle.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t035_t CASCADE;

SELECT plan(6);

CREATE TABLE t035_t (g int, x int, t text COLLATE "C");
INSERT INTO t035_t VALUES (1, 5, 'b'), (1, 9, 'a'), (1, 9, 'c'), (1, 1, 'B'), (2, NULL, NULL), (2, 4, 'z');

SELECT lives_ok($$SELECT pathway.create_view('t035_v', 'SELECT g, min(x) AS mn, max(x) AS mx, max(t) AS mt, min(t) AS lt, count(*) AS n FROM t035_t GROUP BY g')$$,
  'min and max per group');
SELECT pathway.sync();
SELECT results_eq('SELECT g, mn, mx, mt COLLATE "default", lt COLLATE "default", n FROM t035_v ORDER BY g',
  $$VALUES (1, 1, 9, 'c', 'B', 4::bigint), (2, 4, 4, 'z', 'z', 2)$$, 'filled');

DELETE FROM t035_t WHERE x = 5;                           -- not an extreme
DELETE FROM t035_t WHERE t = 'a';                         -- one of two copies of the max
SELECT pathway.sync();
SELECT results_eq('SELECT g, mn, mx, mt COLLATE "default", lt COLLATE "default", n FROM t035_v ORDER BY g',
  $$VALUES (1, 1, 9, 'c', 'B', 2::bigint), (2, 4, 4, 'z', 'z', 2)$$, 'the other copy of the max remains');

DELETE FROM t035_t WHERE x = 9;                           -- the max itself
UPDATE t035_t SET x = 0 WHERE t = 'z';                    -- the only non-NULL of g 2 changes
SELECT pathway.sync();
SELECT results_eq('SELECT g, mn, mx, mt COLLATE "default", lt COLLATE "default", n FROM t035_v ORDER BY g',
  $$VALUES (1, 1, 1, 'B', 'B', 1::bigint), (2, 0, 0, 'z', 'z', 2)$$, 'the max removed: reseeded from the rows');

DELETE FROM t035_t WHERE t = 'z';
SELECT pathway.sync();
SELECT results_eq('SELECT g, mn, mx, mt COLLATE "default", lt COLLATE "default", n FROM t035_v ORDER BY g',
  $$VALUES (1, 1, 1, 'B', 'B', 1::bigint), (2, NULL, NULL, NULL, NULL, 1)$$, 'only NULLs left: NULL');

INSERT INTO t035_t SELECT g % 5, (g * 7919) % 1000, chr(65 + g % 50) FROM generate_series(1, 3000) g;
DELETE FROM t035_t WHERE x % 3 = 0;
UPDATE t035_t SET x = x + 1000 WHERE x % 10 = 1;
DELETE FROM t035_t WHERE x > 1900;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t035_v')), 0::bigint, 'equal to its query after random changes');
SELECT pathway.drop_view('t035_v');
DROP TABLE t035_t;
SELECT * FROM finish();
