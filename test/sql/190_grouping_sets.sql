-- GROUPING SETS, ROLLUP and CUBE with GROUPING(), HAVING and NULL keys:
-- every set's rows, the grand total even over an empty table.
-- Exact rows, then the oracle.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t190_s CASCADE;

SELECT plan(9);

CREATE TABLE t190_s (region text, product text, amount int);

CREATE TEMP TABLE t190_q (name text, q text);
INSERT INTO t190_q VALUES
  ('t190_rollup', 'SELECT region, product, sum(amount) AS total, count(*) AS n, GROUPING(region, product) AS g FROM t190_s GROUP BY ROLLUP (region, product)'),
  ('t190_cube',   'SELECT region, product, max(amount) AS top FROM t190_s GROUP BY CUBE (region, product) HAVING count(*) > 1'),
  ('t190_sets',   'SELECT region, product, count(*) AS n FROM t190_s GROUP BY GROUPING SETS ((region), (product), ())');
SELECT pathway.create_view(name, q) FROM t190_q;
SELECT pathway.sync();

SELECT bag_eq('TABLE t190_rollup', $$VALUES (NULL::text, NULL::text, NULL::bigint, 0::bigint, 3)$$,
  'ROLLUP over an empty table: the grand total only');

INSERT INTO t190_s VALUES ('n', 'a', 10), ('n', 'b', 5), ('s', 'a', 7), (NULL, 'a', 1);
SELECT pathway.sync();
SELECT bag_eq('TABLE t190_rollup', $$VALUES
    ('n', 'a', 10::bigint, 1::bigint, 0), ('n', 'b', 5, 1, 0), ('s', 'a', 7, 1, 0), (NULL, 'a', 1, 1, 0),
    ('n', NULL, 15, 2, 1), ('s', NULL, 7, 1, 1), (NULL, NULL, 1, 1, 1),
    (NULL, NULL, 23, 4, 3)$$,
  'ROLLUP: detail rows, subtotals (GROUPING 1), the total (3); a NULL region is its own group');
SELECT bag_eq('TABLE t190_cube', $$VALUES ('n', NULL::text, 10), (NULL::text, 'a', 10), (NULL, NULL, 10)$$,
  'CUBE with HAVING');
SELECT bag_eq('TABLE t190_sets', $$VALUES ('n', NULL::text, 2::bigint), ('s', NULL, 1), (NULL, NULL, 1),
    (NULL, 'a', 3), (NULL, 'b', 1), (NULL, NULL, 4)$$, 'GROUPING SETS with the empty set');

INSERT INTO t190_s SELECT (ARRAY['n', 's', 'e', NULL])[1 + g % 4], (ARRAY['a', 'b', 'c'])[1 + g % 3], g % 17 FROM generate_series(1, 200) g;
DELETE FROM t190_s WHERE random() < 0.3;
UPDATE t190_s SET amount = amount + 1, region = 'w' WHERE random() < 0.2;
SELECT pathway.sync();

CREATE FUNCTION t190_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t190_diff(name, q), 0::bigint, 'oracle: ' || name) FROM t190_q ORDER BY name;
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't190_%' AND status = 'running'), 3::bigint, 'all running');
SELECT is((SELECT count(*) FROM pg_indexes WHERE tablename LIKE 't190_%'), 0::bigint, 'no unique index: grouping sets have no key');

SELECT pathway.drop_view(name) FROM t190_q;
DROP FUNCTION t190_diff(text, text);
DROP TABLE t190_s;
SELECT * FROM finish();
