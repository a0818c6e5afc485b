/*
 * embed.c
 *	  pathway.embed's requests, answers and memo (see embed.h).
 *
 * A request is {"model": m, "input": [...]}; the answer's "data" holds
 * one {"index": i, "embedding": [...]} per input, as OpenAI-compatible
 * endpoints give it.  The requests go through the HTTP client's attempt,
 * retry and redirect code (connectors/http_client.c), several at once on
 * one multi handle in this thread; the wait looks at interrupts every
 * 100 ms.  The API key is sent as a bearer token and appears in no message.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "common/jsonapi.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "connectors/embed.h"
#include "connectors/http_call.h"
#include "connectors/http_client.h"
#include "meta/embed.h"
#include "pathway.h"

#define EMBED_TIMEOUT_MS 30000
#define EMBED_CONNECT_TIMEOUT_MS 5000
#define EMBED_RETRIES 2
#define EMBED_BACKOFF_MS 500
#define EMBED_MAX_BYTES (64 * 1024 * 1024)
#define EMBED_MAX_REDIRECTS 3

const char *embed_current_view = NULL;

const char *
embed_default_model(void)
{
	if (pathway_embedding_model == NULL || pathway_embedding_model[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pathway.embed() was called without a model and pathway.embedding_model is not set"),
				 errhint("Name the model in the call, or set pathway.embedding_model in postgresql.conf.")));
	return pathway_embedding_model;
}

/* ---------- the answer ---------- */

static bool
fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return false;
}

/* The n vectors of an answer, into out (the current memory context). */
static bool
parse_answer(const char *resp, size_t len, int n, ArrayType **out, char *err, size_t errlen)
{
	JsonLexContext *lex;
	Jsonb	   *jb;
	JsonbValue *data;
	JsonbContainer *arr;
	int			count,
				i,
				k;

	if (strlen(resp) != len)
		return fail(err, errlen, "the answer is not JSON (it holds a NUL byte)");
	if (pg_verify_mbstr(GetDatabaseEncoding(), resp, (int) len, true) == false)
		return fail(err, errlen, "the answer is not valid in the database's encoding");
	lex = makeJsonLexContextCstringLen(pstrdup(resp), (int) len, GetDatabaseEncoding(), true);
	if (pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
		return fail(err, errlen, "the answer is not JSON");
	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(resp)));
	if (!JB_ROOT_IS_OBJECT(jb) ||
		(data = getKeyJsonValueFromContainer(&jb->root, "data", 4, NULL)) == NULL ||
		data->type != jbvBinary || !JsonContainerIsArray(data->val.binary.data))
		return fail(err, errlen, "the answer has no \"data\" array");
	arr = data->val.binary.data;
	count = JsonContainerSize(arr);
	for (k = 0; k < n; k++)
		out[k] = NULL;
	for (i = 0; i < count; i++)
	{
		JsonbValue *el = getIthJsonbValueFromContainer(arr, i);
		JsonbValue *idx,
				   *emb;
		JsonbContainer *ec;
		Datum	   *elems;
		int			dims,
					d;

		if (el == NULL || el->type != jbvBinary || !JsonContainerIsObject(el->val.binary.data))
			return fail(err, errlen, "an element of \"data\" is not an object");
		idx = getKeyJsonValueFromContainer(el->val.binary.data, "index", 5, NULL);
		k = i;
		if (idx)
		{
			if (idx->type != jbvNumeric)
				return fail(err, errlen, "an \"index\" is not a number");
			k = DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(idx->val.numeric)));
		}
		if (k < 0 || k >= n)
			return fail(err, errlen, "an \"index\" is out of range");
		emb = getKeyJsonValueFromContainer(el->val.binary.data, "embedding", 9, NULL);
		if (emb == NULL || emb->type != jbvBinary || !JsonContainerIsArray(emb->val.binary.data))
			return fail(err, errlen, "an element of \"data\" has no \"embedding\" array");
		ec = emb->val.binary.data;
		dims = JsonContainerSize(ec);
		if (dims == 0)
			return fail(err, errlen, "an \"embedding\" is empty");
		elems = palloc(sizeof(Datum) * dims);
		for (d = 0; d < dims; d++)
		{
			JsonbValue *v = getIthJsonbValueFromContainer(ec, d);

			if (v == NULL || v->type != jbvNumeric)
				return fail(err, errlen, "an \"embedding\" holds something other than numbers");
			elems[d] = DirectFunctionCall1(numeric_float4, NumericGetDatum(v->val.numeric));
		}
		out[k] = construct_array(elems, dims, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT);
	}
	for (k = 0; k < n; k++)
		if (out[k] == NULL)
			return fail(err, errlen, "the answer lacks an embedding for an input");
	return true;
}

