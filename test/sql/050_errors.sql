-- Refusals and errors: every create_view error with its SQLSTATE and
-- message, each followed by a check that nothing was left behind; direct
-- writes to a view's table; drop_view/sync of what is not a live view; sync
-- of a view created in the same transaction; sync of a failed view; sync
-- timeout (made deterministic by holding a lock on the view's table while
-- another session commits a change through dblink).
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

-- leftovers of an interrupted run
DROP VIEW IF EXISTS t050_pgview;
DROP SEQUENCE IF EXISTS t050_seq;
DROP FUNCTION IF EXISTS t050_sqlstate(text);
DROP MATERIALIZED VIEW IF EXISTS t050_mv;
DROP TABLE IF EXISTS t050_bad, t050_same, t050_same2, t050_v, t050_fail, t050_src, t050_src2, t050_f,
  t050_unl, t050_part, t050_par CASCADE;

SELECT plan(142);

CREATE TABLE t050_src (id int, x int, t text);
CREATE TABLE t050_src2 (id int, y int);
CREATE TABLE t050_f (x int);
INSERT INTO t050_src VALUES (1, 0, 'a'), (2, 2, 'b');
INSERT INTO t050_src2 VALUES (1, 10);
INSERT INTO t050_f VALUES (1), (2);
CREATE VIEW t050_pgview AS SELECT id, x FROM t050_src;
CREATE SEQUENCE t050_seq;
CREATE MATERIALIZED VIEW t050_mv AS SELECT id, x FROM t050_src;
CREATE TEMP TABLE t050_tmp (id int);
CREATE UNLOGGED TABLE t050_unl (id int);
CREATE TABLE t050_part (id int) PARTITION BY RANGE (id);
CREATE TABLE t050_part_1 PARTITION OF t050_part FOR VALUES FROM (0) TO (100);
CREATE TABLE t050_par (id int);
CREATE TABLE t050_chi () INHERITS (t050_par);

-- throws_ok cannot catch 57014 (query_canceled is not in WHEN OTHERS)
CREATE FUNCTION t050_sqlstate(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION
  WHEN query_canceled THEN RETURN SQLSTATE || ': ' || SQLERRM;
  WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM;
END $f$;

SELECT count(*) AS t050_base FROM pathway.catalog \gset

-- name taken
SELECT throws_ok($$SELECT pathway.create_view('t050_src', 'SELECT id FROM t050_src2')$$,
  '42P07', 'relation "t050_src" already exists', 'name of an existing table: 42P07');
SELECT is((SELECT relkind FROM pg_class WHERE oid = 't050_src'::regclass), 'r'::"char", 'the existing table is untouched');
SELECT is((SELECT count(*) FROM pathway.catalog), :t050_base::bigint, 'no catalog row after 42P07');

-- not a single SELECT: 22023
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src; SELECT id FROM t050_src2')$$,
  '22023', 'query of view "t050_bad" must be a single SELECT statement', 'two statements: 22023');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base,
  'nothing left after two statements');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'INSERT INTO t050_src VALUES (9, 9, ''z'')')$$,
  '22023', 'query of view "t050_bad" must be a single SELECT statement', 'INSERT: 22023');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base
          AND NOT EXISTS (SELECT 1 FROM t050_src WHERE id = 9),
  'nothing left after INSERT (and nothing inserted)');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'DELETE FROM t050_src')$$,
  '22023', 'query of view "t050_bad" must be a single SELECT statement', 'DELETE: 22023');
SELECT is((SELECT count(*) FROM t050_src), 2::bigint, 'DELETE query did not run');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', '')$$,
  '22023', 'query of view "t050_bad" must be a single SELECT statement', 'empty query: 22023');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base,
  'nothing left after an empty query');

-- syntax error: 42601
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELEC id FROM t050_src')$$,
  '42601', 'syntax error at or near "SELEC"', 'syntax error: 42601');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base,
  'nothing left after a syntax error');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_nosuch')$$,
  '42P01', 'relation "t050_nosuch" does not exist', 'unknown table: 42P01');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base,
  'nothing left after an unknown table');

