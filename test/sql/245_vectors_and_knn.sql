-- Vectors: pathway.l2_distance, cosine_distance, inner_product,
-- l2_normalize (exact values, errors) and pathway.chunk; live nearest
-- neighbours over float4[] vectors: the k nearest documents, a kNN
-- classifier that revises its decisions when the training set changes
-- (relabel, insert, delete, a moved vector), a distance-weighted vote and
-- nearest-centroid assignment.  Exact rows, then the oracle after random
-- changes on both sides.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t245_train, t245_q, t245_c, t245_docs CASCADE;

SELECT plan(43);

-- the functions
SELECT is(pathway.l2_distance('{0,0}', '{3,4}'), 5::float8, 'l2_distance 3-4-5');
SELECT is(pathway.l2_distance('{1,2,3}', '{1,2,3}'), 0::float8, 'l2_distance of equal vectors');
SELECT is(pathway.inner_product('{1,2,3}', '{4,5,6}'), 32::float8, 'inner_product');
SELECT is(pathway.cosine_distance('{1,0}', '{0,1}'), 1::float8, 'cosine_distance of orthogonal vectors');
SELECT ok(abs(pathway.cosine_distance('{1,1}', '{2,2}')) < 1e-12, 'cosine_distance of parallel vectors (0 up to rounding)');
SELECT is(pathway.cosine_distance('{1,0}', '{-1,0}'), 2::float8, 'cosine_distance of opposite vectors');
SELECT ok(pathway.cosine_distance('{0,0}', '{1,0}') = 'NaN'::float8, 'cosine_distance with a zero vector is NaN');
SELECT is(pathway.l2_normalize('{3,4}'), '{0.6,0.8}'::float4[], 'l2_normalize');
SELECT is(pathway.l2_normalize('{0,0}'), '{0,0}'::float4[], 'l2_normalize of the zero vector');
SELECT is(pathway.l2_distance('{}', '{}'), 0::float8, 'empty vectors');
-- 40 dimensions: the vectorized body and the tail agree with plain SQL
SELECT is(round(pathway.l2_distance(array_agg(g::float4 ORDER BY g), array_agg((g * 2)::float4 ORDER BY g))::numeric, 9),
          round(sqrt(sum(g * g))::numeric, 9), 'l2_distance over 40 dimensions')
  FROM generate_series(1, 40) g;
SELECT is(pathway.inner_product(array_agg((g % 7)::float4 ORDER BY g), array_agg((g % 5)::float4 ORDER BY g)),
          sum((g % 7) * (g % 5))::float8, 'inner_product over 37 dimensions')
  FROM generate_series(1, 37) g;
SELECT throws_ok($$SELECT pathway.l2_distance('{1,2,3}', '{1,2}')$$, '22000',
  'vectors of different lengths: 3 and 2', 'different lengths: both named');
SELECT throws_ok($$SELECT pathway.inner_product('{1,NULL}', '{1,2}')$$, '22004',
  'a vector must not contain NULL elements', 'a NULL element');
SELECT throws_ok($$SELECT pathway.cosine_distance('{{1,2},{3,4}}', '{1,2,3,4}')$$, '2202E',
  'a vector must be a one-dimensional array, not one of 2 dimensions', 'a matrix');
SELECT is(pathway.l2_distance(NULL, '{1}'), NULL, 'strict: NULL in, NULL out');
SELECT results_eq($$SELECT ordinal, chunk FROM pathway.chunk('a b c d e f g', 3, 1)$$,
  $$VALUES (1, 'a b c'), (2, 'c d e'), (3, 'e f g')$$, 'chunk: size 3, overlap 1');
SELECT results_eq($$SELECT ordinal, chunk FROM pathway.chunk(E'  one\ttwo\n three  ', 2)$$,
  $$VALUES (1, 'one two'), (2, 'three')$$, 'chunk: white space, no overlap, a short last chunk');
