/*
 * embed.c
 *	  The engine worker's side of pathway.embed in live views: the hook a
 *	  map runs with the inputs of all the rows of its batch (engine/
 *	  operator.h, engine_batch_hook), which gets their vectors from the memo
 *	  or the endpoint in few requests (connectors/embed.c) and leaves them
 *	  in the in-process memo, where each call, when evaluated, finds its
 *	  answer.  A call without a model asks for pathway.embedding_model as it
 *	  was when the map first ran: a setting changed later does not change
 *	  what a retraction computes (a rebuild takes the new value).
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/memutils.h"

#include "bgworker/internal.h"
#include "connectors/embed.h"
#include "engine/operator.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
batch_hook(void **state, int n, Datum *inputs, bool *innulls, Datum *models, bool *mnulls)
{
	char	  **ins = palloc(sizeof(char *) * n);
	char	  **mods = palloc(sizeof(char *) * n);
	bool	   *done = palloc0(sizeof(bool) * n);
	int			i,
				j;

	if (*state == NULL)
	{
		/* the default model, pinned for the map's life */
		bool		any_default = false;

		for (i = 0; i < n; i++)
			any_default |= mnulls[i];
		if (any_default)
			*state = MemoryContextStrdup(TopMemoryContext, embed_default_model());
	}
	for (i = 0; i < n; i++)
	{
		ins[i] = innulls[i] ? NULL : TextDatumGetCString(inputs[i]);
		mods[i] = mnulls[i] ? (char *) *state : TextDatumGetCString(models[i]);
	}
	/* one model at a time: its distinct inputs the memo does not hold yet */
	for (i = 0; i < n; i++)
	{
		char	  **want;
		ArrayType **vecs;
		ArrayType  *v;
		int			m = 0,
					u = 0;

		if (done[i] || ins[i] == NULL)
			continue;
		want = palloc(sizeof(char *) * (n - i));
		for (j = i; j < n; j++)
		{
			if (done[j] || ins[j] == NULL || strcmp(mods[j], mods[i]) != 0)
				continue;
			done[j] = true;
			if (!embed_memo_get(mods[i], ins[j], &v))
				want[m++] = ins[j];
		}
		if (m == 0)
			continue;
		qsort(want, m, sizeof(char *), cmp_str);
		for (j = 0; j < m; j++)
			if (u == 0 || strcmp(want[u - 1], want[j]) != 0)
				want[u++] = want[j];
		vecs = palloc(sizeof(ArrayType *) * u);
		embed_answers(mods[i], u, want, embed_current_view ? embed_current_view : "?", vecs);
		for (j = 0; j < u; j++)
			embed_memo_put(mods[i], want[j], vecs[j]);
	}
}

void
worker_embed_init(void)
{
	engine_batch_hook = batch_hook;
}

/* Before a view's work: its name for dead letters, an empty memo. */
void
worker_embed_begin(LiveView *v)
{
	embed_current_view = v ? v->name : NULL;
	embed_memo_reset();
}
