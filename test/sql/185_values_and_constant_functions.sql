-- VALUES and functions that read no table, in FROM: constant rows computed
-- at every build, joined (inner and outer) with tables that change.  Exact
-- rows, then the oracle; a volatile function over them is refused.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t185_t CASCADE;

SELECT plan(10);

CREATE TABLE t185_t (k int, amount int);
INSERT INTO t185_t VALUES (1, 10), (2, 20), (3, 30), (5, 50);

SELECT lives_ok($$SELECT pathway.create_view('t185_labels', $q$
  SELECT m.label, sum(t.amount) AS total
    FROM t185_t t JOIN (VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four')) AS m(k, label) ON m.k = t.k
   GROUP BY m.label $q$)$$, 'a join with VALUES');
SELECT lives_ok($$SELECT pathway.create_view('t185_days', $q$
  SELECT d::date AS day, count(t.k) AS n
    FROM generate_series(date '2026-01-01', date '2026-01-05', interval '1 day') d
    LEFT JOIN t185_t t ON t.k = extract(day FROM d)
   GROUP BY 1 $q$)$$, 'a LEFT JOIN from a function that reads no table');
SELECT lives_ok($$SELECT pathway.create_view('t185_twice', 'SELECT t.k, g FROM t185_t t, generate_series(1, 2) g')$$,
  'a cross join with a constant function');
SELECT pathway.sync();
SELECT results_eq('SELECT label, total FROM t185_labels ORDER BY label',
  $$VALUES ('one', 10::bigint), ('three', 30), ('two', 20)$$, 'VALUES rows matched');
SELECT results_eq('SELECT day, n FROM t185_days ORDER BY day',
  $$VALUES ('2026-01-01'::date, 1::bigint), ('2026-01-02', 1), ('2026-01-03', 1), ('2026-01-04', 0), ('2026-01-05', 1)$$,
  'every generated day, with the matching rows or none');

INSERT INTO t185_t VALUES (4, 40), (1, 1);
DELETE FROM t185_t WHERE k = 2;
UPDATE t185_t SET k = 3 WHERE k = 5;
SELECT pathway.sync();
SELECT results_eq('SELECT label, total FROM t185_labels ORDER BY label',
  $$VALUES ('four', 40::bigint), ('one', 11), ('three', 80)$$, 'after changes: a group appears, one disappears');
SELECT results_eq('SELECT day, n FROM t185_days ORDER BY day',
  $$VALUES ('2026-01-01'::date, 2::bigint), ('2026-01-02', 0), ('2026-01-03', 2), ('2026-01-04', 1), ('2026-01-05', 0)$$,
  'days keep their row when their matches go');

INSERT INTO t185_t SELECT (random() * 6)::int, g FROM generate_series(1, 300) g;
DELETE FROM t185_t WHERE amount % 7 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t185_labels')) + (SELECT count(*) FROM pathway.check_view('t185_days'))
        + (SELECT count(*) FROM pathway.check_view('t185_twice')), 0::bigint, 'every view equals its query after random changes');
SELECT throws_ok($$SELECT pathway.create_view('t185_bad', 'SELECT x, random() AS r FROM (VALUES (1), (2)) v(x)')$$,
  '0A000', 'cannot maintain view "t185_bad"', 'a volatile function over VALUES is refused');
SELECT is((SELECT count(*) FROM pathway.stats WHERE view = 't185_labels' AND operator ~ '^[0-9]+ values$'), 1::bigint,
  'the VALUES source is named in pathway.stats');

SELECT pathway.drop_view('t185_labels');
SELECT pathway.drop_view('t185_days');
SELECT pathway.drop_view('t185_twice');
DROP TABLE t185_t;
SELECT * FROM finish();
