-- 006: IN (subquery) comparing different types (numeric IN int) is refused
-- with "This form of IN (subquery) is not supported.", while a join on the
-- same cross-type equality is maintained (docs/sql.md: "cross-type keys:
-- both sides cast to the common type").
-- Not a wrong result: a refusal of supported-looking SQL.
--
-- Found by test/fuzz/run.sh (seed 42, query 133: "t4.v IN (SELECT t5.k ...)"
-- with v numeric and k int), minimized by hand.
--
--   psql -d DB -f test/fuzz/repro/006.sql
--
-- Expected: both views are created; check_view returns no row.
-- Observed: r006_join is maintained; r006_in is refused:
--   ERROR:  cannot maintain view "r006_in"
--   DETAIL:  This form of IN (subquery) is not supported.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS r006_a, r006_b CASCADE;
CREATE TABLE r006_a (v numeric(8,2));
CREATE TABLE r006_b (k int);
INSERT INTO r006_a VALUES (1.00), (1.50), (2.00);
INSERT INTO r006_b VALUES (1), (2), (2);

SELECT pathway.create_view('r006_join', 'SELECT DISTINCT a.v FROM r006_a a JOIN r006_b b ON a.v = b.k');
SELECT pathway.create_view('r006_in', 'SELECT a.v FROM r006_a a WHERE a.v IN (SELECT b.k FROM r006_b b)');
SELECT pathway.sync();
SELECT * FROM pathway.check_view('r006_join');

DROP TABLE r006_a, r006_b CASCADE;
