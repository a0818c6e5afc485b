/*
 * http_land.c
 *	  The PostgreSQL side of an HTTP source: a response becomes rows of the
 *	  stream table, dead letters and the source's next starting point, all
 *	  in the epoch's transaction; the rows go on to the live views as
 *	  changes of that table.
 *
 * The body is parsed by jsonb's own parser (format json: an array of
 * objects, one object, or the array under the "records" path; ndjson: one
 * object a line, each parsed on its own), every value converted by its
 * column's input function (land.c).  The records land in one
 * subtransaction; if one fails, again one per subtransaction, and each
 * failing one becomes a dead letter (partition: its index in the response;
 * offset: the response's number).  A body that cannot be parsed at all is
 * one dead letter (partition -1) and moves no cursor.  With a "key", a
 * record replaces the row of its key (a deletion and an insertion for the
 * views; nothing when the row is the same).  Rows are written as the
 * stream table's owner, restricted, as Kafka's are.
 *
 * Memory: everything lands in the epoch's context (batchcxt).
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"

#include "connectors/http_source.h"
#include "connectors/land.h"
#include "connectors/source.h"
#include "meta/http.h"
#include "meta/streams.h"
#include "pathway.h"

/* A body that cannot be parsed is kept in its dead letter up to this size. */
#define DEAD_BODY_MAX (1024 * 1024)

/* One record of the response: a parsed value (json) or a line (ndjson). */
typedef struct HttpRecord
{
	JsonbValue *value;
	char	   *line;
	size_t		len;
} HttpRecord;

typedef struct HttpLanding
{
	HttpSource *s;
	Relation	rel;
	TupleDesc	desc;
	int			nuser;
	AttrNumber *user;
	char	  **user_names;
	FmgrInfo   *infunc;
	Oid		   *ioparam;
	AttrNumber	a_poll,
				a_index,
				a_received;
	Oid			keyindex;		/* with a key: the primary key's index */
	HttpRecord *records;
	int			nrecords;
	int64		poll;			/* this response's number */
	TimestampTz received;
	const char *field;
} HttpLanding;

static AttrNumber
attnum_of(TupleDesc desc, const char *name)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return a->attnum;
	}
	return InvalidAttrNumber;
}

static void
landing_init(HttpLanding *l, HttpSource *s, Relation rel)
{
	int			i;

	memset(l, 0, sizeof(*l));
	l->s = s;
	l->rel = rel;
	l->desc = RelationGetDescr(rel);
	l->a_poll = attnum_of(l->desc, "http_poll");
	l->a_index = attnum_of(l->desc, "http_index");
	l->a_received = attnum_of(l->desc, "http_received_at");
	l->user = palloc(sizeof(AttrNumber) * l->desc->natts);
	l->user_names = palloc(sizeof(char *) * l->desc->natts);
	l->infunc = palloc(sizeof(FmgrInfo) * l->desc->natts);
	l->ioparam = palloc(sizeof(Oid) * l->desc->natts);
	for (i = 0; i < l->desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(l->desc, i);
		Oid			infn;
		int			u;

		if (a->attisdropped || a->attgenerated || a->attnum == l->a_poll ||
			a->attnum == l->a_index || a->attnum == l->a_received)
			continue;
		u = l->nuser++;
		l->user[u] = a->attnum;
		l->user_names[u] = NameStr(a->attname);
		getTypeInputInfo(a->atttypid, &infn, &l->ioparam[u]);
		fmgr_info(infn, &l->infunc[u]);
	}
	l->keyindex = s->opt.key ? RelationGetPrimaryKeyIndex(rel) : InvalidOid;
	l->poll = s->polls + 1;
	l->received = GetCurrentTimestamp();
}

/* The value at path (a list of keys) in an object, or NULL. */
static JsonbValue *
at_path(JsonbContainer *root, List *path)
{
	JsonbValue *v = NULL;
	JsonbContainer *c = root;
	ListCell   *lc;

	foreach(lc, path)
	{
		const char *k = lfirst(lc);

		if (c == NULL || !JsonContainerIsObject(c))
			return NULL;
		v = getKeyJsonValueFromContainer(c, k, strlen(k), NULL);
		if (v == NULL)
			return NULL;
		c = v->type == jbvBinary ? v->val.binary.data : NULL;
	}
	return v;
}

