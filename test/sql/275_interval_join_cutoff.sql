-- An interval join with cutoff: the view's time over both sides, rows of
-- either side late inside and beyond the cutoff, final rows forgotten from
-- the join's state (bounded by the rows that can still join), deletions
-- and updates of final and live rows, the bound written in several ways,
-- timestamp columns, pathway.views, the oracle and check_view after random
-- out-of-order changes, and the refusals.  Autocommit; cleans up.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t275_t, t275_q, t275_x CASCADE;

SELECT plan(33);

CREATE TABLE t275_t (id int PRIMARY KEY, sym text, ts timestamptz);
CREATE TABLE t275_q (qid int PRIMARY KEY, sym text, ts timestamptz, px numeric);
CREATE TABLE t275_x (id int);
INSERT INTO t275_t VALUES (1, 'A', '2024-01-01 00:10'), (2, 'B', '2024-01-01 00:11');
INSERT INTO t275_q VALUES (10, 'A', '2024-01-01 00:08', 1.0), (11, 'A', '2024-01-01 00:02', 2.0),
                          (12, 'B', '2024-01-01 00:10', 3.0);

-- the quotes of the 5 minutes before each trade; the trade's time is shown
SELECT pathway.create_view('t275_ij', $$SELECT t.id, q.qid, t.ts, q.px FROM t275_t t JOIN t275_q q
  ON q.sym = t.sym AND q.ts BETWEEN t.ts - interval '5 minutes' AND t.ts$$, cutoff => '10 minutes');
-- the same bound written the other way round, the quote's time shown: the
-- quotes are A (final at q.ts + cutoff), the trades B (t.ts <= q.ts + 5 min)
SELECT pathway.create_view('t275_rev', $$SELECT q.qid, t.id, q.ts AS qts FROM t275_q q, t275_t t
  WHERE t.sym = q.sym AND q.ts + interval '5 minutes' >= t.ts AND t.ts >= q.ts$$, cutoff => '10 minutes');
SELECT pathway.sync();

SELECT results_eq($$SELECT id, qid, ts, px FROM t275_ij ORDER BY 1, 2$$,
  $$VALUES (1, 10, timestamptz '2024-01-01 00:10', 1.0), (2, 12, '2024-01-01 00:11', 3.0)$$,
  'the build: every pair of the history');
SELECT results_eq($$SELECT name, view_time, cutoff, emit FROM pathway.views WHERE name LIKE 't275_%' ORDER BY name$$,
  $$VALUES ('t275_ij'::text, '2024-01-01 00:11:00+00'::text, interval '10 minutes', 'updates'::text),
           ('t275_rev', '2024-01-01 00:11:00+00', '10 minutes', 'updates')$$,
  'the view''s time is the largest time of either side');
SELECT is((SELECT state_rows FROM pathway.views WHERE name = 't275_ij'), 5::bigint,
  'nothing is final yet: the join holds all five rows');

-- time moves to 00:30: trades 1 (00:10) and 2 (00:11) are final, and so
-- are the quotes that only they could match (q.ts + 5 min + cutoff < 00:30)
INSERT INTO t275_t VALUES (3, 'A', '2024-01-01 00:30');
SELECT pathway.sync();
SELECT results_eq($$SELECT view_time, late_rows, state_rows FROM pathway.views WHERE name = 't275_ij'$$,
  $$VALUES ('2024-01-01 00:30:00+00'::text, 0::bigint, 1::bigint)$$,
  'final rows forgotten from both sides: only trade 3 is held');

-- a late quote beyond the cutoff (only final trades could match it), a late
-- trade, a trade inside the cutoff and the quotes that join it
INSERT INTO t275_q VALUES (13, 'A', '2024-01-01 00:09', 4.0);
INSERT INTO t275_t VALUES (4, 'A', '2024-01-01 00:15'), (5, 'A', '2024-01-01 00:22');
INSERT INTO t275_q VALUES (14, 'A', '2024-01-01 00:27', 5.0), (15, 'A', '2024-01-01 00:20', 6.0),
                          (16, 'A', '2024-01-01 00:16', 7.0);
