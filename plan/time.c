/*
 * time.c
 *	  The options of a view grouped by an event-time window (cutoff, delay,
 *	  keep_results, emit): which views they fit, and the operators that
 *	  carry them out (engine/timegate.h).
 *
 * They fit a view that groups one table's rows (optionally expanded by
 * LATERAL pathway.hop(...)) by one window, pathway.tumble(ts, width
 * [, origin]) or the start a pathway.hop(ts, width, step [, origin]) gives,
 * with constant widths, and that selects the window as a column.  Its
 * whole state is then the groups of the open windows, which the clock can
 * forget; anything else (subqueries, windows over windows) would keep
 * state the clock does not know how to forget, and is refused.  A join of
 * two tables without GROUP BY takes a cutoff as an interval join
 * (timejoin.c).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "engine/temporal.h"
#include "engine/timegate.h"
#include "plan/internal.h"

/* What plan_time_check found, for the operators built later. */
typedef struct TimeWindow
{
	Node	   *key;			/* the GROUP BY expression of the window */
	Node	   *ts;				/* the event time it is computed from */
	Oid			type;			/* timestamp or timestamptz */
	int			outcol;			/* the window's column in the view (0-based) */
	TimeClock  *clock;
} TimeWindow;

static void
refuse(const char *name, const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot maintain view \"%s\" with cutoff, delay, keep_results or emit", name),
			 errdetail("%s", what),
			 hint ? errhint("%s", hint) : 0));
}

static bool
is_pathway_function(Oid funcid, const char *fname)
{
	char	   *n = get_func_name(funcid);
	char	   *nsp = get_namespace_name(get_func_namespace(funcid));

	return n && nsp && strcmp(n, fname) == 0 && strcmp(nsp, "pathway") == 0;
}

/* A fixed length in microseconds (no months), or -1 if not positive (or not constant). */
static int64
const_length(Node *arg, bool allow_zero)
{
	Node	   *c = eval_const_expressions(NULL, arg);
	Interval   *iv;
	int64		usecs;

	if (!IsA(c, Const) || ((Const *) c)->constisnull ||
		((Const *) c)->consttype != INTERVALOID)
		return -1;
	iv = DatumGetIntervalP(((Const *) c)->constvalue);
	if (iv->month != 0 || iv->day > 100000 || iv->day < 0)
		return -1;
	usecs = iv->day * USECS_PER_DAY + iv->time;
	if (usecs < 0 || (usecs == 0 && !allow_zero))
		return -1;
	return usecs;
}

static int64
option_length(const char *name, Interval *iv, const char *option)
{
	Const	   *c = makeConst(INTERVALOID, -1, InvalidOid, sizeof(Interval),
							  PointerGetDatum(iv), false, false);
	int64		usecs = const_length((Node *) c, true);

	if (usecs < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of view \"%s\" must be a length of zero or more, without months or years",
						option, name),
				 errhint("Give it in days, hours, minutes or seconds, for example '5 minutes'.")));
	return usecs;
}

/* Is the GROUP BY expression a window?  Fills tw (but outcol) if so. */
static bool
window_key(Query *q, Node *key, TimeWindow *tw, int64 *width)
{
	FuncExpr   *f = NULL;
	int			nconst;
	int			i;

	if (IsA(key, FuncExpr) && is_pathway_function(((FuncExpr *) key)->funcid, "tumble"))
	{
		f = (FuncExpr *) key;
		nconst = list_length(f->args) - 1;
	}
	else if (IsA(key, Var) && ((Var *) key)->varlevelsup == 0 && ((Var *) key)->varattno == 1)
	{
		RangeTblEntry *rte = rt_fetch(((Var *) key)->varno, q->rtable);
		RangeTblFunction *rf;

		if (rte->rtekind != RTE_FUNCTION || list_length(rte->functions) != 1)
			return false;
		rf = linitial_node(RangeTblFunction, rte->functions);
		if (!IsA(rf->funcexpr, FuncExpr) ||
			!is_pathway_function(((FuncExpr *) rf->funcexpr)->funcid, "hop"))
			return false;
		f = (FuncExpr *) rf->funcexpr;
		nconst = list_length(f->args) - 1;
	}
	else
		return false;
	for (i = 1; i <= nconst; i++)
		if (!IsA(eval_const_expressions(NULL, list_nth(f->args, i)), Const))
			return false;
	*width = const_length(lsecond(f->args), false);
	if (*width < 0)
		return false;
	tw->key = key;
	tw->ts = linitial(f->args);
	tw->type = exprType(tw->ts);
	return true;
}

