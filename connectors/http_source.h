/*
 * http_source.h
 *	  HTTP sources polled by the engine worker and landed in their stream
 *	  tables in the epoch's transaction.
 *
 * http_source.c holds the requests (one at a time per source, through
 * http_client.c's thread) and their schedule; http_land.c the PostgreSQL
 * side: the body parsed with jsonb, rows by the columns' input functions,
 * upserts by key, dead letters and the source's next starting point
 * (cursor, next page, ETag), all in the epoch's transaction.
 */
#ifndef PATHWAY_HTTP_SOURCE_H
#define PATHWAY_HTTP_SOURCE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "connectors/http_client.h"
#include "connectors/http_options.h"

typedef struct HttpSource
{
	char	   *name;
	Oid			relid;
	Oid			owner;
	char	   *url;
	HttpFormat	format;
	bool		webhook;		/* POSTed to the listener (url NULL): never polled */
	HttpOptions opt;
	/* committed: where the next request starts */
	int64		polls;			/* responses landed */
	char	   *cursor;			/* NULL: none (each of these) */
	char	   *next_url;
	char	   *etag;
	char	   *etag_url;
	/* the request out (the client thread's until done) */
	HttpCall   *call;
	char	   *call_url;		/* what it asked for, before redirects */
	uint64		call_ticket;	/* the sync() ticket its chain of pages answers */
	bool		call_continues; /* a next page of a chain */
	/* this epoch's answer, and what landing it makes of the state */
	HttpCall   *got;
	bool		land_done;		/* landed in the epoch's transaction */
	int64		new_polls;
	char	   *new_cursor;
	char	   *new_next_url;
	char	   *new_etag;
	char	   *new_etag_url;
	bool		more;			/* a next page: ask at once */
	/* what the last landing made of its body (a webhook's answer) */
	int64		last_rows;		/* records landed */
	int64		last_dead;		/* records (or the whole body) in dead letters */
	bool		last_unparsed;	/* the body could not be parsed: last_error says why */
	char		last_error[256];
	/* what pathway.sources shows */
	char		status[32];
	char		error[256];
	int64		messages;
	int64		dead_letters;
	TimestampTz last_message;
	bool		seen;			/* still in the catalog */
	bool		stopped;		/* for good (failed) */
	uint64		sync_requested;
	uint64		sync_served;
	/* mode stream (http_stream_source.c) */
	HttpCall   *ended;			/* the stream's call, done: reconnect */
	StringInfoData batch;		/* records received, not yet landing: NDJSON */
	int			batch_lines;
	List	   *batch_dead;		/* HttpDeadLine *: refused before landing */
	List	   *land_dead;		/* those of the batch landing now */
	char	   *last_event_id;	/* SSE: the last event's id received (Last-Event-ID) */
	char	   *batch_cursor;	/* SSE: that id once its event is in the batch */
	char	   *stream_cursor;	/* what the batch landing now commits as the cursor */
	char	   *pending_id;		/* SSE: the id field of the event being received */
	StringInfoData event;		/* SSE: its data */
	bool		event_data;		/* it has a data field */
	size_t		event_cut;		/* its data exceeded max_line_bytes: the size seen */
	int64		conn_lines;		/* lines of the current connection */
	int			stream_fails;	/* connections in a row that brought no line */
	int64_t		stream_retry_ms;	/* monotonic: no reconnect before (the thread waits) */
	int64_t		stream_hold_ms; /* monotonic: no try to make a request before */
} HttpSource;

/* A line of a stream that cannot be a record: a dead letter when its batch lands. */
typedef struct HttpDeadLine
{
	char	   *text;
	size_t		len;
	char	   *error;
} HttpDeadLine;

extern HttpSource *http_source_start(const char *name, Oid relid, Oid owner, const char *url,
									 const char *format, Jsonb *options, int64 polls,
									 const char *cursor, const char *next_url,
									 const char *etag, const char *etag_url, int wake_fd);

/*
 * A webhook source: the same landing, its bodies handed in by the worker
 * (s->got, a call whose resp is the request's body), no requests made.
 */
extern HttpSource *http_webhook_start(const char *name, Oid relid, Oid owner, const char *format,
									  Jsonb *options, int64 polls);
extern void http_source_stop(HttpSource *s);

/*
 * Outside any transaction: take the answers that came, handle those that
 * need no transaction (304, failures), send what is due.  Returns how many
 * sources have an answer to land.
 */
extern int	http_sources_poll(List *sources);

/*
 * In the epoch's transaction: land s->got; the rows as changes (and in
 * s->last_* what became of the body).
 */
extern List *http_land(HttpSource *s, MemoryContext batchcxt);

/* After the epoch committed: the new starting point holds; ask again. */
extern void http_source_landed(HttpSource *s);

/*
 * Mode stream (http_stream_source.c), outside any transaction: take the
 * lines that came, make the next batch to land (1) or (re)connect (0).
 */
extern int	http_stream_source_poll(HttpSource *s);
/* After the epoch that landed a stream's batch committed. */
extern void http_stream_source_landed(HttpSource *s);

#endif							/* PATHWAY_HTTP_SOURCE_H */