/* ---------- the requests ---------- */

static HttpCall *
new_call(const char *model, int n, char **inputs)
{
	StringInfoData b;
	char	   *lines[5];
	int			nl = 0;
	HttpCall   *c;
	int			i;

	/* JSON goes out in UTF-8, whatever the database's encoding */
	initStringInfo(&b);
	appendStringInfoString(&b, "{\"model\": ");
	escape_json(&b, pg_server_to_any(model, strlen(model), PG_UTF8));
	appendStringInfoString(&b, ", \"input\": [");
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(&b, ", ");
		escape_json(&b, pg_server_to_any(inputs[i], strlen(inputs[i]), PG_UTF8));
	}
	appendStringInfoString(&b, "]}");
	lines[nl++] = "Content-Type: application/json";
	lines[nl++] = "Accept: application/json";
	/* no "Expect: 100-continue" wait (up to a second) before a large body */
	lines[nl++] = "Expect:";
	if (pathway_embedding_api_key && pathway_embedding_api_key[0])
		lines[nl++] = psprintf("Authorization: Bearer %s", pathway_embedding_api_key);
	c = http_call_new("POST", pathway_embedding_url);
	if (c == NULL || !http_call_set_headers(c, lines, nl) ||
		(c->allowed_hosts = strdup(pathway_http_allowed_hosts ? pathway_http_allowed_hosts : "")) == NULL ||
		(c->body = malloc(b.len + 1)) == NULL)
	{
		if (c)
			http_call_free(c);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	memcpy(c->body, b.data, b.len + 1);
	c->body_len = b.len;
	/* the header line with the key: gone from our memory once copied */
	if (nl == 4)
	{
		explicit_bzero(lines[3], strlen(lines[3]));
		pfree(lines[3]);
	}
	pfree(b.data);
	c->timeout_ms = EMBED_TIMEOUT_MS;
	c->connect_timeout_ms = EMBED_CONNECT_TIMEOUT_MS;
	c->max_bytes = EMBED_MAX_BYTES;
	/* an embedding is a pure function of its input: retrying is safe */
	c->retries = EMBED_RETRIES;
	c->backoff_ms = EMBED_BACKOFF_MS;
	c->max_redirects = EMBED_MAX_REDIRECTS;
	return c;
}

/*
 * Ask the endpoint for m inputs: vecs[i] set, or errors[i] (palloc'd) set
 * for those whose request failed.
 */
static void
fetch(const char *model, int m, char **inputs, ArrayType **vecs, char **errors)
{
	int			bs = Max(pathway_embedding_batch_size, 1);
	int			maxc = Max(pathway_http_max_concurrency, 1);
	int			nreq = (m + bs - 1) / bs;
	HttpCall  **calls = palloc0(sizeof(HttpCall *) * Min(nreq, maxc));
	char		uerr[256];
	int			first,
				r,
				i;

	for (i = 0; i < m; i++)
	{
		vecs[i] = NULL;
		errors[i] = NULL;
	}
	if (pathway_embedding_url == NULL || pathway_embedding_url[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pathway.embedding_url is not set"),
				 errhint("A superuser sets it to an OpenAI-compatible endpoint, e.g. http://host:port/v1/embeddings.")));
	if (!http_url_check(pathway_embedding_url, pathway_http_allowed_hosts, uerr, sizeof(uerr)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pathway.embedding_url refused: %s", uerr)));
	/* waves of at most maxc requests of at most bs inputs each */
	for (first = 0; first < nreq; first += maxc)
	{
		int			k = Min(maxc, nreq - first);
		HttpCall  **volatile cs = calls;

		PG_TRY();
		{
			for (r = 0; r < k; r++)
			{
				int			from = (first + r) * bs;

				cs[r] = new_call(model, Min(bs, m - from), inputs + from);
			}
			http_call_run(cs, k, 0);
			for (r = 0; r < k; r++)
			{
				HttpCall   *c = cs[r];
				int			from = (first + r) * bs;
				int			cnt = Min(bs, m - from);
				char		err[HTTP_ERROR_LEN + 64];
				bool		ok;

				if (!c->ok)
				{
					snprintf(err, sizeof(err), "embedding request failed: %s", c->error);
					ok = false;
				}
				else if (c->status < 200 || c->status >= 300)
				{
					snprintf(err, sizeof(err), "embedding request answered with HTTP status %ld", c->status);
					ok = false;
				}
				else
				{
					char		perr[128];

					ok = parse_answer(c->resp, c->resp_len, cnt, vecs + from, perr, sizeof(perr));
					if (!ok)
						snprintf(err, sizeof(err), "embedding answer refused: %s", perr);
				}
				if (!ok)
					for (i = 0; i < cnt; i++)
					{
						vecs[from + i] = NULL;
						errors[from + i] = pstrdup(err);
					}
			}
		}
		PG_FINALLY();
		{
			for (r = 0; r < k; r++)
				if (cs[r])
				{
					http_call_free(cs[r]);
					cs[r] = NULL;
				}
		}
		PG_END_TRY();
	}
}

void
embed_answers(const char *model, int n, char **inputs, const char *view, ArrayType **vecs)
{
	MemoryContext cxt = CurrentMemoryContext;
	bool	   *found = palloc(sizeof(bool) * Max(n, 1));
	char	  **miss = palloc(sizeof(char *) * Max(n, 1));
	int		   *where = palloc(sizeof(int) * Max(n, 1));
	ArrayType **got;
	char	  **errors;
	int			m = 0,
				i;

	if (n <= 0)
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pathway: SPI_connect failed");
	MemoryContextSwitchTo(cxt);
	meta_embed_lookup(model, n, inputs, found, vecs);
	/* SPI leaves its own context current: the answers belong to ours */
	MemoryContextSwitchTo(cxt);
	for (i = 0; i < n; i++)
		if (!found[i])
		{
			where[m] = i;
			miss[m++] = inputs[i];
		}
	if (m > 0)
	{
		got = palloc(sizeof(ArrayType *) * m);
		errors = palloc(sizeof(char *) * m);
		fetch(model, m, miss, got, errors);
		for (i = 0; i < m; i++)
			if (errors[i] && view == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_CONNECTION_FAILURE),
						 errmsg("%s", errors[i])));
		meta_embed_store_many(model, m, miss, got, errors);
		for (i = 0; i < m; i++)
			if (errors[i])
				meta_embed_dead_letter(view, miss[i], errors[i]);
		MemoryContextSwitchTo(cxt);
		for (i = 0; i < m; i++)
			vecs[where[i]] = got[i];
	}
	SPI_finish();
	MemoryContextSwitchTo(cxt);
}

