/*
 * api.c
 *	  The SQL functions: create_view, drop_view, sync, and the helpers the
 *	  install script wires into triggers.
 *
 * create_view never waits for the engine worker: it runs in the caller's
 * transaction, which holds an XID the worker may be waiting on.  It checks
 * the query, creates and fills the table under the caller's snapshot, and
 * registers the view; the worker adopts it after commit (worker.c).
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_trigger.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "tcop/deparse_utility.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/condition_variable.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"
#include "storage/lmgr.h"

#include "bgworker/shmem.h"
#include "bgworker/stats.h"
#include "connectors/table_source.h"
#include "extension/extension.h"
#include "plan/planner.h"

PG_FUNCTION_INFO_V1(pathway_create_view);
PG_FUNCTION_INFO_V1(pathway_drop_view);
PG_FUNCTION_INFO_V1(pathway_sync);
PG_FUNCTION_INFO_V1(pathway_stats_reset);
PG_FUNCTION_INFO_V1(pathway_catalog_changed);
PG_FUNCTION_INFO_V1(pathway_maintained_table);
PG_FUNCTION_INFO_V1(pathway_extension_created);
PG_FUNCTION_INFO_V1(pathway_on_alter_table);
PG_FUNCTION_INFO_V1(pathway_ddl_guard);
PG_FUNCTION_INFO_V1(pathway_on_create_table);

static void
spi_exec(const char *sql)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc < 0)
		elog(ERROR, "pathway: SPI_execute failed (%d): %s", rc, sql);
}

static RangeVar *
name_to_rangevar(const char *name)
{
	return makeRangeVarFromNameList(stringToQualifiedNameList(name));
}

static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* The catalog row of a live view, or false. */
static bool
catalog_lookup(Oid relid, char **status, char **error, bool *created_here)
{
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Oid			types[1] = {OIDOID};
	bool		found;

	SPI_connect();
	/* not read-only: a fresh snapshot sees a failure the worker just committed */
	SPI_execute_with_args("SELECT status, error, xmin::text FROM pathway.catalog WHERE relid = $1",
						  1, types, args, NULL, false, 1);
	found = (SPI_processed == 1);
	if (found)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *s = SPI_getvalue(tup, desc, 1);
		char	   *e = SPI_getvalue(tup, desc, 2);
		char	   *x = SPI_getvalue(tup, desc, 3);
		TransactionId xmin = (TransactionId) strtoul(x, NULL, 10);

		if (status)
			*status = s ? MemoryContextStrdup(TopTransactionContext, s) : NULL;
		if (error)
			*error = e ? MemoryContextStrdup(TopTransactionContext, e) : NULL;
		if (created_here)
			*created_here = TransactionIdIsCurrentTransactionId(xmin);
	}
	SPI_finish();
	return found;
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

/*
 * A partition or inheritance child whose changes decoding would not
 * deliver (unlogged, temporary, foreign): the first one under relid (itself
 * included), or InvalidOid.  A partitioned table's changes are its leaves'.
 */
static Oid
undecodable_member(Oid relid)
{
	ListCell   *lc;

	foreach(lc, find_all_inheritors(relid, AccessShareLock, NULL))
	{
		Oid			r = lfirst_oid(lc);
		char		kind = get_rel_relkind(r);

		if (kind == RELKIND_FOREIGN_TABLE ||
			((kind == RELKIND_RELATION || kind == RELKIND_PARTITIONED_TABLE) &&
			 get_rel_persistence(r) != RELPERSISTENCE_PERMANENT))
			return r;
	}
	return InvalidOid;
}

