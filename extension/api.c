/*
 * api.c
 *	  pathway.create_view, pathway.drop_view, pathway.stats_reset and the
 *	  function CREATE EXTENSION calls.
 *
 * create_view never waits for the engine worker: it runs in the caller's
 * transaction, which holds an XID the worker may be waiting on.  It checks
 * the query with the planner, creates and fills the table under the
 * caller's snapshot, and registers the view; the worker adopts it after
 * commit.
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_extension.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "replication/origin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

#include "bgworker/shmem.h"
#include "bgworker/stats.h"
#include "extension/extension.h"
#include "meta/meta.h"
#include "meta/views.h"
#include "plan/planner.h"

PG_FUNCTION_INFO_V1(pathway_create_view);
PG_FUNCTION_INFO_V1(pathway_drop_view);
PG_FUNCTION_INFO_V1(pathway_stats_reset);
PG_FUNCTION_INFO_V1(pathway_extension_created);

static RangeVar *
name_to_rangevar(const char *name)
{
	return makeRangeVarFromNameList(stringToQualifiedNameList(name));
}

/* schema.table, quoted */
char *
pathway_qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* Strip trailing blanks and semicolons so the query can be embedded. */
static char *
trim_query(const char *q)
{
	char	   *s = pstrdup(q);
	int			n = strlen(s);

	while (n > 0 && (isspace((unsigned char) s[n - 1]) || s[n - 1] == ';'))
		s[--n] = '\0';
	return s;
}

static bool
btree_indexable(Oid type)
{
	return OidIsValid(GetDefaultOpClass(type, BTREE_AM_OID));
}

/*
 * create_view's time options (cutoff, delay, keep_results, emit): false
 * when none is given.  Whether they fit the query is the planner's to say.
 */
static bool
time_options(FunctionCallInfo fcinfo, const char *name, TimeOptions *o, const char **emit)
{
	bool		any = false;
	int			i;

	memset(o, 0, sizeof(*o));
	o->keep_results = true;
	*emit = "updates";
	for (i = 2; i < PG_NARGS(); i++)
		any = any || !PG_ARGISNULL(i);
	if (!any)
		return false;
	if (!PG_ARGISNULL(2))
	{
		o->has_cutoff = true;
		o->cutoff = *PG_GETARG_INTERVAL_P(2);
	}
	if (!PG_ARGISNULL(3))
	{
		o->has_delay = true;
		o->delay = *PG_GETARG_INTERVAL_P(3);
	}
	if (!PG_ARGISNULL(4))
		o->keep_results = PG_GETARG_BOOL(4);
	if (!PG_ARGISNULL(5))
	{
		*emit = text_to_cstring(PG_GETARG_TEXT_PP(5));
		if (strcmp(*emit, "on_close") == 0)
			o->on_close = true;
		else if (strcmp(*emit, "updates") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("emit of view \"%s\" must be 'updates' or 'on_close', not '%s'", name, *emit)));
	}
	return true;
}

/*
 * Run the statement that fills a new view's table with its WAL records
 * marked with the engine worker's replication origin, as the worker's own
 * writes of view tables are: its decoder then drops those rows before the
 * reorder buffer queues them (they are no view's source; the worker reads
 * the filled table itself when it adopts the view), instead of queuing,
 * spilling and replaying millions of rows only to ignore them.  Only the
 * fill is marked: the transaction's commit and whatever else it writes are
 * decoded as always.  Nothing changes for a session that has an origin of
 * its own, or before the worker has created its origin.
 */
static void
fill_under_engine_origin(const char *sql)
{
	char		name[NAMEDATALEN];
	RepOriginId save = replorigin_session_origin;
	RepOriginId engine;

	snprintf(name, sizeof(name), PATHWAY_SLOT_PREFIX "%u", MyDatabaseId);
	engine = replorigin_by_name(name, true);
	if (save == InvalidRepOriginId && engine != InvalidRepOriginId)
		replorigin_session_origin = engine;
	PG_TRY();
	{
		(void) meta_exec(sql, 0, NULL, NULL, NULL, false, 0);
	}
	PG_FINALLY();
	{
		/* the commit (or abort) record must not carry it: no session to advance */
		replorigin_session_origin = save;
	}
	PG_END_TRY();
}

