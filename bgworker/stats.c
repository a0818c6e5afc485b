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

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/pg_lsn.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "bgworker/shmem.h"
#include "bgworker/stats.h"

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
		Datum		values[14];
		bool		nulls[14] = {0};

		values[0] = ObjectIdGetDatum(v->relid);
		values[1] = CStringGetTextDatum(names[v->state]);
		values[2] = LSNGetDatum(db->frontier);
		nulls[2] = (v->state != PVS_RUNNING);
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
