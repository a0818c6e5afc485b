/*
 * operator.c
 *	  Source, map and join operators, and the graph step.
 *
 * The join computes  dL x R  +  L' x dR  over two arrangements (L' is L with
 * dL applied), which is exact for any interleaving of changes in one step.
 * Rows whose join key has a NULL never match and are not kept.
 *
 * Memory: see operator.h.  Expression results live in the per-tuple memory
 * of op->econtext, reset after each row; output rows are formed in the
 * step's context.
 */
#include "postgres.h"

#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "engine/operator.h"
#include "engine/lateral.h"
#include "engine/temporal.h"
#include "engine/timegate.h"
#include "engine/iterate.h"
#include "engine/window.h"

Op *
op_make(OpKind kind, TupleDesc desc)
{
	Op		   *op = palloc0(sizeof(Op));

	op->kind = kind;
	op->desc = desc;
	op->econtext = CreateStandaloneExprContext();
	zbatch_init(&op->out);
	zbatch_init(&op->pending);
	return op;
}

/* Project a table row onto the columns this source keeps. */
void
op_source_add(Op *op, int natts, Datum *values, bool *isnull, int64 weight)
{
	Datum		v[MaxTupleAttributeNumber];
	bool		n[MaxTupleAttributeNumber];
	int			i;

	for (i = 0; i < op->nsrccols; i++)
	{
		AttrNumber	a = op->srcattnos[i];

		v[i] = a <= natts ? values[a - 1] : (Datum) 0;
		n[i] = a <= natts ? isnull[a - 1] : true;
	}
	zbatch_add(&op->pending, zrow_form(op->desc, v, n), weight);
}

/* A constant source's rows, for a build (they never change afterwards). */
void
op_source_add_constants(Op *op)
{
	int			i;

	for (i = 0; i < op->consts.n; i++)
		zbatch_add(&op->pending, heap_copy_minimal_tuple(op->consts.rows[i].tup),
				   op->consts.rows[i].weight);
}

static void
source_step(Op *op)
{
	op->out = op->pending;
	zbatch_init(&op->pending);
	op->rows_in += op->out.n;
	op->rows_out += op->out.n;
}

EngineBatchHook engine_batch_hook = NULL;
uint64		engine_hold_tag = 0;

/*
 * The batched calls' arguments over the rows that pass (pass[i]), handed to
 * the hook call by call, in the current (the step's) memory context.
 * False: some call's answers are not ready.
 */
static bool
map_batch_calls(Op *op, ZBatch *in, bool *pass, int from, int to)
{
	ExprContext *econtext = op->econtext;
	Datum	   *args[ENGINE_CALL_MAX_ARGS];
	bool	   *nulls[ENGINE_CALL_MAX_ARGS];
	int16		len[ENGINE_CALL_MAX_ARGS];
	bool		byval[ENGINE_CALL_MAX_ARGS];
	bool		ready = true;
	int			a,
				c,
				i,
				n;

	for (a = 0; a < ENGINE_CALL_MAX_ARGS; a++)
	{
		args[a] = palloc(sizeof(Datum) * Max(in->n, 1));
		nulls[a] = palloc(sizeof(bool) * Max(in->n, 1));
	}
	for (c = from; c < to; c++)
	{
		ExprState **ae = &op->batched_args[c * ENGINE_CALL_MAX_ARGS];

		for (a = 0; a < ENGINE_CALL_MAX_ARGS; a++)
			if (ae[a])
				get_typlenbyval(exprType((Node *) ae[a]->expr), &len[a], &byval[a]);
		n = 0;
		for (i = 0; i < in->n; i++)
		{
			if (!pass[i])
				continue;
			ExecStoreMinimalTuple(in->rows[i].tup, op->lslot, false);
			econtext->ecxt_scantuple = op->lslot;
			for (a = 0; a < ENGINE_CALL_MAX_ARGS; a++)
			{
				Datum		d;

				nulls[a][n] = true;
				args[a][n] = (Datum) 0;
				if (ae[a] == NULL)
					continue;
				d = ExecEvalExprSwitchContext(ae[a], econtext, &nulls[a][n]);
				if (!nulls[a][n])
					args[a][n] = datumCopy(d, byval[a], len[a]);
			}
			ResetExprContext(econtext);
			n++;
		}
		/* (every call asked, also after one is not ready: all start at once) */
		if (n > 0 &&
			!engine_batch_hook((EngineCallKind) op->batched_kind[c], &op->batched_state[c], n,
							   args, nulls))
			ready = false;
	}
	return ready;
}

