/*
 * chunk.c
 *	  pathway.chunk: a document's words in overlapping chunks, for
 *	  documents -> chunks -> embeddings -> live answers.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(pathway_chunk);

/* ASCII white space only: a byte of a multibyte character is never one. */
static inline bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
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
