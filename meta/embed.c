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
meta_embed_store(const char *model, const char *input, ArrayType *vec, const char *error)
{
	Datum		args[4];
	char		nulls[4] = "    ";
	Oid			types[4] = {TEXTOID, TEXTOID, FLOAT4ARRAYOID, TEXTOID};

	args[0] = CStringGetTextDatum(model);
	args[1] = CStringGetTextDatum(input);
	if (vec)
		args[2] = PointerGetDatum(vec);
	else
		nulls[2] = 'n';
	if (error)
		args[3] = CStringGetTextDatum(error);
	else
		nulls[3] = 'n';
	(void) meta_exec_as_owner("INSERT INTO pathway.embedding_cache (model, input_sha256, input, vec, error) "
							  "VALUES ($1, pg_catalog.sha256(pg_catalog.convert_to($2, 'UTF8')), $2, $3, $4) "
							  "ON CONFLICT (model, input_sha256) DO NOTHING",
							  4, types, args, nulls, 0);
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
