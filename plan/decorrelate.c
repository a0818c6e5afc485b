/*
 * decorrelate.c
 *	  Subqueries that read the row around them, turned into joins: [NOT]
 *	  EXISTS and IN in WHERE as semi- and anti-joins, NOT IN as two anti-join
 *	  branches, EXISTS inside expressions as mark joins (correlated scalar
 *	  subqueries: decorrelate_scalar.c; LATERAL subqueries:
 *	  decorrelate_lateral.c).
 *
 * Uses expr.c and join.c (plan_make_join, plan_make_subquery); a subquery is
 * planned as a query level of its own through ps->plan_subquery.
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

/* A semi-join planned once more (its subquery is planned in place), as semi or anti. */
static SemiJoin *
copyObject_semi(SemiJoin *sj, bool negated)
{
	SemiJoin   *c = palloc0(sizeof(SemiJoin));

	c->sublink = sj->sublink;
	c->negated = negated;
	c->lkeys = copyObject(sj->lkeys);
	c->eqops = list_copy(sj->eqops);
	c->sub = copyObject(sj->sub);
	return c;
}

/* ---------- EXISTS and IN: semi- and anti-joins ---------- */

/* The subquery's column in an IN test: a Param, perhaps under casts. */
static Param *
only_param(Node *n)
{
	while (n)
	{
		if (IsA(n, Param))
			return (Param *) n;
		if (IsA(n, RelabelType))
			n = (Node *) ((RelabelType *) n)->arg;
		else if (IsA(n, CoerceViaIO))
			n = (Node *) ((CoerceViaIO *) n)->arg;
		else if (IsA(n, FuncExpr) && ((FuncExpr *) n)->funcformat == COERCE_IMPLICIT_CAST &&
				 list_length(((FuncExpr *) n)->args) == 1)
			n = linitial(((FuncExpr *) n)->args);
		else
			return NULL;
	}
	return NULL;
}

static Node *
replace_param_mutator(Node *n, void *ctx)
{
	void	  **pair = ctx;

	if (n == pair[0])
		return copyObject((Node *) pair[1]);
	return expression_tree_mutator(n, replace_param_mutator, ctx);
}

static Node *
replace_param(Node *expr, Param *param, Node *with)
{
	void	   *pair[2] = {param, with};

	return replace_param_mutator(expr, pair);
}

/*
 * An expression of the outer query alone (a subquery inside it would be
 * planned as a key expression: it is not one).
 */
bool
plan_only_outer_vars(Node *n)
{
	return contain_vars_of_level(n, 1) && !contain_vars_of_level(n, 0) && !checkExprHasSubLink(n);
}

/*
 * An uncorrelated subquery with aggregates, grouping, set operations, a
 * LIMIT or WITH, as SELECT w.c1, ... FROM (sub) w: a plain SELECT over a
 * FROM item, which IN and NOT IN take apart like any other (the subquery
 * itself planned as any subquery in FROM is).  NULL when sub reads the
 * query around it or has none of these.
 */
static Query *
uncorrelated_as_from(Query *sub)
{
	if (!(sub->hasAggs || sub->groupClause || sub->havingQual || sub->setOperations ||
		  sub->limitCount || sub->limitOffset || sub->hasDistinctOn || sub->hasWindowFuncs ||
		  sub->cteList) ||
		contain_vars_of_level((Node *) sub, 1) || sub->hasRecursive)
		return NULL;
	return plan_select_over(copyObject(sub), "pathway_in", NULL);
}

/*
 * Take a WHERE conjunct of the form [NOT] EXISTS (subquery) or x IN
 * (subquery) apart: the subquery's correlated equalities and the IN test
 * become join keys; what is left of the subquery is planned on its own.
 */
