/*
 * http_sink.c
 *	  HTTP sinks: a live view's committed changes POSTed to a URL.
 *
 * The changes are in pathway.sink_outbox, written in the epoch's own
 * transaction by kafka_sink.c's capture (the same outbox as Kafka sinks'),
 * each with its epoch's frontier as the outbox row's key.  Here, outside
 * any transaction, one POST at a time per sink: the oldest changes of the
 * outbox (batch "epoch": those of its oldest epoch, up to max_batch_rows,
 * as NDJSON; batch "change": one change), made by http_client.c's thread.
 * Only a 2xx answer deletes them from the outbox, and only then is the
 * next POST sent: the receiver gets every change at least once and in
 * order.  A failed request (after the client's own retries) sends the same
 * changes again after a backoff that doubles with every failure in a row
 * (1 s up to 60 s, times a random factor in [0.5, 1.5)); the epochs go on
 * meanwhile and the outbox grows.  Nothing here waits: the thread writes
 * the worker's wake pipe when the answer came.
 *
 * Each POST carries an Idempotency-Key: the SHA-256 of the view's OID, the
 * epoch's frontier, the outbox id of its first change and the body, so a
 * POST sent again (a retry, a crash between the answer and the outbox's
 * delete) has the same key and a receiver can drop it.
 *
 * Redirects are not followed (a 3xx is a failure); the URL is checked
 * against pathway.http_allowed_hosts before every POST; the owner must
 * still be a superuser or hold EXECUTE on create_http_sink, else the sink
 * stops for good.  Header values are never logged nor shown.
 *
 * Memory: the sink lives in the context it was started in (the worker's);
 * requests are malloc'd (the thread reads them).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/pg_prng.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

#include "connectors/http_client.h"
#include "connectors/http_options.h"
#include "connectors/http_sink.h"
#include "connectors/kafka_sink.h"
#include "meta/streams.h"
#include "pathway.h"

#define SINK_BACKOFF_FIRST_MS 1000
#define SINK_BACKOFF_MAX_MS 60000
#define SINK_MAX_ANSWER_BYTES (1024 * 1024)

static void
set_status(KafkaSink *k, const char *status, const char *error)
{
	strlcpy(k->status, status, sizeof(k->status));
	strlcpy(k->error, error ? error : "", sizeof(k->error));
}

KafkaSink *
http_sink_start(int64 id, Oid view, Oid owner, const char *url, Jsonb *options, int wake_fd)
{
	KafkaSink  *k = palloc0(sizeof(KafkaSink));
	HttpSink   *h = palloc0(sizeof(HttpSink));
	char		err[256];

	k->id = id;
	k->view = view;
	k->owner = owner;
	k->http = h;
	k->topic = pstrdup(url);	/* what the worker's messages name */
	h->url = pstrdup(url);
	set_status(k, "running", NULL);
	if (!http_sink_options_parse(options, &h->opt, err, sizeof(err)))
	{
		set_status(k, "failed", err);
		h->stopped = true;
		return k;
	}
	if (!http_client_start(wake_fd))
	{
		set_status(k, "error", "could not start the HTTP client's thread");
		h->stopped = true;
	}
	return k;
}

void
http_sink_stop(KafkaSink *k)
{
	HttpSink   *h = k->http;

	/* what is out is still in the outbox: sent again by whoever runs next */
	if (h->call)
		http_client_cancel(h->call);
	h->call = NULL;
	if (h->got)
		http_call_free(h->got);
	h->got = NULL;
	h->stopped = true;
}

/* The answers that came, each to its sink (a stopped sink's were cancelled). */
void
http_sink_take_answers(void)
{
	HttpCall   *done = http_client_take_done_of(HTTP_QUEUE_SINKS);

	while (done)
	{
		HttpCall   *c = done;
		KafkaSink  *k = c->tag;

		done = c->next;
		c->next = NULL;
		if (k->http->call == c)
		{
			k->http->call = NULL;
			k->http->got = c;
		}
		else
			http_call_free(c);
	}
}