/* ---------- the worker's in-process memo ---------- */

typedef struct MemoItem
{
	char	   *model;
	char	   *input;
	ArrayType  *vec;
	struct MemoItem *next;
} MemoItem;

typedef struct MemoEntry
{
	uint64		hash;
	MemoItem   *items;
} MemoEntry;

static MemoryContext memo_cxt = NULL;
static HTAB *memo = NULL;

static uint64
memo_hash(const char *model, const char *input)
{
	uint64		h = hash_bytes_extended((const unsigned char *) model, strlen(model), 0);

	return hash_bytes_extended((const unsigned char *) input, strlen(input), h);
}

void
embed_memo_reset(void)
{
	HASHCTL		ctl;

	if (memo_cxt == NULL)
		memo_cxt = AllocSetContextCreate(TopMemoryContext, "pathway embed memo", ALLOCSET_DEFAULT_SIZES);
	else if (memo == NULL)
		return;
	MemoryContextReset(memo_cxt);
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(MemoEntry);
	ctl.hcxt = memo_cxt;
	memo = hash_create("pathway embed memo", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

void
embed_memo_put(const char *model, const char *input, ArrayType *vec)
{
	uint64		h;
	bool		found;
	MemoEntry  *e;
	MemoItem   *it;

	if (memo == NULL)
		embed_memo_reset();
	h = memo_hash(model, input);
	e = hash_search(memo, &h, HASH_ENTER, &found);
	if (!found)
		e->items = NULL;
	for (it = e->items; it; it = it->next)
		if (strcmp(it->model, model) == 0 && strcmp(it->input, input) == 0)
			return;
	it = MemoryContextAlloc(memo_cxt, sizeof(MemoItem));
	it->model = MemoryContextStrdup(memo_cxt, model);
	it->input = MemoryContextStrdup(memo_cxt, input);
	it->vec = NULL;
	if (vec)
	{
		it->vec = MemoryContextAlloc(memo_cxt, VARSIZE(vec));
		memcpy(it->vec, vec, VARSIZE(vec));
	}
	it->next = e->items;
	e->items = it;
}

bool
embed_memo_get(const char *model, const char *input, ArrayType **vec)
{
	uint64		h;
	MemoEntry  *e;
	MemoItem   *it;

	if (memo == NULL)
		return false;
	h = memo_hash(model, input);
	e = hash_search(memo, &h, HASH_FIND, NULL);
	for (it = e ? e->items : NULL; it; it = it->next)
		if (strcmp(it->model, model) == 0 && strcmp(it->input, input) == 0)
		{
			*vec = it->vec;
			return true;
		}
	return false;
}
