/*
 * stats.c
 *	  The shared-memory state of this database's engine worker as rows.
 *
 * Each function fills a tuplestore with one row per view, operator,
 * source or sink (or one row for the epoch timings) from the worker's
 * PathwayDb, read under the shared lock; stats_rows is the skeleton they
 * share.  The install script names these functions (pathway._view_state
 * and the others) and builds the pathway.* views on them.
 */
#include "postgres.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "access/xlog.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "replication/slot.h"
#include "utils/builtins.h"
#include "utils/pg_lsn.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "bgworker/listen.h"
#include "bgworker/shmem.h"
#include "bgworker/stats.h"
#include "pathway.h"

PG_FUNCTION_INFO_V1(pathway_view_state);
PG_FUNCTION_INFO_V1(pathway_op_state);
PG_FUNCTION_INFO_V1(pathway_epoch_state);
PG_FUNCTION_INFO_V1(pathway_source_state);
PG_FUNCTION_INFO_V1(pathway_sink_state);

/* Adds the rows of db to the tuplestore (under pathway_shm->lock, shared). */
typedef void (*StatsRowsFn) (PathwayDb *db, Tuplestorestate *store, TupleDesc desc);

/*
 * A materialized set-returning function over this database's shared
 * memory: no rows without it (not preloaded) or without a worker's slot.
 */
static Datum
stats_rows(FunctionCallInfo fcinfo, StatsRowsFn rows)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PathwayDb  *db;

	InitMaterializedSRF(fcinfo, 0);
	if (pathway_shm == NULL)
		PG_RETURN_VOID();
	LWLockAcquire(pathway_shm->lock, LW_SHARED);
	db = pathway_db_find(MyDatabaseId);
	if (db)
		rows(db, rsinfo->setResult, rsinfo->setDesc);
	LWLockRelease(pathway_shm->lock);
	PG_RETURN_VOID();
}

/* One row per view: pathway.views. */
static void
view_rows(PathwayDb *db, Tuplestorestate *store, TupleDesc desc)
{
	static const char *const names[] = {"starting", "running", "failed"};
	int			i;

	for (i = 0; i < db->nviews; i++)
	{
		PathwayViewShm *v = &db->views[i];
		Datum		values[15];
		bool		nulls[15] = {0};

		values[0] = ObjectIdGetDatum(v->relid);
		values[1] = CStringGetTextDatum(names[v->state]);
		values[2] = LSNGetDatum(v->frontier);
		nulls[2] = (v->state != PVS_RUNNING || XLogRecPtrIsInvalid(v->frontier));
		values[3] = TimestampTzGetDatum(db->last_epoch);
		nulls[3] = (db->last_epoch == 0);
		values[4] = Int64GetDatum(v->epochs);
		values[5] = Int64GetDatum(v->state_rows);
		values[6] = Int64GetDatum(v->state_bytes);
		values[7] = Int64GetDatum(v->rows_written);
		values[8] = Float8GetDatum(v->last_ms);
		values[9] = Float8GetDatum(v->epochs ? v->total_ms / v->epochs : 0);
		values[10] = Float8GetDatum(v->max_ms);
		values[11] = Int64GetDatum(v->build_done);
		values[12] = Int64GetDatum(v->build_total);
		nulls[11] = nulls[12] = (v->state != PVS_STARTING);
		values[13] = Int64GetDatum(db->epochs);
		values[14] = Int64GetDatum(v->held_rows);
		tuplestore_putvalues(store, desc, values, nulls);
	}
}

Datum
pathway_view_state(PG_FUNCTION_ARGS)
{
	return stats_rows(fcinfo, view_rows);
}

