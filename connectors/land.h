/*
 * land.h
 *	  What every source that lands rows in a stream table shares (Kafka,
 *	  HTTP): a JSON value converted for a column by the column type's own
 *	  input function, and an executor state that inserts (and, for keyed
 *	  sources, finds and deletes) rows of the stream table as ordinary
 *	  statements would, triggers and indexes included.
 */
#ifndef PATHWAY_LAND_H
#define PATHWAY_LAND_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"

/*
 * v as column att expects it: jsonb whole, a JSON array into an array
 * column element by element, a string as is, a number or boolean as its
 * text, an object or array as JSON text; JSON null is NULL.
 */
extern Datum land_json_value(JsonbValue *v, Form_pg_attribute att, FmgrInfo *infunc,
							 Oid ioparam, bool *isnull);

typedef struct LandInserter
{
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *slot;
	TupleTableSlot *found;		/* land_inserter_find_key's row */
	EPQState	epq;
	bool		epq_ready;
} LandInserter;

extern void land_inserter_begin(LandInserter *ins, Relation rel);
extern void land_inserter_insert(LandInserter *ins, Datum *values, bool *isnull);

/*
 * Find (and lock) the row whose values in the unique index indexoid equal
 * values' (a row laid out as the table's); false if there is none, else
 * the row is in ins->found until the next call.  land_inserter_delete_found
 * deletes it.  land_inserter_next_command makes what was written so far
 * visible to the next find (a key that comes twice).
 */
extern bool land_inserter_find_key(LandInserter *ins, Oid indexoid, Datum *values, bool *isnull);
extern void land_inserter_delete_found(LandInserter *ins);
extern void land_inserter_next_command(LandInserter *ins);
extern void land_inserter_end(LandInserter *ins);

#endif							/* PATHWAY_LAND_H */
