/*
 * listen.c
 *	  The listener: one background worker for the whole cluster, without a
 *	  database connection, started by the launcher while pathway.http_listen
 *	  is set.  It accepts HTTP/1.1 connections, reads the request line and
 *	  the headers (at most LISTENER_HEADER_MAX bytes and MAX_HEADERS lines,
 *	  within HEADER_TIMEOUT_MS, at most MAX_CONNS connections at once) and
 *	  routes:
 *
 *	    GET  /metrics                    the Prometheus text (metrics.c)
 *	    POST /sources/<name>             handed to the engine worker of the
 *	    POST /sources/<database>/<name>  database that has the source
 *
 *	  A webhook request is handed on with its socket (SCM_RIGHTS) and the
 *	  bytes already read to the worker's Unix-domain socket (listen.h); the
 *	  worker owns the connection from then on: it reads the body, checks
 *	  the token, lands the records and answers after its epoch committed
 *	  (webhook.c).  Everything the listener answers itself ends the
 *	  connection (Connection: close).
 *
 *	  On SIGHUP it reads the setting again: empty, it exits; another address,
 *	  it binds that one.  It waits on its latch and its sockets (a
 *	  WaitEventSet), never in a busy loop.
 */
#include "postgres.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "bgworker/listen.h"
#include "bgworker/shmem.h"
#include "bgworker/stats.h"
#include "pathway.h"

#define MAX_CONNS 64
#define MAX_HEADERS 64
#define HEADER_TIMEOUT_MS 10000

typedef struct ListenConn
{
	int			fd;
	TimestampTz deadline;
	int			len;
	char		buf[LISTENER_HEADER_MAX + 1];
} ListenConn;

static int	listen_fd = -1;
static char *bound_to = NULL;	/* the setting listen_fd was bound for */
static ListenConn *conns[MAX_CONNS];

/* ---------- the launcher's side ---------- */

static BackgroundWorkerHandle *listener_handle = NULL;
static TimestampTz listener_next_start = 0;
static TimestampTz listener_started = 0;
static int	listener_backoff_ms = 0;

long
listener_launch(void)
{
	TimestampTz now = GetCurrentTimestamp();
	BackgroundWorker bgw;
	pid_t		pid;

	if (listener_handle && GetBackgroundWorkerPid(listener_handle, &pid) == BGWH_STOPPED)
	{
		pfree(listener_handle);
		listener_handle = NULL;
		if (TimestampDifferenceExceeds(listener_started, now, 30000))
			listener_backoff_ms = 0;
	}
	/* (a running listener's exit wakes the launcher: bgw_notify_pid) */
	if (listener_handle || pathway_http_listen == NULL || pathway_http_listen[0] == '\0')
		return -1;
	if (now < listener_next_start)
		return TimestampDifferenceMilliseconds(now, listener_next_start) + 1;
	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, PATHWAY_LIBRARY);
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "pathway_listener_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "pathway listener");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "pathway listener");
	bgw.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&bgw, &listener_handle))
		listener_handle = NULL;
	listener_started = now;
	/* a listener that keeps failing (the address is taken) is retried less often */
	listener_backoff_ms = listener_backoff_ms ? Min(listener_backoff_ms * 2, 60000) : 1000;
	listener_next_start = TimestampTzPlusMilliseconds(now, listener_backoff_ms);
	return listener_handle ? -1 : listener_backoff_ms;
}

/* ---------- answers ---------- */

static const char *
reason(int status)
{
	switch (status)
	{
		case 100:
			return "Continue";
		case 200:
			return "OK";
		case 400:
			return "Bad Request";
		case 401:
			return "Unauthorized";
		case 403:
			return "Forbidden";
		case 404:
			return "Not Found";
		case 405:
			return "Method Not Allowed";
		case 408:
			return "Request Timeout";
		case 409:
			return "Conflict";
		case 411:
			return "Length Required";
		case 413:
			return "Content Too Large";
		case 431:
			return "Request Header Fields Too Large";
		case 500:
			return "Internal Server Error";
		case 503:
			return "Service Unavailable";
		case 505:
			return "HTTP Version Not Supported";
		default:
			return "Error";
	}
}

