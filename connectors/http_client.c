/*
 * http_client.c
 *	  The engine worker's HTTP requests: one helper thread drives a libcurl
 *	  multi handle (see http_client.h).
 *
 * Threads: the worker submits and takes calls under one pthread mutex; the
 * thread sleeps in curl_multi_poll (woken by curl_multi_wakeup on every
 * submission, or when the next retry is due), never spins, keeps every
 * signal blocked and calls only libcurl and libc.  It tells the worker that
 * calls are done by writing a byte to the worker's wake pipe (the worker's
 * loop waits on it).
 *
 * Safety, for every call and every attempt: only http and https (libcurl is
 * told so, for the request and for redirects); redirects are never followed
 * by libcurl: the thread checks each Location with http_url_check (scheme,
 * no credentials, pathway.http_allowed_hosts) before it follows it, up to
 * max_redirects; no proxy from the environment; the body is bounded by
 * max_bytes (after decompression); the whole attempt by timeout_ms.  A
 * stream call's 2xx body is not kept but cut into lines (http_stream.c),
 * bounded by max_line and max_buffered, and ended by idle_timeout_ms of
 * silence instead of timeout_ms.
 * Retried: transport errors, timeouts, 429 and 5xx, after backoff_ms
 * doubling per attempt (at most 30 s), times a random factor in [0.5, 1.5).
 *
 * Memory: every HttpCall and what it points at is malloc'd.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "connectors/http_client.h"

#define BACKOFF_MAX_MS 30000
#define POLL_MAX_MS 1000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool started = false;
static int	wake_fd = -1;
/*
 * A multi handle and its calls: the helper thread's (shared, under the
 * lock), or one synchronous call's (http_sync_*, the caller's only).
 */
typedef struct HttpEngine
{
	CURLM	   *multi;
	HttpCall   *waiting;		/* for their time */
	HttpCall   *running;		/* in the multi handle */
	HttpCall   *done_list;		/* finished */
	int			ndone;			/* calls put on done_list, ever */
	int			max_running;	/* at most this many in the multi handle (0: any) */
	bool		any_finished;	/* done_list got a call: wake the worker */
	unsigned int seed;			/* the retries' jitter (each engine its own: threads) */
} HttpEngine;

static HttpEngine shared;
static HttpCall *submitted = NULL;	/* new, from the worker */
static bool any_cancelled = false;	/* some call of the thread's has cancel set */

int64_t
http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- URLs ---------- */

static bool
host_allowed(const char *host, const char *port, const char *allowed)
{
	const char *p = allowed;

	if (allowed == NULL)
		return true;
	while (*p == ' ' || *p == ',')
		p++;
	if (*p == '\0')
		return true;
	while (*p)
	{
		const char *end = p;
		char		entry[256];
		size_t		len;
		char	   *colon;

		while (*end && *end != ',')
			end++;
		len = end - p;
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len > 0 && len < sizeof(entry))
		{
			memcpy(entry, p, len);
			entry[len] = '\0';
			colon = strrchr(entry, ':');
			/* "host:port" (a bracketed IPv6 address keeps its colons) */
			if (colon && strchr(colon, ']') == NULL && colon[1] != '\0')
			{
				*colon = '\0';
				if (strcasecmp(entry, host) == 0 && port && strcmp(colon + 1, port) == 0)
					return true;
			}
			else if (strcasecmp(entry, host) == 0)
				return true;
		}
		p = end;
		while (*p == ' ' || *p == ',')
			p++;
	}
	return false;
}

bool
http_url_check(const char *url, const char *allowed_hosts, char *err, size_t errlen)
{
	CURLU	   *u = curl_url();
	char	   *scheme = NULL,
			   *host = NULL,
			   *port = NULL,
			   *user = NULL,
			   *password = NULL;
	bool		ok = false;

	if (u == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return false;
	}
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		snprintf(err, errlen, "invalid URL");
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
			 (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0))
		snprintf(err, errlen, "URL scheme \"%.20s\" is not allowed: only http and https",
				 scheme ? scheme : "");
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0')
		snprintf(err, errlen, "URL has no host");
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
			 curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
		snprintf(err, errlen, "URL must not hold a user name or password (give credentials in headers)");
	else
	{
		(void) curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
		if (!host_allowed(host, port, allowed_hosts))
			snprintf(err, errlen, "host \"%.100s\" is not in pathway.http_allowed_hosts", host);
		else
			ok = true;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(u);
	return ok;
}

