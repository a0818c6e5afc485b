-- GROUP BY and global aggregates: count(*), count(col) with NULLs, sum/avg
-- of int and numeric, min/max (deleting the current min), bool_and,
-- string_agg, groups disappearing and reappearing, a NULL group key, an
-- expression key, global aggregates over an empty table, rows moving
-- between groups, the unique index on the key, user-defined aggregates.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

-- leftovers of an interrupted run
DROP TABLE IF EXISTS t030_t, t030_e, t030_st CASCADE;
DROP AGGREGATE IF EXISTS t030_sumsq(int), t030_mymax(int), t030_sumsq_m(int);
DROP FUNCTION IF EXISTS t030_sumsq_sf(int8, int), t030_sumsq_inv(int8, int), t030_mx_sf(int, int);

SELECT plan(68);

CREATE TABLE t030_t (g text, x int, n numeric, b bool, s text);
INSERT INTO t030_t VALUES
  ('a', 1, 1.5, true, 'p'),
  ('a', 2, 2.25, true, 'q'),
  ('a', NULL, NULL, NULL, NULL),
  ('b', 10, 10, false, 'r'),
  ('b', 20, 0.5, true, 's'),
  (NULL, 5, 5, true, 't'),
  (NULL, 7, 1, true, 'u');
CREATE TABLE t030_e (x int);
CREATE TABLE t030_st (k int, s text);
INSERT INTO t030_st VALUES (1, 'one'), (2, 'two');

-- user-defined aggregates with plain SQL state functions
CREATE FUNCTION t030_sumsq_sf(int8, int) RETURNS int8 LANGUAGE sql IMMUTABLE
  AS 'SELECT $1 + coalesce($2::int8 * $2, 0)';
CREATE FUNCTION t030_sumsq_inv(int8, int) RETURNS int8 LANGUAGE sql IMMUTABLE
  AS 'SELECT $1 - coalesce($2::int8 * $2, 0)';
CREATE FUNCTION t030_mx_sf(int, int) RETURNS int LANGUAGE sql IMMUTABLE STRICT
  AS 'SELECT greatest($1, $2)';
CREATE AGGREGATE t030_sumsq(int) (sfunc = t030_sumsq_sf, stype = int8, initcond = '0');
CREATE AGGREGATE t030_mymax(int) (sfunc = t030_mx_sf, stype = int);
CREATE AGGREGATE t030_sumsq_m(int) (sfunc = t030_sumsq_sf, stype = int8, initcond = '0',
  msfunc = t030_sumsq_sf, minvfunc = t030_sumsq_inv, mstype = int8, minitcond = '0');

