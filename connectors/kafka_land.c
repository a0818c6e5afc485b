/*
 * kafka_land.c
 *	  The PostgreSQL side of a Kafka source: a batch of consumed messages
 *	  becomes rows of the stream table, dead letters and committed offsets,
 *	  all in the epoch's transaction, and the rows go on to the live views as
 *	  changes of that table.
 *
 * Every value is converted by the column's own input function, so every
 * type works as it does in COPY.  A batch is landed in one subtransaction;
 * if any message fails, the batch is landed again one message per
 * subtransaction and each failing message becomes a dead letter with its
 * error.  The rows are inserted as the stream table's owner (with the
 * restrictions of a security-restricted operation), so triggers on the
 * stream table run with the owner's rights, never the worker's.
 *
 * Memory: everything lands in the epoch's context (batchcxt).
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_relation.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "connectors/kafka_source.h"
#include "connectors/land.h"
#include "connectors/source.h"
#include "meta/streams.h"

/* The stream table's layout, looked up once per epoch. */
typedef struct Landing
{
	KafkaSource *s;
	Relation	rel;
	TupleDesc	desc;
	int			nuser;			/* user columns, in table order */
	AttrNumber *user;
	char	  **user_names;
	FmgrInfo   *infunc;			/* per user column */
	Oid		   *ioparam;
	int32	   *typmod;
	AttrNumber	a_partition,
				a_offset,
				a_timestamp,
				a_key;
	const char *field;			/* the column being converted, for errors */
	bool		scan_json;		/* no column takes JSON whole: land_json_fields */
	LandJsonField *fields;		/* its answer, per user column */
} Landing;

typedef struct DeadLetter
{
	KafkaMessage *m;
	char	   *error;
} DeadLetter;

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
landing_init(Landing *l, KafkaSource *s, Relation rel)
{
	int			i;

	l->s = s;
	l->rel = rel;
	l->desc = RelationGetDescr(rel);
	l->a_partition = attnum_of(l->desc, "kafka_partition");
	l->a_offset = attnum_of(l->desc, "kafka_offset");
	l->a_timestamp = attnum_of(l->desc, "kafka_timestamp");
	l->a_key = attnum_of(l->desc, "kafka_key");
	l->user = palloc(sizeof(AttrNumber) * l->desc->natts);
	l->user_names = palloc(sizeof(char *) * l->desc->natts);
	l->infunc = palloc(sizeof(FmgrInfo) * l->desc->natts);
	l->ioparam = palloc(sizeof(Oid) * l->desc->natts);
	l->typmod = palloc(sizeof(int32) * l->desc->natts);
	l->nuser = 0;
	for (i = 0; i < l->desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(l->desc, i);
		Oid			infn;
		int			u;

		if (a->attisdropped || a->attgenerated || a->attnum == l->a_partition ||
			a->attnum == l->a_offset || a->attnum == l->a_timestamp || a->attnum == l->a_key)
			continue;
		u = l->nuser++;
		l->user[u] = a->attnum;
		l->user_names[u] = NameStr(a->attname);
		getTypeInputInfo(a->atttypid, &infn, &l->ioparam[u]);
		fmgr_info(infn, &l->infunc[u]);
		l->typmod[u] = a->atttypmod;
	}
	l->field = NULL;
	/* jsonb and array columns take a value's structure: those read a jsonb */
	l->scan_json = true;
	for (i = 0; i < l->nuser; i++)
	{
		Oid			type = TupleDescAttr(l->desc, l->user[i] - 1)->atttypid;

		if (type == JSONBOID || OidIsValid(get_element_type(type)))
			l->scan_json = false;
	}
	l->fields = palloc(sizeof(LandJsonField) * Max(l->nuser, 1));
}

static Datum
input(Landing *l, int u, char *text)
{
	return InputFunctionCall(&l->infunc[u], text, l->ioparam[u], l->typmod[u]);
}

/* payload as a C string in the database encoding, or an error */
static char *
payload_text(KafkaMessage *m)
{
	(void) pg_verify_mbstr(GetDatabaseEncoding(), m->payload, (int) m->len, false);
	return m->payload;			/* copy_bytes NUL-terminated it */
}