static void
ensure_replica_identity(Oid relid)
{
	Relation	rel;
	char		ident;
	bool		partitioned;

	if (get_rel_relkind(relid) == RELKIND_FOREIGN_TABLE)
		return;					/* refused by the callers (undecodable_member) */
	rel = table_open(relid, AccessShareLock);
	ident = rel->rd_rel->relreplident;
	partitioned = rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE || has_subclass(relid);
	table_close(rel, AccessShareLock);
	/* a partitioned table's changes are its partitions' (a parent's, its children's too): each needs it */
	if (partitioned)
	{
		ListCell   *lc;

		foreach(lc, find_all_inheritors(relid, AccessShareLock, NULL))
			if (lfirst_oid(lc) != relid)
				ensure_replica_identity(lfirst_oid(lc));
	}
	if (ident == REPLICA_IDENTITY_FULL)
		return;
	if (!pg_class_ownercheck(relid, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("table \"%s\" must have REPLICA IDENTITY FULL to be a source of a live view",
						get_rel_name(relid)),
				 errdetail("Only the table's owner can change it."),
				 errhint("Ask its owner to run: ALTER TABLE %s REPLICA IDENTITY FULL;",
						 qualified_name(relid))));
	spi_exec(psprintf("ALTER TABLE %s REPLICA IDENTITY FULL", qualified_name(relid)));
	ereport(NOTICE,
			(errmsg("pathway: set REPLICA IDENTITY FULL on table \"%s\"", get_rel_name(relid)),
			 errdetail("Updates and deletes must carry the old row for the view to follow them.")));
}

/*
 * Catalog rows whose table is gone without the drop trigger seeing it
 * (event triggers do not fire with session_replication_role = replica,
 * nor for the temporary tables a session drops as it ends): delete them.
 * Inside SPI.
 */
static void
forget_dangling_views(void)
{
	Oid			save_user;
	int			save_sec;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	/* as superuser: the operator is named, whatever the caller's search_path */
	spi_exec("DELETE FROM pathway.catalog c WHERE NOT EXISTS "
			 "(SELECT 1 FROM pg_catalog.pg_class r WHERE r.oid OPERATOR(pg_catalog.=) c.relid)");
	SetUserIdAndSecContext(save_user, save_sec);
}

static bool
btree_indexable(Oid type)
{
	return OidIsValid(GetDefaultOpClass(type, BTREE_AM_OID));
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
	Oid			save_user;
	int			save_sec;
	Datum		args[5];
	Oid			types[5] = {OIDOID, TEXTOID, OIDOID, TEXTOID, TEXTARRAYOID};
	int			i;
	int64		nviews;
	bool		isnull;

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
	plan = plan_view(name, tree);

	SPI_connect();
	forget_dangling_views();

	/*
	 * The engine holds at most PATHWAY_MAX_VIEWS views per database.  Views
	 * are created one transaction at a time (the lock is held until commit)
	 * so that two creations cannot both take the last place.
	 */
	LockDatabaseObject(ExtensionRelationId, get_extension_oid("pathway", false), 0,
					   ShareUpdateExclusiveLock);
	spi_exec("SELECT pg_catalog.count(*) FROM pathway.catalog");
	nviews = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
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

		if (catalog_lookup(src, NULL, NULL, NULL))
			continue;
		bad = undecodable_member(src);
		if (OidIsValid(bad))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot maintain view \"%s\"", name),
					 errdetail("Table \"%s\", a partition or inheritance child of source \"%s\", is unlogged, temporary or foreign: its changes are not decoded.",
							   get_rel_name(bad), get_rel_name(src)),
					 errhint("Detach it, or read the tables the view can follow.")));
		ensure_replica_identity(src);
	}

	spi_exec(psprintf("CREATE TABLE %s AS %s\nWITH DATA", qname, trim_query(stmt_text)));
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
			spi_exec(psprintf("CREATE UNIQUE INDEX ON %s (%s) NULLS NOT DISTINCT", qname, cols.data));
	}
	spi_exec(psprintf("CREATE TRIGGER pathway_maintained BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
					  "ON %s FOR EACH STATEMENT EXECUTE FUNCTION pathway._maintained_table()", qname));

	/* the view depends on what its query uses, as a PostgreSQL view does */
	ObjectAddressSet(viewaddr, RelationRelationId, relid);
	recordDependencyOnExpr(&viewaddr, (Node *) tree, NIL, DEPENDENCY_NORMAL);
	/* and on the extension: DROP EXTENSION ... CASCADE drops live views */
	ObjectAddressSet(extaddr, ExtensionRelationId, get_extension_oid("pathway", false));
	recordDependencyOn(&viewaddr, &extaddr, DEPENDENCY_NORMAL);

	/* register it: the catalog is the extension's, not the caller's */
	args[0] = ObjectIdGetDatum(relid);
	args[1] = CStringGetTextDatum(query);
	args[2] = ObjectIdGetDatum(GetUserId());
	args[3] = CStringGetTextDatum(nodeToString(tree));
	args[4] = plan_capture_settings();
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	pathway_registering_view = relid;	/* its row is complete: no re-analysis (restore.c) */
	SPI_execute_with_args("INSERT INTO pathway.catalog (relid, query, owner, tree, settings) "
						  "VALUES ($1, $2, $3, $4, $5)",
						  5, types, args, NULL, false, 0);
	pathway_registering_view = InvalidOid;
	SetUserIdAndSecContext(save_user, save_sec);
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
	SPI_connect();
	forget_dangling_views();
	SPI_finish();
	relid = RangeVarGetRelid(name_to_rangevar(name), NoLock, false);
	if (!catalog_lookup(relid, NULL, NULL, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a live view", name),
				 errhint("Live views are listed in pathway.views.")));
	SPI_connect();
	spi_exec(psprintf("DROP TABLE %s", qualified_name(relid)));
	SPI_finish();
	PG_RETURN_VOID();
}

