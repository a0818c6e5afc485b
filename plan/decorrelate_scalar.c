/*
 * decorrelate_scalar.c
 *	  Correlated scalar subqueries, in the select list, WHERE and HAVING: a
 *	  global aggregate grouped by the correlation and LEFT JOINed (with the
 *	  aggregate of no rows for rows without partners), a plain SELECT as
 *	  pathway.single_value() next to count(*), one with GROUP BY or DISTINCT
 *	  through a plain SELECT over it, ORDER BY ... LIMIT 1 as a LATERAL
 *	  top-1, a non-equality through a magic set (decorrelate_magic.c).
 *	  Split off decorrelate.c, whose correlation rule (plan_split_correlation)
 *	  the LATERAL subqueries use too.
 */
#include "postgres.h"

#include "catalog/pg_operator.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_oper.h"
#include "rewrite/rewriteManip.h"
#include "utils/lsyscache.h"

#include "plan/internal.h"

/* ---------- correlated scalar subqueries in the select list ---------- */

/*
 * Take a subquery's WHERE apart: conjuncts that read the outer query must be
 * equalities inner = outer; they come out as (outer at this level, inner,
 * equality operator), cross-type ones converted to a common type.  What is
 * left stays the subquery's WHERE.  'what' names the construct in refusals.
 */
void
plan_split_correlation(PState *ps, Query *sub, const char *what, List **outers, List **inners,
				  List **eqops)
{
	List	   *keep = NIL;
	ListCell   *lc;

	*outers = *inners = *eqops = NIL;
	foreach(lc, sub->jointree->quals ? make_ands_implicit((Expr *) sub->jointree->quals) : NIL)
	{
		Node	   *c = lfirst(lc);
		OpExpr	   *op = (OpExpr *) c;
		Node	   *outer = NULL,
				   *in = NULL;
		Oid			eqop = InvalidOid;

		if (!contain_vars_of_level(c, 1))
		{
			keep = lappend(keep, c);
			continue;
		}
		if (IsA(c, OpExpr) && list_length(op->args) == 2)
		{
			Node	   *a = linitial(op->args);
			Node	   *b = lsecond(op->args);

			if (plan_only_outer_vars(a) && !contain_vars_of_level(b, 1))
				outer = a, in = b;
			else if (plan_only_outer_vars(b) && !contain_vars_of_level(a, 1))
				outer = b, in = a;
			if (outer)
				eqop = plan_same_type_equality(op, &outer, &in);
		}
		if (!OidIsValid(eqop))
			plan_refuse(ps->name, psprintf("%s correlated other than by equalities", what),
				   "Correlate it through equalities such as s.k = t.k.");
		outer = copyObject(outer);
		IncrementVarSublevelsUp(outer, -1, 1);
		*outers = lappend(*outers, outer);
		*inners = lappend(*inners, in);
		*eqops = lappend_oid(*eqops, eqop);
	}
	sub->jointree->quals = keep ? (Node *) make_ands_explicit(keep) : NULL;
}

static RangeTblEntry *
subquery_rte(Query *sub, List *colnames)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);

	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = sub;
	rte->eref = makeAlias("scalar", colnames);
	rte->inFromCl = true;
	return rte;
}

/*
 * (SELECT max(v) FROM s WHERE s.k = t.k GROUP BY s.g) or (SELECT DISTINCT
 * s.x FROM s WHERE s.k = t.k): it may yield several rows.  The subquery is
 * grouped (or made distinct) by its side of the equalities too, and read
 * through (SELECT w.v FROM (<it>) w WHERE w.k = t.k), which the caller
 * takes as any plain correlated scalar: its only row's value, NULL without
 * one, PostgreSQL's error for several.  The grouping per key changes no
 * group: the equalities kept only rows of one key in each.  Returns sub as
 * it is when it is not of that kind (the caller refuses it).
 */
