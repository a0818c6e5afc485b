-- The time options of a view grouped by a window (cutoff, keep_results,
-- emit => 'on_close', delay): the view's time, late rows inside and beyond
-- the cutoff, windows that close, final windows forgotten (state bounded by
-- the open windows), deletions and updates in open and final windows, hop
-- windows, timestamp windows, pathway.views, check_view over the windows
-- still maintained after random out-of-order changes, and the refusals.
-- Autocommit; cleans up.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t265_e, t265_other CASCADE;

SELECT plan(62);

CREATE TABLE t265_e (id int PRIMARY KEY, k int, ts timestamptz);
CREATE TABLE t265_other (k int PRIMARY KEY);
INSERT INTO t265_e VALUES (1, 1, '2024-01-01 10:00:10'), (2, 1, '2024-01-01 10:00:50'), (3, 2, '2024-01-01 10:01:10');

SELECT pathway.create_view('t265_cut', $$SELECT k, pathway.tumble(ts, '1 min') AS w, count(*) AS n
  FROM t265_e GROUP BY k, pathway.tumble(ts, '1 min')$$, cutoff => '1 min');
SELECT pathway.create_view('t265_recent', $$SELECT k, pathway.tumble(ts, '1 min') AS w, count(*) AS n
  FROM t265_e GROUP BY k, w$$, cutoff => '1 min', keep_results => false);
SELECT pathway.create_view('t265_close', $$SELECT k, pathway.tumble(ts, '1 min') AS w, count(*) AS n, max(ts) AS last
  FROM t265_e GROUP BY k, w$$, emit => 'on_close', delay => '30 s');
SELECT pathway.create_view('t265_delay', $$SELECT k, pathway.tumble(ts, '1 min') AS w, count(*) AS n
  FROM t265_e GROUP BY k, w$$, delay => '30 s');
SELECT pathway.create_view('t265_hop', $$SELECT w, count(*) AS n
  FROM t265_e e, LATERAL pathway.hop(e.ts, '2 min', '1 min') AS w GROUP BY w$$, cutoff => '0 s');
SELECT pathway.create_view('t265_local', $$SELECT pathway.tumble(ts AT TIME ZONE 'UTC', '1 min') AS w, sum(k) AS s
  FROM t265_e WHERE k > 0 GROUP BY 1$$, cutoff => '1 min');
SELECT pathway.sync();

-- the view's time is the largest event time: 10:01:10
SELECT results_eq($$SELECT name, view_time, cutoff, delay, keep_results, emit FROM pathway.views WHERE name LIKE 't265_%' ORDER BY name$$,
  $$VALUES ('t265_close'::text, '2024-01-01 10:01:10+00'::text, NULL::interval, interval '30 s', true, 'on_close'::text),
           ('t265_cut', '2024-01-01 10:01:10+00', '1 min', NULL, true, 'updates'),
           ('t265_delay', '2024-01-01 10:01:10+00', NULL, '30 s', true, 'updates'),
           ('t265_hop', '2024-01-01 10:01:10+00', '0', NULL, true, 'updates'),
           ('t265_local', '2024-01-01 10:01:10', '1 min', NULL, true, 'updates'),
           ('t265_recent', '2024-01-01 10:01:10+00', '1 min', NULL, false, 'updates')$$,
  'pathway.views: the time and the options');