typedef enum SyncState
{
	SYNC_WAIT,
	SYNC_DONE,
	SYNC_FAILED
} SyncState;

/*
 * Where the wait stands.  Caller holds pathway_shm->lock.  A failed view
 * (any of them, for sync() of every view) is reported in *failed.
 */
static SyncState
sync_state(PathwayDb *db, XLogRecPtr target, List *relids, Oid *failed)
{
	ListCell   *lc;
	int			i;

	foreach(lc, relids)
	{
		Oid			r = lfirst_oid(lc);
		bool		ready = false;

		for (i = 0; i < db->nviews; i++)
		{
			if (db->views[i].relid != r)
				continue;
			if (db->views[i].state == PVS_FAILED)
			{
				*failed = r;
				return SYNC_FAILED;
			}
			ready = (db->views[i].state != PVS_STARTING);
		}
		if (!ready)
			return SYNC_WAIT;
	}
	return db->frontier >= target ? SYNC_DONE : SYNC_WAIT;
}

/* Every live view; one created by this transaction is an error. */
static List *
all_view_relids(void)
{
	List	   *relids = NIL;
	uint64		i;

	SPI_connect();
	/* a row whose table is gone (see forget_dangling_views) is not waited for */
	SPI_execute("SELECT c.relid, c.xmin::text, c.relid::regclass::text FROM pathway.catalog c"
				" WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_class r WHERE r.oid = c.relid)",
				false, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		TransactionId xmin = (TransactionId) strtoul(SPI_getvalue(tup, desc, 2), NULL, 10);
		MemoryContext old;

		if (TransactionIdIsCurrentTransactionId(xmin))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("live view \"%s\" was created in this transaction",
							SPI_getvalue(tup, desc, 3)),
					 errhint("Commit first: the engine starts maintaining a view once its creation commits.")));
		old = MemoryContextSwitchTo(TopTransactionContext);
		relids = lappend_oid(relids, DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull)));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return relids;
}

static void
report_failed(const char *name, Oid relid)
{
	char	   *status = NULL;
	char	   *error = NULL;

	(void) catalog_lookup(relid, &status, &error, NULL);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("live view \"%s\" has failed", name),
			 error ? errdetail("%s", error) : 0,
			 errhint("Fix the cause, then drop and create the view again.")));
}

/* pathway.sync() waits for Kafka sources too: one ticket per source. */
typedef struct SourceTicket
{
	char		name[NAMEDATALEN];
	uint64		ticket;
} SourceTicket;

