/*
 * decorrelate_magic.c
 *	  Correlated subqueries whose correlation is not (only) equalities:
 *	  (SELECT count(*) FROM s WHERE s.b < t.b), [NOT] EXISTS (... WHERE
 *	  s.k = t.k AND s.x <> t.x), decorrelated through the distinct values
 *	  the outer query brings (a "magic set").
 *
 * For an outer level q and its subquery sub, whose correlated conditions
 * read the outer columns o1..on:
 *
 *   M = SELECT DISTINCT o1..on FROM <q's FROM> WHERE <q's conditions
 *       without subqueries>                        (a superset of what q keeps)
 *   sub' = sub with M added to its FROM and every oi in its conditions
 *          read from M
 *
 * sub' is then grouped by M's columns as an equality-correlated scalar
 * subquery is by its keys (decorrelate.c), and joined back to q on
 * o1..on, NULLs matching NULLs (a NULL outer value is a value of M like
 * any other).  An outer value with no partner has no group, and gets the
 * aggregate of no rows, as before.  The equalities among the conditions
 * are join keys of M with s (join.c finds them), the rest a filter on the
 * pairs: a change costs the pairs it touches.
 *
 * An [NOT] EXISTS whose correlation is not only equalities becomes
 * (SELECT count(*) FROM ...) > 0 (= 0), which is never NULL, as EXISTS.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_oper.h"
#include "rewrite/rewriteManip.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

#include "plan/internal.h"

/* Is c an equality inner = outer, as plan_split_correlation takes it? */
static bool
is_key_equality(Node *c)
{
	OpExpr	   *op = (OpExpr *) c;
	Node	   *a,
			   *b,
			   *outer = NULL,
			   *in = NULL;

	if (!IsA(c, OpExpr) || list_length(op->args) != 2)
		return false;
	a = linitial(op->args);
	b = lsecond(op->args);
	if (plan_only_outer_vars(a) && !contain_vars_of_level(b, 1))
		outer = a, in = b;
	else if (plan_only_outer_vars(b) && !contain_vars_of_level(a, 1))
		outer = b, in = a;
	if (outer == NULL)
		return false;
	{
		OpExpr		copy = *op;

		return OidIsValid(plan_same_type_equality(&copy, &outer, &in));
	}
}

bool
plan_correlation_needs_magic(Query *sub)
{
	ListCell   *lc;

	foreach(lc, sub->jointree->quals ? make_ands_implicit((Expr *) sub->jointree->quals) : NIL)
		if (contain_vars_of_level(lfirst(lc), 1) && !is_key_equality(lfirst(lc)))
			return true;
	return false;
}

typedef struct OuterVarsCtx
{
	List	   *vars;			/* distinct Vars of level 1, as found (level 1) */
	int			sublevels;
} OuterVarsCtx;

static bool
collect_outer_vars(Node *node, OuterVarsCtx *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var) && ((Var *) node)->varlevelsup == ctx->sublevels + 1)
	{
		Var		   *v = (Var *) node;
		ListCell   *lc;

		foreach(lc, ctx->vars)
		{
			Var		   *w = lfirst(lc);

			if (w->varno == v->varno && w->varattno == v->varattno)
				return false;
		}
		v = copyObject(v);
		v->varlevelsup = 1;
		v->location = -1;
		ctx->vars = lappend(ctx->vars, v);
		return false;
	}
	if (IsA(node, Query))
	{
		bool		r;

		ctx->sublevels++;
		r = query_tree_walker((Query *) node, collect_outer_vars, ctx, 0);
		ctx->sublevels--;
		return r;
	}
	return expression_tree_walker(node, collect_outer_vars, ctx);
}

typedef struct ToMagicCtx
{
	List	   *vars;			/* the outer Vars, M's columns in order */
	int			mrti;			/* M in sub's range table */
	int			sublevels;
} ToMagicCtx;