/*
 * The calls of the filter's first conjunct over every row (the filter then
 * finds their answers), the filter (*pass: the rows it keeps, palloc'd),
 * then the select list's calls over those rows; false when some answers
 * are not ready.
 */
static bool
map_ask(Op *op, ZBatch *in, bool **pass)
{
	ExprContext *econtext = op->econtext;
	bool		ready;
	int			i;

	*pass = palloc(sizeof(bool) * Max(in->n, 1));
	if (op->nbatched_qual > 0)
	{
		memset(*pass, true, sizeof(bool) * Max(in->n, 1));
		/* (not ready: the filter would make its calls itself, one by one) */
		if (!map_batch_calls(op, in, *pass, 0, op->nbatched_qual))
			return false;
	}
	for (i = 0; i < in->n; i++)
	{
		ExecStoreMinimalTuple(in->rows[i].tup, op->lslot, false);
		econtext->ecxt_scantuple = op->lslot;
		(*pass)[i] = !op->qual || ExecQual(op->qual, econtext);
		ResetExprContext(econtext);
	}
	ready = map_batch_calls(op, in, *pass, op->nbatched_qual, op->nbatched);
	econtext->ecxt_scantuple = op->lslot;
	return ready;
}

/*
 * One batch through the map into op->out; false (nothing added) when its
 * batched calls' answers are not ready.  copy: the batch's rows go away
 * after this (a held batch), so a row passed through is copied.
 */
static bool
map_run(Op *op, ZBatch *in, bool copy)
{
	ExprContext *econtext = op->econtext;
	Datum		values[MaxTupleAttributeNumber];
	bool		isnull[MaxTupleAttributeNumber];
	bool	   *pass = NULL;
	int			i,
				j;

	econtext->ecxt_scantuple = op->lslot;
	if (op->nbatched > 0 && engine_batch_hook && in->n > 0 && !map_ask(op, in, &pass))
	{
		pfree(pass);
		return false;
	}
	for (i = 0; i < in->n; i++)
	{
		ZRow	   *r = &in->rows[i];

		ExecStoreMinimalTuple(r->tup, op->lslot, false);
		if (pass ? !pass[i] : (op->qual && !ExecQual(op->qual, econtext)))
		{
			ResetExprContext(econtext);
			continue;
		}
		if (op->exprs == NULL)
			zbatch_add(&op->out, copy ? heap_copy_minimal_tuple(r->tup) : r->tup, r->weight);
		else
		{
			for (j = 0; j < op->nexprs; j++)
				values[j] = ExecEvalExprSwitchContext(op->exprs[j], econtext, &isnull[j]);
			zbatch_add(&op->out, zrow_form(op->desc, values, isnull), r->weight);
		}
		ResetExprContext(econtext);
	}
	if (pass)
		pfree(pass);
	op->rows_in += in->n;
	return true;
}

