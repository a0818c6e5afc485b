-- create_view fills its table under the engine worker's replication
-- origin, so the worker's decoder drops those rows before its reorder
-- buffer queues them.  A test_decoding slot shows it: with only-local (skip
-- changes that carry an origin) it sees no row of the fill, while a
-- source's rows written in the same transaction, before and after the
-- fill, are local; without only-local it sees the fill.  The origin is
-- never left on the session, also when the fill fails.
CREATE EXTENSION IF NOT EXISTS pathway;
SELECT plan(8);

CREATE TABLE fo_src (id int PRIMARY KEY, v int);
INSERT INTO fo_src SELECT g, g % 7 FROM generate_series(1, 50) g;
CREATE TABLE fo_dummy (a int);
SELECT pathway.create_view('fo_warm', 'SELECT a FROM fo_dummy');
SELECT pathway.sync();
SELECT 'slot' FROM pg_create_logical_replication_slot('fo_probe', 'test_decoding');

BEGIN;
INSERT INTO fo_src VALUES (51, 3);
SELECT pathway.create_view('fo_v', 'SELECT v, count(*) AS n FROM fo_src GROUP BY v');
INSERT INTO fo_src VALUES (52, 3);
COMMIT;
-- a fill that fails (division by zero) leaves no origin behind either
SELECT throws_ok($$SELECT pathway.create_view('fo_bad', 'SELECT id / (v - v) AS x FROM fo_src')$$,
  '22012', NULL, 'a fill that fails raises its error');
INSERT INTO fo_src VALUES (53, 1);

CREATE TEMP TABLE fo_local AS
  SELECT xid, data FROM pg_logical_slot_peek_changes('fo_probe', NULL, NULL, 'only-local', '1');
CREATE TEMP TABLE fo_all AS
  SELECT xid, data FROM pg_logical_slot_peek_changes('fo_probe', NULL, NULL, 'only-local', '0');
-- the transaction of create_view (the engine's own epochs carry its origin too)
CREATE TEMP TABLE fo_txn AS
  SELECT xid FROM fo_all WHERE data LIKE 'table public.fo_src: INSERT: id[integer]:51 %';
SELECT 'dropped' FROM pg_drop_replication_slot('fo_probe');

SELECT is((SELECT count(*) FROM fo_local WHERE xid = (TABLE fo_txn) AND data LIKE 'table public.fo_v: INSERT:%'), 0::bigint,
  'the fill''s rows carry the engine''s origin (only-local sees none of them)');
SELECT is((SELECT count(*) FROM fo_all WHERE xid = (TABLE fo_txn) AND data LIKE 'table public.fo_v: INSERT:%'), 7::bigint,
  'the fill is in the WAL: a slot without only-local sees its 7 rows');
SELECT is((SELECT string_agg(substring(data FROM 'id\[integer\]:(\d+)'), ',' ORDER BY data)
             FROM fo_local WHERE data LIKE 'table public.fo_src: INSERT:%'), '51,52,53',
  'the source''s rows before and after the fill, and after a failed fill, are local');
SELECT is((SELECT count(*) FROM fo_local WHERE xid = (TABLE fo_txn) AND data LIKE 'COMMIT%'), 1::bigint,
  'the commit of create_view''s transaction carries no origin');

SELECT pathway.sync();
SELECT is((SELECT n FROM fo_v WHERE v = 3), 9::bigint, 'the view counts the rows written around its fill');
SELECT is((SELECT count(*) FROM pathway.check_view('fo_v')), 0::bigint, 'the view equals its query');
SELECT is((SELECT status FROM pathway.views WHERE name = 'fo_v'), 'running', 'the view runs');

SELECT pathway.drop_view('fo_v');
SELECT pathway.drop_view('fo_warm');
DROP TABLE fo_src, fo_dummy;
SELECT * FROM finish();
