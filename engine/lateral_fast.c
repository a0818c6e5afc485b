/*
 * lateral_fast.c
 *	  The nearest-neighbour fast path of the LATERAL top-k operator
 *	  (lateral.h): the distance tests that put a candidate after an
 *	  answer without evaluating the pair, and the per-group index of the
 *	  outer rows' norms, bounds and sketches they read in one pass.
 */
#include "postgres.h"

#include <math.h>

#include "utils/datum.h"
#include "utils/sortsupport.h"

#include "engine/lateral_fast.h"
#include "engine/vector.h"

/*
 * The fast path (lateral.h): does the distance put the candidate after
 * incomplete answer a's last entry?  ov/on: the outer row's vector; cnorm:
 * the candidate's vector's norm, NaN if unknown.  For an ascending l2
 * distance two exact tests come first: the triangle inequality on the
 * norms (|‖q‖ - ‖d‖| <= ‖q - d‖, with room for the kernels' rounding), and
 * the partial sums of the squared distance; else the distance itself.
 */
bool
op_lateral_fast_beyond(Op *op, LatAnswer *a, Datum ov, bool on, MinimalTuple ctup, double cnorm)
{
	LateralSpec *ls = op->lateral;
	LatEntry   *last;
	Datum		cv;
	bool		cn,
				dn;
	double		d;

	if (ls->fast == VECTOR_NONE || a->n == 0 || a->complete)
		return false;
	last = &a->e[a->n - 1];
	if (ls->fast == VECTOR_L2 && !ls->sortkeys[0].ssup_reverse && !last->null1)
	{
		double		dk = DatumGetFloat8(last->key1);

		if (!isnan(cnorm))
		{
			if (!a->norm_known)
			{
				a->onorm = op_vector_norm(ov, on);
				a->norm_known = true;
			}
			if (!isnan(a->onorm) &&
				fabs(a->onorm - cnorm) > dk + 1e-4 * (dk + a->onorm + cnorm))
				return true;
		}
		cv = op_lateral_attr(ctup, op->right->desc, ls->fast_cand_col, &cn);
		return op_vector_l2_above(cv, cn, ov, on, dk);
	}
	cv = op_lateral_attr(ctup, op->right->desc, ls->fast_cand_col, &cn);
	if (!op_vector_distance(ls->fast, cv, cn, ov, on, &d, &dn))
		return false;
	return ApplySortComparator(Float8GetDatum(d), dn, last->key1, last->null1, &ls->sortkeys[0]) > 0;
}

Datum
op_lateral_outer_vector(Op *op, MinimalTuple ltup, bool *isnull)
{
	LateralSpec *ls = op->lateral;

	if (ls->fast == VECTOR_NONE)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return op_lateral_attr(ltup, op->left->desc, ls->fast_outer_col, isnull);
}

bool
op_lateral_norm_indexed(LateralSpec *ls)
{
	return ls->fast == VECTOR_L2 && !ls->sortkeys[0].ssup_reverse;
}

/* A new answer's slot in its group's index (bound: none yet). */
void
op_lateral_slot_add(LateralSpec *ls, ArrGroup *g, LatAnswer *a)
{
	NormIndex  *idx = g->payload;

	if (idx == NULL)
		idx = g->payload = MemoryContextAllocZero(ls->anscxt, sizeof(NormIndex));
	if (idx->n == idx->cap)
	{
		idx->cap = idx->cap ? idx->cap * 2 : 8;
		idx->s = idx->s ? repalloc(idx->s, sizeof(NormSlot) * idx->cap)
			: MemoryContextAlloc(ls->anscxt, sizeof(NormSlot) * idx->cap);
		idx->sketch = idx->sketch ? repalloc_huge(idx->sketch, sizeof(double) * VECTOR_SKETCH * idx->cap)
			: MemoryContextAllocHuge(ls->anscxt, sizeof(double) * VECTOR_SKETCH * idx->cap);
	}
	idx->s[idx->n].onorm = NAN;
	idx->s[idx->n].bound = INFINITY;
	idx->s[idx->n].ovec = NULL;
	idx->s[idx->n].a = a;
	a->slot = idx->n++;
}

