/*
 * writer.c
 *	  Apply a view's changes to its table.
 *
 * The writer remembers, for each distinct row of the view's table, the TIDs
 * of its copies.  A batch of changes is consolidated, deletions and
 * insertions with the same key become in-place UPDATEs (for views with a
 * key), and everything goes through ExecSimpleRelationInsert/Update/Delete,
 * the path of the logical replication apply worker: the table AM, the
 * indexes, constraints and row triggers, with no SQL and no index lookup.
 *
 * Adoption reconciles instead: the table is scanned, matched row by row
 * against the engine's full result, and only the difference is written.
 *
 * TIDs are only valid for one relfilenode; writer_valid tells the caller
 * when the table was rewritten (VACUUM FULL, CLUSTER) so that it re-adopts.
 *
 * The rows are found by content in a simplehash table (lib/simplehash.h)
 * keyed by the row's bytes, with its hash stored (rows are canonical, see
 * engine/row.h).
 *
 * The rows written (+1 inserted, -1 deleted, both for an update) go into the
 * caller's batch when it passes one (sinks publish them).
 *
 * Memory: OutRows and the table in w->cxt; batches and scans in the
 * caller's context.
 */
#include "postgres.h"

#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "connectors/writer.h"

struct OutRow
{
	int			ntids;
	int			cap;			/* of more; 0 while one copy fits in 'first' */
	ItemPointerData first;		/* most rows have one copy: no array */
	ItemPointerData *more;
	MinimalTuple tup;			/* allocated together with the entry */
};

/* The table's rows by content. */
typedef struct OutRowEntry
{
	MinimalTuple tup;			/* the key: o->tup */
	OutRow	   *o;
	uint32		hash;
	char		status;
} OutRowEntry;

#define SH_PREFIX outrows
#define SH_ELEMENT_TYPE OutRowEntry
#define SH_KEY_TYPE MinimalTuple
#define SH_KEY tup
#define SH_HASH_KEY(tb, key) zrow_hash(key)
#define SH_EQUAL(tb, a, b) zrow_equal(a, b)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

#define INITIAL_ROWS 1024

typedef struct Apply
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	EPQState	epq;
	TupleTableSlot *newslot;
	TupleTableSlot *oldslot;
} Apply;

ViewWriter *
writer_create(MemoryContext parent, Oid relid, TupleDesc desc, int nkeycols,
			  AttrNumber *keycols)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "pathway view rows",
											  ALLOCSET_DEFAULT_SIZES);
	/* not in cxt: reconciling resets cxt */
	ViewWriter *w = MemoryContextAllocZero(parent, sizeof(ViewWriter));

	w->cxt = cxt;
	w->relid = relid;
	w->desc = desc;
	w->nkeycols = nkeycols;
	w->keycols = keycols;
	w->rows = outrows_create(cxt, INITIAL_ROWS, NULL);
	return w;
}

static void
store_add(ViewWriter *w, MinimalTuple tup, uint32 h, ItemPointer tid)
{
	bool		found;
	OutRowEntry *e = outrows_insert_hash(w->rows, tup, h, &found);
	OutRow	   *o;

	if (!found)
	{
		engine_memory_note(MAXALIGN(sizeof(OutRow)) + tup->t_len);
		o = MemoryContextAllocZero(w->cxt, MAXALIGN(sizeof(OutRow)) + tup->t_len);
		o->tup = (MinimalTuple) ((char *) o + MAXALIGN(sizeof(OutRow)));
		memcpy(o->tup, tup, tup->t_len);
		e->tup = o->tup;		/* the key must outlive the caller's tuple */
		e->o = o;
	}
	o = e->o;
	if (o->ntids == 0)
		o->first = *tid;
	else
	{
		if (o->ntids - 1 == o->cap)
		{
			o->cap = o->cap ? o->cap * 2 : 2;
			o->more = o->more ? repalloc(o->more, sizeof(ItemPointerData) * o->cap)
				: MemoryContextAlloc(w->cxt, sizeof(ItemPointerData) * o->cap);
		}
		o->more[o->ntids - 1] = *tid;
	}
	o->ntids++;
	w->nrows++;
}

