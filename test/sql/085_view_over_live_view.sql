-- A live view whose source is another live view's table.  That table is an
-- ordinary table, so create_view may accept it; then the stacked view must
-- follow the base view's changes like any other source.  Refusing it at
-- create_view (42809 or 0A000, nothing left behind) is the other acceptable
-- outcome.  What must never happen is a view that is accepted, reported
-- running, and silently stale.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

-- leftovers of an interrupted run
DROP TABLE IF EXISTS t085_v2, t085_v1, t085_src CASCADE;
DROP FUNCTION IF EXISTS t085_try(text);

SELECT plan(7);

CREATE FUNCTION t085_try(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $f$;

CREATE TABLE t085_src (x int);
INSERT INTO t085_src VALUES (1);
SELECT lives_ok($$SELECT pathway.create_view('t085_v1', 'SELECT x, x * 10 AS y FROM t085_src')$$, 'create the base view');
SELECT t085_try($$SELECT pathway.create_view('t085_v2', 'SELECT sum(y) AS s, count(*) AS c FROM t085_v1')$$) AS t085_created \gset
SELECT ok(:'t085_created' IN ('ok', '42809', '0A000'),
  'create_view over a live view either succeeds or is refused as unsupported (got ' || :'t085_created' || ')');
SELECT ok(:'t085_created' = 'ok' OR (to_regclass('t085_v2') IS NULL
          AND NOT EXISTS (SELECT 1 FROM pathway.views WHERE name = 't085_v2')),
  'a refused stacked view leaves nothing behind');

INSERT INTO t085_src VALUES (2);
UPDATE t085_src SET x = 5 WHERE x = 1;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all');
SELECT results_eq('SELECT x, y FROM t085_v1 ORDER BY x', $$VALUES (2, 20), (5, 50)$$, 'the base view follows its source');
SELECT CASE WHEN to_regclass('t085_v2') IS NULL THEN pass('the stacked view was refused')
  ELSE results_eq('SELECT s, c FROM t085_v2', $$VALUES (70::bigint, 2::bigint)$$,
                  'the stacked view follows the base view''s changes') END;
SELECT CASE WHEN to_regclass('t085_v2') IS NULL THEN pass('the stacked view was refused')
  ELSE results_eq($$SELECT count(*) FROM (
      (TABLE t085_v2 EXCEPT ALL (SELECT sum(y) AS s, count(*) AS c FROM t085_v1))
      UNION ALL
      ((SELECT sum(y) AS s, count(*) AS c FROM t085_v1) EXCEPT ALL TABLE t085_v2)) d$$,
    $$VALUES (0::bigint)$$, 't085_v2 equals its query') END;

-- cleanup
SELECT pathway.drop_view('t085_v2') WHERE to_regclass('t085_v2') IS NOT NULL;
SELECT pathway.drop_view('t085_v1');
DROP TABLE t085_src;
DROP FUNCTION t085_try(text);

SELECT * FROM finish();
