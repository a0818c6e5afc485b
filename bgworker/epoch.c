/*
 * epoch.c
 *	  One epoch: decode the WAL up to the flush position, land what Kafka
 *	  sources delivered, push every transaction through the views' graphs in
 *	  dependency order (a view after the live views it reads, fed their
 *	  written changes), write the deltas, hand adopted views their
 *	  reconciliation, feed the sinks, and record the frontier, all in one
 *	  transaction.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "bgworker/internal.h"
#include "bgworker/memory.h"
#include "connectors/http_call.h"
#include "connectors/kafka_sink.h"
#include "connectors/kafka_source.h"
#include "connectors/table_source.h"
#include "meta/engine.h"
#include "pathway.h"

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
		if (v->has_snap && TransactionIdIsValid(t->xid) && worker_in_snapshot(v, t->xid))
			continue;
		foreach(lc, t->changes)
		{
			DecodedChange *c = lfirst(lc);

			if (!worker_view_reads(v, c->relid))
				continue;
			/* (a column added after this change was decoded reads as NULL) */
			foreach(ls, v->plan->sources)
			{
				Op		   *src = lfirst(ls);

				if (src->relid == c->relid && !(src->only && c->routed))
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
		LiveView   *up = worker_view_by_relid(src->relid);

		if (up && up != v && up->delta && up->writer)
			feed_from_view(src, up);
	}
}

/* the clock of this epoch (pathway.now() in temporal filters): its start */
static TimestampTz epoch_clock = 0;

/* set while apply_view checks the owner's rights: an error then is theirs */
static bool checking_access = false;

static void
apply_view(LiveView *v, List *txns, XLogRecPtr upto, ZBatch *written)
{
	Op		   *root = v->plan->root;

	/* the owner may have lost the right to read a source or call a function */
	checking_access = true;
	plan_check_access(v->name, v->plan);
	checking_access = false;
	feed_view(v, txns);
	/*
	 * A batch a map holds for its calls: the view has then applied what
	 * came before this epoch (an adopting view: nothing yet)
	 */
	engine_hold_tag = v->adopting ? 0 : worker_frontier;
	/* a temporal filter: the epoch's clock, rows entering and leaving with it */
	if (v->plan->temporal)
		op_temporal_set_now(v->plan->temporal, epoch_clock);
	graph_step(root);
	worker_note_held(v);
	/* a view with time options: its clock moves between epochs */
	if (v->plan->clock)
		op_time_advance(v->plan->clock);
	if (v->adopting)
	{
		ZBatch		target;

		adopt_result_add(v, &root->out);
		adopt_result_take(v, &target);
		writer_reconcile_rows(v->writer, &target, written);
		v->adopting = false;
		v->state = PVS_RUNNING;
		v->status_dirty = true;
		v->rebuilds = 0;
		v->retries = 0;
	}
	else
	{
		if (!writer_valid(v->writer))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("table of view \"%s\" was rewritten", v->name)));
		writer_apply_rows(v->writer, &root->out, written);
	}
	/* (a scan of the rows the writer holds: once windows became final) */
	if (v->plan->clock && v->plan->clock->forgot)
	{
		writer_forget_settled(v->writer);
		v->plan->clock->forgot = false;
	}
	if (v->has_snap && upto >= v->snap_lsn)
		v->has_snap = false;
}