/* Take one TID of a row out of the store. */
static bool
store_take(ViewWriter *w, MinimalTuple tup, uint32 h, ItemPointer tid)
{
	OutRowEntry *e = outrows_lookup_hash(w->rows, tup, h);
	OutRow	   *o;

	if (e == NULL || e->o->ntids == 0)
		return false;
	o = e->o;
	--o->ntids;
	*tid = o->ntids == 0 ? o->first : o->more[o->ntids - 1];
	w->nrows--;
	if (o->ntids == 0)
	{
		outrows_delete_item(w->rows, e);
		if (o->more)
			pfree(o->more);
		pfree(o);
	}
	return true;
}

static void
apply_begin(Apply *a, ViewWriter *w)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);

	a->rel = table_open(w->relid, RowExclusiveLock);
	a->estate = CreateExecutorState();
	rte->rtekind = RTE_RELATION;
	rte->relid = w->relid;
	rte->relkind = RELKIND_RELATION;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(a->estate, list_make1(rte));
	a->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(a->rri, a->rel, 1, NULL, 0);
	a->estate->es_output_cid = GetCurrentCommandId(true);
	a->estate->es_snapshot = GetActiveSnapshot();
	ExecOpenIndices(a->rri, false);
	EvalPlanQualInit(&a->epq, a->estate, NULL, NIL, -1);
	/* users may put AFTER row triggers on a view's table */
	AfterTriggerBeginQuery();
	a->newslot = MakeSingleTupleTableSlot(RelationGetDescr(a->rel), &TTSOpsMinimalTuple);
	a->oldslot = table_slot_create(a->rel, NULL);
	if (RelationGetDescr(a->rel)->natts != w->desc->natts)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("table of view \"%s\" no longer matches its query",
						RelationGetRelationName(a->rel)),
				 errhint("Drop the view with pathway.drop_view() and create it again.")));
}

static void
apply_end(Apply *a, ViewWriter *w)
{
	AfterTriggerEndQuery(a->estate);
	/* the AFTER triggers' queue opened the table once more: close it */
	ExecCloseResultRelations(a->estate);
	ExecDropSingleTupleTableSlot(a->newslot);
	ExecDropSingleTupleTableSlot(a->oldslot);
	EvalPlanQualEnd(&a->epq);
	ExecCloseIndices(a->rri);
	ExecResetTupleTable(a->estate->es_tupleTable, false);
	FreeExecutorState(a->estate);
	w->relfilenode = a->rel->rd_node.relNode;
	table_close(a->rel, NoLock);
}

static void
fetch_old(Apply *a, ItemPointer tid)
{
	if (!table_tuple_fetch_row_version(a->rel, tid, SnapshotAny, a->oldslot))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("row of view \"%s\" disappeared", RelationGetRelationName(a->rel)),
				 errdetail("The view will be rebuilt from its sources.")));
}

static void
do_insert(Apply *a, ViewWriter *w, MinimalTuple tup, uint32 h, ZBatch *written)
{
	ExecStoreMinimalTuple(tup, a->newslot, false);
	ExecSimpleRelationInsert(a->rri, a->estate, a->newslot);
	store_add(w, tup, h, &a->newslot->tts_tid);
	w->written++;
	if (written)
		zbatch_add(written, tup, 1);
}

static void
do_delete(Apply *a, ViewWriter *w, MinimalTuple tup, uint32 h, ZBatch *written)
{
	ItemPointerData tid;

	if (!store_take(w, tup, h, &tid))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("row to delete is not in view \"%s\"", RelationGetRelationName(a->rel)),
				 errdetail("The view will be rebuilt from its sources.")));
	fetch_old(a, &tid);
	ExecSimpleRelationDelete(a->rri, a->estate, &a->epq, a->oldslot);
	w->written++;
	if (written)
		zbatch_add(written, tup, -1);
}

static void
do_update(Apply *a, ViewWriter *w, MinimalTuple oldtup, uint32 oldh,
		  MinimalTuple newtup, uint32 newh, ZBatch *written)
{
	ItemPointerData tid;

	if (!store_take(w, oldtup, oldh, &tid))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("row to update is not in view \"%s\"", RelationGetRelationName(a->rel)),
				 errdetail("The view will be rebuilt from its sources.")));
	fetch_old(a, &tid);
	ExecStoreMinimalTuple(newtup, a->newslot, false);
	ExecSimpleRelationUpdate(a->rri, a->estate, &a->epq, a->oldslot, a->newslot);
	store_add(w, newtup, newh, &a->newslot->tts_tid);
	w->written++;
	if (written)
	{
		zbatch_add(written, oldtup, -1);
		zbatch_add(written, newtup, 1);
	}
}

