/*
 * http_call.h
 *	  The statements on pathway.http_cache (the memo of pathway.http_request
 *	  in live views) and the dead letters of failed calls.  Run as the
 *	  extension's owner: no role but the extension writes the memo.  The
 *	  caller has SPI connected.
 */
#ifndef PATHWAY_META_HTTP_CALL_H
#define PATHWAY_META_HTTP_CALL_H

#include "postgres.h"

#include "utils/jsonb.h"

/*
 * The memo's rows for n digests (each 32 bytes): found[i], and answers[i]
 * (NULL: SQL NULL, an empty body or a failure memoized), copied into the
 * caller's memory context.
 */
extern void meta_http_call_lookup(int n, const uint8 *const *digests, bool *found,
								  Jsonb **answers);

/*
 * Memoize n distinct calls in one statement: the request (method, url,
 * body as JSON text or NULL; never its headers), the status (0: no
 * answer), and the answer (NULL: none) or the error of a failed call.
 */
extern void meta_http_call_store_many(int n, const uint8 *const *digests, char **methods,
									  char **urls, char **bodies, int *statuses,
									  Jsonb **answers, char **errors);

/* A failed call of view's: a dead letter with the request line and the error. */
extern void meta_http_call_dead_letter(const char *view, const char *request, const char *error);

#endif							/* PATHWAY_META_HTTP_CALL_H */
