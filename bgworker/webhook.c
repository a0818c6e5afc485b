/*
 * webhook.c
 *	  The engine worker's side of webhook sources: the connections the
 *	  listener hands over (listen.h) on the worker's Unix-domain socket,
 *	  each read to the end of its body, landed in the next epoch's
 *	  transaction and answered only after that transaction committed.
 *
 *	  receive ──▶ checks (source, token: 401, size: 413) ──▶ read the body
 *	     ──▶ ready ──▶ epoch: Idempotency-Key looked up, else the body landed
 *	         (http_land.c, as a poll source's answer) and the key stored
 *	     ──▶ commit ──▶ answer 200 {"landed": n, ...} (or 400 for a body
 *	         that cannot be parsed: its dead letter committed) and close
 *
 *	  A crash before the commit closes every connection unanswered: a
 *	  client that got 200 knows its rows are committed, one that got
 *	  nothing retries (with its Idempotency-Key, so that what did commit
 *	  lands once).  Tokens stay here: shared memory holds the source names
 *	  only.  Connections: at most MAX_CONNS, each READ_TIMEOUT_MS for its
 *	  body; the loop waits on them with its latch (worker_webhook_wait).
 *
 * Memory: connections and bodies in worker_cxt, freed when answered.
 */
#include "postgres.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "bgworker/internal.h"
#include "bgworker/listen.h"
#include "connectors/http_source.h"
#include "connectors/source.h"
#include "meta/http.h"

#define MAX_CONNS 64
#define READ_TIMEOUT_MS 30000
/*
 * A refused request's unread body is read and dropped (at most this much,
 * for at most DRAIN_MS) before the connection closes, so that the client
 * reads the answer instead of a reset connection.
 */
#define DRAIN_MAX (1024 * 1024)
#define DRAIN_MS 2000

typedef enum ConnState
{
	CONN_READING,				/* the body is still coming */
	CONN_READY,					/* whole: lands in the next epoch */
	CONN_LANDED,				/* landed: answered after the commit */
	CONN_DRAINING				/* refused: the rest of its body read and dropped, then closed */
} ConnState;

typedef struct WebhookConn
{
	int			fd;
	ConnState	state;
	char		source[NAMEDATALEN];
	char	   *key;			/* Idempotency-Key, NULL: none */
	char	   *body;
	int64		len;			/* Content-Length */
	int64		got;
	TimestampTz deadline;
	int			status;			/* the answer, once landed */
	char	   *answer;
} WebhookConn;

static int	sock = -1;
static char sock_path[64];
static List *conns = NIL;		/* WebhookConn *, in arrival order */

static void
unlink_socket(int code, Datum arg)
{
	if (sock >= 0)
		unlink(sock_path);
}

/* Bind the worker's socket (once); published for the listener. */
void
worker_webhook_open(void)
{
	struct sockaddr_un addr;

	if (sock >= 0)
		return;
	snprintf(sock_path, sizeof(sock_path), LISTENER_SOCKET_FMT, MyDatabaseId);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strlcpy(addr.sun_path, sock_path, sizeof(addr.sun_path));
	(void) unlink(sock_path);	/* left by a crashed worker */
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *) &addr, sizeof(addr)) != 0)
	{
		ereport(LOG, (errcode_for_socket_access(),
					  errmsg("pathway: could not bind the webhook socket \"%s\": %m", sock_path)));
		if (sock >= 0)
			close(sock);
		sock = -1;
		return;
	}
	before_shmem_exit(unlink_socket, (Datum) 0);
	LWLockAcquire(pathway_shm->lock, LW_EXCLUSIVE);
	worker_db->webhook_socket = true;
	LWLockRelease(pathway_shm->lock);
}

static void
conn_free(WebhookConn *c)
{
	close(c->fd);
	if (c->body)
		pfree(c->body);
	if (c->key)
		pfree(c->key);
	if (c->answer)
		pfree(c->answer);
	pfree(c);
}

/* Answer, close and forget c. */
static void
conn_answer(WebhookConn *c, int status, const char *extra, const char *body)
{
	listener_answer(c->fd, status, extra, NULL, body);
	conns = list_delete_ptr(conns, c);
	conn_free(c);
}

