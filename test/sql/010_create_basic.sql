-- create_view: a filter + projection view is filled at creation and follows
-- INSERT, UPDATE and DELETE on its source once they commit; schema-qualified
-- names; REPLICA IDENTITY FULL on the source; ownership; pathway.views.
-- Runs in autocommit (the views only see committed changes) and drops
-- everything it created at the end.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

-- leftovers of an interrupted run
DROP SCHEMA IF EXISTS t010_s CASCADE;
DROP TABLE IF EXISTS t010_v, t010_src CASCADE;

SELECT plan(43);

CREATE TABLE t010_src (id int, x int, name text);
INSERT INTO t010_src VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 5, 'c'), (4, NULL, 'd'), (5, 30, NULL);

SELECT is((SELECT relreplident FROM pg_class WHERE oid = 't010_src'::regclass), 'd'::"char",
          'the source starts with the default replica identity');

SELECT lives_ok(
  $$SELECT pathway.create_view('t010_v',
      'SELECT id, x * 2 AS x2, upper(name) AS uname FROM t010_src WHERE x >= 10')$$,
  'create_view of a filter + projection view');

SELECT is((SELECT relreplident FROM pg_class WHERE oid = 't010_src'::regclass), 'f'::"char",
          'create_view set REPLICA IDENTITY FULL on the source');
SELECT is((SELECT relkind FROM pg_class WHERE oid = 't010_v'::regclass), 'r'::"char",
          'the view is an ordinary table');
SELECT is((SELECT relowner::regrole::text FROM pg_class WHERE oid = 't010_v'::regclass), current_user::text,
          'the view table is owned by the creating role');
