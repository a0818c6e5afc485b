-- pathway.check_view(name): empty for a correct view; shows exactly the rows
-- by which a tampered view differs from its query; the engine notices the
-- tampering when it next writes and rebuilds the view.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t150_s CASCADE;

SELECT plan(6);

CREATE SCHEMA IF NOT EXISTS t150_app;
CREATE TABLE t150_app.s (g int, v int);
INSERT INTO t150_app.s VALUES (1, 10), (1, 5), (2, 7);
SET search_path = t150_app, public;
SELECT pathway.create_view('t150_app.v', 'SELECT g, sum(v) AS total FROM s GROUP BY g');
RESET search_path;
SELECT pathway.sync('t150_app.v');

SELECT is((SELECT count(*) FROM pathway.check_view('t150_app.v')), 0::bigint,
  'a correct view: no differences (the query runs with the view''s search_path)');

-- tamper with the table behind the engine's back (the write guard cannot be
-- disabled; a superuser in replica mode skips it)
SET session_replication_role = replica;
UPDATE t150_app.v SET total = 99 WHERE g = 2;
RESET session_replication_role;
SELECT bag_eq($$SELECT side, row_data FROM pathway.check_view('t150_app.v')$$,
  $$VALUES ('only in view', '{"g": 2, "total": 99}'::jsonb), ('only in query', '{"g": 2, "total": 7}'::jsonb)$$,
  'the differing rows, both ways');

-- the next change to group 2 finds the row changed and rebuilds the view
INSERT INTO t150_app.s VALUES (2, 1);
SELECT pathway.sync('t150_app.v');
SELECT is((SELECT count(*) FROM pathway.check_view('t150_app.v')), 0::bigint, 'rebuilt: correct again');
SELECT results_eq('SELECT g, total FROM t150_app.v ORDER BY g', $$VALUES (1, 15::bigint), (2, 8::bigint)$$, 'exact rows');

SELECT throws_ok($$SELECT * FROM pathway.check_view('t150_app.s')$$, '42809', '"t150_app.s" is not a live view',
  'check_view of a plain table');
SELECT is(current_setting('search_path'), '"$user", public', 'the caller''s search_path is untouched');

SELECT pathway.drop_view('t150_app.v');
DROP SCHEMA t150_app CASCADE;
SELECT * FROM finish();
