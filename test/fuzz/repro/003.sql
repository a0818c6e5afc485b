-- 003: a set operation whose first side is int and second side bigint (or
-- numeric) is accepted, then fails in the engine: "attribute 1 of type
-- record has wrong type".
--
-- Found by test/fuzz/run.sh (seed 1, query 20; seed 42, queries 41 and 153),
-- minimized by hand.  Same cause as 001 and 002 (no coercion of a side to the
-- set operation's column type).
--
--   psql -d DB -f test/fuzz/repro/003.sql
--
-- Expected: pathway.sync() returns; r003_v holds 1, 2, 2, 3; check_view
--   returns no row.
-- Observed: the view fails while it is built:
--   ERROR:  live view "r003_v" has failed
--   DETAIL:  attribute 1 of type record has wrong type
--   HINT:  Fix the cause, then drop and create the view again.
--   (The same for UNION, INTERSECT [ALL] and EXCEPT ALL, and for int then
--   numeric.)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS r003_a, r003_b CASCADE;
CREATE TABLE r003_a (x int);
CREATE TABLE r003_b (y bigint);
INSERT INTO r003_a VALUES (1), (2);
INSERT INTO r003_b VALUES (2), (3);

SELECT pathway.create_view('r003_v', 'SELECT x FROM r003_a UNION ALL SELECT y FROM r003_b');
SELECT pathway.sync('r003_v');
SELECT name, status, error FROM pathway.views WHERE name = 'r003_v';
SELECT * FROM pathway.check_view('r003_v');

SELECT pathway.drop_view('r003_v');
DROP TABLE r003_a, r003_b;
