/*
 * launcher.c
 *	  Starts and restarts the engine workers.
 *
 *	  server start ──> launcher ──> probe every connectable database
 *	                       │            (a worker that finds no extension
 *	                       │             says so and exits)
 *	  CREATE EXTENSION ────┤ commit hook marks the database, sets our latch
 *	                       v
 *	      for each database that wants a worker and has none:
 *	          start it (at most once per backoff period)
 *
 * A worker that exits after a crash is started again, with a backoff that
 * doubles up to a minute.  A worker whose database no longer has the
 * extension is not restarted (DROP EXTENSION's commit cleared want_worker),
 * and its database's slot is given back once it has left; so is the slot of
 * a database that no longer exists.  While pathway.http_listen is set it
 * also keeps the listener running (listen.c), with the same backoff.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "bgworker/launcher.h"
#include "bgworker/listen.h"
#include "bgworker/shmem.h"
#include "pathway.h"

PGDLLEXPORT void pathway_launcher_main(Datum arg);

typedef struct WorkerSlot
{
	Oid			dboid;			/* the database the backoff below is about */
	BackgroundWorkerHandle *handle;
	TimestampTz started;
	TimestampTz next_start;
	int			backoff_ms;
} WorkerSlot;

static WorkerSlot slots[PATHWAY_MAX_DATABASES];

void
pathway_launcher_register(void)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 5;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, PATHWAY_LIBRARY);
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "pathway_launcher_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "pathway launcher");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "pathway launcher");
	RegisterBackgroundWorker(&bgw);
}

/* Every database that accepts connections may have the extension. */
static void
probe_databases(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	PathwayDb  *db;
	bool		full = false;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database d = (Form_pg_database) GETSTRUCT(tup);

		if (!d->datallowconn || d->datistemplate)
			continue;
		db = pathway_db_find_or_add(d->oid);
		if (db == NULL)
		{
			full = true;
			break;
		}
		db->want_worker = true;
	}
	LWLockRelease(pathway_shm->lock);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (full)
		ereport(WARNING,
				(errmsg("pathway: more than %d databases; some were not checked for the extension",
						PATHWAY_MAX_DATABASES)));
}

static BackgroundWorkerHandle *
start_worker(Oid dboid)
{
	BackgroundWorker bgw;
	BackgroundWorkerHandle *handle;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, PATHWAY_LIBRARY);
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "pathway_worker_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "pathway engine worker for database %u", dboid);
	snprintf(bgw.bgw_type, BGW_MAXLEN, "pathway engine worker");
	bgw.bgw_main_arg = ObjectIdGetDatum(dboid);
	bgw.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&bgw, &handle))
		return NULL;
	return handle;
}

static bool
database_exists(Oid dboid)
{
	bool		exists;

	StartTransactionCommand();
	exists = SearchSysCacheExists1(DATABASEOID, ObjectIdGetDatum(dboid));
	CommitTransactionCommand();
	return exists;
}

/*
 * The slot of a database that needs none any more goes back to the pool:
 * DROP EXTENSION committed and the worker left, or the database is gone
 * (its worker was terminated and DROP DATABASE dropped its replication
 * slot; the next engine worker to start drops the replication origin left
 * behind: the launcher cannot read pg_replication_origin).
 */
static bool
reclaim(PathwayDb *db, Oid dboid, bool gone)
{
	bool		freed = false;

	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	if (db->dboid == dboid && db->pid == 0 && db->creating == 0 &&
		(gone || pathway_db_unused(db)))
	{
		pathway_db_free(db);
		freed = true;
	}
	LWLockRelease(pathway_shm->lock);
	return freed;
}

/* Start what is missing; returns how long we may sleep. */
static long
launch_round(void)
{
	TimestampTz now = GetCurrentTimestamp();
	long		sleep_ms = 10000;
	int			i;

	for (i = 0; i < PATHWAY_MAX_DATABASES; i++)
	{
		PathwayDb  *db = &pathway_shm->dbs[i];
		WorkerSlot *slot = &slots[i];
		Oid			dboid;
		bool		want;
		pid_t		pid;

		LWLockAcquire(pathway_shm->lock, LW_SHARED);
		dboid = db->dboid;
		want = db->want_worker;
		LWLockRelease(pathway_shm->lock);

		if (slot->handle &&
			GetBackgroundWorkerPid(slot->handle, &pid) == BGWH_STOPPED)
		{
			pfree(slot->handle);
			slot->handle = NULL;
			/* a worker that ran for a while, or left on purpose, starts afresh */
			if (!want || TimestampDifferenceExceeds(slot->started, now, 30000))
			{
				slot->backoff_ms = 0;
				slot->next_start = now;
			}
		}
		if (slot->handle == NULL && OidIsValid(dboid) && slot->dboid != dboid)
		{
			/* a slot taken by another database: no backoff inherited */
			slot->dboid = dboid;
			slot->backoff_ms = 0;
			slot->next_start = now;
		}
		if (!OidIsValid(dboid) || slot->handle)
			continue;
		if (!want)
		{
			(void) reclaim(db, dboid, false);
			continue;
		}
		if (now < slot->next_start)
		{
			sleep_ms = Min(sleep_ms, TimestampDifferenceMilliseconds(now, slot->next_start));
			continue;
		}
		if (!database_exists(dboid))
		{
			(void) reclaim(db, dboid, true);
			continue;
		}
		slot->handle = start_worker(dboid);
		slot->started = now;
		/* a worker that keeps failing is retried less and less often */
		slot->backoff_ms = slot->backoff_ms ? Min(slot->backoff_ms * 2, 60000) : 1000;
		slot->next_start = TimestampTzPlusMilliseconds(now, slot->backoff_ms);
		if (slot->handle == NULL)
			sleep_ms = Min(sleep_ms, slot->backoff_ms);
	}
	return sleep_ms;
}

void
pathway_launcher_main(Datum arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("pathway launcher");

	pathway_shm->launcher_latch = MyLatch;
	probe_databases();

	for (;;)
	{
		long		sleep_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		sleep_ms = launch_round();
		/* the listener, while pathway.http_listen asks for one */
		{
			long		listener_ms = listener_launch();

			if (listener_ms >= 0)
				sleep_ms = Min(sleep_ms, listener_ms);
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