/* The body as records; an error if it cannot be parsed at all. */
static void
split_body(HttpLanding *l, Jsonb **rootp)
{
	HttpCall   *c = l->s->got;
	int			cap = 16;

	l->records = palloc(sizeof(HttpRecord) * cap);
	l->nrecords = 0;
	*rootp = NULL;
	(void) pg_verify_mbstr(GetDatabaseEncoding(), c->resp, (int) c->resp_len, false);
	if (l->s->format == HTTP_NDJSON || l->s->format == HTTP_SSE)
	{
		char	   *p = c->resp,
				   *end = c->resp + c->resp_len;

		while (p < end)
		{
			char	   *nl = memchr(p, '\n', end - p);
			char	   *stop = nl ? nl : end;
			char	   *q = p;

			while (q < stop && isspace((unsigned char) *q))
				q++;
			if (q < stop)
			{
				if (l->nrecords == cap)
					l->records = repalloc(l->records, sizeof(HttpRecord) * (cap *= 2));
				l->records[l->nrecords].value = NULL;
				l->records[l->nrecords].line = pnstrdup(p, stop - p);
				l->records[l->nrecords].len = stop - p;
				l->nrecords++;
			}
			p = stop + 1;
		}
		return;
	}
	{
		Jsonb	   *root = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(c->resp)));
		JsonbContainer *recs = &root->root;
		JsonbIterator *it;
		JsonbValue	e;
		JsonbIteratorToken tok;

		*rootp = root;
		if (l->s->opt.records)
		{
			JsonbValue *v = at_path(&root->root, l->s->opt.records);

			if (v == NULL || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("the response has no array at the records path")));
			recs = v->val.binary.data;
		}
		else if (!JsonContainerIsArray(recs) || JsonContainerIsScalar(recs))
		{
			/* one object is one record */
			JsonbValue *one = palloc(sizeof(JsonbValue));

			if (!JsonContainerIsObject(recs))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("the response is neither a JSON array nor an object")));
			one->type = jbvBinary;
			one->val.binary.data = recs;
			one->val.binary.len = VARSIZE(root) - VARHDRSZ;
			l->records[0].value = one;
			l->records[0].line = NULL;
			l->nrecords = 1;
			return;
		}
		it = JsonbIteratorInit(recs);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		{
			if (tok != WJB_ELEM)
				continue;
			if (l->nrecords == cap)
				l->records = repalloc(l->records, sizeof(HttpRecord) * (cap *= 2));
			l->records[l->nrecords].value = palloc(sizeof(JsonbValue));
			*l->records[l->nrecords].value = e;
			l->records[l->nrecords].line = NULL;
			l->nrecords++;
		}
	}
}

/* A record as its row (values/isnull by attno - 1), or an error. */
static void
record_row(HttpLanding *l, int i, Datum *values, bool *isnull)
{
	HttpRecord *r = &l->records[i];
	JsonbContainer *obj;
	int			u,
				a;

	for (a = 0; a < l->desc->natts; a++)
	{
		values[a] = (Datum) 0;
		isnull[a] = true;
	}
	if (r->value == NULL)
	{
		Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(r->line)));

		if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("record is not a JSON object")));
		obj = &jb->root;
	}
	else if (r->value->type != jbvBinary || !JsonContainerIsObject(r->value->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("record is not a JSON object")));
	else
		obj = r->value->val.binary.data;
	for (u = 0; u < l->nuser; u++)
	{
		const char *name = l->user_names[u];
		JsonbValue *v = getKeyJsonValueFromContainer(obj, name, strlen(name), NULL);
		int			at = l->user[u] - 1;

		l->field = name;
		if (v == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("field \"%s\" is missing", name)));
		values[at] = land_json_value(v, TupleDescAttr(l->desc, at), &l->infunc[u],
									 l->ioparam[u], &isnull[at]);
	}
	l->field = NULL;
	values[l->a_poll - 1] = Int64GetDatum(l->poll);
	isnull[l->a_poll - 1] = false;
	values[l->a_index - 1] = Int32GetDatum(i);
	isnull[l->a_index - 1] = false;
	values[l->a_received - 1] = TimestampTzGetDatum(l->received);
	isnull[l->a_received - 1] = false;
}