static SemiJoin *
make_semi(PState *ps, Node *conj)
{
	SemiJoin   *sj = palloc0(sizeof(SemiJoin));
	SubLink    *sl;
	Query	   *sub;
	List	   *keep = NIL,
			   *rkeys = NIL,
			   *corr_inners = NIL;
	ListCell   *lc;
	bool		correlated = false;

	if (is_notclause(conj))
	{
		sj->negated = true;
		conj = (Node *) get_notclausearg((Expr *) conj);
	}
	sl = (SubLink *) conj;
	sj->sublink = sl;
	if (sl->subLinkType == ANY_SUBLINK && sj->negated)
	{
		Query	   *s = (Query *) sl->subselect;

		Query	   *w = uncorrelated_as_from(s);

		sj->not_in = true;
		if (is_andclause(sl->testexpr))
			plan_refuse(ps->name, "NOT IN with a row of several columns", "Use NOT EXISTS.");
		/* NOT IN (SELECT max(y) FROM s GROUP BY g): over the subquery as a FROM item */
		if (w)
			sl->subselect = (Node *) (s = w);
		if (s->hasAggs || s->groupClause || s->havingQual || s->setOperations ||
			s->limitCount || s->limitOffset || s->hasDistinctOn)
			plan_refuse(ps->name, "NOT IN over a subquery with aggregates, set operations or LIMIT",
				   "Use NOT EXISTS.");
	}
	if (sl->subLinkType != EXISTS_SUBLINK && sl->subLinkType != ANY_SUBLINK)
		plan_refuse(ps->name, "A subquery in an expression other than [NOT] EXISTS or IN in WHERE", NULL);
	sub = copyObject((Query *) sl->subselect);
	/* uncorrelated, with WITH, LIMIT, OFFSET or window functions: over it as a FROM item */
	if (sub->cteList || sub->limitCount || sub->limitOffset || sub->hasWindowFuncs)
	{
		Query	   *w = uncorrelated_as_from(sub);

		if (w)
			sub = w;
	}
	if (sub->cteList)
		plan_refuse(ps->name, "WITH inside a subquery in WHERE", NULL);
	if (sub->limitCount || sub->limitOffset || sub->hasWindowFuncs)
		plan_refuse(ps->name, "LIMIT, OFFSET or a window function in a subquery in WHERE",
			   "Move the subquery to FROM and join it.");

	/* IN: the tested expressions against the subquery's columns */
	if (sl->subLinkType == ANY_SUBLINK)
	{
		List	   *tests = (is_andclause(sl->testexpr))
			? ((BoolExpr *) sl->testexpr)->args : list_make1(sl->testexpr);

		foreach(lc, tests)
		{
			OpExpr	   *op = (OpExpr *) lfirst(lc);
			Node	   *outer,
					   *inner;
			Param	   *param = NULL;
			OpExpr		test;
			Oid			eqop;

			if (!IsA(op, OpExpr) || list_length(op->args) != 2 ||
				(param = only_param(lsecond(op->args))) == NULL)
				plan_refuse(ps->name, "This form of IN (subquery)", NULL);
			outer = linitial(op->args);
			/* the subquery's column, converted as the test converts it (numeric IN (SELECT int)) */
			inner = replace_param(lsecond(op->args), param,
								  (Node *) list_nth_node(TargetEntry, sub->targetList, param->paramid - 1)->expr);
			test = *op;
			eqop = plan_same_type_equality(&test, &outer, &inner);
			if (!OidIsValid(eqop))
				plan_refuse(ps->name, "IN (subquery) with an operator other than a hashable equality", NULL);
			sj->lkeys = lappend(sj->lkeys, outer);
			sj->eqops = lappend_oid(sj->eqops, eqop);
			rkeys = lappend(rkeys, inner);
		}
	}

	/* correlated equalities in the subquery's WHERE become keys too */
	foreach(lc, sub->jointree->quals ? make_ands_implicit((Expr *) sub->jointree->quals) : NIL)
	{
		Node	   *c = lfirst(lc);

		if (!contain_vars_of_level(c, 1))
		{
			keep = lappend(keep, c);
			continue;
		}
		correlated = true;
		if (IsA(c, OpExpr) && list_length(((OpExpr *) c)->args) == 2)
		{
			OpExpr	   *op = (OpExpr *) c;
			Node	   *a = linitial(op->args);
			Node	   *b = lsecond(op->args);
			Node	   *outer = NULL,
					   *inner = NULL;
			Oid			eqop;

			if (plan_only_outer_vars(a) && !contain_vars_of_level(b, 1))
				outer = a, inner = b;
			else if (plan_only_outer_vars(b) && !contain_vars_of_level(a, 1))
				outer = b, inner = a;
			if (outer && (eqop = plan_same_type_equality(op, &outer, &inner)) != InvalidOid &&
				op == (OpExpr *) c)
			{
				outer = copyObject(outer);
				IncrementVarSublevelsUp(outer, -1, 1);
				sj->lkeys = lappend(sj->lkeys, outer);
				sj->eqops = lappend_oid(sj->eqops, eqop);
				rkeys = lappend(rkeys, inner);
				corr_inners = lappend(corr_inners, inner);
				continue;
			}
		}
		plan_refuse(ps->name, "A correlated condition in a subquery other than an equality with the outer query",
			   "Correlate the subquery through equalities only.");
	}
	if (correlated && (sub->hasAggs || sub->groupClause || sub->havingQual ||
					   sub->setOperations || sub->limitCount || sub->limitOffset))
	{
		/*
		 * GROUP BY: grouped by its side of the equalities too, a group holds
		 * the rows of one outer key, as the correlation gave it (a key
		 * without rows has no group, as the subquery has none for it)
		 */
		if (!sub->groupClause || sub->groupingSets || sub->setOperations ||
			sub->limitCount || sub->limitOffset)
			plan_refuse(ps->name, "A correlated subquery with aggregates but no GROUP BY, set operations or LIMIT", NULL);
		foreach(lc, corr_inners)
			plan_add_group_key(sub, makeTargetEntry((Expr *) copyObject(lfirst(lc)),
													list_length(sub->targetList) + 1, NULL, true));
	}
	sub->jointree->quals = (Node *) make_ands_explicit(keep);
	if (contain_vars_of_level((Node *) sub, 1))
		plan_refuse(ps->name, "An outer reference in a subquery other than in its WHERE", NULL);

	/* the subquery now yields its side of the keys (EXISTS: only those) */
	if (sj->lkeys == NIL)
	{
		/* uncorrelated EXISTS: one constant key on both sides */
		Const	   *one = makeConst(INT4OID, -1, InvalidOid, 4, Int32GetDatum(1), false, true);

		sj->lkeys = list_make1(one);
		sj->eqops = list_make1_oid(Int4EqualOperator);
		rkeys = list_make1(copyObject(one));
	}
	if (!sub->hasAggs && !sub->groupClause && !sub->setOperations)
	{
		List	   *tl = NIL;

		foreach(lc, rkeys)
			tl = lappend(tl, makeTargetEntry(lfirst(lc), foreach_current_index(lc) + 1, NULL, false));
		sub->targetList = tl;
		sub->sortClause = NIL;
		sub->distinctClause = NIL;
		sub->hasDistinctOn = false;
	}
	else if (sl->subLinkType != ANY_SUBLINK && (sub->setOperations || !sub->groupClause))
		plan_refuse(ps->name, "EXISTS over a subquery with aggregates but no GROUP BY, or with set operations", NULL);
	else if (sub->setOperations == NULL)
	{
		/*
		 * IN over a grouped subquery: its first columns are the keys, as the
		 * test converts them (numeric IN (SELECT int ... GROUP BY ...)).
		 * The converted expressions come first; the columns as they were
		 * stay, unselected, for the grouping and ordering that name them.
		 */
		List	   *tl = NIL;
		ListCell   *lr;
		int			resno = 0;

		foreach(lr, rkeys)
			tl = lappend(tl, makeTargetEntry(copyObject(lfirst(lr)), ++resno, NULL, false));
		foreach(lc, sub->targetList)
		{
			TargetEntry *te = copyObject(lfirst_node(TargetEntry, lc));

			te->resno = ++resno;
			te->resjunk = true;
			tl = lappend(tl, te);
		}
		sub->targetList = tl;
	}
	else
	{
		/* a set operation: the keys must already be of the test's types */
		foreach(lc, rkeys)
		{
			TargetEntry *te = list_nth_node(TargetEntry, sub->targetList, foreach_current_index(lc));

			if (exprType(lfirst(lc)) != exprType((Node *) te->expr))
				plan_refuse(ps->name, "IN over a set operation whose column's type differs from the tested value's",
							"Cast the set operation's column to the tested value's type.");
		}
	}
	sj->sub = sub;
	return sj;
}

