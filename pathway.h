/*
 * pathway.h
 *	  What every layer of the extension may know: the library's name, the
 *	  names of the engine worker's replication slot and origin, the settings
 *	  (defined in extension/pathway.c), process-wide flags and where the
 *	  WAL written so far ends.  A leaf: it includes nothing of the project.
 */
#ifndef PATHWAY_COMMON_H
#define PATHWAY_COMMON_H

#include "postgres.h"

#include "access/xlog.h"
#include "access/xlog_internal.h"

#define PATHWAY_LIBRARY "pathway"
/* the engine worker's replication slot and origin: this prefix, then the database's OID */
#define PATHWAY_SLOT_PREFIX "pathway_"

/* settings (pathway.*) */
extern int	pathway_max_epoch_changes;
extern int	pathway_naptime_ms;
extern int	pathway_decoding_work_mem_kb;
extern int	pathway_max_memory_kb;	/* per engine worker; -1: no limit */
extern char *pathway_http_allowed_hosts;	/* HTTP sources: "" any host */
extern char *pathway_http_listen;	/* the listener's host:port; "" off */
extern int	pathway_clock_interval_ms;	/* longest wait between ticks of a view's clock */
extern char *pathway_embedding_url;	/* pathway.embed(): the endpoint, "" none */
extern char *pathway_embedding_model;	/* its default model */
extern char *pathway_embedding_api_key; /* its bearer token (superuser only) */
extern int	pathway_embedding_batch_size;	/* inputs per request from a view */
extern int	pathway_http_max_concurrency;	/* requests in flight at once */
extern int	pathway_http_request_timeout_ms;	/* one attempt of http_request */
extern int	pathway_http_request_on_error;	/* HTTP_ON_ERROR_*: a view's failed call */

#define HTTP_ON_ERROR_NULL 0		/* NULL, memoized, and a dead letter */
#define HTTP_ON_ERROR_FAIL 1		/* the view fails */
extern int	pathway_max_iterations;	/* rounds of a recursive query per change */

/* true when shared_preload_libraries loaded us (workers and hooks active) */
extern bool pathway_preloaded;

/* true in the engine worker (its own writes do not wake it) */
extern bool pathway_in_worker;

/*
 * Where the WAL records before upto end.  A position just past a page
 * header has no record at it: records end at the page boundary before it,
 * and reading on from there would wait for WAL that nobody is writing.
 */
static inline XLogRecPtr
pathway_wal_records_end(XLogRecPtr upto)
{
	if (XLogSegmentOffset(upto, wal_segment_size) == SizeOfXLogLongPHD)
		return upto - SizeOfXLogLongPHD;
	if (upto % XLOG_BLCKSZ == SizeOfXLogShortPHD)
		return upto - SizeOfXLogShortPHD;
	return upto;
}

/*
 * Flush every record inserted so far and return where they end: a commit
 * that happened before this call has its record before the result (what
 * pathway.sync() waits for, and an adoption snapshot's position).
 */
static inline XLogRecPtr
pathway_flush_wal(void)
{
	XLogRecPtr	end = pathway_wal_records_end(GetXLogInsertRecPtr());

	XLogFlush(end);
	return end;
}

#endif							/* PATHWAY_COMMON_H */