Datum
pathway_create_view(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *query;
	char	   *stmt_text;
	RangeVar   *rv;
	char	   *qname;
	ViewPlan   *plan;
	Query	   *tree;
	Oid			relid;
	ListCell   *lc;
	ObjectAddress viewaddr,
				extaddr;
	int			i;
	int64		nviews;
	TimeOptions topts;
	bool		timed;
	bool		engine_fills;
	const char *emit;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name of a live view must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("query of view \"%s\" must not be null", name)));
	query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	timed = time_options(fcinfo, name, &topts, &emit);

	pathway_check_setup();
	rv = name_to_rangevar(name);
	if (OidIsValid(RangeVarGetRelid(rv, NoLock, true)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"%s\" already exists", name),
				 errhint("Choose another name, or drop the existing view with pathway.drop_view().")));
	/* pg_temp.v, or an unqualified name with pg_temp first in search_path */
	if (isAnyTempNamespace(RangeVarGetCreationNamespace(rv)))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot create live view \"%s\" in a temporary schema", name),
				 errdetail("The engine maintains views from its own session, which cannot write the temporary tables of other sessions."),
				 errhint("Give the view a name in a permanent schema.")));
	qname = rv->schemaname ? quote_qualified_identifier(rv->schemaname, rv->relname)
		: pstrdup(quote_identifier(rv->relname));

	/* refuse what cannot be maintained before creating anything */
	tree = plan_analyze_view(name, query, &stmt_text);
	plan = timed ? plan_view_timed(name, tree, &topts) : plan_view(name, tree);

	SPI_connect();
	meta_view_forget_dangling();

	/*
	 * The engine holds at most PATHWAY_MAX_VIEWS views per database.  Views
	 * are created one transaction at a time (the lock is held until commit)
	 * so that two creations cannot both take the last place.
	 */
	LockDatabaseObject(ExtensionRelationId, get_extension_oid("pathway", false), 0,
					   ShareUpdateExclusiveLock);
	nviews = meta_view_count();
	if (nviews >= PATHWAY_MAX_VIEWS)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("cannot create live view \"%s\": this database has the most live views the engine holds (%d)",
						name, PATHWAY_MAX_VIEWS),
				 errhint("Drop a live view first.")));

	/*
	 * A live view as a source is maintained in the same epoch, from the
	 * changes the engine writes to it (never decoded): no replica identity.
	 */
	foreach(lc, plan->relids)
	{
		Oid			src = lfirst_oid(lc);
		Oid			bad;

		if (meta_view_lookup(src, NULL, NULL, NULL))
			continue;
		bad = pathway_undecodable_member(src);
		if (OidIsValid(bad))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot maintain view \"%s\"", name),
					 errdetail("Table \"%s\", a partition or inheritance child of source \"%s\", is unlogged, temporary or foreign: its changes are not decoded.",
							   get_rel_name(bad), get_rel_name(src)),
					 errhint("Detach it, or read the tables the view can follow.")));
		pathway_ensure_replica_identity(src);
	}

	/*
	 * A view with time options is filled by the engine, which knows its
	 * time; one that calls http_request too, which makes the calls many at
	 * once and memoizes them (this query would make them one by one).
	 */
	engine_fills = timed || plan_calls_http(plan);
	if (engine_fills)
		plan_check_access(name, plan);
	fill_under_engine_origin(psprintf("CREATE TABLE %s AS %s\nWITH %s", qname, trim_query(stmt_text),
									  engine_fills ? "NO DATA" : "DATA"));
	relid = RangeVarGetRelid(rv, NoLock, false);

	if (plan->nkeycols > 0)
	{
		StringInfoData cols;
		bool		ok = true;

		initStringInfo(&cols);
		for (i = 0; i < plan->nkeycols; i++)
		{
			Form_pg_attribute att = TupleDescAttr(plan->desc, plan->keycols[i] - 1);

			ok = ok && btree_indexable(att->atttypid);
			appendStringInfo(&cols, "%s%s", i ? ", " : "",
							 quote_identifier(NameStr(att->attname)));
		}
		if (ok)
			(void) meta_exec(psprintf("CREATE UNIQUE INDEX ON %s (%s) NULLS NOT DISTINCT", qname, cols.data),
					 0, NULL, NULL, NULL, false, 0);
	}
	(void) meta_exec(psprintf("CREATE TRIGGER pathway_maintained BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
					  "ON %s FOR EACH STATEMENT EXECUTE FUNCTION pathway._maintained_table()", qname),
					 0, NULL, NULL, NULL, false, 0);

	/* the view depends on what its query uses, as a PostgreSQL view does */
	ObjectAddressSet(viewaddr, RelationRelationId, relid);
	recordDependencyOnExpr(&viewaddr, (Node *) tree, NIL, DEPENDENCY_NORMAL);
	/* and on the extension: DROP EXTENSION ... CASCADE drops live views */
	ObjectAddressSet(extaddr, ExtensionRelationId, get_extension_oid("pathway", false));
	recordDependencyOn(&viewaddr, &extaddr, DEPENDENCY_NORMAL);

	/* register it; its row is complete: no re-analysis (restore.c) */
	pathway_registering_view = relid;
	meta_view_register(relid, query, GetUserId(), nodeToString(tree), plan_capture_settings());
	if (timed)
		meta_view_set_time_options(relid, PG_GETARG_DATUM(2), PG_ARGISNULL(2),
								   PG_GETARG_DATUM(3), PG_ARGISNULL(3), topts.keep_results, emit);
	pathway_registering_view = InvalidOid;
	SPI_finish();

	if (plan->ignored_order)
		ereport(NOTICE,
				(errmsg("pathway: ORDER BY is ignored in live view \"%s\"", name),
				 errdetail("A live view is a table; its rows have no order."),
				 errhint("Add ORDER BY when you select from the view.")));
	PG_RETURN_VOID();
}

Datum
pathway_drop_view(PG_FUNCTION_ARGS)
{
	char	   *name;
	Oid			relid;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name of a live view must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	meta_view_forget_dangling();
	relid = RangeVarGetRelid(name_to_rangevar(name), NoLock, false);
	if (!meta_view_lookup(relid, NULL, NULL, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a live view", name),
				 errhint("Live views are listed in pathway.views.")));
	SPI_connect();
	(void) meta_exec(psprintf("DROP TABLE %s", pathway_qualified_name(relid)),
					 0, NULL, NULL, NULL, false, 0);
	SPI_finish();
	PG_RETURN_VOID();
}

/* pathway.stats_reset(): the worker zeroes the counters at its next epoch. */
Datum
pathway_stats_reset(PG_FUNCTION_ARGS)
{
	pathway_check_setup();
	stats_request_reset();
	PG_RETURN_VOID();
}

Datum
pathway_extension_created(PG_FUNCTION_ARGS)
{
	pathway_check_setup();
	pathway_note_extension_created();
	PG_RETURN_VOID();
}

