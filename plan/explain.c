/*
 * explain.c
 *	  A view's graph described for pathway.explain: one line per operator,
 *	  pre-order (an operator, then its inputs), each with the ordinal
 *	  pathway.stats numbers it by (graph_operators' order), its depth, its
 *	  kind and what it does.
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "engine/operator.h"
#include "plan/planner.h"

#define EXPLAIN_MAX_OPS 4096

static double
reltuples_of(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	double		n = -1;

	if (HeapTupleIsValid(tup))
	{
		n = ((Form_pg_class) GETSTRUCT(tup))->reltuples;
		ReleaseSysCache(tup);
	}
	return n;
}

/* What an operator does, in a few words. */
static char *
detail_of(Op *op)
{
	switch (op->kind)
	{
		case OP_SOURCE:
			if (!OidIsValid(op->relid))
				return pstrdup("constant rows");
			{
				double		n = reltuples_of(op->relid);
				char	   *rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(op->relid)),
															 get_rel_name(op->relid));

				return psprintf("%s%s, %d columns, %s", op->only ? "ONLY " : "", rel, op->nsrccols,
								n < 0 ? "never analyzed" : psprintf("about %.0f rows", n));
			}
		case OP_JOIN:
			if (op->keys->nkeys == 0)
				return pstrdup(op->semi || op->anti ? "against any row of the other input" : "every pair of rows");
			return psprintf("%s on %d key%s%s",
							op->semi ? "semi" : op->anti ? "anti" :
							op->pad_left && op->pad_right ? "full outer" : op->pad_left ? "left outer" : "inner",
							op->keys->nkeys, op->keys->nkeys == 1 ? "" : "s",
							op->keys->nulls_match ? ", NULL matching NULL" : "");
		case OP_REDUCE:
			if (op->distinct)
				return psprintf("per distinct row of %d columns", op->nkeys);
			return psprintf("%d aggregate%s %s", op->naggs, op->naggs == 1 ? "" : "s",
							op->global ? "over all rows" : psprintf("per group of %d key%s", op->nkeys,
																	op->nkeys == 1 ? "" : "s"));
		case OP_MAP:
			if (op->qual && op->exprs)
				return psprintf("a condition, then %d expression%s%s", op->nexprs, op->nexprs == 1 ? "" : "s",
								op->nbatched ? psprintf(" (%d calls gathered per batch)", op->nbatched) : "");
			if (op->exprs)
				return psprintf("%d expression%s%s", op->nexprs, op->nexprs == 1 ? "" : "s",
								op->nbatched ? psprintf(" (%d calls gathered per batch)", op->nbatched) : "");
			return pstrdup("a condition");
		case OP_FLATMAP:
			return psprintf("%d function%s in lockstep", op->nsrfs, op->nsrfs == 1 ? "" : "s");
		default:
			return pstrdup("");
	}
}

typedef struct ExplainWalk
{
	Op		  **ops;
	int			nops;
	bool	   *seen;
	List	   *lines;
} ExplainWalk;

static void
walk(ExplainWalk *w, Op *op, int depth)
{
	PlanExplainLine *l = palloc0(sizeof(PlanExplainLine));
	int			i;

	for (i = 0; i < w->nops; i++)
		if (w->ops[i] == op)
			l->ordinal = i + 1;
	l->depth = depth;
	l->kind = op_kind_name(op);
	l->shared = l->ordinal > 0 && w->seen[l->ordinal - 1];
	l->detail = l->shared ? "(shared: shown above)" : detail_of(op);
	w->lines = lappend(w->lines, l);
	if (l->ordinal > 0)
	{
		if (l->shared)
			return;
		w->seen[l->ordinal - 1] = true;
	}
	if (op->left)
		walk(w, op->left, depth + 1);
	if (op->right)
		walk(w, op->right, depth + 1);
}

List *
plan_explain(ViewPlan *plan, int *nops)
{
	ExplainWalk w;

	w.ops = palloc(sizeof(Op *) * EXPLAIN_MAX_OPS);
	w.nops = graph_operators(plan->root, w.ops, EXPLAIN_MAX_OPS);
	w.seen = palloc0(sizeof(bool) * Max(w.nops, 1));
	w.lines = NIL;
	walk(&w, plan->root, 0);
	*nops = w.nops;
	return w.lines;
}
