/*
 * arrangement.c
 *	  Hash-indexed groups of weighted rows.
 *
 * Two hash tables (lib/simplehash.h) point at the entries: groups by key
 * hash (probed by joins and aggregates) and rows by group and row hash (so
 * consolidating a change into a large group costs O(1), not a walk of the
 * group).  Hashes are computed once, when a row or key enters, and stored
 * in the tables.
 *
 * A lookup compares the stored entries with what the caller holds (key
 * values, or a group and a row) rather than with another entry: that probe
 * is put in the table's private_data for the length of the call, and the
 * key passed to simplehash is NULL.  Lookups do not nest.
 *
 * Memory: everything in arr->cxt.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "engine/arrangement.h"

#define INITIAL_BUCKETS 64

/* What a group lookup searches for: key values, or (same) one group. */
typedef struct GroupProbe
{
	KeySpec    *keys;
	Datum	   *values;
	bool	   *isnull;
	ArrGroup   *same;
} GroupProbe;

/* What a row lookup searches for: a row of a group. */
typedef struct RowProbe
{
	ArrGroup   *group;
	MinimalTuple tup;
} RowProbe;

typedef struct GroupEntry
{
	ArrGroup   *group;
	uint32		hash;
	char		status;
} GroupEntry;

typedef struct RowEntry
{
	ArrRow	   *row;
	uint32		hash;
	char		status;
} RowEntry;

static bool key_equal(KeySpec *keys, MinimalTuple stored, Datum *values, bool *isnull);
static inline bool group_matches(GroupProbe *p, ArrGroup *g);
static inline bool row_matches(RowProbe *p, ArrRow *r);

#define SH_PREFIX arr_groups
#define SH_ELEMENT_TYPE GroupEntry
#define SH_KEY_TYPE ArrGroup *
#define SH_KEY group
#define SH_HASH_KEY(tb, key) ((key)->keyhash)
#define SH_EQUAL(tb, a, b) group_matches((GroupProbe *) (tb)->private_data, (a))
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

#define SH_PREFIX arr_rows
#define SH_ELEMENT_TYPE RowEntry
#define SH_KEY_TYPE ArrRow *
#define SH_KEY row
#define SH_HASH_KEY(tb, key) ((key)->rowhash)
#define SH_EQUAL(tb, a, b) row_matches((RowProbe *) (tb)->private_data, (a))
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static inline bool
group_matches(GroupProbe *p, ArrGroup *g)
{
	if (p->same)
		return g == p->same;
	return key_equal(p->keys, g->key, p->values, p->isnull);
}

static inline bool
row_matches(RowProbe *p, ArrRow *r)
{
	return r->group == p->group && zrow_equal(r->tup, p->tup);
}

Arrangement *
arrangement_create(MemoryContext parent, const char *name, KeySpec *keys,
				   bool keep_rows)
{
	MemoryContext cxt = AllocSetContextCreateInternal(parent, name, ALLOCSET_DEFAULT_SIZES);
	Arrangement *arr = MemoryContextAllocZero(cxt, sizeof(Arrangement));

	arr->cxt = cxt;
	arr->keys = keys;
	arr->keep_rows = keep_rows;
	arr->groups = arr_groups_create(cxt, INITIAL_BUCKETS, NULL);
	if (keep_rows)
		arr->rows = arr_rows_create(cxt, INITIAL_BUCKETS, NULL);
	return arr;
}

/*
 * Hash key values with the key types' hash functions.  *hasnull tells the
 * caller whether any key is NULL (joins skip such rows).
 */
uint32
arrangement_key_hash(KeySpec *keys, Datum *values, bool *isnull, bool *hasnull)
{
	uint32		h = 0;
	int			i;

	*hasnull = false;
	for (i = 0; i < keys->nkeys; i++)
	{
		uint32		hk = 0;

		if (isnull[i])
			*hasnull = true;
		else
			hk = DatumGetUInt32(FunctionCall1Coll(&keys->hashfn[i],
												  keys->collations[i], values[i]));
		h = hash_combine(h, hk);
	}
	return h;
}