-- source is not a table: 42809
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT last_value FROM t050_seq')$$,
  '42809', 'cannot maintain view "t050_bad"', 'a sequence as source: 42809');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base,
  'nothing left after a sequence as source');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_mv')$$,
  '42809', 'cannot maintain view "t050_bad"', 'a materialized view as source: 42809');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base,
  'nothing left after a materialized view as source');

-- unsupported SQL: 0A000 "cannot maintain view"
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT a.id FROM t050_src a LEFT JOIN t050_src2 b ON a.id = b.id AND a.id IS DISTINCT FROM 1')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'LEFT JOIN with a condition on the preserved side that is not strict: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after LEFT JOIN');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT a.id FROM t050_src a RIGHT JOIN t050_src2 b ON a.id < b.id OR a.x = b.y')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'RIGHT JOIN on an OR of conditions: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after RIGHT JOIN');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT a.id FROM t050_src a FULL JOIN t050_src2 b ON a.id = b.id AND coalesce(b.id, 0) > a.x')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'FULL JOIN with a condition not strict in one side: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after FULL JOIN');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src UNION SELECT id FROM t050_src2 LIMIT 1')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'UNION with LIMIT and no ORDER BY: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after UNION');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src UNION ALL SELECT random()::int FROM t050_src2')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'UNION ALL with a volatile branch: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after UNION ALL');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src EXCEPT SELECT id FROM t050_src2 TABLESAMPLE SYSTEM (50)')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'EXCEPT with a sampled branch: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after EXCEPT');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src WHERE (id, id) NOT IN (SELECT id, id FROM t050_src2)')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'NOT IN of a row: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after IN (subquery)');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src s WHERE EXISTS (SELECT 1 FROM t050_src2 b WHERE b.id < s.id LIMIT 1 OFFSET 1)')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'EXISTS with OFFSET correlated by a non-equality: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after EXISTS');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id, (SELECT max(y) FROM t050_src2 b WHERE b.id < t050_src.id GROUP BY b.y) AS m FROM t050_src')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'a grouped scalar subquery correlated by a non-equality (it may yield several rows): 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after a scalar subquery');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM (SELECT id FROM t050_src LIMIT 3) s')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'subquery in FROM with LIMIT and no ORDER BY: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after a subquery in FROM');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src WHERE id IN (SELECT row_number() OVER (ORDER BY id) FROM t050_src2 b WHERE b.id = t050_src.x)')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'window function in a correlated subquery in WHERE: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after a window function');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src LIMIT 1')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'LIMIT without ORDER BY: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after LIMIT');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src OFFSET 1')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'OFFSET without ORDER BY: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after OFFSET');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT x, rank() OVER (PARTITION BY t ORDER BY random()) AS r FROM t050_src')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'rank() OVER a volatile order: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after rank()');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT x, id FROM t050_src WHERE x IN (SELECT y FROM t050_src2 b WHERE b.id = t050_src.id ORDER BY y FETCH FIRST 1 ROW WITH TIES)')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'FETCH FIRST in a correlated subquery in WHERE: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after FETCH FIRST');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'WITH RECURSIVE w(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM w WHERE n < 3) SELECT n, random() AS r FROM w')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'a volatile function over a WITH RECURSIVE that reads no table: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after WITH');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT max(x), generate_series(1, generate_series(1, count(*)::int)) AS u FROM t050_src')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'nested set-returning functions after aggregation: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after a select-list SRF');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT x FROM t050_src WHERE EXISTS (SELECT lag(y) OVER (ORDER BY y) FROM t050_src2 s WHERE s.id = t050_src.id)')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'lag() OVER in a correlated subquery: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after lag()');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT x FROM t050_src s, LATERAL (VALUES (s.x)) v(y)')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'VALUES reading another FROM item: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after CUBE');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src FOR UPDATE')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'FOR UPDATE: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after FOR UPDATE');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src FOR SHARE')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'FOR SHARE: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after FOR SHARE');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src TABLESAMPLE SYSTEM (50)')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'TABLESAMPLE: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after TABLESAMPLE');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT ctid, id FROM t050_src')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'system column ctid: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after ctid');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src WHERE xmin::text <> ''0''')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'system column xmin in WHERE: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after xmin');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT x, sum(x) OVER (ORDER BY id) AS c FROM t050_src ORDER BY c LIMIT (SELECT 1)')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'a running sum OVER with LIMIT (subquery): 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after a running sum');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT x, percentile_cont(x / 100.0) WITHIN GROUP (ORDER BY id) AS s FROM t050_src GROUP BY x')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'an ordered-set aggregate with a direct argument that is not constant: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after percentile_cont(x)');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT x FROM t050_src WHERE x > 0 OR (x, id) IN (SELECT id, id FROM t050_src2)')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'IN (subquery) of a row of two columns under OR: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after IN (subquery)');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT x, id IN (SELECT max(id) FROM t050_src2 b WHERE b.y = t050_src.x) AS b FROM t050_src')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'IN (subquery) over a correlated aggregate in the select list: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after IN in the select list');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_tmp')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'temporary table: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after a temporary table');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_unl')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'unlogged table: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after an unlogged table');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id, tableoid FROM ONLY t050_part')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'a system column of ONLY a partitioned table: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after ONLY on a partitioned table');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT p FROM ONLY t050_par p')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'a whole-row reference to ONLY an inheritance parent: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after an inheritance parent');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT s.x FROM t050_src2 w LEFT JOIN (t050_src s JOIN LATERAL (SELECT count(*) AS n FROM t050_src2 b WHERE b.id = s.id) x ON x.n > 0) ON w.id = s.id')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'an inner JOIN LATERAL over a global aggregate ON a condition, under an outer join: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after a JOIN LATERAL');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id, generate_series(1, generate_series(1, 2)) AS g FROM t050_src')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'nested set-returning functions in the select list: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after a set-returning function');

-- volatile and time-dependent functions: 0A000
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id, random() AS r FROM t050_src')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'random(): 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after random()');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src WHERE random() < 0.5')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'random() in WHERE: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after random() in WHERE');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id, clock_timestamp() AS c FROM t050_src')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'clock_timestamp(): 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after clock_timestamp()');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id, now() AS n FROM t050_src')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'now(): 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after now()');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id, CURRENT_DATE AS d FROM t050_src')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'CURRENT_DATE: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after CURRENT_DATE');
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id FROM t050_src WHERE CURRENT_TIMESTAMP > ''2000-01-01''')$$,
  '0A000', 'cannot maintain view "t050_bad"', 'CURRENT_TIMESTAMP in WHERE: 0A000');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after CURRENT_TIMESTAMP');

