-- Functions in FROM over a table's columns (LATERAL): unnest, jsonb_each,
-- jsonb_array_elements, generate_series; their rows come and go with the
-- row they were computed from; with joins and GROUP BY above them.
-- Exact rows, then the oracle.  Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
DROP TABLE IF EXISTS t180_d CASCADE;

SELECT plan(11);

CREATE TABLE t180_d (id int, tags text[], doc jsonb, n int);
INSERT INTO t180_d VALUES
  (1, ARRAY['a', 'b'], '{"x": 1, "y": 2}', 2),
  (2, ARRAY['b'], '{"items": [10, 20, 30]}', 0),
  (3, NULL, '{}', NULL);

CREATE TEMP TABLE t180_q (name text, q text);
INSERT INTO t180_q VALUES
  ('t180_tags',  'SELECT d.id, t.tag FROM t180_d d, unnest(d.tags) AS t(tag)'),
  ('t180_count', 'SELECT tag, count(*) AS n FROM t180_d d CROSS JOIN LATERAL unnest(d.tags) AS tag GROUP BY tag'),
  ('t180_kv',    'SELECT d.id, e.key, e.value FROM t180_d d, jsonb_each(d.doc) e'),
  ('t180_items', 'SELECT d.id, sum(i::int) AS total FROM t180_d d, jsonb_array_elements_text(d.doc->''items'') i GROUP BY d.id'),
  ('t180_series','SELECT d.id, g FROM t180_d d, generate_series(1, d.n) g');
SELECT pathway.create_view(name, q) FROM t180_q;
SELECT pathway.sync();

SELECT bag_eq('TABLE t180_tags', $$VALUES (1, 'a'), (1, 'b'), (2, 'b')$$, 'unnest of an array column');
SELECT bag_eq('TABLE t180_count', $$VALUES ('a', 1::bigint), ('b', 2::bigint)$$, 'GROUP BY over unnest');
SELECT bag_eq('TABLE t180_kv', $$VALUES (1, 'x', '1'::jsonb), (1, 'y', '2'::jsonb), (2, 'items', '[10, 20, 30]'::jsonb)$$, 'jsonb_each: a composite result');

UPDATE t180_d SET tags = ARRAY['c', 'a', 'a'], n = 1 WHERE id = 1;
DELETE FROM t180_d WHERE id = 2;
SELECT pathway.sync();
SELECT bag_eq('TABLE t180_tags', $$VALUES (1, 'c'), (1, 'a'), (1, 'a')$$, 'an update replaces the row''s function rows');
INSERT INTO t180_q VALUES ('t180_ord', 'SELECT d.id, t.tag, t.n FROM t180_d d, unnest(d.tags) WITH ORDINALITY t(tag, n)');
SELECT lives_ok($$SELECT pathway.create_view('t180_ord', (SELECT q FROM t180_q WHERE name = 't180_ord'))$$,
  'WITH ORDINALITY: each row numbered among its function rows');

INSERT INTO t180_d SELECT g, ARRAY[chr(97 + g % 4), chr(97 + g % 3)], jsonb_build_object('items', jsonb_build_array(g, g % 5), 'k' || (g % 3), g), g % 4
  FROM generate_series(10, 60) g;
DELETE FROM t180_d WHERE random() < 0.3;
UPDATE t180_d SET tags = tags || 'z'::text, n = coalesce(n, 0) + 1 WHERE random() < 0.3;
SELECT pathway.sync();

CREATE FUNCTION t180_diff(v text, q text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$s EXCEPT ALL (%2$s)) UNION ALL ((%2$s) EXCEPT ALL TABLE %1$s)) d', v, q) INTO n;
  RETURN n;
END $f$;
SELECT is(t180_diff(name, q), 0::bigint, 'oracle: ' || name) FROM t180_q ORDER BY name;

SELECT pathway.drop_view(name) FROM t180_q;
DROP FUNCTION t180_diff(text, text);
DROP TABLE t180_d;
SELECT * FROM finish();
