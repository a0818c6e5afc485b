/*
 * internal.h
 *	  What the engine worker's files share: the live views it keeps, its
 *	  memory contexts, and the catalog, Kafka and frontier state of the loop.
 *
 * worker.c runs the loop; load.c reads the catalog into this state;
 * adopt.c builds views; epoch.c runs epochs; views.c holds what they all
 * do to a view (fail it, run its work guarded, publish it to shared memory).
 * Only the files of bgworker/ include this header.
 */
#ifndef PATHWAY_BGWORKER_INTERNAL_H
#define PATHWAY_BGWORKER_INTERNAL_H

#include "postgres.h"

#include "access/xlogdefs.h"
#include "nodes/pg_list.h"
#include "utils/elog.h"
#include "utils/palloc.h"
#include "utils/timestamp.h"

#include "bgworker/shmem.h"
#include "connectors/writer.h"
#include "engine/arrangement.h"
#include "engine/operator.h"
#include "engine/temporal.h"
#include "engine/timegate.h"
#include "plan/planner.h"


typedef struct LiveView
{
	Oid			relid;
	Oid			owner;
	char	   *name;
	char	   *label;			/* schema-qualified, quoted as needed (GET /metrics) */
	char	   *tree;			/* analyzed query, nodeToString form */
	int			nsettings;		/* the creator's settings, applied while we work */
	char	  **setting_names;
	char	  **setting_values;
	TimeOptions *topts;			/* time options (docs/time.md), or NULL */
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

	/*
	 * Failed by an error of its query over the data (division by zero, a
	 * subquery of several rows): built again once a source changed, no
	 * sooner than retry_at (the delay doubles with each failed retry).
	 */
	List	   *retry_relids;	/* its sources (worker_cxt); NIL: not retried */
	bool		retry_changed;	/* a source changed since it failed */
	TimestampTz retry_at;
	int			retries;		/* consecutive retries that failed */

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

	/* rows its maps hold for HTTP calls, as of its last step (worker_note_held) */
	int64		held_rows;
	uint64		held_tag;		/* engine_hold_tag of the oldest */

	/* this epoch's changes of the view's table, for views that read it (worker_batch_cxt) */
	ZBatch	   *delta;
} LiveView;

/* One view's work, run by worker_run_guarded. */
typedef void (*ViewWork) (LiveView *v, void *arg);

/*
 * The worker's state (worker.c).  worker_cxt holds the views (each with
 * its own context for plan, state and writer); worker_batch_cxt holds one
 * epoch's decoded changes and the operators' batches and is reset after
 * every epoch.
 */
extern MemoryContext worker_cxt;
extern MemoryContext worker_batch_cxt;
extern List *worker_views;		/* LiveView *, in worker_cxt */
extern List *worker_sources;	/* KafkaSource *, in worker_cxt */
extern List *worker_sinks;		/* KafkaSink *, in worker_cxt */
extern List *worker_http_sources;	/* HttpSource *, in worker_cxt (http.c) */
extern int	worker_wake_pipe[2];	/* librdkafka queues write, the loop waits */
extern PathwayDb *worker_db;
extern uint64 worker_catalog_gen_seen;
extern XLogRecPtr worker_frontier;

/* http.c: HTTP sources */
/* embed.c: pathway.embed's batched calls */
extern void worker_embed_init(void);
extern void worker_embed_begin(LiveView *v);
extern void worker_note_held(LiveView *v);
extern bool worker_calls_ready(LiveView *v);

extern void worker_load_http_sources(void);
extern int	worker_http_poll(void);
extern List *worker_http_land(List *txns, XLogRecPtr end_lsn);
extern void worker_http_landed(void);
extern void worker_http_take_sync_requests(void);
extern int	worker_http_publish(int n);

/* webhook.c: the requests the listener hands over */
struct HttpSource;
extern void worker_webhook_open(void);
extern int	worker_webhook_poll(void);
extern List *worker_webhook_land(struct HttpSource *s);
extern void worker_webhook_landed(void);
extern void worker_webhook_wait(long timeout_ms, bool wake_pipe);

/* views.c: a view's lot */
extern void worker_view_free_state(LiveView *v);
extern void worker_view_fail(LiveView *v, const char *message);
extern void worker_view_error(LiveView *v, ErrorData *edata);
extern void worker_view_lost_access(LiveView *v, ErrorData *edata);
extern bool worker_view_reads(LiveView *v, Oid relid);
extern void worker_views_retry(void);
extern bool worker_in_snapshot(LiveView *v, TransactionId xid);
extern LiveView *worker_view_by_relid(Oid relid);
extern bool worker_run_guarded(LiveView *v, ViewWork work, void *arg);
extern bool worker_run_guarded_err(LiveView *v, ViewWork work, void *arg, ErrorData **err);
extern bool worker_change_wanted(Oid relid, TransactionId xid);
extern void worker_rewatch(void);
extern void worker_write_statuses(void);

/* views.c: shared memory */
extern void worker_publish(void);
extern void worker_publish_progress(LiveView *v);
extern void worker_read_sync_requests(void);

/* load.c: the catalog */
extern bool worker_extension_exists(void);
extern bool worker_load_catalog(void);

/* adopt.c */
extern void adopt_views(void);
extern void adopt_remember_xids(TransactionId *xids, int n);
extern void adopt_result_add(LiveView *v, ZBatch *batch);
extern void adopt_result_take(LiveView *v, ZBatch *out);

/* epoch.c */
extern bool epoch_run(void);

/* epoch.c: does a view compare with pathway.now() (the loop then ticks its clock)? */
extern bool epoch_clock_views(void);

#endif							/* PATHWAY_BGWORKER_INTERNAL_H */
