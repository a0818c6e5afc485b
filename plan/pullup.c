/*
 * pullup.c
 *	  What a query level's expressions hold that becomes FROM items before
 *	  the level is planned: set-returning functions in the select list (one
 *	  ROWS FROM of them, LATERAL) and scalar subqueries (one-row subqueries
 *	  cross-joined, correlated ones through decorrelate.c), also in a
 *	  grouped select list and HAVING.
 */
#include "postgres.h"

#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/tlist.h"
#include "parser/parse_oper.h"
#include "rewrite/rewriteManip.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "plan/internal.h"

/* ---------- a set-returning function in the select list ---------- */

typedef struct SrfCtx
{
	List	   *found;			/* the set-returning calls */
	bool		nested;			/* one inside another's arguments */
} SrfCtx;

static bool
find_srfs(Node *node, SrfCtx *ctx)
{
	if (node == NULL)
		return false;
	if ((IsA(node, FuncExpr) && ((FuncExpr *) node)->funcretset) ||
		(IsA(node, OpExpr) && ((OpExpr *) node)->opretset))
	{
		ctx->found = lappend(ctx->found, node);
		if (expression_returns_set((Node *) (IsA(node, FuncExpr) ? ((FuncExpr *) node)->args
											 : ((OpExpr *) node)->args)))
			ctx->nested = true;
		return false;
	}
	return expression_tree_walker(node, find_srfs, (void *) ctx);
}

/* arg: two lists, calls and what replaces each (found by pointer) */
static Node *
replace_srf_mutator(Node *node, void *arg)
{
	List	  **pair = arg;
	ListCell   *lc;

	foreach(lc, pair[0])
		if (node == lfirst(lc))
			return (Node *) list_nth(pair[1], foreach_current_index(lc));
	return expression_tree_mutator(node, replace_srf_mutator, arg);
}

/*
 * SELECT id, unnest(tags) FROM t: one set-returning call over the row's
 * columns is the same as the function in FROM, LATERAL, which is
 * maintained: each row expands to the function's rows (none: the row is
 * gone).  Several calls run in lockstep in PostgreSQL (not a cross
 * product): ROWS FROM of them all, which runs them so.  Calls after
 * aggregation, nested calls and composite results are refused.
 */
void
plan_pull_up_target_srf(PState *ps, Query *q)
{
	SrfCtx		ctx = {NIL, false};
	Node	   *call;
	RangeTblEntry *rte;
	RangeTblFunction *rtf;
	RangeTblRef *rtr;
	Var		   *var;
	List	   *pair[2];
	Oid			type;
	ListCell   *lc;

	if (!q->hasTargetSRFs)
		return;
	(void) find_srfs((Node *) q->targetList, &ctx);
	if (ctx.found == NIL || list_length(ctx.found) > ENGINE_FLATMAP_MAX_FUNCTIONS || ctx.nested ||
		q->hasAggs || q->groupClause || q->groupingSets || q->hasWindowFuncs || q->setOperations)
		return;					/* refused by plan_check_query */
	foreach(lc, ctx.found)
		if (type_is_rowtype(exprType(lfirst(lc))))
			return;
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_FUNCTION;
	rte->lateral = true;
	rte->inFromCl = true;
	rte->eref = makeAlias("srf", NIL);
	foreach(lc, ctx.found)
	{
		rtf = makeNode(RangeTblFunction);
		rtf->funcexpr = copyObject(lfirst(lc));
		rtf->funccolcount = 1;
		rte->functions = lappend(rte->functions, rtf);
		rte->eref->colnames = lappend(rte->eref->colnames, makeString(psprintf("srf%d", foreach_current_index(lc) + 1)));
	}
	q->rtable = lappend(q->rtable, rte);
	rtr = makeNode(RangeTblRef);
	rtr->rtindex = list_length(q->rtable);
	q->jointree->fromlist = lappend(q->jointree->fromlist, rtr);
	/* in lockstep, as PostgreSQL runs several in a select list: ROWS FROM */
	pair[0] = ctx.found;
	pair[1] = NIL;
	foreach(lc, ctx.found)
	{
		call = lfirst(lc);
		type = exprType(call);
		var = makeVar(rtr->rtindex, foreach_current_index(lc) + 1, type, exprTypmod(call),
					  exprCollation(call), 0);
		pair[1] = lappend(pair[1], var);
	}
	q->targetList = (List *) replace_srf_mutator((Node *) q->targetList, pair);
	q->hasTargetSRFs = false;
}

