/*
 * temporal.h
 *	  Temporal filters: WHERE conditions that compare a row's expression with
 *	  pathway.now(), the view's clock (docs/time.md).
 *
 * Each condition makes a bound on the clock: "e > now() - c" holds while
 * now < e + c (an upper bound), "e <= now() + c" once now >= e - c (a lower
 * bound).  A row is in the view while its bounds hold: from <= now < until.
 * OP_TEMPORAL passes a changed row when it holds at the clock, and keeps
 * only the rows whose state will change later (they enter at `from`, or
 * leave at `until`) in a queue ordered by that moment: when the clock
 * passes it, the row enters or leaves, with no write to the source and no
 * rescan.  A row's bounds are a pure function of the row, so a deletion
 * finds its queue entry by content.
 */
#ifndef PATHWAY_TEMPORAL_H
#define PATHWAY_TEMPORAL_H

#include "postgres.h"

#include "engine/operator.h"

typedef struct TemporalState
{
	int			nbounds;
	bool	   *upper;			/* per bound: until = e + offset (else from) */
	int64	   *offset;			/* microseconds added to the expression */

	bool		has_now;
	int64		now;			/* the clock, set by the caller before each step */

	MemoryContext cxt;			/* entries and their table */
	struct tq_rows_hash *rows;	/* scheduled rows by content */
	struct pairingheap *queue;	/* by the moment of their next change */
	int64		nrows;
} TemporalState;

extern TemporalState *op_temporal_create(MemoryContext parent, int nbounds);
/* The clock for the next step (it never goes back). */
extern void op_temporal_set_now(Op *op, int64 now);
/* The moment of the next change queued, if any. */
extern bool op_temporal_next(Op *op, int64 *at);
extern void op_temporal_step(Op *op);

#endif							/* PATHWAY_TEMPORAL_H */
