-- Event-time windows: pathway.tumble, pathway.hop and the window function
-- pathway.session_start, in plain queries (against date_bin and by hand)
-- and in live views: per-window counts, hopping windows through LATERAL,
-- sessions that a late row merges and a deletion splits again.  Exact rows,
-- then the oracle after random out-of-order changes.  Autocommit; cleans up.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t260_e CASCADE;

SELECT plan(47);

-- plain queries --------------------------------------------------------------

SELECT is(pathway.tumble(timestamptz '2024-03-01 10:07:31+00', '5 min'),
  timestamptz '2024-03-01 10:05:00+00', 'tumble: the start of the 5-minute window');
SELECT is(pathway.tumble(timestamp '2024-03-01 10:07:31', '1 hour', timestamp '2024-01-01 00:30'),
  timestamp '2024-03-01 09:30:00', 'tumble: windows aligned on the origin given');
SELECT is(pathway.tumble(timestamp '1999-12-31 23:58:00', '5 min'),
  timestamp '1999-12-31 23:55:00', 'tumble: before the origin, rounded down');
SELECT is(pathway.tumble(timestamp '2024-03-01 10:05:00', '5 min'),
  timestamp '2024-03-01 10:05:00', 'tumble: a window holds its start');
SELECT is(pathway.tumble(timestamptz 'infinity', '5 min'), timestamptz 'infinity', 'tumble: infinity stays');
SELECT is(pathway.tumble(NULL::timestamptz, '5 min'), NULL, 'tumble: NULL');
SELECT is((SELECT count(*) FROM generate_series(timestamptz '1999-06-01', '2001-06-01', '7 hours 13 min 17.5 s') g(ts)
            WHERE pathway.tumble(ts, '37 min') IS DISTINCT FROM date_bin('37 min', ts, timestamptz '2000-01-01 00:00+00')
               OR pathway.tumble(ts, '1 day', timestamptz '2000-01-01 06:00+00') IS DISTINCT FROM date_bin('1 day', ts, timestamptz '2000-01-01 06:00+00')),
  0::bigint, 'tumble equals date_bin with the default origin 2000-01-01 (UTC) and another origin');
SELECT is((SELECT count(*) FROM generate_series(timestamp '2000-01-01', '2000-03-01', '3 hours 1 min') g(ts)
            WHERE pathway.tumble(ts, '90 min') IS DISTINCT FROM date_bin('90 min', ts, timestamp '2000-01-01')),
  0::bigint, 'tumble(timestamp) equals date_bin');
SELECT is((SELECT pathway.tumble(ts, '5 min') FROM (SELECT '2024-03-01 10:07:31'::timestamptz AS ts) x),
  pathway.tumble(timestamptz '2024-03-01 10:07:31', '5 min'), 'tumble over a column');
SELECT throws_ok($$SELECT pathway.tumble(now(), '1 month')$$, '0A000',
  'pathway.tumble(): the width cannot contain months or years', 'tumble: months refused');
SELECT throws_ok($$SELECT pathway.tumble(now(), '0 s')$$, '22023',
  'pathway.tumble(): the width must be greater than zero', 'tumble: a zero width refused');
SELECT throws_ok($$SELECT pathway.tumble(now(), '-5 min')$$, '22023',
  'pathway.tumble(): the width must be greater than zero', 'tumble: a negative width refused');
SELECT is((SELECT array_agg(DISTINCT provolatile) FROM pg_proc
            WHERE pronamespace = 'pathway'::regnamespace AND proname IN ('tumble', 'hop', 'session_start')),
  ARRAY['i'::"char"], 'all immutable');

SELECT results_eq($$SELECT * FROM pathway.hop(timestamp '2024-03-01 10:07:31', '10 min', '5 min')$$,
  $$VALUES (timestamp '2024-03-01 10:00'), ('2024-03-01 10:05')$$, 'hop: the two 10-minute windows holding ts, earliest first');
SELECT results_eq($$SELECT * FROM pathway.hop(timestamp '2024-03-01 10:05:00', '15 min', '5 min')$$,
  $$VALUES (timestamp '2024-03-01 09:55'), ('2024-03-01 10:00'), ('2024-03-01 10:05')$$, 'hop: a window holds its start, not its end');
SELECT is((SELECT count(*) FROM pathway.hop(timestamp '2024-03-01 10:07:31', '2 min', '5 min')), 0::bigint,
  'hop: a width below the step leaves gaps, where no window holds ts');
