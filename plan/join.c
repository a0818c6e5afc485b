/*
 * plan_join.c
 *	  FROM and WHERE: sources, conditions, inner and outer joins, functions
 *	  in FROM, and [NOT] EXISTS / IN as semi- and anti-joins.
 *
 * A join scope (a FROM list with its inner joins) is built left-deep,
 * preferring at each step an item that has a join condition with what is
 * built; outer joins are built as units with their ON clause.  Each source
 * keeps only the columns the query reads, and a condition is applied as soon
 * as the rows it reads are there.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "catalog/pg_operator.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rewriteManip.h"
#include "parser/parse_agg.h"
#include "parser/parse_coerce.h"
#include "parser/parse_oper.h"
#include "parser/parse_node.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/sortsupport.h"
#include "utils/typcache.h"


#include "plan/internal.h"


/* ---------- sources, filters, joins ---------- */

static Op *
make_source(PState *ps, int rti, List *vars, ViewPlan *plan)
{
	RangeTblEntry *rte = rt_fetch(rti, ps->query->rtable);
	Relation	rel = table_open(rte->relid, AccessShareLock);
	TupleDesc	tdesc = RelationGetDescr(rel);
	Bitmapset  *atts = NULL;
	ListCell   *lc;
	Op		   *op;
	int			n = 0,
				a;

	foreach(lc, vars)
	{
		Var		   *v = lfirst_node(Var, lc);

		if (v->varno == rti)
			atts = bms_add_member(atts, v->varattno);
	}
	op = op_make(OP_SOURCE, CreateTemplateTupleDesc(bms_num_members(atts)));
	op->relid = rte->relid;
	op->nsrccols = bms_num_members(atts);
	op->srcattnos = palloc(sizeof(AttrNumber) * (op->nsrccols + 1));
	a = -1;
	while ((a = bms_next_member(atts, a)) >= 0)
	{
		TupleDescCopyEntry(op->desc, n + 1, tdesc, a);
		op->srcattnos[n] = a;
		ps->layout.pos[rti][a] = n;
		plan->columns = lappend_oid(plan->columns, rte->relid);
		plan->column_attnos = lappend_int(plan->column_attnos, a);
		n++;
	}
	table_close(rel, AccessShareLock);
	plan->sources = lappend(plan->sources, op);
	if (!list_member_oid(plan->relids, rte->relid))
		plan->relids = lappend_oid(plan->relids, rte->relid);
	return op;
}

/* Wrap op in a filter for the pending conjuncts that only read 'rels'. */
static Op *
apply_ready_quals(PState *ps, Op *op, Bitmapset *rels)
{
	List	   *ready = NIL;
	List	   *rest = NIL;
	ListCell   *lc;
	Op		   *f;

	foreach(lc, ps->pending)
	{
		Node	   *qual = lfirst(lc);

		if (bms_is_subset(pull_varnos(NULL, qual), rels))
			ready = lappend(ready, qual);
		else
			rest = lappend(rest, qual);
	}
	ps->pending = rest;
	if (ready == NIL)
		return op;
	f = op_make(OP_MAP, op->desc);
	f->left = op;
	f->qual = compile_qual(ready, &ps->layout, NIL);
	op_slots(f);
	return f;
}

/*
 * The hashable equality operator that decides "a = b" on one type, or
 * InvalidOid.  A cross-type equality (int4 = int8) is rewritten over the
 * common type, which both sides convert to exactly.
 */
static Oid
same_type_equality(OpExpr *op, Node **a, Node **b)
{
	Oid			ta = exprType(*a),
				tb = exprType(*b),
				common,
				eqop;
	ParseState *pstate;

	if (ta == tb)
		return op_hashjoinable(op->opno, ta) ? op->opno : InvalidOid;
	if (!op_hashjoinable(op->opno, ta) && !op_mergejoinable(op->opno, ta))
		return InvalidOid;
	pstate = make_parsestate(NULL);
	common = select_common_type(pstate, list_make2(*a, *b), NULL, NULL);
	if (!OidIsValid(common))
		return InvalidOid;
	eqop = lookup_type_cache(common, TYPECACHE_EQ_OPR)->eq_opr;
	if (!OidIsValid(eqop) || !op_hashjoinable(eqop, common))
		return InvalidOid;
	*a = coerce_to_common_type(pstate, *a, common, "JOIN");
	*b = coerce_to_common_type(pstate, *b, common, "JOIN");
	return eqop;
}

/*
 * Split off the equality conjuncts usable as hash keys between the rows
 * joined so far and table rti.  Returns the key expressions of each side.
 */
