/*
 * http_stream.c
 *	  The lines of a stream call's body (mode 'stream' of HTTP sources),
 *	  split in the HTTP client's thread and handed to the worker.
 *
 * http_stream_body runs in the thread (from libcurl's write callback):
 * it cuts the body at newlines (a "\r\n" loses its "\r"), keeps at most
 * max_line bytes of a line (a longer one is handed over cut, with its
 * real length, for the worker to make a dead letter of; the stream goes
 * on), and queues complete lines on the call.  Lines not yet taken hold
 * at most max_buffered bytes: past that the call ends (overflow) rather
 * than grow.  The worker takes the queue with http_stream_take.  Only
 * libc and one mutex of this file's: nothing of PostgreSQL, no logging.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "connectors/http_client.h"

static pthread_mutex_t stream_lock = PTHREAD_MUTEX_INITIALIZER;

/* The line being received is complete: queue it (caller holds the lock). */
static bool
queue_partial(HttpCall *c)
{
	HttpStreamLine *l;
	size_t		len = c->partial_len;

	if (len > 0 && c->partial[len - 1] == '\r' && c->partial_total == len)
		len--;
	l = malloc(sizeof(HttpStreamLine) + len + 1);
	if (l == NULL)
		return false;
	l->next = NULL;
	l->len = len;
	l->total = c->partial_total == c->partial_len ? len : c->partial_total;
	if (len > 0)
		memcpy(l->data, c->partial, len);
	l->data[len] = '\0';
	if (c->lines_tail)
		c->lines_tail->next = l;
	else
		c->lines = l;
	c->lines_tail = l;
	c->lines_bytes += len + sizeof(HttpStreamLine);
	c->partial_len = 0;
	c->partial_total = 0;
	return true;
}

/* libcurl's header callback of a stream call: the end of a 2xx answer's headers opens it. */
size_t
http_stream_on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	HttpCall   *c = arg;
	size_t		n = size * nmemb;
	long		status = 0;

	if ((n == 2 && data[0] == '\r' && data[1] == '\n') || (n == 1 && data[0] == '\n'))
	{
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300)
		{
			pthread_mutex_lock(&stream_lock);
			c->stream_state = 1;
			c->opened = true;
			pthread_mutex_unlock(&stream_lock);
		}
	}
	return n;
}

static bool feed(HttpCall *c, const char *data, size_t n);

/* A chunk of a stream call's body: false if it is no 2xx answer's (kept as a body). */
bool
http_stream_body(HttpCall *c, const char *data, size_t n)
{
	if (c->stream_state == 0)
	{
		long		status = 0;

		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
		c->stream_state = status >= 200 && status < 300 ? 1 : -1;
	}
	if (c->stream_state != 1)
		return false;
	if (feed(c, data, n))
		c->wake = true;
	return true;
}

/* Cut data into lines; true if the queue had none and now has some. */
static bool
feed(HttpCall *c, const char *data, size_t n)
{
	bool		was_empty;
	const char *p = data,
			   *end = data + n;

	if (c->partial == NULL && (c->partial = malloc(c->max_line + 1)) == NULL)
	{
		c->overflow = true;
		return false;
	}
	pthread_mutex_lock(&stream_lock);
	was_empty = c->lines == NULL;
	while (p < end)
	{
		const char *nl = memchr(p, '\n', end - p);
		const char *stop = nl ? nl : end;
		size_t		chunk = stop - p;
		size_t		room = c->max_line - c->partial_len;
		size_t		keep = chunk < room ? chunk : room;

		memcpy(c->partial + c->partial_len, p, keep);
		c->partial_len += keep;
		c->partial_total += chunk;
		p = stop;
		if (nl)
		{
			if (!queue_partial(c))
			{
				c->overflow = true;
				break;
			}
			p++;
		}
		if (c->lines_bytes > c->max_buffered)
		{
			c->overflow = true;
			break;
		}
	}
	pthread_mutex_unlock(&stream_lock);
	return was_empty && c->lines != NULL;
}

HttpStreamLine *
http_stream_take(HttpCall *c)
{
	HttpStreamLine *l;

	pthread_mutex_lock(&stream_lock);
	l = c->lines;
	c->lines = c->lines_tail = NULL;
	c->lines_bytes = 0;
	pthread_mutex_unlock(&stream_lock);
	return l;
}

void
http_stream_free(HttpStreamLine *l)
{
	while (l)
	{
		HttpStreamLine *next = l->next;

		free(l);
		l = next;
	}
}

/* The worker: has the stream been opened? */
bool
http_stream_is_open(HttpCall *c)
{
	bool		open;

	pthread_mutex_lock(&stream_lock);
	open = c->opened;
	pthread_mutex_unlock(&stream_lock);
	return open;
}

/* A new attempt (a redirect): the line being received is forgotten. */
void
http_stream_reset(HttpCall *c)
{
	pthread_mutex_lock(&stream_lock);
	c->partial_len = 0;
	c->partial_total = 0;
	c->stream_state = 0;
	c->overflow = false;
	c->opened = false;
	pthread_mutex_unlock(&stream_lock);
}
