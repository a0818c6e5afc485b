/*
 * views.c
 *	  What the engine worker does to one live view, whichever step it is in:
 *	  fail or rebuild it, run its work guarded (a subtransaction, as its
 *	  owner, with its creator's settings), empty it when its owner lost
 *	  access, write its status, and publish it to shared memory.
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "bgworker/internal.h"
#include "bgworker/memory.h"
#include "connectors/kafka_sink.h"
#include "connectors/kafka_source.h"
#include "connectors/table_source.h"
#include "meta/engine.h"

#define MAX_REBUILDS 3

void
worker_view_free_state(LiveView *v)
{
	if (v->cxt)
		MemoryContextDelete(v->cxt);
	v->cxt = NULL;
	v->nops = 0;
	v->op_labels = NULL;
	v->plan = NULL;
	v->writer = NULL;
	v->adopting = false;
	v->has_snap = false;
	v->initial = NULL;
	v->held_rows = 0;
}

void
worker_view_fail(LiveView *v, const char *message)
{
	char	   *copy = MemoryContextStrdup(worker_cxt, message);

	list_free(v->retry_relids);
	v->retry_relids = NIL;
	worker_view_free_state(v);
	v->state = PVS_FAILED;
	if (v->error)
		pfree(v->error);
	v->error = copy;
	v->status_dirty = true;
	ereport(WARNING,
			(errmsg("pathway: view \"%s\" failed: %s", v->name, message)));
}

/* An error's message, with its detail when it has one (the reason). */
static char *
error_text(ErrorData *edata)
{
	if (edata->detail && edata->detail[0])
		return psprintf("%s: %s", edata->message, edata->detail);
	return pstrdup(edata->message);
}

/*
 * An error the query raises over some rows (PostgreSQL's query would raise
 * it on the same data): data exceptions, a subquery of several rows used
 * as an expression, a function's RAISE.
 */
static bool
error_of_the_data(ErrorData *edata)
{
	return ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_DATA_EXCEPTION ||
		ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_CARDINALITY_VIOLATION ||
		edata->sqlerrcode == ERRCODE_RAISE_EXCEPTION;
}

/* The first retry 1 s after the failure, then 2, 4, ... up to 60 s. */
#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 60000

/*
 * An internal inconsistency rebuilds the view; anything else fails it, an
 * error of the data to be built again once a source changes.
 */
void
worker_view_error(LiveView *v, ErrorData *edata)
{
	List	   *relids = NIL;
	int64		delay = RETRY_FIRST_MS;
	int			i;

	if ((edata->sqlerrcode == ERRCODE_DATA_CORRUPTED ||
		 edata->sqlerrcode == ERRCODE_INTERNAL_ERROR) &&
		v->rebuilds < MAX_REBUILDS)
	{
		ereport(LOG,
				(errmsg("pathway: rebuilding view \"%s\": %s", v->name, edata->message)));
		if (v->error)
			pfree(v->error);
		v->error = MemoryContextStrdup(worker_cxt, edata->message);
		worker_view_free_state(v);
		v->state = PVS_STARTING;
		v->rebuilds++;
		return;
	}
	if (error_of_the_data(edata) && v->plan)
	{
		MemoryContext old = MemoryContextSwitchTo(worker_cxt);

		relids = list_copy(v->plan->relids);
		MemoryContextSwitchTo(old);
	}
	worker_view_fail(v, error_text(edata));
	if (relids == NIL)
		return;
	for (i = 0; i < v->retries && delay < RETRY_MAX_MS; i++)
		delay *= 2;
	v->retry_relids = relids;
	v->retry_changed = false;
	v->retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), Min(delay, RETRY_MAX_MS));
}

/* Build again the failed views whose sources changed and whose delay is over. */
void
worker_views_retry(void)
{
	TimestampTz now = GetCurrentTimestamp();
	ListCell   *lc;

	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);

		if (v->state != PVS_FAILED || v->retry_relids == NIL || !v->retry_changed ||
			v->memory_failed || now < v->retry_at)
			continue;
		ereport(LOG,
				(errmsg("pathway: building view \"%s\" again after its sources changed", v->name),
				 errdetail("It failed: %s", v->error ? v->error : "")));
		list_free(v->retry_relids);
		v->retry_relids = NIL;
		v->retries++;
		v->state = PVS_STARTING;
		v->status_dirty = true;
	}
}