static bool
key_equal(KeySpec *keys, MinimalTuple stored, Datum *values, bool *isnull)
{
	HeapTupleData htup;
	int			i;

	htup.t_len = stored->t_len + MINIMAL_TUPLE_OFFSET;
	htup.t_data = (HeapTupleHeader) ((char *) stored - MINIMAL_TUPLE_OFFSET);
	for (i = 0; i < keys->nkeys; i++)
	{
		bool		snull;
		Datum		sval = heap_getattr(&htup, i + 1, keys->keydesc, &snull);

		if (snull || isnull[i])
		{
			if (snull && isnull[i] && keys->nulls_match)
				continue;
			return false;
		}
		if (!DatumGetBool(FunctionCall2Coll(&keys->eqfn[i], keys->collations[i],
											sval, values[i])))
			return false;
	}
	return true;
}

static void
touch(Arrangement *arr, ArrGroup *g)
{
	if (arr->track_touched && !g->touched)
	{
		g->touched = true;
		g->was_empty = (g->rows == NULL && g->weight == 0);
		g->touched_next = arr->touched;
		arr->touched = g;
	}
}

/*
 * Find the group for a key, creating it (with a copy of the key) if asked.
 * A created group is marked touched.
 */
ArrGroup *
arrangement_lookup(Arrangement *arr, uint32 keyhash, Datum *values, bool *isnull,
				   bool create)
{
	GroupProbe	probe = {arr->keys, values, isnull, NULL};
	GroupEntry *e;
	ArrGroup   *g;
	bool		found;
	MemoryContext old;

	arr->groups->private_data = &probe;
	e = arr_groups_lookup_hash(arr->groups, NULL, keyhash);
	if (e || !create)
		return e ? e->group : NULL;

	/* made before it enters: an error on the way leaves the table as it was */
	old = MemoryContextSwitchTo(arr->cxt);
	g = palloc0(sizeof(ArrGroup));
	g->keyhash = keyhash;
	g->key = zrow_form(arr->keys->keydesc, values, isnull);
	MemoryContextSwitchTo(old);
	probe.same = g;
	e = arr_groups_insert_hash(arr->groups, NULL, keyhash, &found);
	Assert(!found);
	e->group = g;
	arr->ngroups++;
	touch(arr, g);
	return g;
}

static void
unlink_row(Arrangement *arr, ArrRow *r)
{
	RowProbe	probe = {r->group, r->tup};
	ArrGroup   *g = r->group;
	RowEntry   *e;

	arr->rows->private_data = &probe;
	e = arr_rows_lookup_hash(arr->rows, NULL, r->rowhash);
	Assert(e != NULL && e->row == r);
	arr_rows_delete_item(arr->rows, e);
	if (r->grp_prev)
		r->grp_prev->grp_next = r->grp_next;
	else
		g->rows = r->grp_next;
	if (r->grp_next)
		r->grp_next->grp_prev = r->grp_prev;
	g->nrows--;
	arr->nrows--;
	pfree(r);
}

/*
 * Add weight to a row of a group.  When rows are kept, equal rows are
 * consolidated and a row whose weight reaches zero is dropped.
 */
