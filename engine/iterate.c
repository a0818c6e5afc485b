/*
 * iterate.c
 *	  WITH RECURSIVE, maintained: the recursive term iterated to a fixed
 *	  point over changes (see iterate.h for why it is exact).
 *
 * A step runs the non-recursive term and the recursive term's graph once
 * with the sources' changes (op_step does, as for any operator), then runs
 * the recursive term's graph again for each round, feeding its working
 * table source, until a round brings nothing new.  A round past
 * pathway.max_iterations raises an error: the recursion does not end (as
 * PostgreSQL's own would not), and the view fails.
 *
 * Memory: the rows' levels and counts live in op->arr's context; a step's
 * batches in the caller's context (see operator.h).
 */
#include "postgres.h"

#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "engine/iterate.h"

/* UNION: one distinct row's derivations per level, and its level now. */
typedef struct IterRow
{
	int			nlev;			/* levels with derivations, ascending */
	int			caplev;
	int32	   *lev;
	int64	   *cnt;
	int32		emitted;		/* the level the working table holds it at, -1: not held */
	bool		was_present;	/* in the result before this step */
	uint64		gen;			/* the step that last touched it */
	uint64		seen_gen;		/* dedup of the queue: step and level last queued */
	int32		seen_lev;
} IterRow;

/* Consolidate a batch in place: equal rows summed, zero weights dropped. */
static int
zrow_cmp(const void *a, const void *b)
{
	return zrow_compare(((const ZRow *) a)->tup, ((const ZRow *) b)->tup);
}

static void
consolidate(ZBatch *b)
{
	int			i,
				n = 0;

	if (b->n == 0)
		return;
	qsort(b->rows, b->n, sizeof(ZRow), zrow_cmp);
	for (i = 0; i < b->n; i++)
	{
		if (n > 0 && zrow_equal(b->rows[n - 1].tup, b->rows[i].tup))
			b->rows[n - 1].weight += b->rows[i].weight;
		else
		{
			if (n > 0 && b->rows[n - 1].weight == 0)
				n--;
			b->rows[n++] = b->rows[i];
		}
	}
	if (n > 0 && b->rows[n - 1].weight == 0)
		n--;
	b->n = n;
}

static void
too_many_rounds(IterateSpec *it, int rounds)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("recursive query \"%s\" did not reach a fixed point in pathway.max_iterations (%d) rounds",
					it->name, *it->max_iterations),
			 errdetail("Round %d still derived new rows.", rounds),
			 errhint("A recursion over a cycle needs a bound (WHERE depth < n, a path check, or UNION instead of UNION ALL); "
					 "raise pathway.max_iterations if the data is that deep.")));
}

/*
 * UNION ALL over a cycle that several paths take doubles a row's count each
 * round; well before int64 weights could wrap (and a wrapped sum could look
 * like a fixed point), stop: PostgreSQL would have to return that many
 * copies of the row.
 */
#define MAX_DERIVATIONS ((int64) 1 << 40)

static void
check_weights(IterateSpec *it, ZBatch *b)
{
	int			i;

	for (i = 0; i < b->n; i++)
		if (b->rows[i].weight > MAX_DERIVATIONS || b->rows[i].weight < -MAX_DERIVATIONS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("recursive query \"%s\" derived more than 2^40 copies of a row", it->name),
					 errhint("A UNION ALL recursion that several paths take round a cycle does not end; bound it or use UNION.")));
}

/* Step the recursive term's graph with 'feed' in its working table. */
static void
run_round(Op *op, ZBatch *feed)
{
	IterateSpec *it = op->iterate;
	int			i;

	for (i = 0; i < feed->n; i++)
		zbatch_add(&it->wt->pending, feed->rows[i].tup, feed->rows[i].weight);
	graph_step(op->right);
}

/* ---------- UNION ALL ---------- */

static void
iterate_bag(Op *op)
{
	IterateSpec *it = op->iterate;
	ZBatch		pending;
	int			rounds = 0;
	int			i;

	/* new rows the term has not seen: the base's and what dE derived */
	zbatch_init(&pending);
	for (i = 0; i < op->left->out.n; i++)
		zbatch_add(&pending, op->left->out.rows[i].tup, op->left->out.rows[i].weight);
	for (i = 0; i < op->right->out.n; i++)
		zbatch_add(&pending, op->right->out.rows[i].tup, op->right->out.rows[i].weight);
	consolidate(&pending);
	while (pending.n > 0)
	{
		check_weights(it, &pending);
		for (i = 0; i < pending.n; i++)
			zbatch_add(&op->out, pending.rows[i].tup, pending.rows[i].weight);
		if (++rounds > *it->max_iterations)
			too_many_rounds(it, rounds);
		CHECK_FOR_INTERRUPTS();
		run_round(op, &pending);
		zbatch_init(&pending);
		for (i = 0; i < op->right->out.n; i++)
			zbatch_add(&pending, op->right->out.rows[i].tup, op->right->out.rows[i].weight);
		consolidate(&pending);
	}
	consolidate(&op->out);
	it->last_rounds = rounds;
	it->rounds += rounds;
}