bool
http_same_origin(const char *a, const char *b)
{
	CURLU	   *ua = curl_url(),
			   *ub = curl_url();
	CURLUPart	parts[3] = {CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT};
	bool		same = ua && ub &&
		curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
		curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK;
	int			i;

	for (i = 0; i < 3 && same; i++)
	{
		char	   *x = NULL,
				   *y = NULL;

		same = curl_url_get(ua, parts[i], &x, CURLU_DEFAULT_PORT) == CURLUE_OK &&
			curl_url_get(ub, parts[i], &y, CURLU_DEFAULT_PORT) == CURLUE_OK &&
			strcasecmp(x, y) == 0;
		curl_free(x);
		curl_free(y);
	}
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

char *
http_url_join(const char *base, const char *ref)
{
	CURLU	   *u = curl_url();
	char	   *joined = NULL,
			   *copy = NULL;

	if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
		curl_url_set(u, CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_URL, &joined, 0) == CURLUE_OK)
		copy = strdup(joined);
	curl_free(joined);
	curl_url_cleanup(u);
	return copy;
}

char *
http_url_add_param(const char *url, const char *name, const char *value)
{
	CURLU	   *u = curl_url();
	char	   *out = NULL,
			   *copy = NULL;
	size_t		len = strlen(name) + strlen(value) + 2;
	char	   *pair = malloc(len);

	if (pair)
		snprintf(pair, len, "%s=%s", name, value);
	if (u && pair && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_set(u, CURLUPART_QUERY, pair, CURLU_APPENDQUERY | CURLU_URLENCODE) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
		copy = strdup(out);
	free(pair);
	curl_free(out);
	curl_url_cleanup(u);
	return copy;
}

/* ---------- calls ---------- */

HttpCall *
http_call_new(const char *method, const char *url)
{
	HttpCall   *c = calloc(1, sizeof(HttpCall));

	if (c == NULL)
		return NULL;
	c->method = strdup(method);
	c->url = strdup(url);
	if (c->method == NULL || c->url == NULL)
	{
		http_call_free(c);
		return NULL;
	}
	c->timeout_ms = 10000;
	c->connect_timeout_ms = 5000;
	c->max_bytes = 8 * 1024 * 1024;
	c->retries = 3;
	c->backoff_ms = 500;
	c->max_redirects = 5;
	return c;
}

bool
http_call_set_headers(HttpCall *c, char **lines, int n)
{
	int			i;

	c->headers = calloc(n + 1, sizeof(char *));
	if (c->headers == NULL)
		return false;
	for (i = 0; i < n; i++)
		if ((c->headers[i] = strdup(lines[i])) == NULL)
			return false;
	return true;
}

static void
clear_answer(HttpCall *c)
{
	free(c->resp);
	free(c->etag);
	free(c->link_next);
	free(c->final_url);
	c->resp = c->etag = c->link_next = c->final_url = NULL;
	c->resp_len = 0;
	c->status = 0;
	c->too_large = false;
	c->curl_error[0] = '\0';
}

void
http_call_free(HttpCall *c)
{
	char	  **h;

	if (c == NULL)
		return;
	if (c->easy)
		curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->header_list);
	clear_answer(c);
	http_stream_free(c->lines);
	free(c->partial);
	if (c->headers)
		for (h = c->headers; *h; h++)
			free(*h);
	free(c->headers);
	free(c->method);
	free(c->url);
	free(c->body);
	free(c->allowed_hosts);
	free(c);
}

/* ---------- the thread ---------- */