void
arrangement_add(Arrangement *arr, ArrGroup *group, MinimalTuple tup, int64 weight)
{
	uint32		h;
	ArrRow	   *r;
	RowProbe	probe;
	RowEntry   *e;
	bool		found;

	group->weight += weight;
	touch(arr, group);
	if (!arr->keep_rows)
		return;

	h = zrow_hash(tup);
	probe.group = group;
	probe.tup = tup;
	arr->rows->private_data = &probe;
	e = arr_rows_lookup_hash(arr->rows, NULL, h);
	if (e)
	{
		r = e->row;
		r->weight += weight;
		if (r->weight == 0)
			unlink_row(arr, r);
		return;
	}

	engine_memory_note(MAXALIGN(sizeof(ArrRow)) + tup->t_len);
	if (tup->t_len >= ARR_WIDE_ROW)
	{
		/* a chunk limit below the row's size: its exact size, on its own */
		if (arr->widecxt == NULL)
			arr->widecxt = AllocSetContextCreate(arr->cxt, "pathway wide rows", 0,
												 8 * 1024, 8 * 1024);
		r = MemoryContextAlloc(arr->widecxt, MAXALIGN(sizeof(ArrRow)) + tup->t_len);
	}
	else
		r = MemoryContextAlloc(arr->cxt, MAXALIGN(sizeof(ArrRow)) + tup->t_len);
	r->tup = (MinimalTuple) ((char *) r + MAXALIGN(sizeof(ArrRow)));
	memcpy(r->tup, tup, tup->t_len);
	r->rowhash = h;
	r->weight = weight;
	r->group = group;
	/* entered once made (see arrangement_lookup); the probe cannot match it */
	probe.group = NULL;
	e = arr_rows_insert_hash(arr->rows, NULL, h, &found);
	Assert(!found);
	e->row = r;
	r->grp_prev = NULL;
	r->grp_next = group->rows;
	if (group->rows)
		group->rows->grp_prev = r;
	group->rows = r;
	group->nrows++;
	arr->nrows++;
}

/*
 * Drop a row with all its weight, between steps (the group stays, maybe
 * empty: the caller removes it).
 */
void
arrangement_forget_row(Arrangement *arr, ArrRow *row)
{
	row->group->weight -= row->weight;
	unlink_row(arr, row);
}

/* The entry of a row of a group (rows must be kept); NULL if it has none. */
ArrRow *
arrangement_find_row(Arrangement *arr, ArrGroup *group, MinimalTuple tup)
{
	RowProbe	probe = {group, tup};
	RowEntry   *e;

	Assert(arr->keep_rows);
	arr->rows->private_data = &probe;
	e = arr_rows_lookup_hash(arr->rows, NULL, zrow_hash(tup));
	return e ? e->row : NULL;
}

/* Drop an empty group (its payload must already be freed by the caller). */
void
arrangement_remove_group(Arrangement *arr, ArrGroup *group)
{
	GroupProbe	probe = {NULL, NULL, NULL, group};
	GroupEntry *e;

	Assert(group->rows == NULL);
	arr->groups->private_data = &probe;
	e = arr_groups_lookup_hash(arr->groups, NULL, group->keyhash);
	Assert(e != NULL);
	arr_groups_delete_item(arr->groups, e);
	arr->ngroups--;
	pfree(group->key);
	pfree(group);
}

/*
 * Forget the touched list.  Call after the operator has processed it, and
 * before removing groups, since removed groups must not stay on the list.
 */
void
arrangement_clear_touched(Arrangement *arr)
{
	ArrGroup   *g = arr->touched;

	while (g)
	{
		ArrGroup   *next = g->touched_next;

		g->touched = false;
		g->touched_next = NULL;
		g = next;
	}
	arr->touched = NULL;
}

Size
arrangement_bytes(Arrangement *arr)
{
	return MemoryContextMemAllocated(arr->cxt, true);
}

/* Every group, as a list (the caller may drop groups while walking it). */
List *
arrangement_groups(Arrangement *arr)
{
	List	   *groups = NIL;
	arr_groups_iterator it;
	GroupEntry *e;

	arr_groups_start_iterate(arr->groups, &it);
	while ((e = arr_groups_iterate(arr->groups, &it)) != NULL)
		groups = lappend(groups, e->group);
	return groups;
}

/*
 * Drop a group with its rows (state forgotten, not changes: nothing is
 * emitted); its payload must already be freed by the caller.
 */
void
arrangement_drop_group(Arrangement *arr, ArrGroup *group)
{
	while (group->rows)
		unlink_row(arr, group->rows);
	if (group->touched)
		elog(ERROR, "pathway: dropping a group changed in this step");
	arrangement_remove_group(arr, group);
}
