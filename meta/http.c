/*
 * http.c
 *	  The statements on pathway.http_sources and pathway.http_source_state
 *	  (see http.h).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "meta/http.h"
#include "meta/meta.h"

char *
meta_http_source_of(Oid relid)
{
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Oid			types[1] = {OIDOID};
	MemoryContext caller = CurrentMemoryContext;
	char	   *name = NULL;

	SPI_connect();
	if (meta_exec("SELECT name FROM pathway.http_sources WHERE relid = $1",
				  1, types, args, NULL, true, 1) == 1)
		name = MemoryContextStrdup(caller,
								   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	return name;
}

bool
meta_http_source_named(const char *name)
{
	Datum		args[1] = {CStringGetTextDatum(name)};
	Oid			types[1] = {TEXTOID};
	bool		found;

	SPI_connect();
	found = meta_read_as_owner("SELECT 1 FROM pathway.http_sources WHERE name = $1",
							   1, types, args, NULL, 1) > 0;
	SPI_finish();
	return found;
}

/* (inside the caller's SPI connection) */
bool
meta_source_name_taken(const char *name)
{
	Datum		args[1] = {CStringGetTextDatum(name)};
	Oid			types[1] = {TEXTOID};

	return meta_read_as_owner("SELECT 1 FROM pathway.kafka_sources WHERE name = $1 "
							  "UNION ALL SELECT 1 FROM pathway.http_sources WHERE name = $1",
							  1, types, args, NULL, 1) > 0;
}

/* (inside the caller's SPI connection) */
void
meta_http_source_register(const char *name, Oid relid, const char *url, const char *format,
						  const char *mode, Datum options, Oid owner)
{
	Datum		args[7];
	Oid			types[7] = {TEXTOID, OIDOID, TEXTOID, TEXTOID, JSONBOID, OIDOID, TEXTOID};
	char		nulls[7] = "       ";

	args[0] = CStringGetTextDatum(name);
	args[1] = ObjectIdGetDatum(relid);
	if (url)
		args[2] = CStringGetTextDatum(url);
	else
		nulls[2] = 'n';
	args[3] = CStringGetTextDatum(format);
	args[4] = options;
	args[5] = ObjectIdGetDatum(owner);
	args[6] = CStringGetTextDatum(mode);
	(void) meta_exec_as_owner("INSERT INTO pathway.http_sources (name, relid, url, format, mode, options, owner) "
							  "VALUES ($1, $2, $3, $4, $7, $5, $6)",
							  7, types, args, nulls, 0);
	(void) meta_exec_as_owner("INSERT INTO pathway.http_source_state (source) VALUES ($1)",
							  1, types, args, NULL, 0);
}

static char *
text_or_null(uint64 row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

List *
meta_http_sources(void)
{
	List	   *rows = NIL;
	uint64		n,
				i;

	n = meta_exec("SELECT h.name, h.relid, h.owner, h.url, h.format, h.options, "
				  "       coalesce(s.polls, 0), s.cursor, s.next_url, s.etag, s.etag_url, h.mode = 'webhook' "
				  "  FROM pathway.http_sources h "
				  "  LEFT JOIN pathway.http_source_state s ON s.source = h.name",
				  0, NULL, NULL, NULL, true, 0);
	for (i = 0; i < n; i++)
	{
		MetaHttpSource *m = palloc0(sizeof(MetaHttpSource));
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		m->name = text_or_null(i, 1);
		m->relid = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		m->owner = DatumGetObjectId(SPI_getbinval(tup, desc, 3, &isnull));
		m->url = text_or_null(i, 4);
		m->format = text_or_null(i, 5);
		m->options = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 6, &isnull));
		m->polls = DatumGetInt64(SPI_getbinval(tup, desc, 7, &isnull));
		m->cursor = text_or_null(i, 8);
		m->next_url = text_or_null(i, 9);
		m->etag = text_or_null(i, 10);
		m->etag_url = text_or_null(i, 11);
		m->webhook = DatumGetBool(SPI_getbinval(tup, desc, 12, &isnull));
		rows = lappend(rows, m);
	}
	return rows;
}

