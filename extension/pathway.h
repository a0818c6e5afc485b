/*
 * pathway.h
 *	  Settings and process-wide state shared by the extension's layers.
 */
#ifndef PATHWAY_H
#define PATHWAY_H

#include "postgres.h"

#define PATHWAY_SLOT_PREFIX "pathway_"
#define PATHWAY_ORIGIN_NAME "pathway"
#define PATHWAY_LIBRARY "pathway"

/* GUCs */
extern int	pathway_max_epoch_changes;
extern int	pathway_naptime_ms;
extern int	pathway_decoding_work_mem_kb;
extern int	pathway_max_memory_kb;	/* per engine worker; -1: no limit */

/* true when shared_preload_libraries loaded us (workers and hooks active) */
extern bool pathway_preloaded;

/* set while the engine worker writes a view's table */
extern bool pathway_in_worker;

extern Oid	pathway_registering_view;	/* restore.c */
extern void pathway_check_setup(void);
extern void pathway_note_catalog_change(void);
extern void pathway_note_extension_created(void);

#endif							/* PATHWAY_H */