SELECT pathway.sync();
SELECT results_eq($$SELECT id, qid, ts, px FROM t275_ij ORDER BY 1, 2$$,
  $$VALUES (1, 10, timestamptz '2024-01-01 00:10', 1.0), (2, 12, '2024-01-01 00:11', 3.0),
           (3, 14, '2024-01-01 00:30', 5.0), (5, 15, '2024-01-01 00:22', 6.0)$$,
  'late rows of both sides ignored (quote 13, trade 4 and its quote 16), the trade inside the cutoff joined');
SELECT results_eq($$SELECT view_time, late_rows FROM pathway.views WHERE name = 't275_ij'$$,
  $$VALUES ('2024-01-01 00:30:00+00'::text, 2::bigint)$$, 'two late rows counted (quote 16 is not late: trade 5 could match it)');
SELECT is((SELECT count(*) FROM t275_ij WHERE qid = 16), 0::bigint, 'quote 16 is held but joins no trade within 5 minutes');
SELECT is((SELECT count(*) FROM pathway.check_view('t275_ij')), 0::bigint, 'check_view: the rows not final');

-- deleting a final trade changes nothing; a live one leaves; an update of a
-- live quote moves its pair
DELETE FROM t275_t WHERE id IN (1, 5);
UPDATE t275_q SET px = 9.5 WHERE qid = 14;
SELECT pathway.sync();
SELECT results_eq($$SELECT id, qid, ts, px FROM t275_ij ORDER BY 1, 2$$,
  $$VALUES (1, 10, timestamptz '2024-01-01 00:10', 1.0), (2, 12, '2024-01-01 00:11', 3.0),
           (3, 14, '2024-01-01 00:30', 9.5)$$,
  'a final trade''s deletion ignored, a live one''s followed, an update followed');
SELECT results_eq($$SELECT qid, id, qts FROM t275_rev ORDER BY 1, 2$$,
  $$VALUES (10, 1, timestamptz '2024-01-01 00:08'), (12, 2, '2024-01-01 00:10'), (14, 3, '2024-01-01 00:27')$$,
  't275_rev: the same pairs, judged by the quote''s time');
SELECT is((SELECT count(*) FROM pathway.check_view(v)), 0::bigint, 'check_view: ' || v)
  FROM unnest(ARRAY['t275_ij', 't275_rev']) v;

-- timestamp columns, a one-sided bound (the quote at most 2 minutes after
-- the trade), a cross join by time alone
CREATE TABLE t275_a (id int, ts timestamp);
CREATE TABLE t275_b (id int, ts timestamp);
INSERT INTO t275_a SELECT g, timestamp '2024-01-01' + g * interval '1 minute' FROM generate_series(1, 20) g;
INSERT INTO t275_b SELECT g, timestamp '2024-01-01' + g * interval '1 minute' + interval '30 s' FROM generate_series(1, 20) g;
SELECT pathway.create_view('t275_ts', $$SELECT a.id AS aid, b.id AS bid, a.ts FROM t275_a a JOIN t275_b b
  ON b.ts <= a.ts + interval '2 minutes' AND b.ts > a.ts$$, cutoff => '3 minutes');
SELECT pathway.sync();
SELECT results_eq($$SELECT aid, bid FROM t275_ts ORDER BY 1, 2$$,
  $$SELECT a.id, b.id FROM t275_a a JOIN t275_b b ON b.ts <= a.ts + interval '2 minutes' AND b.ts > a.ts ORDER BY 1, 2$$,
  'timestamp columns, a cross join bounded by time: the build');
SELECT ok((SELECT state_rows FROM pathway.views WHERE name = 't275_ts') <= 12,
  'the rows more than the cutoff behind the view''s time are forgotten (' ||
  (SELECT state_rows FROM pathway.views WHERE name = 't275_ts') || ' of 40 held)');
INSERT INTO t275_a VALUES (21, '2024-01-01 00:21'), (5, '2024-01-01 00:05:10');
INSERT INTO t275_b VALUES (21, '2024-01-01 00:21:30'), (22, '2024-01-01 00:22:10'), (4, '2024-01-01 00:05:20');
SELECT pathway.sync();
SELECT results_eq($$SELECT aid, bid FROM t275_ts WHERE aid >= 19 ORDER BY 1, 2$$,
  $$VALUES (19, 19), (19, 20), (20, 20), (20, 21), (21, 21), (21, 22)$$,
  'new rows join the live rows; late rows of both sides ignored');
