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
struct outrows_hash;

typedef struct ViewWriter
{
	Oid			relid;
	MemoryContext cxt;			/* long-lived: the rows and their TIDs */
	TupleDesc	desc;			/* the engine's output rows */
	int			nkeycols;		/* unique key of the view, 0 if none */
	AttrNumber *keycols;
	Oid			relfilenode;	/* TIDs are valid for this file only */
	struct outrows_hash *rows;	/* the table's rows by content (OutRow) */
	int64		nrows;			/* rows in the table */
	int64		written;		/* rows inserted, updated or deleted */

	/*
	 * A windowed view: rows whose window is final are no longer the
	 * engine's.  settled(arg, value of column settled_col, isnull, before)
	 * says so, judged by the view's time before its last advance (what a
	 * rebuild's reconciliation leaves alone) or by its current time (what
	 * writer_forget_settled drops from memory).
	 */
	bool		(*settled) (void *arg, Datum w, bool isnull, bool before);
	void	   *settled_arg;
	int			settled_col;	/* 0-based */
} ViewWriter;

extern ViewWriter *writer_create(MemoryContext parent, Oid relid, TupleDesc desc,
								 int nkeycols, AttrNumber *keycols);
/* written (may be NULL) receives every row written: +1 in, -1 out */
extern void writer_reconcile_rows(ViewWriter *w, ZBatch *target, ZBatch *written);
extern void writer_apply_rows(ViewWriter *w, ZBatch *delta, ZBatch *written);
extern bool writer_valid(ViewWriter *w);
extern Size writer_bytes(ViewWriter *w);
extern void writer_forget_settled(ViewWriter *w);

#endif							/* PATHWAY_WRITER_H */
