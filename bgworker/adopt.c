/*
 * adopt.c
 *	  Adoption: how a view joins the stream, at creation and after any
 *	  restart alike.
 *
 * Every view waiting to start is built by a batch run of its graph under
 * one fresh snapshot S (one that sees every transaction the epochs have
 * already decoded); it then joins the stream, skipping the transactions S
 * already holds, and the next epoch reconciles its table with the built
 * result in the same transaction that brings every other view to the same
 * frontier (epoch.c).  A restored view waits here until its table and its
 * owner's privileges are back.
 */
#include "postgres.h"

#include "access/attmap.h"
#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "bgworker/internal.h"
#include "bgworker/memory.h"
#include "connectors/snapshot.h"
#include "connectors/table_source.h"
#include "meta/engine.h"
#include "pathway.h"

#define ADOPT_CHUNK_ROWS 100000

/* transactions decoded in the last two epochs: a new snapshot must see them */
static TransactionId *recent_xids = NULL;
static int	n_recent = 0;
static int	n_prev = 0;			/* of which, from the older batch */
static int	cap_recent = 0;

/* memory.c's view of a build: publish it at every check, mid-step too. */
static void
build_progress(void *arg, Size view_bytes)
{
	worker_publish_progress((LiveView *) arg);
}

/*
 * Keep the xids decoded by this batch and the one before: an adoption
 * snapshot must see all of them (see adoption_snapshot).
 */
void
adopt_remember_xids(TransactionId *xids, int n)
{
	if (n == 0)
		return;
	if (n_recent + n > cap_recent)
	{
		cap_recent = Max(256, (n_recent + n) * 2);
		recent_xids = recent_xids ? repalloc(recent_xids, sizeof(TransactionId) * cap_recent)
			: MemoryContextAlloc(worker_cxt, sizeof(TransactionId) * cap_recent);
	}
	/* drop the batch before the previous one */
	if (n_prev > 0)
	{
		memmove(recent_xids, recent_xids + n_prev, sizeof(TransactionId) * (n_recent - n_prev));
		n_recent -= n_prev;
	}
	memcpy(recent_xids + n_recent, xids, sizeof(TransactionId) * n);
	n_prev = n_recent;
	n_recent += n;
}

/*
 * The result being built, consolidated as it grows: a build in chunks emits
 * -old +new for a group at every chunk, and those must not pile up.
 */
void
adopt_result_add(LiveView *v, ZBatch *batch)
{
	Datum		nokey = (Datum) 0;
	bool		nonull = false;
	ArrGroup   *g;
	int			i;

	if (v->initial == NULL)
	{
		KeySpec    *none = MemoryContextAllocZero(v->cxt, sizeof(KeySpec));

		none->keydesc = CreateTemplateTupleDesc(0);
		v->initial = arrangement_create(v->cxt, "pathway view build", none, true);
	}
	g = arrangement_lookup(v->initial, 0, &nokey, &nonull, true);
	for (i = 0; i < batch->n; i++)
		arrangement_add(v->initial, g, batch->rows[i].tup, batch->rows[i].weight);
}

/* The consolidated result as a batch (in the current context), and forget it. */
void
adopt_result_take(LiveView *v, ZBatch *out)
{
	Datum		nokey = (Datum) 0;
	bool		nonull = false;

	zbatch_init(out);
	if (v->initial)
	{
		ArrGroup   *g = arrangement_lookup(v->initial, 0, &nokey, &nonull, false);
		ArrRow	   *r;

		for (r = g ? g->rows : NULL; r; r = r->grp_next)
			zbatch_add(out, heap_copy_minimal_tuple(r->tup), r->weight);
		MemoryContextDelete(v->initial->cxt);
		v->initial = NULL;
	}
}

/* Push what the sources hold through the graph; collect the output. */
static void
adopt_step(LiveView *v, MemoryContext chunk_cxt)
{
	MemoryContext old = MemoryContextSwitchTo(chunk_cxt);
	Op		   *root = v->plan->root;

	engine_hold_tag = 0;		/* rows held for calls: the view has nothing yet */
	graph_step(root);
	worker_note_held(v);
	adopt_result_add(v, &root->out);
	MemoryContextSwitchTo(old);
	MemoryContextReset(chunk_cxt);
}

/* "1 source orders", "3 join", ...: for pathway.stats.  In v->cxt. */
static void
name_operators(LiveView *v)
{
	int			i;

	v->nops = graph_operators(v->plan->root, v->ops, PATHWAY_MAX_OPS);
	v->op_labels = palloc(sizeof(char *) * v->nops);
	for (i = 0; i < v->nops; i++)
	{
		Op		   *op = v->ops[i];

		if (op->kind == OP_SOURCE)
			v->op_labels[i] = OidIsValid(op->relid) ?
				psprintf("%d source %s", i + 1, get_rel_name(op->relid)) :
				psprintf("%d values", i + 1);
		else
			v->op_labels[i] = psprintf("%d %s", i + 1, op_kind_name(op));
	}
}

