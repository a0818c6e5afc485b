/*
 * worker.c
 *	  The engine worker's loop: adopt views, then run epochs.
 *
 *	  ┌──────────────── loop ────────────────────────────────────────────┐
 *	  │ catalog changed? ─> load views, watch their tables' columns       │
 *	  │ views to adopt?  ─> txn: snapshot S, batch-run their graphs       │
 *	  │ decode WAL up to the flush position (no transaction open)         │
 *	  │ take the Kafka messages that have arrived (no waiting)            │
 *	  │ txn: land the messages in their stream tables (with offsets and   │
 *	  │      dead letters), push them and each decoded transaction        │
 *	  │      through every view's graph                                   │
 *	  │      (an adopting view skips transactions visible in S), write    │
 *	  │      the deltas, reconcile adopted views, record the frontier     │
 *	  │ confirm the slot, publish the frontier, wake pathway.sync()       │
 *	  │ wait on the latch (commits set it) or a Kafka queue's wake pipe   │
 *	  └──────────────────────────────────────────────────────────────────┘
 *
 * Adoption and restart are one path (DESIGN.md, "Adopting a view"): every
 * view, at creation or after any restart, is built by a batch run under a
 * fresh snapshot S, then joins the stream, skipping the transactions that S
 * already holds, and its table is reconciled in the same epoch transaction
 * that brings every other view to the same frontier.
 *
 * Memory: worker_cxt holds the views (each with its own context for plan,
 * state and writer); batch_cxt holds one epoch's decoded changes and the
 * operators' batches (a context per view, dropped at once when the view
 * fails) and is reset after every epoch.  pathway.max_memory bounds them
 * all (memory.c): the view whose build or epoch passes it fails, for good.
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>

#include "access/attmap.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/genam.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_trigger.h"
#include "utils/fmgroids.h"
#include "nodes/nodeFuncs.h"
#include "utils/acl.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/readfuncs.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "replication/origin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "bgworker/memory.h"
#include "bgworker/shmem.h"
#include "bgworker/worker.h"
#include "connectors/kafka_sink.h"
#include "connectors/kafka_source.h"
#include "connectors/table_source.h"
#include "engine/operator.h"
#include "pathway.h"
#include "plan/planner.h"
#include "connectors/writer.h"

#define ADOPT_CHUNK_ROWS 100000
#define MAX_REBUILDS 3

typedef struct LiveView
{
	Oid			relid;
	Oid			owner;
	char	   *name;
	char	   *tree;			/* analyzed query, nodeToString form */
	int			nsettings;		/* the creator's settings, applied while we work */
	char	  **setting_names;
	char	  **setting_values;
	PathwayViewState state;
	bool		seen;			/* still in the catalog at the last load */
	MemoryContext cxt;			/* plan, state and writer; NULL when none */
	ViewPlan   *plan;
	ViewWriter *writer;

	/* adoption: the full result under S, written by the next epoch */
	bool		adopting;
	Arrangement *initial;		/* consolidated: a group's -old +new cancel */
	bool		has_snap;
	TransactionId snap_xmin;
	TransactionId snap_xmax;
	int			snap_xcnt;
	TransactionId *snap_xip;
	XLogRecPtr	snap_lsn;
	bool		unguarded;		/* restored: its table's trigger or its owner's grants are not there yet */
	TimestampTz restore_wait_since;

	int			rebuilds;		/* consecutive rebuilds after internal errors */
	bool		memory_failed;	/* failed for pathway.max_memory: never rebuilt */

	/* statistics (pathway.stats) */
	int			nops;
	Op		   *ops[PATHWAY_MAX_OPS];
	char	  **op_labels;
	int64		epochs;
	double		last_ms;
	double		total_ms;
	double		max_ms;
	int64		build_done;
	int64		build_total;
	bool		status_dirty;	/* catalog status must be written */
	char	   *error;

	/* this epoch's changes of the view's table, for views that read it (batch_cxt) */
	ZBatch	   *delta;
} LiveView;

static MemoryContext worker_cxt;
static MemoryContext batch_cxt;
static List *views = NIL;
static List *sources = NIL;		/* KafkaSource *, in worker_cxt */
static List *sinks = NIL;		/* KafkaSink *, in worker_cxt */
static int	wake_pipe[2] = {-1, -1};	/* librdkafka queues write, we wait */
static PathwayDb *mydb;
static uint64 catalog_gen_seen = UINT64_MAX;
static XLogRecPtr frontier = InvalidXLogRecPtr;
static char slot_name[NAMEDATALEN];
static char origin_name[NAMEDATALEN];

/* transactions decoded in the last two epochs: a new snapshot must see them */
static TransactionId *recent_xids = NULL;
static int	n_recent = 0;
static int	n_prev = 0;			/* of which, from the older batch */
static int	cap_recent = 0;

/* ---------- helpers ---------- */

static void
view_free_state(LiveView *v)
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
}

static void
view_fail(LiveView *v, const char *message)
{
	char	   *copy = MemoryContextStrdup(worker_cxt, message);

	view_free_state(v);
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

/* An internal inconsistency rebuilds the view; anything else fails it. */
static void
view_error(LiveView *v, ErrorData *edata)
{
	if ((edata->sqlerrcode == ERRCODE_DATA_CORRUPTED ||
		 edata->sqlerrcode == ERRCODE_INTERNAL_ERROR) &&
		v->rebuilds < MAX_REBUILDS)
	{
		ereport(LOG,
				(errmsg("pathway: rebuilding view \"%s\": %s", v->name, edata->message)));
		if (v->error)
			pfree(v->error);
		v->error = MemoryContextStrdup(worker_cxt, edata->message);
		view_free_state(v);
		v->state = PVS_STARTING;
		v->rebuilds++;
		return;
	}
	view_fail(v, error_text(edata));
}

static bool
view_reads(LiveView *v, Oid relid)
{
	return v->plan && list_member_oid(v->plan->relids, relid);
}

/* Was this transaction already in the view's adoption snapshot? */
static bool
in_snapshot(LiveView *v, TransactionId xid)
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

	foreach(lc, views)
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
	mydb->epochs = 0;
	mydb->epoch_last_ms = mydb->epoch_total_ms = mydb->epoch_max_ms = 0;
	mydb->reset_requested = false;
}

