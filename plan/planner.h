/*
 * planner.h
 *	  Compile a view's SQL into an engine graph, or refuse it.
 */
#ifndef PATHWAY_PLANNER_H
#define PATHWAY_PLANNER_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "engine/operator.h"
#include "nodes/parsenodes.h"

/*
 * The options of a view grouped by an event-time window (docs/time.md),
 * as create_view took them.
 */
typedef struct TimeOptions
{
	bool		has_cutoff;
	Interval	cutoff;
	bool		has_delay;
	Interval	delay;
	bool		keep_results;
	bool		on_close;		/* emit => 'on_close' */
} TimeOptions;

typedef struct ViewPlan
{
	Op		   *root;
	TupleDesc	desc;			/* the view's columns */
	List	   *sources;		/* Op * of kind OP_SOURCE */
	List	   *relids;			/* distinct source tables (OIDs) */
	List	   *rtable;			/* for the owner's privilege check each epoch */
	List	   *funcids;		/* functions the query calls, likewise (OIDs) */
	List	   *columns;		/* (relid, attno) pairs read, as two int lists */
	List	   *column_attnos;
	int			nkeycols;		/* unique key of the view, 0 if none */
	AttrNumber *keycols;		/* 1-based view columns */
	bool		ignored_order;	/* ORDER BY without LIMIT was dropped */

	/* a view with time options: its clock (engine/timegate.h), else NULL */
	struct TimeClock *clock;
	struct TimeWindow *timewin; /* the planner's (plan/time.c) */
	struct TimeJoin *timejoin;	/* or an interval join's (plan/timejoin.c) */
	Oid			time_type;		/* of the window: timestamp or timestamptz */
	int			time_col;		/* the window's (join: A's time) column in the view (0-based) */

	/* WHERE ... pathway.now(): the planner's bounds, the engine's operator */
	List	   *temporal_bounds;
	Op		   *temporal;		/* OP_TEMPORAL, or NULL */
} ViewPlan;

/*
 * Parse and analyze a view's query.  *text is set to the one statement's
 * text (without a trailing semicolon or comments after it).
 */
extern Query *plan_analyze_view(const char *name, const char *query, char **text);

/* SEARCH / CYCLE clauses of recursive WITH queries, kept out of the rewriter (recursive.c) */
extern List *plan_hold_search_cycle(Query *q);
extern void plan_restore_search_cycle(Query *q, List *held);

/*
 * The settings that change what an expression computes, as they are now:
 * a text[] of "name=value", stored with the view, under which the engine
 * computes it (current_setting() may read only these).
 */
extern Datum plan_capture_settings(void);

/*
 * Check an analyzed query and build its graph in CurrentMemoryContext.
 * Errors with ERRCODE_FEATURE_NOT_SUPPORTED (and others) name the construct
 * refused.  Runs with the privileges of the current user.
 */
extern ViewPlan *plan_view(const char *name, Query *query);

/* explain.c: the graph of a plan, one line per operator, pre-order */
typedef struct PlanExplainLine
{
	int			ordinal;		/* as pathway.stats numbers it */
	int			depth;
	const char *kind;
	char	   *detail;
	bool		shared;			/* a second parent of an operator shown above */
} PlanExplainLine;

extern List *plan_explain(ViewPlan *plan, int *nops);

/*
 * Does the view call pathway.http_request or http_get?  The engine fills
 * such a view (its calls made many at once), not create_view's query.
 */
extern bool plan_calls_http(ViewPlan *plan);

/* The same for a view with time options (refused where they do not fit). */
extern ViewPlan *plan_view_timed(const char *name, Query *query, TimeOptions *opts);

/* time.c: the options from the catalog's text; check_view's condition */
extern TimeOptions *plan_time_options_from_text(const char *cutoff, const char *delay,
												const char *keep_results, const char *emit);
extern char *plan_time_live_condition(ViewPlan *plan, const char *col, bool has_time, int64 usecs);

/*
 * Can the current user still compute the view?  SELECT on what it reads,
 * EXECUTE on every function it calls, and no row-level security in force on
 * a source for this user: errors otherwise (42501 or 0A000), as a fresh run
 * of the query would.
 */
extern void plan_check_access(const char *name, ViewPlan *plan);

#endif							/* PATHWAY_PLANNER_H */