bool
worker_view_reads(LiveView *v, Oid relid)
{
	return v->plan && list_member_oid(v->plan->relids, relid);
}

/* Was this transaction already in the view's adoption snapshot? */
bool
worker_in_snapshot(LiveView *v, TransactionId xid)
{
	int			i;

	if (TransactionIdPrecedes(xid, v->snap_xmin))
		return true;
	if (!TransactionIdPrecedes(xid, v->snap_xmax))
		return false;
	for (i = 0; i < v->snap_xcnt; i++)
		if (TransactionIdEquals(v->snap_xip[i], xid))
			return false;
	return true;
}
static void
reset_stats(void)
{
	ListCell   *lc;

	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);
		int			i;

		for (i = 0; i < v->nops; i++)
			v->ops[i]->rows_in = v->ops[i]->rows_out = 0;
		if (v->writer)
			v->writer->written = 0;
		v->epochs = 0;
		v->last_ms = v->total_ms = v->max_ms = 0;
	}
	worker_db->epochs = 0;
	worker_db->epoch_last_ms = worker_db->epoch_total_ms = worker_db->epoch_max_ms = 0;
	worker_db->reset_requested = false;
}

/*
 * What a view has applied: the frontier, unless a map holds rows for its
 * calls (then what came before the oldest of them) or a live view it reads
 * is behind.  depth: a bound on the reading chain (views read only older
 * views, so it never cycles).
 */
static XLogRecPtr
view_frontier(LiveView *v, int depth)
{
	XLogRecPtr	f = worker_frontier;
	ListCell   *lc;

	if (v->plan == NULL)
		return f;
	if (v->held_rows > 0)
		f = Min(f, (XLogRecPtr) v->held_tag);
	if (depth < 32)
		foreach(lc, v->plan->relids)
		{
			LiveView   *up = worker_view_by_relid(lfirst_oid(lc));

			if (up && up != v)
				f = Min(f, view_frontier(up, depth + 1));
		}
	return f;
}

/* Caller holds the lock. */
static void
publish_view(LiveView *v, PathwayViewShm *s)
{
	int			i;

	s->relid = v->relid;
	s->frontier = view_frontier(v, 0);
	s->held_rows = v->held_rows;
	strlcpy(s->label, v->label ? v->label : v->name, sizeof(s->label));
	s->state = v->state;
	s->state_rows = (v->plan ? graph_state_rows(v->plan->root) : 0) +
		(v->initial ? v->initial->nrows : 0);
	s->state_bytes = (v->plan ? graph_state_bytes(v->plan->root) : 0) +
		(v->writer ? writer_bytes(v->writer) : 0) +
		(v->initial ? arrangement_bytes(v->initial) : 0);
	s->rows_written = v->writer ? v->writer->written : 0;
	s->epochs = v->epochs;
	s->last_ms = v->last_ms;
	s->total_ms = v->total_ms;
	s->max_ms = v->max_ms;
	s->build_done = v->build_done;
	s->build_total = v->build_total;
	s->nops = v->nops;
	for (i = 0; i < v->nops; i++)
	{
		Op		   *op = v->ops[i];
		PathwayOpShm *o = &s->ops[i];

		strlcpy(o->label, v->op_labels[i], PATHWAY_OP_LABEL);
		o->rows_in = op->rows_in;
		o->rows_out = op->rows_out;
		o->state_rows = op_state_rows(op);
		o->state_bytes = op_state_bytes(op);
	}
	/* the view's table: the rows it holds and how the engine finds them */
	if (v->writer && s->nops < PATHWAY_MAX_OPS)
	{
		PathwayOpShm *o = &s->ops[s->nops];

		snprintf(o->label, PATHWAY_OP_LABEL, "%d table", s->nops + 1);
		o->rows_in = o->rows_out = v->writer->written;
		o->state_rows = v->writer->nrows;
		o->state_bytes = writer_bytes(v->writer);
		s->nops++;
	}
}

/*
 * Decoding filter: a change is needed unless every view that reads its table
 * already holds its transaction (in the snapshot it was built under).  A
 * failed view waiting for a change of its sources notes it here.
 */