/* Caller holds the lock. */
static void
publish_view(LiveView *v, PathwayViewShm *s)
{
	int			i;

	s->relid = v->relid;
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

/* Share the frontier and every view's state and statistics; wake sync(). */
/*
 * Decoding filter: a change is needed unless every view that reads its table
 * already holds its transaction (in the snapshot it was built under).
 */
static bool
change_wanted(Oid relid, TransactionId xid)
{
	ListCell   *lc;

	foreach(lc, views)
	{
		LiveView   *v = lfirst(lc);

		if (view_reads(v, relid) && (!v->has_snap || !in_snapshot(v, xid)))
			return true;
	}
	return false;
}

/* The tickets pathway.sync() took since we last looked (caller holds the lock). */
static void
take_sync_requests(void)
{
	ListCell   *lc;
	int			i;

	foreach(lc, sources)
	{
		KafkaSource *k = lfirst(lc);

		for (i = 0; i < mydb->nsources; i++)
			if (strcmp(mydb->sources[i].name, k->name) == 0)
				k->sync_requested = Max(k->sync_requested, mydb->sources[i].sync_requested);
	}
}

static void
publish(void)
{
	ListCell   *lc;
	int			n = 0;

	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	if (mydb->reset_requested)
		reset_stats();
	mydb->frontier = frontier;
	mydb->catalog_gen_loaded = catalog_gen_seen;
	foreach(lc, views)
	{
		if (n >= PATHWAY_MAX_VIEWS)
			break;
		publish_view(lfirst(lc), &mydb->views[n++]);
	}
	mydb->nviews = n;
	/* the tickets pathway.sync() took, before the slots shift */
	take_sync_requests();
	n = 0;
	foreach(lc, sources)
	{
		KafkaSource *k = lfirst(lc);
		PathwaySourceShm *p = &mydb->sources[n];

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
	mydb->nsources = n;
	n = 0;
	foreach(lc, sinks)
	{
		KafkaSink  *k = lfirst(lc);
		PathwaySinkShm *p = &mydb->sinks[n];

		if (n >= PATHWAY_MAX_SOURCES)
			break;
		p->id = k->id;
		strlcpy(p->status, k->status, sizeof(p->status));
		strlcpy(p->error, k->error, sizeof(p->error));
		p->messages = k->messages;
		n++;
	}
	mydb->nsinks = n;
	LWLockRelease(pathway_shm->lock);
	ConditionVariableBroadcast(&mydb->progress);
}

/*
 * The progress of a view's build, while it runs: the rows read, and what it
 * holds (state, the result so far, the batches of the step running now).
 */
static void
publish_progress(LiveView *v)
{
	int			i;
	int64		rows = (v->plan ? graph_state_rows(v->plan->root) : 0) +
		(v->initial ? v->initial->nrows : 0);
	Size		bytes = memory_view_bytes();

	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	for (i = 0; i < mydb->nviews; i++)
		if (mydb->views[i].relid == v->relid)
		{
			mydb->views[i].build_done = v->build_done;
			mydb->views[i].build_total = v->build_total;
			mydb->views[i].state_rows = rows;
			mydb->views[i].state_bytes = bytes;
		}
	LWLockRelease(pathway_shm->lock);
}

/* memory.c's view of a build: publish it at every check, mid-step too. */
static void
build_progress(void *arg, Size view_bytes)
{
	publish_progress((LiveView *) arg);
}

/*
 * Keep the xids decoded by this batch and the one before: an adoption
 * snapshot must see all of them (see adoption_snapshot).
 */
static void
remember_xids(TransactionId *xids, int n)
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

typedef void (*ViewWork) (LiveView *v, void *arg);

/* ---------- catalog ---------- */

static void
write_statuses(void)
{
	ListCell   *lc;

	foreach(lc, views)
	{
		LiveView   *v = lfirst(lc);
		Datum		args[3];
		char		nulls[3] = {' ', ' ', ' '};
		Oid			types[3] = {OIDOID, TEXTOID, TEXTOID};

		if (!v->status_dirty)
			continue;
		args[0] = ObjectIdGetDatum(v->relid);
		args[1] = CStringGetTextDatum(v->state == PVS_FAILED ? "failed" : "running");
		if (v->state == PVS_FAILED && v->error)
			args[2] = CStringGetTextDatum(v->error);
		else
			nulls[2] = 'n';
		SPI_execute_with_args("UPDATE pathway.catalog SET status = $2, error = $3 WHERE relid = $1",
							  3, types, args, nulls, false, 0);
		if (v->state == PVS_FAILED && v->memory_failed)
			SPI_execute_with_args("UPDATE pathway.catalog SET rebuild_at_start = false WHERE relid = $1",
								  1, types, args, nulls, false, 0);
		v->status_dirty = false;
	}
}

/* Split the catalog's name=value settings (in worker_cxt). */
static void
load_settings(LiveView *v, Datum arr)
{
	Datum	   *items;
	bool	   *nulls;
	int			n,
				i;

	deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, TYPALIGN_INT,
					  &items, &nulls, &n);
	v->nsettings = n;
	v->setting_names = palloc(sizeof(char *) * (n + 1));
	v->setting_values = palloc(sizeof(char *) * (n + 1));
	for (i = 0; i < n; i++)
	{
		char	   *s = TextDatumGetCString(items[i]);
		char	   *eq = strchr(s, '=');

		if (eq == NULL)
			elog(ERROR, "pathway: malformed setting \"%s\"", s);
		*eq = '\0';
		v->setting_names[i] = s;
		v->setting_values[i] = eq + 1;
	}
}

static bool
extension_exists(void)
{
	return OidIsValid(get_extension_oid("pathway", true));
}

static void
rewatch(void)
{
	ListCell   *lc;

	table_source_unwatch_all();
	foreach(lc, views)
	{
		LiveView   *v = lfirst(lc);
		ListCell   *c1,
				   *c2;

		if (v->plan == NULL)
			continue;
		foreach(c1, v->plan->relids)
			table_source_watch(lfirst_oid(c1), 0);
		forboth(c1, v->plan->columns, c2, v->plan->column_attnos)
			table_source_watch(lfirst_oid(c1), lfirst_int(c2));
	}
}

static void
cleanup_and_exit(void)
{
	ereport(LOG, (errmsg("pathway: extension dropped in this database, engine worker stops")));
	table_source_drop_slot(slot_name);
	replorigin_session_origin = InvalidRepOriginId;
	replorigin_session_reset();
	StartTransactionCommand();
	replorigin_drop_by_name(origin_name, true, false);
	CommitTransactionCommand();
	/*
	 * DROP EXTENSION's commit cleared want_worker (a CREATE EXTENSION since
	 * may have set it again: then a new worker follows); the launcher gives
	 * the slot back once we are gone.
	 */
	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	mydb->nviews = 0;
	mydb->nsources = 0;
	mydb->nsinks = 0;
	LWLockRelease(pathway_shm->lock);
	pathway_wake_launcher();
	proc_exit(0);
}

/* The committed next offsets of a source, by partition (-1: none). */
static int64 *
load_offsets(const char *name, int *n)
{
	Datum		args[1];
	Oid			types[1] = {TEXTOID};
	int64	   *offs;
	uint64		i;

	args[0] = CStringGetTextDatum(name);
	SPI_execute_with_args("SELECT partition, next_offset FROM pathway.source_offsets WHERE source = $1",
						  1, types, args, NULL, true, 0);
	*n = 0;
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		*n = Max(*n, DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)) + 1);
	}
	offs = palloc(sizeof(int64) * Max(*n, 1));
	for (i = 0; i < *n; i++)
		offs[i] = -1;
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int			p = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));

		offs[p] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
	}
	return offs;
}

