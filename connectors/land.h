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

/*
 * The top-level fields names[0..n) of a JSON object, read without building
 * a jsonb: each found field's value as the text land_json_value would give
 * an input function for a scalar (a string de-escaped, a number as numeric
 * prints it, true/false), or null.  The last of duplicate keys wins, as in
 * jsonb.  Syntax errors are raised as jsonb_in raises them.
 */
typedef struct LandJsonField
{
	bool		found;
	bool		isnull;
	char	   *text;
} LandJsonField;

typedef enum LandJsonResult
{
	LAND_JSON_OK,
	LAND_JSON_NOT_OBJECT,		/* the document is an array or a scalar */
	LAND_JSON_NESTED			/* a wanted field holds an object or array */
} LandJsonResult;

extern LandJsonResult land_json_fields(char *json, int len, int n, char *const *names,
									   LandJsonField *out);

typedef struct LandInserter
{
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *slot;
	TupleTableSlot *found;		/* land_inserter_find_key's row */
	EPQState	epq;
	bool		epq_ready;
	/* land_inserter_add's rows not yet written, and their slots */
	TupleTableSlot **buf;
	int			nbuf;
	int			nslots;
	Size		bufbytes;
	struct BulkInsertStateData *bistate;
} LandInserter;

extern void land_inserter_begin(LandInserter *ins, Relation rel);
extern void land_inserter_insert(LandInserter *ins, Datum *values, bool *isnull);

/*
 * Insert a row as land_inserter_insert does, written with others in one
 * multi-row heap insert (as COPY does) once enough are buffered, before any
 * other call on ins, or at land_inserter_end.  values must stay valid until
 * then (their Datums are not copied); an error of any buffered row shows
 * at the write.  The row's constraints are checked at once.
 */
extern void land_inserter_add(LandInserter *ins, Datum *values, bool *isnull);

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
