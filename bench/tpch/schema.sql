-- TPC-H schema (the eight tables with the primary keys the specification
-- gives them) and the helpers of our own generator (generate.sql) and
-- refresh functions (refresh.sql). Run by psql in an empty database; the
-- tables are dropped first.
DROP TABLE IF EXISTS lineitem, orders, partsupp, part, customer, supplier, nation, region, tpch_state CASCADE;

CREATE TABLE region (
  r_regionkey int PRIMARY KEY,
  r_name      char(25) NOT NULL,
  r_comment   varchar(152)
);
CREATE TABLE nation (
  n_nationkey int PRIMARY KEY,
  n_name      char(25) NOT NULL,
  n_regionkey int NOT NULL,
  n_comment   varchar(152)
);
CREATE TABLE part (
  p_partkey     int PRIMARY KEY,
  p_name        varchar(55) NOT NULL,
  p_mfgr        char(25) NOT NULL,
  p_brand       char(10) NOT NULL,
  p_type        varchar(25) NOT NULL,
  p_size        int NOT NULL,
  p_container   char(10) NOT NULL,
  p_retailprice numeric(15,2) NOT NULL,
  p_comment     varchar(23) NOT NULL
);
CREATE TABLE supplier (
  s_suppkey   int PRIMARY KEY,
  s_name      char(25) NOT NULL,
  s_address   varchar(40) NOT NULL,
  s_nationkey int NOT NULL,
  s_phone     char(15) NOT NULL,
  s_acctbal   numeric(15,2) NOT NULL,
  s_comment   varchar(101) NOT NULL
);
CREATE TABLE partsupp (
  ps_partkey    int NOT NULL,
  ps_suppkey    int NOT NULL,
  ps_availqty   int NOT NULL,
  ps_supplycost numeric(15,2) NOT NULL,
  ps_comment    varchar(199) NOT NULL,
  PRIMARY KEY (ps_partkey, ps_suppkey)
);
CREATE TABLE customer (
  c_custkey    int PRIMARY KEY,
  c_name       varchar(25) NOT NULL,
  c_address    varchar(40) NOT NULL,
  c_nationkey  int NOT NULL,
  c_phone      char(15) NOT NULL,
  c_acctbal    numeric(15,2) NOT NULL,
  c_mktsegment char(10) NOT NULL,
  c_comment    varchar(117) NOT NULL
);
CREATE TABLE orders (
  o_orderkey      bigint PRIMARY KEY,
  o_custkey       int NOT NULL,
  o_orderstatus   char(1) NOT NULL,
  o_totalprice    numeric(15,2) NOT NULL,
  o_orderdate     date NOT NULL,
  o_orderpriority char(15) NOT NULL,
  o_clerk         char(15) NOT NULL,
  o_shippriority  int NOT NULL,
  o_comment       varchar(79) NOT NULL
);
CREATE TABLE lineitem (
  l_orderkey      bigint NOT NULL,
  l_partkey       int NOT NULL,
  l_suppkey       int NOT NULL,
  l_linenumber    int NOT NULL,
  l_quantity      numeric(15,2) NOT NULL,
  l_extendedprice numeric(15,2) NOT NULL,
  l_discount      numeric(15,2) NOT NULL,
  l_tax           numeric(15,2) NOT NULL,
  l_returnflag    char(1) NOT NULL,
  l_linestatus    char(1) NOT NULL,
  l_shipdate      date NOT NULL,
  l_commitdate    date NOT NULL,
  l_receiptdate   date NOT NULL,
  l_shipinstruct  char(25) NOT NULL,
  l_shipmode      char(10) NOT NULL,
  l_comment       varchar(44) NOT NULL,
  PRIMARY KEY (l_orderkey, l_linenumber)
);

-- The scale factor of the data and the refresh batches used so far, so that
-- each refresh inserts and deletes orders no earlier one touched.
CREATE TABLE tpch_state (sf numeric NOT NULL, batch int NOT NULL);

-- A deterministic pseudo-random integer in [lo, hi] for a row key and a
-- column (seed): the same data on every run, independent of scan order.
CREATE OR REPLACE FUNCTION tpch_rand(k bigint, seed bigint, lo bigint, hi bigint)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT lo + ((hashint8extended(k, seed) % (hi - lo + 1)) + (hi - lo + 1)) % (hi - lo + 1) $$;

-- One word of a list, picked by (k, seed).
CREATE OR REPLACE FUNCTION tpch_pick(words text[], k bigint, seed bigint)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT words[tpch_rand(k, seed, 1, cardinality(words))] $$;

