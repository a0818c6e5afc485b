-- LEFT, RIGHT and FULL joins: padded rows appear and vanish as partners come
-- and go, NULL keys never match, conditions on the nullable side filter it
-- first, outer joins under GROUP BY (count of the nullable side), three
-- tables, the anti-join pattern (WHERE b.x IS NULL), a condition on the
-- preserved side (through the magic set of test 112); a FULL JOIN on a
-- condition not strict in one side is refused.  Exact rows on small cases,
-- then the oracle after random changes.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t110_a, t110_b, t110_c CASCADE;

SELECT plan(17);

CREATE TABLE t110_a (k int, x text);
CREATE TABLE t110_b (k int, y text, w int);
CREATE TABLE t110_c (y text, z int);
INSERT INTO t110_a VALUES (1, 'a1'), (2, 'a2'), (NULL, 'anull');
INSERT INTO t110_b VALUES (1, 'b1', 10), (3, 'b3', 30), (NULL, 'bnull', 0);
INSERT INTO t110_c VALUES ('b1', 100);

SELECT pathway.create_view('t110_left', 'SELECT a.k, a.x, b.y FROM t110_a a LEFT JOIN t110_b b ON a.k = b.k');
SELECT pathway.create_view('t110_right', 'SELECT a.x, b.k, b.y FROM t110_a a RIGHT JOIN t110_b b ON b.k = a.k');
SELECT pathway.create_view('t110_full', 'SELECT a.x, b.y FROM t110_a a FULL JOIN t110_b b ON a.k = b.k');
SELECT pathway.create_view('t110_cond', 'SELECT a.x, b.y FROM t110_a a LEFT JOIN t110_b b ON a.k = b.k AND b.w > 5');
SELECT pathway.create_view('t110_anti', 'SELECT a.x FROM t110_a a LEFT JOIN t110_b b ON a.k = b.k WHERE b.k IS NULL');
SELECT pathway.create_view('t110_count', 'SELECT a.x, count(b.y) AS n FROM t110_a a LEFT JOIN t110_b b USING (k) GROUP BY a.x');
SELECT pathway.create_view('t110_pres', 'SELECT a.x, b.y FROM t110_a a LEFT JOIN t110_b b ON a.k = b.k AND a.x = ''a1''');
SELECT pathway.create_view('t110_three', 'SELECT a.x, b.y, c.z FROM t110_a a LEFT JOIN t110_b b ON a.k = b.k LEFT JOIN t110_c c ON c.y = b.y');
SELECT pathway.sync();

SELECT set_eq('SELECT x, y FROM t110_left', $$VALUES ('a1', 'b1'), ('a2', NULL), ('anull', NULL)$$, 'LEFT JOIN: unmatched and NULL-key rows padded');
SELECT set_eq('SELECT x, y FROM t110_right', $$VALUES ('a1', 'b1'), (NULL, 'b3'), (NULL, 'bnull')$$, 'RIGHT JOIN');
SELECT set_eq('SELECT x, y FROM t110_full', $$VALUES ('a1', 'b1'), ('a2', NULL), ('anull', NULL), (NULL, 'b3'), (NULL, 'bnull')$$, 'FULL JOIN');

SELECT set_eq('SELECT x, y FROM t110_pres', $$VALUES ('a1', 'b1'), ('a2', NULL), ('anull', NULL)$$,
  'a condition on the preserved side in ON pads the rows it fails, as PostgreSQL does');

-- a partner arrives for a2, b1 leaves: padding flips both ways
INSERT INTO t110_b VALUES (2, 'b2', 1);
DELETE FROM t110_b WHERE y = 'b1';
SELECT pathway.sync();
SELECT set_eq('SELECT x, y FROM t110_left', $$VALUES ('a1', NULL), ('a2', 'b2'), ('anull', NULL)$$, 'LEFT JOIN after partners changed');
SELECT set_eq('SELECT x, y FROM t110_full', $$VALUES ('a1', NULL), ('a2', 'b2'), ('anull', NULL), (NULL, 'b3'), (NULL, 'bnull')$$, 'FULL JOIN after partners changed');
SELECT set_eq('SELECT x, y FROM t110_cond', $$VALUES ('a1', NULL), ('a2', NULL), ('anull', NULL)$$, 'a condition on the nullable side filters it before the join');
SELECT set_eq('SELECT x FROM t110_anti', $$VALUES ('a1'), ('anull')$$, 'anti-join: rows without a partner');
SELECT set_eq('SELECT x, n FROM t110_count', $$VALUES ('a1', 0::bigint), ('a2', 1::bigint), ('anull', 0::bigint)$$, 'count of the nullable side is 0, not missing');

