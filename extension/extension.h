/*
 * extension.h
 *	  What the SQL face's files share: setup checks and the notes a
 *	  transaction leaves for its commit (extension/pathway.c).
 */
#ifndef PATHWAY_EXTENSION_H
#define PATHWAY_EXTENSION_H

#include "pathway.h"

extern Oid	pathway_registering_view;	/* restore.c */
extern void pathway_check_setup(void);
extern void pathway_note_catalog_change(void);
extern void pathway_note_extension_created(void);

#endif							/* PATHWAY_EXTENSION_H */
