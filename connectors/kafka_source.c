/*
 * kafka_source.c
 *	  The consumer side of Kafka sources: one librdkafka consumer per source,
 *	  run from the engine worker's main loop.
 *
 * Partitions are assigned by hand (no consumer group): the next offset of
 * each partition is what the stream table's epochs committed, so the worker
 * resumes exactly where the last committed epoch ended.  New partitions are
 * found by a metadata request every few seconds (with backoff while the
 * brokers are unreachable).
 *
 * Threads: librdkafka calls log_cb and error_cb from its own threads as well
 * as ours.  They only copy text into a fixed ring under a pthread mutex; the
 * worker drains the ring with kafka_report_logs().  The requests that block
 * (metadata, high watermarks) run in one helper thread per source ("aside"),
 * which calls librdkafka only, keeps every signal blocked, and answers
 * through a mutex-guarded struct and a byte on the worker's wake pipe: the
 * worker's loop never waits on a broker.  Nothing that a thread other than
 * the worker's runs touches palloc, elog or any PostgreSQL state.
 *
 * Memory: KafkaSource and its arrays live in the context current at
 * kafka_source_start (the worker's long-lived one); a poll's messages are
 * copied into the epoch's context.
 */
#include "postgres.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "connectors/kafka_options.h"
#include "connectors/kafka_source.h"

#define METADATA_TIMEOUT_MS 200
#define METADATA_EVERY_MS 5000
#define METADATA_BACKOFF_MAX_MS 30000
#define DEFAULT_MAX_MESSAGE_BYTES (1024 * 1024)

/* ---------- the ring that librdkafka's threads write to ---------- */

#define LOG_RING 32

typedef struct LogEntry
{
	KafkaSource *source;
	bool		is_error;
	int			level;
	char		text[240];
} LogEntry;

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static LogEntry ring[LOG_RING];
static int	ring_head = 0;
static int	ring_count = 0;
static int	ring_dropped = 0;

static void
ring_put(KafkaSource *s, bool is_error, int level, const char *text)
{
	LogEntry   *e;

	pthread_mutex_lock(&ring_lock);
	if (ring_count == LOG_RING)
		ring_dropped++;
	else
	{
		e = &ring[(ring_head + ring_count) % LOG_RING];
		e->source = s;
		e->is_error = is_error;
		e->level = level;
		strlcpy(e->text, text, sizeof(e->text));
		ring_count++;
	}
	pthread_mutex_unlock(&ring_lock);
}

static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	ring_put(rd_kafka_opaque(rk), false, level, buf);
}

static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	ring_put(opaque, true, 3, reason);
}

/*
 * In the worker, between epochs: errors become the source's status;
 * librdkafka's warnings and errors become LOG lines.
 */
void
kafka_report_logs(void)
{
	for (;;)
	{
		LogEntry	e;
		int			dropped;

		pthread_mutex_lock(&ring_lock);
		if (ring_count == 0)
		{
			dropped = ring_dropped;
			ring_dropped = 0;
			pthread_mutex_unlock(&ring_lock);
			if (dropped > 0)
				ereport(LOG, (errmsg("pathway: %d Kafka log lines dropped", dropped)));
			return;
		}
		e = ring[ring_head];
		ring_head = (ring_head + 1) % LOG_RING;
		ring_count--;
		pthread_mutex_unlock(&ring_lock);

		if (e.is_error && e.source)
		{
			strlcpy(e.source->status, "error", sizeof(e.source->status));
			strlcpy(e.source->error, e.text, sizeof(e.source->error));
		}
		/* (an error is also a log line of its own: say it once) */
		if (!e.is_error && e.level <= 4)
			ereport(LOG, (errmsg("pathway: Kafka source \"%s\": %s",
								 e.source ? e.source->name : "?", e.text)));
	}
}

/* Forget what the ring holds about a source that goes away. */
static void
ring_forget(KafkaSource *s)
{
	int			i;

	pthread_mutex_lock(&ring_lock);
	for (i = 0; i < ring_count; i++)
		if (ring[(ring_head + i) % LOG_RING].source == s)
			ring[(ring_head + i) % LOG_RING].source = NULL;
	pthread_mutex_unlock(&ring_lock);
}

