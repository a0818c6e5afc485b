/*
 * temporal.c
 *	  Temporal filters: rows that enter and leave a view as its clock
 *	  passes (temporal.h).
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "common/int.h"
#include "executor/executor.h"
#include "lib/pairingheap.h"
#include "utils/memutils.h"

#include "engine/temporal.h"

/* A row whose visibility changes later: its weight and its two moments. */
typedef struct TEntry
{
	pairingheap_node node;
	MinimalTuple tup;			/* allocated with the entry */
	int64		weight;
	int64		from;			/* enters at from (if has_from) */
	int64		until;			/* leaves at until (if has_until) */
	bool		has_from;
	bool		has_until;
	int64		at;				/* the queued moment: from, then until */
} TEntry;

typedef struct TRowEntry
{
	MinimalTuple tup;			/* the key: e->tup */
	TEntry	   *e;
	uint32		hash;
	char		status;
} TRowEntry;

#define SH_PREFIX tq_rows
#define SH_ELEMENT_TYPE TRowEntry
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

/* earliest moment first: a min-heap */
static int
entry_compare(const pairingheap_node *a, const pairingheap_node *b, void *arg)
{
	const TEntry *x = pairingheap_const_container(TEntry, node, a);
	const TEntry *y = pairingheap_const_container(TEntry, node, b);

	if (x->at < y->at)
		return 1;
	if (x->at > y->at)
		return -1;
	return 0;
}

TemporalState *
op_temporal_create(MemoryContext parent, int nbounds)
{
	TemporalState *t = palloc0(sizeof(TemporalState));

	t->nbounds = nbounds;
	t->upper = palloc0(sizeof(bool) * (nbounds + 1));
	t->offset = palloc0(sizeof(int64) * (nbounds + 1));
	t->cxt = AllocSetContextCreate(parent, "pathway temporal queue", ALLOCSET_DEFAULT_SIZES);
	t->rows = tq_rows_create(t->cxt, 64, NULL);
	t->queue = MemoryContextAlloc(t->cxt, sizeof(pairingheap));
	t->queue->ph_compare = entry_compare;
	t->queue->ph_arg = NULL;
	t->queue->ph_root = NULL;
	return t;
}

void
op_temporal_set_now(Op *op, int64 now)
{
	TemporalState *t = op->temporal;

	if (!t->has_now || now > t->now)
		t->now = now;
	t->has_now = true;
}

bool
op_temporal_next(Op *op, int64 *at)
{
	TemporalState *t = op->temporal;

	if (pairingheap_is_empty(t->queue))
		return false;
	*at = pairingheap_container(TEntry, node, pairingheap_first(t->queue))->at;
	return true;
}

static void
forget(TemporalState *t, TEntry *e)
{
	tq_rows_delete(t->rows, e->tup);
	t->nrows--;
	pfree(e);
}

/* The rows whose moment came: they enter, or leave. */
static void
advance(Op *op, TemporalState *t)
{
	while (!pairingheap_is_empty(t->queue))
	{
		TEntry	   *e = pairingheap_container(TEntry, node, pairingheap_first(t->queue));

		if (e->at > t->now)
			break;
		(void) pairingheap_remove_first(t->queue);
		if (e->has_from && e->at == e->from)
		{
			/* enters; leaves again later, or already (then it never showed) */
			if (e->has_until && e->until <= t->now)
			{
				forget(t, e);
				continue;
			}
			zbatch_add(&op->out, heap_copy_minimal_tuple(e->tup), e->weight);
			if (e->has_until)
			{
				e->at = e->until;
				e->has_from = false;
				pairingheap_add(t->queue, &e->node);
			}
			else
				forget(t, e);
		}
		else
		{
			zbatch_add(&op->out, heap_copy_minimal_tuple(e->tup), -e->weight);
			forget(t, e);
		}
	}
}

void
op_temporal_step(Op *op)
{
	TemporalState *t = op->temporal;
	ZBatch	   *in = &op->left->out;
	ExprContext *econtext = op->econtext;
	int			i,
				b;

	if (!t->has_now)
		elog(ERROR, "pathway: a temporal filter stepped without a clock");
	advance(op, t);
	econtext->ecxt_scantuple = op->lslot;
	for (i = 0; i < in->n; i++)
	{
		ZRow	   *r = &in->rows[i];
		bool		has_from = false,
					has_until = false,
					never = false;
		int64		from = 0,
					until = 0;
		bool		found;
		TRowEntry  *he;
		TEntry	   *e;

		ExecStoreMinimalTuple(r->tup, op->lslot, false);
		for (b = 0; b < t->nbounds && !never; b++)
		{
			bool		isnull;
			int64		v = DatumGetInt64(ExecEvalExprSwitchContext(op->exprs[b], econtext, &isnull));

			/* a NULL comparison never holds; a bound out of range is never reached */
			if (isnull)
				never = true;
			else if (pg_add_s64_overflow(v, t->offset[b], &v))
			{
				if ((t->offset[b] < 0) == t->upper[b])
					never = true;	/* until below the range, or from above it */
				continue;
			}
			else if (t->upper[b])
			{
				if (!has_until || v < until)
					until = v;
				has_until = true;
			}
			else
			{
				if (!has_from || v > from)
					from = v;
				has_from = true;
			}
		}
		ResetExprContext(econtext);
		if (never || (has_from && has_until && until <= from))
			continue;			/* never in the view */
		/* in the view now? */
		if ((!has_from || from <= t->now) && (!has_until || t->now < until))
			zbatch_add(&op->out, r->tup, r->weight);
		/* and its state changes later? */
		if (!((has_from && t->now < from) || (has_until && t->now < until)))
			continue;
		he = tq_rows_insert(t->rows, r->tup, &found);
		if (!found)
		{
			engine_memory_note(MAXALIGN(sizeof(TEntry)) + r->tup->t_len);
			e = MemoryContextAllocZero(t->cxt, MAXALIGN(sizeof(TEntry)) + r->tup->t_len);
			e->tup = (MinimalTuple) ((char *) e + MAXALIGN(sizeof(TEntry)));
			memcpy(e->tup, r->tup, r->tup->t_len);
			he->tup = e->tup;
			he->e = e;
			e->has_from = has_from && t->now < from;
			e->from = from;
			e->has_until = has_until;
			e->until = until;
			e->at = e->has_from ? from : until;
			pairingheap_add(t->queue, &e->node);
			t->nrows++;
		}
		e = he->e;
		e->weight += r->weight;
		if (e->weight == 0)
		{
			pairingheap_remove(t->queue, &e->node);
			forget(t, e);
		}
	}
	op->rows_in += in->n;
	op->rows_out += op->out.n;
}