/* The source whose stream table relid is, or NULL. */
static char *
source_of(Oid relid)
{
	Datum		args[1];
	Oid			types[1] = {OIDOID};
	char	   *name = NULL;

	SPI_connect();
	args[0] = ObjectIdGetDatum(relid);
	SPI_execute_with_args("SELECT name FROM pathway.kafka_sources WHERE relid = $1",
						  1, types, args, NULL, true, 1);
	if (SPI_processed == 1)
		name = MemoryContextStrdup(TopTransactionContext,
								   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	return name;
}

/*
 * The sources to wait for, each with no ticket yet (see take_tickets):
 * every committed source, the one named, or (for a view) those whose stream
 * tables the view reads, directly or through other live views.
 */
static SourceTicket *
source_tickets(const char *only, Oid view, int *n)
{
	SourceTicket *t = palloc0(sizeof(SourceTicket) * PATHWAY_MAX_SOURCES);
	uint64		i;
	Oid			save_user;
	int			save_sec;

	*n = 0;
	SPI_connect();
	/* the catalog is the extension's: anyone may wait, not read its options */
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	if (OidIsValid(view))
	{
		Datum		args[1] = {ObjectIdGetDatum(view)};
		Oid			types[1] = {OIDOID};

		SPI_execute_with_args("WITH RECURSIVE reads(oid) AS ("
							  "  SELECT $1"
							  "  UNION"
							  "  SELECT d.refobjid FROM pg_catalog.pg_depend d JOIN reads r ON d.objid = r.oid"
							  "   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
							  "     AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass)"
							  "SELECT k.name, k.xmin::text FROM pathway.kafka_sources k JOIN reads r ON r.oid = k.relid",
							  1, types, args, NULL, true, 0);
	}
	else
		SPI_execute("SELECT name, xmin::text FROM pathway.kafka_sources", true, 0);
	SetUserIdAndSecContext(save_user, save_sec);
	for (i = 0; i < SPI_processed && *n < PATHWAY_MAX_SOURCES; i++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		TransactionId xmin = (TransactionId) strtoul(SPI_getvalue(SPI_tuptable->vals[i],
																  SPI_tuptable->tupdesc, 2), NULL, 10);

		/* one created by this very transaction starts only once it commits */
		if (TransactionIdIsCurrentTransactionId(xmin))
			continue;
		if (only == NULL || strcmp(name, only) == 0)
			strlcpy(t[(*n)++].name, name, NAMEDATALEN);
	}
	SPI_finish();
	return t;
}

/*
 * Take a ticket from each source the worker has started (a source created
 * just now gets its ticket once the worker lists it): see kafka_source_sync().
 */
static void
take_tickets(PathwayDb *db, SourceTicket *t, int n)
{
	int			i,
				j;

	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	for (i = 0; i < n; i++)
		for (j = 0; j < db->nsources && t[i].ticket == 0; j++)
			if (strcmp(db->sources[j].name, t[i].name) == 0)
				t[i].ticket = ++db->sources[j].sync_requested;
	LWLockRelease(pathway_shm->lock);
}

/*
 * The first source that has not served its ticket (or has none yet), or
 * NULL.  *untaken: some ticket is not taken yet.  Caller holds the lock.
 */
static const char *
tickets_waiting(PathwayDb *db, SourceTicket *t, int n, char *error, bool *untaken)
{
	int			i,
				j;

	*untaken = false;
	for (i = 0; i < n; i++)
	{
		if (t[i].ticket == 0)
		{
			*untaken = true;
			return t[i].name;
		}
		for (j = 0; j < db->nsources; j++)
			if (strcmp(db->sources[j].name, t[i].name) == 0 &&
				db->sources[j].sync_served < t[i].ticket)
			{
				strlcpy(error, db->sources[j].error, PATHWAY_SOURCE_ERROR);
				return t[i].name;
			}
	}
	return NULL;
}

Datum
pathway_sync(PG_FUNCTION_ARGS)
{
	char	   *name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	Interval   *timeout = PG_ARGISNULL(1) ? NULL : PG_GETARG_INTERVAL_P(1);
	int64		timeout_ms = 30000;
	Oid			relid = InvalidOid;
	List	   *relids;
	XLogRecPtr	target;
	TimestampTz deadline;
	PathwayDb  *db;
	bool		failed = false;
	Oid			failed_relid = InvalidOid;
	char	   *source = NULL;
	uint64		catalog_gen;
	SourceTicket *tickets;
	int			ntickets;

	pathway_check_setup();
	if (timeout)
		timeout_ms = (timeout->time + (timeout->day * USECS_PER_DAY) +
					  (int64) timeout->month * DAYS_PER_MONTH * USECS_PER_DAY) / 1000;
	if (name)
	{
		char	   *status = NULL;
		bool		here = false;

		relid = RangeVarGetRelid(name_to_rangevar(name), NoLock, false);
		source = source_of(relid);
		if (source == NULL && !catalog_lookup(relid, &status, NULL, &here))
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("\"%s\" is not a live view", name),
					 errhint("Live views are listed in pathway.views, sources in pathway.sources.")));
		if (source)
			relids = NIL;
		else if (here)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("live view \"%s\" was created in this transaction", name),
					 errhint("Commit first: the engine starts maintaining a view once its creation commits.")));
		else if (strcmp(status, "failed") == 0)
			report_failed(get_rel_name(relid), relid);
		if (!source)
			relids = list_make1_oid(relid);
	}
	else
		relids = all_view_relids();

	/* everything committed before now has its commit record before target */
	target = wal_flush_written();
	pathway_wake_worker(MyDatabaseId);
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);

	LWLockAcquire(pathway_shm->lock, LW_SHARED);
	db = pathway_db_find(MyDatabaseId);
	LWLockRelease(pathway_shm->lock);
	if (db == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pathway engine is not running in this database")));

	/* catalog changes committed before the call (a rebuild after ALTER TABLE) are read first */
	catalog_gen = pg_atomic_read_u64(&db->catalog_gen);
	tickets = source_tickets(source, source ? InvalidOid : relid, &ntickets);
	take_tickets(db, tickets, ntickets);
	pathway_wake_worker(MyDatabaseId);
	ConditionVariablePrepareToSleep(&db->progress);
	for (;;)
	{
		long		remaining;
		SyncState	state;
		XLogRecPtr	at;
		pid_t		pid;
		const char *behind;
		bool		untaken;
		char		behind_name[NAMEDATALEN] = "";
		char		behind_error[PATHWAY_SOURCE_ERROR] = "";

		LWLockAcquire(pathway_shm->lock, LW_SHARED);
		state = sync_state(db, target, relids, &failed_relid);
		if (state == SYNC_DONE && db->catalog_gen_loaded < catalog_gen)
			state = SYNC_WAIT;
		behind = tickets_waiting(db, tickets, ntickets, behind_error, &untaken);
		if (behind)
		{
			strlcpy(behind_name, behind, sizeof(behind_name));
			if (state == SYNC_DONE)
				state = SYNC_WAIT;
		}
		at = db->frontier;
		pid = db->pid;
		LWLockRelease(pathway_shm->lock);
		if (untaken)
		{
			take_tickets(db, tickets, ntickets);
			pathway_wake_worker(MyDatabaseId);
		}
		if (state != SYNC_WAIT)
		{
			failed = (state == SYNC_FAILED);
			break;
		}
		remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (remaining <= 0)
		{
			ConditionVariableCancelSleep();
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("pathway.sync timed out"),
					 pid == 0 ? errdetail("The pathway engine worker is not running in this database.")
					 : behind_name[0] ?
					 errdetail("Kafka source \"%s\" has not landed what its brokers held at the call%s%s.",
							   behind_name, behind_error[0] ? ": " : "", behind_error)
					 : errdetail("Applied up to %X/%X, waiting for %X/%X.",
								 LSN_FORMAT_ARGS(at), LSN_FORMAT_ARGS(target)),
					 errhint("Check pathway.views and the server log.")));
		}
		(void) ConditionVariableTimedSleep(&db->progress, Min(remaining, 1000), PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	if (failed)
		report_failed(get_rel_name(failed_relid), failed_relid);
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
pathway_catalog_changed(PG_FUNCTION_ARGS)
{
	pathway_note_catalog_change();
	return PointerGetDatum(NULL);
}

Datum
pathway_maintained_table(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "pathway._maintained_table() must be called as a trigger");
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot modify live view \"%s\"", RelationGetRelationName(trigdata->tg_relation)),
			 errdetail("A live view's table is written only by the pathway engine."),
			 errhint("Write to the view's source tables instead, or drop the view with pathway.drop_view().")));
	return PointerGetDatum(NULL);
}