bool
worker_change_wanted(Oid relid, TransactionId xid)
{
	ListCell   *lc;

	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);

		if (worker_view_reads(v, relid) && (!v->has_snap || !worker_in_snapshot(v, xid)))
			return true;
		/* a failed view waits for a change of its sources (worker_views_retry) */
		if (v->state == PVS_FAILED && !v->retry_changed && list_member_oid(v->retry_relids, relid))
			v->retry_changed = true;
	}
	return false;
}

/* The tickets pathway.sync() took since we last looked (caller holds the lock). */
static void
take_sync_requests(void)
{
	ListCell   *lc;
	int			i;

	foreach(lc, worker_sources)
	{
		KafkaSource *k = lfirst(lc);

		for (i = 0; i < worker_db->nsources; i++)
			if (strcmp(worker_db->sources[i].name, k->name) == 0)
				k->sync_requested = Max(k->sync_requested, worker_db->sources[i].sync_requested);
	}
}

/* Share the frontier and every view's state and statistics; wake sync(). */
void
worker_publish(void)
{
	ListCell   *lc;
	int			n = 0;

	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	if (worker_db->reset_requested)
		reset_stats();
	worker_db->frontier = worker_frontier;
	worker_db->catalog_gen_loaded = worker_catalog_gen_seen;
	foreach(lc, worker_views)
	{
		if (n >= PATHWAY_MAX_VIEWS)
			break;
		publish_view(lfirst(lc), &worker_db->views[n++]);
	}
	worker_db->nviews = n;
	/* the tickets pathway.sync() took, before the slots shift */
	take_sync_requests();
	worker_http_take_sync_requests();
	n = 0;
	foreach(lc, worker_sources)
	{
		KafkaSource *k = lfirst(lc);
		PathwaySourceShm *p = &worker_db->sources[n];

		if (n >= PATHWAY_MAX_SOURCES)
			break;
		p->sync_requested = k->sync_requested;
		p->sync_served = k->sync_served;
		strlcpy(p->name, k->name, sizeof(p->name));
		strlcpy(p->status, k->status, sizeof(p->status));
		strlcpy(p->error, k->error, sizeof(p->error));
		p->messages = k->messages;
		p->dead_letters = k->dead_letters;
		p->lag = k->lag;
		p->partitions = k->nparts;
		p->last_message = k->last_message;
		n++;
	}
	n = worker_http_publish(n);
	worker_db->nsources = n;
	n = 0;
	foreach(lc, worker_sinks)
	{
		KafkaSink  *k = lfirst(lc);
		PathwaySinkShm *p = &worker_db->sinks[n];

		if (n >= PATHWAY_MAX_SOURCES)
			break;
		p->id = k->id;
		strlcpy(p->status, k->status, sizeof(p->status));
		strlcpy(p->error, k->error, sizeof(p->error));
		p->messages = k->messages;
		p->failures = k->failures;
		n++;
	}
	worker_db->nsinks = n;
	LWLockRelease(pathway_shm->lock);
	ConditionVariableBroadcast(&worker_db->progress);
}

/*
 * The progress of a view's build, while it runs: the rows read, and what it
 * holds (state, the result so far, the batches of the step running now).
 */
void
worker_publish_progress(LiveView *v)
{
	int			i;
	int64		rows = (v->plan ? graph_state_rows(v->plan->root) : 0) +
		(v->initial ? v->initial->nrows : 0);
	Size		bytes = memory_view_bytes();

	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	for (i = 0; i < worker_db->nviews; i++)
		if (worker_db->views[i].relid == v->relid)
		{
			worker_db->views[i].build_done = v->build_done;
			worker_db->views[i].build_total = v->build_total;
			worker_db->views[i].state_rows = rows;
			worker_db->views[i].state_bytes = bytes;
		}
	LWLockRelease(pathway_shm->lock);
}
/* Inside SPI: the statuses of the views whose status changed. */
void
worker_write_statuses(void)
{
	ListCell   *lc;

	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);

		if (!v->status_dirty)
			continue;
		meta_engine_set_status(v->relid, v->state == PVS_FAILED ? "failed" : "running",
							   v->state == PVS_FAILED ? v->error : NULL);
		if (v->state == PVS_FAILED && v->memory_failed)
			meta_engine_hold_failure(v->relid);
		v->status_dirty = false;
	}
}

