/*
 * launcher.h
 *	  The launcher: one per cluster, starts an engine worker per database.
 */
#ifndef PATHWAY_LAUNCHER_H
#define PATHWAY_LAUNCHER_H

extern void pathway_launcher_register(void);

#endif							/* PATHWAY_LAUNCHER_H */
