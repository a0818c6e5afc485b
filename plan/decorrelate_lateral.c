/*
 * decorrelate_lateral.c
 *	  LATERAL subqueries in FROM correlated through equalities: their
 *	  correlated conditions become join conditions (the subquery is then an
 *	  ordinary one), or, with ORDER BY ... LIMIT, the top-k per outer row of
 *	  lateral.c.  Split off decorrelate.c, whose correlation rule they use.
 */
#include "postgres.h"

#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_oper.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "utils/lsyscache.h"

#include "plan/internal.h"

/* ---------- LATERAL subqueries correlated through equalities ---------- */

/* The join expression (or the top FromExpr) whose direct child is rti; NULL if none. */
static Node *
parent_of(Node *jt, int rti)
{
	ListCell   *lc;

	if (jt == NULL)
		return NULL;
	if (IsA(jt, FromExpr))
	{
		foreach(lc, ((FromExpr *) jt)->fromlist)
		{
			Node	   *n = lfirst(lc);
			Node	   *p;

			if (IsA(n, RangeTblRef) && ((RangeTblRef *) n)->rtindex == rti)
				return jt;
			if ((p = parent_of(n, rti)) != NULL)
				return p;
		}
	}
	else if (IsA(jt, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jt;
		Node	   *p;

		if ((IsA(j->larg, RangeTblRef) && ((RangeTblRef *) j->larg)->rtindex == rti) ||
			(IsA(j->rarg, RangeTblRef) && ((RangeTblRef *) j->rarg)->rtindex == rti))
			return jt;
		if ((p = parent_of(j->larg, rti)) != NULL)
			return p;
		return parent_of(j->rarg, rti);
	}
	return NULL;
}

/* Where a LATERAL subquery may be: in a comma list, or the right side of a [LEFT] JOIN. */
static Node *
lateral_parent(PState *ps, Query *q, int rti)
{
	Node	   *parent = parent_of((Node *) q->jointree, rti);

	if (parent == NULL ||
		(IsA(parent, JoinExpr) &&
		 ((((JoinExpr *) parent)->jointype != JOIN_INNER && ((JoinExpr *) parent)->jointype != JOIN_LEFT) ||
		  !IsA(((JoinExpr *) parent)->rarg, RangeTblRef) ||
		  ((RangeTblRef *) ((JoinExpr *) parent)->rarg)->rtindex != rti)))
		plan_refuse(ps->name, "A LATERAL subquery in this place of FROM", "Use it in a comma list or as the right side of a [LEFT] JOIN.");
	return parent;
}

/* ---------- LATERAL global aggregates: one correlated scalar per column ---------- */

typedef struct ScalarColsCtx
{
	PState	   *ps;
	int			rti;
	Query	   *sub;
	int			sublevels;
	Node	   *guard;			/* LEFT JOIN LATERAL ... ON guard: a column is NULL where it is not true */
} ScalarColsCtx;

/* x.col (the LATERAL subquery's column) as (SELECT <its expression> FROM ...). */
static Node *
scalar_cols_mutator(Node *node, ScalarColsCtx *ctx)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var) && ((Var *) node)->varno == ctx->rti &&
		((Var *) node)->varlevelsup == ctx->sublevels)
	{
		Var		   *v = (Var *) node;
		Query	   *one = copyObject(ctx->sub);
		TargetEntry *te;
		SubLink    *sl = makeNode(SubLink);

		if (v->varattno <= 0)
			plan_refuse(ctx->ps->name, "A whole-row reference to a LATERAL global aggregate", "List its columns.");
		if (ctx->sublevels > 0)
			plan_refuse(ctx->ps->name, "A LATERAL global aggregate's column read inside a subquery",
						"Read it in the select list, WHERE or HAVING of the query around the LATERAL subquery.");
		te = copyObject(list_nth_node(TargetEntry, one->targetList, v->varattno - 1));
		te->resno = 1;
		te->resjunk = false;
		te->ressortgroupref = 0;
		one->targetList = list_make1(te);
		one->sortClause = NIL;
		if (ctx->sublevels > 0)
			IncrementVarSublevelsUp((Node *) one, ctx->sublevels, 1);
		sl->subLinkType = EXPR_SUBLINK;
		sl->subselect = (Node *) one;
		sl->location = -1;
		if (ctx->guard)
		{
			/* the row padded with NULLs where the ON condition is not true */
			CaseExpr   *c = makeNode(CaseExpr);
			CaseWhen   *w = makeNode(CaseWhen);
			Expr	   *e = te->expr;

			w->expr = (Expr *) copyObject(ctx->guard);
			w->result = (Expr *) sl;
			w->location = -1;
			c->casetype = exprType((Node *) e);
			c->casecollid = exprCollation((Node *) e);
			c->args = list_make1(w);
			c->defresult = (Expr *) makeNullConst(exprType((Node *) e), exprTypmod((Node *) e),
												  exprCollation((Node *) e));
			c->location = -1;
			return (Node *) c;
		}
		return (Node *) sl;
	}
	if (IsA(node, Query))
	{
		Query	   *r;

		ctx->sublevels++;
		r = query_tree_mutator((Query *) node, scalar_cols_mutator, ctx, 0);
		ctx->sublevels--;
		return (Node *) r;
	}
	return expression_tree_mutator(node, scalar_cols_mutator, ctx);
}

