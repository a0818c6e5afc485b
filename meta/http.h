/*
 * http.h
 *	  The statements on pathway.http_sources and pathway.http_source_state
 *	  (and the SQL face's on pathway.http_sinks):
 *	  the SQL face's (register, look up: they connect SPI themselves) and the
 *	  engine worker's (load, state: inside its connection).
 */
#ifndef PATHWAY_META_HTTP_H
#define PATHWAY_META_HTTP_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

/* SQL face: the name of the HTTP source whose stream table is relid, or NULL */
extern char *meta_http_source_of(Oid relid);
/* SQL face: is name an HTTP source's? */
extern bool meta_http_source_named(const char *name);
/* SQL face: is name taken by a source of either kind? */
extern bool meta_source_name_taken(const char *name);
/* (url NULL: a webhook source) */
extern void meta_http_source_register(const char *name, Oid relid, const char *url,
									  const char *format, const char *mode, Datum options,
									  Oid owner);

/* SQL face (connects SPI itself): has view an HTTP sink to url? */
extern bool meta_http_sink_exists(Oid view, const char *url);
extern void meta_http_sink_register(Oid view, const char *url, Datum options, Oid owner);
/* Delete view's HTTP sinks to url (NULL: all of them); how many there were. */
extern uint64 meta_http_sink_delete(Oid view, const char *url);

/* A row of pathway.http_sources with its state (worker, at catalog load). */
typedef struct MetaHttpSource
{
	char	   *name;
	Oid			relid;
	Oid			owner;
	char	   *url;
	char	   *format;
	Jsonb	   *options;
	int64		polls;
	char	   *cursor;			/* NULL: none (each of these) */
	char	   *next_url;
	char	   *etag;
	char	   *etag_url;
	bool		webhook;		/* mode 'webhook': url is NULL */
} MetaHttpSource;

extern List *meta_http_sources(void);

/* In the epoch transaction: where the source's next request starts. */
extern void meta_http_state_set(const char *source, int64 polls, const char *cursor,
								const char *next_url, const char *etag, const char *etag_url);

/*
 * In the epoch transaction: a webhook request's Idempotency-Key, looked up
 * (its stored answer) and stored with the answer; keys older than 24 hours
 * are deleted.
 */
extern bool meta_webhook_key_find(const char *source, const char *key, int *status, char **answer);
extern void meta_webhook_key_add(const char *source, const char *key, int status, const char *answer);
extern void meta_webhook_keys_expire(void);

#endif							/* PATHWAY_META_HTTP_H */