-- an error while filling the table: nothing left, REPLICA IDENTITY not changed
SELECT throws_ok($$SELECT pathway.create_view('t050_bad', 'SELECT id, 100 / x AS q FROM t050_src')$$,
  '22012', 'division by zero', 'an error while filling the view is raised');
SELECT ok(to_regclass('t050_bad') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base, 'nothing left after an error while filling');
SELECT results_eq($$SELECT relname::text COLLATE "default", relreplident FROM pg_class WHERE oid IN ('t050_src'::regclass, 't050_src2'::regclass) ORDER BY 1$$,
  $$VALUES ('t050_src', 'd'::"char"), ('t050_src2', 'd')$$,
  'REPLICA IDENTITY of the sources is unchanged by every failed create_view');

-- a live view for the rest of the file
SELECT lives_ok($$SELECT pathway.create_view('t050_v', 'SELECT id, x FROM t050_src WHERE x >= 0')$$, 'create t050_v');
SELECT throws_ok($$SELECT pathway.create_view('t050_v', 'SELECT id FROM t050_src2')$$,
  '42P07', 'relation "t050_v" already exists', 'name of an existing live view: 42P07');
SELECT is((SELECT query FROM pathway.catalog WHERE relid = 't050_v'::regclass),
  'SELECT id, x FROM t050_src WHERE x >= 0', 'the existing view is untouched');