/* A view's table row of a final window is left alone (writer.h). */
static bool
row_settled(void *arg, Datum w, bool isnull, bool before)
{
	return op_time_row_settled((TimeClock *) arg, w, isnull, before);
}

/*
 * A view with time options starts from its saved time: the windows final
 * by then keep the rows its table has, and their rows in the sources (late
 * ones included) are not read again.
 */
static void
adopt_clock(LiveView *v)
{
	TimeClock  *c = v->plan->clock;
	int64		usecs;

	SPI_connect();
	if (meta_engine_view_time(v->relid, &usecs))
	{
		c->has_time = c->had_time_before = true;
		c->time = c->time_before = usecs;
	}
	SPI_finish();
	v->writer->settled = row_settled;
	v->writer->settled_arg = c;
	v->writer->settled_col = c->out_wcol;
}

typedef struct BuildChunk
{
	LiveView   *v;
	MemoryContext chunk_cxt;
	int64		base;			/* rows of the sources before this one */
} BuildChunk;

/* A chunk of source rows read (rows: of this source so far): push it through, show the progress. */
static void
build_chunk(void *arg, int64 rows)
{
	BuildChunk *b = (BuildChunk *) arg;

	b->v->build_done = b->base + rows;
	adopt_step(b->v, b->chunk_cxt);
	worker_publish_progress(b->v);
}