static Query *
grouped_scalar_wrapped(PState *ps, Query *sub)
{
	List	   *outers,
			   *inners,
			   *eqops,
			   *conds = NIL;
	ListCell   *lo,
			   *li,
			   *le,
			   *lc;
	Query	   *w;
	TargetEntry *val = NULL;
	int			resno;

	if (!(sub->groupClause || sub->distinctClause) || sub->hasDistinctOn || sub->groupingSets ||
		sub->setOperations || sub->cteList || sub->hasWindowFuncs || sub->hasSubLinks ||
		sub->hasTargetSRFs || sub->limitCount || sub->limitOffset || plan_correlation_needs_magic(sub))
		return sub;
	/* (a hidden column made visible would change what DISTINCT compares) */
	if (sub->distinctClause)
		foreach(lc, sub->targetList)
			if (lfirst_node(TargetEntry, lc)->resjunk)
				return sub;
	plan_split_correlation(ps, sub, "A scalar subquery", &outers, &inners, &eqops);
	if (contain_vars_of_level((Node *) sub, 1))
		plan_refuse(ps->name, "An outer reference in a scalar subquery with GROUP BY or DISTINCT other than an equality in its WHERE", NULL);
	foreach(lc, sub->targetList)
	{
		TargetEntry *te = lfirst_node(TargetEntry, lc);

		if (!te->resjunk && val == NULL)
			val = te;
	}
	/* w reads its columns by number: the grouping keys not selected become columns too */
	foreach(lc, sub->targetList)
		lfirst_node(TargetEntry, lc)->resjunk = false;
	sub->sortClause = NIL;
	resno = list_length(sub->targetList);
	forthree(lo, outers, li, inners, le, eqops)
	{
		Node	   *in = lfirst(li);
		Node	   *outer = copyObject(lfirst(lo));

		resno++;
		plan_add_group_key(sub, makeTargetEntry((Expr *) in, resno, psprintf("pathway_key%d", resno), false));
		/* (the outer side back one level up: it is read from inside w) */
		IncrementVarSublevelsUp(outer, 1, 0);
		conds = lappend(conds, make_opclause(lfirst_oid(le), BOOLOID, false,
											 (Expr *) makeVar(1, resno, exprType(in), exprTypmod(in),
															  exprCollation(in), 0),
											 (Expr *) outer, InvalidOid, exprCollation(in)));
	}
	w = plan_select_over(sub, "scalar", conds ? (Node *) make_ands_explicit(conds) : NULL);
	w->targetList = list_make1(makeTargetEntry((Expr *) makeVar(1, val->resno, exprType((Node *) val->expr),
																exprTypmod((Node *) val->expr),
																exprCollation((Node *) val->expr), 0),
												1, val->resname, false));
	return w;
}

/*
 * (SELECT agg(...) FROM s WHERE s.k = t.k AND ...) in the select list:
 * a global aggregate correlated through equalities.  It becomes
 *
 *   t LEFT JOIN (SELECT s.k, agg(...), true FROM s WHERE ... GROUP BY s.k) g
 *     ON g.k = t.k
 *   CROSS JOIN (SELECT agg(...) FROM s WHERE false) e
 *
 * and the expression CASE WHEN g.m IS NOT NULL THEN g.v ELSE e.v END: a row
 * without partners gets the aggregate of no rows (count: 0, sum: NULL), as
 * the subquery would.  g is joined after the rest of FROM (plan_apply_correlated);
 * e is an uncorrelated one-row subquery, cross-joined like any other.
 */
