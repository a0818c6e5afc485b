/*
 * timejoin.c
 *	  cutoff on an interval join: two tables joined on a condition that
 *	  bounds the event time of one by the other's, the view showing the
 *	  first one's (engine/timegate.h, docs/time.md).
 *
 *	  SELECT a.id, b.id, a.ts FROM a JOIN b ON a.k = b.k
 *		 AND b.ts BETWEEN a.ts - interval '5 minutes' AND a.ts
 *
 * "b.ts >= a.ts - 5 minutes" is the bound: a.ts <= b.ts + shift, shift 5
 * minutes.  A row of a is final once a.ts + cutoff is before the view's
 * time, and so is every view row it joined, judged by the a.ts the view
 * shows; a row of b is final once b.ts + shift + cutoff is: only final rows
 * of a could still match it.  Both are then late, and forgotten.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

#include "engine/timegate.h"
#include "plan/internal.h"

typedef struct TimeJoin
{
	Query	   *query;			/* the top level, whose two tables get gates */
	int			rti[2];			/* A (its time is the view's column), B */
	Var		   *ts[2];
	int			outcol;			/* A's time in the view (0-based) */
} TimeJoin;

static void
refuse(const char *name, const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot maintain interval join \"%s\" with cutoff", name),
			 errdetail("%s", what),
			 errhint("%s", hint ? hint :
					 "Join two tables on a bound of one's time by the other's, and show the first: SELECT a.ts, ... FROM a JOIN b ON a.k = b.k AND b.ts BETWEEN a.ts - interval '5 minutes' AND a.ts.")));
}

/* Only inner joins, and every ON condition into quals. */
static void
join_quals(const char *name, Node *jt, List **quals)
{
	ListCell   *lc;

	if (IsA(jt, RangeTblRef))
		return;
	if (IsA(jt, FromExpr))
	{
		foreach(lc, ((FromExpr *) jt)->fromlist)
			join_quals(name, lfirst(lc), quals);
		if (((FromExpr *) jt)->quals)
			*quals = lappend(*quals, ((FromExpr *) jt)->quals);
		return;
	}
	if (IsA(jt, JoinExpr) && ((JoinExpr *) jt)->jointype == JOIN_INNER)
	{
		join_quals(name, ((JoinExpr *) jt)->larg, quals);
		join_quals(name, ((JoinExpr *) jt)->rarg, quals);
		if (((JoinExpr *) jt)->quals)
			*quals = lappend(*quals, ((JoinExpr *) jt)->quals);
		return;
	}
	refuse(name, "Outer joins are not supported with cutoff: forgetting a row would change which rows are padded.", NULL);
}

/* The conjuncts of the conditions, constants folded, ANDs flattened. */
static void
conjuncts(Node *n, List **out)
{
	ListCell   *lc;

	if (n == NULL)
		return;
	if (is_andclause(n))
	{
		foreach(lc, ((BoolExpr *) n)->args)
			conjuncts(lfirst(lc), out);
		return;
	}
	*out = lappend(*out, n);
}

/* A length in microseconds without days or months (their length varies). */
static bool
fixed_interval(Node *n, int64 *usecs)
{
	Interval   *iv;

	if (!IsA(n, Const) || ((Const *) n)->constisnull || ((Const *) n)->consttype != INTERVALOID)
		return false;
	iv = DatumGetIntervalP(((Const *) n)->constvalue);
	if (iv->month != 0 || iv->day != 0)
		return false;
	*usecs = iv->time;
	return true;
}

