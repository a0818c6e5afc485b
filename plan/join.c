/*
 * join.c
 *	  FROM and WHERE: sources (tables, VALUES, constant functions,
 *	  subqueries in FROM), conditions, inner and outer joins, functions in
 *	  FROM.  Subqueries that read the row around them: decorrelate.c.
 *
 * A join scope (a FROM list with its inner joins) is built left-deep,
 * preferring at each step an item that has a join condition with what is
 * built; outer joins are built as units with their ON clause.  Each source
 * keeps only the columns the query reads, and a condition is applied as soon
 * as the rows it reads are there.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_inherits.h"
#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/plancat.h"
#include "optimizer/prep.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

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
	/* ONLY on a table with children (or partitions): its own rows alone */
	op->only = !rte->inh;
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
	f->qual = plan_compile_qual(ready, &ps->layout, NIL);
	plan_op_slots(f);
	return f;
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
			eqop = plan_same_type_equality(op, &a, &b);
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

/* Is there an equality between rels and the rows so far (a join key)? */
static bool
connects_by_equality(PState *ps, Bitmapset *rels)
{
	ListCell   *lc;

	foreach(lc, ps->pending)
	{
		OpExpr	   *op = lfirst(lc);
		Bitmapset  *a,
				   *b;

		if (!IsA(op, OpExpr) || list_length(op->args) != 2 ||
			!op_hashjoinable(op->opno, exprType(linitial(op->args))))
			continue;
		a = pull_varnos(NULL, linitial(op->args));
		b = pull_varnos(NULL, lsecond(op->args));
		if (bms_is_empty(a) || bms_is_empty(b))
			continue;
		if ((bms_is_subset(a, rels) && bms_is_subset(b, ps->done_rels)) ||
			(bms_is_subset(b, rels) && bms_is_subset(a, ps->done_rels)))
			return true;
	}
	return false;
}

