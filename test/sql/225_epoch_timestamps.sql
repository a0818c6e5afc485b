-- now() in the engine's transactions is the time of the epoch, not the
-- worker's start: pathway.epoch.committed_at of two epochs some seconds
-- apart differ by as much, each close to the wall clock.  Autocommit;
-- cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t225_src, t225_v, t225_at CASCADE;

SELECT plan(4);

CREATE TABLE t225_src (k int, x int);
INSERT INTO t225_src VALUES (1, 1);
SELECT pathway.create_view('t225_v', 'SELECT k, sum(x) AS s FROM t225_src GROUP BY k');
SELECT pathway.sync('t225_v');
CREATE TABLE t225_at (n int, committed timestamptz, clock timestamptz);

-- the worker has been up for a while by now
SELECT pg_sleep(1.5);
INSERT INTO t225_src VALUES (1, 2);
SELECT pathway.sync('t225_v');
INSERT INTO t225_at SELECT 1, committed_at, clock_timestamp() FROM pathway.epoch;
SELECT pg_sleep(2);
INSERT INTO t225_src VALUES (1, 3);
SELECT pathway.sync('t225_v');
INSERT INTO t225_at SELECT 2, committed_at, clock_timestamp() FROM pathway.epoch;

SELECT is((SELECT s FROM t225_v WHERE k = 1), 6::bigint, 'the view followed both writes');
SELECT ok((SELECT bool_and(clock - committed BETWEEN '0'::interval AND '1s'::interval) FROM t225_at),
  'committed_at of each epoch is within a second before the sync that waited for it');
SELECT ok((SELECT max(committed) - min(committed) >= '2s'::interval FROM t225_at),
  'two epochs two seconds apart have committed_at two seconds apart');
SELECT ok((SELECT min(committed) FROM t225_at) > (SELECT created_at FROM pathway.catalog WHERE relid = 't225_v'::regclass),
  'committed_at is after the view''s creation (not the worker''s start)');

SELECT pathway.drop_view('t225_v');
DROP TABLE t225_src, t225_at;
SELECT * FROM finish();