void
meta_http_state_set(const char *source, int64 polls, const char *cursor, const char *next_url,
					const char *etag, const char *etag_url)
{
	Datum		args[6];
	char		nulls[6] = "      ";
	Oid			types[6] = {TEXTOID, INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	const char *texts[4] = {cursor, next_url, etag, etag_url};
	int			i;

	args[0] = CStringGetTextDatum(source);
	args[1] = Int64GetDatum(polls);
	for (i = 0; i < 4; i++)
	{
		if (texts[i])
			args[2 + i] = CStringGetTextDatum(texts[i]);
		else
			nulls[2 + i] = 'n';
	}
	(void) meta_exec("INSERT INTO pathway.http_source_state AS s (source, polls, cursor, next_url, etag, etag_url) "
					 "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source) DO UPDATE SET "
					 "polls = excluded.polls, cursor = excluded.cursor, next_url = excluded.next_url, "
					 "etag = excluded.etag, etag_url = excluded.etag_url",
					 6, types, args, nulls, false, 0);
}

/* (inside the worker's connection, in the epoch) */
bool
meta_webhook_key_find(const char *source, const char *key, int *status, char **answer)
{
	Datum		args[2] = {CStringGetTextDatum(source), CStringGetTextDatum(key)};
	Oid			types[2] = {TEXTOID, TEXTOID};
	bool		isnull;

	if (meta_exec("SELECT status, answer FROM pathway.webhook_keys WHERE source = $1 AND key = $2",
				  2, types, args, NULL, false, 1) == 0)
		return false;
	*status = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*answer = text_or_null(0, 2);
	return true;
}

/* (inside the worker's connection, in the epoch) */
void
meta_webhook_key_add(const char *source, const char *key, int status, const char *answer)
{
	Datum		args[4] = {CStringGetTextDatum(source), CStringGetTextDatum(key),
		Int32GetDatum(status), CStringGetTextDatum(answer)};
	Oid			types[4] = {TEXTOID, TEXTOID, INT4OID, TEXTOID};

	(void) meta_exec("INSERT INTO pathway.webhook_keys (source, key, status, answer) VALUES ($1, $2, $3, $4)",
					 4, types, args, NULL, false, 0);
}

/* (inside the worker's connection, in the epoch) */
void
meta_webhook_keys_expire(void)
{
	(void) meta_exec("DELETE FROM pathway.webhook_keys WHERE landed_at < now() - interval '24 hours'",
					 0, NULL, NULL, NULL, false, 0);
}

bool
meta_http_sink_exists(Oid view, const char *url)
{
	Datum		args[2];
	Oid			types[2] = {OIDOID, TEXTOID};
	bool		found;

	args[0] = ObjectIdGetDatum(view);
	args[1] = CStringGetTextDatum(url);
	SPI_connect();
	found = meta_read_as_owner("SELECT 1 FROM pathway.http_sinks WHERE view = $1 AND url = $2",
							   2, types, args, NULL, 1) > 0;
	SPI_finish();
	return found;
}

void
meta_http_sink_register(Oid view, const char *url, Datum options, Oid owner)
{
	Datum		args[4];
	Oid			types[4] = {OIDOID, TEXTOID, JSONBOID, OIDOID};

	args[0] = ObjectIdGetDatum(view);
	args[1] = CStringGetTextDatum(url);
	args[2] = options;
	args[3] = ObjectIdGetDatum(owner);
	SPI_connect();
	(void) meta_exec_as_owner("INSERT INTO pathway.http_sinks (view, url, options, owner) "
							  "VALUES ($1, $2, $3, $4)", 4, types, args, NULL, 0);
	SPI_finish();
}

uint64
meta_http_sink_delete(Oid view, const char *url)
{
	Datum		args[2];
	Oid			types[2] = {OIDOID, TEXTOID};
	char		nulls[2] = "  ";
	uint64		n;

	args[0] = ObjectIdGetDatum(view);
	if (url)
		args[1] = CStringGetTextDatum(url);
	else
	{
		args[1] = (Datum) 0;
		nulls[1] = 'n';
	}
	SPI_connect();
	n = meta_exec_as_owner("DELETE FROM pathway.http_sinks WHERE view = $1 AND ($2 IS NULL OR url = $2)",
						   2, types, args, nulls, 0);
	SPI_finish();
	return n;
}
