/*
 * timegate.c
 *	  Event time for a view grouped by a window: the clock, late rows,
 *	  windows shown late or on close, windows forgotten (timegate.h).
 */
#include "postgres.h"

#include "common/int.h"
#include "executor/executor.h"

#include "engine/timegate.h"

/* a + b, or false when it overflows (the moment is then never reached) */
static bool
add_time(int64 a, int64 b, int64 *sum)
{
	return !pg_add_s64_overflow(a, b, sum);
}

/* Has the clock reached start + offset? */
static bool
reached(bool has_time, int64 time, int64 start, int64 offset)
{
	int64		at;

	return has_time && add_time(start, offset, &at) && at <= time;
}

bool
op_time_final(TimeClock *c, bool has_time, int64 time, int64 w)
{
	int64		end;

	if (!add_time(w, c->width, &end))
		return false;
	if (c->on_close)
		return reached(has_time, time, end, c->has_delay ? c->delay : 0);
	return c->has_cutoff && reached(has_time, time, end, c->cutoff);
}

/* Are the window's rows shown at this time? */
static bool
visible(TimeClock *c, bool has_time, int64 time, int64 w)
{
	if (c->on_close)
		return op_time_final(c, has_time, time, w);
	return !c->has_delay || reached(has_time, time, w, c->delay);
}

bool
op_time_row_settled(TimeClock *c, Datum w, bool isnull, bool before)
{
	if (isnull)
		return false;
	if (before)
		return op_time_final(c, c->had_time_before, c->time_before, DatumGetInt64(w));
	return op_time_final(c, c->has_time, c->time, DatumGetInt64(w));
}

/*
 * The moment a row of an interval join's side is judged by: its time ts,
 * or for B (side 1) ts plus shift (false: beyond the range, never final).
 */
static bool
join_at(TimeClock *c, int side, int64 ts, int64 *at)
{
	*at = ts;
	return side == 0 || add_time(ts, c->join_shift, at);
}

/* The same for a row the join holds (false also for a NULL time). */
static bool
join_moment(TimeClock *c, int side, MinimalTuple tup, int64 *at)
{
	Op		   *gate = c->gate[side];
	bool		isnull;
	int64		ts;

	ExecStoreMinimalTuple(tup, gate->lslot, false);
	gate->econtext->ecxt_scantuple = gate->lslot;
	ts = DatumGetInt64(ExecEvalExprSwitchContext(gate->exprs[0], gate->econtext, &isnull));
	ResetExprContext(gate->econtext);
	return !isnull && join_at(c, side, ts, at);
}

/*
 * "time in": drop the rows of final windows (late), note the event times
 * and windows of the others.  exprs[0] is the event time, exprs[1] the
 * window start; an interval join's side has only exprs[0].
 */
void
op_time_in_step(Op *op)
{
	TimeClock  *c = op->clock;
	ZBatch	   *in = &op->left->out;
	ExprContext *econtext = op->econtext;
	int			side = c->join ? (op == c->gate[1]) : -1;
	bool	   *has_min = c->join ? &c->has_min[side] : &c->has_min_window;
	int64	   *min = c->join ? &c->min[side] : &c->min_window;
	int			i;
	int64		history = 0;

	econtext->ecxt_scantuple = op->lslot;
	for (i = 0; i < in->n; i++)
	{
		ZRow	   *r = &in->rows[i];
		bool		tsnull,
					wnull;
		int64		ts,
					w = 0;

		ExecStoreMinimalTuple(r->tup, op->lslot, false);
		ts = DatumGetInt64(ExecEvalExprSwitchContext(op->exprs[0], econtext, &tsnull));
		if (c->join)
		{
			/* NULL never meets the join's condition: the row joins nothing */
			if (tsnull)
			{
				ResetExprContext(econtext);
				history++;
				continue;
			}
			wnull = !join_at(c, side, ts, &w);
		}
		else
			w = DatumGetInt64(ExecEvalExprSwitchContext(op->exprs[1], econtext, &wnull));
		ResetExprContext(econtext);
		if (!wnull && op_time_final(c, c->has_time, c->time, w))
		{
			if (c->building)
				history++;
			else
				c->late += r->weight > 0 ? r->weight : -r->weight;
			continue;
		}
		zbatch_add(&op->out, r->tup, r->weight);
		if (!tsnull && (!c->seen || ts > c->seen_max))
		{
			c->seen = true;
			c->seen_max = ts;
		}
		if (!wnull && (!*has_min || w < *min))
		{
			*has_min = true;
			*min = w;
		}
	}
	/* rows_in - rows_out: the late rows (pathway.stats) */
	op->rows_in += in->n - history;
	op->rows_out += op->out.n;
}

/*
 * Forget the final rows of an interval join's side from the join's
 * arrangement (between steps, no output: the view keeps the rows they
 * joined).  Returns whether any went.
 */
