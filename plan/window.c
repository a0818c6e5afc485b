/*
 * window.c
 *	  Window functions and ORDER BY ... LIMIT / OFFSET (top-k) of a query
 *	  level.
 *
 * Window functions: the level's rows are first mapped to the expressions
 * the windows read (their arguments, PARTITION BY and ORDER BY keys, and
 * every part of the target list outside of window functions).  Then one
 * OP_WINDOW per window clause appends its functions' values, and a last map
 * computes the target list from those columns:
 *
 *	  rows -> map(inputs) -> window(w1) -> window(w2) -> map(target list)
 *
 * Each OP_WINDOW runs a WindowAgg plan node built here the way PostgreSQL's
 * planner builds it, over one partition at a time (engine/window.c).
 *
 * LIMIT / OFFSET: an OP_WINDOW without functions and with one partition
 * keeps the rows at the given positions of the ORDER BY order.  The level's
 * rows then carry every target list entry (ORDER BY may use columns that
 * are not selected); a projection keeps the selected ones afterwards.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/lsyscache.h"
#include "utils/sortsupport.h"
#include "utils/typcache.h"

#include "engine/window.h"
#include "plan/internal.h"

/* ---------- the columns window functions read ---------- */

static void
add_input(List **inputs, Node *e)
{
	if (e == NULL || IsA(e, Const))
		return;
	if (!list_member(*inputs, e))
		*inputs = lappend(*inputs, e);
}

static bool
inputs_walker(Node *node, List **inputs)
{
	if (node == NULL)
		return false;
	if (IsA(node, WindowFunc))
	{
		WindowFunc *wf = (WindowFunc *) node;
		ListCell   *lc;

		foreach(lc, wf->args)
			add_input(inputs, lfirst(lc));
		add_input(inputs, (Node *) wf->aggfilter);
		return false;
	}
	if (!IsA(node, List) && !contain_window_function(node))
	{
		add_input(inputs, node);
		return false;
	}
	return expression_tree_walker(node, inputs_walker, (void *) inputs);
}

/* Window clauses that some window function of the target list uses. */
static bool
uses_winref(Node *node, Index *winref)
{
	if (node == NULL)
		return false;
	if (IsA(node, WindowFunc) && ((WindowFunc *) node)->winref == *winref)
		return true;
	return expression_tree_walker(node, uses_winref, (void *) winref);
}

/*
 * What a level with window functions computes before them: the parts of
 * its target list (exprs) outside of window functions, the functions'
 * arguments, and the PARTITION BY and ORDER BY keys of each window.
 */
List *
plan_window_inputs(Query *q, List *exprs)
{
	List	   *inputs = NIL;
	ListCell   *lc,
			   *lk;

	foreach(lc, exprs)
		(void) inputs_walker(lfirst(lc), &inputs);
	foreach(lc, q->windowClause)
	{
		WindowClause *wc = lfirst_node(WindowClause, lc);

		if (!uses_winref((Node *) exprs, &wc->winref))
			continue;
		foreach(lk, wc->partitionClause)
			add_input(&inputs, get_sortgroupclause_expr(lfirst(lk), q->targetList));
		foreach(lk, wc->orderClause)
			add_input(&inputs, get_sortgroupclause_expr(lfirst(lk), q->targetList));
	}
	return inputs;
}

/* ---------- one window clause ---------- */

static int
column_of(List *cols, Node *e)
{
	ListCell   *lc;

	foreach(lc, cols)
		if (equal(lfirst(lc), e))
			return foreach_current_index(lc);
	elog(ERROR, "pathway: window key is not among the window's input columns");
	return -1;
}

typedef struct OuterCtx
{
	List	   *cols;
} OuterCtx;

/* Point an expression over 'cols' at the WindowAgg's input row. */
static Node *
outer_mutator(Node *node, OuterCtx *ctx)
{
	ListCell   *lc;

	if (node == NULL)
		return NULL;
	foreach(lc, ctx->cols)
	{
		if (equal(node, lfirst(lc)))
			return (Node *) makeVar(OUTER_VAR, foreach_current_index(lc) + 1,
									exprType(node), exprTypmod(node), exprCollation(node), 0);
	}
	if (IsA(node, Var))
		elog(ERROR, "pathway: column of a window function is not among its inputs");
	return expression_tree_mutator(node, outer_mutator, (void *) ctx);
}

typedef struct WfuncCtx
{
	Index		winref;
	List	   *wfuncs;
} WfuncCtx;

