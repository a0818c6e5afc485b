-- Inheritance parents as sources (children's rows routed to the parent by
-- column name), and the DDL that moves rows in or out of a parent without a
-- row change: ATTACH/DETACH PARTITION, INHERIT/NO INHERIT.  The engine
-- rebuilds the views concerned; pathway.sync() waits for it.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP TABLE IF EXISTS t137_p, t137_c2, t137_ap, t137_ap2 CASCADE;

SELECT plan(10);

CREATE TABLE t137_p (id int, v int);
CREATE TABLE t137_c1 (extra text) INHERITS (t137_p);
CREATE TABLE t137_c2 (v2 int, id int, v int);               -- another column order
INSERT INTO t137_p VALUES (1, 10);
INSERT INTO t137_c1 VALUES (2, 20, 'x');
INSERT INTO t137_c2 VALUES (0, 3, 30);

SELECT lives_ok($$SELECT pathway.create_view('t137_v', 'SELECT count(*) AS n, sum(v) AS s FROM t137_p')$$,
  'a live view over an inheritance parent');
SELECT pathway.sync();
SELECT results_eq('SELECT n, s FROM t137_v', $$VALUES (2::bigint, 30::bigint)$$, 'the parent''s rows and its child''s');

INSERT INTO t137_c1 VALUES (4, 40, 'y');
UPDATE t137_p SET v = v + 1 WHERE id = 2;                     -- a child's row, through the parent
SELECT pathway.sync();
SELECT results_eq('SELECT n, s FROM t137_v', $$VALUES (3::bigint, 71::bigint)$$, 'changes in a child');

ALTER TABLE t137_c2 INHERIT t137_p;                           -- brings a row with it
SELECT pathway.sync();
SELECT results_eq('SELECT n, s FROM t137_v', $$VALUES (4::bigint, 101::bigint)$$, 'INHERIT brings the child''s rows');
ALTER TABLE t137_c1 NO INHERIT t137_p;
SELECT pathway.sync();
SELECT results_eq('SELECT n, s FROM t137_v', $$VALUES (2::bigint, 40::bigint)$$, 'NO INHERIT takes them away');

CREATE TABLE t137_ap (id int, d date) PARTITION BY RANGE (d);
CREATE TABLE t137_ap1 PARTITION OF t137_ap FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE t137_ap2 (id int, d date);
INSERT INTO t137_ap VALUES (1, '2026-01-05');
INSERT INTO t137_ap2 VALUES (2, '2026-02-05'), (3, '2026-02-06');
SELECT lives_ok($$SELECT pathway.create_view('t137_apv', 'SELECT count(*) AS n FROM t137_ap')$$, 'a view over a partitioned table');
SELECT pathway.sync();
ALTER TABLE t137_ap ATTACH PARTITION t137_ap2 FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
SELECT pathway.sync();
SELECT results_eq('SELECT n FROM t137_apv', $$VALUES (3::bigint)$$, 'ATTACH PARTITION of a table with rows');
ALTER TABLE t137_ap DETACH PARTITION t137_ap1;
SELECT pathway.sync();
SELECT results_eq('SELECT n FROM t137_apv', $$VALUES (2::bigint)$$, 'DETACH PARTITION');

SELECT lives_ok($$SELECT pathway.create_view('t137_only', 'SELECT id FROM ONLY t137_p')$$,
  'ONLY on a table with children');
INSERT INTO t137_p (id) VALUES (900), (901);
DELETE FROM t137_p WHERE id = 900;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM pathway.check_view('t137_only')), 0::bigint, 'ONLY: the parent''s own rows, through changes of parent and children');
SELECT pathway.drop_view('t137_only');

SELECT pathway.drop_view('t137_v');
SELECT pathway.drop_view('t137_apv');
DROP TABLE t137_p, t137_c1, t137_c2, t137_ap, t137_ap1 CASCADE;
SELECT * FROM finish();
