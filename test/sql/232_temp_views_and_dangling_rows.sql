-- A live view cannot be created in a temporary schema (the engine works in
-- its own session, and the catalog row would outlive the session).  A
-- catalog row whose table vanished without the drop trigger (dropped with
-- session_replication_role = replica: event triggers do not fire) does not
-- make pathway.sync() fail, is not shown in pathway.views, and is deleted
-- by the next create_view or drop_view.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

SELECT pathway.drop_view(name) FROM pathway.views WHERE name LIKE 't232%';
DROP TABLE IF EXISTS t232_src, t232_gone CASCADE;
DROP FUNCTION IF EXISTS t232_err(text);

SELECT plan(15);

CREATE FUNCTION t232_err(sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE st text; msg text; det text; hin text;
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT;
  RETURN st || ': ' || msg || ' | ' || det || ' | ' || hin;
END $f$;

CREATE TABLE t232_src (id int, x int);
INSERT INTO t232_src VALUES (1, 10), (2, 20);
SELECT count(*) AS t232_base FROM pathway.catalog \gset

-- temporary names
SELECT is(t232_err($$SELECT pathway.create_view('pg_temp.t232_tv', 'SELECT id, x FROM t232_src')$$),
  '0A000: cannot create live view "pg_temp.t232_tv" in a temporary schema | The engine maintains views from its own session, which cannot write the temporary tables of other sessions. | Give the view a name in a permanent schema.',
  'pg_temp.name: 0A000 with a hint');
SET search_path = pg_temp, public;
SELECT throws_ok($$SELECT pathway.create_view('t232_tv', 'SELECT id, x FROM t232_src')$$,
  '0A000', 'cannot create live view "t232_tv" in a temporary schema',
  'an unqualified name with pg_temp first in search_path is refused too');
RESET search_path;
SELECT ok(to_regclass('pg_temp.t232_tv') IS NULL AND to_regclass('t232_tv') IS NULL
          AND (SELECT count(*) FROM pathway.catalog) = :t232_base,
  'no table and no catalog row were left');

-- a catalog row whose table is gone
SELECT pathway.create_view('t232_gone', 'SELECT id, x FROM t232_src');
SELECT pathway.create_view('t232_v', 'SELECT sum(x) AS s FROM t232_src');
SELECT pathway.sync();
SELECT 't232_gone'::regclass::oid AS t232_gone_oid \gset
SET session_replication_role = replica;
DROP TABLE t232_gone;
RESET session_replication_role;
SELECT is((SELECT count(*) FROM pathway.catalog WHERE relid = :t232_gone_oid), 1::bigint,
  'the drop trigger did not run: the catalog row dangles');
-- the engine fails the dangling view when it next has to write it
INSERT INTO t232_src VALUES (3, 30);
SELECT lives_ok($$SELECT pathway.sync()$$, 'pathway.sync() of every view ignores the dangling row');
SELECT lives_ok($$SELECT pathway.sync()$$, 'also once the engine has failed it');
SELECT lives_ok($$SELECT pathway.sync('t232_v')$$, 'as does sync of another view');
SELECT results_eq('SELECT s::int FROM t232_v', $$VALUES (60)$$, 'the other view is maintained');
SELECT ok(NOT EXISTS (SELECT 1 FROM pathway.views WHERE name IS NULL OR name = :t232_gone_oid::text OR name LIKE '%null%'),
  'pathway.views does not show the dangling row');
SELECT ok(NOT EXISTS (SELECT 1 FROM pathway.stats WHERE view IS NULL OR view = :t232_gone_oid::text),
  'nor does pathway.stats');
SELECT throws_ok($$SELECT pathway.drop_view('t232_gone')$$,
  '42P01', 'relation "t232_gone" does not exist', 'its name is free: drop_view says the relation does not exist');
SELECT lives_ok($$SELECT pathway.create_view('t232_gone', 'SELECT id FROM t232_src')$$,
  'the name can be used again');
SELECT is((SELECT count(*) FROM pathway.catalog WHERE relid = :t232_gone_oid), 0::bigint,
  'create_view deleted the dangling row');
SELECT pathway.sync();
SELECT results_eq('SELECT id FROM t232_gone ORDER BY id', $$VALUES (1), (2), (3)$$, 'by a maintained view');

-- drop_view deletes dangling rows too
SELECT 't232_v'::regclass::oid AS t232_v_oid, 't232_gone'::regclass::oid AS t232_gone2_oid \gset
SET session_replication_role = replica;
DROP TABLE t232_v;
RESET session_replication_role;
SELECT pathway.drop_view('t232_gone');
SELECT is((SELECT count(*) FROM pathway.catalog WHERE relid IN (:t232_v_oid, :t232_gone2_oid)), 0::bigint,
  'drop_view deleted its view''s row and the dangling one');
DROP TABLE t232_src;
DROP FUNCTION t232_err(text);
SELECT * FROM finish();
