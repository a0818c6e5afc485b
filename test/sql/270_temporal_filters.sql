-- Temporal filters: pathway.now() in WHERE.  In a plain query it is now();
-- in a live view the view's clock, which moves every epoch and every
-- pathway.clock_interval without writes: rows enter (ts <= now()) and leave
-- (ts > now() - interval) as it passes their moments, through joins and
-- aggregates; a deleted or updated row leaves the queue; check_view compares
-- at the view's clock.  The refusals, and now()'s hint.  Waits a few seconds
-- of real time.  Autocommit; cleans up.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t270_e, t270_u CASCADE;
DROP FUNCTION IF EXISTS t270_wait(text, float);
DROP FUNCTION IF EXISTS t270_hint(text);

SELECT plan(29);

SELECT is(pathway.now(), now(), 'pathway.now() is now() in a query');
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'pathway.now()'::regprocedure), 's'::"char", 'stable, like now()');

CREATE TABLE t270_u (uid int PRIMARY KEY, name text);
INSERT INTO t270_u VALUES (1, 'ann'), (2, 'bob');
CREATE TABLE t270_e (id int PRIMARY KEY, uid int, ts timestamptz);
-- relative to the real time at the insert (t0): 1 just now, 2 long ago,
-- 3 in 3 s, 4 a second ago, 5 in 3 s (deleted before), 6 in an hour
INSERT INTO t270_e VALUES (1, 1, clock_timestamp()), (2, 1, clock_timestamp() - interval '10 s'),
  (3, 2, clock_timestamp() + interval '3 s'), (4, 2, clock_timestamp() - interval '1 s'),
  (5, 1, clock_timestamp() + interval '3 s'), (6, 2, clock_timestamp() + interval '1 hour');

CREATE TEMP TABLE t270_q (name text, q text);
INSERT INTO t270_q VALUES
  ('t270_recent', $$SELECT id FROM t270_e WHERE ts > pathway.now() - interval '4 s'$$),
  ('t270_started', $$SELECT id FROM t270_e WHERE pathway.now() >= ts$$),
  ('t270_window', $$SELECT e.id, u.name FROM t270_e e JOIN t270_u u USING (uid)
                     WHERE e.ts <= pathway.now() AND pathway.now() < e.ts + interval '6 s' AND u.name <> 'nobody'$$),
  ('t270_count', $$SELECT uid, count(*) AS n FROM t270_e WHERE ts > pathway.now() - interval '6 s' AND ts <= pathway.now() GROUP BY uid$$);
SELECT pathway.create_view(name, q) FROM t270_q;
SELECT pathway.sync();
DELETE FROM t270_e WHERE id = 5;
SELECT pathway.sync();

SELECT results_eq('SELECT id FROM t270_recent ORDER BY id', $$VALUES (1), (3), (4), (6)$$,
  'ts > now() - 4 s: the rows of the last 4 seconds (and the future ones)');
SELECT results_eq('SELECT id FROM t270_started ORDER BY id', $$VALUES (1), (2), (4)$$,
  'now() >= ts: the rows whose time has come');
SELECT results_eq('SELECT id, name FROM t270_window ORDER BY id', $$VALUES (1, 'ann'), (4, 'bob')$$,
  'a 6-second window of rows, joined');
SELECT results_eq('SELECT uid, n FROM t270_count ORDER BY uid', $$VALUES (1, 1::bigint), (2, 1::bigint)$$,
  'counted per user');
SELECT ok((SELECT max(state_rows) FROM pathway.stats WHERE view = 't270_started' AND operator LIKE '% temporal filter') = 2,
  'the queue holds the rows that will change: 3 and 6 (5 left it when deleted)');

-- wait, with no write, for row 3's time (t0 + 3 s), for row 1 to be older
-- than 4 s, then 6 s (the window holds row 3 alone from t0 + 6 to t0 + 9 s)
CREATE FUNCTION t270_wait(cond text, secs float) RETURNS boolean LANGUAGE plpgsql AS $f$
DECLARE ok boolean;
BEGIN
  FOR i IN 1 .. (secs * 10)::int LOOP
    EXECUTE cond INTO ok;
    IF ok THEN RETURN true; END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN false;
END $f$;
CREATE TEMP TABLE t270_before AS SELECT count(*) AS n, max(xmin::text) AS x FROM t270_e;
SELECT ok(t270_wait($$SELECT EXISTS (SELECT 1 FROM t270_started WHERE id = 3)$$, 10),
  'row 3 enters when its time comes, without a write');
SELECT ok(t270_wait($$SELECT NOT EXISTS (SELECT 1 FROM t270_recent WHERE id = 1)$$, 10),
  'row 1 leaves 4 s after its time, without a write');
SELECT ok(t270_wait($$SELECT (SELECT array_agg(id ORDER BY id) FROM t270_window) = ARRAY[3]$$, 10),
  'the window moved on: 1 and 4 left, 3 entered');
