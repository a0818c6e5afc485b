/*
 * http_call.h
 *	  pathway.http_request's calls: one now (a plain query), or many at once
 *	  for a live view (at most pathway.http_max_concurrency in flight), every
 *	  answer and every failure of a view's memoized in pathway.http_cache
 *	  (meta/http_call.c) by a digest of (method, url, body, headers), and in
 *	  the engine worker an in-process memo that a view's batched calls fill
 *	  before its rows are evaluated.
 *
 * Runs in a backend or in the engine worker's own thread (never in the
 * HTTP client's helper thread), inside a transaction.  The SQL face
 * includes this header.
 */
#ifndef PATHWAY_CONNECTORS_HTTP_CALL_H
#define PATHWAY_CONNECTORS_HTTP_CALL_H

#include "postgres.h"

#include "utils/jsonb.h"

#define HTTP_CALL_DIGEST_LEN 32

/* One request, checked, and the digest the memo knows it by. */
typedef struct HttpRequest
{
	char	   *method;
	char	   *url;
	char	   *body;			/* JSON text, NULL: none */
	List	   *headers;		/* "Name: value" lines (char *) */
	uint8		digest[HTTP_CALL_DIGEST_LEN];
} HttpRequest;

/*
 * Check a request (method, URL, headers: an ERROR with 22023 when one is
 * refused) and compute its digest.  body and headers may be NULL.
 */
extern void http_call_prepare(HttpRequest *r, const char *method, const char *url,
							  Jsonb *body, Jsonb *headers);

/*
 * One call now, in this thread (a plain query): the answer's body as jsonb
 * (*isnull for an empty body); a failure is an ERROR (08006 no answer,
 * 38000 a status outside 2xx, 22P02 a body that is not JSON).
 */
extern Datum http_call_now(HttpRequest *r, bool *isnull);

/*
 * The answers of n requests of view's (the engine worker): the memo first,
 * then the endpoints for the distinct others, at most
 * pathway.http_max_concurrency at once, each retried; their answers are
 * memoized.  A failed call's answer is NULL, its error memoized and a dead
 * letter under the view's name; with pathway.http_request_on_error =
 * 'fail' (as the view's creator had it) it is an ERROR instead, and
 * nothing of it is memoized.  answers[i] (NULL: SQL NULL) in the caller's
 * memory context.
 */
extern void http_call_answers(int n, HttpRequest *reqs, const char *view, Jsonb **answers);

/*
 * The same without waiting (the engine worker, a view that may hold its
 * batch): true with every answer as http_call_answers gives it, or false
 * while some are not there yet.  The requests the memo lacks are started
 * in the HTTP client's thread (at most pathway.http_max_concurrency run
 * at once, for all views together) and the view viewid waits on them; an
 * answer that came is memoized (a failure dead-lettered, or the ERROR of
 * 'fail') by the first view that asks again, and forgotten.
 */
extern bool http_call_answers_async(int n, HttpRequest *reqs, const char *view, Oid viewid,
									Jsonb **answers);

/* The worker's wake pipe, written by the HTTP client's thread when a call is done. */
extern void http_call_async_init(int wake_fd);

/*
 * Take the calls done since the last time (a view waits on fewer) and
 * start queued ones; true if any was done.
 */
extern bool http_call_async_collect(void);

/* Does a view wait on a call that is not done?  Are calls queued or running? */
extern bool http_call_async_waiting(Oid view);
extern bool http_call_async_busy(void);

/*
 * The memoized answer of r, if there is one (check_view: the view's query
 * sees what the view saw).
 */
extern bool http_call_memoized(HttpRequest *r, Jsonb **answer);

/*
 * Run k calls of the HTTP client on one multi handle in this thread, at
 * most max in flight (0: all at once), until all are done; interrupts are
 * looked at every 100 ms (an ERROR there ends them all).
 */
struct HttpCall;
extern void http_call_run(struct HttpCall **calls, int k, int max);

/* Set while check_view runs a view's query: calls read the memo first. */
extern bool http_call_read_memo;

/* The engine worker's in-process memo (answers ready for a view's step). */
extern void http_call_memo_reset(void);
extern void http_call_memo_put(const uint8 *digest, Jsonb *answer);
extern bool http_call_memo_get(const uint8 *digest, Jsonb **answer);

#endif							/* PATHWAY_CONNECTORS_HTTP_CALL_H */
