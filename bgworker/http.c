/*
 * http.c
 *	  The engine worker's HTTP sources: started and stopped at catalog load,
 *	  polled before each epoch, landed in its transaction, moved on after it
 *	  commits, published for pathway.sources and pathway.sync().  The
 *	  requests and the landing are connectors/http_source.c's and
 *	  http_land.c's; the statements meta/http.c's.
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "bgworker/internal.h"
#include "connectors/http_source.h"
#include "connectors/source.h"
#include "meta/http.h"

List	   *worker_http_sources = NIL;	/* HttpSource *, in worker_cxt */

/* Inside SPI, at catalog load: start new sources, stop dropped ones. */
void
worker_load_http_sources(void)
{
	ListCell   *lc,
			   *lr;
	List	   *keep = NIL;
	MemoryContext old;

	foreach(lc, worker_http_sources)
		((HttpSource *) lfirst(lc))->seen = false;
	foreach(lr, meta_http_sources())
	{
		MetaHttpSource *m = lfirst(lr);
		HttpSource *h = NULL;

		foreach(lc, worker_http_sources)
			if (((HttpSource *) lfirst(lc))->relid == m->relid)
				h = lfirst(lc);
		if (h)
		{
			h->seen = true;
			continue;
		}
		old = MemoryContextSwitchTo(worker_cxt);
		if (m->webhook)
			h = http_webhook_start(m->name, m->relid, m->owner, m->format,
								   DatumGetJsonbPCopy(JsonbPGetDatum(m->options)), m->polls);
		else
			h = http_source_start(m->name, m->relid, m->owner, m->url, m->format,
								  DatumGetJsonbPCopy(JsonbPGetDatum(m->options)), m->polls,
								  m->cursor, m->next_url, m->etag, m->etag_url, worker_wake_pipe[1]);
		h->seen = true;
		worker_http_sources = lappend(worker_http_sources, h);
		MemoryContextSwitchTo(old);
		ereport(LOG, (errmsg("pathway: %s source \"%s\" starts", m->webhook ? "webhook" : "HTTP", m->name)));
	}
	old = MemoryContextSwitchTo(worker_cxt);
	foreach(lc, worker_http_sources)
	{
		HttpSource *h = lfirst(lc);

		if (h->seen)
			keep = lappend(keep, h);
		else
		{
			ereport(LOG, (errmsg("pathway: HTTP source \"%s\" stops", h->name)));
			http_source_stop(h);
		}
	}
	MemoryContextSwitchTo(old);
	list_free(worker_http_sources);
	worker_http_sources = keep;
}

/* Outside any transaction: how many answers (and webhook requests) there are to land. */
int
worker_http_poll(void)
{
	return (worker_http_sources ? http_sources_poll(worker_http_sources) : 0) + worker_webhook_poll();
}

/* In the epoch's transaction: the answers landed, as transactions of the epoch. */
List *
worker_http_land(List *txns, XLogRecPtr end_lsn)
{
	ListCell   *lc;

	foreach(lc, worker_http_sources)
	{
		HttpSource *h = lfirst(lc);
		List	   *changes = h->webhook ? worker_webhook_land(h) : http_land(h, worker_batch_cxt);

		if (changes != NIL)
		{
			MemoryContext old = MemoryContextSwitchTo(worker_batch_cxt);
			DecodedTxn *t = palloc0(sizeof(DecodedTxn));

			t->xid = InvalidTransactionId;
			t->end_lsn = end_lsn;
			t->changes = changes;
			txns = lappend(txns, t);
			MemoryContextSwitchTo(old);
		}
	}
	return txns;
}

/* After the epoch's commit (before its context is reset). */
void
worker_http_landed(void)
{
	ListCell   *lc;

	foreach(lc, worker_http_sources)
		http_source_landed(lfirst(lc));
	worker_webhook_landed();
}

/* The tickets pathway.sync() took (caller holds the lock). */
void
worker_http_take_sync_requests(void)
{
	ListCell   *lc;
	int			i;

	foreach(lc, worker_http_sources)
	{
		HttpSource *h = lfirst(lc);

		for (i = 0; i < worker_db->nsources; i++)
			if (strcmp(worker_db->sources[i].name, h->name) == 0)
				h->sync_requested = Max(h->sync_requested, worker_db->sources[i].sync_requested);
	}
}

/* Publish after the Kafka sources, from slot n; returns the slots used (caller holds the lock). */
int
worker_http_publish(int n)
{
	ListCell   *lc;

	/* the webhook sources' names, for the listener */
	worker_db->nwebhooks = 0;
	foreach(lc, worker_http_sources)
	{
		HttpSource *h = lfirst(lc);

		if (!h->webhook || worker_db->nwebhooks >= PATHWAY_MAX_SOURCES)
			continue;
		strlcpy(worker_db->webhooks[worker_db->nwebhooks++], h->name, NAMEDATALEN);
		/* nothing to wait for: a webhook's rows come when they are posted */
		h->sync_served = h->sync_requested;
	}
	foreach(lc, worker_http_sources)
	{
		HttpSource *h = lfirst(lc);
		PathwaySourceShm *p = &worker_db->sources[n];

		if (n >= PATHWAY_MAX_SOURCES)
			break;
		p->sync_requested = h->sync_requested;
		p->sync_served = h->sync_served;
		strlcpy(p->name, h->name, sizeof(p->name));
		strlcpy(p->status, h->status, sizeof(p->status));
		strlcpy(p->error, h->error, sizeof(p->error));
		p->messages = h->messages;
		p->dead_letters = h->dead_letters;
		p->lag = 0;
		p->partitions = 0;
		p->last_message = h->last_message;
		n++;
	}
	return n;
}
