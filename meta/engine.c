/*
 * engine.c
 *	  The engine worker's statements on the extension's tables.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/pg_lsn.h"

#include "meta/engine.h"
#include "meta/meta.h"

static Datum
column(uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

static char *
column_text(uint64 row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

/* Split the catalog's name=value settings. */
static void
split_settings(MetaView *m, Datum arr)
{
	Datum	   *items;
	bool	   *nulls;
	int			n,
				i;

	deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, TYPALIGN_INT,
					  &items, &nulls, &n);
	m->nsettings = n;
	m->setting_names = palloc(sizeof(char *) * (n + 1));
	m->setting_values = palloc(sizeof(char *) * (n + 1));
	for (i = 0; i < n; i++)
	{
		char	   *s = TextDatumGetCString(items[i]);
		char	   *eq = strchr(s, '=');

		if (eq == NULL)
			elog(ERROR, "pathway: malformed setting \"%s\"", s);
		*eq = '\0';
		m->setting_names[i] = s;
		m->setting_values[i] = eq + 1;
	}
}

List *
meta_engine_views(void)
{
	List	   *rows = NIL;
	uint64		n,
				i;

	n = meta_exec("SELECT relid, tree, owner, status, relid::regclass::text, settings, "
				  "cutoff, delay, keep_results, emit FROM pathway.catalog c "
				  "WHERE EXISTS (SELECT FROM pg_catalog.pg_class r WHERE r.oid OPERATOR(pg_catalog.=) c.relid)",
				  0, NULL, NULL, NULL, true, 0);
	for (i = 0; i < n; i++)
	{
		MetaView   *m = palloc0(sizeof(MetaView));
		bool		isnull;

		m->relid = DatumGetObjectId(column(i, 1, &isnull));
		m->tree = column_text(i, 2);
		m->owner = DatumGetObjectId(column(i, 3, &isnull));
		m->name = column_text(i, 5);
		split_settings(m, column(i, 6, &isnull));
		m->cutoff = column_text(i, 7);
		m->delay = column_text(i, 8);
		m->keep_results = column_text(i, 9);
		m->emit = column_text(i, 10);
		rows = lappend(rows, m);
	}
	return rows;
}

List *
meta_engine_kafka_sources(void)
{
	List	   *rows = NIL;
	uint64		n,
				i;

	n = meta_exec("SELECT name, relid, owner, brokers, topic, format, options FROM pathway.kafka_sources",
				  0, NULL, NULL, NULL, true, 0);
	for (i = 0; i < n; i++)
	{
		MetaKafkaSource *m = palloc0(sizeof(MetaKafkaSource));
		bool		isnull;

		m->name = column_text(i, 1);
		m->relid = DatumGetObjectId(column(i, 2, &isnull));
		m->owner = DatumGetObjectId(column(i, 3, &isnull));
		m->brokers = column_text(i, 4);
		m->topic = column_text(i, 5);
		m->format = column_text(i, 6);
		m->options = DatumGetJsonbPCopy(column(i, 7, &isnull));
		rows = lappend(rows, m);
	}
	return rows;
}

/* The committed next offsets of a source, by partition (-1: none). */
int64 *
meta_engine_source_offsets(const char *source, int *n)
{
	Datum		args[1];
	Oid			types[1] = {TEXTOID};
	int64	   *offs;
	uint64		rows,
				i;

	args[0] = CStringGetTextDatum(source);
	rows = meta_exec("SELECT partition, next_offset FROM pathway.source_offsets WHERE source = $1",
					 1, types, args, NULL, true, 0);
	*n = 0;
	for (i = 0; i < rows; i++)
	{
		bool		isnull;

		*n = Max(*n, DatumGetInt32(column(i, 1, &isnull)) + 1);
	}
	offs = palloc(sizeof(int64) * Max(*n, 1));
	for (i = 0; i < *n; i++)
		offs[i] = -1;
	for (i = 0; i < rows; i++)
	{
		bool		isnull;
		int			p = DatumGetInt32(column(i, 1, &isnull));

		offs[p] = DatumGetInt64(column(i, 2, &isnull));
	}
	return offs;
}

List *
meta_engine_kafka_sinks(void)
{
	List	   *rows = NIL;
	uint64		n,
				i;

	n = meta_exec("SELECT id, view, brokers, topic, options, snapshot_done FROM pathway.kafka_sinks",
				  0, NULL, NULL, NULL, true, 0);
	for (i = 0; i < n; i++)
	{
		MetaKafkaSink *m = palloc0(sizeof(MetaKafkaSink));
		bool		isnull;

		m->id = DatumGetInt64(column(i, 1, &isnull));
		m->view = DatumGetObjectId(column(i, 2, &isnull));
		m->brokers = column_text(i, 3);
		m->topic = column_text(i, 4);
		m->options = DatumGetJsonbPCopy(column(i, 5, &isnull));
		m->snapshot_done = DatumGetBool(column(i, 6, &isnull));
		rows = lappend(rows, m);
	}
	return rows;
}

List *
meta_engine_http_sinks(void)
{
	List	   *rows = NIL;
	uint64		n,
				i;

	n = meta_exec("SELECT id, view, owner, url, options, snapshot_done FROM pathway.http_sinks",
				  0, NULL, NULL, NULL, true, 0);
	for (i = 0; i < n; i++)
	{
		MetaHttpSink *m = palloc0(sizeof(MetaHttpSink));
		bool		isnull;

		m->id = DatumGetInt64(column(i, 1, &isnull));
		m->view = DatumGetObjectId(column(i, 2, &isnull));
		m->owner = DatumGetObjectId(column(i, 3, &isnull));
		m->url = column_text(i, 4);
		m->options = DatumGetJsonbPCopy(column(i, 5, &isnull));
		m->snapshot_done = DatumGetBool(column(i, 6, &isnull));
		rows = lappend(rows, m);
	}
	return rows;
}

