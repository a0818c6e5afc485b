-- The engine holds at most 256 live views per database: create_view
-- refuses the 257th with 53400 (configuration_limit_exceeded) instead of leaving it "starting" forever.
-- The catalog is filled up to the limit with rows of existing relations in
-- a transaction that is rolled back, so the engine never sees them.
-- One transaction; rolled back.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
SELECT plan(5);

CREATE TABLE t233_src (id int);
INSERT INTO t233_src VALUES (1), (2);

-- 255 rows: place for one more (in replica mode: the restore trigger, which
-- analyzes rows not written by create_view, is for real rows)
SET LOCAL session_replication_role = replica;
INSERT INTO pathway.catalog (relid, query, tree, owner, settings)
SELECT oid, 'placeholder', 'placeholder', 10, '{}'
  FROM pg_class
 WHERE relnamespace = 'pg_catalog'::regnamespace AND oid NOT IN (SELECT relid FROM pathway.catalog)
 ORDER BY oid
 LIMIT 255 - (SELECT count(*) FROM pathway.catalog);
SET LOCAL session_replication_role = origin;
SELECT is((SELECT count(*) FROM pathway.catalog), 255::bigint, 'the catalog holds 255 rows');

SELECT lives_ok($$SELECT pathway.create_view('t233_last', 'SELECT id FROM t233_src')$$,
  'the 256th view is created');
SELECT throws_ok($$SELECT pathway.create_view('t233_over', 'SELECT id FROM t233_src')$$,
  '53400', 'cannot create live view "t233_over": this database has the most live views the engine holds (256)',
  'the 257th is refused with 53400');
SELECT ok(to_regclass('t233_over') IS NULL, 'and leaves no table');
SELECT is((SELECT count(*) FROM pathway.catalog), 256::bigint, 'nor a catalog row');

SELECT * FROM finish();
ROLLBACK;