/* Is target reached from jt through FROM lists and inner joins only? */
static bool
inner_path(Node *jt, Node *target)
{
	ListCell   *lc;

	if (jt == target)
		return true;
	if (IsA(jt, FromExpr))
	{
		foreach(lc, ((FromExpr *) jt)->fromlist)
			if (inner_path(lfirst(lc), target))
				return true;
	}
	else if (IsA(jt, JoinExpr) && ((JoinExpr *) jt)->jointype == JOIN_INNER)
		return inner_path(((JoinExpr *) jt)->larg, target) || inner_path(((JoinExpr *) jt)->rarg, target);
	return false;
}

/* Take rti out of the jointree (its parent is a FromExpr or a JoinExpr with it on the right). */
static Node *
drop_from_jointree(Node *jt, int rti)
{
	if (IsA(jt, FromExpr))
	{
		FromExpr   *f = (FromExpr *) jt;
		List	   *keep = NIL;
		ListCell   *lc;

		foreach(lc, f->fromlist)
		{
			Node	   *n = lfirst(lc);

			if (IsA(n, RangeTblRef) && ((RangeTblRef *) n)->rtindex == rti)
				continue;
			keep = lappend(keep, drop_from_jointree(n, rti));
		}
		f->fromlist = keep;
		return jt;
	}
	if (IsA(jt, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jt;

		if (IsA(j->rarg, RangeTblRef) && ((RangeTblRef *) j->rarg)->rtindex == rti)
			return j->larg;
		j->larg = drop_from_jointree(j->larg, rti);
		j->rarg = drop_from_jointree(j->rarg, rti);
	}
	return jt;
}

/*
 * FROM t, LATERAL (SELECT count(*) AS n, max(s.v) AS m FROM s WHERE ...) x:
 * a global aggregate yields exactly one row for every outer row, so x.n
 * is (SELECT count(*) FROM s WHERE ...), a correlated scalar subquery
 * (decorrelate.c, through a magic set when the correlation is not only
 * equalities), and x leaves FROM.  In [LEFT] JOIN LATERAL (...) ON true
 * the same; an inner join's ON condition filters as WHERE does; a LEFT
 * join's pads the row with NULLs where it is not true, so there x.n is
 * CASE WHEN cond THEN (SELECT count(*) ...) END (cond with x's columns as
 * scalars too).
 */
static void
lateral_aggregate_as_scalars(PState *ps, Query *q, int rti)
{
	RangeTblEntry *rte = rt_fetch(rti, q->rtable);
	Node	   *parent = lateral_parent(ps, q, rti);
	ScalarColsCtx ctx;
	Query	   *sub = rte->subquery;

	if (sub->havingQual || sub->setOperations || sub->limitCount || sub->limitOffset ||
		sub->groupingSets || sub->hasWindowFuncs || sub->hasTargetSRFs || sub->cteList)
		plan_refuse(ps->name, "A LATERAL global aggregate with HAVING, set operations, LIMIT, window or set-returning functions",
			   "Without them it is maintained, as correlated scalar subqueries are.");
	ctx.ps = ps;
	ctx.rti = rti;
	ctx.sub = sub;
	ctx.sublevels = 0;
	ctx.guard = NULL;
	if (IsA(parent, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) parent;
		Node	   *quals = j->quals;

		if (quals != NULL && !(IsA(quals, Const) && !((Const *) quals)->constisnull &&
							   DatumGetBool(((Const *) quals)->constvalue)))
		{
			if (j->jointype == JOIN_LEFT)
			{
				/* (the guard's own reads of x are scalars, unguarded) */
				ctx.guard = scalar_cols_mutator(quals, &ctx);
				j->quals = NULL;
			}
			else
			{
				/*
				 * An inner JOIN ... ON cond reached from the top through
				 * inner joins only: the one row per outer row is kept where
				 * cond holds, as WHERE cond keeps it.
				 */
				if (!inner_path((Node *) q->jointree, parent))
					plan_refuse(ps->name, "An inner JOIN LATERAL over a global aggregate under an outer join, with an ON condition other than true",
						   "A global aggregate yields one row for every outer row: join it ON true and filter in WHERE.");
				q->jointree->quals = plan_and(q->jointree->quals, make_ands_implicit((Expr *) quals));
				j->quals = NULL;
			}
		}
	}
	q->targetList = (List *) scalar_cols_mutator((Node *) q->targetList, &ctx);
	q->jointree = (FromExpr *) drop_from_jointree((Node *) q->jointree, rti);
	q->jointree = (FromExpr *) scalar_cols_mutator((Node *) q->jointree, &ctx);
	q->havingQual = scalar_cols_mutator(q->havingQual, &ctx);
	{
		ListCell   *lc;

		/* the JOIN x was the right side of is gone: nothing may read its columns */
		foreach(lc, q->rtable)
		{
			RangeTblEntry *j = lfirst_node(RangeTblEntry, lc);

			if (j->rtekind == RTE_JOIN &&
				rangeTableEntry_used((Node *) j->joinaliasvars, rti, 0))
			{
				if (rangeTableEntry_used((Node *) q, foreach_current_index(lc) + 1, 0))
					plan_refuse(ps->name, "A column of a JOIN LATERAL over a global aggregate read through the join's name", NULL);
				j->joinaliasvars = NIL;
			}
		}
	}
	q->hasSubLinks = true;
	rte->lateral = false;
	rte->inFromCl = false;
	if (rangeTableEntry_used((Node *) q, rti, 0))
		plan_refuse(ps->name, "This use of a LATERAL global aggregate's columns",
			   "Read its columns in the select list, WHERE or HAVING.");
}

/*
 * FROM t, LATERAL (SELECT ... FROM s WHERE s.k = t.k AND ...) x: the
 * subquery yields its side of the correlation as extra columns (grouped
 * and DISTINCT per key as well), and the equalities join it like any other
 * subquery (in WHERE, or in the ON of the LEFT or inner join it is the
 * right side of).  One with ORDER BY ... LIMIT is kept per outer row
 * (lateral.c).  Other LATERAL subqueries are refused.
 */
void
plan_decorrelate_laterals(PState *ps, Query *q)
{
	ListCell   *lr;

	foreach(lr, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lr);
		int			rti = foreach_current_index(lr) + 1;
		Query	   *sub;
		List	   *conds = NIL,
				   *outers,
				   *inners,
				   *eqops;
		ListCell   *lo,
				   *li,
				   *le;
		Node	   *parent;
		int			resno;

		if (rte->rtekind != RTE_SUBQUERY || !rte->lateral)
			continue;
		sub = rte->subquery;
		if (!contain_vars_of_level((Node *) sub, 1))
		{
			rte->lateral = false;
			continue;
		}
		if (sub->limitCount || sub->limitOffset)
		{
			plan_prepare_lateral(ps, q, rti, lateral_parent(ps, q, rti));
			continue;
		}
		if (sub->hasAggs && sub->groupClause == NIL)
		{
			lateral_aggregate_as_scalars(ps, q, rti);
			continue;
		}
		if (sub->limitCount || sub->limitOffset || sub->setOperations || sub->hasWindowFuncs ||
			sub->hasDistinctOn || sub->groupingSets || sub->cteList || sub->hasTargetSRFs ||
			sub->havingQual || sub->hasSubLinks)
			plan_refuse(ps->name, "This LATERAL subquery",
				   "A LATERAL subquery is maintained when it is a join, GROUP BY or DISTINCT correlated by equalities in its WHERE.");
		parent = lateral_parent(ps, q, rti);

		resno = list_length(sub->targetList);
		plan_split_correlation(ps, sub, "A LATERAL subquery", &outers, &inners, &eqops);
		forthree(lo, outers, li, inners, le, eqops)
		{
			Node	   *outer = lfirst(lo);
			Node	   *in = lfirst(li);
			Oid			eqop = lfirst_oid(le);
			TargetEntry *te;
			Var		   *kv;

			resno++;
			te = makeTargetEntry((Expr *) in, resno, psprintf("lateral_key%d", resno), false);
			if (sub->groupClause || sub->distinctClause)
				plan_add_group_key(sub, te);
			else
				sub->targetList = lappend(sub->targetList, te);
			rte->eref->colnames = lappend(rte->eref->colnames, makeString(te->resname));
			kv = makeVar(rti, resno, exprType(in), exprTypmod(in), exprCollation(in), 0);
			conds = lappend(conds, make_opclause(eqop, BOOLOID, false, (Expr *) kv, (Expr *) outer,
												 InvalidOid, exprCollation(in)));
		}
		if (contain_vars_of_level((Node *) sub, 1))
			plan_refuse(ps->name, "An outer reference in a LATERAL subquery other than an equality in its WHERE", NULL);
		if (IsA(parent, JoinExpr))
		{
			JoinExpr   *j = (JoinExpr *) parent;

			j->quals = plan_and(j->quals, conds);
		}
		else
		{
			FromExpr   *f = (FromExpr *) parent;

			f->quals = plan_and(f->quals, conds);
		}
		rte->lateral = false;
	}
}