SELECT lives_ok($$SELECT pathway.sync('t050_v')$$, 'sync t050_v');

-- direct writes to a view's table: 55000
SELECT throws_ok($$INSERT INTO t050_v VALUES (7, 7)$$, '55000', 'cannot modify live view "t050_v"', 'INSERT into a view: 55000');
SELECT throws_ok($$INSERT INTO t050_v SELECT 1, 1 WHERE false$$, '55000', 'cannot modify live view "t050_v"',
  'INSERT of no rows into a view: 55000');
SELECT throws_ok($$UPDATE t050_v SET x = 5$$, '55000', 'cannot modify live view "t050_v"', 'UPDATE of a view: 55000');
SELECT throws_ok($$DELETE FROM t050_v$$, '55000', 'cannot modify live view "t050_v"', 'DELETE from a view: 55000');
SELECT throws_ok($$TRUNCATE t050_v$$, '55000', 'cannot modify live view "t050_v"', 'TRUNCATE of a view: 55000');
SELECT results_eq('SELECT id, x FROM t050_v ORDER BY id', $$VALUES (1, 0), (2, 2)$$,
  'the view''s rows are intact after refused writes');

-- drop_view / sync of what is not a live view
SELECT throws_ok($$SELECT pathway.drop_view('t050_src')$$, '42809', '"t050_src" is not a live view',
  'drop_view of a plain table: 42809');
SELECT ok(to_regclass('t050_src') IS NOT NULL, 'the plain table is not dropped');
SELECT throws_ok($$SELECT pathway.drop_view('t050_nosuch')$$, '42P01', 'relation "t050_nosuch" does not exist',
  'drop_view of a missing table: 42P01');
SELECT throws_ok($$SELECT pathway.sync('t050_src')$$, '42809', '"t050_src" is not a live view',
  'sync of a plain table: 42809');
SELECT throws_ok($$SELECT pathway.sync('t050_nosuch')$$, '42P01', 'relation "t050_nosuch" does not exist',
  'sync of a missing table: 42P01');

-- sync of a view created in the same transaction: 55000
SELECT throws_ok($t$DO $do$ BEGIN
    PERFORM pathway.create_view('t050_same', 'SELECT id FROM t050_src2');
    PERFORM pathway.sync('t050_same');
  END $do$$t$,
  '55000', 'live view "t050_same" was created in this transaction',
  'sync of a view created earlier in the same transaction: 55000');
SELECT ok(to_regclass('t050_same') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base + 1,
  'nothing left after the failed transaction');
SELECT throws_ok($$SELECT pathway.create_view('t050_same2', 'SELECT id FROM t050_src2'), pathway.sync('t050_same2')$$,
  '55000', 'live view "t050_same2" was created in this transaction',
  'sync in the same statement as create_view: 55000');
SELECT ok(to_regclass('t050_same2') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base + 1,
  'nothing left after the failed statement');
SELECT is(left(t050_sqlstate($t$DO $do$ BEGIN
    PERFORM pathway.create_view('t050_same', 'SELECT id FROM t050_src2');
    PERFORM pathway.sync(NULL, '3s');
  END $do$$t$), 5), '55000',
  'sync(NULL) after create_view in the same transaction: 55000, not a wait for a view that cannot start');
SELECT ok(to_regclass('t050_same') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t050_base + 1,
  'nothing left after the failed transaction');

