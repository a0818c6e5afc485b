/*
 * embed.c
 *	  pathway.embed(input text, model text DEFAULT NULL) RETURNS float4[]:
 *	  the input's vector from the memo (pathway.embedding_cache) or from the
 *	  endpoint (connectors/embed.c).
 *
 * In a plain query each call asks the memo, then the endpoint, and
 * memoizes the answer; a failed call is an ERROR.  In the engine worker a
 * live view's map has made the answers of its whole batch ready
 * (bgworker/embed.c); a call elsewhere in a view asks for its own input
 * alone.  There a failed call gives NULL, memoized, with a dead letter.
 * A memoized failure is NULL in a plain query too, so that check_view sees
 * what the view saw.  STABLE: the same input gives the same vector within
 * a statement, and a live view accepts it.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "connectors/embed.h"
#include "extension/extension.h"
#include "pathway.h"

PG_FUNCTION_INFO_V1(pathway_embed);

Datum
pathway_embed(PG_FUNCTION_ARGS)
{
	char	   *input;
	const char *model;
	ArrayType  *vec = NULL;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	input = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1))
		model = text_to_cstring(PG_GETARG_TEXT_PP(1));
	else
	{
		/* the default model, pinned for the expression's life */
		if (fcinfo->flinfo->fn_extra == NULL)
			fcinfo->flinfo->fn_extra = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt,
														   embed_default_model());
		model = fcinfo->flinfo->fn_extra;
	}
	if (model[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model of pathway.embed() must not be empty")));
	if (pathway_in_worker)
	{
		if (!embed_memo_get(model, input, &vec))
		{
			embed_answers(model, 1, &input, embed_current_view ? embed_current_view : "?", &vec);
			embed_memo_put(model, input, vec);
		}
	}
	else
		embed_answers(model, 1, &input, NULL, &vec);
	if (vec == NULL)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(vec);
}
