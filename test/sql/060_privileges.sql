-- Privileges: a role without SELECT on a source cannot create a view over
-- it (42501) and nothing is left; a role with SELECT can, and owns the view
-- table; column privileges; CREATE on the target schema.
-- Autocommit; cleans up (roles included).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

-- leftovers of an interrupted run
DROP SCHEMA IF EXISTS t060_s CASCADE;
DROP ROLE IF EXISTS t060_alice;
DROP ROLE IF EXISTS t060_bob;

SELECT plan(30);

CREATE ROLE t060_alice;
CREATE ROLE t060_bob;
CREATE SCHEMA t060_s;
GRANT USAGE, CREATE ON SCHEMA t060_s TO t060_alice, t060_bob;

CREATE TABLE t060_s.open (id int, x int);
CREATE TABLE t060_s.secret (id int, x int);
CREATE TABLE t060_s.cols (id int, hidden text);
CREATE TABLE t060_s.notfull (id int);
INSERT INTO t060_s.open VALUES (1, 10), (2, 20);
INSERT INTO t060_s.secret VALUES (1, 100);
INSERT INTO t060_s.cols VALUES (1, 'h');
INSERT INTO t060_s.notfull VALUES (1);
-- a non-owner cannot ALTER the sources: their owner sets the replica identity
ALTER TABLE t060_s.open REPLICA IDENTITY FULL;
ALTER TABLE t060_s.secret REPLICA IDENTITY FULL;
ALTER TABLE t060_s.cols REPLICA IDENTITY FULL;
GRANT SELECT ON t060_s.open TO t060_alice;
GRANT SELECT ON t060_s.notfull TO t060_alice;
GRANT SELECT (id) ON t060_s.cols TO t060_alice;

SELECT count(*) AS t060_base FROM pathway.catalog \gset

-- no SELECT: 42501, nothing left
SET ROLE t060_bob;
SELECT throws_ok($$SELECT pathway.create_view('t060_s.bobv', 'SELECT id, x FROM t060_s.open')$$,
  '42501', 'permission denied for table open', 'role without SELECT on the source: 42501');
RESET ROLE;
SELECT ok(to_regclass('t060_s.bobv') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t060_base,
  'nothing left after 42501');

SET ROLE t060_alice;
SELECT throws_ok($$SELECT pathway.create_view('t060_s.av', 'SELECT id, x FROM t060_s.secret')$$,
  '42501', 'permission denied for table secret', 'SELECT on another table does not help: 42501');
SELECT throws_ok($$SELECT pathway.create_view('t060_s.av',
    'SELECT o.id, s.x FROM t060_s.open o JOIN t060_s.secret s ON o.id = s.id')$$,
  '42501', 'permission denied for table secret', 'a join with one unreadable table: 42501');
SELECT throws_ok($$SELECT pathway.create_view('t060_s.av', 'SELECT id, hidden FROM t060_s.cols')$$,
  '42501', 'permission denied for table cols', 'a column without SELECT: 42501');
SELECT throws_ok($$SELECT pathway.create_view('t060_s.av', 'SELECT id FROM t060_s.cols WHERE hidden = ''h''')$$,
  '42501', 'permission denied for table cols', 'a column without SELECT in WHERE: 42501');
SELECT throws_ok($$SELECT pathway.create_view('t060_av_public', 'SELECT id, x FROM t060_s.open')$$,
  '42501', 'permission denied for schema public', 'no CREATE on the target schema: 42501');
SELECT throws_ok($$SELECT pathway.create_view('t060_s.av', 'SELECT id FROM t060_s.notfull')$$,
  '42501', 'table "notfull" must have REPLICA IDENTITY FULL to be a source of a live view',
  'a source the caller cannot switch to REPLICA IDENTITY FULL: 42501');
RESET ROLE;
SELECT ok(to_regclass('t060_s.av') IS NULL AND to_regclass('t060_av_public') IS NULL
          AND (SELECT count(*) FROM pathway.catalog) = :t060_base,
  'nothing left after the refused create_view calls');
SELECT is((SELECT relreplident FROM pg_class WHERE oid = 't060_s.notfull'::regclass), 'd'::"char",
  'the replica identity of a table the caller does not own is unchanged');

-- with SELECT: the view is created and owned by the caller
SET ROLE t060_alice;
SELECT lives_ok($$SELECT pathway.create_view('t060_s.av', 'SELECT id, x * 2 AS x2 FROM t060_s.open')$$,
  'role with SELECT creates a view');