SELECT lives_ok($$SELECT pathway.create_view('t030_g',
  'SELECT g, count(*) AS cnt, count(x) AS cx, sum(x) AS sx, avg(x) AS ax, sum(n) AS sn, avg(n) AS an,
          min(x) AS mn, max(x) AS mx, bool_and(b) AS ba
     FROM t030_t GROUP BY g')$$, 'create GROUP BY view with many aggregates');
SELECT lives_ok($$SELECT pathway.create_view('t030_mov',
  'SELECT g, count(*) AS cnt, count(x) AS cx, sum(x) AS sx, avg(x) AS ax, sum(n) AS sn, bool_and(b) AS ba
     FROM t030_t GROUP BY g')$$, 'create GROUP BY view with only invertible aggregates');
SELECT lives_ok($$SELECT pathway.create_view('t030_minmax',
  'SELECT g, min(x) AS mn, max(x) AS mx FROM t030_t GROUP BY g')$$, 'create min/max view');
SELECT lives_ok($$SELECT pathway.create_view('t030_expr',
  'SELECT x % 3 AS r, count(*) AS c, sum(x) AS s FROM t030_t GROUP BY x % 3')$$,
  'create view grouped by an expression');
SELECT lives_ok($$SELECT pathway.create_view('t030_two',
  'SELECT b, g, count(*) AS c FROM t030_t GROUP BY g, b')$$, 'create view grouped by two columns');
SELECT lives_ok($$SELECT pathway.create_view('t030_nokey',
  'SELECT count(*) AS c FROM t030_t GROUP BY g')$$, 'create view whose grouping key is not an output column');
SELECT lives_ok($$SELECT pathway.create_view('t030_str',
  'SELECT k, string_agg(s, ''+'') AS sa FROM t030_st GROUP BY k')$$, 'create string_agg view');
SELECT lives_ok($$SELECT pathway.create_view('t030_glob',
  'SELECT count(*) AS c, sum(x) AS s, max(x) AS m, avg(x) AS a FROM t030_e')$$,
  'create global aggregate over an empty table');
SELECT lives_ok($$SELECT pathway.create_view('t030_glob_m',
  'SELECT count(*) AS c, sum(x) AS s FROM t030_e')$$,
  'create global invertible aggregate over an empty table');
SELECT lives_ok($$SELECT pathway.create_view('t030_uda',
  'SELECT g, t030_sumsq(x) AS ss, t030_mymax(x) AS mx FROM t030_t GROUP BY g')$$,
  'create view with user-defined aggregates');
SELECT lives_ok($$SELECT pathway.create_view('t030_uda_m',
  'SELECT g, t030_sumsq_m(x) AS ssm FROM t030_t GROUP BY g')$$,
  'create view with an invertible user-defined aggregate');

-- the key index
SELECT is((SELECT count(*) FROM pg_index WHERE indrelid = 't030_g'::regclass
            AND indisunique AND indnullsnotdistinct AND indnatts = 1 AND indkey::text = '1'), 1::bigint,
          'GROUP BY view has a unique NULLS NOT DISTINCT index on its key');
SELECT is((SELECT count(*) FROM pg_index WHERE indrelid = 't030_expr'::regclass
            AND indisunique AND indnullsnotdistinct AND indnatts = 1 AND indkey::text = '1'), 1::bigint,
          'view grouped by an expression has a unique index on that output column');
SELECT is((SELECT count(*) FROM pg_index WHERE indrelid = 't030_two'::regclass
            AND indisunique AND indnullsnotdistinct AND indnatts = 2), 1::bigint,
          'view grouped by two columns has a unique two-column index');
SELECT is((SELECT count(*) FROM pg_index WHERE indrelid = 't030_nokey'::regclass), 0::bigint,
          'no unique index when a grouping key is not an output column');
SELECT is((SELECT count(*) FROM pg_index WHERE indrelid = 't030_glob'::regclass AND indisunique), 0::bigint,
          'no unique index on a global aggregate');

-- initial contents (before sync: filled by create_view)
SELECT results_eq('SELECT g, cnt, cx, sx, ax, sn, an, mn, mx, ba FROM t030_g ORDER BY g NULLS LAST',
  $$VALUES ('a', 3::bigint, 2::bigint, 3::bigint, 1.5::numeric, 3.75::numeric, 1.875::numeric, 1, 2, true),
           ('b', 2, 2, 30, 15, 10.5, 5.25, 10, 20, false),
           (NULL, 2, 2, 12, 6, 6, 3, 5, 7, true)$$,
  'initial GROUP BY result (NULL key group, count(col) skips NULLs)');
SELECT results_eq('SELECT * FROM t030_glob', $$VALUES (0::bigint, NULL::bigint, NULL::int, NULL::numeric)$$,
  'global aggregate over an empty table: one row, count 0, others NULL');
SELECT results_eq('SELECT * FROM t030_glob_m', $$VALUES (0::bigint, NULL::bigint)$$,
  'global invertible aggregate over an empty table: count 0, sum NULL');

SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after create');
SELECT results_eq('SELECT g, cnt, cx, sx, ax, sn, an, mn, mx, ba FROM t030_g ORDER BY g NULLS LAST',
  $$VALUES ('a', 3::bigint, 2::bigint, 3::bigint, 1.5::numeric, 3.75::numeric, 1.875::numeric, 1, 2, true),
           ('b', 2, 2, 30, 15, 10.5, 5.25, 10, 20, false),
           (NULL, 2, 2, 12, 6, 6, 3, 5, 7, true)$$,
  'GROUP BY result unchanged by the first sync');
SELECT results_eq('SELECT * FROM t030_glob', $$VALUES (0::bigint, NULL::bigint, NULL::int, NULL::numeric)$$,
  'global aggregate still one row after sync');
SELECT results_eq('SELECT r, c, s FROM t030_expr ORDER BY r NULLS LAST',
  $$VALUES (1, 3::bigint, 18::bigint), (2, 3, 27), (NULL, 1, NULL)$$, 'grouped by x % 3');
SELECT results_eq('SELECT c FROM t030_nokey ORDER BY c',
  $$VALUES (2::bigint), (2), (3)$$, 'duplicate rows in a view whose key is not an output column');
SELECT results_eq('SELECT k, sa FROM t030_str ORDER BY k', $$VALUES (1, 'one'), (2, 'two')$$,
  'string_agg over single-row groups');
SELECT results_eq('SELECT g, ss, mx FROM t030_uda ORDER BY g NULLS LAST',
  $$VALUES ('a', 5::int8, 2), ('b', 500, 20), (NULL, 74, 7)$$, 'user-defined aggregates');
SELECT results_eq('SELECT g, ssm FROM t030_uda_m ORDER BY g NULLS LAST',
  $$VALUES ('a', 5::int8), ('b', 500), (NULL, 74)$$, 'invertible user-defined aggregate');

-- 1. delete the current min of a and the current max of b
DELETE FROM t030_t WHERE g = 'a' AND x = 1;
DELETE FROM t030_t WHERE g = 'b' AND x = 20;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after deleting a min and a max');
SELECT results_eq('SELECT g, cnt, cx, sx, ax, sn, an, mn, mx, ba FROM t030_g ORDER BY g NULLS LAST',
  $$VALUES ('a', 2::bigint, 1::bigint, 2::bigint, 2::numeric, 2.25::numeric, 2.25::numeric, 2, 2, true),
           ('b', 1, 1, 10, 10, 10, 10, 10, 10, false),
           (NULL, 2, 2, 12, 6, 6, 3, 5, 7, true)$$,
  'aggregates after deleting the current min of a and max of b');
SELECT results_eq('SELECT g, mn, mx FROM t030_minmax ORDER BY g NULLS LAST',
  $$VALUES ('a', 2, 2), ('b', 10, 10), (NULL, 5, 7)$$, 'min/max after deleting the current min and max');
SELECT results_eq('SELECT g, cnt, cx, sx, ax, sn, ba FROM t030_mov ORDER BY g NULLS LAST',
  $$VALUES ('a', 2::bigint, 1::bigint, 2::bigint, 2::numeric, 2.25::numeric, true),
           ('b', 1, 1, 10, 10, 10, false),
           (NULL, 2, 2, 12, 6, 6, true)$$,
  'invertible aggregates after deletes');

-- 2. a group disappears with its last row and reappears
DELETE FROM t030_t WHERE g = 'b';
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after deleting group b');
SELECT results_eq('SELECT g, cnt FROM t030_g ORDER BY g NULLS LAST',
  $$VALUES ('a', 2::bigint), (NULL, 2)$$, 'group b is gone');
SELECT results_eq('SELECT g, cnt FROM t030_mov ORDER BY g NULLS LAST',
  $$VALUES ('a', 2::bigint), (NULL, 2)$$, 'group b is gone from the invertible view');
SELECT results_eq('SELECT b, g, c FROM t030_two ORDER BY g NULLS LAST, b NULLS LAST',
  $$VALUES (true, 'a', 1::bigint), (NULL, 'a', 1), (true, NULL, 2)$$, 'two-column groups after deleting b');
INSERT INTO t030_t VALUES ('b', 100, 1, true, 'v');
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after group b reappears');
SELECT results_eq('SELECT g, cnt, cx, sx, ax, sn, an, mn, mx, ba FROM t030_g ORDER BY g NULLS LAST',
  $$VALUES ('a', 2::bigint, 1::bigint, 2::bigint, 2::numeric, 2.25::numeric, 2.25::numeric, 2, 2, true),
           ('b', 1, 1, 100, 100, 1, 1, 100, 100, true),
           (NULL, 2, 2, 12, 6, 6, 3, 5, 7, true)$$,
  'group b reappears with only its new row');
SELECT results_eq('SELECT g, cnt, cx, sx, ax, sn, ba FROM t030_mov ORDER BY g NULLS LAST',
  $$VALUES ('a', 2::bigint, 1::bigint, 2::bigint, 2::numeric, 2.25::numeric, true),
           ('b', 1, 1, 100, 100, 1, true),
           (NULL, 2, 2, 12, 6, 6, true)$$,
  'invertible view: group b reappears with only its new row');

-- 3. rows move between groups; bool_and turns false; a group's x all NULL
UPDATE t030_t SET g = 'b' WHERE g IS NULL AND x = 5;
UPDATE t030_t SET b = false WHERE g = 'b' AND x = 5;
UPDATE t030_t SET x = NULL WHERE g IS NULL;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync all after moving rows between groups');
SELECT results_eq('SELECT g, cnt, cx, sx, ax, sn, an, mn, mx, ba FROM t030_g ORDER BY g NULLS LAST',
  $$VALUES ('a', 2::bigint, 1::bigint, 2::bigint, 2::numeric, 2.25::numeric, 2.25::numeric, 2, 2, true),
           ('b', 2, 2, 105, 52.5, 6, 3, 5, 100, false),
           (NULL, 1, 0, NULL, NULL, 1, 1, NULL, NULL, true)$$,
  'aggregates after rows moved between groups');
SELECT results_eq('SELECT g, cnt, cx, sx, ax, sn, ba FROM t030_mov ORDER BY g NULLS LAST',
  $$VALUES ('a', 2::bigint, 1::bigint, 2::bigint, 2::numeric, 2.25::numeric, true),
           ('b', 2, 2, 105, 52.5, 6, false),
           (NULL, 1, 0, NULL, NULL, 1, true)$$,
  'invertible aggregates after rows moved between groups (sum of no values is NULL)');
SELECT results_eq('SELECT r, c, s FROM t030_expr ORDER BY r NULLS LAST',
  $$VALUES (1, 1::bigint, 100::bigint), (2, 2, 7), (NULL, 2, NULL)$$, 'x % 3 groups after updates');
SELECT results_eq('SELECT g, ss, mx FROM t030_uda ORDER BY g NULLS LAST',
  $$VALUES ('a', 4::int8, 2), ('b', 10025, 100), (NULL, 0, NULL)$$, 'user-defined aggregates after updates');
SELECT results_eq('SELECT g, ssm FROM t030_uda_m ORDER BY g NULLS LAST',
  $$VALUES ('a', 4::int8), ('b', 10025), (NULL, 0)$$, 'invertible user-defined aggregate after updates');

-- string_agg: a two-row group (order unspecified), then single rows again
INSERT INTO t030_st VALUES (2, 'deux');
SELECT lives_ok($$SELECT pathway.sync('t030_str')$$, 'sync string_agg view');
SELECT results_eq($$SELECT k, (SELECT string_agg(e, '+' ORDER BY e) FROM unnest(string_to_array(sa, '+')) e)
                      FROM t030_str ORDER BY k$$,
  $$VALUES (1, 'one'), (2, 'deux+two')$$, 'string_agg over a two-row group has both values');
DELETE FROM t030_st WHERE s = 'two';
UPDATE t030_st SET s = 'uno' WHERE k = 1;
SELECT lives_ok($$SELECT pathway.sync('t030_str')$$, 'sync string_agg view again');
SELECT results_eq('SELECT k, sa FROM t030_str ORDER BY k', $$VALUES (1, 'uno'), (2, 'deux')$$,
  'string_agg after delete and update');

-- global aggregates: inserts, deletes, back to empty
INSERT INTO t030_e VALUES (3), (4);
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after inserting into the empty table');
SELECT results_eq('SELECT * FROM t030_glob', $$VALUES (2::bigint, 7::bigint, 4, 3.5::numeric)$$,
  'global aggregate after inserts');
SELECT results_eq('SELECT * FROM t030_glob_m', $$VALUES (2::bigint, 7::bigint)$$,
  'global invertible aggregate after inserts');
DELETE FROM t030_e WHERE x = 4;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after deleting the max');
SELECT results_eq('SELECT * FROM t030_glob', $$VALUES (1::bigint, 3::bigint, 3, 3::numeric)$$,
  'global aggregate after deleting the max');
DELETE FROM t030_e;
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync after emptying the table');
SELECT results_eq('SELECT * FROM t030_glob', $$VALUES (0::bigint, NULL::bigint, NULL::int, NULL::numeric)$$,
  'global aggregate back to empty: count 0, others NULL');
SELECT results_eq('SELECT * FROM t030_glob_m', $$VALUES (0::bigint, NULL::bigint)$$,
  'global invertible aggregate back to empty: count 0, sum NULL');

-- oracles
SELECT is((SELECT count(*) FROM (
    (TABLE t030_g EXCEPT ALL (SELECT g, count(*) AS cnt, count(x) AS cx, sum(x) AS sx, avg(x) AS ax, sum(n) AS sn, avg(n) AS an, min(x) AS mn, max(x) AS mx, bool_and(b) AS ba FROM t030_t GROUP BY g))
    UNION ALL
    ((SELECT g, count(*) AS cnt, count(x) AS cx, sum(x) AS sx, avg(x) AS ax, sum(n) AS sn, avg(n) AS an, min(x) AS mn, max(x) AS mx, bool_and(b) AS ba FROM t030_t GROUP BY g) EXCEPT ALL TABLE t030_g)) d),
  0::bigint, 't030_g equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t030_mov EXCEPT ALL (SELECT g, count(*) AS cnt, count(x) AS cx, sum(x) AS sx, avg(x) AS ax, sum(n) AS sn, bool_and(b) AS ba FROM t030_t GROUP BY g))
    UNION ALL
    ((SELECT g, count(*) AS cnt, count(x) AS cx, sum(x) AS sx, avg(x) AS ax, sum(n) AS sn, bool_and(b) AS ba FROM t030_t GROUP BY g) EXCEPT ALL TABLE t030_mov)) d),
  0::bigint, 't030_mov equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t030_minmax EXCEPT ALL (SELECT g, min(x) AS mn, max(x) AS mx FROM t030_t GROUP BY g))
    UNION ALL
    ((SELECT g, min(x) AS mn, max(x) AS mx FROM t030_t GROUP BY g) EXCEPT ALL TABLE t030_minmax)) d),
  0::bigint, 't030_minmax equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t030_expr EXCEPT ALL (SELECT x % 3 AS r, count(*) AS c, sum(x) AS s FROM t030_t GROUP BY x % 3))
    UNION ALL
    ((SELECT x % 3 AS r, count(*) AS c, sum(x) AS s FROM t030_t GROUP BY x % 3) EXCEPT ALL TABLE t030_expr)) d),
  0::bigint, 't030_expr equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t030_two EXCEPT ALL (SELECT b, g, count(*) AS c FROM t030_t GROUP BY g, b))
    UNION ALL
    ((SELECT b, g, count(*) AS c FROM t030_t GROUP BY g, b) EXCEPT ALL TABLE t030_two)) d),
  0::bigint, 't030_two equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t030_nokey EXCEPT ALL (SELECT count(*) AS c FROM t030_t GROUP BY g))
    UNION ALL
    ((SELECT count(*) AS c FROM t030_t GROUP BY g) EXCEPT ALL TABLE t030_nokey)) d),
  0::bigint, 't030_nokey equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t030_str EXCEPT ALL (SELECT k, string_agg(s, '+') AS sa FROM t030_st GROUP BY k))
    UNION ALL
    ((SELECT k, string_agg(s, '+') AS sa FROM t030_st GROUP BY k) EXCEPT ALL TABLE t030_str)) d),
  0::bigint, 't030_str equals its query (single-row groups now)');
