\set id random(1, 400)
\set d random(0, 600)
\set k random(0, 6)
BEGIN;
INSERT INTO o_p VALUES (:id, :k, :d % 50, date '2026-01-01' + :d);
UPDATE o_p SET d = date '2026-01-01' + (:d * 7) % 600 WHERE id = :id;
DELETE FROM o_p WHERE id = (:id * 3) % 400;
END;
