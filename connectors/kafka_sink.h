/*
 * kafka_sink.h
 *	  Kafka sinks: every committed change of a live view, published to a
 *	  topic through a transactional outbox (pathway.sink_outbox).
 *
 * An HTTP sink (connectors/http_sink.c) is a KafkaSink too, with http set
 * and no producer: the worker keeps both kinds in one list, and the
 * outbox's capture (snapshot, changes) is this file's for both; flush and
 * stop hand an HTTP sink over to http_sink.c.
 */
#ifndef PATHWAY_KAFKA_SINK_H
#define PATHWAY_KAFKA_SINK_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "access/xlogdefs.h"
#include "utils/jsonb.h"

#include "engine/row.h"

typedef struct KafkaSink
{
	int64		id;				/* pathway.kafka_sinks.id */
	Oid			view;			/* the live view's table */
	Oid			owner;			/* pathway.kafka_sinks.owner */
	bool		needs_superuser;	/* its options are allowed to superusers only */
	char	   *topic;
	bool		fresh;			/* its view's current rows go out first */
	struct rd_kafka_s *rk;
	struct rd_kafka_topic_s *rkt;
	int64		sent_upto;		/* last outbox id handed to librdkafka */
	int			inflight;		/* sent, no delivery report yet */
	bool		failed;			/* a delivery of this round failed */
	TimestampTz retry_at;		/* after a failed round */
	int			backoff_ms;
	char		status[32];
	char		error[256];
	int64		messages;		/* delivered */
	int64		failures;		/* rounds (HTTP: requests) that failed */
	struct HttpSink *http;		/* an HTTP sink's (NULL: Kafka) */
	bool		seen;
	bool		idle;			/* the outbox has nothing of ours (as far as we know) */
} KafkaSink;

extern KafkaSink *kafka_sink_start(int64 id, Oid view, const char *brokers,
								   const char *topic, Jsonb *options, int wake_fd);
extern void kafka_sink_stop(KafkaSink *k);
extern void kafka_sink_snapshot(KafkaSink *k, XLogRecPtr frontier, int nkeycols,
								AttrNumber *keycols);
extern void kafka_sink_capture(KafkaSink *k, TupleDesc desc, ZBatch *changes,
							   XLogRecPtr frontier, int nkeycols, AttrNumber *keycols);
extern bool kafka_sink_flush(KafkaSink *k);

#endif							/* PATHWAY_KAFKA_SINK_H */