/* ---------- the helper thread for blocking requests ---------- */

typedef struct KafkaAside
{
	pthread_t	thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool		stop;
	bool		done;			/* the thread has returned */
	int			wake_fd;
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	char	   *topic;			/* malloc'd */
	/* requests, from the worker */
	bool		want_metadata;
	int			want_watermarks;	/* partitions to ask about, 0: none */
	/* answers, to the worker */
	bool		metadata_ready;
	int			md_err;			/* rd_kafka_resp_err_t of the request or the topic */
	int			md_partitions;
	bool		watermarks_ready;
	bool		wm_ok;
	int			wm_n;
	int64	   *wm_hi;			/* malloc'd, like wm_lo */
	int64	   *wm_lo;
} KafkaAside;

#define ASIDE_TIMEOUT_MS 2000

static void
aside_wake(KafkaAside *a)
{
	char		b = 'a';

	/* a full pipe already wakes the worker */
	if (write(a->wake_fd, &b, 1) < 0)
		return;
}

static void *
aside_main(void *arg)
{
	KafkaAside *a = arg;

	pthread_mutex_lock(&a->lock);
	for (;;)
	{
		while (!a->stop && !a->want_metadata && a->want_watermarks == 0)
			pthread_cond_wait(&a->cond, &a->lock);
		if (a->stop)
			break;
		if (a->want_metadata)
		{
			const struct rd_kafka_metadata *md = NULL;
			rd_kafka_resp_err_t err;
			int			nparts = 0;

			a->want_metadata = false;
			pthread_mutex_unlock(&a->lock);
			err = rd_kafka_metadata(a->rk, 0, a->rkt, &md, ASIDE_TIMEOUT_MS);
			if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
			{
				if (md->topic_cnt != 1)
					err = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
				else if (md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR)
					err = md->topics[0].err;
				else
					nparts = md->topics[0].partition_cnt;
				rd_kafka_metadata_destroy(md);
			}
			pthread_mutex_lock(&a->lock);
			a->md_err = err;
			a->md_partitions = nparts;
			a->metadata_ready = true;
		}
		else
		{
			int			n = a->want_watermarks,
						p;
			int64	   *hi = malloc(sizeof(int64) * n);
			int64	   *lo = malloc(sizeof(int64) * n);
			bool		ok = (hi != NULL && lo != NULL);

			a->want_watermarks = 0;
			pthread_mutex_unlock(&a->lock);
			for (p = 0; p < n && ok; p++)
				ok = rd_kafka_query_watermark_offsets(a->rk, a->topic, p, &lo[p], &hi[p],
													  ASIDE_TIMEOUT_MS) == RD_KAFKA_RESP_ERR_NO_ERROR;
			pthread_mutex_lock(&a->lock);
			free(a->wm_hi);
			free(a->wm_lo);
			a->wm_hi = hi;
			a->wm_lo = lo;
			a->wm_n = n;
			a->wm_ok = ok;
			a->watermarks_ready = true;
		}
		pthread_mutex_unlock(&a->lock);
		aside_wake(a);
		pthread_mutex_lock(&a->lock);
	}
	a->done = true;
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* Start the helper thread with every signal blocked (they are the worker's). */
static KafkaAside *
aside_start(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const char *topic, int wake_fd)
{
	KafkaAside *a = calloc(1, sizeof(KafkaAside));
	sigset_t	all,
				old;

	if (a == NULL)
		return NULL;
	a->rk = rk;
	a->rkt = rkt;
	a->topic = strdup(topic);
	a->wake_fd = wake_fd;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (a->topic == NULL || pthread_create(&a->thread, NULL, aside_main, a) != 0)
	{
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		free(a->topic);
		free(a);
		return NULL;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return a;
}

static void
aside_request(KafkaAside *a, bool metadata, int watermarks)
{
	pthread_mutex_lock(&a->lock);
	if (metadata)
		a->want_metadata = true;
	if (watermarks > 0)
		a->want_watermarks = watermarks;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

/*
 * Stop the thread.  Returns false if it is still inside a librdkafka call
 * after 5 s: then the handle must not be destroyed (the thread is left to
 * finish on its own; the process's exit ends it at the latest).
 */
static bool
aside_stop(KafkaAside *a)
{
	struct timespec until;

	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	if (pthread_timedjoin_np(a->thread, NULL, &until) != 0)
	{
		pthread_detach(a->thread);
		return false;
	}
	free(a->wm_hi);
	free(a->wm_lo);
	free(a->topic);
	free(a);
	return true;
}

static void take_watermarks(KafkaSource *s);

/* ---------- lifecycle ---------- */

static void
set_status(KafkaSource *s, const char *status, const char *error)
{
	strlcpy(s->status, status, sizeof(s->status));
	if (error)
		strlcpy(s->error, error, sizeof(s->error));
}

/*
 * Create the consumer.  offsets[p] is the committed next offset of
 * partition p (-1: none yet).  A source that cannot start is returned with
 * status "error" and no consumer; the worker keeps it listed.
 */
KafkaSource *
kafka_source_start(const char *name, Oid relid, Oid owner, const char *brokers,
				   const char *topic, const char *format, Jsonb *options,
				   int64 *offsets, int noffsets, int wake_fd)
{
	KafkaSource *s = palloc0(sizeof(KafkaSource));
	rd_kafka_conf_t *conf;
	char		err[512];
	int			i;

	s->name = pstrdup(name);
	s->relid = relid;
	s->owner = owner;
	s->topic = pstrdup(topic);
	s->format = kafka_format_from_name(format);
	s->max_message_bytes = DEFAULT_MAX_MESSAGE_BYTES;
	s->next_offset = palloc(sizeof(int64) * Max(noffsets, 1));
	for (i = 0; i < noffsets; i++)
		s->next_offset[i] = offsets[i];
	set_status(s, "starting", NULL);

	/*
	 * Options only a superuser may set (checked at creation) stay allowed
	 * while the owner is one: a role demoted since must not keep them.
	 * Nothing reaches librdkafka before this.
	 */
	if (kafka_options_validate(options, true, err, sizeof(err)) != KAFKA_OPTIONS_OK)
	{
		set_status(s, "error", err);
		return s;
	}
	if (kafka_options_refused(options, owner, "the source cannot start", &s->needs_superuser,
							  err, sizeof(err)))
	{
		set_status(s, "failed", err);
		ereport(LOG, (errmsg("pathway: Kafka source \"%s\" failed: %s", name, err)));
		return s;
	}

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_opaque(conf, s);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_error_cb(conf, on_error);
	/*
	 * Partitions are assigned, never subscribed, and offsets never committed
	 * to Kafka: the group id only gives the consumer its queue.
	 */
	if (rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err)) != RD_KAFKA_CONF_OK ||
		rd_kafka_conf_set(conf, "group.id", "pathway", err, sizeof(err)) != RD_KAFKA_CONF_OK ||
		/* an idle partition's fetch returns within 100 ms (brokers answer sooner when data comes) */
		rd_kafka_conf_set(conf, "fetch.wait.max.ms", "100", err, sizeof(err)) != RD_KAFKA_CONF_OK ||
		/* a broker that comes back is found within 2 s, not 10 */
		rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "2000", err, sizeof(err)) != RD_KAFKA_CONF_OK ||
		/*
		 * librdkafka stops fetching a partition while the consumer queue
		 * holds queued.min.messages (default 100,000) and looks again only
		 * some 0.1-0.5 s later: an epoch takes up to pathway.max_epoch_changes
		 * (100,000) messages, so at the default the queue ran dry after
		 * every few epochs.  Three epochs' worth keeps it fed (at most
		 * queued.max.messages.kbytes, 64 MB by default, held either way).
		 */
		rd_kafka_conf_set(conf, "queued.min.messages", "300000", err, sizeof(err)) != RD_KAFKA_CONF_OK ||
		!kafka_conf_apply(conf, options, s, true, err, sizeof(err)) ||
		rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err)) != RD_KAFKA_CONF_OK ||
		rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err)) != RD_KAFKA_CONF_OK ||
		rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", err, sizeof(err)) != RD_KAFKA_CONF_OK ||
		rd_kafka_conf_set(conf, "enable.partition.eof", "false", err, sizeof(err)) != RD_KAFKA_CONF_OK)
	{
		rd_kafka_conf_destroy(conf);
		set_status(s, "error", err);
		return s;
	}
	s->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (s->rk == NULL)
	{
		/* rd_kafka_new frees conf only on success */
		rd_kafka_conf_destroy(conf);
		set_status(s, "error", err);
		return s;
	}
	rd_kafka_poll_set_consumer(s->rk);
	s->queue = rd_kafka_queue_get_consumer(s->rk);
	if (s->queue == NULL)
	{
		rd_kafka_destroy(s->rk);
		s->rk = NULL;
		set_status(s, "error", "librdkafka gave the consumer no queue");
		return s;
	}
	rd_kafka_queue_io_event_enable(s->queue, wake_fd, "k", 1);
	s->rkt = rd_kafka_topic_new(s->rk, topic, NULL);
	s->aside = aside_start(s->rk, s->rkt, topic, wake_fd);
	if (s->aside == NULL)
	{
		rd_kafka_queue_destroy(s->queue);
		rd_kafka_topic_destroy(s->rkt);
		rd_kafka_destroy(s->rk);
		s->rk = NULL;
		set_status(s, "error", "could not start a thread for the source");
		return s;
	}
	s->nparts = 0;				/* assigned after the first metadata */
	s->nknown = noffsets;
	s->next_metadata = 0;
	s->metadata_backoff_ms = 500;
	return s;
}