/*
 * q becomes a level over inner, its only FROM item (alias, colnames), with
 * quals as its WHERE: what a grouped or aggregated level computes first.
 */
static void
level_over(Query *q, Query *inner, const char *alias, List *colnames, Node *quals)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	RangeTblRef *rtr = makeNode(RangeTblRef);

	inner->commandType = CMD_SELECT;
	inner->querySource = QSRC_ORIGINAL;
	inner->canSetTag = true;
	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = inner;
	rte->eref = makeAlias(alias, colnames);
	rte->inFromCl = true;
	rtr->rtindex = 1;
	q->rtable = list_make1(rte);
	q->jointree = makeFromExpr(list_make1(rtr), quals);
	q->havingQual = NULL;
	q->hasAggs = false;
}

/* ---------- set-returning functions after aggregation ---------- */

typedef struct SrfSplitCtx
{
	List	   *inner;			/* the inner level's new columns (expressions) */
	int			base;			/* columns the inner level has before them */
} SrfSplitCtx;

/*
 * An expression of a select list that calls set-returning functions, for
 * the level above: each call kept, every part without one (its arguments,
 * what surrounds it) a column of the level below.
 */
static Node *
srf_split_mutator(Node *node, SrfSplitCtx *ctx)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, List))
	{
		List	   *out = NIL;
		ListCell   *lc;

		foreach(lc, (List *) node)
			out = lappend(out, srf_split_mutator(lfirst(lc), ctx));
		return (Node *) out;
	}
	if (!expression_returns_set(node))
	{
		if (IsA(node, Const))
			return copyObject(node);
		ctx->inner = lappend(ctx->inner, copyObject(node));
		return (Node *) makeVar(1, ctx->base + list_length(ctx->inner), exprType(node), exprTypmod(node),
								exprCollation(node), 0);
	}
	if (IsA(node, FuncExpr) && ((FuncExpr *) node)->funcretset)
	{
		FuncExpr   *f = copyObject((FuncExpr *) node);

		f->args = (List *) srf_split_mutator((Node *) f->args, ctx);
		return (Node *) f;
	}
	if (IsA(node, OpExpr) && ((OpExpr *) node)->opretset)
	{
		OpExpr	   *o = copyObject((OpExpr *) node);

		o->args = (List *) srf_split_mutator((Node *) o->args, ctx);
		return (Node *) o;
	}
	return expression_tree_mutator(node, srf_split_mutator, ctx);
}

/*
 * SELECT g, generate_series(1, count(*)) FROM t GROUP BY g: PostgreSQL
 * runs the functions over the aggregated (or windowed) rows.  The level
 * becomes SELECT x.g, generate_series(1, x.c) FROM (SELECT g, count(*) AS
 * c FROM t GROUP BY g) x, whose functions are pulled up as those of any
 * level; DISTINCT, ORDER BY and LIMIT stay above (they apply to the
 * expanded rows).  Taken when the level reads no level above it and has no
 * WITH or set operation, and no call is nested in another (refused as
 * before).
 */
