/*
 * source.h
 *	  What every source hands the engine worker: decoded changes grouped in
 *	  transactions, and the one mapping of a child table's rows onto the
 *	  watched ancestor they also belong to.
 *
 * A table source (decoding.c) and a Kafka source (kafka_land.c) both
 * produce DecodedTxn lists; the snapshot scan of adoption (snapshot.c) and
 * decoding both lay a partition's or inheritance child's row out as its
 * ancestor's with source_map_row.
 */
#ifndef PATHWAY_SOURCE_H
#define PATHWAY_SOURCE_H

#include "postgres.h"

#include "access/attmap.h"
#include "access/tupdesc.h"
#include "access/xlogdefs.h"
#include "nodes/pg_list.h"

/* One decoded row change: values by attno - 1, only watched columns set. */
typedef struct DecodedChange
{
	Oid			relid;
	bool		routed;			/* relid's copy of a partition's or child's change */
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

/*
 * Leaf to ancestor: columns are matched by name (a partition or child may
 * order them differently, or hold dropped ones).  source_map_build returns
 * NULL when the layouts are the same; source_map_row then copies.  The map
 * is allocated in the current memory context.
 */
extern AttrMap *source_map_build(TupleDesc leaf, TupleDesc ancestor);
extern void source_map_row(const AttrMap *map, int natts, const Datum *leafvalues,
						   const bool *leafnulls, Datum *values, bool *isnull);

#endif							/* PATHWAY_SOURCE_H */