SELECT is((SELECT late_rows FROM pathway.views WHERE name = 't275_ts'), 2::bigint, 'the late row of each side counted');

-- a stream in time order, trades and quotes of the same minutes written
-- together: the state stays at the rows that can still join, and no pair
-- is lost
WITH t AS (INSERT INTO t275_t SELECT g, 'S' || (g % 5), timestamptz '2024-01-01 01:00' + (g - 100) * interval '10 s'
             FROM generate_series(100, 399) g)
INSERT INTO t275_q SELECT g, 'S' || (g % 5), timestamptz '2024-01-01 01:00' + (g - 100) * interval '10 s' - interval '1 minute', g
  FROM generate_series(100, 399) g;
SELECT pathway.sync();
WITH t AS (INSERT INTO t275_t SELECT g, 'S' || (g % 5), timestamptz '2024-01-01 01:00' + (g - 100) * interval '10 s'
             FROM generate_series(400, 999) g)
INSERT INTO t275_q SELECT g, 'S' || (g % 5), timestamptz '2024-01-01 01:00' + (g - 100) * interval '10 s' - interval '1 minute', g
  FROM generate_series(400, 999) g;
SELECT pathway.sync();
SELECT ok((SELECT state_rows FROM pathway.stats WHERE view = 't275_ij' AND operator LIKE '% join') BETWEEN 100 AND 200,
  'after 1,800 rows in time order the join holds the last 10-15 minutes of both sides (' ||
  (SELECT state_rows FROM pathway.stats WHERE view = 't275_ij' AND operator LIKE '% join') || ' rows)');
SELECT results_eq($$SELECT id, qid FROM t275_ij WHERE id >= 100 ORDER BY 1, 2$$,
  $$SELECT t.id, q.qid FROM t275_t t JOIN t275_q q ON q.sym = t.sym AND q.ts BETWEEN t.ts - interval '5 minutes' AND t.ts
     WHERE t.id >= 100 ORDER BY 1, 2$$,
  'and every pair of the stream is there');

-- random changes out of time order around the view's time (inside and
-- beyond the cutoff, on both sides, deletions and updates of live and final
-- rows), in several epochs; then the oracle: the rows not final equal the
-- query's, the final ones are as they were
CREATE TEMP TABLE t275_final_before AS
  SELECT * FROM t275_ij WHERE ts + interval '10 minutes' < (SELECT view_time::timestamptz FROM pathway.views WHERE name = 't275_ij');
INSERT INTO t275_t SELECT g, 'S' || (g % 5), timestamptz '2024-01-01 03:30' - ((g * 7919) % 1500) * interval '1 s'
  FROM generate_series(1000, 1150) g;
INSERT INTO t275_q SELECT g, 'S' || (g % 5), timestamptz '2024-01-01 03:30' - ((g * 7907) % 1500) * interval '1 s', g
  FROM generate_series(1000, 1150) g;
SELECT pathway.sync();
DELETE FROM t275_t WHERE id BETWEEN 900 AND 1150 AND id % 3 = 0;
UPDATE t275_q SET ts = ts + interval '40 s' WHERE qid BETWEEN 900 AND 1150 AND qid % 5 = 0;
INSERT INTO t275_t SELECT g, 'S' || (g % 5), timestamptz '2024-01-01 03:40' - ((g * 7901) % 1200) * interval '1 s'
  FROM generate_series(1151, 1300) g;
SELECT pathway.sync();
UPDATE t275_t SET sym = 'S' || ((id + 1) % 5) WHERE id % 7 = 0 AND id >= 900;
DELETE FROM t275_q WHERE qid BETWEEN 900 AND 1300 AND qid % 11 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM (
    (SELECT id, qid, ts, px FROM t275_ij WHERE ts + interval '10 minutes' >= (SELECT view_time::timestamptz FROM pathway.views WHERE name = 't275_ij')
     EXCEPT ALL
     SELECT t.id, q.qid, t.ts, q.px FROM t275_t t JOIN t275_q q ON q.sym = t.sym AND q.ts BETWEEN t.ts - interval '5 minutes' AND t.ts
      WHERE t.ts + interval '10 minutes' >= (SELECT view_time::timestamptz FROM pathway.views WHERE name = 't275_ij'))
    UNION ALL
    (SELECT t.id, q.qid, t.ts, q.px FROM t275_t t JOIN t275_q q ON q.sym = t.sym AND q.ts BETWEEN t.ts - interval '5 minutes' AND t.ts
      WHERE t.ts + interval '10 minutes' >= (SELECT view_time::timestamptz FROM pathway.views WHERE name = 't275_ij')
     EXCEPT ALL
     SELECT id, qid, ts, px FROM t275_ij WHERE ts + interval '10 minutes' >= (SELECT view_time::timestamptz FROM pathway.views WHERE name = 't275_ij'))) d),
  0::bigint, 'oracle after random changes: the rows not final equal the query''s');