/* The tables ALTER TABLE changed since we last looked (taken: deleted). */
List *
meta_engine_take_rebuild_requests(void)
{
	List	   *altered = NIL;
	uint64		n,
				i;

	n = meta_exec("DELETE FROM pathway.rebuild_requests RETURNING relid", 0, NULL, NULL, NULL, false, 0);
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		altered = lappend_oid(altered, DatumGetObjectId(column(i, 1, &isnull)));
	}
	return altered;
}

/* The views failed for pathway.max_memory, not to be built again at start. */
List *
meta_engine_held_failures(void)
{
	List	   *rows = NIL;
	uint64		n,
				i;

	n = meta_exec("SELECT relid, error FROM pathway.catalog WHERE status = 'failed' AND NOT rebuild_at_start",
				  0, NULL, NULL, NULL, true, 0);
	for (i = 0; i < n; i++)
	{
		MetaHeldFailure *m = palloc0(sizeof(MetaHeldFailure));
		bool		isnull;

		m->relid = DatumGetObjectId(column(i, 1, &isnull));
		m->error = column_text(i, 2);
		rows = lappend(rows, m);
	}
	return rows;
}

/* Is the view's catalog row one a restore loaded (status 'restored')? */
bool
meta_engine_view_restored(Oid relid)
{
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Oid			types[1] = {OIDOID};

	return meta_exec("SELECT 1 FROM pathway.catalog WHERE relid = $1 AND status = 'restored'",
					 1, types, args, NULL, true, 1) == 1;
}

/*
 * The replication origins of engine workers whose databases no longer
 * exist (the origin is the slot prefix and the database's OID).
 */
List *
meta_engine_orphan_origins(void)
{
	List	   *names = NIL;
	uint64		n,
				i;

	n = meta_exec("SELECT o.roname FROM pg_catalog.pg_replication_origin o "
				  "WHERE o.roname ~ '^pathway_[0-9]{1,10}$' AND NOT EXISTS ("
				  "  SELECT FROM pg_catalog.pg_database d WHERE d.oid::pg_catalog.text = pg_catalog.substr(o.roname, 9))",
				  0, NULL, NULL, NULL, true, 0);
	for (i = 0; i < n; i++)
		names = lappend(names, column_text(i, 1));
	return names;
}

/* A view's status ("running", "failed") and error (NULL: none). */
void
meta_engine_set_status(Oid relid, const char *status, const char *error)
{
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	Oid			types[3] = {OIDOID, TEXTOID, TEXTOID};

	args[0] = ObjectIdGetDatum(relid);
	args[1] = CStringGetTextDatum(status);
	if (error)
		args[2] = CStringGetTextDatum(error);
	else
		nulls[2] = 'n';
	(void) meta_exec("UPDATE pathway.catalog SET status = $2, error = $3 WHERE relid = $1",
					 3, types, args, nulls, false, 0);
}

/* A failure a restart must not build again (pathway.max_memory). */
void
meta_engine_hold_failure(Oid relid)
{
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Oid			types[1] = {OIDOID};

	(void) meta_exec("UPDATE pathway.catalog SET rebuild_at_start = false WHERE relid = $1",
					 1, types, args, NULL, false, 0);
}

/* A new sink has sent its view's rows: from now on only changes. */
void
meta_engine_sink_snapshot_done(int64 sink)
{
	Datum		args[1] = {Int64GetDatum(sink)};
	Oid			types[1] = {INT8OID};

	/* the ids of both kinds come from one sequence */
	(void) meta_exec("UPDATE pathway.http_sinks SET snapshot_done = true WHERE id = $1",
					 1, types, args, NULL, false, 0);
	(void) meta_exec("UPDATE pathway.kafka_sinks SET snapshot_done = true WHERE id = $1",
					 1, types, args, NULL, false, 0);
}

/* Every transaction committed before lsn is in the views: one more epoch. */
void
meta_engine_record_frontier(XLogRecPtr lsn)
{
	Datum		args[1] = {LSNGetDatum(lsn)};
	Oid			types[1] = {PG_LSNOID};

	(void) meta_exec("UPDATE pathway.epoch SET frontier = $1, epoch = epoch + 1, committed_at = pg_catalog.now()",
					 1, types, args, NULL, false, 0);
}

/* The saved time of a view with time options; false when it has none yet. */
bool
meta_engine_view_time(Oid relid, int64 *usecs)
{
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Oid			types[1] = {OIDOID};
	bool		isnull;

	if (meta_exec("SELECT usecs FROM pathway.view_times WHERE relid OPERATOR(pg_catalog.=) $1",
				  1, types, args, NULL, true, 0) == 0)
		return false;
	*usecs = DatumGetInt64(column(0, 1, &isnull));
	return !isnull;
}

void
meta_engine_save_view_time(Oid relid, Oid type, int64 usecs)
{
	Datum		args[3] = {ObjectIdGetDatum(relid), ObjectIdGetDatum(type), Int64GetDatum(usecs)};
	Oid			types[3] = {OIDOID, OIDOID, INT8OID};

	(void) meta_exec("INSERT INTO pathway.view_times (relid, type, usecs) VALUES ($1, $2, $3) "
					 "ON CONFLICT (relid) DO UPDATE SET usecs = excluded.usecs",
					 3, types, args, NULL, false, 0);
}