/* One JSON value, as the column expects it. */
static Datum
json_field(Landing *l, int u, JsonbValue *v, bool *isnull)
{
	return land_json_value(v, TupleDescAttr(l->desc, l->user[u] - 1), &l->infunc[u],
						   l->ioparam[u], isnull);
}

static void
not_an_object(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("message is not a JSON object")));
}

static void
field_missing(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_NOT_NULL_VIOLATION),
			 errmsg("field \"%s\" is missing", name)));
}

/*
 * The wanted fields read straight off the text (no jsonb built), each
 * converted by its column's input function; false when a field holds an
 * object or array, which the jsonb path turns into the column's value.
 */
static bool
scan_json(Landing *l, KafkaMessage *m, Datum *values, bool *isnull)
{
	LandJsonResult r = land_json_fields(payload_text(m), (int) m->len, l->nuser,
										l->user_names, l->fields);
	int			u;

	if (r == LAND_JSON_NOT_OBJECT)
		not_an_object();
	if (r == LAND_JSON_NESTED)
		return false;
	for (u = 0; u < l->nuser; u++)
	{
		LandJsonField *f = &l->fields[u];
		int			a = l->user[u] - 1;

		if (!f->found)
			field_missing(l->user_names[u]);
		isnull[a] = f->isnull;
		if (!f->isnull)
		{
			l->field = l->user_names[u];
			values[a] = input(l, u, f->text);
		}
	}
	l->field = NULL;
	return true;
}

static void
parse_json(Landing *l, KafkaMessage *m, Datum *values, bool *isnull)
{
	Jsonb	   *jb;
	int			u;

	if (l->scan_json && scan_json(l, m, values, isnull))
		return;
	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(payload_text(m))));
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		not_an_object();
	for (u = 0; u < l->nuser; u++)
	{
		const char *name = l->user_names[u];
		JsonbValue *v = getKeyJsonValueFromContainer(&jb->root, name, strlen(name), NULL);

		l->field = name;
		if (v == NULL)
			field_missing(name);
		values[l->user[u] - 1] = json_field(l, u, v, &isnull[l->user[u] - 1]);
	}
	l->field = NULL;
}

/*
 * One CSV record (RFC 4180): fields separated by commas, optionally quoted
 * with '"' (a quote inside is doubled).  As in COPY ... CSV, an empty
 * unquoted field is NULL and a quoted empty one is an empty string.
 */
static void
parse_csv(Landing *l, KafkaMessage *m, Datum *values, bool *isnull)
{
	char	   *p = payload_text(m);
	char	   *end = p + m->len;
	int			u = 0;
	StringInfoData f;

	/* one trailing line break ends the record */
	if (end > p && end[-1] == '\n')
		end--;
	if (end > p && end[-1] == '\r')
		end--;
	initStringInfo(&f);
	for (;;)
	{
		bool		quoted = false;

		resetStringInfo(&f);
		if (p < end && *p == '"')
		{
			quoted = true;
			p++;
			for (;;)
			{
				if (p >= end)
					ereport(ERROR,
							(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
							 errmsg("unterminated quoted CSV field %d", u + 1)));
				if (*p == '"')
				{
					if (p + 1 < end && p[1] == '"')
					{
						appendStringInfoChar(&f, '"');
						p += 2;
						continue;
					}
					p++;
					break;
				}
				appendStringInfoChar(&f, *p++);
			}
			if (p < end && *p != ',')
				ereport(ERROR,
						(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
						 errmsg("unexpected character after quoted CSV field %d", u + 1)));
		}
		else
		{
			while (p < end && *p != ',')
			{
				if (*p == '"' || *p == '\n' || *p == '\r')
					ereport(ERROR,
							(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
							 errmsg("unexpected %s in unquoted CSV field %d",
									*p == '"' ? "quote" : "line break", u + 1)));
				appendStringInfoChar(&f, *p++);
			}
		}
		if (u >= l->nuser)
			ereport(ERROR,
					(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
					 errmsg("CSV record has more than %d fields", l->nuser)));
		l->field = l->user_names[u];
		if (!quoted && f.len == 0)
			isnull[l->user[u] - 1] = true;
		else
		{
			isnull[l->user[u] - 1] = false;
			values[l->user[u] - 1] = input(l, u, pstrdup(f.data));
		}
		l->field = NULL;
		u++;
		if (p >= end)
			break;
		p++;					/* the comma */
	}
	if (u < l->nuser)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("CSV record has %d fields, the stream table has %d", u, l->nuser)));
}

