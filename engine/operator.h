/*
 * operator.h
 *	  The dataflow graph of one view and the step that pushes a batch of
 *	  source changes through it.
 *
 * A graph is a tree of operators over Z-sets.  Each step, sources receive
 * their changes, every operator turns its inputs' output batches into its
 * own, and the root's batch is the change to apply to the view's table.
 * Expressions are PostgreSQL ExprStates run by the executor, so every type,
 * operator and function works; the planner (extension/) builds them.
 *
 * Memory: operators, ExprStates and arrangements live in the graph's
 * long-lived context; batches produced by a step live in the context that is
 * current during graph_step, which the caller resets after each epoch.
 */
#ifndef PATHWAY_OPERATOR_H
#define PATHWAY_OPERATOR_H

#include "postgres.h"

#include "executor/execExpr.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "nodes/parsenodes.h"

#include "engine/arrangement.h"
#include "engine/row.h"

typedef enum OpKind
{
	OP_SOURCE,					/* changes of one table, projected */
	OP_MAP,						/* filter and/or projection */
	OP_JOIN,					/* inner equi-join (no keys: cross join) */
	OP_REDUCE,					/* GROUP BY / DISTINCT / global aggregate */
	OP_UNION,					/* UNION ALL */
	OP_SETOP,					/* INTERSECT [ALL], EXCEPT [ALL] */
	OP_FIRST,					/* DISTINCT ON: the first row of each group */
	OP_FLATMAP,					/* a function in FROM over each row (LATERAL) */
	OP_WINDOW,					/* window functions, ORDER BY ... LIMIT (window.h) */
	OP_LATERAL,					/* LATERAL (... ORDER BY ... LIMIT k) per outer row (lateral.h) */
	OP_TIME_IN,					/* event time: late rows dropped (timegate.h) */
	OP_TIME_OUT,				/* event time: windows shown, closed, forgotten */
	OP_TEMPORAL,				/* WHERE ... pathway.now(): rows in time (temporal.h) */
	OP_ITERATE					/* WITH RECURSIVE: a fixed point (iterate.h) */
} OpKind;

/* One aggregate call, described by the planner from pg_aggregate. */
typedef struct AggSpec
{
	int			nargs;
	int		   *argcols;		/* input row columns (0-based) of the args */
	int			filtercol;		/* FILTER (WHERE ...) column, -1 if none */
	int			nsort;			/* ORDER BY / DISTINCT inside the call */
	int		   *sortcols;
	struct SortSupportData *sortkeys;
	bool		distinct;		/* skip inputs equal on every sort key */
	Oid			collation;

	/* plain transition, used when recomputing a group from its rows */
	FmgrInfo	transfn;
	bool		transstrict;
	int16		translen;
	bool		transbyval;
	Datum		initval;
	bool		initnull;
	bool		has_final;
	FmgrInfo	finalfn;
	int			nfinalargs;
	bool		finalstrict;

	/*
	 * Ordered-set aggregates (percentile_cont(0.5) WITHIN GROUP (ORDER BY
	 * x)): constant direct arguments for the final function, and the Aggref
	 * their support functions look up (AggGetAggref) through a minimal
	 * per-transition / per-aggregate state.
	 */
	int			ndirect;
	Datum	   *directvals;
	bool	   *directnulls;
	struct AggStatePerTransData *pertrans;
	struct AggStatePerAggData *peragg;

	/* moving-aggregate (invertible) transition, when pg_aggregate has one */
	bool		moving;
	FmgrInfo	mtransfn;
	FmgrInfo	minvfn;
	bool		mtransstrict;
	int16		mtranslen;
	bool		mtransbyval;
	bool		mtrans_internal;
	Datum		minitval;
	bool		minitnull;
	bool		has_mfinal;
	FmgrInfo	mfinalfn;
	int			nmfinalargs;
	bool		mfinalstrict;

	/*
	 * min/max (an aggregate with a sort operator): run as a moving aggregate
	 * whose inverse gives up (the group is reseeded from its rows) only when
	 * the value removed equals the current extreme; any other removal
	 * leaves the state as it is.
	 */
	bool		extreme;
	FmgrInfo	extreme_eq;		/* the type's equality */
} AggSpec;