/* Consolidated change: a distinct row and its net weight. */
typedef struct Net
{
	MinimalTuple tup;
	uint32		hash;
	int64		weight;
	uint32		keyhash;
	MinimalTuple key;
	bool		paired;
	struct Net *next;
} Net;

static int
consolidate(ZBatch *batch, Net ***out)
{
	uint32		nb = 64;
	Net		  **b;
	Net		  **list;
	int			n = 0,
				i;

	while (nb < (uint32) batch->n * 2)
		nb *= 2;
	b = palloc0(sizeof(Net *) * nb);
	list = palloc(sizeof(Net *) * (batch->n + 1));
	for (i = 0; i < batch->n; i++)
	{
		MinimalTuple t = batch->rows[i].tup;
		uint32		h = zrow_hash(t);
		Net		   *e;

		for (e = b[h & (nb - 1)]; e; e = e->next)
			if (e->hash == h && zrow_equal(e->tup, t))
				break;
		if (e == NULL)
		{
			e = palloc0(sizeof(Net));
			e->tup = t;
			e->hash = h;
			e->next = b[h & (nb - 1)];
			b[h & (nb - 1)] = e;
			list[n++] = e;
		}
		e->weight += batch->rows[i].weight;
	}
	*out = list;
	return n;
}

static MinimalTuple
key_of(ViewWriter *w, TupleTableSlot *slot, MinimalTuple tup, TupleDesc keydesc)
{
	Datum		v[INDEX_MAX_KEYS];
	bool		n[INDEX_MAX_KEYS];
	int			i;

	ExecStoreMinimalTuple(tup, slot, false);
	slot_getallattrs(slot);
	for (i = 0; i < w->nkeycols; i++)
	{
		v[i] = slot->tts_values[w->keycols[i] - 1];
		n[i] = slot->tts_isnull[w->keycols[i] - 1];
	}
	return heap_form_minimal_tuple(keydesc, v, n);
}

/* Apply delta; the rows written go into written (if not NULL). */
void
writer_apply_rows(ViewWriter *w, ZBatch *delta, ZBatch *written)
{
	Net		  **net;
	int			n,
				i;
	Apply		a;

	if (delta->n == 0)
		return;
	n = consolidate(delta, &net);
	apply_begin(&a, w);

	/* pair a deleted and an inserted row with the same key: an UPDATE */
	if (w->nkeycols > 0)
	{
		TupleDesc	keydesc = CreateTemplateTupleDesc(w->nkeycols);
		TupleTableSlot *slot = MakeSingleTupleTableSlot(w->desc, &TTSOpsMinimalTuple);
		uint32		nb = 64;
		Net		  **b;

		for (i = 0; i < w->nkeycols; i++)
			TupleDescCopyEntry(keydesc, i + 1, w->desc, w->keycols[i]);
		while (nb < (uint32) n * 2)
			nb *= 2;
		b = palloc0(sizeof(Net *) * nb);
		for (i = 0; i < n; i++)
		{
			Net		   *e = net[i];

			e->next = NULL;
			if (e->weight != -1)
				continue;
			e->key = key_of(w, slot, e->tup, keydesc);
			e->keyhash = zrow_hash(e->key);
			e->next = b[e->keyhash & (nb - 1)];
			b[e->keyhash & (nb - 1)] = e;
		}
		for (i = 0; i < n; i++)
		{
			Net		   *e = net[i];
			MinimalTuple k;
			uint32		kh;
			Net		   *d;

			if (e->weight != 1)
				continue;
			k = key_of(w, slot, e->tup, keydesc);
			kh = zrow_hash(k);
			for (d = b[kh & (nb - 1)]; d; d = d->next)
			{
				if (!d->paired && d->keyhash == kh && zrow_equal(d->key, k))
				{
					do_update(&a, w, d->tup, d->hash, e->tup, e->hash, written);
					d->paired = e->paired = true;
					break;
				}
			}
		}
		ExecDropSingleTupleTableSlot(slot);
	}

	for (i = 0; i < n; i++)
	{
		int64		k;

		if (net[i]->paired)
			continue;
		for (k = 0; k < -net[i]->weight; k++)
			do_delete(&a, w, net[i]->tup, net[i]->hash, written);
	}
	for (i = 0; i < n; i++)
	{
		int64		k;

		if (net[i]->paired)
			continue;
		for (k = 0; k < net[i]->weight; k++)
			do_insert(&a, w, net[i]->tup, net[i]->hash, written);
	}
	apply_end(&a, w);
}

