-- Window functions: ranking with ties, lag/lead and value functions,
-- running and framed aggregates, distribution functions, windows over
-- GROUP BY, and top-k per group (WHERE rn <= k).  NULL partition and order
-- keys, partitions that empty and come back, a row moving between
-- partitions, a row inserted and deleted in one transaction, a change that
-- touches one partition only.  Exact rows, then the oracle after random
-- changes.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t210_e, t210_big CASCADE;

SELECT plan(30);

CREATE TABLE t210_e (id int PRIMARY KEY, dept text, sal int, ts int);
INSERT INTO t210_e VALUES
  (1, 'a', 30, 1), (2, 'a', 20, 2), (3, 'a', 20, 3), (4, 'a', NULL, 4),
  (5, 'b', 10, 5), (6, 'b', 40, 6),
  (7, NULL, 5, 7), (8, NULL, NULL, 8);

CREATE TEMP TABLE t210_q (name text, q text);
INSERT INTO t210_q VALUES
  ('t210_rank', $$SELECT id, dept,
      row_number() OVER (PARTITION BY dept ORDER BY sal DESC NULLS LAST, id) AS rn,
      rank() OVER (PARTITION BY dept ORDER BY sal DESC NULLS LAST) AS rk,
      dense_rank() OVER (PARTITION BY dept ORDER BY sal DESC NULLS LAST) AS dr
    FROM t210_e$$),
  ('t210_value', $$SELECT id,
      lag(sal) OVER w AS prev, lead(id, 2, -1) OVER w AS next2,
      first_value(id) OVER w AS first, last_value(id) OVER w AS last_so_far,
      nth_value(id, 2) OVER (PARTITION BY dept ORDER BY sal NULLS FIRST, id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second
    FROM t210_e WINDOW w AS (PARTITION BY dept ORDER BY sal NULLS FIRST, id)$$),
  ('t210_running', $$SELECT id, sum(sal) OVER (PARTITION BY dept ORDER BY sal) AS running,
      count(*) OVER (PARTITION BY dept) AS n, avg(sal) OVER () AS avg_all
    FROM t210_e$$),
  ('t210_frames', $$SELECT id,
      sum(sal) OVER (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS rows3,
      count(sal) OVER (ORDER BY sal RANGE BETWEEN 10 PRECEDING AND CURRENT ROW) AS range10,
      count(*) OVER (ORDER BY sal GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW) AS groups1,
      string_agg(id::text, ',') OVER (PARTITION BY dept ORDER BY id ROWS UNBOUNDED PRECEDING) AS ids
    FROM t210_e$$),
  ('t210_dist', $$SELECT id, percent_rank() OVER w AS pr, cume_dist() OVER w AS cd,
      ntile(3) OVER (ORDER BY sal DESC NULLS FIRST, id) AS nt
    FROM t210_e WINDOW w AS (ORDER BY sal DESC NULLS FIRST)$$),
  ('t210_top2', $$SELECT dept, id, sal FROM (
      SELECT dept, id, sal, row_number() OVER (PARTITION BY dept ORDER BY sal DESC NULLS LAST, id) AS rn
        FROM t210_e) x WHERE rn <= 2$$),
  ('t210_grouped', $$SELECT dept, sum(sal) AS total,
      rank() OVER (ORDER BY sum(sal) DESC NULLS LAST) AS place, sum(count(*)) OVER () AS all_rows
    FROM t210_e GROUP BY dept$$);
SELECT pathway.create_view(name, q) FROM t210_q;
SELECT pathway.sync();

-- ties: rank skips, dense_rank does not; NULL sorts last in DESC NULLS LAST
SELECT results_eq('SELECT id, dept, rn, rk, dr FROM t210_rank ORDER BY dept NULLS FIRST, rn',
  $$VALUES (7, NULL::text, 1::bigint, 1::bigint, 1::bigint), (8, NULL, 2, 2, 2),
           (1, 'a', 1, 1, 1), (2, 'a', 2, 2, 2), (3, 'a', 3, 2, 2), (4, 'a', 4, 4, 3),
           (6, 'b', 1, 1, 1), (5, 'b', 2, 2, 2)$$,
  'row_number, rank and dense_rank with ties and NULLs, per partition (NULL is one)');
SELECT results_eq('SELECT id, prev, next2, first, last_so_far, second FROM t210_value ORDER BY id',
  $$VALUES (1, 20, -1, 4, 1, 2), (2, NULL, 1, 4, 2, 2), (3, 20, -1, 4, 3, 2), (4, NULL, 3, 4, 4, 2),
           (5, NULL, -1, 5, 5, 6), (6, 10, -1, 5, 6, 6), (7, NULL, -1, 8, 7, 7), (8, NULL, -1, 8, 8, 7)$$,
  'lag, lead with a default, first_value, last_value, nth_value over a full frame');
SELECT results_eq('SELECT id, running, n FROM t210_running ORDER BY id',
  $$VALUES (1, 70::bigint, 4::bigint), (2, 40, 4), (3, 40, 4), (4, 70, 4), (5, 10, 2), (6, 50, 2),
           (7, 5, 2), (8, 5, 2)$$,
  'running sum with peers (default RANGE frame), count over the partition');
SELECT is((SELECT DISTINCT round(avg_all, 4) FROM t210_running), 20.8333, 'an aggregate over the whole input');
SELECT results_eq('SELECT id, rows3, range10, groups1, ids FROM t210_frames ORDER BY id',
  $$VALUES (1, 50::bigint, 3::bigint, 3::bigint, '1'), (2, 70, 3, 3, '1,2'), (3, 40, 3, 3, '1,2,3'),
           (4, 30, 0, 2, '1,2,3,4'), (5, 50, 2, 3, '5'), (6, 55, 2, 3, '5,6'), (7, 45, 1, 1, '7'),
           (8, 5, 0, 2, '7,8')$$,
  'ROWS, RANGE with an offset, GROUPS with EXCLUDE CURRENT ROW');
SELECT results_eq('SELECT id, pr, cd, nt FROM t210_dist ORDER BY id',
  $$VALUES (1, 3 / 7::float8, 0.5::float8, 2), (2, 4 / 7::float8, 0.75, 2), (3, 4 / 7::float8, 0.75, 2),
           (4, 0, 0.25, 1), (5, 6 / 7::float8, 0.875, 3), (6, 2 / 7::float8, 0.375, 1), (7, 1, 1, 3),
           (8, 0, 0.25, 1)$$,
  'percent_rank, cume_dist, ntile over NULLS FIRST DESC');
SELECT results_eq('SELECT dept, id, sal FROM t210_top2 ORDER BY dept NULLS FIRST, id',
  $$VALUES (NULL::text, 7, 5), (NULL, 8, NULL), ('a', 1, 30), ('a', 2, 20), ('b', 5, 10), ('b', 6, 40)$$,
  'top 2 per group');
SELECT results_eq('SELECT dept, total, place, all_rows FROM t210_grouped ORDER BY place, dept NULLS FIRST',
  $$VALUES ('a', 70::bigint, 1::bigint, 8::numeric), ('b', 50, 2, 8), (NULL, 5, 3, 8)$$,
  'a window over GROUP BY results');

-- a row moves to another partition; an existing one's order key changes
UPDATE t210_e SET dept = 'b' WHERE id = 2;
UPDATE t210_e SET sal = 50 WHERE id = 3;
SELECT pathway.sync();
SELECT results_eq('SELECT id, dept, rn, rk, dr FROM t210_rank WHERE dept IS NOT NULL ORDER BY dept, rn',
  $$VALUES (3, 'a'::text, 1::bigint, 1::bigint, 1::bigint), (1, 'a', 2, 2, 2), (4, 'a', 3, 3, 3),
           (6, 'b', 1, 1, 1), (2, 'b', 2, 2, 2), (5, 'b', 3, 3, 3)$$,
  'a row moved between partitions: both renumbered');
SELECT results_eq('SELECT dept, id FROM t210_top2 WHERE dept IS NOT NULL ORDER BY dept, id',
  $$VALUES ('a'::text, 1), ('a', 3), ('b', 2), ('b', 6)$$, 'top 2 per group after the move');

-- a partition empties, then comes back
DELETE FROM t210_e WHERE dept IS NULL;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM t210_rank WHERE dept IS NULL), 0::bigint, 'the NULL partition is gone');
SELECT is((SELECT count(*) FROM t210_grouped WHERE dept IS NULL), 0::bigint, 'and its group');
SELECT results_eq('SELECT dept, place FROM t210_grouped ORDER BY place',
  $$VALUES ('a'::text, 1::bigint), ('b', 2)$$, 'ranks over the groups that remain');