typedef struct Op
{
	OpKind		kind;
	TupleDesc	desc;			/* output rows */
	struct Op  *left;
	struct Op  *right;
	ZBatch		out;			/* this step's output */
	ExprContext *econtext;
	TupleTableSlot *lslot;		/* holds a row of left (or only) input */
	TupleTableSlot *rslot;		/* holds a row of right input */
	int64		rows_in;
	int64		rows_out;
	uint64		last_step;		/* the graph step that last ran it */

	/* OP_SOURCE */
	Oid			relid;
	int			nsrccols;
	AttrNumber *srcattnos;		/* table attnos kept, in output order */
	ZBatch		pending;
	ZBatch		consts;			/* no relid: constant rows (VALUES), added once per build */
	bool		only;			/* FROM ONLY: the table's own rows, not its children's */

	/* OP_MAP */
	ExprState  *qual;
	int			nexprs;
	ExprState **exprs;			/* NULL: pass rows through */

	/*
	 * OP_MAP: calls in exprs whose arguments are gathered over the whole
	 * batch and handed to engine_batch_hook before exprs run (pathway.embed,
	 * pathway.http_request, so that an epoch's new rows make few, concurrent
	 * requests): per call its kind, ENGINE_CALL_MAX_ARGS argument
	 * expressions (NULL past the call's own), and a pointer the hook keeps.
	 */
	int			nbatched;
	int			nbatched_qual;	/* the first ones: the filter's first conjunct's, over every row */
	int		   *batched_kind;	/* EngineCallKind */
	ExprState **batched_args;	/* nbatched * ENGINE_CALL_MAX_ARGS */
	void	  **batched_state;

	/*
	 * Input batches whose calls' answers are not ready yet (the hook said
	 * so), oldest first (HeldBatch *): the map takes them, in order, once
	 * the hook has their answers, before any later batch.
	 */
	List	   *held;

	/* OP_JOIN */
	bool		pad_left;		/* LEFT/FULL: left rows without a match, NULL-padded */
	bool		pad_right;		/* FULL: right rows without a match */
	bool		semi;			/* EXISTS / IN: left rows that have a match */
	bool		anti;			/* NOT EXISTS: left rows that have none */
	KeySpec    *keys;
	ExprState **lkeys;
	ExprState **rkeys;
	Arrangement *larr;
	Arrangement *rarr;

	/*
	 * OP_FLATMAP: the input row, then each row the functions return for it,
	 * several in lockstep (ROWS FROM: as many rows as the longest, the
	 * others' columns NULL past their end)
	 */
	int			nsrfs;			/* at most ENGINE_FLATMAP_MAX_FUNCTIONS */
	bool		ordinality;		/* WITH ORDINALITY: a last column numbering them */
	struct SetExprState **srfs;
	TupleDesc  *fdescs;
	TupleTableSlot **fslots;
	MemoryContext argcxt;

	/* OP_FIRST and OP_WINDOW: groups on keycols, ordered by the sort keys, in arr */
	int		   *keycols;
	int			nsort;
	int		   *sortcols;
	struct SortSupportData *sortkeys;
	struct WindowSpec *window;	/* OP_WINDOW: top-k or window functions */

	/* OP_LATERAL: keys, lkeys, rkeys, larr, rarr as a join's, and */
	struct LateralSpec *lateral;

	/* OP_SETOP: counts of each row on both sides, in arr */
	SetOperation setop;
	bool		setop_all;

	/* OP_REDUCE: key is the first nkeys input columns */
	int			nkeys;
	bool		distinct;
	bool		global;
	bool		global_seen;
	int			naggs;
	AggSpec    *aggs;
	bool		all_moving;
	Arrangement *arr;
	MemoryContext aggcxt;		/* moving states; long-lived */
	MemoryContext scratchcxt;	/* one group's recompute */
	struct AggState *fakeagg;	/* what transition functions see as context */
	ExprContext *aggecxt;
	FunctionCallInfo fcinfo;

	/* OP_TIME_IN, OP_TIME_OUT (timegate.h): the view's clock */
	struct TimeClock *clock;

	/* OP_TEMPORAL (temporal.h): exprs are the bounds' expressions */
	struct TemporalState *temporal;

	/* OP_ITERATE: left the non-recursive term, right the recursive one */
	struct IterateSpec *iterate;
} Op;

