/*
 * embed.h
 *	  pathway.embed's calls: an OpenAI-compatible /v1/embeddings endpoint
 *	  asked for many inputs at once (pathway.embedding_batch_size a request,
 *	  pathway.http_max_concurrency requests in flight), every answer and
 *	  every failure memoized in pathway.embedding_cache (meta/embed.c), and
 *	  in the engine worker an in-process memo that a live view's batched
 *	  calls fill before its rows are evaluated.
 *
 * Runs in a backend or in the engine worker's own thread (never in the
 * HTTP client's helper thread), inside a transaction.
 */
#ifndef PATHWAY_CONNECTORS_EMBED_H
#define PATHWAY_CONNECTORS_EMBED_H

#include "postgres.h"

#include "utils/array.h"

/* the view whose work runs now (engine worker): its failures' dead letters */
extern const char *embed_current_view;

/*
 * The vectors of n distinct inputs of model, into vecs (the caller's
 * memory context): the memo first, then the endpoint for the rest, whose
 * answers are memoized.  view NULL (a plain query): a failed call raises
 * an ERROR and memoizes nothing.  Else a failed call's input gets NULL,
 * its error is memoized (so a retraction, a rebuild and check_view see the
 * same NULL) and goes to pathway.dead_letters under the view's name.
 */
extern void embed_answers(const char *model, int n, char **inputs, const char *view,
						  ArrayType **vecs);

/* The model a call without one asks for: pathway.embedding_model, checked. */
extern const char *embed_default_model(void);

/* The engine worker's in-process memo (answers ready for a view's step). */
extern void embed_memo_reset(void);
extern void embed_memo_put(const char *model, const char *input, ArrayType *vec);
extern bool embed_memo_get(const char *model, const char *input, ArrayType **vec);

#endif							/* PATHWAY_CONNECTORS_EMBED_H */