void
plan_wrap_aggregate_srf(Query *q)
{
	SrfCtx		found = {NIL, false};
	SrfSplitCtx ctx = {NIL, 0};
	Query	   *inner;
	List	   *outer_tl = NIL;
	List	   *inner_tl = NIL;
	List	   *names = NIL;
	ListCell   *lc;

	if (!q->hasTargetSRFs || !(q->hasAggs || q->groupClause || q->groupingSets || q->hasWindowFuncs || q->havingQual) ||
		q->setOperations || q->cteList || q->hasRecursive || contain_vars_of_level((Node *) q, 1))
		return;
	(void) find_srfs((Node *) q->targetList, &found);
	if (found.found == NIL || found.nested)
		return;

	/* the inner level: the columns without calls first, as they were */
	foreach(lc, q->targetList)
	{
		TargetEntry *te = lfirst_node(TargetEntry, lc);

		if (expression_returns_set((Node *) te->expr))
			continue;
		inner_tl = lappend(inner_tl, flatCopyTargetEntry(te));
	}
	ctx.base = list_length(inner_tl);
	foreach(lc, q->targetList)
	{
		TargetEntry *te = lfirst_node(TargetEntry, lc);
		TargetEntry *out = flatCopyTargetEntry(te);

		if (expression_returns_set((Node *) te->expr))
			out->expr = (Expr *) srf_split_mutator((Node *) te->expr, &ctx);
		else
		{
			int			at = 0;
			ListCell   *li;

			foreach(li, inner_tl)
				if (((TargetEntry *) lfirst(li))->resno == te->resno)
					at = foreach_current_index(li) + 1;
			out->expr = (Expr *) makeVar(1, at, exprType((Node *) te->expr), exprTypmod((Node *) te->expr),
										 exprCollation((Node *) te->expr), 0);
		}
		outer_tl = lappend(outer_tl, out);
	}
	foreach(lc, ctx.inner)
		inner_tl = lappend(inner_tl, makeTargetEntry((Expr *) lfirst(lc), list_length(inner_tl) + 1,
													 psprintf("pathway_srf_arg%d", foreach_current_index(lc) + 1), false));
	foreach(lc, inner_tl)
	{
		TargetEntry *te = lfirst_node(TargetEntry, lc);

		te->resno = foreach_current_index(lc) + 1;
		te->resjunk = false;
		names = lappend(names, makeString(te->resname ? te->resname : psprintf("pathway_col%d", te->resno)));
	}

	inner = makeNode(Query);
	inner->rtable = q->rtable;
	inner->jointree = q->jointree;
	inner->targetList = inner_tl;
	inner->groupClause = q->groupClause;
	inner->groupingSets = q->groupingSets;
	inner->groupDistinct = q->groupDistinct;
	inner->havingQual = q->havingQual;
	inner->windowClause = q->windowClause;
	inner->hasAggs = q->hasAggs;
	inner->hasWindowFuncs = q->hasWindowFuncs;
	inner->hasSubLinks = q->hasSubLinks;

	level_over(q, inner, "pathway_grouped", names, NULL);
	q->targetList = outer_tl;
	q->groupClause = NIL;
	q->groupingSets = NIL;
	q->groupDistinct = false;
	q->windowClause = NIL;
	q->hasWindowFuncs = false;
	q->hasSubLinks = false;
}

typedef struct ScalarCtx
{
	PState	   *ps;
	Query	   *q;
	bool		in_targets;		/* mutating the select list (not WHERE) */
} ScalarCtx;

/*
 * An uncorrelated scalar subquery that is a global aggregate always yields
 * exactly one row: it becomes a one-row subquery in FROM, cross-joined, and
 * the expression reads its column.  Any other is made one first, over
 * pathway.single_value() (NULL for no row, PostgreSQL's error for several).
 */
static Node *
scalar_mutator(Node *node, ScalarCtx *ctx)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, SubLink) && ((SubLink *) node)->subLinkType == EXPR_SUBLINK)
	{
		SubLink    *sl = (SubLink *) node;
		Query	   *sub = (Query *) sl->subselect;
		TargetEntry *tle;
		RangeTblEntry *rte;
		RangeTblRef *rtr;
		Var		   *v;
		Query	   *agg;

		if (contain_vars_of_level((Node *) sub, 1))
		{
			if (!ctx->in_targets)
				plan_refuse(ctx->ps->name, "A correlated scalar subquery here",
					   "Rewrite it as a join with GROUP BY.");
			return plan_pull_up_correlated_scalar(ctx->ps, ctx->q, sl);
		}
		/* (SELECT name FROM dim WHERE id = 5): the value of its only row */
		agg = plan_scalar_as_aggregate(sub, false);
		if (agg)
			sub = agg;
		if (!sub->hasAggs || sub->groupClause || sub->groupingSets || sub->havingQual ||
			sub->setOperations || sub->limitCount || sub->limitOffset || sub->cteList)
			plan_refuse(ctx->ps->name, "A scalar subquery other than a global aggregate",
				   "A scalar subquery such as (SELECT max(x) FROM t) is maintained; others may yield no row or several.");
		tle = linitial_node(TargetEntry, sub->targetList);
		rte = makeNode(RangeTblEntry);
		rte->rtekind = RTE_SUBQUERY;
		rte->subquery = copyObject(sub);
		rte->eref = makeAlias("scalar", list_make1(makeString(tle->resname ? tle->resname : "?column?")));
		if (agg)
			rte->eref->colnames = lappend(rte->eref->colnames, makeString("n"));
		rte->inFromCl = true;
		ctx->q->rtable = lappend(ctx->q->rtable, rte);
		rtr = makeNode(RangeTblRef);
		rtr->rtindex = list_length(ctx->q->rtable);
		ctx->q->jointree->fromlist = lappend(ctx->q->jointree->fromlist, rtr);
		v = makeVar(rtr->rtindex, 1, exprType((Node *) tle->expr),
					exprTypmod((Node *) tle->expr), exprCollation((Node *) tle->expr), 0);
		if (agg)
			return (Node *) plan_scalar_checked((Expr *) v,
												(Expr *) makeVar(rtr->rtindex, 2, INT8OID, -1, InvalidOid, 0));
		return (Node *) v;
	}
	if (IsA(node, Query))
		return node;
	return expression_tree_mutator(node, scalar_mutator, (void *) ctx);
}

