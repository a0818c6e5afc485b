-- Ordered-set and hypothetical-set aggregates: percentile_cont,
-- percentile_disc (one fraction and an array), mode, rank(...) WITHIN GROUP,
-- grouped and global, NULLs in inputs and keys; a touched group is
-- recomputed with PostgreSQL's own support functions.  Exact rows, then the
-- oracle.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t145_t CASCADE;

SELECT plan(7);

CREATE TABLE t145_t (g int, x numeric, t text);
INSERT INTO t145_t VALUES (1, 1, 'a'), (1, 2, 'b'), (1, 3, 'b'), (1, 10, 'c'), (2, 5, 'z'), (2, NULL, 'z'), (NULL, 7, NULL);

SELECT lives_ok($$SELECT pathway.create_view('t145_v', $q$
  SELECT g, percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS med,
         percentile_disc(ARRAY[0.25, 0.75]) WITHIN GROUP (ORDER BY x) AS q,
         mode() WITHIN GROUP (ORDER BY t) AS m,
         rank(3) WITHIN GROUP (ORDER BY x) AS r,
         count(*) AS n
    FROM t145_t GROUP BY g $q$)$$, 'ordered-set and hypothetical-set aggregates per group');
SELECT lives_ok($$SELECT pathway.create_view('t145_all', $q$
  SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY x DESC) AS p90, mode() WITHIN GROUP (ORDER BY t) AS m FROM t145_t $q$)$$,
  'a global one, descending');
SELECT pathway.sync();
SELECT results_eq('SELECT g, med, q, m, r, n FROM t145_v ORDER BY g NULLS LAST',
  $$VALUES (1, 2.5::float8, '{1,3}'::numeric[], 'b', 3::bigint, 4::bigint),
           (2, 5, '{5,5}', 'z', 1, 2),
           (NULL, 7, '{7,7}', NULL, 1, 1)$$,
  'exact values, NULL inputs ignored as PostgreSQL does');

INSERT INTO t145_t VALUES (1, 100, 'c'), (1, 200, 'c'), (2, 6, 'y');
DELETE FROM t145_t WHERE x = 1;
UPDATE t145_t SET g = 2 WHERE x = 3;
SELECT pathway.sync();
SELECT results_eq('SELECT g, med, m, n FROM t145_v ORDER BY g NULLS LAST',
  $$VALUES (1, 55::float8, 'c', 4::bigint), (2, 5, 'z', 4), (NULL, 7, NULL, 1)$$,
  'recomputed when a group changes');

INSERT INTO t145_t SELECT g % 7, (g * 37) % 101, 'w' || g % 5 FROM generate_series(1, 500) g;
DELETE FROM t145_t WHERE x % 9 = 0;
UPDATE t145_t SET t = NULL WHERE x % 11 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t145_v')) + (SELECT count(*) FROM pathway.check_view('t145_all')),
  0::bigint, 'both views equal their query after random changes');
SELECT is((SELECT count(*) FROM t145_v), 8::bigint, 'one row per group, NULL group included');
SELECT throws_ok($$SELECT pathway.create_view('t145_bad', 'SELECT g, percentile_cont(g / 10.0) WITHIN GROUP (ORDER BY x) FROM t145_t GROUP BY g')$$,
  '0A000', 'cannot maintain view "t145_bad"', 'a direct argument that reads a column is refused');

SELECT pathway.drop_view('t145_v');
SELECT pathway.drop_view('t145_all');
DROP TABLE t145_t;
SELECT * FROM finish();
