/*
 * streams.h
 *	  The connectors' rows in pathway.*: Kafka sources' dead letters and
 *	  committed offsets, Kafka sinks' owners and their outbox.
 *
 * As every meta/ file: the caller has connected SPI and holds a snapshot;
 * a failing statement raises an error (meta_exec).
 */
#ifndef PATHWAY_META_STREAMS_H
#define PATHWAY_META_STREAMS_H

#include "postgres.h"

/* pathway.dead_letters: a message that could not be landed (key, payload: NULL if none) */
extern void meta_dead_letter_add(const char *source, int32 partition, int64 offset,
								 bytea *key, bytea *payload, const char *error);

/* pathway.source_offsets: the next offset of a partition to read */
extern void meta_source_offset_set(const char *source, int32 partition, int64 next_offset);

/* pathway.kafka_sinks.owner; InvalidOid if the sink is gone */
extern Oid	meta_sink_owner(int64 sink);

/* pathway.sink_outbox */
typedef struct MetaOutboxRow
{
	int64		id;
	char	   *key;			/* NULL: none */
	char	   *payload;
} MetaOutboxRow;

extern void meta_outbox_add(int64 sink, const char *key, const char *payload, int64 copies);
extern void meta_outbox_delete_upto(int64 sink, int64 upto);
extern int	meta_outbox_next(int64 sink, int limit, MetaOutboxRow **rows);

#endif							/* PATHWAY_META_STREAMS_H */
