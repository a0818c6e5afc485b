-- Regressions found by the query fuzzer (test/fuzz/repro/001-006): set
-- operations over sides of different column types; a WITH query read twice,
-- two WITH queries in one query, WITH read inside EXISTS/IN/a scalar
-- subquery; numeric IN (SELECT int).  Each view is checked against its
-- query after changes.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t125_a, t125_b CASCADE;

SELECT plan(11);

CREATE TABLE t125_a (x int, g text);
CREATE TABLE t125_b (y bigint, n numeric);
INSERT INTO t125_a VALUES (1, 'a'), (2, 'b'), (2, NULL);
INSERT INTO t125_b VALUES (10, 1.5), (2, 2);

SELECT lives_ok($$SELECT pathway.create_view('t125_u1', 'SELECT x::numeric AS v FROM t125_a UNION ALL SELECT x FROM t125_a')$$,
  'numeric UNION ALL int');
SELECT lives_ok($$SELECT pathway.create_view('t125_u2', 'SELECT y FROM t125_b UNION SELECT x FROM t125_a')$$,
  'bigint UNION int');
SELECT lives_ok($$SELECT pathway.create_view('t125_u3', 'SELECT x FROM t125_a EXCEPT ALL SELECT n FROM t125_b')$$,
  'int EXCEPT ALL numeric');
SELECT lives_ok($$SELECT pathway.create_view('t125_w1', 'WITH w AS (SELECT x FROM t125_a) SELECT p.x FROM w p JOIN w q ON p.x = q.x')$$,
  'a WITH query read twice');
SELECT lives_ok($$SELECT pathway.create_view('t125_w2', 'WITH w1 AS (SELECT x FROM t125_a), w2 AS (SELECT y FROM t125_b) SELECT w1.x, w2.y FROM w1, w2')$$,
  'two WITH queries read by one query');
SELECT lives_ok($$SELECT pathway.create_view('t125_w3', 'WITH w AS (SELECT x FROM t125_a WHERE x > 1) SELECT y FROM t125_b b WHERE EXISTS (SELECT 1 FROM w WHERE w.x = b.y)')$$,
  'a WITH query read inside EXISTS');
SELECT lives_ok($$SELECT pathway.create_view('t125_w4', 'WITH w AS (SELECT x FROM t125_a) SELECT y FROM t125_b WHERE y > (SELECT min(x) FROM w)')$$,
  'a WITH query read inside a scalar subquery');
SELECT lives_ok($$SELECT pathway.create_view('t125_in', 'SELECT n FROM t125_b WHERE n IN (SELECT x FROM t125_a)')$$,
  'numeric IN (SELECT int)');
SELECT pathway.sync();
SELECT results_eq('SELECT v FROM t125_u1 ORDER BY v', $$VALUES (1::numeric), (1), (2), (2), (2), (2)$$,
  'the int side is converted, not misread');

INSERT INTO t125_a VALUES (3, 'c'), (10, NULL);
INSERT INTO t125_b VALUES (3, 3), (NULL, 1);
DELETE FROM t125_a WHERE x = 1;
UPDATE t125_b SET n = 10 WHERE y = 10;
SELECT pathway.sync();
SELECT is((SELECT sum(c) FROM (
    SELECT count(*) AS c FROM pathway.check_view('t125_u1') UNION ALL SELECT count(*) FROM pathway.check_view('t125_u2')
    UNION ALL SELECT count(*) FROM pathway.check_view('t125_u3') UNION ALL SELECT count(*) FROM pathway.check_view('t125_w1')
    UNION ALL SELECT count(*) FROM pathway.check_view('t125_w2') UNION ALL SELECT count(*) FROM pathway.check_view('t125_w3')
    UNION ALL SELECT count(*) FROM pathway.check_view('t125_w4') UNION ALL SELECT count(*) FROM pathway.check_view('t125_in')) d),
  0::numeric, 'every view equals its query after changes');
SELECT results_eq('SELECT n FROM t125_in ORDER BY n', $$VALUES (2::numeric), (3), (10)$$, 'numeric IN (SELECT int), exactly');

SELECT pathway.drop_view(v) FROM unnest(ARRAY['t125_u1', 't125_u2', 't125_u3', 't125_w1', 't125_w2', 't125_w3', 't125_w4', 't125_in']) v;
DROP TABLE t125_a, t125_b;
SELECT * FROM finish();