static void
wake_worker(void)
{
	char		b = 'h';

	/* a full pipe already wakes the worker */
	if (write(wake_fd, &b, 1) < 0)
		return;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	HttpCall   *c = arg;
	size_t		n = size * nmemb;
	char	   *grown;

	/* a stream's 2xx body goes out line by line (http_stream.c) */
	if (c->stream && http_stream_body(c, data, n))
	{
		if (c->wake)
			wake_worker();
		c->wake = false;
		return c->overflow ? 0 : n;
	}
	if (c->resp_len + n > c->max_bytes)
	{
		c->too_large = true;
		return 0;				/* libcurl stops: CURLE_WRITE_ERROR */
	}
	grown = realloc(c->resp, c->resp_len + n + 1);
	if (grown == NULL)
		return 0;
	c->resp = grown;
	memcpy(c->resp + c->resp_len, data, n);
	c->resp_len += n;
	c->resp[c->resp_len] = '\0';
	return n;
}

static bool
setup_easy(HttpCall *c)
{
	CURL	   *e = c->easy;
	struct curl_slist *list = NULL;
	char	  **h;

	if (e == NULL && (e = c->easy = curl_easy_init()) == NULL)
		return false;
	curl_easy_reset(e);
	clear_answer(c);
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	if (c->stream)
	{
		/* no end: a connection that stays silent too long is given up */
		http_stream_reset(c);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_stream_on_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (c->idle_timeout_ms + 999) / 1000);
	}
	else
	{
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
		curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) c->max_bytes);
	}
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->curl_error);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "pathway");
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
	if (strcmp(c->method, "GET") == 0)
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	else if (c->body)
	{
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) c->body_len);
	}
	if (c->headers)
		for (h = c->headers; *h; h++)
			list = curl_slist_append(list, *h);
	/* the list lives as long as the handle's transfer: kept in the call */
	curl_slist_free_all(c->header_list);
	c->header_list = list;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
	return true;
}

static void
unlink_call(HttpCall **head, HttpCall *c)
{
	for (; *head; head = &(*head)->next)
		if (*head == c)
		{
			*head = c->next;
			c->next = NULL;
			return;
		}
}

static bool
in_list(HttpCall *head, HttpCall *c)
{
	for (; head; head = head->next)
		if (head == c)
			return true;
	return false;
}

/* The Link header's rel="next" target, malloc'd, or NULL. */
static char *
link_next(const char *value)
{
	const char *p = value;

	while ((p = strchr(p, '<')) != NULL)
	{
		const char *end = strchr(p, '>');
		const char *params,
				   *stop;

		if (end == NULL)
			return NULL;
		params = end + 1;
		stop = strchr(params, ',');
		if (stop == NULL)
			stop = params + strlen(params);
		{
			size_t		plen = stop - params;
			char	   *ps = strndup(params, plen);
			bool		is_next = ps && (strstr(ps, "rel=\"next\"") || strstr(ps, "rel=next"));

			free(ps);
			if (is_next)
				return strndup(p + 1, end - p - 1);
		}
		p = stop;
	}
	return NULL;
}

static char *
header_value(CURL *e, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return strdup(h->value);
}

static void
finish(HttpEngine *e, HttpCall *c)
{
	c->next = e->done_list;
	e->done_list = c;
	e->ndone++;
	e->any_finished = true;
}

static void
retry_or_finish(HttpEngine *e, HttpCall *c, const char *why)
{
	if (c->attempts <= c->retries)
	{
		long		backoff = c->backoff_ms;
		int			i;
		double		factor;

		for (i = 1; i < c->attempts && backoff < BACKOFF_MAX_MS; i++)
			backoff *= 2;
		backoff = backoff > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff;
		factor = 0.5 + (double) rand_r(&e->seed) / ((double) RAND_MAX + 1.0);
		c->due_ms = http_now_ms() + (int64_t) (backoff * factor);
		snprintf(c->error, sizeof(c->error), "%s", why);
		c->next = e->waiting;
		e->waiting = c;
		return;
	}
	snprintf(c->error, sizeof(c->error), "%s (after %d attempts)", why, c->attempts);
	finish(e, c);
}

