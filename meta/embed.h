/*
 * embed.h
 *	  The statements on pathway.embedding_cache (the memo of pathway.embed)
 *	  and the dead letters of its failed calls.  Run as the extension's
 *	  owner: no role but the extension writes the memo.  The caller has SPI
 *	  connected.
 */
#ifndef PATHWAY_META_EMBED_H
#define PATHWAY_META_EMBED_H

#include "postgres.h"

#include "utils/array.h"

/*
 * The memo's answers for n inputs of model: found[i], and vecs[i] (NULL: a
 * failure memoized), copied into the caller's memory context.
 */
extern void meta_embed_lookup(const char *model, int n, char **inputs, bool *found,
							  ArrayType **vecs);

/*
 * Memoize the answers of n distinct inputs in one statement: a vector, or
 * (vecs[i] NULL) the error of a failed call (errors[i]).
 */
extern void meta_embed_store_many(const char *model, int n, char **inputs, ArrayType **vecs,
								  char **errors);

/* A failed call of view's: a dead letter with the input and the error. */
extern void meta_embed_dead_letter(const char *view, const char *input, const char *error);

#endif							/* PATHWAY_META_EMBED_H */