/*
 * Plain C (no palloc, no elog): the worker calls it too.  The answer is
 * small: a non-blocking socket takes it whole, or the client has gone.
 */
void
listener_answer(int fd, int status, const char *extra_headers, const char *content_type,
				const char *body)
{
	char		head[512];
	size_t		blen = body ? strlen(body) : 0;
	int			n;
	struct iovec iov[2];
	struct msghdr msg;

	n = snprintf(head, sizeof(head),
				 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
				 status, reason(status), content_type ? content_type : "application/json", blen,
				 extra_headers ? extra_headers : "");
	if (n < 0 || n >= (int) sizeof(head))
		return;
	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = head;
	iov[0].iov_len = n;
	iov[1].iov_base = (void *) (body ? body : "");
	iov[1].iov_len = blen;
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	(void) sendmsg(fd, &msg, MSG_NOSIGNAL);
}

/* A JSON error answer: {"error": "..."} (the message has no quote or backslash). */
static void
answer_error(int fd, int status, const char *extra, const char *message)
{
	char		body[512];

	snprintf(body, sizeof(body), "{\"error\": \"%s\"}\n", message);
	listener_answer(fd, status, extra, NULL, body);
}

/* ---------- binding ---------- */

/* Bind the setting's host:port; false (logged) if it cannot. */
static bool
bind_listener(const char *setting)
{
	char	   *copy = pstrdup(setting);
	char	   *colon = strrchr(copy, ':');
	char	   *host = copy;
	struct addrinfo hints,
			   *res = NULL;
	int			rc,
				fd,
				one = 1;

	if (colon == NULL || colon[1] == '\0')
	{
		ereport(LOG, (errmsg("pathway: pathway.http_listen \"%s\" is not host:port", setting)));
		return false;
	}
	*colon = '\0';
	if (host[0] == '[' && colon > host + 1 && colon[-1] == ']')
	{
		host++;
		colon[-1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(*host ? host : NULL, colon + 1, &hints, &res);
	if (rc != 0 || res == NULL)
	{
		ereport(LOG, (errmsg("pathway: pathway.http_listen \"%s\": %s", setting, gai_strerror(rc))));
		return false;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 128) != 0)
	{
		ereport(LOG, (errcode_for_socket_access(),
					  errmsg("pathway: the listener could not listen on \"%s\": %m", setting)));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return false;
	}
	freeaddrinfo(res);
	listen_fd = fd;
	bound_to = MemoryContextStrdup(TopMemoryContext, setting);
	ereport(LOG, (errmsg("pathway: listening for HTTP on %s", setting)));
	return true;
}

static void
close_conn(int i)
{
	close(conns[i]->fd);
	pfree(conns[i]);
	conns[i] = NULL;
}

/* ---------- parsing and routing ---------- */

typedef struct Request
{
	char	   *method;
	char	   *path;
	int64		content_length; /* -1: none */
	bool		bad_length;
	bool		transfer_encoding;
	bool		expect_continue;
	char	   *authorization;
	char	   *idempotency_key;
	int			nheaders;
} Request;

/* %XX decoded in place; false if malformed or it decodes a NUL or a slash */
static bool
percent_decode(char *s)
{
	char	   *w = s;

	for (; *s; s++)
	{
		if (*s == '%')
		{
			int			hi,
						lo;

			if (!isxdigit((unsigned char) s[1]) || !isxdigit((unsigned char) s[2]))
				return false;
			hi = isdigit((unsigned char) s[1]) ? s[1] - '0' : (tolower((unsigned char) s[1]) - 'a' + 10);
			lo = isdigit((unsigned char) s[2]) ? s[2] - '0' : (tolower((unsigned char) s[2]) - 'a' + 10);
			*w = (char) (hi * 16 + lo);
			if (*w == '\0' || *w == '/')
				return false;
			w++;
			s += 2;
		}
		else
			*w++ = *s;
	}
	*w = '\0';
	return true;
}

static char *
trim(char *s)
{
	char	   *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* The request line and headers (buf ends at the blank line); an HTTP status if refused, else 0. */
static int
parse_request(char *buf, Request *r, const char **why)
{
	char	   *line = buf,
			   *next,
			   *sp1,
			   *sp2;

	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	next = strstr(line, "\r\n");
	*next = '\0';
	next += 2;
	sp1 = strchr(line, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || strchr(sp2 + 1, ' ') != NULL)
	{
		*why = "malformed request line";
		return 400;
	}
	*sp1 = *sp2 = '\0';
	r->method = line;
	r->path = sp1 + 1;
	if (strcmp(sp2 + 1, "HTTP/1.1") != 0 && strcmp(sp2 + 1, "HTTP/1.0") != 0)
	{
		*why = "only HTTP/1.0 and HTTP/1.1";
		return 505;
	}
	for (line = next; *line; line = next)
	{
		char	   *colon;
		char	   *name,
				   *value;

		next = strstr(line, "\r\n");
		if (next == NULL)
			break;
		*next = '\0';
		next += 2;
		if (*line == '\0')
			break;
		if (++r->nheaders > MAX_HEADERS)
		{
			*why = "too many header lines";
			return 431;
		}
		colon = strchr(line, ':');
		if (colon == NULL || colon == line || line[0] == ' ' || line[0] == '\t')
		{
			*why = "malformed header line";
			return 400;
		}
		*colon = '\0';
		name = line;
		value = trim(colon + 1);
		if (pg_strcasecmp(name, "Content-Length") == 0)
		{
			char	   *end;
			long long	n;

			errno = 0;
			n = strtoll(value, &end, 10);
			if (*value == '\0' || *end != '\0' || errno != 0 || n < 0 || !isdigit((unsigned char) *value) ||
				(r->content_length >= 0 && r->content_length != n))
				r->bad_length = true;
			r->content_length = n;
		}
		else if (pg_strcasecmp(name, "Transfer-Encoding") == 0)
			r->transfer_encoding = true;
		else if (pg_strcasecmp(name, "Expect") == 0)
			r->expect_continue = pg_strcasecmp(value, "100-continue") == 0;
		else if (pg_strcasecmp(name, "Authorization") == 0)
			r->authorization = value;
		else if (pg_strcasecmp(name, "Idempotency-Key") == 0)
			r->idempotency_key = value;
	}
	return 0;
}

/*
 * The database that publishes the source (dbname NULL: any); *dboid set,
 * else 404 (none) or 409 (several).  Under the shared lock.
 */
static int
find_source(const char *dbname, const char *name, Oid *dboid)
{
	int			i,
				j,
				found = 0;

	LWLockAcquire(pathway_shm->lock, LW_SHARED);
	for (i = 0; i < PATHWAY_MAX_DATABASES; i++)
	{
		PathwayDb  *db = &pathway_shm->dbs[i];

		if (!OidIsValid(db->dboid) || (dbname && strcmp(db->dbname, dbname) != 0))
			continue;
		for (j = 0; j < db->nwebhooks; j++)
			if (strcmp(db->webhooks[j], name) == 0)
			{
				*dboid = db->dboid;
				found++;
				break;
			}
	}
	LWLockRelease(pathway_shm->lock);
	return found == 0 ? 404 : found > 1 ? 409 : 0;
}

/* Hand the connection to the worker of dboid; false if it cannot take it. */
static bool
hand_off(int fd, Oid dboid, const char *source, Request *r, const char *body, int body_len)
{
	int			s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr;
	ListenerHandoff *h;
	size_t		size = sizeof(ListenerHandoff) + body_len;
	struct msghdr msg;
	struct iovec iov;
	union
	{
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	}			ctl;
	struct cmsghdr *cm;
	ssize_t		sent;

	if (s < 0)
		return false;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), LISTENER_SOCKET_FMT, dboid);
	h = palloc0(size);
	h->magic = LISTENER_MAGIC;
	strlcpy(h->source, source, sizeof(h->source));
	h->content_length = r->content_length;
	h->expect_continue = r->expect_continue;
	if (r->authorization)
		strlcpy(h->authorization, r->authorization, sizeof(h->authorization));
	if (r->idempotency_key)
		strlcpy(h->idempotency_key, r->idempotency_key, sizeof(h->idempotency_key));
	h->body_len = body_len;
	memcpy((char *) h + sizeof(ListenerHandoff), body, body_len);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = h;
	iov.iov_len = size;
	msg.msg_name = &addr;
	msg.msg_namelen = sizeof(addr);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	/* never waits: a worker whose queue is full is busy (503) */
	sent = sendmsg(s, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(s);
	pfree(h);
	return sent == (ssize_t) size;
}

/* A whole head has come (buf[len] holds the rest): answer or hand it on. */
static void
route(ListenConn *c)
{
	char	   *end = strstr(c->buf, "\r\n\r\n");
	char	   *body = end + 4;
	int			body_len = c->len - (int) (body - c->buf);
	Request		r;
	const char *why = NULL;
	int			status;
	char	   *path;
	char	   *q;

	end[2] = '\0';				/* the head, ending with its last CRLF */
	status = parse_request(c->buf, &r, &why);
	if (status != 0)
	{
		answer_error(c->fd, status, NULL, why);
		return;
	}
	path = r.path;
	if ((q = strchr(path, '?')) != NULL)
		*q = '\0';
	if (strcmp(path, "/metrics") == 0)
	{
		if (strcmp(r.method, "GET") != 0)
		{
			answer_error(c->fd, 405, "Allow: GET\r\n", "use GET");
			return;
		}
		stats_metrics_answer(c->fd);
		return;
	}
	if (strncmp(path, "/sources/", 9) == 0 && path[9] != '\0')
	{
		char	   *dbname = NULL;
		char	   *name = path + 9;
		char	   *slash = strchr(name, '/');
		Oid			dboid = InvalidOid;

		if (slash)
		{
			*slash = '\0';
			dbname = name;
			name = slash + 1;
			if (*name == '\0' || strchr(name, '/') != NULL)
			{
				answer_error(c->fd, 404, NULL, "no such path: use /sources/<name> or /sources/<database>/<name>");
				return;
			}
		}
		if ((dbname && !percent_decode(dbname)) || !percent_decode(name) ||
			strlen(name) >= NAMEDATALEN || (dbname && strlen(dbname) >= NAMEDATALEN))
		{
			answer_error(c->fd, 400, NULL, "malformed source name in the path");
			return;
		}
		if (strcmp(r.method, "POST") != 0)
		{
			answer_error(c->fd, 405, "Allow: POST\r\n", "use POST");
			return;
		}
		status = find_source(dbname, name, &dboid);
		if (status == 404)
		{
			answer_error(c->fd, 404, NULL, "no such webhook source");
			return;
		}
		if (status == 409)
		{
			answer_error(c->fd, 409, NULL, "several databases have a webhook source of this name: use /sources/<database>/<name>");
			return;
		}
		if (r.transfer_encoding)
		{
			answer_error(c->fd, 411, NULL, "chunked or encoded request bodies are not supported: send Content-Length");
			return;
		}
		if (r.bad_length)
		{
			answer_error(c->fd, 400, NULL, "invalid Content-Length");
			return;
		}
		if (r.content_length < 0)
		{
			answer_error(c->fd, 411, NULL, "Content-Length is required");
			return;
		}
		if ((r.idempotency_key && strlen(r.idempotency_key) >= LISTENER_KEY_MAX) ||
			(r.authorization && strlen(r.authorization) >= LISTENER_AUTH_MAX))
		{
			answer_error(c->fd, 400, NULL, "Idempotency-Key over 255 bytes or Authorization over 511 bytes");
			return;
		}
		if (r.idempotency_key)
		{
			const char *k;

			for (k = r.idempotency_key; *k; k++)
				if (*k < ' ' || *k > '~')
					break;
			if (*k || *r.idempotency_key == '\0')
			{
				answer_error(c->fd, 400, NULL, "Idempotency-Key must be printable ASCII");
				return;
			}
		}
		if (!hand_off(c->fd, dboid, name, &r, body, Min(body_len, (int) Min(r.content_length, INT_MAX))))
			answer_error(c->fd, 503, "Retry-After: 1\r\n", "the engine worker of the database is not running or busy: retry");
		return;
	}
	answer_error(c->fd, 404, NULL, "no such path");
}

/* Read what has come on connection i; route it once its head is whole. */
static void
read_conn(int i)
{
	ListenConn *c = conns[i];
	ssize_t		n;

	n = recv(c->fd, c->buf + c->len, LISTENER_HEADER_MAX - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0)
	{
		close_conn(i);
		return;
	}
	c->len += (int) n;
	c->buf[c->len] = '\0';
	if (strstr(c->buf, "\r\n\r\n") != NULL)
	{
		route(c);
		close_conn(i);
	}
	else if (c->len >= LISTENER_HEADER_MAX)
	{
		answer_error(c->fd, 431, NULL, "request head over 16384 bytes");
		close_conn(i);
	}
}

static void
accept_conns(void)
{
	for (;;)
	{
		int			fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int			i;

		if (fd < 0)
			return;
		for (i = 0; i < MAX_CONNS; i++)
			if (conns[i] == NULL)
				break;
		if (i == MAX_CONNS)
		{
			answer_error(fd, 503, "Retry-After: 1\r\n", "too many connections");
			close(fd);
			continue;
		}
		conns[i] = MemoryContextAllocZero(TopMemoryContext, sizeof(ListenConn));
		conns[i]->fd = fd;
		conns[i]->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), HEADER_TIMEOUT_MS);
	}
}

