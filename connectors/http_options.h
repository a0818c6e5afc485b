/*
 * http_options.h
 *	  The options of HTTP sources (and sinks), parsed and checked the same way in the
 *	  creating backend (to refuse bad ones) and in the engine worker (to
 *	  use them).  The SQL face includes this header, and of the HTTP files
 *	  of connectors/ no other.
 */
#ifndef PATHWAY_HTTP_OPTIONS_H
#define PATHWAY_HTTP_OPTIONS_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

typedef enum HttpFormat
{
	HTTP_JSON,					/* an array of objects, an object, or records under a path */
	HTTP_NDJSON,				/* one JSON object a line */
	HTTP_SSE					/* Server-Sent Events, each event's data a JSON object (mode stream) */
} HttpFormat;

typedef struct HttpOptions
{
	int64		interval_ms;	/* between polls when there is nothing more */
	List	   *records;		/* path (text elements) to the records in an object */
	char	   *cursor_param;	/* query parameter that carries the cursor */
	List	   *cursor_path;	/* the cursor's path in the response object */
	char	   *cursor_field;	/* or: the field of the last record */
	bool		link_next;		/* follow Link: rel="next" */
	List	   *key;			/* column names: a record replaces the row of its key */
	List	   *headers;		/* "Name: value" (char *) */
	long		timeout_ms;
	long		connect_timeout_ms;
	int			retries;
	long		retry_backoff_ms;
	int64		max_response_bytes;
	int			max_redirects;
	/* webhook sources only */
	char	   *token;			/* the bearer token a request must carry; NULL: none */
	int64		max_body_bytes; /* a longer request body is refused (413) */
	/* mode stream */
	bool		stream;			/* one long-lived GET instead of polls */
	bool		interval_given; /* (refused with a stream) */
	int64		max_line_bytes; /* a longer line is a dead letter */
	int64		max_buffer_bytes;	/* lines received and not yet landed */
	long		idle_timeout_ms;	/* a stream silent this long is reconnected */
} HttpOptions;

/* An HTTP sink's options (docs/http.md, "HTTP sinks"). */
typedef enum HttpSinkBatch
{
	HTTP_SINK_EPOCH,			/* one POST per epoch: NDJSON, a line per change */
	HTTP_SINK_CHANGE			/* one POST per change: one JSON object */
} HttpSinkBatch;

typedef struct HttpSinkOptions
{
	HttpSinkBatch batch;
	List	   *headers;		/* "Name: value" (char *) */
	long		timeout_ms;		/* one attempt */
	long		connect_timeout_ms;
	int			retries;		/* attempts after the first, per request */
	long		retry_backoff_ms;
	int			max_batch_rows; /* changes of one epoch per POST at most */
} HttpSinkOptions;

/* "json", "ndjson", "sse"; -1 if unknown */
extern int	http_format_from_name(const char *name);

/*
 * Parse options (NULL: none) into *o.  false, with err naming the option
 * (never a header's value), if one is unknown or bad.
 */
extern bool http_options_parse(Jsonb *options, HttpOptions *o, char *err, size_t errlen);

/*
 * A webhook source's options (records, key, token, max_body_bytes) into
 * *o; false, with err naming the option (never the token), if one is
 * unknown or bad.
 */
extern bool http_webhook_options_parse(Jsonb *options, HttpOptions *o, char *err, size_t errlen);

/* The same for an HTTP sink's options. */
extern bool http_sink_options_parse(Jsonb *options, HttpSinkOptions *o, char *err, size_t errlen);

/* url passes http_url_check under the current pathway.http_allowed_hosts */
extern bool http_options_url_ok(const char *url, char *err, size_t errlen);

#endif							/* PATHWAY_HTTP_OPTIONS_H */