/* ---------- UNION ---------- */

typedef struct LevelQueue
{
	List	  **at;				/* at[level]: rows (ArrGroup *) to settle */
	int			n;
} LevelQueue;

static void
enqueue(LevelQueue *q, IterateSpec *it, ArrGroup *g, int32 level)
{
	IterRow    *r = (IterRow *) g->payload;

	if (r->seen_gen == it->gen && r->seen_lev == level)
		return;
	r->seen_gen = it->gen;
	r->seen_lev = level;
	if (level >= q->n)
	{
		int			n = Max(level + 1, q->n * 2);

		List	  **at = palloc0(sizeof(List *) * n);

		if (q->at)
		{
			memcpy(at, q->at, sizeof(List *) * q->n);
			pfree(q->at);
		}
		q->at = at;
		q->n = n;
	}
	q->at[level] = lappend(q->at[level], g);
}

/* Count 'w' more derivations of the row at 'level'. */
static void
hist_add(Arrangement *arr, IterRow *r, int32 level, int64 w)
{
	int			i,
				j;

	for (i = 0; i < r->nlev && r->lev[i] < level; i++)
		;
	if (i < r->nlev && r->lev[i] == level)
	{
		r->cnt[i] += w;
		if (r->cnt[i] == 0)
		{
			for (j = i; j + 1 < r->nlev; j++)
			{
				r->lev[j] = r->lev[j + 1];
				r->cnt[j] = r->cnt[j + 1];
			}
			r->nlev--;
		}
		else if (r->cnt[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("pathway: a recursive row's derivations became negative"),
					 errdetail("The view's state no longer matches its sources; it will be rebuilt.")));
		return;
	}
	if (w < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("pathway: a recursive row lost a derivation it did not have"),
				 errdetail("The view's state no longer matches its sources; it will be rebuilt.")));
	if (r->nlev == r->caplev)
	{
		int			cap = Max(4, r->caplev * 2);

		r->lev = r->lev ? repalloc(r->lev, sizeof(int32) * cap)
			: MemoryContextAlloc(arr->cxt, sizeof(int32) * cap);
		r->cnt = r->cnt ? repalloc(r->cnt, sizeof(int64) * cap)
			: MemoryContextAlloc(arr->cxt, sizeof(int64) * cap);
		engine_memory_note((sizeof(int32) + sizeof(int64)) * (cap - r->caplev));
		r->caplev = cap;
	}
	for (j = r->nlev; j > i; j--)
	{
		r->lev[j] = r->lev[j - 1];
		r->cnt[j] = r->cnt[j - 1];
	}
	r->lev[i] = level;
	r->cnt[i] = w;
	r->nlev++;
}

/* Add a batch of (row..., level) changes to the counts; queue the rows. */
static void
take_derivations(Op *op, ZBatch *in, LevelQueue *q, int32 above)
{
	IterateSpec *it = op->iterate;
	TupleTableSlot *slot = op->lslot;
	int			i;

	for (i = 0; i < in->n; i++)
	{
		bool		hasnull;
		bool		lnull;
		uint32		h;
		int32		level;
		ArrGroup   *g;
		IterRow    *r;

		ExecStoreMinimalTuple(in->rows[i].tup, slot, false);
		slot_getallattrs(slot);
		level = DatumGetInt32(slot->tts_values[it->ncols]);
		lnull = slot->tts_isnull[it->ncols];
		if (lnull || level <= above)
			elog(ERROR, "pathway: recursive term derived a row at level %d in round %d",
				 lnull ? -1 : level, above);
		h = arrangement_key_hash(op->arr->keys, slot->tts_values, slot->tts_isnull, &hasnull);
		g = arrangement_lookup(op->arr, h, slot->tts_values, slot->tts_isnull, true);
		if (g->payload == NULL)
		{
			g->payload = MemoryContextAllocZero(op->arr->cxt, sizeof(IterRow));
			engine_memory_note(sizeof(IterRow));
			((IterRow *) g->payload)->emitted = -1;
		}
		r = (IterRow *) g->payload;
		if (r->gen != it->gen)
		{
			r->gen = it->gen;
			r->was_present = (r->emitted >= 0);
		}
		arrangement_add(op->arr, g, NULL, 0);
		hist_add(op->arr, r, level, in->rows[i].weight);
		enqueue(q, it, g, level);
	}
}