-- Short comment text: n random words of a fixed vocabulary (it holds the
-- words Q13 and Q16 look for).
CREATE OR REPLACE FUNCTION tpch_text(k bigint, seed bigint, n int)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT string_agg(tpch_pick(ARRAY['furiously', 'quickly', 'carefully', 'blithely', 'slyly',
           'fluffily', 'ironic', 'final', 'express', 'regular', 'pending', 'special',
           'bold', 'even', 'silent', 'unusual', 'packages', 'requests', 'accounts',
           'deposits', 'foxes', 'ideas', 'theodolites', 'pinto', 'beans', 'instructions',
           'dependencies', 'excuses', 'platelets', 'asymptotes', 'courts', 'dolphins'],
           k, seed * 64 + i), ' ' ORDER BY i)
    FROM generate_series(1, n) i
$$;

-- Random text of letters and digits, lo to hi characters (addresses).
CREATE OR REPLACE FUNCTION tpch_vstring(k bigint, seed bigint, lo int, hi int)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT string_agg(substr('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,. ',
           tpch_rand(k, seed * 64 + i, 1, 65)::int, 1), '' ORDER BY i)
    FROM generate_series(1, tpch_rand(k, seed, lo, hi)::int) i
$$;

-- A phone number of a nation: country code nationkey + 10.
CREATE OR REPLACE FUNCTION tpch_phone(k bigint, seed bigint, nationkey bigint)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT (nationkey + 10) || '-' || tpch_rand(k, seed, 100, 999) || '-' ||
         tpch_rand(k, seed + 1, 100, 999) || '-' || tpch_rand(k, seed + 2, 1000, 9999)
$$;

-- The specification's retail price of a part.
CREATE OR REPLACE FUNCTION tpch_retailprice(partkey bigint)
RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ((90000 + ((partkey / 10) % 20001) + 100 * (partkey % 1000)) / 100.0)::numeric(15,2) $$;

-- The i-th supplier (i in 0..3) of a part, as the specification pairs them:
-- partsupp holds exactly these pairs and lineitem uses only them. Where the
-- specification's step would give a part the same supplier twice (only with
-- few suppliers: 10 at SF 0.001) the step is one more.
CREATE OR REPLACE FUNCTION tpch_partsupp(partkey bigint, i int, suppliers bigint)
RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT ((partkey + i * (step + (step % suppliers = 0 OR 2 * step % suppliers = 0
                                  OR 3 * step % suppliers = 0)::int)) % suppliers + 1)::int
    FROM (SELECT suppliers / 4 + (partkey - 1) / suppliers AS step) s
$$;

-- Order keys are sparse, as in the specification: of each 32 keys the
-- loaded orders use the first 8; the refresh function RF1 fills the others.
CREATE OR REPLACE FUNCTION tpch_order_key(i bigint)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (i / 8) * 32 + i % 8 + 1 $$;
CREATE OR REPLACE FUNCTION tpch_new_order_key(i bigint)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (i / 24) * 32 + 9 + i % 24 $$;