/* Keep a copy of the batch, after those held already, in the operator's context. */
static void
map_hold(Op *op, ZBatch *in)
{
	MemoryContext parent = GetMemoryChunkContext(op);
	MemoryContext cxt = AllocSetContextCreate(parent, "pathway held batch", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	HeldBatch  *h = palloc(sizeof(HeldBatch));
	int			i;

	h->cxt = cxt;
	h->tag = engine_hold_tag;
	zbatch_init(&h->rows);
	for (i = 0; i < in->n; i++)
		zbatch_add(&h->rows, heap_copy_minimal_tuple(in->rows[i].tup), in->rows[i].weight);
	MemoryContextSwitchTo(parent);
	op->held = lappend(op->held, h);
	MemoryContextSwitchTo(old);
}

/*
 * A map whose calls may not be ready holds its batch (and every later one,
 * so that changes keep their order) until the hook has the answers.
 */
static void
map_step(Op *op)
{
	ZBatch	   *in = &op->left->out;

	if (op->nbatched == 0 || engine_batch_hook == NULL)
		(void) map_run(op, in, false);
	else
	{
		if (in->n > 0 && op->held != NIL)
		{
			bool	   *pass;

			/* behind held rows: its calls start now, its rows wait their turn */
			(void) map_ask(op, in, &pass);
			pfree(pass);
			map_hold(op, in);
		}
		else if (in->n > 0 && !map_run(op, in, false))
			map_hold(op, in);
		while (op->held != NIL)
		{
			HeldBatch  *h = linitial(op->held);

			if (!map_run(op, &h->rows, true))
				break;
			op->held = list_delete_first(op->held);
			MemoryContextDelete(h->cxt);
		}
	}
	op->rows_out += op->out.n;
}

/*
 * Evaluate a row's join key; false when a key is NULL (it can never match),
 * unless the keys match NULL with NULL (a magic set's).
 */
bool
op_row_key(Op *op, ExprState **keyexprs, TupleTableSlot *slot, MinimalTuple tup,
		   Datum *values, bool *isnull, uint32 *hash)
{
	bool		hasnull;
	int			i;

	ExecStoreMinimalTuple(tup, slot, false);
	op->econtext->ecxt_scantuple = slot;
	for (i = 0; i < op->keys->nkeys; i++)
		values[i] = ExecEvalExprSwitchContext(keyexprs[i], op->econtext, &isnull[i]);
	*hash = arrangement_key_hash(op->keys, values, isnull, &hasnull);
	return !hasnull || op->keys->nulls_match;
}

static MinimalTuple
join_concat(Op *op, MinimalTuple l, MinimalTuple r)
{
	Datum		values[MaxTupleAttributeNumber];
	bool		isnull[MaxTupleAttributeNumber];
	int			nl = op->lslot->tts_tupleDescriptor->natts;
	int			nr = op->rslot->tts_tupleDescriptor->natts;

	ExecStoreMinimalTuple(l, op->lslot, false);
	ExecStoreMinimalTuple(r, op->rslot, false);
	slot_getallattrs(op->lslot);
	slot_getallattrs(op->rslot);
	memcpy(values, op->lslot->tts_values, nl * sizeof(Datum));
	memcpy(isnull, op->lslot->tts_isnull, nl * sizeof(bool));
	memcpy(values + nl, op->rslot->tts_values, nr * sizeof(Datum));
	memcpy(isnull + nl, op->rslot->tts_isnull, nr * sizeof(bool));
	return heap_form_minimal_tuple(op->desc, values, isnull);
}

/* A row of one side with NULLs for the other side's columns. */
static MinimalTuple
join_pad(Op *op, MinimalTuple tup, bool is_left)
{
	Datum		values[MaxTupleAttributeNumber];
	bool		isnull[MaxTupleAttributeNumber];
	int			nl = op->lslot->tts_tupleDescriptor->natts;
	int			nr = op->rslot->tts_tupleDescriptor->natts;
	TupleTableSlot *slot = is_left ? op->lslot : op->rslot;
	int			at = is_left ? 0 : nl;

	memset(isnull, true, sizeof(bool) * (nl + nr));
	ExecStoreMinimalTuple(tup, slot, false);
	slot_getallattrs(slot);
	memcpy(values + at, slot->tts_values, sizeof(Datum) * (is_left ? nl : nr));
	memcpy(isnull + at, slot->tts_isnull, sizeof(bool) * (is_left ? nl : nr));
	return heap_form_minimal_tuple(op->desc, values, isnull);
}

/* The rows of 'arr' whose key is that of group g (of the other side). */
ArrGroup *
op_partner_group(Op *op, Arrangement *arr, ArrGroup *g)
{
	Datum		kv[INDEX_MAX_KEYS];
	bool		kn[INDEX_MAX_KEYS];
	HeapTupleData htup;
	int			i;

	htup.t_len = g->key->t_len + MINIMAL_TUPLE_OFFSET;
	htup.t_data = (HeapTupleHeader) ((char *) g->key - MINIMAL_TUPLE_OFFSET);
	for (i = 0; i < op->keys->nkeys; i++)
		kv[i] = heap_getattr(&htup, i + 1, op->keys->keydesc, &kn[i]);
	return arrangement_lookup(arr, g->keyhash, kv, kn, false);
}

/*
 * Probe 'other' with each row of 'delta' and emit the matches; then add the
 * delta to 'own'.  is_left says on which side the delta's rows are.
 *
 * Outer joins add the padded rows of the preserved side(s).  A delta row of
 * a preserved side with no partner is emitted padded.  And when a key of
 * this side goes from no rows to some (or back), the padded rows of the
 * other side's partners, if that side is preserved, are retracted (or
 * emitted): the difference of the anti-join, exactly.
 */
static void
join_half(Op *op, ZBatch *delta, bool is_left, Arrangement *own, Arrangement *other)
{
	Datum		kv[INDEX_MAX_KEYS];
	bool		kn[INDEX_MAX_KEYS];
	uint32		h;
	int			i;
	ExprState **keyexprs = is_left ? op->lkeys : op->rkeys;
	TupleTableSlot *slot = is_left ? op->lslot : op->rslot;
	bool		pad_own = is_left ? op->pad_left : op->pad_right;
	bool		pad_other = is_left ? op->pad_right : op->pad_left;
	ArrGroup   *g;
	List	   *empty = NIL;
	ListCell   *lc;

	for (i = 0; i < delta->n; i++)
	{
		ZRow	   *d = &delta->rows[i];
		ArrRow	   *m;

		if (!op_row_key(op, keyexprs, slot, d->tup, kv, kn, &h))
		{
			/* a NULL key matches nothing */
			if (pad_own)
				zbatch_add(&op->out, join_pad(op, d->tup, is_left), d->weight);
			ResetExprContext(op->econtext);
			continue;
		}
		g = arrangement_lookup(other, h, kv, kn, false);
		for (m = g ? g->rows : NULL; m; m = m->grp_next)
		{
			MinimalTuple t = is_left ? join_concat(op, d->tup, m->tup)
				: join_concat(op, m->tup, d->tup);

			zbatch_add(&op->out, t, d->weight * m->weight);
		}
		if (pad_own && (g == NULL || g->rows == NULL))
			zbatch_add(&op->out, join_pad(op, d->tup, is_left), d->weight);
		ResetExprContext(op->econtext);
	}

	for (i = 0; i < delta->n; i++)
	{
		ZRow	   *d = &delta->rows[i];

		if (!op_row_key(op, keyexprs, slot, d->tup, kv, kn, &h))
		{
			ResetExprContext(op->econtext);
			continue;
		}
		g = arrangement_lookup(own, h, kv, kn, true);
		arrangement_add(own, g, d->tup, d->weight);
		if (!own->track_touched && g->rows == NULL)
			arrangement_remove_group(own, g);
		ResetExprContext(op->econtext);
	}
	if (!own->track_touched)
		return;

	/* keys of this side that appeared or vanished flip the other's padding */
	for (g = own->touched; g; g = g->touched_next)
	{
		bool		now_empty = (g->rows == NULL);

		if (pad_other && g->was_empty != now_empty)
		{
			ArrGroup   *p = op_partner_group(op, other, g);
			ArrRow	   *m;

			for (m = p ? p->rows : NULL; m; m = m->grp_next)
				zbatch_add(&op->out, join_pad(op, m->tup, !is_left),
						   now_empty ? m->weight : -m->weight);
		}
		if (now_empty)
			empty = lappend(empty, g);
	}
	arrangement_clear_touched(own);
	foreach(lc, empty)
		arrangement_remove_group(own, (ArrGroup *) lfirst(lc));
	list_free(empty);
}

/*
 * Semi- and anti-join: the left rows that have (or lack) a partner on the
 * right.  A left change is emitted if its key has (lacks) right rows; a key
 * whose right rows appear or vanish emits or retracts its left rows.
 */
static void
semi_step(Op *op)
{
	ZBatch	   *dl = &op->left->out;
	ZBatch	   *dr = &op->right->out;
	Datum		kv[INDEX_MAX_KEYS];
	bool		kn[INDEX_MAX_KEYS];
	uint32		h;
	int			i;
	ArrGroup   *g;
	List	   *empty = NIL;
	ListCell   *lc;

	for (i = 0; i < dl->n; i++)
	{
		ZRow	   *d = &dl->rows[i];
		bool		matched = false;

		if (op_row_key(op, op->lkeys, op->lslot, d->tup, kv, kn, &h))
		{
			g = arrangement_lookup(op->rarr, h, kv, kn, false);
			matched = (g != NULL && g->rows != NULL);
			g = arrangement_lookup(op->larr, h, kv, kn, true);
			arrangement_add(op->larr, g, d->tup, d->weight);
			if (g->rows == NULL)
				arrangement_remove_group(op->larr, g);
		}
		if (matched == op->semi)
			zbatch_add(&op->out, d->tup, d->weight);
		ResetExprContext(op->econtext);
	}

	for (i = 0; i < dr->n; i++)
	{
		ZRow	   *d = &dr->rows[i];

		if (op_row_key(op, op->rkeys, op->rslot, d->tup, kv, kn, &h))
		{
			g = arrangement_lookup(op->rarr, h, kv, kn, true);
			arrangement_add(op->rarr, g, d->tup, d->weight);
		}
		ResetExprContext(op->econtext);
	}
	for (g = op->rarr->touched; g; g = g->touched_next)
	{
		bool		now_empty = (g->rows == NULL);

		if (g->was_empty != now_empty)
		{
			ArrGroup   *p = op_partner_group(op, op->larr, g);
			ArrRow	   *m;
			int64		sign = (now_empty == op->semi) ? -1 : 1;

			for (m = p ? p->rows : NULL; m; m = m->grp_next)
				zbatch_add(&op->out, m->tup, sign * m->weight);
		}
		if (now_empty)
			empty = lappend(empty, g);
	}
	arrangement_clear_touched(op->rarr);
	foreach(lc, empty)
		arrangement_remove_group(op->rarr, (ArrGroup *) lfirst(lc));
	op->rows_in += dl->n + dr->n;
	op->rows_out += op->out.n;
}

/* Does the batch hold an insertion (sign 1) or a deletion (sign -1)? */
static bool
batch_has(ZBatch *b, int sign)
{
	int			i;

	for (i = 0; i < b->n; i++)
		if ((b->rows[i].weight > 0) == (sign > 0))
			return true;
	return false;
}

static void
join_step(Op *op)
{
	if (op->semi || op->anti)
	{
		semi_step(op);
		return;
	}
	join_half(op, &op->left->out, true, op->larr, op->rarr);
	join_half(op, &op->right->out, false, op->rarr, op->larr);

	/*
	 * dL x R_old + L_new x dR pairs a row one side gains with a row the
	 * other loses, which never existed together; such pairs cancel in the
	 * sum, so consolidate it before an expression downstream evaluates one
	 * (100 / count(*) of a count that was zero only before the step)
	 */
	if (op->left->out.n > 0 && op->right->out.n > 0 &&
		((batch_has(&op->left->out, 1) && batch_has(&op->right->out, -1)) ||
		 (batch_has(&op->left->out, -1) && batch_has(&op->right->out, 1))))
		zbatch_consolidate(&op->out);
	op->rows_in += op->left->out.n + op->right->out.n;
	op->rows_out += op->out.n;
}

/*
 * A function in FROM that reads the row's columns (unnest(tags),
 * jsonb_array_elements(doc)): each input row becomes one row per result,
 * with the input's weight.  The function is not volatile, so a retraction
 * yields exactly the rows its insertion did.
 */
static void
flatmap_step(Op *op)
{
	ZBatch	   *in = &op->left->out;
	Datum		values[MaxTupleAttributeNumber];
	bool		isnull[MaxTupleAttributeNumber];
	Tuplestorestate *ts[ENGINE_FLATMAP_MAX_FUNCTIONS];
	int			nl = op->left->desc->natts;
	int			i,
				f;

	for (i = 0; i < in->n; i++)
	{
		int64		ord = 0;

		ExecStoreMinimalTuple(in->rows[i].tup, op->lslot, false);
		slot_getallattrs(op->lslot);
		op->econtext->ecxt_scantuple = op->lslot;
		for (f = 0; f < op->nsrfs; f++)
			ts[f] = ExecMakeTableFunctionResult(op->srfs[f], op->econtext, op->argcxt,
												op->fdescs[f], false);
		for (;;)
		{
			int			at = nl;
			bool		any = false;

			memcpy(values, op->lslot->tts_values, sizeof(Datum) * nl);
			memcpy(isnull, op->lslot->tts_isnull, sizeof(bool) * nl);
			for (f = 0; f < op->nsrfs; f++)
			{
				int			nf = op->fdescs[f]->natts;

				if (ts[f] && tuplestore_gettupleslot(ts[f], true, false, op->fslots[f]))
				{
					slot_getallattrs(op->fslots[f]);
					memcpy(values + at, op->fslots[f]->tts_values, sizeof(Datum) * nf);
					memcpy(isnull + at, op->fslots[f]->tts_isnull, sizeof(bool) * nf);
					any = true;
				}
				else
				{
					memset(values + at, 0, sizeof(Datum) * nf);
					memset(isnull + at, true, sizeof(bool) * nf);
				}
				at += nf;
			}
			if (!any)
				break;
			if (op->ordinality)
			{
				values[at] = Int64GetDatum(++ord);
				isnull[at] = false;
			}
			zbatch_add(&op->out, zrow_form(op->desc, values, isnull), in->rows[i].weight);
		}
		for (f = 0; f < op->nsrfs; f++)
			if (ts[f])
				tuplestore_end(ts[f]);
		ResetExprContext(op->econtext);
		MemoryContextReset(op->argcxt);
	}
	op->rows_in += in->n;
	op->rows_out += op->out.n;
}

static void
union_step(Op *op)
{
	int			i;

	for (i = 0; i < op->left->out.n; i++)
		zbatch_add(&op->out, op->left->out.rows[i].tup, op->left->out.rows[i].weight);
	for (i = 0; i < op->right->out.n; i++)
		zbatch_add(&op->out, op->right->out.rows[i].tup, op->right->out.rows[i].weight);
	op->rows_in += op->left->out.n + op->right->out.n;
	op->rows_out += op->out.n;
}

/* How many copies of a row INTERSECT/EXCEPT [ALL] give for l and r copies. */
static int64
setop_count(Op *op, int64 l, int64 r)
{
	if (l < 0 || r < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("pathway: row count became negative"),
				 errdetail("The view's state no longer matches its sources; it will be rebuilt.")));
	if (op->setop == SETOP_INTERSECT)
		return op->setop_all ? Min(l, r) : (l > 0 && r > 0);
	return op->setop_all ? Max(l - r, 0) : (l > 0 && r == 0);
}

