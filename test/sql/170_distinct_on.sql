-- DISTINCT ON: the first row of each group by ORDER BY, also on columns
-- that are not selected, with NULL keys; the first row changes when it is
-- deleted or overtaken.  Exact rows, then the oracle.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t170_e CASCADE;

SELECT plan(7);

CREATE TABLE t170_e (dev int, ts int, reading int);
INSERT INTO t170_e VALUES (1, 10, 100), (1, 20, 200), (2, 5, 50), (NULL, 1, 1), (NULL, 2, 2);

CREATE TEMP TABLE t170_q (name text, q text);
INSERT INTO t170_q VALUES
  ('t170_latest', 'SELECT DISTINCT ON (dev) dev, ts, reading FROM t170_e ORDER BY dev, ts DESC, reading'),
  ('t170_hidden', 'SELECT DISTINCT ON (dev) dev, reading FROM t170_e ORDER BY dev, ts, reading DESC');
SELECT pathway.create_view(name, q) FROM t170_q;
SELECT pathway.sync();

SELECT results_eq('SELECT dev, ts, reading FROM t170_latest ORDER BY dev NULLS FIRST',
  $$VALUES (NULL::int, 2, 2), (1, 20, 200), (2, 5, 50)$$, 'latest row per device, one group for NULL');
SELECT results_eq('SELECT dev, reading FROM t170_hidden ORDER BY dev NULLS FIRST',
  $$VALUES (NULL::int, 1), (1, 100), (2, 50)$$, 'ordered by a column that is not selected');

INSERT INTO t170_e VALUES (2, 9, 90);
DELETE FROM t170_e WHERE dev = 1 AND ts = 20;
SELECT pathway.sync();
SELECT results_eq('SELECT dev, ts, reading FROM t170_latest ORDER BY dev NULLS FIRST',
  $$VALUES (NULL::int, 2, 2), (1, 10, 100), (2, 9, 90)$$, 'overtaken and deleted first rows');

-- ties broken by the last ORDER BY column so that the answer is unique
INSERT INTO t170_e SELECT (random() * 6)::int, g, g * 7 % 101 FROM generate_series(100, 400) g;
DELETE FROM t170_e WHERE random() < 0.3;
UPDATE t170_e SET dev = (dev + 1) % 6 WHERE random() < 0.2;
SELECT pathway.sync();

CREATE FUNCTION t170_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t170_diff(name, q), 0::bigint, 'oracle: ' || name) FROM t170_q ORDER BY name;
SELECT ok(EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 't170_latest' AND indexdef LIKE 'CREATE UNIQUE INDEX%'),
  'a unique index on the DISTINCT ON key');
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't170_%' AND status = 'running'), 2::bigint, 'both running');

SELECT pathway.drop_view(name) FROM t170_q;
DROP FUNCTION t170_diff(text, text);
DROP TABLE t170_e;
SELECT * FROM finish();