static bool
wfuncs_walker(Node *node, WfuncCtx *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, WindowFunc))
	{
		if (((WindowFunc *) node)->winref == ctx->winref && !list_member(ctx->wfuncs, node))
			ctx->wfuncs = lappend(ctx->wfuncs, node);
		return false;
	}
	return expression_tree_walker(node, wfuncs_walker, (void *) ctx);
}

/*
 * pathway.session_start(ts, gap) walks its partition in time order: its
 * window must be ordered by ts ascending first, or the engine's order of
 * the rows (any order of peers) would decide where sessions end.
 */
static void
check_session_order(PState *ps, Query *q, WindowClause *wc, WindowFunc *wf)
{
	SortGroupClause *sgc;
	Node	   *ts;
	char	   *fname = get_func_name(wf->winfnoid);
	char	   *nsp = get_namespace_name(get_func_namespace(wf->winfnoid));

	if (fname == NULL || nsp == NULL || strcmp(fname, "session_start") != 0 ||
		strcmp(nsp, "pathway") != 0 || list_length(wf->args) < 1)
		return;
	ts = linitial(wf->args);
	sgc = wc->orderClause ? linitial_node(SortGroupClause, wc->orderClause) : NULL;
	if (sgc == NULL ||
		!equal(get_sortgroupclause_expr(sgc, q->targetList), ts) ||
		sgc->sortop != lookup_type_cache(exprType(ts), TYPECACHE_LT_OPR)->lt_opr)
		plan_refuse(ps->name, "pathway.session_start() over a window not ordered by its timestamp",
					"Order its window by the timestamp first, ascending: pathway.session_start(ts, gap) OVER (PARTITION BY ... ORDER BY ts).");
}

/*
 * The OP_WINDOW of one window clause: its input is 'cols', its output the
 * same columns followed by the values of 'wfuncs'.
 */
static Op *
window_op(PState *ps, Op *input, Query *q, WindowClause *wc, List *cols, List *wfuncs)
{
	int			nin = input->desc->natts;
	int			nsort = list_length(wc->orderClause);
	TupleDesc	desc = CreateTemplateTupleDesc(nin + list_length(wfuncs));
	WindowAgg  *wa = makeNode(WindowAgg);
	List	   *keyexprs = NIL,
			   *eqops = NIL,
			   *tlist = NIL;
	OuterCtx	ctx;
	ListCell   *lc;
	Op		   *op;
	int			i;

	for (i = 0; i < nin; i++)
		TupleDescCopyEntry(desc, i + 1, input->desc, i + 1);
	foreach(lc, wfuncs)
	{
		WindowFunc *wf = lfirst_node(WindowFunc, lc);
		int			att = nin + foreach_current_index(lc) + 1;

		check_session_order(ps, q, wc, wf);
		TupleDescInitEntry(desc, att, NULL, wf->wintype, -1, 0);
		TupleDescInitEntryCollation(desc, att, wf->wincollid);
	}
	op = op_make(OP_WINDOW, desc);
	op->left = input;
	plan_op_slots(op);

	/* partitions: a group of the arrangement each */
	op->keycols = palloc0(sizeof(int) * (list_length(wc->partitionClause) + 1));
	foreach(lc, wc->partitionClause)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		Node	   *e = get_sortgroupclause_expr(sgc, q->targetList);

		op->keycols[foreach_current_index(lc)] = column_of(cols, e);
		keyexprs = lappend(keyexprs, e);
		eqops = lappend_oid(eqops, sgc->hashable ? sgc->eqop : InvalidOid);
	}
	op->arr = arrangement_create(CurrentMemoryContext, "pathway window partitions",
								 plan_grouping_keyspec(ps, keyexprs, eqops), false);
	op->arr->keys->nulls_match = true;
	op->arr->track_touched = true;

	/* the order within a partition; the WindowAgg finds peers with it */
	op->nsort = nsort;
	op->sortcols = palloc0(sizeof(int) * (nsort + 1));
	op->sortkeys = palloc0(sizeof(SortSupportData) * (nsort + 1));
	wa->ordNumCols = nsort;
	wa->ordColIdx = palloc0(sizeof(AttrNumber) * (nsort + 1));
	wa->ordOperators = palloc0(sizeof(Oid) * (nsort + 1));
	wa->ordCollations = palloc0(sizeof(Oid) * (nsort + 1));
	foreach(lc, wc->orderClause)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		Node	   *e = get_sortgroupclause_expr(sgc, q->targetList);
		SortSupport ssup = &op->sortkeys[foreach_current_index(lc)];
		int			col = column_of(cols, e);

		op->sortcols[foreach_current_index(lc)] = col;
		ssup->ssup_cxt = CurrentMemoryContext;
		ssup->ssup_collation = exprCollation(e);
		ssup->ssup_nulls_first = sgc->nulls_first;
		PrepareSortSupportFromOrderingOp(sgc->sortop, ssup);
		wa->ordColIdx[foreach_current_index(lc)] = col + 1;
		wa->ordOperators[foreach_current_index(lc)] = sgc->eqop;
		wa->ordCollations[foreach_current_index(lc)] = exprCollation(e);
	}

	/* the rest as PostgreSQL's planner sets it; one partition per run */
	wa->winref = wc->winref;
	wa->partNumCols = 0;
	wa->frameOptions = wc->frameOptions;
	if (wc->startOffset)
		wa->startOffset = (Node *) expression_planner((Expr *) copyObject(wc->startOffset));
	if (wc->endOffset)
		wa->endOffset = (Node *) expression_planner((Expr *) copyObject(wc->endOffset));
	wa->startInRangeFunc = wc->startInRangeFunc;
	wa->endInRangeFunc = wc->endInRangeFunc;
	wa->inRangeColl = wc->inRangeColl;
	wa->inRangeAsc = wc->inRangeAsc;
	wa->inRangeNullsFirst = wc->inRangeNullsFirst;
	wa->topWindow = true;

	/* its output: the input row, then the functions */
	for (i = 0; i < nin; i++)
	{
		Form_pg_attribute att = TupleDescAttr(input->desc, i);

		tlist = lappend(tlist, makeTargetEntry((Expr *) makeVar(OUTER_VAR, i + 1, att->atttypid,
																att->atttypmod, att->attcollation, 0),
											   i + 1, NULL, false));
	}
	ctx.cols = cols;
	foreach(lc, wfuncs)
	{
		Expr	   *wf = (Expr *) outer_mutator(lfirst(lc), &ctx);

		tlist = lappend(tlist, makeTargetEntry(expression_planner(wf), nin + foreach_current_index(lc) + 1,
											   NULL, false));
	}
	wa->plan.targetlist = tlist;
	op_init_window(op, wa, 0, -1, false);
	return op;
}

