/*
 * http_options.c
 *	  The options of HTTP sources (http_options.h): one parser for the
 *	  creating backend and the worker.
 *
 * Memory: the current context.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "connectors/http_client.h"
#include "connectors/http_options.h"
#include "pathway.h"

int
http_format_from_name(const char *name)
{
	if (strcmp(name, "json") == 0)
		return HTTP_JSON;
	if (strcmp(name, "ndjson") == 0)
		return HTTP_NDJSON;
	if (strcmp(name, "sse") == 0)
		return HTTP_SSE;
	return -1;
}

bool
http_options_url_ok(const char *url, char *err, size_t errlen)
{
	return http_url_check(url, pathway_http_allowed_hosts, err, errlen);
}

/* A dotted path ("data.items") as its parts; NIL and false if malformed. */
static bool
parse_path(const char *text, List **path)
{
	char	   *copy = pstrdup(text);
	char	   *p = copy;

	*path = NIL;
	for (;;)
	{
		char	   *dot = strchr(p, '.');

		if (dot)
			*dot = '\0';
		if (*p == '\0')
			return false;
		*path = lappend(*path, pstrdup(p));
		if (!dot)
			return true;
		p = dot + 1;
	}
}

static bool
number_of(JsonbValue *v, int64 min, int64 max, int64 *out)
{
	int64		n;

	if (v->type != jbvNumeric)
		return false;
	n = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(v->val.numeric)));
	if (n < min || n > max)
		return false;
	*out = n;
	return true;
}

static char *
string_of(JsonbValue *v)
{
	return v->type == jbvString ? pnstrdup(v->val.string.val, v->val.string.len) : NULL;
}

/* RFC 9110 token characters */
static bool
is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char) *s) || strchr("!#$%&'*+-.^_`|~", *s)))
			return false;
	return true;
}

/* "30s", "500ms", "2min", "1h", or a number of seconds */
static bool
interval_of(JsonbValue *v, int64 *ms)
{
	char	   *s,
			   *end;
	double		n;

	if (v->type == jbvNumeric)
	{
		n = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
		*ms = (int64) (n * 1000);
		return n > 0 && n <= 86400;
	}
	if ((s = string_of(v)) == NULL)
		return false;
	n = strtod(s, &end);
	if (end == s || n <= 0)
		return false;
	while (*end == ' ')
		end++;
	if (strcmp(end, "ms") == 0)
		n /= 1000;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		;
	else if (strcmp(end, "min") == 0)
		n *= 60;
	else if (strcmp(end, "h") == 0)
		n *= 3600;
	else
		return false;
	*ms = (int64) (n * 1000);
	return n <= 86400;
}

/*
 * The "headers" object as "Name: value" lines appended to *lines; reserved
 * names (besides those of every request) are refused.
 */
static bool
parse_headers(JsonbValue *v, List **lines, const char *const *reserved, char *err, size_t errlen)
{
	JsonbIterator *it;
	JsonbValue	k,
				val;
	JsonbIteratorToken tok;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
	{
		snprintf(err, errlen, "option \"headers\" must be an object of names and string values");
		return false;
	}
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *name,
				   *value;

		if (tok != WJB_KEY)
			continue;
		name = pnstrdup(k.val.string.val, k.val.string.len);
		tok = JsonbIteratorNext(&it, &val, true);
		if (!is_token(name))
		{
			snprintf(err, errlen, "header name \"%.60s\" is not a valid HTTP token", name);
			return false;
		}
		if ((value = string_of(&val)) == NULL || strpbrk(value, "\r\n") != NULL)
		{
			/* never the value: it may be a secret */
			snprintf(err, errlen, "header \"%.60s\" must have a string value without line breaks", name);
			return false;
		}
		if (pg_strcasecmp(name, "Host") == 0 || pg_strcasecmp(name, "Content-Length") == 0 ||
			pg_strcasecmp(name, "Transfer-Encoding") == 0)
		{
			snprintf(err, errlen, "header \"%.60s\" is set by pathway", name);
			return false;
		}
		for (; reserved && *reserved; reserved++)
			if (pg_strcasecmp(name, *reserved) == 0)
			{
				snprintf(err, errlen, "header \"%.60s\" is set by pathway", name);
				return false;
			}
		*lines = lappend(*lines, psprintf("%s: %s", name, value));
	}
	return true;
}

static bool
parse_key(JsonbValue *v, HttpOptions *o)
{
	char	   *s = string_of(v);

	if (s)
	{
		o->key = list_make1(s);
		return *s != '\0';
	}
	if (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data))
	{
		JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
		JsonbValue	e;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		{
			if (tok != WJB_ELEM)
				continue;
			if ((s = string_of(&e)) == NULL || *s == '\0')
				return false;
			o->key = lappend(o->key, s);
		}
		return o->key != NIL;
	}
	return false;
}