/*
 * Check that the options fit the (top-level, CTEs inlined) query and make
 * the view's clock.  Returns what the operators need (plan->timewin).
 */
void
plan_time_check(const char *name, Query *q, ViewPlan *plan, TimeOptions *opts)
{
	TimeWindow *tw = palloc0(sizeof(TimeWindow));
	TimeClock  *c = palloc0(sizeof(TimeClock));
	ListCell   *lc;
	int			nrel = 0,
				nfunc = 0,
				nwin = 0;
	int64		width = 0;
	int			col;

	if (plan_time_join_check(name, q, plan, opts, c))	/* timejoin.c */
	{
		c->building = true;
		c->keep_results = true;
		c->has_cutoff = true;
		c->cutoff = option_length(name, &opts->cutoff, "cutoff");
		plan->clock = c;
		return;
	}
	if (q->setOperations || q->groupClause == NIL || q->groupingSets ||
		q->hasWindowFuncs || q->distinctClause || q->limitCount || q->limitOffset ||
		q->hasSubLinks || q->hasTargetSRFs)
		refuse(name, "These options need a query that groups by a window and does nothing after: no grouping sets, window functions, DISTINCT, LIMIT, set operations, subqueries or set-returning functions in the select list.",
			   "Group by the window: SELECT k, pathway.tumble(ts, '1 minute') AS w, count(*) FROM t GROUP BY k, w.");
	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_RELATION)
			nrel++;
		else if (rte->rtekind == RTE_FUNCTION)
			nfunc++;
		else
			refuse(name, "These options need a query over one table (and LATERAL pathway.hop(...)): joins and subqueries in FROM are not supported with them.",
				   "Join in another live view, and give the options to the view that groups by the window.");
	}
	if (nrel != 1 || nfunc > 1)
		refuse(name, "These options need a query over one table (and LATERAL pathway.hop(...)).",
			   "Join in another live view, and give the options to the view that groups by the window.");

	foreach(lc, q->groupClause)
	{
		Node	   *key = get_sortgroupclause_expr(lfirst(lc), q->targetList);
		int64		w;

		if (window_key(q, key, tw, &w))
		{
			nwin++;
			width = w;
		}
	}
	if (nwin != 1)
		refuse(name, nwin == 0 ?
			   "These options need a GROUP BY that holds a window: pathway.tumble(ts, width) or the start pathway.hop(ts, width, step) gives, with constant widths." :
			   "These options need a GROUP BY that holds one window, not several.",
			   "Group by one window: GROUP BY k, pathway.tumble(ts, '1 minute').");
	if (tw->type != TIMESTAMPOID && tw->type != TIMESTAMPTZOID)
		refuse(name, "The window's time must be a timestamp or timestamptz.", NULL);
	if (nfunc == 1 && !IsA(tw->key, Var))
		refuse(name, "A function in FROM other than the pathway.hop() of the window.", NULL);

	/* the view must show its window: its rows are kept or deleted by it */
	tw->outcol = -1;
	col = 0;
	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (tle->resjunk)
			continue;
		if (tw->outcol < 0 && equal(tle->expr, tw->key))
			tw->outcol = col;
		col++;
	}
	if (tw->outcol < 0)
		refuse(name, "The window is not a column of the view.",
			   "Select it: SELECT pathway.tumble(ts, '1 minute') AS w, ... GROUP BY w.");

	c->width = width;
	c->building = true;
	c->on_close = opts->on_close;
	c->keep_results = opts->keep_results;
	c->has_cutoff = opts->has_cutoff;
	if (c->has_cutoff)
		c->cutoff = option_length(name, &opts->cutoff, "cutoff");
	c->has_delay = opts->has_delay;
	if (c->has_delay)
		c->delay = option_length(name, &opts->delay, "delay");
	if (c->on_close && c->has_cutoff)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("view \"%s\": emit => 'on_close' takes no cutoff", name),
				 errdetail("A window is written when it closes, at its end plus delay, and is final from then on."),
				 errhint("Give delay => ... for the time late rows may still arrive.")));
	if (c->on_close && !c->keep_results)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("view \"%s\": emit => 'on_close' keeps its results", name),
				 errdetail("keep_results => false would delete each window's row as soon as it is written."),
				 errhint("Drop keep_results, or use emit => 'updates' with a cutoff.")));
	if (!c->keep_results && !c->has_cutoff)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("view \"%s\": keep_results => false needs a cutoff", name),
				 errdetail("Windows are forgotten, and their rows deleted, once they are final: their end plus cutoff."),
				 errhint("Give cutoff => ... as well.")));
	if (!c->on_close && c->has_delay && c->has_cutoff && c->delay > c->width + c->cutoff)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("view \"%s\": delay is longer than the window's width plus cutoff", name),
				 errdetail("A window would be final before it is shown."),
				 errhint("Give a shorter delay or a longer cutoff.")));
	tw->clock = c;
	plan->clock = c;
	plan->timewin = tw;
	plan->time_type = tw->type;
}

