-- HAVING (also on aggregates that are not selected) and FILTER (WHERE ...)
-- on aggregates, invertible (count, sum) and not (max): exact rows on small
-- cases, then the oracle after a few hundred random changes.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t100_s CASCADE;

SELECT plan(10);

CREATE TABLE t100_s (g int, v int, flag bool);
INSERT INTO t100_s VALUES (1, 10, true), (1, 20, false), (2, 5, true), (3, NULL, NULL);

SELECT pathway.create_view('t100_having',
  'SELECT g, sum(v) AS s FROM t100_s GROUP BY g HAVING count(*) > 1');
SELECT pathway.create_view('t100_filter',
  'SELECT g, count(*) FILTER (WHERE flag) AS nf, sum(v) FILTER (WHERE v > 6) AS sv, max(v) FILTER (WHERE flag) AS mf FROM t100_s GROUP BY g');
SELECT pathway.create_view('t100_global',
  'SELECT count(*) AS n FROM t100_s HAVING sum(v) > 100');
SELECT pathway.sync();

SELECT results_eq('SELECT g, s FROM t100_having ORDER BY g', $$VALUES (1, 30::bigint)$$, 'HAVING on an unselected count');
SELECT results_eq('SELECT g, nf, sv, mf FROM t100_filter ORDER BY g',
  $$VALUES (1, 1::bigint, 30::bigint, 10), (2, 1::bigint, NULL::bigint, 5), (3, 0::bigint, NULL::bigint, NULL::int)$$,
  'FILTER on count, sum and max');
SELECT is((SELECT count(*) FROM t100_global), 0::bigint, 'a global HAVING that is false: no row');

-- group 2 reaches the HAVING threshold; the global condition becomes true
INSERT INTO t100_s VALUES (2, 100, false);
DELETE FROM t100_s WHERE g = 1 AND v = 10;
SELECT pathway.sync();
SELECT results_eq('SELECT g, s FROM t100_having ORDER BY g', $$VALUES (2, 105::bigint)$$, 'a group enters and one leaves HAVING');
SELECT results_eq('SELECT g, nf, sv, mf FROM t100_filter ORDER BY g',
  $$VALUES (1, 0::bigint, 20::bigint, NULL::int), (2, 1::bigint, 100::bigint, 5), (3, 0::bigint, NULL::bigint, NULL::int)$$,
  'FILTER after the change: the filtered max of group 1 is gone');
SELECT results_eq('SELECT n FROM t100_global', $$VALUES (4::bigint)$$, 'the global HAVING now holds');

-- random changes, then the oracle
INSERT INTO t100_s SELECT (random() * 6)::int, (random() * 50)::int, random() < 0.5 FROM generate_series(1, 300);
UPDATE t100_s SET v = v + 7, flag = NOT flag WHERE random() < 0.3;
DELETE FROM t100_s WHERE random() < 0.2;
UPDATE t100_s SET g = (g + 1) % 6 WHERE random() < 0.2;
SELECT pathway.sync();

SELECT is((SELECT count(*) FROM ((TABLE t100_having EXCEPT ALL SELECT g, sum(v) FROM t100_s GROUP BY g HAVING count(*) > 1)
  UNION ALL (SELECT g, sum(v) FROM t100_s GROUP BY g HAVING count(*) > 1 EXCEPT ALL TABLE t100_having)) d), 0::bigint,
  'oracle: HAVING view');
SELECT is((SELECT count(*) FROM ((TABLE t100_filter EXCEPT ALL
    SELECT g, count(*) FILTER (WHERE flag), sum(v) FILTER (WHERE v > 6), max(v) FILTER (WHERE flag) FROM t100_s GROUP BY g)
  UNION ALL (SELECT g, count(*) FILTER (WHERE flag), sum(v) FILTER (WHERE v > 6), max(v) FILTER (WHERE flag) FROM t100_s GROUP BY g
    EXCEPT ALL TABLE t100_filter)) d), 0::bigint,
  'oracle: FILTER view');
SELECT is((SELECT count(*) FROM ((TABLE t100_global EXCEPT ALL SELECT count(*) FROM t100_s HAVING sum(v) > 100)
  UNION ALL (SELECT count(*) FROM t100_s HAVING sum(v) > 100 EXCEPT ALL TABLE t100_global)) d), 0::bigint,
  'oracle: global HAVING view');
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't100_%' AND status = 'running'), 3::bigint, 'all three running');

SELECT pathway.drop_view('t100_having');
SELECT pathway.drop_view('t100_filter');
SELECT pathway.drop_view('t100_global');
DROP TABLE t100_s;
SELECT * FROM finish();
