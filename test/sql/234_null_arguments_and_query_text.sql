-- NULL arguments of create_view and drop_view are errors (22004), not
-- silent no-ops.  A query may end with semicolons and comments: exactly the
-- one statement's text is used; a second statement is refused.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

SELECT pathway.drop_view(name) FROM pathway.views WHERE name LIKE 't234%';
DROP TABLE IF EXISTS t234_src CASCADE;

SELECT plan(16);

CREATE TABLE t234_src (id int, x int);
INSERT INTO t234_src VALUES (1, 10), (2, 20);
SELECT count(*) AS t234_base FROM pathway.catalog \gset

SELECT throws_ok($$SELECT pathway.create_view(NULL, 'SELECT id FROM t234_src')$$,
  '22004', 'name of a live view must not be null', 'create_view(NULL, query): 22004');
SELECT throws_ok($$SELECT pathway.create_view('t234_n', NULL)$$,
  '22004', 'query of view "t234_n" must not be null', 'create_view(name, NULL): 22004');
SELECT throws_ok($$SELECT pathway.create_view(NULL, NULL)$$,
  '22004', 'name of a live view must not be null', 'create_view(NULL, NULL): 22004');
SELECT throws_ok($$SELECT pathway.drop_view(NULL)$$,
  '22004', 'name of a live view must not be null', 'drop_view(NULL): 22004');
SELECT ok(to_regclass('t234_n') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t234_base,
  'nothing was created');

-- trailing semicolons and comments
SELECT lives_ok($$SELECT pathway.create_view('t234_a', 'SELECT id, x FROM t234_src; -- the rows')$$,
  'a query ending with "; -- comment"');
SELECT lives_ok($$SELECT pathway.create_view('t234_b', E'SELECT sum(x) AS s FROM t234_src;;  \n /* done */ ;')$$,
  'several semicolons and a block comment after the statement');
SELECT lives_ok($$SELECT pathway.create_view('t234_c', 'SELECT id FROM t234_src WHERE x > 10 -- no semicolon')$$,
  'a comment without a semicolon');
SELECT lives_ok($$SELECT pathway.create_view('t234_d', E'/* first */ SELECT id\n  FROM t234_src -- line\n  WHERE id = 1;\n')$$,
  'comments before and inside the statement');
SELECT is((SELECT query FROM pathway.catalog WHERE relid = 't234_a'::regclass), 'SELECT id, x FROM t234_src; -- the rows',
  'the catalog keeps the query as written');
SELECT is(t234_count, 4::bigint, 'the four views were created') FROM (SELECT count(*) AS t234_count FROM pathway.catalog WHERE relid::regclass::text LIKE 't234%') c;

-- a second statement after the first is still refused
SELECT throws_ok($$SELECT pathway.create_view('t234_two', 'SELECT id FROM t234_src; SELECT x FROM t234_src -- two')$$,
  '22023', 'query of view "t234_two" must be a single SELECT statement', 'two statements: 22023');
SELECT ok(to_regclass('t234_two') IS NULL, 'and nothing is left');

INSERT INTO t234_src VALUES (3, 30);
DELETE FROM t234_src WHERE id = 2;
SELECT pathway.sync();
SELECT results_eq('SELECT id, x FROM t234_a ORDER BY id', $$VALUES (1, 10), (3, 30)$$, 't234_a is maintained');
SELECT results_eq('SELECT s::int FROM t234_b', $$VALUES (40)$$, 't234_b is maintained');
SELECT results_eq($$SELECT (SELECT array_agg(id ORDER BY id) FROM t234_c), (SELECT array_agg(id) FROM t234_d)$$,
  $$VALUES (ARRAY[3], ARRAY[1])$$, 't234_c and t234_d are maintained');

SELECT pathway.drop_view('t234_a');
SELECT pathway.drop_view('t234_b');
SELECT pathway.drop_view('t234_c');
SELECT pathway.drop_view('t234_d');
DROP TABLE t234_src;
SELECT * FROM finish();