SELECT is((SELECT count(*) FROM pathway.chunk('   ', 5, 2)), 0::bigint, 'chunk: no words, no chunks');
SELECT results_eq($$SELECT ordinal, chunk FROM pathway.chunk('a b c d', 3, 2)$$,
  $$VALUES (1, 'a b c'), (2, 'b c d')$$, 'chunk: no chunk made of the overlap only');
SELECT throws_ok($$SELECT * FROM pathway.chunk('a b', 2, 2)$$, '22023',
  'chunk overlap must be at least 0 and less than the size 2, not 2', 'chunk: overlap as large as the size');

-- the classifier: 2-d points in three classes
CREATE TABLE t245_train (id int PRIMARY KEY, vec float4[], label text);
CREATE TABLE t245_q (id int PRIMARY KEY, vec float4[]);
CREATE TABLE t245_c (id int PRIMARY KEY, vec float4[]);
INSERT INTO t245_train VALUES
  (1, '{0,0}', 'red'), (2, '{1,0}', 'red'), (3, '{0,1}', 'red'),
  (4, '{10,10}', 'blue'), (5, '{11,10}', 'blue'), (6, '{10,11}', 'blue'),
  (7, '{0,10}', 'green'), (8, '{1,10}', 'green'), (9, '{0,11}', 'green'), (10, NULL, 'red');
INSERT INTO t245_q VALUES (1, '{0.5,0.5}'), (2, '{9,9}'), (3, '{0,9}'), (4, '{5,5}'), (5, NULL);
INSERT INTO t245_c VALUES (1, '{0,0}'), (2, '{10,10}');

CREATE TEMP TABLE t245_views (name text, q text);
INSERT INTO t245_views VALUES
  ('t245_nn3', $q$SELECT q.id AS qid, n.id AS tid, n.dist
     FROM t245_q q CROSS JOIN LATERAL (
       SELECT t.id, pathway.l2_distance(t.vec, q.vec) AS dist FROM t245_train t
        ORDER BY dist, t.id LIMIT 3) n$q$),
  ('t245_knn', $q$SELECT q.id, mode() WITHIN GROUP (ORDER BY n.label) AS label
     FROM t245_q q CROSS JOIN LATERAL (
       SELECT t.label FROM t245_train t ORDER BY pathway.l2_distance(t.vec, q.vec), t.id LIMIT 3) n
    GROUP BY q.id$q$),
  ('t245_weighted', $q$SELECT DISTINCT ON (qid) qid, label FROM (
       SELECT q.id AS qid, n.label, sum(1 / (n.dist + 0.001)) AS w
         FROM t245_q q CROSS JOIN LATERAL (
           SELECT t.label, pathway.l2_distance(t.vec, q.vec) AS dist FROM t245_train t
            ORDER BY dist, t.id LIMIT 5) n
        GROUP BY q.id, n.label) s
     ORDER BY qid, w DESC, label$q$),
  ('t245_centroid', $q$SELECT q.id, c.cid FROM t245_q q CROSS JOIN LATERAL (
       SELECT c.id AS cid FROM t245_c c ORDER BY pathway.l2_distance(c.vec, q.vec), c.id LIMIT 1) c$q$),
  ('t245_cos', $q$SELECT q.id AS qid, n.id AS tid FROM t245_q q CROSS JOIN LATERAL (
       SELECT t.id FROM t245_train t WHERE t.label <> 'green'
        ORDER BY pathway.cosine_distance(t.vec, q.vec), t.id LIMIT 1) n$q$);
SELECT pathway.create_view(name, q) FROM t245_views;
SELECT pathway.sync();

-- a NULL vector sorts last (NULL distance), as in PostgreSQL
SELECT results_eq('SELECT qid, tid FROM t245_nn3 ORDER BY qid, dist, tid',
  $$VALUES (1, 1), (1, 2), (1, 3), (2, 4), (2, 5), (2, 6), (3, 7), (3, 8), (3, 9),
           (4, 2), (4, 3), (4, 8), (5, 1), (5, 2), (5, 3)$$, 'three nearest (ties by id), a NULL query vector gets the first ids');
SELECT results_eq('SELECT id, label FROM t245_knn ORDER BY id',
  $$VALUES (1, 'red'), (2, 'blue'), (3, 'green'), (4, 'red'), (5, 'red')$$, 'kNN classifier');