/* Rows of a table by PostgreSQL's own estimate (also when never analyzed). */
static double
relation_rows(Oid relid, int depth)
{
	Relation	rel = table_open(relid, AccessShareLock);
	double		tuples = 0;

	if (rel->rd_rel->relkind == RELKIND_RELATION)
	{
		BlockNumber pages;
		double		allvisfrac;

		estimate_rel_size(rel, NULL, &pages, &tuples, &allvisfrac);
	}
	table_close(rel, AccessShareLock);
	/* a partitioned table or an inheritance parent: its children's too */
	if (depth < 2 && has_subclass(relid))
	{
		List	   *kids = find_inheritance_children(relid, AccessShareLock);
		ListCell   *lc;

		foreach(lc, kids)
			tuples += relation_rows(lfirst_oid(lc), depth + 1);
	}
	return tuples;
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

/*
 * Join 'left' (the rows of ps->done_rels) and 'right' (the rows of 'rrels',
 * laid out from column 0) on the given keys; the right rows' columns move
 * after the left's.  pad_left/pad_right: LEFT/RIGHT/FULL outer joins.
 */
Op *
plan_make_join(PState *ps, Op *left, Op *right, Bitmapset *rrels, List *lkeys,
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
	plan_op_slots(join);
	join->keys = plan_keyspec_for_ops(lkeys, eqops);
	join->keys->nulls_match = false;
	join->lkeys = palloc0(sizeof(ExprState *) * (list_length(lkeys) + 1));
	join->rkeys = palloc0(sizeof(ExprState *) * (list_length(rkeys) + 1));
	/* both sides' keys are compiled before the right side's columns move */
	foreach(lc, lkeys)
		join->lkeys[foreach_current_index(lc)] = plan_compile_expr(lfirst(lc), &ps->layout, NIL);
	foreach(lc, rkeys)
		join->rkeys[foreach_current_index(lc)] = plan_compile_expr(lfirst(lc), &ps->layout, NIL);
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
	Bitmapset  *rels = NULL;
	ListCell   *lc;

	foreach(lc, rte->functions)
		rels = bms_join(rels, pull_varnos(NULL, lfirst_node(RangeTblFunction, lc)->funcexpr));
	return rels;
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
		zbatch_add(&op->consts, zrow_form(desc, v, nulls), 1);
		ResetExprContext(econtext);
	}
	plan->sources = lappend(plan->sources, op);
	return op;
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
	zbatch_add(&op->consts, zrow_form(op->desc, NULL, NULL), 1);
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

/* The columns one function of a ROWS FROM returns. */
static TupleDesc
function_desc(PState *ps, Node *fexpr)
{
	TupleDesc	fdesc;
	Oid			rettype;

	switch (get_expr_result_type(fexpr, &rettype, &fdesc))
	{
		case TYPEFUNC_COMPOSITE:
			return CreateTupleDescCopy(fdesc);
		case TYPEFUNC_SCALAR:
			fdesc = CreateTemplateTupleDesc(1);
			TupleDescInitEntry(fdesc, 1, NULL, exprType(fexpr), exprTypmod(fexpr), 0);
			TupleDescInitEntryCollation(fdesc, 1, exprCollation(fexpr));
			return fdesc;
		default:
			plan_refuse(ps->name, "A function in FROM returning record", NULL);
	}
	return NULL;
}

/*
 * Each row of 'cur', extended by each row the function returns for it;
 * several functions (ROWS FROM, or several in a select list) in lockstep.
 */
static Op *
make_flatmap(PState *ps, Op *cur, int rti)
{
	RangeTblEntry *rte = rt_fetch(rti, ps->query->rtable);
	int			nf = list_length(rte->functions);
	TupleDesc	desc;
	RepointCtx	ctx;
	Op		   *op;
	ListCell   *lc;
	int			nl = cur->desc->natts,
				natts = nl,
				i;

	if (nf > ENGINE_FLATMAP_MAX_FUNCTIONS)
		plan_refuse(ps->name, psprintf("ROWS FROM with more than %d functions", ENGINE_FLATMAP_MAX_FUNCTIONS), NULL);
	op = op_make(OP_FLATMAP, NULL);
	op->ordinality = rte->funcordinality;
	op->nsrfs = nf;
	op->srfs = palloc0(sizeof(struct SetExprState *) * nf);
	op->fdescs = palloc0(sizeof(TupleDesc) * nf);
	op->fslots = palloc0(sizeof(TupleTableSlot *) * nf);
	foreach(lc, rte->functions)
	{
		int			f = foreach_current_index(lc);

		op->fdescs[f] = function_desc(ps, lfirst_node(RangeTblFunction, lc)->funcexpr);
		natts += op->fdescs[f]->natts;
	}
	desc = CreateTemplateTupleDesc(natts + (op->ordinality ? 1 : 0));
	for (i = 0; i < nl; i++)
		TupleDescCopyEntry(desc, i + 1, cur->desc, i + 1);
	natts = nl;
	for (i = 0; i < nf; i++)
	{
		int			k;

		for (k = 0; k < op->fdescs[i]->natts; k++)
		{
			TupleDescCopyEntry(desc, natts + 1, op->fdescs[i], k + 1);
			/* past its end a function's columns are NULL */
			TupleDescAttr(desc, natts)->attnotnull = false;
			natts++;
		}
	}
	if (op->ordinality)
	{
		/* WITH ORDINALITY: the row's number among its function rows, from 1 */
		TupleDescInitEntry(desc, natts + 1, "ordinality", INT8OID, -1, 0);
		natts++;
	}
	op->desc = desc;
	op->left = cur;
	plan_op_slots(op);
	op->argcxt = AllocSetContextCreate(CurrentMemoryContext, "pathway function arguments",
									   ALLOCSET_SMALL_SIZES);
	ctx.layout = &ps->layout;
	ctx.exprs = NIL;
	foreach(lc, rte->functions)
	{
		int			f = foreach_current_index(lc);
		Expr	   *e;

		op->fslots[f] = MakeSingleTupleTableSlot(op->fdescs[f], &TTSOpsMinimalTuple);
		e = expression_planner((Expr *) plan_repoint_mutator(lfirst_node(RangeTblFunction, lc)->funcexpr, &ctx));
		op->srfs[f] = ExecInitTableFunctionResult(e, op->econtext, NULL);
	}
	for (i = 1; i <= natts - nl && i <= ps->layout.natts[rti]; i++)
		ps->layout.pos[rti][i] = nl + i - 1;
	return op;
}

/* An item of a join scope: a table, or an outer join built as a unit. */
typedef struct JoinItem
{
	int			rti;
	JoinExpr   *outer;
	Bitmapset  *rels;
	double		rows;			/* item_rows, once known (0: not yet) */
} JoinItem;

/*
 * Is c an equality between an expression of lrels and one of rrels (a join
 * key)?  Then *lkey and *rkey are its sides, converted to a common type, and
 * *eqop the equality.
 */
bool
plan_equality_between(Node *c, Bitmapset *lrels, Bitmapset *rrels, Node **lkey, Node **rkey,
					  Oid *eqop)
{
	OpExpr	   *op = (OpExpr *) c;
	Node	   *a,
			   *b;
	Bitmapset  *ra,
			   *rb;

	if (!IsA(c, OpExpr) || list_length(op->args) != 2)
		return false;
	a = linitial(op->args);
	b = lsecond(op->args);
	ra = pull_varnos(NULL, a);
	rb = pull_varnos(NULL, b);
	if (bms_is_empty(ra) || bms_is_empty(rb) || !OidIsValid(*eqop = plan_same_type_equality(op, &a, &b)))
		return false;
	if (bms_is_subset(ra, lrels) && bms_is_subset(rb, rrels))
	{
		*lkey = a;
		*rkey = b;
		return true;
	}
	if (bms_is_subset(rb, lrels) && bms_is_subset(ra, rrels))
	{
		*lkey = b;
		*rkey = a;
		return true;
	}
	return false;
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
		it->rels = get_relids_in_jointree(jt, false);
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
		plan_refuse(ps->name, "This kind of join", NULL);
	lrels = get_relids_in_jointree(larg, false);
	rrels = get_relids_in_jointree(rarg, false);

	/* LEFT JOIN LATERAL (... ORDER BY ... LIMIT k) ON true */
	if (!full && IsA(rarg, RangeTblRef) && plan_lateral_of(ps, ((RangeTblRef *) rarg)->rtindex))
	{
		LateralTopK *lt = plan_lateral_of(ps, ((RangeTblRef *) rarg)->rtindex);

		left = plan_build_scope(ps, larg, NIL, vars, plan, &lrels);
		if (!bms_is_subset(lt->outer_rels, lrels))
			plan_refuse(ps->name, "A LATERAL subquery over tables of another join scope", NULL);
		ps->done_rels = save_done;
		ps->pending = save_pending;
		return plan_apply_lateral(ps, left, lt, true);
	}

	foreach(lc, j->quals ? make_ands_implicit((Expr *) j->quals) : NIL)
	{
		Node	   *c = lfirst(lc);
		Bitmapset  *r = pull_varnos(NULL, c);

		if (!full && bms_is_subset(r, rrels))
		{
			rquals = lappend(rquals, c);
			continue;
		}
		{
			Node	   *lkey,
					   *rkey;
			Oid			eqop;

			if (plan_equality_between(c, lrels, rrels, &lkey, &rkey, &eqop))
			{
				lkeys = lappend(lkeys, lkey);
				rkeys = lappend(rkeys, rkey);
				eqops = lappend_oid(eqops, eqop);
				continue;
			}
		}
		/* (LEFT and RIGHT joins whose conditions outer_magic.c can take come here rewritten) */
		plan_refuse(ps->name, full ? "A FULL JOIN condition other than equalities between its two sides"
			   : "An outer join condition other than equalities between its sides or conditions on its nullable side",
			   full ? "Rewrite the join." :
			   "Compare integer, text, date or timestamp columns in conditions without OR, coalesce or IS DISTINCT FROM, or rewrite the join.");
	}

	left = plan_build_scope(ps, larg, NIL, vars, plan, &lrels);
	right = plan_build_scope(ps, rarg, rquals, vars, plan, &rrels);
	ps->done_rels = lrels;
	join = plan_make_join(ps, left, right, rrels, lkeys, rkeys, eqops, true, full);
	ps->done_rels = save_done;
	ps->pending = save_pending;
	return join;
}

/*
 * How many rows an item of the scope brings, roughly: a table's estimate,
 * a quarter of it for each condition on it alone; a subquery, a function
 * or an outer join whose size is not known, as a large table.
 */
static double
item_rows(PState *ps, JoinItem *it)
{
	double		rows = 100000;
	ListCell   *lc;

	/* (its own conditions stay pending until it is joined: the figure holds) */
	if (it->rows > 0)
		return it->rows;
	if (it->outer == NULL)
	{
		RangeTblEntry *rte = rt_fetch(it->rti, ps->query->rtable);

		if (rte->rtekind == RTE_RELATION)
			rows = relation_rows(rte->relid, 0);
		else if (rte->rtekind == RTE_VALUES)
			rows = list_length(rte->values_lists);
	}
	foreach(lc, ps->pending)
	{
		Bitmapset  *r = pull_varnos(NULL, lfirst(lc));

		if (!bms_is_empty(r) && bms_is_subset(r, it->rels))
			rows *= 0.25;
	}
	it->rows = Max(rows, 1);
	return it->rows;
}

/*
 * Build the rows of one join scope: its items joined left-deep, preferring
 * at each step an item that has a join condition with what is built, with
 * every condition applied as soon as the rows it reads are there.
 */
Op *
plan_build_scope(PState *ps, Node *jt, List *extra_quals, List *vars, ViewPlan *plan,
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
	/* no FROM (a subquery such as (SELECT 5) or IN (SELECT 1 UNION SELECT 2)): one empty row */
	if (items == NIL)
		cur = make_unit(plan);

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
			LateralTopK *lt = f->outer ? NULL : plan_lateral_of(ps, f->rti);

			if (lt && cur && bms_is_subset(lt->outer_rels, ps->done_rels))
			{
				items = list_delete_ptr(items, f);
				cur = plan_apply_lateral(ps, cur, lt, lt->pad);
				ps->done_rels = bms_add_member(ps->done_rels, f->rti);
				cur = apply_ready_quals(ps, cur, ps->done_rels);
				took_function = true;
				break;
			}

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
		/*
		 * The next item: one joined to the rows so far by an equality (a
		 * keyed join), else by any condition, else any; among those the
		 * smallest, so that the arrangements a change probes are small
		 * and the rows held between joins are few (first the smallest
		 * item overall).  Ties keep the order of FROM.
		 */
		{
			int			best_link = -1;
			double		best_rows = 0;

			foreach(lc, items)
			{
				JoinItem   *c = lfirst(lc);
				int			link;
				double		rows;

				if (c->outer == NULL && rt_fetch(c->rti, ps->query->rtable)->rtekind == RTE_FUNCTION &&
					!bms_is_empty(function_rels(ps, c->rti)))
					continue;
				if (c->outer == NULL && plan_lateral_of(ps, c->rti))
					continue;
				link = cur == NULL ? 0 : connects_by_equality(ps, c->rels) ? 2 : connects(ps, c->rels) ? 1 : 0;
				rows = item_rows(ps, c);
				if (it == NULL || link > best_link || (link == best_link && rows < best_rows))
				{
					it = c;
					best_link = link;
					best_rows = rows;
				}
			}
		}
		if (it == NULL)
		{
			if (cur != NULL && took_function)
				continue;		/* more functions may now be ready */
			plan_refuse(ps->name, "A function or LATERAL subquery in FROM over tables of another join scope", NULL);
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
			op = plan_make_subquery(ps, it->rti);
		else if (rt_fetch(it->rti, ps->query->rtable)->rtekind == RTE_VALUES)
			op = make_values(ps, it->rti, plan);
		else if (rt_fetch(it->rti, ps->query->rtable)->rtekind == RTE_FUNCTION)
			op = make_constant_function(ps, it->rti, plan);
		else if (rt_fetch(it->rti, ps->query->rtable)->rtekind == RTE_CTE)
			op = plan_working_table(ps, it->rti);
		else
			op = make_source(ps, it->rti, vars, plan);
		op = apply_ready_quals(ps, op, it->rels);
		if (it->outer == NULL)
			op = plan_time_join_gate(ps, op, it->rti); /* timejoin.c */

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
			cur = plan_make_join(ps, cur, op, it->rels, lkeys, rkeys, eqops, false, false);
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

/* A subquery in FROM: its graph, its columns laid out from column 0. */
Op *
plan_make_subquery(PState *ps, int rti)
{
	RangeTblEntry *rte = rt_fetch(rti, ps->query->rtable);
	Op		   *op;
	int			k;

	if (rte->lateral)
		plan_refuse(ps->name, "LATERAL", NULL);
	op = ps->plan_subquery(ps, rte->subquery);
	for (k = 1; k <= op->desc->natts && k <= ps->layout.natts[rti]; k++)
		ps->layout.pos[rti][k] = k - 1;
	return op;
}
