/*
 * batch.c
 *	  Calls a map gathers over its whole batch before evaluating its rows:
 *	  pathway.embed(input, model) in a select list.  The map then hands the
 *	  inputs of all its rows to engine_batch_hook at once (the engine worker
 *	  makes few requests for them), and each call, when evaluated, finds its
 *	  answer ready.  A call elsewhere (a filter, a join condition, an ORDER BY
 *	  of a LATERAL subquery) is made when evaluated, one by one: the same
 *	  answer, more requests; so is a call under CASE, COALESCE, AND/OR,
 *	  whose arguments not every row evaluates.
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

static bool
find_calls(Node *node, void *context)
{
	List	  **calls = (List **) ((void **) context)[0];
	Oid			embed = *(Oid *) ((void **) context)[1];

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
	if (IsA(node, FuncExpr) && ((FuncExpr *) node)->funcid == embed &&
		list_length(((FuncExpr *) node)->args) == 2)
	{
		*calls = lappend(*calls, node);
		return false;
	}
	return expression_tree_walker(node, find_calls, context);
}

/* pathway.embed(text, text), or InvalidOid when it is not there. */
static Oid
embed_function(void)
{
	Oid			args[2] = {TEXTOID, TEXTOID};

	return LookupFuncName(list_make2(makeString("pathway"), makeString("embed")), 2, args, true);
}

void
plan_batch_calls(Op *root)
{
	Op		   *ops[BATCH_MAX_OPS];
	Oid			embed = embed_function();
	int			n,
				i,
				j;

	if (!OidIsValid(embed))
		return;
	n = graph_operators(root, ops, BATCH_MAX_OPS);
	for (i = 0; i < n; i++)
	{
		Op		   *op = ops[i];
		List	   *calls = NIL;
		void	   *context[2] = {&calls, &embed};
		ListCell   *lc;

		if (op->kind != OP_MAP || op->exprs == NULL)
			continue;
		for (j = 0; j < op->nexprs; j++)
			(void) find_calls((Node *) op->exprs[j]->expr, context);
		if (calls == NIL)
			continue;
		op->nbatched = list_length(calls);
		op->batched_args = palloc0(sizeof(ExprState *) * 2 * op->nbatched);
		op->batched_state = palloc0(sizeof(void *) * op->nbatched);
		foreach(lc, calls)
		{
			FuncExpr   *f = lfirst(lc);
			int			k = foreach_current_index(lc);

			op->batched_args[2 * k] = ExecInitExpr(linitial(f->args), NULL);
			op->batched_args[2 * k + 1] = ExecInitExpr(lsecond(f->args), NULL);
		}
	}
}