SELECT results_eq($$SELECT * FROM pathway.hop(timestamptz '2024-03-01 10:06:31+00', '2 min', '5 min')$$,
  $$VALUES (timestamptz '2024-03-01 10:05+00')$$, 'hop: ts inside a narrow window');
SELECT results_eq($$SELECT * FROM pathway.hop(timestamp '2024-03-01 10:07', '1 hour', '30 min', timestamp '2000-01-01 00:10')$$,
  $$VALUES (timestamp '2024-03-01 09:10'), ('2024-03-01 09:40')$$, 'hop: aligned on the origin given');
SELECT is((SELECT count(*) FROM generate_series(timestamptz '1999-12-25', '2000-01-05', '17 min 3 s') g(ts)
            WHERE ARRAY(SELECT pathway.hop(ts, '20 min', '20 min')) <> ARRAY[pathway.tumble(ts, '20 min')]),
  0::bigint, 'hop with step = width is tumble');
SELECT is((SELECT count(*) FROM generate_series(timestamptz '1999-12-25', '2000-01-05', '17 min 3 s') g(ts)
            WHERE (SELECT count(*) FROM pathway.hop(ts, '1 hour', '10 min') w
                    WHERE w <= ts AND ts < w + interval '1 hour' AND w = pathway.tumble(w, '10 min')) <> 6),
  0::bigint, 'hop: each ts in exactly width/step windows, each aligned and holding ts');
SELECT throws_ok($$SELECT pathway.hop(now(), '1 hour', '1 mon')$$, '0A000',
  'pathway.hop(): the step cannot contain months or years', 'hop: months refused');

CREATE TABLE t260_e (id int PRIMARY KEY, u int, ts timestamptz);
INSERT INTO t260_e VALUES
  (1, 1, '2024-01-01 10:00+00'), (2, 1, '2024-01-01 10:03+00'), (3, 1, '2024-01-01 10:09+00'),
  (4, 1, '2024-01-01 10:10+00'), (5, 1, '2024-01-01 10:14+00'), (6, 2, '2024-01-01 10:00+00'),
  (7, 2, NULL), (8, 3, '2024-01-01 10:00+00'), (9, 3, '2024-01-01 10:05+00'), (10, 3, '2024-01-01 10:05:00.000001+00');

SELECT results_eq($$SELECT id, pathway.session_start(ts, '5 min') OVER (PARTITION BY u ORDER BY ts, id) FROM t260_e ORDER BY id$$,
  $$VALUES (1, timestamptz '2024-01-01 10:00+00'), (2, '2024-01-01 10:00+00'), (3, '2024-01-01 10:09+00'),
           (4, '2024-01-01 10:09+00'), (5, '2024-01-01 10:09+00'), (6, '2024-01-01 10:00+00'), (7, NULL),
           (8, '2024-01-01 10:00+00'), (9, '2024-01-01 10:00+00'), (10, '2024-01-01 10:00+00')$$,
  'session_start: a gap of exactly 5 minutes continues the session, more ends it; NULL for a NULL ts');
SELECT results_eq($$SELECT id, pathway.session_start(ts::timestamp, '4 min') OVER (PARTITION BY u ORDER BY ts) FROM t260_e WHERE u = 1 ORDER BY id$$,
  $$VALUES (1, timestamp '2024-01-01 10:00'), (2, '2024-01-01 10:00'), (3, '2024-01-01 10:09'),
           (4, '2024-01-01 10:09'), (5, '2024-01-01 10:09')$$,
  'session_start(timestamp)');
SELECT results_eq($$SELECT id, pathway.session_start(ts, '5 min') OVER (ORDER BY ts NULLS FIRST, id ROWS 1 PRECEDING) FROM t260_e WHERE u <= 2 ORDER BY id$$,
  $$VALUES (1, timestamptz '2024-01-01 10:00+00'), (2, '2024-01-01 10:00+00'), (3, '2024-01-01 10:09+00'),
           (4, '2024-01-01 10:09+00'), (5, '2024-01-01 10:09+00'), (6, '2024-01-01 10:00+00'), (7, NULL)$$,
  'session_start ignores the frame; NULLs first neither end nor start a session');
SELECT throws_ok($$SELECT pathway.session_start(ts, '5 min') OVER (PARTITION BY u ORDER BY ts DESC) FROM t260_e$$,
  '22023', 'pathway.session_start(): rows out of time order', 'session_start: a window not ordered by ts ascending fails');
