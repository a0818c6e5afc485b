/*
 * sync.c
 *	  pathway.sync(): wait until the engine has applied everything committed
 *	  before the call, for one live view or Kafka source or for all of them.
 *
 * A view is waited for through the frontier its worker publishes; a Kafka
 * source through a ticket: the call takes one from each source it waits
 * for, and the worker serves it once the source has landed what its
 * brokers held when the ticket was taken (kafka_source_sync()).
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "pgstat.h"
#include "storage/condition_variable.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"

#include "bgworker/shmem.h"
#include "pathway.h"
#include "extension/extension.h"
#include "meta/http.h"
#include "meta/kafka.h"
#include "meta/views.h"

PG_FUNCTION_INFO_V1(pathway_sync);

typedef enum SyncState
{
	SYNC_WAIT,
	SYNC_DONE,
	SYNC_FAILED
} SyncState;

/*
 * Where the wait stands.  Caller holds pathway_shm->lock.  A failed view
 * (any of them, for sync() of every view) is reported in *failed; one that
 * holds rows for its HTTP calls while the engine is past target, in *held.
 */
static SyncState
sync_state(PathwayDb *db, XLogRecPtr target, List *relids, Oid *failed, Oid *held)
{
	ListCell   *lc;
	int			i;

	foreach(lc, relids)
	{
		Oid			r = lfirst_oid(lc);
		bool		ready = false;

		for (i = 0; i < db->nviews; i++)
		{
			if (db->views[i].relid != r)
				continue;
			if (db->views[i].state == PVS_FAILED)
			{
				*failed = r;
				return SYNC_FAILED;
			}
			ready = (db->views[i].state != PVS_STARTING);
			/* a view applies later what waits for its calls' answers */
			if (ready && db->views[i].frontier < target && db->frontier >= target)
			{
				*held = r;
				ready = false;
			}
		}
		if (!ready)
			return SYNC_WAIT;
	}
	return db->frontier >= target ? SYNC_DONE : SYNC_WAIT;
}

/* Every live view; one created by this transaction is an error. */
static List *
all_view_relids(void)
{
	List	   *relids = NIL;
	ListCell   *lc;

	foreach(lc, meta_view_list())
	{
		MetaView   *v = lfirst(lc);

		if (v->created_here)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("live view \"%s\" was created in this transaction", v->name),
					 errhint("Commit first: the engine starts maintaining a view once its creation commits.")));
		relids = lappend_oid(relids, v->relid);
	}
	return relids;
}

static void
report_failed(const char *name, Oid relid)
{
	char	   *status = NULL;
	char	   *error = NULL;

	(void) meta_view_lookup(relid, &status, &error, NULL);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("live view \"%s\" has failed", name),
			 error ? errdetail("%s", error) : 0,
			 errhint("A view failed by an error of its query over the data (a division by zero, a subquery of several rows) is built again by itself once its sources change; after any other failure, drop and create the view again.")));
}

/* pathway.sync() waits for Kafka sources too: one ticket per source. */
typedef struct SourceTicket
{
	char		name[NAMEDATALEN];
	uint64		ticket;
} SourceTicket;

/*
 * The sources to wait for, each with no ticket yet (see take_tickets):
 * every committed source, the one named, or (for a view) those whose stream
 * tables the view reads, directly or through other live views.
 */
static SourceTicket *
source_tickets(const char *only, Oid view, int *n)
{
	SourceTicket *t = palloc0(sizeof(SourceTicket) * PATHWAY_MAX_SOURCES);
	ListCell   *lc;

	*n = 0;
	foreach(lc, meta_kafka_sources_committed(view))
	{
		char	   *name = lfirst(lc);

		if (*n >= PATHWAY_MAX_SOURCES)
			break;
		if (only == NULL || strcmp(name, only) == 0)
			strlcpy(t[(*n)++].name, name, NAMEDATALEN);
	}
	return t;
}

/*
 * Take a ticket from each source the worker has started (a source created
 * just now gets its ticket once the worker lists it): see kafka_source_sync().
 */
static void
take_tickets(PathwayDb *db, SourceTicket *t, int n)
{
	int			i,
				j;

	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	for (i = 0; i < n; i++)
		for (j = 0; j < db->nsources && t[i].ticket == 0; j++)
			if (strcmp(db->sources[j].name, t[i].name) == 0)
				t[i].ticket = ++db->sources[j].sync_requested;
	LWLockRelease(pathway_shm->lock);
}

/*
 * The first source that has not served its ticket (or has none yet), or
 * NULL.  *untaken: some ticket is not taken yet.  Caller holds the lock.
 */
static const char *
tickets_waiting(PathwayDb *db, SourceTicket *t, int n, char *error, bool *untaken)
{
	int			i,
				j;

	*untaken = false;
	for (i = 0; i < n; i++)
	{
		if (t[i].ticket == 0)
		{
			*untaken = true;
			return t[i].name;
		}
		for (j = 0; j < db->nsources; j++)
			if (strcmp(db->sources[j].name, t[i].name) == 0 &&
				db->sources[j].sync_served < t[i].ticket)
			{
				strlcpy(error, db->sources[j].error, PATHWAY_SOURCE_ERROR);
				return t[i].name;
			}
	}
	return NULL;
}