/*
 * ALTER TABLE ... ATTACH/DETACH PARTITION, INHERIT, NO INHERIT move rows in
 * or out of a parent without a row change that decoding would see: ask the
 * engine to rebuild the views concerned (pathway.rebuild_requests).
 */
static void adopt_member(Oid relid);

Datum
pathway_on_alter_table(PG_FUNCTION_ARGS)
{
	uint64		i;
	List	   *relids = NIL;
	List	   *members = NIL;
	ListCell   *lc;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "pathway._on_alter_table() must be called as an event trigger");
	SPI_connect();
	SPI_execute("SELECT objid, command FROM pg_catalog.pg_event_trigger_ddl_commands() "
				"WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass", true, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			objid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		CollectedCommand *cmd = (CollectedCommand *) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[i],
																				   SPI_tuptable->tupdesc, 2, &isnull));

		if (isnull || cmd == NULL || cmd->type != SCT_AlterTable)
			continue;
		foreach(lc, cmd->d.alterTable.subcmds)
		{
			AlterTableCmd *at = (AlterTableCmd *) ((CollectedATSubcmd *) lfirst(lc))->parsetree;

			if (IsA(at, AlterTableCmd) &&
				(at->subtype == AT_AttachPartition || at->subtype == AT_DetachPartition ||
				 at->subtype == AT_DetachPartitionFinalize ||
				 at->subtype == AT_AddInherit || at->subtype == AT_DropInherit))
				relids = list_append_unique_oid(relids, objid);
			/* a new member of a parent: see adopt_member */
			if (IsA(at, AlterTableCmd) && at->subtype == AT_AttachPartition)
			{
				Oid			part = RangeVarGetRelid(((PartitionCmd *) at->def)->name, NoLock, true);
				MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

				if (OidIsValid(part))
					members = list_append_unique_oid(members, part);
				MemoryContextSwitchTo(old);
			}
			else if (IsA(at, AlterTableCmd) && at->subtype == AT_AddInherit)
			{
				MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

				members = list_append_unique_oid(members, objid);
				MemoryContextSwitchTo(old);
			}
		}
	}
	foreach(lc, relids)
	{
		Datum		args[1] = {ObjectIdGetDatum(lfirst_oid(lc))};
		Oid			types[1] = {OIDOID};
		Oid			save_user;
		int			save_sec;

		GetUserIdAndSecContext(&save_user, &save_sec);
		SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, save_sec | SECURITY_LOCAL_USERID_CHANGE);
		SPI_execute_with_args("INSERT INTO pathway.rebuild_requests (relid) VALUES ($1)",
							  1, types, args, NULL, false, 0);
		SetUserIdAndSecContext(save_user, save_sec);
	}
	SPI_finish();
	foreach(lc, members)
		adopt_member(lfirst_oid(lc));
	PG_RETURN_VOID();
}

