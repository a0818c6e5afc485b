/*
 * decoding.c
 *	  The extension's own logical decoding output plugin: its callbacks run
 *	  inside the engine worker, while table_source.c reads the slot.
 *
 * The slot's plugin is this very library, so LoadOutputPlugin finds it
 * already loaded and the callbacks below share the worker's globals: a
 * decoded row is deformed once and its watched columns are copied straight
 * into the worker's batch, with no text or binary round trip.
 *
 * Callbacks run under a historic snapshot, outside any transaction of the
 * worker (the reorder buffer starts its own to replay each transaction):
 * they only copy data.
 *
 * Partitioned tables: a change is decoded for its leaf partition.  A leaf
 * of a watched partitioned table (at any level) is routed: its row is
 * mapped by column name onto each watched ancestor (source_map_row) and
 * emitted as that ancestor's change.  Routes are found on first use
 * (relispartition is on the relation) and forgotten when the leaf's
 * relcache entry is invalidated (ATTACH, DETACH, ALTER), so partitions
 * created or attached later are followed too.
 *
 * Memory: the watch table and the routes live in TopMemoryContext for the
 * worker's life; decoded changes go to the batch context of the read.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/partition.h"
#include "catalog/pg_inherits.h"
#include "replication/logical.h"
#include "replication/origin.h"
#include "replication/output_plugin.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "connectors/decoding.h"
#include "connectors/source.h"

typedef struct WatchedRel
{
	Oid			relid;			/* hash key */
	int			natts;
	bool		need[MaxTupleAttributeNumber + 1];
} WatchedRel;

/* How a leaf partition's rows reach its watched ancestors. */
#define MAX_ROUTE_TARGETS 8
typedef struct PartRoute
{
	Oid			relid;			/* hash key: the leaf */
	int			ntargets;
	Oid			targets[MAX_ROUTE_TARGETS];
	TupleDesc	descs[MAX_ROUTE_TARGETS];
	AttrMap    *maps[MAX_ROUTE_TARGETS];	/* source_map_build's; NULL: the same layout */
} PartRoute;

static HTAB *watched = NULL;
static HTAB *routes = NULL;
static DecodingWants wants_change = NULL;

/* the read in progress (valid only between decoding_read_begin and _end) */
static bool reading = false;
static MemoryContext read_cxt = NULL;
static List *read_txns = NIL;
static DecodedTxn *read_current = NULL;
static int64 read_nchanges = 0;
static bool read_at_boundary = true;
static List *read_unfollowable = NIL;
static TransactionId *read_xids = NULL;
static int	read_nxids = 0;
static int	read_capxids = 0;

void		_PG_output_plugin_init(OutputPluginCallbacks *cb);
static void add_change(DecodedChange *c);

/* ---------- output plugin callbacks ---------- */

static void
plugin_startup(LogicalDecodingContext *ctx, OutputPluginOptions *opt, bool is_init)
{
	opt->output_type = OUTPUT_PLUGIN_BINARY_OUTPUT;
	opt->receive_rewrites = false;
}

static void
plugin_shutdown(LogicalDecodingContext *ctx)
{
}

static void
plugin_begin(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	MemoryContext old;

	if (!reading)
		return;
	old = MemoryContextSwitchTo(read_cxt);
	read_current = palloc0(sizeof(DecodedTxn));
	read_current->xid = txn->xid;
	MemoryContextSwitchTo(old);
	read_at_boundary = false;
}

static void
plugin_commit(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, XLogRecPtr commit_lsn)
{
	if (!reading)
		return;
	/* every committed transaction, watched or not: see table_source_read */
	if (read_nxids == read_capxids)
	{
		read_capxids = read_capxids ? read_capxids * 2 : 256;
		read_xids = read_xids ? repalloc(read_xids, sizeof(TransactionId) * read_capxids)
			: MemoryContextAlloc(read_cxt, sizeof(TransactionId) * read_capxids);
	}
	read_xids[read_nxids++] = txn->xid;
	if (read_current && read_current->changes != NIL)
	{
		MemoryContext old = MemoryContextSwitchTo(read_cxt);

		read_current->end_lsn = txn->end_lsn;
		read_txns = lappend(read_txns, read_current);
		MemoryContextSwitchTo(old);
	}
	read_current = NULL;
	read_at_boundary = true;
}

static void
note_unfollowable(Oid relid)
{
	MemoryContext old = MemoryContextSwitchTo(read_cxt);

	read_unfollowable = list_append_unique_oid(read_unfollowable, relid);
	MemoryContextSwitchTo(old);
}

/*
 * Copy a tuple's watched columns.  An unchanged TOASTed value of an UPDATE's
 * new tuple is an on-disk pointer; it equals the old tuple's value.
 */
