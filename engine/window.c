/*
 * window.c
 *	  Window functions and top-k (ORDER BY ... LIMIT / OFFSET) over Z-sets.
 *
 * Each partition (a group of op->arr, keyed on the PARTITION BY columns)
 * holds its distinct rows with their weights in an array sorted by the
 * ORDER BY keys and then by the rows' bytes: a total order, so that the
 * answer is the same whatever the order in which rows arrived, also after
 * a rebuild.  A step gathers each touched partition's changes, and for that
 * partition only: computes its output rows as they were, applies the
 * changes (a binary search per change, an update shifting only the rows
 * between its two positions, or one merge for many), computes the
 * output rows as they are now, and emits the consolidated difference.
 *
 * Window functions are computed by PostgreSQL's WindowAgg node, fed one
 * sorted partition at a time through a named tuplestore and rescanned for
 * the next one, so every window function, aggregate and frame behaves
 * exactly as in a query.  Top-k needs no plan: its rows are a slice of the
 * sorted partition.
 *
 * Memory: partitions (WinPart) in op->arr->cxt; their rows and row arrays
 * in window->rowcxt; the WindowAgg's state in its EState, under the
 * graph's long-lived context; a step's changes and output rows in the
 * step's context.
 */
#include "postgres.h"

#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/plannodes.h"
#include "utils/memutils.h"
#include "utils/queryenvironment.h"
#include "utils/sortsupport.h"
#include "utils/tuplestore.h"

#include "engine/window.h"

/* A distinct row of a partition and how many copies of it there are. */
typedef struct WinRow
{
	MinimalTuple tup;
	int64		weight;
	Datum		key1;			/* first sort key, read once */
	bool		null1;
} WinRow;

typedef struct WinPart
{
	WinRow	   *rows;			/* sorted, see row_order */
	int64		n;
	int64		cap;
	ZBatch		pending;		/* this step's changes (step's context) */
} WinPart;

/* Apply at most this many changes to a partition one by one, else merge. */
#define WINDOW_MERGE_THRESHOLD 8

static void
inconsistent(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("pathway: row weight became negative"),
			 errdetail("The view's state no longer matches its sources; it will be rebuilt.")));
}

static Datum
row_attr(Op *op, MinimalTuple tup, int col, bool *isnull)
{
	HeapTupleData htup;

	htup.t_len = tup->t_len + MINIMAL_TUPLE_OFFSET;
	htup.t_data = (HeapTupleHeader) ((char *) tup - MINIMAL_TUPLE_OFFSET);
	return heap_getattr(&htup, col + 1, op->left->desc, isnull);
}

static void
set_key1(Op *op, WinRow *r)
{
	if (op->nsort > 0)
		r->key1 = row_attr(op, r->tup, op->sortcols[0], &r->null1);
	else
	{
		r->key1 = (Datum) 0;
		r->null1 = true;
	}
}

/* Compare on the ORDER BY keys only: 0 for peers. */
static int
sort_compare(Op *op, const WinRow *a, const WinRow *b)
{
	int			i;

	for (i = 0; i < op->nsort; i++)
	{
		Datum		va,
					vb;
		bool		na,
					nb;
		int			c;

		if (i == 0)
		{
			va = a->key1;
			na = a->null1;
			vb = b->key1;
			nb = b->null1;
		}
		else
		{
			va = row_attr(op, a->tup, op->sortcols[i], &na);
			vb = row_attr(op, b->tup, op->sortcols[i], &nb);
		}
		c = ApplySortComparator(va, na, vb, nb, &op->sortkeys[i]);
		if (c != 0)
			return c;
	}
	return 0;
}

/* The partition's order: ORDER BY keys, then the rows' bytes (total). */
static int
row_order(Op *op, const WinRow *a, const WinRow *b)
{
	int			c = sort_compare(op, a, b);

	return c != 0 ? c : zrow_compare(a->tup, b->tup);
}

static int
row_order_qsort(const void *a, const void *b, void *arg)
{
	return row_order((Op *) arg, (const WinRow *) a, (const WinRow *) b);
}

/* A copy of a change's row, to keep in the partition. */
static WinRow
keep_row(Op *op, WinRow *d)
{
	WindowSpec *w = op->window;
	WinRow		r;

	if (d->weight < 0)
		inconsistent();
	engine_memory_note(d->tup->t_len);
	r.tup = MemoryContextAlloc(w->rowcxt, d->tup->t_len);
	memcpy(r.tup, d->tup, d->tup->t_len);
	r.weight = d->weight;
	set_key1(op, &r);
	w->nrows++;
	return r;
}