/* Read pathway.kafka_sources (inside SPI): start new consumers, stop dropped ones. */
static void
load_sources(void)
{
	ListCell   *lc;
	List	   *keep = NIL;
	SPITupleTable *tt;
	uint64		n,
				i;

	SPI_execute("SELECT name, relid, owner, brokers, topic, format, options FROM pathway.kafka_sources",
				true, 0);
	tt = SPI_tuptable;
	n = SPI_processed;
	foreach(lc, sources)
		((KafkaSource *) lfirst(lc))->seen = false;
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = tt->vals[i];
		TupleDesc	desc = tt->tupdesc;
		char	   *name = SPI_getvalue(tup, desc, 1);
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		KafkaSource *k = NULL;
		int64	   *offs;
		int			noffs;
		MemoryContext old;

		foreach(lc, sources)
			if (((KafkaSource *) lfirst(lc))->relid == relid)
				k = lfirst(lc);
		if (k)
		{
			k->seen = true;
			continue;
		}
		offs = load_offsets(name, &noffs);
		old = MemoryContextSwitchTo(worker_cxt);
		k = kafka_source_start(name, relid,
							   DatumGetObjectId(SPI_getbinval(tup, desc, 3, &isnull)),
							   SPI_getvalue(tup, desc, 4), SPI_getvalue(tup, desc, 5),
							   SPI_getvalue(tup, desc, 6),
							   DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 7, &isnull)),
							   offs, noffs, wake_pipe[1]);
		k->seen = true;
		sources = lappend(sources, k);
		MemoryContextSwitchTo(old);
		ereport(LOG, (errmsg("pathway: Kafka source \"%s\" starts", name)));
	}
	foreach(lc, sources)
	{
		KafkaSource *k = lfirst(lc);

		if (k->seen)
		{
			MemoryContext old = MemoryContextSwitchTo(worker_cxt);

			keep = lappend(keep, k);
			MemoryContextSwitchTo(old);
		}
		else
		{
			ereport(LOG, (errmsg("pathway: Kafka source \"%s\" stops", k->name)));
			kafka_source_stop(k);
		}
	}
	list_free(sources);
	sources = keep;
}

/* Read pathway.kafka_sinks (inside SPI): start new producers, stop dropped ones. */
static void
load_sinks(void)
{
	ListCell   *lc;
	List	   *keep = NIL;
	uint64		i;
	MemoryContext old;

	SPI_execute("SELECT id, view, brokers, topic, options, snapshot_done FROM pathway.kafka_sinks",
				true, 0);
	foreach(lc, sinks)
		((KafkaSink *) lfirst(lc))->seen = false;
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		KafkaSink  *k = NULL;

		foreach(lc, sinks)
			if (((KafkaSink *) lfirst(lc))->id == id)
				k = lfirst(lc);
		if (k)
		{
			k->seen = true;
			continue;
		}
		old = MemoryContextSwitchTo(worker_cxt);
		k = kafka_sink_start(id, DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull)),
							 SPI_getvalue(tup, desc, 3), SPI_getvalue(tup, desc, 4),
							 DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 5, &isnull)),
							 wake_pipe[1]);
		k->fresh = !DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		k->seen = true;
		sinks = lappend(sinks, k);
		MemoryContextSwitchTo(old);
	}
	old = MemoryContextSwitchTo(worker_cxt);
	foreach(lc, sinks)
	{
		KafkaSink  *k = lfirst(lc);

		if (k->seen)
			keep = lappend(keep, k);
		else
			kafka_sink_stop(k);
	}
	MemoryContextSwitchTo(old);
	list_free(sinks);
	sinks = keep;
}

/*
 * ALTER TABLE committed (pathway.rebuild_requests, inside SPI): it may have
 * attached or detached partitions or inheritance children, moving rows in
 * or out of a parent without any row change.  Rebuild the views that read
 * the altered table, a partitioned table or a table with children.
 */
static void
load_rebuild_requests(void)
{
	List	   *altered = NIL;
	ListCell   *lc;
	uint64		i;

	SPI_execute("DELETE FROM pathway.rebuild_requests RETURNING relid", false, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		altered = lappend_oid(altered, DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
																	   SPI_tuptable->tupdesc, 1, &isnull)));
	}
	if (altered == NIL)
		return;
	foreach(lc, views)
	{
		LiveView   *v = lfirst(lc);
		ListCell   *lr;
		bool		hit = false;

		if (v->plan == NULL || v->state == PVS_FAILED)
			continue;
		foreach(lr, v->plan->relids)
		{
			Oid			r = lfirst_oid(lr);

			if (list_member_oid(altered, r) || get_rel_relkind(r) == RELKIND_PARTITIONED_TABLE ||
				has_subclass(r))
				hit = true;
		}
		if (hit)
		{
			ereport(LOG, (errmsg("pathway: rebuilding view \"%s\" after ALTER TABLE", v->name)));
			view_free_state(v);
			v->state = PVS_STARTING;
		}
	}
}

static void view_lost_access(LiveView *v, ErrorData *edata);
static bool run_guarded_err(LiveView *v, ViewWork work, void *arg, ErrorData **err);

static void
access_work(LiveView *v, void *arg)
{
	plan_check_access(v->name, v->plan);
}

