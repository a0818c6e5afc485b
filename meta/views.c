/*
 * views.c
 *	  The SQL face's statements on pathway.catalog and
 *	  pathway.rebuild_requests (see views.h).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"

#include "meta/meta.h"
#include "meta/views.h"

/* The first column of every row of SPI_tuptable, as text, in cxt. */
static List *
first_column_texts(MemoryContext cxt)
{
	List	   *names = NIL;
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		MemoryContext old = MemoryContextSwitchTo(cxt);

		names = lappend(names, pstrdup(v));
		MemoryContextSwitchTo(old);
	}
	return names;
}

/* Was the row with this xmin (as text) written by the current transaction? */
static bool
xmin_is_current(const char *xmin)
{
	return TransactionIdIsCurrentTransactionId((TransactionId) strtoul(xmin, NULL, 10));
}

bool
meta_view_lookup(Oid relid, char **status, char **error, bool *created_here)
{
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Oid			types[1] = {OIDOID};
	bool		found;

	SPI_connect();
	/* not read-only: a fresh snapshot sees a failure the worker just committed */
	found = meta_exec("SELECT status, error, xmin::text FROM pathway.catalog WHERE relid = $1",
					  1, types, args, NULL, false, 1) == 1;
	if (found)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *s = SPI_getvalue(tup, desc, 1);
		char	   *e = SPI_getvalue(tup, desc, 2);

		if (status)
			*status = s ? MemoryContextStrdup(TopTransactionContext, s) : NULL;
		if (error)
			*error = e ? MemoryContextStrdup(TopTransactionContext, e) : NULL;
		if (created_here)
			*created_here = xmin_is_current(SPI_getvalue(tup, desc, 3));
	}
	SPI_finish();
	return found;
}