static bool
join_forget(TimeClock *c, int side)
{
	Arrangement *arr = c->held[side];
	List	   *groups = arrangement_groups(arr);
	ListCell   *lc;
	bool		any = false;

	c->has_min[side] = false;
	foreach(lc, groups)
	{
		ArrGroup   *g = lfirst(lc);
		ArrRow	   *r,
				   *next;

		for (r = g->rows; r; r = next)
		{
			int64		at;

			next = r->grp_next;
			if (!join_moment(c, side, r->tup, &at))
				continue;
			if (op_time_final(c, c->has_time, c->time, at))
			{
				arrangement_forget_row(arr, r);
				any = true;
			}
			else if (!c->has_min[side] || at < c->min[side])
			{
				c->has_min[side] = true;
				c->min[side] = at;
			}
		}
		if (g->rows == NULL)
			arrangement_remove_group(arr, g);
	}
	list_free(groups);
	return any;
}

/* The window start of a row of the view (NULL: no window). */
static bool
out_window(Op *op, TupleTableSlot *slot, MinimalTuple tup, int64 *w)
{
	bool		isnull;
	Datum		d;

	ExecStoreMinimalTuple(tup, slot, false);
	d = slot_getattr(slot, op->clock->out_wcol + 1, &isnull);
	*w = isnull ? 0 : DatumGetInt64(d);
	return !isnull;
}

/* Must "time out" remember this window's rows at this time? */
static bool
out_holds(TimeClock *c, int64 w)
{
	if (c->on_close)
		return true;
	return !visible(c, c->has_time, c->time, w) || (!c->keep_results && c->has_cutoff);
}

/*
 * "time out": pass the rows of visible windows, remember those it must
 * show or delete later.  A row without a window (a NULL time) always
 * shows, except with on_close, where it never closes.
 */
void
op_time_out_step(Op *op)
{
	TimeClock  *c = op->clock;
	ZBatch	   *in = &op->left->out;
	int			i;

	for (i = 0; i < in->n; i++)
	{
		ZRow	   *r = &in->rows[i];
		int64		w;

		if (!out_window(op, op->lslot, r->tup, &w))
		{
			if (!c->on_close)
				zbatch_add(&op->out, r->tup, r->weight);
			continue;
		}
		if (visible(c, c->has_time, c->time, w))
			zbatch_add(&op->out, r->tup, r->weight);
		if (out_holds(c, w))
		{
			bool		hasnull;
			uint32		h;
			ArrGroup   *g;

			h = arrangement_key_hash(op->arr->keys, &op->lslot->tts_values[c->out_wcol],
									 &op->lslot->tts_isnull[c->out_wcol], &hasnull);
			g = arrangement_lookup(op->arr, h, &op->lslot->tts_values[c->out_wcol],
								   &op->lslot->tts_isnull[c->out_wcol], true);
			arrangement_add(op->arr, g, r->tup, r->weight);
		}
	}
	arrangement_clear_touched(op->arr);
	op->rows_in += in->n;
	op->rows_out += op->out.n;
}

/* Emit a remembered window's rows (sign -1: their deletion). */
static void
emit_group(Op *op, ArrGroup *g, int sign)
{
	ArrRow	   *r;

	for (r = g->rows; r; r = r->grp_next)
		if (r->weight != 0)
			zbatch_add(&op->out, heap_copy_minimal_tuple(r->tup), sign * r->weight);
}

static void
advance_out(Op *op, TimeClock *c)
{
	List	   *groups = arrangement_groups(op->arr);
	ListCell   *lc;

	foreach(lc, groups)
	{
		ArrGroup   *g = lfirst(lc);
		bool		isnull;
		int64		w;
		bool		was_visible,
					is_visible,
					fin;

		w = DatumGetInt64(zrow_getattr(g->key, op->arr->keys->keydesc, 1, &isnull));
		if (isnull)
			continue;
		was_visible = visible(c, c->had_time_before, c->time_before, w);
		is_visible = visible(c, c->has_time, c->time, w);
		fin = op_time_final(c, c->has_time, c->time, w);
		if (c->on_close)
		{
			if (fin)
			{
				emit_group(op, g, 1);
				arrangement_drop_group(op->arr, g);
			}
			continue;
		}
		if (fin)
		{
			if (c->keep_results ? (!was_visible && is_visible) : was_visible)
				emit_group(op, g, c->keep_results ? 1 : -1);
			arrangement_drop_group(op->arr, g);
		}
		else if (!was_visible && is_visible)
		{
			emit_group(op, g, 1);
			if (c->keep_results)
				arrangement_drop_group(op->arr, g);
		}
	}
	list_free(groups);
}

void
op_time_advance(TimeClock *c)
{
	bool		moved;

	c->building = false;
	c->had_time_before = c->has_time;
	c->time_before = c->time;
	moved = c->seen && (!c->has_time || c->seen_max > c->time);
	c->seen = false;
	if (!moved)
		return;
	c->has_time = true;
	c->time = c->seen_max;
	c->dirty = true;

	if (c->join)
	{
		int			side;

		for (side = 0; side < 2; side++)
			if (c->has_min[side] && op_time_final(c, c->has_time, c->time, c->min[side]) &&
				join_forget(c, side) && side == 0)
				c->forgot = true;
		return;
	}

	/* the releases and deletions join this step's output of the root */
	advance_out(c->out, c);
	if (c->has_min_window && op_time_final(c, c->has_time, c->time, c->min_window))
	{
		c->has_min_window = op_reduce_forget(c->reduce, c, &c->min_window);
		c->forgot = true;
	}
}
