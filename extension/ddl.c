/*
 * ddl.c
 *	  What keeps live views right through DDL: the rules a source table
 *	  keeps (its changes decoded, REPLICA IDENTITY FULL), the write guard of
 *	  a view's table, the event triggers (_ddl_guard before ALTER TABLE and
 *	  DROP TRIGGER, _on_alter_table and _on_create_table after them) and
 *	  _catalog_changed.
 *
 * A table is a source when a live view's table depends on it or on one of
 * its ancestors in pg_depend (meta_views_reading).
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "commands/event_trigger.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "extension/extension.h"
#include "meta/meta.h"
#include "meta/views.h"

PG_FUNCTION_INFO_V1(pathway_catalog_changed);
PG_FUNCTION_INFO_V1(pathway_maintained_table);
PG_FUNCTION_INFO_V1(pathway_on_alter_table);
PG_FUNCTION_INFO_V1(pathway_ddl_guard);
PG_FUNCTION_INFO_V1(pathway_on_create_table);

/* ---------- what a source table keeps ---------- */

/*
 * A partition or inheritance child whose changes decoding would not
 * deliver (unlogged, temporary, foreign): the first one under relid (itself
 * included), or InvalidOid.  A partitioned table's changes are its leaves'.
 */
Oid
pathway_undecodable_member(Oid relid)
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

void
pathway_ensure_replica_identity(Oid relid)
{
	Relation	rel;
	char		ident;
	bool		partitioned;

	if (get_rel_relkind(relid) == RELKIND_FOREIGN_TABLE)
		return;					/* refused by the callers (pathway_undecodable_member) */
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
				pathway_ensure_replica_identity(lfirst_oid(lc));
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
						 pathway_qualified_name(relid))));
	(void) meta_exec(psprintf("ALTER TABLE %s REPLICA IDENTITY FULL", pathway_qualified_name(relid)),
					 0, NULL, NULL, NULL, false, 0);
	ereport(NOTICE,
			(errmsg("pathway: set REPLICA IDENTITY FULL on table \"%s\"", get_rel_name(relid)),
			 errdetail("Updates and deletes must carry the old row for the view to follow them.")));
}

/* ---------- the write guard, catalog changes ---------- */

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
	(void) meta_exec("SELECT objid, command FROM pg_catalog.pg_event_trigger_ddl_commands() "
					 "WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass", 0, NULL, NULL, NULL, true, 0);
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
	/* relids is in SPI's memory: ask before SPI_finish */
	foreach(lc, relids)
		meta_rebuild_request(lfirst_oid(lc));
	SPI_finish();
	foreach(lc, members)
		adopt_member(lfirst_oid(lc));
	PG_RETURN_VOID();
}

/* ---------- DDL guards ---------- */

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
	is_view = meta_view_lookup(relid, NULL, NULL, NULL);
#define WATCHERS() (views_known ? views : (views_known = true, views = meta_views_reading(relid)))
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
					List	   *users = meta_views_using_column(stmt->relation->inh ? find_all_inheritors(relid, NoLock, NULL)
														   : list_make1_oid(relid), cmd->name);

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
				if (is_view && meta_view_is_guard_trigger(relid, cmd->name))
					refuse_guard_change(relid, "cannot disable the write guard of live view \"%s\"");
				break;
			case AT_EnableReplicaTrig:
				/* a REPLICA trigger fires only with session_replication_role = replica */
				if (is_view && meta_view_is_guard_trigger(relid, cmd->name))
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
		if (OidIsValid(relid) && meta_view_is_guard_trigger(relid, strVal(llast(names))))
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
	views = meta_views_reading(relid);
	if (views == NIL)
		return;
	bad = pathway_undecodable_member(relid);
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
	pathway_ensure_replica_identity(relid);
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
	(void) meta_exec("SELECT objid FROM pg_catalog.pg_event_trigger_ddl_commands() "
					 "WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND objsubid = 0 "
					 "  AND object_type IN ('table', 'foreign table')", 0, NULL, NULL, NULL, true, 0);
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