/* One row per operator of every view: pathway.stats. */
static void
op_rows(PathwayDb *db, Tuplestorestate *store, TupleDesc desc)
{
	int			i,
				j;

	for (i = 0; i < db->nviews; i++)
	{
		PathwayViewShm *v = &db->views[i];

		for (j = 0; j < v->nops; j++)
		{
			PathwayOpShm *o = &v->ops[j];
			Datum		values[7];
			bool		nulls[7] = {0};

			values[0] = ObjectIdGetDatum(v->relid);
			values[1] = Int32GetDatum(j + 1);
			values[2] = CStringGetTextDatum(o->label);
			values[3] = Int64GetDatum(o->rows_in);
			values[4] = Int64GetDatum(o->rows_out);
			values[5] = Int64GetDatum(o->state_rows);
			values[6] = Int64GetDatum(o->state_bytes);
			tuplestore_putvalues(store, desc, values, nulls);
		}
	}
}

Datum
pathway_op_state(PG_FUNCTION_ARGS)
{
	return stats_rows(fcinfo, op_rows);
}

/* The epoch timings of this database's worker: one row. */
static void
epoch_rows(PathwayDb *db, Tuplestorestate *store, TupleDesc desc)
{
	Datum		values[6];
	bool		nulls[6] = {0};

	values[0] = Int64GetDatum(db->epochs);
	values[1] = Float8GetDatum(db->epoch_last_ms);
	values[2] = Float8GetDatum(db->epochs ? db->epoch_total_ms / db->epochs : 0);
	values[3] = Float8GetDatum(db->epoch_max_ms);
	values[4] = LSNGetDatum(db->frontier);
	nulls[4] = XLogRecPtrIsInvalid(db->frontier);
	values[5] = Int32GetDatum(db->pid);
	nulls[5] = (db->pid == 0);
	tuplestore_putvalues(store, desc, values, nulls);
}

Datum
pathway_epoch_state(PG_FUNCTION_ARGS)
{
	return stats_rows(fcinfo, epoch_rows);
}

/* What the worker last published about each Kafka source: pathway.sources. */
static void
source_rows(PathwayDb *db, Tuplestorestate *store, TupleDesc desc)
{
	int			i;

	for (i = 0; i < db->nsources; i++)
	{
		PathwaySourceShm *s = &db->sources[i];
		Datum		values[8];
		bool		nulls[8] = {0};

		values[0] = CStringGetTextDatum(s->name);
		values[1] = CStringGetTextDatum(s->status);
		values[2] = CStringGetTextDatum(s->error);
		nulls[2] = (s->error[0] == '\0');
		values[3] = Int64GetDatum(s->messages);
		values[4] = Int64GetDatum(s->dead_letters);
		values[5] = Int64GetDatum(s->lag);
		values[6] = Int32GetDatum(s->partitions);
		values[7] = TimestampTzGetDatum(s->last_message);
		nulls[7] = (s->last_message == 0);
		tuplestore_putvalues(store, desc, values, nulls);
	}
}

Datum
pathway_source_state(PG_FUNCTION_ARGS)
{
	return stats_rows(fcinfo, source_rows);
}

/* What the worker last published about each sink (Kafka and HTTP): pathway.sinks. */
static void
sink_rows(PathwayDb *db, Tuplestorestate *store, TupleDesc desc)
{
	int			i;

	for (i = 0; i < db->nsinks; i++)
	{
		PathwaySinkShm *s = &db->sinks[i];
		Datum		values[5];
		bool		nulls[5] = {0};

		values[0] = Int64GetDatum(s->id);
		values[1] = CStringGetTextDatum(s->status);
		values[2] = CStringGetTextDatum(s->error);
		nulls[2] = (s->error[0] == '\0');
		values[3] = Int64GetDatum(s->messages);
		values[4] = Int64GetDatum(s->failures);
		tuplestore_putvalues(store, desc, values, nulls);
	}
}

Datum
pathway_sink_state(PG_FUNCTION_ARGS)
{
	return stats_rows(fcinfo, sink_rows);
}