static void
drop_row(Op *op, WinRow *r)
{
	pfree(r->tup);
	op->window->nrows--;
}

/*
 * A partition's pending changes, sorted and consolidated, in the current
 * (step's) context; *n is their number.
 */
static WinRow *
prepare_changes(Op *op, WinPart *p, int64 *n)
{
	WinRow	   *d = palloc(sizeof(WinRow) * Max(p->pending.n, 1));
	int64		i,
				m = 0;

	for (i = 0; i < p->pending.n; i++)
	{
		d[i].tup = p->pending.rows[i].tup;
		d[i].weight = p->pending.rows[i].weight;
		set_key1(op, &d[i]);
	}
	qsort_arg(d, p->pending.n, sizeof(WinRow), row_order_qsort, op);
	for (i = 0; i < p->pending.n; i++)
	{
		if (m > 0 && zrow_equal(d[m - 1].tup, d[i].tup))
			d[m - 1].weight += d[i].weight;
		else
			d[m++] = d[i];
	}
	*n = 0;
	for (i = 0; i < m; i++)
		if (d[i].weight != 0)
			d[(*n)++] = d[i];
	zbatch_init(&p->pending);
	return d;
}

static void
reserve(Op *op, WinPart *p, int64 n)
{
	int64		cap = Max(p->cap, 8);

	if (n <= p->cap)
		return;
	while (cap < n)
		cap *= 2;
	if (p->rows)
		p->rows = repalloc_huge(p->rows, sizeof(WinRow) * cap);
	else
		p->rows = MemoryContextAllocHuge(op->window->rowcxt, sizeof(WinRow) * cap);
	p->cap = cap;
}

