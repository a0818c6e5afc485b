-- One WHERE conjunct that holds both a correlated scalar subquery and an
-- IN or EXISTS inside an expression (under OR, NOT, CASE).  The conjunct
-- is applied after the scalar's LEFT JOIN; its IN / EXISTS must become
-- mark joins there too, or be refused as anywhere else.  The fuzzer found
-- such a conjunct skipping both: an IN left in place, an internal error at
-- create_view ("unrecognized node type").
-- Exact rows, then the oracle after changes.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t206_a, t206_b, t206_c, t206_r, t206_s, t206_d CASCADE;

SELECT plan(10);

CREATE TABLE t206_a (id int, k int, w int);
CREATE TABLE t206_b (k int, g text);
CREATE TABLE t206_c (g text, v int);
INSERT INTO t206_a VALUES (1, 1, 5), (2, 1, 1), (3, 2, 0), (4, 3, 9), (5, NULL, 2);
INSERT INTO t206_b VALUES (1, 'x'), (2, 'y'), (3, NULL);
INSERT INTO t206_c VALUES ('x', 1), ('y', 0), (NULL, 5);

SELECT lives_ok($$SELECT pathway.create_view('t206_in', $q$
  SELECT a.id FROM t206_a a LEFT JOIN t206_b b ON a.k = b.k
   WHERE b.g IN (SELECT c.g FROM t206_c c WHERE c.v > 0)
      OR NOT (CASE WHEN a.id = 3 THEN b.k < a.k
                   ELSE a.w >= (SELECT sum(x.id) FROM t206_a x WHERE x.k = a.k) END) $q$)$$,
  'IN and a correlated scalar (under NOT and CASE) in one condition');
SELECT lives_ok($$SELECT pathway.create_view('t206_exists', $q$
  SELECT a.id FROM t206_a a
   WHERE EXISTS (SELECT 1 FROM t206_c c WHERE c.v = a.w)
      OR a.w > (SELECT count(*) FROM t206_a x WHERE x.k = a.k) $q$)$$,
  'EXISTS and a correlated scalar in one condition');
SELECT lives_ok($$SELECT pathway.create_view('t206_corr_in', $q$
  SELECT a.id FROM t206_a a LEFT JOIN t206_b b ON a.k = b.k
   WHERE b.g IN (SELECT c.g FROM t206_c c WHERE c.v > 0 AND c.g = b.g)
      OR a.w >= (SELECT sum(x.id) FROM t206_a x WHERE x.k = a.k) $q$)$$,
  'a correlated IN (with another condition) next to a correlated scalar');
CREATE TABLE t206_r (id int, k int, g text, v numeric(8,2));
CREATE TABLE t206_s (id int, k int, h text, w int);
CREATE TABLE t206_d (g text, h text, n int);
INSERT INTO t206_r VALUES (1, 1, 'a', 2), (2, 2, 'b', 7.5), (3, NULL, NULL, NULL);
INSERT INTO t206_s VALUES (1, 0, 'a', 2), (2, 5, 'ab', 3), (3, 5, NULL, 7), (4, NULL, 'c', NULL);
INSERT INTO t206_d VALUES ('ab', 'ab', 0), ('ab', 'ab', 5), ('c', 'a', 9), ('a', 'ac', NULL), (NULL, 'ab', 5);
SELECT lives_ok($$SELECT pathway.create_view('t206_nullable', $q$
  SELECT t1.g AS c1, t3.h AS c2 FROM t206_d t1 JOIN t206_d t2 ON t1.g = t2.h AND t2.h LIKE 'a%'
    LEFT JOIN t206_s t3 ON t2.n = t3.k
   WHERE t1.n NOT BETWEEN 1 AND 4
     AND (t3.w IN (SELECT t4.v FROM t206_r t4)
          OR (CASE WHEN t3.w NOT BETWEEN 2 AND 3 THEN t2.h IS NOT DISTINCT FROM 'b'
                   ELSE t3.id = (SELECT max(t5.w) FROM t206_s t5 WHERE t5.h IS NULL AND t3.h = t5.h) END
              OR t3.id IS NULL)) $q$)$$,
  'IN over numeric and a scalar correlated with the nullable side of a LEFT JOIN, in one condition (the fuzzer''s query)');
