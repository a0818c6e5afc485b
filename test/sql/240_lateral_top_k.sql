-- LATERAL (... ORDER BY ... LIMIT k) correlated with the outer row, kept
-- per outer row: the as-of join (the price in force when a trade
-- happened), the k nearest by a distance to the outer row, filters inside
-- the subquery, OFFSET, WITH TIES, duplicates on both sides, NULL keys,
-- outer rows whose answers are empty (LEFT: padded), refusals.  Exact
-- rows, then the oracle after random changes on both sides.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t240_trades, t240_prices, t240_q, t240_d CASCADE;

SELECT plan(35);

CREATE TABLE t240_prices (sym text, ts int, price numeric, PRIMARY KEY (sym, ts));
CREATE TABLE t240_trades (id int PRIMARY KEY, sym text, ts int, qty int);
INSERT INTO t240_prices VALUES ('a', 10, 1.0), ('a', 20, 2.0), ('a', 30, 3.0), ('b', 15, 50), ('b', 25, 55);
INSERT INTO t240_trades VALUES (1, 'a', 5, 1), (2, 'a', 20, 2), (3, 'a', 29, 3), (4, 'b', 16, 4),
  (5, 'c', 40, 5), (6, NULL, 40, 6), (7, 'b', 100, 7);

-- points on a line: the two nearest documents to each query, ties by id
CREATE TABLE t240_q (id int PRIMARY KEY, x int, lang text);
CREATE TABLE t240_d (id int PRIMARY KEY, x int, lang text, price int);
INSERT INTO t240_q VALUES (1, 0, 'en'), (2, 10, 'en'), (3, 5, 'fr'), (4, 100, NULL);
INSERT INTO t240_d VALUES (1, 1, 'en', 10), (2, 4, 'en', 200), (3, 6, 'fr', 10), (4, 9, 'fr', 20),
  (5, 12, 'en', 30), (6, 5, 'fr', 150);

CREATE TEMP TABLE t240_views (name text, q text);
INSERT INTO t240_views VALUES
  ('t240_asof', $q$SELECT t.id, t.sym, p.ts AS pts, p.price
     FROM t240_trades t LEFT JOIN LATERAL (
       SELECT p.ts, p.price FROM t240_prices p WHERE p.sym = t.sym AND p.ts <= t.ts
        ORDER BY p.ts DESC LIMIT 1) p ON true$q$),
  ('t240_asof_inner', $q$SELECT t.id, p.price * t.qty AS amount
     FROM t240_trades t, LATERAL (
       SELECT p.price FROM t240_prices p WHERE p.sym = t.sym AND p.ts <= t.ts
        ORDER BY p.ts DESC LIMIT 1) p$q$),
  ('t240_near2', $q$SELECT q.id AS qid, d.id AS did, d.dist
     FROM t240_q q CROSS JOIN LATERAL (
       SELECT d.id, abs(d.x - q.x) AS dist FROM t240_d d ORDER BY dist, d.id LIMIT 2) d$q$),
  ('t240_near_lang', $q$SELECT q.id AS qid, d.id AS did
     FROM t240_q q JOIN LATERAL (
       SELECT d.id FROM t240_d d WHERE d.lang = q.lang AND d.price < 100
        ORDER BY abs(d.x - q.x), d.id LIMIT 1) d ON true$q$),
  ('t240_page', $q$SELECT q.id AS qid, d.id AS did
     FROM t240_q q, LATERAL (
       SELECT d.id FROM t240_d d ORDER BY abs(d.x - q.x), d.id OFFSET 1 LIMIT 2) d$q$),
  ('t240_ties', $q$SELECT q.id AS qid, d.id AS did
     FROM t240_q q, LATERAL (
       SELECT d.id FROM t240_d d WHERE d.x <> q.x ORDER BY abs(d.x - q.x) FETCH FIRST 1 ROWS WITH TIES) d$q$),
  ('t240_counts', $q$SELECT d.did, count(*) AS n
     FROM t240_q q, LATERAL (
       SELECT d.id AS did FROM t240_d d ORDER BY abs(d.x - q.x), d.id LIMIT 2) d GROUP BY d.did$q$);
SELECT pathway.create_view(name, q) FROM t240_views;
SELECT pathway.sync();

SELECT results_eq('SELECT id, sym, pts, price FROM t240_asof ORDER BY id',
  $$VALUES (1, 'a'::text, NULL::int, NULL::numeric), (2, 'a', 20, 2.0), (3, 'a', 20, 2.0),
           (4, 'b', 15, 50), (5, 'c', NULL, NULL), (6, NULL, NULL, NULL), (7, 'b', 25, 55)$$,
  'as-of join: the price in force; none before the first price, for an unknown or NULL symbol');
SELECT results_eq('SELECT id, amount FROM t240_asof_inner ORDER BY id',
  $$VALUES (2, 4.0), (3, 6.0), (4, 200::numeric), (7, 385)$$, 'inner as-of join drops trades without a price');
