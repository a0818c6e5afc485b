/*
 * arrangement.c
 *	  Hash-indexed groups of weighted rows.
 *
 * Two chained hash tables share the entries: groups by key hash (probed by
 * joins and aggregates) and rows by row hash (so consolidating a change into
 * a large group costs O(1), not a walk of the group).  Hashes are computed
 * once, when a row or key enters.  Buckets double when the load passes 1.
 *
 * Memory: everything in arr->cxt.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "engine/arrangement.h"

#define INITIAL_BUCKETS 64

Arrangement *
arrangement_create(MemoryContext parent, const char *name, KeySpec *keys,
				   bool keep_rows)
{
	MemoryContext cxt = AllocSetContextCreateInternal(parent, name, ALLOCSET_DEFAULT_SIZES);
	Arrangement *arr = MemoryContextAllocZero(cxt, sizeof(Arrangement));

	arr->cxt = cxt;
	arr->keys = keys;
	arr->keep_rows = keep_rows;
	arr->ngroup_buckets = INITIAL_BUCKETS;
	arr->groups = MemoryContextAllocZero(cxt, sizeof(ArrGroup *) * INITIAL_BUCKETS);
	if (keep_rows)
	{
		arr->nrow_buckets = INITIAL_BUCKETS;
		arr->rows = MemoryContextAllocZero(cxt, sizeof(ArrRow *) * INITIAL_BUCKETS);
	}
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
grow_groups(Arrangement *arr)
{
	uint32		n = arr->ngroup_buckets * 2;
	ArrGroup  **b = MemoryContextAllocZero(arr->cxt, sizeof(ArrGroup *) * n);
	uint32		i;

	for (i = 0; i < arr->ngroup_buckets; i++)
	{
		ArrGroup   *g = arr->groups[i];

		while (g)
		{
			ArrGroup   *next = g->hash_next;

			g->hash_next = b[g->keyhash & (n - 1)];
			b[g->keyhash & (n - 1)] = g;
			g = next;
		}
	}
	pfree(arr->groups);
	arr->groups = b;
	arr->ngroup_buckets = n;
}

static void
grow_rows(Arrangement *arr)
{
	uint32		n = arr->nrow_buckets * 2;
	ArrRow	  **b = MemoryContextAllocHuge(arr->cxt, sizeof(ArrRow *) * n);
	uint32		i;

	memset(b, 0, sizeof(ArrRow *) * n);
	for (i = 0; i < arr->nrow_buckets; i++)
	{
		ArrRow	   *r = arr->rows[i];

		while (r)
		{
			ArrRow	   *next = r->hash_next;

			r->hash_next = b[r->rowhash & (n - 1)];
			b[r->rowhash & (n - 1)] = r;
			r = next;
		}
	}
	pfree(arr->rows);
	arr->rows = b;
	arr->nrow_buckets = n;
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
	ArrGroup   *g;
	MemoryContext old;

	for (g = arr->groups[keyhash & (arr->ngroup_buckets - 1)]; g; g = g->hash_next)
	{
		if (g->keyhash == keyhash && key_equal(arr->keys, g->key, values, isnull))
			return g;
	}
	if (!create)
		return NULL;

	if (arr->ngroups >= arr->ngroup_buckets)
		grow_groups(arr);
	old = MemoryContextSwitchTo(arr->cxt);
	g = palloc0(sizeof(ArrGroup));
	g->keyhash = keyhash;
	g->key = zrow_form(arr->keys->keydesc, values, isnull);
	MemoryContextSwitchTo(old);
	g->hash_next = arr->groups[keyhash & (arr->ngroup_buckets - 1)];
	arr->groups[keyhash & (arr->ngroup_buckets - 1)] = g;
	arr->ngroups++;
	touch(arr, g);
	return g;
}

static void
unlink_row(Arrangement *arr, ArrRow *r)
{
	ArrRow	  **p = &arr->rows[r->rowhash & (arr->nrow_buckets - 1)];
	ArrGroup   *g = r->group;

	while (*p != r)
		p = &(*p)->hash_next;
	*p = r->hash_next;
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

	group->weight += weight;
	touch(arr, group);
	if (!arr->keep_rows)
		return;

	h = zrow_hash(tup);
	for (r = arr->rows[h & (arr->nrow_buckets - 1)]; r; r = r->hash_next)
	{
		if (r->rowhash == h && r->group == group && zrow_equal(r->tup, tup))
		{
			r->weight += weight;
			if (r->weight == 0)
				unlink_row(arr, r);
			return;
		}
	}

	engine_memory_note(MAXALIGN(sizeof(ArrRow)) + tup->t_len);
	if (arr->nrows >= arr->nrow_buckets)
		grow_rows(arr);
	r = MemoryContextAlloc(arr->cxt, MAXALIGN(sizeof(ArrRow)) + tup->t_len);
	r->tup = (MinimalTuple) ((char *) r + MAXALIGN(sizeof(ArrRow)));
	memcpy(r->tup, tup, tup->t_len);
	r->rowhash = h;
	r->weight = weight;
	r->group = group;
	r->grp_prev = NULL;
	r->grp_next = group->rows;
	if (group->rows)
		group->rows->grp_prev = r;
	group->rows = r;
	group->nrows++;
	r->hash_next = arr->rows[h & (arr->nrow_buckets - 1)];
	arr->rows[h & (arr->nrow_buckets - 1)] = r;
	arr->nrows++;
}

/* Drop an empty group (its payload must already be freed by the caller). */
void
arrangement_remove_group(Arrangement *arr, ArrGroup *group)
{
	ArrGroup  **p = &arr->groups[group->keyhash & (arr->ngroup_buckets - 1)];

	Assert(group->rows == NULL);
	while (*p != group)
		p = &(*p)->hash_next;
	*p = group->hash_next;
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
