/*
 * scalar.c
 *	  A scalar subquery that is not itself an aggregate is planned as
 *	  pathway.single_value(x) (the first row's value, NULL over no row) next
 *	  to count(*); the expression that reads it calls
 *	  pathway._several_rows(v) where the count is above one, which raises
 *	  PostgreSQL's own error for a subquery that returns several rows.  So a
 *	  live view fails exactly when a row of the query would evaluate such a
 *	  subquery, not when some other key has duplicates.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(pathway_single_value_step);
PG_FUNCTION_INFO_V1(pathway_single_value_final);
PG_FUNCTION_INFO_V1(pathway_several_rows);

typedef struct SingleValue
{
	int64		rows;
	bool		isnull;
	Datum		value;			/* the first row's, in the aggregate's context */
} SingleValue;

/* Every row counts, NULL or not: the transition is not strict. */
Datum
pathway_single_value_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	SingleValue *s;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("pathway.single_value is an aggregate")));
	s = PG_ARGISNULL(0) ? NULL : (SingleValue *) PG_GETARG_POINTER(0);
	if (s == NULL)
	{
		s = MemoryContextAllocZero(aggcxt, sizeof(SingleValue));
		s->isnull = true;
	}
	if (++s->rows == 1 && !PG_ARGISNULL(1))
	{
		Oid			type = get_fn_expr_argtype(fcinfo->flinfo, 1);
		int16		typlen;
		bool		typbyval;
		MemoryContext old;

		get_typlenbyval(type, &typlen, &typbyval);
		old = MemoryContextSwitchTo(aggcxt);
		s->value = datumCopy(PG_GETARG_DATUM(1), typbyval, typlen);
		MemoryContextSwitchTo(old);
		s->isnull = false;
	}
	PG_RETURN_POINTER(s);
}

Datum
pathway_single_value_final(PG_FUNCTION_ARGS)
{
	SingleValue *s = PG_ARGISNULL(0) ? NULL : (SingleValue *) PG_GETARG_POINTER(0);

	if (s == NULL || s->isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(s->value);
}

/* Called for a scalar subquery that has several rows: PostgreSQL's error. */
Datum
pathway_several_rows(PG_FUNCTION_ARGS)
{
	ereport(ERROR,
			(errcode(ERRCODE_CARDINALITY_VIOLATION),
			 errmsg("more than one row returned by a subquery used as an expression")));
	PG_RETURN_NULL();			/* not reached */
}
