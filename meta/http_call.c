/*
 * http_call.c
 *	  The memo of pathway.http_request in live views (pathway.http_cache)
 *	  and its dead letters: every statement as the extension's owner.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "meta/http_call.h"
#include "meta/meta.h"

#define DIGEST_LEN 32

static Datum
digest_array(int n, const uint8 *const *digests)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
	{
		bytea	   *b = palloc(VARHDRSZ + DIGEST_LEN);

		SET_VARSIZE(b, VARHDRSZ + DIGEST_LEN);
		memcpy(VARDATA(b), digests[i], DIGEST_LEN);
		elems[i] = PointerGetDatum(b);
	}
	return PointerGetDatum(construct_array(elems, n, BYTEAOID, -1, false, TYPALIGN_INT));
}

/* A text[] of n strings, NULL elements where strs[i] is NULL. */
static Datum
text_array(int n, char **strs)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int			i;

	for (i = 0; i < n; i++)
	{
		nulls[i] = strs[i] == NULL;
		elems[i] = strs[i] ? CStringGetTextDatum(strs[i]) : (Datum) 0;
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

void
meta_http_call_lookup(int n, const uint8 *const *digests, bool *found, Jsonb **answers)
{
	Datum		args[1];
	Oid			types[1] = {BYTEAARRAYOID};
	MemoryContext cxt = CurrentMemoryContext;
	uint64		rows,
				r;
	int			i;

	for (i = 0; i < n; i++)
	{
		found[i] = false;
		answers[i] = NULL;
	}
	if (n <= 0)
		return;
	args[0] = digest_array(n, digests);
	/* not read-only: it sees what an earlier view of the epoch memoized */
	rows = meta_exec_as_owner("SELECT u.i::int4, c.answer FROM pg_catalog.unnest($1::pg_catalog.bytea[]) "
							  "WITH ORDINALITY AS u(d, i) "
							  "JOIN pathway.http_cache c ON c.request_sha256 = u.d",
							  1, types, args, NULL, 0);
	for (r = 0; r < rows; r++)
	{
		HeapTuple	t = SPI_tuptable->vals[r];
		bool		isnull;
		int			k = DatumGetInt32(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull)) - 1;
		Datum		v = SPI_getbinval(t, SPI_tuptable->tupdesc, 2, &isnull);

		if (k < 0 || k >= n)
			continue;
		found[k] = true;
		if (!isnull)
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			answers[k] = DatumGetJsonbPCopy(v);
			MemoryContextSwitchTo(old);
		}
	}
}

void
meta_http_call_store_many(int n, const uint8 *const *digests, char **methods, char **urls,
						  char **bodies, int *statuses, Jsonb **answers, char **errors)
{
	Datum	   *st = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *an = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *annull = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};
	Datum		args[7];
	Oid			types[7] = {BYTEAARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	INT4ARRAYOID, JSONBARRAYOID, TEXTARRAYOID};
	int			i;

	if (n <= 0)
		return;
	for (i = 0; i < n; i++)
	{
		st[i] = Int32GetDatum(statuses[i]);
		annull[i] = answers[i] == NULL;
		an[i] = answers[i] ? JsonbPGetDatum(answers[i]) : (Datum) 0;
	}
	args[0] = digest_array(n, digests);
	args[1] = text_array(n, methods);
	args[2] = text_array(n, urls);
	args[3] = text_array(n, bodies);
	args[4] = PointerGetDatum(construct_array(st, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	args[5] = PointerGetDatum(construct_md_array(an, annull, 1, dims, lbs, JSONBOID, -1, false, TYPALIGN_INT));
	args[6] = text_array(n, errors);
	(void) meta_exec_as_owner("INSERT INTO pathway.http_cache (request_sha256, method, url, body, status, answer, error) "
							  "SELECT u.d, u.m, u.url, u.body::pg_catalog.jsonb, NULLIF(u.st, 0), u.answer, u.error "
							  "  FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.bytea[]), pg_catalog.unnest($2::pg_catalog.text[]), "
							  "                 pg_catalog.unnest($3::pg_catalog.text[]), pg_catalog.unnest($4::pg_catalog.text[]), "
							  "                 pg_catalog.unnest($5::pg_catalog.int4[]), pg_catalog.unnest($6::pg_catalog.jsonb[]), "
							  "                 pg_catalog.unnest($7::pg_catalog.text[])) "
							  "       AS u(d, m, url, body, st, answer, error) "
							  "ON CONFLICT (request_sha256) DO NOTHING",
							  7, types, args, NULL, 0);
}

void
meta_http_call_dead_letter(const char *view, const char *request, const char *error)
{
	Datum		args[3];
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};

	args[0] = CStringGetTextDatum(view);
	args[1] = CStringGetTextDatum(request);
	args[2] = CStringGetTextDatum(error);
	(void) meta_exec_as_owner("INSERT INTO pathway.dead_letters (source, partition, \"offset\", payload, error) "
							  "VALUES ($1, -1, 0, pg_catalog.convert_to($2, 'UTF8'), $3)",
							  3, types, args, NULL, 0);
}