/*
 * In the epoch's transaction, before its batch lands: a source whose
 * options need a superuser stops for good once its owner is no longer one
 * (the batch is not landed; its messages stay in Kafka).  Returns false
 * then.
 */
bool
kafka_source_still_allowed(KafkaSource *s)
{
	char	   *name;

	if (!s->needs_superuser || s->rk == NULL || superuser_arg(s->owner))
		return true;
	kafka_source_stop(s);
	name = GetUserNameFromId(s->owner, true);
	snprintf(s->error, sizeof(s->error),
			 "the source stopped: its owner %s%s%s is no longer superuser, and its options need one",
			 name ? "\"" : "", name ? name : "(dropped)", name ? "\"" : "");
	strlcpy(s->status, "failed", sizeof(s->status));
	ereport(LOG, (errmsg("pathway: Kafka source \"%s\" failed: %s", s->name, s->error)));
	s->batch = NULL;
	s->nbatch = 0;
	s->offsets_dirty = false;
	return false;
}

void
kafka_source_stop(KafkaSource *s)
{
	if (s->rk)
	{
		if (s->aside && !aside_stop(s->aside))
		{
			/* its thread is stuck in librdkafka: leave the handle to it */
			ereport(LOG, (errmsg("pathway: Kafka source \"%s\" left a request to its brokers behind",
								 s->name)));
			s->rk = NULL;
			ring_forget(s);
			return;
		}
		rd_kafka_assign(s->rk, NULL);
		if (s->queue)
			rd_kafka_queue_destroy(s->queue);
		if (s->rkt)
			rd_kafka_topic_destroy(s->rkt);
		rd_kafka_destroy(s->rk);
		s->rk = NULL;
	}
	ring_forget(s);
}