/* ts, ts + constant, ts - constant, constant + ts: the column and the offset. */
static bool
time_term(Query *q, Node *n, Var **v, int64 *off)
{
	OpExpr	   *op;
	Node	   *x,
			   *k;
	Oid			fn;

	if (IsA(n, Var))
	{
		Var		   *var = (Var *) n;

		if (var->varlevelsup != 0 || var->varattno <= 0 ||
			rt_fetch(var->varno, q->rtable)->rtekind != RTE_RELATION ||
			(var->vartype != TIMESTAMPOID && var->vartype != TIMESTAMPTZOID))
			return false;
		*v = var;
		*off = 0;
		return true;
	}
	if (!IsA(n, OpExpr) || list_length(((OpExpr *) n)->args) != 2)
		return false;
	op = (OpExpr *) n;
	fn = get_opcode(op->opno);
	if (fn == F_TIMESTAMP_PL_INTERVAL || fn == F_TIMESTAMPTZ_PL_INTERVAL ||
		fn == F_TIMESTAMP_MI_INTERVAL || fn == F_TIMESTAMPTZ_MI_INTERVAL)
	{
		x = linitial(op->args);
		k = lsecond(op->args);
	}
	else if (fn == F_INTERVAL_PL_TIMESTAMP || fn == F_INTERVAL_PL_TIMESTAMPTZ)
	{
		x = lsecond(op->args);
		k = linitial(op->args);
	}
	else
		return false;
	if (!IsA(x, Var) || !time_term(q, x, v, off) || !fixed_interval(k, off))
		return false;
	if (fn == F_TIMESTAMP_MI_INTERVAL || fn == F_TIMESTAMPTZ_MI_INTERVAL)
	{
		if (*off == PG_INT64_MIN)
			return false;
		*off = -*off;
	}
	return true;
}

/*
 * From a comparison, a bound "a <= b + shift" of column a by a time column
 * b of table other (either way round); false if it is none.
 */
static bool
time_bound(Query *q, Node *n, Var *a, int other, Var **b, int64 *shift)
{
	OpExpr	   *op;
	Oid			fn;
	Var		   *p,
			   *r;
	int64		po,
				ro;
	bool		less;

	if (!IsA(n, OpExpr) || list_length(((OpExpr *) n)->args) != 2)
		return false;
	op = (OpExpr *) n;
	fn = get_opcode(op->opno);
	if (fn == F_TIMESTAMP_LT || fn == F_TIMESTAMP_LE || fn == F_TIMESTAMPTZ_LT || fn == F_TIMESTAMPTZ_LE)
		less = true;
	else if (fn == F_TIMESTAMP_GT || fn == F_TIMESTAMP_GE || fn == F_TIMESTAMPTZ_GT || fn == F_TIMESTAMPTZ_GE)
		less = false;
	else
		return false;
	if (!time_term(q, linitial(op->args), &p, &po) || !time_term(q, lsecond(op->args), &r, &ro))
		return false;
	if (!less)
	{
		/* p + po >= r + ro  is  r + ro <= p + po */
		Var		   *tv = p;
		int64		to = po;

		p = r;
		po = ro;
		r = tv;
		ro = to;
	}
	/* p + po <= r + ro: p <= r + (ro - po) */
	if (!equal(p, a) || r->varno != other || r->vartype != a->vartype)
		return false;
	*b = r;
	return !pg_sub_s64_overflow(ro, po, shift);
}

/*
 * Does the query join two tables (no GROUP BY)?  Then the options must fit
 * an interval join: it is checked, and its clock made.  false: not a join,
 * left to plan_time_check.
 */