/*
 * Make the table hold exactly 'target' (the engine's full result), writing
 * only the difference, and learn the TIDs of every row.
 */
void
writer_reconcile_rows(ViewWriter *w, ZBatch *target, ZBatch *written)
{
	Apply		a;
	TableScanDesc scan;
	TupleTableSlot *slot;
	ViewWriter *actual;
	Net		  **net;
	int			n,
				i;
	outrows_iterator it;
	OutRowEntry *e;
	ZBatch		missing;

	/* forget what we knew: the table is the truth */
	MemoryContextReset(w->cxt);
	w->rows = outrows_create(w->cxt, INITIAL_ROWS, NULL);
	w->nrows = 0;
	actual = writer_create(CurrentMemoryContext, w->relid, w->desc, 0, NULL);

	apply_begin(&a, w);
	slot = table_slot_create(a.rel, NULL);
	scan = table_beginscan(a.rel, GetActiveSnapshot(), 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		MinimalTuple t;

		slot_getallattrs(slot);
		/* a final window's row stays as it is, unmatched and unremembered */
		if (w->settled &&
			w->settled(w->settled_arg, slot->tts_values[w->settled_col],
					   slot->tts_isnull[w->settled_col], true))
			continue;
		t = zrow_form(w->desc, slot->tts_values, slot->tts_isnull);
		store_add(actual, t, zrow_hash(t), &slot->tts_tid);
		pfree(t);
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);

	/* keep matching copies; delete the rest before inserting what is missing,
	 * so that a row replaced under the same key never trips a unique index */
	n = consolidate(target, &net);
	zbatch_init(&missing);
	for (i = 0; i < n; i++)
	{
		int64		k;
		ItemPointerData tid;

		if (net[i]->weight < 0)
			elog(ERROR, "pathway: negative weight in the result of a view");
		for (k = 0; k < net[i]->weight; k++)
		{
			if (store_take(actual, net[i]->tup, net[i]->hash, &tid))
				store_add(w, net[i]->tup, net[i]->hash, &tid);
			else
				zbatch_add(&missing, net[i]->tup, 1);
		}
	}
	outrows_start_iterate(actual->rows, &it);
	while ((e = outrows_iterate(actual->rows, &it)) != NULL)
	{
		OutRow	   *o = e->o;
		int			k;

		for (k = 0; k < o->ntids; k++)
		{
			fetch_old(&a, k == 0 ? &o->first : &o->more[k - 1]);
			ExecSimpleRelationDelete(a.rri, a.estate, &a.epq, a.oldslot);
			w->written++;
			if (written)
				zbatch_add(written, heap_copy_minimal_tuple(o->tup), -1);
		}
	}
	for (i = 0; i < missing.n; i++)
		do_insert(&a, w, missing.rows[i].tup, zrow_hash(missing.rows[i].tup), written);
	apply_end(&a, w);
	MemoryContextDelete(actual->cxt);
	pfree(actual);
}

/* False when the table was rewritten since we learned its TIDs. */
bool
writer_valid(ViewWriter *w)
{
	Relation	rel = table_open(w->relid, AccessShareLock);
	bool		valid = (rel->rd_node.relNode == w->relfilenode);

	table_close(rel, AccessShareLock);
	return valid;
}

/* Memory held to find the table's rows: part of the view's state. */
Size
writer_bytes(ViewWriter *w)
{
	return MemoryContextMemAllocated(w->cxt, true);
}

/*
 * Forget the rows of final windows (a windowed view): the engine never
 * changes them again, so their TIDs need not stay in memory.
 */
void
writer_forget_settled(ViewWriter *w)
{
	outrows_iterator it;
	OutRowEntry *e;

	if (w->settled == NULL)
		return;
	outrows_start_iterate(w->rows, &it);
	while ((e = outrows_iterate(w->rows, &it)) != NULL)
	{
		OutRow	   *o = e->o;
		bool		isnull;
		Datum		d = zrow_getattr(o->tup, w->desc, w->settled_col + 1, &isnull);

		if (!w->settled(w->settled_arg, d, isnull, false))
			continue;
		w->nrows -= o->ntids;
		outrows_delete_item(w->rows, e);
		if (o->more)
			pfree(o->more);
		pfree(o);
	}
}