SELECT pathway.sync();
SELECT results_eq('SELECT c1, c2 FROM t206_nullable ORDER BY 1, 2',
  $$SELECT t1.g AS c1, t3.h AS c2 FROM t206_d t1 JOIN t206_d t2 ON t1.g = t2.h AND t2.h LIKE 'a%'
    LEFT JOIN t206_s t3 ON t2.n = t3.k
   WHERE t1.n NOT BETWEEN 1 AND 4
     AND (t3.w IN (SELECT t4.v FROM t206_r t4)
          OR (CASE WHEN t3.w NOT BETWEEN 2 AND 3 THEN t2.h IS NOT DISTINCT FROM 'b'
                   ELSE t3.id = (SELECT max(t5.w) FROM t206_s t5 WHERE t5.h IS NULL AND t3.h = t5.h) END
              OR t3.id IS NULL)) ORDER BY 1, 2$$,
  'that view: the rows PostgreSQL gives');

-- t206_in (the IN list is x and NULL): a1 (g x: yes); a2 (g x: yes); a3 (g y: NULL;
-- CASE: id 3, b.k 2 < 2 false, NOT false: yes); a4 (g NULL: IN NULL; CASE: w 9 >=
-- sum(id of k3) 4: true, NOT: false; NULL OR false: no); a5 (no b: g NULL, IN NULL;
-- sum over k NULL is NULL, NOT NULL: NULL: no)
SELECT results_eq('SELECT id FROM t206_in ORDER BY id', $$VALUES (1), (2), (3)$$,
  'IN or NOT CASE: exactly the rows PostgreSQL keeps, NULLs three-valued');
-- t206_exists: w in c.v (1, 0, 5): a1 (w5), a2 (w1), a3 (w0); else w > count of its k:
-- a4 (9 > 1), a5 (2 > 0: count over k NULL is 0)
SELECT results_eq('SELECT id FROM t206_exists ORDER BY id', $$VALUES (1), (2), (3), (4), (5)$$,
  'EXISTS or a correlated count');

INSERT INTO t206_c VALUES ('y', 7);
DELETE FROM t206_c WHERE g = 'x';
UPDATE t206_a SET w = 4 WHERE id = 4;
INSERT INTO t206_a VALUES (6, 2, 3), (7, 3, 0);
UPDATE t206_b SET g = 'y' WHERE k = 3;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t206_in')) + (SELECT count(*) FROM pathway.check_view('t206_exists'))
         + (SELECT count(*) FROM pathway.check_view('t206_corr_in')) + (SELECT count(*) FROM pathway.check_view('t206_nullable')),
  0::bigint, 'every view equals its query after changes');
SELECT results_eq('SELECT id FROM t206_in ORDER BY id',
  $$SELECT a.id FROM t206_a a LEFT JOIN t206_b b ON a.k = b.k
     WHERE b.g IN (SELECT c.g FROM t206_c c WHERE c.v > 0)
        OR NOT (CASE WHEN a.id = 3 THEN b.k < a.k
                     ELSE a.w >= (SELECT sum(x.id) FROM t206_a x WHERE x.k = a.k) END) ORDER BY 1$$,
  'IN or NOT CASE after changes, row by row');
SELECT ok((SELECT count(*) FROM t206_in) > 0 AND (SELECT count(*) FROM t206_exists) > 0,
  'the oracle compared rows');

SELECT pathway.drop_view('t206_in');
SELECT pathway.drop_view('t206_corr_in');
SELECT pathway.drop_view('t206_nullable');
SELECT pathway.drop_view('t206_exists');
DROP TABLE t206_a, t206_b, t206_c, t206_r, t206_s, t206_d;
SELECT * FROM finish();