void
op_lateral_slot_remove(ArrGroup *g, LatAnswer *a)
{
	NormIndex  *idx = g->payload;

	if (idx == NULL || a->slot < 0)
		return;
	idx->s[a->slot] = idx->s[--idx->n];
	if (a->slot < idx->n)
	{
		idx->s[a->slot].a->slot = a->slot;
		memcpy(idx->sketch + (size_t) a->slot * VECTOR_SKETCH, idx->sketch + (size_t) idx->n * VECTOR_SKETCH,
			   sizeof(double) * VECTOR_SKETCH);
	}
	a->slot = -1;
}

/* A group that empties: its index goes with it. */
void
op_lateral_slots_free(ArrGroup *g)
{
	NormIndex  *idx = g->payload;

	if (idx)
	{
		if (idx->s)
			pfree(idx->s);
		if (idx->sketch)
			pfree(idx->sketch);
		pfree(idx);
		g->payload = NULL;
	}
}

/* The answer as it is now, in its slot. */
void
op_lateral_slot_refresh(Op *op, LatAnswer *a)
{
	NormIndex  *idx = a->row->group->payload;
	NormSlot   *sl;
	LatEntry   *last;

	if (idx == NULL || a->slot < 0)
		return;
	sl = &idx->s[a->slot];
	if (!a->norm_known || sl->ovec == NULL)
	{
		bool		on;
		Datum		ov = op_lateral_outer_vector(op, a->row->tup, &on);

		a->onorm = op_vector_norm(ov, on);
		a->norm_known = true;
		/* (the row's tuple stays while its answer does) */
		sl->ovec = op_vector_floats(ov, on, &sl->dim);
		if (sl->ovec)
			vector_sketch(sl->ovec, sl->dim, idx->sketch + (size_t) a->slot * VECTOR_SKETCH);
	}
	sl->onorm = a->onorm;
	last = a->n > 0 ? &a->e[a->n - 1] : NULL;
	sl->bound = (a->complete || last == NULL || last->null1) ? INFINITY : DatumGetFloat8(last->key1);
}

/*
 * Is change c the same candidate vector as d, under the same key (kv, kn,
 * h: d's)?  Only with the fast path, whose tests read the vector alone.
 */
bool
op_lateral_same_candidate(Op *op, ZRow *d, ZRow *c, Datum *kv, bool *kn, uint32 h)
{
	LateralSpec *ls = op->lateral;
	Datum		ckv[INDEX_MAX_KEYS];
	bool		ckn[INDEX_MAX_KEYS];
	uint32		ch;
	Datum		dv,
				cv;
	bool		dn,
				cn;
	int			k;

	if (ls->fast == VECTOR_NONE)
		return false;
	dv = op_lateral_attr(d->tup, op->right->desc, ls->fast_cand_col, &dn);
	cv = op_lateral_attr(c->tup, op->right->desc, ls->fast_cand_col, &cn);
	if (dn || cn || VARSIZE_ANY(DatumGetPointer(dv)) != VARSIZE_ANY(DatumGetPointer(cv)) ||
		memcmp(DatumGetPointer(dv), DatumGetPointer(cv), VARSIZE_ANY(DatumGetPointer(dv))) != 0)
		return false;
	if (!op_row_key(op, op->rkeys, op->rslot, c->tup, ckv, ckn, &ch) || ch != h)
		return false;
	for (k = 0; k < op->keys->nkeys; k++)
	{
		Form_pg_attribute att = TupleDescAttr(op->keys->keydesc, k);

		if (ckn[k] != kn[k] || (!kn[k] && !datumIsEqual(ckv[k], kv[k], att->attbyval, att->attlen)))
			return false;
	}
	return true;
}