static bool
copy_values(WatchedRel *w, TupleDesc desc, Datum *values, bool *isnull, Datum *oldvals,
			bool *oldnulls, DecodedChange *c)
{
	int			i;

	c->natts = desc->natts;
	c->values = palloc0(sizeof(Datum) * desc->natts);
	c->isnull = palloc(sizeof(bool) * desc->natts);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		c->isnull[i] = true;
		if (i + 1 > w->natts || !w->need[i + 1] || isnull[i] || att->attisdropped)
			continue;
		c->isnull[i] = false;
		if (att->attlen == -1 && VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(values[i])))
		{
			if (oldvals == NULL || oldnulls[i])
				return false;
			c->values[i] = oldvals[i];
		}
		else if (att->attlen == -1 && VARATT_IS_EXTERNAL(DatumGetPointer(values[i])))
			c->values[i] = PointerGetDatum(detoast_attr((struct varlena *) DatumGetPointer(values[i])));
		else
			c->values[i] = datumCopy(values[i], att->attbyval, att->attlen);
	}
	return true;
}

static bool
copy_tuple(WatchedRel *w, TupleDesc desc, HeapTuple tup, Datum *oldvals,
		   bool *oldnulls, DecodedChange *c)
{
	Datum		values[MaxTupleAttributeNumber];
	bool		isnull[MaxTupleAttributeNumber];

	heap_deform_tuple(tup, desc, values, isnull);
	return copy_values(w, desc, values, isnull, oldvals, oldnulls, c);
}

/*
 * A table's ancestors: a partition's, or an inheritance child's through
 * pg_inherits (read under the decoding's historic snapshot).
 */
static List *
ancestors_of(Relation rel)
{
	List	   *result = NIL;
	List	   *todo;
	Relation	inh;

	if (rel->rd_rel->relispartition)
		return get_partition_ancestors(RelationGetRelid(rel));
	inh = table_open(InheritsRelationId, AccessShareLock);
	todo = list_make1_oid(RelationGetRelid(rel));
	while (todo != NIL)
	{
		Oid			child = linitial_oid(todo);
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tup;

		todo = list_delete_first(todo);
		ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(child));
		scan = systable_beginscan(inh, InheritsRelidSeqnoIndexId, true, NULL, 1, &key);
		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			Oid			parent = ((Form_pg_inherits) GETSTRUCT(tup))->inhparent;

			if (!list_member_oid(result, parent))
			{
				result = lappend_oid(result, parent);
				todo = lappend_oid(todo, parent);
			}
		}
		systable_endscan(scan);
	}
	table_close(inh, AccessShareLock);
	return result;
}

/* The route of a partition or inheritance child to its watched ancestors (found once). */
static PartRoute *
route_for(Relation leaf)
{
	Oid			relid = RelationGetRelid(leaf);
	PartRoute  *r = hash_search(routes, &relid, HASH_FIND, NULL);
	PartRoute	built;
	List	   *ancestors;
	ListCell   *lc;
	MemoryContext old;

	if (r)
		return r;
	/* built aside: catalog reads below may run the invalidation callback */
	r = &built;
	r->relid = relid;
	r->ntargets = 0;
	old = MemoryContextSwitchTo(TopMemoryContext);
	ancestors = ancestors_of(leaf);
	foreach(lc, ancestors)
	{
		Oid			a = lfirst_oid(lc);
		Relation	arel;

		if (r->ntargets == MAX_ROUTE_TARGETS ||
			hash_search(watched, &a, HASH_FIND, NULL) == NULL)
			continue;
		arel = RelationIdGetRelation(a);
		if (!RelationIsValid(arel))
			continue;
		r->targets[r->ntargets] = a;
		r->descs[r->ntargets] = CreateTupleDescCopy(RelationGetDescr(arel));
		r->maps[r->ntargets] = source_map_build(RelationGetDescr(leaf), RelationGetDescr(arel));
		r->ntargets++;
		RelationClose(arel);
	}
	list_free(ancestors);
	MemoryContextSwitchTo(old);
	r = hash_search(routes, &relid, HASH_ENTER, NULL);
	*r = built;
	return r;
}

/* A leaf's row, laid out as the ancestor's. */
static void
map_row(TupleDesc leafdesc, HeapTuple tup, PartRoute *r, int t, Datum *values, bool *isnull)
{
	Datum		lv[MaxTupleAttributeNumber];
	bool		ln[MaxTupleAttributeNumber];

	heap_deform_tuple(tup, leafdesc, lv, ln);
	source_map_row(r->maps[t], r->descs[t]->natts, lv, ln, values, isnull);
}