typedef struct EpochArgs
{
	List	   *txns;
	XLogRecPtr	upto;
	MemoryContext cxt;			/* the view's batches, in worker_batch_cxt */
	ZBatch	   *written;		/* the rows the view's table gained and lost, or NULL */
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
	apply_view(v, a->txns, a->upto, a->written);
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

static bool
view_published(LiveView *v)
{
	ListCell   *lc;

	foreach(lc, worker_sinks)
		if (((KafkaSink *) lfirst(lc))->view == v->relid)
			return true;
	return false;
}

/* Does another live view read this one's table? */
static bool
view_feeds_others(LiveView *v)
{
	ListCell   *lc;

	foreach(lc, worker_views)
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
	List	   *left = list_copy(worker_views);
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
					LiveView   *up = worker_view_by_relid(lfirst_oid(lr));

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

static void
sinks_snapshot(void)
{
	ListCell   *lc;

	foreach(lc, worker_sinks)
	{
		KafkaSink  *k = lfirst(lc);
		LiveView   *v = worker_view_by_relid(k->view);

		if (!k->fresh || v == NULL || v->writer == NULL)
			continue;
		kafka_sink_snapshot(k, worker_frontier, v->writer->nkeycols, v->writer->keycols);
		SPI_connect();
		meta_engine_sink_snapshot_done(k->id);
		SPI_finish();
	}
}

/* In the epoch's transaction: what a view's table gained and lost, to its sinks. */
static void
sinks_capture(LiveView *v, ZBatch *captured, XLogRecPtr upto)
{
	ListCell   *lc;

	foreach(lc, worker_sinks)
	{
		KafkaSink  *k = lfirst(lc);

		if (k->view == v->relid && !k->fresh)
			kafka_sink_capture(k, v->writer->desc, captured, upto,
							   v->writer->nkeycols, v->writer->keycols);
	}
}
/* The epoch's transaction: one view's step, its table's changes captured. */
static bool
run_view(LiveView *v, EpochArgs *args, ZBatch *captured, ErrorData **edata)
{
	args->written = captured;
	return worker_run_guarded_err(v, epoch_work, args, edata);
}

/*
 * The time of each view with time options that moved, in the epoch's
 * transaction with its rows (a view that failed or rebuilds reads it back).
 */
static void
save_view_times(void)
{
	ListCell   *lc;

	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);
		TimeClock  *c = v->plan ? v->plan->clock : NULL;

		/* a temporal filter's clock, with the rows it let in and out */
		if (v->plan && v->plan->temporal && v->state == PVS_RUNNING)
			meta_engine_save_view_time(v->relid, TIMESTAMPTZOID, v->plan->temporal->temporal->now);
		if (c == NULL || !c->dirty || v->state != PVS_RUNNING)
			continue;
		meta_engine_save_view_time(v->relid, v->plan->time_type, c->time);
		c->dirty = false;
	}
}

bool
epoch_clock_views(void)
{
	ListCell   *lc;

	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);

		if (v->plan && v->plan->temporal)
			return true;
	}
	return false;
}