/* Does a "latest" source have new partitions with no committed position? */
static bool
latest_needs_ends(KafkaSource *s, int nparts)
{
	int			known = Max(s->nparts, s->nknown);
	int			p;

	for (p = 0; p < nparts; p++)
		if (p >= known || s->next_offset[p] < 0)
			return true;
	return false;
}

/*
 * (Re)assign every partition, each at its committed position; a partition
 * without one at ends[p] if given (a "latest" start: committed with the next
 * epoch, so a restart and pathway.sync() know where the source started),
 * else at the beginning or the end (auto.offset.reset).
 */
static void
assign(KafkaSource *s, int nparts, int64 *ends)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(nparts);
	int64	   *offs = palloc(sizeof(int64) * nparts);
	int			known = Max(s->nparts, s->nknown);
	int			p;

	for (p = 0; p < nparts; p++)
	{
		offs[p] = p < known ? s->next_offset[p] : -1;
		if (offs[p] < 0 && ends && ends[p] >= 0)
		{
			offs[p] = ends[p];
			s->offsets_dirty = true;
		}
		rd_kafka_topic_partition_list_add(list, s->topic, p)->offset =
			offs[p] >= 0 ? offs[p] :
			(s->from_latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING);
	}
	rd_kafka_assign(s->rk, list);
	rd_kafka_topic_partition_list_destroy(list);
	pfree(s->next_offset);
	s->next_offset = offs;
	s->nparts = nparts;
	s->nknown = nparts;
}