static void
find_join_keys(PState *ps, Bitmapset *right, List **lkeys, List **rkeys, List **eqops)
{
	List	   *rest = NIL;
	ListCell   *lc;

	foreach(lc, ps->pending)
	{
		Node	   *qual = lfirst(lc);
		OpExpr	   *op;
		Node	   *a,
				   *b;
		Bitmapset  *ra,
				   *rb;
		Oid			eqop;

		if (IsA(qual, OpExpr) && list_length(((OpExpr *) qual)->args) == 2)
		{
			op = (OpExpr *) qual;
			a = linitial(op->args);
			b = lsecond(op->args);
			ra = pull_varnos(NULL, a);
			rb = pull_varnos(NULL, b);
			eqop = same_type_equality(op, &a, &b);
			if (OidIsValid(eqop) && !bms_is_empty(ra) && !bms_is_empty(rb))
			{
				if (bms_is_subset(ra, ps->done_rels) && bms_is_subset(rb, right))
				{
					*lkeys = lappend(*lkeys, a);
					*rkeys = lappend(*rkeys, b);
					*eqops = lappend_oid(*eqops, eqop);
					continue;
				}
				if (bms_is_subset(rb, ps->done_rels) && bms_is_subset(ra, right))
				{
					*lkeys = lappend(*lkeys, b);
					*rkeys = lappend(*rkeys, a);
					*eqops = lappend_oid(*eqops, eqop);
					continue;
				}
			}
		}
		rest = lappend(rest, qual);
	}
	ps->pending = rest;
}

static bool
connects(PState *ps, Bitmapset *rels)
{
	ListCell   *lc;

	foreach(lc, ps->pending)
	{
		Bitmapset  *r = pull_varnos(NULL, lfirst(lc));

		if (bms_overlap(rels, r) && bms_overlap(r, ps->done_rels))
			return true;
	}
	return false;
}

KeySpec *
keyspec_for_ops(List *exprs, List *eqops)
{
	KeySpec    *ks = palloc0(sizeof(KeySpec));
	ListCell   *lc;
	int			n = list_length(exprs);

	ks->nkeys = n;
	ks->keydesc = desc_for_exprs(exprs);
	ks->hashfn = palloc0(sizeof(FmgrInfo) * (n + 1));
	ks->eqfn = palloc0(sizeof(FmgrInfo) * (n + 1));
	ks->collations = palloc0(sizeof(Oid) * (n + 1));
	foreach(lc, exprs)
	{
		int			i = foreach_current_index(lc);
		Oid			eqop = list_nth_oid(eqops, i);
		Oid			lhs,
					rhs;

		if (!get_op_hash_functions(eqop, &lhs, &rhs))
			elog(ERROR, "pathway: no hash function for operator %u", eqop);
		fmgr_info(lhs, &ks->hashfn[i]);
		fmgr_info(get_opcode(eqop), &ks->eqfn[i]);
		ks->collations[i] = exprCollation(lfirst(lc));
	}
	return ks;
}

/*
 * Join 'left' (the rows of ps->done_rels) and 'right' (the rows of 'rrels',
 * laid out from column 0) on the given keys; the right rows' columns move
 * after the left's.  pad_left/pad_right: LEFT/RIGHT/FULL outer joins.
 */
static Op *
make_join(PState *ps, Op *left, Op *right, Bitmapset *rrels, List *lkeys,
		  List *rkeys, List *eqops, bool pad_left, bool pad_right)
{
	int			nl = left->desc->natts,
				i,
				k,
				rti;
	TupleDesc	desc = CreateTemplateTupleDesc(nl + right->desc->natts);
	Op		   *join;
	ListCell   *lc;

	for (i = 0; i < nl; i++)
		TupleDescCopyEntry(desc, i + 1, left->desc, i + 1);
	for (i = 0; i < right->desc->natts; i++)
	{
		TupleDescCopyEntry(desc, nl + i + 1, right->desc, i + 1);
		/* a padded side's columns can be NULL whatever the table says */
		TupleDescAttr(desc, nl + i)->attnotnull = false;
	}
	join = op_make(OP_JOIN, desc);
	join->left = left;
	join->right = right;
	join->pad_left = pad_left;
	join->pad_right = pad_right;
	op_slots(join);
	join->keys = keyspec_for_ops(lkeys, eqops);
	join->keys->nulls_match = false;
	join->lkeys = palloc0(sizeof(ExprState *) * (list_length(lkeys) + 1));
	join->rkeys = palloc0(sizeof(ExprState *) * (list_length(rkeys) + 1));
	/* both sides' keys are compiled before the right side's columns move */
	foreach(lc, lkeys)
		join->lkeys[foreach_current_index(lc)] = compile_expr(lfirst(lc), &ps->layout, NIL);
	foreach(lc, rkeys)
		join->rkeys[foreach_current_index(lc)] = compile_expr(lfirst(lc), &ps->layout, NIL);
	join->larr = arrangement_create(CurrentMemoryContext, "pathway join left", join->keys, true);
	join->rarr = arrangement_create(CurrentMemoryContext, "pathway join right", join->keys, true);
	join->larr->track_touched = join->rarr->track_touched = (pad_left || pad_right);

	rti = -1;
	while ((rti = bms_next_member(rrels, rti)) >= 0)
		for (k = 0; k <= ps->layout.natts[rti]; k++)
			if (ps->layout.pos[rti][k] >= 0)
				ps->layout.pos[rti][k] += nl;
	return join;
}

