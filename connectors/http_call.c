/*
 * http_call.c
 *	  pathway.http_request's calls, answers and memo (see http_call.h).
 *
 * A request is known by the SHA-256 of its method, URL, body (jsonb's
 * text, keys in jsonb's order) and header lines, so two calls that would
 * send the same bytes share one answer; the memo keeps the digest, never
 * the headers (they may hold a token).  The requests go through the HTTP
 * client's attempt, retry and redirect code (connectors/http_client.c),
 * many on one multi handle in this thread, at most
 * pathway.http_max_concurrency in flight; the wait looks at interrupts
 * every 100 ms.  A live view that may hold its rows does not wait: its
 * calls go to the client's thread and the worker's loop takes them as
 * they end (http_call_answers_async).
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/jsonapi.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "connectors/http_call.h"
#include "connectors/http_client.h"
#include "connectors/http_options.h"
#include "meta/http_call.h"
#include "pathway.h"

#define CALL_CONNECT_TIMEOUT_MS 5000
#define CALL_RETRIES 2
#define CALL_BACKOFF_MS 200
#define CALL_MAX_BYTES (8 * 1024 * 1024)
#define CALL_MAX_REDIRECTS 5

bool		http_call_read_memo = false;

/* ---------- the request ---------- */

static List *
header_lines(Jsonb *headers)
{
	HttpOptions o;
	char		err[512];
	Jsonb	   *wrapped;

	if (headers == NULL)
		return NIL;
	wrapped = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
												 CStringGetDatum(psprintf("{\"headers\": %s}",
																		  JsonbToCString(NULL, &headers->root, 0)))));
	if (!http_options_parse(wrapped, &o, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid headers: %s", err)));
	return o.headers;
}

static void
digest_add(pg_cryptohash_ctx *ctx, const char *s, bool present)
{
	uint8		tag = present ? 1 : 0;
	uint32		len = present ? strlen(s) : 0;

	/* each part with its presence and length: no two requests alike */
	if (pg_cryptohash_update(ctx, &tag, 1) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) &len, sizeof(len)) < 0 ||
		(present && pg_cryptohash_update(ctx, (const uint8 *) s, len) < 0))
		elog(ERROR, "pathway: could not compute a request's digest");
}

void
http_call_prepare(HttpRequest *r, const char *method, const char *url, Jsonb *body,
				  Jsonb *headers)
{
	char		err[512];
	pg_cryptohash_ctx *ctx;
	ListCell   *lc;

	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0 &&
		strcmp(method, "PATCH") != 0 && strcmp(method, "DELETE") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("HTTP method \"%s\" is not supported", method),
				 errhint("Use GET, POST, PUT, PATCH or DELETE.")));
	if (!http_options_url_ok(url, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("URL refused: %s", err)));
	r->method = pstrdup(method);
	r->url = pstrdup(url);
	r->body = body ? JsonbToCString(NULL, &body->root, VARSIZE(body)) : NULL;
	r->headers = header_lines(headers);

	ctx = pg_cryptohash_create(PG_SHA256);
	if (ctx == NULL || pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "pathway: could not compute a request's digest");
	digest_add(ctx, r->method, true);
	digest_add(ctx, r->url, true);
	digest_add(ctx, r->body, r->body != NULL);
	foreach(lc, r->headers)
		digest_add(ctx, lfirst(lc), true);
	if (pg_cryptohash_final(ctx, r->digest, sizeof(r->digest)) < 0)
		elog(ERROR, "pathway: could not compute a request's digest");
	pg_cryptohash_free(ctx);
}