INSERT INTO t210_e VALUES (7, NULL, 5, 7), (9, NULL, 1, 9);
SELECT pathway.sync();
SELECT results_eq('SELECT id, rn, rk FROM t210_rank WHERE dept IS NULL ORDER BY rn',
  $$VALUES (7, 1::bigint, 1::bigint), (9, 2, 2)$$, 'the NULL partition is back');

-- inserted and deleted in one transaction: nothing to write
CREATE TEMP TABLE t210_written AS SELECT name, rows_written FROM pathway.views WHERE name LIKE 't210_%';
BEGIN;
INSERT INTO t210_e VALUES (100, 'a', 1000, 100);
UPDATE t210_e SET sal = 1 WHERE id = 100;
DELETE FROM t210_e WHERE id = 100;
COMMIT;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.views v JOIN t210_written w USING (name)
            WHERE v.rows_written <> w.rows_written), 0::bigint,
  'a row inserted and deleted in one transaction writes nothing');

-- a change in a small partition touches that partition only
CREATE TABLE t210_big (id int PRIMARY KEY, k int, v int);
INSERT INTO t210_big SELECT g, CASE WHEN g <= 3 THEN 1 ELSE 2 END, g FROM generate_series(1, 3000) g;
SELECT pathway.create_view('t210_bigrank',
  'SELECT id, k, rank() OVER (PARTITION BY k ORDER BY v) AS r FROM t210_big');
