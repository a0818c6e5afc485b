/*
 * row.h
 *	  Rows and Z-set batches: the unit every operator consumes and produces.
 *
 * A row is a MinimalTuple in canonical form: every varlena is detoasted and
 * decompressed before the tuple is formed, so two equal rows have equal
 * bytes.  That lets row identity (for consolidating weights) be a memcmp and
 * a hash of the bytes, with no per-column function calls.
 */
#ifndef PATHWAY_ROW_H
#define PATHWAY_ROW_H

#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupdesc.h"

/* A change: a row and its weight (+1 insert, -1 delete, n for n copies). */
typedef struct ZRow
{
	MinimalTuple tup;
	int64		weight;
} ZRow;

/* A batch of changes; rows and array live in the context it was made in. */
typedef struct ZBatch
{
	ZRow	   *rows;
	int			n;
	int			cap;
} ZBatch;

/*
 * Memory watch.  Every row taken into a batch or into operator state counts
 * its bytes; after about ENGINE_MEMORY_TICK of them, engine_memory_hook runs
 * (when set).  The hook may measure the memory held and raise an ERROR, so
 * that a step producing a huge output stops while it grows, not after.
 */
#define ENGINE_MEMORY_TICK ((int64) 1024 * 1024)

typedef void (*EngineMemoryHook) (void);

extern EngineMemoryHook engine_memory_hook;
extern int64 engine_memory_countdown;
extern void engine_memory_tick(void);

static inline void
engine_memory_note(Size bytes)
{
	engine_memory_countdown -= (int64) bytes;
	if (unlikely(engine_memory_countdown < 0))
		engine_memory_tick();
}

extern void zbatch_init(ZBatch *batch);
extern void zbatch_add(ZBatch *batch, MinimalTuple tup, int64 weight);
extern void zbatch_reset(ZBatch *batch);
extern void zbatch_consolidate(ZBatch *batch);

/* rows: zrow_ (batches: zbatch_) */
extern MinimalTuple zrow_form(TupleDesc desc, Datum *values, bool *isnull);
extern uint32 zrow_hash(MinimalTuple tup);
extern bool zrow_equal(MinimalTuple a, MinimalTuple b);
extern int	zrow_compare(MinimalTuple a, MinimalTuple b);
extern Datum zrow_getattr(MinimalTuple tup, TupleDesc desc, int attno, bool *isnull);

#endif							/* PATHWAY_ROW_H */
