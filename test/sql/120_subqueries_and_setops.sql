-- Subqueries in FROM, non-recursive WITH (also one WITH query reading
-- another), UNION ALL, UNION, INTERSECT [ALL], EXCEPT [ALL]: exact rows on
-- small cases with NULLs and duplicates, then the oracle after random
-- changes.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t120_a, t120_b CASCADE;

SELECT plan(21);

CREATE TABLE t120_a (k int, v int);
CREATE TABLE t120_b (k int, v int);
INSERT INTO t120_a VALUES (1, 10), (1, 10), (2, 20), (NULL, 0);
INSERT INTO t120_b VALUES (1, 10), (3, 30), (NULL, 0);

CREATE TEMP TABLE t120_q (name text, q text);
INSERT INTO t120_q VALUES
  ('t120_sub',       'SELECT s.k, s.total FROM (SELECT k, sum(v) AS total FROM t120_a GROUP BY k) s WHERE s.total > 5'),
  ('t120_with',      'WITH per AS (SELECT k, count(*) AS n FROM t120_a GROUP BY k), big AS (SELECT k FROM per WHERE n > 1) SELECT b.k, a.v FROM big b JOIN t120_a a ON a.k = b.k'),
  ('t120_union_all', 'SELECT k, v FROM t120_a UNION ALL SELECT k, v FROM t120_b'),
  ('t120_union',     'SELECT k, v FROM t120_a UNION SELECT k, v FROM t120_b'),
  ('t120_intersect', 'SELECT k, v FROM t120_a INTERSECT SELECT k, v FROM t120_b'),
  ('t120_int_all',   'SELECT k, v FROM t120_a INTERSECT ALL SELECT k, v FROM t120_b'),
  ('t120_except',    'SELECT k, v FROM t120_a EXCEPT SELECT k, v FROM t120_b'),
  ('t120_exc_all',   'SELECT k, v FROM t120_a EXCEPT ALL SELECT k, v FROM t120_b'),
  ('t120_nested',    'SELECT u.k, count(*) AS n FROM (SELECT k FROM t120_a UNION ALL SELECT k FROM t120_b) u GROUP BY u.k');
SELECT pathway.create_view(name, q) FROM t120_q;
SELECT pathway.sync();

SELECT bag_eq('TABLE t120_sub', $$VALUES (1, 20::bigint), (2, 20::bigint)$$, 'subquery in FROM');
SELECT bag_eq('TABLE t120_with', $$VALUES (1, 10), (1, 10)$$, 'WITH queries, one reading the other');
SELECT is((SELECT count(*) FROM t120_union_all), 7::bigint, 'UNION ALL keeps every row');
SELECT set_eq('TABLE t120_union', $$VALUES (1, 10), (2, 20), (NULL::int, 0), (3, 30)$$, 'UNION');
SELECT bag_eq('TABLE t120_intersect', $$VALUES (1, 10), (NULL::int, 0)$$, 'INTERSECT (NULLs are equal)');
SELECT bag_eq('TABLE t120_int_all', $$VALUES (1, 10), (NULL::int, 0)$$, 'INTERSECT ALL');
SELECT bag_eq('TABLE t120_except', $$VALUES (2, 20)$$, 'EXCEPT');
SELECT bag_eq('TABLE t120_exc_all', $$VALUES (1, 10), (2, 20)$$, 'EXCEPT ALL: one of the two copies remains');

-- the second copy of (1,10) in b: EXCEPT ALL loses a row, INTERSECT ALL gains one
INSERT INTO t120_b VALUES (1, 10);
DELETE FROM t120_a WHERE k = 2;
SELECT pathway.sync();
SELECT bag_eq('TABLE t120_int_all', $$VALUES (1, 10), (1, 10), (NULL::int, 0)$$, 'INTERSECT ALL after a change');
SELECT bag_eq('TABLE t120_exc_all', $$VALUES (1, 10) LIMIT 0$$, 'EXCEPT ALL after a change: empty');

SELECT throws_ok($$SELECT pathway.create_view('t120_bad', 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n, pg_backend_pid() AS p FROM r')$$,
  '0A000', 'cannot maintain view "t120_bad"', 'a session-dependent function over a WITH RECURSIVE is refused');
SELECT throws_ok($$SELECT pathway.create_view('t120_bad', 'SELECT a.k FROM t120_a a, LATERAL (SELECT b.v, row_number() OVER (ORDER BY b.v) FROM t120_b b WHERE b.k = a.k) l')$$,
  '0A000', 'cannot maintain view "t120_bad"', 'LATERAL with a window function is refused');

-- random changes, then the oracle for every view
INSERT INTO t120_a SELECT (random() * 5)::int, (random() * 4)::int * 10 FROM generate_series(1, 200);
INSERT INTO t120_b SELECT CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 5)::int END, (random() * 4)::int * 10 FROM generate_series(1, 200);
DELETE FROM t120_a WHERE random() < 0.3;
UPDATE t120_b SET v = v + 10 WHERE random() < 0.3;
UPDATE t120_a SET k = (k + 1) % 5 WHERE random() < 0.2;
SELECT pathway.sync();

CREATE FUNCTION t120_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t120_diff(name, q), 0::bigint, 'oracle: ' || name) FROM t120_q ORDER BY name;

SELECT pathway.drop_view(name) FROM t120_q;
DROP FUNCTION t120_diff(text, text);
DROP TABLE t120_a, t120_b;
SELECT * FROM finish();
