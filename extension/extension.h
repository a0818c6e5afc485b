/*
 * extension.h
 *	  What the SQL face's files share: setup checks and the notes a
 *	  transaction leaves for its commit (pathway.c), and the rules for a
 *	  view's source tables (ddl.c).
 */
#ifndef PATHWAY_EXTENSION_H
#define PATHWAY_EXTENSION_H

#include "pathway.h"

extern Oid	pathway_registering_view;	/* restore.c */

/* api.c */
extern char *pathway_qualified_name(Oid relid);

/* ddl.c: what a source table keeps */
extern Oid	pathway_undecodable_member(Oid relid);
extern void pathway_ensure_replica_identity(Oid relid);
extern void pathway_check_setup(void);

/*
 * access.c: a live view's stored query and settings, the caller needing
 * SELECT on it (errors otherwise); its captured settings applied (a GUC
 * nest level to undo); the current user switched to its owner, restricted
 * (SetUserIdAndSecContext(save_user, save_sec) undoes it).
 */
extern void pathway_readable_view(Oid relid, const char *name, char **tree, Datum *settings);
extern int	pathway_apply_view_settings(Datum settings);
extern void pathway_become_view_owner(Oid relid, Oid *save_user, int *save_sec);
extern void pathway_note_catalog_change(void);
extern void pathway_note_extension_created(void);

/* sources.c: a function whose statement holds secrets keeps it out of the log */
extern void pathway_hide_statement(void *arg);
/* sources.c: the live view named (its table), or an error */
extern Oid	pathway_live_view(const char *name);

#define HIDE_STATEMENT_BEGIN() \
	ErrorContextCallback hide_cb = {.previous = error_context_stack, .callback = pathway_hide_statement}; \
	error_context_stack = &hide_cb

#define HIDE_STATEMENT_END() \
	(error_context_stack = hide_cb.previous)

/* time.c: pathway.now() gives this instead of now() while set (check_view) */
extern bool pathway_now_overridden;
extern TimestampTz pathway_now_override;

#endif							/* PATHWAY_EXTENSION_H */
