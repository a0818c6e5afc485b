-- Schema of test/shell/oracle_recursive.sh: a directed graph of 300 nodes
-- (about 1.5 edges a node: cycles, self-loops, duplicate edges) and a
-- weight per node.
CREATE TABLE r_e (src int, dst int);
CREATE TABLE r_n (id int PRIMARY KEY, w int);
SELECT setseed(0.15);
INSERT INTO r_e SELECT (random() * 299)::int, (random() * 299)::int FROM generate_series(1, 450);
INSERT INTO r_n SELECT g, g % 7 FROM generate_series(0, 299) g;