static DecodedChange *
change_of(HttpLanding *l, Datum *values, bool *isnull, int weight)
{
	DecodedChange *c = palloc(sizeof(DecodedChange));
	int			a;

	c->relid = RelationGetRelid(l->rel);
	c->weight = weight;
	c->natts = l->desc->natts;
	c->values = palloc(sizeof(Datum) * c->natts);
	c->isnull = palloc(sizeof(bool) * c->natts);
	for (a = 0; a < c->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(l->desc, a);

		c->isnull[a] = isnull[a];
		c->values[a] = isnull[a] ? (Datum) 0 : datumCopy(values[a], att->attbyval, att->attlen);
	}
	return c;
}

/* Does the old row hold the same record (user columns)? */
static bool
same_record(HttpLanding *l, TupleTableSlot *old, Datum *values, bool *isnull)
{
	int			u;

	for (u = 0; u < l->nuser; u++)
	{
		int			a = l->user[u] - 1;
		Form_pg_attribute att = TupleDescAttr(l->desc, a);

		if (old->tts_isnull[a] != isnull[a])
			return false;
		if (!isnull[a] && !datum_image_eq(old->tts_values[a], values[a], att->attbyval, att->attlen))
			return false;
	}
	return true;
}

/*
 * Land records [from, to) in one subtransaction, as the owner.  On success
 * appends their changes to *changes and returns NULL; else the error.
 */
static ErrorData *
land_range(HttpLanding *l, int from, int to, MemoryContext cxt, List **changes)
{
	MemoryContext old = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;
	List	   *volatile got = NIL;
	Oid			save_user;
	int			save_sec;

	GetUserIdAndSecContext(&save_user, &save_sec);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		LandInserter ins;
		int			i;
		Datum	   *values = palloc(sizeof(Datum) * l->desc->natts);
		bool	   *isnull = palloc(sizeof(bool) * l->desc->natts);
		MemoryContext reccxt = AllocSetContextCreate(cxt, "pathway HTTP record", ALLOCSET_DEFAULT_SIZES);
		int			nest = NewGUCNestLevel();

		(void) set_config_option("search_path", GetConfigOptionResetString("search_path"),
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		SetUserIdAndSecContext(l->rel->rd_rel->relowner,
							   save_sec | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		if (l->rel->trigdesc && l->rel->trigdesc->trig_insert_before_row)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("stream table \"%s\" has a BEFORE ROW INSERT trigger",
							RelationGetRelationName(l->rel)),
					 errhint("Drop the trigger; use an AFTER trigger or a live view instead.")));
		if (l->s->opt.key && !OidIsValid(l->keyindex))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("stream table \"%s\" has no primary key for the source's key",
							RelationGetRelationName(l->rel))));
		land_inserter_begin(&ins, l->rel);
		for (i = from; i < to; i++)
		{
			MemoryContext prev = MemoryContextSwitchTo(reccxt);

			record_row(l, i, values, isnull);
			MemoryContextSwitchTo(cxt);
			if (OidIsValid(l->keyindex) && land_inserter_find_key(&ins, l->keyindex, values, isnull))
			{
				if (same_record(l, ins.found, values, isnull))
				{
					MemoryContextSwitchTo(prev);
					MemoryContextReset(reccxt);
					continue;	/* polled again, unchanged */
				}
				got = lappend(got, change_of(l, ins.found->tts_values, ins.found->tts_isnull, -1));
				land_inserter_delete_found(&ins);
			}
			got = lappend(got, change_of(l, values, isnull, 1));
			land_inserter_insert(&ins, values, isnull);
			if (OidIsValid(l->keyindex))
				land_inserter_next_command(&ins);
			ResetPerTupleExprContext(ins.estate);
			MemoryContextSwitchTo(prev);
			MemoryContextReset(reccxt);
		}
		land_inserter_end(&ins);
		MemoryContextDelete(reccxt);
		SetUserIdAndSecContext(save_user, save_sec);
		AtEOXact_GUC(false, nest);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();
	if (edata)
	{
		RollbackAndReleaseCurrentSubTransaction();
		SetUserIdAndSecContext(save_user, save_sec);
		if (l->field)
			edata->message = psprintf("column \"%s\": %s", l->field, edata->message);
		l->field = NULL;
	}
	else
	{
		ReleaseCurrentSubTransaction();
		*changes = list_concat(*changes, got);
	}
	MemoryContextSwitchTo(old);
	CurrentResourceOwner = owner;
	return edata;
}