/*
 * The group of op->arr a row belongs to, keyed on op->keycols (OP_FIRST and
 * OP_WINDOW), created if new; the row is left deformed in slot.
 */
ArrGroup *
op_group_of(Op *op, TupleTableSlot *slot, MinimalTuple tup)
{
	Datum		kv[INDEX_MAX_KEYS];
	bool		kn[INDEX_MAX_KEYS];
	bool		hasnull;
	uint32		h;
	int			k;

	ExecStoreMinimalTuple(tup, slot, false);
	slot_getallattrs(slot);
	for (k = 0; k < op->arr->keys->nkeys; k++)
	{
		kv[k] = slot->tts_values[op->keycols[k]];
		kn[k] = slot->tts_isnull[op->keycols[k]];
	}
	h = arrangement_key_hash(op->arr->keys, kv, kn, &hasnull);
	return arrangement_lookup(op->arr, h, kv, kn, true);
}

typedef struct SetopCounts
{
	int64		l;
	int64		r;
	int64		emitted;
} SetopCounts;

static void
setop_add(Op *op, ZBatch *in, TupleTableSlot *slot, bool is_left)
{
	int			i;

	for (i = 0; i < in->n; i++)
	{
		bool		hasnull;
		uint32		h;
		ArrGroup   *g;
		SetopCounts *c;

		ExecStoreMinimalTuple(in->rows[i].tup, slot, false);
		slot_getallattrs(slot);
		h = arrangement_key_hash(op->arr->keys, slot->tts_values, slot->tts_isnull, &hasnull);
		g = arrangement_lookup(op->arr, h, slot->tts_values, slot->tts_isnull, true);
		if (g->payload == NULL)
			g->payload = MemoryContextAllocZero(op->arr->cxt, sizeof(SetopCounts));
		c = (SetopCounts *) g->payload;
		if (is_left)
			c->l += in->rows[i].weight;
		else
			c->r += in->rows[i].weight;
		arrangement_add(op->arr, g, in->rows[i].tup, 0);
	}
}

