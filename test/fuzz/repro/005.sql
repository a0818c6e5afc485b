-- 005: a WITH query read inside EXISTS, IN (subquery) or a scalar subquery
-- is refused with "This kind of FROM item is not supported."  docs/sql.md
-- lists WITH, EXISTS, IN (subquery) and global-aggregate scalar subqueries
-- as maintained, and each query below is maintained with the WITH inlined
-- by hand (or when the WITH query is read in FROM).
-- Not a wrong result: a refusal of supported SQL.
--
-- Found by test/fuzz/run.sh (seed 42, query 227; seed 7, queries 216 and
-- 250), minimized by hand.
--
--   psql -d DB -f test/fuzz/repro/005.sql
--
-- Expected: the three views are created; check_view returns no row.
-- Observed, for each create_view:
--   ERROR:  cannot maintain view "r005_v1"
--   DETAIL:  This kind of FROM item is not supported.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS r005_t CASCADE;
CREATE TABLE r005_t (k int);
INSERT INTO r005_t VALUES (1), (2), (3);

SELECT pathway.create_view('r005_v1', 'WITH w AS (SELECT k FROM r005_t WHERE k > 1) SELECT a.k FROM r005_t a WHERE EXISTS (SELECT 1 FROM w b WHERE b.k = a.k)');
SELECT pathway.create_view('r005_v2', 'WITH w AS (SELECT k FROM r005_t WHERE k > 1) SELECT a.k FROM r005_t a WHERE a.k IN (SELECT b.k FROM w b)');
SELECT pathway.create_view('r005_v3', 'WITH w AS (SELECT k FROM r005_t WHERE k > 1) SELECT a.k FROM r005_t a WHERE a.k > (SELECT min(b.k) FROM w b)');

DROP TABLE r005_t CASCADE;
