-- Set-returning functions in the select list of a grouped, aggregated or
-- windowed query: PostgreSQL runs them over the aggregated rows, so the
-- query becomes one over its aggregation as a subquery, whose functions
-- are then those of any select list (in lockstep, none: the row is gone);
-- DISTINCT and ORDER BY ... LIMIT apply to the expanded rows.  Exact rows,
-- then random changes and the oracle.  Nested calls stay refused (050).
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t211_t CASCADE;

SELECT plan(11);

CREATE TABLE t211_t (id int PRIMARY KEY, g int, v int, tags text[]);
INSERT INTO t211_t VALUES (1, 1, 10, '{a,b}'), (2, 1, 20, '{c}'), (3, 2, 5, NULL), (4, NULL, 7, '{}');

SELECT lives_ok($$SELECT pathway.create_view('t211_series', 'SELECT g, generate_series(1, count(*)::int) AS n FROM t211_t GROUP BY g')$$,
  'generate_series over a group''s count');
SELECT lives_ok($$SELECT pathway.create_view('t211_unnest', 'SELECT g, sum(v) * 2 AS s2, unnest(array_agg(v ORDER BY v)) + sum(v) AS u FROM t211_t GROUP BY g HAVING count(*) > 0')$$,
  'unnest of an aggregate, inside an expression with other aggregates, with HAVING');
SELECT lives_ok($$SELECT pathway.create_view('t211_window', 'SELECT id, unnest(tags) AS t, rank() OVER (ORDER BY v) AS r FROM t211_t')$$,
  'a set-returning function beside a window function');
SELECT lives_ok($$SELECT pathway.create_view('t211_global', 'SELECT DISTINCT generate_series(1, max(v) % 7) AS k, count(*) AS n FROM t211_t')$$,
  'DISTINCT over the rows a global aggregate expands to');
SELECT lives_ok($$SELECT pathway.create_view('t211_top', 'SELECT g, generate_series(1, count(*)::int) AS n FROM t211_t GROUP BY g ORDER BY g NULLS LAST, n DESC LIMIT 3')$$,
  'ORDER BY ... LIMIT over the expanded rows');

SELECT pathway.sync();
SELECT results_eq('SELECT g, n FROM t211_series ORDER BY g NULLS LAST, n', $$VALUES (1, 1), (1, 2), (2, 1), (NULL, 1)$$,
  'one row per number of each group');
SELECT results_eq('SELECT g, s2, u FROM t211_unnest ORDER BY g NULLS LAST, u', $$VALUES (1, 60::bigint, 40::bigint), (1, 60::bigint, 50::bigint), (2, 10::bigint, 10::bigint), (NULL, 14::bigint, 14::bigint)$$,
  'each value of the group plus the group''s sum');
SELECT results_eq('SELECT id, t, r FROM t211_window ORDER BY id, t', $$VALUES (1, 'a', 3::bigint), (1, 'b', 3::bigint), (2, 'c', 4::bigint)$$,
  'the rank of the row for each of its tags (none, NULL: no row)');
SELECT results_eq('SELECT k, n FROM t211_global ORDER BY k', $$VALUES (1, 4::bigint), (2, 4::bigint), (3, 4::bigint), (4, 4::bigint), (5, 4::bigint), (6, 4::bigint)$$,
  'max 20 % 7 = 6 rows');
SELECT results_eq('SELECT g, n FROM t211_top ORDER BY g NULLS LAST, n DESC', $$VALUES (1, 2), (1, 1), (2, 1)$$,
  'the first three expanded rows');

INSERT INTO t211_t SELECT i, i % 5, (i * 7) % 30, CASE WHEN i % 4 = 0 THEN NULL ELSE ARRAY[chr(97 + i % 3), chr(98 + i % 2)] END
  FROM generate_series(5, 40) i;
UPDATE t211_t SET g = g + 1 WHERE id % 3 = 0;
UPDATE t211_t SET v = v + 11 WHERE id % 4 = 1;
DELETE FROM t211_t WHERE id % 7 = 2;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.views v, LATERAL pathway.check_view(v.name) c WHERE v.name LIKE 't211_%')
          + (SELECT count(*) FROM pathway.views WHERE name LIKE 't211_%' AND status <> 'running'), 0::bigint,
  'every view running and equal to its query after the changes');

SELECT pathway.drop_view(name) FROM pathway.views WHERE name LIKE 't211_%';
DROP TABLE t211_t;
SELECT * FROM finish();