SELECT is((SELECT count(*) FROM (
    (TABLE t030_glob EXCEPT ALL (SELECT count(*) AS c, sum(x) AS s, max(x) AS m, avg(x) AS a FROM t030_e))
    UNION ALL
    ((SELECT count(*) AS c, sum(x) AS s, max(x) AS m, avg(x) AS a FROM t030_e) EXCEPT ALL TABLE t030_glob)) d),
  0::bigint, 't030_glob equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t030_glob_m EXCEPT ALL (SELECT count(*) AS c, sum(x) AS s FROM t030_e))
    UNION ALL
    ((SELECT count(*) AS c, sum(x) AS s FROM t030_e) EXCEPT ALL TABLE t030_glob_m)) d),
  0::bigint, 't030_glob_m equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t030_uda EXCEPT ALL (SELECT g, t030_sumsq(x) AS ss, t030_mymax(x) AS mx FROM t030_t GROUP BY g))
    UNION ALL
    ((SELECT g, t030_sumsq(x) AS ss, t030_mymax(x) AS mx FROM t030_t GROUP BY g) EXCEPT ALL TABLE t030_uda)) d),
  0::bigint, 't030_uda equals its query');
SELECT is((SELECT count(*) FROM (
    (TABLE t030_uda_m EXCEPT ALL (SELECT g, t030_sumsq_m(x) AS ssm FROM t030_t GROUP BY g))
    UNION ALL
    ((SELECT g, t030_sumsq_m(x) AS ssm FROM t030_t GROUP BY g) EXCEPT ALL TABLE t030_uda_m)) d),
  0::bigint, 't030_uda_m equals its query');
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't030%' AND status <> 'running'), 0::bigint,
          'every t030 view is running');

-- cleanup
SELECT pathway.drop_view(v) FROM unnest(ARRAY['t030_g', 't030_mov', 't030_minmax', 't030_expr', 't030_two',
  't030_nokey', 't030_str', 't030_glob', 't030_glob_m', 't030_uda', 't030_uda_m']) v;
DROP TABLE t030_t, t030_e, t030_st;
DROP AGGREGATE t030_sumsq(int), t030_mymax(int), t030_sumsq_m(int);
DROP FUNCTION t030_sumsq_sf(int8, int), t030_sumsq_inv(int8, int), t030_mx_sf(int, int);

SELECT * FROM finish();
