/*
 * vector.c
 *	  Vectors as float4[]: pathway.l2_distance, cosine_distance,
 *	  inner_product, l2_normalize, and pathway.chunk (a document's words in
 *	  overlapping chunks), for nearest-neighbour views and plain queries
 *	  alike.
 *
 * A vector is a one-dimensional float4[] without NULLs; two vectors of a
 * distance must have the same length.  Anything else is an error naming
 * what is wrong (SQLSTATE class 22), never a guess.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "engine/vector.h"

PG_FUNCTION_INFO_V1(pathway_l2_distance);
PG_FUNCTION_INFO_V1(pathway_cosine_distance);
PG_FUNCTION_INFO_V1(pathway_inner_product);
PG_FUNCTION_INFO_V1(pathway_l2_normalize);
PG_FUNCTION_INFO_V1(pathway_chunk);

/* ASCII white space only: a byte of a multibyte character is never one. */
static inline bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The elements of a vector argument; its length in *n. */
static const float *
vector_arg(ArrayType *a, int *n)
{
	if (ARR_ELEMTYPE(a) != FLOAT4OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a vector must be a float4[]")));
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("a vector must be a one-dimensional array, not one of %d dimensions",
						ARR_NDIM(a))));
	if (array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a vector must not contain NULL elements")));
	*n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
	return (const float *) ARR_DATA_PTR(a);
}

static void
same_length(int na, int nb)
{
	if (na != nb)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vectors of different lengths: %d and %d", na, nb),
				 errhint("Both vectors of a distance must have the same number of dimensions.")));
}

Datum
pathway_l2_distance(PG_FUNCTION_ARGS)
{
	int			na,
				nb;
	const float *a = vector_arg(PG_GETARG_ARRAYTYPE_P(0), &na);
	const float *b = vector_arg(PG_GETARG_ARRAYTYPE_P(1), &nb);

	same_length(na, nb);
	PG_RETURN_FLOAT8(vector_l2_distance(a, b, na));
}

Datum
pathway_cosine_distance(PG_FUNCTION_ARGS)
{
	int			na,
				nb;
	const float *a = vector_arg(PG_GETARG_ARRAYTYPE_P(0), &na);
	const float *b = vector_arg(PG_GETARG_ARRAYTYPE_P(1), &nb);

	same_length(na, nb);
	PG_RETURN_FLOAT8(vector_cosine_distance(a, b, na));
}

Datum
pathway_inner_product(PG_FUNCTION_ARGS)
{
	int			na,
				nb;
	const float *a = vector_arg(PG_GETARG_ARRAYTYPE_P(0), &na);
	const float *b = vector_arg(PG_GETARG_ARRAYTYPE_P(1), &nb);

	same_length(na, nb);
	PG_RETURN_FLOAT8(vector_dot(a, b, na));
}

/* The vector scaled to length 1; the zero vector stays as it is. */
Datum
pathway_l2_normalize(PG_FUNCTION_ARGS)
{
	ArrayType  *in = PG_GETARG_ARRAYTYPE_P(0);
	int			n;
	const float *a = vector_arg(in, &n);
	double		norm = sqrt(vector_dot(a, a, n));
	Datum	   *out = palloc(sizeof(Datum) * (n + 1));
	int			i;

	for (i = 0; i < n; i++)
		out[i] = Float4GetDatum(norm > 0.0 ? (float) (a[i] / norm) : a[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, n, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT));
}

/*
 * pathway.chunk(doc, size, overlap): the document's words (split on white
 * space) in chunks of 'size' words, each starting 'size - overlap' words
 * after the previous one, with their ordinal from 1.  A chunk is made only
 * while it holds a word the previous one did not; a document without words
 * has no chunks.
 */
Datum
pathway_chunk(PG_FUNCTION_ARGS)
{
	text	   *doc = PG_GETARG_TEXT_PP(0);
	int32		size = PG_GETARG_INT32(1);
	int32		overlap = PG_GETARG_INT32(2);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *s = text_to_cstring(doc);
	int		   *starts,
			   *ends;
	int			nwords = 0,
				cap = 64,
				pos = 0,
				ordinal = 0,
				first;
	int			len = strlen(s);

	if (size < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("chunk size must be at least 1, not %d", size)));
	if (overlap < 0 || overlap >= size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("chunk overlap must be at least 0 and less than the size %d, not %d",
						size, overlap)));
	InitMaterializedSRF(fcinfo, 0);

	starts = palloc(sizeof(int) * cap);
	ends = palloc(sizeof(int) * cap);
	while (pos < len)
	{
		while (pos < len && is_blank(s[pos]))
			pos++;
		if (pos >= len)
			break;
		if (nwords == cap)
		{
			cap *= 2;
			starts = repalloc(starts, sizeof(int) * cap);
			ends = repalloc(ends, sizeof(int) * cap);
		}
		starts[nwords] = pos;
		while (pos < len && !is_blank(s[pos]))
			pos++;
		ends[nwords++] = pos;
	}

	for (first = 0; first < nwords; first += size - overlap)
	{
		int			last = Min(first + size, nwords) - 1;
		StringInfoData buf;
		int			w;
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if (first > 0 && first + overlap >= nwords)
			break;				/* nothing new after the previous chunk */
		initStringInfo(&buf);
		for (w = first; w <= last; w++)
		{
			if (w > first)
				appendStringInfoChar(&buf, ' ');
			appendBinaryStringInfo(&buf, s + starts[w], ends[w] - starts[w]);
		}
		values[0] = Int32GetDatum(++ordinal);
		values[1] = PointerGetDatum(cstring_to_text_with_len(buf.data, buf.len));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(buf.data);
	}
	return (Datum) 0;
}
