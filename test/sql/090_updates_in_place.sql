-- A changed group is updated in place (one UPDATE), never deleted and
-- re-inserted; a group that appears is inserted and one that goes is deleted.
-- A row trigger on the view's table records what the engine does to it.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t090_src, t090_v, t090_log CASCADE;
DROP FUNCTION IF EXISTS t090_note();

SELECT plan(5);

CREATE TABLE t090_src (k int, v int);
INSERT INTO t090_src VALUES (1, 10), (2, 20);
SELECT pathway.create_view('t090_v', 'SELECT k, sum(v) AS s, count(*) AS n FROM t090_src GROUP BY k');
SELECT pathway.sync('t090_v');

CREATE TABLE t090_log (op text, k int);
CREATE FUNCTION t090_note() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  INSERT INTO t090_log VALUES (TG_OP, CASE WHEN TG_OP = 'DELETE' THEN OLD.k ELSE NEW.k END);
  RETURN NULL;
END $f$;
CREATE TRIGGER t090_note AFTER INSERT OR UPDATE OR DELETE ON t090_v
  FOR EACH ROW EXECUTE FUNCTION t090_note();

INSERT INTO t090_src VALUES (1, 5);
UPDATE t090_src SET v = 21 WHERE k = 2;
SELECT pathway.sync('t090_v');
SELECT results_eq('SELECT op, k FROM t090_log ORDER BY k', $$VALUES ('UPDATE', 1), ('UPDATE', 2)$$,
  'two changed groups: two updates, no delete or insert');

DELETE FROM t090_log;
INSERT INTO t090_src VALUES (3, 30);
DELETE FROM t090_src WHERE k = 1;
SELECT pathway.sync('t090_v');
SELECT results_eq('SELECT op, k FROM t090_log ORDER BY k', $$VALUES ('DELETE', 1), ('INSERT', 3)$$,
  'a vanished group is deleted, a new one inserted');

DELETE FROM t090_log;
UPDATE t090_src SET v = v WHERE k = 2;
SELECT pathway.sync('t090_v');
SELECT is((SELECT count(*) FROM t090_log), 0::bigint, 'a change that leaves the result alone writes nothing');

SELECT results_eq('SELECT k, s, n FROM t090_v ORDER BY k', $$VALUES (2, 21::bigint, 1::bigint), (3, 30::bigint, 1::bigint)$$,
  'exact rows');
SELECT is((SELECT count(*) FROM ((TABLE t090_v EXCEPT ALL SELECT k, sum(v), count(*) FROM t090_src GROUP BY k)
  UNION ALL (SELECT k, sum(v), count(*) FROM t090_src GROUP BY k EXCEPT ALL TABLE t090_v)) d), 0::bigint,
  'the view equals its query');

SELECT pathway.drop_view('t090_v');
DROP FUNCTION t090_note();
DROP TABLE t090_src, t090_log;
SELECT * FROM finish();
