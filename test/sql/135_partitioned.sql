-- A partitioned table as a source: changes are decoded per leaf partition
-- and routed to the partitioned table (columns matched by name, so a
-- partition with another column order works), rows moving between
-- partitions, partitions attached or created after the view, sub-partitions,
-- TRUNCATE of a partition; exact rows, then the oracle.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t135_p, t135_loose CASCADE;

SELECT plan(13);

CREATE TABLE t135_p (id int, region text, amount int, day date) PARTITION BY RANGE (day);
CREATE TABLE t135_p1 PARTITION OF t135_p FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
-- another column order, attached
CREATE TABLE t135_p2 (amount int, day date, region text, id int);
ALTER TABLE t135_p ATTACH PARTITION t135_p2 FOR VALUES FROM ('2026-07-01') TO ('2027-01-01');
INSERT INTO t135_p VALUES (1, 'eu', 10, '2026-02-01'), (2, 'eu', 20, '2026-08-01'), (3, 'us', 5, '2026-03-01');

SELECT lives_ok($$SELECT pathway.create_view('t135_v', 'SELECT region, count(*) AS n, sum(amount) AS total FROM t135_p GROUP BY region')$$,
  'a live view over a partitioned table');
SELECT lives_ok($$SELECT pathway.create_view('t135_rows', 'SELECT id, region, amount FROM t135_p WHERE amount > 1')$$,
  'and a filter over it');
SELECT is((SELECT count(*) FROM pg_class WHERE relname IN ('t135_p1', 't135_p2') AND relreplident = 'f'), 2::bigint,
  'its partitions got REPLICA IDENTITY FULL');
SELECT pathway.sync();
SELECT results_eq('SELECT region, n, total FROM t135_v ORDER BY region',
  $$VALUES ('eu', 2::bigint, 30::bigint), ('us', 1, 5)$$, 'filled from every partition');

-- changes in both partitions, and a row that moves to the other partition
INSERT INTO t135_p VALUES (4, 'us', 7, '2026-09-09');
UPDATE t135_p SET day = '2026-11-11', amount = 11 WHERE id = 1;
DELETE FROM t135_p WHERE id = 2;
SELECT pathway.sync();
SELECT results_eq('SELECT region, n, total FROM t135_v ORDER BY region',
  $$VALUES ('eu', 1::bigint, 11::bigint), ('us', 2, 12)$$, 'inserts, a move between partitions, a delete');
SELECT results_eq('SELECT id, region, amount FROM t135_rows ORDER BY id',
  $$VALUES (1, 'eu', 11), (3, 'us', 5), (4, 'us', 7)$$, 'the filter view follows the same changes');

-- a partition created after the view, and a sub-partitioned one
CREATE TABLE t135_p3 PARTITION OF t135_p FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
CREATE TABLE t135_p4 PARTITION OF t135_p FOR VALUES FROM ('2028-01-01') TO ('2029-01-01') PARTITION BY LIST (region);
CREATE TABLE t135_p4_eu PARTITION OF t135_p4 FOR VALUES IN ('eu');
CREATE TABLE t135_p4_rest PARTITION OF t135_p4 DEFAULT;
INSERT INTO t135_p VALUES (5, 'eu', 100, '2027-05-05'), (6, 'eu', 1000, '2028-05-05'), (7, 'asia', 3, '2028-06-06');
SELECT pathway.sync();
SELECT results_eq('SELECT region, n, total FROM t135_v ORDER BY region',
  $$VALUES ('asia', 1::bigint, 3::bigint), ('eu', 3, 1111), ('us', 2, 12)$$,
  'partitions created after the view, sub-partitions included');

-- updates in a new partition (it got REPLICA IDENTITY FULL when created)
UPDATE t135_p SET amount = amount + 1 WHERE id IN (5, 6);
SELECT pathway.sync();
SELECT results_eq('SELECT region, n, total FROM t135_v ORDER BY region',
  $$VALUES ('asia', 1::bigint, 3::bigint), ('eu', 3, 1113), ('us', 2, 12)$$,
  'an update in a partition created later');

-- TRUNCATE of one partition
TRUNCATE t135_p1;
SELECT pathway.sync();
SELECT results_eq('SELECT region, n, total FROM t135_v ORDER BY region',
  $$VALUES ('asia', 1::bigint, 3::bigint), ('eu', 3, 1113), ('us', 1, 7)$$,
  'TRUNCATE of one partition');

-- random changes, then the oracle
ALTER TABLE t135_p3 REPLICA IDENTITY FULL;
ALTER TABLE t135_p4_eu REPLICA IDENTITY FULL;
ALTER TABLE t135_p4_rest REPLICA IDENTITY FULL;
INSERT INTO t135_p SELECT g, (ARRAY['eu', 'us', 'asia'])[1 + g % 3], g % 50,
       date '2026-01-01' + (g * 7) % 1000 FROM generate_series(10, 2000) g;
UPDATE t135_p SET day = day + 200 WHERE id % 9 = 0 AND day < '2028-06-01';
DELETE FROM t135_p WHERE id % 13 = 0;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t135_v')) + (SELECT count(*) FROM pathway.check_view('t135_rows')),
  0::bigint, 'both views equal their query after random changes across partitions');

-- ONLY: a partitioned table's own rows (none), an inheritance parent's own rows
SELECT lives_ok($$SELECT pathway.create_view('t135_onlyp', 'SELECT count(*) AS n FROM ONLY t135_p')$$,
  'ONLY on a partitioned table');
CREATE TABLE t135_loose (id int);
CREATE TABLE t135_child () INHERITS (t135_loose);
SELECT lives_ok($$SELECT pathway.create_view('t135_onlyl', 'SELECT id FROM ONLY t135_loose')$$,
  'ONLY on an inheritance parent');
INSERT INTO t135_loose VALUES (1), (2);
INSERT INTO t135_child VALUES (3);
INSERT INTO t135_p SELECT g, 'eu', 1, date '2026-01-01' FROM generate_series(3000, 3010) g;
UPDATE t135_loose SET id = id + 10;
SELECT pathway.sync();
SELECT results_eq($$SELECT (SELECT n FROM t135_onlyp), (SELECT string_agg(id::text, ',' ORDER BY id) FROM t135_onlyl)$$,
  $$VALUES (0::bigint, '11,12')$$, 'ONLY: no row of the partitions, the parent''s own rows without the child''s');
SELECT pathway.drop_view('t135_onlyp');
SELECT pathway.drop_view('t135_onlyl');

SELECT pathway.drop_view('t135_v');
SELECT pathway.drop_view('t135_rows');
DROP TABLE t135_p, t135_loose CASCADE;
SELECT * FROM finish();
