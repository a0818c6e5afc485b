/*
 * outer_magic.c
 *	  An outer join whose condition the join operator cannot take (a
 *	  non-equality between the sides, t LEFT JOIN s ON s.b < t.b, or a
 *	  condition on the preserved side) rewritten into one it can, through
 *	  the distinct values of the preserved side that the condition reads
 *	  (a magic set, as decorrelate_magic.c does for subqueries):
 *
 *	    A LEFT JOIN B ON cond(A.o1..on, B)
 *	  = A LEFT JOIN (SELECT B.*, M.o1..on
 *	                 FROM B JOIN (SELECT DISTINCT o1..on FROM A) M
 *	                   ON cond(M.o1..on, B)) P
 *	      ON A.o1 = P.o1 AND ... AND A.on = P.on
 *
 * Each row of A meets exactly the rows of B its own values meet, once each
 * (M is distinct), and a row that meets none is padded with NULLs.  A FULL
 * join (on an equality and other conditions) takes P = B LEFT JOIN M ON
 * cond(M, B): a row of B without a partner has NULL values in P, meets no
 * row of A at the join back, and is padded as the FULL join pads it.  B's
 * range table entry becomes P in place, its columns first, so every
 * reference to B's columns reads P's unchanged.  The equalities of the
 * condition become join keys of B with M (join.c finds them), the rest a
 * filter on the pairs.
 *
 * Taken only where that is exactly PostgreSQL's answer:
 *   - every conjunct that reads A is strict, so a row whose oi is NULL
 *     meets no row of B, as the plain equality of the join back gives;
 *   - each oi is a column of a type whose equal values are identical
 *     (integers, text of a deterministic collation, dates, timestamps,
 *     booleans, uuid), or a numeric read only as an operand of btree
 *     comparisons: M keeps one value per class of equal values, and the
 *     condition must not tell them apart;
 *   - B is a table or a subquery, A a table, a subquery or a join of
 *     them, none reading anything outside itself (nothing LATERAL, no
 *     outer reference), and the condition holds no subquery, volatile
 *     function or aggregate.
 * Anything else keeps the refusal of join.c.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/prep.h"
#include "parser/parse_oper.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "utils/lsyscache.h"

#include "plan/internal.h"

/* Does node read a level above the one it starts at (*depth 0)? */
static bool
outer_ref_walker(Node *node, int *depth)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return ((Var *) node)->varlevelsup > *depth;
	if (IsA(node, Aggref))
		return ((Aggref *) node)->agglevelsup > *depth;
	if (IsA(node, GroupingFunc))
		return ((GroupingFunc *) node)->agglevelsup > *depth;
	if (IsA(node, PlaceHolderVar))
		return ((PlaceHolderVar *) node)->phlevelsup > *depth;
	if (IsA(node, Query))
	{
		bool		r;

		(*depth)++;
		r = query_tree_walker((Query *) node, outer_ref_walker, depth, 0);
		(*depth)--;
		return r;
	}
	return expression_tree_walker(node, outer_ref_walker, depth);
}

/*
 * May an entry be copied into the rewrite's subqueries, a level or two
 * deeper?  Tables, joins, and subqueries that read nothing outside
 * themselves (nothing lateral, no outer reference).
 */
static bool
copyable(RangeTblEntry *rte)
{
	int			depth = 0;

	if (rte->lateral || rte->tablesample)
		return false;
	if (rte->rtekind == RTE_RELATION || rte->rtekind == RTE_JOIN)
		return true;
	return rte->rtekind == RTE_SUBQUERY &&
		!query_tree_walker(rte->subquery, outer_ref_walker, &depth, 0);
}

/* Are the items of the tree such entries? */
static bool
tables_only(Query *q, Bitmapset *rels)
{
	int			i = -1;

	while ((i = bms_next_member(rels, i)) >= 0)
		if (!copyable(rt_fetch(i, q->rtable)))
			return false;
	return true;
}

/* Does c, read by join.c as a condition of B against A, go to the join as it is? */
static bool
join_takes(Node *c, Bitmapset *arels, Bitmapset *brels)
{
	Node	   *akey,
			   *bkey;
	Oid			eqop;

	return bms_is_subset(pull_varnos(NULL, c), brels) ||
		plan_equality_between(c, arels, brels, &akey, &bkey, &eqop);
}