/* Parse the body in a subtransaction: NULL, or why it cannot be parsed. */
static ErrorData *
parse_body(HttpLanding *l, MemoryContext cxt, Jsonb **root)
{
	MemoryContext old = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		split_body(l, root);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();
	if (edata)
		RollbackAndReleaseCurrentSubTransaction();
	else
		ReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(old);
	CurrentResourceOwner = owner;
	return edata;
}

/* A JSON scalar as cursor text; NULL for null, objects and arrays. */
static char *
cursor_text(JsonbValue *v)
{
	if (v == NULL)
		return NULL;
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			return NULL;
	}
}

/* The cursor the response gives, or NULL (json only: ndjson has none). */
static char *
new_cursor(HttpLanding *l, Jsonb *root)
{
	HttpOptions *o = &l->s->opt;
	int			i;

	if (root == NULL)
		return NULL;
	if (o->cursor_path)
		return cursor_text(at_path(&root->root, o->cursor_path));
	if (o->cursor_field)
		for (i = l->nrecords - 1; i >= 0; i--)
		{
			JsonbValue *r = l->records[i].value;

			if (r && r->type == jbvBinary && JsonContainerIsObject(r->val.binary.data))
			{
				char	   *c = cursor_text(getKeyJsonValueFromContainer(r->val.binary.data, o->cursor_field,
																		 strlen(o->cursor_field), NULL));

				if (c)
					return c;
			}
		}
	return NULL;
}

/* The next page's URL (Link: rel="next"), if it is one the source may follow. */
static char *
new_next_url(HttpSource *s, HttpCall *c)
{
	char	   *joined;
	char	   *copy;
	char		err[HTTP_ERROR_LEN];

	if (!s->opt.link_next || c->link_next == NULL)
		return NULL;
	joined = http_url_join(c->final_url ? c->final_url : s->url, c->link_next);
	if (joined == NULL || !http_same_origin(joined, s->url) ||
		!http_url_check(joined, pathway_http_allowed_hosts, err, sizeof(err)))
	{
		free(joined);
		strlcpy(s->status, "error", sizeof(s->status));
		strlcpy(s->error, "the next page's link leads to another origin or is refused: not followed",
				sizeof(s->error));
		return NULL;
	}
	copy = pstrdup(joined);
	free(joined);
	return copy;
}

/* May the owner still create sources of this kind (EXECUTE, or superuser)? */
static bool
owner_still_allowed(HttpSource *s)
{
	Oid			argtypes[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID};
	Oid			webhook_types[4] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID};
	Oid			fn;

	if (superuser_arg(s->owner))
		return true;
	if (s->webhook)
		fn = LookupFuncName(list_make2(makeString("pathway"), makeString("create_webhook_source")),
							4, webhook_types, true);
	else
		fn = LookupFuncName(list_make2(makeString("pathway"), makeString("create_http_source")),
							5, argtypes, true);
	return OidIsValid(fn) && pg_proc_aclcheck(fn, s->owner, ACL_EXECUTE) == ACLCHECK_OK;
}

static bytea *
to_bytea(const char *p, size_t len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), p, len);
	return b;
}

