/*
 * listen.h
 *	  The listener (pathway.http_listen) and what it hands an engine worker
 *	  with a webhook request: the client's socket (SCM_RIGHTS) and one
 *	  datagram holding a ListenerHandoff and the body bytes already read.
 *
 * The datagram goes to the worker's Unix-domain socket in the data
 * directory (LISTENER_SOCKET_FMT, by database OID); only the server's own
 * operating-system user can reach it (the directory is private).  The
 * launcher's listener_launch() returns how long it may sleep before the
 * listener needs it again (-1: until woken).
 */
#ifndef PATHWAY_LISTEN_H
#define PATHWAY_LISTEN_H

#include "postgres.h"

/*
 * Relative to the data directory (every server process's working
 * directory), in the directory of temporary statistics files, whose
 * contents base backups leave out.
 */
#define LISTENER_SOCKET_FMT "pg_stat_tmp/pathway_webhook.%u"
#define LISTENER_MAGIC 0x70617768
#define LISTENER_HEADER_MAX 16384	/* request line and headers */
#define LISTENER_AUTH_MAX 512
#define LISTENER_KEY_MAX 256

typedef struct ListenerHandoff
{
	uint32		magic;
	char		source[NAMEDATALEN];
	int64		content_length;
	bool		expect_continue;	/* the client waits for "100 Continue" */
	char		authorization[LISTENER_AUTH_MAX];	/* "" none */
	char		idempotency_key[LISTENER_KEY_MAX];	/* "" none */
	int32		body_len;		/* body bytes that follow this struct */
} ListenerHandoff;

/* launcher.c: (re)start the listener when the setting asks for one */
extern long listener_launch(void);

/* One HTTP answer with Connection: close; best effort (the socket is non-blocking). */
extern void listener_answer(int fd, int status, const char *extra_headers,
							const char *content_type, const char *body);

PGDLLEXPORT void pathway_listener_main(Datum arg);

#endif							/* PATHWAY_LISTEN_H */