void
stats_request_reset(void)
{
	PathwayDb  *db;

	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	db = pathway_db_find(MyDatabaseId);
	if (db)
		db->reset_requested = true;
	LWLockRelease(pathway_shm->lock);
	pathway_wake_worker(MyDatabaseId);
}

/* ---------- GET /metrics (the listener, no database connection) ---------- */

/* A Prometheus label value: backslash, double quote and newline escaped. */
static void
append_label(StringInfo b, const char *v)
{
	for (; *v; v++)
	{
		if (*v == '\\' || *v == '"')
			appendStringInfoChar(b, '\\');
		if (*v == '\n')
			appendStringInfoString(b, "\\n");
		else
			appendStringInfoChar(b, *v);
	}
}

typedef enum MetricKind
{
	M_EPOCHS, M_EPOCH_LAST, M_EPOCH_MAX, M_VIEW_WRITTEN, M_VIEW_EPOCHS, M_VIEW_BACKLOG,
	M_VIEW_STATE_BYTES, M_OP_IN, M_OP_OUT, M_OP_STATE_ROWS, M_OP_STATE_BYTES, M_WAL_RETAINED, M_COUNT
} MetricKind;

static const char *const metric_head[M_COUNT][3] = {
	{"pathway_epochs_total", "counter", "Epochs committed by the engine worker."},
	{"pathway_epoch_seconds_last", "gauge", "Duration of the last epoch."},
	{"pathway_epoch_seconds_max", "gauge", "Longest epoch since the last reset."},
	{"pathway_view_rows_written_total", "counter", "Rows inserted, updated or deleted in the view's table."},
	{"pathway_view_epochs_total", "counter", "Epochs that changed the view."},
	{"pathway_view_backlog_bytes", "gauge", "Bytes of flushed WAL not yet applied to the view."},
	{"pathway_view_state_bytes", "gauge", "Engine memory held for the view."},
	{"pathway_operator_rows_in_total", "counter", "Rows an operator consumed."},
	{"pathway_operator_rows_out_total", "counter", "Rows an operator produced."},
	{"pathway_operator_state_rows", "gauge", "Rows (or groups) an operator holds."},
	{"pathway_operator_state_bytes", "gauge", "Memory an operator holds."},
	{"pathway_wal_retained_bytes", "gauge", "WAL the engine's replication slot keeps from removal (from restart_lsn to the current WAL position)."},
};

/* The restart_lsn of the engine's slot of dboid, or InvalidXLogRecPtr. */
static XLogRecPtr
slot_restart_lsn(Oid dboid)
{
	char		name[NAMEDATALEN];
	XLogRecPtr	lsn = InvalidXLogRecPtr;
	int			i;

	snprintf(name, sizeof(name), PATHWAY_SLOT_PREFIX "%u", dboid);
	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	for (i = 0; i < max_replication_slots; i++)
	{
		ReplicationSlot *slot = &ReplicationSlotCtl->replication_slots[i];

		if (slot->in_use && strcmp(NameStr(slot->data.name), name) == 0)
		{
			SpinLockAcquire(&slot->mutex);
			lsn = slot->data.restart_lsn;
			SpinLockRelease(&slot->mutex);
			break;
		}
	}
	LWLockRelease(ReplicationSlotControlLock);
	return lsn;
}