SELECT results_eq('SELECT qid, did, dist FROM t240_near2 ORDER BY qid, dist, did',
  $$VALUES (1, 1, 1), (1, 2, 4), (2, 4, 1), (2, 5, 2), (3, 6, 0), (3, 2, 1), (4, 5, 88), (4, 4, 91)$$,
  'two nearest, ties broken by id');
SELECT results_eq('SELECT qid, did FROM t240_near_lang ORDER BY qid',
  $$VALUES (1, 1), (2, 5), (3, 3)$$, 'an equality correlation and a filter inside the subquery');
SELECT results_eq('SELECT qid, did FROM t240_page ORDER BY qid, did',
  $$VALUES (1, 2), (1, 6), (2, 3), (2, 5), (3, 2), (3, 3), (4, 3), (4, 4)$$, 'OFFSET 1 LIMIT 2');
SELECT results_eq('SELECT qid, did FROM t240_ties ORDER BY qid, did',
  $$VALUES (1, 1), (2, 4), (3, 2), (3, 3), (4, 5)$$, 'WITH TIES keeps the peers');
SELECT results_eq('SELECT did, n FROM t240_counts ORDER BY did',
  $$VALUES (1, 1::bigint), (2, 2), (4, 2), (5, 2), (6, 1)$$, 'grouped over the answers');

-- a new price takes over trades after it; a deleted one hands them back
INSERT INTO t240_prices VALUES ('a', 25, 2.5), ('c', 1, 9);
SELECT pathway.sync();
SELECT results_eq('SELECT id, pts, price FROM t240_asof WHERE sym IN (''a'', ''c'') ORDER BY id',
  $$VALUES (1, NULL::int, NULL::numeric), (2, 20, 2.0), (3, 25, 2.5), (5, 1, 9)$$,
  'a new price takes over only the trades after it');
DELETE FROM t240_prices WHERE sym = 'a' AND ts = 20;
SELECT pathway.sync();
SELECT results_eq('SELECT id, pts, price FROM t240_asof WHERE sym = ''a'' ORDER BY id',
  $$VALUES (1, NULL::int, NULL::numeric), (2, 10, 1.0), (3, 25, 2.5)$$,
  'a deleted price: the one before it is in force again');
UPDATE t240_prices SET price = 3.5 WHERE sym = 'a' AND ts = 25;
UPDATE t240_trades SET ts = 31 WHERE id = 1;
UPDATE t240_trades SET sym = 'b' WHERE id = 6;
SELECT pathway.sync();
SELECT results_eq('SELECT id, pts, price FROM t240_asof ORDER BY id',
  $$VALUES (1, 30, 3.0), (2, 10, 1.0), (3, 25, 3.5), (4, 15, 50), (5, 1, 9), (6, 25, 55), (7, 25, 55)$$,
  'an updated price, a trade moved in time and one given a symbol');

-- duplicates: two equal outer rows, two candidates giving the same answer
INSERT INTO t240_trades VALUES (8, 'b', 16, 4);
SELECT pathway.sync();
SELECT results_eq('SELECT amount, count(*) FROM t240_asof_inner WHERE amount = 200 GROUP BY amount',
  $$VALUES (200::numeric, 2::bigint)$$, 'equal answers of two trades');

-- nearest: a closer document enters, the k-th leaves, an answer is deleted
INSERT INTO t240_d VALUES (7, 0, 'en', 5);
DELETE FROM t240_d WHERE id = 4;
SELECT pathway.sync();
SELECT results_eq('SELECT qid, did, dist FROM t240_near2 ORDER BY qid, dist, did',
  $$VALUES (1, 7, 0), (1, 1, 1), (2, 5, 2), (2, 3, 4), (3, 6, 0), (3, 2, 1), (4, 5, 88), (4, 3, 94)$$,
  'a new nearest enters, a deleted answer is replaced by the next');
SELECT results_eq('SELECT qid, did FROM t240_near_lang ORDER BY qid',
  $$VALUES (1, 7), (2, 5), (3, 3)$$, 'filtered: the new document wins for its language only');
UPDATE t240_d SET price = 500 WHERE id = 3;
UPDATE t240_q SET lang = 'fr' WHERE id = 4;
SELECT pathway.sync();
SELECT results_eq('SELECT qid, did FROM t240_near_lang ORDER BY qid',
  $$VALUES (1, 7), (2, 5)$$, 'a filtered-out answer leaves nothing where nothing else qualifies');
INSERT INTO t240_d VALUES (8, 5, 'fr', 1), (9, 5, 'fr', 1);
SELECT pathway.sync();
SELECT results_eq('SELECT qid, did FROM t240_ties ORDER BY qid, did',
  $$VALUES (1, 1), (2, 5), (3, 2), (3, 3), (4, 5)$$, 'WITH TIES: peers of the last one, after changes');
SELECT results_eq('SELECT qid, did FROM t240_near_lang ORDER BY qid',
  $$VALUES (1, 7), (2, 5), (3, 8), (4, 8)$$, 'ties on the distance broken by the second key');
