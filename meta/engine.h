/*
 * engine.h
 *	  The engine worker's own statements on the extension's tables: what it
 *	  reads when it (re)loads the catalog, and what it writes back (view
 *	  statuses, the frontier, sinks' snapshots, restore readiness).
 *
 * As everywhere in meta/, the caller has connected SPI and holds a
 * snapshot; results are allocated in the caller's current memory context
 * (SPI's, when called right after SPI_connect): copy what must outlive
 * SPI_finish.
 */
#ifndef PATHWAY_META_ENGINE_H
#define PATHWAY_META_ENGINE_H

#include "postgres.h"

#include "access/xlogdefs.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

/* A row of pathway.catalog whose table still exists. */
typedef struct MetaView
{
	Oid			relid;
	Oid			owner;
	char	   *name;			/* relid::regclass::text */
	char	   *tree;			/* the analyzed query, nodeToString form */
	int			nsettings;		/* the creator's settings, split at '=' */
	char	  **setting_names;
	char	  **setting_values;
	/* time options (docs/time.md) as text; emit is NULL for a view without */
	char	   *cutoff;
	char	   *delay;
	char	   *keep_results;
	char	   *emit;
} MetaView;

/* A row of pathway.kafka_sources. */
typedef struct MetaKafkaSource
{
	char	   *name;
	Oid			relid;
	Oid			owner;
	char	   *brokers;
	char	   *topic;
	char	   *format;
	Jsonb	   *options;
} MetaKafkaSource;

/* A row of pathway.kafka_sinks. */
typedef struct MetaKafkaSink
{
	int64		id;
	Oid			view;
	char	   *brokers;
	char	   *topic;
	Jsonb	   *options;
	bool		snapshot_done;
} MetaKafkaSink;

/* A view failed for pathway.max_memory, held failed across restarts. */
typedef struct MetaHeldFailure
{
	Oid			relid;
	char	   *error;			/* NULL when none was recorded */
} MetaHeldFailure;

/* reads (at catalog load) */
extern List *meta_engine_views(void);
extern List *meta_engine_kafka_sources(void);
extern int64 *meta_engine_source_offsets(const char *source, int *n);
extern List *meta_engine_kafka_sinks(void);

/* A row of pathway.http_sinks. */
typedef struct MetaHttpSink
{
	int64		id;
	Oid			view;
	Oid			owner;
	char	   *url;
	Jsonb	   *options;
	bool		snapshot_done;
} MetaHttpSink;

extern List *meta_engine_http_sinks(void);
extern List *meta_engine_take_rebuild_requests(void);
extern List *meta_engine_held_failures(void);
extern bool meta_engine_view_restored(Oid relid);
extern List *meta_engine_orphan_origins(void);

/* writes */
extern void meta_engine_set_status(Oid relid, const char *status, const char *error);
extern void meta_engine_hold_failure(Oid relid);
extern void meta_engine_sink_snapshot_done(int64 sink);
extern void meta_engine_record_frontier(XLogRecPtr lsn);

/* a windowed view's time (microseconds), saved in the epoch's transaction */
extern bool meta_engine_view_time(Oid relid, int64 *usecs);
extern void meta_engine_save_view_time(Oid relid, Oid type, int64 usecs);

#endif							/* PATHWAY_META_ENGINE_H */
