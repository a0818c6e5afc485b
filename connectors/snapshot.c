/*
 * snapshot.c
 *	  A source's rows as of a snapshot, for the adoption of a view.
 *
 * A partitioned table (or an inheritance parent) is the rows of its leaves
 * (and its own), each laid out as the top table's by source_map_row, the
 * mapping decoding uses for the same tables' changes.  A source without a
 * table (VALUES) adds its constant rows.
 *
 * Memory: rows are added to the source operator in chunk_cxt, which the
 * chunk callback may reset; the scan's own state is in the current context.
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_inherits.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/rel.h"

#include "connectors/snapshot.h"
#include "connectors/source.h"

/*
 * Push every row of src's table visible to snap into src (weight +1),
 * calling chunk every chunk_rows rows.  Returns the rows read; the last
 * ones (fewer than chunk_rows) are left pending for the caller.
 */
int64
snapshot_scan_source(Op *src, Snapshot snap, MemoryContext chunk_cxt, int64 chunk_rows,
					 SnapshotChunkFn chunk, void *arg)
{
	Relation	top;
	TupleDesc	topdesc;
	List	   *parts = list_make1_oid(src->relid);
	Datum	   *mapped;
	bool	   *mapnull;
	ListCell   *lp;
	MemoryContext old;
	int64		n = 0;

	if (!OidIsValid(src->relid))
	{
		/* VALUES: the same rows at every build */
		old = MemoryContextSwitchTo(chunk_cxt);
		op_source_add_constants(src);
		MemoryContextSwitchTo(old);
		return 0;
	}
	top = table_open(src->relid, AccessShareLock);
	topdesc = RelationGetDescr(top);
	mapped = palloc(sizeof(Datum) * topdesc->natts);
	mapnull = palloc(sizeof(bool) * topdesc->natts);

	/* ONLY: the table's own rows (a partitioned table has none) */
	if (src->only)
		parts = top->rd_rel->relkind == RELKIND_PARTITIONED_TABLE ? NIL : parts;
	else if (top->rd_rel->relkind == RELKIND_PARTITIONED_TABLE || has_subclass(src->relid))
		parts = find_all_inheritors(src->relid, AccessShareLock, NULL);
	foreach(lp, parts)
	{
		Relation	rel = table_open(lfirst_oid(lp), AccessShareLock);
		AttrMap    *map;
		TableScanDesc scan;
		TupleTableSlot *slot;

		if (rel->rd_rel->relkind != RELKIND_RELATION)
		{
			table_close(rel, AccessShareLock);
			continue;
		}
		map = source_map_build(RelationGetDescr(rel), topdesc);
		scan = table_beginscan(rel, snap, 0, NULL);
		slot = table_slot_create(rel, NULL);
		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			slot_getallattrs(slot);
			old = MemoryContextSwitchTo(chunk_cxt);
			if (map == NULL)
				op_source_add(src, slot->tts_tupleDescriptor->natts, slot->tts_values,
							  slot->tts_isnull, 1);
			else
			{
				source_map_row(map, topdesc->natts, slot->tts_values, slot->tts_isnull,
							   mapped, mapnull);
				op_source_add(src, topdesc->natts, mapped, mapnull, 1);
			}
			MemoryContextSwitchTo(old);
			if (++n % chunk_rows == 0)
			{
				chunk(arg, n);
				CHECK_FOR_INTERRUPTS();
			}
		}
		ExecDropSingleTupleTableSlot(slot);
		table_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	table_close(top, AccessShareLock);
	return n;
}
