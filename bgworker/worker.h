/*
 * worker.h
 *	  The engine worker: one per database that has the extension.
 */
#ifndef PATHWAY_WORKER_H
#define PATHWAY_WORKER_H

#include "postgres.h"

#include "fmgr.h"

extern PGDLLEXPORT void pathway_worker_main(Datum arg);

#endif							/* PATHWAY_WORKER_H */