SELECT ok(t270_wait($$SELECT (SELECT array_agg(uid || ':' || n ORDER BY uid) FROM t270_count) = ARRAY['2:1']$$, 10),
  'the count followed: a group left, another changed');
SELECT is((SELECT count(*)::bigint FROM t270_e), (SELECT n FROM t270_before), 'no write to the source meanwhile');
SELECT results_eq('SELECT id FROM t270_started ORDER BY id', $$VALUES (1), (2), (3), (4)$$,
  'row 6 is an hour away');

-- changes: a scheduled row moved later, one deleted, a new one for later
UPDATE t270_e SET ts = clock_timestamp() + interval '2 s' WHERE id = 6;
INSERT INTO t270_e VALUES (7, 1, clock_timestamp() - interval '2 s');
SELECT pathway.sync();
SELECT results_eq('SELECT id FROM t270_started ORDER BY id', $$VALUES (1), (2), (3), (4), (7)$$,
  'an updated row takes its new moment');
SELECT ok(t270_wait($$SELECT EXISTS (SELECT 1 FROM t270_started WHERE id = 6)$$, 10), 'and enters at it');
SELECT ok(t270_wait($$SELECT NOT EXISTS (SELECT 1 FROM t270_recent WHERE id = 7)$$, 10),
  'row 7, 2 s old when written, leaves 2 s later');
SELECT is((SELECT count(*) FROM pathway.check_view(name)), 0::bigint, 'check_view at the view''s clock: ' || name)
  FROM t270_q ORDER BY name;

-- random changes around the clock (rows from 10 s ago to 10 s ahead, some
-- NULL), deletions and updates that move rows across the bounds, then the
-- oracle at the view's clock
INSERT INTO t270_e SELECT g, 1 + g % 3, CASE WHEN g % 17 = 0 THEN NULL
    ELSE clock_timestamp() + ((g * 7919) % 20000 - 10000) * interval '1 ms' END
  FROM generate_series(100, 400) g;
DELETE FROM t270_e WHERE id % 7 = 3 AND id >= 100;
UPDATE t270_e SET ts = ts + interval '5 s' WHERE id % 5 = 1 AND id >= 100;
UPDATE t270_e SET uid = 3 - uid WHERE id % 11 = 2 AND id >= 100;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view(name)), 0::bigint, 'after random changes, check_view at the view''s clock: ' || name)
  FROM t270_q ORDER BY name;
SELECT ok((SELECT bool_and(view_time IS NOT NULL AND view_time::timestamptz <= clock_timestamp()) FROM pathway.views WHERE name LIKE 't270_%'),
  'pathway.views shows each view''s clock');

-- refused
CREATE FUNCTION t270_hint(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE h text;
BEGIN
  PERFORM pathway.create_view('t270_bad', q);
  RETURN 'created';
EXCEPTION WHEN feature_not_supported THEN
  GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
  RETURN h;
END $f$;
SELECT alike(t270_hint('SELECT id FROM t270_e WHERE ts > now() - interval ''1 hour'''), '%pathway.now()%',
  'now() refused, with a hint naming pathway.now()');
SELECT is(t270_hint('SELECT id, pathway.now() AS at FROM t270_e') LIKE 'Compare a column with pathway.now()%'
      AND t270_hint('SELECT id FROM t270_e WHERE ts > pathway.now() OR id = 1') LIKE 'Compare a column with pathway.now()%'
      AND t270_hint('SELECT uid FROM t270_e GROUP BY uid HAVING max(ts) > pathway.now()') LIKE 'Compare a column with pathway.now()%'
      AND t270_hint('SELECT uid FROM t270_u u WHERE EXISTS (SELECT 1 FROM t270_e e WHERE e.uid = u.uid AND e.ts > pathway.now())') LIKE 'Compare a column with pathway.now()%'
      AND t270_hint('SELECT id FROM t270_e WHERE ts = pathway.now()') LIKE 'Compare a column with pathway.now()%'
      AND t270_hint('SELECT id FROM t270_e WHERE ts > pathway.now() - make_interval(secs => id)') LIKE 'Compare a column with pathway.now()%',
  true, 'pathway.now() outside a WHERE comparison refused (select list, OR, HAVING, subquery, =, a non-constant interval)');
SELECT alike(t270_hint('SELECT id FROM t270_e WHERE ts > pathway.now() - interval ''1 day'''), '%hours%',
  'an interval in days refused: its length depends on the time zone');
SELECT throws_ok($$SELECT pathway.create_view('t270_bad', 'SELECT uid, pathway.tumble(ts, ''1 min'') AS w, count(*) FROM t270_e WHERE ts > pathway.now() - interval ''1 hour'' GROUP BY 1, 2', cutoff => '1 min')$$,
  '0A000', NULL, 'pathway.now() with time options refused');

SELECT pathway.drop_view(name) FROM t270_q;
DROP FUNCTION t270_wait(text, float);
DROP FUNCTION t270_hint(text);
DROP TABLE t270_e, t270_u;
SELECT * FROM finish();
