/*
 * http_source.c
 *	  The request side of HTTP sources: each source has at most one request
 *	  out at a time, made by http_client.c's thread; its answer is landed in
 *	  the next epoch (http_land.c), and only once that epoch has committed
 *	  is the next request sent, from the committed starting point.  So a
 *	  crash at any moment repeats at most the request whose answer was not
 *	  committed: no record is lost, none lands twice.
 *
 * A chain of pages (a cursor that moved, a Link: rel="next") is asked for
 * at once, page after page; once it ends the source waits "interval".  A
 * pathway.sync() ticket is served when a chain that began after the ticket
 * was taken has ended (landed, or answered 304 Not Modified): sync() waits
 * for what the endpoint had at the call.  A source that waits for its
 * interval when a ticket comes asks at once.
 *
 * Memory: a source and its strings live in the context it was started in
 * (the worker's); requests are malloc'd (the thread reads them).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "connectors/http_client.h"
#include "connectors/http_options.h"
#include "connectors/http_source.h"
#include "pathway.h"

static void
set_status(HttpSource *s, const char *status, const char *error)
{
	strlcpy(s->status, status, sizeof(s->status));
	strlcpy(s->error, error ? error : "", sizeof(s->error));
}

static char *
keep(HttpSource *s, const char *text)
{
	return text ? MemoryContextStrdup(GetMemoryChunkContext(s), text) : NULL;
}

HttpSource *
http_source_start(const char *name, Oid relid, Oid owner, const char *url, const char *format,
				  Jsonb *options, int64 polls, const char *cursor, const char *next_url,
				  const char *etag, const char *etag_url, int wake_fd)
{
	HttpSource *s = palloc0(sizeof(HttpSource));
	char		err[256];

	s->name = pstrdup(name);
	s->relid = relid;
	s->owner = owner;
	s->url = pstrdup(url);
	s->format = (HttpFormat) http_format_from_name(format);
	s->polls = polls;
	s->cursor = keep(s, cursor);
	s->next_url = keep(s, next_url);
	s->etag = keep(s, etag);
	s->etag_url = keep(s, etag_url);
	set_status(s, "starting", NULL);
	initStringInfo(&s->batch);
	initStringInfo(&s->event);
	s->last_event_id = keep(s, cursor);	/* a stream resumes after the last event landed */
	if (!http_options_parse(options, &s->opt, err, sizeof(err)))
	{
		set_status(s, "failed", err);
		s->stopped = true;
		return s;
	}
	if (!http_client_start(wake_fd))
	{
		set_status(s, "error", "could not start the HTTP client's thread");
		s->stopped = true;
	}
	return s;
}

HttpSource *
http_webhook_start(const char *name, Oid relid, Oid owner, const char *format, Jsonb *options,
				   int64 polls)
{
	HttpSource *s = palloc0(sizeof(HttpSource));
	char		err[256];

	s->name = pstrdup(name);
	s->relid = relid;
	s->owner = owner;
	s->webhook = true;
	s->format = (HttpFormat) http_format_from_name(format);
	s->polls = polls;
	set_status(s, "running", NULL);
	if (!http_webhook_options_parse(options, &s->opt, err, sizeof(err)))
	{
		set_status(s, "failed", err);
		s->stopped = true;
	}
	return s;
}

void
http_source_stop(HttpSource *s)
{
	if (s->call)
		http_client_cancel(s->call);
	s->call = NULL;
	if (s->ended)
		http_call_free(s->ended);
	s->ended = NULL;
	/* (a webhook's body is the worker's, not the client thread's) */
	if (s->got && !s->webhook)
		http_call_free(s->got);
	s->got = NULL;
	s->stopped = true;
}

/* The URL the next request asks for (palloc'd). */
static char *
next_request_url(HttpSource *s)
{
	char	   *u;
	char	   *copy;

	if (s->next_url)
		return pstrdup(s->next_url);
	if (s->cursor == NULL || s->opt.cursor_param == NULL)
		return pstrdup(s->url);
	u = http_url_add_param(s->url, s->opt.cursor_param, s->cursor);
	if (u == NULL)
		return pstrdup(s->url);
	copy = pstrdup(u);
	free(u);
	return copy;
}

/*
 * Send the next request, at once or after the interval.  A request that
 * cannot be made (a URL the allowed hosts no longer allow, out of memory)
 * sets the status and is tried again after the interval.
 */