/*
 * Ask (through the helper thread) for the topic's partitions when due, and
 * apply the answer when it has come: assign new partitions.
 */
static void
check_metadata(KafkaSource *s)
{
	KafkaAside *a = s->aside;
	TimestampTz now = GetCurrentTimestamp();
	bool		ready;
	int			err = 0,
				n = 0;

	pthread_mutex_lock(&a->lock);
	ready = a->metadata_ready;
	if (ready)
	{
		err = a->md_err;
		n = a->md_partitions;
		a->metadata_ready = false;
	}
	pthread_mutex_unlock(&a->lock);
	if (ready)
	{
		s->md_inflight = false;
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR && n > 0)
		{
			if (n > s->nparts && !(s->from_latest && latest_needs_ends(s, n)))
				assign(s, n, NULL);
			else if (n > s->nparts && !s->wm_inflight)
			{
				/* "latest": the ends first, then assign there (take_watermarks) */
				s->wm_inflight = true;
				s->wm_assign = n;
				aside_request(a, false, n);
			}
			set_status(s, "running", NULL);
			s->error[0] = '\0';
			s->metadata_backoff_ms = 500;
			s->next_metadata = TimestampTzPlusMilliseconds(now, METADATA_EVERY_MS);
		}
		else
		{
			set_status(s, s->nparts > 0 ? "error" : "waiting",
					   err != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_err2str(err) : "topic has no partitions");
			s->next_metadata = TimestampTzPlusMilliseconds(now, s->metadata_backoff_ms);
			s->metadata_backoff_ms = Min(s->metadata_backoff_ms * 2, METADATA_BACKOFF_MAX_MS);
		}
	}
	if (!s->md_inflight && now >= s->next_metadata)
	{
		s->md_inflight = true;
		aside_request(a, true, 0);
	}
}

static char *
copy_bytes(const void *p, size_t len)
{
	char	   *c = palloc(len + 1);

	memcpy(c, p, len);
	c[len] = '\0';
	return c;
}

/*
 * Take up to max messages that have arrived (never waits), copied into cxt,
 * as s->batch.  Returns how many.
 */
int
kafka_source_poll(KafkaSource *s, int max, MemoryContext cxt)
{
	rd_kafka_message_t **msgs;
	ssize_t		n;
	int			i;
	int64		lag = 0;

	s->batch = NULL;
	s->nbatch = 0;
	if (s->rk == NULL)
		return 0;
	take_watermarks(s);
	check_metadata(s);
	if (s->nparts == 0 || max <= 0)
		return 0;

	msgs = MemoryContextAlloc(cxt, sizeof(rd_kafka_message_t *) * max);
	n = rd_kafka_consume_batch_queue(s->queue, 0, msgs, max);
	if (n < 0)
		n = 0;
	s->batch = MemoryContextAlloc(cxt, sizeof(KafkaMessage) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		rd_kafka_message_t *m = msgs[i];

		if (m->err)
		{
			set_status(s, "error", rd_kafka_message_errstr(m));
		}
		else if (m->partition >= 0 && m->partition < s->nparts &&
				 (s->next_offset[m->partition] < 0 || m->offset >= s->next_offset[m->partition]))
		{
			KafkaMessage *k = &s->batch[s->nbatch++];
			MemoryContext old = MemoryContextSwitchTo(cxt);
			rd_kafka_timestamp_type_t tstype;

			k->partition = m->partition;
			k->offset = m->offset;
			k->timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
			k->key = m->key ? copy_bytes(m->key, m->key_len) : NULL;
			k->key_len = m->key_len;
			k->payload = m->payload ? copy_bytes(m->payload, m->len) : NULL;
			k->len = m->len;
			MemoryContextSwitchTo(old);
		}
		rd_kafka_message_destroy(m);
	}
	pfree(msgs);

	/* lag: the high watermarks librdkafka last heard, against our positions */
	for (i = 0; i < s->nparts; i++)
	{
		int64		lo,
					hi,
					pos = s->next_offset[i];
		int			j;

		for (j = 0; j < s->nbatch; j++)
			if (s->batch[j].partition == i)
				pos = Max(pos, s->batch[j].offset + 1);
		if (rd_kafka_get_watermark_offsets(s->rk, s->topic, i, &lo, &hi) == RD_KAFKA_RESP_ERR_NO_ERROR &&
			hi >= 0 && pos >= 0 && hi > pos)
			lag += hi - pos;
	}
	s->lag = lag;
	return s->nbatch;
}

