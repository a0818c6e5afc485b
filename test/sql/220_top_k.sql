-- ORDER BY ... LIMIT / OFFSET / FETCH FIRST [WITH TIES]: a live top-k.
-- Ties at the boundary (WITH TIES keeps them all), duplicate rows cut in
-- the middle, NULL order keys (NULLS FIRST/LAST, DESC), sort columns that
-- are not selected, top-k of groups and of DISTINCT ON, in a subquery, a
-- view that empties and refills, a row inserted and deleted in one
-- transaction.  Exact rows, then the oracle after random changes.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t220_s, t220_bag CASCADE;

SELECT plan(31);

CREATE TABLE t220_s (id int PRIMARY KEY, name text, region text, score int);
INSERT INTO t220_s VALUES
  (1, 'ann', 'eu', 50), (2, 'bob', 'eu', 70), (3, 'cid', 'us', 70), (4, 'dan', 'us', 20),
  (5, 'eve', 'asia', NULL), (6, 'fay', 'asia', 90), (7, 'gus', NULL, 40);
CREATE TABLE t220_bag (v int);
INSERT INTO t220_bag VALUES (1), (2), (2), (2), (3), (3);

CREATE TEMP TABLE t220_q (name text, q text);
INSERT INTO t220_q VALUES
  ('t220_top3', 'SELECT id, score FROM t220_s ORDER BY score DESC NULLS LAST, id LIMIT 3'),
  ('t220_ties', 'SELECT id, score FROM t220_s ORDER BY score DESC NULLS LAST FETCH FIRST 2 ROWS WITH TIES'),
  ('t220_page', 'SELECT id FROM t220_s ORDER BY score NULLS FIRST, id OFFSET 2 LIMIT 3'),
  ('t220_names', 'SELECT name FROM t220_s ORDER BY id DESC LIMIT 2'),
  ('t220_bag3', 'SELECT v FROM t220_bag ORDER BY v LIMIT 3 OFFSET 1'),
  ('t220_regions', 'SELECT region, sum(score) AS total FROM t220_s GROUP BY region ORDER BY sum(score) DESC NULLS LAST, region LIMIT 2'),
  ('t220_best', 'SELECT DISTINCT ON (region) region, name FROM t220_s ORDER BY region, score DESC NULLS LAST, id LIMIT 3'),
  ('t220_joined', 'SELECT t.name, s.score FROM (SELECT id, score FROM t220_s ORDER BY score, id LIMIT 2) s JOIN t220_s t USING (id)'),
  ('t220_none', 'SELECT id FROM t220_s ORDER BY id LIMIT 0');
SELECT pathway.create_view(name, q) FROM t220_q;
SELECT pathway.sync();

SELECT results_eq('SELECT id, score FROM t220_top3 ORDER BY score DESC, id',
  $$VALUES (6, 90), (2, 70), (3, 70)$$, 'top 3, NULL last');
SELECT results_eq('SELECT id, score FROM t220_ties ORDER BY id',
  $$VALUES (2, 70), (3, 70), (6, 90)$$, 'WITH TIES keeps the peers of the last row');
SELECT results_eq('SELECT id FROM t220_page ORDER BY id',
  $$VALUES (1), (2), (7)$$, 'OFFSET 2 LIMIT 3 with NULLS FIRST');
SELECT results_eq('SELECT name FROM t220_names ORDER BY name',
  $$VALUES ('fay'), ('gus')$$, 'ordered by a column that is not selected');
SELECT results_eq('SELECT v FROM t220_bag3 ORDER BY v',
  $$VALUES (2), (2), (2)$$, 'duplicates: three copies of 2 after the first row');
SELECT results_eq('SELECT region, total FROM t220_regions ORDER BY total DESC, region',
  $$VALUES ('eu'::text, 120::bigint), ('asia', 90)$$, 'top groups, ties broken by the last ORDER BY column');
SELECT results_eq('SELECT region, name FROM t220_best ORDER BY region',
  $$VALUES ('asia'::text, 'fay'), ('eu', 'bob'), ('us', 'cid')$$, 'DISTINCT ON, then LIMIT');
SELECT results_eq('SELECT name, score FROM t220_joined ORDER BY score',
  $$VALUES ('dan', 20), ('gus', 40)$$, 'a top-k subquery joined');
SELECT is((SELECT count(*) FROM t220_none), 0::bigint, 'LIMIT 0: no rows');
SELECT ok(EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 't220_regions' AND indexdef LIKE 'CREATE UNIQUE INDEX%'),
  'a unique index on the GROUP BY key of a top-k');