-- Orders with the given keys and their 1-7 lineitems, every value drawn
-- from the order's key (so an order inserted by RF1 is as random as a
-- loaded one); o_orderstatus and o_totalprice follow from the lineitems.
CREATE OR REPLACE FUNCTION tpch_insert_orders(sf numeric, keys bigint[])
RETURNS bigint LANGUAGE sql
AS $$
  WITH o AS (
    SELECT k,
           date '1992-01-01' + tpch_rand(k, 301, 0, 2405)::int AS odate,
           (SELECT 3 * (m / 2) + 1 + m % 2
              FROM tpch_rand(k, 302, 0, (150000 * sf)::bigint - (150000 * sf)::bigint / 3 - 1) m)::int AS custkey
      FROM unnest(keys) k
  ), l AS (
    SELECT o.k, ln, o.odate,
           tpch_rand(o.k * 8 + ln, 401, 1, (200000 * sf)::bigint) AS partkey,
           tpch_rand(o.k * 8 + ln, 402, 0, 3)::int AS supp_i,
           tpch_rand(o.k * 8 + ln, 403, 1, 50) AS qty,
           tpch_rand(o.k * 8 + ln, 404, 0, 10) / 100.0 AS discount,
           tpch_rand(o.k * 8 + ln, 405, 0, 8) / 100.0 AS tax,
           o.odate + tpch_rand(o.k * 8 + ln, 406, 1, 121)::int AS shipdate,
           o.odate + tpch_rand(o.k * 8 + ln, 407, 30, 90)::int AS commitdate,
           tpch_rand(o.k * 8 + ln, 408, 1, 30)::int AS receipt_after
      FROM o, generate_series(1, tpch_rand(o.k, 303, 1, 7)::int) ln
  ), li AS (
    INSERT INTO lineitem
    SELECT k, partkey, tpch_partsupp(partkey, supp_i, (10000 * sf)::bigint), ln, qty,
           qty * tpch_retailprice(partkey), discount, tax,
           CASE WHEN shipdate + receipt_after <= date '1995-06-17'
                THEN tpch_pick(ARRAY['R', 'A'], k * 8 + ln, 409) ELSE 'N' END,
           CASE WHEN shipdate > date '1995-06-17' THEN 'O' ELSE 'F' END,
           shipdate, commitdate, shipdate + receipt_after,
           tpch_pick(ARRAY['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'], k * 8 + ln, 410),
           tpch_pick(ARRAY['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'], k * 8 + ln, 411),
           left(tpch_text(k * 8 + ln, 412, tpch_rand(k * 8 + ln, 413, 2, 5)::int), 44)
      FROM l
    RETURNING l_orderkey, l_linestatus, l_extendedprice, l_discount, l_tax
  ), ins AS (
    INSERT INTO orders
    SELECT o.k, o.custkey,
           CASE WHEN bool_and(li.l_linestatus = 'F') THEN 'F'
                WHEN bool_and(li.l_linestatus = 'O') THEN 'O' ELSE 'P' END,
           sum(li.l_extendedprice * (1 + li.l_tax) * (1 - li.l_discount)),
           o.odate,
           tpch_pick(ARRAY['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'], o.k, 304),
           'Clerk#' || lpad(tpch_rand(o.k, 305, 1, greatest(1, (1000 * sf)::bigint))::text, 9, '0'),
           0,
           left(tpch_text(o.k, 306, tpch_rand(o.k, 307, 3, 8)::int), 79)
      FROM o JOIN li ON li.l_orderkey = o.k
     GROUP BY o.k, o.custkey, o.odate
    RETURNING 1
  )
  SELECT count(*) FROM ins
$$;

-- One round of the refresh functions, in the caller's transaction:
--   RF1 inserts SF x 1,500 new orders (keys the load left free) and their
--       lineitems;
--   RF2 deletes as many loaded orders and their lineitems;
--   then 1% of the lineitems get a new quantity (and extended price) and
--   discount, and 1% of the orders a new status.
-- Each round uses the next batch of keys (tpch_state), so no two rounds
-- insert or delete the same orders. Returns the number of rows changed.
CREATE OR REPLACE FUNCTION tpch_refresh()
RETURNS bigint LANGUAGE plpgsql
AS $$
DECLARE
  st tpch_state;
  n bigint;
  changed bigint := 0;
  c bigint;
BEGIN
  UPDATE tpch_state SET batch = batch + 1 RETURNING * INTO st;
  n := greatest(1, round(1500 * st.sf));
  -- RF1
  SELECT tpch_insert_orders(st.sf, array_agg(tpch_new_order_key((st.batch - 1) * n + j)))
    INTO c FROM generate_series(0, n - 1) j;
  changed := changed + c;
  -- RF2
  DELETE FROM lineitem WHERE l_orderkey IN
    (SELECT tpch_order_key((st.batch - 1) * n + j) FROM generate_series(0, n - 1) j);
  GET DIAGNOSTICS c = ROW_COUNT;
  changed := changed + c;
  DELETE FROM orders WHERE o_orderkey IN
    (SELECT tpch_order_key((st.batch - 1) * n + j) FROM generate_series(0, n - 1) j);
  GET DIAGNOSTICS c = ROW_COUNT;
  changed := changed + c;
  -- updates of 1% of the rows
  UPDATE lineitem
     SET l_quantity = tpch_rand(l_orderkey * 8 + l_linenumber, 3000 + st.batch, 1, 50),
         l_extendedprice = tpch_rand(l_orderkey * 8 + l_linenumber, 3000 + st.batch, 1, 50)
                           * tpch_retailprice(l_partkey),
         l_discount = tpch_rand(l_orderkey * 8 + l_linenumber, 2000 + st.batch, 0, 10) / 100.0
   WHERE tpch_rand(l_orderkey * 8 + l_linenumber, 1000 + st.batch, 0, 99) = 0;
  GET DIAGNOSTICS c = ROW_COUNT;
  changed := changed + c;
  UPDATE orders
     SET o_orderstatus = CASE o_orderstatus WHEN 'F' THEN 'O' WHEN 'O' THEN 'P' ELSE 'F' END
   WHERE tpch_rand(o_orderkey, 4000 + st.batch, 0, 99) = 0;
  GET DIAGNOSTICS c = ROW_COUNT;
  RETURN changed + c;
END
$$;