List *
http_land(HttpSource *s, MemoryContext batchcxt)
{
	HttpLanding l;
	HttpCall   *c = s->got;
	Relation	rel;
	List	   *changes = NIL;
	ErrorData  *err;
	Jsonb	   *root = NULL;
	MemoryContext old;
	int			i,
				ndead = 0;
	char	   *cursor;
	ListCell   *lc;

	s->last_rows = s->last_dead = 0;
	s->last_unparsed = false;
	s->last_error[0] = '\0';
	if (c == NULL || s->stopped)
	{
		strlcpy(s->last_error, "the source is stopped", sizeof(s->last_error));
		return NIL;
	}
	if (!owner_still_allowed(s))
	{
		char	   *name = GetUserNameFromId(s->owner, true);

		http_source_stop(s);
		snprintf(s->error, sizeof(s->error),
				 "the source stopped: its owner %s%s%s may no longer execute %s",
				 name ? "\"" : "", name ? name : "(dropped)", name ? "\"" : "",
				 s->webhook ? "create_webhook_source" : "create_http_source");
		strlcpy(s->status, "failed", sizeof(s->status));
		ereport(LOG, (errmsg("pathway: HTTP source \"%s\" failed: %s", s->name, s->error)));
		strlcpy(s->last_error, s->error, sizeof(s->last_error));
		return NIL;
	}
	rel = try_table_open(s->relid, RowExclusiveLock);
	if (rel == NULL)
	{
		strlcpy(s->last_error, "the stream table was dropped", sizeof(s->last_error));
		return NIL;				/* dropped: the catalog says so next */
	}
	old = MemoryContextSwitchTo(batchcxt);
	landing_init(&l, s, rel);
	/* (a stream's status is its connection's: http_stream_source.c) */
	if (!s->opt.stream)
	{
		strlcpy(s->status, "running", sizeof(s->status));
		s->error[0] = '\0';
	}

	SPI_connect();
	/* what landing computes outlives SPI_finish: in the epoch's context */
	MemoryContextSwitchTo(batchcxt);
	err = parse_body(&l, batchcxt, &root);
	if (err != NULL)
	{
		/* nothing to land: the whole body is the dead letter; the cursor stays */
		meta_dead_letter_add(s->name, -1, l.poll, NULL,
							 to_bytea(c->resp, Min(c->resp_len, DEAD_BODY_MAX)),
							 c->resp_len > DEAD_BODY_MAX ?
							 psprintf("body: %s (the dead letter holds its first %d bytes of %zu)",
									  err->message, DEAD_BODY_MAX, c->resp_len) :
							 psprintf("body: %s", err->message));
		ndead++;
		strlcpy(s->status, "error", sizeof(s->status));
		snprintf(s->error, sizeof(s->error), "%s %lld could not be parsed: %s",
				 s->webhook ? "request" : "response", (long long) l.poll, err->message);
		s->last_unparsed = true;
		snprintf(s->last_error, sizeof(s->last_error), "%s%s%s", err->message,
				 err->detail ? ": " : "", err->detail ? err->detail : "");
		s->new_cursor = s->cursor ? pstrdup(s->cursor) : NULL;
		s->new_next_url = NULL;
		s->new_etag = NULL;
		s->new_etag_url = NULL;
		s->more = false;
	}
	else
	{
		if (land_range(&l, 0, l.nrecords, batchcxt, &changes) != NULL)
		{
			changes = NIL;
			for (i = 0; i < l.nrecords; i++)
			{
				HttpRecord *r = &l.records[i];

				err = land_range(&l, i, i + 1, batchcxt, &changes);
				if (err == NULL)
					continue;
				if (r->value)
				{
					char	   *text = JsonbToCString(NULL, r->value->type == jbvBinary ?
													  r->value->val.binary.data :
													  &JsonbValueToJsonb(r->value)->root, 0);

					meta_dead_letter_add(s->name, i, l.poll, NULL, to_bytea(text, strlen(text)),
										 err->message);
				}
				else
					meta_dead_letter_add(s->name, i, l.poll, NULL, to_bytea(r->line, r->len),
										 err->message);
				ndead++;
			}
		}
		cursor = new_cursor(&l, root);
		s->new_cursor = cursor ? cursor : (s->cursor ? pstrdup(s->cursor) : NULL);
		if (s->opt.stream)
			s->new_cursor = s->stream_cursor ? pstrdup(s->stream_cursor) : NULL;
		s->new_next_url = new_next_url(s, c);
		s->new_etag = c->etag ? pstrdup(c->etag) : NULL;
		s->new_etag_url = c->etag ? pstrdup(s->call_url) : NULL;
		s->more = s->new_next_url != NULL ||
			(cursor != NULL && l.nrecords > 0 && (s->cursor == NULL || strcmp(cursor, s->cursor) != 0));
	}
	/* a stream's lines that could not be records (too long, a bad encoding) */
	foreach(lc, s->land_dead)
	{
		HttpDeadLine *d = lfirst(lc);

		meta_dead_letter_add(s->name, -1, l.poll, NULL, to_bytea(d->text, d->len), d->error);
		s->dead_letters++;
	}
	s->new_polls = l.poll;
	meta_http_state_set(s->name, s->new_polls, s->new_cursor, s->new_next_url,
						s->new_etag, s->new_etag_url);
	SPI_finish();
	s->last_rows = s->last_unparsed ? 0 : l.nrecords - ndead;
	s->last_dead = ndead;
	s->messages += s->last_unparsed ? 0 : l.nrecords - ndead;
	s->dead_letters += ndead;
	if (l.nrecords > 0)
		s->last_message = GetCurrentTimestamp();
	s->land_done = true;
	table_close(rel, NoLock);
	MemoryContextSwitchTo(old);
	return changes;
}