static void
setop_step(Op *op)
{
	ArrGroup   *g;
	List	   *empty = NIL;
	ListCell   *lc;

	setop_add(op, &op->left->out, op->lslot, true);
	setop_add(op, &op->right->out, op->rslot, false);
	for (g = op->arr->touched; g; g = g->touched_next)
	{
		SetopCounts *c = (SetopCounts *) g->payload;
		int64		want = setop_count(op, c->l, c->r);

		if (want != c->emitted)
			zbatch_add(&op->out, heap_copy_minimal_tuple(g->key), want - c->emitted);
		c->emitted = want;
		if (c->l == 0 && c->r == 0)
			empty = lappend(empty, g);
	}
	arrangement_clear_touched(op->arr);
	foreach(lc, empty)
	{
		g = (ArrGroup *) lfirst(lc);
		pfree(g->payload);
		arrangement_remove_group(op->arr, g);
	}
	op->rows_in += op->left->out.n + op->right->out.n;
	op->rows_out += op->out.n;
}

/*
 * Run one step of the graph: every operator's output batch is rebuilt from
 * its inputs' batches.  Output rows are allocated in CurrentMemoryContext.
 */
static void
op_step(Op *op, uint64 step)
{
	/* an operator read by several others (grouping sets) runs once */
	if (op->last_step == step)
		return;
	op->last_step = step;
	if (op->left)
		op_step(op->left, step);
	if (op->right)
		op_step(op->right, step);
	zbatch_init(&op->out);
	switch (op->kind)
	{
		case OP_SOURCE:
			source_step(op);
			break;
		case OP_MAP:
			map_step(op);
			break;
		case OP_JOIN:
			join_step(op);
			break;
		case OP_REDUCE:
			op_reduce_step(op);
			break;
		case OP_UNION:
			union_step(op);
			break;
		case OP_SETOP:
			setop_step(op);
			break;
		case OP_FIRST:
			op_first_step(op);
			break;
		case OP_FLATMAP:
			flatmap_step(op);
			break;
		case OP_WINDOW:
			op_window_step(op);
			break;
		case OP_LATERAL:
			op_lateral_step(op);
			break;
		case OP_TIME_IN:
			op_time_in_step(op);
			break;
		case OP_TIME_OUT:
			op_time_out_step(op);
			break;
		case OP_TEMPORAL:
			op_temporal_step(op);
			break;
		case OP_ITERATE:
			op_iterate_step(op);
			break;
	}
}