/*
 * A grouped level's select list and HAVING: a scalar subquery's value
 * (uncorrelated: one value for every row; correlated: through the group's
 * columns, which is all PostgreSQL lets it read) is the same for every row
 * of a group, so grouping by it too changes no group, and lets the
 * expressions around the aggregates read it.  Only what is read outside
 * an aggregate is grouped by: inside one, a subquery may read the row's
 * own columns.
 */
/*
 * The pulled-up subqueries' columns (varno > before) that the select list
 * and HAVING read outside the grouping expressions and outside aggregates:
 * those must be grouping keys (a scalar correlated with grouped columns has
 * one value per group, so grouping by it changes no group).  A column read
 * only inside a grouping expression (GROUP BY (SELECT ...) % 2, a LATERAL
 * aggregate's column in GROUP BY) must not be one: rows whose expression
 * agrees would be split by the column's own value.
 */
typedef struct UngroupedCtx
{
	List	   *grouped;		/* the grouping expressions */
	List	   *vars;			/* found, distinct */
	int			before;
} UngroupedCtx;

static bool
ungrouped_vars(Node *node, UngroupedCtx *c)
{
	ListCell   *lc;

	if (node == NULL)
		return false;
	if (IsA(node, Aggref) || IsA(node, GroupingFunc) || IsA(node, WindowFunc))
		return false;
	foreach(lc, c->grouped)
		if (equal(node, lfirst(lc)))
			return false;
	if (IsA(node, Var))
	{
		Var		   *v = (Var *) node;

		if (v->varlevelsup == 0 && v->varno > c->before && !list_member(c->vars, v))
			c->vars = lappend(c->vars, v);
		return false;
	}
	return expression_tree_walker(node, ungrouped_vars, c);
}