/* One attempt ended: its answer, a retry, a redirect, or the call's end. */
static void
attempt_done(HttpEngine *e, HttpCall *c, CURLcode rc)
{
	char		why[HTTP_ERROR_LEN];
	char	   *url = NULL;

	unlink_call(&e->running, c);
	/* the answer's headers, while the handle still has them */
	if (rc == CURLE_OK)
	{
		char	   *link = header_value(c->easy, "Link");

		c->etag = header_value(c->easy, "ETag");
		c->link_next = link ? link_next(link) : NULL;
		free(link);
	}
	curl_multi_remove_handle(e->multi, c->easy);
	if (rc != CURLE_OK)
	{
		if (c->stream && c->overflow)
		{
			snprintf(c->error, sizeof(c->error),
					 "the stream's lines not yet landed exceed %zu bytes", c->max_buffered);
			c->ok = false;
			finish(e, c);
			return;
		}
		if (c->too_large || rc == CURLE_FILESIZE_EXCEEDED)
		{
			snprintf(c->error, sizeof(c->error), "response exceeds %zu bytes", c->max_bytes);
			c->ok = false;
			finish(e, c);
			return;
		}
		snprintf(why, sizeof(why), "%s", c->curl_error[0] ? c->curl_error : curl_easy_strerror(rc));
		if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT)
		{
			snprintf(c->error, sizeof(c->error), "%s", why);
			finish(e, c);
			return;
		}
		retry_or_finish(e, c, why);
		return;
	}
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->status);
	if (c->status == 429 || c->status >= 500)
	{
		snprintf(why, sizeof(why), "HTTP status %ld", c->status);
		retry_or_finish(e, c, why);
		return;
	}
	if (c->status >= 300 && c->status < 400 && c->status != 304 &&
		curl_easy_getinfo(c->easy, CURLINFO_REDIRECT_URL, &url) == CURLE_OK && url)
	{
		char		err[HTTP_ERROR_LEN];

		if (c->redirects >= c->max_redirects)
		{
			snprintf(c->error, sizeof(c->error), "redirect not followed (%d followed, the limit)",
					 c->redirects);
			c->ok = false;
			finish(e, c);
			return;
		}
		if (!http_url_check(url, c->allowed_hosts, err, sizeof(err)))
		{
			snprintf(c->error, sizeof(c->error), "redirect refused: %s", err);
			c->ok = false;
			finish(e, c);
			return;
		}
		free(c->url);
		c->url = strdup(url);
		c->redirects++;
		c->due_ms = 0;
		if (c->url == NULL)
		{
			snprintf(c->error, sizeof(c->error), "out of memory");
			finish(e, c);
			return;
		}
		c->next = e->waiting;
		e->waiting = c;
		return;
	}
	c->final_url = strdup(c->url);
	if (c->resp == NULL)
	{
		c->resp = strdup("");
		c->resp_len = 0;
	}
	c->ok = true;
	c->error[0] = '\0';
	finish(e, c);
}

static void
start_due(HttpEngine *e)
{
	HttpCall  **p = &e->waiting;
	int64_t		now = http_now_ms();
	int			nrunning = 0;
	HttpCall   *r;

	if (e->max_running > 0)
		for (r = e->running; r; r = r->next)
			nrunning++;
	while (*p)
	{
		HttpCall   *c = *p;
		int64_t		due = c->due_ms > c->not_before_ms ? c->due_ms : c->not_before_ms;

		if (e->max_running > 0 && nrunning >= e->max_running)
			break;

		if (due > now)
		{
			p = &c->next;
			continue;
		}
		*p = c->next;
		c->attempts++;
		if (!setup_easy(c) || curl_multi_add_handle(e->multi, c->easy) != CURLM_OK)
		{
			snprintf(c->error, sizeof(c->error), "could not start the request");
			finish(e, c);
			continue;
		}
		c->next = e->running;
		e->running = c;
		nrunning++;
	}
}

static int
next_wait_ms(HttpEngine *e)
{
	int64_t		now = http_now_ms(),
				wait = POLL_MAX_MS;
	HttpCall   *c;
	int			nrunning = 0;

	/* full: only a running call's end (its socket wakes the poll) frees a place */
	if (e->max_running > 0)
	{
		for (c = e->running; c; c = c->next)
			nrunning++;
		if (nrunning >= e->max_running)
			return POLL_MAX_MS;
	}
	for (c = e->waiting; c && wait > 0; c = c->next)
	{
		int64_t		due = c->due_ms > c->not_before_ms ? c->due_ms : c->not_before_ms;

		if (due - now < wait)
			wait = due - now;
	}
	return wait < 0 ? 0 : (int) wait;
}