void
graph_step(Op *root)
{
	static uint64 steps = 0;

	op_step(root, ++steps);
}

/* State held by one operator: its arrangements and aggregate states. */
Size
op_state_bytes(Op *op)
{
	Size		s = 0;

	if (op->larr)
		s += arrangement_bytes(op->larr);
	if (op->rarr)
		s += arrangement_bytes(op->rarr);
	if (op->arr)
		s += arrangement_bytes(op->arr);
	if (op->aggcxt)
		s += MemoryContextMemAllocated(op->aggcxt, true);
	if (op->window)
		s += MemoryContextMemAllocated(op->window->rowcxt, true);
	if (op->lateral)
		s += op_lateral_bytes(op);
	if (op->temporal)
		s += MemoryContextMemAllocated(op->temporal->cxt, true);
	{
		ListCell   *lc;

		foreach(lc, op->held)
			s += MemoryContextMemAllocated(((HeldBatch *) lfirst(lc))->cxt, true);
	}
	return s;
}

int64
op_state_rows(Op *op)
{
	int64		n = 0;

	if (op->larr)
		n += op->larr->nrows;
	if (op->rarr)
		n += op->rarr->nrows;
	if (op->temporal)
		n += op->temporal->nrows;
	if (op->window)
		n += op->window->nrows;
	else if (op->lateral)
		n += op->lateral->nentries;
	else if (op->arr)
		n += op->arr->keep_rows ? op->arr->nrows : op->arr->ngroups;
	return n;
}

