/*
 * memory.h
 *	  The engine worker's memory bound (pathway.max_memory).
 *
 * The worker's memory is what its own contexts hold: the views (plans,
 * state, writers), the epoch's batches and decoded changes, and the open
 * transaction.  While one view's build or epoch runs, the engine's row
 * counter (engine/row.h) calls back here about every megabyte of rows; past
 * the limit the view's work stops with an ERROR, which fails that view only.
 */
#ifndef PATHWAY_MEMORY_H
#define PATHWAY_MEMORY_H

#include "postgres.h"

#include "utils/memutils.h"

/* told, during a build, what the view holds so far */
typedef void (*MemoryProgress) (void *arg, Size view_bytes);

extern void memory_init(MemoryContext worker_cxt, MemoryContext batch_cxt);
extern void memory_watch(const char *view, const char *what, MemoryContext *state_cxt,
						 MemoryContext work_cxt, MemoryProgress progress, void *arg);
extern bool memory_unwatch(void);
extern Size memory_view_bytes(void);
extern Size memory_held(void);
extern void memory_give_back(void);

#endif							/* PATHWAY_MEMORY_H */