/* Keep the rows of 'cur' that have (EXISTS, IN) or lack (NOT EXISTS) a partner. */
Op *
plan_apply_semi(PState *ps, Op *cur, SemiJoin *sj)
{
	Op		   *right = ps->plan_subquery(ps, sj->sub);
	Op		   *op = op_make(OP_JOIN, CreateTupleDescCopy(cur->desc));
	ListCell   *lc;
	int			n = list_length(sj->lkeys);

	if (right->desc->natts < n)
		elog(ERROR, "pathway: subquery yields fewer columns than its keys");
	op->left = cur;
	op->right = right;
	op->semi = !sj->negated;
	op->anti = sj->negated;
	plan_op_slots(op);
	op->keys = plan_keyspec_for_ops(sj->lkeys, sj->eqops);
	op->keys->nulls_match = false;
	op->lkeys = palloc0(sizeof(ExprState *) * (n + 1));
	op->rkeys = palloc0(sizeof(ExprState *) * (n + 1));
	foreach(lc, sj->lkeys)
	{
		int			i = foreach_current_index(lc);
		Form_pg_attribute att = TupleDescAttr(right->desc, i);

		op->lkeys[i] = plan_compile_expr(lfirst(lc), &ps->layout, NIL);
		op->rkeys[i] = ExecInitExpr((Expr *) makeVar(1, i + 1, att->atttypid, att->atttypmod,
													 att->attcollation, 0), NULL);
	}
	op->larr = arrangement_create(CurrentMemoryContext, "pathway semi join left", op->keys, true);
	op->rarr = arrangement_create(CurrentMemoryContext, "pathway semi join right", op->keys, true);
	op->rarr->track_touched = true;
	return op;
}