/* The outer Vars of sub's conditions read from M (its column j+1). */
static Node *
to_magic_mutator(Node *node, ToMagicCtx *ctx)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var) && ((Var *) node)->varlevelsup == ctx->sublevels + 1)
	{
		Var		   *v = (Var *) node;
		ListCell   *lc;

		foreach(lc, ctx->vars)
		{
			Var		   *w = lfirst(lc);

			if (w->varno == v->varno && w->varattno == v->varattno)
				return (Node *) makeVar(ctx->mrti, foreach_current_index(lc) + 1, v->vartype,
										v->vartypmod, v->varcollid, ctx->sublevels);
		}
		elog(ERROR, "pathway: an outer reference missing from the magic set");
	}
	if (IsA(node, Query))
	{
		Query	   *r;

		ctx->sublevels++;
		r = query_tree_mutator((Query *) node, to_magic_mutator, ctx, 0);
		ctx->sublevels--;
		return (Node *) r;
	}
	return expression_tree_mutator(node, to_magic_mutator, ctx);
}

/*
 * M: the distinct values of the outer columns over q's FROM, kept by the
 * conditions of q's WHERE that hold no subquery (those are the only ones
 * q can drop rows by before its subqueries are joined: the superset is
 * harmless, each value of M only a group).  It sits two levels below q
 * (in sub, in q's range table): references above q move down with it.
 */
static Query *
magic_set(PState *ps, Query *q, List *vars)
{
	Query	   *m = makeNode(Query);
	List	   *keep = NIL;
	ListCell   *lc;
	Index		ref = 0;

	m->commandType = CMD_SELECT;
	m->canSetTag = true;
	m->rtable = copyObject(q->rtable);
	foreach(lc, m->rtable)
		if (lfirst_node(RangeTblEntry, lc)->rtekind == RTE_CTE)
			plan_refuse(ps->name, "A subquery correlated other than by equalities in a query that reads a WITH query it could not inline", NULL);
	m->jointree = copyObject(q->jointree);
	foreach(lc, m->jointree->quals ? make_ands_implicit((Expr *) m->jointree->quals) : NIL)
		if (!checkExprHasSubLink(lfirst(lc)))
			keep = lappend(keep, lfirst(lc));
	m->jointree->quals = keep ? (Node *) make_ands_explicit(keep) : NULL;
	if (checkExprHasSubLink((Node *) m->jointree))
		plan_refuse(ps->name, "A subquery correlated other than by equalities in a query with a subquery in a JOIN condition", NULL);
	foreach(lc, vars)
	{
		Var		   *v = copyObject(lfirst(lc));
		TargetEntry *te;
		SortGroupClause *g = makeNode(SortGroupClause);
		bool		hashable;
		Oid			eqop;

		v->varlevelsup = 0;
		te = makeTargetEntry((Expr *) v, list_length(m->targetList) + 1,
							 psprintf("o%d", list_length(m->targetList) + 1), false);
		te->ressortgroupref = ++ref;
		get_sort_group_operators(v->vartype, false, false, false, &g->sortop, &eqop, NULL, &hashable);
		if (!OidIsValid(eqop) || !hashable)
			plan_refuse(ps->name, psprintf("A subquery correlated other than by equalities on a column of type %s, which has no hashable equality",
										   format_type_be(v->vartype)),
						"Correlate it on columns of types with an equality operator.");
		g->eqop = eqop;
		g->hashable = hashable;
		g->tleSortGroupRef = ref;
		m->targetList = lappend(m->targetList, te);
		m->distinctClause = lappend(m->distinctClause, g);
	}
	m->hasSubLinks = false;
	IncrementVarSublevelsUp((Node *) m, 2, 1);
	return m;
}

List *
plan_magic_correlation(PState *ps, Query *q, Query *sub, List **outers, List **eqops)
{
	OuterVarsCtx oc = {NIL, 0};
	ToMagicCtx	tc;
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	RangeTblRef *rtr = makeNode(RangeTblRef);
	List	   *inners = NIL,
			   *names = NIL;
	ListCell   *lc;

	(void) collect_outer_vars(sub->jointree->quals, &oc);
	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = magic_set(ps, q, oc.vars);
	foreach(lc, rte->subquery->targetList)
		names = lappend(names, makeString(lfirst_node(TargetEntry, lc)->resname));
	rte->eref = makeAlias("magic", names);
	rte->inFromCl = true;
	sub->rtable = lappend(sub->rtable, rte);
	rtr->rtindex = list_length(sub->rtable);
	sub->jointree->fromlist = lappend(sub->jointree->fromlist, rtr);
	tc.vars = oc.vars;
	tc.mrti = rtr->rtindex;
	tc.sublevels = 0;
	sub->jointree->quals = to_magic_mutator(sub->jointree->quals, &tc);

	*outers = *eqops = NIL;
	foreach(lc, oc.vars)
	{
		Var		   *v = copyObject(lfirst(lc));
		Oid			eqop;

		v->varlevelsup = 0;
		get_sort_group_operators(v->vartype, false, true, false, NULL, &eqop, NULL, NULL);
		*outers = lappend(*outers, v);
		*eqops = lappend_oid(*eqops, eqop);
		inners = lappend(inners, makeVar(tc.mrti, foreach_current_index(lc) + 1, v->vartype,
										 v->vartypmod, v->varcollid, 0));
	}
	return inners;
}

