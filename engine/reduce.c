/*
 * reduce.c
 *	  GROUP BY, DISTINCT and global aggregates over Z-sets.
 *
 * Input rows carry the group key in their first nkeys columns and the
 * aggregate arguments after them.  Each group keeps its current output row,
 * so a step emits exactly  -old +new  for every group whose result changed.
 *
 * Aggregates run PostgreSQL's own transition and final functions, looked up
 * in pg_aggregate by the planner, so every aggregate works:
 *  - when all of a view's aggregates have moving-aggregate support
 *    (aggmtransfn/aggminvtransfn, as count, sum and avg have), a group keeps
 *    one running state per aggregate and retractions run the inverse
 *    transition; rows are not kept, except for aggregates with an internal
 *    state (numeric's sum and avg), whose inverse may give up: the group is
 *    then reseeded from its rows;
 *  - otherwise the group keeps its rows (consolidated, with weights) and
 *    each touched group is recomputed from them with the plain transition.
 * Transition functions see a minimal AggState as their context, which is what
 * AggCheckCallContext looks at, so functions that keep internal states (the
 * numeric ones, array_agg, string_agg) work unchanged.
 *
 * Memory: groups and output rows in the arrangement's context, running
 * states in op->aggcxt, a group's recompute in op->scratchcxt (reset after
 * each group).
 */
#include "postgres.h"

#include "executor/executor.h"
#include "executor/nodeAgg.h"
#include "nodes/execnodes.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/sortsupport.h"

#include "engine/operator.h"
#include "engine/timegate.h"

typedef struct ReduceGroup
{
	MinimalTuple output;		/* current output row, NULL if none */
	Datum	   *states;			/* moving aggregates only */
	bool	   *nulls;
	int64	   *ntrans;			/* non-NULL inputs held in the state */
	bool		reseed;			/* an inverse gave up: rebuild states from rows */
} ReduceGroup;

/* Free a group's aggregate states and output row. */
static void
free_group_state(Op *op, ReduceGroup *gs)
{
	if (gs == NULL)
		return;
	if (gs->states)
	{
		int			a;

		for (a = 0; a < op->naggs; a++)
			if (!op->aggs[a].mtransbyval && !op->aggs[a].mtrans_internal && !gs->nulls[a])
				pfree(DatumGetPointer(gs->states[a]));
		pfree(gs->states);
		pfree(gs->nulls);
		pfree(gs->ntrans);
	}
	if (gs->output)
		pfree(gs->output);
	pfree(gs);
}

void
op_init_reduce(Op *op, MemoryContext cxt)
{
	op->aggcxt = AllocSetContextCreate(cxt, "pathway aggregate states",
									   ALLOCSET_DEFAULT_SIZES);
	op->scratchcxt = AllocSetContextCreate(cxt, "pathway group recompute",
										   ALLOCSET_DEFAULT_SIZES);
	op->fakeagg = makeNode(AggState);
	op->aggecxt = makeNode(ExprContext);
	op->aggecxt->ecxt_per_tuple_memory = op->aggcxt;
	op->aggecxt->ecxt_per_query_memory = op->aggcxt;	/* callbacks (ordered sets) */
	op->fakeagg->curaggcontext = op->aggecxt;
	op->fakeagg->tmpcontext = op->aggecxt;
	op->fcinfo = palloc0(SizeForFunctionCallInfo(FUNC_MAX_ARGS));
}

static void
inconsistent(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("pathway: group weight became negative"),
			 errdetail("The view's state no longer matches its sources; it will be rebuilt.")));
}

/* Call fn(state, args...) and return the new state. */
static Datum
call_trans(Op *op, AggSpec *agg, FmgrInfo *fn, Datum state, bool statenull,
		   TupleTableSlot *slot, bool *resnull)
{
	FunctionCallInfo fcinfo = op->fcinfo;
	Datum		result;
	int			i;

	InitFunctionCallInfoData(*fcinfo, fn, agg->nargs + 1, agg->collation,
							 (Node *) op->fakeagg, NULL);
	fcinfo->args[0].value = state;
	fcinfo->args[0].isnull = statenull;
	for (i = 0; i < agg->nargs; i++)
	{
		fcinfo->args[i + 1].value = slot->tts_values[agg->argcols[i]];
		fcinfo->args[i + 1].isnull = slot->tts_isnull[agg->argcols[i]];
	}
	op->fakeagg->curpertrans = agg->pertrans;	/* AggGetAggref, for ordered sets */
	op->fakeagg->curperagg = NULL;
	result = FunctionCallInvoke(fcinfo);
	op->fakeagg->curpertrans = NULL;
	*resnull = fcinfo->isnull;
	return result;
}

