-- 001: a set operation whose sides have different column types (numeric and
-- int) crashes the engine worker with SIGSEGV while it builds the view, and
-- again at every restart: the whole server crash-loops until the view is
-- dropped.
--
-- Found by test/fuzz/run.sh (seed 42: queries 92, 173 and 261, and more;
-- seed 1 by hand), minimized by hand.  Same cause as 002 and 003: the sides'
-- outputs are not coerced to the set operation's column types (PostgreSQL's
-- parser leaves that to the planner: SetOperationStmt.colTypes), so the int
-- datums of the second side are read as numeric pointers.  Also seen from
-- the same cause: a regular backend crashing in pathway.check_view() on such
-- a view (its table held bad numeric datums), a view failing with
-- "compressed pglz data is corrupt", and rebuilds in a loop after "pathway:
-- row count became negative" or "pathway: group weight became negative"
-- (INTERSECT ALL or UNION of int and numeric columns).
--
-- Run on a throwaway cluster (the server restarts in a loop):
--   psql -d DB -f test/fuzz/repro/001.sql
-- then stop the loop with (retry until it gets through):
--   psql -d DB -c "SELECT pathway.drop_view('r001_v')"
--
-- Expected: r001_v holds 1, 2, 1, 2 (numeric); check_view returns no row.
-- Observed: pathway.sync() fails ("server closed the connection
--   unexpectedly"); the server log repeats, every ~0.1 s:
--     LOG:  background worker "pathway engine worker" (PID ...) was terminated by signal 11: Segmentation fault
--     DETAIL:  Failed process was running: pathway: adopting views
--   Backtrace: detoast_attr <- row_form (engine/row.c:72) <- map_step
--   (engine/operator.c:88) <- adopt_step (bgworker/worker.c:701) <- adopt_one
--   <- adopt_work <- run_guarded <- adopt_views <- pathway_worker_main.
--   The same with "SELECT x::numeric ... WHERE false UNION ALL SELECT x";
--   with the int side first the view fails instead (as in 003).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS r001_a CASCADE;
CREATE TABLE r001_a (x int);
INSERT INTO r001_a VALUES (1), (2);

SELECT pathway.create_view('r001_v', 'SELECT x::numeric AS x FROM r001_a UNION ALL SELECT x FROM r001_a');
SELECT pathway.sync('r001_v', '10s');
SELECT * FROM pathway.check_view('r001_v');

SELECT pathway.drop_view('r001_v');
DROP TABLE r001_a;