-- a view that fails while maintained: sync reports it
SELECT lives_ok($$SELECT pathway.create_view('t050_fail', 'SELECT x, 100 / x AS q FROM t050_f')$$, 'create t050_fail');
SELECT lives_ok($$SELECT pathway.sync('t050_fail')$$, 'sync t050_fail while it is healthy');
INSERT INTO t050_f VALUES (0);
INSERT INTO t050_src VALUES (3, 3, 'c');
SELECT throws_ok($$SELECT pathway.sync('t050_fail')$$, '55000', 'live view "t050_fail" has failed',
  'sync of a failed view: 55000');
SELECT results_eq($$SELECT status, error FROM pathway.views WHERE name = 't050_fail'$$,
  $$VALUES ('failed', 'division by zero')$$, 'pathway.views shows the failure and its error');
SELECT throws_ok($$SELECT pathway.sync()$$, '55000', 'live view "t050_fail" has failed',
  'sync(NULL) reports a failed view too');
SELECT lives_ok($$SELECT pathway.sync('t050_v')$$, 'sync of another view still works');
SELECT results_eq('SELECT id, x FROM t050_v ORDER BY id', $$VALUES (1, 0), (2, 2), (3, 3)$$,
  'another view is still maintained');
SELECT is((SELECT status FROM pathway.views WHERE name = 't050_v'), 'running', 'the other view is still running');
SELECT throws_ok($$SELECT pathway.sync('t050_fail')$$, '55000', 'live view "t050_fail" has failed',
  'sync of a failed view keeps failing');
SELECT lives_ok($$SELECT pathway.drop_view('t050_fail')$$, 'a failed view can be dropped');
SELECT ok(to_regclass('t050_fail') IS NULL AND NOT EXISTS (SELECT 1 FROM pathway.views WHERE name = 't050_fail'),
  'the failed view is gone');

-- sync timeout: the engine cannot write t050_v while we hold a lock on it
CREATE EXTENSION IF NOT EXISTS dblink;
BEGIN;
LOCK TABLE t050_v IN ACCESS EXCLUSIVE MODE;
SELECT is(dblink_exec('host=127.0.0.1 port=' || current_setting('port') || ' dbname=' || current_database()
                      || ' user=' || current_user, 'INSERT INTO t050_src VALUES (4, 4, ''d'')'),
  'INSERT 0 1', 'another session commits a change while the view is locked');
SELECT is(t050_sqlstate($$SELECT pathway.sync('t050_v', '300ms')$$), '57014: pathway.sync timed out',
  'sync times out while the engine cannot apply the change: 57014');
SELECT is(t050_sqlstate($$SELECT pathway.sync(NULL, '300ms')$$), '57014: pathway.sync timed out',
  'sync(NULL) times out too');
COMMIT;
SELECT lives_ok($$SELECT pathway.sync('t050_v')$$, 'sync succeeds once the lock is released');
SELECT results_eq('SELECT id, x FROM t050_v ORDER BY id', $$VALUES (1, 0), (2, 2), (3, 3), (4, 4)$$,
  'the change is applied after the lock is released');
SELECT is((SELECT count(*) FROM (
    (TABLE t050_v EXCEPT ALL (SELECT id, x FROM t050_src WHERE x >= 0))
    UNION ALL
    ((SELECT id, x FROM t050_src WHERE x >= 0) EXCEPT ALL TABLE t050_v)) d),
  0::bigint, 't050_v equals its query');

-- cleanup
SELECT lives_ok($$SELECT pathway.drop_view('t050_v')$$, 'drop t050_v');
SELECT is((SELECT count(*) FROM pathway.catalog), :t050_base::bigint, 'catalog back to where it started');
DROP EXTENSION dblink;
DROP FUNCTION t050_sqlstate(text);
DROP VIEW t050_pgview;
DROP SEQUENCE t050_seq;
DROP MATERIALIZED VIEW t050_mv;
DROP TABLE t050_src, t050_src2, t050_f, t050_tmp, t050_unl, t050_part, t050_chi, t050_par;

SELECT * FROM finish();
