/*
 * pathway.h
 *	  What every layer of the extension may know: the library's name, the
 *	  names of the engine worker's replication slot and origin, the settings
 *	  (defined in extension/pathway.c) and process-wide flags.  A leaf: it
 *	  includes nothing of the project.
 */
#ifndef PATHWAY_COMMON_H
#define PATHWAY_COMMON_H

#include "postgres.h"

#define PATHWAY_LIBRARY "pathway"
/* the engine worker's replication slot and origin: this prefix, then the database's OID */
#define PATHWAY_SLOT_PREFIX "pathway_"

/* settings (pathway.*) */
extern int	pathway_max_epoch_changes;
extern int	pathway_naptime_ms;
extern int	pathway_decoding_work_mem_kb;
extern int	pathway_max_memory_kb;	/* per engine worker; -1: no limit */

/* true when shared_preload_libraries loaded us (workers and hooks active) */
extern bool pathway_preloaded;

/* true in the engine worker (its own writes do not wake it) */
extern bool pathway_in_worker;

#endif							/* PATHWAY_COMMON_H */