/* May the owner still create HTTP sinks (EXECUTE, or superuser)? */
static bool
owner_still_allowed(KafkaSink *k)
{
	Oid			argtypes[3] = {TEXTOID, TEXTOID, JSONBOID};
	Oid			fn;

	if (!OidIsValid(k->owner))
		return false;
	if (superuser_arg(k->owner))
		return true;
	fn = LookupFuncName(list_make2(makeString("pathway"), makeString("create_http_sink")),
						3, argtypes, true);
	return OidIsValid(fn) && pg_proc_aclcheck(fn, k->owner, ACL_EXECUTE) == ACLCHECK_OK;
}

/* The POST's Idempotency-Key: hex SHA-256 of view, frontier, first id, body. */
static bool
idempotency_key(KafkaSink *k, const char *frontier, int64 first, const char *body, size_t len,
				char *out)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *head = psprintf("pathway sink\n%u\n%s\n" INT64_FORMAT "\n", k->view, frontier, first);
	bool		ok;
	int			i;

	ok = ctx != NULL &&
		pg_cryptohash_init(ctx) == 0 &&
		pg_cryptohash_update(ctx, (const uint8 *) head, strlen(head)) == 0 &&
		pg_cryptohash_update(ctx, (const uint8 *) body, len) == 0 &&
		pg_cryptohash_final(ctx, digest, sizeof(digest)) == 0;
	pg_cryptohash_free(ctx);
	pfree(head);
	if (!ok)
		return false;
	for (i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
	return true;
}

/* A failed request: the same changes go again after the backoff. */
static void
failed(KafkaSink *k, const char *error)
{
	HttpSink   *h = k->http;
	int64		backoff = SINK_BACKOFF_FIRST_MS;
	int			i;

	h->fails++;
	k->failures++;
	for (i = 1; i < h->fails && backoff < SINK_BACKOFF_MAX_MS; i++)
		backoff *= 2;
	backoff = Min(backoff, SINK_BACKOFF_MAX_MS);
	h->retry_at_ms = http_now_ms() + (int64_t) (backoff * (0.5 + pg_prng_double(&pg_global_prng_state)));
	set_status(k, "error", error);
}

/* The answer of the POST out: a 2xx deletes its changes from the outbox. */
static void
answered(KafkaSink *k)
{
	HttpSink   *h = k->http;
	HttpCall   *c = h->got;
	char		e[HTTP_ERROR_LEN];

	h->got = NULL;
	if (!c->ok && !(c->status >= 300 && c->status < 400))
		failed(k, c->error);
	else if (c->status < 200 || c->status >= 300)
	{
		snprintf(e, sizeof(e), "HTTP status %ld%s", c->status,
				 c->status >= 300 && c->status < 400 ? " (redirects are not followed)" : "");
		failed(k, e);
	}
	else
	{
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		SPI_connect();
		meta_outbox_delete_upto(k->id, h->call_upto);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		k->messages += h->call_rows;
		h->fails = 0;
		h->retry_at_ms = 0;
		k->idle = false;		/* the outbox may hold more */
		set_status(k, "running", NULL);
	}
	http_call_free(c);
}

/*
 * Inside a transaction, SPI connected: the next POST, from the outbox's
 * oldest changes (none: the sink is idle; one that cannot be made: the
 * status says why, and it is tried again after the backoff).
 */
