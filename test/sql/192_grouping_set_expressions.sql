-- Grouping sets over an expression and the column it reads (found by the
-- cost benchmark): in the (k / 10) level, k / 10 keeps its value while k is
-- NULL.  Exact rows, then the oracle after changes.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t192_t CASCADE;

SELECT plan(5);

CREATE TABLE t192_t (k int, v int);
INSERT INTO t192_t VALUES (1, 10), (12, 20), (15, 5);

SELECT lives_ok($$SELECT pathway.create_view('t192_rollup', 'SELECT k / 10 AS band, k, count(*) AS n FROM t192_t GROUP BY ROLLUP (k / 10, k)')$$,
  'ROLLUP over k / 10 and k');
SELECT lives_ok($$SELECT pathway.create_view('t192_sets', 'SELECT k / 10 AS band, k, sum(v) AS s FROM t192_t GROUP BY GROUPING SETS ((k / 10), (k), ())')$$,
  'GROUPING SETS over k / 10 and k');
SELECT pathway.sync();
SELECT results_eq('SELECT band, k, n FROM t192_rollup ORDER BY band NULLS LAST, k NULLS LAST',
  $$VALUES (0, 1, 1::bigint), (0, NULL, 1), (1, 12, 1), (1, 15, 1), (1, NULL, 2), (NULL, NULL, 3)$$,
  'the (k / 10) level keeps its band');
INSERT INTO t192_t SELECT g % 41, g FROM generate_series(1, 300) g;
DELETE FROM t192_t WHERE k = 12;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t192_rollup')), 0::bigint, 'ROLLUP equals its query after changes');
SELECT is((SELECT count(*) FROM pathway.check_view('t192_sets')), 0::bigint, 'GROUPING SETS equal their query after changes');

SELECT pathway.drop_view('t192_rollup');
SELECT pathway.drop_view('t192_sets');
DROP TABLE t192_t;
SELECT * FROM finish();