/* Free the calls of list the worker gave up (caller holds the lock). */
static void
drop_cancelled(HttpEngine *e, HttpCall **list, bool in_multi)
{
	while (*list)
	{
		HttpCall   *c = *list;

		if (!c->cancel)
		{
			list = &c->next;
			continue;
		}
		*list = c->next;
		if (in_multi)
			curl_multi_remove_handle(e->multi, c->easy);
		http_call_free(c);
	}
}

/*
 * The thread: everything but the transfers themselves and the wait runs
 * under the lock (the lists, the answers, the cancellations).
 */
static void *
thread_main(void *arg)
{
	HttpEngine *e = &shared;

	for (;;)
	{
		int			still,
					left;
		CURLMsg    *m;
		HttpCall   *c;
		bool		wake;

		pthread_mutex_lock(&lock);
		while ((c = submitted) != NULL)
		{
			submitted = c->next;
			c->next = e->waiting;
			e->waiting = c;
		}
		if (any_cancelled)
		{
			drop_cancelled(e, &e->running, true);
			drop_cancelled(e, &e->waiting, false);
			any_cancelled = false;
		}
		start_due(e);
		pthread_mutex_unlock(&lock);

		curl_multi_perform(e->multi, &still);

		pthread_mutex_lock(&lock);
		while ((m = curl_multi_info_read(e->multi, &left)) != NULL)
		{
			if (m->msg != CURLMSG_DONE)
				continue;
			if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &c) != CURLE_OK || c == NULL)
				continue;
			attempt_done(e, c, m->data.result);
		}
		start_due(e);
		wake = e->any_finished;
		e->any_finished = false;
		pthread_mutex_unlock(&lock);
		if (wake)
			wake_worker();
		curl_multi_poll(e->multi, NULL, 0, next_wait_ms(e), NULL);
	}
	return NULL;
}

bool
http_client_start(int fd)
{
	pthread_t	t;
	sigset_t	all,
				old;
	int			rc;

	if (started)
		return true;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return false;
	shared.multi = curl_multi_init();
	if (shared.multi == NULL)
		return false;
	wake_fd = fd;
	shared.seed = (unsigned int) getpid() ^ (unsigned int) http_now_ms();
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, NULL, thread_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return false;
	pthread_detach(t);
	started = true;
	return true;
}

void
http_client_submit(HttpCall *c)
{
	c->due_ms = 0;
	c->attempts = 0;
	c->redirects = 0;
	c->ok = false;
	c->error[0] = '\0';
	pthread_mutex_lock(&lock);
	c->next = submitted;
	submitted = c;
	pthread_mutex_unlock(&lock);
	curl_multi_wakeup(shared.multi);
}

void
http_client_cancel(HttpCall *c)
{
	pthread_mutex_lock(&lock);
	if (in_list(shared.done_list, c))
	{
		unlink_call(&shared.done_list, c);
		http_call_free(c);
	}
	else if (in_list(submitted, c))
	{
		unlink_call(&submitted, c);
		http_call_free(c);
	}
	else
	{
		/* the thread's: it frees the call when it next looks */
		c->cancel = true;
		any_cancelled = true;
	}
	pthread_mutex_unlock(&lock);
	curl_multi_wakeup(shared.multi);
}

HttpCall *
http_client_take_done(void)
{
	return http_client_take_done_of(HTTP_QUEUE_SOURCES);
}

HttpCall *
http_client_take_done_of(int queue)
{
	HttpCall   *d = NULL;
	HttpCall  **p;

	if (!started)
		return NULL;
	pthread_mutex_lock(&lock);
	p = &shared.done_list;
	while (*p)
	{
		HttpCall   *c = *p;

		if (c->queue != queue)
		{
			p = &c->next;
			continue;
		}
		*p = c->next;
		c->next = d;
		d = c;
	}
	pthread_mutex_unlock(&lock);
	return d;
}

