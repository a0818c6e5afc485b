/*
 * http_stream_source.c
 *	  Mode 'stream' of HTTP sources: one long-lived GET whose body is NDJSON
 *	  or Server-Sent Events, landed as it arrives.
 *
 * The HTTP client's thread cuts the body into lines (http_stream.c) and
 * wakes the worker; here, in the worker and outside any transaction, the
 * lines become records: an NDJSON line is one, an SSE event's data
 * (its data lines joined by a space) is one, with its id kept.  The
 * records received since the last landing are one batch, landed in the
 * next epoch by http_land.c as an NDJSON body (http_poll numbers the
 * batches), together with the id of its last event as the source's cursor
 * (pathway.http_source_state).  So a restart reconnects with Last-Event-ID
 * set to the last id committed: what was received and not committed is
 * sent again by the server, what was committed is not.  A reconnect
 * within the same worker sends the last id received (every record
 * received is landed by this worker, or lost with it and sent again).
 * NDJSON has no ids: a reconnect resumes from what the server sends.
 *
 * A line longer than max_line_bytes, or not valid in the database's
 * encoding, is a dead letter (its first max_line_bytes), and the stream
 * goes on.  A stream that ends or fails is opened again after a backoff
 * (retry_backoff_ms doubling with each connection in a row that brought
 * no line, at most 60 s, times a random factor in [0.5, 1.5)).
 *
 * Memory: the batch and the event being received live in the source's
 * context (the worker's); lines from the thread are malloc'd and freed here.
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "connectors/http_client.h"
#include "connectors/http_options.h"
#include "connectors/http_source.h"
#include "pathway.h"

#define STREAM_BACKOFF_MAX_MS 60000

static void
set_status(HttpSource *s, const char *status, const char *error)
{
	strlcpy(s->status, status, sizeof(s->status));
	strlcpy(s->error, error ? error : "", sizeof(s->error));
}

static void
dead_line(HttpSource *s, const char *text, size_t len, char *error)
{
	MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(s));
	HttpDeadLine *d = palloc(sizeof(HttpDeadLine));

	d->text = pnstrdup(text, len);
	d->len = len;
	d->error = pstrdup(error);
	s->batch_dead = lappend(s->batch_dead, d);
	MemoryContextSwitchTo(old);
	pfree(error);
}

/* One record's text (a line, an event's data) into the batch, or a dead letter. */
static void
add_record(HttpSource *s, const char *text, size_t len, size_t total)
{
	size_t		i;

	if (total > len)
	{
		dead_line(s, text, len,
				  psprintf("line of %zu bytes exceeds max_line_bytes (%lld): the dead letter holds its first %zu bytes",
						   total, (long long) s->opt.max_line_bytes, len));
		return;
	}
	if (!pg_verify_mbstr(GetDatabaseEncoding(), text, (int) len, true))
	{
		dead_line(s, text, len, psprintf("line is not valid in the database's encoding"));
		return;
	}
	for (i = 0; i < len && isspace((unsigned char) text[i]); i++)
		;
	if (i == len)
		return;					/* blank */
	appendBinaryStringInfo(&s->batch, text, (int) len);
	appendStringInfoChar(&s->batch, '\n');
	s->batch_lines++;
}

static void
forget_event(HttpSource *s)
{
	resetStringInfo(&s->event);
	s->event_data = false;
	s->event_cut = 0;
	if (s->pending_id)
		pfree(s->pending_id);
	s->pending_id = NULL;
}

static char *
keep(HttpSource *s, const char *text)
{
	return text ? MemoryContextStrdup(GetMemoryChunkContext(s), text) : NULL;
}

