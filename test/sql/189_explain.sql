-- pathway.explain(view): the graph the engine keeps a view with, one line
-- per operator (numbered as pathway.stats numbers them), its inputs
-- indented under it, with the state each holds; exact lines for a join
-- with a GROUP BY (the smaller table first: joins are ordered by size) and
-- for a magic set; the caller needs SELECT on the view.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t189_o, t189_c CASCADE;
DROP ROLE IF EXISTS t189_plain;

SELECT plan(6);

CREATE TABLE t189_c (id int PRIMARY KEY, region text);
CREATE TABLE t189_o (id int PRIMARY KEY, cust int, amount int);
INSERT INTO t189_c VALUES (1, 'eu'), (2, 'us');
INSERT INTO t189_o VALUES (1, 1, 10), (2, 1, 20), (3, 2, 5);
ANALYZE t189_c, t189_o;
SELECT pathway.create_view('t189_v', 'SELECT c.region, sum(o.amount) AS total FROM t189_o o JOIN t189_c c ON c.id = o.cust GROUP BY c.region');
SELECT pathway.create_view('t189_rank', 'SELECT id, (SELECT count(*) FROM t189_o x WHERE x.amount < t189_o.amount) AS r FROM t189_o');
SELECT pathway.sync();

SELECT results_eq($$SELECT regexp_replace(l, '  \[[0-9]+ rows, [0-9]+ bytes held\]$', '') FROM pathway.explain('t189_v') l$$,
  ARRAY['-> 6 project: 2 expressions',
        '  -> 5 group by: 1 aggregate per group of 1 key',
        '    -> 4 project: 2 expressions',
        '      -> 3 join: inner on 1 key',
        '        -> 1 source: public.t189_c, 2 columns, about 2 rows',
        '        -> 2 source: public.t189_o, 2 columns, about 3 rows'],
  'a join and a GROUP BY: the operators, their inputs under them, the smaller table first');
SELECT is((SELECT count(*) FROM pathway.explain('t189_v') l WHERE l ~ '\[[0-9]+ rows, [0-9]+ bytes held\]$'), 6::bigint,
  'each with the state it holds');
SELECT is((SELECT substring(l from '\[([0-9]+) rows') FROM pathway.explain('t189_v') l WHERE l ~ 'group by'), '2',
  'the GROUP BY holds its two groups');
SELECT ok((SELECT bool_or(l ~ 'distinct: per distinct row of 1 columns') AND bool_or(l ~ 'left outer on 1 key, NULL matching NULL')
             FROM pathway.explain('t189_rank') l),
  'a magic set: the outer values made distinct, joined back NULL-safe');

CREATE ROLE t189_plain LOGIN;
GRANT USAGE ON SCHEMA pathway TO t189_plain;
SET ROLE t189_plain;
SELECT throws_ok($$SELECT * FROM pathway.explain('t189_v')$$, '42501', 'permission denied for table t189_v',
  'a role that cannot read the view cannot explain it');
RESET ROLE;
SELECT throws_ok($$SELECT * FROM pathway.explain('t189_c')$$, '42809', '"t189_c" is not a live view',
  'a table that is not a live view');

SELECT pathway.drop_view('t189_v');
SELECT pathway.drop_view('t189_rank');
DROP TABLE t189_o, t189_c;
REVOKE USAGE ON SCHEMA pathway FROM t189_plain;
DROP ROLE t189_plain;
SELECT * FROM finish();
