/*
 * table_source.h
 *	  Changes of ordinary tables, read through logical decoding inside the
 *	  engine worker.
 */
#ifndef PATHWAY_TABLE_SOURCE_H
#define PATHWAY_TABLE_SOURCE_H

#include "postgres.h"

#include "access/xlogdefs.h"
#include "nodes/pg_list.h"
#include "utils/hsearch.h"

#include "connectors/decoding.h"
#include "connectors/source.h"

extern void table_source_open(const char *slot_name);
extern void table_source_close(void);
extern void table_source_drop_slot(const char *slot_name);
/* Does any consumer still need this change?  (false: skip copying it) */
typedef DecodingWants TableSourceWants;

extern void table_source_set_filter(TableSourceWants wants);
extern void table_source_watch(Oid relid, AttrNumber attno);
extern void table_source_unwatch_all(void);
extern XLogRecPtr table_source_read(XLogRecPtr upto, int max_changes,
									MemoryContext batchcxt, List **txns,
									List **unfollowable, TransactionId **xids,
									int *nxids);
extern void table_source_confirm(XLogRecPtr lsn);

#endif							/* PATHWAY_TABLE_SOURCE_H */