/* One line of an event stream (the text/event-stream format). */
static void
sse_line(HttpSource *s, HttpStreamLine *l)
{
	const char *colon;
	const char *value;
	size_t		flen,
				vlen;

	if (l->total == 0)
	{
		/* a blank line dispatches the event */
		if (s->event_data)
			add_record(s, s->event.data, s->event.len,
					   s->event_cut ? s->event_cut : (size_t) s->event.len);
		if (s->pending_id)
		{
			if (s->last_event_id)
				pfree(s->last_event_id);
			s->last_event_id = keep(s, s->pending_id);
			if (s->batch_cursor)
				pfree(s->batch_cursor);
			s->batch_cursor = keep(s, s->pending_id);
		}
		forget_event(s);
		return;
	}
	if (l->data[0] == ':')
		return;					/* a comment */
	colon = memchr(l->data, ':', l->len);
	flen = colon ? (size_t) (colon - l->data) : l->len;
	value = colon ? colon + 1 : l->data + l->len;
	if (*value == ' ')
		value++;
	vlen = l->len - (value - l->data);
	if (flen == 4 && strncmp(l->data, "data", 4) == 0)
	{
		size_t		seen = (s->event_cut ? s->event_cut : (size_t) s->event.len) +
			(s->event_data ? 1 : 0) + (l->total - (value - l->data));

		if (l->total > l->len || seen > (size_t) s->opt.max_line_bytes)
			s->event_cut = seen;
		else
		{
			if (s->event_data)
				appendStringInfoChar(&s->event, ' ');
			appendBinaryStringInfo(&s->event, value, (int) vlen);
		}
		s->event_data = true;
	}
	else if (flen == 2 && strncmp(l->data, "id", 2) == 0)
	{
		/* an id with a NUL or a CR could not go back in a header: ignored */
		if (l->total == l->len && memchr(value, '\0', vlen) == NULL && memchr(value, '\r', vlen) == NULL)
		{
			if (s->pending_id)
				pfree(s->pending_id);
			s->pending_id = MemoryContextStrdup(GetMemoryChunkContext(s), value);
		}
	}
	/* "event", "retry" and other fields: not used */
}

static void
take_lines(HttpSource *s, HttpCall *c)
{
	HttpStreamLine *lines = http_stream_take(c);
	HttpStreamLine *l;

	for (l = lines; l; l = l->next)
	{
		s->conn_lines++;
		if (s->format == HTTP_SSE)
			sse_line(s, l);
		else
			add_record(s, l->data, l->len, l->total);
	}
	/* lines came, or a 2xx answer began: the stream is up */
	if (lines || (strcmp(s->status, "running") != 0 && http_stream_is_open(c)))
		set_status(s, "running", NULL);
	http_stream_free(lines);
}

/* The connection ended: the next one after a backoff. */
static void
stream_ended(HttpSource *s, HttpCall *c)
{
	int64		backoff = s->opt.retry_backoff_ms;
	char		e[HTTP_ERROR_LEN];
	int			i;

	if (!c->ok)
		snprintf(e, sizeof(e), "the stream failed: %s", c->error);
	else if (c->status < 200 || c->status >= 300)
		snprintf(e, sizeof(e), "the stream failed: HTTP status %ld", c->status);
	else
		snprintf(e, sizeof(e), "the stream ended; it is opened again");
	set_status(s, "error", e);
	/* an incomplete event is forgotten (the server sends it again) */
	forget_event(s);
	if (s->conn_lines > 0)
		s->stream_fails = 0;
	s->stream_fails++;
	for (i = 1; i < s->stream_fails && backoff < STREAM_BACKOFF_MAX_MS; i++)
		backoff *= 2;
	backoff = Min(backoff, STREAM_BACKOFF_MAX_MS);
	s->stream_retry_ms = http_now_ms() + (int64_t) (backoff * (0.5 + pg_prng_double(&pg_global_prng_state)));
}