#define MAX_GRAPH_OPS 1024

Size
graph_state_bytes(Op *root)
{
	Op		   *ops[MAX_GRAPH_OPS];
	int			n = graph_operators(root, ops, MAX_GRAPH_OPS);
	Size		s = 0;
	int			i;

	for (i = 0; i < n; i++)
		s += op_state_bytes(ops[i]);
	return s;
}

int64
graph_state_rows(Op *root)
{
	Op		   *ops[MAX_GRAPH_OPS];
	int			n = graph_operators(root, ops, MAX_GRAPH_OPS);
	int64		rows = 0;
	int			i;

	for (i = 0; i < n; i++)
		rows += op_state_rows(ops[i]);
	return rows;
}

int64
graph_held_rows(Op *root, uint64 *oldest_tag)
{
	Op		   *ops[MAX_GRAPH_OPS];
	int			n = graph_operators(root, ops, MAX_GRAPH_OPS);
	int64		rows = 0;
	int			i;
	ListCell   *lc;

	*oldest_tag = PG_UINT64_MAX;
	for (i = 0; i < n; i++)
		foreach(lc, ops[i]->held)
		{
			HeldBatch  *h = lfirst(lc);

			rows += h->rows.n;
			*oldest_tag = Min(*oldest_tag, h->tag);
		}
	return rows;
}