/* ---------- [NOT] EXISTS correlated other than by equalities ---------- */

typedef struct ExistsCtx
{
	int			sublevels;
} ExistsCtx;

/* (SELECT count(*) FROM <sub's FROM> WHERE <sub's WHERE>) op 0 */
static Node *
exists_as_count(SubLink *sl, bool positive)
{
	Query	   *sub = copyObject((Query *) sl->subselect);
	Aggref	   *cnt = makeNode(Aggref);
	SubLink    *expr = makeNode(SubLink);
	Const	   *zero = makeConst(INT8OID, -1, InvalidOid, 8, Int64GetDatum(0), false, FLOAT8PASSBYVAL);
	Oid			op;

	cnt->aggfnoid = F_COUNT_;
	cnt->aggtype = INT8OID;
	cnt->aggstar = true;
	cnt->aggkind = AGGKIND_NORMAL;
	cnt->aggsplit = AGGSPLIT_SIMPLE;
	cnt->aggtranstype = InvalidOid;
	cnt->location = -1;
	sub->targetList = list_make1(makeTargetEntry((Expr *) cnt, 1, "count", false));
	sub->hasAggs = true;
	sub->sortClause = NIL;
	sub->distinctClause = NIL;
	sub->hasDistinctOn = false;
	sub->limitCount = NULL;
	sub->limitOffset = NULL;
	expr->subLinkType = EXPR_SUBLINK;
	expr->subLinkId = 0;
	expr->subselect = (Node *) sub;
	expr->location = -1;
	op = OpernameGetOprid(list_make2(makeString("pg_catalog"), makeString(positive ? ">" : "=")),
									  INT8OID, INT8OID);

	if (!OidIsValid(op))
		elog(ERROR, "pathway: no int8 comparison operator");
	return (Node *) make_opclause(op, BOOLOID, false, (Expr *) expr, (Expr *) zero, InvalidOid, InvalidOid);
}

/* An EXISTS that a semi-join cannot take: correlated other than by equalities. */
static bool
residual_exists(Node *node)
{
	SubLink    *sl = (SubLink *) node;
	Query	   *sub;

	if (!IsA(node, SubLink) || sl->subLinkType != EXISTS_SUBLINK)
		return false;
	sub = (Query *) sl->subselect;
	return !sub->hasAggs && !sub->groupClause && !sub->havingQual && !sub->setOperations &&
		!sub->limitCount && !sub->limitOffset && !sub->hasWindowFuncs && !sub->hasTargetSRFs &&
		!sub->groupingSets && plan_correlation_needs_magic(sub);
}

static Node *
exists_mutator(Node *node, ExistsCtx *ctx)
{
	if (node == NULL)
		return NULL;
	if (is_notclause(node) && residual_exists((Node *) get_notclausearg((Expr *) node)))
		return exists_as_count((SubLink *) get_notclausearg((Expr *) node), false);
	if (residual_exists(node))
		return exists_as_count((SubLink *) node, true);
	if (IsA(node, SubLink))
		return node;			/* the subquery's own subqueries are its level's */
	return expression_tree_mutator(node, exists_mutator, ctx);
}

void
plan_rewrite_residual_exists(Query *q)
{
	ExistsCtx	ctx = {0};

	if (!q->hasSubLinks)
		return;
	q->jointree->quals = exists_mutator(q->jointree->quals, &ctx);
	q->targetList = (List *) exists_mutator((Node *) q->targetList, &ctx);
	q->havingQual = exists_mutator(q->havingQual, &ctx);
}