bool
meta_view_definition(Oid relid, char **tree, Datum *settings)
{
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Oid			types[1] = {OIDOID};
	MemoryContext caller = CurrentMemoryContext;
	bool		found;

	SPI_connect();
	found = meta_exec("SELECT tree, settings FROM pathway.catalog WHERE relid = $1",
					  1, types, args, NULL, true, 0) == 1;
	if (found)
	{
		bool		isnull;
		char	   *t = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		Datum		arr = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		MemoryContext old = MemoryContextSwitchTo(caller);

		*tree = pstrdup(t);
		*settings = isnull ? PointerGetDatum(construct_empty_array(TEXTOID))
			: datumCopy(arr, false, -1);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return found;
}

int64
meta_view_count(void)
{
	bool		isnull;
	int64		n;

	SPI_connect();
	(void) meta_exec("SELECT pg_catalog.count(*) FROM pathway.catalog", 0, NULL, NULL, NULL, false, 0);
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return n;
}

void
meta_view_register(Oid relid, const char *query, Oid owner, const char *tree, Datum settings)
{
	Datum		args[5];
	Oid			types[5] = {OIDOID, TEXTOID, OIDOID, TEXTOID, TEXTARRAYOID};

	args[0] = ObjectIdGetDatum(relid);
	args[1] = CStringGetTextDatum(query);
	args[2] = ObjectIdGetDatum(owner);
	args[3] = CStringGetTextDatum(tree);
	args[4] = settings;
	SPI_connect();
	/* the catalog is the extension's, not the caller's */
	(void) meta_exec_as_owner("INSERT INTO pathway.catalog (relid, query, owner, tree, settings) "
							  "VALUES ($1, $2, $3, $4, $5)", 5, types, args, NULL, 0);
	SPI_finish();
}

void
meta_view_forget_dangling(void)
{
	SPI_connect();
	/* as the owner: the operator is named, whatever the caller's search_path */
	(void) meta_exec_as_owner("DELETE FROM pathway.catalog c WHERE NOT EXISTS "
							  "(SELECT 1 FROM pg_catalog.pg_class r WHERE r.oid OPERATOR(pg_catalog.=) c.relid)",
							  0, NULL, NULL, NULL, 0);
	SPI_finish();
}

List *
meta_view_list(void)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *views = NIL;
	uint64		i;

	SPI_connect();
	/* a row whose table is gone (see meta_view_forget_dangling) is left out */
	(void) meta_exec("SELECT c.relid, c.xmin::text, c.relid::regclass::text FROM pathway.catalog c"
					 " WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_class r WHERE r.oid = c.relid)",
					 0, NULL, NULL, NULL, false, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *name = SPI_getvalue(tup, desc, 3);
		MemoryContext old = MemoryContextSwitchTo(caller);
		MetaView   *v = palloc(sizeof(MetaView));

		v->relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		v->name = pstrdup(name);
		v->created_here = xmin_is_current(SPI_getvalue(tup, desc, 2));
		views = lappend(views, v);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return views;
}

/*
 * A view's table depends (pg_depend, recorded by create_view) on every
 * table its query reads, and PostgreSQL keeps those rows exact through
 * drops and renames: no need to parse the stored trees.
 */
List *
meta_views_reading(Oid relid)
{
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Oid			types[1] = {OIDOID};
	MemoryContext caller = CurrentMemoryContext;
	List	   *names;

	SPI_connect();
	(void) meta_exec("WITH RECURSIVE up(oid) AS ("
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
	names = first_column_texts(caller);
	SPI_finish();
	return names;
}

List *
meta_views_using_column(List *rels, const char *colname)
{
	Datum	   *elems = palloc(sizeof(Datum) * list_length(rels));
	ListCell   *lc;
	Datum		args[2];
	Oid			types[2] = {OIDARRAYOID, TEXTOID};
	MemoryContext caller = CurrentMemoryContext;
	List	   *names;

	foreach(lc, rels)
		elems[foreach_current_index(lc)] = ObjectIdGetDatum(lfirst_oid(lc));
	args[0] = PointerGetDatum(construct_array(elems, list_length(rels), OIDOID, sizeof(Oid), true, TYPALIGN_INT));
	args[1] = CStringGetTextDatum(colname);
	SPI_connect();
	(void) meta_exec("SELECT DISTINCT c.relid::pg_catalog.regclass::text"
					 "  FROM pathway.catalog c JOIN pg_catalog.pg_depend d ON d.objid = c.relid"
					 "  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
					 " WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
					 "   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
					 "   AND d.refobjid = ANY ($1) AND a.attname = $2"
					 " ORDER BY 1",
					 2, types, args, NULL, true, 0);
	names = first_column_texts(caller);
	SPI_finish();
	return names;
}

bool
meta_view_is_guard_trigger(Oid relid, const char *trigname)
{
	Datum		args[2];
	Oid			types[2] = {OIDOID, NAMEOID};
	bool		found;

	args[0] = ObjectIdGetDatum(relid);
	args[1] = DirectFunctionCall1(namein, CStringGetDatum(trigname));
	SPI_connect();
	found = meta_exec("SELECT 1 FROM pg_catalog.pg_trigger t JOIN pathway.catalog c ON c.relid = t.tgrelid"
					  " WHERE t.tgrelid = $1 AND t.tgname = $2"
					  "   AND t.tgfoid = 'pathway._maintained_table()'::pg_catalog.regprocedure",
					  2, types, args, NULL, true, 1) == 1;
	SPI_finish();
	return found;
}

void
meta_rebuild_request(Oid relid)
{
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Oid			types[1] = {OIDOID};

	SPI_connect();
	(void) meta_exec_as_owner("INSERT INTO pathway.rebuild_requests (relid) VALUES ($1)",
							  1, types, args, NULL, 0);
	SPI_finish();
}

void
meta_view_set_time_options(Oid relid, Datum cutoff, bool cutoff_null, Datum delay,
						   bool delay_null, bool keep_results, const char *emit)
{
	Datum		args[5];
	Oid			types[5] = {OIDOID, INTERVALOID, INTERVALOID, BOOLOID, TEXTOID};
	char		nulls[6] = "     ";

	args[0] = ObjectIdGetDatum(relid);
	args[1] = cutoff;
	nulls[1] = cutoff_null ? 'n' : ' ';
	args[2] = delay;
	nulls[2] = delay_null ? 'n' : ' ';
	args[3] = BoolGetDatum(keep_results);
	args[4] = CStringGetTextDatum(emit);
	SPI_connect();
	(void) meta_exec_as_owner("UPDATE pathway.catalog SET cutoff = $2, delay = $3, keep_results = $4, emit = $5 "
							  "WHERE relid OPERATOR(pg_catalog.=) $1", 5, types, args, nulls, 0);
	SPI_finish();
}

void
meta_view_time_options(Oid relid, char **cutoff, char **delay, char **keep_results,
					   char **emit, bool *has_time, int64 *usecs)
{
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Oid			types[1] = {OIDOID};
	MemoryContext cxt = CurrentMemoryContext;
	char	   *vals[5] = {NULL, NULL, NULL, NULL, NULL};
	int			i;

	*has_time = false;
	SPI_connect();
	if (meta_read_as_owner("SELECT c.cutoff::text, c.delay::text, c.keep_results::text, c.emit, t.usecs::text "
						   "FROM pathway.catalog c LEFT JOIN pathway.view_times t ON t.relid OPERATOR(pg_catalog.=) c.relid "
						   "WHERE c.relid OPERATOR(pg_catalog.=) $1", 1, types, args, NULL, 0) == 1)
		for (i = 0; i < 5; i++)
		{
			char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1);

			vals[i] = v ? MemoryContextStrdup(cxt, v) : NULL;
		}
	SPI_finish();
	*cutoff = vals[0];
	*delay = vals[1];
	*keep_results = vals[2];
	*emit = vals[3];
	if (vals[4])
	{
		*has_time = true;
		*usecs = pg_strtoint64(vals[4]);
	}
}
