/*
 * shmem.h
 *	  Shared state between backends, the launcher and the engine workers.
 *
 * One PathwayDb slot per database that has (or may have) the extension.
 * The launcher gives a slot back once its database has neither the
 * extension nor a worker (DROP EXTENSION), or no longer exists.
 * Locking: PathwayShm->lock (an LWLock) protects every field except the
 * atomics; readers that only need a recent value of frontier take it in
 * shared mode.  The condition variable is broadcast after every epoch.
 */
#ifndef PATHWAY_SHMEM_H
#define PATHWAY_SHMEM_H

#include "postgres.h"

#include "access/xlogdefs.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"

#define PATHWAY_MAX_DATABASES 32
#define PATHWAY_MAX_VIEWS 256
#define PATHWAY_MAX_OPS 12
#define PATHWAY_OP_LABEL 40
#define PATHWAY_MAX_SOURCES 32
#define PATHWAY_SOURCE_ERROR 256

typedef enum PathwayViewState
{
	PVS_STARTING = 0,
	PVS_RUNNING,
	PVS_FAILED
} PathwayViewState;

typedef struct PathwayOpShm
{
	char		label[PATHWAY_OP_LABEL];	/* "3 join", "1 source orders" */
	int64		rows_in;
	int64		rows_out;
	int64		state_rows;
	int64		state_bytes;
} PathwayOpShm;

typedef struct PathwayViewShm
{
	Oid			relid;
	char		label[2 * NAMEDATALEN + 8];	/* "schema.name" (the listener's /metrics) */
	PathwayViewState state;
	XLogRecPtr	frontier;		/* the view has applied every transaction before it (Invalid: none yet) */
	int64		held_rows;		/* rows waiting for their HTTP calls' answers */
	int64		state_rows;
	int64		state_bytes;
	int64		rows_written;
	int64		epochs;			/* epochs that changed the view */
	double		last_ms;		/* time of the view's own work in those */
	double		total_ms;
	double		max_ms;
	int64		build_done;		/* source rows read by the running build */
	int64		build_total;	/* estimate of all of them */
	int			nops;
	PathwayOpShm ops[PATHWAY_MAX_OPS];
} PathwayViewShm;

/* A Kafka source as the worker last saw it (pathway.sources). */
typedef struct PathwaySourceShm
{
	char		name[NAMEDATALEN];
	char		status[32];		/* "starting", "running", "error", ... */
	char		error[PATHWAY_SOURCE_ERROR];	/* the last one, secrets never */
	int64		messages;		/* landed in the stream table */
	int64		dead_letters;
	int64		lag;			/* messages known to the broker, not yet landed */
	int			partitions;
	TimestampTz last_message;
	uint64		sync_requested; /* pathway.sync() takes tickets ... */
	uint64		sync_served;	/* ... the worker serves them in order */
} PathwaySourceShm;

typedef struct PathwaySinkShm
{
	int64		id;
	char		status[32];
	char		error[PATHWAY_SOURCE_ERROR];
	int64		messages;		/* delivered since the worker started */
	int64		failures;		/* rounds (HTTP: requests) that failed since then */
} PathwaySinkShm;

typedef struct PathwayDb
{
	Oid			dboid;			/* InvalidOid: free slot */
	bool		want_worker;	/* the database has the extension (as far as we know) */
	bool		created;		/* a committed CREATE EXTENSION said so (not a probe) */
	int			creating;		/* open transactions that reserved the slot for CREATE EXTENSION */
	pid_t		pid;			/* engine worker, 0 if none */
	Latch	   *latch;			/* engine worker's latch */
	XLogRecPtr	frontier;		/* every transaction committed before it is applied */
	int64		epochs;
	TimestampTz last_epoch;
	double		epoch_last_ms;
	double		epoch_total_ms;
	double		epoch_max_ms;
	bool		reset_requested;	/* pathway.stats_reset() */
	int			nviews;
	PathwayViewShm views[PATHWAY_MAX_VIEWS];
	int			nsources;
	PathwaySourceShm sources[PATHWAY_MAX_SOURCES];
	int			nsinks;
	PathwaySinkShm sinks[PATHWAY_MAX_SOURCES];
	/*
	 * For the listener (pathway.http_listen): the database's name, and the
	 * webhook sources whose requests the worker takes on its socket (names
	 * only: the tokens stay in the worker).
	 */
	char		dbname[NAMEDATALEN];
	bool		webhook_socket; /* the worker has bound its socket */
	int			nwebhooks;
	char		webhooks[PATHWAY_MAX_SOURCES][NAMEDATALEN];
	pg_atomic_uint64 catalog_gen;	/* bumped when the view catalog commits a change */
	uint64		catalog_gen_loaded; /* the last one the worker has read (under lock) */
	ConditionVariable progress;
} PathwayDb;

typedef struct PathwayShm
{
	LWLock	   *lock;
	Latch	   *launcher_latch;
	PathwayDb	dbs[PATHWAY_MAX_DATABASES];
} PathwayShm;

extern PathwayShm *pathway_shm;

extern void pathway_shmem_request(void);
extern void pathway_shmem_startup(void);
extern PathwayDb *pathway_db_find(Oid dboid);
extern PathwayDb *pathway_db_find_or_add(Oid dboid);
extern bool pathway_db_unused(PathwayDb *db);
extern void pathway_db_free(PathwayDb *db);
extern void pathway_wake_worker(Oid dboid);
extern void pathway_wake_launcher(void);

#endif							/* PATHWAY_SHMEM_H */
