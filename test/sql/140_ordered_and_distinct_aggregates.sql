-- Aggregates with ORDER BY and DISTINCT inside the call: string_agg and
-- array_agg in a given order, count(DISTINCT), sum(DISTINCT), with NULLs,
-- duplicates and FILTER; exact rows, then the oracle after random changes.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t140_s CASCADE;

SELECT plan(7);

CREATE TABLE t140_s (g int, name text, v int);
INSERT INTO t140_s VALUES (1, 'b', 2), (1, 'a', 1), (1, 'c', 2), (1, 'a', NULL), (2, 'z', 5);

CREATE TEMP TABLE t140_q (name text, q text);
INSERT INTO t140_q VALUES
  ('t140_ordered', 'SELECT g, string_agg(name, '','' ORDER BY name, v) AS names, array_agg(v ORDER BY v DESC NULLS LAST) AS vs FROM t140_s GROUP BY g'),
  ('t140_by_other', 'SELECT g, string_agg(name, '','' ORDER BY v NULLS FIRST, name DESC) AS names FROM t140_s GROUP BY g'),
  ('t140_distinct', 'SELECT g, count(DISTINCT v) AS nv, sum(DISTINCT v) AS sv, count(DISTINCT name) FILTER (WHERE v > 1) AS nf, string_agg(DISTINCT name, ''/'' ORDER BY name) AS dn FROM t140_s GROUP BY g');
SELECT pathway.create_view(name, q) FROM t140_q;
SELECT pathway.sync();

SELECT results_eq('SELECT g, names, vs FROM t140_ordered ORDER BY g',
  $$VALUES (1, 'a,a,b,c', ARRAY[2, 2, 1, NULL]), (2, 'z', ARRAY[5])$$, 'string_agg and array_agg with ORDER BY');
SELECT results_eq('SELECT g, names FROM t140_by_other ORDER BY g',
  $$VALUES (1, 'a,a,c,b'), (2, 'z')$$, 'ordered by another column, NULLS FIRST, DESC');
SELECT results_eq('SELECT g, nv, sv, nf, dn FROM t140_distinct ORDER BY g',
  $$VALUES (1, 2::bigint, 3::bigint, 2::bigint, 'a/b/c'), (2, 1::bigint, 5::bigint, 1::bigint, 'z')$$,
  'count, sum and string_agg of DISTINCT values, with FILTER');

INSERT INTO t140_s SELECT (random() * 4)::int, chr(97 + (random() * 5)::int), CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 6)::int END
  FROM generate_series(1, 300);
DELETE FROM t140_s WHERE random() < 0.3;
UPDATE t140_s SET v = v + 1 WHERE random() < 0.3;
UPDATE t140_s SET g = (g + 1) % 4 WHERE random() < 0.2;
SELECT pathway.sync();

CREATE FUNCTION t140_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t140_diff(name, q), 0::bigint, 'oracle: ' || name) FROM t140_q ORDER BY name;
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't140_%' AND status = 'running'), 3::bigint, 'all running');

SELECT pathway.drop_view(name) FROM t140_q;
DROP FUNCTION t140_diff(text, text);
DROP TABLE t140_s;
SELECT * FROM finish();
