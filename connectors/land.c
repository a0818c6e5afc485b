/*
 * land.c
 *	  What the sources that land rows in stream tables share (land.h): JSON
 *	  values converted by the columns' input functions, and the executor
 *	  state that writes the stream table.
 *
 * Memory: the caller's context.
 */
#include "postgres.h"

#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "parser/parse_relation.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "connectors/land.h"

static Datum
input(FmgrInfo *infunc, Oid ioparam, int32 typmod, char *text)
{
	return InputFunctionCall(infunc, text, ioparam, typmod);
}

/* A JSON scalar as text for an input function; NULL for null. */
static char *
json_scalar_text(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return v->val.boolean ? "true" : "false";
		case jbvNull:
			return NULL;
		default:
			return JsonbToCString(NULL, &JsonbValueToJsonb(v)->root, 0);
	}
}

/* A JSON array into an array column: each element by the element type's input function. */
static Datum
json_array(JsonbValue *v, Oid elemtype, int32 typmod)
{
	JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
	JsonbValue	e;
	JsonbIteratorToken tok;
	int			cap = JsonContainerSize(v->val.binary.data);
	Datum	   *values = palloc(sizeof(Datum) * Max(cap, 1));
	bool	   *isnull = palloc(sizeof(bool) * Max(cap, 1));
	int			n = 0,
				dims[1],
				lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Oid			infn,
				ioparam;
	FmgrInfo	fn;

	getTypeInputInfo(elemtype, &infn, &ioparam);
	fmgr_info(infn, &fn);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE && n < cap)
	{
		char	   *text;

		if (tok != WJB_ELEM)
			continue;
		if (e.type == jbvBinary && elemtype != JSONBOID)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("nested JSON arrays and objects cannot fill a one-dimensional array")));
		text = json_scalar_text(&e);
		isnull[n] = (text == NULL);
		values[n] = text == NULL ? (Datum) 0 :
			elemtype == JSONBOID ? JsonbPGetDatum(JsonbValueToJsonb(&e)) :
			InputFunctionCall(&fn, text, ioparam, typmod);
		n++;
	}
	if (n == 0)
		return PointerGetDatum(construct_empty_array(elemtype));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	dims[0] = n;
	return PointerGetDatum(construct_md_array(values, isnull, 1, dims, lbs, elemtype,
											  typlen, typbyval, typalign));
}

/* One JSON value, as the column expects it (land.h). */
Datum
land_json_value(JsonbValue *v, Form_pg_attribute att, FmgrInfo *infunc, Oid ioparam, bool *isnull)
{
	Oid			type = att->atttypid;
	Oid			elemtype;

	*isnull = false;
	if (v->type == jbvNull)
	{
		*isnull = true;
		return (Datum) 0;
	}
	if (type == JSONBOID)
		return JsonbPGetDatum(JsonbValueToJsonb(v));
	/* a JSON array into an array column (int[], text[], ...) */
	if (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		OidIsValid(elemtype = get_element_type(type)))
		return json_array(v, elemtype, att->atttypmod);
	switch (v->type)
	{
		case jbvString:
			return input(infunc, ioparam, att->atttypmod, pnstrdup(v->val.string.val, v->val.string.len));
		case jbvNumeric:
			return input(infunc, ioparam, att->atttypmod, DatumGetCString(DirectFunctionCall1(numeric_out,
																	NumericGetDatum(v->val.numeric))));
		case jbvBool:
			return input(infunc, ioparam, att->atttypmod, v->val.boolean ? "true" : "false");
		default:
			/* an object or array: its JSON text (json, text, arrays of ...) */
			return input(infunc, ioparam, att->atttypmod, JsonbToCString(NULL, &JsonbValueToJsonb(v)->root, 0));
	}
}

/* An executor state to insert into the stream table, as ExecSimpleRelationInsert wants. */
void
land_inserter_begin(LandInserter *ins, Relation rel)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);

	ins->estate = CreateExecutorState();
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = RELKIND_RELATION;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(ins->estate, list_make1(rte));
	ins->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(ins->rri, rel, 1, NULL, 0);
	ins->estate->es_output_cid = GetCurrentCommandId(true);
	ins->estate->es_snapshot = GetActiveSnapshot();
	ExecOpenIndices(ins->rri, false);
	AfterTriggerBeginQuery();
	ins->slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsVirtual);
	ins->found = NULL;
	ins->epq_ready = false;
}

void
land_inserter_insert(LandInserter *ins, Datum *values, bool *isnull)
{
	TupleDesc	desc = ins->slot->tts_tupleDescriptor;

	ExecClearTuple(ins->slot);
	memcpy(ins->slot->tts_values, values, sizeof(Datum) * desc->natts);
	memcpy(ins->slot->tts_isnull, isnull, sizeof(bool) * desc->natts);
	ExecStoreVirtualTuple(ins->slot);
	ExecSimpleRelationInsert(ins->rri, ins->estate, ins->slot);
}

bool
land_inserter_find_key(LandInserter *ins, Oid indexoid, Datum *values, bool *isnull)
{
	Relation	rel = ins->rri->ri_RelationDesc;
	TupleDesc	desc = RelationGetDescr(rel);

	if (ins->found == NULL)
		ins->found = table_slot_create(rel, &ins->estate->es_tupleTable);
	ExecClearTuple(ins->slot);
	memcpy(ins->slot->tts_values, values, sizeof(Datum) * desc->natts);
	memcpy(ins->slot->tts_isnull, isnull, sizeof(bool) * desc->natts);
	ExecStoreVirtualTuple(ins->slot);
	if (!RelationFindReplTupleByIndex(rel, indexoid, LockTupleExclusive, ins->slot, ins->found))
		return false;
	slot_getallattrs(ins->found);
	return true;
}

void
land_inserter_delete_found(LandInserter *ins)
{
	if (!ins->epq_ready)
	{
		EvalPlanQualInit(&ins->epq, ins->estate, NULL, NIL, -1);
		ins->epq_ready = true;
	}
	ExecSimpleRelationDelete(ins->rri, ins->estate, &ins->epq, ins->found);
}

void
land_inserter_next_command(LandInserter *ins)
{
	CommandCounterIncrement();
	ins->estate->es_output_cid = GetCurrentCommandId(true);
}

void
land_inserter_end(LandInserter *ins)
{
	if (ins->epq_ready)
		EvalPlanQualEnd(&ins->epq);
	AfterTriggerEndQuery(ins->estate);
	/* the AFTER triggers' queue opened the table once more: close it */
	ExecCloseResultRelations(ins->estate);
	ExecDropSingleTupleTableSlot(ins->slot);
	ExecCloseIndices(ins->rri);
	ExecResetTupleTable(ins->estate->es_tupleTable, false);
	FreeExecutorState(ins->estate);
}

