/*
 * row.c
 *	  Canonical rows and Z-set batches.
 *
 * Memory: zrow_form allocates in CurrentMemoryContext; a ZBatch grows its
 * array in the context that was current at zbatch_init.  Rows added count
 * towards the memory watch (row.h).
 */
#include "postgres.h"

#include "access/detoast.h"
#include "common/hashfn.h"
#include "utils/memutils.h"

#include "engine/row.h"

/* Bytes of a minimal tuple that carry its value (header padding excluded). */
#define ROW_DATA(t) ((const unsigned char *) (t) + offsetof(MinimalTupleData, t_infomask2))
#define ROW_LEN(t) ((t)->t_len - offsetof(MinimalTupleData, t_infomask2))

EngineMemoryHook engine_memory_hook = NULL;
int64		engine_memory_countdown = ENGINE_MEMORY_TICK;

/* About ENGINE_MEMORY_TICK bytes of rows were taken since the last call. */
void
engine_memory_tick(void)
{
	engine_memory_countdown = ENGINE_MEMORY_TICK;
	if (engine_memory_hook)
		engine_memory_hook();
}

void
zbatch_init(ZBatch *batch)
{
	batch->rows = NULL;
	batch->n = 0;
	batch->cap = 0;
}

void
zbatch_add(ZBatch *batch, MinimalTuple tup, int64 weight)
{
	if (weight == 0)
		return;
	engine_memory_note(sizeof(ZRow) + tup->t_len);
	if (batch->n == batch->cap)
	{
		batch->cap = batch->cap ? batch->cap * 2 : 64;
		if (batch->rows)
			batch->rows = repalloc_huge(batch->rows, sizeof(ZRow) * batch->cap);
		else
			batch->rows = MemoryContextAllocHuge(CurrentMemoryContext,
												 sizeof(ZRow) * batch->cap);
	}
	batch->rows[batch->n].tup = tup;
	batch->rows[batch->n].weight = weight;
	batch->n++;
}

void
zbatch_reset(ZBatch *batch)
{
	zbatch_init(batch);
}

/*
 * Form a row in canonical form.  Varlenas are flattened (external, indirect
 * and compressed values are expanded) so equal values have equal bytes.
 */
MinimalTuple
zrow_form(TupleDesc desc, Datum *values, bool *isnull)
{
	Datum		local[MaxTupleAttributeNumber];
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		local[i] = values[i];
		if (!isnull[i] && att->attlen == -1 &&
			(VARATT_IS_EXTERNAL(DatumGetPointer(values[i])) ||
			 VARATT_IS_COMPRESSED(DatumGetPointer(values[i]))))
			local[i] = PointerGetDatum(detoast_attr((struct varlena *) DatumGetPointer(values[i])));
	}
	return heap_form_minimal_tuple(desc, local, isnull);
}

uint32
zrow_hash(MinimalTuple tup)
{
	return hash_bytes(ROW_DATA(tup), ROW_LEN(tup));
}

bool
zrow_equal(MinimalTuple a, MinimalTuple b)
{
	return a->t_len == b->t_len && memcmp(ROW_DATA(a), ROW_DATA(b), ROW_LEN(a)) == 0;
}

/* A total order on rows (by their bytes): the same for equal rows, always. */
int
zrow_compare(MinimalTuple a, MinimalTuple b)
{
	uint32		la = ROW_LEN(a);
	uint32		lb = ROW_LEN(b);
	int			c = memcmp(ROW_DATA(a), ROW_DATA(b), Min(la, lb));

	if (c != 0)
		return c;
	return la < lb ? -1 : (la > lb ? 1 : 0);
}

/* One column (1-based) of a row, without forming a slot. */
Datum
zrow_getattr(MinimalTuple tup, TupleDesc desc, int attno, bool *isnull)
{
	HeapTupleData htup;

	htup.t_len = tup->t_len + MINIMAL_TUPLE_OFFSET;
	htup.t_data = (HeapTupleHeader) ((char *) tup - MINIMAL_TUPLE_OFFSET);
	ItemPointerSetInvalid(&htup.t_self);
	htup.t_tableOid = InvalidOid;
	return heap_getattr(&htup, attno, desc, isnull);
}

static int
zrow_cmp_qsort(const void *a, const void *b)
{
	const ZRow *x = a;
	const ZRow *y = b;

	return zrow_compare(x->tup, y->tup);
}

/* Sum the weights of equal rows of a batch; drop the rows that cancel. */
void
zbatch_consolidate(ZBatch *b)
{
	int			i,
				n = 0,
				kept = 0;

	if (b->n < 2)
		return;
	qsort(b->rows, b->n, sizeof(ZRow), zrow_cmp_qsort);
	for (i = 0; i < b->n; i++)
	{
		if (n > 0 && zrow_equal(b->rows[n - 1].tup, b->rows[i].tup))
			b->rows[n - 1].weight += b->rows[i].weight;
		else
			b->rows[n++] = b->rows[i];
	}
	for (i = 0; i < n; i++)
		if (b->rows[i].weight != 0)
			b->rows[kept++] = b->rows[i];
	b->n = kept;
}
