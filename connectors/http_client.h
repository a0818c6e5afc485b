/*
 * http_client.h
 *	  Asynchronous HTTP requests (libcurl's multi interface) made by one
 *	  helper thread of the engine worker, and the URL checks every request
 *	  and every redirect passes.
 *
 * The worker fills an HttpCall (malloc'd: the thread reads it), submits it
 * and goes on; the thread makes the request, retries it with exponential
 * backoff and jitter, follows redirects only to URLs that pass the same
 * checks, and writes a byte to the worker's wake pipe when the call is
 * done.  The worker takes finished calls with http_client_take_done().
 * The thread calls libcurl and libc only: no palloc, no elog, nothing of
 * PostgreSQL.  Nothing but the worker's loop calls these functions, except
 * http_url_check, which is plain C (the SQL face uses it too).
 *
 * This is also the machinery for calls from live views (http_request,
 * embeddings): a call carries an opaque tag for its owner.
 */
#ifndef PATHWAY_HTTP_CLIENT_H
#define PATHWAY_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_ERROR_LEN 256

/* The takers of done calls: each takes only its own (http_client_take_done_of). */
#define HTTP_QUEUE_SOURCES 0	/* the default (calls are zeroed) */
#define HTTP_QUEUE_SINKS 1
#define HTTP_QUEUE_VIEWS 2	/* live views' calls (http_call.c) */

typedef struct HttpCall
{
	/* the request: set before http_client_submit, then the thread's */
	char	   *method;			/* "GET", "POST" */
	char	   *url;
	char	  **headers;		/* "Name: value" lines, NULL-terminated; NULL: none */
	char	   *body;			/* NULL: none */
	size_t		body_len;
	long		timeout_ms;		/* the whole attempt */
	long		connect_timeout_ms;
	size_t		max_bytes;		/* a longer body fails the call */
	int			retries;		/* attempts after the first */
	long		backoff_ms;		/* before the first retry; doubles, with jitter */
	int			max_redirects;	/* 0: a redirect is the answer */
	char	   *allowed_hosts;	/* pathway.http_allowed_hosts at submission */
	int64_t		not_before_ms;	/* monotonic ms: do not start before */
	void	   *tag;			/* the owner's */
	int			queue;			/* who takes it when done: HTTP_QUEUE_* */
	/* a stream (a long-lived GET): its 2xx body's lines handed over as they come */
	bool		stream;
	size_t		max_line;		/* a longer line is handed over cut, marked too long */
	size_t		max_buffered;	/* bytes of lines not yet taken: more ends the call */
	long		idle_timeout_ms;	/* no byte for this long ends the call */

	/* the answer: valid once the call is done */
	bool		ok;				/* a response came (any status) */
	long		status;
	char	   *resp;			/* NUL-terminated copy of the body */
	size_t		resp_len;
	char	   *etag;			/* NULL: none */
	char	   *link_next;		/* the Link header's rel="next" target, NULL: none */
	char	   *final_url;		/* the URL answered (after redirects) */
	int			attempts;
	char		error[HTTP_ERROR_LEN];	/* !ok, or why the answer is refused */

	/* the thread's (the lines: under http_stream.c's lock) */
	struct HttpStreamLine *lines;	/* complete lines, oldest first */
	struct HttpStreamLine *lines_tail;
	size_t		lines_bytes;
	char	   *partial;		/* the line being received (at most max_line bytes kept) */
	size_t		partial_len;
	size_t		partial_total;	/* its length so far, also what was cut */
	int			stream_state;	/* 0: not known yet, 1: a 2xx (lines), -1: another status */
	bool		overflow;		/* max_buffered was exceeded */
	bool		opened;			/* a 2xx answer's headers came */
	bool		wake;			/* the thread should wake the worker */
	void	   *easy;
	int			redirects;
	int64_t		due_ms;
	bool		too_large;
	bool		cancel;			/* the worker gave it up */
	void	   *header_list;	/* the curl_slist of headers */
	char		curl_error[HTTP_ERROR_LEN];
	struct HttpCall *next;
} HttpCall;

/* Start the thread (once per worker); false if it could not start. */
extern bool http_client_start(int wake_fd);

/* A new call with its own copies of method and url (malloc). */
extern HttpCall *http_call_new(const char *method, const char *url);
extern bool http_call_set_headers(HttpCall *c, char **lines, int n);
extern void http_call_free(HttpCall *c);

/* Hand c to the thread; it is the thread's until taken back as done. */
extern void http_client_submit(HttpCall *c);

/* Forget a submitted call: freed when the thread gets to it. */
extern void http_client_cancel(HttpCall *c);

/* The sources' calls done since the last take, linked by next; NULL: none. */
extern HttpCall *http_client_take_done(void);

/* The same for the calls of one queue (HTTP_QUEUE_*). */
extern HttpCall *http_client_take_done_of(int queue);

/*
 * One call made synchronously in the caller's own thread (a plain query's
 * pathway.http_request): begin, step until true (each step waits at most
 * timeout_ms; check for interrupts between steps), end (always, also after
 * an error).  The call stays the caller's.
 */
typedef struct HttpSync HttpSync;
extern HttpSync *http_sync_begin(HttpCall *c);
extern bool http_sync_step(HttpSync *s, int timeout_ms);
extern void http_sync_end(HttpSync *s);

/*
 * Several calls on one multi handle, at most max_running in flight (0: all
 * at once); step until all are done.
 */
extern HttpSync *http_sync_begin_many(HttpCall **calls, int n, int max_running);
extern bool http_sync_step_many(HttpSync *s, int timeout_ms);

/*
 * Streams (http_stream.c).  The thread hands a stream call's body to
 * http_stream_body (true if it was taken: a 2xx answer's; then c->wake
 * says the worker should be woken: the first lines since it last took
 * them), and its headers to http_stream_on_header (libcurl's header
 * callback: a 2xx answer opens the stream); the worker takes the complete lines with
 * http_stream_take, also while the call runs, and frees them with
 * http_stream_free.  Plain C: malloc, a mutex of its own.
 */
typedef struct HttpStreamLine
{
	struct HttpStreamLine *next;
	size_t		len;			/* bytes in data (without the newline) */
	size_t		total;			/* the line's length: more than len if it was cut */
	char		data[];			/* NUL-terminated */
} HttpStreamLine;

extern bool http_stream_body(HttpCall *c, const char *data, size_t n);
extern size_t http_stream_on_header(char *data, size_t size, size_t nmemb, void *arg);
extern HttpStreamLine *http_stream_take(HttpCall *c);
extern void http_stream_free(HttpStreamLine *l);
extern void http_stream_reset(HttpCall *c);
extern bool http_stream_is_open(HttpCall *c);

/* Monotonic milliseconds, as not_before_ms counts them. */
extern int64_t http_now_ms(void);

/*
 * Is url one a request may go to: http or https only, no user name or
 * password in it, and its host in allowed_hosts (a comma-separated list of
 * host names or host:port; NULL or empty: any)?  Plain C, thread-safe.
 */
extern bool http_url_check(const char *url, const char *allowed_hosts, char *err, size_t errlen);

/* Do a and b have the same scheme, host and port? */
extern bool http_same_origin(const char *a, const char *b);

/* base joined with ref (relative or absolute), malloc'd; NULL if invalid. */
extern char *http_url_join(const char *base, const char *ref);

/* url with "name=value" (URL-encoded) added to its query, malloc'd. */
extern char *http_url_add_param(const char *url, const char *name, const char *value);

#endif							/* PATHWAY_HTTP_CLIENT_H */
