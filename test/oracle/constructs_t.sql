\set k random(0, 7)
\set v random(0, 120)
\set id random(1, 400)
BEGIN;
INSERT INTO o_t (k, v, tag) VALUES (CASE WHEN :v % 13 = 0 THEN NULL ELSE :k END, :v, 't' || :k);
UPDATE o_t SET v = :v, k = :k WHERE id = :id;
DELETE FROM o_t WHERE id = :id + 7;
END;
