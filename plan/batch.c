/*
 * batch.c
 *	  Calls a map gathers over its whole batch before evaluating its rows:
 *	  pathway.embed(input, model), pathway.http_request(method, url, body,
 *	  headers) and pathway.http_get(url) in a select list, and in the first
 *	  conjunct of a filter (which every row evaluates; its calls are asked
 *	  for every row of the batch before the filter runs).  The map then
 *	  hands the arguments of all its rows to engine_batch_hook at once (the
 *	  engine worker makes few requests, or many at once, for them), and each
 *	  call, when evaluated, finds its answer ready.  A call elsewhere (a
 *	  later conjunct, a join condition, an ORDER BY of a LATERAL subquery)
 *	  is made when evaluated, one by one: the same answer, more requests; so
 *	  is a call under CASE, COALESCE, AND/OR, whose arguments not every row
 *	  evaluates.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_func.h"

#include "engine/operator.h"
#include "plan/internal.h"

#define BATCH_MAX_OPS 1024

typedef struct BatchFuncs
{
	Oid			oids[3];		/* by EngineCallKind */
	int			nargs[3];
	List	   *calls;			/* FuncExpr */
	List	   *kinds;			/* int, per call */
} BatchFuncs;

static bool
find_calls(Node *node, BatchFuncs *bf)
{
	int			k;

	if (node == NULL)
		return false;

	/*
	 * Not under an expression that evaluates a part only for some rows: the
	 * arguments of every row are evaluated ahead, and one that only a
	 * branch not taken would reach may fail (CASE WHEN x <> 0 THEN
	 * pathway.embed((1 / x)::text) END).  Such a call is made when reached.
	 */
	if (IsA(node, CaseExpr) || IsA(node, CoalesceExpr) || IsA(node, BoolExpr) ||
		IsA(node, SubPlan) || IsA(node, AlternativeSubPlan))
		return false;
	if (IsA(node, FuncExpr))
		for (k = 0; k < 3; k++)
			if (OidIsValid(bf->oids[k]) && ((FuncExpr *) node)->funcid == bf->oids[k] &&
				list_length(((FuncExpr *) node)->args) == bf->nargs[k])
			{
				bf->calls = lappend(bf->calls, node);
				bf->kinds = lappend_int(bf->kinds, k);
				return false;
			}
	return expression_tree_walker(node, find_calls, bf);
}

/* pathway.name(args), or InvalidOid when it is not there. */
static Oid
pathway_function(const char *name, int nargs, Oid *args)
{
	return LookupFuncName(list_make2(makeString("pathway"), makeString((char *) name)), nargs, args, true);
}

void
plan_batch_functions(Oid *embed, Oid *http_request, Oid *http_get)
{
	Oid			e[2] = {TEXTOID, TEXTOID};
	Oid			r[4] = {TEXTOID, TEXTOID, JSONBOID, JSONBOID};
	Oid			g[1] = {TEXTOID};

	*embed = pathway_function("embed", 2, e);
	*http_request = pathway_function("http_request", 4, r);
	*http_get = pathway_function("http_get", 1, g);
}

void
plan_batch_calls(Op *root)
{
	Op		   *ops[BATCH_MAX_OPS];
	BatchFuncs	bf;
	int			n,
				i,
				j;

	StaticAssertStmt(ENGINE_CALL_EMBED == 0 && ENGINE_CALL_HTTP_REQUEST == 1 &&
					 ENGINE_CALL_HTTP_GET == 2, "call kinds index BatchFuncs");
	plan_batch_functions(&bf.oids[0], &bf.oids[1], &bf.oids[2]);
	bf.nargs[0] = 2;
	bf.nargs[1] = 4;
	bf.nargs[2] = 1;
	if (!OidIsValid(bf.oids[0]) && !OidIsValid(bf.oids[1]) && !OidIsValid(bf.oids[2]))
		return;
	n = graph_operators(root, ops, BATCH_MAX_OPS);
	for (i = 0; i < n; i++)
	{
		Op		   *op = ops[i];
		ListCell   *lc;

		if (op->kind != OP_MAP || (op->exprs == NULL && op->qual == NULL))
			continue;
		bf.calls = NIL;
		bf.kinds = NIL;
		/* the filter's first conjunct: evaluated for every row (the others only for some) */
		if (op->qual && IsA(op->qual->expr, List) && list_length((List *) op->qual->expr) > 0)
			(void) find_calls(linitial((List *) op->qual->expr), &bf);
		op->nbatched_qual = list_length(bf.calls);
		for (j = 0; op->exprs && j < op->nexprs; j++)
			(void) find_calls((Node *) op->exprs[j]->expr, &bf);
		if (bf.calls == NIL)
			continue;
		op->nbatched = list_length(bf.calls);
		op->batched_kind = palloc0(sizeof(int) * op->nbatched);
		op->batched_args = palloc0(sizeof(ExprState *) * ENGINE_CALL_MAX_ARGS * op->nbatched);
		op->batched_state = palloc0(sizeof(void *) * op->nbatched);
		foreach(lc, bf.calls)
		{
			FuncExpr   *f = lfirst(lc);
			int			k = foreach_current_index(lc);
			ListCell   *la;

			op->batched_kind[k] = list_nth_int(bf.kinds, k);
			foreach(la, f->args)
				op->batched_args[k * ENGINE_CALL_MAX_ARGS + foreach_current_index(la)] =
					ExecInitExpr(lfirst(la), NULL);
		}
	}
}

bool
plan_calls_http(ViewPlan *plan)
{
	Oid			embed,
				request,
				get;
	ListCell   *lc;

	plan_batch_functions(&embed, &request, &get);
	foreach(lc, plan->funcids)
		if (lfirst_oid(lc) == request || lfirst_oid(lc) == get)
			return true;
	return false;
}
