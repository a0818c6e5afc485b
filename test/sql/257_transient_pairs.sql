-- A join whose two sides change in the same step must not hand on a pair
-- of rows that never existed together: a new row of one side with a row
-- the same step removes from the other.  Such a pair cancels out, but an
-- expression evaluated on it could fail (a division by a count that was
-- zero only before the step) where the query never fails.  Found as
-- "division by zero" in PageRank (bench/recursive.sh at 100k edges).
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t257_t, t257_s CASCADE;

SELECT plan(6);

CREATE TABLE t257_t (id int PRIMARY KEY);
CREATE TABLE t257_s (v int);
SELECT pathway.create_view('t257_share', $q$SELECT t.id, 100 / c.n AS share
  FROM t257_t t CROSS JOIN (SELECT count(*) AS n FROM t257_s) c$q$);
SELECT pathway.create_view('t257_keyed', $q$SELECT t.id, 100 / g.n AS share
  FROM t257_t t JOIN (SELECT v, count(*) AS n FROM t257_s GROUP BY v) g ON g.v = t.id % 3$q$);
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM t257_share), 0::bigint, 'empty: no rows, no division');

-- both sides in one transaction: the count goes from 0 to 2 as the rows arrive
BEGIN;
INSERT INTO t257_t SELECT g FROM generate_series(1, 5) g;
INSERT INTO t257_s VALUES (0), (1);
COMMIT;
SELECT pathway.sync();
SELECT results_eq('SELECT id, share FROM t257_share ORDER BY id',
  $$VALUES (1, 50::bigint), (2, 50), (3, 50), (4, 50), (5, 50)$$, 'rows and count arrive together: no division by zero');
SELECT is((SELECT status FROM pathway.views WHERE name = 't257_share'), 'running', 'the view runs');

-- and back: the rows go as the count does
BEGIN;
DELETE FROM t257_t;
DELETE FROM t257_s;
INSERT INTO t257_t VALUES (7);
INSERT INTO t257_s VALUES (1);
COMMIT;
SELECT pathway.sync();
SELECT results_eq('SELECT id, share FROM t257_share', $$VALUES (7, 100::bigint)$$, 'both sides replaced in one transaction');
SELECT results_eq('SELECT id, share FROM t257_keyed', $$VALUES (7, 100::bigint)$$, 'a keyed join likewise');
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't257_%' AND status = 'running'), 2::bigint, 'all running');

SELECT pathway.drop_view('t257_share');
SELECT pathway.drop_view('t257_keyed');
DROP TABLE t257_t, t257_s;
SELECT * FROM finish();
