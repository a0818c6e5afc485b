/*
 * embed.c
 *	  The engine worker's side of pathway.embed and pathway.http_request in
 *	  live views: the hook a map runs with the arguments of all the rows of
 *	  its batch (engine/operator.h, engine_batch_hook), which gets their
 *	  answers from the memo or the endpoints, in few requests for
 *	  embeddings (connectors/embed.c) and many at once for HTTP calls
 *	  (connectors/http_call.c), and leaves them in the in-process memo,
 *	  where each call, when evaluated, finds its answer.  A call without a model asks for pathway.embedding_model as it
 *	  was when the map first ran: a setting changed later does not change
 *	  what a retraction computes (a rebuild takes the new value).
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/memutils.h"

#include "bgworker/internal.h"
#include "connectors/embed.h"
#include "connectors/http_call.h"
#include "engine/operator.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The view whose work runs, and whether it may hold a map's batch while
 * its calls run (asked when a call needs it: -1 not yet).  Not a view whose
 * results depend on when rows come (time options, temporal filters) or
 * whose loop must reach its fixed point within the step.
 */
static LiveView *hold_view = NULL;
static int	hold_allowed = -1;

static bool
may_hold(void)
{
	if (hold_allowed < 0)
		hold_allowed = hold_view && hold_view->plan && hold_view->plan->clock == NULL &&
			hold_view->plan->temporal == NULL && !graph_has_kind(hold_view->plan->root, OP_ITERATE);
	return hold_allowed;
}

static void
embed_hook(void **state, int n, Datum *inputs, bool *innulls, Datum *models, bool *mnulls)
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

/*
 * The HTTP calls of a batch: each distinct request the memo does not hold
 * yet, all at once (at most pathway.http_max_concurrency in flight), left
 * running when the view may hold its batch (false: not ready), else waited
 * for.  A row whose method or URL is NULL is left to its call, which
 * refuses it.
 */
static bool
http_hook(EngineCallKind kind, int n, Datum **args, bool **nulls)
{
	HttpRequest *reqs = palloc(sizeof(HttpRequest) * n);
	Jsonb	  **answers;
	Jsonb	   *a;
	int			m = 0,
				i;

	for (i = 0; i < n; i++)
	{
		HttpRequest *r = &reqs[m];

		if (kind == ENGINE_CALL_HTTP_GET)
		{
			if (nulls[0][i])
				continue;
			http_call_prepare(r, "GET", TextDatumGetCString(args[0][i]), NULL, NULL);
		}
		else
		{
			if (nulls[0][i] || nulls[1][i])
				continue;
			http_call_prepare(r, TextDatumGetCString(args[0][i]), TextDatumGetCString(args[1][i]),
							  nulls[2][i] ? NULL : DatumGetJsonbP(args[2][i]),
							  nulls[3][i] ? NULL : DatumGetJsonbP(args[3][i]));
		}
		if (!http_call_memo_get(r->digest, &a))
			m++;
	}
	if (m == 0)
		return true;
	answers = palloc0(sizeof(Jsonb *) * m);
	if (may_hold())
	{
		if (!http_call_answers_async(m, reqs, embed_current_view ? embed_current_view : "?",
									 hold_view->relid, answers))
			return false;
	}
	else
		http_call_answers(m, reqs, embed_current_view ? embed_current_view : "?", answers);
	for (i = 0; i < m; i++)
		http_call_memo_put(reqs[i].digest, answers[i]);
	return true;
}

static bool
batch_hook(EngineCallKind kind, void **state, int n, Datum **args, bool **nulls)
{
	if (kind == ENGINE_CALL_EMBED)
	{
		embed_hook(state, n, args[0], nulls[0], args[1], nulls[1]);
		return true;
	}
	return http_hook(kind, n, args, nulls);
}

void
worker_embed_init(void)
{
	engine_batch_hook = batch_hook;
	http_call_async_init(worker_wake_pipe[1]);
}

/* Before a view's work: its name for dead letters, an empty memo. */
void
worker_embed_begin(LiveView *v)
{
	embed_current_view = v ? v->name : NULL;
	hold_view = v;
	hold_allowed = -1;
	embed_memo_reset();
	http_call_memo_reset();
}

/* After a step of a view's graph: the rows its maps hold, and the oldest's tag. */
void
worker_note_held(LiveView *v)
{
	v->held_rows = v->plan ? graph_held_rows(v->plan->root, &v->held_tag) : 0;
}

/* Does a view hold rows for calls that are all done (its next step takes them)? */
bool
worker_calls_ready(LiveView *v)
{
	return v->held_rows > 0 && !http_call_async_waiting(v->relid);
}
