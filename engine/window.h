/*
 * window.h
 *	  Window functions and ORDER BY ... LIMIT / OFFSET (top-k) over Z-sets.
 *
 * An OP_WINDOW operator arranges its input by the PARTITION BY key
 * (op->keycols, op->arr) and keeps each partition's rows sorted by the
 * ORDER BY keys (op->sortcols, op->sortkeys), ties broken by the rows'
 * bytes so that the order is total and the same after every rebuild.  A
 * step recomputes only the partitions it touched and emits the difference
 * between their old and new output rows:
 *  - with a WindowAgg plan, each output row is the input row followed by
 *    the window functions' values, computed by PostgreSQL's own WindowAgg
 *    node over the sorted partition (every window function, aggregate and
 *    frame that PostgreSQL has);
 *  - without one (top-k), the output rows are the partition's rows at
 *    positions [offset, offset + count), plus the peers of the last one
 *    with WITH TIES.
 */
#ifndef PATHWAY_WINDOW_H
#define PATHWAY_WINDOW_H

#include "postgres.h"

#include "engine/operator.h"

typedef struct WindowSpec
{
	/* top-k (plan == NULL) */
	int64		offset;
	int64		count;			/* -1: no limit */
	bool		with_ties;

	/* window functions: PostgreSQL's WindowAgg over one sorted partition */
	struct WindowAgg *plan;
	struct EState *estate;
	struct PlanState *planstate;
	struct Tuplestorestate *feed;	/* the partition's rows, read by the plan */
	TupleTableSlot *feedslot;

	MemoryContext rowcxt;		/* the partitions' rows; long-lived */
	int64		nrows;			/* distinct rows held, over all partitions */
} WindowSpec;

/*
 * Make op (of kind OP_WINDOW, with its keys, sort keys and arrangement set
 * by the planner) ready to run.  plan, if not NULL, is a WindowAgg whose
 * target list reads its input row as OUTER_VAR columns; its input plan is
 * made here.  In the graph's long-lived context; needs a transaction.
 */
extern void op_init_window(Op *op, struct WindowAgg *plan, int64 offset,
							int64 count, bool with_ties);
extern void op_window_step(Op *op);

#endif							/* PATHWAY_WINDOW_H */
