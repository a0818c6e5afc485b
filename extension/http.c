/*
 * http.c
 *	  create_http_source: the SQL face of HTTP sources (their rows:
 *	  meta/http.c; the worker's side: connectors/http_source.c).
 *
 * It runs in the caller's transaction and never waits for the worker: it
 * checks the URL (http or https, no credentials in it, a host that
 * pathway.http_allowed_hosts allows) and the options, creates the stream
 * table (owned by the caller) and registers the source; the engine worker
 * starts polling once that commits.  Not executable by PUBLIC (it makes the
 * server fetch URLs): a superuser grants it.  Its errors never quote a
 * header's value nor log the calling statement.
 *
 * Also create_http_sink (the worker's side: connectors/http_sink.c) and
 * http_request / http_get.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

#include "connectors/embed.h"
#include "connectors/http_call.h"
#include "connectors/http_client.h"
#include "connectors/http_options.h"
#include "extension/extension.h"
#include "meta/http.h"
#include "meta/meta.h"
#include "pathway.h"

PG_FUNCTION_INFO_V1(pathway_create_http_source);
PG_FUNCTION_INFO_V1(pathway_create_webhook_source);

static const char *const http_metadata_columns[] = {
	"http_poll", "http_index", "http_received_at", NULL
};

static char *
arg_text(FunctionCallInfo fcinfo, int i, const char *what)
{
	if (PG_ARGISNULL(i))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what)));
	return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

/* The column definitions: one list of columns, nothing else; their names. */
static List *
column_names(const char *columns)
{
	List	   *stmts = raw_parser(psprintf("CREATE TABLE pathway_check (%s)", columns), RAW_PARSE_DEFAULT);
	List	   *names = NIL;
	ListCell   *lc;

	if (list_length(stmts) != 1 || !IsA(((RawStmt *) linitial(stmts))->stmt, CreateStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid column definitions \"%s\"", columns),
				 errhint("Give column definitions as in CREATE TABLE, e.g. 'id int, name text'.")));
	foreach(lc, ((CreateStmt *) ((RawStmt *) linitial(stmts))->stmt)->tableElts)
	{
		Node	   *e = lfirst(lc);
		const char *const *m;

		if (!IsA(e, ColumnDef))
			continue;
		for (m = http_metadata_columns; *m; m++)
			if (strcmp(((ColumnDef *) e)->colname, *m) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column name \"%s\" is reserved for the record's metadata", *m),
						 errhint("Rename the column.")));
		names = lappend(names, ((ColumnDef *) e)->colname);
	}
	if (names == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a stream table needs at least one column")));
	return names;
}

static bool
has_name(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
		if (strcmp(lfirst(lc), name) == 0)
			return true;
	return false;
}

/*
 * The stream table (owned by the caller) and the source's registration,
 * for a poll source (url) or a webhook source (url NULL).
 */