/*
 * "time in", between a windowed view's rows and its reduce: evaluated over
 * the level's layout.
 */
Op *
plan_time_gate_in(PState *ps, Op *input)
{
	TimeWindow *tw = ps->plan->timewin;
	Op		   *op = op_make(OP_TIME_IN, CreateTupleDescCopy(input->desc));

	op->left = input;
	op->clock = tw->clock;
	op->nexprs = 2;
	op->exprs = palloc0(sizeof(ExprState *) * 3);
	op->exprs[0] = plan_compile_expr((Expr *) tw->ts, &ps->layout, NIL);
	op->exprs[1] = plan_compile_expr((Expr *) tw->key, &ps->layout, NIL);
	plan_op_slots(op);
	return op;
}

/* The reduce of a windowed view: where its window is among its keys. */
void
plan_time_note_reduce(PState *ps, Op *reduce, List *keyexprs)
{
	TimeWindow *tw = ps->plan->timewin;
	ListCell   *lc;

	foreach(lc, keyexprs)
		if (equal(lfirst(lc), tw->key))
		{
			tw->clock->reduce = reduce;
			tw->clock->reduce_wcol = foreach_current_index(lc);
			return;
		}
	elog(ERROR, "pathway: the window is not a grouping key of view \"%s\"", ps->name);
}

/* "time out", the root of a windowed view. */
Op *
plan_time_gate_out(const char *name, ViewPlan *plan, Op *root)
{
	TimeWindow *tw = plan->timewin;
	Op		   *op;
	Var		   *wvar;

	if (plan->timejoin)
	{
		plan_time_join_finish(name, plan);	/* timejoin.c */
		return root;
	}
	op = op_make(OP_TIME_OUT, CreateTupleDescCopy(root->desc));
	if (tw->clock->reduce == NULL)
		elog(ERROR, "pathway: view \"%s\" has no reduce for its window", name);
	op->left = root;
	op->clock = tw->clock;
	tw->clock->out = op;
	tw->clock->out_wcol = tw->outcol;
	plan->time_col = tw->outcol;
	wvar = makeVar(1, tw->outcol + 1, tw->type, -1, InvalidOid, 0);
	op->arr = arrangement_create(CurrentMemoryContext, "pathway windows held",
								 plan_keyspec_for_ops(list_make1(wvar),
													  list_make1_oid(lookup_type_cache(tw->type, TYPECACHE_EQ_OPR)->eq_opr)),
								 true);
	op->arr->keys->nulls_match = true;
	plan_op_slots(op);
	return op;
}

/*
 * The time options as the catalog holds them (text, NULL when not given;
 * emit NULL: no options at all).  NULL when the view has none.
 */
TimeOptions *
plan_time_options_from_text(const char *cutoff, const char *delay, const char *keep_results,
							const char *emit)
{
	TimeOptions *o;

	if (emit == NULL)
		return NULL;
	o = palloc0(sizeof(TimeOptions));
	if (cutoff)
	{
		o->has_cutoff = true;
		o->cutoff = *DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(cutoff),
														   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	}
	if (delay)
	{
		o->has_delay = true;
		o->delay = *DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(delay),
														  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	}
	o->keep_results = keep_results == NULL || keep_results[0] == 't';
	o->on_close = strcmp(emit, "on_close") == 0;
	return o;
}