/* The tables a function in FROM reads. */
static Bitmapset *
function_rels(PState *ps, int rti)
{
	RangeTblEntry *rte = rt_fetch(rti, ps->query->rtable);

	return pull_varnos(NULL, linitial_node(RangeTblFunction, rte->functions)->funcexpr);
}

/*
 * VALUES in FROM: a source of constant rows, computed here (the
 * expressions are constant: no column, nothing volatile) and given to every
 * build of the view; they never change.
 */
static Op *
make_values(PState *ps, int rti, ViewPlan *plan)
{
	RangeTblEntry *rte = rt_fetch(rti, ps->query->rtable);
	int			n = list_length(rte->coltypes);
	TupleDesc	desc = CreateTemplateTupleDesc(n);
	ExprContext *econtext = CreateStandaloneExprContext();
	Datum	   *v = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	ListCell   *lr,
			   *lc;
	Op		   *op;
	int			i;

	for (i = 0; i < n; i++)
	{
		TupleDescInitEntry(desc, i + 1, strVal(list_nth(rte->eref->colnames, i)),
						   list_nth_oid(rte->coltypes, i), list_nth_int(rte->coltypmods, i), 0);
		TupleDescInitEntryCollation(desc, i + 1, list_nth_oid(rte->colcollations, i));
		ps->layout.pos[rti][i + 1] = i;
	}
	op = op_make(OP_SOURCE, desc);
	op->relid = InvalidOid;
	op->nsrccols = n;
	op->srcattnos = palloc(sizeof(AttrNumber) * (n + 1));
	for (i = 0; i < n; i++)
		op->srcattnos[i] = i + 1;
	zbatch_init(&op->consts);
	foreach(lr, rte->values_lists)
	{
		foreach(lc, (List *) lfirst(lr))
		{
			ExprState  *es = ExecInitExpr(expression_planner((Expr *) lfirst(lc)), NULL);

			i = foreach_current_index(lc);
			v[i] = ExecEvalExprSwitchContext(es, econtext, &nulls[i]);
		}
		zbatch_add(&op->consts, row_form(desc, v, nulls), 1);
		ResetExprContext(econtext);
	}
	plan->sources = lappend(plan->sources, op);
	return op;
}

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

/* One constant row of no columns: what a function that reads no table expands. */
static Op *
make_unit(ViewPlan *plan)
{
	Op		   *op = op_make(OP_SOURCE, CreateTemplateTupleDesc(0));

	op->relid = InvalidOid;
	op->nsrccols = 0;
	op->srcattnos = palloc(sizeof(AttrNumber));
	zbatch_init(&op->consts);
	zbatch_add(&op->consts, row_form(op->desc, NULL, NULL), 1);
	plan->sources = lappend(plan->sources, op);
	return op;
}

static Op *make_flatmap(PState *ps, Op *cur, int rti);

/* A function in FROM that reads no table: its rows, computed at every build. */
static Op *
make_constant_function(PState *ps, int rti, ViewPlan *plan)
{
	return make_flatmap(ps, make_unit(plan), rti);
}

/* Each row of 'cur', extended by each row the function returns for it. */
static Op *
make_flatmap(PState *ps, Op *cur, int rti)
{
	RangeTblEntry *rte = rt_fetch(rti, ps->query->rtable);
	Node	   *fexpr = linitial_node(RangeTblFunction, rte->functions)->funcexpr;
	TupleDesc	fdesc;
	TupleDesc	desc;
	Oid			rettype;
	RepointCtx	ctx;
	Expr	   *e;
	Op		   *op;
	int			nl = cur->desc->natts,
				i;

	switch (get_expr_result_type(fexpr, &rettype, &fdesc))
	{
		case TYPEFUNC_COMPOSITE:
			fdesc = CreateTupleDescCopy(fdesc);
			break;
		case TYPEFUNC_SCALAR:
			fdesc = CreateTemplateTupleDesc(1);
			TupleDescInitEntry(fdesc, 1, NULL, exprType(fexpr), exprTypmod(fexpr), 0);
			TupleDescInitEntryCollation(fdesc, 1, exprCollation(fexpr));
			break;
		default:
			refuse(ps->name, "A function in FROM returning record", NULL);
	}
	desc = CreateTemplateTupleDesc(nl + fdesc->natts);
	for (i = 0; i < nl; i++)
		TupleDescCopyEntry(desc, i + 1, cur->desc, i + 1);
	for (i = 0; i < fdesc->natts; i++)
		TupleDescCopyEntry(desc, nl + i + 1, fdesc, i + 1);

	op = op_make(OP_FLATMAP, desc);
	op->left = cur;
	op_slots(op);
	op->fdesc = fdesc;
	op->fslot = MakeSingleTupleTableSlot(fdesc, &TTSOpsMinimalTuple);
	op->argcxt = AllocSetContextCreate(CurrentMemoryContext, "pathway function arguments",
									   ALLOCSET_SMALL_SIZES);
	ctx.layout = &ps->layout;
	ctx.exprs = NIL;
	e = expression_planner((Expr *) repoint_mutator(fexpr, &ctx));
	op->srf = ExecInitTableFunctionResult(e, op->econtext, NULL);

	for (i = 1; i <= fdesc->natts && i <= ps->layout.natts[rti]; i++)
		ps->layout.pos[rti][i] = nl + i - 1;
	return op;
}