/* Inside the catalog's transaction: may every owner still compute its view? */
static void
recheck_access(void)
{
	ListCell   *lc;

	foreach(lc, views)
	{
		LiveView   *v = lfirst(lc);
		ErrorData  *edata = NULL;

		if (v->plan == NULL || v->state == PVS_FAILED || !v->seen)
			continue;
		if (!run_guarded_err(v, access_work, NULL, &edata))
		{
			if (edata->sqlerrcode == ERRCODE_UNDEFINED_TABLE)
				continue;		/* dropped in this transaction's past: forgotten below */
			view_lost_access(v, edata);
		}
	}
}

static LiveView *view_by_relid(Oid relid);

/*
 * Inside SPI: a view that failed for pathway.max_memory stays failed, with
 * its error, until it is recreated; a restart does not build it again (it
 * would fail again, or under the OOM killer take the cluster down again).
 */
static void
load_held_failures(void)
{
	uint64		i;

	SPI_execute("SELECT relid, error FROM pathway.catalog WHERE status = 'failed' AND NOT rebuild_at_start",
				true, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		LiveView   *v = view_by_relid(DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
																	   SPI_tuptable->tupdesc, 1, &isnull)));
		char	   *error = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

		/* only a view not built yet: one this worker failed is failed already */
		if (v == NULL || v->state != PVS_STARTING || v->cxt != NULL || v->adopting)
			continue;
		v->state = PVS_FAILED;
		v->memory_failed = true;
		if (v->error)
			pfree(v->error);
		v->error = MemoryContextStrdup(worker_cxt, error ? error : "");
	}
}

/* Read pathway.catalog: add new views, forget dropped ones. */
static void
load_catalog(void)
{
	uint64		i;
	ListCell   *lc;
	List	   *keep = NIL;
	bool		gone;

	catalog_gen_seen = pg_atomic_read_u64(&mydb->catalog_gen);
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	gone = !extension_exists();
	if (!gone)
	{
		SPI_connect();
		SPI_execute("SELECT relid, tree, owner, status, relid::regclass::text, settings FROM pathway.catalog c "
					"WHERE EXISTS (SELECT FROM pg_catalog.pg_class r WHERE r.oid OPERATOR(pg_catalog.=) c.relid)",
					true, 0);
		foreach(lc, views)
			((LiveView *) lfirst(lc))->seen = false;
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			Oid			relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
			LiveView   *v = NULL;
			MemoryContext old;

			foreach(lc, views)
				if (((LiveView *) lfirst(lc))->relid == relid)
					v = lfirst(lc);
			if (v)
			{
				v->seen = true;
				continue;
			}
			old = MemoryContextSwitchTo(worker_cxt);
			v = palloc0(sizeof(LiveView));
			v->relid = relid;
			v->tree = SPI_getvalue(tup, desc, 2);
			v->owner = DatumGetObjectId(SPI_getbinval(tup, desc, 3, &isnull));
			v->name = SPI_getvalue(tup, desc, 5);
			load_settings(v, SPI_getbinval(tup, desc, 6, &isnull));
			v->state = PVS_STARTING;
			v->seen = true;
			views = lappend(views, v);
			MemoryContextSwitchTo(old);
		}
		load_sources();
		load_sinks();
		load_rebuild_requests();
		load_held_failures();
		/* GRANT, REVOKE, ALTER TABLE, policies and owners land here too */
		recheck_access();
		write_statuses();
		SPI_finish();
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (gone)
		cleanup_and_exit();

	foreach(lc, views)
	{
		LiveView   *v = lfirst(lc);

		if (v->seen)
			keep = lappend(keep, v);
		else
			view_free_state(v);
	}
	views = keep;
	/* a dropped view's memory goes back to the kernel */
	memory_give_back();
	rewatch();
	publish();
}

/* ---------- adoption ---------- */

/*
 * The result being built, consolidated as it grows: a build in chunks emits
 * -old +new for a group at every chunk, and those must not pile up.
 */
static void
initial_add(LiveView *v, ZBatch *batch)
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
static void
initial_take(LiveView *v, ZBatch *out)
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

	graph_step(root);
	initial_add(v, &root->out);
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