SELECT throws_ok($$SELECT pathway.session_start(ts, NULL) OVER (ORDER BY ts) FROM t260_e$$,
  '22004', 'pathway.session_start(): the gap cannot be NULL', 'session_start: a NULL gap fails');

-- live views -----------------------------------------------------------------

CREATE TEMP TABLE t260_q (name text, q text);
INSERT INTO t260_q VALUES
  ('t260_tumble', $$SELECT u, pathway.tumble(ts, '5 min') AS w, count(*) AS n FROM t260_e GROUP BY u, pathway.tumble(ts, '5 min')$$),
  ('t260_hop', $$SELECT e.u, w, count(*) AS n FROM t260_e e, LATERAL pathway.hop(e.ts, '10 min', '5 min') AS w GROUP BY e.u, w$$),
  ('t260_rows', $$SELECT id, u, ts, pathway.session_start(ts, '5 min') OVER (PARTITION BY u ORDER BY ts, id) AS s FROM t260_e$$),
  ('t260_sessions', $$SELECT u, s, count(*) AS n, max(ts) - s AS len FROM (SELECT u, ts, pathway.session_start(ts, '5 min') OVER (PARTITION BY u ORDER BY ts) AS s FROM t260_e) x GROUP BY u, s$$);
SELECT pathway.create_view(name, q) FROM t260_q;
SELECT pathway.sync();

SELECT results_eq('SELECT u, w, n FROM t260_tumble ORDER BY u, w',
  $$VALUES (1, timestamptz '2024-01-01 10:00+00', 2::bigint), (1, '2024-01-01 10:05+00', 1), (1, '2024-01-01 10:10+00', 2),
           (2, '2024-01-01 10:00+00', 1), (2, NULL, 1), (3, '2024-01-01 10:00+00', 1), (3, '2024-01-01 10:05+00', 2)$$,
  'tumble view: per user and 5-minute window');
SELECT results_eq($$SELECT u, w, n FROM t260_hop WHERE u = 1 ORDER BY w$$,
  $$VALUES (1, timestamptz '2024-01-01 09:55+00', 2::bigint), (1, '2024-01-01 10:00+00', 3), (1, '2024-01-01 10:05+00', 3), (1, '2024-01-01 10:10+00', 2)$$,
  'hop view: a row counts in each window that holds it');
SELECT results_eq('SELECT u, s, n, len FROM t260_sessions ORDER BY u, s',
  $$VALUES (1, timestamptz '2024-01-01 10:00+00', 2::bigint, interval '3 min'), (1, '2024-01-01 10:09+00', 3, '5 min'),
           (2, '2024-01-01 10:00+00', 1, '0'), (2, NULL, 1, NULL), (3, '2024-01-01 10:00+00', 3, '00:05:00.000001')$$,
  'sessions view');

-- a late row between two sessions merges them; deleting it splits them again
INSERT INTO t260_e VALUES (11, 1, '2024-01-01 10:06+00');
SELECT pathway.sync();
SELECT results_eq('SELECT u, s, n, len FROM t260_sessions WHERE u = 1 ORDER BY s',
  $$VALUES (1, timestamptz '2024-01-01 10:00+00', 6::bigint, interval '14 min')$$,
  'a late row at 10:06 merges the sessions of 10:00 and 10:09');
SELECT results_eq('SELECT id, s FROM t260_rows WHERE u = 1 ORDER BY id',
  $$VALUES (1, timestamptz '2024-01-01 10:00+00'), (2, '2024-01-01 10:00+00'), (3, '2024-01-01 10:00+00'),
           (4, '2024-01-01 10:00+00'), (5, '2024-01-01 10:00+00'), (11, '2024-01-01 10:00+00')$$,
  'every row of the merged session gets its start');
SELECT results_eq('SELECT u, w, n FROM t260_tumble WHERE u = 1 ORDER BY w',
  $$VALUES (1, timestamptz '2024-01-01 10:00+00', 2::bigint), (1, '2024-01-01 10:05+00', 2), (1, '2024-01-01 10:10+00', 2)$$,
  'the late row counted in its window');