static void
pull_up_grouped_scalars(Query *q, ScalarCtx *ctx)
{
	int			before = list_length(q->rtable);
	List	   *vars;
	ListCell   *lc;
	Index		ref = 0;

	q->targetList = (List *) scalar_mutator((Node *) q->targetList, ctx);
	q->havingQual = scalar_mutator(q->havingQual, ctx);
	if (list_length(q->rtable) == before)
		return;
	/*
	 * A global aggregate (no GROUP BY) has one row even over no input: a
	 * subquery's value outside its aggregates would be read from a row
	 * that may not be there, so only inside an aggregate is one taken.
	 */
	if (q->groupClause == NIL)
	{
		List	   *outside = pull_var_clause((Node *) list_make2(q->targetList, q->havingQual),
											  PVC_INCLUDE_AGGREGATES | PVC_INCLUDE_WINDOWFUNCS |
											  PVC_INCLUDE_PLACEHOLDERS);

		foreach(lc, outside)
			if (IsA(lfirst(lc), Var) && ((Var *) lfirst(lc))->varlevelsup == 0 &&
				((Var *) lfirst(lc))->varno > before)
				plan_refuse(ctx->ps->name, "A scalar subquery outside the aggregates of a query without GROUP BY",
							"Compute the aggregate in a subquery in FROM and combine it with the scalar subquery there.");
		return;
	}
	foreach(lc, q->targetList)
		ref = Max(ref, lfirst_node(TargetEntry, lc)->ressortgroupref);
	{
		UngroupedCtx uc = {NIL, NIL, before};

		foreach(lc, q->groupClause)
			uc.grouped = lappend(uc.grouped, get_sortgroupclause_tle(lfirst(lc), q->targetList)->expr);
		(void) ungrouped_vars((Node *) q->targetList, &uc);
		(void) ungrouped_vars(q->havingQual, &uc);
		vars = uc.vars;
	}
	foreach(lc, vars)
	{
		Var		   *v = lfirst(lc);
		TargetEntry *te;
		SortGroupClause *g;
		bool		hashable;

		te = makeTargetEntry((Expr *) copyObject(v), list_length(q->targetList) + 1, NULL, true);
		te->ressortgroupref = ++ref;
		g = makeNode(SortGroupClause);
		g->tleSortGroupRef = ref;
		get_sort_group_operators(v->vartype, false, false, false, &g->sortop, &g->eqop, NULL, &hashable);
		if (!OidIsValid(g->eqop))
			plan_refuse(ctx->ps->name, psprintf("A scalar subquery of type %s, which has no equality, in a grouped select list or HAVING",
												format_type_be(v->vartype)), NULL);
		g->hashable = hashable;
		q->targetList = lappend(q->targetList, te);
		q->groupClause = lappend(q->groupClause, g);
		/* (in every grouping set: one more item of the list whose product the sets are) */
		if (q->groupingSets)
			q->groupingSets = lappend(q->groupingSets,
									  makeGroupingSet(GROUPING_SET_SIMPLE, list_make1_int(ref), -1));
	}
}

void
plan_pull_up_scalars(PState *ps, Query *q)
{
	ScalarCtx	ctx;

	if (!q->hasSubLinks)
		return;
	ctx.ps = ps;
	ctx.q = q;
	/*
	 * WHERE: a conjunct that reads a correlated scalar subquery is applied
	 * after its LEFT JOIN (with the marks' conditions, plan_apply_marks).
	 */
	ctx.in_targets = true;
	{
		List	   *keep = NIL;
		ListCell   *lc;

		foreach(lc, q->jointree->quals ? make_ands_implicit((Expr *) q->jointree->quals) : NIL)
		{
			int			before = list_length(ps->correlated);
			Node	   *c = scalar_mutator(lfirst(lc), &ctx);

			if (list_length(ps->correlated) > before)
				ps->post_quals = lappend(ps->post_quals, c);
			else
				keep = lappend(keep, c);
		}
		q->jointree->quals = keep ? (Node *) make_ands_explicit(keep) : NULL;
	}
	ctx.in_targets = !q->hasWindowFuncs && !q->setOperations;
	if (!q->hasAggs && !q->groupClause)
		q->targetList = (List *) scalar_mutator((Node *) q->targetList, &ctx);
	else
	{
		int			correlated = list_length(ps->correlated);

		pull_up_grouped_scalars(q, &ctx);
		/*
		 * GROUPING SETS, ROLLUP, CUBE: a set that leaves a column out reads
		 * it as NULL, also in a subquery correlated with it, but the value
		 * pulled up is computed per input row: only uncorrelated subqueries
		 * (one value, in every set) are taken.
		 */
		if (q->groupingSets && list_length(ps->correlated) > correlated)
			plan_refuse(ps->name, "A correlated scalar subquery in a query with GROUPING SETS, ROLLUP or CUBE",
						"Compute the grouping in a subquery in FROM and read the scalar subquery outside it.");
	}
	q->hasSubLinks = checkExprHasSubLink((Node *) q->targetList) ||
		checkExprHasSubLink(q->jointree->quals) || checkExprHasSubLink(q->havingQual) ||
		checkExprHasSubLink((Node *) ps->post_quals);
}

/* Does node hold a SubLink outside every aggregate? */
static bool
sublink_outside_aggs(Node *node, void *unused)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
		return true;
	if (IsA(node, Aggref) || IsA(node, GroupingFunc) || IsA(node, WindowFunc))
		return false;
	return expression_tree_walker(node, sublink_outside_aggs, unused);
}