/* The leaf's change, as a change of each watched partitioned ancestor. */
static void
route_change(Relation leaf, ReorderBufferTXN *txn, HeapTuple oldtup, HeapTuple newtup,
			 bool old_missing)
{
	PartRoute	route;
	PartRoute  *r = route_for(leaf);
	int			t;

	/* most tables have no watched ancestor: nothing to copy */
	if (r->ntargets == 0)
		return;
	route = *r;					/* a copy: see route_for */
	r = &route;

	for (t = 0; t < r->ntargets; t++)
	{
		Oid			target = r->targets[t];
		WatchedRel *w = hash_search(watched, &target, HASH_FIND, NULL);
		Datum		values[MaxTupleAttributeNumber];
		bool		isnull[MaxTupleAttributeNumber];
		DecodedChange *oldc = NULL,
				   *newc;
		MemoryContext old;

		if (w == NULL || (wants_change && !wants_change(target, txn->xid)))
			continue;
		if (old_missing)
		{
			note_unfollowable(target);
			continue;
		}
		old = MemoryContextSwitchTo(read_cxt);
		if (oldtup)
		{
			map_row(RelationGetDescr(leaf), oldtup, r, t, values, isnull);
			oldc = palloc0(sizeof(DecodedChange));
			oldc->relid = target;
			oldc->routed = true;
			oldc->weight = -1;
			if (!copy_values(w, r->descs[t], values, isnull, NULL, NULL, oldc))
				note_unfollowable(target);
			add_change(oldc);
		}
		if (newtup)
		{
			map_row(RelationGetDescr(leaf), newtup, r, t, values, isnull);
			newc = palloc0(sizeof(DecodedChange));
			newc->relid = target;
			newc->routed = true;
			newc->weight = 1;
			if (!copy_values(w, r->descs[t], values, isnull, oldc ? oldc->values : NULL,
							 oldc ? oldc->isnull : NULL, newc))
				note_unfollowable(target);
			add_change(newc);
		}
		MemoryContextSwitchTo(old);
	}
}

/* A leaf's relcache entry changed (attached, detached, altered): find its route again. */
static void
route_invalidate(Datum arg, Oid relid)
{
	if (routes == NULL)
		return;
	if (OidIsValid(relid))
		hash_search(routes, &relid, HASH_REMOVE, NULL);
	else
	{
		HASH_SEQ_STATUS seq;
		PartRoute  *r;

		hash_seq_init(&seq, routes);
		while ((r = hash_seq_search(&seq)) != NULL)
			hash_search(routes, &r->relid, HASH_REMOVE, NULL);
	}
}

/*
 * Could this table be an inheritance child of a watched table?  Its route
 * is looked up once (pg_inherits) and cached until its relcache entry is
 * invalidated, as ALTER TABLE ... INHERIT does.
 */
static bool
may_inherit(Relation rel)
{
	return !rel->rd_rel->relispartition && rel->rd_rel->relkind == RELKIND_RELATION;
}

static void
add_change(DecodedChange *c)
{
	read_current->changes = lappend(read_current->changes, c);
	read_nchanges++;
}

static void
plugin_change(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			  Relation relation, ReorderBufferChange *change)
{
	Oid			relid = RelationGetRelid(relation);
	WatchedRel *w;
	TupleDesc	desc = RelationGetDescr(relation);
	MemoryContext old;
	DecodedChange *oldc = NULL,
			   *newc = NULL;
	HeapTuple	oldtup = NULL,
				newtup = NULL;

	if (!reading || read_current == NULL)
		return;

	switch (change->action)
	{
		case REORDER_BUFFER_CHANGE_INSERT:
			newtup = change->data.tp.newtuple ? &change->data.tp.newtuple->tuple : NULL;
			break;
		case REORDER_BUFFER_CHANGE_UPDATE:
			oldtup = change->data.tp.oldtuple ? &change->data.tp.oldtuple->tuple : NULL;
			newtup = change->data.tp.newtuple ? &change->data.tp.newtuple->tuple : NULL;
			break;
		case REORDER_BUFFER_CHANGE_DELETE:
			oldtup = change->data.tp.oldtuple ? &change->data.tp.oldtuple->tuple : NULL;
			break;
		default:
			return;
	}
	/*
	 * Without REPLICA IDENTITY FULL (in the catalog as of this change) an
	 * old row holds the key columns only, the others NULL: as good as none.
	 * DDL that changes it on a source is refused, but not in replica mode.
	 */
	if (oldtup && relation->rd_rel->relreplident != REPLICA_IDENTITY_FULL)
		oldtup = NULL;
	/* a partition's (or an inheritance child's) rows also belong to its watched ancestors */
	if (relation->rd_rel->relispartition || may_inherit(relation))
		route_change(relation, txn, oldtup, newtup,
					 change->action != REORDER_BUFFER_CHANGE_INSERT && oldtup == NULL);

	w = hash_search(watched, &relid, HASH_FIND, NULL);
	if (w == NULL)
		return;
	/* e.g. a transaction that every view reading the table already holds */
	if (wants_change && !wants_change(relid, txn->xid))
		return;
	if (change->action != REORDER_BUFFER_CHANGE_INSERT && oldtup == NULL)
	{
		note_unfollowable(relid);
		return;
	}

	old = MemoryContextSwitchTo(read_cxt);
	if (oldtup)
	{
		oldc = palloc0(sizeof(DecodedChange));
		oldc->relid = relid;
		oldc->weight = -1;
		if (!copy_tuple(w, desc, oldtup, NULL, NULL, oldc))
			note_unfollowable(relid);
		add_change(oldc);
	}
	if (newtup)
	{
		newc = palloc0(sizeof(DecodedChange));
		newc->relid = relid;
		newc->weight = 1;
		if (!copy_tuple(w, desc, newtup, oldc ? oldc->values : NULL,
						oldc ? oldc->isnull : NULL, newc))
			note_unfollowable(relid);
		add_change(newc);
	}
	MemoryContextSwitchTo(old);
}

