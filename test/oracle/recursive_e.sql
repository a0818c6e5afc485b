\set a random(0, 299)
\set b random(0, 299)
\set c random(0, 299)
BEGIN;
INSERT INTO r_e VALUES (:a, :b);
DELETE FROM r_e WHERE ctid = (SELECT ctid FROM r_e WHERE src >= :c ORDER BY src LIMIT 1);
END;
