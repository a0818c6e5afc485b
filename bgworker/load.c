/*
 * load.c
 *	  The engine worker reads the catalog: live views to add or forget,
 *	  Kafka sources and sinks to start or stop, tables ALTER TABLE changed,
 *	  failures held across restarts, and whether every owner may still
 *	  compute its view.  The statements are in meta/engine.c.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "bgworker/internal.h"
#include "bgworker/memory.h"
#include "connectors/http_sink.h"
#include "connectors/kafka_sink.h"
#include "connectors/kafka_source.h"
#include "meta/engine.h"

bool
worker_extension_exists(void)
{
	return OidIsValid(get_extension_oid("pathway", true));
}

/* Read pathway.kafka_sources (inside SPI): start new consumers, stop dropped ones. */


static void
load_sources(void)
{
	ListCell   *lc;
	List	   *keep = NIL;
	ListCell   *lr;

	foreach(lc, worker_sources)
		((KafkaSource *) lfirst(lc))->seen = false;
	foreach(lr, meta_engine_kafka_sources())
	{
		MetaKafkaSource *m = lfirst(lr);
		char	   *name = m->name;
		Oid			relid = m->relid;
		KafkaSource *k = NULL;
		int64	   *offs;
		int			noffs;
		MemoryContext old;

		foreach(lc, worker_sources)
			if (((KafkaSource *) lfirst(lc))->relid == relid)
				k = lfirst(lc);
		if (k)
		{
			k->seen = true;
			continue;
		}
		offs = meta_engine_source_offsets(name, &noffs);
		old = MemoryContextSwitchTo(worker_cxt);
		k = kafka_source_start(name, relid, m->owner,
							   pstrdup(m->brokers), pstrdup(m->topic), pstrdup(m->format),
							   DatumGetJsonbPCopy(JsonbPGetDatum(m->options)),
							   offs, noffs, worker_wake_pipe[1]);
		k->seen = true;
		worker_sources = lappend(worker_sources, k);
		MemoryContextSwitchTo(old);
		ereport(LOG, (errmsg("pathway: Kafka source \"%s\" starts", name)));
	}
	foreach(lc, worker_sources)
	{
		KafkaSource *k = lfirst(lc);

		if (k->seen)
		{
			MemoryContext old = MemoryContextSwitchTo(worker_cxt);

			keep = lappend(keep, k);
			MemoryContextSwitchTo(old);
		}
		else
		{
			ereport(LOG, (errmsg("pathway: Kafka source \"%s\" stops", k->name)));
			kafka_source_stop(k);
		}
	}
	list_free(worker_sources);
	worker_sources = keep;
}

/* Read pathway.kafka_sinks and http_sinks (inside SPI): start new sinks, stop dropped ones. */
static void
load_sinks(void)
{
	ListCell   *lc;
	List	   *keep = NIL;
	ListCell   *lr;
	MemoryContext old;

	foreach(lc, worker_sinks)
		((KafkaSink *) lfirst(lc))->seen = false;
	foreach(lr, meta_engine_kafka_sinks())
	{
		MetaKafkaSink *m = lfirst(lr);
		int64		id = m->id;
		KafkaSink  *k = NULL;

		foreach(lc, worker_sinks)
			if (((KafkaSink *) lfirst(lc))->id == id)
				k = lfirst(lc);
		if (k)
		{
			k->seen = true;
			continue;
		}
		old = MemoryContextSwitchTo(worker_cxt);
		k = kafka_sink_start(id, m->view, pstrdup(m->brokers), pstrdup(m->topic),
							 DatumGetJsonbPCopy(JsonbPGetDatum(m->options)),
							 worker_wake_pipe[1]);
		k->fresh = !m->snapshot_done;
		k->seen = true;
		worker_sinks = lappend(worker_sinks, k);
		MemoryContextSwitchTo(old);
	}
	/* HTTP sinks: the same list (their ids come from the same sequence) */
	foreach(lr, meta_engine_http_sinks())
	{
		MetaHttpSink *m = lfirst(lr);
		KafkaSink  *k = NULL;

		foreach(lc, worker_sinks)
			if (((KafkaSink *) lfirst(lc))->id == m->id)
				k = lfirst(lc);
		if (k)
		{
			k->seen = true;
			continue;
		}
		old = MemoryContextSwitchTo(worker_cxt);
		k = http_sink_start(m->id, m->view, m->owner, m->url,
							DatumGetJsonbPCopy(JsonbPGetDatum(m->options)), worker_wake_pipe[1]);
		k->fresh = !m->snapshot_done;
		k->seen = true;
		worker_sinks = lappend(worker_sinks, k);
		MemoryContextSwitchTo(old);
		ereport(LOG, (errmsg("pathway: HTTP sink %lld of \"%s\" starts", (long long) m->id,
							 get_rel_name(m->view) ? get_rel_name(m->view) : "?")));
	}
	old = MemoryContextSwitchTo(worker_cxt);
	foreach(lc, worker_sinks)
	{
		KafkaSink  *k = lfirst(lc);

		if (k->seen)
			keep = lappend(keep, k);
		else
			kafka_sink_stop(k);
	}
	MemoryContextSwitchTo(old);
	list_free(worker_sinks);
	worker_sinks = keep;
}

/*
 * ALTER TABLE committed (pathway.rebuild_requests, inside SPI): it may have
 * attached or detached partitions or inheritance children, moving rows in
 * or out of a parent without any row change.  Rebuild the views that read
 * the altered table, a partitioned table or a table with children.
 */
