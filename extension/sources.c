/*
 * sources.c
 *	  The SQL functions of Kafka sources and sinks: create_kafka_source,
 *	  drop_source, create_kafka_sink, drop_sink (their rows in pathway.*:
 *	  meta/kafka.c; their state: bgworker/stats.c).
 *
 * create_kafka_sink registers a sink on a live view the caller owns; the
 * worker publishes the view's rows, then every change (kafka_sink.c).
 *
 * create_kafka_source runs in the caller's transaction and never waits for
 * the worker: it checks its arguments, creates the stream table (an
 * ordinary table owned by the caller) and registers the source; the engine
 * worker starts consuming once that commits.  The stream table is primary
 * data: it does not depend on the extension and survives DROP EXTENSION.
 *
 * Both functions are granted by a superuser (not executable by PUBLIC: they
 * make the server connect anywhere).  A caller that is not superuser may
 * set only the librdkafka properties on kafka_source.c's safe list, checked
 * before librdkafka sees any of them; their errors never quote a value nor
 * log the calling statement, which holds the secrets.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/acl.h"
#include "utils/regproc.h"

#include "connectors/kafka_options.h"	/* formats and option checks */
#include "extension/extension.h"
#include "meta/http.h"
#include "meta/kafka.h"
#include "meta/meta.h"
#include "meta/views.h"

PG_FUNCTION_INFO_V1(pathway_create_kafka_source);
PG_FUNCTION_INFO_V1(pathway_drop_source);
PG_FUNCTION_INFO_V1(pathway_create_kafka_sink);
PG_FUNCTION_INFO_V1(pathway_drop_sink);

static const char *const metadata_columns[] = {
	"kafka_partition", "kafka_offset", "kafka_timestamp", "kafka_key", NULL
};

/*
 * The statement that called create_kafka_source, create_kafka_sink or
 * create_http_source holds the options, secrets included: no error or
 * message raised while they run puts it into the server log, neither as
 * STATEMENT nor as the CONTEXT of a caller that passed it on (the client
 * still gets both).  See HIDE_STATEMENT_BEGIN in extension.h.
 */
void
pathway_hide_statement(void *arg)
{
	errhidestmt(true);
	errhidecontext(true);
}

/* Refuse options the caller may not set (with their SQLSTATE), or bad ones. */
static void
check_options(Jsonb *options, const char *what, const char *hint)
{
	char		err[512];

	switch (kafka_options_check(options, superuser(), err, sizeof(err)))
	{
		case KAFKA_OPTIONS_OK:
			return;
		case KAFKA_OPTIONS_SUPERUSER:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("%s", err),
					 errdetail("Only superusers may give %s librdkafka properties outside the list of "
							   "safe ones (any that can name a command, a library, a file or a directory "
							   "on the server) or SASL mechanisms other than PLAIN, SCRAM-SHA-256 and "
							   "SCRAM-SHA-512.", what),
					 errhint("The safe properties are listed in docs/kafka.md; "
							 "a superuser may create it with the others.")));
			break;
		case KAFKA_OPTIONS_INVALID:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid options for %s: %s", what, err),
					 errhint("%s", hint)));
			break;
	}
}

static char *
arg_text(FunctionCallInfo fcinfo, int i, const char *what)
{
	if (PG_ARGISNULL(i))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what)));
	return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

/*
 * The column definitions must be exactly that: one list of columns (with
 * their constraints), nothing that could run as another statement.
 */
static void
check_columns(const char *columns, KafkaFormat format)
{
	List	   *stmts;
	CreateStmt *cs;
	ListCell   *lc;
	int			n = 0;

	stmts = raw_parser(psprintf("CREATE TABLE pathway_check (%s)", columns), RAW_PARSE_DEFAULT);
	if (list_length(stmts) != 1 ||
		!IsA(((RawStmt *) linitial(stmts))->stmt, CreateStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid column definitions \"%s\"", columns),
				 errhint("Give column definitions as in CREATE TABLE, e.g. 'user_id int, url text'.")));
	cs = (CreateStmt *) ((RawStmt *) linitial(stmts))->stmt;
	foreach(lc, cs->tableElts)
	{
		Node	   *e = lfirst(lc);
		const char *const *m;

		if (!IsA(e, ColumnDef))
			continue;			/* a table constraint */
		n++;
		for (m = metadata_columns; *m; m++)
			if (strcmp(((ColumnDef *) e)->colname, *m) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column name \"%s\" is reserved for the message's metadata", *m),
						 errhint("Rename the column.")));
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a stream table needs at least one column")));
	if ((format == KAFKA_TEXT || format == KAFKA_BYTES) && n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("format \"%s\" fills exactly one column, not %d",
						format == KAFKA_TEXT ? "text" : "bytes", n)));
}

