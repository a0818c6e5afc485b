-- TPC-H Q18, large volume customer (QUANTITY = 300)
-- Deviation: o_orderkey ends the ORDER BY, so that ties in price and date
-- cannot make the 100 rows kept depend on the sort's whims.
select
	c_name,
	c_custkey,
	o_orderkey,
	o_orderdate,
	o_totalprice,
	sum(l_quantity)
from
	customer,
	orders,
	lineitem
where
	o_orderkey in (
		select
			l_orderkey
		from
			lineitem
		group by
			l_orderkey having
				sum(l_quantity) > 300
	)
	and c_custkey = o_custkey
	and o_orderkey = l_orderkey
group by
	c_name,
	c_custkey,
	o_orderkey,
	o_orderdate,
	o_totalprice
order by
	o_totalprice desc,
	o_orderdate,
	o_orderkey
limit 100
