\set a random(0, 299)
\set b random(0, 299)
BEGIN;
UPDATE r_e SET dst = :b WHERE ctid = (SELECT ctid FROM r_e WHERE src >= :a ORDER BY src LIMIT 1);
UPDATE r_n SET w = (w + 1) % 7 WHERE id = :b;
END;