/* The samples of one metric over every database (under the shared lock). */
static void
append_metric(StringInfo b, MetricKind m, XLogRecPtr flushed)
{
	int			d,
				i,
				j;
	bool		any = false;

	for (d = 0; d < PATHWAY_MAX_DATABASES; d++)
	{
		PathwayDb  *db = &pathway_shm->dbs[d];

		if (!OidIsValid(db->dboid) || db->dbname[0] == '\0' || db->pid == 0)
			continue;
		if (m == M_WAL_RETAINED)
		{
			XLogRecPtr	restart = slot_restart_lsn(db->dboid);
			XLogRecPtr	now = GetXLogWriteRecPtr();

			if (restart == InvalidXLogRecPtr)
				continue;
			if (!any)
				appendStringInfo(b, "# HELP %s %s\n# TYPE %s %s\n", metric_head[m][0], metric_head[m][2],
								 metric_head[m][0], metric_head[m][1]);
			any = true;
			appendStringInfo(b, "%s{database=\"", metric_head[m][0]);
			append_label(b, db->dbname);
			appendStringInfo(b, "\"} %lld\n", (long long) (now > restart ? now - restart : 0));
			continue;
		}
		if (!any && (m <= M_EPOCH_MAX || db->nviews > 0))
		{
			/* (an operator metric's header may come without samples) */
			appendStringInfo(b, "# HELP %s %s\n# TYPE %s %s\n", metric_head[m][0], metric_head[m][2],
							 metric_head[m][0], metric_head[m][1]);
			any = true;
		}
		if (m <= M_EPOCH_MAX)
		{
			appendStringInfo(b, "%s{database=\"", metric_head[m][0]);
			append_label(b, db->dbname);
			if (m == M_EPOCHS)
				appendStringInfo(b, "\"} %lld\n", (long long) db->epochs);
			else
				appendStringInfo(b, "\"} %g\n", (m == M_EPOCH_LAST ? db->epoch_last_ms : db->epoch_max_ms) / 1000);
			continue;
		}
		for (i = 0; i < db->nviews; i++)
		{
			PathwayViewShm *v = &db->views[i];
			int			nops = m >= M_OP_IN ? v->nops : 1;

			for (j = 0; j < nops; j++)
			{
				PathwayOpShm *o = &v->ops[j];

				appendStringInfo(b, "%s{database=\"", metric_head[m][0]);
				append_label(b, db->dbname);
				appendStringInfoString(b, "\",view=\"");
				append_label(b, v->label);
				if (m >= M_OP_IN)
				{
					appendStringInfoString(b, "\",operator=\"");
					append_label(b, o->label);
				}
				appendStringInfoString(b, "\"} ");
				switch (m)
				{
					case M_VIEW_WRITTEN:
						appendStringInfo(b, "%lld\n", (long long) v->rows_written);
						break;
					case M_VIEW_EPOCHS:
						appendStringInfo(b, "%lld\n", (long long) v->epochs);
						break;
					case M_VIEW_BACKLOG:
						appendStringInfo(b, "%lld\n", (long long) (v->state == PVS_RUNNING && flushed > v->frontier ?
																	 flushed - v->frontier : 0));
						break;
					case M_VIEW_STATE_BYTES:
						appendStringInfo(b, "%lld\n", (long long) v->state_bytes);
						break;
					case M_OP_IN:
						appendStringInfo(b, "%lld\n", (long long) o->rows_in);
						break;
					case M_OP_OUT:
						appendStringInfo(b, "%lld\n", (long long) o->rows_out);
						break;
					case M_OP_STATE_ROWS:
						appendStringInfo(b, "%lld\n", (long long) o->state_rows);
						break;
					default:
						appendStringInfo(b, "%lld\n", (long long) o->state_bytes);
						break;
				}
			}
		}
	}
}

void
stats_metrics_answer(int fd)
{
	StringInfoData b;
	XLogRecPtr	flushed = GetFlushRecPtr(NULL);
	struct timeval tv = {5, 0};
	int			m;
	int			flags = fcntl(fd, F_GETFL);

	initStringInfo(&b);
	LWLockAcquire(pathway_shm->lock, LW_SHARED);
	for (m = 0; m < M_COUNT; m++)
		append_metric(&b, (MetricKind) m, flushed);
	LWLockRelease(pathway_shm->lock);
	/* the whole text, with at most 5 s of waiting for a slow reader */
	if (flags >= 0)
		(void) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	(void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	listener_answer(fd, 200, NULL, "text/plain; version=0.0.4; charset=utf-8", b.data);
	pfree(b.data);
}
