-- Schema of test/shell/oracle_constructs.sh: a table with NULLs and
-- duplicates, a small table for subqueries, a partitioned table.
CREATE TABLE o_t (id serial, k int, v int, tag text);
CREATE TABLE o_s (k int, w int);
CREATE TABLE o_p (id int, k int, v int, d date) PARTITION BY RANGE (d);
CREATE TABLE o_p1 PARTITION OF o_p FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
CREATE TABLE o_p2 PARTITION OF o_p FOR VALUES FROM ('2026-07-01') TO ('2027-01-01');
CREATE TABLE o_p3 PARTITION OF o_p DEFAULT;
INSERT INTO o_t (k, v, tag)
  SELECT CASE WHEN g % 17 = 0 THEN NULL ELSE g % 6 END, g % 100, 't' || g % 4 FROM generate_series(1, 300) g;
INSERT INTO o_s SELECT CASE WHEN g = 7 THEN NULL ELSE g % 8 END, g % 10 FROM generate_series(1, 12) g;
INSERT INTO o_p SELECT g, g % 5, g % 50, date '2026-01-01' + g % 500 FROM generate_series(1, 300) g;
