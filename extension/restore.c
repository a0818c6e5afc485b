/*
 * restore.c
 *	  Live views brought back by pg_restore (or a replayed plain dump).
 *
 * pathway.catalog is an extension configuration table: pg_dump writes its
 * rows with the view table as a name (regclass) and the owner as a role
 * name (regrole), so COPY into a new database finds the new OIDs.  The
 * analyzed query (tree) names everything by OID, which means nothing in the
 * new database: a row that create_view did not write is analyzed again from
 * its text, with the settings it was created with, and the
 * view's table gets its dependencies again (on what the query reads, and on
 * the extension), exactly as create_view records them.  The engine starts
 * maintaining such a view once its table has its pathway_maintained trigger,
 * which a restore creates after loading every table's rows (worker.c,
 * adopt_views); adoption then reconciles the table with the query.
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "extension/extension.h"
#include "plan/planner.h"

PG_FUNCTION_INFO_V1(pathway_catalog_restore);

/* The view create_view is registering right now (its row is already right). */
Oid			pathway_registering_view = InvalidOid;

static int
column(Relation rel, const char *name)
{
	int			attno = SPI_fnumber(RelationGetDescr(rel), name);

	if (attno <= 0)
		elog(ERROR, "pathway.catalog has no column \"%s\"", name);
	return attno;
}

/* The stored settings, applied for the analysis (undone by the caller's nest level). */
static void
apply_settings(Datum arr)
{
	Datum	   *items;
	bool	   *nulls;
	int			n,
				i;

	deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, TYPALIGN_INT,
					  &items, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		char	   *s;
		char	   *eq;

		if (nulls[i])
			continue;
		s = TextDatumGetCString(items[i]);
		eq = strchr(s, '=');
		if (eq == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("malformed setting \"%s\" in pathway.catalog", s)));
		*eq = '\0';
		(void) set_config_option(s, eq + 1, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
	}
}

/*
 * BEFORE INSERT ... FOR EACH ROW on pathway.catalog: a row from a dump (or
 * any row create_view is not writing) gets its tree from its query text.
 */
Datum
pathway_catalog_restore(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Oid			relid;
	Oid			owner;
	char	   *query;
	char	   *name;
	Datum		settings;
	Query	   *tree;
	ObjectAddress viewaddr,
				extaddr;
	Oid			save_user;
	int			save_sec;
	int			nest;
	int			ncols;
	int		   *cols;
	Datum	   *vals;
	bool	   *nulls;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		elog(ERROR, "pathway._catalog_restore() must be called as a BEFORE INSERT row trigger");
	rel = trigdata->tg_relation;
	tup = trigdata->tg_trigtuple;
	desc = RelationGetDescr(rel);

	relid = DatumGetObjectId(heap_getattr(tup, column(rel, "relid"), desc, &isnull));
	if (relid == pathway_registering_view)
		return PointerGetDatum(tup);

	pathway_check_setup();
	if (get_rel_relkind(relid) != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table and cannot be a live view", get_rel_name(relid))));
	name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
	owner = DatumGetObjectId(heap_getattr(tup, column(rel, "owner"), desc, &isnull));
	if (isnull || !OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("live view \"%s\" has no owner", name)));
	query = TextDatumGetCString(heap_getattr(tup, column(rel, "query"), desc, &isnull));
	settings = heap_getattr(tup, column(rel, "settings"), desc, &isnull);

	/*
	 * With its creator's settings (search_path above all: a restore runs
	 * with an empty one).  As the role restoring, as PostgreSQL restores a
	 * view's definition: the owner's privileges (schema USAGE included) are
	 * restored after the rows, and parse analysis runs no code of the
	 * query.  The engine computes the view as its owner.
	 */
	nest = NewGUCNestLevel();
	apply_settings(settings);
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(save_user, save_sec | SECURITY_RESTRICTED_OPERATION);
	/*
	 * Parse analysis only: planning folds constants and evaluates VALUES,
	 * which could run a function of the owner's as the restoring role.  The
	 * engine plans the view, as its owner, when it adopts it.
	 */
	tree = plan_analyze_view(name, query, NULL);
	SetUserIdAndSecContext(save_user, save_sec);
	AtEOXact_GUC(false, nest);

	/* the dependencies create_view records, which a dump does not carry */
	ObjectAddressSet(viewaddr, RelationRelationId, relid);
	recordDependencyOnExpr(&viewaddr, (Node *) tree, NIL, DEPENDENCY_NORMAL);
	ObjectAddressSet(extaddr, ExtensionRelationId, get_extension_oid("pathway", false));
	recordDependencyOn(&viewaddr, &extaddr, DEPENDENCY_NORMAL);

	ncols = 3;
	cols = palloc(sizeof(int) * ncols);
	vals = palloc(sizeof(Datum) * ncols);
	nulls = palloc0(sizeof(bool) * ncols);
	cols[0] = column(rel, "tree");
	vals[0] = CStringGetTextDatum(nodeToString(tree));
	cols[1] = column(rel, "status");
	vals[1] = CStringGetTextDatum("restored");	/* shown as starting; see worker.c, view_ready */
	cols[2] = column(rel, "error");
	nulls[2] = true;
	ereport(LOG,
			(errmsg("pathway: live view \"%s\" restored; the engine maintains it once its table has its pathway_maintained trigger and its owner the privileges it needs",
					name)));
	return PointerGetDatum(heap_modify_tuple_by_cols(tup, desc, ncols, cols, vals, nulls));
}