/* An item of a join scope: a table, or an outer join built as a unit. */
typedef struct JoinItem
{
	int			rti;
	JoinExpr   *outer;
	Bitmapset  *rels;
} JoinItem;

static Bitmapset *
jointree_rels(Node *jt)
{
	Bitmapset  *rels = NULL;
	ListCell   *lc;

	if (IsA(jt, RangeTblRef))
		return bms_make_singleton(((RangeTblRef *) jt)->rtindex);
	if (IsA(jt, FromExpr))
		foreach(lc, ((FromExpr *) jt)->fromlist)
			rels = bms_join(rels, jointree_rels(lfirst(lc)));
	else if (IsA(jt, JoinExpr))
		rels = bms_join(jointree_rels(((JoinExpr *) jt)->larg),
						jointree_rels(((JoinExpr *) jt)->rarg));
	return rels;
}

/* Inner joins and FROM lists flatten into one scope; outer joins do not. */
static void
flatten_scope(Node *jt, List **items, List **quals)
{
	JoinItem   *it;

	if (IsA(jt, RangeTblRef))
	{
		it = palloc0(sizeof(JoinItem));
		it->rti = ((RangeTblRef *) jt)->rtindex;
		it->rels = bms_make_singleton(it->rti);
		*items = lappend(*items, it);
	}
	else if (IsA(jt, FromExpr))
	{
		FromExpr   *f = (FromExpr *) jt;
		ListCell   *lc;

		foreach(lc, f->fromlist)
			flatten_scope(lfirst(lc), items, quals);
		if (f->quals)
			*quals = list_concat(*quals, make_ands_implicit((Expr *) f->quals));
	}
	else if (IsA(jt, JoinExpr) && ((JoinExpr *) jt)->jointype == JOIN_INNER)
	{
		JoinExpr   *j = (JoinExpr *) jt;

		flatten_scope(j->larg, items, quals);
		flatten_scope(j->rarg, items, quals);
		if (j->quals)
			*quals = list_concat(*quals, make_ands_implicit((Expr *) j->quals));
	}
	else if (IsA(jt, JoinExpr))
	{
		it = palloc0(sizeof(JoinItem));
		it->outer = (JoinExpr *) jt;
		it->rels = jointree_rels(jt);
		*items = lappend(*items, it);
	}
	else
		elog(ERROR, "pathway: unexpected node in FROM: %d", (int) nodeTag(jt));
}


/*
 * LEFT, RIGHT and FULL joins.  The ON clause may hold equalities between the
 * two sides (the keys) and, for LEFT/RIGHT, conditions on the nullable side
 * alone (they filter that side before the join); anything else would change
 * which rows are padded and is refused.
 */
static Op *
build_outer(PState *ps, JoinExpr *j, List *vars, ViewPlan *plan)
{
	Node	   *larg = j->larg,
			   *rarg = j->rarg;
	bool		full = (j->jointype == JOIN_FULL);
	Bitmapset  *lrels,
			   *rrels,
			   *save_done = ps->done_rels;
	List	   *save_pending = ps->pending;
	List	   *rquals = NIL,
			   *lkeys = NIL,
			   *rkeys = NIL,
			   *eqops = NIL;
	ListCell   *lc;
	Op		   *left,
			   *right,
			   *join;

	if (j->jointype == JOIN_RIGHT)
	{
		larg = j->rarg;
		rarg = j->larg;
	}
	else if (j->jointype != JOIN_LEFT && !full)
		refuse(ps->name, "This kind of join", NULL);
	lrels = jointree_rels(larg);
	rrels = jointree_rels(rarg);

	foreach(lc, j->quals ? make_ands_implicit((Expr *) j->quals) : NIL)
	{
		Node	   *c = lfirst(lc);
		Bitmapset  *r = pull_varnos(NULL, c);

		if (!full && bms_is_subset(r, rrels))
		{
			rquals = lappend(rquals, c);
			continue;
		}
		if (IsA(c, OpExpr) && list_length(((OpExpr *) c)->args) == 2)
		{
			OpExpr	   *op = (OpExpr *) c;
			Node	   *a = linitial(op->args);
			Node	   *b = lsecond(op->args);
			Bitmapset  *ra = pull_varnos(NULL, a);
			Bitmapset  *rb = pull_varnos(NULL, b);
			Oid			eqop = same_type_equality(op, &a, &b);

			if (OidIsValid(eqop) && !bms_is_empty(ra) && !bms_is_empty(rb))
			{
				if (bms_is_subset(ra, lrels) && bms_is_subset(rb, rrels))
				{
					lkeys = lappend(lkeys, a);
					rkeys = lappend(rkeys, b);
					eqops = lappend_oid(eqops, eqop);
					continue;
				}
				if (bms_is_subset(rb, lrels) && bms_is_subset(ra, rrels))
				{
					lkeys = lappend(lkeys, b);
					rkeys = lappend(rkeys, a);
					eqops = lappend_oid(eqops, eqop);
					continue;
				}
			}
		}
		refuse(ps->name, full ? "A FULL JOIN condition other than equalities between its two sides"
			   : "An outer join condition other than equalities between its sides or conditions on its nullable side",
			   "Move a condition on the preserved side to WHERE, or rewrite the join.");
	}

	left = build_scope(ps, larg, NIL, vars, plan, &lrels);
	right = build_scope(ps, rarg, rquals, vars, plan, &rrels);
	ps->done_rels = lrels;
	join = make_join(ps, left, right, rrels, lkeys, rkeys, eqops, true, full);
	ps->done_rels = save_done;
	ps->pending = save_pending;
	return join;
}

