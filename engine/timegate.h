/*
 * timegate.h
 *	  Event time for a view grouped by a window (pathway.tumble, pathway.hop):
 *	  the view's clock, late rows, windows that close and windows forgotten.
 *
 * A windowed view's graph is
 *
 *	  rows -> time in -> map(keys, args) -> reduce -> map(target list) -> time out
 *
 * "time in" (OP_TIME_IN) reads each row's event time and window start: a
 * row whose window is already final is late and dropped (counted); the
 * others pass, and the largest event time seen is the candidate for the
 * view's time.  "time out" (OP_TIME_OUT) holds back the rows of windows
 * that must not show yet (emit => 'on_close': open windows; a delay: the
 * windows the clock has not reached) and remembers the rows it must delete
 * when their window is forgotten (keep_results => false).
 *
 * The clock moves only in op_time_advance, between steps (the worker calls
 * it once per epoch, never between the chunks of a build): every row of a
 * step is judged by the time before it.  Advancing releases the windows
 * that became visible, deletes or keeps the rows of the windows that became
 * final, and forgets their state in the reduce and in "time out".
 *
 * Times are microseconds (timestamp and timestamptz alike); a window is
 * [start, start + width).
 *
 * An interval join with a cutoff (join) has no windows: its graph is
 *
 *	  rows of A -> time in --\
 *	                          join -> map(condition, target list)
 *	  rows of B -> time in --/
 *
 * where the view shows A's event time, and the join condition bounds it by
 * B's: A.ts <= B.ts + shift.  Each row is a window of one microsecond at
 * its time (A's) or at its time plus shift (B's): a row of A is final once
 * A.ts + cutoff is before the view's time, and so is the view's row it
 * joined (the writer leaves it alone); a row of B is final once no row of A
 * that is not final can match it.  Final rows are late when they arrive
 * and forgotten from the join's arrangements when the clock passes them.
 */
#ifndef PATHWAY_TIMEGATE_H
#define PATHWAY_TIMEGATE_H

#include "postgres.h"

#include "engine/operator.h"

typedef struct TimeClock
{
	/* the options, fixed at planning */
	int64		width;			/* of a window */
	bool		has_cutoff;
	int64		cutoff;			/* final once end + cutoff <= time */
	bool		has_delay;
	int64		delay;			/* updates: shown once start + delay <= time;
								 * on_close: closes once end + delay <= time */
	bool		keep_results;	/* false: a forgotten window's rows are deleted */
	bool		on_close;		/* emit => 'on_close' */

	/* the view's time: the largest event time accepted, never backwards */
	bool		has_time;
	int64		time;
	bool		had_time_before;	/* the time before the last advance */
	int64		time_before;
	bool		dirty;			/* moved since the worker saved it */
	bool		forgot;			/* windows became final: the writer may forget rows */

	/* gathered by "time in" during steps, used by the next advance */
	bool		seen;
	int64		seen_max;		/* largest event time of accepted rows */
	bool		has_min_window;
	int64		min_window;		/* earliest window start that may hold state */
	int64		late;			/* rows dropped as late, since the build */
	bool		building;		/* before the first advance: rows of final
								 * windows are history, not late */

	/* an interval join (see above): side 0 is A, side 1 is B */
	bool		join;
	int64		join_shift;		/* B's rows are final at B.ts + shift */
	Op		   *gate[2];		/* "time in" of each side */
	Arrangement *held[2];		/* the join's arrangement of each side's rows */
	bool		has_min[2];
	int64		min[2];			/* the earliest (shifted) time held */

	/* the operators the clock drives */
	Op		   *reduce;
	int			reduce_wcol;	/* the window's column in the reduce's rows */
	Op		   *out;			/* "time out", the root; its window column: */
	int			out_wcol;
} TimeClock;

/* Is the window starting at w final (its state forgotten) at this time? */
extern bool op_time_final(TimeClock *c, bool has_time, int64 time, int64 w);

/*
 * Is a row of the view's table with this window value no longer the
 * engine's (final: kept as it is, never matched again)?  before: judged by
 * the time before the last advance (what a rebuild's reconciliation must
 * leave alone), else by the current time.
 */
extern bool op_time_row_settled(TimeClock *c, Datum w, bool isnull, bool before);

/* Move the clock after a step; the releases and deletions go to c->out->out. */
extern void op_time_advance(TimeClock *c);

extern void op_time_in_step(Op *op);
extern void op_time_out_step(Op *op);

/* (reduce.c) drop the groups whose window is final; returns the earliest window left */
extern bool op_reduce_forget(Op *op, TimeClock *c, int64 *min_window);

#endif							/* PATHWAY_TIMEGATE_H */
