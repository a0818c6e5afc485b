/*
 * kafka.h
 *	  The SQL face's statements on pathway.kafka_sources and
 *	  pathway.kafka_sinks.  The tables are the extension's: their options
 *	  may hold secrets, so registering and the reads a caller may not make
 *	  itself run as the extension's owner.
 *
 * Each function connects SPI itself and returns what it read in the
 * caller's memory context.
 */
#ifndef PATHWAY_META_KAFKA_H
#define PATHWAY_META_KAFKA_H

#include "postgres.h"

#include "nodes/pg_list.h"

/* The name of the Kafka source whose stream table is relid, or NULL. */
extern char *meta_kafka_source_of(Oid relid);

/*
 * The names of the committed Kafka sources (one created by this
 * transaction starts only once it commits): every one, or, with a valid
 * view, those whose stream tables the view reads, directly or through
 * other live views.
 */
extern List *meta_kafka_sources_committed(Oid view);

extern void meta_kafka_source_register(const char *name, Oid relid, const char *brokers,
									   const char *topic, const char *format, Datum options,
									   Oid owner);

extern bool meta_kafka_sink_exists(Oid view, const char *topic);
extern void meta_kafka_sink_register(Oid view, const char *brokers, const char *topic,
									 const char *format, Datum options, Oid owner);

/* Delete view's sinks to topic (NULL: all of them); how many there were. */
extern uint64 meta_kafka_sink_delete(Oid view, const char *topic);

#endif							/* PATHWAY_META_KAFKA_H */
