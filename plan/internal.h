/*
 * internal.h
 *	  What the planner's files share: the state of planning one query level,
 *	  and each file's entry points, grouped by file.  The calls go one way:
 *	  planner.c -> decorrelate.c -> join.c -> expr.c, and agg.c, window.c ->
 *	  expr.c, and decorrelate.c, join.c -> lateral.c -> window.c, expr.c,
 *	  and planner.c -> decorrelate_lateral.c -> decorrelate.c, lateral.c,
 *	  and planner.c -> outer_magic.c -> join.c, expr.c;
 *	  a nested query level is planned through ps->plan_subquery,
 *	  which planner.c sets, so no lower file calls back into planner.c.
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
	List	   *laterals;		/* LateralTopK *: LATERAL (... ORDER BY ... LIMIT) */
	bool		order_matters;	/* the order of this level's rows can reach the result */
	/* plan a nested query level (planner.c): its graph, columns from 0 */
	struct Op  *(*plan_subquery) (struct PlanState_ *ps, Query *sub);
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
	bool		nulls_match;	/* a magic set's keys: NULL joins NULL */
} CorrelatedScalar;

/*
 * A LATERAL subquery with ORDER BY ... LIMIT correlated with the row
 * around it (lateral.c).  Its candidates (the subquery without ORDER BY,
 * LIMIT and correlated conditions) are a subquery of the range table only
 * (candrti), whose first nkeys columns are the inner sides of the
 * equality correlations; every other expression reads the outer row's
 * tables and candrti.
 */
typedef struct LateralTopK
{
	int			rti;			/* the LATERAL subquery */
	int			candrti;
	List	   *lkeys;			/* outer sides of the equalities, at this level */
	List	   *eqops;
	int			nkeys;
	List	   *quals;			/* the other correlated conditions */
	List	   *sortexprs;
	List	   *sortclauses;	/* SortGroupClause *, for the operators */
	List	   *outexprs;		/* the subquery's target list, every entry */
	int64		offset;
	int64		count;
	bool		with_ties;
	bool		pad;			/* a scalar subquery's: NULLs where no row (LEFT JOIN) */
	Bitmapset  *outer_rels;		/* the tables of this level it reads */
} LateralTopK;

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

/* expr.c: checks, layout and re-pointing, keys, captured settings */
extern Node *plan_and(Node *quals, List *conds);
extern void plan_add_group_key(Query *sub, TargetEntry *te);
extern Query *plan_select_over(Query *sub, const char *alias, Node *quals);
extern void plan_refuse(const char *name, const char *what, const char *hint);
extern bool plan_has_row_security(Oid relid);
extern void plan_check_query(PState *ps);
extern void plan_check_expression(PState *ps, Node *node);
extern bool plan_setting_captured(const char *name);
extern void plan_layout_init(Layout *l, Query *q);
extern Node *plan_repoint_mutator(Node *node, RepointCtx *ctx);
extern ExprState *plan_compile_expr(Expr *expr, Layout *layout, List *replace);
extern ExprState *plan_compile_qual(List *conjuncts, Layout *layout, List *replace);
extern TupleDesc plan_desc_for_exprs(List *exprs);
extern void plan_op_slots(Op *op);
extern Oid	plan_same_type_equality(OpExpr *op, Node **a, Node **b);
extern KeySpec *plan_keyspec_for_ops(List *exprs, List *eqops);
extern KeySpec *plan_grouping_keyspec(PState *ps, List *exprs, List *eqops);

/* join.c: FROM and WHERE */
extern Op  *plan_build_scope(PState *ps, Node *jt, List *extra_quals, List *vars,
							 ViewPlan *plan, Bitmapset **rels);
extern Op  *plan_make_join(PState *ps, Op *left, Op *right, Bitmapset *rrels, List *lkeys,
						   List *rkeys, List *eqops, bool pad_left, bool pad_right);
extern Op  *plan_make_subquery(PState *ps, int rti);
extern bool plan_equality_between(Node *c, Bitmapset *lrels, Bitmapset *rrels, Node **lkey,
								  Node **rkey, Oid *eqop);

/* decorrelate.c: subqueries that read the row around them */
extern bool plan_only_outer_vars(Node *n);	/* the outer query's columns alone, no subquery */
extern List *plan_extract_semis(PState *ps, Query *q);
extern void plan_extract_marks(PState *ps, Query *q);
extern Op  *plan_apply_semi(PState *ps, Op *cur, SemiJoin *sj);
extern Op  *plan_apply_not_in(PState *ps, Op *cur, SemiJoin *sj);
extern Op  *plan_apply_marks(PState *ps, Op *cur);