typedef struct AggsOutCtx
{
	List	   *aggs;			/* distinct Aggrefs, in order found */
	bool		bad;			/* a subquery reads this level */
} AggsOutCtx;

/* node with each Aggref read from column i of the inner query (range table entry 1) */
static Node *
aggs_out_mutator(Node *node, AggsOutCtx *c)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Aggref))
	{
		ListCell   *lc;
		int			i = 0;

		foreach(lc, c->aggs)
		{
			i++;
			if (equal(lfirst(lc), node))
				break;
		}
		if (lc == NULL)
		{
			c->aggs = lappend(c->aggs, copyObject(node));
			i = list_length(c->aggs);
		}
		return (Node *) makeVar(1, i, exprType(node), exprTypmod(node), exprCollation(node), 0);
	}
	if (IsA(node, SubLink))
	{
		/* the subquery's own text stays as it is (it reads no column of this level) */
		SubLink    *sl = (SubLink *) copyObject(node);

		if (contain_vars_of_level(sl->subselect, 1) || contain_aggs_of_level(sl->subselect, 1))
			c->bad = true;
		sl->testexpr = aggs_out_mutator(sl->testexpr, c);
		return (Node *) sl;
	}
	return expression_tree_mutator(node, aggs_out_mutator, c);
}

/*
 * A global aggregate (aggregates, no GROUP BY) whose select list or HAVING
 * holds a scalar subquery outside its aggregates, SELECT sum(v) -
 * (SELECT ...) FROM t: it has one row even over no input, so the query
 * becomes SELECT <expressions over a1..an> FROM (SELECT agg1 AS a1, ...
 * FROM t WHERE ...) WHERE <HAVING over a1..an>, whose subqueries are
 * pulled up as any other level's (the inner query always yields its one
 * row).  Taken when nothing in the query reads a level above it and the
 * subqueries read no column of this level (PostgreSQL allows none outside
 * aggregates here), with no window functions, WITH or set-returning
 * functions.
 */
void
plan_wrap_global_aggregate(Query *q)
{
	Query	   *inner;
	AggsOutCtx	c = {NIL, false};
	ListCell   *lc;
	List	   *tlist = NIL;
	List	   *colnames = NIL;
	Node	   *having;
	int			i = 0;

	if (!q->hasAggs || q->groupClause || q->groupingSets || !q->hasSubLinks ||
		q->hasWindowFuncs || q->hasTargetSRFs || q->cteList || q->setOperations ||
		q->hasRecursive)
		return;
	if (!sublink_outside_aggs((Node *) q->targetList, NULL) &&
		!sublink_outside_aggs(q->havingQual, NULL))
		return;
	/* nothing reads a level above, nor this level's columns from inside a subquery outside aggregates */
	if (contain_vars_of_level((Node *) q, 1))
		return;
	foreach(lc, q->targetList)
	{
		TargetEntry *te = lfirst(lc);
		List	   *vars = pull_var_clause((Node *) te->expr, PVC_INCLUDE_AGGREGATES |
										   PVC_INCLUDE_WINDOWFUNCS | PVC_INCLUDE_PLACEHOLDERS);

		ListCell   *lv;

		foreach(lv, vars)
			if (!IsA(lfirst(lv), Aggref))
				return;			/* a column outside aggregates: PostgreSQL refuses it anyway */
	}

	tlist = (List *) aggs_out_mutator((Node *) q->targetList, &c);
	having = aggs_out_mutator(q->havingQual, &c);
	if (c.aggs == NIL || c.bad)
		return;

	inner = makeNode(Query);
	inner->rtable = q->rtable;
	inner->jointree = q->jointree;
	inner->hasAggs = true;
	inner->hasSubLinks = checkExprHasSubLink(q->jointree->quals) ||
		checkExprHasSubLink((Node *) c.aggs);
	foreach(lc, c.aggs)
	{
		char	   *name = psprintf("pathway_agg%d", ++i);

		inner->targetList = lappend(inner->targetList,
									makeTargetEntry((Expr *) lfirst(lc), i, name, false));
		colnames = lappend(colnames, makeString(name));
	}
	level_over(q, inner, "pathway_aggregates", colnames, having);
	q->targetList = tlist;
	q->hasSubLinks = true;
}