/* One epoch.  Returns true when WAL is left to read (do not sleep). */
bool
epoch_run(void)
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

	foreach(lc, worker_views)
		if (((LiveView *) lfirst(lc))->adopting)
			work = true;
	/* a view's calls done: the rows it holds for them go on */
	(void) http_call_async_collect();
	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);

		if ((v->state == PVS_RUNNING || v->adopting) && worker_calls_ready(v))
			work = true;
	}
	/* rows of temporal filters whose moment came: an epoch without writes */
	epoch_clock = Max(epoch_clock, GetCurrentTimestamp());
	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);
		int64		at;

		if (v->plan && v->plan->temporal && v->state == PVS_RUNNING &&
			op_temporal_next(v->plan->temporal, &at) && at <= epoch_clock)
			work = true;
	}
	foreach(lc, worker_sinks)
	{
		KafkaSink  *k = lfirst(lc);
		LiveView   *v = worker_view_by_relid(k->view);

		if (k->fresh && v && v->writer && v->state == PVS_RUNNING)
			work = true;
	}
	/* what has arrived from Kafka (never waits for more) */
	kafka_report_logs();
	worker_read_sync_requests();
	foreach(lc, worker_sources)
	{
		KafkaSource *k = lfirst(lc);
		int			got = kafka_source_poll(k, pathway_max_epoch_changes, worker_batch_cxt);

		if (got == 0)
			kafka_source_sync(k);

		messages += got;
		full = full || got == pathway_max_epoch_changes;
		if (k->offsets_dirty)
			work = true;
	}
	/* HTTP answers that came (never waits for one) */
	messages += worker_http_poll();
	if (upto <= worker_frontier && !work && messages == 0)
	{
		if (worker_sources != NIL || worker_http_sources != NIL)
			worker_publish();
		MemoryContextReset(worker_batch_cxt);
		return false;
	}

	INSTR_TIME_SET_CURRENT(start);
	pgstat_report_activity(STATE_RUNNING, "pathway: decoding");
	if (upto > worker_frontier)
		done = table_source_read(upto, pathway_max_epoch_changes, worker_batch_cxt, &txns, &unfollowable,
								 &xids, &nxids);
	else
	{
		done = worker_frontier;
		txns = unfollowable = NIL;
		xids = NULL;
		nxids = 0;
	}
	adopt_remember_xids(xids, nxids);

	/* a table we cannot follow (TRUNCATE, no old row): rebuild its views */
	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);
		ListCell   *lr;

		foreach(lr, unfollowable)
			if (worker_view_reads(v, lfirst_oid(lr)) && v->state != PVS_FAILED)
			{
				worker_view_free_state(v);
				v->state = PVS_STARTING;
			}
			else if (list_member_oid(v->retry_relids, lfirst_oid(lr)))
				v->retry_changed = true;	/* a failed view's source: worker_views_retry */
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
		foreach(lc, worker_sources)
		{
			KafkaSource *k = lfirst(lc);
			List	   *changes = kafka_land(k, worker_batch_cxt);

			if (changes != NIL)
			{
				MemoryContext old = MemoryContextSwitchTo(worker_batch_cxt);
				DecodedTxn *t = palloc0(sizeof(DecodedTxn));

				t->xid = InvalidTransactionId;
				t->end_lsn = done;
				t->changes = changes;
				txns = lappend(txns, t);
				MemoryContextSwitchTo(old);
			}
		}
		txns = worker_http_land(txns, done);
		args.txns = txns;
		args.upto = done;
		sinks_snapshot();
		foreach(lc, worker_views)
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
				captured = MemoryContextAlloc(worker_batch_cxt, sizeof(ZBatch));
				zbatch_init(captured);
			}
			/* a failed view's batches go at once: the next views need the room */
			view_cxt = AllocSetContextCreate(worker_batch_cxt, "pathway view epoch", ALLOCSET_DEFAULT_SIZES);
			args.cxt = view_cxt;
			memory_watch(v->name, v->adopting ? "build" : "epoch", &v->cxt, view_cxt, NULL, NULL);
			{
				ErrorData  *edata = NULL;
				bool		over;

				checking_access = false;
				ok = run_view(v, &args, captured, &edata);
				over = memory_unwatch();
				if (!ok && checking_access)
					worker_view_lost_access(v, edata);
				else if (!ok)
					worker_view_error(v, edata);
				checking_access = false;
				if (over && v->state == PVS_FAILED)
					v->memory_failed = true;
			}
			if (!ok)
				MemoryContextDelete(view_cxt);
			if (ok && captured)
			{
				if (published)
					sinks_capture(v, captured, done);
				v->delta = captured;
			}
		}
		SPI_connect();
		save_view_times();
		worker_write_statuses();
		meta_engine_record_frontier(done);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		pgstat_report_stat(false);
		INSTR_TIME_SET_CURRENT(took);
		INSTR_TIME_SUBTRACT(took, start);
		ms = INSTR_TIME_GET_MILLISEC(took);
		LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
		worker_db->epochs++;
		worker_db->last_epoch = GetCurrentTimestamp();
		worker_db->epoch_last_ms = ms;
		worker_db->epoch_total_ms += ms;
		worker_db->epoch_max_ms = Max(worker_db->epoch_max_ms, ms);
		LWLockRelease(pathway_shm->lock);
	}

	foreach(lc, worker_sources)
		kafka_source_landed(lfirst(lc));
	worker_http_landed();
	table_source_confirm(done);
	worker_frontier = done;
	MemoryContextReset(worker_batch_cxt);
	memory_give_back();
	worker_publish();
	pgstat_report_activity(STATE_IDLE, NULL);
	/* after an epoch, read once more: our own commit is past the frontier */
	return done < upto || committed || full;
}