/*
 * Build the rows of one join scope: its items joined left-deep, preferring
 * at each step an item that has a join condition with what is built, with
 * every condition applied as soon as the rows it reads are there.
 */
Op *
build_scope(PState *ps, Node *jt, List *extra_quals, List *vars, ViewPlan *plan,
			Bitmapset **rels)
{
	List	   *items = NIL,
			   *quals = NIL;
	List	   *save_pending = ps->pending;
	Bitmapset  *save_done = ps->done_rels;
	Op		   *cur = NULL;

	flatten_scope(jt, &items, &quals);
	ps->pending = list_concat(quals, extra_quals);
	ps->done_rels = NULL;

	while (items != NIL)
	{
		JoinItem   *it = NULL;
		ListCell   *lc;
		Op		   *op;
		bool		took_function = false;

		/* a function over other tables' columns comes as soon as they are here */
		foreach(lc, items)
		{
			JoinItem   *f = lfirst(lc);

			if (f->outer == NULL && rt_fetch(f->rti, ps->query->rtable)->rtekind == RTE_FUNCTION &&
				cur && bms_is_subset(function_rels(ps, f->rti), ps->done_rels))
			{
				items = list_delete_ptr(items, f);
				cur = make_flatmap(ps, cur, f->rti);
				ps->done_rels = bms_add_member(ps->done_rels, f->rti);
				cur = apply_ready_quals(ps, cur, ps->done_rels);
				took_function = true;
				break;
			}
		}
		if (items == NIL)
			break;
		foreach(lc, items)
		{
			JoinItem   *c = lfirst(lc);

			if (c->outer == NULL && rt_fetch(c->rti, ps->query->rtable)->rtekind == RTE_FUNCTION &&
				!bms_is_empty(function_rels(ps, c->rti)))
				continue;
			if (it == NULL || (cur && connects(ps, c->rels)))
			{
				it = c;
				if (cur == NULL || connects(ps, c->rels))
					break;
			}
		}
		if (it == NULL)
		{
			if (cur != NULL && took_function)
				continue;		/* more functions may now be ready */
			refuse(ps->name, "A function in FROM over tables of another join scope", NULL);
		}
		items = list_delete_ptr(items, it);

		if (it->outer)
		{
			List	   *pending = ps->pending;
			Bitmapset  *done = ps->done_rels;

			op = build_outer(ps, it->outer, vars, plan);
			ps->pending = pending;
			ps->done_rels = done;
		}
		else if (rt_fetch(it->rti, ps->query->rtable)->rtekind == RTE_SUBQUERY)
			op = make_subquery(ps, it->rti);
		else if (rt_fetch(it->rti, ps->query->rtable)->rtekind == RTE_VALUES)
			op = make_values(ps, it->rti, plan);
		else if (rt_fetch(it->rti, ps->query->rtable)->rtekind == RTE_FUNCTION)
			op = make_constant_function(ps, it->rti, plan);
		else
			op = make_source(ps, it->rti, vars, plan);
		op = apply_ready_quals(ps, op, it->rels);

		if (cur == NULL)
		{
			cur = op;
			ps->done_rels = bms_copy(it->rels);
		}
		else
		{
			List	   *lkeys = NIL,
					   *rkeys = NIL,
					   *eqops = NIL;

			find_join_keys(ps, it->rels, &lkeys, &rkeys, &eqops);
			cur = make_join(ps, cur, op, it->rels, lkeys, rkeys, eqops, false, false);
			ps->done_rels = bms_join(ps->done_rels, bms_copy(it->rels));
			cur = apply_ready_quals(ps, cur, ps->done_rels);
		}
	}
	if (ps->pending != NIL)
		cur = apply_ready_quals(ps, cur, ps->done_rels);
	if (ps->pending != NIL)
		elog(ERROR, "pathway: a condition reads tables outside of its join");
	*rels = ps->done_rels;
	ps->pending = save_pending;
	ps->done_rels = save_done;
	return cur;
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

static bool
only_outer_vars(Node *n)
{
	return contain_vars_of_level(n, 1) && !contain_vars_of_level(n, 0);
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
			   *rkeys = NIL;
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

		sj->not_in = true;
		if (is_andclause(sl->testexpr))
			refuse(ps->name, "NOT IN with a row of several columns", "Use NOT EXISTS.");
		if (s->hasAggs || s->groupClause || s->havingQual || s->setOperations ||
			s->limitCount || s->limitOffset || s->hasDistinctOn)
			refuse(ps->name, "NOT IN over a subquery with aggregates, set operations or LIMIT",
				   "Use NOT EXISTS.");
	}
	if (sl->subLinkType != EXISTS_SUBLINK && sl->subLinkType != ANY_SUBLINK)
		refuse(ps->name, "A subquery in an expression other than [NOT] EXISTS or IN in WHERE", NULL);
	sub = copyObject((Query *) sl->subselect);
	if (sub->cteList)
		refuse(ps->name, "WITH inside a subquery in WHERE", NULL);
	if (sub->limitCount || sub->limitOffset || sub->hasWindowFuncs)
		refuse(ps->name, "LIMIT, OFFSET or a window function in a subquery in WHERE",
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
				refuse(ps->name, "This form of IN (subquery)", NULL);
			outer = linitial(op->args);
			/* the subquery's column, converted as the test converts it (numeric IN (SELECT int)) */
			inner = replace_param(lsecond(op->args), param,
								  (Node *) list_nth_node(TargetEntry, sub->targetList, param->paramid - 1)->expr);
			test = *op;
			eqop = same_type_equality(&test, &outer, &inner);
			if (!OidIsValid(eqop))
				refuse(ps->name, "IN (subquery) with an operator other than a hashable equality", NULL);
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

			if (only_outer_vars(a) && !contain_vars_of_level(b, 1))
				outer = a, inner = b;
			else if (only_outer_vars(b) && !contain_vars_of_level(a, 1))
				outer = b, inner = a;
			if (outer && (eqop = same_type_equality(op, &outer, &inner)) != InvalidOid &&
				op == (OpExpr *) c)
			{
				outer = copyObject(outer);
				IncrementVarSublevelsUp(outer, -1, 1);
				sj->lkeys = lappend(sj->lkeys, outer);
				sj->eqops = lappend_oid(sj->eqops, eqop);
				rkeys = lappend(rkeys, inner);
				continue;
			}
		}
		refuse(ps->name, "A correlated condition in a subquery other than an equality with the outer query",
			   "Correlate the subquery through equalities only.");
	}
	if (correlated && (sub->hasAggs || sub->groupClause || sub->havingQual ||
					   sub->setOperations || sub->limitCount || sub->limitOffset))
		refuse(ps->name, "A correlated subquery with aggregates, set operations or LIMIT", NULL);
	sub->jointree->quals = (Node *) make_ands_explicit(keep);
	if (contain_vars_of_level((Node *) sub, 1))
		refuse(ps->name, "An outer reference in a subquery other than in its WHERE", NULL);

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
	else if (sl->subLinkType != ANY_SUBLINK)
		refuse(ps->name, "EXISTS over a subquery with aggregates or set operations", NULL);
	sj->sub = sub;
	return sj;
}

