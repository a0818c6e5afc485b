/*
 * lateral.c
 *	  LATERAL subqueries with ORDER BY ... LIMIT k correlated with the row
 *	  around them: the as-of join and the nearest neighbours.
 *
 *   FROM t LEFT JOIN LATERAL (SELECT p.price FROM prices p
 *                             WHERE p.sym = t.sym AND p.ts <= t.ts
 *                             ORDER BY p.ts DESC LIMIT 1) p ON true
 *
 * The subquery is taken apart: its equality correlations (p.sym = t.sym)
 * become the keys that partition the candidates, its conditions that read
 * only its own tables stay in it, and what is left of it (the candidates:
 * the inner sides of the keys and every column the rest reads) is planned
 * as an ordinary subquery.  The other correlated conditions (p.ts <= t.ts),
 * the ORDER BY keys and the select list become expressions over the pair
 * "outer row ++ candidate", evaluated by the OP_LATERAL operator
 * (engine/lateral.h) that keeps each outer row's answer.
 */
#include "postgres.h"

#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_clause.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "utils/sortsupport.h"

#include "engine/lateral.h"
#include "engine/vector.h"
#include "plan/internal.h"

typedef struct CollectCtx
{
	List	   *vars;			/* distinct Vars of the subquery's own level */
} CollectCtx;

static bool
collect_vars(Node *node, CollectCtx *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var) && ((Var *) node)->varlevelsup == 0)
	{
		if (!list_member(ctx->vars, node))
			ctx->vars = lappend(ctx->vars, node);
		return false;
	}
	return expression_tree_walker(node, collect_vars, (void *) ctx);
}

static int
list_index_of(List *list, void *node)
{
	ListCell   *lc;

	foreach(lc, list)
		if (equal(lfirst(lc), node))
			return foreach_current_index(lc);
	return -1;
}

typedef struct MoveCtx
{
	List	   *vars;			/* the subquery's Vars, in candidate column order */
	int			candrti;
	int			nkeys;
} MoveCtx;

/* From the subquery's level to the outer one: its Vars read the candidates. */
static Node *
move_mutator(Node *node, MoveCtx *ctx)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var))
	{
		Var		   *v = (Var *) node;

		if (v->varlevelsup == 0)
		{
			int			i = list_index_of(ctx->vars, node);

			Assert(i >= 0);
			return (Node *) makeVar(ctx->candrti, ctx->nkeys + i + 1, v->vartype, v->vartypmod,
									v->varcollid, 0);
		}
		v = copyObject(v);
		v->varlevelsup--;
		return (Node *) v;
	}
	return expression_tree_mutator(node, move_mutator, (void *) ctx);
}

static bool
outer_only(Node *n)
{
	return contain_vars_of_level(n, 1) && !contain_vars_of_level(n, 0);
}

/*
 * Register the LATERAL subquery at rti (correlated, with LIMIT or OFFSET)
 * for plan_apply_lateral, or refuse it.  parent is the join expression or
 * FROM list it is a direct child of.
 */
