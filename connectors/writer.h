/*
 * writer.h
 *	  Apply a view's changes to its table through the table and index AMs.
 */
#ifndef PATHWAY_WRITER_H
#define PATHWAY_WRITER_H

#include "postgres.h"

#include "storage/itemptr.h"
#include "utils/relcache.h"

#include "engine/row.h"

typedef struct OutRow OutRow;

typedef struct ViewWriter
{
	Oid			relid;
	MemoryContext cxt;			/* long-lived: the rows and their TIDs */
	TupleDesc	desc;			/* the engine's output rows */
	int			nkeycols;		/* unique key of the view, 0 if none */
	AttrNumber *keycols;
	Oid			relfilenode;	/* TIDs are valid for this file only */
	OutRow	  **buckets;
	uint32		nbuckets;
	int64		nrows;			/* rows in the table */
	int64		written;		/* rows inserted, updated or deleted */
	ZBatch	   *capture;		/* if set: every row written, +1 in / -1 out (sinks) */
} ViewWriter;

extern ViewWriter *writer_create(MemoryContext parent, Oid relid, TupleDesc desc,
								 int nkeycols, AttrNumber *keycols);
extern void writer_reconcile(ViewWriter *w, ZBatch *target);
extern void writer_apply(ViewWriter *w, ZBatch *delta);
extern bool writer_valid(ViewWriter *w);
extern Size writer_bytes(ViewWriter *w);

#endif							/* PATHWAY_WRITER_H */