SELECT lives_ok($$SELECT pathway.create_view('t060_s.acols', 'SELECT id FROM t060_s.cols')$$,
  'role with SELECT on the used column only creates a view');
RESET ROLE;
SELECT is((SELECT relowner::regrole::text FROM pg_class WHERE oid = to_regclass('t060_s.av')), 't060_alice',
  'the view table is owned by the creating role');
SELECT is((SELECT relowner::regrole::text FROM pg_class WHERE oid = to_regclass('t060_s.acols')), 't060_alice',
  'the column-privilege view table is owned by the creating role');
SELECT is((SELECT owner FROM pathway.views WHERE name = 't060_s.av'), 't060_alice',
  'pathway.views shows the creating role as owner');

INSERT INTO t060_s.open VALUES (3, 30);
UPDATE t060_s.open SET x = 11 WHERE id = 1;
INSERT INTO t060_s.cols VALUES (2, 'i');
SET ROLE t060_alice;
SELECT lives_ok($$SELECT pathway.sync('t060_s.av')$$, 'the owner can sync its view');
SELECT CASE WHEN to_regclass('t060_s.av') IS NULL THEN fail('the view is maintained and readable by its owner (no view)')
  ELSE results_eq('SELECT id, x2 FROM t060_s.av ORDER BY id', $$VALUES (1, 22), (2, 40), (3, 60)$$,
  'the view is maintained and readable by its owner') END;
SELECT lives_ok($$SELECT pathway.sync('t060_s.acols')$$, 'sync the column-privilege view');
SELECT CASE WHEN to_regclass('t060_s.acols') IS NULL THEN fail('the column-privilege view is maintained (no view)')
  ELSE results_eq('SELECT id FROM t060_s.acols ORDER BY id', $$VALUES (1), (2)$$,
  'the column-privilege view is maintained') END;
SELECT throws_ok($$INSERT INTO t060_s.av VALUES (9, 9)$$, '55000', 'cannot modify live view "av"',
  'even the owner cannot write the view table');
SELECT CASE WHEN to_regclass('t060_s.av') IS NULL THEN fail('t060_s.av equals its query (no view)')
  ELSE results_eq($$SELECT count(*) FROM (
    (TABLE t060_s.av EXCEPT ALL (SELECT id, x * 2 AS x2 FROM t060_s.open))
    UNION ALL
    ((SELECT id, x * 2 AS x2 FROM t060_s.open) EXCEPT ALL TABLE t060_s.av)) d$$,
  $$VALUES (0::bigint)$$, 't060_s.av equals its query') END;
RESET ROLE;
SELECT CASE WHEN to_regclass('t060_s.acols') IS NULL THEN fail('t060_s.acols equals its query (no view)')
  ELSE results_eq($$SELECT count(*) FROM (
    (TABLE t060_s.acols EXCEPT ALL (SELECT id FROM t060_s.cols))
    UNION ALL
    ((SELECT id FROM t060_s.cols) EXCEPT ALL TABLE t060_s.acols)) d$$,
  $$VALUES (0::bigint)$$, 't060_s.acols equals its query') END;
SELECT is((SELECT status FROM pathway.views WHERE name = 't060_s.av'), 'running', 'the view runs as its owner');

-- another role cannot read or drop it
SET ROLE t060_bob;
SELECT throws_ok($$SELECT * FROM t060_s.av$$, '42501', 'permission denied for table av',
  'another role cannot read the view table');
SELECT throws_ok($$SELECT pathway.drop_view('t060_s.av')$$, '42501', 'must be owner of table av',
  'another role cannot drop the view');
RESET ROLE;
SELECT ok(to_regclass('t060_s.av') IS NOT NULL
          AND EXISTS (SELECT 1 FROM pathway.catalog WHERE relid = to_regclass('t060_s.av')),
  'the view survives the refused drop');

-- its owner can
SET ROLE t060_alice;
SELECT lives_ok($$SELECT pathway.drop_view('t060_s.av')$$, 'the owner drops its view');
SELECT lives_ok($$SELECT pathway.drop_view('t060_s.acols')$$, 'the owner drops its other view');
RESET ROLE;
SELECT ok(to_regclass('t060_s.av') IS NULL AND to_regclass('t060_s.acols') IS NULL
          AND (SELECT count(*) FROM pathway.catalog) = :t060_base,
  'dropped views leave nothing behind');
SELECT is(current_user::text, session_user::text, 'back to the session role');

-- cleanup
DROP SCHEMA t060_s CASCADE;
DROP ROLE t060_alice;
DROP ROLE t060_bob;

SELECT * FROM finish();