-- the boundary moves: a new leader, a tie that joins, a row that leaves
INSERT INTO t220_s VALUES (8, 'hal', 'eu', 95);
UPDATE t220_s SET score = 90 WHERE id = 3;
DELETE FROM t220_s WHERE id = 6;
DELETE FROM t220_bag WHERE ctid = (SELECT min(ctid) FROM t220_bag WHERE v = 2);
SELECT pathway.sync();
SELECT results_eq('SELECT id, score FROM t220_top3 ORDER BY score DESC, id',
  $$VALUES (8, 95), (3, 90), (2, 70)$$, 'top 3 after a new leader and a deleted one');
SELECT results_eq('SELECT id, score FROM t220_ties ORDER BY id',
  $$VALUES (3, 90), (8, 95)$$, 'WITH TIES with no tie at the boundary');
UPDATE t220_s SET score = 90 WHERE id = 2;
UPDATE t220_s SET score = 95 WHERE id = 1;
SELECT pathway.sync();
SELECT results_eq('SELECT id, score FROM t220_ties ORDER BY id',
  $$VALUES (1, 95), (8, 95)$$, 'WITH TIES: a tie for first fills both places');
SELECT results_eq('SELECT v FROM t220_bag3 ORDER BY v',
  $$VALUES (2), (2), (3)$$, 'duplicates: one copy fewer');
SELECT results_eq('SELECT region, name FROM t220_best ORDER BY region',
  $$VALUES ('asia'::text, 'eve'), ('eu', 'ann'), ('us', 'cid')$$, 'DISTINCT ON, then LIMIT, after changes');
SELECT results_eq('SELECT name FROM t220_names ORDER BY name',
  $$VALUES ('gus'), ('hal')$$, 'a new last row by id');

-- NULL order keys move through the boundary
UPDATE t220_s SET score = NULL WHERE id IN (4, 7);
SELECT pathway.sync();
SELECT results_eq('SELECT id FROM t220_page ORDER BY id',
  $$VALUES (2), (3), (7)$$, 'NULLs first, then the page moves');

-- inserted and deleted in one transaction: nothing to write
CREATE TEMP TABLE t220_written AS SELECT name, rows_written FROM pathway.views WHERE name LIKE 't220_%';
BEGIN;
INSERT INTO t220_s VALUES (100, 'zed', 'eu', 1000);
INSERT INTO t220_bag VALUES (0);
DELETE FROM t220_s WHERE id = 100;
DELETE FROM t220_bag WHERE v = 0;
COMMIT;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.views v JOIN t220_written w USING (name)
            WHERE v.rows_written <> w.rows_written), 0::bigint,
  'a row inserted and deleted in one transaction writes nothing');

-- empty, then refilled
DELETE FROM t220_s;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM t220_top3) + (SELECT count(*) FROM t220_ties) + (SELECT count(*) FROM t220_regions),
  0::bigint, 'an empty source empties the top-k views');
INSERT INTO t220_s SELECT g, 'n' || g, (ARRAY['eu', 'us', 'asia', NULL])[1 + g % 4],
  CASE WHEN g % 10 = 0 THEN NULL ELSE (g * 31) % 17 END FROM generate_series(1, 300) g;
SELECT pathway.sync();
SELECT results_eq('SELECT id, score FROM t220_top3 ORDER BY score DESC, id',
  $$SELECT id, score FROM t220_s ORDER BY score DESC NULLS LAST, id LIMIT 3$$, 'refilled');

-- random changes, then the oracle
INSERT INTO t220_bag SELECT g % 9 FROM generate_series(1, 200) g;
DELETE FROM t220_s WHERE id % 7 = 2;
UPDATE t220_s SET score = score + 5 WHERE id % 5 = 0;
UPDATE t220_s SET region = 'us' WHERE id % 13 = 1;
DELETE FROM t220_bag WHERE v = 1;
INSERT INTO t220_s SELECT g, 'm' || g, 'eu', g % 4 FROM generate_series(400, 450) g;
SELECT pathway.sync();

CREATE FUNCTION t220_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t220_diff(name, q), 0::bigint, 'oracle (EXCEPT ALL both ways): ' || name) FROM t220_q ORDER BY name;
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't220_%' AND status = 'running'), 9::bigint,
  'all running');
SELECT is((SELECT count(*) FROM pathway.check_view('t220_ties')), 0::bigint, 'check_view: WITH TIES');

SELECT pathway.drop_view(name) FROM t220_q;
DROP FUNCTION t220_diff(text, text);
DROP TABLE t220_s, t220_bag;
SELECT * FROM finish();