/* The helper thread's high watermarks, if they came: a "latest" assignment or a sync target. */
static void
take_watermarks(KafkaSource *s)
{
	KafkaAside *a = s->aside;
	bool		ready,
				ok = false;
	int			n = 0,
				p;
	int64	   *ends = NULL;

	if (!s->wm_inflight)
		return;
	pthread_mutex_lock(&a->lock);
	ready = a->watermarks_ready;
	if (ready)
	{
		ok = a->wm_ok;
		n = a->wm_n;
		if (ok && n > 0)
		{
			/* the end of each partition; -1 where it holds nothing (for sync) */
			ends = palloc(sizeof(int64) * n * 2);
			memcpy(ends, a->wm_hi, sizeof(int64) * n);
			memcpy(ends + n, a->wm_lo, sizeof(int64) * n);
		}
		a->watermarks_ready = false;
	}
	pthread_mutex_unlock(&a->lock);
	if (!ready)
		return;
	s->wm_inflight = false;
	if (s->wm_assign > 0)
	{
		if (ok)
			assign(s, Min(n, s->wm_assign), ends);
		else
			s->next_metadata = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);
		s->wm_assign = 0;
		return;
	}
	if (!ok)
	{
		s->sync_retry = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);
		return;
	}
	for (p = 0; p < n; p++)
		if (ends[p] <= ends[n + p])
			ends[p] = -1;		/* empty: nothing to wait for */
	if (s->sync_target)
		pfree(s->sync_target);
	s->sync_target = ends;
	s->sync_ntarget = n;
	s->sync_pending = s->wm_ticket;
}

/*
 * pathway.sync() asked: find out (through the helper thread) what the
 * brokers hold now, and call the ticket served once every partition is
 * landed that far.  Asked only while the source reaches its brokers; an
 * answer that failed is asked again after a second.
 */
void
kafka_source_sync(KafkaSource *s)
{
	KafkaAside *a = s->aside;
	int			p;

	if (s->rk == NULL || s->nparts == 0)
		return;
	take_watermarks(s);
	if (!s->wm_inflight && s->sync_requested > s->sync_pending &&
		GetCurrentTimestamp() >= s->sync_retry && strcmp(s->status, "running") == 0)
	{
		s->wm_inflight = true;
		s->wm_ticket = s->sync_requested;
		aside_request(a, false, s->nparts);
	}
	if (s->sync_pending > s->sync_served)
	{
		for (p = 0; p < s->sync_ntarget; p++)
			if (s->sync_target[p] >= 0 && (p >= s->nparts || s->next_offset[p] < s->sync_target[p]))
				return;
		s->sync_served = s->sync_pending;
	}
}

/* The batch committed: its positions are the new starting points. */
void
kafka_source_landed(KafkaSource *s)
{
	int			i;

	for (i = 0; i < s->nbatch; i++)
	{
		KafkaMessage *k = &s->batch[i];

		if (k->partition < s->nparts)
			s->next_offset[k->partition] = Max(s->next_offset[k->partition], k->offset + 1);
	}
	if (s->nbatch > 0)
	{
		s->messages += s->nbatch;
		s->last_message = GetCurrentTimestamp();
		if (strcmp(s->status, "error") == 0)
		{
			set_status(s, "running", NULL);
			s->error[0] = '\0';
		}
	}
	s->batch = NULL;
	s->nbatch = 0;
	s->offsets_dirty = false;
	kafka_source_sync(s);
}