void
plan_prepare_lateral(PState *ps, Query *q, int rti, Node *parent)
{
	RangeTblEntry *rte = rt_fetch(rti, q->rtable);
	Query	   *sub = rte->subquery;
	Query	   *cand;
	LateralTopK *lt = palloc0(sizeof(LateralTopK));
	List	   *keep = NIL,
			   *inner_keys = NIL,
			   *quals = NIL,
			   *tl = NIL,
			   *colnames = NIL;
	CollectCtx	cc = {NIL};
	MoveCtx		mc;
	ListCell   *lc;
	RangeTblEntry *crte;
	int			resno = 0;

	if (sub->hasAggs || sub->groupClause || sub->distinctClause || sub->hasWindowFuncs ||
		sub->setOperations || sub->cteList || sub->hasTargetSRFs || sub->havingQual ||
		sub->hasSubLinks || sub->groupingSets)
		plan_refuse(ps->name, "A LATERAL subquery with LIMIT that groups, aggregates, uses DISTINCT, window functions, set operations, subqueries or WITH",
			   "Keep the correlated ORDER BY ... LIMIT subquery to a join with conditions, and group outside it.");
	if (sub->sortClause == NIL)
		plan_refuse(ps->name, "A LATERAL subquery with LIMIT but no ORDER BY",
			   "Add an ORDER BY that decides which rows are kept, ending with a unique column so that ties cannot change the answer.");
	if (IsA(parent, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) parent;

		if (j->jointype == JOIN_LEFT && j->quals != NULL &&
			!(IsA(j->quals, Const) && !((Const *) j->quals)->constisnull &&
			  DatumGetBool(((Const *) j->quals)->constvalue)))
			plan_refuse(ps->name, "A condition in the ON of a LEFT JOIN LATERAL (... LIMIT ...)",
				   "Write ON true: conditions on the subquery's rows belong in its WHERE (where they choose the rows kept) or in the outer WHERE.");
	}
	if (sub->hasRowSecurity)
		plan_refuse(ps->name, "A table with row-level security as a source", NULL);
	if (sub->jointree->fromlist == NIL)
		plan_refuse(ps->name, "A LATERAL subquery without FROM", NULL);

	/* join alias Vars of the subquery read its tables */
	sub = copyObject(sub);
	sub->targetList = (List *) flatten_join_alias_vars(sub, (Node *) sub->targetList);
	sub->jointree = (FromExpr *) flatten_join_alias_vars(sub, (Node *) sub->jointree);

	plan_limit_bounds(ps, sub, &lt->offset, &lt->count, &lt->with_ties);

	/* WHERE: own conditions, equality correlations, other correlations */
	foreach(lc, sub->jointree->quals ? make_ands_implicit((Expr *) sub->jointree->quals) : NIL)
	{
		Node	   *c = lfirst(lc);

		if (!contain_vars_of_level(c, 1))
		{
			keep = lappend(keep, c);
			continue;
		}
		if (IsA(c, OpExpr) && list_length(((OpExpr *) c)->args) == 2)
		{
			OpExpr	   *op = (OpExpr *) c;
			Node	   *a = linitial(op->args);
			Node	   *b = lsecond(op->args);
			Node	   *outer = NULL,
					   *in = NULL;
			Oid			eqop = InvalidOid;

			if (outer_only(a) && !contain_vars_of_level(b, 1) && contain_vars_of_level(b, 0))
				outer = a, in = b;
			else if (outer_only(b) && !contain_vars_of_level(a, 1) && contain_vars_of_level(a, 0))
				outer = b, in = a;
			if (outer)
				eqop = plan_same_type_equality(op, &outer, &in);
			if (OidIsValid(eqop))
			{
				outer = copyObject(outer);
				IncrementVarSublevelsUp(outer, -1, 1);
				lt->lkeys = lappend(lt->lkeys, outer);
				lt->eqops = lappend_oid(lt->eqops, eqop);
				inner_keys = lappend(inner_keys, in);
				continue;
			}
		}
		quals = lappend(quals, c);
	}
	lt->nkeys = list_length(inner_keys);

	/* the candidates' columns: the keys, then every column the rest reads */
	(void) collect_vars((Node *) quals, &cc);
	foreach(lc, sub->sortClause)
		(void) collect_vars((Node *) get_sortgroupclause_expr(lfirst(lc), sub->targetList), &cc);
	(void) collect_vars((Node *) sub->targetList, &cc);
	foreach(lc, inner_keys)
	{
		resno++;
		tl = lappend(tl, makeTargetEntry(lfirst(lc), resno, psprintf("k%d", resno), false));
		colnames = lappend(colnames, makeString(psprintf("k%d", resno)));
	}
	foreach(lc, cc.vars)
	{
		resno++;
		tl = lappend(tl, makeTargetEntry(copyObject(lfirst(lc)), resno, psprintf("c%d", resno), false));
		colnames = lappend(colnames, makeString(psprintf("c%d", resno)));
	}
	if (tl == NIL)
	{
		/* nothing read: one constant column keeps the candidates' count */
		tl = list_make1(makeTargetEntry((Expr *) makeBoolConst(true, false), 1, "c1", false));
		colnames = list_make1(makeString("c1"));
	}

	cand = copyObject(sub);
	cand->jointree->quals = keep ? (Node *) make_ands_explicit(keep) : NULL;
	cand->targetList = tl;
	cand->sortClause = NIL;
	cand->limitCount = NULL;
	cand->limitOffset = NULL;
	cand->limitOption = LIMIT_OPTION_DEFAULT;
	if (contain_vars_of_level((Node *) cand, 1))
		plan_refuse(ps->name, "An outer reference in a LATERAL subquery with LIMIT other than in its WHERE, ORDER BY or select list",
			   "Correlate the subquery in its WHERE.");

	crte = makeNode(RangeTblEntry);
	crte->rtekind = RTE_SUBQUERY;
	crte->subquery = cand;
	crte->eref = makeAlias("lateral_candidates", colnames);
	crte->inFromCl = false;
	q->rtable = lappend(q->rtable, crte);
	lt->rti = rti;
	lt->candrti = list_length(q->rtable);

	/* everything else moves to this level, reading the candidates */
	mc.vars = cc.vars;
	mc.candrti = lt->candrti;
	mc.nkeys = lt->nkeys;
	lt->quals = (List *) move_mutator((Node *) quals, &mc);
	foreach(lc, sub->sortClause)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		Node	   *e = get_sortgroupclause_expr(sgc, sub->targetList);

		if (!OidIsValid(sgc->sortop))
			plan_refuse(ps->name, "ORDER BY on a type without ordering", NULL);
		lt->sortexprs = lappend(lt->sortexprs, move_mutator(e, &mc));
		lt->sortclauses = lappend(lt->sortclauses, sgc);
	}
	foreach(lc, sub->targetList)
		lt->outexprs = lappend(lt->outexprs,
							   move_mutator((Node *) lfirst_node(TargetEntry, lc)->expr, &mc));
	plan_check_expression(ps, (Node *) lt->quals);
	plan_check_expression(ps, (Node *) lt->sortexprs);
	plan_check_expression(ps, (Node *) lt->outexprs);
	plan_check_expression(ps, (Node *) lt->lkeys);

	lt->outer_rels = bms_del_member(pull_varnos(NULL, (Node *) list_make4(lt->quals, lt->sortexprs,
																		   lt->outexprs, lt->lkeys)),
									lt->candrti);
	ps->laterals = lappend(ps->laterals, lt);
	rte->lateral = false;
}

