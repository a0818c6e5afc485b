-- pathway.stats (per view and per operator), pathway.stats_reset(),
-- pathway.metrics() in Prometheus text format, and the build progress
-- columns of pathway.views.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t095_o, t095_c, t095_v CASCADE;

SELECT plan(12);

CREATE TABLE t095_o (id int, cust int, amount int);
CREATE TABLE t095_c (id int, region text);
INSERT INTO t095_o SELECT g, g % 4, g FROM generate_series(1, 100) g;
INSERT INTO t095_c VALUES (0, 'n'), (1, 's'), (2, 'n'), (3, 'e');
SELECT pathway.create_view('t095_v',
  'SELECT c.region, count(*) AS n, sum(o.amount) AS s FROM t095_o o JOIN t095_c c ON c.id = o.cust WHERE o.amount > 10 GROUP BY c.region');
SELECT pathway.sync('t095_v');
SELECT pathway.stats_reset();

-- wait until the worker has applied the reset
CREATE FUNCTION t095_wait(cond text) RETURNS boolean LANGUAGE plpgsql AS $f$
DECLARE ok boolean;
BEGIN
  FOR i IN 1..100 LOOP
    EXECUTE 'SELECT ' || cond INTO ok;
    IF ok THEN RETURN true; END IF;
    PERFORM pg_sleep(0.05);
  END LOOP;
  RETURN false;
END $f$;
SELECT ok(t095_wait($$(SELECT epochs FROM pathway.stats WHERE view = 't095_v' AND operator = 'view') = 0$$),
  'stats_reset zeroes the view''s epochs');

SELECT results_eq($$SELECT ordinal, operator, rows_in, rows_out, state_rows FROM pathway.stats WHERE view = 't095_v' AND ordinal > 0 ORDER BY ordinal$$,
  $$VALUES (1, '1 source t095_o', 0::bigint, 0::bigint, 0::bigint),
           (2, '2 filter', 0, 0, 0),
           (3, '3 source t095_c', 0, 0, 0),
           (4, '4 join', 0, 0, 94),
           (5, '5 project', 0, 0, 0),
           (6, '6 group by', 0, 0, 3),
           (7, '7 project', 0, 0, 0),
           (8, '8 table', 0, 0, 3)$$,
  'every operator is listed, sources first, then the table; state: the join holds 90 + 4 rows, the reduce 3 groups, the table 3 rows');

-- one transaction: two orders that pass the filter, one that does not
INSERT INTO t095_o VALUES (101, 1, 50), (102, 3, 60), (103, 0, 5);
SELECT pathway.sync('t095_v');
SELECT results_eq($$SELECT operator, rows_in, rows_out FROM pathway.stats WHERE view = 't095_v' AND ordinal > 0 ORDER BY ordinal$$,
  $$VALUES ('1 source t095_o', 3::bigint, 3::bigint), ('2 filter', 3, 2), ('3 source t095_c', 0, 0),
           ('4 join', 2, 2), ('5 project', 2, 2), ('6 group by', 2, 4), ('7 project', 4, 4), ('8 table', 2, 2)$$,
  'rows in and out of each operator for one change: groups s and e change (-old +new each)');
SELECT results_eq($$SELECT epochs, rows_written, backlog_bytes < 65536 FROM pathway.stats WHERE view = 't095_v' AND operator = 'view'$$,
  $$VALUES (1::bigint, 2::bigint, true)$$, 'one epoch, two rows written (two updates), no backlog to speak of');
SELECT ok((SELECT last_epoch_ms > 0 AND max_epoch_ms >= last_epoch_ms AND avg_epoch_ms > 0 FROM pathway.stats WHERE view = 't095_v' AND operator = 'view'),
  'epoch times are measured');
SELECT ok((SELECT state_bytes > 0 FROM pathway.stats WHERE view = 't095_v' AND operator = '4 join'),
  'the join reports its memory');
SELECT is((SELECT state_bytes FROM pathway.stats WHERE view = 't095_v' AND operator = 'view'),
  (SELECT sum(state_bytes)::bigint FROM pathway.stats WHERE view = 't095_v' AND ordinal > 0),
  'the view''s memory is the sum of its operators''');

-- Prometheus exposition
SELECT ok(pathway.metrics() LIKE E'%# TYPE pathway_view_rows_written_total counter\n%', 'metrics: TYPE line');
SELECT ok(pathway.metrics() LIKE '%pathway_view_rows_written_total{database="' || current_database() || E'",view="public.t095_v"} 2\n%',
  'metrics: the view''s rows written');
SELECT ok(pathway.metrics() LIKE '%pathway_operator_rows_out_total{database="' || current_database() || E'",view="public.t095_v",operator="2 filter"} 2\n%',
  'metrics: an operator''s rows out');
SELECT is((SELECT count(*) FROM regexp_split_to_table(pathway.metrics(), E'\n') l
            WHERE l <> '' AND l !~ '^# (HELP|TYPE) ' AND l !~ '^[a-z_]+\{[^}]*\} -?[0-9.e+-]+$'), 0::bigint,
  'metrics: every sample line is name{labels} value');

SELECT results_eq($$SELECT build_rows_done, build_rows_total FROM pathway.views WHERE name = 't095_v'$$,
  $$VALUES (NULL::bigint, NULL::bigint)$$, 'no build progress once the view runs');

SELECT pathway.drop_view('t095_v');
DROP FUNCTION t095_wait(text);
DROP TABLE t095_o, t095_c;
SELECT * FROM finish();