Datum
pathway_extension_created(PG_FUNCTION_ARGS)
{
	pathway_check_setup();
	pathway_note_extension_created();
	PG_RETURN_VOID();
}


/* ---------- DDL guards ---------- */

/*
 * The live views that read relid or one of its ancestors (partitioned
 * tables, inheritance parents), as a list of names, sorted.  A view's table
 * depends (pg_depend, recorded by create_view) on every table its query
 * reads, and PostgreSQL keeps those rows exact through drops and renames:
 * no need to parse the stored trees.
 */
static List *
views_reading(Oid relid)
{
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Oid			types[1] = {OIDOID};
	List	   *names = NIL;
	MemoryContext caller = CurrentMemoryContext;
	uint64		i;

	SPI_connect();
	SPI_execute_with_args("WITH RECURSIVE up(oid) AS ("
						  "  SELECT $1"
						  "  UNION"
						  "  SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN up ON i.inhrelid = up.oid)"
						  "SELECT DISTINCT c.relid::pg_catalog.regclass::text"
						  "  FROM pathway.catalog c JOIN pg_catalog.pg_depend d ON d.objid = c.relid"
						  " WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
						  "   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
						  "   AND d.deptype = 'n' AND d.refobjid <> c.relid"
						  "   AND d.refobjid IN (SELECT oid FROM up)"
						  " ORDER BY 1",
						  1, types, args, NULL, false, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		MemoryContext old = MemoryContextSwitchTo(caller);

		names = lappend(names, pstrdup(v));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return names;
}

/* "v1", "v2" */
static char *
name_list(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
		appendStringInfo(&buf, "%s\"%s\"", foreach_current_index(lc) ? ", " : "", (char *) lfirst(lc));
	return buf.data;
}

/* The live views that use column colname of relid or of one of its inheritors. */
static List *
views_using_column(Oid relid, bool recurse, const char *colname)
{
	List	   *rels = recurse ? find_all_inheritors(relid, NoLock, NULL) : list_make1_oid(relid);
	Datum	   *elems = palloc(sizeof(Datum) * list_length(rels));
	ListCell   *lc;
	Datum		args[2];
	Oid			types[2] = {OIDARRAYOID, TEXTOID};
	List	   *names = NIL;
	MemoryContext caller = CurrentMemoryContext;
	uint64		i;

	foreach(lc, rels)
		elems[foreach_current_index(lc)] = ObjectIdGetDatum(lfirst_oid(lc));
	args[0] = PointerGetDatum(construct_array(elems, list_length(rels), OIDOID, sizeof(Oid), true, TYPALIGN_INT));
	args[1] = CStringGetTextDatum(colname);
	SPI_connect();
	SPI_execute_with_args("SELECT DISTINCT c.relid::pg_catalog.regclass::text"
						  "  FROM pathway.catalog c JOIN pg_catalog.pg_depend d ON d.objid = c.relid"
						  "  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
						  " WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
						  "   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
						  "   AND d.refobjid = ANY ($1) AND a.attname = $2"
						  " ORDER BY 1",
						  2, types, args, NULL, true, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		MemoryContext old = MemoryContextSwitchTo(caller);

		names = lappend(names, pstrdup(v));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return names;
}

/* Is trigger trigname of relid the write guard of a live view? */
static bool
is_guard_trigger(Oid relid, const char *trigname)
{
	Datum		args[2];
	Oid			types[2] = {OIDOID, NAMEOID};
	bool		found;

	args[0] = ObjectIdGetDatum(relid);
	args[1] = DirectFunctionCall1(namein, CStringGetDatum(trigname));
	SPI_connect();
	SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_trigger t JOIN pathway.catalog c ON c.relid = t.tgrelid"
						  " WHERE t.tgrelid = $1 AND t.tgname = $2"
						  "   AND t.tgfoid = 'pathway._maintained_table()'::pg_catalog.regprocedure",
						  2, types, args, NULL, true, 1);
	found = (SPI_processed == 1);
	SPI_finish();
	return found;
}

/* msg: a format with one %s, the view's name */
static void
refuse_guard_change(Oid relid, const char *msg)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg_internal(msg, get_rel_name(relid)),
			 errdetail("Trigger \"pathway_maintained\" keeps every session but the engine from writing the view's table."),
			 errhint("To write the table yourself, stop maintaining it first with pathway.drop_view().")));
}

