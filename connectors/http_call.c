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
 * every 100 ms.
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

void
http_call_answers(int n, HttpRequest *reqs, const char *view, Jsonb **answers)
{
	MemoryContext cxt = CurrentMemoryContext;
	const uint8 **digests = palloc(sizeof(uint8 *) * Max(n, 1));
	bool	   *found = palloc(sizeof(bool) * Max(n, 1));
	HttpRequest **miss = palloc(sizeof(HttpRequest *) * Max(n, 1));
	Jsonb	  **got;
	char	  **errors;
	int		   *statuses;
	int			m = 0,
				u = 0,
				i;
	bool		fail_view = pathway_http_request_on_error == HTTP_ON_ERROR_FAIL;

	if (n <= 0)
		return;
	for (i = 0; i < n; i++)
		digests[i] = reqs[i].digest;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pathway: SPI_connect failed");
	MemoryContextSwitchTo(cxt);
	meta_http_call_lookup(n, digests, found, answers);
	/* SPI leaves its own context current: the answers belong to ours */
	MemoryContextSwitchTo(cxt);
	for (i = 0; i < n; i++)
		if (!found[i])
			miss[m++] = &reqs[i];
	if (m > 0)
	{
		/* each distinct request once */
		qsort(miss, m, sizeof(HttpRequest *), cmp_digest);
		for (i = 0; i < m; i++)
			if (u == 0 || memcmp(miss[u - 1]->digest, miss[i]->digest, HTTP_CALL_DIGEST_LEN) != 0)
				miss[u++] = miss[i];
		got = palloc(sizeof(Jsonb *) * u);
		errors = palloc(sizeof(char *) * u);
		statuses = palloc(sizeof(int) * u);
		fetch(u, miss, got, errors, statuses);
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
