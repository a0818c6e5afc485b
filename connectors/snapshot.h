/*
 * snapshot.h
 *	  The snapshot scan of adoption: a source table's rows as of a snapshot,
 *	  pushed into the graph's source operator.
 */
#ifndef PATHWAY_SNAPSHOT_H
#define PATHWAY_SNAPSHOT_H

#include "postgres.h"

#include "utils/snapshot.h"

#include "engine/operator.h"

/*
 * Called after every chunk of rows (rows: read from this source so far),
 * with the rows still pending in the source operator: the caller steps the
 * graph, resets the chunk context and publishes progress.
 */
typedef void (*SnapshotChunkFn) (void *arg, int64 rows);

extern int64 snapshot_scan_source(Op *src, Snapshot snap, MemoryContext chunk_cxt,
								  int64 chunk_rows, SnapshotChunkFn chunk, void *arg);

#endif							/* PATHWAY_SNAPSHOT_H */