/* ---------- one call, synchronously, in the caller's thread ---------- */

/*
 * The same attempts, retries and redirect checks as the helper thread's,
 * on a multi handle of the call's own.  The caller steps it, at most
 * timeout_ms per step, and may check for interrupts between steps (and
 * must call http_sync_end in any case, also when it leaves by an error).
 */
struct HttpSync
{
	HttpEngine	e;
	HttpCall   *call;
	int			ncalls;			/* http_sync_begin_many: all of them */
};

HttpSync *
http_sync_begin(HttpCall *c)
{
	HttpSync   *s = calloc(1, sizeof(HttpSync));

	if (s == NULL)
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
		(s->e.multi = curl_multi_init()) == NULL)
	{
		free(s);
		return NULL;
	}
	c->due_ms = 0;
	c->attempts = 0;
	c->redirects = 0;
	c->ok = false;
	c->error[0] = '\0';
	c->next = NULL;
	s->call = c;
	s->e.waiting = c;
	s->e.seed = (unsigned int) getpid() ^ (unsigned int) http_now_ms() ^ 0x9e3779b9u;
	return s;
}

bool
http_sync_step(HttpSync *s, int timeout_ms)
{
	HttpEngine *e = &s->e;
	int			still,
				left,
				wait;
	CURLMsg    *m;
	HttpCall   *c;

	if (e->done_list)
		return true;
	start_due(e);
	curl_multi_perform(e->multi, &still);
	while ((m = curl_multi_info_read(e->multi, &left)) != NULL)
	{
		if (m->msg != CURLMSG_DONE ||
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &c) != CURLE_OK || c == NULL)
			continue;
		attempt_done(e, c, m->data.result);
	}
	if (e->done_list)
		return true;
	start_due(e);
	wait = next_wait_ms(e);
	curl_multi_poll(e->multi, NULL, 0, wait < timeout_ms ? wait : timeout_ms, NULL);
	return false;
}

void
http_sync_end(HttpSync *s)
{
	HttpCall   *c;

	if (s == NULL)
		return;
	for (c = s->e.running; c; c = c->next)
		if (c->easy)
			curl_multi_remove_handle(s->e.multi, c->easy);
	curl_multi_cleanup(s->e.multi);
	free(s);
}

/*
 * Several calls at once on one multi handle (the batched requests of
 * pathway.embed and pathway.http_request): at most max_running in flight
 * (0: all start together), the next starting as one ends, each with its
 * own retries; the caller steps until http_sync_step_many says all are
 * done.
 */
HttpSync *
http_sync_begin_many(HttpCall **calls, int n, int max_running)
{
	HttpSync   *s;
	int			i;

	if (n <= 0 || (s = http_sync_begin(calls[0])) == NULL)
		return NULL;
	for (i = 1; i < n; i++)
	{
		HttpCall   *c = calls[i];

		c->due_ms = 0;
		c->attempts = 0;
		c->redirects = 0;
		c->ok = false;
		c->error[0] = '\0';
		c->next = s->e.waiting;
		s->e.waiting = c;
	}
	s->ncalls = n;
	s->e.max_running = max_running;
	return s;
}

bool
http_sync_step_many(HttpSync *s, int timeout_ms)
{
	HttpEngine *e = &s->e;
	int			still,
				left,
				wait;
	CURLMsg    *m;
	HttpCall   *c;

	if (e->ndone >= s->ncalls)
		return true;
	start_due(e);
	curl_multi_perform(e->multi, &still);
	while ((m = curl_multi_info_read(e->multi, &left)) != NULL)
	{
		if (m->msg != CURLMSG_DONE ||
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &c) != CURLE_OK || c == NULL)
			continue;
		attempt_done(e, c, m->data.result);
	}
	if (e->ndone >= s->ncalls)
		return true;
	start_due(e);
	wait = next_wait_ms(e);
	curl_multi_poll(e->multi, NULL, 0, wait < timeout_ms ? wait : timeout_ms, NULL);
	return false;
}