SELECT results_eq('SELECT id, cid FROM t245_centroid ORDER BY id',
  $$VALUES (1, 1), (2, 2), (3, 1), (4, 1), (5, 1)$$, 'nearest centroid, ties by id');

-- the training set changes: every affected decision is revised in the same epoch
UPDATE t245_train SET label = 'blue' WHERE id IN (2, 3);
SELECT pathway.sync();
SELECT results_eq('SELECT id, label FROM t245_knn ORDER BY id',
  $$VALUES (1, 'blue'), (2, 'blue'), (3, 'green'), (4, 'blue'), (5, 'blue')$$, 'relabelled: decisions revised');
INSERT INTO t245_train VALUES (11, '{0.5,0.4}', 'red'), (12, '{0.4,0.5}', 'red');
DELETE FROM t245_train WHERE id = 8;
UPDATE t245_train SET vec = '{9,9.5}' WHERE id = 9;
SELECT pathway.sync();
SELECT results_eq('SELECT qid, tid FROM t245_nn3 ORDER BY qid, dist, tid',
  $$VALUES (1, 11), (1, 12), (1, 1), (2, 9), (2, 4), (2, 5), (3, 7), (3, 3), (3, 12),
           (4, 9), (4, 2), (4, 3), (5, 1), (5, 2), (5, 3)$$, 'inserted, deleted and moved training rows');
SELECT results_eq('SELECT id, label FROM t245_knn ORDER BY id',
  $$VALUES (1, 'red'), (2, 'blue'), (3, 'blue'), (4, 'blue'), (5, 'blue')$$, 'kNN after the changes (a three-way tie votes the first label)');
-- the centroids move: one k-means step as a live view
UPDATE t245_c SET vec = '{0,10}' WHERE id = 1;
INSERT INTO t245_c VALUES (3, '{0,0}');
SELECT pathway.sync();
SELECT results_eq('SELECT id, cid FROM t245_centroid ORDER BY id',
  $$VALUES (1, 3), (2, 2), (3, 1), (4, 1), (5, 1)$$, 'moved and added centroids (a three-way tie to the first)');
-- queries change
UPDATE t245_q SET vec = '{10,0}' WHERE id = 4;
UPDATE t245_q SET vec = '{10,10}' WHERE id = 5;
SELECT pathway.sync();
SELECT results_eq('SELECT id, cid FROM t245_centroid ORDER BY id',
  $$VALUES (1, 3), (2, 2), (3, 1), (4, 2), (5, 2)$$, 'moved queries');

-- a vector of another length fails the view with PostgreSQL's message; fixing it is a new view
INSERT INTO t245_q VALUES (6, '{1,2,3}');
SELECT throws_like('SELECT pathway.sync()', '%has failed%', 'sync() reports the failed view');
SELECT is((SELECT status FROM pathway.views WHERE name = 't245_centroid'), 'failed', 'a vector of another length fails the view');
SELECT ok((SELECT error FROM pathway.views WHERE name = 't245_centroid') LIKE '%vectors of different lengths: 2 and 3%',
  'the failed view says why');
DELETE FROM t245_q WHERE id = 6;
SELECT pathway.drop_view(name) FROM t245_views;
SELECT pathway.create_view(name, q) FROM t245_views;
SELECT pathway.sync();

-- random changes on both sides, then the oracle
-- every vector gains a dimension in one transaction: no state with two lengths
BEGIN;
INSERT INTO t245_train SELECT 100 + g, ARRAY[(g * 7) % 23, (g * 11) % 19, g % 5]::float4[],
  (ARRAY['red', 'blue', 'green'])[1 + g % 3] FROM generate_series(1, 150) g;