/* The calls a map batches (plan/batch.c), and their arguments. */
typedef enum EngineCallKind
{
	ENGINE_CALL_EMBED,			/* pathway.embed(input, model) */
	ENGINE_CALL_HTTP_REQUEST,	/* pathway.http_request(method, url, body, headers) */
	ENGINE_CALL_HTTP_GET		/* pathway.http_get(url) */
} EngineCallKind;

#define ENGINE_CALL_MAX_ARGS 4

/* the functions of one ROWS FROM (or of one select list) a flatmap runs */
#define ENGINE_FLATMAP_MAX_FUNCTIONS 16

/*
 * Run by a map before its expressions, once per batched call, with the
 * argument values of the rows that passed the filter (NULLs included):
 * args[a][i], nulls[a][i] for the call's a-th argument and the i-th row;
 * the hook makes the answers ready for the calls that follow and returns
 * true, or returns false when they are not ready yet (the calls go on
 * without the caller): the map then holds the batch and asks again at its
 * next step.  It may raise an ERROR.  NULL: calls are made one by one
 * when evaluated.
 */
typedef bool (*EngineBatchHook) (EngineCallKind kind, void **state, int n,
								 Datum **args, bool **nulls);
extern EngineBatchHook engine_batch_hook;

/* A map's batch held for its calls' answers, with the caller's tag of when. */
typedef struct HeldBatch
{
	ZBatch		rows;			/* copies, in cxt */
	MemoryContext cxt;
	uint64		tag;			/* engine_hold_tag when it was held */
} HeldBatch;

/* Set by the caller before a step: what a batch held in it is tagged with. */
extern uint64 engine_hold_tag;

/*
 * Rows held by the maps of a graph for their calls (0: none), and the
 * smallest tag among their batches.
 */
extern int64 graph_held_rows(Op *root, uint64 *oldest_tag);

/* Has the graph an operator of this kind? */
extern bool graph_has_kind(Op *root, OpKind kind);

extern Op  *op_make(OpKind kind, TupleDesc desc);
extern void op_init_reduce(Op *op, MemoryContext cxt);
extern void op_source_add_constants(Op *op);
extern void op_source_add(Op *op, int natts, Datum *values, bool *isnull,
						  int64 weight);
extern void graph_step(Op *root);
extern Size graph_state_bytes(Op *root);
extern int64 graph_state_rows(Op *root);
extern int	graph_operators(Op *root, Op **ops, int max);
extern Size op_state_bytes(Op *op);
extern int64 op_state_rows(Op *op);
extern const char *op_kind_name(Op *op);

/* for the operators' steps (reduce.c, window.c) */
extern ArrGroup *op_group_of(Op *op, TupleTableSlot *slot, MinimalTuple tup);
extern ArrGroup *op_partner_group(Op *op, Arrangement *arr, ArrGroup *g);
extern bool op_row_key(Op *op, ExprState **keyexprs, TupleTableSlot *slot, MinimalTuple tup,
					   Datum *values, bool *isnull, uint32 *hash);
extern void op_reduce_step(Op *op);
extern void op_first_step(Op *op);

#endif							/* PATHWAY_OPERATOR_H */