Datum
pathway_sync(PG_FUNCTION_ARGS)
{
	char	   *name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	Interval   *timeout = PG_ARGISNULL(1) ? NULL : PG_GETARG_INTERVAL_P(1);
	int64		timeout_ms = 30000;
	Oid			relid = InvalidOid;
	List	   *relids;
	XLogRecPtr	target;
	TimestampTz deadline;
	PathwayDb  *db;
	bool		failed = false;
	Oid			failed_relid = InvalidOid;
	Oid			held_relid = InvalidOid;
	char	   *source = NULL;
	uint64		catalog_gen;
	SourceTicket *tickets;
	int			ntickets;

	pathway_check_setup();
	if (timeout)
		timeout_ms = (timeout->time + (timeout->day * USECS_PER_DAY) +
					  (int64) timeout->month * DAYS_PER_MONTH * USECS_PER_DAY) / 1000;
	if (name)
	{
		char	   *status = NULL;
		bool		here = false;

		relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(name)), NoLock, false);
		source = meta_kafka_source_of(relid);
		if (source == NULL)
			source = meta_http_source_of(relid);
		if (source == NULL && !meta_view_lookup(relid, &status, NULL, &here))
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("\"%s\" is not a live view", name),
					 errhint("Live views are listed in pathway.views, sources in pathway.sources.")));
		if (source)
			relids = NIL;
		else if (here)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("live view \"%s\" was created in this transaction", name),
					 errhint("Commit first: the engine starts maintaining a view once its creation commits.")));
		else if (strcmp(status, "failed") == 0)
			report_failed(get_rel_name(relid), relid);
		if (!source)
			relids = list_make1_oid(relid);
	}
	else
		relids = all_view_relids();

	/* everything committed before now has its commit record before target */
	target = pathway_flush_wal();
	pathway_wake_worker(MyDatabaseId);
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);

	LWLockAcquire(pathway_shm->lock, LW_SHARED);
	db = pathway_db_find(MyDatabaseId);
	LWLockRelease(pathway_shm->lock);
	if (db == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pathway engine is not running in this database")));

	/* catalog changes committed before the call (a rebuild after ALTER TABLE) are read first */
	catalog_gen = pg_atomic_read_u64(&db->catalog_gen);
	tickets = source_tickets(source, source ? InvalidOid : relid, &ntickets);
	take_tickets(db, tickets, ntickets);
	pathway_wake_worker(MyDatabaseId);
	ConditionVariablePrepareToSleep(&db->progress);
	for (;;)
	{
		long		remaining;
		SyncState	state;
		XLogRecPtr	at;
		pid_t		pid;
		const char *behind;
		bool		untaken;
		char		behind_name[NAMEDATALEN] = "";
		char		behind_error[PATHWAY_SOURCE_ERROR] = "";

		LWLockAcquire(pathway_shm->lock, LW_SHARED);
		held_relid = InvalidOid;
		state = sync_state(db, target, relids, &failed_relid, &held_relid);
		if (state == SYNC_DONE && db->catalog_gen_loaded < catalog_gen)
			state = SYNC_WAIT;
		behind = tickets_waiting(db, tickets, ntickets, behind_error, &untaken);
		if (behind)
		{
			strlcpy(behind_name, behind, sizeof(behind_name));
			if (state == SYNC_DONE)
				state = SYNC_WAIT;
		}
		at = db->frontier;
		pid = db->pid;
		LWLockRelease(pathway_shm->lock);
		if (untaken)
		{
			take_tickets(db, tickets, ntickets);
			pathway_wake_worker(MyDatabaseId);
		}
		if (state != SYNC_WAIT)
		{
			failed = (state == SYNC_FAILED);
			break;
		}
		remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (remaining <= 0)
		{
			bool		http;

			ConditionVariableCancelSleep();
			http = behind_name[0] && meta_http_source_named(behind_name);
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("pathway.sync timed out"),
					 pid == 0 ? errdetail("The pathway engine worker is not running in this database.")
					 : behind_name[0] ?
					 http ?
					 errdetail("HTTP source \"%s\" has not landed what its endpoint held at the call%s%s.",
							   behind_name, behind_error[0] ? ": " : "", behind_error) :
					 errdetail("Kafka source \"%s\" has not landed what its brokers held at the call%s%s.",
							   behind_name, behind_error[0] ? ": " : "", behind_error)
					 : OidIsValid(held_relid) ?
					 errdetail("Live view \"%s\" waits for the answers of its HTTP calls.",
							   get_rel_name(held_relid))
					 : errdetail("Applied up to %X/%X, waiting for %X/%X.",
								 LSN_FORMAT_ARGS(at), LSN_FORMAT_ARGS(target)),
					 errhint("Check pathway.views and the server log.")));
		}
		(void) ConditionVariableTimedSleep(&db->progress, Min(remaining, 1000), PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	if (failed)
		report_failed(get_rel_name(failed_relid), failed_relid);
	PG_RETURN_VOID();
}
