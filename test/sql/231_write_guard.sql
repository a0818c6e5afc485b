-- A live view's write guard (trigger "pathway_maintained") cannot be
-- disabled, made a replica trigger or dropped, whatever the name it was
-- renamed to; the owner's own triggers on the view's table stay theirs.
-- The forged row of the issue cannot be written, and the view stays exact.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

SELECT pathway.drop_view(name) FROM pathway.views WHERE name LIKE 't231%';
DROP TABLE IF EXISTS t231_src CASCADE;
DROP FUNCTION IF EXISTS t231_err(text), t231_noop();

SELECT plan(16);

CREATE FUNCTION t231_err(sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE st text; msg text; det text; hin text;
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT;
  RETURN st || ': ' || msg || ' | ' || det || ' | ' || hin;
END $f$;
CREATE FUNCTION t231_noop() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RETURN NULL; END $f$;

CREATE TABLE t231_src (id int, x int);
INSERT INTO t231_src VALUES (1, 10), (2, 20);
SELECT pathway.create_view('t231_v', 'SELECT id, x FROM t231_src');
SELECT pathway.sync();

SELECT is(t231_err('ALTER TABLE t231_v DISABLE TRIGGER pathway_maintained'),
  '55000: cannot disable the write guard of live view "t231_v" | Trigger "pathway_maintained" keeps every session but the engine from writing the view''s table. | To write the table yourself, stop maintaining it first with pathway.drop_view().',
  'DISABLE TRIGGER pathway_maintained: 55000 with a hint');
SELECT throws_ok('ALTER TABLE t231_v DISABLE TRIGGER ALL',
  '55000', 'cannot disable the write guard of live view "t231_v"', 'DISABLE TRIGGER ALL is refused');
SELECT throws_ok('ALTER TABLE t231_v DISABLE TRIGGER USER',
  '55000', 'cannot disable the write guard of live view "t231_v"', 'DISABLE TRIGGER USER is refused');
SELECT throws_ok('ALTER TABLE t231_v ENABLE REPLICA TRIGGER pathway_maintained',
  '55000', 'cannot make the write guard of live view "t231_v" a replica trigger',
  'ENABLE REPLICA TRIGGER (fires only under session_replication_role = replica) is refused');
SELECT throws_ok('DROP TRIGGER pathway_maintained ON t231_v',
  '55000', 'cannot drop the write guard of live view "t231_v"', 'DROP TRIGGER is refused');
SELECT throws_ok('DROP TRIGGER IF EXISTS pathway_maintained ON t231_v CASCADE',
  '55000', 'cannot drop the write guard of live view "t231_v"', 'DROP TRIGGER IF EXISTS ... CASCADE too');

-- renamed, it is still the guard
ALTER TRIGGER pathway_maintained ON t231_v RENAME TO t231_renamed;
SELECT throws_ok('ALTER TABLE t231_v DISABLE TRIGGER t231_renamed',
  '55000', 'cannot disable the write guard of live view "t231_v"', 'a renamed guard cannot be disabled');
SELECT throws_ok('DROP TRIGGER t231_renamed ON t231_v',
  '55000', 'cannot drop the write guard of live view "t231_v"', 'nor dropped');
ALTER TRIGGER t231_renamed ON t231_v RENAME TO pathway_maintained;

SELECT is((SELECT string_agg(tgenabled::text, ',') FROM pg_trigger WHERE tgrelid = 't231_v'::regclass AND tgname = 'pathway_maintained'),
  'O', 'the guard is still there and enabled');

-- the forged row of the issue
SELECT throws_ok('INSERT INTO t231_v VALUES (99, 99)',
  '55000', 'cannot modify live view "t231_v"', 'writing the view''s table is still refused');

-- the owner's own triggers are not the guard
CREATE TRIGGER t231_mine AFTER INSERT ON t231_v FOR EACH ROW EXECUTE FUNCTION t231_noop();
SELECT lives_ok('ALTER TABLE t231_v DISABLE TRIGGER t231_mine', 'another trigger on the view''s table may be disabled');
SELECT lives_ok('ALTER TABLE t231_v ENABLE TRIGGER ALL', 'ENABLE TRIGGER ALL is allowed');
SELECT lives_ok('DROP TRIGGER t231_mine ON t231_v', 'and another trigger dropped');

-- a trigger of that name on an ordinary table is nobody's guard
CREATE TRIGGER pathway_maintained AFTER INSERT ON t231_src FOR EACH ROW EXECUTE FUNCTION t231_noop();
SELECT lives_ok('ALTER TABLE t231_src DISABLE TRIGGER pathway_maintained', 'a same-named trigger elsewhere may be disabled');
SELECT lives_ok('DROP TRIGGER pathway_maintained ON t231_src', 'and dropped');

INSERT INTO t231_src VALUES (3, 30);
DELETE FROM t231_src WHERE id = 1;
SELECT pathway.sync();
SELECT results_eq('SELECT id, x FROM t231_v ORDER BY id', $$VALUES (2, 20), (3, 30)$$,
  'the view holds exactly its query''s rows');

SELECT pathway.drop_view('t231_v');
DROP TABLE t231_src;
DROP FUNCTION t231_err(text), t231_noop();
SELECT * FROM finish();