void
worker_rewatch(void)
{
	ListCell   *lc;

	table_source_unwatch_all();
	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);
		ListCell   *c1,
				   *c2;

		/* a failed view to build again once a source changes: its tables */
		foreach(c1, v->retry_relids)
			table_source_watch(lfirst_oid(c1), 0);
		if (v->plan == NULL)
			continue;
		foreach(c1, v->plan->relids)
			table_source_watch(lfirst_oid(c1), 0);
		forboth(c1, v->plan->columns, c2, v->plan->column_attnos)
			table_source_watch(lfirst_oid(c1), lfirst_int(c2));
	}
}

/*
 * Who computes and writes the view: its table's current owner (ALTER TABLE
 * ... OWNER TO and REASSIGN OWNED move it), never who created it.
 */
static Oid
view_owner(LiveView *v)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(v->relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table of live view \"%s\" no longer exists", v->name)));
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Run one view's work in a subtransaction, as the view's owner.  An error
 * fails (or rebuilds) that view only; the others go on.  Returns success.
 */
bool
worker_run_guarded(LiveView *v, ViewWork work, void *arg)
{
	return worker_run_guarded_err(v, work, arg, NULL);
}

/* As worker_run_guarded; with err, an error is handed back instead of failing the view. */
bool
worker_run_guarded_err(LiveView *v, ViewWork work, void *arg, ErrorData **err)
{
	MemoryContext old = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(old);
	PG_TRY();
	{
		Oid			save_user;
		int			save_sec;

		int			nest = NewGUCNestLevel();
		int			i;

		/* compute as the view's creator did: same settings, same role */
		for (i = 0; i < v->nsettings; i++)
			(void) set_config_option(v->setting_names[i], v->setting_values[i],
									 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SAVE,
									 true, 0, false);
		v->owner = view_owner(v);
		worker_embed_begin(v);
		GetUserIdAndSecContext(&save_user, &save_sec);
		SetUserIdAndSecContext(v->owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		work(v, arg);
		SetUserIdAndSecContext(save_user, save_sec);
		/*
		 * and never let them, or anything the owner's code set (a trigger's
		 * SET), leak into the worker's own statements or the next view
		 */
		AtEOXact_GUC(false, nest);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();
	worker_embed_begin(NULL);
	if (edata)
		RollbackAndReleaseCurrentSubTransaction();
	else
		ReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(old);
	CurrentResourceOwner = owner;
	if (edata && err)
		*err = edata;
	else if (edata)
		worker_view_error(v, edata);
	return edata == NULL;
}

static void
empty_work(LiveView *v, void *arg)
{
	Relation	rel = table_open(v->relid, RowExclusiveLock);
	Snapshot	snap = GetActiveSnapshot();
	TableScanDesc scan = table_beginscan(rel, snap, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);

	/* no trigger or other code of the owner's runs here */
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		simple_table_tuple_delete(rel, &slot->tts_tid, snap);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, NoLock);
	CommandCounterIncrement();
}

/*
 * The owner may no longer compute the view (SELECT or EXECUTE revoked,
 * row-level security enabled on a source): fail it and empty its table, so
 * that it never shows a row its owner could not select now.  The live views
 * that read it are rebuilt from the emptied table.
 */
void
worker_view_lost_access(LiveView *v, ErrorData *edata)
{
	ErrorData  *e2 = NULL;
	ListCell   *lc;

	if (!worker_run_guarded_err(v, empty_work, NULL, &e2))
		ereport(WARNING,
				(errmsg("pathway: could not empty view \"%s\": %s", v->name, e2->message)));
	worker_view_fail(v, error_text(edata));
	foreach(lc, worker_views)
	{
		LiveView   *w = lfirst(lc);

		if (w != v && w->plan && w->state != PVS_FAILED &&
			list_member_oid(w->plan->relids, v->relid))
		{
			worker_view_free_state(w);
			w->state = PVS_STARTING;
		}
	}
}

LiveView *
worker_view_by_relid(Oid relid)
{
	ListCell   *lc;

	foreach(lc, worker_views)
		if (((LiveView *) lfirst(lc))->relid == relid)
			return lfirst(lc);
	return NULL;
}

void
worker_read_sync_requests(void)
{
	LWLockAcquire(pathway_shm->lock, LW_SHARED);
	take_sync_requests();
	LWLockRelease(pathway_shm->lock);
}
