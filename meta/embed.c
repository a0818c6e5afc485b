/*
 * embed.c
 *	  The memo of pathway.embed (pathway.embedding_cache) and its dead
 *	  letters: every statement as the extension's owner.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "meta/embed.h"
#include "meta/meta.h"

void
meta_embed_lookup(const char *model, int n, char **inputs, bool *found, ArrayType **vecs)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	Datum		args[2];
	Oid			types[2] = {TEXTOID, TEXTARRAYOID};
	MemoryContext cxt = CurrentMemoryContext;
	uint64		rows,
				r;
	int			i;

	for (i = 0; i < n; i++)
	{
		elems[i] = CStringGetTextDatum(inputs[i]);
		found[i] = false;
		vecs[i] = NULL;
	}
	args[0] = CStringGetTextDatum(model);
	args[1] = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
	/* not read-only: it sees what an earlier view of the epoch memoized */
	rows = meta_exec_as_owner("SELECT u.i::int4, c.vec FROM pg_catalog.unnest($2::pg_catalog.text[]) "
							  "WITH ORDINALITY AS u(input, i) "
							  "JOIN pathway.embedding_cache c ON c.model = $1 "
							  " AND c.input_sha256 = pg_catalog.sha256(pg_catalog.convert_to(u.input, 'UTF8')) "
							  " AND c.input = u.input",
							  2, types, args, NULL, 0);
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

			vecs[k] = DatumGetArrayTypePCopy(v);
			MemoryContextSwitchTo(old);
		}
	}
}

void
meta_embed_store_many(const char *model, int n, char **inputs, ArrayType **vecs, char **errors)
{
	Datum	   *ins = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *offs = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *lens = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *lnull = palloc(sizeof(bool) * Max(n, 1));
	Datum	   *errs = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *enull = palloc(sizeof(bool) * Max(n, 1));
	Datum	   *flat;
	int			total = 0,
				at = 0,
				i,
				j;
	int			dims[1];
	int			lbs[1] = {1};
	Datum		args[6];
	Oid			types[6] = {TEXTOID, TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID, FLOAT4ARRAYOID, TEXTARRAYOID};

	if (n <= 0)
		return;
	for (i = 0; i < n; i++)
		if (vecs[i])
			total += ArrayGetNItems(ARR_NDIM(vecs[i]), ARR_DIMS(vecs[i]));
	flat = palloc(sizeof(Datum) * Max(total, 1));
	for (i = 0; i < n; i++)
	{
		ins[i] = CStringGetTextDatum(inputs[i]);
		offs[i] = Int32GetDatum(at);
		lnull[i] = vecs[i] == NULL;
		lens[i] = Int32GetDatum(0);
		enull[i] = errors[i] == NULL;
		errs[i] = errors[i] ? CStringGetTextDatum(errors[i]) : (Datum) 0;
		if (vecs[i])
		{
			int			k = ArrayGetNItems(ARR_NDIM(vecs[i]), ARR_DIMS(vecs[i]));
			float4	   *f = (float4 *) ARR_DATA_PTR(vecs[i]);

			for (j = 0; j < k; j++)
				flat[at + j] = Float4GetDatum(f[j]);
			lens[i] = Int32GetDatum(k);
			at += k;
		}
	}
	args[0] = CStringGetTextDatum(model);
	dims[0] = n;
	args[1] = PointerGetDatum(construct_array(ins, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[2] = PointerGetDatum(construct_array(offs, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	args[3] = PointerGetDatum(construct_md_array(lens, lnull, 1, dims, lbs, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	args[4] = PointerGetDatum(construct_array(flat, total, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT));
	args[5] = PointerGetDatum(construct_md_array(errs, enull, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
	/* the vectors travel as one flat float4[] sliced per input: exact, no text */
	(void) meta_exec_as_owner("INSERT INTO pathway.embedding_cache (model, input_sha256, input, vec, error) "
							  "SELECT $1, pg_catalog.sha256(pg_catalog.convert_to(u.input, 'UTF8')), u.input, "
							  "       CASE WHEN u.len IS NULL THEN NULL ELSE $5[u.off + 1 : u.off + u.len] END, u.error "
							  "  FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.text[]), pg_catalog.unnest($3::pg_catalog.int4[]), "
							  "                 pg_catalog.unnest($4::pg_catalog.int4[]), pg_catalog.unnest($6::pg_catalog.text[])) "
							  "       AS u(input, off, len, error) "
							  "ON CONFLICT (model, input_sha256) DO NOTHING",
							  6, types, args, NULL, 0);
}

void
meta_embed_dead_letter(const char *view, const char *input, const char *error)
{
	Datum		args[3];
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};

	args[0] = CStringGetTextDatum(view);
	args[1] = CStringGetTextDatum(input);
	args[2] = CStringGetTextDatum(error);
	(void) meta_exec_as_owner("INSERT INTO pathway.dead_letters (source, partition, \"offset\", payload, error) "
							  "VALUES ($1, -1, 0, pg_catalog.convert_to($2, 'UTF8'), $3)",
							  3, types, args, NULL, 0);
}