/* A filter of 'cur' on one condition over its columns. */
static Op *
filter_on(PState *ps, Op *cur, Node *cond)
{
	Op		   *f = op_make(OP_MAP, cur->desc);

	f->left = cur;
	f->qual = plan_compile_qual(list_make1(cond), &ps->layout, NIL);
	plan_op_slots(f);
	return f;
}

/*
 * The same subquery keyed by its correlation only (the IN test dropped), and
 * with nulls_only, only its rows whose tested column is NULL.
 */
static SemiJoin *
correlation_only(SemiJoin *sj, bool nulls_only)
{
	SemiJoin   *c = palloc0(sizeof(SemiJoin));
	Query	   *sub = copyObject(sj->sub);
	TargetEntry *test = linitial_node(TargetEntry, sub->targetList);
	List	   *tl = NIL;
	ListCell   *lc;

	c->negated = true;
	c->lkeys = list_copy_tail(sj->lkeys, 1);
	c->eqops = list_copy_tail(sj->eqops, 1);
	for_each_from(lc, sub->targetList, 1)
	{
		TargetEntry *te = copyObject(lfirst_node(TargetEntry, lc));

		te->resno = list_length(tl) + 1;
		tl = lappend(tl, te);
	}
	if (c->lkeys == NIL)
	{
		/* uncorrelated: one constant key on both sides */
		Const	   *one = makeConst(INT4OID, -1, InvalidOid, 4, Int32GetDatum(1), false, true);

		c->lkeys = list_make1(one);
		c->eqops = list_make1_oid(Int4EqualOperator);
		tl = list_make1(makeTargetEntry((Expr *) copyObject(one), 1, NULL, false));
	}
	sub->targetList = tl;
	if (nulls_only)
	{
		NullTest   *nt = makeNode(NullTest);

		nt->arg = test->expr;
		nt->nulltesttype = IS_NULL;
		nt->location = -1;
		sub->jointree->quals = plan_and(sub->jointree->quals, list_make1(nt));
	}
	c->sub = sub;
	return c;
}