static void
load_rebuild_requests(void)
{
	List	   *altered;
	ListCell   *lc;

	altered = meta_engine_take_rebuild_requests();
	if (altered == NIL)
		return;
	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);
		ListCell   *lr;
		bool		hit = false;

		if (v->plan == NULL || v->state == PVS_FAILED)
			continue;
		foreach(lr, v->plan->relids)
		{
			Oid			r = lfirst_oid(lr);

			if (list_member_oid(altered, r) || get_rel_relkind(r) == RELKIND_PARTITIONED_TABLE ||
				has_subclass(r))
				hit = true;
		}
		if (hit)
		{
			ereport(LOG, (errmsg("pathway: rebuilding view \"%s\" after ALTER TABLE", v->name)));
			worker_view_free_state(v);
			v->state = PVS_STARTING;
		}
	}
}

static void
access_work(LiveView *v, void *arg)
{
	plan_check_access(v->name, v->plan);
}

/* Inside the catalog's transaction: may every owner still compute its view? */
static void
recheck_access(void)
{
	ListCell   *lc;

	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);
		ErrorData  *edata = NULL;

		if (v->plan == NULL || v->state == PVS_FAILED || !v->seen)
			continue;
		if (!worker_run_guarded_err(v, access_work, NULL, &edata))
		{
			if (edata->sqlerrcode == ERRCODE_UNDEFINED_TABLE)
				continue;		/* dropped in this transaction's past: forgotten below */
			worker_view_lost_access(v, edata);
		}
	}
}

/*
 * Inside SPI: a view that failed for pathway.max_memory stays failed, with
 * its error, until it is recreated; a restart does not build it again (it
 * would fail again, or under the OOM killer take the cluster down again).
 */
static void
load_held_failures(void)
{
	ListCell   *lc;

	foreach(lc, meta_engine_held_failures())
	{
		MetaHeldFailure *m = lfirst(lc);
		LiveView   *v = worker_view_by_relid(m->relid);
		char	   *error = m->error;

		/* only a view not built yet: one this worker failed is failed already */
		if (v == NULL || v->state != PVS_STARTING || v->cxt != NULL || v->adopting)
			continue;
		v->state = PVS_FAILED;
		v->memory_failed = true;
		if (v->error)
			pfree(v->error);
		v->error = MemoryContextStrdup(worker_cxt, error ? error : "");
	}
}

/*
 * Read pathway.catalog: add new views, forget dropped ones.  Returns false
 * when the extension is gone from the database (then nothing was read).
 */
bool
worker_load_catalog(void)
{
	ListCell   *lc;
	ListCell   *lm;
	List	   *keep = NIL;
	bool		gone;

	worker_catalog_gen_seen = pg_atomic_read_u64(&worker_db->catalog_gen);
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	gone = !worker_extension_exists();
	if (!gone)
	{
		List	   *rows;

		SPI_connect();
		rows = meta_engine_views();
		foreach(lc, worker_views)
			((LiveView *) lfirst(lc))->seen = false;
		foreach(lm, rows)
		{
			MetaView   *m = lfirst(lm);
			Oid			relid = m->relid;
			LiveView   *v = NULL;
			MemoryContext old;
			int			i;

			foreach(lc, worker_views)
				if (((LiveView *) lfirst(lc))->relid == relid)
					v = lfirst(lc);
			if (v)
			{
				v->seen = true;
				continue;
			}
			old = MemoryContextSwitchTo(worker_cxt);
			v = palloc0(sizeof(LiveView));
			v->relid = relid;
			v->tree = pstrdup(m->tree);
			v->owner = m->owner;
			v->name = pstrdup(m->name);
			{
				char	   *rel = get_rel_name(relid);
				char	   *nsp = get_namespace_name(get_rel_namespace(relid));

				/* as relid::regclass::text names it under search_path pg_catalog (metrics) */
				v->label = rel && nsp ? pstrdup(quote_qualified_identifier(nsp, rel)) : pstrdup(m->name);
			}
			/* the creator's settings, applied while we work */
			v->nsettings = m->nsettings;
			v->setting_names = palloc(sizeof(char *) * (m->nsettings + 1));
			v->setting_values = palloc(sizeof(char *) * (m->nsettings + 1));
			for (i = 0; i < m->nsettings; i++)
			{
				v->setting_names[i] = pstrdup(m->setting_names[i]);
				v->setting_values[i] = pstrdup(m->setting_values[i]);
			}
			v->topts = plan_time_options_from_text(m->cutoff, m->delay, m->keep_results, m->emit);
			v->state = PVS_STARTING;
			v->seen = true;
			worker_views = lappend(worker_views, v);
			MemoryContextSwitchTo(old);
		}
		load_sources();
		worker_load_http_sources();
		load_sinks();
		load_rebuild_requests();
		load_held_failures();
		/* GRANT, REVOKE, ALTER TABLE, policies and owners land here too */
		recheck_access();
		worker_write_statuses();
		SPI_finish();
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (gone)
		return false;

	foreach(lc, worker_views)
	{
		LiveView   *v = lfirst(lc);

		if (v->seen)
			keep = lappend(keep, v);
		else
			worker_view_free_state(v);
	}
	worker_views = keep;
	/* a dropped view's memory goes back to the kernel */
	memory_give_back();
	worker_rewatch();
	worker_publish();
	return true;
}