/* Where row d is, or would be inserted: the first row not before it. */
static int64
find_row(Op *op, WinPart *p, WinRow *d)
{
	int64		lo = 0,
				hi = p->n;

	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (row_order(op, &p->rows[mid], d) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One change: find the row by binary search, then add or remove it. */
static void
apply_one(Op *op, WinPart *p, WinRow *d)
{
	int64		lo = find_row(op, p, d);

	if (lo < p->n && zrow_equal(p->rows[lo].tup, d->tup))
	{
		WinRow	   *r = &p->rows[lo];

		r->weight += d->weight;
		if (r->weight < 0)
			inconsistent();
		if (r->weight == 0)
		{
			drop_row(op, r);
			memmove(r, r + 1, sizeof(WinRow) * (p->n - lo - 1));
			p->n--;
		}
		return;
	}
	reserve(op, p, p->n + 1);
	memmove(&p->rows[lo + 1], &p->rows[lo], sizeof(WinRow) * (p->n - lo));
	p->rows[lo] = keep_row(op, d);
	p->n++;
}

/*
 * An update (a row leaves, a new one enters): shift only the rows between
 * the two positions, not the rest of the partition.  False if the changes
 * are not of that shape.
 */
static bool
apply_move(Op *op, WinPart *p, WinRow *d)
{
	WinRow	   *gone = d[0].weight < 0 ? &d[0] : &d[1];
	WinRow	   *came = d[0].weight < 0 ? &d[1] : &d[0];
	int64		i,
				j;

	if (gone->weight >= 0 || came->weight <= 0)
		return false;
	i = find_row(op, p, gone);
	if (i >= p->n || !zrow_equal(p->rows[i].tup, gone->tup) ||
		p->rows[i].weight + gone->weight != 0)
		return false;
	j = find_row(op, p, came);
	if (j < p->n && zrow_equal(p->rows[j].tup, came->tup))
		return false;
	drop_row(op, &p->rows[i]);
	if (j > i)
	{
		memmove(&p->rows[i], &p->rows[i + 1], sizeof(WinRow) * (j - 1 - i));
		p->rows[j - 1] = keep_row(op, came);
	}
	else
	{
		memmove(&p->rows[j + 1], &p->rows[j], sizeof(WinRow) * (i - j));
		p->rows[j] = keep_row(op, came);
	}
	return true;
}

/* Many changes: one merge of two sorted arrays into a new one. */
static void
apply_merge(Op *op, WinPart *p, WinRow *d, int64 nd)
{
	int64		cap = Max(p->n + nd, 8);
	WinRow	   *out = MemoryContextAllocHuge(op->window->rowcxt, sizeof(WinRow) * cap);
	int64		i = 0,
				j = 0,
				k = 0;

	while (i < p->n || j < nd)
	{
		int			c = (i >= p->n) ? 1 : (j >= nd) ? -1 : row_order(op, &p->rows[i], &d[j]);

		if (c < 0)
			out[k++] = p->rows[i++];
		else if (c > 0)
			out[k++] = keep_row(op, &d[j++]);
		else
		{
			WinRow		r = p->rows[i++];

			r.weight += d[j++].weight;
			if (r.weight < 0)
				inconsistent();
			if (r.weight == 0)
				drop_row(op, &r);
			else
				out[k++] = r;
		}
	}
	if (p->rows)
		pfree(p->rows);
	p->rows = out;
	p->n = k;
	p->cap = cap;
}

/* Apply a partition's sorted, consolidated changes to its rows. */
static void
apply_changes(Op *op, WinPart *p, WinRow *d, int64 nd)
{
	int64		j;

	if (nd == 2 && apply_move(op, p, d))
		return;
	if (nd > WINDOW_MERGE_THRESHOLD || p->n == 0)
	{
		apply_merge(op, p, d, nd);
		return;
	}
	for (j = 0; j < nd; j++)
		apply_one(op, p, &d[j]);
}

/*
 * Top-k: the rows at positions [offset, offset + count) of the partition,
 * counting copies, and with WITH TIES the peers of the last one.
 */
static void
part_slice(Op *op, WinPart *p, ZBatch *out, int64 sign)
{
	WindowSpec *w = op->window;
	int64		from = w->offset;
	int64		to = (w->count < 0 || w->count > PG_INT64_MAX - from) ? PG_INT64_MAX
		: from + w->count;
	int64		pos = 0;
	int64		i,
				last = -1;

	if (w->count == 0)
		return;
	for (i = 0; i < p->n && pos < to; i++)
	{
		WinRow	   *r = &p->rows[i];
		int64		lo = Max(pos, from);
		int64		hi = Min(pos + r->weight, to);

		/* every copy of the last row counted is a peer of it */
		if (w->with_ties && pos + r->weight >= to)
			hi = pos + r->weight;
		if (hi > lo)
			zbatch_add(out, heap_copy_minimal_tuple(r->tup), sign * (hi - lo));
		pos += r->weight;
		last = i;
	}
	if (w->with_ties && pos >= to && last >= 0)
	{
		for (i = last + 1; i < p->n && sort_compare(op, &p->rows[i], &p->rows[last]) == 0; i++)
			zbatch_add(out, heap_copy_minimal_tuple(p->rows[i].tup), sign * p->rows[i].weight);
	}
}

/*
 * Window functions: each row of the partition with its functions' values.
 * The plan runs in its EState's memory, as under ExecutorRun; output rows
 * are formed in the step's context.
 */
static void
part_eval(Op *op, WinPart *p, ZBatch *out, int64 sign)
{
	WindowSpec *w = op->window;
	MemoryContext stepcxt = CurrentMemoryContext;
	int64		i,
				k;

	if (p->n == 0)
		return;
	MemoryContextSwitchTo(w->estate->es_query_cxt);
	tuplestore_clear(w->feed);
	for (i = 0; i < p->n; i++)
	{
		ExecStoreMinimalTuple(p->rows[i].tup, w->feedslot, false);
		for (k = 0; k < p->rows[i].weight; k++)
			tuplestore_puttupleslot(w->feed, w->feedslot);
	}
	ExecClearTuple(w->feedslot);
	ExecReScan(w->planstate);
	for (;;)
	{
		TupleTableSlot *slot = ExecProcNode(w->planstate);

		if (TupIsNull(slot))
			break;
		slot_getallattrs(slot);
		MemoryContextSwitchTo(stepcxt);
		zbatch_add(out, zrow_form(op->desc, slot->tts_values, slot->tts_isnull), sign);
		MemoryContextSwitchTo(w->estate->es_query_cxt);
	}
	tuplestore_clear(w->feed);
	MemoryContextSwitchTo(stepcxt);
}

static void
part_output(Op *op, WinPart *p, ZBatch *out, int64 sign)
{
	if (op->window->plan)
		part_eval(op, p, out, sign);
	else
		part_slice(op, p, out, sign);
}

static int
zrow_qsort_cmp(const void *a, const void *b)
{
	return zrow_compare(((const ZRow *) a)->tup, ((const ZRow *) b)->tup);
}

/* Emit a partition's -old +new, with the rows that did not change left out. */
static void
emit_difference(Op *op, ZBatch *diff)
{
	int			i,
				j;

	if (diff->n == 0)
		return;
	qsort(diff->rows, diff->n, sizeof(ZRow), zrow_qsort_cmp);
	for (i = 0; i < diff->n; i = j)
	{
		int64		weight = 0;

		for (j = i; j < diff->n && zrow_equal(diff->rows[i].tup, diff->rows[j].tup); j++)
			weight += diff->rows[j].weight;
		zbatch_add(&op->out, diff->rows[i].tup, weight);
	}
}

void
op_window_step(Op *op)
{
	ZBatch	   *in = &op->left->out;
	TupleTableSlot *slot = op->lslot;
	ArrGroup   *g;
	List	   *empty = NIL;
	ListCell   *lc;
	int			i;

	for (i = 0; i < in->n; i++)
	{
		g = op_group_of(op, slot, in->rows[i].tup);
		if (g->payload == NULL)
			g->payload = MemoryContextAllocZero(op->arr->cxt, sizeof(WinPart));
		zbatch_add(&((WinPart *) g->payload)->pending, in->rows[i].tup, in->rows[i].weight);
		arrangement_add(op->arr, g, in->rows[i].tup, in->rows[i].weight);
	}

	for (g = op->arr->touched; g; g = g->touched_next)
	{
		WinPart    *p = (WinPart *) g->payload;
		int64		nd;
		WinRow	   *d = prepare_changes(op, p, &nd);

		if (nd > 0)
		{
			ZBatch		diff;

			zbatch_init(&diff);
			part_output(op, p, &diff, -1);
			apply_changes(op, p, d, nd);
			part_output(op, p, &diff, 1);
			emit_difference(op, &diff);
		}
		pfree(d);
		if (p->n == 0)
			empty = lappend(empty, g);
	}
	arrangement_clear_touched(op->arr);
	foreach(lc, empty)
	{
		WinPart    *p;

		g = (ArrGroup *) lfirst(lc);
		p = (WinPart *) g->payload;
		if (p->rows)
			pfree(p->rows);
		pfree(p);
		g->payload = NULL;
		arrangement_remove_group(op->arr, g);
	}
	op->rows_in += in->n;
	op->rows_out += op->out.n;
}

void
op_init_window(Op *op, WindowAgg *plan, int64 offset, int64 count, bool with_ties)
{
	WindowSpec *w = palloc0(sizeof(WindowSpec));
	TupleDesc	indesc = op->left->desc;
	NamedTuplestoreScan *scan;
	QueryEnvironment *env;
	EphemeralNamedRelation enr;
	MemoryContext old;
	List	   *tlist = NIL;
	int			i;

	op->window = w;
	w->offset = offset;
	w->count = count;
	w->with_ties = with_ties;
	w->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "pathway window rows",
									  ALLOCSET_DEFAULT_SIZES);
	if (plan == NULL)
		return;

	/* the WindowAgg reads the partition from a named tuplestore */
	for (i = 0; i < indesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(indesc, i);

		tlist = lappend(tlist, makeTargetEntry((Expr *) makeVar(1, i + 1, att->atttypid,
																att->atttypmod,
																att->attcollation, 0),
											   i + 1, NULL, false));
	}
	scan = makeNode(NamedTuplestoreScan);
	scan->scan.plan.targetlist = tlist;
	scan->scan.scanrelid = 1;
	scan->enrname = "pathway window partition";
	plan->plan.lefttree = (Plan *) scan;
	w->plan = plan;

	w->estate = CreateExecutorState();
	old = MemoryContextSwitchTo(w->estate->es_query_cxt);
	env = create_queryEnv();
	enr = palloc0(sizeof(EphemeralNamedRelationData));
	enr->md.name = scan->enrname;
	enr->md.reliddesc = InvalidOid;
	enr->md.tupdesc = indesc;
	enr->md.enrtype = ENR_NAMED_TUPLESTORE;
	w->feed = tuplestore_begin_heap(false, false, work_mem);
	enr->reldata = w->feed;
	register_ENR(env, enr);
	w->estate->es_queryEnv = env;
	w->feedslot = MakeSingleTupleTableSlot(indesc, &TTSOpsMinimalTuple);
	w->planstate = ExecInitNode((Plan *) plan, w->estate, 0);
	MemoryContextSwitchTo(old);
}