LateralTopK *
plan_lateral_of(PState *ps, int rti)
{
	ListCell   *lc;

	foreach(lc, ps->laterals)
		if (((LateralTopK *) lfirst(lc))->rti == rti)
			return lfirst(lc);
	return NULL;
}

/* What the LATERAL subqueries read of this level (for the sources' columns). */
List *
plan_lateral_exprs(PState *ps)
{
	List	   *exprs = NIL;
	ListCell   *lc;

	foreach(lc, ps->laterals)
	{
		LateralTopK *lt = lfirst(lc);

		exprs = lappend(exprs, list_make4(lt->quals, lt->sortexprs, lt->outexprs, lt->lkeys));
	}
	return exprs;
}

/*
 * The nearest-neighbour fast path: the first ORDER BY key is
 * pathway.l2_distance / cosine_distance / inner_product of a candidate
 * column and a column of the outer row (in either order).  Called while
 * the layout holds the pair row.
 */
static void
fast_path(PState *ps, LateralSpec *ls, Node *key, int candrti, int nl)
{
	FuncExpr   *f;
	FmgrInfo	fi;
	VectorKind	kind;
	Var		   *v[2];
	int			i,
				cand = -1,
				outer = -1;

	if (!IsA(key, FuncExpr) || list_length(((FuncExpr *) key)->args) != 2)
		return;
	f = (FuncExpr *) key;
	fmgr_info(f->funcid, &fi);
	if ((kind = op_vector_kind(fi.fn_addr)) == VECTOR_NONE)
		return;
	for (i = 0; i < 2; i++)
	{
		Node	   *arg = list_nth(f->args, i);
		int			pos;

		if (!IsA(arg, Var) || ((Var *) arg)->varlevelsup != 0)
			return;
		v[i] = (Var *) arg;
		if (v[i]->varno > ps->layout.nrels || v[i]->varattno <= 0 ||
			v[i]->varattno > ps->layout.natts[v[i]->varno] ||
			(pos = ps->layout.pos[v[i]->varno][v[i]->varattno]) < 0)
			return;
		if (v[i]->varno == candrti)
			cand = pos;
		else
			outer = pos;
	}
	if (cand < nl || outer < 0 || outer >= nl)
		return;
	ls->fast = kind;
	ls->fast_outer_col = outer;
	ls->fast_cand_col = cand - nl;
}

/*
 * The OP_LATERAL operator over the rows built so far (which hold every
 * table the subquery reads): their columns, then the subquery's select list.
 */
