/*
 * pathway.c
 *	  Module entry: settings, shared memory, the launcher's registration and
 *	  the commit hook that wakes the engine worker.
 *
 * The commit hook runs in every backend.  It is kept to a few instructions
 * unless the transaction wrote something: then it sets the engine worker's
 * latch, so a change is picked up at once instead of after a poll.
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/guc.h"
#include "utils/resowner.h"

#include "bgworker/launcher.h"
#include "bgworker/shmem.h"
#include "extension/extension.h"

PG_MODULE_MAGIC;

int			pathway_max_epoch_changes = 100000;
int			pathway_naptime_ms = 1000;
int			pathway_clock_interval_ms = 1000;
int			pathway_decoding_work_mem_kb = 262144;
int			pathway_max_memory_kb = 1048576;
char	   *pathway_http_allowed_hosts = NULL;
char	   *pathway_http_listen = NULL;
char	   *pathway_embedding_url = NULL;
char	   *pathway_embedding_model = NULL;
char	   *pathway_embedding_api_key = NULL;
int			pathway_embedding_batch_size = 64;
int			pathway_http_max_concurrency = 64;
int			pathway_http_request_timeout_ms = 10000;
int			pathway_http_request_on_error = HTTP_ON_ERROR_NULL;

static const struct config_enum_entry on_error_options[] = {
	{"null", HTTP_ON_ERROR_NULL, false},
	{"fail", HTTP_ON_ERROR_FAIL, false},
	{NULL, 0, false}
};
int			pathway_max_iterations = 10000;
bool		pathway_preloaded = false;
bool		pathway_in_worker = false;

/* what this transaction did that others must hear of at commit */
static bool catalog_changed = false;
static bool extension_created = false;
static bool extension_dropped = false;
static bool wrote = false;
static bool announce_catalog_change = false;	/* at the end of this commit */

static object_access_hook_type prev_object_access_hook = NULL;

void		_PG_init(void);

void
pathway_check_setup(void)
{
	if (!pathway_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pathway must be loaded at server start"),
				 errhint("Add shared_preload_libraries = 'pathway' to postgresql.conf and restart the server.")));
	if (wal_level < WAL_LEVEL_LOGICAL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pathway needs wal_level = logical"),
				 errhint("Set wal_level = logical in postgresql.conf and restart the server.")));
}

void
pathway_note_catalog_change(void)
{
	catalog_changed = true;
}

/* Reserve the database's slot now, while an error can still abort. */
void
pathway_note_extension_created(void)
{
	PathwayDb  *db;

	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	db = pathway_db_find_or_add(MyDatabaseId);
	/* held until this transaction ends: the launcher must not free it */
	if (db && !extension_created)
		db->creating++;
	LWLockRelease(pathway_shm->lock);
	if (db == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("pathway supports at most %d databases per cluster", PATHWAY_MAX_DATABASES),
				 errdetail("Each database that has the extension takes one; dropping the extension gives it back."),
				 errhint("Drop the extension in a database that does not need it.")));
	extension_created = true;
}

/* The end of a transaction that reserved the slot (commit or abort). */
static void
end_reservation(bool committed)
{
	PathwayDb  *db;

	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	db = pathway_db_find(MyDatabaseId);
	if (db)
	{
		if (extension_created && db->creating > 0)
			db->creating--;
		if (committed)
			db->want_worker = db->created = extension_created;
	}
	LWLockRelease(pathway_shm->lock);
	pathway_wake_launcher();
}

static void
xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			wrote = TransactionIdIsValid(GetTopTransactionIdIfAny());
			break;
		case XACT_EVENT_COMMIT:
			/* the slot was reserved before commit (and kept): this cannot fail */
			if (extension_created || extension_dropped)
				end_reservation(true);
			/*
			 * A catalog change is announced once this commit's invalidations
			 * are sent (release_callback): the worker must not read the
			 * catalog (a revoked privilege, a new owner) from stale caches.
			 */
			if (catalog_changed || extension_dropped)
				announce_catalog_change = true;
			/* any write may touch a source table: let the worker look */
			else if (wrote && !pathway_in_worker)
				pathway_wake_worker(MyDatabaseId);
			catalog_changed = extension_created = extension_dropped = wrote = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			if (extension_created)
				end_reservation(false);
			catalog_changed = extension_created = extension_dropped = wrote = false;
			break;
		default:
			break;
	}
}

/*
 * After a commit's invalidation messages went out (the last phase of the
 * top transaction's resource release): tell the worker the catalog changed.
 */
static void
release_callback(ResourceReleasePhase phase, bool isCommit, bool isTopLevel, void *arg)
{
	PathwayDb  *db;

	if (phase != RESOURCE_RELEASE_AFTER_LOCKS || !isTopLevel || !announce_catalog_change)
		return;
	announce_catalog_change = false;
	if (!isCommit)
		return;
	LWLockAcquire(pathway_shm->lock, LW_SHARED);
	db = pathway_db_find(MyDatabaseId);
	if (db)
		pg_atomic_fetch_add_u64(&db->catalog_gen, 1);
	LWLockRelease(pathway_shm->lock);
	pathway_wake_worker(MyDatabaseId);
}

