-- WHERE and ON prepared as PostgreSQL's planner does: an equality written
-- in every branch of an OR (TPC-H Q19) becomes a join key, so the view is
-- planned as a join, not a cross join with a filter; constants folded.  An
-- ORDER BY in a FROM subquery without LIMIT is ignored where the order
-- cannot reach the result, and refused where it could (an aggregate or
-- window around it).  Exact rows, the plan, the oracle after changes.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t250_l, t250_p CASCADE;

SELECT plan(14);

CREATE TABLE t250_p (partkey int PRIMARY KEY, brand text, size int);
CREATE TABLE t250_l (id int PRIMARY KEY, partkey int, qty int, price numeric);
INSERT INTO t250_p SELECT g, 'b' || (g % 4), g % 15 FROM generate_series(1, 200) g;
INSERT INTO t250_l SELECT g, 1 + g % 220, g % 40, (g % 13) * 1.5 FROM generate_series(1, 2000) g;

CREATE TEMP TABLE t250_views (name text, q text);
INSERT INTO t250_views VALUES
  ('t250_q19', $q$SELECT sum(l.price * l.qty) AS revenue, count(*) AS n
     FROM t250_l l, t250_p p
    WHERE (p.partkey = l.partkey AND p.brand = 'b1' AND l.qty BETWEEN 1 AND 11 AND p.size BETWEEN 1 AND 5)
       OR (p.partkey = l.partkey AND p.brand = 'b2' AND l.qty BETWEEN 10 AND 20 AND p.size BETWEEN 1 AND 10)
       OR (p.partkey = l.partkey AND p.brand = 'b3' AND l.qty BETWEEN 20 AND 30 AND p.size BETWEEN 1 AND 15)$q$),
  ('t250_on', $q$SELECT l.id, p.brand FROM t250_l l JOIN t250_p p
      ON (p.partkey = l.partkey AND l.qty < 5) OR (l.partkey = p.partkey AND p.size = 3)$q$),
  ('t250_folded', $q$SELECT id FROM t250_l WHERE qty > 30 + 5 AND (true OR price > 0) AND NOT (qty IS NULL)$q$),
  ('t250_ordered_sub', $q$SELECT s.id, s.qty FROM (SELECT id, qty FROM t250_l WHERE qty > 37 ORDER BY qty DESC) s$q$);
SELECT pathway.create_view(name, q) FROM t250_views;
SELECT pathway.sync();

SELECT results_eq('SELECT revenue, n FROM t250_q19',
  $$SELECT sum(l.price * l.qty), count(*) FROM t250_l l JOIN t250_p p ON p.partkey = l.partkey
     WHERE (p.brand = 'b1' AND l.qty BETWEEN 1 AND 11 AND p.size BETWEEN 1 AND 5)
        OR (p.brand = 'b2' AND l.qty BETWEEN 10 AND 20 AND p.size BETWEEN 1 AND 10)
        OR (p.brand = 'b3' AND l.qty BETWEEN 20 AND 30 AND p.size BETWEEN 1 AND 15)$$,
  'Q19 shape: the same rows as the factored query');
SELECT is((SELECT string_agg(split_part(operator, ' ', 2), ',' ORDER BY ordinal) FROM pathway.stats
            WHERE view = 't250_q19' AND ordinal > 0 AND operator NOT LIKE '%source%' AND operator NOT LIKE '%project%'
              AND operator NOT LIKE '%filter%'),
  'join,aggregate,table', 'Q19 shape: planned as a join on the common key, not a cross join');
SELECT ok((SELECT count(*) FROM pathway.stats WHERE view = 't250_on' AND operator LIKE '%cross join%') = 0,
  'an ON with the key in each OR branch is a join');
SELECT is((SELECT count(*) FROM t250_folded), (SELECT count(*) FROM t250_l WHERE qty > 35), 'constants folded');
SELECT is((SELECT count(*) FROM t250_ordered_sub), 100::bigint, 'ORDER BY in a FROM subquery without LIMIT: ignored');

-- refused where the order would reach the result
SELECT throws_ok($$SELECT pathway.create_view('t250_bad', 'SELECT array_agg(id) FROM (SELECT id FROM t250_l ORDER BY id) s')$$,
  '0A000', NULL, 'ORDER BY under an order-sensitive aggregate is refused');
SELECT throws_ok($$SELECT pathway.create_view('t250_bad', 'SELECT string_agg(b, '','') FROM (SELECT b FROM (SELECT brand AS b FROM t250_p ORDER BY partkey) x) y')$$,
  '0A000', NULL, 'also through a level in between');
SELECT throws_ok($$SELECT pathway.create_view('t250_bad', 'SELECT id, row_number() OVER () FROM (SELECT id FROM t250_l ORDER BY id) s')$$,
  '0A000', NULL, 'and under a window function');

-- changes, then the oracle
UPDATE t250_p SET brand = 'b2' WHERE partkey % 7 = 0;
UPDATE t250_l SET qty = qty + 3 WHERE id % 5 = 0;
DELETE FROM t250_l WHERE id % 9 = 0;
INSERT INTO t250_l SELECT 5000 + g, g % 200, g % 30, g FROM generate_series(1, 300) g;
DELETE FROM t250_p WHERE partkey % 31 = 0;
SELECT pathway.sync();

CREATE FUNCTION t250_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t250_diff(name, q), 0::bigint, 'oracle (EXCEPT ALL both ways): ' || name) FROM t250_views ORDER BY name;
SELECT is((SELECT count(*) FROM pathway.check_view('t250_q19')), 0::bigint, 'check_view: Q19 shape');
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't250_%' AND status = 'running'), 4::bigint, 'all running');

SELECT pathway.drop_view(name) FROM t250_views;
DROP FUNCTION t250_diff(text, text);
DROP TABLE t250_l, t250_p;
SELECT * FROM finish();
