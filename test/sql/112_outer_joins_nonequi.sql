-- Outer joins whose condition is not only equalities between the sides:
-- a non-equality (s.b < t.b), an equality next to one (s.k = t.k AND
-- s.x <> t.x), a condition on the preserved side (ON t.flag AND ...),
-- RIGHT JOIN, FULL JOIN, a join as the preserved side, subqueries on either side
-- (one grouped), text compared under a
-- deterministic collation, a count over such a join.  The preserved side's
-- distinct values the condition reads are joined with the nullable side
-- (a magic set) and the result joined back on them.  NULLs on either side,
-- duplicates, rows gaining and losing partners; exact rows, then the oracle.
-- A numeric of the preserved side is taken where the condition only
-- compares it (equal values of different scales meet the same rows).
-- What stays refused: a numeric in arithmetic (equal values whose results
-- differ) or a condition that is not strict in the preserved side
-- (coalesce, OR).
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t112_t, t112_s, t112_u CASCADE;

SELECT plan(26);

CREATE TABLE t112_t (id int, k int, b int, x int, flag bool, name text COLLATE "C", n numeric);
CREATE TABLE t112_s (id int, k int, b int, x int, name text COLLATE "C", n numeric);
CREATE TABLE t112_u (id int, c int);
INSERT INTO t112_t VALUES (1, 1, 10, 1, true, 'm', 1), (2, 1, 20, 2, false, 'b', 2), (3, 2, NULL, 3, true, NULL, 3),
                          (4, 2, 5, 3, NULL, 'z', 4), (4, 2, 5, 3, NULL, 'z', 4);
INSERT INTO t112_s VALUES (10, 1, 5, 1, 'a', 1), (11, 1, 15, 2, 'n', 2), (12, 2, 1, 3, 'y', 3), (13, NULL, 7, NULL, NULL, 4);
INSERT INTO t112_u VALUES (1, 12), (2, 18), (3, 0), (4, 6);

SELECT lives_ok($$SELECT pathway.create_view('t112_lt', $q$
  SELECT t.id, s.id AS sid FROM t112_t t LEFT JOIN t112_s s ON s.b < t.b $q$)$$,
  'LEFT JOIN on a non-equality');
SELECT lives_ok($$SELECT pathway.create_view('t112_keyed', $q$
  SELECT t.id, s.id AS sid FROM t112_t t LEFT JOIN t112_s s ON s.k = t.k AND s.x <> t.x $q$)$$,
  'LEFT JOIN on an equality and a non-equality');
SELECT lives_ok($$SELECT pathway.create_view('t112_pres', $q$
  SELECT t.id, s.id AS sid FROM t112_t t LEFT JOIN t112_s s ON t.flag AND s.k = t.k $q$)$$,
  'LEFT JOIN with a condition on the preserved side');
SELECT lives_ok($$SELECT pathway.create_view('t112_right', $q$
  SELECT t.id, s.id AS sid FROM t112_s s RIGHT JOIN t112_t t ON s.b BETWEEN t.x AND t.b $q$)$$,
  'RIGHT JOIN on a range');
SELECT lives_ok($$SELECT pathway.create_view('t112_chain', $q$
  SELECT t.id, u.c, s.id AS sid FROM t112_t t JOIN t112_u u ON u.id = t.id
    LEFT JOIN t112_s s ON s.b > t.b AND s.b < u.c $q$)$$,
  'the preserved side a join: the condition reads both of its tables');
SELECT lives_ok($$SELECT pathway.create_view('t112_text', $q$
  SELECT t.id, s.id AS sid FROM t112_t t LEFT JOIN t112_s s ON s.name < t.name $q$)$$,
  'text compared under the C collation');
SELECT lives_ok($$SELECT pathway.create_view('t112_rank', $q$
  SELECT t.id, t.b, count(s.id) AS below FROM t112_t t LEFT JOIN t112_s s ON s.b < t.b GROUP BY t.id, t.b $q$)$$,
  'a count over the outer join (a rank)');
SELECT lives_ok($$SELECT pathway.create_view('t112_subs', $q$
  SELECT t2.id, s2.id AS sid FROM (SELECT id, b FROM t112_t WHERE k > 0) t2
    LEFT JOIN (SELECT id, b FROM t112_s WHERE x > 1) s2 ON s2.b < t2.b $q$)$$,
  'both sides subqueries');
SELECT lives_ok($$SELECT pathway.create_view('t112_grouped', $q$
  SELECT t.id, g.k, g.n FROM t112_t t
    LEFT JOIN (SELECT k, count(*) AS n FROM t112_s GROUP BY k) g ON g.k <= t.k AND g.n > t.x $q$)$$,
  'the nullable side grouped');
SELECT pathway.sync();