/*
 * The window functions of a level over 'input', whose columns are
 * 'inputs' (see plan_window_inputs); the result's columns are 'exprs'.
 */
Op *
plan_windows(PState *ps, Op *input, Query *q, List *inputs, List *exprs)
{
	List	   *cols = list_copy(inputs);
	Op		   *cur = input;
	Op		   *map;
	ListCell   *lc;

	foreach(lc, q->windowClause)
	{
		WindowClause *wc = lfirst_node(WindowClause, lc);
		WfuncCtx	ctx;

		ctx.winref = wc->winref;
		ctx.wfuncs = NIL;
		(void) wfuncs_walker((Node *) exprs, &ctx);
		if (ctx.wfuncs == NIL)
			continue;
		if (wc->startOffset)
			plan_check_expression(ps, wc->startOffset);
		if (wc->endOffset)
			plan_check_expression(ps, wc->endOffset);
		cur = window_op(ps, cur, q, wc, cols, ctx.wfuncs);
		cols = list_concat(cols, ctx.wfuncs);
	}

	map = op_make(OP_MAP, plan_desc_for_exprs(exprs));
	map->left = cur;
	map->nexprs = list_length(exprs);
	map->exprs = palloc0(sizeof(ExprState *) * (map->nexprs + 1));
	foreach(lc, exprs)
		map->exprs[foreach_current_index(lc)] = plan_compile_expr(lfirst(lc), NULL, cols);
	plan_op_slots(map);
	return map;
}

/* ---------- LIMIT / OFFSET ---------- */

/* A LIMIT or OFFSET value: a constant bigint; NULL means none. */
static int64
limit_value(PState *ps, Node *expr, bool *isnull)
{
	Expr	   *e = expression_planner((Expr *) copyObject(expr));
	Const	   *c;

	if (!IsA(e, Const) || ((Const *) e)->consttype != INT8OID)
		plan_refuse(ps->name, "LIMIT, OFFSET or FETCH FIRST with a value that is not a constant",
			   "Write the number of rows as a constant.");
	c = (Const *) e;
	*isnull = c->constisnull;
	return c->constisnull ? 0 : DatumGetInt64(c->constvalue);
}

