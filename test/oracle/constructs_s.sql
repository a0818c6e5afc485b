\set k random(0, 9)
\set w random(0, 10)
BEGIN;
INSERT INTO o_s VALUES (CASE WHEN :w = 10 THEN NULL ELSE :k END, :w);
DELETE FROM o_s WHERE ctid = (SELECT ctid FROM o_s WHERE w = (:w + 3) % 11 LIMIT 1);
END;