static const char *const source_reserved[] = {"If-None-Match", NULL};
static const char *const sink_reserved[] = {"Content-Type", "Idempotency-Key", NULL};

bool
http_options_parse(Jsonb *options, HttpOptions *o, char *err, size_t errlen)
{
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;

	memset(o, 0, sizeof(*o));
	o->interval_ms = 10000;
	o->timeout_ms = 10000;
	o->connect_timeout_ms = 5000;
	o->retries = 3;
	o->retry_backoff_ms = 500;
	o->max_response_bytes = 8 * 1024 * 1024;
	o->max_redirects = 5;
	o->max_line_bytes = 1024 * 1024;
	o->max_buffer_bytes = 8 * 1024 * 1024;
	o->idle_timeout_ms = 60000;
	if (options == NULL)
		return true;
	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
	{
		snprintf(err, errlen, "options must be a JSON object");
		return false;
	}
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *name;
		char	   *s;
		int64		n;
		bool		ok = true;

		if (tok != WJB_KEY)
			continue;
		name = pnstrdup(k.val.string.val, k.val.string.len);
		(void) JsonbIteratorNext(&it, &v, true);
		if (strcmp(name, "mode") == 0)
		{
			s = string_of(&v);
			ok = s && (strcmp(s, "poll") == 0 || strcmp(s, "stream") == 0);
			o->stream = ok && strcmp(s, "stream") == 0;
		}
		else if (strcmp(name, "interval") == 0)
			ok = interval_of(&v, &o->interval_ms) && o->interval_ms >= 100 && (o->interval_given = true);
		else if (strcmp(name, "max_line_bytes") == 0)
			ok = number_of(&v, 16, 64 * 1024 * 1024, &o->max_line_bytes);
		else if (strcmp(name, "max_buffer_bytes") == 0)
			ok = number_of(&v, 1024, (int64) 1024 * 1024 * 1024, &o->max_buffer_bytes);
		else if (strcmp(name, "idle_timeout_ms") == 0)
			ok = number_of(&v, 1000, 3600000, &n) && ((o->idle_timeout_ms = n) || true);
		else if (strcmp(name, "records") == 0)
			ok = (s = string_of(&v)) != NULL && parse_path(s, &o->records);
		else if (strcmp(name, "cursor_param") == 0)
			ok = (o->cursor_param = string_of(&v)) != NULL && *o->cursor_param != '\0';
		else if (strcmp(name, "cursor_path") == 0)
			ok = (s = string_of(&v)) != NULL && parse_path(s, &o->cursor_path);
		else if (strcmp(name, "cursor_field") == 0)
			ok = (o->cursor_field = string_of(&v)) != NULL && *o->cursor_field != '\0';
		else if (strcmp(name, "link_next") == 0)
			ok = v.type == jbvBool && ((o->link_next = v.val.boolean) || true);
		else if (strcmp(name, "key") == 0)
			ok = parse_key(&v, o);
		else if (strcmp(name, "headers") == 0)
		{
			if (!parse_headers(&v, &o->headers, source_reserved, err, errlen))
				return false;
		}
		else if (strcmp(name, "timeout_ms") == 0)
			ok = number_of(&v, 100, 600000, &n) && ((o->timeout_ms = n) || true);
		else if (strcmp(name, "connect_timeout_ms") == 0)
			ok = number_of(&v, 100, 600000, &n) && ((o->connect_timeout_ms = n) || true);
		else if (strcmp(name, "retries") == 0)
			ok = number_of(&v, 0, 100, &n) && ((o->retries = n) || true);
		else if (strcmp(name, "retry_backoff_ms") == 0)
			ok = number_of(&v, 1, 60000, &n) && ((o->retry_backoff_ms = n) || true);
		else if (strcmp(name, "max_response_bytes") == 0)
			ok = number_of(&v, 1, (int64) 1024 * 1024 * 1024, &o->max_response_bytes);
		else if (strcmp(name, "max_redirects") == 0)
			ok = number_of(&v, 0, 20, &n) && ((o->max_redirects = n) || true);
		else
		{
			snprintf(err, errlen, "unknown option \"%.60s\"", name);
			return false;
		}
		if (!ok)
		{
			snprintf(err, errlen, "invalid value for option \"%.60s\"", name);
			return false;
		}
	}
	if (o->cursor_param && !o->cursor_path && !o->cursor_field)
	{
		snprintf(err, errlen, "option \"cursor_param\" needs \"cursor_path\" or \"cursor_field\"");
		return false;
	}
	if ((o->cursor_path || o->cursor_field) && !o->cursor_param)
	{
		snprintf(err, errlen, "options \"cursor_path\" and \"cursor_field\" need \"cursor_param\"");
		return false;
	}
	if (o->cursor_path && o->cursor_field)
	{
		snprintf(err, errlen, "give \"cursor_path\" or \"cursor_field\", not both");
		return false;
	}
	if (o->stream && (o->cursor_param || o->records || o->link_next || o->interval_given))
	{
		snprintf(err, errlen, "options \"cursor_param\", \"records\", \"link_next\" and \"interval\" are for mode \"poll\"");
		return false;
	}
	return true;
}