static void
create_source(const char *name, const char *url, const char *format, const char *mode,
			  const char *columns, Jsonb *options, HttpOptions *po)
{
	HttpOptions o = *po;
	List	   *names;
	ListCell   *lc;
	RangeVar   *rv;
	char	   *qname;
	char	   *pk;
	Oid			relid;
	Oid			nspid;

	names = column_names(columns);
	foreach(lc, o.key)
		if (!has_name(names, lfirst(lc)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("key column \"%s\" is not among the columns", (char *) lfirst(lc))));

	rv = makeRangeVarFromNameList(stringToQualifiedNameList(name));
	if (OidIsValid(RangeVarGetRelid(rv, NoLock, true)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"%s\" already exists", name),
				 errhint("Choose another name for the stream table.")));
	nspid = RangeVarGetCreationNamespace(rv);
	if (rv->relpersistence == RELPERSISTENCE_TEMP || isAnyTempNamespace(nspid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a stream table cannot be a temporary table: \"%s\"", name),
				 errdetail("The engine worker fills the stream table from its own session."),
				 errhint("Name the table in a permanent schema, e.g. 'public.%s'.", rv->relname)));
	qname = rv->schemaname ? quote_qualified_identifier(rv->schemaname, rv->relname)
		: pstrdup(quote_identifier(rv->relname));
	if (o.key)
	{
		StringInfoData b;

		initStringInfo(&b);
		foreach(lc, o.key)
			appendStringInfo(&b, "%s%s", b.len ? ", " : "", quote_identifier(lfirst(lc)));
		pk = b.data;
	}
	else
		pk = "http_poll, http_index";

	SPI_connect();
	if (meta_source_name_taken(name))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("a source named \"%s\" already exists", name)));
	(void) meta_exec(psprintf("CREATE TABLE %s (%s, http_poll bigint NOT NULL, http_index int NOT NULL, "
							  "http_received_at timestamptz NOT NULL, PRIMARY KEY (%s))",
							  qname, columns, pk), 0, NULL, NULL, NULL, false, 0);
	relid = RangeVarGetRelid(rv, NoLock, false);
	if (get_rel_persistence(relid) != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a stream table cannot be a temporary table: \"%s\"", name),
				 errhint("Name the table in a permanent schema.")));
	meta_http_source_register(name, relid, url, format, mode,
							  options ? JsonbPGetDatum(options) :
							  DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")),
							  GetUserId());
	SPI_finish();
}

Datum
pathway_create_http_source(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *url;
	char	   *format;
	char	   *columns;
	Jsonb	   *options;
	HttpOptions o;
	char		err[512];
	int			f;

	HIDE_STATEMENT_BEGIN();
	name = arg_text(fcinfo, 0, "name");
	url = arg_text(fcinfo, 1, "url");
	format = arg_text(fcinfo, 2, "format");
	columns = arg_text(fcinfo, 3, "columns");
	options = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);
	pathway_check_setup();
	if ((f = http_format_from_name(format)) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown format \"%s\"", format),
				 errhint("Use json or ndjson (or sse, with mode stream).")));
	if (!http_options_url_ok(url, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("URL refused: %s", err)));
	if (!http_options_parse(options, &o, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid options for HTTP source \"%s\": %s", name, err),
				 errhint("The options are listed in docs/http.md.")));
	if (o.stream && f == HTTP_JSON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mode \"stream\" needs format ndjson or sse"),
				 errhint("A stream's body is one JSON record a line, or Server-Sent Events.")));
	if (!o.stream && f == HTTP_SSE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("format \"sse\" needs mode \"stream\""),
				 errhint("Pass options => '{\"mode\": \"stream\"}'.")));
	if (f == HTTP_NDJSON && (o.records || o.cursor_param))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options \"records\" and \"cursor_param\" need format json"),
				 errhint("With ndjson, paginate with \"link_next\".")));
	create_source(name, url, format, o.stream ? "stream" : "poll", columns, options, &o);
	HIDE_STATEMENT_END();
	PG_RETURN_VOID();
}

/*
 * create_webhook_source(name, columns, format, options): the same stream
 * table; the engine worker lands what is POSTed to /sources/<name> on the
 * listener (pathway.http_listen).  Not executable by PUBLIC (it opens the
 * server to requests from the network); the token in the options is never
 * quoted by an error nor logged with the statement.
 */