UPDATE t245_train SET vec = vec || '{0}'::float4[] WHERE id < 100 AND vec IS NOT NULL;
INSERT INTO t245_q SELECT 100 + g, ARRAY[(g * 5) % 23, (g * 3) % 19, g % 4]::float4[] FROM generate_series(1, 40) g;
UPDATE t245_q SET vec = vec || '{1}'::float4[] WHERE id < 100 AND vec IS NOT NULL;
UPDATE t245_c SET vec = vec || '{2}'::float4[];
COMMIT;
SELECT pathway.sync();
UPDATE t245_train SET label = 'green' WHERE id % 7 = 1;
DELETE FROM t245_train WHERE id % 9 = 4;
UPDATE t245_train SET vec = ARRAY[id % 13, id % 3, 2]::float4[] WHERE id % 10 = 3;
DELETE FROM t245_q WHERE id % 6 = 5;
UPDATE t245_q SET vec = ARRAY[id % 17, 4, 1]::float4[] WHERE id % 5 = 2;
INSERT INTO t245_c VALUES (4, '{20,18,4}');
SELECT pathway.sync();

CREATE FUNCTION t245_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t245_diff(name, q), 0::bigint, 'oracle (EXCEPT ALL both ways): ' || name) FROM t245_views ORDER BY name;
SELECT is((SELECT count(*) FROM pathway.check_view(name)), 0::bigint, 'check_view: ' || name)
  FROM t245_views WHERE name IN ('t245_knn', 't245_nn3') ORDER BY name;
SELECT is((SELECT count(*) FROM pathway.views WHERE name LIKE 't245_%' AND status = 'running'), 5::bigint,
  'all running');

-- long vectors (100 dimensions: the kernels' blocks, the pruning by norms and
-- by partial sums) under changes on both sides, against the query
CREATE TABLE t245_ld (id int PRIMARY KEY, vec float4[]);
CREATE TABLE t245_lq (id int PRIMARY KEY, vec float4[]);
INSERT INTO t245_ld SELECT i, array_agg(round((sin(i * 0.37 + j * 1.3) * (1 + i % 5))::numeric, 2)::float4 ORDER BY j)
  FROM generate_series(1, 300) i, generate_series(1, 100) j GROUP BY i;
INSERT INTO t245_lq SELECT i, array_agg(round((cos(i * 0.71 + j * 0.9) * (1 + i % 3))::numeric, 2)::float4 ORDER BY j)
  FROM generate_series(1, 25) i, generate_series(1, 100) j GROUP BY i;
INSERT INTO t245_views VALUES ('t245_long', $q$SELECT q.id AS qid, n.id AS did, n.dist
  FROM t245_lq q CROSS JOIN LATERAL (
    SELECT d.id, pathway.l2_distance(d.vec, q.vec) AS dist FROM t245_ld d ORDER BY dist, d.id LIMIT 4) n$q$);
SELECT pathway.create_view('t245_long', q) FROM t245_views WHERE name = 't245_long';
SELECT pathway.sync();
DELETE FROM t245_ld WHERE id IN (SELECT n.did FROM t245_long n WHERE n.qid % 2 = 0);
UPDATE t245_ld SET vec = (SELECT vec FROM t245_lq WHERE id = t245_ld.id % 25 + 1) WHERE id % 11 = 0;
INSERT INTO t245_ld SELECT 1000 + id, vec FROM t245_lq WHERE id % 4 = 0;
UPDATE t245_lq SET vec = (SELECT vec FROM t245_ld WHERE id = t245_lq.id * 7) WHERE id % 3 = 0;
SELECT pathway.sync();
SELECT is(t245_diff('t245_long', q), 0::bigint, 'oracle: 100-dimension vectors after deletes of answers, moves and inserts')
  FROM t245_views WHERE name = 't245_long';
SELECT is((SELECT count(*) FROM pathway.check_view('t245_long')), 0::bigint, 'check_view: 100-dimension vectors');
SELECT is((SELECT operator FROM pathway.stats WHERE view = 't245_long' AND operator LIKE '%lateral%'),
  '4 lateral top-k (distance fast path)', 'the distance fast path is taken');

SELECT pathway.drop_view(name) FROM t245_views;
DROP FUNCTION t245_diff(text, text);
DROP TABLE t245_ld, t245_lq;
DROP TABLE t245_train, t245_q, t245_c;
SELECT * FROM finish();