static char *
error_body(const char *message)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoString(&b, "{\"error\": ");
	escape_json(&b, message);
	appendStringInfoString(&b, "}\n");
	return b.data;
}

static HttpSource *
source_named(const char *name)
{
	ListCell   *lc;

	foreach(lc, worker_http_sources)
	{
		HttpSource *s = lfirst(lc);

		if (s->webhook && strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

/* Does the Authorization header carry the token (compared in constant time)? */
static bool
token_ok(const char *token, const char *authorization)
{
	size_t		tlen = strlen(token),
				alen,
				i;
	unsigned char diff = 0;

	if (pg_strncasecmp(authorization, "Bearer ", 7) != 0)
		return false;
	authorization += 7;
	while (*authorization == ' ')
		authorization++;
	alen = strlen(authorization);
	for (i = 0; i < tlen; i++)
		diff |= (unsigned char) token[i] ^ (unsigned char) (i < alen ? authorization[i] : 0);
	return diff == 0 && alen == tlen;
}

/* Answer a request refused before its body was read; drain what is still coming. */
static void
conn_refuse(WebhookConn *c, int64 unread, int status, const char *extra, const char *body)
{
	if (unread <= 0)
	{
		conn_answer(c, status, extra, body);
		return;
	}
	listener_answer(c->fd, status, extra, NULL, body);
	(void) shutdown(c->fd, SHUT_WR);
	c->state = CONN_DRAINING;
	c->len = Min(unread, DRAIN_MAX);
	c->got = 0;
	c->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DRAIN_MS);
}

/* One handed-over connection: checked, then read (or answered at once). */
static void
take(int fd, ListenerHandoff *h, const char *prefix)
{
	MemoryContext old;
	WebhookConn *c;
	HttpSource *s = source_named(h->source);
	int64		unread = h->content_length - h->body_len;

	old = MemoryContextSwitchTo(worker_cxt);
	c = palloc0(sizeof(WebhookConn));
	c->fd = fd;
	conns = lappend(conns, c);
	MemoryContextSwitchTo(old);
	if (s == NULL)
	{
		conn_refuse(c, unread, 404, NULL, "{\"error\": \"no such webhook source\"}\n");
		return;
	}
	if (s->stopped)
	{
		conn_refuse(c, unread, 403, NULL, error_body(s->error));
		return;
	}
	if (s->opt.token && !token_ok(s->opt.token, h->authorization))
	{
		conn_refuse(c, unread, 401, "WWW-Authenticate: Bearer\r\n",
					"{\"error\": \"the source needs its bearer token: Authorization: Bearer <token>\"}\n");
		return;
	}
	if (h->content_length > s->opt.max_body_bytes)
	{
		char		msg[128];

		snprintf(msg, sizeof(msg), "{\"error\": \"the body is over the source's limit of %lld bytes\"}\n",
				 (long long) s->opt.max_body_bytes);
		conn_refuse(c, h->expect_continue ? 0 : unread, 413, NULL, msg);
		return;
	}
	if (list_length(conns) > MAX_CONNS)
	{
		/* (no draining: too many connections already) */
		conn_answer(c, 503, "Retry-After: 1\r\n", "{\"error\": \"too many requests in progress: retry\"}\n");
		return;
	}
	old = MemoryContextSwitchTo(worker_cxt);
	strlcpy(c->source, h->source, sizeof(c->source));
	c->key = h->idempotency_key[0] ? pstrdup(h->idempotency_key) : NULL;
	c->len = h->content_length;
	c->body = palloc(c->len + 1);
	c->got = Min(h->body_len, c->len);
	memcpy(c->body, prefix, c->got);
	c->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), READ_TIMEOUT_MS);
	c->state = c->got == c->len ? CONN_READY : CONN_READING;
	MemoryContextSwitchTo(old);
	if (c->state == CONN_READING && h->expect_continue)
		(void) send(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25, MSG_NOSIGNAL);
}