/* Open the stream (at once, or once the backoff has passed). */
static void
stream_submit(HttpSource *s)
{
	char		err[HTTP_ERROR_LEN];
	HttpCall   *c;
	char	  **lines;
	int			n = 0;
	ListCell   *lc;

	if (http_now_ms() < s->stream_hold_ms)
		return;					/* the loop comes back: its wait is at most 1 s with sources */
	if (!http_url_check(s->url, pathway_http_allowed_hosts, err, sizeof(err)))
	{
		set_status(s, "error", err);
		s->stream_fails++;
		s->stream_hold_ms = http_now_ms() + STREAM_BACKOFF_MAX_MS / 6;
		return;
	}
	c = http_call_new("GET", s->url);
	lines = palloc(sizeof(char *) * (list_length(s->opt.headers) + 2));
	foreach(lc, s->opt.headers)
		lines[n++] = lfirst(lc);
	lines[n++] = s->format == HTTP_SSE ? "Accept: text/event-stream" : "Accept: application/x-ndjson";
	if (s->format == HTTP_SSE && s->last_event_id)
		lines[n++] = psprintf("Last-Event-ID: %s", s->last_event_id);
	if (c == NULL || !http_call_set_headers(c, lines, n) ||
		(c->allowed_hosts = strdup(pathway_http_allowed_hosts ? pathway_http_allowed_hosts : "")) == NULL)
	{
		http_call_free(c);
		set_status(s, "error", "out of memory for a request");
		s->stream_hold_ms = http_now_ms() + 1000;
		pfree(lines);
		return;
	}
	pfree(lines);
	c->stream = true;
	c->max_line = (size_t) s->opt.max_line_bytes;
	c->max_buffered = (size_t) s->opt.max_buffer_bytes;
	c->idle_timeout_ms = s->opt.idle_timeout_ms;
	c->connect_timeout_ms = s->opt.connect_timeout_ms;
	c->max_bytes = (size_t) s->opt.max_response_bytes;	/* a body that is no stream (an error) */
	c->retries = 0;				/* the source reconnects, with its own backoff */
	c->max_redirects = s->opt.max_redirects;
	c->tag = s;
	c->not_before_ms = s->stream_retry_ms;	/* the thread waits out the backoff */
	s->conn_lines = 0;
	s->call = c;
	http_client_submit(c);
}

int
http_stream_source_poll(HttpSource *s)
{
	HttpCall   *g;
	char		err[HTTP_ERROR_LEN];

	if (s->got)
		return 1;				/* a batch waits for its epoch */
	if (s->call)
		take_lines(s, s->call);
	if (s->call && !http_url_check(s->url, pathway_http_allowed_hosts, err, sizeof(err)))
	{
		/* the allowed hosts were narrowed: an open stream is closed too */
		http_client_cancel(s->call);
		s->call = NULL;
		forget_event(s);
		set_status(s, "error", err);
		s->stream_fails++;
		s->stream_hold_ms = http_now_ms() + STREAM_BACKOFF_MAX_MS / 6;
	}
	if (s->ended)
	{
		HttpCall   *c = s->ended;

		take_lines(s, c);
		s->ended = NULL;
		stream_ended(s, c);
		http_call_free(c);
	}
	if (s->batch_lines > 0 || s->batch_dead != NIL ||
		(s->batch_cursor && (s->cursor == NULL || strcmp(s->batch_cursor, s->cursor) != 0)))
	{
		/* the batch, as an answer to land */
		g = http_call_new("GET", s->url);
		if (g == NULL || (g->resp = malloc(s->batch.len + 1)) == NULL)
		{
			http_call_free(g);
			return 0;			/* tried again at the next loop */
		}
		memcpy(g->resp, s->batch.data, s->batch.len + 1);
		g->resp_len = s->batch.len;
		g->ok = true;
		g->status = 200;
		s->got = g;
		s->land_dead = s->batch_dead;
		s->batch_dead = NIL;
		if (s->stream_cursor)
			pfree(s->stream_cursor);
		s->stream_cursor = keep(s, s->batch_cursor ? s->batch_cursor : s->cursor);
		resetStringInfo(&s->batch);
		s->batch_lines = 0;
		/* sync(): the tickets taken so far are served once this lands */
		s->call_ticket = s->sync_requested;
		return 1;
	}
	/* nothing waits: what the open stream delivered is in the views */
	if (s->call && strcmp(s->status, "running") == 0)
		s->sync_served = Max(s->sync_served, s->sync_requested);
	if (s->call == NULL)
		stream_submit(s);
	return 0;
}

void
http_stream_source_landed(HttpSource *s)
{
	ListCell   *lc;

	s->land_done = false;
	s->polls = s->new_polls;
	if (s->cursor)
		pfree(s->cursor);
	s->cursor = keep(s, s->new_cursor);
	s->new_cursor = NULL;
	if (s->got)
		http_call_free(s->got);
	s->got = NULL;
	foreach(lc, s->land_dead)
	{
		HttpDeadLine *d = lfirst(lc);

		pfree(d->text);
		pfree(d->error);
		pfree(d);
	}
	list_free(s->land_dead);
	s->land_dead = NIL;
	s->sync_served = Max(s->sync_served, s->call_ticket);
}