static TimestampTz
kafka_ms_to_timestamptz(int64 ms)
{
	return (TimestampTz) (ms * 1000 -
						  (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY);
}

/* The row a message becomes (values/isnull by attno - 1), or an error. */
static void
parse_message(Landing *l, KafkaMessage *m, Datum *values, bool *isnull)
{
	int			i;

	for (i = 0; i < l->desc->natts; i++)
	{
		values[i] = (Datum) 0;
		isnull[i] = true;
	}
	if (m->payload && (int64) m->len > l->s->max_message_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("message of %zu bytes exceeds the source's limit of " INT64_FORMAT " bytes",
						m->len, l->s->max_message_bytes),
				 errhint("Raise the option \"pathway.max_message_bytes\" of the source.")));
	if (l->rel->trigdesc && l->rel->trigdesc->trig_insert_before_row)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("stream table \"%s\" has a BEFORE ROW INSERT trigger",
						RelationGetRelationName(l->rel)),
				 errhint("Drop the trigger; use an AFTER trigger or a live view instead.")));
	if (m->payload == NULL && l->s->format != KAFKA_TEXT && l->s->format != KAFKA_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("message has no value")));
	if (l->nuser > 0 && m->payload != NULL)
	{
		switch (l->s->format)
		{
			case KAFKA_JSON:
				parse_json(l, m, values, isnull);
				break;
			case KAFKA_CSV:
				parse_csv(l, m, values, isnull);
				break;
			case KAFKA_TEXT:
				l->field = l->user_names[0];
				values[l->user[0] - 1] = input(l, 0, payload_text(m));
				isnull[l->user[0] - 1] = false;
				l->field = NULL;
				break;
			case KAFKA_BYTES:
				{
					bytea	   *b = palloc(VARHDRSZ + m->len);

					SET_VARSIZE(b, VARHDRSZ + m->len);
					memcpy(VARDATA(b), m->payload, m->len);
					values[l->user[0] - 1] = PointerGetDatum(b);
					isnull[l->user[0] - 1] = false;
					break;
				}
		}
	}
	if (l->a_partition)
	{
		values[l->a_partition - 1] = Int32GetDatum(m->partition);
		isnull[l->a_partition - 1] = false;
	}
	if (l->a_offset)
	{
		values[l->a_offset - 1] = Int64GetDatum(m->offset);
		isnull[l->a_offset - 1] = false;
	}
	if (l->a_timestamp && m->timestamp_ms >= 0)
	{
		values[l->a_timestamp - 1] = TimestampTzGetDatum(kafka_ms_to_timestamptz(m->timestamp_ms));
		isnull[l->a_timestamp - 1] = false;
	}
	if (l->a_key && m->key)
	{
		bytea	   *b = palloc(VARHDRSZ + m->key_len);

		SET_VARSIZE(b, VARHDRSZ + m->key_len);
		memcpy(VARDATA(b), m->key, m->key_len);
		values[l->a_key - 1] = PointerGetDatum(b);
		isnull[l->a_key - 1] = false;
	}
}

/*
 * Land messages [from, to) in one subtransaction, as the owner.  On success
 * appends their changes to *changes and returns NULL; on failure returns
 * the error (and lands nothing).
 */