/* The handovers queued on the socket. */
static void
receive(void)
{
	static char *buf = NULL;
	size_t		size = sizeof(ListenerHandoff) + LISTENER_HEADER_MAX;

	if (sock < 0)
		return;
	if (buf == NULL)
		buf = MemoryContextAlloc(worker_cxt, size);
	for (;;)
	{
		struct msghdr msg;
		struct iovec iov;
		union
		{
			char		buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		}			ctl;
		struct cmsghdr *cm;
		ssize_t		n;
		int			fd = -1;
		ListenerHandoff *h = (ListenerHandoff *) buf;

		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = size;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			return;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
				cm->cmsg_len >= CMSG_LEN(sizeof(int)))
				memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		if (fd < 0)
			continue;
		if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || n < (ssize_t) sizeof(ListenerHandoff) ||
			h->magic != LISTENER_MAGIC || h->body_len < 0 ||
			n != (ssize_t) sizeof(ListenerHandoff) + h->body_len)
		{
			listener_answer(fd, 500, NULL, NULL, "{\"error\": \"internal: a malformed handover\"}\n");
			close(fd);
			continue;
		}
		h->source[NAMEDATALEN - 1] = '\0';
		h->authorization[LISTENER_AUTH_MAX - 1] = '\0';
		h->idempotency_key[LISTENER_KEY_MAX - 1] = '\0';
		(void) fcntl(fd, F_SETFL, O_NONBLOCK);
		take(fd, h, buf + sizeof(ListenerHandoff));
	}
}

