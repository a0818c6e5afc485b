-- Fills the TPC-H tables of schema.sql at scale factor :sf (psql -v sf=0.01):
-- supplier 10,000 x SF, part 200,000 x SF, partsupp 4 per part, customer
-- 150,000 x SF, orders 1,500,000 x SF (sparse keys, customers whose key is
-- not a multiple of 3), lineitem 1-7 per order, nation 25, region 5. Value
-- domains follow the specification's (dates 1992-01-01..1998-12-31, its word
-- lists); comments are short random words. Every value comes from
-- tpch_rand(row key, column, ...), so a run is the same on every machine.
\set ON_ERROR_STOP on
TRUNCATE region, nation, part, supplier, partsupp, customer, orders, lineitem, tpch_state;
INSERT INTO tpch_state VALUES (:sf, 0);

INSERT INTO region
SELECT r - 1, name, tpch_text(r, 101, 6)
  FROM unnest(ARRAY['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST']) WITH ORDINALITY AS x(name, r);

INSERT INTO nation
SELECT n - 1, name, region, tpch_text(n, 102, 8)
  FROM unnest(ARRAY['ALGERIA', 'ARGENTINA', 'BRAZIL', 'CANADA', 'EGYPT', 'ETHIOPIA', 'FRANCE',
                    'GERMANY', 'INDIA', 'INDONESIA', 'IRAN', 'IRAQ', 'JAPAN', 'JORDAN', 'KENYA',
                    'MOROCCO', 'MOZAMBIQUE', 'PERU', 'CHINA', 'ROMANIA', 'SAUDI ARABIA', 'VIETNAM',
                    'RUSSIA', 'UNITED KINGDOM', 'UNITED STATES'],
              ARRAY[0, 1, 1, 1, 4, 0, 3, 3, 2, 2, 4, 4, 2, 4, 0, 0, 0, 1, 2, 3, 4, 2, 3, 3, 1])
       WITH ORDINALITY AS x(name, region, n);

INSERT INTO part
SELECT p,
       (SELECT string_agg(c, ' ' ORDER BY i)
          FROM (SELECT c, row_number() OVER (ORDER BY hashint8extended(p, 200 + w)) AS i
                  FROM unnest(ARRAY['almond', 'antique', 'aquamarine', 'azure', 'beige', 'bisque',
                    'black', 'blanched', 'blue', 'blush', 'brown', 'burlywood', 'burnished',
                    'chartreuse', 'chiffon', 'chocolate', 'coral', 'cornflower', 'cornsilk',
                    'cream', 'cyan', 'dark', 'deep', 'dim', 'dodger', 'drab', 'firebrick',
                    'floral', 'forest', 'frosted', 'gainsboro', 'ghost', 'goldenrod', 'green',
                    'grey', 'honeydew', 'hot', 'indian', 'ivory', 'khaki', 'lace', 'lavender',
                    'lawn', 'lemon', 'light', 'lime', 'linen', 'magenta', 'maroon', 'medium',
                    'metallic', 'midnight', 'mint', 'misty', 'moccasin', 'navajo', 'navy',
                    'olive', 'orange', 'orchid', 'pale', 'papaya', 'peach', 'peru', 'pink',
                    'plum', 'powder', 'puff', 'purple', 'red', 'rose', 'rosy', 'royal',
                    'saddle', 'salmon', 'sandy', 'seashell', 'sienna', 'sky', 'slate', 'smoke',
                    'snow', 'spring', 'steel', 'tan', 'thistle', 'tomato', 'turquoise',
                    'violet', 'wheat', 'white', 'yellow']) WITH ORDINALITY AS w(c, w)) s
         WHERE i <= 5),
       'Manufacturer#' || m,
       'Brand#' || m || tpch_rand(p, 202, 1, 5),
       tpch_pick(ARRAY['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'], p, 203) || ' ' ||
         tpch_pick(ARRAY['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'], p, 204) || ' ' ||
         tpch_pick(ARRAY['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'], p, 205),
       tpch_rand(p, 206, 1, 50),
       tpch_pick(ARRAY['SM', 'LG', 'MED', 'JUMBO', 'WRAP'], p, 207) || ' ' ||
         tpch_pick(ARRAY['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'], p, 208),
       tpch_retailprice(p),
       left(tpch_text(p, 209, 3), 23)
  FROM generate_series(1, (200000 * :sf)::bigint) p, tpch_rand(p, 201, 1, 5) m;

-- About one supplier in 200 has "Customer ... Complaints" in its comment (Q16).
INSERT INTO supplier
SELECT s, 'Supplier#' || lpad(s::text, 9, '0'), tpch_vstring(s, 501, 10, 40), nk,
       tpch_phone(s, 502, nk), tpch_rand(s, 505, -99999, 999999) / 100.0,
       CASE WHEN tpch_rand(s, 506, 0, 199) = 0
            THEN tpch_text(s, 507, 2) || ' Customer ' || tpch_text(s, 508, 1) || ' Complaints'
            ELSE left(tpch_text(s, 507, tpch_rand(s, 509, 4, 10)::int), 101) END
  FROM generate_series(1, (10000 * :sf)::bigint) s, tpch_rand(s, 500, 0, 24) nk;

INSERT INTO partsupp
SELECT p, tpch_partsupp(p, i, (10000 * :sf)::bigint), tpch_rand(p * 4 + i, 601, 1, 9999),
       tpch_rand(p * 4 + i, 602, 100, 100000) / 100.0, left(tpch_text(p * 4 + i, 603, tpch_rand(p * 4 + i, 604, 5, 15)::int), 199)
  FROM generate_series(1, (200000 * :sf)::bigint) p, generate_series(0, 3) i;

INSERT INTO customer
SELECT c, 'Customer#' || lpad(c::text, 9, '0'), tpch_vstring(c, 701, 10, 40), nk,
       tpch_phone(c, 702, nk), tpch_rand(c, 705, -99999, 999999) / 100.0,
       tpch_pick(ARRAY['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'], c, 706),
       left(tpch_text(c, 707, tpch_rand(c, 708, 4, 12)::int), 117)
  FROM generate_series(1, (150000 * :sf)::bigint) c, tpch_rand(c, 700, 0, 24) nk;

SELECT tpch_insert_orders(:sf, array_agg(tpch_order_key(i)))
  FROM generate_series(0, (1500000 * :sf)::bigint - 1) i;

ANALYZE region, nation, part, supplier, partsupp, customer, orders, lineitem;
