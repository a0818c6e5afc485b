/*
 * Event-time windows as SQL functions: pathway.tumble, pathway.hop and the
 * window function pathway.session_start (docs/time.md).
 *
 * They are pure functions of their arguments (immutable), so a plain query
 * and a live view give them the same meaning.  Widths, steps and gaps are
 * fixed lengths, as for date_bin: a day counts 24 hours, months and years
 * are refused (their length depends on the calendar and the time zone).
 * timestamp and timestamptz are both microseconds since 2000-01-01 (UTC
 * for timestamptz), so one piece of arithmetic serves both.
 */
#include "postgres.h"

#include "access/xact.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"
#include "windowapi.h"

#include "extension/extension.h"

PG_FUNCTION_INFO_V1(pathway_tumble);
PG_FUNCTION_INFO_V1(pathway_tumble_tz);
PG_FUNCTION_INFO_V1(pathway_hop);
PG_FUNCTION_INFO_V1(pathway_session_start);
PG_FUNCTION_INFO_V1(pathway_now);

bool		pathway_now_overridden = false;
TimestampTz pathway_now_override = 0;

/*
 * pathway.now(): now() in a query; in a live view (where the planner takes
 * it out of WHERE) the view's clock, and so also while check_view compares
 * a view with its query at that clock.
 */
Datum
pathway_now(PG_FUNCTION_ARGS)
{
	if (pathway_now_overridden)
		PG_RETURN_TIMESTAMPTZ(pathway_now_override);
	PG_RETURN_TIMESTAMPTZ(GetCurrentTransactionStartTimestamp());
}

/*
 * A window's width, step or gap in microseconds: positive, without months.
 */
static int64
fixed_length(Interval *iv, const char *fn, const char *what)
{
	int64		usecs;

	if (iv->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s: the %s cannot contain months or years", fn, what),
				 errhint("Give it in days, hours, minutes or seconds (a day counts 24 hours).")));
	if (pg_mul_s64_overflow((int64) iv->day, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, iv->time, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the %s is out of range", fn, what)));
	if (usecs <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the %s must be greater than zero", fn, what)));
	return usecs;
}

/*
 * The start of the window of `width` holding ts, windows aligned on origin:
 * date_bin's arithmetic (rounding towards minus infinity also before the
 * origin), with date_bin's own range errors.
 */
static int64
window_start(int64 ts, int64 width, int64 origin, const char *fn)
{
	int64		delta;
	int64		start;

	if (pg_sub_s64_overflow(ts, origin, &delta))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s: timestamp out of range", fn)));
	delta = delta - delta % width;
	if (pg_add_s64_overflow(origin, delta, &start))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s: timestamp out of range", fn)));
	if (start > ts && pg_sub_s64_overflow(start, width, &start))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s: timestamp out of range", fn)));
	return start;
}

static Datum
tumble_common(FunctionCallInfo fcinfo)
{
	int64		ts = PG_GETARG_INT64(0);
	int64		width = fixed_length(PG_GETARG_INTERVAL_P(1), "pathway.tumble()", "width");
	int64		origin = PG_GETARG_INT64(2);

	if (TIMESTAMP_NOT_FINITE(ts))
		PG_RETURN_INT64(ts);
	if (TIMESTAMP_NOT_FINITE(origin))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("pathway.tumble(): the origin cannot be infinite")));
	PG_RETURN_INT64(window_start(ts, width, origin, "pathway.tumble()"));
}

/* pathway.tumble(timestamp, interval, timestamp) -> timestamp */
Datum
pathway_tumble(PG_FUNCTION_ARGS)
{
	return tumble_common(fcinfo);
}

/* pathway.tumble(timestamptz, interval, timestamptz) -> timestamptz */
Datum
pathway_tumble_tz(PG_FUNCTION_ARGS)
{
	return tumble_common(fcinfo);
}

typedef struct HopState
{
	int64		next;			/* the next window start to return */
	int64		step;
	int64		left;			/* windows still to return */
} HopState;

/*
 * pathway.hop(ts, width, step, origin) -> setof the starts of every window
 * of `width`, one starting at origin + k * step for each k, that holds ts
 * (start <= ts < start + width), earliest first.  For the timestamp and
 * timestamptz variants alike.  An infinite ts lies in one window, itself,
 * as pathway.tumble() gives it.
 */
