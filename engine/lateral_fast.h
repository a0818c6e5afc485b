/*
 * lateral_fast.h
 *	  What lateral.c and lateral_fast.c share: the answers kept per outer
 *	  row, and the nearest-neighbour fast path's index of them
 *	  (lateral_fast.c).  Private to the two files.
 */
#ifndef PATHWAY_LATERAL_FAST_H
#define PATHWAY_LATERAL_FAST_H

#include "postgres.h"

#include "engine/lateral.h"
#include "engine/row.h"

/* One entry of an answer: ORDER BY values ++ select list, and its copies. */
typedef struct LatEntry
{
	MinimalTuple tup;			/* entrydesc, in anscxt */
	int64		count;
	Datum		key1;			/* first ORDER BY value, read once */
	bool		null1;
} LatEntry;

typedef struct LatAnswer
{
	ArrRow	   *row;			/* the outer row */
	LatEntry   *e;				/* sorted (entry_compare) */
	int			n;
	int			cap;
	int64		held;			/* copies held: the sum of the entries' counts */
	bool		complete;		/* every passing candidate is held */
	bool		norm_known;		/* onorm computed (fast path, l2) */
	double		onorm;			/* the outer row's vector's norm; NaN: none */
	int			slot;			/* in its group's NormIndex; -1: none */
	bool		dirty;			/* recompute at the end of the step */
	bool		touched;		/* output retracted in this step */
	bool		gone;			/* the outer row vanished in this step */
	struct LatAnswer *next_touched;
} LatAnswer;

/*
 * The ascending l2 fast path keeps, per group of outer rows, one array of
 * what the norm test needs (the outer vector's norm and the answer's last
 * distance), so a new candidate is compared with every outer row of its
 * group in one pass over contiguous memory, without touching the rows it
 * rules out.  A slot's bound may lag behind its answer within a step, and
 * only ever above the answer's last distance (an incomplete answer's last
 * entry only comes closer until its next recompute), so pruning by it is
 * exact; it is refreshed when the step ends.
 */
typedef struct NormSlot
{
	double		onorm;			/* NaN: unknown (never prunes) */
	double		bound;			/* the last distance; INFINITY: prunes nothing */
	const float *ovec;			/* the outer vector, in its row; NULL: unknown */
	int			dim;
	struct LatAnswer *a;
} NormSlot;

typedef struct NormIndex
{
	NormSlot   *s;
	double	   *sketch;			/* per slot, its vector's sketch (vector.h):
								 * a lower bound of the distance read in one
								 * stream, not from every outer row */
	int			n;
	int			cap;
} NormIndex;

/* Column col (0-based) of a row of desc. */
static inline Datum
op_lateral_attr(MinimalTuple tup, TupleDesc desc, int col, bool *isnull)
{
	return zrow_getattr(tup, desc, col + 1, isnull);
}

extern bool op_lateral_fast_beyond(Op *op, LatAnswer *a, Datum ov, bool on, MinimalTuple ctup, double cnorm);
extern Datum op_lateral_outer_vector(Op *op, MinimalTuple ltup, bool *isnull);
extern bool op_lateral_norm_indexed(LateralSpec *ls);
extern void op_lateral_slot_add(LateralSpec *ls, ArrGroup *g, LatAnswer *a);
extern void op_lateral_slot_remove(ArrGroup *g, LatAnswer *a);
extern void op_lateral_slots_free(ArrGroup *g);
extern void op_lateral_slot_refresh(Op *op, LatAnswer *a);
extern bool op_lateral_same_candidate(Op *op, ZRow *d, ZRow *c, Datum *kv, bool *kn, uint32 h);

#endif							/* PATHWAY_LATERAL_FAST_H */