SELECT pathway.sync();
CREATE TEMP TABLE t210_before AS
  SELECT rows_in, rows_out FROM pathway.stats WHERE view = 't210_bigrank' AND operator LIKE '% window';
UPDATE t210_big SET v = 0 WHERE id = 3;
SELECT pathway.sync();
SELECT ok((SELECT s.rows_out - b.rows_out FROM pathway.stats s, t210_before b
            WHERE s.view = 't210_bigrank' AND s.operator LIKE '% window') BETWEEN 1 AND 6,
  'a change in a 3-row partition emits at most its rows, not the 2997 of the other');
SELECT results_eq('SELECT id, r FROM t210_bigrank WHERE k = 1 ORDER BY r',
  $$VALUES (3, 1::bigint), (1, 2), (2, 3)$$, 'the small partition re-ranked');
UPDATE t210_big SET v = -1 WHERE id = 3000;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t210_bigrank')), 0::bigint,
  'a change at the head of the large partition re-ranks all of it');

-- random changes, then the oracle (orders are total where ties would
-- make the answer ambiguous)
INSERT INTO t210_e SELECT g, (ARRAY['a', 'b', 'c', NULL])[1 + g % 4],
  CASE WHEN g % 9 = 0 THEN NULL ELSE (g * 37) % 23 END, 100 + (g * 7919) % 10007
  FROM generate_series(10, 400) g;
DELETE FROM t210_e WHERE id % 7 = 3;
UPDATE t210_e SET sal = sal + 3 WHERE id % 5 = 1;
UPDATE t210_e SET dept = CASE WHEN dept = 'a' THEN 'c' ELSE 'a' END WHERE id % 11 = 2;
BEGIN;
DELETE FROM t210_e WHERE dept = 'c';
INSERT INTO t210_e SELECT g, 'c', g % 13, g + 20000 FROM generate_series(1000, 1030) g;
COMMIT;
SELECT pathway.sync();

CREATE FUNCTION t210_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t210_diff(name, q), 0::bigint, 'oracle (EXCEPT ALL both ways): ' || name) FROM t210_q ORDER BY name;
SELECT is((SELECT count(*) FROM pathway.check_view(name)), 0::bigint, 'check_view: ' || name)
  FROM t210_q WHERE name IN ('t210_rank', 't210_top2', 't210_grouped', 't210_value') ORDER BY name;
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't210_%' AND status = 'running'), 8::bigint,
  'all running');

SELECT pathway.drop_view(name) FROM t210_q;
SELECT pathway.drop_view('t210_bigrank');
DROP FUNCTION t210_diff(text, text);
DROP TABLE t210_e, t210_big;
SELECT * FROM finish();