-- the query moves
UPDATE t240_q SET x = 50 WHERE id = 4;
DELETE FROM t240_q WHERE id = 1;
SELECT pathway.sync();
SELECT results_eq('SELECT qid, did, dist FROM t240_near2 ORDER BY qid, dist, did',
  $$VALUES (2, 5, 2), (2, 3, 4), (3, 6, 0), (3, 8, 0), (4, 5, 38), (4, 3, 44)$$,
  'a moved query and a deleted one');

-- refused, with the reason
SELECT throws_ok($$SELECT pathway.create_view('t240_bad', 'SELECT t.id, p.price FROM t240_trades t LEFT JOIN LATERAL (SELECT p.price FROM t240_prices p WHERE p.sym = t.sym ORDER BY p.ts DESC LIMIT 1) p ON p.price > 1')$$,
  '0A000', NULL, 'an ON condition of LEFT JOIN LATERAL ... LIMIT is refused');
SELECT throws_ok($$SELECT pathway.create_view('t240_bad', 'SELECT t.id, p.ts FROM t240_trades t, LATERAL (SELECT p.ts FROM t240_prices p WHERE p.sym = t.sym LIMIT 1) p')$$,
  '0A000', NULL, 'LIMIT without ORDER BY is refused');
SELECT throws_ok($$SELECT pathway.create_view('t240_bad', 'SELECT t.id, p.n FROM t240_trades t, LATERAL (SELECT p.sym, count(*) AS n FROM t240_prices p WHERE p.sym = t.sym GROUP BY p.sym ORDER BY n LIMIT 1) p')$$,
  '0A000', NULL, 'grouping inside a LATERAL ... LIMIT is refused');
SELECT throws_ok($$SELECT pathway.create_view('t240_bad', 'SELECT t.id, p.ts FROM t240_trades t, LATERAL (SELECT p.ts FROM t240_prices p WHERE p.sym = t.sym ORDER BY random() LIMIT 1) p')$$,
  '0A000', NULL, 'a volatile ORDER BY is refused');
SELECT is((SELECT count(*) FROM pathway.views WHERE name = 't240_bad'), 0::bigint, 'nothing left by the refusals');

-- random changes on both sides, then the oracle
INSERT INTO t240_prices SELECT s, g, g % 7 + 1 FROM generate_series(1, 200) g,
  unnest(ARRAY['a', 'b', 'c', 'd']) s WHERE (g * 7 + length(s)) % 5 = 0 ON CONFLICT DO NOTHING;
INSERT INTO t240_trades SELECT 100 + g, (ARRAY['a', 'b', 'c', 'd', NULL])[1 + g % 5], (g * 37) % 210, g % 3 + 1
  FROM generate_series(1, 150) g;
INSERT INTO t240_q SELECT 100 + g, (g * 13) % 300, (ARRAY['en', 'fr', NULL])[1 + g % 3] FROM generate_series(1, 60) g;
INSERT INTO t240_d SELECT 100 + g, (g * 29) % 300, (ARRAY['en', 'fr'])[1 + g % 2], (g * 17) % 160
  FROM generate_series(1, 200) g;
SELECT pathway.sync();
DELETE FROM t240_prices WHERE (ts * 3 + length(sym)) % 4 = 0;
UPDATE t240_prices SET price = price + 1 WHERE ts % 6 = 0;
DELETE FROM t240_trades WHERE id % 9 = 0;
UPDATE t240_trades SET ts = ts + 17 WHERE id % 4 = 1;
DELETE FROM t240_d WHERE id % 7 = 3;
UPDATE t240_d SET x = (x * 3) % 300 WHERE id % 5 = 0;
UPDATE t240_d SET price = 5 WHERE id % 11 = 0;
UPDATE t240_q SET x = x + 1 WHERE id % 3 = 0;
DELETE FROM t240_q WHERE id % 8 = 0;
SELECT pathway.sync();

CREATE FUNCTION t240_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t240_diff(name, q), 0::bigint, 'oracle (EXCEPT ALL both ways): ' || name) FROM t240_views ORDER BY name;
SELECT is((SELECT count(*) FROM pathway.check_view(name)), 0::bigint, 'check_view: ' || name)
  FROM t240_views WHERE name IN ('t240_asof', 't240_near2', 't240_near_lang') ORDER BY name;
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't240_%' AND status = 'running'), 7::bigint,
  'all running');
SELECT is((SELECT string_agg(operator, ', ' ORDER BY ordinal) FROM pathway.stats WHERE view = 't240_asof'),
  'view, 1 source t240_trades, 2 source t240_prices, 3 project, 4 lateral top-k, 5 project, 6 table',
  'the plan of the as-of join: both tables, the candidates projected, one lateral top-k');

-- emptied on both sides
DELETE FROM t240_d;
DELETE FROM t240_prices;
SELECT pathway.sync();
SELECT is((SELECT count(*) FROM t240_asof WHERE price IS NOT NULL) + (SELECT count(*) FROM t240_near2),
  0::bigint, 'no candidates: LEFT pads every trade, the inner views are empty');

SELECT pathway.drop_view(name) FROM t240_views;
DROP FUNCTION t240_diff(text, text);
DROP TABLE t240_trades, t240_prices, t240_q, t240_d;
SELECT * FROM finish();