/* Notice DROP EXTENSION pathway, so the worker can clean up and stop. */
static void
object_access(ObjectAccessType access, Oid classId, Oid objectId, int subId,
			  void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	if (access == OAT_DROP && classId == ExtensionRelationId &&
		objectId == get_extension_oid("pathway", true))
		extension_dropped = true;
}

/* pathway.max_memory: -1 (no limit) or at least 1MB. */
static bool
check_max_memory(int *newval, void **extra, GucSource source)
{
	if (*newval != -1 && *newval < 1024)
	{
		GUC_check_errdetail("pathway.max_memory must be -1 (no limit) or at least 1MB.");
		return false;
	}
	return true;
}

static void
define_gucs(void)
{
	DefineCustomIntVariable("pathway.max_epoch_changes",
							gettext_noop("Source changes after which an epoch stops reading and commits."),
							gettext_noop("Epochs take whole transactions; a larger value favours throughput under load."),
							&pathway_max_epoch_changes,
							100000, 1000, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pathway.naptime",
							gettext_noop("Longest time the engine worker sleeps when nothing wakes it."),
							gettext_noop("Commits wake the worker at once; this bounds the delay for asynchronous commits."),
							&pathway_naptime_ms,
							1000, 10, 60000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pathway.clock_interval",
							gettext_noop("Longest time between two ticks of the clock of live views that compare with pathway.now()."),
							gettext_noop("The clock also moves with every epoch; rows enter and leave such views as it passes their moments."),
							&pathway_clock_interval_ms,
							1000, 10, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pathway.decoding_work_mem",
							gettext_noop("Memory the engine worker's logical decoding may use before spilling a transaction to disk."),
							gettext_noop("Sets logical_decoding_work_mem in the engine worker's session only."),
							&pathway_decoding_work_mem_kb,
							262144, 64, INT_MAX / 1024,
							PGC_SIGHUP, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("pathway.max_memory",
							gettext_noop("Memory an engine worker may hold for its live views; -1 means no limit."),
							gettext_noop("The view whose build or epoch passes it fails and is not built again until it is recreated."),
							&pathway_max_memory_kb,
							1048576, -1, MAX_KILOBYTES,
							PGC_SIGHUP, GUC_UNIT_KB, check_max_memory, NULL, NULL);
	DefineCustomStringVariable("pathway.http_allowed_hosts",
							   gettext_noop("Hosts HTTP sources may reach (host or host:port, comma-separated); empty means any."),
							   gettext_noop("Checked when a source is created, at every request and at every redirect."),
							   &pathway_http_allowed_hosts,
							   "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("pathway.http_listen",
							   gettext_noop("Address (host:port) of the listener for webhook sources and GET /metrics; empty means off."),
							   gettext_noop("127.0.0.1:8787 is the recommended value: loopback only."),
							   &pathway_http_listen,
							   "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pathway.max_iterations",
							gettext_noop("Rounds a recursive query may take to reach its fixed point after a change."),
							gettext_noop("A live view whose recursion takes more rounds (a UNION ALL over a cycle without a bound) fails."),
							&pathway_max_iterations,
							10000, 1, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("pathway.embedding_url",
							   gettext_noop("The OpenAI-compatible embeddings endpoint pathway.embed() calls (e.g. http://host:port/v1/embeddings)."),
							   gettext_noop("Only superusers set it: the vectors it answers are memoized for every role."),
							   &pathway_embedding_url,
							   "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("pathway.embedding_model",
							   gettext_noop("The model pathway.embed() asks for when its call names none."),
							   NULL,
							   &pathway_embedding_model,
							   "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("pathway.embedding_api_key",
							   gettext_noop("The bearer token pathway.embed() sends; readable by superusers only."),
							   NULL,
							   &pathway_embedding_api_key,
							   "",
							   PGC_SUSET, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("pathway.embedding_batch_size",
							gettext_noop("Inputs pathway.embed() sends in one request from a live view."),
							NULL,
							&pathway_embedding_batch_size,
							64, 1, 2048,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pathway.http_max_concurrency",
							gettext_noop("Requests a live view's batched calls (pathway.embed, pathway.http_request) have in flight at once."),
							NULL,
							&pathway_http_max_concurrency,
							64, 1, 256,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pathway.http_request_timeout",
							gettext_noop("Longest attempt of one pathway.http_request() call."),
							NULL,
							&pathway_http_request_timeout_ms,
							10000, 100, 60000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomEnumVariable("pathway.http_request_on_error",
							 gettext_noop("What a failed pathway.http_request() call does in a live view: null (NULL and a dead letter) or fail (the view fails)."),
							 gettext_noop("Captured when a view is created."),
							 &pathway_http_request_on_error,
							 HTTP_ON_ERROR_NULL, on_error_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("pathway");
}

void
_PG_init(void)
{
	define_gucs();
	if (!process_shared_preload_libraries_in_progress)
		return;

	pathway_preloaded = true;
	pathway_shmem_request();
	pathway_launcher_register();
	RegisterXactCallback(xact_callback, NULL);
	RegisterResourceReleaseCallback(release_callback, NULL);
	prev_object_access_hook = object_access_hook;
	object_access_hook = object_access;
}