DELETE FROM t260_e WHERE id = 11;
INSERT INTO t260_e VALUES (12, 1, '2024-01-01 09:56+00');
SELECT pathway.sync();
SELECT results_eq('SELECT u, s, n, len FROM t260_sessions WHERE u = 1 ORDER BY s',
  $$VALUES (1, timestamptz '2024-01-01 09:56+00', 3::bigint, interval '7 min'), (1, '2024-01-01 10:09+00', 3, '5 min')$$,
  'deleting it splits them; an earlier row moves a session''s start back');
UPDATE t260_e SET ts = '2024-01-01 10:20+00' WHERE id = 5;
SELECT pathway.sync();
SELECT results_eq('SELECT u, s, n FROM t260_sessions WHERE u = 1 ORDER BY s',
  $$VALUES (1, timestamptz '2024-01-01 09:56+00', 3::bigint), (1, '2024-01-01 10:09+00', 2), (1, '2024-01-01 10:20+00', 1)$$,
  'a row moved later leaves its session for a new one');

-- session_start needs its window ordered by its timestamp, ascending
SELECT throws_ok($$SELECT pathway.create_view('t260_bad', 'SELECT id, pathway.session_start(ts, ''5 min'') OVER (PARTITION BY u ORDER BY ts DESC) FROM t260_e')$$,
  '0A000', 'cannot maintain view "t260_bad"', 'session_start over ORDER BY ts DESC refused');
SELECT throws_ok($$SELECT pathway.create_view('t260_bad', 'SELECT id, pathway.session_start(ts, ''5 min'') OVER (PARTITION BY u) FROM t260_e')$$,
  '0A000', 'cannot maintain view "t260_bad"', 'session_start without ORDER BY refused');
SELECT throws_ok($$SELECT pathway.create_view('t260_bad', 'SELECT id, pathway.session_start(ts, ''5 min'') OVER (ORDER BY id, ts) FROM t260_e')$$,
  '0A000', 'cannot maintain view "t260_bad"', 'session_start over a window ordered by another column first refused');

-- the latest row per key: DISTINCT ON (key) ... ORDER BY key, ts DESC, with
-- a late row that is not the latest and one that is
SELECT pathway.create_view('t260_latest', $$SELECT DISTINCT ON (u) u, ts, id FROM t260_e ORDER BY u, ts DESC, id$$);
SELECT pathway.sync();
INSERT INTO t260_e VALUES (13, 1, '2024-01-01 09:00+00'), (14, 2, '2024-01-01 11:00+00');
SELECT pathway.sync();
SELECT results_eq('SELECT u, ts, id FROM t260_latest ORDER BY u',
  $$VALUES (1, timestamptz '2024-01-01 10:20+00', 5), (2, NULL, 7), (3, '2024-01-01 10:05:00.000001+00', 10)$$,
  'latest row per key (NULLs sort first under DESC, as in PostgreSQL)');
DELETE FROM t260_e WHERE id = 7;
SELECT pathway.sync();
SELECT results_eq('SELECT u, ts, id FROM t260_latest WHERE u = 2',
  $$VALUES (2, timestamptz '2024-01-01 11:00+00', 14)$$, 'latest row per key: a late row that is the latest');
SELECT pathway.drop_view('t260_latest');

-- random changes, out of time order, then the oracle
INSERT INTO t260_e SELECT g, g % 7, timestamptz '2024-01-01 10:00+00' + ((g * 7919) % 3600) * interval '1 s'
  FROM generate_series(100, 700) g;
UPDATE t260_e SET ts = ts - interval '17 min' WHERE id % 5 = 1;
DELETE FROM t260_e WHERE id % 9 = 4;
UPDATE t260_e SET u = (u + 1) % 7 WHERE id % 11 = 3;
BEGIN;
DELETE FROM t260_e WHERE u = 6 AND id % 2 = 0;
INSERT INTO t260_e SELECT g, 6, timestamptz '2024-01-01 10:00+00' + g * interval '4 min' FROM generate_series(1000, 1020) g;
COMMIT;
SELECT pathway.sync();

CREATE FUNCTION t260_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t260_diff(name, q), 0::bigint, 'oracle (EXCEPT ALL both ways): ' || name) FROM t260_q ORDER BY name;
SELECT is((SELECT count(*) FROM pathway.check_view(name)), 0::bigint, 'check_view: ' || name) FROM t260_q ORDER BY name;

SELECT pathway.drop_view(name) FROM t260_q;
DROP FUNCTION t260_diff(text, text);
DROP TABLE t260_e;
SELECT * FROM finish();