static ErrorData *
land_range(Landing *l, int from, int to, MemoryContext cxt, List **changes)
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

		/* parsing garbage (a jsonb per message) dies with each message */
		MemoryContext msgcxt = AllocSetContextCreate(cxt, "pathway Kafka message",
													 ALLOCSET_DEFAULT_SIZES);

		/* the stream table's current owner (ALTER OWNER moves it), restricted */
		int			nest = NewGUCNestLevel();

		/*
		 * The stream table's triggers resolve names as a session of the
		 * server's would (the configured search_path), not with the
		 * worker's own, which is pg_catalog only.
		 */
		(void) set_config_option("search_path", GetConfigOptionResetString("search_path"),
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		SetUserIdAndSecContext(l->rel->rd_rel->relowner,
							   save_sec | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		land_inserter_begin(&ins, l->rel);
		for (i = from; i < to; i++)
		{
			DecodedChange *c = palloc(sizeof(DecodedChange));
			MemoryContext prev;
			int			a;

			c->relid = RelationGetRelid(l->rel);
			c->weight = 1;
			c->natts = l->desc->natts;
			c->values = palloc(sizeof(Datum) * c->natts);
			c->isnull = palloc(sizeof(bool) * c->natts);
			prev = MemoryContextSwitchTo(msgcxt);
			parse_message(l, &l->s->batch[i], c->values, c->isnull);
			MemoryContextSwitchTo(prev);
			/* the row itself is kept (in cxt) for the views */
			for (a = 0; a < c->natts; a++)
			{
				Form_pg_attribute att = TupleDescAttr(l->desc, a);

				if (!c->isnull[a] && !att->attbyval)
					c->values[a] = datumCopy(c->values[a], false, att->attlen);
			}
			land_inserter_add(&ins, c->values, c->isnull);
			ResetPerTupleExprContext(ins.estate);
			MemoryContextReset(msgcxt);
			got = lappend(got, c);
		}
		land_inserter_end(&ins);
		MemoryContextDelete(msgcxt);
		SetUserIdAndSecContext(save_user, save_sec);
		/* nothing the owner's triggers set outlives the landing */
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

static bytea *
to_bytea(const char *p, size_t len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), p, len);
	return b;
}

/* Dead letters and the new positions, in the epoch's transaction. */
static void
record(KafkaSource *s, List *dead)
{
	ListCell   *lc;
	int64	   *next = palloc(sizeof(int64) * Max(s->nparts, 1));
	int			i;

	SPI_connect();
	foreach(lc, dead)
	{
		DeadLetter *d = lfirst(lc);

		meta_dead_letter_add(s->name, d->m->partition, d->m->offset,
							 d->m->key ? to_bytea(d->m->key, d->m->key_len) : NULL,
							 d->m->payload ? to_bytea(d->m->payload, d->m->len) : NULL,
							 d->error);
	}

	for (i = 0; i < s->nparts; i++)
		next[i] = -1;
	for (i = 0; i < s->nbatch; i++)
		if (s->batch[i].partition < s->nparts)
			next[s->batch[i].partition] = Max(next[s->batch[i].partition], s->batch[i].offset + 1);
	/* starting points chosen at assignment ("latest") */
	if (s->offsets_dirty)
		for (i = 0; i < s->nparts; i++)
			if (next[i] < 0 && s->next_offset[i] >= 0)
				next[i] = s->next_offset[i];
	for (i = 0; i < s->nparts; i++)
		if (next[i] >= 0)
			meta_source_offset_set(s->name, i, next[i]);
	SPI_finish();
}

/*
 * Land s->batch in the current (epoch) transaction.  Returns the rows as
 * changes of the stream table (DecodedChange *), for the live views.
 */
List *
kafka_land(KafkaSource *s, MemoryContext batchcxt)
{
	Landing		l;
	Relation	rel;
	List	   *changes = NIL;
	List	   *dead = NIL;
	ErrorData  *err;
	MemoryContext old;
	int			i;

	if (!kafka_source_still_allowed(s))
		return NIL;
	if (s->nbatch == 0)
	{
		if (s->offsets_dirty)
			record(s, NIL);
		return NIL;
	}
	rel = try_table_open(s->relid, RowExclusiveLock);
	if (rel == NULL)
		return NIL;				/* dropped: the catalog says so next */
	old = MemoryContextSwitchTo(batchcxt);
	landing_init(&l, s, rel);

	err = land_range(&l, 0, s->nbatch, batchcxt, &changes);
	if (err != NULL)
	{
		/* someone is bad: one by one */
		for (i = 0; i < s->nbatch; i++)
		{
			err = land_range(&l, i, i + 1, batchcxt, &changes);
			if (err != NULL)
			{
				DeadLetter *d = palloc(sizeof(DeadLetter));

				d->m = &s->batch[i];
				d->error = err->message;
				dead = lappend(dead, d);
			}
		}
	}
	record(s, dead);
	s->dead_letters += list_length(dead);
	table_close(rel, NoLock);
	MemoryContextSwitchTo(old);
	return changes;
}
