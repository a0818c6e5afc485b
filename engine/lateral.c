/*
 * lateral.c
 *	  A correlated LATERAL subquery with ORDER BY ... LIMIT k, kept per
 *	  outer row (lateral.h says what it computes).
 *
 * A step runs in four phases:
 *  1. each outer change enters the left arrangement: a new outer row is
 *     marked for a recompute, a vanished one is dropped;
 *  2. each candidate change is compared with every outer row of its key
 *     that is there both before and after the step: an insertion that
 *     beats an answer's last entry (or fills an answer that is short)
 *     enters it, a removal leaves the answer it is in; an answer that was
 *     full and falls short is marked for a recompute.  So a pair is only
 *     evaluated when its two rows exist together, and an expression error
 *     (vectors of different lengths) is one the query would raise too;
 *  3. the candidate changes enter the right arrangement;
 *  4. marked answers are recomputed from their key's candidates (a bounded
 *     insertion: a candidate that sorts after a full answer's last entry is
 *     skipped before its select list is computed).
 * An outer row's output is retracted (with its weight then) the first time
 * a step changes it, and emitted again (with its weight now) at the end;
 * the step's output is consolidated, so unchanged rows cancel.
 *
 * Memory: answers and entries in op->lateral->anscxt; the arrangements in
 * their own contexts; a step's rows in the step's context.
 */
#include "postgres.h"

#include <math.h>

#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/sortsupport.h"

#include "engine/lateral.h"
#include "engine/lateral_fast.h"
#include "engine/vector.h"

typedef struct AnswerSlot
{
	ArrRow	   *row;			/* hash key */
	LatAnswer  *ans;
} AnswerSlot;

typedef struct StepState
{
	LatAnswer  *touched;
} StepState;

/* The copies the output reads: OFFSET + LIMIT (with ties: and the last one's peers). */
static int64
answer_bound(LateralSpec *ls)
{
	return ls->count < 0 ? PG_INT64_MAX : ls->offset + ls->count;
}

/*
 * The copies an answer holds at most: the bound and a reserve as large as
 * the LIMIT (at most 64), so that a removed answer is replaced from the
 * reserve, and only an answer whose reserve is used up is recomputed.
 */
static int64
answer_cap(LateralSpec *ls)
{
	if (ls->count < 0)
		return PG_INT64_MAX;
	if (ls->count == 0)
		return 0;
	return ls->offset + ls->count + Min(ls->count, 64);
}

static Datum
entry_attr(LateralSpec *ls, MinimalTuple tup, int col, bool *isnull)
{
	return zrow_getattr(tup, ls->entrydesc, col + 1, isnull);
}

/* Compare ORDER BY values (sv, sn) with entry b's: 0 for peers. */
static int
values_compare(LateralSpec *ls, Datum *sv, bool *sn, const LatEntry *b)
{
	int			i;

	for (i = 0; i < ls->nsort; i++)
	{
		Datum		vb;
		bool		nb;
		int			c;

		if (i == 0)
		{
			vb = b->key1;
			nb = b->null1;
		}
		else
			vb = entry_attr(ls, b->tup, i, &nb);
		c = ApplySortComparator(sv[i], sn[i], vb, nb, &ls->sortkeys[i]);
		if (c != 0)
			return c;
	}
	return 0;
}

static int
peers_compare(LateralSpec *ls, const LatEntry *a, const LatEntry *b)
{
	Datum		sv[INDEX_MAX_KEYS];
	bool		sn[INDEX_MAX_KEYS];
	int			i;

	sv[0] = a->key1;
	sn[0] = a->null1;
	for (i = 1; i < ls->nsort; i++)
		sv[i] = entry_attr(ls, a->tup, i, &sn[i]);
	return values_compare(ls, sv, sn, b);
}

/* The total order of entries: ORDER BY keys, then the entries' bytes. */
static int
entry_compare(LateralSpec *ls, const LatEntry *a, const LatEntry *b)
{
	int			c = peers_compare(ls, a, b);

	return c != 0 ? c : zrow_compare(a->tup, b->tup);
}