SELECT throws_ok($$SELECT pathway.create_view('t110_bad', 'SELECT a.x FROM t110_a a FULL JOIN t110_b b ON a.k < coalesce(b.k, 0)')$$,
  '0A000', 'cannot maintain view "t110_bad"', 'a FULL JOIN on a condition not strict in one side is refused (a strict one: 112)');

-- random changes on all three tables, several transactions
INSERT INTO t110_a SELECT (random() * 8)::int, 'ra' || g FROM generate_series(1, 60) g;
INSERT INTO t110_b SELECT CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 8)::int END, 'rb' || (g % 7), (random() * 20)::int FROM generate_series(1, 60) g;
INSERT INTO t110_c SELECT 'rb' || (g % 5), g FROM generate_series(1, 10) g;
DELETE FROM t110_a WHERE random() < 0.3;
UPDATE t110_b SET k = (random() * 8)::int WHERE random() < 0.3;
DELETE FROM t110_b WHERE random() < 0.2;
UPDATE t110_c SET y = 'rb' || (z % 7) WHERE random() < 0.5;
BEGIN;
DELETE FROM t110_b WHERE k = 3;
INSERT INTO t110_a VALUES (3, 'late');
INSERT INTO t110_b VALUES (3, 'rb1', 9);
COMMIT;
SELECT pathway.sync();

CREATE FUNCTION t110_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL %2$s) UNION ALL (%2$s EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t110_diff('t110_left', 'SELECT a.k, a.x, b.y FROM t110_a a LEFT JOIN t110_b b ON a.k = b.k'), 0::bigint, 'oracle: LEFT');
SELECT is(t110_diff('t110_right', 'SELECT a.x, b.k, b.y FROM t110_a a RIGHT JOIN t110_b b ON b.k = a.k'), 0::bigint, 'oracle: RIGHT');
SELECT is(t110_diff('t110_full', 'SELECT a.x, b.y FROM t110_a a FULL JOIN t110_b b ON a.k = b.k'), 0::bigint, 'oracle: FULL');
SELECT is(t110_diff('t110_cond', 'SELECT a.x, b.y FROM t110_a a LEFT JOIN t110_b b ON a.k = b.k AND b.w > 5'), 0::bigint, 'oracle: LEFT with a nullable-side condition');
SELECT is(t110_diff('t110_count', 'SELECT a.x, count(b.y) AS n FROM t110_a a LEFT JOIN t110_b b USING (k) GROUP BY a.x'), 0::bigint, 'oracle: LEFT + GROUP BY');
SELECT is(t110_diff('t110_three', 'SELECT a.x, b.y, c.z FROM t110_a a LEFT JOIN t110_b b ON a.k = b.k LEFT JOIN t110_c c ON c.y = b.y')
  + t110_diff('t110_anti', 'SELECT a.x FROM t110_a a LEFT JOIN t110_b b ON a.k = b.k WHERE b.k IS NULL'), 0::bigint,
  'oracle: three tables, and the anti-join');

SELECT is(t110_diff('t110_pres', 'SELECT a.x, b.y FROM t110_a a LEFT JOIN t110_b b ON a.k = b.k AND a.x = ''a1'''), 0::bigint,
  'oracle: LEFT with a preserved-side condition');

SELECT pathway.drop_view(v) FROM unnest(ARRAY['t110_pres', 't110_left', 't110_right', 't110_full', 't110_cond', 't110_anti', 't110_count', 't110_three']) v;
DROP FUNCTION t110_diff(text, text);
DROP TABLE t110_a, t110_b, t110_c;
SELECT * FROM finish();