/* Read what has come of the bodies; time out the slow ones. */
static void
read_bodies(void)
{
	TimestampTz now = GetCurrentTimestamp();
	ListCell   *lc;

	foreach(lc, conns)
	{
		WebhookConn *c = lfirst(lc);
		ssize_t		n;

		if (c->state == CONN_DRAINING)
		{
			static char scratch[65536];

			n = recv(c->fd, scratch, Min(sizeof(scratch), c->len - c->got), 0);
			if (n > 0)
				c->got += n;
			if (n == 0 || c->got >= c->len || c->deadline <= now ||
				(n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			{
				conns = foreach_delete_current(conns, lc);
				conn_free(c);
			}
			continue;
		}
		if (c->state != CONN_READING)
			continue;
		n = recv(c->fd, c->body + c->got, c->len - c->got, 0);
		if (n > 0)
		{
			c->got += n;
			if (c->got == c->len)
				c->state = CONN_READY;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		{
			/* the client went: nothing to land, nobody to answer */
			conns = foreach_delete_current(conns, lc);
			conn_free(c);
		}
		else if (c->deadline <= now)
		{
			listener_answer(c->fd, 408, NULL, NULL, "{\"error\": \"the body did not come in time\"}\n");
			conns = foreach_delete_current(conns, lc);
			conn_free(c);
		}
	}
}

/* Outside any transaction: take handovers and body bytes; how many requests are ready to land. */
int
worker_webhook_poll(void)
{
	ListCell   *lc;
	int			n = 0;

	receive();
	read_bodies();
	foreach(lc, conns)
	{
		WebhookConn *c = lfirst(lc);

		if (c->state != CONN_READY)
			continue;
		if (source_named(c->source) == NULL)
		{
			/* dropped while its body came: nothing will land it */
			listener_answer(c->fd, 404, NULL, NULL, "{\"error\": \"no such webhook source\"}\n");
			conns = foreach_delete_current(conns, lc);
			conn_free(c);
			continue;
		}
		n++;
	}
	return n;
}

/* The answer of a landing (in the current context). */
static void
landing_answer(WebhookConn *c, HttpSource *s)
{
	StringInfoData b;

	initStringInfo(&b);
	if (s->last_unparsed)
	{
		c->status = 400;
		appendStringInfoString(&b, "{\"error\": ");
		escape_json(&b, psprintf("the body could not be parsed: %s", s->last_error));
		appendStringInfo(&b, ", \"request\": %lld, \"dead_letters\": 1}\n", (long long) s->new_polls);
	}
	else if (s->last_error[0])
	{
		c->status = s->stopped ? 403 : 404;
		appendStringInfoString(&b, "{\"error\": ");
		escape_json(&b, s->last_error);
		appendStringInfoString(&b, "}\n");
	}
	else
	{
		c->status = 200;
		appendStringInfo(&b, "{\"landed\": %lld, \"dead_letters\": %lld, \"request\": %lld}\n",
						 (long long) s->last_rows, (long long) s->last_dead, (long long) s->new_polls);
	}
	c->answer = MemoryContextStrdup(worker_cxt, b.data);
}

/*
 * In the epoch's transaction: every ready request of s, in arrival order;
 * the rows as changes.  A request whose Idempotency-Key is known lands
 * nothing and gets the answer stored with the key.
 */
List *
worker_webhook_land(HttpSource *s)
{
	ListCell   *lc;
	List	   *changes = NIL;
	bool		any = false;

	foreach(lc, conns)
	{
		WebhookConn *c = lfirst(lc);
		HttpCall   *call;
		bool		known = false;

		if (c->state != CONN_READY || strcmp(c->source, s->name) != 0)
			continue;
		c->state = CONN_LANDED;
		any = true;
		if (c->key)
		{
			int			status;
			char	   *answer;

			SPI_connect();
			if (meta_webhook_key_find(s->name, c->key, &status, &answer))
			{
				known = true;
				c->status = status;
				c->answer = MemoryContextStrdup(worker_cxt, answer);
			}
			SPI_finish();
		}
		if (known)
			continue;
		call = MemoryContextAllocZero(worker_batch_cxt, sizeof(HttpCall));
		c->body[c->len] = '\0';
		call->ok = true;
		call->status = 200;
		call->resp = c->body;
		call->resp_len = c->len;
		s->got = call;
		changes = list_concat(changes, http_land(s, worker_batch_cxt));
		s->got = NULL;
		landing_answer(c, s);
		if (s->land_done)
			s->polls = s->new_polls;	/* the next request of this epoch counts on */
		if (c->key && (c->status == 200 || c->status == 400))
		{
			SPI_connect();
			meta_webhook_key_add(s->name, c->key, c->status, c->answer);
			SPI_finish();
		}
	}
	if (any)
	{
		SPI_connect();
		meta_webhook_keys_expire();
		SPI_finish();
	}
	return changes;
}

/* After the epoch committed: answer what it landed. */
void
worker_webhook_landed(void)
{
	ListCell   *lc;

	foreach(lc, conns)
	{
		WebhookConn *c = lfirst(lc);

		if (c->state != CONN_LANDED)
			continue;
		listener_answer(c->fd, c->status, c->status == 401 ? "WWW-Authenticate: Bearer\r\n" : NULL,
						NULL, c->answer);
		conns = foreach_delete_current(conns, lc);
		conn_free(c);
	}
}

/*
 * The loop's wait: the latch, the wake pipe (Kafka queues, the HTTP
 * client's thread; when wake_pipe), the handover socket, and every body
 * still coming, at most timeout_ms (and no later than the first body's
 * deadline).
 */
void
worker_webhook_wait(long timeout_ms, bool wake_pipe)
{
	WaitEventSet *set;
	WaitEvent	events[8];
	TimestampTz now = GetCurrentTimestamp();
	ListCell   *lc;
	int			n = 4 + list_length(conns);

	set = CreateWaitEventSet(CurrentMemoryContext, n);
	AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	if (wake_pipe)
		AddWaitEventToSet(set, WL_SOCKET_READABLE, worker_wake_pipe[0], NULL, NULL);
	if (sock >= 0)
		AddWaitEventToSet(set, WL_SOCKET_READABLE, sock, NULL, NULL);
	foreach(lc, conns)
	{
		WebhookConn *c = lfirst(lc);

		if (c->state != CONN_READING && c->state != CONN_DRAINING)
			continue;
		AddWaitEventToSet(set, WL_SOCKET_READABLE, c->fd, NULL, NULL);
		timeout_ms = Min(timeout_ms, TimestampDifferenceMilliseconds(now, c->deadline) + 1);
	}
	/* whatever woke us, the loop looks at everything: one event is enough */
	(void) WaitEventSetWait(set, timeout_ms, events, lengthof(events), PG_WAIT_EXTENSION);
	FreeWaitEventSet(set);
	ResetLatch(MyLatch);
}