/* msg: a format with one %s, the table's name */
static void
refuse_source_change(Oid relid, List *views, const char *msg, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg_internal(msg, get_rel_name(relid)),
			 errdetail_plural("Live view %s reads it: %s.", "Live views %s read it: %s.",
							  list_length(views), name_list(views), why),
			 errhint("Drop the live view first (pathway.drop_view()), and create it again after the change.")));
}

/* ALTER TABLE, before it does anything. */
static void
guard_alter_table(AlterTableStmt *stmt)
{
	Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	bool		is_view;
	List	   *views = NULL;
	bool		views_known = false;
	ListCell   *lc;

	if (!OidIsValid(relid) || stmt->objtype != OBJECT_TABLE)
		return;
	is_view = catalog_lookup(relid, NULL, NULL, NULL);
#define WATCHERS() (views_known ? views : (views_known = true, views = views_reading(relid)))
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_ReplicaIdentity:
				if (((ReplicaIdentityStmt *) cmd->def)->identity_type != REPLICA_IDENTITY_FULL &&
					WATCHERS() != NIL)
					refuse_source_change(relid, views, "cannot change the replica identity of table \"%s\"",
										 "it must keep REPLICA IDENTITY FULL for updates and deletes to carry the whole old row");
				break;
			case AT_SetUnLogged:
				if (is_view)
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("cannot make live view \"%s\" unlogged", get_rel_name(relid)),
							 errdetail("A crash would empty its table while the engine holds its rows."),
							 errhint("Drop the live view first (pathway.drop_view()).")));
				if (WATCHERS() != NIL)
					refuse_source_change(relid, views, "cannot make table \"%s\" unlogged",
										 "the changes of an unlogged table are not written to the WAL, so the view could not follow them");
				break;
			case AT_SetAccessMethod:
				if (cmd->name && strcmp(cmd->name, "heap") != 0 && WATCHERS() != NIL)
					refuse_source_change(relid, views, "cannot change the access method of table \"%s\"",
										 "only tables of the heap access method are known to deliver their changes to logical decoding");
				break;
			case AT_AlterColumnType:
				{
					List	   *users = views_using_column(relid, stmt->relation->inh, cmd->name);

					if (users != NIL)
						ereport(ERROR,
								(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								 errmsg("cannot alter type of a column used by a view or rule"),
								 errdetail_plural("Live view %s depends on column \"%s\".",
												  "Live views %s depend on column \"%s\".",
												  list_length(users), name_list(users), cmd->name),
								 errhint("Drop the live view first (pathway.drop_view()), and create it again after the change.")));
				}
				break;
			case AT_DisableTrig:
				if (is_view && is_guard_trigger(relid, cmd->name))
					refuse_guard_change(relid, "cannot disable the write guard of live view \"%s\"");
				break;
			case AT_EnableReplicaTrig:
				/* a REPLICA trigger fires only with session_replication_role = replica */
				if (is_view && is_guard_trigger(relid, cmd->name))
					refuse_guard_change(relid, "cannot make the write guard of live view \"%s\" a replica trigger");
				break;
			case AT_DisableTrigAll:
			case AT_DisableTrigUser:
				if (is_view)
					refuse_guard_change(relid, "cannot disable the write guard of live view \"%s\"");
				break;
			default:
				break;
		}
	}