bool
http_sink_options_parse(Jsonb *options, HttpSinkOptions *o, char *err, size_t errlen)
{
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;

	memset(o, 0, sizeof(*o));
	o->batch = HTTP_SINK_EPOCH;
	o->timeout_ms = 10000;
	o->connect_timeout_ms = 5000;
	o->retries = 3;
	o->retry_backoff_ms = 500;
	o->max_batch_rows = 1000;
	if (options == NULL)
		return true;
	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
	{
		snprintf(err, errlen, "options must be a JSON object");
		return false;
	}
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *name;
		char	   *s;
		int64		n;
		bool		ok = true;

		if (tok != WJB_KEY)
			continue;
		name = pnstrdup(k.val.string.val, k.val.string.len);
		(void) JsonbIteratorNext(&it, &v, true);
		if (strcmp(name, "batch") == 0)
		{
			s = string_of(&v);
			ok = s && (strcmp(s, "epoch") == 0 || strcmp(s, "change") == 0);
			if (ok)
				o->batch = strcmp(s, "epoch") == 0 ? HTTP_SINK_EPOCH : HTTP_SINK_CHANGE;
		}
		else if (strcmp(name, "headers") == 0)
		{
			if (!parse_headers(&v, &o->headers, sink_reserved, err, errlen))
				return false;
		}
		else if (strcmp(name, "timeout") == 0)
			ok = interval_of(&v, &n) && n >= 100 && n <= 600000 && ((o->timeout_ms = n) || true);
		else if (strcmp(name, "connect_timeout_ms") == 0)
			ok = number_of(&v, 100, 600000, &n) && ((o->connect_timeout_ms = n) || true);
		else if (strcmp(name, "retries") == 0)
			ok = number_of(&v, 0, 100, &n) && ((o->retries = n) || true);
		else if (strcmp(name, "retry_backoff_ms") == 0)
			ok = number_of(&v, 1, 60000, &n) && ((o->retry_backoff_ms = n) || true);
		else if (strcmp(name, "max_batch_rows") == 0)
			ok = number_of(&v, 1, 100000, &n) && ((o->max_batch_rows = n) || true);
		else
		{
			snprintf(err, errlen, "unknown option \"%.60s\"", name);
			return false;
		}
		if (!ok)
		{
			snprintf(err, errlen, "invalid value for option \"%.60s\"", name);
			return false;
		}
	}
	return true;
}

bool
http_webhook_options_parse(Jsonb *options, HttpOptions *o, char *err, size_t errlen)
{
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;

	memset(o, 0, sizeof(*o));
	o->max_body_bytes = 1024 * 1024;
	if (options == NULL)
		return true;
	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
	{
		snprintf(err, errlen, "options must be a JSON object");
		return false;
	}
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *name;
		char	   *s;
		bool		ok = true;

		if (tok != WJB_KEY)
			continue;
		name = pnstrdup(k.val.string.val, k.val.string.len);
		(void) JsonbIteratorNext(&it, &v, true);
		if (strcmp(name, "records") == 0)
			ok = (s = string_of(&v)) != NULL && parse_path(s, &o->records);
		else if (strcmp(name, "key") == 0)
			ok = parse_key(&v, o);
		else if (strcmp(name, "token") == 0)
		{
			/* visible characters only: it is compared with a header's value */
			ok = (o->token = string_of(&v)) != NULL && strlen(o->token) >= 16 &&
				strlen(o->token) <= 256;
			for (s = o->token; ok && *s; s++)
				ok = *s > ' ' && *s < 127;
			if (!ok)
			{
				/* never the value */
				snprintf(err, errlen, "option \"token\" must be a string of 16 to 256 visible ASCII characters");
				return false;
			}
		}
		else if (strcmp(name, "max_body_bytes") == 0)
			ok = number_of(&v, 1, (int64) 64 * 1024 * 1024, &o->max_body_bytes);
		else
		{
			snprintf(err, errlen, "unknown option \"%.60s\" for a webhook source", name);
			return false;
		}
		if (!ok)
		{
			snprintf(err, errlen, "invalid value for option \"%.60s\"", name);
			return false;
		}
	}
	return true;
}