SELECT results_eq('SELECT id, sid FROM t112_lt ORDER BY id, sid',
  $$VALUES (1, 10), (1, 12), (1, 13), (2, 10), (2, 11), (2, 12), (2, 13), (3, NULL), (4, 12), (4, 12)$$,
  'non-equality: each row meets its own partners; a NULL b is padded; duplicates twice');
SELECT results_eq('SELECT id, sid FROM t112_keyed ORDER BY id, sid',
  $$VALUES (1, 11), (2, 10), (3, NULL), (4, NULL), (4, NULL)$$,
  'equality and non-equality');
SELECT results_eq('SELECT id, sid FROM t112_pres ORDER BY id, sid',
  $$VALUES (1, 10), (1, 11), (2, NULL), (3, 12), (4, NULL), (4, NULL)$$,
  'a false or NULL flag pads the row, as PostgreSQL does');

INSERT INTO t112_s VALUES (14, 2, 4, 9, 'c', 5), (15, NULL, NULL, 1, 'zz', 6);
DELETE FROM t112_s WHERE id = 12;
UPDATE t112_t SET b = 30 WHERE id = 3;
UPDATE t112_t SET flag = true WHERE id = 2;
INSERT INTO t112_t VALUES (5, NULL, 1, NULL, false, 'a', 5);
SELECT pathway.sync();
SELECT results_eq('SELECT id, sid FROM t112_lt ORDER BY id, sid',
  $$VALUES (1, 10), (1, 13), (1, 14), (2, 10), (2, 11), (2, 13), (2, 14),
           (3, 10), (3, 11), (3, 13), (3, 14), (4, 14), (4, 14), (5, NULL)$$,
  'after changes on both sides: partners gained and lost');

INSERT INTO t112_t SELECT g % 30, g % 4, CASE WHEN g % 9 = 0 THEN NULL ELSE g % 23 END, g % 5,
                          CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN true ELSE false END,
                          CASE WHEN g % 8 = 0 THEN NULL ELSE chr(97 + g % 26) END, g
                     FROM generate_series(1, 120) g;
INSERT INTO t112_s SELECT 100 + g, CASE WHEN g % 13 = 0 THEN NULL ELSE g % 4 END, g % 29, g % 6,
                          chr(97 + g % 26) || chr(97 + g % 3), g FROM generate_series(1, 150) g;
INSERT INTO t112_u SELECT g, g % 40 FROM generate_series(5, 29) g;
DELETE FROM t112_s WHERE id % 7 = 0;
UPDATE t112_s SET b = b + 3 WHERE id % 5 = 0;
UPDATE t112_t SET b = NULL WHERE n % 11 = 0;
DELETE FROM t112_t WHERE n % 13 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t112_lt')) + (SELECT count(*) FROM pathway.check_view('t112_keyed'))
        + (SELECT count(*) FROM pathway.check_view('t112_pres')) + (SELECT count(*) FROM pathway.check_view('t112_right'))
        + (SELECT count(*) FROM pathway.check_view('t112_chain')) + (SELECT count(*) FROM pathway.check_view('t112_text'))
        + (SELECT count(*) FROM pathway.check_view('t112_rank')) + (SELECT count(*) FROM pathway.check_view('t112_subs'))
        + (SELECT count(*) FROM pathway.check_view('t112_grouped')), 0::bigint,
  'all nine views equal their queries after random changes');
SELECT is((SELECT count(*) FROM t112_lt), (SELECT count(*) FROM t112_t t LEFT JOIN t112_s s ON s.b < t.b),
  'the oracle compared something: as many rows as the query');

SELECT throws_ok($$SELECT pathway.create_view('t112_numeric', $q$
  SELECT t.id, s.id AS sid FROM t112_t t LEFT JOIN t112_s s ON s.n < t.n / 3 $q$)$$,
  '0A000', NULL, 'a numeric of the preserved side in arithmetic (equal values whose quotients differ) stays refused');

-- a numeric compared as it is: equal values of different scales (2.0, 2.00)
-- meet the same rows
DELETE FROM t112_t;
DELETE FROM t112_s;
INSERT INTO t112_t VALUES (1, 1, 1, 1, true, 'a', 2.0), (2, 1, 1, 1, true, 'a', 2.00), (3, 1, 1, 1, true, 'a', NULL),
                          (4, 1, 1, 1, true, 'a', 0.5);
INSERT INTO t112_s VALUES (10, 1, 1, 1, 'a', 1.5), (11, 1, 1, 1, 'a', 2.000), (12, 1, 1, 1, 'a', NULL), (13, 1, 1, 1, 'a', 0.75);
SELECT lives_ok($$SELECT pathway.create_view('t112_num', $q$
  SELECT t.id, t.n::text AS tn, s.id AS sid FROM t112_t t LEFT JOIN t112_s s ON s.n < t.n AND s.n * 2 >= t.n $q$)$$,
  'LEFT JOIN on numeric comparisons: taken');
