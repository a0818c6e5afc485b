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
		ListCell   *lc,
				   *lo,
				   *li,
				   *le;
		Node	   *parent;
		int			resno;
		Index		ref = 0;

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
			plan_refuse(ps->name, "A LATERAL subquery that is a global aggregate",
				   "Use correlated scalar subqueries in the select list: (SELECT count(*) FROM s WHERE s.k = t.k).");
		if (sub->limitCount || sub->limitOffset || sub->setOperations || sub->hasWindowFuncs ||
			sub->hasDistinctOn || sub->groupingSets || sub->cteList || sub->hasTargetSRFs ||
			sub->havingQual || sub->hasSubLinks)
			plan_refuse(ps->name, "This LATERAL subquery",
				   "A LATERAL subquery is maintained when it is a join, GROUP BY or DISTINCT correlated by equalities in its WHERE.");
		parent = lateral_parent(ps, q, rti);

		resno = list_length(sub->targetList);
		if (sub->groupClause || sub->distinctClause)
		{
			foreach(lc, sub->targetList)
				ref = Max(ref, lfirst_node(TargetEntry, lc)->ressortgroupref);
		}
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
			{
				SortGroupClause *g = makeNode(SortGroupClause);
				bool		hashable;

				te->ressortgroupref = ++ref;
				g->tleSortGroupRef = ref;
				get_sort_group_operators(exprType(in), false, true, false,
										 &g->sortop, &g->eqop, NULL, &hashable);
				g->hashable = hashable;
				if (sub->groupClause)
					sub->groupClause = lappend(sub->groupClause, g);
				if (sub->distinctClause)
					sub->distinctClause = lappend(sub->distinctClause, copyObject(g));
			}
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

			j->quals = j->quals ? (Node *) make_andclause(lappend(list_make1(j->quals), make_ands_explicit(conds)))
				: (Node *) make_ands_explicit(conds);
		}
		else
		{
			FromExpr   *f = (FromExpr *) parent;

			f->quals = f->quals ? (Node *) make_andclause(lappend(list_make1(f->quals), make_ands_explicit(conds)))
				: (Node *) make_ands_explicit(conds);
		}
		rte->lateral = false;
	}
}
