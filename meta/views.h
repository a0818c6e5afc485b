/*
 * views.h
 *	  The SQL face's statements on the live views' rows: pathway.catalog
 *	  (with pg_depend, for the views that read a table) and
 *	  pathway.rebuild_requests.
 *
 * Each function connects SPI itself (nested in the caller's connection if
 * there is one) and returns what it read in the caller's memory context,
 * unless it says otherwise.
 */
#ifndef PATHWAY_META_VIEWS_H
#define PATHWAY_META_VIEWS_H

#include "postgres.h"

#include "nodes/pg_list.h"

/*
 * The catalog row of live view relid, or false.  *status and *error (each
 * may be NULL) in TopTransactionContext; *created_here: this transaction
 * registered it.  With a fresh snapshot, so a failure the worker has just
 * committed is seen.
 */
extern bool meta_view_lookup(Oid relid, char **status, char **error, bool *created_here);

/* The stored tree (nodeToString) and settings (text[]) of relid, or false. */
extern bool meta_view_definition(Oid relid, char **tree, Datum *settings);

/* How many live views the database has. */
extern int64 meta_view_count(void);

/* Register a view (as the extension's owner): its catalog row. */
extern void meta_view_register(Oid relid, const char *query, Oid owner, const char *tree,
							   Datum settings);

/*
 * Delete the rows whose table is gone without the drop trigger seeing it
 * (event triggers do not fire with session_replication_role = replica,
 * nor for the temporary tables a session drops as it ends).
 */
extern void meta_view_forget_dangling(void);

/* A live view whose table exists: pathway.sync() of every view. */
typedef struct MetaView
{
	Oid			relid;
	char	   *name;			/* regclass text */
	bool		created_here;	/* by this transaction */
} MetaView;

/* Every live view whose table exists, as MetaView *. */
extern List *meta_view_list(void);

/* The names (regclass text, sorted) of the live views that read relid or one of its ancestors. */
extern List *meta_views_reading(Oid relid);

/* The names of the live views that use column colname of one of rels (OIDs). */
extern List *meta_views_using_column(List *rels, const char *colname);

/* Is trigger trigname of relid the write guard of a live view? */
extern bool meta_view_is_guard_trigger(Oid relid, const char *trigname);

/* Ask the engine to rebuild the views that read relid (as the extension's owner). */
extern void meta_rebuild_request(Oid relid);

/* a view's time options as text (emit NULL: none) and its saved time */
extern void meta_view_time_options(Oid relid, char **cutoff, char **delay, char **keep_results,
								   char **emit, bool *has_time, int64 *usecs);
/* the time options of a view just registered (NULL: not given) */
extern void meta_view_set_time_options(Oid relid, Datum cutoff, bool cutoff_null,
									   Datum delay, bool delay_null, bool keep_results,
									   const char *emit);

#endif							/* PATHWAY_META_VIEWS_H */