static void
set_key1(LateralSpec *ls, LatEntry *e)
{
	if (ls->nsort > 0)
		e->key1 = entry_attr(ls, e->tup, 0, &e->null1);
	else
	{
		e->key1 = (Datum) 0;
		e->null1 = true;
	}
}

static LatAnswer *
answer_of(LateralSpec *ls, ArrRow *row, bool create)
{
	AnswerSlot *s;
	bool		found;

	s = hash_search(ls->answers, &row, create ? HASH_ENTER : HASH_FIND, &found);
	if (s == NULL)
		return NULL;
	if (!found)
	{
		s->ans = MemoryContextAllocZero(ls->anscxt, sizeof(LatAnswer));
		s->ans->row = row;
	}
	return s->ans;
}

static void
free_entries(LateralSpec *ls, LatAnswer *a)
{
	int			i;

	for (i = 0; i < a->n; i++)
		pfree(a->e[i].tup);
	ls->nentries -= a->n;
	a->n = 0;
	a->held = 0;
}

/* ---------- pairs ---------- */

/* Put the outer row's columns into the pair slot (once per outer row). */
static void
pair_set_outer(Op *op, MinimalTuple ltup)
{
	LateralSpec *ls = op->lateral;
	int			nl = op->left->desc->natts;

	ExecStoreMinimalTuple(ltup, op->lslot, false);
	slot_getallattrs(op->lslot);
	ExecClearTuple(ls->pairslot);
	memcpy(ls->pairslot->tts_values, op->lslot->tts_values, sizeof(Datum) * nl);
	memcpy(ls->pairslot->tts_isnull, op->lslot->tts_isnull, sizeof(bool) * nl);
}

static void
pair_set_inner(Op *op, MinimalTuple rtup)
{
	LateralSpec *ls = op->lateral;
	int			nl = op->left->desc->natts;
	int			nr = op->right->desc->natts;

	ExecStoreMinimalTuple(rtup, op->rslot, false);
	slot_getallattrs(op->rslot);
	ExecClearTuple(ls->pairslot);
	memcpy(ls->pairslot->tts_values + nl, op->rslot->tts_values, sizeof(Datum) * nr);
	memcpy(ls->pairslot->tts_isnull + nl, op->rslot->tts_isnull, sizeof(bool) * nr);
	ExecStoreVirtualTuple(ls->pairslot);
}

/*
 * Does the pair in the slot pass the correlated conditions?  If so, its
 * ORDER BY values in sv/sn (in the expression context's per-tuple memory).
 */
static bool
pair_eval(Op *op, Datum *sv, bool *sn)
{
	LateralSpec *ls = op->lateral;
	int			i;

	op->econtext->ecxt_scantuple = ls->pairslot;
	if (ls->qual && !ExecQual(ls->qual, op->econtext))
		return false;
	for (i = 0; i < ls->nsort; i++)
		sv[i] = ExecEvalExprSwitchContext(ls->sortexprs[i], op->econtext, &sn[i]);
	return true;
}

/* The pair's entry (count 0), in anscxt. */
static LatEntry
pair_entry(Op *op, Datum *sv, bool *sn)
{
	LateralSpec *ls = op->lateral;
	Datum		values[MaxTupleAttributeNumber];
	bool		isnull[MaxTupleAttributeNumber];
	MemoryContext old;
	LatEntry	e;
	int			i;

	memcpy(values, sv, sizeof(Datum) * ls->nsort);
	memcpy(isnull, sn, sizeof(bool) * ls->nsort);
	for (i = 0; i < ls->nout; i++)
		values[ls->nsort + i] = ExecEvalExprSwitchContext(ls->outexprs[i], op->econtext,
														  &isnull[ls->nsort + i]);
	old = MemoryContextSwitchTo(ls->anscxt);
	e.tup = zrow_form(ls->entrydesc, values, isnull);
	MemoryContextSwitchTo(old);
	engine_memory_note(e.tup->t_len);
	e.count = 0;
	set_key1(ls, &e);
	return e;
}

/* ---------- answers ---------- */