SELECT pathway.sync('t112_num');
SELECT results_eq('SELECT id, tn, sid FROM t112_num ORDER BY id, sid',
  $$VALUES (1, '2.0', 10), (2, '2.00', 10), (3, NULL, NULL), (4, '0.5', NULL)$$,
  'each row of the preserved side keeps its own value (and scale) and meets the rows its comparisons admit');
INSERT INTO t112_t VALUES (5, 1, 1, 1, true, 'a', 2.000), (6, 1, 1, 1, true, 'a', 1.0);
INSERT INTO t112_s VALUES (14, 1, 1, 1, 'a', 1.00), (15, 1, 1, 1, 'a', 1.9);
DELETE FROM t112_t WHERE id = 1;
UPDATE t112_s SET n = 0.5 WHERE id = 13;
SELECT pathway.sync('t112_num');
SELECT is((SELECT count(*) FROM pathway.check_view('t112_num')), 0::bigint,
  'after changes among equal values of different scales, the view equals its query');

-- FULL JOIN on an equality and other conditions: B LEFT JOIN the magic set,
-- joined back
DELETE FROM t112_t;
DELETE FROM t112_s;
INSERT INTO t112_t VALUES (1, 1, 10, 1, true, 'a', 1), (2, 1, NULL, 2, true, 'a', 1), (3, 2, 3, 3, true, 'a', 1);
INSERT INTO t112_s VALUES (10, 1, 5, 1, 'a', 1), (11, 1, 15, 2, 'a', 1), (12, 2, NULL, 3, 'a', 1), (13, 2, 1, 4, 'a', 1);
SELECT lives_ok($$SELECT pathway.create_view('t112_full', $q$
  SELECT t.id, s.id AS sid FROM t112_t t FULL JOIN t112_s s ON s.k = t.k AND s.b < t.b $q$)$$,
  'FULL JOIN on an equality and an inequality (PostgreSQL needs the equality for a FULL JOIN)');
SELECT lives_ok($$SELECT pathway.create_view('t112_full_keyed', $q$
  SELECT t.id, s.id AS sid FROM t112_t t FULL JOIN t112_s s ON s.k = t.k AND s.x <> t.x $q$)$$,
  'FULL JOIN on an equality and a non-equality');
SELECT pathway.sync('t112_full');
SELECT pathway.sync('t112_full_keyed');
SELECT results_eq('SELECT id, sid FROM t112_full ORDER BY id NULLS LAST, sid NULLS LAST',
  $$VALUES (1, 10), (2, NULL), (3, 13), (NULL, 11), (NULL, 12)$$,
  'pairs, rows of either side without a partner padded (a NULL b meets nothing)');
SELECT results_eq('SELECT id, sid FROM t112_full_keyed ORDER BY id NULLS LAST, sid NULLS LAST',
  $$VALUES (1, 11), (2, 10), (3, 13), (NULL, 12)$$,
  'keyed pairs with a different x; s 12 (k 2, x 3) meets only t 3, whose x is 3: padded');
INSERT INTO t112_t SELECT i, i % 3, CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 7) % 20 END, i % 4, true, 'a', 1 FROM generate_series(4, 30) i;
INSERT INTO t112_s SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 END, (i * 3) % 20, i % 4, 'a', 1 FROM generate_series(14, 40) i;
UPDATE t112_t SET b = b + 3 WHERE id % 3 = 0;
DELETE FROM t112_s WHERE id % 4 = 1;
UPDATE t112_s SET x = x + 1 WHERE id % 5 = 2;
DELETE FROM t112_t WHERE id % 6 = 1;
SELECT pathway.sync('t112_full');
SELECT pathway.sync('t112_full_keyed');
SELECT is((SELECT count(*) FROM pathway.check_view('t112_full')) + (SELECT count(*) FROM pathway.check_view('t112_full_keyed')), 0::bigint,
  'both FULL JOIN views equal their queries after random changes');
SELECT throws_ok($$SELECT pathway.create_view('t112_nonstrict', $q$
  SELECT t.id, s.id AS sid FROM t112_t t LEFT JOIN t112_s s ON s.b < coalesce(t.b, 0) $q$)$$,
  '0A000', NULL, 'a condition not strict in the preserved side stays refused');
SELECT throws_ok($$SELECT pathway.create_view('t112_or', $q$
  SELECT t.id, s.id AS sid FROM t112_t t LEFT JOIN t112_s s ON s.b < t.b OR s.k = t.k $q$)$$,
  '0A000', NULL, 'an OR (true with a NULL on one side) stays refused');

SELECT pathway.drop_view(v) FROM unnest(ARRAY['t112_lt', 't112_keyed', 't112_pres', 't112_right', 't112_chain',
                                              't112_text', 't112_rank', 't112_subs', 't112_grouped', 't112_num',
                                              't112_full', 't112_full_keyed']) v;
DROP TABLE t112_t, t112_s, t112_u;
SELECT * FROM finish();