static void
close_listener(void)
{
	int			i;

	for (i = 0; i < MAX_CONNS; i++)
		if (conns[i])
			close_conn(i);
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
}

void
pathway_listener_main(Datum arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	if (pathway_http_listen == NULL || pathway_http_listen[0] == '\0' ||
		!bind_listener(pathway_http_listen))
		proc_exit(pathway_http_listen && pathway_http_listen[0] ? 1 : 0);

	for (;;)
	{
		WaitEventSet *set;
		WaitEvent	events[MAX_CONNS + 3];
		TimestampTz now = GetCurrentTimestamp();
		long		timeout = -1;
		int			i,
					n,
					nconns = 0;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (pathway_http_listen == NULL || pathway_http_listen[0] == '\0')
			{
				ereport(LOG, (errmsg("pathway: pathway.http_listen is empty: the listener stops")));
				close_listener();
				proc_exit(0);
			}
			if (strcmp(pathway_http_listen, bound_to) != 0)
			{
				close_listener();
				if (!bind_listener(pathway_http_listen))
					proc_exit(1);
			}
		}
		for (i = 0; i < MAX_CONNS; i++)
			if (conns[i])
			{
				if (conns[i]->deadline <= now)
				{
					answer_error(conns[i]->fd, 408, NULL, "the request head did not come in time");
					close_conn(i);
					continue;
				}
				nconns++;
				timeout = timeout < 0 ? TimestampDifferenceMilliseconds(now, conns[i]->deadline) + 1 :
					Min(timeout, TimestampDifferenceMilliseconds(now, conns[i]->deadline) + 1);
			}
		set = CreateWaitEventSet(CurrentMemoryContext, nconns + 3);
		AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		AddWaitEventToSet(set, WL_SOCKET_READABLE, listen_fd, NULL, (void *) (intptr_t) -1);
		for (i = 0; i < MAX_CONNS; i++)
			if (conns[i])
				AddWaitEventToSet(set, WL_SOCKET_READABLE, conns[i]->fd, NULL, (void *) (intptr_t) i);
		n = WaitEventSetWait(set, timeout, events, lengthof(events), PG_WAIT_EXTENSION);
		FreeWaitEventSet(set);
		for (i = 0; i < n; i++)
		{
			if (events[i].events & WL_LATCH_SET)
				ResetLatch(MyLatch);
			else if (events[i].events & WL_SOCKET_READABLE)
			{
				int			at = (int) (intptr_t) events[i].user_data;

				if (at < 0)
					accept_conns();
				else if (conns[at])
					read_conn(at);
			}
		}
	}
}