/* The position of e in a (found: equal entry there), or where it goes. */
static int
answer_search(LateralSpec *ls, LatAnswer *a, LatEntry *e, bool *found)
{
	int			lo = 0,
				hi = a->n;

	*found = false;
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = entry_compare(ls, &a->e[mid], e);

		if (c == 0)
		{
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The index of the entry holding copy number 'copy' (0-based); -1 if none. */
static int
entry_holding(LatAnswer *a, int64 copy)
{
	int64		cum = 0;
	int			i;

	for (i = 0; i < a->n; i++)
	{
		cum += a->e[i].count;
		if (cum > copy)
			return i;
	}
	return -1;
}

/*
 * Drop trailing entries that lie wholly beyond the answer's capacity; the
 * answer is then no longer complete.
 */
static void
answer_trim(LateralSpec *ls, LatAnswer *a)
{
	int64		cap = answer_cap(ls);

	while (a->n > 0 && a->held - a->e[a->n - 1].count >= cap)
	{
		LatEntry   *last = &a->e[a->n - 1];

		/*
		 * With ties, an incomplete answer must end with an entry that is no
		 * peer of the bound's entry j: then every peer is held, and a
		 * candidate after the last entry cannot be one.
		 */
		if (ls->with_ties)
		{
			int			j = entry_holding(a, answer_bound(ls) - 1);

			if (j >= 0 && j < a->n - 1 &&
				(peers_compare(ls, last, &a->e[j]) == 0 ||
				 peers_compare(ls, &a->e[a->n - 2], &a->e[j]) == 0))
				break;
		}
		a->held -= last->count;
		pfree(last->tup);
		a->n--;
		ls->nentries--;
		a->complete = false;
	}
}

/* Would an entry with these ORDER BY values be held by answer a? */
static bool
may_enter(LateralSpec *ls, LatAnswer *a, Datum *sv, bool *sn)
{
	if (ls->count == 0)
		return false;
	if (a->complete)
		return true;
	/* an incomplete answer holds the first candidates up to its last entry */
	return a->n > 0 && values_compare(ls, sv, sn, &a->e[a->n - 1]) <= 0;
}

/* Add copies of entry e (owned by the answer afterwards, or freed). */
static void
answer_add(LateralSpec *ls, LatAnswer *a, LatEntry e, int64 copies)
{
	bool		found;
	int			pos = answer_search(ls, a, &e, &found);

	if (found)
	{
		a->e[pos].count += copies;
		pfree(e.tup);
	}
	else
	{
		/* after an incomplete answer's last entry (a peer by ORDER BY): unknown ground */
		if (pos == a->n && !a->complete)
		{
			pfree(e.tup);
			return;
		}
		if (a->n == a->cap)
		{
			int			cap = a->cap ? a->cap * 2 : 4;

			a->e = a->e ? repalloc(a->e, sizeof(LatEntry) * cap)
				: MemoryContextAlloc(ls->anscxt, sizeof(LatEntry) * cap);
			a->cap = cap;
		}
		memmove(&a->e[pos + 1], &a->e[pos], sizeof(LatEntry) * (a->n - pos));
		e.count = copies;
		a->e[pos] = e;
		a->n++;
		ls->nentries++;
	}
	a->held += copies;
	answer_trim(ls, a);
}

/*
 * Take copies of entry e out of answer a.  False when the answer can no
 * longer say what it holds (its reserve is used up, or e was not where it
 * should be): it must be recomputed.
 */
static bool
answer_remove(LateralSpec *ls, LatAnswer *a, LatEntry *e, int64 copies)
{
	bool		found;
	int			pos = answer_search(ls, a, e, &found);

	if (!found)
		return !(a->complete || pos < a->n);
	a->e[pos].count -= copies;
	a->held -= copies;
	if (a->e[pos].count <= 0)
	{
		bool		exact = (a->e[pos].count == 0);

		pfree(a->e[pos].tup);
		memmove(&a->e[pos], &a->e[pos + 1], sizeof(LatEntry) * (a->n - pos - 1));
		a->n--;
		ls->nentries--;
		if (!exact)
			return false;
	}
	if (a->complete)
		return true;
	if (a->held < answer_bound(ls))
		return false;
	/* with ties, the bound's peers must all be held: the last one must not be one */
	if (ls->with_ties)
	{
		int			j = entry_holding(a, answer_bound(ls) - 1);

		if (j >= 0 && peers_compare(ls, &a->e[a->n - 1], &a->e[j]) == 0)
			return false;
	}
	return true;
}

/* ---------- output ---------- */

static void
emit_row(Op *op, MinimalTuple ltup, LatEntry *e, int64 weight)
{
	LateralSpec *ls = op->lateral;
	Datum		values[MaxTupleAttributeNumber];
	bool		isnull[MaxTupleAttributeNumber];
	int			nl = op->left->desc->natts;
	int			i;

	ExecStoreMinimalTuple(ltup, op->lslot, false);
	slot_getallattrs(op->lslot);
	memcpy(values, op->lslot->tts_values, sizeof(Datum) * nl);
	memcpy(isnull, op->lslot->tts_isnull, sizeof(bool) * nl);
	for (i = 0; i < ls->nout; i++)
	{
		if (e)
			values[nl + i] = entry_attr(ls, e->tup, ls->nsort + i, &isnull[nl + i]);
		else
		{
			values[nl + i] = (Datum) 0;
			isnull[nl + i] = true;
		}
	}
	zbatch_add(&op->out, zrow_form(op->desc, values, isnull), weight);
}

/* Emit (weight > 0) or retract (< 0) the output rows of one outer row. */
static void
emit_answer(Op *op, MinimalTuple ltup, LatAnswer *a, int64 weight)
{
	LateralSpec *ls = op->lateral;
	int64		lo = ls->offset;
	int64		hi = answer_bound(ls);
	int			last = -1;
	int64		cum = 0;
	bool		any = false;
	int			i;

	if (weight == 0)
		return;
	if (ls->with_ties && a)
		last = entry_holding(a, hi - 1);
	for (i = 0; a && i < a->n; i++)
	{
		int64		from = cum,
					to = cum + a->e[i].count;
		int64		end = hi;
		int64		copies;

		cum = to;
		if (last >= 0 && i >= last && peers_compare(ls, &a->e[i], &a->e[last]) == 0)
			end = PG_INT64_MAX;
		copies = Min(to, end) - Max(from, lo);
		if (copies <= 0)
			continue;
		emit_row(op, ltup, &a->e[i], weight * copies);
		any = true;
	}
	if (!any && ls->pad)
		emit_row(op, ltup, NULL, weight);
}

static void
touch(Op *op, StepState *st, LatAnswer *a)
{
	if (a->touched)
		return;
	a->touched = true;
	emit_answer(op, a->row->tup, a, -a->row->weight);
	a->next_touched = st->touched;
	st->touched = a;
}

/* ---------- the step ---------- */

static void
recompute(Op *op, LatAnswer *a)
{
	LateralSpec *ls = op->lateral;
	ArrGroup   *rg = op_partner_group(op, op->rarr, a->row->group);
	ArrRow	   *c;
	Datum		sv[INDEX_MAX_KEYS];
	bool		sn[INDEX_MAX_KEYS];

	bool		on;
	Datum		ov;

	free_entries(ls, a);
	a->complete = true;
	ls->recomputes++;
	pair_set_outer(op, a->row->tup);
	ov = op_lateral_outer_vector(op, a->row->tup, &on);
	for (c = rg ? rg->rows : NULL; c; c = c->grp_next)
	{
		CHECK_FOR_INTERRUPTS();
		if (op_lateral_fast_beyond(op, a, ov, on, c->tup, NAN))
			continue;
		pair_set_inner(op, c->tup);
		if (pair_eval(op, sv, sn) && may_enter(ls, a, sv, sn))
			answer_add(ls, a, pair_entry(op, sv, sn), c->weight);
		ResetExprContext(op->econtext);
	}
	a->dirty = false;
}

/*
 * Phase 1: changes of one candidate vector (an UPDATE's old and new row,
 * nrows of them, in batch order) against the outer rows of their key.  The
 * fast path's tests read the vector only, so they are made once for all of
 * them: an answer's last distance only comes closer within a step, so a
 * pair the tests put after it before the first change stays after it.
 */
static void
candidate_change(Op *op, StepState *st, ZRow *rows, int nrows, Datum *kv, bool *kn, uint32 h)
{
	ZRow	   *d = &rows[0];
	int			r;
	LateralSpec *ls = op->lateral;
	ArrGroup   *lg = arrangement_lookup(op->larr, h, kv, kn, false);
	ArrRow	   *m;
	Datum		sv[INDEX_MAX_KEYS];
	bool		sn[INDEX_MAX_KEYS];
	double		cnorm = NAN;
	NormIndex  *idx = (lg && op_lateral_norm_indexed(ls)) ? lg->payload : NULL;
	ArrRow	   *next = (idx || lg == NULL) ? NULL : lg->rows;
	int			i = 0;
	const float *cvec = NULL;
	int			cdim = 0;
	double		csketch[VECTOR_SKETCH];

	if (ls->fast == VECTOR_L2 && lg != NULL)
	{
		bool		cn;
		Datum		cv = op_lateral_attr(d->tup, op->right->desc, ls->fast_cand_col, &cn);

		cnorm = op_vector_norm(cv, cn);
		cvec = op_vector_floats(cv, cn, &cdim);
		if (cvec)
			vector_sketch(cvec, cdim, csketch);
	}

	for (;;)
	{
		LatAnswer  *a;
		NormSlot   *sl = NULL;

		if (idx)
		{
			/* the norm test over the group's slots, in one pass */
			for (; i < idx->n; i++)
			{
				sl = &idx->s[i];
				if (isnan(cnorm) || !(fabs(sl->onorm - cnorm) > sl->bound + 1e-4 * (sl->bound + sl->onorm + cnorm)))
					break;
			}
			if (i >= idx->n)
				break;
			sl = &idx->s[i++];
			a = sl->a;
			m = a->row;
		}
		else
		{
			if (next == NULL)
				break;
			m = next;
			next = m->grp_next;
			a = answer_of(ls, m, false);
		}
		if (a == NULL)
			elog(ERROR, "pathway: an outer row of a LATERAL subquery has no answer");
		if (a->dirty)
			continue;
		if (sl && cvec && sl->ovec && sl->dim == cdim && !isinf(sl->bound))
		{
			/*
			 * the partial sums straight from the slot's vector (its bound is
			 * at or above the answer's last distance: exact, as the norm test)
			 */
			double		limit = sl->bound * sl->bound * (1.0 + 1e-9);

			if (vector_sketch_above(idx->sketch + (size_t) (sl - idx->s) * VECTOR_SKETCH, csketch, cdim, limit))
				continue;
			if (vector_l2_squared_above(sl->ovec, cvec, cdim, limit))
				continue;
		}
		else if (ls->fast != VECTOR_NONE)
		{
			bool		on;
			Datum		ov = op_lateral_outer_vector(op, m->tup, &on);

			if (op_lateral_fast_beyond(op, a, ov, on, d->tup, cnorm))
				continue;
		}
		pair_set_outer(op, m->tup);
		for (r = 0; r < nrows && !a->dirty; r++)
		{
			ZRow	   *c = &rows[r];

			pair_set_inner(op, c->tup);
			if (!pair_eval(op, sv, sn))
			{
				ResetExprContext(op->econtext);
				continue;
			}
			if (c->weight > 0)
			{
				if (may_enter(ls, a, sv, sn))
				{
					touch(op, st, a);
					answer_add(ls, a, pair_entry(op, sv, sn), c->weight);
				}
			}
			else if (ls->count != 0 &&
					 (a->complete ||
					  (a->n > 0 && values_compare(ls, sv, sn, &a->e[a->n - 1]) <= 0)))
			{
				LatEntry	e = pair_entry(op, sv, sn);

				touch(op, st, a);
				if (!answer_remove(ls, a, &e, -c->weight))
					a->dirty = true;
				pfree(e.tup);
			}
			ResetExprContext(op->econtext);
		}
	}
}

void
op_lateral_step(Op *op)
{
	LateralSpec *ls = op->lateral;
	ZBatch	   *dl = &op->left->out;
	ZBatch	   *dr = &op->right->out;
	StepState	st = {NULL};
	Datum		kv[INDEX_MAX_KEYS];
	bool		kn[INDEX_MAX_KEYS];
	uint32		h;
	LatAnswer  *a,
			   *next;
	int			i,
				j;

	/* 1. the outer rows: vanished ones leave, new ones wait for a recompute */
	for (i = 0; i < dl->n; i++)
	{
		ZRow	   *d = &dl->rows[i];
		ArrGroup   *g;
		ArrRow	   *m;

		if (!op_row_key(op, op->lkeys, op->lslot, d->tup, kv, kn, &h))
		{
			/* a NULL key has no candidates */
			ResetExprContext(op->econtext);
			if (ls->pad)
				emit_row(op, d->tup, NULL, d->weight);
			continue;
		}
		ResetExprContext(op->econtext);
		g = arrangement_lookup(op->larr, h, kv, kn, true);
		m = arrangement_find_row(op->larr, g, d->tup);
		if (m)
		{
			a = answer_of(ls, m, false);
			touch(op, &st, a);
			if (m->weight + d->weight == 0)
			{
				a->gone = true;
				op_lateral_slot_remove(g, a);
				hash_search(ls->answers, &m, HASH_REMOVE, NULL);
			}
			arrangement_add(op->larr, g, d->tup, d->weight);
		}
		else
		{
			arrangement_add(op->larr, g, d->tup, d->weight);
			m = arrangement_find_row(op->larr, g, d->tup);
			a = answer_of(ls, m, true);
			a->slot = -1;
			if (op_lateral_norm_indexed(ls))
				op_lateral_slot_add(ls, g, a);
			a->touched = true;
			a->dirty = true;
			a->next_touched = st.touched;
			st.touched = a;
		}
		if (g->rows == NULL)
		{
			op_lateral_slots_free(g);
			arrangement_remove_group(op->larr, g);
		}
	}

	/*
	 * 2. candidates against the outer rows there before and after the
	 * step: a pair is only ever evaluated when both of its rows exist
	 * together (before the step, or after it)
	 */
	for (i = 0; i < dr->n; i = j)
	{
		j = i + 1;
		if (!op_row_key(op, op->rkeys, op->rslot, dr->rows[i].tup, kv, kn, &h))
		{
			ResetExprContext(op->econtext);
			continue;
		}
		while (j < dr->n && op_lateral_same_candidate(op, &dr->rows[i], &dr->rows[j], kv, kn, h))
			j++;
		candidate_change(op, &st, &dr->rows[i], j - i, kv, kn, h);
		ResetExprContext(op->econtext);
	}

	/* 3. the candidates enter */
	for (i = 0; i < dr->n; i++)
	{
		ArrGroup   *g;

		if (!op_row_key(op, op->rkeys, op->rslot, dr->rows[i].tup, kv, kn, &h))
		{
			ResetExprContext(op->econtext);
			continue;
		}
		g = arrangement_lookup(op->rarr, h, kv, kn, true);
		arrangement_add(op->rarr, g, dr->rows[i].tup, dr->rows[i].weight);
		if (g->rows == NULL)
			arrangement_remove_group(op->rarr, g);
		ResetExprContext(op->econtext);
	}
	/* 4. recompute what must be, and emit the answers as they are now */
	for (a = st.touched; a; a = next)
	{
		next = a->next_touched;
		if (a->gone)
		{
			free_entries(ls, a);
			if (a->e)
				pfree(a->e);
			pfree(a);
			continue;
		}
		if (a->dirty)
			recompute(op, a);
		op_lateral_slot_refresh(op, a);
		emit_answer(op, a->row->tup, a, a->row->weight);
		a->touched = false;
		a->next_touched = NULL;
	}
	zbatch_consolidate(&op->out);
	op->rows_in += dl->n + dr->n;
	op->rows_out += op->out.n;
}

void
op_init_lateral(Op *op)
{
	LateralSpec *ls = op->lateral;
	HASHCTL		ctl;

	ls->anscxt = AllocSetContextCreate(CurrentMemoryContext, "pathway lateral answers",
									   ALLOCSET_DEFAULT_SIZES);
	ls->pairslot = MakeSingleTupleTableSlot(ls->pairdesc, &TTSOpsVirtual);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ArrRow *);
	ctl.entrysize = sizeof(AnswerSlot);
	ctl.hcxt = ls->anscxt;
	ls->answers = hash_create("pathway lateral answers", 64, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

Size
op_lateral_bytes(Op *op)
{
	return MemoryContextMemAllocated(op->lateral->anscxt, true);
}
