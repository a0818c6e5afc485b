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

/* One decoded row change: values by attno - 1, only watched columns set. */
typedef struct DecodedChange
{
	Oid			relid;
	int64		weight;			/* +1 or -1; 0 marks a TRUNCATE */
	int			natts;
	Datum	   *values;
	bool	   *isnull;
} DecodedChange;

typedef struct DecodedTxn
{
	TransactionId xid;
	XLogRecPtr	end_lsn;
	List	   *changes;		/* DecodedChange * */
} DecodedTxn;

extern void table_source_open(const char *slot_name);
extern void table_source_close(void);
extern void table_source_drop_slot(const char *slot_name);
/* Does any consumer still need this change?  (false: skip copying it) */
typedef bool (*TableSourceWants) (Oid relid, TransactionId xid);

extern void table_source_set_filter(TableSourceWants wants);
extern void table_source_watch(Oid relid, AttrNumber attno);
extern void table_source_unwatch_all(void);
extern XLogRecPtr table_source_read(XLogRecPtr upto, int max_changes,
									MemoryContext batchcxt, List **txns,
									List **unfollowable, TransactionId **xids,
									int *nxids);
extern void table_source_confirm(XLogRecPtr lsn);
extern XLogRecPtr wal_records_end(XLogRecPtr pos);
extern XLogRecPtr wal_flush_written(void);

#endif							/* PATHWAY_TABLE_SOURCE_H */