SELECT ok((SELECT count(*) FROM t275_ij WHERE ts >= '2024-01-01 03:20') > 20, 'and there are such rows');
SELECT is((SELECT count(*) FROM pathway.check_view(v)), 0::bigint, 'after random changes, check_view: ' || v)
  FROM unnest(ARRAY['t275_ij', 't275_rev', 't275_ts']) v;
SELECT is((SELECT count(*) FROM (TABLE t275_final_before EXCEPT ALL SELECT * FROM t275_ij) d), 0::bigint,
  'the rows final before the random changes kept');
SELECT ok((SELECT late_rows FROM pathway.views WHERE name = 't275_ij') > 2, 'the late rows of the random changes counted');

-- refused
SELECT throws_ok($$SELECT pathway.create_view('t275_bad', 'SELECT t.id, q.qid FROM t275_t t JOIN t275_q q ON q.sym = t.sym AND q.ts BETWEEN t.ts - interval ''5 minutes'' AND t.ts', cutoff => '10 minutes')$$,
  '0A000', NULL, 'no event time shown');
SELECT throws_ok($$SELECT pathway.create_view('t275_bad', 'SELECT t.id, q.qid, t.ts FROM t275_t t LEFT JOIN t275_q q ON q.sym = t.sym AND q.ts BETWEEN t.ts - interval ''5 minutes'' AND t.ts', cutoff => '10 minutes')$$,
  '0A000', 'cannot maintain interval join "t275_bad" with cutoff', 'an outer join');
SELECT throws_ok($$SELECT pathway.create_view('t275_bad', 'SELECT t.id, q.qid, t.ts FROM t275_t t JOIN t275_q q ON q.sym = t.sym AND q.ts <= t.ts', cutoff => '10 minutes')$$,
  '0A000', NULL, 'the shown time not bounded by the other''s (only from above)');
SELECT throws_ok($$SELECT pathway.create_view('t275_bad', 'SELECT t.id, q.qid, t.ts FROM t275_t t JOIN t275_q q ON q.sym = t.sym AND q.ts >= t.ts - interval ''1 day''', cutoff => '10 minutes')$$,
  '0A000', NULL, 'a bound in days');
SELECT throws_ok($$SELECT pathway.create_view('t275_bad', 'SELECT t.id, q.qid, t.ts FROM t275_t t JOIN t275_q q ON q.sym = t.sym AND q.ts >= t.ts', delay => '1 minute', cutoff => '10 minutes')$$,
  '0A000', NULL, 'delay on an interval join');
SELECT throws_ok($$SELECT pathway.create_view('t275_bad', 'SELECT t.id, q.qid, t.ts FROM t275_t t JOIN t275_q q ON q.sym = t.sym AND q.ts >= t.ts', emit => 'on_close')$$,
  '0A000', NULL, 'emit on an interval join');
SELECT throws_ok($$SELECT pathway.create_view('t275_bad', 'SELECT t.id, q.qid, t.ts FROM t275_t t JOIN t275_q q ON q.sym = t.sym AND q.ts >= t.ts JOIN t275_x x ON x.id = t.id', cutoff => '10 minutes')$$,
  '0A000', NULL, 'three tables');
SELECT throws_ok($$SELECT pathway.create_view('t275_bad', 'SELECT DISTINCT t.id, t.ts FROM t275_t t JOIN t275_q q ON q.sym = t.sym AND q.ts >= t.ts', cutoff => '10 minutes')$$,
  '0A000', NULL, 'DISTINCT after the join');

SELECT pathway.drop_view(v) FROM unnest(ARRAY['t275_ij', 't275_rev', 't275_ts']) v;
DROP TABLE t275_t, t275_q, t275_x, t275_a, t275_b;
SELECT * FROM finish();
