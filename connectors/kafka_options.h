/*
 * kafka_options.h
 *	  The options of Kafka sources and sinks, checked before librdkafka
 *	  sees them.  The SQL face includes this header (and no other of
 *	  connectors/) to check a caller's options.
 */
#ifndef PATHWAY_KAFKA_OPTIONS_H
#define PATHWAY_KAFKA_OPTIONS_H

#include "postgres.h"

#include "utils/jsonb.h"

struct rd_kafka_conf_s;
struct KafkaSource;

typedef enum KafkaFormat
{
	KAFKA_JSON,
	KAFKA_CSV,
	KAFKA_TEXT,
	KAFKA_BYTES
} KafkaFormat;

/* What kafka_options_validate found. */
typedef enum KafkaOptionsCheck
{
	KAFKA_OPTIONS_OK,
	KAFKA_OPTIONS_INVALID,		/* a bad shape, value or name */
	KAFKA_OPTIONS_SUPERUSER		/* allowed to superusers only */
} KafkaOptionsCheck;

extern KafkaFormat kafka_format_from_name(const char *name);
extern bool kafka_property_is_safe(const char *key);
extern KafkaOptionsCheck kafka_options_validate(Jsonb *options, bool superuser,
												char *err, size_t errlen);
extern KafkaOptionsCheck kafka_options_check(Jsonb *options, bool superuser,
											 char *err, size_t errlen);
extern bool kafka_options_refused(Jsonb *options, Oid owner, const char *what,
								  bool *needs_superuser, char *err, size_t errlen);
/* s (may be NULL) takes pathway's own options */
extern bool kafka_conf_apply(struct rd_kafka_conf_s *conf, Jsonb *options,
							 struct KafkaSource *s, bool load_plugins,
							 char *err, size_t errlen);

#endif							/* PATHWAY_KAFKA_OPTIONS_H */