/* A type whose equal values are identical, and its collation deterministic. */
static bool
identity_type(Var *v)
{
	switch (v->vartype)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case BOOLOID:
		case DATEOID:
		case TIMEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case UUIDOID:
			return true;
		case TEXTOID:
		case VARCHAROID:
			return OidIsValid(v->varcollid) && get_collation_isdeterministic(v->varcollid);
		default:
			return false;
	}
}

typedef struct OuterRepointCtx
{
	Bitmapset  *arels;
	List	   *ovars;			/* distinct Vars of A, in order found */
	int			m_rti;			/* their replacement: columns of M */
	bool		bad;
	bool		compared;		/* the Var at hand is an operand of a btree comparison */
} OuterRepointCtx;

/*
 * numeric: equal values (1.0, 1.00) differ in their scale, which arithmetic
 * can show (a quotient's digits), but no comparison with another value
 * does: taken where it is an operand of a btree comparison itself.
 */
static bool
equal_class_type(Var *v, bool compared)
{
	return compared && v->vartype == NUMERICOID;
}

/* An operator of a btree operator family (<, <=, =, >=, >, and <> as its negator)? */
static bool
btree_comparison(OpExpr *op)
{
	List	   *interp;
	Oid			neg;

	if (list_length(op->args) != 2)
		return false;
	interp = get_op_btree_interpretation(op->opno);
	if (interp != NIL)
		return true;
	neg = get_negator(op->opno);
	return OidIsValid(neg) && get_op_btree_interpretation(neg) != NIL;
}

/* cond with A's Vars read from M (collecting them) */
static Node *
repoint_mutator(Node *node, OuterRepointCtx *ctx)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var) && ((Var *) node)->varlevelsup == 0 &&
		bms_is_member(((Var *) node)->varno, ctx->arels))
	{
		Var		   *v = (Var *) node;
		ListCell   *lc;
		int			i = 0;

		if (v->varattno <= 0 || !(identity_type(v) || equal_class_type(v, ctx->compared)))
		{
			ctx->bad = true;
			return node;
		}
		foreach(lc, ctx->ovars)
		{
			Var		   *w = lfirst(lc);

			i++;
			if (w->varno == v->varno && w->varattno == v->varattno)
				return (Node *) makeVar(ctx->m_rti, i, v->vartype, v->vartypmod, v->varcollid, 0);
		}
		ctx->ovars = lappend(ctx->ovars, copyObject(v));
		return (Node *) makeVar(ctx->m_rti, list_length(ctx->ovars), v->vartype, v->vartypmod,
								v->varcollid, 0);
	}
	if (IsA(node, OpExpr) && btree_comparison((OpExpr *) node))
	{
		OpExpr	   *op = (OpExpr *) copyObject(node);
		ListCell   *lc;

		/* (only the operands themselves: deeper, the flag is off again) */
		foreach(lc, op->args)
		{
			bool		save = ctx->compared;

			ctx->compared = IsA(lfirst(lc), Var);
			lfirst(lc) = repoint_mutator(lfirst(lc), ctx);
			ctx->compared = save;
		}
		return (Node *) op;
	}
	{
		bool		save = ctx->compared;
		Node	   *r;

		ctx->compared = false;
		r = expression_tree_mutator(node, repoint_mutator, ctx);
		ctx->compared = save;
		return r;
	}
}

/* SELECT DISTINCT ovars FROM <A's tree> (the query's range table, copied) */
static Query *
magic_set(Query *q, Node *atree, List *ovars)
{
	Query	   *m = makeNode(Query);
	ListCell   *lc;
	int			i = 0;

	m->commandType = CMD_SELECT;
	m->querySource = QSRC_ORIGINAL;
	m->canSetTag = true;
	m->rtable = copyObject(q->rtable);
	m->jointree = makeFromExpr(list_make1(copyObject(atree)), NULL);
	foreach(lc, ovars)
	{
		Var		   *v = copyObject(lfirst(lc));
		TargetEntry *te;
		SortGroupClause *sgc = makeNode(SortGroupClause);
		Oid			lt,
					eq,
					gt;
		bool		hashable;

		i++;
		v->location = -1;
		te = makeTargetEntry((Expr *) v, i, psprintf("pathway_o%d", i), false);
		te->ressortgroupref = i;
		m->targetList = lappend(m->targetList, te);
		get_sort_group_operators(v->vartype, false, true, false, &lt, &eq, &gt, &hashable);
		sgc->tleSortGroupRef = i;
		sgc->eqop = eq;
		sgc->sortop = lt;
		sgc->nulls_first = false;
		sgc->hashable = hashable;
		m->distinctClause = lappend(m->distinctClause, sgc);
	}
	return m;
}