bool
plan_time_join_check(const char *name, Query *q, ViewPlan *plan, TimeOptions *opts,
					 TimeClock *c)
{
	TimeJoin   *tj;
	List	   *quals = NIL,
			   *conj = NIL;
	ListCell   *lc;
	int			nrel = 0,
				rels[2] = {0, 0},
				col = 0;
	bool		found = false;
	int64		shift = 0;

	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_RELATION)
		{
			if (nrel < 2)
				rels[nrel] = foreach_current_index(lc) + 1;
			nrel++;
		}
	}
	if (q->groupClause != NIL || q->hasAggs || nrel < 2)
		return false;

	if (q->setOperations || q->groupingSets || q->hasWindowFuncs || q->distinctClause ||
		q->limitCount || q->limitOffset || q->hasSubLinks || q->hasTargetSRFs)
		refuse(name, "An interval join with cutoff is a join and nothing after: no window functions, DISTINCT, LIMIT, set operations, subqueries or set-returning functions.", NULL);
	if (nrel != 2)
		refuse(name, "An interval join with cutoff joins two tables.", NULL);
	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind != RTE_RELATION && rte->rtekind != RTE_JOIN)
			refuse(name, "An interval join with cutoff joins two tables: no subqueries or functions in FROM.", NULL);
	}
	join_quals(name, (Node *) q->jointree, &quals);
	foreach(lc, quals)
		conjuncts(eval_const_expressions(NULL, lfirst(lc)), &conj);
	if (opts->has_delay || opts->on_close || !opts->keep_results || !opts->has_cutoff)
		refuse(name, "An interval join takes cutoff and no other time option: its rows show as soon as they join, and stay.",
			   "Give cutoff => ... alone; to see the recent rows only, filter a view over this one by pathway.now().");

	/* A's time: the first column of the view that is bounded by the other's */
	tj = palloc0(sizeof(TimeJoin));
	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		Var		   *a,
				   *b;
		int64		off;
		ListCell   *lq;
		int			side;

		if (tle->resjunk)
			continue;
		col++;
		if (found || !time_term(q, (Node *) tle->expr, &a, &off) || off != 0)
			continue;
		side = a->varno == rels[0] ? 0 : 1;
		foreach(lq, conj)
		{
			int64		s;

			if (time_bound(q, lfirst(lq), a, rels[1 - side], &b, &s) && (!found || s < shift))
			{
				found = true;
				shift = s;
				tj->rti[0] = rels[side];
				tj->rti[1] = rels[1 - side];
				tj->ts[0] = a;
				tj->ts[1] = b;
				tj->outcol = col - 1;
			}
		}
	}
	if (!found)
		refuse(name, "The view must show the event time of one table, and the join condition must bound it by the other's (b.ts >= a.ts - interval '5 minutes', or b.ts BETWEEN ... AND ..., with intervals in hours, minutes or seconds).", NULL);

	tj->query = q;
	c->join = true;
	c->join_shift = shift;
	/* each row is a window of one microsecond: final once ts + cutoff < time */
	c->width = 1;
	plan->timejoin = tj;
	plan->time_type = tj->ts[0]->vartype;
	plan->time_col = tj->outcol;
	return true;
}

/*
 * "time in" on a side of the interval join, over the rows of table rti as
 * built (its columns from 0), before they meet the other side.
 */
Op *
plan_time_join_gate(PState *ps, Op *input, int rti)
{
	TimeJoin   *tj = ps->plan->timejoin;
	TimeClock  *c = ps->plan->clock;
	int			side;
	Op		   *op;

	if (tj == NULL || ps->query != tj->query)
		return input;
	side = tj->rti[0] == rti ? 0 : tj->rti[1] == rti ? 1 : -1;
	if (side < 0 || c->gate[side] != NULL)
		return input;
	op = op_make(OP_TIME_IN, CreateTupleDescCopy(input->desc));
	op->left = input;
	op->clock = c;
	op->nexprs = 1;
	op->exprs = palloc0(sizeof(ExprState *) * 2);
	op->exprs[0] = plan_compile_expr((Expr *) tj->ts[side], &ps->layout, NIL);
	plan_op_slots(op);
	c->gate[side] = op;
	return op;
}

/* After planning: the join's arrangement each side's rows are held in. */
void
plan_time_join_finish(const char *name, ViewPlan *plan)
{
	TimeClock  *c = plan->clock;
	Op		   *ops[256];
	int			n = graph_operators(plan->root, ops, lengthof(ops));
	int			i,
				side;

	for (i = 0; i < n; i++)
		for (side = 0; side < 2; side++)
			if (ops[i]->kind == OP_JOIN && c->gate[side] &&
				(ops[i]->left == c->gate[side] || ops[i]->right == c->gate[side]))
				c->held[side] = ops[i]->left == c->gate[side] ? ops[i]->larr : ops[i]->rarr;
	if (c->held[0] == NULL || c->held[1] == NULL)
		refuse(name, "The join condition does not join the two tables directly (an equality between them, or a condition on both).", NULL);
	c->out_wcol = plan->time_col;
}
