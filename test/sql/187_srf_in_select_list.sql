-- One set-returning function in the select list, over the row's columns:
-- each row expands to the function's rows (none: the row is gone), as with
-- the function in FROM.  Exact rows, then the oracle; several calls run in
-- lockstep as PostgreSQL runs them (ROWS FROM); nested calls after
-- aggregation are refused (single ones are maintained: 211).
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t187_t CASCADE;

SELECT plan(9);

CREATE TABLE t187_t (id int, tags text[], n int, doc jsonb);
INSERT INTO t187_t VALUES (1, '{a,b}', 2, '{"x": [1, 2]}'), (2, '{}', 0, '{"x": []}'), (3, NULL, 1, '{"x": [3]}');

SELECT lives_ok($$SELECT pathway.create_view('t187_tags', 'SELECT id, unnest(tags) AS tag FROM t187_t')$$, 'unnest in the select list');
SELECT lives_ok($$SELECT pathway.create_view('t187_series', 'SELECT id, generate_series(1, n) * 10 AS g FROM t187_t')$$,
  'a call inside an expression');
SELECT lives_ok($$SELECT pathway.create_view('t187_elems', 'SELECT DISTINCT jsonb_array_elements(doc->''x'') AS e FROM t187_t')$$,
  'with DISTINCT');
SELECT pathway.sync();
SELECT results_eq('SELECT id, tag FROM t187_tags ORDER BY id, tag', $$VALUES (1, 'a'), (1, 'b')$$,
  'an empty array and NULL expand to no row');

UPDATE t187_t SET tags = '{c}', n = 3 WHERE id = 2;
DELETE FROM t187_t WHERE id = 1;
INSERT INTO t187_t VALUES (4, '{d,d}', 1, '{"x": [3, 4]}');
SELECT pathway.sync();
SELECT results_eq('SELECT id, g FROM t187_series ORDER BY id, g', $$VALUES (2, 10), (2, 20), (2, 30), (3, 10), (4, 10)$$,
  'rows expand again when they change');
INSERT INTO t187_t SELECT g, ARRAY['t' || g % 3, 'u'], g % 4, jsonb_build_object('x', jsonb_build_array(g % 5)) FROM generate_series(10, 100) g;
DELETE FROM t187_t WHERE id % 7 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t187_tags')) + (SELECT count(*) FROM pathway.check_view('t187_series'))
        + (SELECT count(*) FROM pathway.check_view('t187_elems')), 0::bigint, 'every view equals its query after changes');
SELECT lives_ok($$SELECT pathway.create_view('t187_two', 'SELECT id, unnest(tags) AS tag, generate_series(1, n) AS g FROM t187_t')$$,
  'two calls, run in lockstep as PostgreSQL runs them');
DELETE FROM t187_t WHERE id % 5 = 0;
UPDATE t187_t SET n = n + 2 WHERE id % 3 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t187_two')), 0::bigint, 'two calls in lockstep equal their query after changes');
SELECT pathway.drop_view('t187_two');
SELECT throws_ok($$SELECT pathway.create_view('t187_bad', 'SELECT count(*), generate_series(1, generate_series(1, 2)) FROM t187_t')$$,
  '0A000', 'cannot maintain view "t187_bad"', 'nested calls after aggregation are refused (one call after aggregation: 211)');

SELECT pathway.drop_view('t187_tags');
SELECT pathway.drop_view('t187_series');
SELECT pathway.drop_view('t187_elems');
DROP TABLE t187_t;
SELECT * FROM finish();