SELECT is(
  (SELECT string_agg((attname::text COLLATE "default") || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
     FROM pg_attribute WHERE attrelid = 't010_v'::regclass AND attnum > 0 AND NOT attisdropped),
  'id integer, x2 integer, uname text',
  'the view table has the query''s column names and types');

-- filled at creation, before any sync
SELECT results_eq('SELECT id, x2, uname FROM t010_v ORDER BY id',
  $$VALUES (1, 20, 'A'), (2, 40, 'B'), (5, 60, NULL::text)$$,
  'initial contents right after create_view');

SELECT is((SELECT count(*) FROM pathway.catalog WHERE relid = 't010_v'::regclass), 1::bigint,
          'the view has a catalog row');
SELECT is((SELECT query FROM pathway.views WHERE name = 't010_v'),
          'SELECT id, x * 2 AS x2, upper(name) AS uname FROM t010_src WHERE x >= 10',
          'pathway.views shows the query');
SELECT is((SELECT owner FROM pathway.views WHERE name = 't010_v'), current_user::text,
          'pathway.views shows the owner');

SELECT lives_ok($$SELECT pathway.sync('t010_v')$$, 'sync after create');
SELECT results_eq('SELECT id, x2, uname FROM t010_v ORDER BY id',
  $$VALUES (1, 20, 'A'), (2, 40, 'B'), (5, 60, NULL::text)$$,
  'contents unchanged after the first sync');
SELECT is((SELECT status FROM pathway.views WHERE name = 't010_v'), 'running',
          'status is running after sync');
SELECT ok((SELECT frontier IS NOT NULL FROM pathway.views WHERE name = 't010_v'),
          'frontier is set after sync');
SELECT ok((SELECT error IS NULL FROM pathway.views WHERE name = 't010_v'),
          'no error on a running view');
SELECT ok((SELECT last_epoch IS NOT NULL AND lag >= 0 AND state_rows >= 0 AND state_bytes >= 0 AND rows_written >= 0
             FROM pathway.views WHERE name = 't010_v'),
          'pathway.views reports last_epoch, lag, state_rows, state_bytes and rows_written');

-- separate statements, each its own transaction
INSERT INTO t010_src VALUES (6, 15, 'f');            -- in
INSERT INTO t010_src VALUES (7, 1, 'g');             -- out (filtered)
UPDATE t010_src SET x = 11 WHERE id = 3;             -- enters the view
UPDATE t010_src SET x = 9 WHERE id = 2;              -- leaves the view
UPDATE t010_src SET name = 'aa' WHERE id = 1;        -- changes inside the view
UPDATE t010_src SET x = 8 WHERE id = 7;              -- stays out
DELETE FROM t010_src WHERE id = 5;                   -- in, deleted
DELETE FROM t010_src WHERE id = 4;                   -- out, deleted

SELECT lives_ok($$SELECT pathway.sync('t010_v')$$, 'sync after writes');
SELECT results_eq('SELECT id, x2, uname FROM t010_v ORDER BY id',
  $$VALUES (1, 20, 'AA'), (3, 22, 'C'), (6, 30, 'F')$$,
  'INSERT, UPDATE and DELETE are reflected');
SELECT is((SELECT count(*) FROM (
    (TABLE t010_v EXCEPT ALL (SELECT id, x * 2 AS x2, upper(name) AS uname FROM t010_src WHERE x >= 10))
    UNION ALL
    ((SELECT id, x * 2 AS x2, upper(name) AS uname FROM t010_src WHERE x >= 10) EXCEPT ALL TABLE t010_v)) d),
  0::bigint, 't010_v equals its query');

-- a multi-row statement and an update of every row
UPDATE t010_src SET x = x + 1;
INSERT INTO t010_src SELECT g, g, 'n' || g FROM generate_series(100, 120) g;
DELETE FROM t010_src WHERE id BETWEEN 110 AND 115;
SELECT lives_ok($$SELECT pathway.sync('t010_v')$$, 'sync after multi-row statements');
SELECT results_eq('SELECT count(*), sum(x2) FROM t010_v',
  $$VALUES (19::bigint, 3368::bigint)$$,
  'multi-row statements are reflected (count, sum)');
SELECT is((SELECT count(*) FROM (
    (TABLE t010_v EXCEPT ALL (SELECT id, x * 2 AS x2, upper(name) AS uname FROM t010_src WHERE x >= 10))
    UNION ALL
    ((SELECT id, x * 2 AS x2, upper(name) AS uname FROM t010_src WHERE x >= 10) EXCEPT ALL TABLE t010_v)) d),
  0::bigint, 't010_v equals its query after multi-row statements');
SELECT ok((SELECT rows_written > 0 FROM pathway.views WHERE name = 't010_v'),
          'rows_written counts the engine''s writes');

-- TRUNCATE of the source, alone and followed by an insert in one transaction
TRUNCATE t010_src;
SELECT lives_ok($$SELECT pathway.sync('t010_v')$$, 'sync after TRUNCATE of the source');
SELECT is((SELECT count(*) FROM t010_v), 0::bigint, 'TRUNCATE of the source empties the view');
INSERT INTO t010_src VALUES (1, 10, 'a'), (2, 2, 'b');
BEGIN;
TRUNCATE t010_src;
INSERT INTO t010_src VALUES (3, 30, 'c'), (4, 4, 'd');
COMMIT;
SELECT lives_ok($$SELECT pathway.sync('t010_v')$$, 'sync after TRUNCATE + INSERT in one transaction');
SELECT results_eq('SELECT id, x2, uname FROM t010_v ORDER BY id', $$VALUES (3, 60, 'C')$$,
  'only the rows inserted after the TRUNCATE are in the view');
SELECT is((SELECT status FROM pathway.views WHERE name = 't010_v'), 'running', 'still running after TRUNCATE');

-- schema-qualified view over a schema-qualified source
CREATE SCHEMA t010_s;
CREATE TABLE t010_s.src (k text, v numeric);
INSERT INTO t010_s.src VALUES ('a', 1.5), ('b', 2);
SELECT lives_ok(
  $$SELECT pathway.create_view('t010_s.v', 'SELECT k, v FROM t010_s.src WHERE v > 1')$$,
  'create_view with a schema-qualified name');
SELECT is(to_regclass('t010_s.v')::text, 't010_s.v', 'the table is created in the named schema');
SELECT ok(to_regclass('public.v') IS NULL, 'and not in the search path''s first schema');
SELECT is((SELECT relreplident FROM pg_class WHERE oid = 't010_s.src'::regclass), 'f'::"char",
          'REPLICA IDENTITY FULL on the schema-qualified source');
INSERT INTO t010_s.src VALUES ('c', 3);
UPDATE t010_s.src SET v = 0 WHERE k = 'a';
SELECT lives_ok($$SELECT pathway.sync('t010_s.v')$$, 'sync by schema-qualified name');
SELECT results_eq('SELECT k, v FROM t010_s.v ORDER BY k',
  $$VALUES ('b'::text, 2::numeric), ('c', 3)$$,
  'the schema-qualified view follows its source');
SELECT is((SELECT status FROM pathway.views WHERE name = 't010_s.v'), 'running',
          'pathway.views lists it by its qualified name');

-- a quoted, mixed-case name in a schema
SELECT lives_ok(
  $$SELECT pathway.create_view('t010_s."Odd Name"', 'SELECT k FROM t010_s.src')$$,
  'create_view with a quoted mixed-case name');
SELECT ok(to_regclass('t010_s."Odd Name"') IS NOT NULL, 'the quoted name is kept as written');
INSERT INTO t010_s.src VALUES ('d', 4);
SELECT lives_ok($$SELECT pathway.sync('t010_s."Odd Name"')$$, 'sync by quoted name');
SELECT results_eq($$SELECT k FROM t010_s."Odd Name" ORDER BY k$$,
  $$VALUES ('a'::text), ('b'), ('c'), ('d')$$,
  'the quoted-name view follows its source');

-- cleanup
SELECT lives_ok($$SELECT pathway.drop_view('t010_s."Odd Name"')$$, 'drop_view by quoted name');
SELECT lives_ok($$SELECT pathway.drop_view('t010_s.v')$$, 'drop_view by schema-qualified name');
SELECT lives_ok($$SELECT pathway.drop_view('t010_v')$$, 'drop_view');
SELECT is((SELECT count(*) FROM pathway.catalog c JOIN pg_class r ON r.oid = c.relid
            WHERE r.relname LIKE 't010%' OR r.relnamespace = 't010_s'::regnamespace), 0::bigint,
          'no catalog rows left');
DROP TABLE t010_s.src;
DROP SCHEMA t010_s;
DROP TABLE t010_src;

SELECT * FROM finish();