static RangeTblEntry *
subquery_rte(Query *sub, char *name, List *colnames)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);

	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = sub;
	rte->alias = NULL;
	rte->eref = makeAlias(name, colnames);
	rte->inFromCl = true;
	return rte;
}

/*
 * Rewrite join j (LEFT, or RIGHT with its sides swapped in the reading)
 * if its condition needs it and may be rewritten.  aside/bside are its
 * preserved and nullable sides.  full: a FULL join, whose B rows without
 * a partner are kept too: P is then B LEFT JOIN M ON cond(M, B) (itself
 * rewritten so when its level is planned), whose rows without a match
 * have NULL values and so meet no row of A at the join back.
 */
static void
rewrite_join(Query *q, JoinExpr *j, Node *aside, Node *bside, bool full)
{
	int			b_rti;
	RangeTblEntry *brte;
	Bitmapset  *arels,
			   *brels;
	List	   *conds;
	ListCell   *lc;
	bool		needed = false;
	OuterRepointCtx	ctx;
	Node	   *pcond;
	Query	   *p;
	Query	   *m;
	List	   *colnames = NIL;
	List	   *keys = NIL;
	int			natts,
				i;

	if (j->quals == NULL || !IsA(bside, RangeTblRef))
		return;
	b_rti = ((RangeTblRef *) bside)->rtindex;
	brte = rt_fetch(b_rti, q->rtable);
	if ((brte->rtekind != RTE_RELATION && brte->rtekind != RTE_SUBQUERY) || !copyable(brte))
		return;
	arels = get_relids_in_jointree(aside, true);	/* (USING's merged columns: the join's own entry) */
	brels = bms_make_singleton(b_rti);
	if (!tables_only(q, arels))
		return;
	conds = make_ands_implicit((Expr *) j->quals);
	foreach(lc, conds)
	{
		Node	   *akey,
				   *bkey;
		Oid			eqop;

		/* (a FULL join takes equalities between the sides only) */
		if (full ? !plan_equality_between(lfirst(lc), arels, brels, &akey, &bkey, &eqop)
			: !join_takes(lfirst(lc), arels, brels))
			needed = true;
	}
	if (!needed)
		return;
	if (checkExprHasSubLink(j->quals) || contain_volatile_functions(j->quals) ||
		contain_agg_clause(j->quals) || contain_window_function(j->quals) ||
		contain_vars_of_level(j->quals, 1))
		return;
	/* every conjunct that reads A is strict, and reads no other table than A and B */
	foreach(lc, conds)
	{
		Bitmapset  *r = pull_varnos(NULL, lfirst(lc));

		if (!bms_is_subset(r, bms_union(arels, brels)))
			return;
		if (bms_overlap(r, arels) && contain_nonstrict_functions(lfirst(lc)))
			return;
	}

	/* P = SELECT B.*, M.* FROM B, M WHERE cond(M, B), over a copy of the range table */
	memset(&ctx, 0, sizeof(ctx));
	ctx.arels = arels;
	ctx.m_rti = list_length(q->rtable) + 1;
	pcond = repoint_mutator(copyObject(j->quals), &ctx);
	if (ctx.bad || ctx.ovars == NIL)
		return;
	m = magic_set(q, aside, ctx.ovars);

	p = makeNode(Query);
	p->commandType = CMD_SELECT;
	p->querySource = QSRC_ORIGINAL;
	p->canSetTag = true;
	p->rtable = copyObject(q->rtable);
	{
		List	   *mcols = NIL;

		for (i = 1; i <= list_length(ctx.ovars); i++)
			mcols = lappend(mcols, makeString(psprintf("pathway_o%d", i)));
		p->rtable = lappend(p->rtable, subquery_rte(m, "pathway_magic", mcols));
	}
	if (full)
	{
		JoinExpr   *pj = makeNode(JoinExpr);

		pj->jointype = JOIN_LEFT;
		pj->larg = (Node *) makeNode(RangeTblRef);
		pj->rarg = (Node *) makeNode(RangeTblRef);
		((RangeTblRef *) pj->larg)->rtindex = b_rti;
		((RangeTblRef *) pj->rarg)->rtindex = ctx.m_rti;
		pj->quals = pcond;
		p->jointree = makeFromExpr(list_make1(pj), NULL);
	}
	else
	{
		p->jointree = makeFromExpr(list_make2(makeNode(RangeTblRef), makeNode(RangeTblRef)), pcond);
		((RangeTblRef *) linitial(p->jointree->fromlist))->rtindex = b_rti;
		((RangeTblRef *) lsecond(p->jointree->fromlist))->rtindex = ctx.m_rti;
	}
	natts = list_length(brte->eref->colnames);
	for (i = 1; i <= natts; i++)
	{
		Oid			type;
		int32		typmod;
		Oid			coll;
		Expr	   *e;
		char	   *name = strVal(list_nth(brte->eref->colnames, i - 1));

		if (brte->rtekind == RTE_SUBQUERY)
		{
			TargetEntry *te = list_nth(brte->subquery->targetList, i - 1);

			Assert(!te->resjunk);
			e = (Expr *) makeVar(b_rti, i, exprType((Node *) te->expr), exprTypmod((Node *) te->expr),
								 exprCollation((Node *) te->expr), 0);
		}
		else if (get_rte_attribute_is_dropped(brte, i))
			e = (Expr *) makeNullConst(INT4OID, -1, InvalidOid);
		else
		{
			get_atttypetypmodcoll(brte->relid, i, &type, &typmod, &coll);
			e = (Expr *) makeVar(b_rti, i, type, typmod, coll, 0);
		}
		p->targetList = lappend(p->targetList, makeTargetEntry(e, i, pstrdup(name), false));
		colnames = lappend(colnames, makeString(pstrdup(name)));
	}
	i = natts;
	foreach(lc, ctx.ovars)
	{
		Var		   *v = lfirst(lc);
		Var		   *mv = makeVar(ctx.m_rti, i - natts + 1, v->vartype, v->vartypmod, v->varcollid, 0);
		Var		   *pv;
		Oid			eq;

		i++;
		p->targetList = lappend(p->targetList,
								makeTargetEntry((Expr *) mv, i, psprintf("pathway_o%d", i - natts), false));
		colnames = lappend(colnames, makeString(psprintf("pathway_o%d", i - natts)));
		/* the join back: A's column = P's */
		pv = makeVar(b_rti, i, v->vartype, v->vartypmod, v->varcollid, 0);
		get_sort_group_operators(v->vartype, false, true, false, NULL, &eq, NULL, NULL);
		keys = lappend(keys, make_opclause(eq, BOOLOID, false, (Expr *) copyObject(v), (Expr *) pv,
										   InvalidOid, v->varcollid));
		set_opfuncid((OpExpr *) llast(keys));
	}

	/* B's entry becomes P in place; the join's condition the equalities */
	{
		RangeTblEntry *prte = subquery_rte(p, brte->eref->aliasname, colnames);

		prte->alias = brte->alias ? copyObject(brte->alias) : NULL;
		if (prte->alias)
			prte->alias->colnames = NIL;
		list_nth_cell(q->rtable, b_rti - 1)->ptr_value = prte;
	}
	j->quals = (Node *) make_ands_explicit(keys);
}

static void
walk(Query *q, Node *jt)
{
	if (jt == NULL)
		return;
	if (IsA(jt, FromExpr))
	{
		ListCell   *lc;

		foreach(lc, ((FromExpr *) jt)->fromlist)
			walk(q, lfirst(lc));
	}
	else if (IsA(jt, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jt;

		walk(q, j->larg);
		walk(q, j->rarg);
		if (j->jointype == JOIN_LEFT)
			rewrite_join(q, j, j->larg, j->rarg, false);
		else if (j->jointype == JOIN_RIGHT)
			rewrite_join(q, j, j->rarg, j->larg, false);
		else if (j->jointype == JOIN_FULL)
			rewrite_join(q, j, j->larg, j->rarg, true);
	}
}

/* (internal.h) */
void
plan_rewrite_outer_joins(Query *q)
{
	walk(q, (Node *) q->jointree);
}