static Datum
call_final(Op *op, AggSpec *agg, FmgrInfo *fn, int nargs, bool strict,
		   Datum state, bool statenull, bool *resnull)
{
	FunctionCallInfo fcinfo = op->fcinfo;
	Datum		result;
	int			i;

	if (strict && statenull)
	{
		*resnull = true;
		return (Datum) 0;
	}
	InitFunctionCallInfoData(*fcinfo, fn, nargs, agg->collation,
							 (Node *) op->fakeagg, NULL);
	fcinfo->args[0].value = state;
	fcinfo->args[0].isnull = statenull;
	for (i = 1; i < nargs; i++)
	{
		/* an ordered set's direct arguments first, then NULLs */
		fcinfo->args[i].value = i <= agg->ndirect ? agg->directvals[i - 1] : (Datum) 0;
		fcinfo->args[i].isnull = i <= agg->ndirect ? agg->directnulls[i - 1] : true;
	}
	if (agg->peragg)
	{
		op->fakeagg->curperagg = agg->peragg;
		op->fakeagg->pertrans = agg->pertrans;
	}
	result = FunctionCallInvoke(fcinfo);
	op->fakeagg->curperagg = NULL;
	*resnull = fcinfo->isnull;
	return result;
}

/* FILTER (WHERE ...): a row counts only where the condition is true. */
static bool
filtered_out(AggSpec *agg, TupleTableSlot *slot)
{
	return agg->filtercol >= 0 &&
		(slot->tts_isnull[agg->filtercol] || !DatumGetBool(slot->tts_values[agg->filtercol]));
}

static bool
args_have_null(AggSpec *agg, TupleTableSlot *slot)
{
	int			i;

	for (i = 0; i < agg->nargs; i++)
		if (slot->tts_isnull[agg->argcols[i]])
			return true;
	return false;
}

/* Keep a new state value: copy it into the states context, free the old. */
static void
store_state(AggSpec *agg, ReduceGroup *gs, int a, Datum newval, bool newnull,
			MemoryContext cxt)
{
	Datum		old = gs->states[a];
	bool		oldnull = gs->nulls[a];
	bool		byref = !agg->mtransbyval && !agg->mtrans_internal;

	if (byref && !newnull && DatumGetPointer(newval) != DatumGetPointer(old))
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(cxt);

		newval = datumCopy(newval, false, agg->mtranslen);
		MemoryContextSwitchTo(oldcxt);
		if (!oldnull)
			pfree(DatumGetPointer(old));
	}
	else if (byref && newnull && !oldnull)
		pfree(DatumGetPointer(old));
	gs->states[a] = newval;
	gs->nulls[a] = newnull;
}

static void
moving_reset(Op *op, AggSpec *agg, ReduceGroup *gs, int a)
{
	store_state(agg, gs, a, agg->minitval, agg->minitnull, op->aggcxt);
	gs->ntrans[a] = 0;
}

/*
 * Apply one input row (sign +1 or -1) to a group's running states.  Calls
 * run in the scratch context; store_state keeps what survives.  Returns
 * false when an inverse transition cannot remove the value (numeric's can
 * lose track of the display scale); the group must then be reseeded.
 */
