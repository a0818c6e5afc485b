/*
 * streams.c
 *	  The statements of the connectors (Kafka sources and sinks) on the
 *	  extension's tables.
 *
 * Memory: results are allocated in the current context (while SPI is
 * connected, SPI's: gone at SPI_finish).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "meta/meta.h"
#include "meta/streams.h"

void
meta_dead_letter_add(const char *source, int32 partition, int64 offset, bytea *key,
					 bytea *payload, const char *error)
{
	Datum		args[6];
	char		nulls[6] = "      ";
	Oid			types[6] = {TEXTOID, INT4OID, INT8OID, BYTEAOID, BYTEAOID, TEXTOID};

	args[0] = CStringGetTextDatum(source);
	args[1] = Int32GetDatum(partition);
	args[2] = Int64GetDatum(offset);
	if (key)
		args[3] = PointerGetDatum(key);
	else
		nulls[3] = 'n';
	if (payload)
		args[4] = PointerGetDatum(payload);
	else
		nulls[4] = 'n';
	args[5] = CStringGetTextDatum(error);
	meta_exec("INSERT INTO pathway.dead_letters (source, partition, \"offset\", key, payload, error) "
			  "VALUES ($1, $2, $3, $4, $5, $6)", 6, types, args, nulls, false, 0);
}

void
meta_source_offset_set(const char *source, int32 partition, int64 next_offset)
{
	Datum		args[3];
	Oid			types[3] = {TEXTOID, INT4OID, INT8OID};

	args[0] = CStringGetTextDatum(source);
	args[1] = Int32GetDatum(partition);
	args[2] = Int64GetDatum(next_offset);
	meta_exec("INSERT INTO pathway.source_offsets (source, partition, next_offset) "
			  "VALUES ($1, $2, $3) ON CONFLICT (source, partition) "
			  "DO UPDATE SET next_offset = excluded.next_offset",
			  3, types, args, NULL, false, 0);
}

Oid
meta_sink_owner(int64 sink)
{
	Datum		args[1] = {Int64GetDatum(sink)};
	Oid			types[1] = {INT8OID};
	bool		isnull;
	Datum		d;

	if (meta_exec("SELECT owner FROM pathway.kafka_sinks WHERE id = $1",
				  1, types, args, NULL, true, 1) != 1)
		return InvalidOid;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? InvalidOid : DatumGetObjectId(d);
}

/* A row with n copies is n messages. */
void
meta_outbox_add(int64 sink, const char *key, const char *payload, int64 copies)
{
	Datum		args[3];
	char		nulls[3] = "   ";
	Oid			types[3] = {INT8OID, TEXTOID, TEXTOID};
	int64		n;

	args[0] = Int64GetDatum(sink);
	if (key)
		args[1] = CStringGetTextDatum(key);
	else
		nulls[1] = 'n';
	args[2] = CStringGetTextDatum(payload);
	for (n = 0; n < copies; n++)
		meta_exec("INSERT INTO pathway.sink_outbox (sink, key, payload) VALUES ($1, $2, $3)",
				  3, types, args, nulls, false, 0);
}

/* A round is confirmed: forget it. */
void
meta_outbox_delete_upto(int64 sink, int64 upto)
{
	Datum		args[2] = {Int64GetDatum(sink), Int64GetDatum(upto)};
	Oid			types[2] = {INT8OID, INT8OID};

	meta_exec("DELETE FROM pathway.sink_outbox WHERE sink = $1 AND id <= $2",
			  2, types, args, NULL, false, 0);
}

/* The sink's next (at most limit) messages, oldest first.  Returns how many. */
int
meta_outbox_next(int64 sink, int limit, MetaOutboxRow **rows)
{
	Datum		args[1] = {Int64GetDatum(sink)};
	Oid			types[1] = {INT8OID};
	uint64		n;
	uint64		i;

	/* read_only false: sees a DELETE of the same transaction */
	n = meta_exec(psprintf("SELECT id, key, payload FROM pathway.sink_outbox WHERE sink = $1 "
						   "ORDER BY id LIMIT %d", limit),
				  1, types, args, NULL, false, 0);
	*rows = palloc(sizeof(MetaOutboxRow) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		(*rows)[i].id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		(*rows)[i].key = SPI_getvalue(tup, desc, 2);
		(*rows)[i].payload = SPI_getvalue(tup, desc, 3);
	}
	return (int) n;
}