/*
 * x NOT IN (SELECT y FROM s WHERE ...), with PostgreSQL's NULL semantics:
 * true when the (correlated) subquery is empty; otherwise only when x is not
 * NULL, no y equals x and no y is NULL.  Two disjoint branches of anti-joins:
 *
 *   x IS NOT NULL ─▶ anti(x = y, correlation) ─▶ anti(y IS NULL, correlation) ─┐
 *   x IS NULL     ─▶ anti(correlation: the subquery is empty) ─────────────────┴▶ UNION ALL
 */
Op *
plan_apply_not_in(PState *ps, Op *cur, SemiJoin *sj)
{
	Node	   *x = linitial(sj->lkeys);
	NullTest   *notnull = makeNode(NullTest);
	NullTest   *isnull = makeNode(NullTest);
	Op		   *present,
			   *absent,
			   *u;
	SemiJoin   *nulls,
			   *empty;

	notnull->arg = (Expr *) x;
	notnull->nulltesttype = IS_NOT_NULL;
	notnull->location = -1;
	isnull->arg = (Expr *) x;
	isnull->nulltesttype = IS_NULL;
	isnull->location = -1;

	/* (copies of the subquery first: planning one takes its WHERE's subqueries out) */
	nulls = correlation_only(sj, true);
	empty = correlation_only(sj, false);
	present = plan_apply_semi(ps, filter_on(ps, cur, (Node *) notnull), sj);
	present = plan_apply_semi(ps, present, nulls);
	absent = plan_apply_semi(ps, filter_on(ps, cur, (Node *) isnull), empty);
	u = op_make(OP_UNION, CreateTupleDescCopy(cur->desc));
	u->left = present;
	u->right = absent;
	plan_op_slots(u);
	return u;
}

/* ---------- EXISTS inside expressions: mark joins ---------- */

typedef struct MarkCtx
{
	PState	   *ps;
	Query	   *q;
} MarkCtx;

/* A mark for an EXISTS (or IN) sublink: the boolean column saying whether the row has a partner. */
static Node *
make_mark(MarkCtx *ctx, Node *sublink)
{
	MarkJoin   *m = palloc0(sizeof(MarkJoin));
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	Query	   *placeholder = makeNode(Query);

	m->sj = make_semi(ctx->ps, sublink);
	placeholder->commandType = CMD_SELECT;
	placeholder->targetList = list_make1(makeTargetEntry((Expr *) makeBoolConst(true, false),
														 1, "exists", false));
	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = placeholder;
	rte->eref = makeAlias("exists", list_make1(makeString("exists")));
	ctx->q->rtable = lappend(ctx->q->rtable, rte);
	m->rti = list_length(ctx->q->rtable);
	ctx->ps->marks = lappend(ctx->ps->marks, m);
	return (Node *) makeVar(m->rti, 1, BOOLOID, -1, InvalidOid, 0);
}

static Node *
exists_of(Query *sub)
{
	SubLink    *e = makeNode(SubLink);

	e->subLinkType = EXISTS_SUBLINK;
	e->subselect = (Node *) sub;
	e->location = -1;
	return (Node *) e;
}

static Node *mark_mutator(Node *node, MarkCtx *ctx);

/*
 * x IN (SELECT y ...) inside an expression, three-valued as PostgreSQL has
 * it (the equality is strict): true when some y equals x; else NULL when x
 * is NULL and the subquery has rows, or when some y is NULL; else false.
 * That is three marks:
 *
 *	  CASE WHEN <a y = x> THEN true
 *		   WHEN (x IS NULL AND <any row>) OR <a NULL y> THEN NULL
 *		   ELSE false END
 */