static bool
moving_apply(Op *op, ReduceGroup *gs, TupleTableSlot *slot, int sign)
{
	MemoryContext old = MemoryContextSwitchTo(op->scratchcxt);
	int			a;

	for (a = 0; a < op->naggs; a++)
	{
		AggSpec    *agg = &op->aggs[a];
		Datum		v;
		bool		isnull;

		if (filtered_out(agg, slot) || (agg->mtransstrict && args_have_null(agg, slot)))
			continue;
		if (sign > 0)
		{
			/* strict transition with NULL initial value: first input is the state */
			if (agg->mtransstrict && gs->nulls[a])
			{
				v = slot->tts_values[agg->argcols[0]];
				isnull = false;
			}
			else
				v = call_trans(op, agg, &agg->mtransfn, gs->states[a], gs->nulls[a],
							   slot, &isnull);
			store_state(agg, gs, a, v, isnull, op->aggcxt);
			gs->ntrans[a]++;
		}
		else if (gs->ntrans[a] <= 1)
		{
			/* removing the last input: back to the initial state, exactly */
			if (gs->ntrans[a] < 1)
				inconsistent();
			moving_reset(op, agg, gs, a);
		}
		else if (agg->extreme)
		{
			/* min/max: only removing the extreme itself needs the group's rows */
			if (gs->nulls[a] ||
				DatumGetBool(FunctionCall2Coll(&agg->extreme_eq, agg->collation,
											   slot->tts_values[agg->argcols[0]], gs->states[a])))
			{
				MemoryContextSwitchTo(old);
				MemoryContextReset(op->scratchcxt);
				return false;
			}
			gs->ntrans[a]--;
		}
		else
		{
			v = call_trans(op, agg, &agg->minvfn, gs->states[a], gs->nulls[a],
						   slot, &isnull);
			if (isnull)
			{
				MemoryContextSwitchTo(old);
				MemoryContextReset(op->scratchcxt);
				if (!op->arr->keep_rows)
					ereport(ERROR,
							(errcode(ERRCODE_INTERNAL_ERROR),
							 errmsg("pathway: inverse transition could not remove a value"),
							 errdetail("The view will be rebuilt from its sources.")));
				return false;
			}
			store_state(agg, gs, a, v, isnull, op->aggcxt);
			gs->ntrans[a]--;
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(op->scratchcxt);
	return true;
}

/* Rebuild a group's running states from its rows. */
static void
reseed(Op *op, ReduceGroup *gs, ArrGroup *g)
{
	ArrRow	   *r;
	int			a;

	for (a = 0; a < op->naggs; a++)
		moving_reset(op, &op->aggs[a], gs, a);
	for (r = g->rows; r; r = r->grp_next)
	{
		int64		k;

		if (r->weight < 0)
			inconsistent();
		ExecStoreMinimalTuple(r->tup, op->lslot, false);
		slot_getallattrs(op->lslot);
		for (k = 0; k < r->weight; k++)
			if (!moving_apply(op, gs, op->lslot, 1))
				inconsistent();
	}
	gs->reseed = false;
}

static ReduceGroup *
group_state(Op *op, ArrGroup *g)
{
	ReduceGroup *gs = (ReduceGroup *) g->payload;
	int			a;

	if (gs)
		return gs;
	gs = MemoryContextAllocZero(op->arr->cxt, sizeof(ReduceGroup));
	if (op->all_moving && op->naggs > 0)
	{
		gs->states = MemoryContextAllocZero(op->aggcxt, sizeof(Datum) * op->naggs);
		gs->nulls = MemoryContextAllocZero(op->aggcxt, sizeof(bool) * op->naggs);
		gs->ntrans = MemoryContextAllocZero(op->aggcxt, sizeof(int64) * op->naggs);
		for (a = 0; a < op->naggs; a++)
		{
			gs->nulls[a] = true;
			moving_reset(op, &op->aggs[a], gs, a);
		}
	}
	g->payload = gs;
	return gs;
}

/* One input of a sorted aggregate: a row and its sort keys. */
typedef struct SortedInput
{
	MinimalTuple tup;
	Datum	   *keys;
	bool	   *nulls;
} SortedInput;

static int
compare_inputs(const void *a, const void *b, void *arg)
{
	const SortedInput *x = (const SortedInput *) a;
	const SortedInput *y = (const SortedInput *) b;
	AggSpec    *agg = (AggSpec *) arg;
	int			i;

	for (i = 0; i < agg->nsort; i++)
	{
		int			c = ApplySortComparator(x->keys[i], x->nulls[i], y->keys[i], y->nulls[i],
											&agg->sortkeys[i]);

		if (c != 0)
			return c;
	}
	return 0;
}

/*
 * A group's rows (each as often as its weight), sorted on the aggregate's
 * ORDER BY or DISTINCT keys.  In the current (scratch) context.
 */
static SortedInput *
sorted_inputs(Op *op, AggSpec *agg, ArrGroup *g, int64 *n)
{
	TupleTableSlot *slot = op->lslot;
	SortedInput *in = palloc(sizeof(SortedInput) * Max(g->weight, 1));
	ArrRow	   *r;
	int64		m = 0;

	for (r = g->rows; r; r = r->grp_next)
	{
		int64		k;
		int			i;

		if (r->weight < 0 || m + r->weight > g->weight)
			inconsistent();
		ExecStoreMinimalTuple(r->tup, slot, false);
		slot_getallattrs(slot);
		for (k = 0; k < r->weight; k++, m++)
		{
			in[m].tup = r->tup;
			in[m].keys = palloc(sizeof(Datum) * agg->nsort);
			in[m].nulls = palloc(sizeof(bool) * agg->nsort);
			for (i = 0; i < agg->nsort; i++)
			{
				in[m].keys[i] = slot->tts_values[agg->sortcols[i]];
				in[m].nulls[i] = slot->tts_isnull[agg->sortcols[i]];
			}
		}
	}
	qsort_arg(in, m, sizeof(SortedInput), compare_inputs, agg);
	*n = m;
	return in;
}

/* Feed one input to a recomputed aggregate. */
static Datum
recompute_one(Op *op, AggSpec *agg, TupleTableSlot *slot, Datum state, bool *snull)
{
	if (agg->transstrict && *snull)
	{
		*snull = false;
		return datumCopy(slot->tts_values[agg->argcols[0]], agg->transbyval, agg->translen);
	}
	return call_trans(op, agg, &agg->transfn, state, *snull, slot, snull);
}

/* Recompute a group's aggregates from its rows into values[]. */
static void
recompute(Op *op, ArrGroup *g, Datum *values, bool *isnull)
{
	TupleTableSlot *slot = op->lslot;
	int			a;

	op->aggecxt->ecxt_per_tuple_memory = op->scratchcxt;
	for (a = 0; a < op->naggs; a++)
	{
		AggSpec    *agg = &op->aggs[a];
		Datum		state = agg->initnull ? (Datum) 0 :
			datumCopy(agg->initval, agg->transbyval, agg->translen);
		bool		snull = agg->initnull;

		if (agg->nsort > 0)
		{
			int64		n,
						i;
			SortedInput *in = sorted_inputs(op, agg, g, &n);
			SortedInput *prev = NULL;

			for (i = 0; i < n; i++)
			{
				ExecStoreMinimalTuple(in[i].tup, slot, false);
				slot_getallattrs(slot);
				if (filtered_out(agg, slot) || (agg->transstrict && args_have_null(agg, slot)))
					continue;
				if (agg->distinct && prev && compare_inputs(prev, &in[i], agg) == 0)
					continue;
				prev = &in[i];
				state = recompute_one(op, agg, slot, state, &snull);
			}
		}
		else
		{
			ArrRow	   *r;

			for (r = g->rows; r; r = r->grp_next)
			{
				int64		k;

				if (r->weight < 0)
					inconsistent();
				ExecStoreMinimalTuple(r->tup, slot, false);
				slot_getallattrs(slot);
				if (filtered_out(agg, slot) || (agg->transstrict && args_have_null(agg, slot)))
					continue;
				for (k = 0; k < r->weight; k++)
					state = recompute_one(op, agg, slot, state, &snull);
			}
		}
		if (agg->has_final)
			values[op->nkeys + a] = call_final(op, agg, &agg->finalfn, agg->nfinalargs,
											   agg->finalstrict, state, snull, &isnull[op->nkeys + a]);
		else
		{
			values[op->nkeys + a] = state;
			isnull[op->nkeys + a] = snull;
		}
	}
}

static void
moving_final(Op *op, ReduceGroup *gs, Datum *values, bool *isnull)
{
	int			a;

	op->aggecxt->ecxt_per_tuple_memory = op->aggcxt;
	for (a = 0; a < op->naggs; a++)
	{
		AggSpec    *agg = &op->aggs[a];

		if (agg->has_mfinal)
			values[op->nkeys + a] = call_final(op, agg, &agg->mfinalfn, agg->nmfinalargs,
											   agg->mfinalstrict, gs->states[a], gs->nulls[a],
											   &isnull[op->nkeys + a]);
		else
		{
			values[op->nkeys + a] = gs->states[a];
			isnull[op->nkeys + a] = gs->nulls[a];
		}
	}
}

/* The output row a group has now, formed in the current context, or NULL. */
static MinimalTuple
group_output(Op *op, ArrGroup *g, ReduceGroup *gs)
{
	Datum		values[MaxTupleAttributeNumber];
	bool		isnull[MaxTupleAttributeNumber];
	HeapTupleData htup;
	MinimalTuple result;
	MemoryContext old;
	int			i;

	if (g->weight < 0)
		inconsistent();
	if (g->weight == 0 && !op->global)
		return NULL;
	if (op->distinct)
		return heap_copy_minimal_tuple(g->key);

	htup.t_len = g->key->t_len + MINIMAL_TUPLE_OFFSET;
	htup.t_data = (HeapTupleHeader) ((char *) g->key - MINIMAL_TUPLE_OFFSET);
	for (i = 0; i < op->nkeys; i++)
		values[i] = heap_getattr(&htup, i + 1, op->arr->keys->keydesc, &isnull[i]);

	old = MemoryContextSwitchTo(op->scratchcxt);
	if (op->all_moving)
		moving_final(op, gs, values, isnull);
	else
		recompute(op, g, values, isnull);
	MemoryContextSwitchTo(old);
	result = zrow_form(op->desc, values, isnull);
	/* end what the group's aggregates registered (an ordered set's sort), then reset */
	op->aggecxt->ecxt_per_tuple_memory = op->scratchcxt;
	ReScanExprContext(op->aggecxt);
	op->aggecxt->ecxt_per_tuple_memory = op->aggcxt;
	return result;
}

void
op_reduce_step(Op *op)
{
	ZBatch	   *in = &op->left->out;
	TupleTableSlot *slot = op->lslot;
	ArrGroup   *g;
	List	   *empty = NIL;
	ListCell   *lc;
	int			i;

	op->aggecxt->ecxt_per_tuple_memory = op->aggcxt;
	for (i = 0; i < in->n; i++)
	{
		ZRow	   *r = &in->rows[i];
		bool		hasnull;
		uint32		h;
		ReduceGroup *gs;

		ExecStoreMinimalTuple(r->tup, slot, false);
		slot_getallattrs(slot);
		h = arrangement_key_hash(op->arr->keys, slot->tts_values, slot->tts_isnull, &hasnull);
		g = arrangement_lookup(op->arr, h, slot->tts_values, slot->tts_isnull, true);
		gs = group_state(op, g);
		arrangement_add(op->arr, g, r->tup, r->weight);
		if (op->all_moving && op->naggs > 0 && !gs->reseed)
		{
			int64		k;

			for (k = 0; k < (r->weight > 0 ? r->weight : -r->weight) && !gs->reseed; k++)
				gs->reseed = !moving_apply(op, gs, slot, r->weight > 0 ? 1 : -1);
		}
	}

	/* a global aggregate has its one row even over empty input */
	if (op->global && !op->global_seen)
	{
		Datum		nokey = (Datum) 0;
		bool		nonull = false;

		g = arrangement_lookup(op->arr, 0, &nokey, &nonull, true);
		group_state(op, g);
		op->global_seen = true;
	}

	for (g = op->arr->touched; g; g = g->touched_next)
	{
		ReduceGroup *gs = group_state(op, g);
		MinimalTuple newrow;

		if (gs->reseed)
			reseed(op, gs, g);
		newrow = group_output(op, g, gs);

		if (gs->output && newrow && zrow_equal(gs->output, newrow))
			continue;
		if (gs->output)
		{
			zbatch_add(&op->out, heap_copy_minimal_tuple(gs->output), -1);
			pfree(gs->output);
			gs->output = NULL;
		}
		if (newrow)
		{
			zbatch_add(&op->out, newrow, 1);
			gs->output = MemoryContextAlloc(op->arr->cxt, newrow->t_len);
			memcpy(gs->output, newrow, newrow->t_len);
		}
		if (g->weight == 0 && !op->global)
			empty = lappend(empty, g);
	}
	arrangement_clear_touched(op->arr);

	foreach(lc, empty)
	{
		g = (ArrGroup *) lfirst(lc);
		if (g->rows != NULL)
			inconsistent();
		free_group_state(op, (ReduceGroup *) g->payload);
		arrangement_remove_group(op->arr, g);
	}
	op->rows_in += in->n;
	op->rows_out += op->out.n;
}

/*
 * A windowed view: forget the groups whose window is final, rows and
 * states, emitting nothing (the view's table keeps or deletes their rows:
 * "time out" decides).  True, with the earliest window start left, when
 * groups with a window remain.
 */
bool
op_reduce_forget(Op *op, TimeClock *c, int64 *min_window)
{
	List	   *groups = arrangement_groups(op->arr);
	ListCell   *lc;
	bool		any = false;

	foreach(lc, groups)
	{
		ArrGroup   *g = lfirst(lc);
		bool		isnull;
		int64		w;

		w = DatumGetInt64(zrow_getattr(g->key, op->arr->keys->keydesc,
											   c->reduce_wcol + 1, &isnull));
		if (isnull)
			continue;
		if (op_time_final(c, c->has_time, c->time, w))
		{
			free_group_state(op, (ReduceGroup *) g->payload);
			g->payload = NULL;
			arrangement_drop_group(op->arr, g);
		}
		else if (!any || w < *min_window)
		{
			any = true;
			*min_window = w;
		}
	}
	list_free(groups);
	return any;
}

/* ---------- DISTINCT ON ---------- */

/* Compare two rows on the sort keys; slots hold them deformed. */
static int
first_compare(Op *op, TupleTableSlot *a, TupleTableSlot *b)
{
	int			i;

	for (i = 0; i < op->nsort; i++)
	{
		int			c = ApplySortComparator(a->tts_values[op->sortcols[i]], a->tts_isnull[op->sortcols[i]],
											b->tts_values[op->sortcols[i]], b->tts_isnull[op->sortcols[i]],
											&op->sortkeys[i]);

		if (c != 0)
			return c;
	}
	return 0;
}

/*
 * DISTINCT ON: per group (keycols), the row that sorts first.  A touched
 * group is rescanned for its first row; the group's output row is kept so
 * that a step emits -old +new only when it changed.
 */
void
op_first_step(Op *op)
{
	ZBatch	   *in = &op->left->out;
	TupleTableSlot *slot = op->lslot;
	TupleTableSlot *best = op->rslot;	/* a second slot of the input's type */
	ArrGroup   *g;
	List	   *empty = NIL;
	ListCell   *lc;
	int			i;

	for (i = 0; i < in->n; i++)
	{
		g = op_group_of(op, slot, in->rows[i].tup);
		arrangement_add(op->arr, g, in->rows[i].tup, in->rows[i].weight);
	}

	for (g = op->arr->touched; g; g = g->touched_next)
	{
		ArrRow	   *r,
				   *first = NULL;
		MinimalTuple old = (MinimalTuple) g->payload;

		for (r = g->rows; r; r = r->grp_next)
		{
			if (r->weight < 0)
				inconsistent();
			ExecStoreMinimalTuple(r->tup, slot, false);
			slot_getallattrs(slot);
			if (first == NULL || first_compare(op, slot, best) < 0)
			{
				first = r;
				ExecStoreMinimalTuple(r->tup, best, false);
				slot_getallattrs(best);
			}
		}
		if (old && first && zrow_equal(old, first->tup))
			continue;
		if (old)
		{
			zbatch_add(&op->out, heap_copy_minimal_tuple(old), -1);
			pfree(old);
			g->payload = NULL;
		}
		if (first)
		{
			zbatch_add(&op->out, heap_copy_minimal_tuple(first->tup), 1);
			g->payload = MemoryContextAlloc(op->arr->cxt, first->tup->t_len);
			memcpy(g->payload, first->tup, first->tup->t_len);
		}
		else
			empty = lappend(empty, g);
	}
	arrangement_clear_touched(op->arr);
	foreach(lc, empty)
		arrangement_remove_group(op->arr, (ArrGroup *) lfirst(lc));
	op->rows_in += in->n;
	op->rows_out += op->out.n;
}
