/*
 * plan_internal.h
 *	  What the planner's files (planner.c, plan_join.c, plan_agg.c,
 *	  plan_window.c) share:
 *	  the state of planning one query level and the helpers they all use.
 */
#ifndef PATHWAY_PLAN_INTERNAL_H
#define PATHWAY_PLAN_INTERNAL_H

#include "postgres.h"

#include "nodes/parsenodes.h"
#include "nodes/pathnodes.h"

#include "engine/operator.h"
#include "plan/planner.h"

/* Where a column of a base table sits in the current row. */
typedef struct Layout
{
	int			nrels;			/* range table size */
	int		  **pos;			/* pos[rti][attno] = 0-based column or -1 */
	int		   *natts;
} Layout;

typedef struct PlanState_
{
	const char *name;
	Query	   *query;
	Layout		layout;
	Bitmapset  *done_rels;		/* rtis joined so far */
	List	   *pending;		/* conjuncts not applied yet */
	struct ViewPlan *plan;
	List	   *correlated;		/* CorrelatedScalar *: LEFT JOINed after the scope */
	List	   *marks;			/* MarkJoin *: EXISTS inside expressions */
	List	   *post_quals;		/* WHERE conjuncts that read a mark */
} PState;

/*
 * EXISTS (...) inside an expression (under OR, NOT, CASE, in the select
 * list): every row with a boolean column saying whether it has a partner.
 * The expression reads that column as column 1 of a placeholder range
 * table entry (rti).
 */
typedef struct MarkJoin
{
	struct SemiJoin *sj;
	int			rti;
} MarkJoin;

/*
 * A correlated scalar subquery that is a global aggregate, in the select
 * list: its aggregate grouped by the correlation, LEFT JOINed on it.
 */
typedef struct CorrelatedScalar
{
	int			rti;			/* the grouped subquery, in the range table only */
	List	   *lkeys;			/* outer expressions, at this level */
	List	   *eqops;
	int			nkeys;			/* its first columns are the inner keys */
} CorrelatedScalar;

typedef struct SemiJoin
{
	SubLink    *sublink;
	bool		negated;
	bool		not_in;			/* x NOT IN (subquery): the first key is the test */
	List	   *lkeys;			/* outer expressions, at this query level */
	List	   *eqops;
	Query	   *sub;			/* its target list: the inner keys */
} SemiJoin;

typedef struct RepointCtx
{
	Layout	   *layout;
	List	   *exprs;			/* replace these (equal()) by Var k+1 */
} RepointCtx;

extern Node *repoint_mutator(Node *node, RepointCtx *ctx);
extern ExprState *compile_expr(Expr *expr, Layout *layout, List *replace);
extern ExprState *compile_qual(List *conjuncts, Layout *layout, List *replace);
extern TupleDesc desc_for_exprs(List *exprs);
extern void op_slots(Op *op);
extern Op *make_subquery(PState *ps, int rti);
extern Op *plan_query(const char *name, Query *q, ViewPlan *plan, bool top, List **names);
extern KeySpec *keyspec_for_ops(List *exprs, List *eqops);
extern Op *build_scope(PState *ps, Node *jt, List *extra_quals, List *vars, ViewPlan *plan, Bitmapset **rels);
extern Op *apply_semi(PState *ps, Op *cur, SemiJoin *sj);
extern Op *apply_not_in(PState *ps, Op *cur, SemiJoin *sj);
extern Node *pull_up_correlated_scalar(PState *ps, Query *q, SubLink *sl);
extern void extract_marks(PState *ps, Query *q);
extern void decorrelate_laterals(PState *ps, Query *q);
extern Op *apply_marks(PState *ps, Op *cur);
extern Op *apply_correlated(PState *ps, Op *cur, CorrelatedScalar *cs);
extern List *extract_semis(PState *ps, Query *q);
extern bool collect_aggrefs(Node *node, List **aggs);
extern KeySpec *grouping_keyspec(PState *ps, List *exprs, List *eqops);
extern Op *distinct_on(PState *ps, Op *input, Query *q, bool top);
extern Op *plan_grouping_set(PState *ps, Op *input, Query *q, List *set, List *aggrefs, List *mapexprs);
extern Op *distinct_rows(PState *ps, Op *input);
extern void refuse(const char *name, const char *what, const char *hint);
extern void check_expression(PState *ps, Node *node);
extern List *window_inputs(Query *q, List *exprs);
extern Op *plan_windows(PState *ps, Op *input, Query *q, List *inputs, List *exprs);
extern Op *plan_limit(PState *ps, Op *input, Query *q);
extern Op *select_columns(Op *input, Query *q);

#endif							/* PATHWAY_PLAN_INTERNAL_H */