static void
adopt_one(LiveView *v, Snapshot snap, MemoryContext chunk_cxt)
{
	MemoryContext old;
	ListCell   *lc;
	BuildChunk	chunk = {v, chunk_cxt, 0};

	if (v->cxt == NULL)
	{
		v->cxt = AllocSetContextCreate(worker_cxt, "pathway view", ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(v->cxt);
		v->plan = v->topts ? plan_view_timed(v->name, (Query *) stringToNode(v->tree), v->topts)
			: plan_view(v->name, (Query *) stringToNode(v->tree));
		v->writer = writer_create(v->cxt, v->relid, v->plan->desc,
								  v->plan->nkeycols, v->plan->keycols);
		name_operators(v);
		MemoryContextSwitchTo(old);
		if (v->plan->clock)
			adopt_clock(v);
		/* a temporal filter builds at the current time; epochs move it on */
		if (v->plan->temporal)
			op_temporal_set_now(v->plan->temporal, GetCurrentTimestamp());
	}
	v->initial = NULL;
	v->build_done = 0;
	v->build_total = 0;
	foreach(lc, v->plan->sources)
	{
		Relation	rel;

		if (!OidIsValid(((Op *) lfirst(lc))->relid))
			continue;			/* constant rows */
		rel = table_open(((Op *) lfirst(lc))->relid, AccessShareLock);
		v->build_total += Max(rel->rd_rel->reltuples, 0);
		table_close(rel, AccessShareLock);
	}
	worker_publish_progress(v);

	foreach(lc, v->plan->sources)
	{
		/* a table (and its partitions or children) as of snap, or VALUES */
		chunk.base = v->build_done;
		v->build_done = chunk.base +
			snapshot_scan_source(lfirst(lc), snap, chunk_cxt, ADOPT_CHUNK_ROWS, build_chunk, &chunk);
	}
	adopt_step(v, chunk_cxt);
	v->build_total = Max(v->build_total, v->build_done);
	worker_publish_progress(v);

	old = MemoryContextSwitchTo(v->cxt);
	v->has_snap = true;
	v->snap_xmin = snap->xmin;
	v->snap_xmax = snap->xmax;
	v->snap_xcnt = snap->xcnt;
	v->snap_xip = palloc(sizeof(TransactionId) * (snap->xcnt + 1));
	memcpy(v->snap_xip, snap->xip, sizeof(TransactionId) * snap->xcnt);
	MemoryContextSwitchTo(old);
	v->adopting = true;
}

/* A snapshot that sees every transaction we already decoded. */
static Snapshot
adoption_snapshot(void)
{
	for (;;)
	{
		Snapshot	snap = GetTransactionSnapshot();
		bool		ok = true;
		int			i;

		for (i = 0; i < n_recent && ok; i++)
			if (XidInMVCCSnapshot(recent_xids[i], snap))
				ok = false;
		if (ok)
			return snap;
		/* a decoded commit is not in the proc array yet: a moment */
		(void) WaitLatch(MyLatch, WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1, PG_WAIT_EXTENSION);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Does the view's table have its pathway_maintained trigger?  A restore
 * loads a view's catalog row and its table's rows in any order, and creates
 * the trigger after both: until then the table is not ours to write.
 */
static bool
table_guarded(Oid relid)
{
	Relation	trig = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyData key[2];
	SysScanDesc scan;
	bool		found;

	ScanKeyInit(&key[0], Anum_pg_trigger_tgrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	ScanKeyInit(&key[1], Anum_pg_trigger_tgname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("pathway_maintained"));
	scan = systable_beginscan(trig, TriggerRelidNameIndexId, true, NULL, 2, key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(trig, AccessShareLock);
	return found;
}

/* A relation the query reads that the role may not read (a column of it, even)? */
static bool
unreadable_walker(Node *node, Oid *owner)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;
		bool		missing = false;

		return rte->rtekind == RTE_RELATION && (rte->requiredPerms & ACL_SELECT) &&
			pg_class_aclcheck_ext(rte->relid, *owner, ACL_SELECT, &missing) != ACLCHECK_OK &&
			!missing &&
			pg_attribute_aclcheck_all(rte->relid, *owner, ACL_SELECT, ACLMASK_ANY) != ACLCHECK_OK;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, unreadable_walker, owner, QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, unreadable_walker, owner);
}

/*
 * May the engine take over this view now?  A restored one (catalog status
 * 'restored', see extension/restore.c) waits for its table's trigger, and
 * for its owner's privileges on what it reads, which a restore grants last
 * of all; not for ever: a restore without privileges (pg_restore -x) fails
 * the view with the reason after PATHWAY_RESTORE_WAIT_MS.
 */
#define PATHWAY_RESTORE_WAIT_MS 60000

static bool
view_ready(LiveView *v)
{
	bool		restored;
	Oid			owner = v->owner;

	if (!table_guarded(v->relid))
		return false;
	SPI_connect();
	restored = meta_engine_view_restored(v->relid);
	SPI_finish();
	if (!restored || !unreadable_walker(stringToNode(v->tree), &owner))
		return true;
	if (v->restore_wait_since == 0)
		v->restore_wait_since = GetCurrentTimestamp();
	return TimestampDifferenceExceeds(v->restore_wait_since, GetCurrentTimestamp(),
									  PATHWAY_RESTORE_WAIT_MS);
}

typedef struct AdoptArgs
{
	Snapshot	snap;
	XLogRecPtr	snap_lsn;
	MemoryContext chunk_cxt;
} AdoptArgs;

static void
adopt_work(LiveView *v, void *arg)
{
	AdoptArgs  *a = (AdoptArgs *) arg;

	adopt_one(v, a->snap, a->chunk_cxt);
	v->snap_lsn = a->snap_lsn;
}

void
adopt_views(void)
{
	ListCell   *lc;
	bool		any = false;
	Snapshot	snap;
	XLogRecPtr	snap_lsn;
	MemoryContext chunk_cxt;
	AdoptArgs	args;

	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);

		if (v->state == PVS_STARTING && !v->adopting)
			any = true;
	}
	if (!any)
		return;

	pgstat_report_activity(STATE_RUNNING, "pathway: adopting views");
	chunk_cxt = AllocSetContextCreate(worker_batch_cxt, "pathway adoption chunk", ALLOCSET_DEFAULT_SIZES);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	snap = adoption_snapshot();
	PushActiveSnapshot(snap);
	snap = GetActiveSnapshot();
	/* every commit visible in S is before snap_lsn, and flushed */
	snap_lsn = pathway_flush_wal();

	args.snap = snap;
	args.snap_lsn = snap_lsn;
	args.chunk_cxt = chunk_cxt;
	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);

		if (v->state != PVS_STARTING || v->adopting)
			continue;
		v->unguarded = !view_ready(v);
		if (v->unguarded)
			continue;			/* being restored: looked at again next time round */
		/* a view that cannot even be built is failed, not rebuilt in a loop */
		memory_watch(v->name, "build", &v->cxt, chunk_cxt, build_progress, v);
		if (!worker_run_guarded(v, adopt_work, &args) && v->state == PVS_STARTING)
			worker_view_fail(v, v->error ? v->error : "could not build the view");
		if (memory_unwatch() && v->state == PVS_FAILED)
			v->memory_failed = true;
		MemoryContextReset(chunk_cxt);
	}

	if (SPI_connect() == SPI_OK_CONNECT)
	{
		worker_write_statuses();
		SPI_finish();
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextDelete(chunk_cxt);
	memory_give_back();
	worker_rewatch();
	worker_publish();
}