Node *
plan_pull_up_correlated_scalar(PState *ps, Query *q, SubLink *sl)
{
	Query	   *sub = copyObject((Query *) sl->subselect);
	Query	   *grouped,
			   *empty;
	CorrelatedScalar *cs = palloc0(sizeof(CorrelatedScalar));
	List	   *inner = NIL,
			   *tl = NIL,
			   *groups = NIL,
			   *names = NIL;
	ListCell   *lc;
	TargetEntry *val = NULL;
	Expr	   *v;
	RangeTblRef *rtr;
	CaseExpr   *ce = makeNode(CaseExpr);
	CaseWhen   *cw = makeNode(CaseWhen);
	NullTest   *nt = makeNode(NullTest);
	int			erti,
				k;
	Query	   *agg;
	Query	   *plain = NULL;	/* sub before a magic set joined it */
	Expr	   *limit = sub->limitCount ? expression_planner((Expr *) copyObject(sub->limitCount)) : NULL;

	/*
	 * (SELECT p.price FROM p WHERE p.sym = t.sym ORDER BY p.ts DESC LIMIT 1):
	 * at most one row, the first by the ORDER BY: a LATERAL top-1 with NULLs
	 * where there is none, as a FROM item of its own (lateral.c)
	 */
	if (limit && IsA(limit, Const) && ((Const *) limit)->consttype == INT8OID &&
		!((Const *) limit)->constisnull && DatumGetInt64(((Const *) limit)->constvalue) == 1 &&
		sub->sortClause != NIL)
	{
		RangeTblEntry *rte = subquery_rte(sub, NIL);
		RangeTblRef *ref = makeNode(RangeTblRef);
		LateralTopK *lt;

		foreach(lc, sub->targetList)
		{
			TargetEntry *t = lfirst_node(TargetEntry, lc);

			rte->eref->colnames = lappend(rte->eref->colnames, makeString(t->resname ? t->resname : "?column?"));
			if (!t->resjunk && val == NULL)
				val = t;
		}
		rte->lateral = true;
		q->rtable = lappend(q->rtable, rte);
		ref->rtindex = list_length(q->rtable);
		q->jointree->fromlist = lappend(q->jointree->fromlist, ref);
		plan_prepare_lateral(ps, q, ref->rtindex, (Node *) q->jointree);
		lt = plan_lateral_of(ps, ref->rtindex);
		lt->pad = true;
		return (Node *) makeVar(ref->rtindex, val->resno, exprType((Node *) val->expr),
								exprTypmod((Node *) val->expr), exprCollation((Node *) val->expr), 0);
	}

	/* GROUP BY or DISTINCT: through a plain subquery over it */
	sub = grouped_scalar_wrapped(ps, sub);

	/* (SELECT d.name FROM dim d WHERE d.id = t.k): the value of its only row */
	agg = plan_scalar_as_aggregate(sub, true);
	if (agg)
		sub = agg;
	if (!sub->hasAggs || sub->groupClause || sub->groupingSets || sub->havingQual ||
		sub->setOperations || sub->limitCount || sub->limitOffset || sub->cteList ||
		sub->hasWindowFuncs || sub->hasSubLinks || sub->hasDistinctOn)
		plan_refuse(ps->name, "A correlated scalar subquery other than a global aggregate",
			   "A correlated (SELECT count(*) FROM s WHERE s.k = t.k) is maintained; others may yield several rows.");
	if (plan_correlation_needs_magic(sub))
	{
		/* (SELECT count(*) FROM s WHERE s.b < t.b): through t's distinct values */
		plain = copyObject(sub);
		inner = plan_magic_correlation(ps, q, sub, &cs->lkeys, &cs->eqops);
		cs->nulls_match = true;
	}
	else
		plan_split_correlation(ps, sub, "A scalar subquery", &cs->lkeys, &inner, &cs->eqops);
	if (contain_vars_of_level((Node *) sub, 1))
		plan_refuse(ps->name, "An outer reference in a scalar subquery other than in its WHERE", NULL);
	if (agg)
		val = linitial_node(TargetEntry, sub->targetList);	/* then n = count(*) */
	else
		foreach(lc, sub->targetList)
			if (!lfirst_node(TargetEntry, lc)->resjunk)
				val = lfirst(lc);
	v = val->expr;

	/* g: the aggregate per correlation key, and a marker that a group is there */
	grouped = copyObject(sub);
	k = 0;
	foreach(lc, inner)
	{
		TargetEntry *te;
		SortGroupClause *g = makeNode(SortGroupClause);
		bool		hashable;

		k++;
		te = makeTargetEntry(lfirst(lc), k, psprintf("k%d", k), false);
		te->ressortgroupref = k;
		g->tleSortGroupRef = k;
		get_sort_group_operators(exprType(lfirst(lc)), false, true, false,
								 &g->sortop, &g->eqop, NULL, &hashable);
		g->hashable = hashable;
		tl = lappend(tl, te);
		groups = lappend(groups, g);
		names = lappend(names, makeString(te->resname));
	}
	cs->nkeys = k;
	tl = lappend(tl, makeTargetEntry(copyObject(v), k + 1, "v", false));
	tl = lappend(tl, makeTargetEntry((Expr *) makeBoolConst(true, false), k + 2, "m", false));
	names = lappend(names, makeString("v"));
	names = lappend(names, makeString("m"));
	if (agg)
	{
		tl = lappend(tl, makeTargetEntry(copyObject(lsecond_node(TargetEntry, sub->targetList)->expr),
										 k + 3, "n", false));
		names = lappend(names, makeString("n"));
	}
	grouped->targetList = tl;
	grouped->groupClause = groups;
	q->rtable = lappend(q->rtable, subquery_rte(grouped, names));
	cs->rti = list_length(q->rtable);
	ps->correlated = lappend(ps->correlated, cs);

	/* e: the aggregate of no rows, one row, cross-joined */
	empty = copyObject(plain ? plain : sub);
	empty->jointree->quals = (Node *) makeBoolConst(false, false);
	empty->targetList = list_make1(makeTargetEntry(copyObject(v), 1, "v", false));
	q->rtable = lappend(q->rtable, subquery_rte(empty, list_make1(makeString("v"))));
	erti = list_length(q->rtable);
	rtr = makeNode(RangeTblRef);
	rtr->rtindex = erti;
	q->jointree->fromlist = lappend(q->jointree->fromlist, rtr);

	nt->arg = (Expr *) makeVar(cs->rti, k + 2, BOOLOID, -1, InvalidOid, 0);
	nt->nulltesttype = IS_NOT_NULL;
	nt->location = -1;
	cw->expr = (Expr *) nt;
	cw->result = (Expr *) makeVar(cs->rti, k + 1, exprType((Node *) v), exprTypmod((Node *) v),
								  exprCollation((Node *) v), 0);
	if (agg)
		cw->result = plan_scalar_checked(cw->result, (Expr *) makeVar(cs->rti, k + 3, INT8OID, -1,
																	  InvalidOid, 0));
	cw->location = -1;
	ce->casetype = exprType((Node *) v);
	ce->casecollid = exprCollation((Node *) v);
	ce->args = list_make1(cw);
	ce->defresult = (Expr *) makeVar(erti, 1, exprType((Node *) v), exprTypmod((Node *) v),
									 exprCollation((Node *) v), 0);
	ce->location = -1;
	return (Node *) ce;
}

/* After the rest of FROM: LEFT JOIN the grouped subquery on the correlation. */
Op *
plan_apply_correlated(PState *ps, Op *cur, CorrelatedScalar *cs)
{
	Op		   *g = plan_make_subquery(ps, cs->rti);
	List	   *rkeys = NIL;
	int			i;

	for (i = 0; i < cs->nkeys; i++)
	{
		Form_pg_attribute att = TupleDescAttr(g->desc, i);

		rkeys = lappend(rkeys, makeVar(cs->rti, i + 1, att->atttypid, att->atttypmod,
									   att->attcollation, 0));
	}
	cur = plan_make_join(ps, cur, g, bms_make_singleton(cs->rti), cs->lkeys, rkeys, cs->eqops,
					true, false);
	cur->keys->nulls_match = cs->nulls_match;
	ps->done_rels = bms_add_member(ps->done_rels, cs->rti);
	return cur;
}

