/*
 * land.c
 *	  What the sources that land rows in stream tables share (land.h): JSON
 *	  values converted by the columns' input functions, and the executor
 *	  state that writes the stream table.
 *
 * Memory: the caller's context.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/nodeModifyTable.h"
#include "nodes/makefuncs.h"
#include "parser/parse_relation.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonfuncs.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "connectors/land.h"

static void land_inserter_flush(LandInserter *ins);

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

/* land_json_fields' parse, driven by pg_parse_json's callbacks */
typedef struct FieldScan
{
	JsonLexContext *lex;
	int			n;
	char	   *const *names;
	LandJsonField *out;
	int			cur;			/* the wanted field being read, or -1 */
	bool		object;			/* the document is an object */
	bool		nested;
} FieldScan;

static void
scan_object_start(void *state)
{
	FieldScan  *fs = state;

	if (fs->lex->lex_level == 0)
		fs->object = true;
	else if (fs->lex->lex_level == 1 && fs->cur >= 0)
		fs->nested = true;
}

static void
scan_array_start(void *state)
{
	FieldScan  *fs = state;

	if (fs->lex->lex_level == 1 && fs->cur >= 0)
		fs->nested = true;
}

static void
scan_field_start(void *state, char *fname, bool isnull)
{
	FieldScan  *fs = state;
	int			i;

	fs->cur = -1;
	if (fs->lex->lex_level != 1)
		return;
	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->names[i], fname) == 0)
		{
			fs->cur = i;
			break;
		}
}

static void
scan_scalar(void *state, char *token, JsonTokenType type)
{
	FieldScan  *fs = state;
	LandJsonField *f;

	if (fs->lex->lex_level != 1 || fs->cur < 0)
		return;
	f = &fs->out[fs->cur];
	f->found = true;
	f->isnull = (type == JSON_TOKEN_NULL);
	f->text = NULL;
	if (type == JSON_TOKEN_NUMBER &&
		(strpbrk(token, "eE") != NULL || strncmp(token, "-0", 2) == 0))
		/* as numeric prints it (1e2 is 100, -0 is 0), which jsonb would give */
		token = DatumGetCString(DirectFunctionCall1(numeric_out,
													DirectFunctionCall3(numeric_in, CStringGetDatum(token),
																		ObjectIdGetDatum(InvalidOid),
																		Int32GetDatum(-1))));
	if (!f->isnull)
		f->text = token;
}

/* (land.h) */
LandJsonResult
land_json_fields(char *json, int len, int n, char *const *names, LandJsonField *out)
{
	JsonLexContext *lex = makeJsonLexContextCstringLen(json, len, GetDatabaseEncoding(), true);
	JsonSemAction sem;
	FieldScan	fs;
	JsonParseErrorType rc;

	memset(out, 0, sizeof(LandJsonField) * n);
	memset(&sem, 0, sizeof(sem));
	fs.lex = lex;
	fs.n = n;
	fs.names = names;
	fs.out = out;
	fs.cur = -1;
	fs.object = false;
	fs.nested = false;
	sem.semstate = &fs;
	sem.object_start = scan_object_start;
	sem.array_start = scan_array_start;
	sem.object_field_start = scan_field_start;
	sem.scalar = scan_scalar;
	rc = pg_parse_json(lex, &sem);
	if (rc != JSON_SUCCESS)
		json_ereport_error(rc, lex);
	if (!fs.object)
		return LAND_JSON_NOT_OBJECT;
	return fs.nested ? LAND_JSON_NESTED : LAND_JSON_OK;
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
	ins->buf = NULL;
	ins->nbuf = 0;
	ins->nslots = 0;
	ins->bufbytes = 0;
	ins->bistate = NULL;
}

void
land_inserter_insert(LandInserter *ins, Datum *values, bool *isnull)
{
	TupleDesc	desc = ins->slot->tts_tupleDescriptor;

	land_inserter_flush(ins);	/* in order after land_inserter_add's */
	ExecClearTuple(ins->slot);
	memcpy(ins->slot->tts_values, values, sizeof(Datum) * desc->natts);
	memcpy(ins->slot->tts_isnull, isnull, sizeof(bool) * desc->natts);
	ExecStoreVirtualTuple(ins->slot);
	ExecSimpleRelationInsert(ins->rri, ins->estate, ins->slot);
}

