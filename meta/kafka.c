/*
 * kafka.c
 *	  The SQL face's statements on pathway.kafka_sources and
 *	  pathway.kafka_sinks (see kafka.h).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "meta/kafka.h"
#include "meta/meta.h"

char *
meta_kafka_source_of(Oid relid)
{
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Oid			types[1] = {OIDOID};
	MemoryContext caller = CurrentMemoryContext;
	char	   *name = NULL;

	SPI_connect();
	if (meta_exec("SELECT name FROM pathway.kafka_sources WHERE relid = $1",
				  1, types, args, NULL, true, 1) == 1)
		name = MemoryContextStrdup(caller,
								   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	return name;
}

List *
meta_kafka_sources_committed(Oid view)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *names = NIL;
	uint64		i;

	SPI_connect();
	/* as the owner: anyone may wait for a source, not read its options */
	if (OidIsValid(view))
	{
		Datum		args[1] = {ObjectIdGetDatum(view)};
		Oid			types[1] = {OIDOID};

		(void) meta_read_as_owner("WITH RECURSIVE reads(oid) AS ("
								  "  SELECT $1"
								  "  UNION"
								  "  SELECT d.refobjid FROM pg_catalog.pg_depend d JOIN reads r ON d.objid = r.oid"
								  "   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
								  "     AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass)"
								  "SELECT k.name, k.xmin::text FROM pathway.kafka_sources k JOIN reads r ON r.oid = k.relid "
								  "UNION ALL "
								  "SELECT h.name, h.xmin::text FROM pathway.http_sources h JOIN reads r ON r.oid = h.relid",
								  1, types, args, NULL, 0);
	}
	else
		(void) meta_read_as_owner("SELECT name, xmin::text FROM pathway.kafka_sources "
								  "UNION ALL SELECT name, xmin::text FROM pathway.http_sources",
								  0, NULL, NULL, NULL, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		TransactionId xmin = (TransactionId) strtoul(SPI_getvalue(SPI_tuptable->vals[i],
																  SPI_tuptable->tupdesc, 2), NULL, 10);

		if (!TransactionIdIsCurrentTransactionId(xmin))
			names = lappend(names, MemoryContextStrdup(caller, name));
	}
	SPI_finish();
	return names;
}

void
meta_kafka_source_register(const char *name, Oid relid, const char *brokers, const char *topic,
						   const char *format, Datum options, Oid owner)
{
	Datum		args[7];
	Oid			types[7] = {TEXTOID, OIDOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, OIDOID};

	args[0] = CStringGetTextDatum(name);
	args[1] = ObjectIdGetDatum(relid);
	args[2] = CStringGetTextDatum(brokers);
	args[3] = CStringGetTextDatum(topic);
	args[4] = CStringGetTextDatum(format);
	args[5] = options;
	args[6] = ObjectIdGetDatum(owner);
	SPI_connect();
	(void) meta_exec_as_owner("INSERT INTO pathway.kafka_sources (name, relid, brokers, topic, format, options, owner) "
							  "VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, types, args, NULL, 0);
	SPI_finish();
}

bool
meta_kafka_sink_exists(Oid view, const char *topic)
{
	Datum		args[2];
	Oid			types[2] = {OIDOID, TEXTOID};
	bool		found;

	args[0] = ObjectIdGetDatum(view);
	args[1] = CStringGetTextDatum(topic);
	SPI_connect();
	found = meta_read_as_owner("SELECT 1 FROM pathway.kafka_sinks WHERE view = $1 AND topic = $2",
							   2, types, args, NULL, 1) > 0;
	SPI_finish();
	return found;
}

void
meta_kafka_sink_register(Oid view, const char *brokers, const char *topic, const char *format,
						 Datum options, Oid owner)
{
	Datum		args[6];
	Oid			types[6] = {OIDOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, OIDOID};

	args[0] = ObjectIdGetDatum(view);
	args[1] = CStringGetTextDatum(brokers);
	args[2] = CStringGetTextDatum(topic);
	args[3] = CStringGetTextDatum(format);
	args[4] = options;
	args[5] = ObjectIdGetDatum(owner);
	SPI_connect();
	(void) meta_exec_as_owner("INSERT INTO pathway.kafka_sinks (view, brokers, topic, format, options, owner) "
							  "VALUES ($1, $2, $3, $4, $5, $6)", 6, types, args, NULL, 0);
	SPI_finish();
}

uint64
meta_kafka_sink_delete(Oid view, const char *topic)
{
	Datum		args[2];
	Oid			types[2] = {OIDOID, TEXTOID};
	char		nulls[2] = "  ";
	uint64		n;

	args[0] = ObjectIdGetDatum(view);
	if (topic)
		args[1] = CStringGetTextDatum(topic);
	else
	{
		args[1] = (Datum) 0;
		nulls[1] = 'n';
	}
	SPI_connect();
	n = meta_exec_as_owner("DELETE FROM pathway.kafka_sinks WHERE view = $1 AND ($2 IS NULL OR topic = $2)",
						   2, types, args, nulls, 0);
	SPI_finish();
	return n;
}