static Node *
in_as_marks(MarkCtx *ctx, SubLink *sl)
{
	Query	   *sub = (Query *) sl->subselect;
	OpExpr	   *op = IsA(sl->testexpr, OpExpr) ? (OpExpr *) sl->testexpr : NULL;
	Param	   *param = NULL;
	Query	   *withnull;
	NullTest   *ynull,
			   *xnull;
	Node	   *yes,
			   *any,
			   *hasnull;
	CaseExpr   *ce = makeNode(CaseExpr);
	CaseWhen   *w1 = makeNode(CaseWhen),
			   *w2 = makeNode(CaseWhen);

	if (op == NULL || list_length(op->args) != 2 || (param = only_param(lsecond(op->args))) == NULL)
		plan_refuse(ctx->ps->name, "IN (subquery) of several columns inside an expression (under OR, NOT, CASE or in the select list)",
					"Use EXISTS with the equalities.");
	if (!func_strict(get_opcode(op->opno)))
		plan_refuse(ctx->ps->name, "IN (subquery) inside an expression with an operator that is not strict", NULL);
	{
		/* x IN (SELECT max(y) FROM s GROUP BY g): over the subquery as a FROM item */
		Query	   *w = uncorrelated_as_from(sub);

		if (w)
		{
			sl = copyObject(sl);
			sl->subselect = (Node *) (sub = w);
		}
	}
	if (sub->hasAggs || sub->groupClause || sub->havingQual || sub->setOperations ||
		sub->limitCount || sub->limitOffset || sub->hasWindowFuncs || sub->cteList)
		plan_refuse(ctx->ps->name, "IN (subquery) inside an expression over a subquery with aggregates, set operations, WITH or LIMIT",
					"Use EXISTS, or IN as a condition of WHERE joined by AND.");

	yes = make_mark(ctx, (Node *) copyObject(sl));
	any = make_mark(ctx, exists_of(copyObject(sub)));
	withnull = copyObject(sub);
	ynull = makeNode(NullTest);
	ynull->arg = (Expr *) copyObject(list_nth_node(TargetEntry, withnull->targetList, param->paramid - 1)->expr);
	ynull->nulltesttype = IS_NULL;
	ynull->location = -1;
	/* (the correlation's equalities stay top-level conjuncts) */
	withnull->jointree->quals = plan_and(withnull->jointree->quals, list_make1(ynull));
	hasnull = make_mark(ctx, exists_of(withnull));

	xnull = makeNode(NullTest);
	xnull->arg = (Expr *) mark_mutator(copyObject(linitial(op->args)), ctx);
	xnull->nulltesttype = IS_NULL;
	xnull->location = -1;

	w1->expr = (Expr *) yes;
	w1->result = (Expr *) makeBoolConst(true, false);
	w1->location = -1;
	w2->expr = makeBoolExpr(OR_EXPR,
							list_make2(makeBoolExpr(AND_EXPR, list_make2(xnull, any), -1), hasnull), -1);
	w2->result = (Expr *) makeBoolConst(false, true);
	w2->location = -1;
	ce->casetype = BOOLOID;
	ce->casecollid = InvalidOid;
	ce->args = list_make2(w1, w2);
	ce->defresult = (Expr *) makeBoolConst(false, false);
	ce->location = -1;
	return (Node *) ce;
}

static Node *
mark_mutator(Node *node, MarkCtx *ctx)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, SubLink) && ((SubLink *) node)->subLinkType == EXISTS_SUBLINK)
		return make_mark(ctx, node);
	if (IsA(node, SubLink) && ((SubLink *) node)->subLinkType == ANY_SUBLINK)
		return in_as_marks(ctx, (SubLink *) node);
	if (IsA(node, Query))
		return node;
	return expression_tree_mutator(node, mark_mutator, (void *) ctx);
}

/*
 * What plan_extract_semis left: EXISTS under OR, NOT, CASE or in the select list
 * becomes a mark join's column; WHERE conjuncts that read one are applied
 * after the marks; IN there is three marks (in_as_marks).
 */