/* decorrelate_scalar.c: correlated scalar subqueries, and the correlation rule */
extern void plan_split_correlation(PState *ps, Query *sub, const char *what, List **outers,
								   List **inners, List **eqops);
extern Node *plan_pull_up_correlated_scalar(PState *ps, Query *q, SubLink *sl);
extern Op  *plan_apply_correlated(PState *ps, Op *cur, CorrelatedScalar *cs);

/* decorrelate_magic.c: correlations other than equalities, through a magic set */
extern bool plan_correlation_needs_magic(Query *sub);
extern List *plan_magic_correlation(PState *ps, Query *q, Query *sub, List **outers,
									List **eqops);
extern void plan_rewrite_residual_exists(Query *q);

/* outer_magic.c */
extern void plan_rewrite_outer_joins(Query *q);

/* decorrelate_lateral.c: LATERAL subqueries correlated through equalities */
extern void plan_decorrelate_laterals(PState *ps, Query *q);

/* lateral.c: LATERAL (... ORDER BY ... LIMIT k) per outer row */
extern void plan_prepare_lateral(PState *ps, Query *q, int rti, Node *parent);
extern LateralTopK *plan_lateral_of(PState *ps, int rti);
extern List *plan_lateral_exprs(PState *ps);
extern Op  *plan_apply_lateral(PState *ps, Op *left, LateralTopK *lt, bool pad);

/* agg.c: grouping, aggregates, DISTINCT */
extern bool plan_collect_aggrefs(Node *node, List **aggs);
extern Op  *plan_grouping_set(PState *ps, Op *input, Query *q, List *set, List *aggrefs,
							  List *mapexprs);
extern Op  *plan_distinct_on(PState *ps, Op *input, Query *q, bool top);
extern Op  *plan_distinct_rows(PState *ps, Op *input);
extern Query *plan_scalar_as_aggregate(Query *sub, bool correlated);
extern Expr *plan_scalar_checked(Expr *v, Expr *n);

/* window.c: window functions, LIMIT / OFFSET */
extern List *plan_window_inputs(Query *q, List *exprs);
extern Op  *plan_windows(PState *ps, Op *input, Query *q, List *inputs, List *exprs);
extern void plan_limit_bounds(PState *ps, Query *q, int64 *offset, int64 *count,
							  bool *with_ties);
extern Op  *plan_limit(PState *ps, Op *input, Query *q);
extern Op  *plan_select_columns(Op *input, Query *q);

/* time.c: a view grouped by an event-time window, with time options */
extern void plan_time_check(const char *name, Query *q, ViewPlan *plan, TimeOptions *opts);
extern Op  *plan_time_gate_in(PState *ps, Op *input);
extern void plan_time_note_reduce(PState *ps, Op *reduce, List *keyexprs);
extern Op  *plan_time_gate_out(const char *name, ViewPlan *plan, Op *root);
extern void plan_temporal_extract(const char *name, Query *q, ViewPlan *plan);
extern Op  *plan_temporal_apply(PState *ps, Op *input);

/* timejoin.c: an interval join with a cutoff */
extern bool plan_time_join_check(const char *name, Query *q, ViewPlan *plan, TimeOptions *opts,
								 struct TimeClock *c);
extern Op  *plan_time_join_gate(PState *ps, Op *input, int rti);
extern void plan_time_join_finish(const char *name, ViewPlan *plan);

/* pullup.c: set-returning functions and scalar subqueries made FROM items */
extern void plan_pull_up_target_srf(PState *ps, Query *q);
extern void plan_pull_up_scalars(PState *ps, Query *q);
extern void plan_wrap_global_aggregate(Query *q);
extern void plan_wrap_aggregate_srf(Query *q);

/* batch.c: calls gathered over a map's batch (pathway.embed, http_request) */
extern void plan_batch_calls(struct Op *root);
extern void plan_batch_functions(Oid *embed, Oid *http_request, Oid *http_get);

/* recursive.c: WITH RECURSIVE */
extern bool plan_is_recursive(Query *q);
extern Op  *plan_recursive(PState *ps, Query *q, Op *(*build_branch) (PState *ps, Node *node));
extern Op  *plan_working_table(PState *ps, int rti);
extern CommonTableExpr *plan_expand_search_cycle(CommonTableExpr *cte);
extern void plan_forget_cte_copies(void);
extern void plan_note_cte_copy(Query *copy, CommonTableExpr *cte, bool reusable);
extern Query *plan_inlined_cte(CommonTableExpr *cte);
extern Op  *plan_shared_cte(Query *copy);
extern void plan_share_cte(Query *copy, Op *op);

#endif							/* PATHWAY_PLAN_INTERNAL_H */