static void
plugin_truncate(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, int nrelations,
				Relation relations[], ReorderBufferChange *change)
{
	int			i;

	if (!reading || read_current == NULL)
		return;
	for (i = 0; i < nrelations; i++)
	{
		Oid			relid = RelationGetRelid(relations[i]);

		if (hash_search(watched, &relid, HASH_FIND, NULL))
			note_unfollowable(relid);
		if (relations[i]->rd_rel->relispartition || may_inherit(relations[i]))
		{
			PartRoute  *r = route_for(relations[i]);
			int			t;

			for (t = 0; t < r->ntargets; t++)
				note_unfollowable(r->targets[t]);
		}
	}
}

static bool
plugin_filter_origin(LogicalDecodingContext *ctx, RepOriginId origin_id)
{
	/* our own writes (view tables, catalog) are never sources */
	return origin_id != InvalidRepOriginId &&
		origin_id == replorigin_session_origin;
}

void
_PG_output_plugin_init(OutputPluginCallbacks *cb)
{
	cb->startup_cb = plugin_startup;
	cb->begin_cb = plugin_begin;
	cb->change_cb = plugin_change;
	cb->truncate_cb = plugin_truncate;
	cb->commit_cb = plugin_commit;
	cb->filter_by_origin_cb = plugin_filter_origin;
	cb->shutdown_cb = plugin_shutdown;
}

/* ---------- the table source's side ---------- */

/* The watch table and the routes, for the worker's life. */
void
decoding_init(void)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	HASHCTL		hctl;

	memset(&hctl, 0, sizeof(hctl));
	hctl.keysize = sizeof(Oid);
	hctl.entrysize = sizeof(WatchedRel);
	hctl.hcxt = TopMemoryContext;
	watched = hash_create("pathway watched tables", 64, &hctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	hctl.entrysize = sizeof(PartRoute);
	routes = hash_create("pathway partition routes", 64, &hctl,
						 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(route_invalidate, (Datum) 0);
	MemoryContextSwitchTo(old);
}

void
decoding_set_filter(DecodingWants wants)
{
	wants_change = wants;
}

void
decoding_watch(Oid relid, AttrNumber attno)
{
	bool		found;
	WatchedRel *w = hash_search(watched, &relid, HASH_ENTER, &found);

	if (!found)
	{
		memset(w->need, 0, sizeof(w->need));
		w->natts = 0;
	}
	if (attno > 0)
	{
		w->need[attno] = true;
		w->natts = Max(w->natts, attno);
	}
}

void
decoding_unwatch_all(void)
{
	HASH_SEQ_STATUS seq;
	WatchedRel *w;

	hash_seq_init(&seq, watched);
	while ((w = hash_seq_search(&seq)) != NULL)
		hash_search(watched, &w->relid, HASH_REMOVE, NULL);
	/* routes name watched ancestors: find them again */
	route_invalidate((Datum) 0, InvalidOid);
}

/* Start collecting decoded transactions into batchcxt. */
void
decoding_read_begin(MemoryContext batchcxt)
{
	reading = true;
	read_cxt = batchcxt;
	read_txns = NIL;
	read_current = NULL;
	read_nchanges = 0;
	read_at_boundary = true;
	read_unfollowable = NIL;
	read_xids = NULL;
	read_nxids = read_capxids = 0;
}

/* At a transaction boundary with max_changes collected: time to stop. */
bool
decoding_read_full(int max_changes)
{
	return read_nchanges >= max_changes && read_at_boundary;
}

/* Stop collecting (also on error). */
void
decoding_read_stop(void)
{
	reading = false;
}

/* What the read collected (see table_source_read). */
void
decoding_read_end(List **txns, List **unfollowable, TransactionId **xids, int *nxids)
{
	*txns = read_txns;
	*xids = read_xids;
	*nxids = read_nxids;
	*unfollowable = read_unfollowable;
	read_txns = NIL;
	read_unfollowable = NIL;
}