Datum
pathway_create_kafka_source(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *brokers;
	char	   *topic;
	char	   *format;
	char	   *columns;
	Jsonb	   *options;
	KafkaFormat f;
	RangeVar   *rv;
	char	   *qname;
	Oid			relid;
	Oid			nspid;

	HIDE_STATEMENT_BEGIN();
	name = arg_text(fcinfo, 0, "name");
	brokers = arg_text(fcinfo, 1, "brokers");
	topic = arg_text(fcinfo, 2, "topic");
	format = arg_text(fcinfo, 3, "format");
	columns = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	options = PG_ARGISNULL(5) ? NULL : PG_GETARG_JSONB_P(5);
	f = kafka_format_from_name(format);
	pathway_check_setup();
	if ((int) f < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown format \"%s\"", format),
				 errhint("Use one of json, csv, text, bytes.")));
	if (columns == NULL)
	{
		if (f == KAFKA_TEXT)
			columns = "value text";
		else if (f == KAFKA_BYTES)
			columns = "value bytea";
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("format \"%s\" needs column definitions", format),
					 errhint("Pass columns => 'user_id int, url text, ...'.")));
	}
	if (*topic == '\0' || *brokers == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("brokers and topic must not be empty")));
	check_columns(columns, f);
	check_options(options, psprintf("Kafka source \"%s\"", name),
				  "Options are librdkafka properties (CONFIGURATION.md), plus \"pathway.max_message_bytes\".");

	rv = makeRangeVarFromNameList(stringToQualifiedNameList(name));
	if (OidIsValid(RangeVarGetRelid(rv, NoLock, true)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"%s\" already exists", name),
				 errhint("Choose another name for the stream table.")));
	/*
	 * The engine worker cannot write another session's temporary table: a
	 * name in pg_temp (given, or first on the search_path) is refused.
	 */
	nspid = RangeVarGetCreationNamespace(rv);
	if (rv->relpersistence == RELPERSISTENCE_TEMP || isAnyTempNamespace(nspid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a stream table cannot be a temporary table: \"%s\"", name),
				 errdetail("The engine worker fills the stream table from its own session."),
				 errhint("Name the table in a permanent schema, e.g. 'public.%s'.", rv->relname)));
	qname = rv->schemaname ? quote_qualified_identifier(rv->schemaname, rv->relname)
		: pstrdup(quote_identifier(rv->relname));

	SPI_connect();
	/* dead letters and sync() know a source by its name, of either kind */
	if (meta_source_name_taken(name))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("a source named \"%s\" already exists", name)));
	(void) meta_exec(psprintf("CREATE TABLE %s (%s, kafka_partition int NOT NULL, "
							  "kafka_offset bigint NOT NULL, kafka_timestamp timestamptz, "
							  "kafka_key bytea, PRIMARY KEY (kafka_partition, kafka_offset))",
							  qname, columns), 0, NULL, NULL, NULL, false, 0);
	relid = RangeVarGetRelid(rv, NoLock, false);
	if (get_rel_persistence(relid) != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a stream table cannot be a temporary table: \"%s\"", name),
				 errhint("Name the table in a permanent schema.")));

	/* the catalog is the extension's, not the caller's */
	meta_kafka_source_register(name, relid, brokers, topic, format,
							   options ? JsonbPGetDatum(options) :
							   DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")),
							   GetUserId());
	SPI_finish();
	HIDE_STATEMENT_END();
	PG_RETURN_VOID();
}

Datum
pathway_drop_source(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(name)),
										 NoLock, true);

	if (!OidIsValid(relid) || (meta_kafka_source_of(relid) == NULL && meta_http_source_of(relid) == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("\"%s\" is not a source", name),
				 errhint("Sources are listed in pathway.sources.")));
	/* DROP TABLE checks ownership; the drop trigger deregisters the source */
	SPI_connect();
	(void) meta_exec(psprintf("DROP TABLE %s", pathway_qualified_name(relid)),
					 0, NULL, NULL, NULL, false, 0);
	SPI_finish();
	PG_RETURN_VOID();
}

/* The live view named, or an error. */
Oid
pathway_live_view(const char *name)
{
	Oid			relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(name)),
										 NoLock, false);

	if (!meta_view_lookup(relid, NULL, NULL, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a live view", name),
				 errhint("Live views are listed in pathway.views.")));
	return relid;
}

Datum
pathway_create_kafka_sink(PG_FUNCTION_ARGS)
{
	char	   *view;
	char	   *brokers;
	char	   *topic;
	char	   *format;
	Jsonb	   *options;
	Oid			relid;

	HIDE_STATEMENT_BEGIN();
	view = arg_text(fcinfo, 0, "view");
	brokers = arg_text(fcinfo, 1, "brokers");
	topic = arg_text(fcinfo, 2, "topic");
	format = arg_text(fcinfo, 3, "format");
	options = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);
	pathway_check_setup();
	relid = pathway_live_view(view);
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, view);
	if (strcmp(format, "json") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("sink format \"%s\" is not supported", format),
				 errhint("Use format => 'json'.")));
	if (*topic == '\0' || *brokers == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("brokers and topic must not be empty")));
	check_options(options, psprintf("a Kafka sink of \"%s\"", view),
				  "Options are librdkafka properties (CONFIGURATION.md).");

	if (meta_kafka_sink_exists(relid, topic))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("live view \"%s\" is already published to topic \"%s\"", view, topic)));
	meta_kafka_sink_register(relid, brokers, topic, format,
							 options ? JsonbPGetDatum(options) :
							 DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")),
							 GetUserId());
	HIDE_STATEMENT_END();
	PG_RETURN_VOID();
}

Datum
pathway_drop_sink(PG_FUNCTION_ARGS)
{
	char	   *view = arg_text(fcinfo, 0, "view");
	char	   *topic = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			relid = pathway_live_view(view);
	uint64		n;

	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, view);
	/* the second argument names a Kafka topic or an HTTP sink's URL */
	n = meta_kafka_sink_delete(relid, topic);
	n += meta_http_sink_delete(relid, topic);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("live view \"%s\" has no sink%s%s", view, topic ? " to " : "",
						topic ? topic : ""),
				 errhint("Sinks are listed in pathway.sinks.")));
	PG_RETURN_VOID();
}