static void
send_next(KafkaSink *k)
{
	HttpSink   *h = k->http;
	MetaOutboxRow *rows;
	int			nrows;
	int			n;
	StringInfoData body;
	char		key[2 * PG_SHA256_DIGEST_LENGTH + 1];
	char		err[HTTP_ERROR_LEN];
	char	  **lines;
	int			nlines = 0;
	ListCell   *lc;
	HttpCall   *c;

	nrows = meta_outbox_next(k->id, h->opt.batch == HTTP_SINK_CHANGE ? 1 : h->opt.max_batch_rows,
							 &rows);
	if (nrows == 0)
	{
		k->idle = true;
		return;
	}
	if (!http_url_check(h->url, pathway_http_allowed_hosts, err, sizeof(err)))
	{
		char		e[HTTP_ERROR_LEN];

		snprintf(e, sizeof(e), "URL refused: %s", err);
		failed(k, e);
		h->hold_ms = h->retry_at_ms;
		return;
	}
	/* one epoch's changes (a NULL key cannot happen: capture sets it) */
	initStringInfo(&body);
	for (n = 0; n < nrows; n++)
	{
		if (n > 0 && (rows[n].key == NULL || rows[0].key == NULL ||
					  strcmp(rows[n].key, rows[0].key) != 0))
			break;
		appendStringInfoString(&body, rows[n].payload);
		if (h->opt.batch == HTTP_SINK_EPOCH)
			appendStringInfoChar(&body, '\n');
	}
	if (!idempotency_key(k, rows[0].key ? rows[0].key : "", rows[0].id, body.data, body.len, key))
	{
		failed(k, "could not compute the Idempotency-Key");
		return;
	}
	lines = palloc(sizeof(char *) * (list_length(h->opt.headers) + 2));
	foreach(lc, h->opt.headers)
		lines[nlines++] = lfirst(lc);
	lines[nlines++] = h->opt.batch == HTTP_SINK_EPOCH ? "Content-Type: application/x-ndjson"
		: "Content-Type: application/json";
	lines[nlines++] = psprintf("Idempotency-Key: %s", key);
	c = http_call_new("POST", h->url);
	if (c == NULL || !http_call_set_headers(c, lines, nlines) ||
		(c->allowed_hosts = strdup(pathway_http_allowed_hosts ? pathway_http_allowed_hosts : "")) == NULL ||
		(c->body = malloc(body.len + 1)) == NULL)
	{
		http_call_free(c);
		failed(k, "out of memory for a request");
		return;
	}
	memcpy(c->body, body.data, body.len + 1);
	c->body_len = body.len;
	c->timeout_ms = h->opt.timeout_ms;
	c->connect_timeout_ms = h->opt.connect_timeout_ms;
	c->retries = h->opt.retries;
	c->backoff_ms = h->opt.retry_backoff_ms;
	c->max_bytes = SINK_MAX_ANSWER_BYTES;
	c->max_redirects = 0;
	c->not_before_ms = h->retry_at_ms;
	c->tag = k;
	c->queue = HTTP_QUEUE_SINKS;
	h->call = c;
	h->call_upto = rows[n - 1].id;
	h->call_rows = n;
	http_client_submit(c);
}

bool
http_sink_flush(KafkaSink *k)
{
	HttpSink   *h = k->http;

	if (h->stopped)
		return false;
	http_sink_take_answers();
	if (h->got)
		answered(k);
	if (h->call)
		return true;
	/* a POST that could not be made waits for its time (the loop's timeout) */
	if (h->hold_ms > http_now_ms())
		return false;
	if (k->idle)
		return false;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (!owner_still_allowed(k))
	{
		char	   *name = OidIsValid(k->owner) ? GetUserNameFromId(k->owner, true) : NULL;

		snprintf(k->error, sizeof(k->error),
				 "the sink stopped: its owner %s%s%s may no longer execute create_http_sink",
				 name ? "\"" : "", name ? name : "(dropped)", name ? "\"" : "");
		PopActiveSnapshot();
		CommitTransactionCommand();
		strlcpy(k->status, "failed", sizeof(k->status));
		h->stopped = true;
		ereport(LOG, (errmsg("pathway: HTTP sink %lld failed: %s", (long long) k->id, k->error)));
		return false;
	}
	SPI_connect();
	send_next(k);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return h->call != NULL;
}