Datum
pathway_hop(PG_FUNCTION_ARGS)
{
	FuncCallContext *fctx;
	HopState   *st;

	if (SRF_IS_FIRSTCALL())
	{
		int64		ts = PG_GETARG_INT64(0);
		int64		width = fixed_length(PG_GETARG_INTERVAL_P(1), "pathway.hop()", "width");
		int64		step = fixed_length(PG_GETARG_INTERVAL_P(2), "pathway.hop()", "step");
		int64		origin = PG_GETARG_INT64(3);
		MemoryContext old;

		fctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fctx->multi_call_memory_ctx);
		st = palloc0(sizeof(HopState));
		MemoryContextSwitchTo(old);
		fctx->user_fctx = st;
		st->step = step;
		if (TIMESTAMP_NOT_FINITE(ts))
		{
			st->next = ts;
			st->left = 1;
		}
		else
		{
			int64		last;
			int64		reach;

			if (TIMESTAMP_NOT_FINITE(origin))
				ereport(ERROR,
						(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
						 errmsg("pathway.hop(): the origin cannot be infinite")));
			/* the latest window starting at or before ts */
			last = window_start(ts, step, origin, "pathway.hop()");

			/*
			 * Windows last - k * step hold ts while k * step < width - (ts -
			 * last); ts - last < step, so reach > width - step.
			 */
			reach = width - (ts - last);
			st->left = reach <= 0 ? 0 : (reach - 1) / step + 1;
			if (st->left > 0 &&
				(pg_mul_s64_overflow(st->left - 1, step, &st->next) ||
				 pg_sub_s64_overflow(last, st->next, &st->next)))
				ereport(ERROR,
						(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
						 errmsg("pathway.hop(): timestamp out of range")));
		}
	}
	fctx = SRF_PERCALL_SETUP();
	st = fctx->user_fctx;
	if (st->left > 0)
	{
		int64		start = st->next;

		st->left--;
		if (st->left > 0)
			st->next += st->step;
		SRF_RETURN_NEXT(fctx, Int64GetDatum(start));
	}
	SRF_RETURN_DONE(fctx);
}

typedef struct SessionState
{
	bool		init;			/* the partition's memory starts zeroed */
	int64		pos;			/* position of the row computed last, -1: none */
	bool		have;			/* a non-NULL timestamp seen before pos */
	int64		last_ts;		/* the latest non-NULL timestamp up to pos */
	int64		start;			/* the start of its session */
} SessionState;

/* Take the partition's row at pos into the running session. */
static void
session_advance(SessionState *st, bool isnull, int64 ts, int64 gap)
{
	int64		since;

	if (isnull)
		return;
	if (st->have && ts < st->last_ts)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pathway.session_start(): rows out of time order"),
				 errdetail("A row's timestamp is earlier than the row before it in its window."),
				 errhint("Order the window by the timestamp, ascending: OVER (PARTITION BY ... ORDER BY ts).")));
	/* a new session when the row is more than gap after the last one */
	if (!st->have ||
		pg_sub_s64_overflow(ts, st->last_ts, &since) || since > gap)
		st->start = ts;
	st->have = true;
	st->last_ts = ts;
}

/*
 * pathway.session_start(ts, gap) OVER (PARTITION BY ... ORDER BY ts): the
 * first timestamp of the row's session, where a session ends when the next
 * row is more than gap later.  NULL for a NULL ts (such rows neither end
 * nor continue a session).  WindowAgg calls it for each row of a partition
 * in order, so the running session is carried in the partition's memory;
 * a call out of that sequence starts again from the partition's first row.
 */
Datum
pathway_session_start(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	SessionState *st;
	int64		pos = WinGetCurrentPosition(winobj);
	int64		gap;
	bool		isnull;
	Datum		d;

	st = (SessionState *) WinGetPartitionLocalMemory(winobj, sizeof(SessionState));
	if (!st->init)
	{
		st->init = true;
		st->pos = -1;
	}
	d = WinGetFuncArgCurrent(winobj, 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pathway.session_start(): the gap cannot be NULL")));
	gap = fixed_length(DatumGetIntervalP(d), "pathway.session_start()", "gap");

	if (pos != st->pos + 1)
	{
		/* out of sequence: start again from the partition's first row */
		int64		p;

		st->have = false;
		st->pos = -1;
		for (p = 0; p < pos; p++)
		{
			d = WinGetFuncArgInPartition(winobj, 0, (int) p, WINDOW_SEEK_HEAD,
										 false, &isnull, NULL);
			session_advance(st, isnull, isnull ? 0 : DatumGetInt64(d), gap);
		}
	}
	d = WinGetFuncArgCurrent(winobj, 0, &isnull);
	session_advance(st, isnull, isnull ? 0 : DatumGetInt64(d), gap);
	st->pos = pos;
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_INT64(st->start);
}
