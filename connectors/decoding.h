/*
 * decoding.h
 *	  The output plugin's state, as the table source (table_source.c) drives
 *	  it: which tables and columns are watched, and the read in progress.
 */
#ifndef PATHWAY_DECODING_H
#define PATHWAY_DECODING_H

#include "postgres.h"

#include "nodes/pg_list.h"

/* Does any consumer still need this change?  (false: skip copying it) */
typedef bool (*DecodingWants) (Oid relid, TransactionId xid);

extern void decoding_init(void);
extern void decoding_set_filter(DecodingWants wants);
extern void decoding_watch(Oid relid, AttrNumber attno);
extern void decoding_unwatch_all(void);

extern void decoding_read_begin(MemoryContext batchcxt);
extern bool decoding_read_full(int max_changes);
extern void decoding_read_stop(void);
extern void decoding_read_end(List **txns, List **unfollowable, TransactionId **xids,
							  int *nxids);

#endif							/* PATHWAY_DECODING_H */