#undef WATCHERS
}

/* DROP TRIGGER pathway_maintained ON view */
static void
guard_drop_trigger(DropStmt *stmt)
{
	ListCell   *lc;

	if (stmt->removeType != OBJECT_TRIGGER)
		return;
	foreach(lc, stmt->objects)
	{
		List	   *names = lfirst(lc);
		List	   *relname = list_truncate(list_copy(names), list_length(names) - 1);
		Oid			relid;

		if (relname == NIL)
			continue;
		relid = RangeVarGetRelid(makeRangeVarFromNameList(relname), NoLock, true);
		if (OidIsValid(relid) && is_guard_trigger(relid, strVal(llast(names))))
			refuse_guard_change(relid, "cannot drop the write guard of live view \"%s\"");
	}
}

/*
 * At ddl_command_start of ALTER TABLE and DROP TRIGGER: refuse what would
 * leave a live view wrong while it reports running.  Sources must keep
 * REPLICA IDENTITY FULL and stay logged (a table is a source when a live
 * view reads it or one of its ancestors); a column a view uses keeps its
 * type; a view's write guard stays in force.
 */
Datum
pathway_ddl_guard(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = (EventTriggerData *) fcinfo->context;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "pathway._ddl_guard() must be called as an event trigger");
	if (IsA(trigdata->parsetree, AlterTableStmt))
		guard_alter_table((AlterTableStmt *) trigdata->parsetree);
	else if (IsA(trigdata->parsetree, DropStmt))
		guard_drop_trigger((DropStmt *) trigdata->parsetree);
	PG_RETURN_VOID();
}

/*
 * A table that has just become a partition or an inheritance child (CREATE
 * TABLE ... PARTITION OF / INHERITS, ATTACH PARTITION, INHERIT) under a table
 * a live view reads: its changes must reach the view.  Refuse it when they
 * cannot (unlogged, temporary, foreign); otherwise give it and its own
 * members REPLICA IDENTITY FULL, as create_view does for the existing ones.
 */
static void
adopt_member(Oid relid)
{
	List	   *views;
	Oid			bad;

	if (!has_superclass(relid))
		return;
	views = views_reading(relid);
	if (views == NIL)
		return;
	bad = undecodable_member(relid);
	if (OidIsValid(bad))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" cannot become a partition or child of a table live views read",
						get_rel_name(bad)),
				 errdetail_plural("Live view %s reads its new parent; the changes of an unlogged, temporary or foreign table are not decoded.",
								  "Live views %s read its new parent; the changes of an unlogged, temporary or foreign table are not decoded.",
								  list_length(views), name_list(views)),
				 errhint("Use a logged table, or drop the live view first (pathway.drop_view()).")));
	SPI_connect();
	ensure_replica_identity(relid);
	SPI_finish();
}

/* At ddl_command_end of CREATE TABLE and CREATE FOREIGN TABLE. */
Datum
pathway_on_create_table(PG_FUNCTION_ARGS)
{
	List	   *created = NIL;
	ListCell   *lc;
	uint64		i;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "pathway._on_create_table() must be called as an event trigger");
	SPI_connect();
	SPI_execute("SELECT objid FROM pg_catalog.pg_event_trigger_ddl_commands() "
				"WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND objsubid = 0 "
				"  AND object_type IN ('table', 'foreign table')", true, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

		created = lappend_oid(created, DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
																	  SPI_tuptable->tupdesc, 1, &isnull)));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	foreach(lc, created)
		adopt_member(lfirst_oid(lc));
	PG_RETURN_VOID();
}
