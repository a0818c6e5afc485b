/*
 * http_sink.h
 *	  HTTP sinks: every committed change of a live view POSTed to a URL,
 *	  through the Kafka sinks' outbox (pathway.sink_outbox).
 *
 * An HTTP sink is a KafkaSink with http set (kafka_sink.h): the outbox is
 * filled by kafka_sink_snapshot and kafka_sink_capture in the epoch's
 * transaction (the row's key there is the epoch's frontier), and
 * kafka_sink_flush and kafka_sink_stop hand the sink to the functions here.
 */
#ifndef PATHWAY_HTTP_SINK_H
#define PATHWAY_HTTP_SINK_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "connectors/http_client.h"
#include "connectors/http_options.h"
#include "connectors/kafka_sink.h"

typedef struct HttpSink
{
	char	   *url;
	HttpSinkOptions opt;
	HttpCall   *call;			/* the POST out (the client thread's until done) */
	HttpCall   *got;			/* its answer, taken from the thread */
	int64		call_upto;		/* the last outbox id the POST carries */
	int			call_rows;		/* how many changes it carries */
	int			fails;			/* failed requests in a row */
	int64_t		retry_at_ms;	/* monotonic: no request before */
	int64_t		hold_ms;		/* monotonic: no try to make one before */
	bool		stopped;		/* for good */
} HttpSink;

/* At catalog load (inside SPI): the sink, allocated in the current context. */
extern KafkaSink *http_sink_start(int64 id, Oid view, Oid owner, const char *url,
								  Jsonb *options, int wake_fd);
extern void http_sink_stop(KafkaSink *k);

/*
 * Outside any transaction: take the answer of the POST out (delete what a
 * 2xx confirmed, or schedule the same changes again), then send the next
 * changes.  Never waits.  Returns true while a POST is out.
 */
extern bool http_sink_flush(KafkaSink *k);

/* The answers of every HTTP sink's POSTs, each to its sink (before flushing them). */
extern void http_sink_take_answers(void);

#endif							/* PATHWAY_HTTP_SINK_H */