/*
 * For check_view: an SQL condition on the view's column "col" (quoted)
 * that holds for the rows of windows the engine still maintains (shown
 * and not final) at the view's time (has_time, usecs).
 */
char *
plan_time_live_condition(ViewPlan *plan, const char *col, bool has_time, int64 usecs)
{
	TimeClock  *c = plan->clock;
	char	   *w;
	char	   *cond;

	if (c->on_close || (!has_time && c->has_delay))
		return pstrdup("false");
	if (!has_time)
		return pstrdup("true");
	/* the window's start in microseconds since 2000-01-01, exactly */
	w = psprintf("((pg_catalog.extract('epoch', %s) * 1000000)::int8 - 946684800000000)", col);
	cond = pstrdup("true");
	if (c->has_cutoff)
		cond = psprintf("%s AND %s + " INT64_FORMAT " > " INT64_FORMAT, cond, w,
						c->width + c->cutoff, usecs);
	if (c->has_delay)
		cond = psprintf("%s AND %s + " INT64_FORMAT " <= " INT64_FORMAT, cond, w, c->delay, usecs);
	return psprintf("(%s IS NULL OR (%s))", col, cond);
}

/* ---------- temporal filters: WHERE ... pathway.now() ---------- */

/* One bound of a temporal filter: e + offset is the row's from or until. */
typedef struct TemporalBound
{
	Expr	   *e;
	bool		upper;
	int64		offset;
} TemporalBound;

static bool
is_now_call(Node *n)
{
	return n && IsA(n, FuncExpr) && ((FuncExpr *) n)->args == NIL &&
		is_pathway_function(((FuncExpr *) n)->funcid, "now");
}

static bool
now_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (is_now_call(node))
		return true;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, now_walker, context, 0);
	return expression_tree_walker(node, now_walker, context);
}

static void
refuse_now(const char *name, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot maintain view \"%s\"", name),
			 errdetail("%s is not supported.", what),
			 errhint("Compare a column with pathway.now(), in the WHERE of the view's query, joined by AND: WHERE ts > pathway.now() - interval '1 hour'.")));
}

/* pathway.now() [+|- constant interval]: its offset in microseconds. */
static bool
now_side(const char *name, Node *n, int64 *c)
{
	OpExpr	   *op;
	Node	   *k;
	Interval   *iv;
	Oid			fn;

	if (is_now_call(n))
	{
		*c = 0;
		return true;
	}
	if (!IsA(n, OpExpr) || list_length(((OpExpr *) n)->args) != 2)
		return false;
	op = (OpExpr *) n;
	fn = get_opcode(op->opno);
	if (!is_now_call(linitial(op->args)) ||
		(fn != F_TIMESTAMPTZ_PL_INTERVAL && fn != F_TIMESTAMPTZ_MI_INTERVAL))
		return false;
	k = eval_const_expressions(NULL, lsecond(op->args));
	if (!IsA(k, Const) || ((Const *) k)->constisnull)
		refuse_now(name, "pathway.now() plus or minus an interval that is not a constant");
	iv = DatumGetIntervalP(((Const *) k)->constvalue);
	if (iv->month != 0 || iv->day != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot maintain view \"%s\"", name),
				 errdetail("pathway.now() plus or minus an interval with days, months or years is not supported: their length depends on the time zone and the calendar."),
				 errhint("Give the interval in hours, minutes or seconds: pathway.now() - interval '24 hours'.")));
	*c = fn == F_TIMESTAMPTZ_PL_INTERVAL ? iv->time : -iv->time;
	return true;
}

/*
 * Take the comparisons with pathway.now() out of the top-level WHERE
 * (each replaced by "e IS NOT NULL", which keeps the columns e reads in
 * the rows and drops the rows whose comparison is NULL), for the temporal
 * filter after the level's FROM; refuse pathway.now() anywhere else.
 */