/* as COPY buffers: at most this many rows, or about this many bytes, a write */
#define LAND_MULTI_ROWS 1000
#define LAND_MULTI_BYTES 65535

/*
 * A multi-row insert does what ExecSimpleRelationInsert does for each row,
 * in COPY's order: generated columns and constraints as the row comes, then
 * the heap insert of all, then each row's index entries and AFTER ROW
 * triggers.  Only plain tables take it (no partition routing or check).
 */
static bool
multi_ok(LandInserter *ins)
{
	Relation	rel = ins->rri->ri_RelationDesc;

	return rel->rd_rel->relkind == RELKIND_RELATION && !rel->rd_rel->relispartition &&
		!(rel->trigdesc && rel->trigdesc->trig_insert_before_row);
}

void
land_inserter_add(LandInserter *ins, Datum *values, bool *isnull)
{
	Relation	rel = ins->rri->ri_RelationDesc;
	TupleDesc	desc = RelationGetDescr(rel);
	TupleTableSlot *slot;
	int			i;

	if (!multi_ok(ins))
	{
		land_inserter_insert(ins, values, isnull);
		return;
	}
	if (ins->buf == NULL)
	{
		ins->buf = palloc0(sizeof(TupleTableSlot *) * LAND_MULTI_ROWS);
		ins->bistate = GetBulkInsertState();
	}
	if (ins->nbuf == ins->nslots)
		ins->buf[ins->nslots++] = MakeSingleTupleTableSlot(desc, table_slot_callbacks(rel));
	slot = ins->buf[ins->nbuf++];
	ExecClearTuple(slot);
	memcpy(slot->tts_values, values, sizeof(Datum) * desc->natts);
	memcpy(slot->tts_isnull, isnull, sizeof(bool) * desc->natts);
	ExecStoreVirtualTuple(slot);
	if (desc->constr)
	{
		if (desc->constr->has_generated_stored)
			ExecComputeStoredGenerated(ins->rri, ins->estate, slot, CMD_INSERT);
		ExecConstraints(ins->rri, slot, ins->estate);
	}
	for (i = 0; i < desc->natts; i++)
		if (!slot->tts_isnull[i] && TupleDescAttr(desc, i)->attlen == -1)
			ins->bufbytes += VARSIZE_ANY(DatumGetPointer(slot->tts_values[i]));
	ins->bufbytes += sizeof(Datum) * desc->natts;
	if (ins->nbuf == LAND_MULTI_ROWS || ins->bufbytes >= LAND_MULTI_BYTES)
		land_inserter_flush(ins);
}

static void
land_inserter_flush(LandInserter *ins)
{
	ResultRelInfo *rri = ins->rri;
	int			i;

	if (ins->nbuf == 0)
		return;
	table_multi_insert(rri->ri_RelationDesc, ins->buf, ins->nbuf,
					   ins->estate->es_output_cid, 0, ins->bistate);
	for (i = 0; i < ins->nbuf; i++)
	{
		List	   *recheck = NIL;

		if (rri->ri_NumIndices > 0)
			recheck = ExecInsertIndexTuples(rri, ins->buf[i], ins->estate, false, false, NULL, NIL);
		ExecARInsertTriggers(ins->estate, rri, ins->buf[i], recheck, NULL);
		list_free(recheck);
		ResetPerTupleExprContext(ins->estate);
		ExecClearTuple(ins->buf[i]);
	}
	ins->nbuf = 0;
	ins->bufbytes = 0;
}

bool
land_inserter_find_key(LandInserter *ins, Oid indexoid, Datum *values, bool *isnull)
{
	Relation	rel = ins->rri->ri_RelationDesc;
	TupleDesc	desc = RelationGetDescr(rel);

	land_inserter_flush(ins);
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
	land_inserter_flush(ins);
	CommandCounterIncrement();
	ins->estate->es_output_cid = GetCurrentCommandId(true);
}

void
land_inserter_end(LandInserter *ins)
{
	int			i;

	land_inserter_flush(ins);
	for (i = 0; i < ins->nslots; i++)
		ExecDropSingleTupleTableSlot(ins->buf[i]);
	if (ins->bistate)
		FreeBulkInsertState(ins->bistate);
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

