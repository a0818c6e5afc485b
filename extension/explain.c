/*
 * explain.c
 *	  pathway.explain(view): the graph the planner builds for a live view
 *	  (plan/explain.c), one line per operator, its inputs indented under it:
 *	  the ordinal pathway.stats gives it, its kind, what it does, and the
 *	  state it holds in the engine now.
 *
 * The query is planned here as the engine plans it: as the view's owner,
 * with the settings captured at creation.  The caller needs SELECT on
 * the view.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

#include "extension/extension.h"
#include "meta/meta.h"
#include "meta/views.h"
#include "plan/planner.h"

PG_FUNCTION_INFO_V1(pathway_explain);

/* The state the engine holds per operator now (nothing: -1). */
static void
state_now(Oid relid, int nops, int64 *rows_held, int64 *bytes_held)
{
	Datum		arg = ObjectIdGetDatum(relid);
	Oid			type = OIDOID;
	uint64		r,
				n;
	int			i;

	for (i = 0; i < nops; i++)
		rows_held[i] = bytes_held[i] = -1;
	SPI_connect();
	n = meta_exec("SELECT ordinal, state_rows, state_bytes FROM pathway._op_state() WHERE relid = $1",
				  1, &type, &arg, NULL, true, 0);
	for (r = 0; r < n; r++)
	{
		bool		n1,
					n2,
					n3;
		int			ord = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &n1));
		Datum		rows = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &n2);
		Datum		bytes = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 3, &n3);

		if (n1 || n2 || n3 || ord < 1 || ord > nops)
			continue;
		rows_held[ord - 1] = DatumGetInt64(rows);
		bytes_held[ord - 1] = DatumGetInt64(bytes);
	}
	SPI_finish();
}

Datum
pathway_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name;
	Oid			relid;
	char	   *tree;
	Datum		arr;
	int			nest;
	Oid			save_user;
	int			save_sec;
	ViewPlan   *plan;
	List	   *lines;
	ListCell   *lc;
	int			nops;
	int64	   *rows_held;
	int64	   *bytes_held;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("view name must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(name)),
							 AccessShareLock, false);
	{
		/* a set of text: one column */
		MemoryContext old;

		if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("pathway.explain() called in a context that cannot accept a set")));
		old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
		rsinfo->setDesc = CreateTemplateTupleDesc(1);
		TupleDescInitEntry(rsinfo->setDesc, 1, "explain", TEXTOID, -1, 0);
		rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
		rsinfo->returnMode = SFRM_Materialize;
		MemoryContextSwitchTo(old);
	}
	pathway_readable_view(relid, name, &tree, &arr);
	nest = pathway_apply_view_settings(arr);
	pathway_become_view_owner(relid, &save_user, &save_sec);
	plan = plan_view(name, (Query *) stringToNode(tree));
	SetUserIdAndSecContext(save_user, save_sec);
	AtEOXact_GUC(false, nest);

	lines = plan_explain(plan, &nops);
	rows_held = palloc(sizeof(int64) * Max(nops, 1));
	bytes_held = palloc(sizeof(int64) * Max(nops, 1));
	state_now(relid, nops, rows_held, bytes_held);
	foreach(lc, lines)
	{
		PlanExplainLine *l = lfirst(lc);
		StringInfoData line;
		Datum		value;
		bool		isnull = false;
		int			i;

		initStringInfo(&line);
		for (i = 0; i < l->depth; i++)
			appendStringInfoString(&line, "  ");
		appendStringInfo(&line, "-> %d %s", l->ordinal, l->kind);
		if (l->detail[0])
			appendStringInfo(&line, ": %s", l->detail);
		if (!l->shared && l->ordinal > 0 && rows_held[l->ordinal - 1] >= 0)
			appendStringInfo(&line, "  [" INT64_FORMAT " rows, " INT64_FORMAT " bytes held]",
							 rows_held[l->ordinal - 1], bytes_held[l->ordinal - 1]);
		value = CStringGetTextDatum(line.data);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	return (Datum) 0;
}