Datum
pathway_create_webhook_source(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *columns;
	char	   *format;
	Jsonb	   *options;
	HttpOptions o;
	char		err[512];
	int			f;

	HIDE_STATEMENT_BEGIN();
	name = arg_text(fcinfo, 0, "name");
	columns = arg_text(fcinfo, 1, "columns");
	format = arg_text(fcinfo, 2, "format");
	options = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	pathway_check_setup();
	if ((f = http_format_from_name(format)) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown format \"%s\"", format),
				 errhint("Use json or ndjson.")));
	if (!http_webhook_options_parse(options, &o, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid options for webhook source \"%s\": %s", name, err),
				 errhint("The options are listed in docs/http.md.")));
	if (f == HTTP_SSE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a webhook source takes format json or ndjson, not sse")));
	if (f == HTTP_NDJSON && o.records)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"records\" needs format json")));
	if (strlen(name) >= NAMEDATALEN || strpbrk(name, "/?#%\"\\ ") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a webhook source's name is part of its URL: \"%s\" is too long or has one of / ? # %% \" \\ or a space", name)));
	create_source(name, NULL, format, "webhook", columns, options, &o);
	HIDE_STATEMENT_END();
	PG_RETURN_VOID();
}

/* ---------- pathway.create_http_sink ---------- */

PG_FUNCTION_INFO_V1(pathway_create_http_sink);

/*
 * A sink of a live view the caller owns: the URL checked as a source's
 * (and again before every POST, by the worker), the options parsed; the
 * worker starts sending once this commits.  Not executable by PUBLIC.
 */
Datum
pathway_create_http_sink(PG_FUNCTION_ARGS)
{
	char	   *view;
	char	   *url;
	Jsonb	   *options;
	HttpSinkOptions o;
	char		err[512];
	Oid			relid;

	HIDE_STATEMENT_BEGIN();
	view = arg_text(fcinfo, 0, "view");
	url = arg_text(fcinfo, 1, "url");
	options = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	pathway_check_setup();
	relid = pathway_live_view(view);
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, view);
	if (!http_options_url_ok(url, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("URL refused: %s", err)));
	if (!http_sink_options_parse(options, &o, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid options for an HTTP sink of \"%s\": %s", view, err),
				 errhint("The options are listed in docs/http.md.")));
	if (meta_http_sink_exists(relid, url))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("live view \"%s\" already has an HTTP sink to this URL", view)));
	meta_http_sink_register(relid, url,
							options ? JsonbPGetDatum(options) :
							DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")),
							GetUserId());
	HIDE_STATEMENT_END();
	PG_RETURN_VOID();
}

/* ---------- pathway.http_request, pathway.http_get ---------- */

PG_FUNCTION_INFO_V1(pathway_http_request);
PG_FUNCTION_INFO_V1(pathway_http_get);

/*
 * One call.  In a plain query: made now, a failure an ERROR.  In the
 * engine worker (a live view): the answer its map's batch made ready, or
 * the memo's, or (a call the batch did not gather: under CASE, in a
 * filter) made now and memoized.  While check_view runs a view's query:
 * the memo's answer, which is what the view saw.
 */
static Datum
http_request(const char *method, const char *url, Jsonb *body, Jsonb *headers, bool *isnull)
{
	HttpRequest r;
	Jsonb	   *answer;

	http_call_prepare(&r, method, url, body, headers);
	if (pathway_in_worker)
	{
		if (!http_call_memo_get(r.digest, &answer))
		{
			http_call_answers(1, &r, embed_current_view ? embed_current_view : "?", &answer);
			http_call_memo_put(r.digest, answer);
		}
	}
	else if (!(http_call_read_memo && http_call_memoized(&r, &answer)))
		return http_call_now(&r, isnull);
	*isnull = answer == NULL;
	return answer ? JsonbPGetDatum(answer) : (Datum) 0;
}

Datum
pathway_http_request(PG_FUNCTION_ARGS)
{
	char	   *method;
	char	   *url;
	Datum		d;
	bool		isnull;

	HIDE_STATEMENT_BEGIN();
	method = arg_text(fcinfo, 0, "method");
	url = arg_text(fcinfo, 1, "url");
	d = http_request(method, url, PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2),
					 PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3), &isnull);
	HIDE_STATEMENT_END();
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(d);
}

Datum
pathway_http_get(PG_FUNCTION_ARGS)
{
	bool		isnull;
	Datum		d = http_request("GET", arg_text(fcinfo, 0, "url"), NULL, NULL, &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(d);
}