/* The row of group g at a level: its columns, then the level. */
static MinimalTuple
row_at(Op *op, ArrGroup *g, int32 level)
{
	IterateSpec *it = op->iterate;
	Datum		values[MaxTupleAttributeNumber];
	bool		isnull[MaxTupleAttributeNumber];
	TupleTableSlot *slot = op->rslot;

	ExecStoreMinimalTuple(g->key, slot, false);
	slot_getallattrs(slot);
	memcpy(values, slot->tts_values, sizeof(Datum) * it->ncols);
	memcpy(isnull, slot->tts_isnull, sizeof(bool) * it->ncols);
	values[it->ncols] = Int32GetDatum(level);
	isnull[it->ncols] = false;
	return heap_form_minimal_tuple(op->left->desc, values, isnull);
}

static void
iterate_set(Op *op)
{
	IterateSpec *it = op->iterate;
	LevelQueue	q = {NULL, 0};
	ArrGroup   *g;
	List	   *empty = NIL;
	ListCell   *lc;
	int32		k;
	int			rounds = 0;

	it->gen++;
	take_derivations(op, &op->left->out, &q, -1);
	take_derivations(op, &op->right->out, &q, 0);

	/* settle level by level: what level k holds is final once k is reached */
	for (k = 0; k < q.n; k++)
	{
		ZBatch		feed;

		if (q.at[k] == NIL)
			continue;
		zbatch_init(&feed);
		foreach(lc, q.at[k])
		{
			IterRow    *r;
			int32		now;

			g = lfirst(lc);
			r = (IterRow *) g->payload;
			now = r->nlev > 0 ? r->lev[0] : -1;
			if (now == r->emitted)
				continue;
			if (r->emitted >= 0 && r->emitted < k)
				elog(ERROR, "pathway: a recursive row's level %d changed in round %d", r->emitted, k);
			if (now == k)
			{
				if (k > *it->max_iterations)
					too_many_rounds(it, k);
				/* it moves down to k (from a later level, or from nowhere) */
				if (r->emitted >= 0)
					zbatch_add(&feed, row_at(op, g, r->emitted), -1);
				zbatch_add(&feed, row_at(op, g, k), 1);
				r->emitted = k;
			}
			else if (r->emitted == k)
			{
				/* it lost its derivations at k: gone from k, perhaps later */
				zbatch_add(&feed, row_at(op, g, k), -1);
				r->emitted = -1;
				if (now >= 0)
					enqueue(&q, it, g, now);
			}
			else
			{
				/* both later: settled when the lower of them is reached */
				int32		next = (now < 0) ? r->emitted
					: (r->emitted < 0) ? now : Min(now, r->emitted);

				enqueue(&q, it, g, next);
			}
		}
		if (feed.n == 0)
			continue;
		rounds++;
		CHECK_FOR_INTERRUPTS();
		run_round(op, &feed);
		take_derivations(op, &op->right->out, &q, k);
	}

	for (g = op->arr->touched; g; g = g->touched_next)
	{
		IterRow    *r = (IterRow *) g->payload;
		bool		present = (r->emitted >= 0);

		Assert(r->nlev == 0 || r->emitted == r->lev[0]);
		if (present != r->was_present)
			zbatch_add(&op->out, heap_copy_minimal_tuple(g->key), present ? 1 : -1);
		if (r->nlev == 0)
			empty = lappend(empty, g);
	}
	arrangement_clear_touched(op->arr);
	foreach(lc, empty)
	{
		IterRow    *r;

		g = (ArrGroup *) lfirst(lc);
		r = (IterRow *) g->payload;
		if (r->lev)
			pfree(r->lev);
		if (r->cnt)
			pfree(r->cnt);
		pfree(r);
		g->payload = NULL;
		arrangement_remove_group(op->arr, g);
	}
	list_free(empty);
	it->last_rounds = rounds;
	it->rounds += rounds;
}

void
op_iterate_step(Op *op)
{
	if (op->iterate->set)
		iterate_set(op);
	else
		iterate_bag(op);
	op->rows_in += op->left->out.n;
	op->rows_out += op->out.n;
}