void
plan_extract_marks(PState *ps, Query *q)
{
	MarkCtx		ctx = {ps, q};
	List	   *keep = NIL;
	ListCell   *lc;
	int			before;

	if (!q->hasSubLinks)
		return;
	/* conjuncts that read a correlated scalar (pullup.c) are applied after the marks already */
	foreach(lc, ps->post_quals)
		lfirst(lc) = mark_mutator(lfirst(lc), &ctx);
	foreach(lc, q->jointree->quals ? make_ands_implicit((Expr *) q->jointree->quals) : NIL)
	{
		before = list_length(ps->marks);
		{
			Node	   *c = mark_mutator(lfirst(lc), &ctx);

			if (list_length(ps->marks) > before)
				ps->post_quals = lappend(ps->post_quals, c);
			else
				keep = lappend(keep, c);
		}
	}
	q->jointree->quals = keep ? (Node *) make_ands_explicit(keep) : NULL;
	if (!q->hasAggs && !q->groupClause && !q->hasWindowFuncs)
		q->targetList = (List *) mark_mutator((Node *) q->targetList, &ctx);
	q->hasSubLinks = checkExprHasSubLink((Node *) q->targetList) ||
		checkExprHasSubLink(q->jointree->quals) || checkExprHasSubLink(q->havingQual) ||
		checkExprHasSubLink((Node *) ps->post_quals);
}

/* cur's rows with one more column, the constant flag. */
static Op *
append_flag(Op *cur, bool flag)
{
	List	   *exprs = NIL;
	ListCell   *lc;
	Op		   *map;
	int			i;

	for (i = 0; i < cur->desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(cur->desc, i);

		exprs = lappend(exprs, makeVar(1, i + 1, att->atttypid, att->atttypmod, att->attcollation, 0));
	}
	exprs = lappend(exprs, makeBoolConst(flag, false));
	map = op_make(OP_MAP, plan_desc_for_exprs(exprs));
	map->left = cur;
	map->nexprs = list_length(exprs);
	map->exprs = palloc0(sizeof(ExprState *) * (map->nexprs + 1));
	foreach(lc, exprs)
		map->exprs[foreach_current_index(lc)] = ExecInitExpr((Expr *) lfirst(lc), NULL);
	plan_op_slots(map);
	return map;
}

/*
 * After the scope: each mark as the union of the semi-join (flag true) and
 * the anti-join (flag false) of the rows so far; then the WHERE conjuncts
 * that read marks.
 */
Op *
plan_apply_marks(PState *ps, Op *cur)
{
	ListCell   *lc;

	foreach(lc, ps->marks)
	{
		MarkJoin   *m = lfirst(lc);
		SemiJoin   *yes = copyObject_semi(m->sj, false);
		SemiJoin   *no = copyObject_semi(m->sj, true);
		Op		   *u = op_make(OP_UNION, NULL);
		int			flagcol = cur->desc->natts;

		u->left = append_flag(plan_apply_semi(ps, cur, yes), true);
		u->right = append_flag(plan_apply_semi(ps, cur, no), false);
		u->desc = CreateTupleDescCopy(u->left->desc);
		plan_op_slots(u);
		ps->layout.pos[m->rti][1] = flagcol;
		cur = u;
	}
	if (ps->post_quals)
		cur = filter_on(ps, cur, (Node *) make_ands_explicit(ps->post_quals));
	return cur;
}

/* Split the WHERE clause: [NOT] EXISTS / IN conjuncts out, the rest stays. */
List *
plan_extract_semis(PState *ps, Query *q)
{
	List	   *semis = NIL,
			   *keep = NIL;
	ListCell   *lc;

	if (!q->hasSubLinks || q->jointree->quals == NULL)
		return NIL;
	foreach(lc, make_ands_implicit((Expr *) q->jointree->quals))
	{
		Node	   *c = lfirst(lc);
		Node	   *inner = is_notclause(c) ? (Node *) get_notclausearg((Expr *) c) : c;

		if (IsA(inner, SubLink))
			semis = lappend(semis, make_semi(ps, c));
		else
			keep = lappend(keep, c);
	}
	q->jointree->quals = (Node *) make_ands_explicit(keep);
	/* (the conjuncts that read a correlated scalar, pullup.c, count too) */
	q->hasSubLinks = checkExprHasSubLink((Node *) q->targetList) ||
		checkExprHasSubLink(q->jointree->quals) || checkExprHasSubLink(q->havingQual) ||
		checkExprHasSubLink((Node *) ps->post_quals);
	return semis;
}