void
plan_temporal_extract(const char *name, Query *q, ViewPlan *plan)
{
	List	   *conj;
	List	   *kept = NIL;
	ListCell   *lc;

	if (!now_walker((Node *) q, NULL))
		return;
	conj = q->jointree && q->jointree->quals ?
		make_ands_implicit((Expr *) q->jointree->quals) : NIL;
	foreach(lc, conj)
	{
		Node	   *c = lfirst(lc);
		OpExpr	   *op;
		char	   *opname;
		Node	   *e = NULL;
		int64		off = 0;
		bool		flip = false;
		TemporalBound *b;
		NullTest   *nt;

		if (!now_walker(c, NULL))
		{
			kept = lappend(kept, c);
			continue;
		}
		if (!IsA(c, OpExpr) || list_length(((OpExpr *) c)->args) != 2)
			refuse_now(name, "pathway.now() other than in a comparison (<, <=, >, >=) with a timestamptz");
		op = (OpExpr *) c;
		opname = get_opname(op->opno);
		if (opname == NULL ||
			(strcmp(opname, "<") != 0 && strcmp(opname, "<=") != 0 &&
			 strcmp(opname, ">") != 0 && strcmp(opname, ">=") != 0) ||
			exprType(linitial(op->args)) != TIMESTAMPTZOID ||
			exprType(lsecond(op->args)) != TIMESTAMPTZOID)
			refuse_now(name, "pathway.now() other than in a comparison (<, <=, >, >=) with a timestamptz");
		if (now_side(name, lsecond(op->args), &off) && !now_walker(linitial(op->args), NULL))
		{
			e = linitial(op->args);
			flip = false;
		}
		else if (now_side(name, linitial(op->args), &off) && !now_walker(lsecond(op->args), NULL))
		{
			e = lsecond(op->args);
			flip = true;
		}
		else
			refuse_now(name, "A comparison of pathway.now() other than with an expression of the row on one side and pathway.now() [+ or - a constant interval] on the other");

		/* e OP now + off, with OP as seen from e */
		b = palloc0(sizeof(TemporalBound));
		b->e = (Expr *) e;
		if (flip)
			opname = strcmp(opname, "<") == 0 ? ">" : strcmp(opname, "<=") == 0 ? ">=" :
				strcmp(opname, ">") == 0 ? "<" : "<=";
		if (strcmp(opname, ">") == 0)
		{
			b->upper = true;	/* now < e - off */
			b->offset = -off;
		}
		else if (strcmp(opname, ">=") == 0)
		{
			b->upper = true;	/* now <= e - off */
			b->offset = -off + 1;
		}
		else if (strcmp(opname, "<") == 0)
		{
			b->upper = false;	/* now > e - off */
			b->offset = -off + 1;
		}
		else
		{
			b->upper = false;	/* now >= e - off */
			b->offset = -off;
		}
		plan->temporal_bounds = lappend(plan->temporal_bounds, b);
		nt = makeNode(NullTest);
		nt->arg = (Expr *) copyObject(e);
		nt->nulltesttype = IS_NOT_NULL;
		nt->argisrow = false;
		nt->location = -1;
		kept = lappend(kept, nt);
	}
	if (q->jointree)
		q->jointree->quals = kept ? (Node *) make_ands_explicit(kept) : NULL;
	if (now_walker((Node *) q, NULL))
		refuse_now(name, "pathway.now() outside of the WHERE of the view's query (in the select list, HAVING, a join condition, a subquery, or under OR or NOT)");
}

/* The temporal filter after the level's FROM and WHERE. */
Op *
plan_temporal_apply(PState *ps, Op *input)
{
	List	   *bounds = ps->plan->temporal_bounds;
	Op		   *op = op_make(OP_TEMPORAL, CreateTupleDescCopy(input->desc));
	ListCell   *lc;

	op->left = input;
	op->temporal = op_temporal_create(CurrentMemoryContext, list_length(bounds));
	op->nexprs = list_length(bounds);
	op->exprs = palloc0(sizeof(ExprState *) * (op->nexprs + 1));
	foreach(lc, bounds)
	{
		TemporalBound *b = lfirst(lc);
		int			i = foreach_current_index(lc);

		op->exprs[i] = plan_compile_expr(b->e, &ps->layout, NIL);
		op->temporal->upper[i] = b->upper;
		op->temporal->offset[i] = b->offset;
	}
	plan_op_slots(op);
	ps->plan->temporal = op;
	return op;
}
