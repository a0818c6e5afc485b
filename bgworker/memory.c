/*
 * memory.c
 *	  The engine worker's memory bound and giving memory back.
 *
 * memory_watch() names the view whose work runs now, the context of its
 * state and the context its work allocates batches in.  Every
 * ENGINE_MEMORY_TICK bytes of rows the engine forms, memory_check() measures
 * the worker's contexts with MemoryContextMemAllocated (a walk over the
 * context tree, no allocation) and raises ERRCODE_OUT_OF_MEMORY past
 * pathway.max_memory.  The caller's per-view guard turns it into that view's
 * failure; memory_unwatch() tells the caller it was this limit.
 *
 * Freed memory goes back to the allocator, which keeps it: after the worker
 * held much more than it holds now (a large view dropped or failed),
 * memory_give_back() asks glibc to return free pages to the kernel.
 */
#include "postgres.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "bgworker/memory.h"
#include "engine/row.h"
#include "pathway.h"

/* give memory back once the worker holds this much less than its peak */
#define GIVE_BACK_MIN ((Size) 16 * 1024 * 1024)

static MemoryContext worker_cxt;
static MemoryContext batch_cxt;

/* the view whose work runs now (NULL: none) */
static const char *watched;
static const char *watched_what;
static MemoryContext *watched_state;
static MemoryContext watched_work;
static MemoryProgress watched_progress;
static void *watched_arg;
static bool tripped;

/* the most the worker held when last measured, since the last give-back */
static Size peak;

static void memory_check(void);

void
memory_init(MemoryContext worker, MemoryContext batch)
{
	worker_cxt = worker;
	batch_cxt = batch;
	engine_memory_hook = memory_check;
}

/* What the worker's contexts hold now. */
Size
memory_held(void)
{
	Size		total = MemoryContextMemAllocated(worker_cxt, true) +
		MemoryContextMemAllocated(batch_cxt, true);

	if (TopTransactionContext)
		total += MemoryContextMemAllocated(TopTransactionContext, true);
	return total;
}

/* What the watched view holds: its state and its work's batches. */
Size
memory_view_bytes(void)
{
	Size		bytes = 0;

	if (watched_state && *watched_state)
		bytes += MemoryContextMemAllocated(*watched_state, true);
	if (watched_work)
		bytes += MemoryContextMemAllocated(watched_work, true);
	return bytes;
}

static char *
pretty(Size bytes)
{
	return text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
															  Int64GetDatum((int64) bytes))));
}

static void
memory_check(void)
{
	Size		total;
	Size		view;

	if (watched == NULL)
		return;
	/* a long step stays interruptible (shutdown) */
	CHECK_FOR_INTERRUPTS();
	total = memory_held();
	peak = Max(peak, total);
	view = memory_view_bytes();
	if (watched_progress)
		watched_progress(watched_arg, view);
	if (pathway_max_memory_kb >= 0 && total > (Size) pathway_max_memory_kb * 1024)
	{
		tripped = true;
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("live view \"%s\" exceeds pathway.max_memory (%s) in its %s: the view holds %s, the engine worker %s",
						watched, GetConfigOptionByName("pathway.max_memory", NULL, false),
						watched_what, pretty(view), pretty(total)),
				 errdetail("A view that passes the limit fails and is not built again, not even after a restart, until it is recreated."),
				 errhint("Raise pathway.max_memory or simplify the view, then recreate it.")));
	}
}

/*
 * The work of a view starts ("build" or "epoch"): its state lives in
 * *state_cxt (read at each check: a build may create it), its batches in
 * work_cxt.  progress, if given, hears what the view holds at each check.
 */
void
memory_watch(const char *view, const char *what, MemoryContext *state_cxt,
			 MemoryContext work_cxt, MemoryProgress progress, void *arg)
{
	watched = view;
	watched_what = what;
	watched_state = state_cxt;
	watched_work = work_cxt;
	watched_progress = progress;
	watched_arg = arg;
	tripped = false;
}

/* The work is over (or failed).  Returns whether it passed the limit. */
bool
memory_unwatch(void)
{
	bool		was = tripped;

	watched = NULL;
	watched_state = NULL;
	watched_work = NULL;
	watched_progress = NULL;
	tripped = false;
	return was;
}

/*
 * After memory was freed (a view dropped or failed, an epoch's batches
 * reset): when the worker held much more at its peak than it holds now,
 * return the allocator's free pages to the kernel.
 */
void
memory_give_back(void)
{
	Size		total = memory_held();

	if (peak > total + GIVE_BACK_MIN)
	{
#ifdef __GLIBC__
		malloc_trim(0);
#endif
	}
	peak = total;
}
