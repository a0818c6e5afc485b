/*
 * shmem.c
 *	  Allocation and lookup of pathway's shared memory.
 *
 * See shmem.h for the locking rules.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"

#include "bgworker/shmem.h"

PathwayShm *pathway_shm = NULL;

static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;

static void
shmem_startup(void)
{
	bool		found;
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	pathway_shm = ShmemInitStruct("pathway", sizeof(PathwayShm), &found);
	if (!found)
	{
		memset(pathway_shm, 0, sizeof(PathwayShm));
		pathway_shm->lock = &(GetNamedLWLockTranche("pathway"))->lock;
		for (i = 0; i < PATHWAY_MAX_DATABASES; i++)
		{
			pg_atomic_init_u64(&pathway_shm->dbs[i].catalog_gen, 0);
			ConditionVariableInit(&pathway_shm->dbs[i].progress);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(PathwayShm)));
	RequestNamedLWLockTranche("pathway", 1);
}

/* Called from _PG_init: install the hooks that size and create our memory. */
void
pathway_shmem_request(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
}

/* Caller holds pathway_shm->lock. */
PathwayDb *
pathway_db_find(Oid dboid)
{
	int			i;

	for (i = 0; i < PATHWAY_MAX_DATABASES; i++)
		if (pathway_shm->dbs[i].dboid == dboid)
			return &pathway_shm->dbs[i];
	return NULL;
}

/*
 * Caller holds pathway_shm->lock exclusively.  Returns NULL when every slot
 * is taken: callers on a commit path must not raise errors.
 */
PathwayDb *
pathway_db_find_or_add(Oid dboid)
{
	PathwayDb  *db = pathway_db_find(dboid);
	int			i;

	if (db)
		return db;
	for (i = 0; i < PATHWAY_MAX_DATABASES; i++)
	{
		db = &pathway_shm->dbs[i];
		if (db->dboid == InvalidOid)
		{
			db->dboid = dboid;
			db->want_worker = false;
			db->created = false;
			db->creating = 0;
			db->pid = 0;
			db->latch = NULL;
			db->frontier = InvalidXLogRecPtr;
			db->nviews = 0;
			db->nsources = 0;
			db->nsinks = 0;
			db->epochs = 0;
			db->last_epoch = 0;
			db->epoch_last_ms = db->epoch_total_ms = db->epoch_max_ms = 0;
			db->reset_requested = false;
			db->catalog_gen_loaded = 0;
			db->dbname[0] = '\0';
			db->webhook_socket = false;
			db->nwebhooks = 0;
			return db;
		}
	}
	return NULL;
}

/*
 * Caller holds pathway_shm->lock.  Nothing needs the slot: no committed
 * CREATE EXTENSION, none in progress, no worker asked for or running.
 */
bool
pathway_db_unused(PathwayDb *db)
{
	return OidIsValid(db->dboid) && !db->want_worker && !db->created &&
		db->creating == 0 && db->pid == 0;
}

/* Caller holds pathway_shm->lock exclusively: the slot is free again. */
void
pathway_db_free(PathwayDb *db)
{
	db->dboid = InvalidOid;
	db->want_worker = false;
	db->created = false;
	db->creating = 0;
	db->pid = 0;
	db->latch = NULL;
	db->nviews = 0;
	db->nsources = 0;
	db->nsinks = 0;
	db->webhook_socket = false;
	db->nwebhooks = 0;
}

void
pathway_wake_worker(Oid dboid)
{
	PathwayDb  *db;

	if (pathway_shm == NULL)
		return;
	LWLockAcquire(pathway_shm->lock, LW_SHARED);
	db = pathway_db_find(dboid);
	if (db && db->latch)
		SetLatch(db->latch);
	LWLockRelease(pathway_shm->lock);
}

void
pathway_wake_launcher(void)
{
	if (pathway_shm && pathway_shm->launcher_latch)
		SetLatch(pathway_shm->launcher_latch);
}