static void
submit(HttpSource *s, bool now, bool continues)
{
	char	   *url = next_request_url(s);
	char		err[HTTP_ERROR_LEN];
	HttpCall   *c;
	char	  **lines;
	int			n = 0;
	ListCell   *lc;

	/* a new chain starts after every ticket taken so far: it serves them */
	if (!continues)
		s->call_ticket = s->sync_requested;
	s->call_continues = continues;
	if (!http_url_check(url, pathway_http_allowed_hosts, err, sizeof(err)))
	{
		set_status(s, "error", err);
		pfree(url);
		return;
	}
	c = http_call_new("GET", url);
	lines = palloc(sizeof(char *) * (list_length(s->opt.headers) + 2));
	foreach(lc, s->opt.headers)
		lines[n++] = lfirst(lc);
	lines[n++] = "Accept: application/json, application/x-ndjson";
	if (s->etag && s->etag_url && strcmp(s->etag_url, url) == 0)
		lines[n++] = psprintf("If-None-Match: %s", s->etag);
	/* (the lines are copied: what is palloc'd here is freed before leaving) */
	if (c == NULL || !http_call_set_headers(c, lines, n) ||
		(c->allowed_hosts = strdup(pathway_http_allowed_hosts ? pathway_http_allowed_hosts : "")) == NULL)
	{
		http_call_free(c);
		set_status(s, "error", "out of memory for a request");
		if (n > list_length(s->opt.headers) + 1)
			pfree(lines[n - 1]);
		pfree(lines);
		pfree(url);
		return;
	}
	if (n > list_length(s->opt.headers) + 1)
		pfree(lines[n - 1]);
	pfree(lines);
	c->timeout_ms = s->opt.timeout_ms;
	c->connect_timeout_ms = s->opt.connect_timeout_ms;
	c->retries = s->opt.retries;
	c->backoff_ms = s->opt.retry_backoff_ms;
	c->max_bytes = (size_t) s->opt.max_response_bytes;
	c->max_redirects = s->opt.max_redirects;
	c->not_before_ms = now ? 0 : http_now_ms() + s->opt.interval_ms;
	c->tag = s;
	if (s->call_url)
		pfree(s->call_url);
	s->call_url = keep(s, url);
	pfree(url);
	s->call = c;
	http_client_submit(c);
}

/* A chain of pages ended: the tickets taken before it began are served. */
static void
chain_ended(HttpSource *s)
{
	s->sync_served = Max(s->sync_served, s->call_ticket);
}

int
http_sources_poll(List *sources)
{
	HttpCall   *done = http_client_take_done();
	ListCell   *lc;
	int			n = 0;

	while (done)
	{
		HttpCall   *c = done;
		bool		mine = false;

		done = c->next;
		c->next = NULL;
		foreach(lc, sources)
		{
			HttpSource *s = lfirst(lc);

			if (s->call == c)
			{
				s->call = NULL;
				if (s->opt.stream)
					s->ended = c;
				else
					s->got = c;
				mine = true;
			}
		}
		if (!mine)
			http_call_free(c);
	}
	foreach(lc, sources)
	{
		HttpSource *s = lfirst(lc);
		HttpCall   *c = s->got;

		if (s->stopped || s->webhook)
			continue;
		if (s->opt.stream)
		{
			n += http_stream_source_poll(s);
			continue;
		}
		if (c && c->ok && c->status >= 200 && c->status < 300)
		{
			n++;
			continue;
		}
		if (c)
		{
			if (!c->ok)
				set_status(s, "error", c->error);
			else if (c->status == 304)
			{
				set_status(s, "running", NULL);
				chain_ended(s);
			}
			else
			{
				char		e[64];

				snprintf(e, sizeof(e), "HTTP status %ld", c->status);
				set_status(s, "error", e);
			}
			http_call_free(c);
			s->got = NULL;
			/* a failed page: the chain starts again from the committed state */
			submit(s, false, false);
		}
		else if (s->call == NULL)
			submit(s, strcmp(s->status, "starting") == 0, false);	/* a (re)start asks at once */
		else if (!s->call_continues && s->sync_requested > s->sync_served &&
				 s->call->not_before_ms > http_now_ms())
		{
			/* sync() waits: ask now instead of after the interval */
			http_client_cancel(s->call);
			s->call = NULL;
			submit(s, true, false);
		}
	}
	return n;
}

static void
replace(HttpSource *s, char **field, char *value)
{
	if (*field)
		pfree(*field);
	*field = keep(s, value);
}

void
http_source_landed(HttpSource *s)
{
	if (!s->land_done)
		return;
	if (s->opt.stream)
	{
		http_stream_source_landed(s);
		return;
	}
	s->land_done = false;
	s->polls = s->new_polls;
	replace(s, &s->cursor, s->new_cursor);
	replace(s, &s->next_url, s->new_next_url);
	replace(s, &s->etag, s->new_etag);
	replace(s, &s->etag_url, s->new_etag_url);
	s->new_cursor = s->new_next_url = s->new_etag = s->new_etag_url = NULL;
	if (s->got)
		http_call_free(s->got);
	s->got = NULL;
	if (s->stopped || s->webhook)
		return;
	if (s->more)
		submit(s, true, true);
	else
	{
		chain_ended(s);
		submit(s, false, false);
	}
}