/* Keep the rows of 'cur' that have (EXISTS, IN) or lack (NOT EXISTS) a partner. */
Op *
apply_semi(PState *ps, Op *cur, SemiJoin *sj)
{
	Op		   *right = plan_query(ps->name, sj->sub, ps->plan, false, NULL);
	Op		   *op = op_make(OP_JOIN, CreateTupleDescCopy(cur->desc));
	ListCell   *lc;
	int			n = list_length(sj->lkeys);

	if (right->desc->natts < n)
		elog(ERROR, "pathway: subquery yields fewer columns than its keys");
	op->left = cur;
	op->right = right;
	op->semi = !sj->negated;
	op->anti = sj->negated;
	op_slots(op);
	op->keys = keyspec_for_ops(sj->lkeys, sj->eqops);
	op->keys->nulls_match = false;
	op->lkeys = palloc0(sizeof(ExprState *) * (n + 1));
	op->rkeys = palloc0(sizeof(ExprState *) * (n + 1));
	foreach(lc, sj->lkeys)
	{
		int			i = foreach_current_index(lc);
		Form_pg_attribute att = TupleDescAttr(right->desc, i);

		op->lkeys[i] = compile_expr(lfirst(lc), &ps->layout, NIL);
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
	f->qual = compile_qual(list_make1(cond), &ps->layout, NIL);
	op_slots(f);
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
		sub->jointree->quals = sub->jointree->quals
			? (Node *) make_andclause(list_make2(sub->jointree->quals, nt)) : (Node *) nt;
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
apply_not_in(PState *ps, Op *cur, SemiJoin *sj)
{
	Node	   *x = linitial(sj->lkeys);
	NullTest   *notnull = makeNode(NullTest);
	NullTest   *isnull = makeNode(NullTest);
	Op		   *present,
			   *absent,
			   *u;

	notnull->arg = (Expr *) x;
	notnull->nulltesttype = IS_NOT_NULL;
	notnull->location = -1;
	isnull->arg = (Expr *) x;
	isnull->nulltesttype = IS_NULL;
	isnull->location = -1;

	present = apply_semi(ps, filter_on(ps, cur, (Node *) notnull), sj);
	present = apply_semi(ps, present, correlation_only(sj, true));
	absent = apply_semi(ps, filter_on(ps, cur, (Node *) isnull), correlation_only(sj, false));
	u = op_make(OP_UNION, CreateTupleDescCopy(cur->desc));
	u->left = present;
	u->right = absent;
	op_slots(u);
	return u;
}

/* ---------- correlated scalar subqueries in the select list ---------- */

/*
 * Take a subquery's WHERE apart: conjuncts that read the outer query must be
 * equalities inner = outer; they come out as (outer at this level, inner,
 * equality operator), cross-type ones converted to a common type.  What is
 * left stays the subquery's WHERE.  'what' names the construct in refusals.
 */
static void
split_correlation(PState *ps, Query *sub, const char *what, List **outers, List **inners,
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

			if (only_outer_vars(a) && !contain_vars_of_level(b, 1))
				outer = a, in = b;
			else if (only_outer_vars(b) && !contain_vars_of_level(a, 1))
				outer = b, in = a;
			if (outer)
				eqop = same_type_equality(op, &outer, &in);
		}
		if (!OidIsValid(eqop))
			refuse(ps->name, psprintf("%s correlated other than by equalities", what),
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
 * (SELECT agg(...) FROM s WHERE s.k = t.k AND ...) in the select list:
 * a global aggregate correlated through equalities.  It becomes
 *
 *   t LEFT JOIN (SELECT s.k, agg(...), true FROM s WHERE ... GROUP BY s.k) g
 *     ON g.k = t.k
 *   CROSS JOIN (SELECT agg(...) FROM s WHERE false) e
 *
 * and the expression CASE WHEN g.m IS NOT NULL THEN g.v ELSE e.v END: a row
 * without partners gets the aggregate of no rows (count: 0, sum: NULL), as
 * the subquery would.  g is joined after the rest of FROM (apply_correlated);
 * e is an uncorrelated one-row subquery, cross-joined like any other.
 */
Node *
pull_up_correlated_scalar(PState *ps, Query *q, SubLink *sl)
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

	if (!sub->hasAggs || sub->groupClause || sub->groupingSets || sub->havingQual ||
		sub->setOperations || sub->limitCount || sub->limitOffset || sub->cteList ||
		sub->hasWindowFuncs || sub->hasSubLinks || sub->hasDistinctOn)
		refuse(ps->name, "A correlated scalar subquery other than a global aggregate",
			   "A correlated (SELECT count(*) FROM s WHERE s.k = t.k) is maintained; others may yield several rows.");
	split_correlation(ps, sub, "A scalar subquery", &cs->lkeys, &inner, &cs->eqops);
	if (contain_vars_of_level((Node *) sub, 1))
		refuse(ps->name, "An outer reference in a scalar subquery other than in its WHERE", NULL);
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
	grouped->targetList = tl;
	grouped->groupClause = groups;
	q->rtable = lappend(q->rtable, subquery_rte(grouped, names));
	cs->rti = list_length(q->rtable);
	ps->correlated = lappend(ps->correlated, cs);

	/* e: the aggregate of no rows, one row, cross-joined */
	empty = copyObject(sub);
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
apply_correlated(PState *ps, Op *cur, CorrelatedScalar *cs)
{
	Op		   *g = make_subquery(ps, cs->rti);
	List	   *rkeys = NIL;
	int			i;

	for (i = 0; i < cs->nkeys; i++)
	{
		Form_pg_attribute att = TupleDescAttr(g->desc, i);

		rkeys = lappend(rkeys, makeVar(cs->rti, i + 1, att->atttypid, att->atttypmod,
									   att->attcollation, 0));
	}
	cur = make_join(ps, cur, g, bms_make_singleton(cs->rti), cs->lkeys, rkeys, cs->eqops,
					true, false);
	ps->done_rels = bms_add_member(ps->done_rels, cs->rti);
	return cur;
}

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

/*
 * FROM t, LATERAL (SELECT ... FROM s WHERE s.k = t.k AND ...) x: the
 * subquery yields its side of the correlation as extra columns (grouped
 * and DISTINCT per key as well), and the equalities join it like any other
 * subquery (in WHERE, or in the ON of the LEFT or inner join it is the
 * right side of).  Other LATERAL subqueries are refused.
 */
void
decorrelate_laterals(PState *ps, Query *q)
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
		if (sub->hasAggs && sub->groupClause == NIL)
			refuse(ps->name, "A LATERAL subquery that is a global aggregate",
				   "Use correlated scalar subqueries in the select list: (SELECT count(*) FROM s WHERE s.k = t.k).");
		if (sub->limitCount || sub->limitOffset || sub->setOperations || sub->hasWindowFuncs ||
			sub->hasDistinctOn || sub->groupingSets || sub->cteList || sub->hasTargetSRFs ||
			sub->havingQual || sub->hasSubLinks)
			refuse(ps->name, "This LATERAL subquery",
				   "A LATERAL subquery is maintained when it is a join, GROUP BY or DISTINCT correlated by equalities in its WHERE.");
		parent = parent_of((Node *) q->jointree, rti);
		if (parent == NULL ||
			(IsA(parent, JoinExpr) &&
			 ((((JoinExpr *) parent)->jointype != JOIN_INNER && ((JoinExpr *) parent)->jointype != JOIN_LEFT) ||
			  !IsA(((JoinExpr *) parent)->rarg, RangeTblRef) ||
			  ((RangeTblRef *) ((JoinExpr *) parent)->rarg)->rtindex != rti)))
			refuse(ps->name, "A LATERAL subquery in this place of FROM", "Use it in a comma list or as the right side of a [LEFT] JOIN.");

		resno = list_length(sub->targetList);
		if (sub->groupClause || sub->distinctClause)
		{
			foreach(lc, sub->targetList)
				ref = Max(ref, lfirst_node(TargetEntry, lc)->ressortgroupref);
		}
		split_correlation(ps, sub, "A LATERAL subquery", &outers, &inners, &eqops);
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
			refuse(ps->name, "An outer reference in a LATERAL subquery other than an equality in its WHERE", NULL);
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

/* ---------- EXISTS inside expressions: mark joins ---------- */

typedef struct MarkCtx
{
	PState	   *ps;
	Query	   *q;
} MarkCtx;

static Node *
mark_mutator(Node *node, MarkCtx *ctx)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, SubLink) && ((SubLink *) node)->subLinkType == EXISTS_SUBLINK)
	{
		MarkJoin   *m = palloc0(sizeof(MarkJoin));
		RangeTblEntry *rte = makeNode(RangeTblEntry);
		Query	   *placeholder = makeNode(Query);

		m->sj = make_semi(ctx->ps, node);
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
	if (IsA(node, Query))
		return node;
	return expression_tree_mutator(node, mark_mutator, (void *) ctx);
}

/*
 * What extract_semis left: EXISTS under OR, NOT, CASE or in the select list
 * becomes a mark join's column; WHERE conjuncts that read one are applied
 * after the marks.  (IN inside an expression is three-valued: refused.)
 */
void
extract_marks(PState *ps, Query *q)
{
	MarkCtx		ctx = {ps, q};
	List	   *keep = NIL;
	ListCell   *lc;
	int			before;

	if (!q->hasSubLinks)
		return;
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
	map = op_make(OP_MAP, desc_for_exprs(exprs));
	map->left = cur;
	map->nexprs = list_length(exprs);
	map->exprs = palloc0(sizeof(ExprState *) * (map->nexprs + 1));
	foreach(lc, exprs)
		map->exprs[foreach_current_index(lc)] = ExecInitExpr((Expr *) lfirst(lc), NULL);
	op_slots(map);
	return map;
}

/*
 * After the scope: each mark as the union of the semi-join (flag true) and
 * the anti-join (flag false) of the rows so far; then the WHERE conjuncts
 * that read marks.
 */
Op *
apply_marks(PState *ps, Op *cur)
{
	ListCell   *lc;

	foreach(lc, ps->marks)
	{
		MarkJoin   *m = lfirst(lc);
		SemiJoin   *yes = copyObject_semi(m->sj, false);
		SemiJoin   *no = copyObject_semi(m->sj, true);
		Op		   *u = op_make(OP_UNION, NULL);
		int			flagcol = cur->desc->natts;

		u->left = append_flag(apply_semi(ps, cur, yes), true);
		u->right = append_flag(apply_semi(ps, cur, no), false);
		u->desc = CreateTupleDescCopy(u->left->desc);
		op_slots(u);
		ps->layout.pos[m->rti][1] = flagcol;
		cur = u;
	}
	if (ps->post_quals)
		cur = filter_on(ps, cur, (Node *) make_ands_explicit(ps->post_quals));
	return cur;
}

/* Split the WHERE clause: [NOT] EXISTS / IN conjuncts out, the rest stays. */
List *
extract_semis(PState *ps, Query *q)
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
	q->hasSubLinks = checkExprHasSubLink((Node *) q->targetList) ||
		checkExprHasSubLink(q->jointree->quals) || checkExprHasSubLink(q->havingQual);
	return semis;
}