/* The HttpCall of r (malloc'd, the client's), or an ERROR. */
static HttpCall *
new_call(HttpRequest *r, bool in_view)
{
	char	  **arr = palloc(sizeof(char *) * (list_length(r->headers) + 3));
	int			n = 0;
	ListCell   *lc;
	HttpCall   *c;

	foreach(lc, r->headers)
		arr[n++] = lfirst(lc);
	arr[n++] = "Accept: application/json";
	if (r->body)
	{
		arr[n++] = "Content-Type: application/json";
	}
	c = http_call_new(r->method, r->url);
	if (c == NULL || !http_call_set_headers(c, arr, n) ||
		(c->allowed_hosts = strdup(pathway_http_allowed_hosts ? pathway_http_allowed_hosts : "")) == NULL ||
		(r->body && (c->body = strdup(pg_server_to_any(r->body, strlen(r->body), PG_UTF8))) == NULL))
	{
		if (c)
			http_call_free(c);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	if (c->body)
		c->body_len = strlen(c->body);
	c->timeout_ms = pathway_http_request_timeout_ms;
	c->connect_timeout_ms = Min(CALL_CONNECT_TIMEOUT_MS, pathway_http_request_timeout_ms);
	c->max_bytes = CALL_MAX_BYTES;

	/*
	 * A plain query retries GET only: a request that failed may still have
	 * been acted on.  A live view's call is a function of its input, made
	 * once and memoized: it is retried whatever its method.
	 */
	c->retries = (in_view || strcmp(r->method, "GET") == 0) ? CALL_RETRIES : 0;
	c->backoff_ms = CALL_BACKOFF_MS;
	c->max_redirects = CALL_MAX_REDIRECTS;
	return c;
}

/*
 * A done call's answer: true with *answer (NULL: an empty body), or false
 * with the reason in err and its SQLSTATE in *code.  raise: a body that is
 * not JSON raises PostgreSQL's own error (with its position) instead.
 */
static bool
interpret(HttpCall *c, Jsonb **answer, char *err, size_t errlen, int *code, bool raise)
{
	char	   *text;

	*answer = NULL;
	if (!c->ok)
	{
		snprintf(err, errlen, "HTTP request failed: %s", c->error);
		*code = ERRCODE_CONNECTION_FAILURE;
		return false;
	}
	if (c->status < 200 || c->status >= 300)
	{
		snprintf(err, errlen, "HTTP request answered with status %ld", c->status);
		*code = ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
		return false;
	}
	if (c->resp_len == 0)
		return true;
	if (!raise && (strlen(c->resp) != c->resp_len ||
				   !pg_verify_mbstr(PG_UTF8, c->resp, (int) c->resp_len, true)))
	{
		snprintf(err, errlen, "the answer is not JSON text in UTF-8");
		*code = ERRCODE_INVALID_TEXT_REPRESENTATION;
		return false;
	}
	text = pg_any_to_server(c->resp, (int) c->resp_len, PG_UTF8);
	if (!raise)
	{
		JsonLexContext *lex = makeJsonLexContextCstringLen(text, strlen(text), GetDatabaseEncoding(), true);

		if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
		{
			snprintf(err, errlen, "the answer is not JSON");
			*code = ERRCODE_INVALID_TEXT_REPRESENTATION;
			return false;
		}
	}
	*answer = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	return true;
}

void
http_call_run(struct HttpCall **calls, int k, int max)
{
	HttpSync   *volatile sync = http_sync_begin_many(calls, k, max);

	if (sync == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not start an HTTP request")));
	PG_TRY();
	{
		/* never more than 100 ms without a look at cancellation */
		while (!http_sync_step_many(sync, 100))
			CHECK_FOR_INTERRUPTS();
	}
	PG_FINALLY();
	{
		http_sync_end(sync);
	}
	PG_END_TRY();
}

Datum
http_call_now(HttpRequest *r, bool *isnull)
{
	HttpCall   *volatile c = new_call(r, false);
	Jsonb	   *volatile answer = NULL;
	char		err[HTTP_ERROR_LEN + 64];
	volatile int code = 0;
	volatile bool ok = false;

	PG_TRY();
	{
		HttpCall   *one = c;

		Jsonb	   *a;
		int			e = 0;

		http_call_run(&one, 1, 0);
		ok = interpret(c, &a, err, sizeof(err), &e, true);
		answer = a;
		code = e;
	}
	PG_FINALLY();
	{
		http_call_free(c);
	}
	PG_END_TRY();
	if (!ok)
		ereport(ERROR, (errcode(code), errmsg("%s", err)));
	*isnull = answer == NULL;
	return answer ? JsonbPGetDatum(answer) : (Datum) 0;
}

/* ---------- a view's calls ---------- */

static int
cmp_digest(const void *a, const void *b)
{
	return memcmp((*(HttpRequest *const *) a)->digest, (*(HttpRequest *const *) b)->digest,
				  HTTP_CALL_DIGEST_LEN);
}

/*
 * Call the m distinct requests reqs (all misses of the memo): answers[i],
 * or errors[i] (palloc'd) and statuses[i] for a failure.
 */
static void
fetch(int m, HttpRequest **reqs, Jsonb **answers, char **errors, int *statuses)
{
	HttpCall  **volatile calls = palloc0(sizeof(HttpCall *) * m);
	int			i;

	PG_TRY();
	{
		for (i = 0; i < m; i++)
			calls[i] = new_call(reqs[i], true);
		http_call_run(calls, m, Max(pathway_http_max_concurrency, 1));
		for (i = 0; i < m; i++)
		{
			char		err[HTTP_ERROR_LEN + 64];
			int			code;

			errors[i] = NULL;
			statuses[i] = calls[i]->ok ? (int) calls[i]->status : 0;
			if (!interpret(calls[i], &answers[i], err, sizeof(err), &code, false))
				errors[i] = pstrdup(err);
		}
	}
	PG_FINALLY();
	{
		for (i = 0; i < m; i++)
			if (calls[i])
				http_call_free(calls[i]);
	}
	PG_END_TRY();
}

/* Memoize the m calls made (their failures too, unless !failures). */
static void
store(int m, HttpRequest **reqs, Jsonb **answers, char **errors, int *statuses, bool failures)
{
	const uint8 **digests = palloc(sizeof(uint8 *) * Max(m, 1));
	char	  **methods = palloc(sizeof(char *) * Max(m, 1));
	char	  **urls = palloc(sizeof(char *) * Max(m, 1));
	char	  **bodies = palloc(sizeof(char *) * Max(m, 1));
	Jsonb	  **ans = palloc(sizeof(Jsonb *) * Max(m, 1));
	char	  **errs = palloc(sizeof(char *) * Max(m, 1));
	int		   *sts = palloc(sizeof(int) * Max(m, 1));
	int			k = 0,
				i;

	for (i = 0; i < m; i++)
	{
		if (errors[i] && !failures)
			continue;
		digests[k] = reqs[i]->digest;
		methods[k] = reqs[i]->method;
		urls[k] = reqs[i]->url;
		bodies[k] = reqs[i]->body;
		ans[k] = answers[i];
		errs[k] = errors[i];
		sts[k] = statuses[i];
		k++;
	}
	meta_http_call_store_many(k, digests, methods, urls, bodies, sts, ans, errs);
}

/*
 * The u distinct requests called (got[i] or errors[i]): memoized (their
 * failures too unless they fail the view), then each failure a dead letter
 * under the view's name, or, with pathway.http_request_on_error = 'fail',
 * an ERROR.  Inside SPI.
 */
static void
settle(int u, HttpRequest **miss, Jsonb **got, char **errors, int *statuses, const char *view)
{
	bool		fail_view = pathway_http_request_on_error == HTTP_ON_ERROR_FAIL;
	int			i;

	/* (a failure that fails the view rolls back its work, memo included) */
	store(u, miss, got, errors, statuses, !fail_view);
	for (i = 0; i < u; i++)
		if (errors[i])
		{
			if (fail_view)
				ereport(ERROR,
						(errcode(ERRCODE_CONNECTION_FAILURE),
						 errmsg("%s", errors[i]),
						 errdetail("The request was %s %s.", miss[i]->method, miss[i]->url),
						 errhint("pathway.http_request_on_error is 'fail' for this view; with 'null' a failed call gives NULL and a dead letter.")));
			meta_http_call_dead_letter(view,
									   miss[i]->body ? psprintf("%s %s %s", miss[i]->method, miss[i]->url, miss[i]->body)
									   : psprintf("%s %s", miss[i]->method, miss[i]->url),
									   errors[i]);
		}
}

/* The distinct requests among miss[0..m), sorted by digest; their number. */
static int
distinct_requests(HttpRequest **miss, int m)
{
	int			u = 0,
				i;

	qsort(miss, m, sizeof(HttpRequest *), cmp_digest);
	for (i = 0; i < m; i++)
		if (u == 0 || memcmp(miss[u - 1]->digest, miss[i]->digest, HTTP_CALL_DIGEST_LEN) != 0)
			miss[u++] = miss[i];
	return u;
}

/* The memoized answers of reqs (found[i]); inside SPI, answers in cxt. */
static void
lookup(int n, HttpRequest *reqs, bool *found, Jsonb **answers, MemoryContext cxt)
{
	const uint8 **digests = palloc(sizeof(uint8 *) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		digests[i] = reqs[i].digest;
	MemoryContextSwitchTo(cxt);
	meta_http_call_lookup(n, digests, found, answers);
	/* SPI leaves its own context current: the answers belong to ours */
	MemoryContextSwitchTo(cxt);
}

void
http_call_answers(int n, HttpRequest *reqs, const char *view, Jsonb **answers)
{
	MemoryContext cxt = CurrentMemoryContext;
	bool	   *found = palloc(sizeof(bool) * Max(n, 1));
	HttpRequest **miss = palloc(sizeof(HttpRequest *) * Max(n, 1));
	Jsonb	  **got;
	char	  **errors;
	int		   *statuses;
	int			m = 0,
				u,
				i;

	if (n <= 0)
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pathway: SPI_connect failed");
	lookup(n, reqs, found, answers, cxt);
	for (i = 0; i < n; i++)
		if (!found[i])
			miss[m++] = &reqs[i];
	if (m > 0)
	{
		/* each distinct request once */
		u = distinct_requests(miss, m);
		got = palloc(sizeof(Jsonb *) * u);
		errors = palloc(sizeof(char *) * u);
		statuses = palloc(sizeof(int) * u);
		fetch(u, miss, got, errors, statuses);
		settle(u, miss, got, errors, statuses, view);
		MemoryContextSwitchTo(cxt);
		for (i = 0; i < n; i++)
			if (!found[i])
			{
				HttpRequest *key = &reqs[i];
				HttpRequest **hit = bsearch(&key, miss, u, sizeof(HttpRequest *), cmp_digest);

				if (hit)
					answers[i] = got[hit - miss];
			}
	}
	SPI_finish();
	MemoryContextSwitchTo(cxt);
}

/* ---------- a live view's calls, without waiting (the engine worker) ---------- */

/*
 * A request the memo did not hold, known by its digest from its first
 * asking until a view takes its answer: queued, then running in the HTTP
 * client's thread, then done.  Each view that asked for it waits on it
 * (waits: the number of calls not done a view asked for).
 */
typedef struct AsyncCall
{
	uint8		digest[HTTP_CALL_DIGEST_LEN];	/* the hash key */
	HttpRequest req;			/* a copy, in async_cxt */
	HttpCall   *call;			/* the client's from submission until done */
	bool		submitted;
	bool		done;
	bool		taking;			/* listed by the current asking already */
	int64		done_ms;
	List	   *views;			/* Oids of the views that asked (async_cxt) */
} AsyncCall;

typedef struct AsyncWaits
{
	Oid			view;			/* the hash key */
	int			waits;
} AsyncWaits;

/* How long a done call's answer waits for a view to take it. */
#define ASYNC_KEEP_DONE_MS (10 * 60 * 1000)

static MemoryContext async_cxt = NULL;
static HTAB *async_calls = NULL;
static HTAB *async_waits = NULL;
static List *async_queue = NIL;	/* AsyncCall * not submitted yet, oldest first */
static int	async_running = 0;
static int	async_wake_fd = -1;

void
http_call_async_init(int wake_fd)
{
	HASHCTL		ctl;

	async_wake_fd = wake_fd;
	async_cxt = AllocSetContextCreate(TopMemoryContext, "pathway http calls in flight",
									  ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = HTTP_CALL_DIGEST_LEN;
	ctl.entrysize = sizeof(AsyncCall);
	ctl.hcxt = async_cxt;
	async_calls = hash_create("pathway http calls in flight", 256, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(AsyncWaits);
	async_waits = hash_create("pathway http waits", 64, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static void
add_waits(Oid view, int d)
{
	bool		found;
	AsyncWaits *w = hash_search(async_waits, &view, d > 0 ? HASH_ENTER : HASH_FIND, &found);

	if (w == NULL)
		return;
	if (!found)
		w->waits = 0;
	w->waits += d;
	if (w->waits <= 0)
		hash_search(async_waits, &view, HASH_REMOVE, NULL);
}

/* Start queued calls while fewer than pathway.http_max_concurrency run. */
static void
async_pump(void)
{
	while (async_queue != NIL && async_running < Max(pathway_http_max_concurrency, 1))
	{
		AsyncCall  *a = linitial(async_queue);

		async_queue = list_delete_first(async_queue);
		a->submitted = true;
		async_running++;
		http_client_submit(a->call);
	}
}

static HttpRequest
copy_request(HttpRequest *r)
{
	HttpRequest c;
	ListCell   *lc;

	c.method = pstrdup(r->method);
	c.url = pstrdup(r->url);
	c.body = r->body ? pstrdup(r->body) : NULL;
	c.headers = NIL;
	foreach(lc, r->headers)
		c.headers = lappend(c.headers, pstrdup(lfirst(lc)));
	memcpy(c.digest, r->digest, HTTP_CALL_DIGEST_LEN);
	return c;
}

static void
free_request(HttpRequest *r)
{
	pfree(r->method);
	pfree(r->url);
	if (r->body)
		pfree(r->body);
	list_free_deep(r->headers);
}

static int
cmp_async(const void *a, const void *b)
{
	return memcmp((*(AsyncCall *const *) a)->digest, (*(AsyncCall *const *) b)->digest,
				  HTTP_CALL_DIGEST_LEN);
}

/* Forget a done call (its answer taken, or never) */
static void
async_forget(AsyncCall *a)
{
	if (a->call)
		http_call_free(a->call);
	free_request(&a->req);
	list_free(a->views);
	hash_search(async_calls, a->digest, HASH_REMOVE, NULL);
}

/* A new call for r, queued, that viewid waits on. */
static void
async_new(HttpRequest *r, Oid viewid)
{
	bool		dup;
	AsyncCall  *a = hash_search(async_calls, r->digest, HASH_ENTER, &dup);
	MemoryContext old;
	HttpCall   *c;

	Assert(!dup);
	old = MemoryContextSwitchTo(async_cxt);
	a->req = copy_request(r);
	a->submitted = a->done = a->taking = false;
	a->done_ms = 0;
	a->views = list_make1_oid(viewid);
	a->call = NULL;
	MemoryContextSwitchTo(old);
	PG_TRY();
	{
		c = new_call(r, true);
	}
	PG_CATCH();
	{
		async_forget(a);
		PG_RE_THROW();
	}
	PG_END_TRY();
	a->call = c;
	c->tag = a;
	c->queue = HTTP_QUEUE_VIEWS;
	old = MemoryContextSwitchTo(async_cxt);
	async_queue = lappend(async_queue, a);
	MemoryContextSwitchTo(old);
	add_waits(viewid, 1);
}

/*
 * A done call's answer (got, or err) and status, and the call forgotten
 * whatever interpret does.
 */
static void
async_take(AsyncCall *a, Jsonb **got, char **error, int *status)
{
	HttpCall   *c = a->call;
	char		err[HTTP_ERROR_LEN + 64];
	int			code;

	bool		ok;

	*error = NULL;
	*status = c->ok ? (int) c->status : 0;
	PG_TRY();
	{
		ok = interpret(c, got, err, sizeof(err), &code, false);
	}
	PG_CATCH();
	{
		async_forget(a);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (!ok)
		*error = pstrdup(err);
	async_forget(a);
}

bool
http_call_answers_async(int n, HttpRequest *reqs, const char *view, Oid viewid, Jsonb **answers)
{
	MemoryContext cxt = CurrentMemoryContext;
	bool	   *found = palloc0(sizeof(bool) * Max(n, 1));
	bool	   *known = palloc0(sizeof(bool) * Max(n, 1));
	HttpRequest *ask = palloc(sizeof(HttpRequest) * Max(n, 1));
	int		   *ask_at = palloc(sizeof(int) * Max(n, 1));
	HttpRequest **miss = palloc(sizeof(HttpRequest *) * Max(n, 1));
	AsyncCall **take = palloc(sizeof(AsyncCall *) * Max(n, 1));
	bool		ready = true;
	int			nask = 0,
				ntake = 0,
				m = 0,
				u,
				i;

	if (n <= 0)
		return true;
	if (async_calls == NULL)
		elog(ERROR, "pathway: HTTP calls without waiting are the engine worker's only");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pathway: SPI_connect failed");
	MemoryContextSwitchTo(cxt);

	/* the calls known already: waited on, or done (their answers taken below) */
	for (i = 0; i < n; i++)
	{
		AsyncCall  *a = hash_search(async_calls, reqs[i].digest, HASH_FIND, NULL);

		if (a == NULL)
		{
			ask_at[nask] = i;
			ask[nask++] = reqs[i];
			continue;
		}
		known[i] = true;
		if (!a->done)
		{
			if (!list_member_oid(a->views, viewid))
			{
				MemoryContext old = MemoryContextSwitchTo(async_cxt);

				a->views = lappend_oid(a->views, viewid);
				MemoryContextSwitchTo(old);
				add_waits(viewid, 1);
			}
			ready = false;
		}
		else if (!a->taking)
		{
			a->taking = true;
			take[ntake++] = a;
		}
	}
	/* (the mark only dedups this list: nothing below may leave it set) */
	for (i = 0; i < ntake; i++)
		take[i]->taking = false;

	/* the others: the memo, and for what it lacks a new call */
	if (nask > 0)
	{
		Jsonb	  **got = palloc0(sizeof(Jsonb *) * nask);

		lookup(nask, ask, found, got, cxt);
		for (i = 0; i < nask; i++)
			if (found[i])
				answers[ask_at[i]] = got[i];
			else
				miss[m++] = &ask[i];
		u = m > 0 ? distinct_requests(miss, m) : 0;
		for (i = 0; i < u; i++)
			async_new(miss[i], viewid);
		ready = ready && u == 0;
		if (u > 0)
		{
			if (!http_client_start(async_wake_fd))
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
						 errmsg("could not start the HTTP client's thread")));
			async_pump();
		}
	}

	/* the answers that came: memoized (or the view failed) here, then forgotten */
	if (ntake > 0)
	{
		HttpRequest **done = palloc(sizeof(HttpRequest *) * ntake);
		Jsonb	  **got = palloc(sizeof(Jsonb *) * ntake);
		char	  **errors = palloc(sizeof(char *) * ntake);
		int		   *statuses = palloc(sizeof(int) * ntake);

		/* by digest, as bsearch finds them below */
		qsort(take, ntake, sizeof(AsyncCall *), cmp_async);
		for (i = 0; i < ntake; i++)
		{
			done[i] = palloc(sizeof(HttpRequest));
			*done[i] = copy_request(&take[i]->req);
		}
		for (i = 0; i < ntake; i++)
			async_take(take[i], &got[i], &errors[i], &statuses[i]);
		settle(ntake, done, got, errors, statuses, view);
		MemoryContextSwitchTo(cxt);
		for (i = 0; i < n; i++)
			if (known[i])
			{
				HttpRequest *key = &reqs[i];
				HttpRequest **hit = bsearch(&key, done, ntake, sizeof(HttpRequest *), cmp_digest);

				if (hit)
					answers[i] = got[hit - done];
			}
	}
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	return ready;
}

bool
http_call_async_collect(void)
{
	HttpCall   *d;
	bool		any = false;
	static int	ndone = 0;

	if (async_calls == NULL)
		return false;
	for (d = http_client_take_done_of(HTTP_QUEUE_VIEWS); d;)
	{
		HttpCall   *next = d->next;
		AsyncCall  *a = (AsyncCall *) d->tag;
		ListCell   *lc;

		d->next = NULL;
		a->done = true;
		a->done_ms = http_now_ms();
		async_running--;
		ndone++;
		foreach(lc, a->views)
			add_waits(lfirst_oid(lc), -1);
		list_free(a->views);
		a->views = NIL;
		any = true;
		d = next;
	}
	async_pump();
	/* answers no view took (it was dropped, or failed) go after a while */
	if (ndone > 0 && !any)
	{
		HASH_SEQ_STATUS seq;
		AsyncCall  *a;
		int64		now = http_now_ms();

		ndone = 0;
		hash_seq_init(&seq, async_calls);
		while ((a = hash_seq_search(&seq)) != NULL)
			if (a->done && now - a->done_ms > ASYNC_KEEP_DONE_MS)
				async_forget(a);
			else if (a->done)
				ndone++;
	}
	return any;
}

bool
http_call_async_waiting(Oid view)
{
	return async_waits != NULL && hash_search(async_waits, &view, HASH_FIND, NULL) != NULL;
}

bool
http_call_async_busy(void)
{
	return async_running > 0 || async_queue != NIL;
}

bool
http_call_memoized(HttpRequest *r, Jsonb **answer)
{
	MemoryContext cxt = CurrentMemoryContext;
	const uint8 *d = r->digest;
	bool		found;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pathway: SPI_connect failed");
	MemoryContextSwitchTo(cxt);
	meta_http_call_lookup(1, &d, &found, answer);
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	return found;
}

/* ---------- the worker's in-process memo ---------- */

typedef struct MemoEntry
{
	uint8		digest[HTTP_CALL_DIGEST_LEN];
	Jsonb	   *answer;
} MemoEntry;

static MemoryContext memo_cxt = NULL;
static HTAB *memo = NULL;

void
http_call_memo_reset(void)
{
	HASHCTL		ctl;

	if (memo_cxt == NULL)
		memo_cxt = AllocSetContextCreate(TopMemoryContext, "pathway http memo", ALLOCSET_DEFAULT_SIZES);
	else if (memo == NULL)
		return;
	MemoryContextReset(memo_cxt);
	ctl.keysize = HTTP_CALL_DIGEST_LEN;
	ctl.entrysize = sizeof(MemoEntry);
	ctl.hcxt = memo_cxt;
	memo = hash_create("pathway http memo", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

void
http_call_memo_put(const uint8 *digest, Jsonb *answer)
{
	bool		found;
	MemoEntry  *e;

	if (memo == NULL)
		http_call_memo_reset();
	e = hash_search(memo, digest, HASH_ENTER, &found);
	if (found)
		return;
	e->answer = NULL;
	if (answer)
	{
		e->answer = MemoryContextAlloc(memo_cxt, VARSIZE(answer));
		memcpy(e->answer, answer, VARSIZE(answer));
	}
}

bool
http_call_memo_get(const uint8 *digest, Jsonb **answer)
{
	MemoEntry  *e;

	if (memo == NULL)
		return false;
	e = hash_search(memo, digest, HASH_FIND, NULL);
	if (e == NULL)
		return false;
	*answer = e->answer;
	return true;
}
