/*
 * worker.c
 *	  The engine worker's main loop: adopt views, then run epochs.
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
 * This file holds the loop itself: signals, setup (slot, origin, wake
 * pipe), the loop and its wait, and the exit when the extension is
 * dropped.  The catalog is read in load.c, views are adopted in adopt.c
 * (adoption and restart are one path), epochs run in epoch.c, and
 * views.c holds what every step does to a view.
 *
 * Memory: worker_cxt holds the views (each with its own context for plan,
 * state and writer); worker_batch_cxt holds one epoch's decoded changes and
 * the operators' batches (a context per view, dropped at once when the view
 * fails) and is reset after every epoch.  pathway.max_memory bounds them
 * all (memory.c): the view whose build or epoch passes it fails, for good.
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "replication/origin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "bgworker/internal.h"
#include "bgworker/memory.h"
#include "bgworker/shmem.h"
#include "bgworker/worker.h"
#include "connectors/http_call.h"
#include "connectors/http_sink.h"
#include "connectors/kafka_sink.h"
#include "connectors/table_source.h"
#include "meta/engine.h"
#include "pathway.h"

MemoryContext worker_cxt;
MemoryContext worker_batch_cxt;
List	   *worker_views = NIL;
List	   *worker_sources = NIL;
List	   *worker_sinks = NIL;

/* A number that changes whenever a sink delivers, fails or changes status. */
static int64
sinks_progress(void)
{
	ListCell   *lc;
	int64		n = 0;

	foreach(lc, worker_sinks)
	{
		KafkaSink  *k = lfirst(lc);

		n += k->messages + k->failures + (unsigned char) k->status[0] + (unsigned char) k->error[0];
	}
	return n;
}
int			worker_wake_pipe[2] = {-1, -1};
PathwayDb  *worker_db;
uint64		worker_catalog_gen_seen = UINT64_MAX;
XLogRecPtr	worker_frontier = InvalidXLogRecPtr;

static char slot_name[NAMEDATALEN];
static char origin_name[NAMEDATALEN];

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
	worker_db->nviews = 0;
	worker_db->nsources = 0;
	worker_db->nsinks = 0;
	worker_db->nwebhooks = 0;
	worker_db->webhook_socket = false;
	LWLockRelease(pathway_shm->lock);
	pathway_wake_launcher();
	proc_exit(0);
}

static void
worker_exit(int code, Datum arg)
{
	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	if (worker_db && worker_db->pid == MyProcPid)
	{
		worker_db->pid = 0;
		worker_db->latch = NULL;
		worker_db->webhook_socket = false;
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
	List	   *found;
	MemoryContext cxt;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	SPI_connect();
	found = meta_engine_orphan_origins();
	/* (the list, too, must outlive SPI's memory) */
	cxt = MemoryContextSwitchTo(TopTransactionContext);
	foreach(lc, found)
		names = lappend(names, pstrdup(lfirst(lc)));
	MemoryContextSwitchTo(cxt);
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
	char	   *dbname;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	/* the setting itself, so that restoring settings keeps the name */
	SetConfigOption("application_name", "pathway engine", PGC_USERSET, PGC_S_SESSION);
	/*
	 * The worker's own statements run as the superuser: names resolve in
	 * pg_catalog only (an operator in public that fits a statement better
	 * would otherwise run as the superuser).  A view's work runs with the
	 * search_path captured at its creation, a stream table's landing with
	 * the configured one.
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION);

	StartTransactionCommand();
	has_extension = worker_extension_exists();
	dbname = get_database_name(dboid);
	if (dbname)
		dbname = MemoryContextStrdup(TopMemoryContext, dbname);
	CommitTransactionCommand();

	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	worker_db = pathway_db_find_or_add(dboid);
	if (worker_db == NULL)
		has_extension = false;
	else if (!has_extension)
	{
		/* a probe found nothing: give the slot back, unless a CREATE
		 * EXTENSION committed since we looked (then a new worker follows) */
		if (!worker_db->created && worker_db->creating == 0)
			pathway_db_free(worker_db);
		worker_db = NULL;
	}
	else if (worker_db->pid != 0 && worker_db->pid != MyProcPid)
		has_extension = false;	/* another worker already serves it */
	else
	{
		worker_db->pid = MyProcPid;
		worker_db->latch = MyLatch;
		strlcpy(worker_db->dbname, dbname ? dbname : "", sizeof(worker_db->dbname));
	}
	LWLockRelease(pathway_shm->lock);
	if (!has_extension)
		proc_exit(0);
	before_shmem_exit(worker_exit, (Datum) 0);

	worker_cxt = AllocSetContextCreate(TopMemoryContext, "pathway worker", ALLOCSET_DEFAULT_SIZES);
	worker_batch_cxt = AllocSetContextCreate(TopMemoryContext, "pathway epoch", ALLOCSET_DEFAULT_SIZES);
	memory_init(worker_cxt, worker_batch_cxt);
	snprintf(slot_name, sizeof(slot_name), PATHWAY_SLOT_PREFIX "%u", dboid);
	snprintf(origin_name, sizeof(origin_name), PATHWAY_SLOT_PREFIX "%u", dboid);
	pathway_in_worker = true;

	if (pipe(worker_wake_pipe) != 0 ||
		fcntl(worker_wake_pipe[0], F_SETFL, O_NONBLOCK) != 0 ||
		fcntl(worker_wake_pipe[1], F_SETFL, O_NONBLOCK) != 0)
		ereport(ERROR, (errcode_for_socket_access(), errmsg("pathway: could not create a pipe: %m")));
	drop_orphan_origins();
	setup_origin();
	trust_own_plugin();
	table_source_open(slot_name);
	table_source_set_filter(worker_change_wanted);
	worker_webhook_open();
	ereport(LOG, (errmsg("pathway: engine worker started")));
	worker_embed_init();

	for (;;)
	{
		bool		more;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (pg_atomic_read_u64(&worker_db->catalog_gen) != worker_catalog_gen_seen)
			if (!worker_load_catalog())
				cleanup_and_exit();
		worker_views_retry();
		adopt_views();
		more = epoch_run();
		{
			ListCell   *lc;
			int64		before = sinks_progress();

			http_sink_take_answers();
			foreach(lc, worker_sinks)
				(void) kafka_sink_flush(lfirst(lc));
			/* what a sink did outside an epoch is shown at once */
			if (sinks_progress() != before)
				worker_publish();
		}
		if (worker_db->reset_requested)
			worker_publish();
		{
			ListCell   *lc;

			foreach(lc, worker_views)
				if (((LiveView *) lfirst(lc))->state == PVS_STARTING &&
					!((LiveView *) lfirst(lc))->adopting &&
					!((LiveView *) lfirst(lc))->unguarded)
					more = true;
		}
		if (!more)
		{
			/* a source's queue writes to the pipe when messages arrive */
			/* (and the HTTP client's thread when an answer came, for sources and sinks); */
			/* the listener hands webhook requests to our socket */
			bool		sources = worker_sources != NIL || worker_http_sources != NIL ||
				worker_sinks != NIL || http_call_async_busy();

			worker_webhook_wait(Min(sources ? Min(pathway_naptime_ms, 1000) : pathway_naptime_ms,
									epoch_clock_views() ? pathway_clock_interval_ms : INT_MAX),
								sources);
		}
		{
			char		buf[64];

			while (read(worker_wake_pipe[0], buf, sizeof(buf)) > 0)
				;
		}
	}
}
