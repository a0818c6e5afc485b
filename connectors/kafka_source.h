/*
 * kafka_source.h
 *	  Kafka topics consumed by the engine worker (librdkafka), and landed in
 *	  their stream tables in the epoch's transaction.
 *
 * kafka_source.c holds the consumer side (librdkafka only: its threads never
 * reach PostgreSQL; their logs and errors wait in a queue the worker
 * drains).  kafka_land.c holds the PostgreSQL side: parsing with the
 * columns' input functions, inserting, dead letters and offsets.
 */
#ifndef PATHWAY_KAFKA_SOURCE_H
#define PATHWAY_KAFKA_SOURCE_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "connectors/kafka_options.h"

struct KafkaAside;

/* One consumed message, copied into the epoch's memory. */
typedef struct KafkaMessage
{
	int32		partition;
	int64		offset;
	int64		timestamp_ms;	/* -1: none */
	char	   *key;			/* NULL: none */
	size_t		key_len;
	char	   *payload;		/* NULL: none (a tombstone) */
	size_t		len;
} KafkaMessage;

typedef struct KafkaSource
{
	char	   *name;
	Oid			relid;
	Oid			owner;
	bool		needs_superuser;	/* its options are allowed to superusers only */
	KafkaFormat format;
	char	   *topic;
	int64		max_message_bytes;
	bool		from_latest;	/* a partition never read starts at its end */
	struct rd_kafka_s *rk;
	struct rd_kafka_queue_s *queue;
	struct rd_kafka_topic_s *rkt;
	struct KafkaAside *aside;	/* the thread for blocking requests (malloc'd) */
	bool		md_inflight;	/* a metadata request is out */
	bool		wm_inflight;	/* a high-watermark request is out */
	uint64		wm_ticket;		/* the pathway.sync() ticket it answers */
	int			wm_assign;		/* or: the partitions a "latest" assignment waits for */
	int			nparts;			/* partitions assigned */
	int			nknown;			/* entries of next_offset */
	int64	   *next_offset;	/* landed and committed: next to read; -1 unknown */
	bool		offsets_dirty;	/* next_offset has starting points not yet committed */
	TimestampTz next_metadata;	/* when to look for (new) partitions */
	int			metadata_backoff_ms;
	char		status[32];
	char		error[256];
	int64		messages;
	int64		dead_letters;
	int64		lag;
	TimestampTz last_message;
	bool		seen;			/* still in the catalog */
	/* pathway.sync(): land everything the brokers had when it asked */
	uint64		sync_requested;
	uint64		sync_pending;	/* the ticket sync_target answers */
	uint64		sync_served;
	int64	   *sync_target;	/* high watermark per partition, -1: none */
	int			sync_ntarget;
	TimestampTz sync_retry;
	/* this epoch's batch */
	KafkaMessage *batch;
	int			nbatch;
} KafkaSource;

extern KafkaSource *kafka_source_start(const char *name, Oid relid, Oid owner,
									   const char *brokers, const char *topic,
									   const char *format, Jsonb *options,
									   int64 *offsets, int noffsets, int wake_fd);
extern void kafka_source_stop(KafkaSource *s);
extern bool kafka_source_still_allowed(KafkaSource *s);
extern int	kafka_source_poll(KafkaSource *s, int max, MemoryContext cxt);
extern void kafka_source_landed(KafkaSource *s);
extern void kafka_source_sync(KafkaSource *s);
extern void kafka_report_logs(void);

/* kafka_land.c */
extern List *kafka_land(KafkaSource *s, MemoryContext batchcxt);

#endif							/* PATHWAY_KAFKA_SOURCE_H */