/*
 * ORDER BY ... LIMIT / OFFSET / FETCH FIRST [WITH TIES] over the level's
 * rows, which hold every target list entry in order.  No partition: the
 * whole input is sorted, and a change costs a binary search and the size of
 * the slice, not a sort.
 */
void
plan_limit_bounds(PState *ps, Query *q, int64 *offset_out, int64 *count_out, bool *with_ties_out)
{
	int64		offset = 0,
				count = -1;
	bool		isnull;
	bool		with_ties = (q->limitOption == LIMIT_OPTION_WITH_TIES);

	if (q->limitOffset)
	{
		offset = limit_value(ps, q->limitOffset, &isnull);
		if (isnull)
			offset = 0;
		else if (offset < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE),
					 errmsg("OFFSET must not be negative")));
	}
	if (q->limitCount)
	{
		count = limit_value(ps, q->limitCount, &isnull);
		if (isnull && with_ties)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE),
					 errmsg("row count cannot be null in FETCH FIRST ... WITH TIES clause")));
		if (isnull)
			count = -1;
		else if (count < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE),
					 errmsg("LIMIT must not be negative")));
	}
	*offset_out = offset;
	*count_out = count;
	*with_ties_out = with_ties;
}

Op *
plan_limit(PState *ps, Op *input, Query *q)
{
	int64		offset,
				count;
	bool		with_ties;
	Op		   *op;
	ListCell   *lc;

	plan_limit_bounds(ps, q, &offset, &count, &with_ties);
	/* LIMIT ALL, OFFSET 0: every row */
	if (offset == 0 && count < 0)
		return input;
	if (q->sortClause == NIL)
		plan_refuse(ps->name, "LIMIT or OFFSET without ORDER BY",
			   "Add an ORDER BY that decides which rows are kept, ending with a unique column so that ties cannot change the answer.");

	op = op_make(OP_WINDOW, CreateTupleDescCopy(input->desc));
	op->left = input;
	plan_op_slots(op);
	op->keycols = palloc0(sizeof(int));
	op->nsort = list_length(q->sortClause);
	op->sortcols = palloc0(sizeof(int) * (op->nsort + 1));
	op->sortkeys = palloc0(sizeof(SortSupportData) * (op->nsort + 1));
	foreach(lc, q->sortClause)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		TargetEntry *tle = get_sortgroupclause_tle(sgc, q->targetList);
		SortSupport ssup = &op->sortkeys[foreach_current_index(lc)];

		op->sortcols[foreach_current_index(lc)] = tle->resno - 1;
		ssup->ssup_cxt = CurrentMemoryContext;
		ssup->ssup_collation = exprCollation((Node *) tle->expr);
		ssup->ssup_nulls_first = sgc->nulls_first;
		if (!OidIsValid(sgc->sortop))
			plan_refuse(ps->name, "ORDER BY on a type without ordering", NULL);
		PrepareSortSupportFromOrderingOp(sgc->sortop, ssup);
	}
	op->arr = arrangement_create(CurrentMemoryContext, "pathway top-k",
								 plan_grouping_keyspec(ps, NIL, NIL), false);
	op->arr->keys->nulls_match = true;
	op->arr->track_touched = true;
	op_init_window(op, NULL, offset, count, with_ties);
	return op;
}

/* The selected columns of rows that hold every target list entry. */
Op *
plan_select_columns(Op *input, Query *q)
{
	Op		   *proj;
	ListCell   *lc;
	int			n = 0,
				i = 0;

	foreach(lc, q->targetList)
		if (!lfirst_node(TargetEntry, lc)->resjunk)
			n++;
	if (n == list_length(q->targetList))
		return input;
	proj = op_make(OP_MAP, CreateTemplateTupleDesc(n));
	proj->left = input;
	proj->nexprs = n;
	proj->exprs = palloc0(sizeof(ExprState *) * (n + 1));
	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		Form_pg_attribute att = TupleDescAttr(input->desc, tle->resno - 1);

		if (tle->resjunk)
			continue;
		TupleDescCopyEntry(proj->desc, i + 1, input->desc, tle->resno);
		proj->exprs[i++] = ExecInitExpr((Expr *) makeVar(1, tle->resno, att->atttypid, att->atttypmod,
														 att->attcollation, 0), NULL);
	}
	plan_op_slots(proj);
	return proj;
}