static void
adopt_one(LiveView *v, Snapshot snap, MemoryContext chunk_cxt)
{
	MemoryContext old;
	ListCell   *lc;

	if (v->cxt == NULL)
	{
		v->cxt = AllocSetContextCreate(worker_cxt, "pathway view", ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(v->cxt);
		v->plan = plan_view(v->name, (Query *) stringToNode(v->tree));
		v->writer = writer_create(v->cxt, v->relid, v->plan->desc,
								  v->plan->nkeycols, v->plan->keycols);
		name_operators(v);
		MemoryContextSwitchTo(old);
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
	publish_progress(v);

	foreach(lc, v->plan->sources)
	{
		Op		   *src = lfirst(lc);
		Relation	top;
		TupleDesc	topdesc;
		List	   *parts = list_make1_oid(src->relid);
		Datum	   *mapped;
		bool	   *mapnull;
		ListCell   *lp;
		int64		n = 0;

		if (!OidIsValid(src->relid))
		{
			/* VALUES: the same rows at every build */
			old = MemoryContextSwitchTo(chunk_cxt);
			op_source_add_constants(src);
			MemoryContextSwitchTo(old);
			continue;
		}
		top = table_open(src->relid, AccessShareLock);
		topdesc = RelationGetDescr(top);
		mapped = palloc(sizeof(Datum) * topdesc->natts);
		mapnull = palloc(sizeof(bool) * topdesc->natts);

		/* a partitioned table (or an inheritance parent) is the rows of its leaves (and its own), laid out as its own */
		if (top->rd_rel->relkind == RELKIND_PARTITIONED_TABLE || has_subclass(src->relid))
			parts = find_all_inheritors(src->relid, AccessShareLock, NULL);
		foreach(lp, parts)
		{
			Relation	rel = table_open(lfirst_oid(lp), AccessShareLock);
			AttrMap    *map;
			TableScanDesc scan;
			TupleTableSlot *slot;

			if (rel->rd_rel->relkind != RELKIND_RELATION)
			{
				table_close(rel, AccessShareLock);
				continue;
			}
			map = build_attrmap_by_name_if_req(RelationGetDescr(rel), topdesc);
			scan = table_beginscan(rel, snap, 0, NULL);
			slot = table_slot_create(rel, NULL);
			while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
			{
				int			i;

				slot_getallattrs(slot);
				old = MemoryContextSwitchTo(chunk_cxt);
				if (map == NULL)
					op_source_add(src, slot->tts_tupleDescriptor->natts, slot->tts_values,
								  slot->tts_isnull, 1);
				else
				{
					for (i = 0; i < topdesc->natts; i++)
					{
						AttrNumber	from = map->attnums[i];

						mapped[i] = from > 0 ? slot->tts_values[from - 1] : (Datum) 0;
						mapnull[i] = from > 0 ? slot->tts_isnull[from - 1] : true;
					}
					op_source_add(src, topdesc->natts, mapped, mapnull, 1);
				}
				MemoryContextSwitchTo(old);
				v->build_done++;
				if (++n % ADOPT_CHUNK_ROWS == 0)
				{
					adopt_step(v, chunk_cxt);
					publish_progress(v);
					CHECK_FOR_INTERRUPTS();
				}
			}
			ExecDropSingleTupleTableSlot(slot);
			table_endscan(scan);
			table_close(rel, AccessShareLock);
		}
		table_close(top, AccessShareLock);
	}
	adopt_step(v, chunk_cxt);
	v->build_total = Max(v->build_total, v->build_done);
	publish_progress(v);

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
	Datum		args[1] = {ObjectIdGetDatum(v->relid)};
	Oid			types[1] = {OIDOID};
	bool		restored;
	Oid			owner = v->owner;

	if (!table_guarded(v->relid))
		return false;
	SPI_connect();
	SPI_execute_with_args("SELECT 1 FROM pathway.catalog WHERE relid = $1 AND status = 'restored'",
						  1, types, args, NULL, true, 1);
	restored = (SPI_processed == 1);
	SPI_finish();
	if (!restored || !unreadable_walker(stringToNode(v->tree), &owner))
		return true;
	if (v->restore_wait_since == 0)
		v->restore_wait_since = GetCurrentTimestamp();
	return TimestampDifferenceExceeds(v->restore_wait_since, GetCurrentTimestamp(),
									  PATHWAY_RESTORE_WAIT_MS);
}

/*
 * Run one view's work in a subtransaction, as the view's owner.  An error
 * fails (or rebuilds) that view only; the others go on.  Returns success.
 */
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

static bool
run_guarded(LiveView *v, ViewWork work, void *arg)
{
	return run_guarded_err(v, work, arg, NULL);
}

/* As run_guarded; with err, an error is handed back instead of failing the view. */
static bool
run_guarded_err(LiveView *v, ViewWork work, void *arg, ErrorData **err)
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
	if (edata)
		RollbackAndReleaseCurrentSubTransaction();
	else
		ReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(old);
	CurrentResourceOwner = owner;
	if (edata && err)
		*err = edata;
	else if (edata)
		view_error(v, edata);
	return edata == NULL;
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

static void
adopt_views(void)
{
	ListCell   *lc;
	bool		any = false;
	Snapshot	snap;
	XLogRecPtr	snap_lsn;
	MemoryContext chunk_cxt;
	AdoptArgs	args;

	foreach(lc, views)
	{
		LiveView   *v = lfirst(lc);

		if (v->state == PVS_STARTING && !v->adopting)
			any = true;
	}
	if (!any)
		return;

	pgstat_report_activity(STATE_RUNNING, "pathway: adopting views");
	chunk_cxt = AllocSetContextCreate(batch_cxt, "pathway adoption chunk", ALLOCSET_DEFAULT_SIZES);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	snap = adoption_snapshot();
	PushActiveSnapshot(snap);
	snap = GetActiveSnapshot();
	/* every commit visible in S is before snap_lsn, and flushed */
	snap_lsn = wal_flush_written();

	args.snap = snap;
	args.snap_lsn = snap_lsn;
	args.chunk_cxt = chunk_cxt;
	foreach(lc, views)
	{
		LiveView   *v = lfirst(lc);

		if (v->state != PVS_STARTING || v->adopting)
			continue;
		v->unguarded = !view_ready(v);
		if (v->unguarded)
			continue;			/* being restored: looked at again next time round */
		/* a view that cannot even be built is failed, not rebuilt in a loop */
		memory_watch(v->name, "build", &v->cxt, chunk_cxt, build_progress, v);
		if (!run_guarded(v, adopt_work, &args) && v->state == PVS_STARTING)
			view_fail(v, v->error ? v->error : "could not build the view");
		if (memory_unwatch() && v->state == PVS_FAILED)
			v->memory_failed = true;
		MemoryContextReset(chunk_cxt);
	}

	if (SPI_connect() == SPI_OK_CONNECT)
	{
		write_statuses();
		SPI_finish();
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextDelete(chunk_cxt);
	memory_give_back();
	rewatch();
	publish();
}

/* ---------- epochs ---------- */


/* A view's table as a source: the rows it gained and lost this epoch. */
static void
feed_from_view(Op *src, LiveView *up)
{
	Datum	   *values = palloc(sizeof(Datum) * up->writer->desc->natts);
	bool	   *isnull = palloc(sizeof(bool) * up->writer->desc->natts);
	int			i;

	for (i = 0; i < up->delta->n; i++)
	{
		MinimalTuple mt = up->delta->rows[i].tup;
		HeapTupleData ht;

		ht.t_len = mt->t_len + MINIMAL_TUPLE_OFFSET;
		ht.t_data = (HeapTupleHeader) ((char *) mt - MINIMAL_TUPLE_OFFSET);
		heap_deform_tuple(&ht, up->writer->desc, values, isnull);
		op_source_add(src, up->writer->desc->natts, values, isnull, up->delta->rows[i].weight);
	}
}

static void
feed_view(LiveView *v, List *txns)
{
	ListCell   *lt,
			   *lc,
			   *ls;

	foreach(lt, txns)
	{
		DecodedTxn *t = lfirst(lt);

		/* (landed stream rows carry no xid: never in a snapshot) */
		if (v->has_snap && TransactionIdIsValid(t->xid) && in_snapshot(v, t->xid))
			continue;
		foreach(lc, t->changes)
		{
			DecodedChange *c = lfirst(lc);

			if (!view_reads(v, c->relid))
				continue;
			/* (a column added after this change was decoded reads as NULL) */
			foreach(ls, v->plan->sources)
			{
				Op		   *src = lfirst(ls);

				if (src->relid == c->relid)
					op_source_add(src, c->natts, c->values, c->isnull, c->weight);
			}
		}
	}
	/*
	 * Live views read by this one ran earlier in this epoch: their changes
	 * are never decoded (the worker wrote them), so they come from here, in
	 * the same epoch.  (Never in an adoption snapshot: it predates them.)
	 */
	foreach(ls, v->plan->sources)
	{
		Op		   *src = lfirst(ls);
		LiveView   *up = view_by_relid(src->relid);

		if (up && up != v && up->delta && up->writer)
			feed_from_view(src, up);
	}
}

/* set while apply_view checks the owner's rights: an error then is theirs */
static bool checking_access = false;

static void
apply_view(LiveView *v, List *txns, XLogRecPtr upto)
{
	Op		   *root = v->plan->root;

	/* the owner may have lost the right to read a source or call a function */
	checking_access = true;
	plan_check_access(v->name, v->plan);
	checking_access = false;
	feed_view(v, txns);
	graph_step(root);
	if (v->adopting)
	{
		ZBatch		target;

		initial_add(v, &root->out);
		initial_take(v, &target);
		writer_reconcile(v->writer, &target);
		v->adopting = false;
		v->state = PVS_RUNNING;
		v->status_dirty = true;
		v->rebuilds = 0;
	}
	else
	{
		if (!writer_valid(v->writer))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("table of view \"%s\" was rewritten", v->name)));
		writer_apply(v->writer, &root->out);
	}
	if (v->has_snap && upto >= v->snap_lsn)
		v->has_snap = false;
}

typedef struct EpochArgs
{
	List	   *txns;
	XLogRecPtr	upto;
	MemoryContext cxt;			/* the view's batches, in batch_cxt */
} EpochArgs;

/* Runs in a->cxt: the step's batches die with the epoch (or the view's failure). */
static void
epoch_work(LiveView *v, void *arg)
{
	EpochArgs  *a = (EpochArgs *) arg;
	MemoryContext old = MemoryContextSwitchTo(a->cxt);
	instr_time	start,
				took;
	int64		before = v->writer->written;
	bool		adopting = v->adopting;
	int64		fed = 0;
	ListCell   *lc;

	INSTR_TIME_SET_CURRENT(start);
	apply_view(v, a->txns, a->upto);
	INSTR_TIME_SET_CURRENT(took);
	INSTR_TIME_SUBTRACT(took, start);
	foreach(lc, v->plan->sources)
		fed += ((Op *) lfirst(lc))->out.n;
	if (adopting || fed > 0 || v->writer->written != before)
	{
		double		ms = INSTR_TIME_GET_MILLISEC(took);

		v->epochs++;
		v->last_ms = ms;
		v->total_ms += ms;
		v->max_ms = Max(v->max_ms, ms);
	}
	MemoryContextSwitchTo(old);
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
static void
view_lost_access(LiveView *v, ErrorData *edata)
{
	ErrorData  *e2 = NULL;
	ListCell   *lc;

	if (!run_guarded_err(v, empty_work, NULL, &e2))
		ereport(WARNING,
				(errmsg("pathway: could not empty view \"%s\": %s", v->name, e2->message)));
	view_fail(v, error_text(edata));
	foreach(lc, views)
	{
		LiveView   *w = lfirst(lc);

		if (w != v && w->plan && w->state != PVS_FAILED &&
			list_member_oid(w->plan->relids, v->relid))
		{
			view_free_state(w);
			w->state = PVS_STARTING;
		}
	}
}

static LiveView *
view_by_relid(Oid relid)
{
	ListCell   *lc;

	foreach(lc, views)
		if (((LiveView *) lfirst(lc))->relid == relid)
			return lfirst(lc);
	return NULL;
}

static bool
view_published(LiveView *v)
{
	ListCell   *lc;

	foreach(lc, sinks)
		if (((KafkaSink *) lfirst(lc))->view == v->relid)
			return true;
	return false;
}

/* Does another live view read this one's table? */
static bool
view_feeds_others(LiveView *v)
{
	ListCell   *lc;

	foreach(lc, views)
	{
		LiveView   *w = lfirst(lc);

		if (w != v && w->plan && list_member_oid(w->plan->relids, v->relid))
			return true;
	}
	return false;
}

/*
 * The views, each after every live view it reads (they cannot form a cycle:
 * a view can only read views that existed when it was created).  In the
 * current (transaction's) context.
 */
static List *
views_in_order(void)
{
	List	   *done = NIL;
	List	   *left = list_copy(views);
	bool		progress = true;

	while (left != NIL && progress)
	{
		ListCell   *lc;
		List	   *still = NIL;

		progress = false;
		foreach(lc, left)
		{
			LiveView   *v = lfirst(lc);
			bool		ready = true;
			ListCell   *lr;

			if (v->plan)
				foreach(lr, v->plan->relids)
				{
					LiveView   *up = view_by_relid(lfirst_oid(lr));

					if (up && up != v && !list_member_ptr(done, up))
						ready = false;
				}
			if (ready)
			{
				done = lappend(done, v);
				progress = true;
			}
			else
				still = lappend(still, v);
		}
		left = still;
	}
	return list_concat(done, left);
}

/* In the epoch's transaction: a new sink's view's rows go out first. */
static void
sinks_snapshot(void)
{
	ListCell   *lc;

	foreach(lc, sinks)
	{
		KafkaSink  *k = lfirst(lc);
		LiveView   *v = view_by_relid(k->view);
		Datum		args[1];
		Oid			types[1] = {INT8OID};

		if (!k->fresh || v == NULL || v->writer == NULL)
			continue;
		kafka_sink_snapshot(k, frontier, v->writer->nkeycols, v->writer->keycols);
		args[0] = Int64GetDatum(k->id);
		SPI_connect();
		SPI_execute_with_args("UPDATE pathway.kafka_sinks SET snapshot_done = true WHERE id = $1",
							  1, types, args, NULL, false, 0);
		SPI_finish();
	}
}

/* In the epoch's transaction: what a view's table gained and lost, to its sinks. */
static void
sinks_capture(LiveView *v, ZBatch *captured, XLogRecPtr upto)
{
	ListCell   *lc;

	foreach(lc, sinks)
	{
		KafkaSink  *k = lfirst(lc);

		if (k->view == v->relid && !k->fresh)
			kafka_sink_capture(k, v->writer->desc, captured, upto,
							   v->writer->nkeycols, v->writer->keycols);
	}
}

static void
record_frontier(XLogRecPtr lsn)
{
	Datum		args[1];
	Oid			types[1] = {PG_LSNOID};

	args[0] = LSNGetDatum(lsn);
	SPI_execute_with_args("UPDATE pathway.epoch SET frontier = $1, epoch = epoch + 1, committed_at = pg_catalog.now()",
						  1, types, args, NULL, false, 0);
}

static void
read_sync_requests(void)
{
	LWLockAcquire(pathway_shm->lock, LW_SHARED);
	take_sync_requests();
	LWLockRelease(pathway_shm->lock);
}

/* One epoch.  Returns true when WAL is left to read (do not sleep). */
static bool
run_epoch(void)
{
	XLogRecPtr	upto = GetFlushRecPtr(NULL);
	XLogRecPtr	done;
	List	   *txns;
	List	   *unfollowable;
	ListCell   *lc;
	bool		work = false;
	bool		committed = false;
	EpochArgs	args;
	TransactionId *xids;
	int			nxids;
	instr_time	start,
				took;
	double		ms;

	int			messages = 0;
	bool		full = false;

	foreach(lc, views)
		if (((LiveView *) lfirst(lc))->adopting)
			work = true;
	foreach(lc, sinks)
	{
		KafkaSink  *k = lfirst(lc);
		LiveView   *v = view_by_relid(k->view);

		if (k->fresh && v && v->writer && v->state == PVS_RUNNING)
			work = true;
	}
	/* what has arrived from Kafka (never waits for more) */
	kafka_report_logs();
	read_sync_requests();
	foreach(lc, sources)
	{
		KafkaSource *k = lfirst(lc);
		int			got = kafka_source_poll(k, pathway_max_epoch_changes, batch_cxt);

		if (got == 0)
			kafka_source_sync(k);

		messages += got;
		full = full || got == pathway_max_epoch_changes;
		if (k->offsets_dirty)
			work = true;
	}
	if (upto <= frontier && !work && messages == 0)
	{
		if (sources != NIL)
			publish();
		MemoryContextReset(batch_cxt);
		return false;
	}

	INSTR_TIME_SET_CURRENT(start);
	pgstat_report_activity(STATE_RUNNING, "pathway: decoding");
	if (upto > frontier)
		done = table_source_read(upto, pathway_max_epoch_changes, batch_cxt, &txns, &unfollowable,
								 &xids, &nxids);
	else
	{
		done = frontier;
		txns = unfollowable = NIL;
		xids = NULL;
		nxids = 0;
	}
	remember_xids(xids, nxids);

	/* a table we cannot follow (TRUNCATE, no old row): rebuild its views */
	foreach(lc, views)
	{
		LiveView   *v = lfirst(lc);
		ListCell   *lr;

		foreach(lr, unfollowable)
			if (view_reads(v, lfirst_oid(lr)) && v->state != PVS_FAILED)
			{
				view_free_state(v);
				v->state = PVS_STARTING;
			}
	}

	if (txns != NIL || work || messages > 0)
	{
		committed = true;
		pgstat_report_activity(STATE_RUNNING, "pathway: epoch");
		/* now() in the epoch (committed_at, column defaults) is its start, as per statement in a backend */
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		/* stream rows, offsets and dead letters first: views see the rows */
		foreach(lc, sources)
		{
			KafkaSource *k = lfirst(lc);
			List	   *changes = kafka_land(k, batch_cxt);

			if (changes != NIL)
			{
				MemoryContext old = MemoryContextSwitchTo(batch_cxt);
				DecodedTxn *t = palloc0(sizeof(DecodedTxn));

				t->xid = InvalidTransactionId;
				t->end_lsn = done;
				t->changes = changes;
				txns = lappend(txns, t);
				MemoryContextSwitchTo(old);
			}
		}
		args.txns = txns;
		args.upto = done;
		sinks_snapshot();
		foreach(lc, views)
			((LiveView *) lfirst(lc))->delta = NULL;
		/* a view that reads another live view runs after it */
		foreach(lc, views_in_order())
		{
			LiveView   *v = lfirst(lc);
			bool		published = view_published(v);
			ZBatch	   *captured = NULL;
			bool		ok;
			MemoryContext view_cxt;

			if (v->plan == NULL || (v->state != PVS_RUNNING && !v->adopting))
				continue;
			if ((published || view_feeds_others(v)) && v->writer)
			{
				captured = MemoryContextAlloc(batch_cxt, sizeof(ZBatch));
				zbatch_init(captured);
				v->writer->capture = captured;
			}
			/* a failed view's batches go at once: the next views need the room */
			view_cxt = AllocSetContextCreate(batch_cxt, "pathway view epoch", ALLOCSET_DEFAULT_SIZES);
			args.cxt = view_cxt;
			memory_watch(v->name, v->adopting ? "build" : "epoch", &v->cxt, view_cxt, NULL, NULL);
			{
				ErrorData  *edata = NULL;
				bool		over;

				checking_access = false;
				ok = run_guarded_err(v, epoch_work, &args, &edata);
				over = memory_unwatch();
				if (!ok && checking_access)
					view_lost_access(v, edata);
				else if (!ok)
					view_error(v, edata);
				checking_access = false;
				if (over && v->state == PVS_FAILED)
					v->memory_failed = true;
			}
			if (!ok)
				MemoryContextDelete(view_cxt);
			if (v->writer)
				v->writer->capture = NULL;
			if (ok && captured)
			{
				if (published)
					sinks_capture(v, captured, done);
				v->delta = captured;
			}
		}
		SPI_connect();
		write_statuses();
		record_frontier(done);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		pgstat_report_stat(false);
		INSTR_TIME_SET_CURRENT(took);
		INSTR_TIME_SUBTRACT(took, start);
		ms = INSTR_TIME_GET_MILLISEC(took);
		LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
		mydb->epochs++;
		mydb->last_epoch = GetCurrentTimestamp();
		mydb->epoch_last_ms = ms;
		mydb->epoch_total_ms += ms;
		mydb->epoch_max_ms = Max(mydb->epoch_max_ms, ms);
		LWLockRelease(pathway_shm->lock);
	}

	foreach(lc, sources)
		kafka_source_landed(lfirst(lc));
	table_source_confirm(done);
	frontier = done;
	MemoryContextReset(batch_cxt);
	memory_give_back();
	publish();
	pgstat_report_activity(STATE_IDLE, NULL);
	/* after an epoch, read once more: our own commit is past the frontier */
	return done < upto || committed || full;
}

/* ---------- main ---------- */

static void
worker_exit(int code, Datum arg)
{
	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	if (mydb && mydb->pid == MyProcPid)
	{
		mydb->pid = 0;
		mydb->latch = NULL;
	}
	LWLockRelease(pathway_shm->lock);
}

static void
setup_origin(void)
{
	RepOriginId id;

	StartTransactionCommand();
	id = replorigin_by_name(origin_name, true);
	if (id == InvalidRepOriginId)
		id = replorigin_create(origin_name);
	CommitTransactionCommand();
	replorigin_session_setup(id);
	replorigin_session_origin = id;
}

/*
 * The replication origins of engine workers whose databases were dropped
 * (with the extension in place, the worker terminated): nobody else can
 * drop them, and each keeps one of the server's replication states.
 */
static void
drop_orphan_origins(void)
{
	List	   *volatile names = NIL;
	ListCell   *lc;
	uint64		i;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	SPI_connect();
	SPI_execute("SELECT o.roname FROM pg_catalog.pg_replication_origin o "
				"WHERE o.roname ~ '^pathway_[0-9]{1,10}$' AND NOT EXISTS ("
				"  SELECT FROM pg_catalog.pg_database d WHERE d.oid::pg_catalog.text = pg_catalog.substr(o.roname, 9))",
				true, 0);
	for (i = 0; i < SPI_processed; i++)
		names = lappend(names, MemoryContextStrdup(TopTransactionContext,
												   SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1)));
	SPI_finish();
	foreach(lc, names)
	{
		MemoryContext old = CurrentMemoryContext;
		ResourceOwner owner = CurrentResourceOwner;

		/* one still in use (its worker is exiting) is left for next time */
		BeginInternalSubTransaction(NULL);
		PG_TRY();
		{
			replorigin_drop_by_name(lfirst(lc), true, true);
			ReleaseCurrentSubTransaction();
			ereport(LOG, (errmsg("pathway: dropped replication origin \"%s\" of a dropped database",
								 (char *) lfirst(lc))));
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(old);
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
		}
		PG_END_TRY();
		MemoryContextSwitchTo(old);
		CurrentResourceOwner = owner;
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * Newer minor releases only load output plugins listed in
 * output_plugin_libraries.  Our slot's plugin is this library, used by this
 * worker alone: trust it in this session only, leaving the server's list as
 * the administrator set it.
 */
static void
trust_own_plugin(void)
{
	const char *libs = GetConfigOption("output_plugin_libraries", true, false);

	StartTransactionCommand();
	if (libs != NULL && strstr(libs, PATHWAY_LIBRARY) == NULL)
		SetConfigOption("output_plugin_libraries",
						psprintf("%s%s%s", libs, *libs ? ", " : "", PATHWAY_LIBRARY),
						PGC_SUSET, PGC_S_SESSION);
	/* a large transaction decoded in memory is not written out and read back */
	SetConfigOption("logical_decoding_work_mem",
					psprintf("%dkB", pathway_decoding_work_mem_kb), PGC_SUSET, PGC_S_SESSION);
	CommitTransactionCommand();
}

void
pathway_worker_main(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);
	bool		has_extension;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	/* the setting itself, so that restoring settings keeps the name */
	SetConfigOption("application_name", "pathway engine", PGC_USERSET, PGC_S_SESSION);

	StartTransactionCommand();
	has_extension = extension_exists();
	CommitTransactionCommand();

	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	mydb = pathway_db_find_or_add(dboid);
	if (mydb == NULL)
		has_extension = false;
	else if (!has_extension)
	{
		/* a probe found nothing: give the slot back, unless a CREATE
		 * EXTENSION committed since we looked (then a new worker follows) */
		if (!mydb->created && mydb->creating == 0)
			pathway_db_free(mydb);
		mydb = NULL;
	}
	else if (mydb->pid != 0 && mydb->pid != MyProcPid)
		has_extension = false;	/* another worker already serves it */
	else
	{
		mydb->pid = MyProcPid;
		mydb->latch = MyLatch;
	}
	LWLockRelease(pathway_shm->lock);
	if (!has_extension)
		proc_exit(0);
	before_shmem_exit(worker_exit, (Datum) 0);

	worker_cxt = AllocSetContextCreate(TopMemoryContext, "pathway worker", ALLOCSET_DEFAULT_SIZES);
	batch_cxt = AllocSetContextCreate(TopMemoryContext, "pathway epoch", ALLOCSET_DEFAULT_SIZES);
	memory_init(worker_cxt, batch_cxt);
	snprintf(slot_name, sizeof(slot_name), PATHWAY_SLOT_PREFIX "%u", dboid);
	snprintf(origin_name, sizeof(origin_name), PATHWAY_SLOT_PREFIX "%u", dboid);
	pathway_in_worker = true;

	if (pipe(wake_pipe) != 0 ||
		fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK) != 0 ||
		fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK) != 0)
		ereport(ERROR, (errcode_for_socket_access(), errmsg("pathway: could not create a pipe: %m")));
	drop_orphan_origins();
	setup_origin();
	trust_own_plugin();
	table_source_open(slot_name);
	table_source_set_filter(change_wanted);
	ereport(LOG, (errmsg("pathway: engine worker started")));

	for (;;)
	{
		bool		more;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (pg_atomic_read_u64(&mydb->catalog_gen) != catalog_gen_seen)
			load_catalog();
		adopt_views();
		more = run_epoch();
		{
			ListCell   *lc;

			foreach(lc, sinks)
				(void) kafka_sink_flush(lfirst(lc));
		}
		if (mydb->reset_requested)
			publish();
		{
			ListCell   *lc;

			foreach(lc, views)
				if (((LiveView *) lfirst(lc))->state == PVS_STARTING &&
					!((LiveView *) lfirst(lc))->adopting &&
					!((LiveView *) lfirst(lc))->unguarded)
					more = true;
		}
		if (!more)
		{
			/* a source's queue writes to the pipe when messages arrive */
			(void) WaitLatchOrSocket(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH |
									 (sources != NIL ? WL_SOCKET_READABLE : 0),
									 wake_pipe[0], sources != NIL ? Min(pathway_naptime_ms, 1000) :
									 pathway_naptime_ms, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
		{
			char		buf[64];

			while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
				;
		}
	}
}