bool
graph_has_kind(Op *root, OpKind kind)
{
	Op		   *ops[MAX_GRAPH_OPS];
	int			n = graph_operators(root, ops, MAX_GRAPH_OPS);
	int			i;

	for (i = 0; i < n; i++)
		if (ops[i]->kind == kind)
			return true;
	return false;
}

/* The operators of a graph, sources first (post-order); at most max. */
static int
collect_operators(Op *op, Op **ops, int n, int max)
{
	int			i;

	for (i = 0; i < n; i++)
		if (ops[i] == op)
			return n;			/* shared: listed once */
	if (op->left)
		n = collect_operators(op->left, ops, n, max);
	if (op->right)
		n = collect_operators(op->right, ops, n, max);
	if (n < max)
		ops[n++] = op;
	return n;
}

int
graph_operators(Op *op, Op **ops, int max)
{
	return collect_operators(op, ops, 0, max);
}

const char *
op_kind_name(Op *op)
{
	switch (op->kind)
	{
		case OP_SOURCE:
			return "source";
		case OP_MAP:
			return op->exprs ? "project" : "filter";
		case OP_JOIN:
			if (op->semi)
				return "semi join";
			if (op->anti)
				return "anti join";
			return op->keys->nkeys > 0 ? "join" : "cross join";
		case OP_REDUCE:
			return op->distinct ? "distinct" : op->global ? "aggregate" : "group by";
		case OP_UNION:
			return "union all";
		case OP_FIRST:
			return "distinct on";
		case OP_FLATMAP:
			return "function";
		case OP_WINDOW:
			return op->window && op->window->plan ? "window" : "top-k";
		case OP_LATERAL:
			return op->lateral && op->lateral->fast ? "lateral top-k (distance fast path)" : "lateral top-k";
		case OP_TIME_IN:
			return "late rows";
		case OP_TIME_OUT:
			return "window time";
		case OP_TEMPORAL:
			return "temporal filter";
		case OP_ITERATE:
			return op->iterate->set ? "recursive union" : "recursive union all";
		case OP_SETOP:
			return op->setop == SETOP_INTERSECT ? (op->setop_all ? "intersect all" : "intersect")
				: (op->setop_all ? "except all" : "except");
	}
	return "?";
}