SELECT results_eq('SELECT k, w, n FROM t265_cut ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint), (2, '2024-01-01 10:01', 1)$$, 't265_cut: every window, none final yet');
SELECT results_eq('SELECT k, w, n FROM t265_recent ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint), (2, '2024-01-01 10:01', 1)$$, 't265_recent: every window, none final yet');
SELECT is((SELECT count(*) FROM t265_close), 0::bigint, 't265_close: nothing closed yet: 10:00 closes at 10:01:30');
SELECT results_eq('SELECT k, w, n FROM t265_delay ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint)$$, 't265_delay: the window of 10:01 shows from 10:01:30');
SELECT results_eq('SELECT w, n FROM t265_hop ORDER BY w',
  $$VALUES (timestamptz '2024-01-01 09:59', 2::bigint), ('2024-01-01 10:00', 3), ('2024-01-01 10:01', 1)$$, 't265_hop: each row in two windows');
SELECT results_eq('SELECT w, s FROM t265_local ORDER BY w',
  $$VALUES (timestamp '2024-01-01 10:00', 2::bigint), ('2024-01-01 10:01', 2)$$, 't265_local: timestamp windows');

-- 10:02:30: the window of 10:00 is final (10:00 + 1 min + cutoff 1 min)
INSERT INTO t265_e VALUES (4, 1, '2024-01-01 10:02:30');
SELECT pathway.sync();
SELECT results_eq('SELECT k, w, n FROM t265_cut ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint), (2, '2024-01-01 10:01', 1), (1, '2024-01-01 10:02', 1)$$, 't265_cut: a final window keeps its row');
SELECT results_eq('SELECT k, w, n FROM t265_recent ORDER BY w, k',
  $$VALUES (2, timestamptz '2024-01-01 10:01', 1::bigint), (1, '2024-01-01 10:02', 1)$$, 't265_recent: keep_results => false: the final window''s row deleted');
SELECT results_eq('SELECT k, w, n, last FROM t265_close ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint, timestamptz '2024-01-01 10:00:50'), (2, '2024-01-01 10:01', 1, '2024-01-01 10:01:10')$$,
  't265_close: the windows closed by 10:02:30 written');
SELECT results_eq('SELECT k, w, n FROM t265_delay ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint), (2, '2024-01-01 10:01', 1), (1, '2024-01-01 10:02', 1)$$, 't265_delay: windows shown once the time reaches their start plus delay');
SELECT results_eq('SELECT w, n FROM t265_hop ORDER BY w',
  $$VALUES (timestamptz '2024-01-01 09:59', 2::bigint), ('2024-01-01 10:00', 3), ('2024-01-01 10:01', 2), ('2024-01-01 10:02', 1)$$, 't265_hop: hop windows');
SELECT results_eq('SELECT w, s FROM t265_local ORDER BY w',
  $$VALUES (timestamp '2024-01-01 10:00', 2::bigint), ('2024-01-01 10:01', 2), ('2024-01-01 10:02', 1)$$, 't265_local: timestamp windows');

-- late rows: 10:00:20 is beyond the cutoff (its window is final), 10:01:40 inside it
INSERT INTO t265_e VALUES (5, 1, '2024-01-01 10:00:20'), (6, 2, '2024-01-01 10:01:40');
SELECT pathway.sync();
SELECT results_eq('SELECT k, w, n FROM t265_cut ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint), (2, '2024-01-01 10:01', 2), (1, '2024-01-01 10:02', 1)$$, 't265_cut: the late row ignored, the one inside the cutoff counted');
SELECT results_eq('SELECT k, w, n FROM t265_recent ORDER BY w, k',
  $$VALUES (2, timestamptz '2024-01-01 10:01', 2::bigint), (1, '2024-01-01 10:02', 1)$$, 't265_recent: the late row ignored, the one inside the cutoff counted');
SELECT results_eq('SELECT k, w, n, last FROM t265_close ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint, timestamptz '2024-01-01 10:00:50'), (2, '2024-01-01 10:01', 1, '2024-01-01 10:01:10')$$,
  't265_close: closed windows never change: both rows late');
SELECT results_eq('SELECT k, w, n FROM t265_delay ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 3::bigint), (2, '2024-01-01 10:01', 2), (1, '2024-01-01 10:02', 1)$$, 't265_delay: no cutoff: no row is late');
SELECT results_eq('SELECT w, n FROM t265_hop ORDER BY w',
  $$VALUES (timestamptz '2024-01-01 09:59', 2::bigint), ('2024-01-01 10:00', 3), ('2024-01-01 10:01', 3), ('2024-01-01 10:02', 1)$$, 't265_hop: a row late for some of its windows only');
SELECT results_eq('SELECT w, s FROM t265_local ORDER BY w',
  $$VALUES (timestamp '2024-01-01 10:00', 2::bigint), ('2024-01-01 10:01', 4), ('2024-01-01 10:02', 1)$$, 't265_local: timestamp windows');
SELECT results_eq($$SELECT name, late_rows FROM pathway.views WHERE name LIKE 't265_%' ORDER BY name$$,
  $$VALUES ('t265_close'::text, 2::bigint), ('t265_cut', 1), ('t265_delay', 0), ('t265_hop', 3), ('t265_local', 1), ('t265_recent', 1)$$,
  'late rows counted per view (a hop row once per window it is late for)');

-- a deletion in a final window is late too; an update inside an open window
-- applies; the time never goes backwards (10:02:30 deleted by the update)
DELETE FROM t265_e WHERE id = 1;
UPDATE t265_e SET ts = '2024-01-01 10:02:05' WHERE id = 4;
INSERT INTO t265_e VALUES (7, 2, '2024-01-01 10:02:59');
SELECT pathway.sync();
SELECT results_eq('SELECT k, w, n FROM t265_cut ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint), (2, '2024-01-01 10:01', 2), (1, '2024-01-01 10:02', 1), (2, '2024-01-01 10:02', 1)$$, 't265_cut: a deletion in a final window ignored');
SELECT results_eq('SELECT k, w, n FROM t265_recent ORDER BY w, k',
  $$VALUES (2, timestamptz '2024-01-01 10:01', 2::bigint), (1, '2024-01-01 10:02', 1), (2, '2024-01-01 10:02', 1)$$, 't265_recent: a deletion in a final window ignored');
SELECT results_eq('SELECT k, w, n, last FROM t265_close ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint, timestamptz '2024-01-01 10:00:50'), (2, '2024-01-01 10:01', 1, '2024-01-01 10:01:10')$$,
  't265_close: the window of 10:02 is still open (it closes at 10:03:30)');
SELECT results_eq('SELECT k, w, n FROM t265_delay ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint), (2, '2024-01-01 10:01', 2), (1, '2024-01-01 10:02', 1), (2, '2024-01-01 10:02', 1)$$, 't265_delay: no cutoff: the deletion applies');
SELECT results_eq('SELECT w, n FROM t265_hop ORDER BY w',
  $$VALUES (timestamptz '2024-01-01 09:59', 2::bigint), ('2024-01-01 10:00', 3), ('2024-01-01 10:01', 4), ('2024-01-01 10:02', 2)$$, 't265_hop: hop windows');
SELECT results_eq('SELECT w, s FROM t265_local ORDER BY w',
  $$VALUES (timestamp '2024-01-01 10:00', 2::bigint), ('2024-01-01 10:01', 4), ('2024-01-01 10:02', 3)$$, 't265_local: timestamp windows');
SELECT results_eq($$SELECT name, view_time, late_rows FROM pathway.views WHERE name LIKE 't265_%' ORDER BY name$$,
  $$VALUES ('t265_close'::text, '2024-01-01 10:02:59+00'::text, 3::bigint), ('t265_cut', '2024-01-01 10:02:59+00', 2),
           ('t265_delay', '2024-01-01 10:02:59+00', 0), ('t265_hop', '2024-01-01 10:02:59+00', 5),
           ('t265_local', '2024-01-01 10:02:59', 2), ('t265_recent', '2024-01-01 10:02:59+00', 2)$$,
  'the time at the largest event time seen, late deletions counted');

-- the time jumps to 10:10: every earlier window is final (or closed)
INSERT INTO t265_e VALUES (8, 1, '2024-01-01 10:10:00');
SELECT pathway.sync();
SELECT results_eq('SELECT k, w, n FROM t265_cut ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint), (2, '2024-01-01 10:01', 2), (1, '2024-01-01 10:02', 1), (2, '2024-01-01 10:02', 1), (1, '2024-01-01 10:10', 1)$$, 't265_cut: final windows kept');
SELECT results_eq('SELECT k, w, n FROM t265_recent ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:10', 1::bigint)$$, 't265_recent: only the open window left');
SELECT results_eq('SELECT k, w, n, last FROM t265_close ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint, timestamptz '2024-01-01 10:00:50'), (2, '2024-01-01 10:01', 1, '2024-01-01 10:01:10'), (1, '2024-01-01 10:02', 1, '2024-01-01 10:02:05'), (2, '2024-01-01 10:02', 1, '2024-01-01 10:02:59')$$,
  't265_close: the windows of 10:02 closed and written');
SELECT results_eq('SELECT k, w, n FROM t265_delay ORDER BY w, k',
  $$VALUES (1, timestamptz '2024-01-01 10:00', 2::bigint), (2, '2024-01-01 10:01', 2), (1, '2024-01-01 10:02', 1), (2, '2024-01-01 10:02', 1)$$, 't265_delay: the window of 10:10 not shown before 10:10:30');
SELECT results_eq('SELECT w, n FROM t265_hop ORDER BY w',
  $$VALUES (timestamptz '2024-01-01 09:59', 2::bigint), ('2024-01-01 10:00', 3), ('2024-01-01 10:01', 4), ('2024-01-01 10:02', 2), ('2024-01-01 10:09', 1), ('2024-01-01 10:10', 1)$$, 't265_hop: hop windows');
SELECT results_eq($$SELECT view, state_rows FROM pathway.stats WHERE view IN ('t265_cut', 't265_recent', 't265_close') AND operator LIKE '% group by' ORDER BY view$$,
  $$VALUES ('t265_close'::text, 1::bigint), ('t265_cut', 1), ('t265_recent', 1)$$,
  'the engine holds the open window only');

-- an endless in-order stream: 200 events, one every 30 s, three keys, in 10
-- transactions; then a row inside the cutoff and one beyond it
CREATE FUNCTION t265_stream(first int) RETURNS void LANGUAGE sql AS $f$
  INSERT INTO t265_e SELECT g, g % 3, timestamptz '2024-01-01 10:11' + (g - 100) * interval '30 s'
    FROM generate_series(first, first + 19) g
$f$;
SELECT t265_stream(100);
SELECT t265_stream(120);
SELECT t265_stream(140);
SELECT t265_stream(160);
SELECT t265_stream(180);
SELECT t265_stream(200);
SELECT t265_stream(220);
SELECT t265_stream(240);
SELECT t265_stream(260);
SELECT t265_stream(280);
SELECT pathway.sync();
INSERT INTO t265_e VALUES (300, 0, '2024-01-01 11:49:40'), (301, 0, '2024-01-01 11:45:00');
SELECT pathway.sync();
SELECT ok((SELECT max(state_rows) FROM pathway.stats WHERE view = 't265_cut' AND operator LIKE '% group by') <= 9
          AND (SELECT count(*) FROM t265_cut) > 150,
  'state bounded by the open windows (3 keys x 3 windows) while the table grows');
SELECT is((SELECT count(*) FROM pathway.check_view(v)), 0::bigint, 'check_view (windows not final): ' || v)
  FROM unnest(ARRAY['t265_cut', 't265_recent', 't265_delay', 't265_hop', 't265_local']) v;
SELECT results_eq($$SELECT k, w, n FROM t265_cut WHERE w >= '2024-01-01 10:11' ORDER BY w, k$$,
  $$SELECT k, pathway.tumble(ts, '1 min'), count(*) FROM t265_e WHERE id >= 100 AND id <> 301 GROUP BY 1, 2 ORDER BY 2, 1$$,
  't265_cut: final windows as the query gives them without the late row');
SELECT results_eq($$SELECT k, w, n, last FROM t265_close WHERE w >= '2024-01-01 10:11' ORDER BY w, k$$,
  $$SELECT k, pathway.tumble(ts, '1 min') AS w, count(*), max(ts) FROM t265_e WHERE id BETWEEN 100 AND 299
     GROUP BY 1, 2 HAVING pathway.tumble(ts, '1 min') + interval '90 s' <= '2024-01-01 11:50:30' ORDER BY 2, 1$$,
  't265_close: every window closed by 11:50:30, as the query gives it, the late rows ignored');
SELECT results_eq($$SELECT name, late_rows FROM pathway.views WHERE name IN ('t265_cut', 't265_close') ORDER BY name$$,
  $$VALUES ('t265_close'::text, 5::bigint), ('t265_cut', 3)$$, 'the late rows of the stream');

-- random changes out of time order around the view's time (inserts up to 4
-- minutes back, inside and beyond the cutoff, some ahead of it; deletions
-- and updates of recent and of final rows), in several epochs; then the
-- oracle: the windows still maintained equal the query, the final and the
-- closed ones are as they were
CREATE TEMP TABLE t265_final_before AS
  SELECT k, w, n FROM t265_cut WHERE w + interval '2 min' <= (SELECT view_time::timestamptz FROM pathway.views WHERE name = 't265_cut');
CREATE TEMP TABLE t265_closed_before AS SELECT * FROM t265_close;
INSERT INTO t265_e SELECT g, g % 4, timestamptz '2024-01-01 11:50:30' - ((g * 7919) % 240) * interval '1 s' + (g % 3) * interval '20 s'
  FROM generate_series(400, 550) g;
DELETE FROM t265_e WHERE id BETWEEN 250 AND 299 AND id % 3 = 0;
INSERT INTO t265_e SELECT g, g % 4, timestamptz '2024-01-01 11:51:00' - ((g * 7907) % 200) * interval '1 s'
  FROM generate_series(551, 700) g;
UPDATE t265_e SET ts = ts + interval '40 s' WHERE id BETWEEN 400 AND 700 AND id % 5 = 0;
UPDATE t265_e SET k = k + 1 WHERE id % 7 = 0 AND id >= 200;
DELETE FROM t265_e WHERE id BETWEEN 400 AND 700 AND id % 11 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view(v)), 0::bigint, 'after random changes, check_view: ' || v)
  FROM unnest(ARRAY['t265_cut', 't265_recent', 't265_delay', 't265_hop', 't265_local']) v;
SELECT is((SELECT count(*) FROM (TABLE t265_final_before EXCEPT ALL SELECT k, w, n FROM t265_cut) d), 0::bigint,
  't265_cut: the windows final before the random changes kept their rows');
SELECT is((SELECT count(*) FROM (TABLE t265_closed_before EXCEPT ALL TABLE t265_close) d), 0::bigint,
  't265_close: the windows closed before the random changes kept their rows');

-- refused
SELECT throws_ok($$SELECT pathway.create_view('t265_bad', 'SELECT k, count(*) FROM t265_e GROUP BY k', cutoff => '1 min')$$,
  '0A000', NULL, 'options without a window in GROUP BY');
SELECT throws_ok($$SELECT pathway.create_view('t265_bad', 'SELECT * FROM t265_e', keep_results => true)$$,
  '0A000', NULL, 'options on a view without GROUP BY');
SELECT throws_ok($$SELECT pathway.create_view('t265_bad', 'SELECT e.k, pathway.tumble(e.ts, ''1 min'') AS w, count(*) FROM t265_e e JOIN t265_other o USING (k) GROUP BY 1, 2', cutoff => '1 min')$$,
  '0A000', NULL, 'options on a join');
SELECT throws_ok($$SELECT pathway.create_view('t265_bad', 'SELECT k, count(*) FROM t265_e GROUP BY k, pathway.tumble(ts, ''1 min'')', cutoff => '1 min')$$,
  '0A000', NULL, 'the window not selected');
SELECT throws_ok($$SELECT pathway.create_view('t265_bad', 'SELECT k, pathway.tumble(ts, make_interval(mins => k)) AS w, count(*) FROM t265_e GROUP BY 1, 2', cutoff => '1 min')$$,
  '0A000', NULL, 'a width that is not a constant');
SELECT throws_ok($$SELECT pathway.create_view('t265_bad', 'SELECT pathway.tumble(ts, ''1 min'') AS a, pathway.tumble(ts, ''1 hour'') AS b, count(*) FROM t265_e GROUP BY 1, 2', cutoff => '1 min')$$,
  '0A000', NULL, 'two windows');
SELECT throws_ok($$SELECT pathway.create_view('t265_bad', 'SELECT k, pathway.tumble(ts, ''1 min'') AS w, count(*) FROM t265_e GROUP BY 1, 2', emit => 'on_close', cutoff => '1 min')$$,
  '22023', NULL, 'on_close with a cutoff');
SELECT throws_ok($$SELECT pathway.create_view('t265_bad', 'SELECT k, pathway.tumble(ts, ''1 min'') AS w, count(*) FROM t265_e GROUP BY 1, 2', keep_results => false)$$,
  '22023', NULL, 'keep_results => false without a cutoff');
SELECT throws_ok($$SELECT pathway.create_view('t265_bad', 'SELECT k, pathway.tumble(ts, ''1 min'') AS w, count(*) FROM t265_e GROUP BY 1, 2', emit => 'sometimes')$$,
  '22023', 'emit of view "t265_bad" must be ''updates'' or ''on_close'', not ''sometimes''', 'an unknown emit');
SELECT throws_ok($$SELECT pathway.create_view('t265_bad', 'SELECT k, pathway.tumble(ts, ''1 min'') AS w, count(*) FROM t265_e GROUP BY 1, 2', cutoff => '-1 min')$$,
  '22023', NULL, 'a negative cutoff');
SELECT throws_ok($$SELECT pathway.create_view('t265_bad', 'SELECT k, pathway.tumble(ts, ''1 min'') AS w, count(*) FROM t265_e GROUP BY 1, 2', cutoff => '1 mon')$$,
  '22023', NULL, 'a cutoff in months');
SELECT throws_ok($$SELECT pathway.create_view('t265_bad', 'SELECT k, pathway.tumble(ts, ''1 min'') AS w, count(*) FROM t265_e GROUP BY 1, 2', cutoff => '1 min', delay => '5 min')$$,
  '22023', NULL, 'a delay longer than the width plus the cutoff');

SELECT pathway.drop_view(v) FROM unnest(ARRAY['t265_cut', 't265_recent', 't265_close', 't265_delay', 't265_hop', 't265_local']) v;
SELECT is((SELECT count(*) FROM pathway.view_times), 0::bigint, 'the times go with their views');
DROP FUNCTION t265_stream(int);
DROP TABLE t265_e, t265_other;
SELECT * FROM finish();
