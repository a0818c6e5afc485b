/*
 * access.c
 *	  Who a view is computed as, seen from SQL: pathway.check_view() and the
 *	  event trigger that makes the engine re-check every owner's rights.
 *
 * A live view is computed as its table's current owner, under
 * SECURITY_RESTRICTED_OPERATION (as REFRESH MATERIALIZED VIEW is).
 * check_view() does the same: it runs the stored analyzed query (objects by
 * OID, deparsed under search_path = pg_catalog so that every name is
 * qualified) as the owner, never the text re-parsed as the caller.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/event_trigger.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "connectors/http_call.h"
#include "extension/extension.h"
#include "meta/meta.h"
#include "meta/views.h"
#include "plan/planner.h"

PG_FUNCTION_INFO_V1(pathway_check_view);
PG_FUNCTION_INFO_V1(pathway_on_privileges);

static Oid
relation_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * A view with time options: compare only the windows it still maintains,
 * shown and not final at its time (final windows are final by definition:
 * their rows stay as they were, late rows in the sources or not).  Both
 * sides filtered alike; *vname becomes a query too.
 */
static char *
time_filter(Oid relid, const char *name, char *tree, char **vname, char *qtext,
			bool *has_clock, TimestampTz *clock)
{
	char	   *cutoff,
			   *delay,
			   *keep,
			   *emit;
	bool		has_time;
	int64		usecs = 0;
	TimeOptions *opts;
	ViewPlan   *plan;
	char	   *col;
	char	   *cond;

	*has_clock = false;

	meta_view_time_options(relid, &cutoff, &delay, &keep, &emit, &has_time, &usecs);
	opts = plan_time_options_from_text(cutoff, delay, keep, emit);
	if (opts == NULL)
	{
		/* a temporal filter: compare at the view's clock, saved with its rows */
		*has_clock = has_time;
		*clock = (TimestampTz) usecs;
		return qtext;
	}
	plan = plan_view_timed(name, (Query *) stringToNode(tree), opts);
	col = psprintf("tw.%s", quote_identifier(NameStr(TupleDescAttr(plan->desc, plan->time_col)->attname)));
	cond = plan_time_live_condition(plan, col, has_time, usecs);
	*vname = psprintf("(SELECT tw.* FROM %s tw WHERE %s) dv", *vname, cond);
	return psprintf("SELECT tw.* FROM (%s) tw WHERE %s", qtext, cond);
}

/* Run the comparison, pathway.now() at the view's clock if it has one. */
static void
run_at_clock(const char *sql, bool has_clock, TimestampTz clock)
{
	pathway_now_override = clock;
	pathway_now_overridden = has_clock;
	PG_TRY();
	{
		(void) meta_exec(sql, 0, NULL, NULL, NULL, true, 0);
	}
	PG_FINALLY();
	{
		pathway_now_overridden = false;
	}
	PG_END_TRY();
}

/*
 * The query to deparse with every column qualified by its FROM item.  The
 * deparser leaves columns unqualified in a query whose range table has a
 * single entry, and then an ORDER BY, DISTINCT ON or GROUP BY column that
 * an output column's alias shadows (SELECT x.a - x.a AS b ... ORDER BY
 * x.b) reads the alias when the text is parsed again: another query.  An
 * unreferenced copy of that entry makes the deparser qualify them.
 */
static Query *
qualified_names(Query *q)
{
	if (list_length(q->rtable) == 1)
		q->rtable = lappend(q->rtable, copyObject(linitial(q->rtable)));
	return q;
}

/* The check's statement, with http_request() answering what the view saw: the memo's. */
static void
run_reading_memo(const char *sql, bool has_clock, TimestampTz clock)
{
	http_call_read_memo = true;
	PG_TRY();
	{
		run_at_clock(sql, has_clock, clock);
	}
	PG_FINALLY();
	{
		http_call_read_memo = false;
	}
	PG_END_TRY();
}

int
pathway_apply_view_settings(Datum arr)
{
	Datum	   *settings;
	bool	   *setnulls;
	int			nsettings;
	int			nest = NewGUCNestLevel();
	int			i;

	deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, TYPALIGN_INT,
					  &settings, &setnulls, &nsettings);
	for (i = 0; i < nsettings; i++)
	{
		char	   *s = TextDatumGetCString(settings[i]);
		char	   *eq = strchr(s, '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		if (pg_strcasecmp(s, "search_path") == 0)
			continue;
		(void) set_config_option(s, eq + 1, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

void
pathway_readable_view(Oid relid, const char *name, char **tree, Datum *settings)
{
	if (!meta_view_definition(relid, tree, settings))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a live view", name),
				 errhint("Live views are listed in pathway.views.")));
	/* what the answer shows, the caller must be allowed to read */
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(relid));
}

void
pathway_become_view_owner(Oid relid, Oid *save_user, int *save_sec)
{
	GetUserIdAndSecContext(save_user, save_sec);
	SetUserIdAndSecContext(relation_owner(relid),
						   *save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
}

/*
 * pathway.check_view(name): the rows by which the view's table differs
 * from a fresh run of its query, both ways.  The caller needs SELECT on the
 * view; the query runs as the view's owner with the settings captured at
 * creation.
 */
Datum
pathway_check_view(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name;
	Oid			relid;
	char	   *tree;
	Datum		arr;
	int			nest;
	Oid			save_user;
	int			save_sec;
	char	   *qtext;
	char	   *vname;
	char	   *sql;
	uint64		r;
	bool		has_clock = false;
	TimestampTz clock = 0;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("view name must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(name)),
							 AccessShareLock, false);
	InitMaterializedSRF(fcinfo, 0);
	pathway_readable_view(relid, name, &tree, &arr);

	/* the creator's settings; names resolved in pg_catalog only */
	nest = pathway_apply_view_settings(arr);
	pathway_become_view_owner(relid, &save_user, &save_sec);

	qtext = pg_get_querydef(qualified_names((Query *) stringToNode(tree)), false);
	vname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									   get_rel_name(relid));
	qtext = time_filter(relid, name, tree, &vname, qtext, &has_clock, &clock);
	sql = psprintf("SELECT 'only in view'::text, to_jsonb(d) FROM ((SELECT * FROM %s) EXCEPT ALL (%s)) d "
				   "UNION ALL "
				   "SELECT 'only in query'::text, to_jsonb(d) FROM ((%s) EXCEPT ALL (SELECT * FROM %s)) d",
				   vname, qtext, qtext, vname);
	SPI_connect();
	run_reading_memo(sql, has_clock, clock);
	for (r = 0; r < SPI_processed; r++)
	{
		Datum		values[2];
		bool		nulls[2];

		values[0] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &nulls[0]);
		values[1] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &nulls[1]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	SetUserIdAndSecContext(save_user, save_sec);
	AtEOXact_GUC(false, nest);		/* nor what the owner's code set */
	SPI_finish();
	return (Datum) 0;
}

/*
 * GRANT, REVOKE, ALTER TABLE (owners, row-level security) and policies can
 * take from a view's owner the right to compute it: the engine re-checks
 * every view once this transaction commits.
 */
Datum
pathway_on_privileges(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "pathway._on_privileges() must be called as an event trigger");
	pathway_note_catalog_change();
	PG_RETURN_VOID();
}