Op *
plan_apply_lateral(PState *ps, Op *left, LateralTopK *lt, bool pad)
{
	Query	   *q = ps->query;
	LateralSpec *ls = palloc0(sizeof(LateralSpec));
	Op		   *cand;
	Op		   *op;
	TupleDesc	desc,
				outdesc;
	List	   *rkeys = NIL;
	List	   *sortexprs,
			   *outexprs,
			   *quals,
			   *lkeys;
	int			nl = left->desc->natts,
				ncand,
				i,
				k;
	ListCell   *lc;

	/* the outer side's join alias Vars read its tables */
	sortexprs = (List *) flatten_join_alias_vars(q, (Node *) lt->sortexprs);
	outexprs = (List *) flatten_join_alias_vars(q, (Node *) lt->outexprs);
	quals = (List *) flatten_join_alias_vars(q, (Node *) lt->quals);
	lkeys = (List *) flatten_join_alias_vars(q, (Node *) lt->lkeys);

	cand = ps->plan_subquery(ps, rt_fetch(lt->candrti, q->rtable)->subquery);
	ncand = cand->desc->natts;
	for (k = 1; k <= lt->nkeys; k++)
	{
		Form_pg_attribute att = TupleDescAttr(cand->desc, k - 1);

		rkeys = lappend(rkeys, makeVar(lt->candrti, k, att->atttypid, att->atttypmod,
									   att->attcollation, 0));
	}

	outdesc = plan_desc_for_exprs(outexprs);
	desc = CreateTemplateTupleDesc(nl + outdesc->natts);
	for (i = 0; i < nl; i++)
		TupleDescCopyEntry(desc, i + 1, left->desc, i + 1);
	for (i = 0; i < outdesc->natts; i++)
	{
		TupleDescCopyEntry(desc, nl + i + 1, outdesc, i + 1);
		TupleDescAttr(desc, nl + i)->attnotnull = false;
	}
	op = op_make(OP_LATERAL, desc);
	op->left = left;
	op->right = cand;
	plan_op_slots(op);
	op->lateral = ls;

	/* keys: the outer side over the outer rows, the inner over the candidates */
	op->keys = plan_keyspec_for_ops(lkeys, lt->eqops);
	op->keys->nulls_match = false;
	op->lkeys = palloc0(sizeof(ExprState *) * (lt->nkeys + 1));
	op->rkeys = palloc0(sizeof(ExprState *) * (lt->nkeys + 1));
	foreach(lc, lkeys)
		op->lkeys[foreach_current_index(lc)] = plan_compile_expr(lfirst(lc), &ps->layout, NIL);
	for (k = 1; k <= ps->layout.natts[lt->candrti]; k++)
		ps->layout.pos[lt->candrti][k] = k <= ncand ? k - 1 : -1;
	foreach(lc, rkeys)
		op->rkeys[foreach_current_index(lc)] = plan_compile_expr(lfirst(lc), &ps->layout, NIL);
	op->larr = arrangement_create(CurrentMemoryContext, "pathway lateral outer", op->keys, true);
	op->rarr = arrangement_create(CurrentMemoryContext, "pathway lateral candidates", op->keys, true);

	/* everything else over the pair: outer row ++ candidate */
	for (k = 1; k <= ps->layout.natts[lt->candrti]; k++)
		if (ps->layout.pos[lt->candrti][k] >= 0)
			ps->layout.pos[lt->candrti][k] += nl;
	ls->pairdesc = CreateTemplateTupleDesc(nl + ncand);
	for (i = 0; i < nl; i++)
		TupleDescCopyEntry(ls->pairdesc, i + 1, left->desc, i + 1);
	for (i = 0; i < ncand; i++)
		TupleDescCopyEntry(ls->pairdesc, nl + i + 1, cand->desc, i + 1);
	ls->qual = quals ? plan_compile_qual(quals, &ps->layout, NIL) : NULL;
	ls->nsort = list_length(sortexprs);
	ls->sortexprs = palloc0(sizeof(ExprState *) * (ls->nsort + 1));
	ls->sortkeys = palloc0(sizeof(SortSupportData) * (ls->nsort + 1));
	i = 0;
	foreach(lc, sortexprs)
	{
		SortGroupClause *sgc = list_nth_node(SortGroupClause, lt->sortclauses, i);
		SortSupport ssup = &ls->sortkeys[i];

		ls->sortexprs[i] = plan_compile_expr(lfirst(lc), &ps->layout, NIL);
		ssup->ssup_cxt = CurrentMemoryContext;
		ssup->ssup_collation = exprCollation(lfirst(lc));
		ssup->ssup_nulls_first = sgc->nulls_first;
		PrepareSortSupportFromOrderingOp(sgc->sortop, ssup);
		i++;
	}
	fast_path(ps, ls, linitial(sortexprs), lt->candrti, nl);
	ls->nout = list_length(outexprs);
	ls->outexprs = palloc0(sizeof(ExprState *) * (ls->nout + 1));
	foreach(lc, outexprs)
		ls->outexprs[foreach_current_index(lc)] = plan_compile_expr(lfirst(lc), &ps->layout, NIL);
	ls->entrydesc = plan_desc_for_exprs(list_concat_copy(sortexprs, outexprs));
	ls->offset = lt->offset;
	ls->count = lt->count;
	ls->with_ties = lt->with_ties;
	ls->pad = pad;
	op_init_lateral(op);

	/* the candidates' columns are gone; the subquery's select list follows the outer row */
	for (k = 1; k <= ps->layout.natts[lt->candrti]; k++)
		ps->layout.pos[lt->candrti][k] = -1;
	for (k = 1; k <= ps->layout.natts[lt->rti]; k++)
		ps->layout.pos[lt->rti][k] = k <= ls->nout ? nl + k - 1 : -1;
	return op;
}
