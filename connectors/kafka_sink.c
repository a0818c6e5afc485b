/*
 * kafka_sink.c
 *	  Kafka sinks: a live view's committed changes, published to a topic.
 *
 * The engine worker writes every row a view's table gains or loses into
 * pathway.sink_outbox, in the epoch's own transaction (kafka_sink_capture),
 * so the outbox holds exactly the committed changes, in order.  After the
 * commit, kafka_sink_flush hands the outbox rows to an idempotent producer
 * and deletes them once every delivery of the round is confirmed.  A crash
 * between a delivery and that delete sends those rows again: a consumer can
 * see a message twice (at least once), never miss one.
 *
 * A new sink first publishes the view's current rows as inserts
 * (kafka_sink_snapshot), in the epoch that first sees it, so the topic
 * replays to the view's contents.
 *
 * Message: key = the view's unique key columns as a JSON object (none for
 * views without one), value = {"op": "insert"|"delete", "row": {...},
 * "frontier": "<LSN>"}.  An updated group is a delete and an insert.
 *
 * Threads: delivery reports are served by rd_kafka_poll() in the worker's
 * own thread; the callbacks only count.  librdkafka's logs are dropped
 * here (its errors reach the status through the delivery reports).
 */
#include "postgres.h"

#include <librdkafka/rdkafka.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "executor/tuptable.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/pg_lsn.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "connectors/http_sink.h"
#include "connectors/kafka_sink.h"
#include "connectors/kafka_source.h"
#include "meta/streams.h"

#define FLUSH_BATCH 10000

/* Delivery reports: called by rd_kafka_poll, in our thread; only counts. */
static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	KafkaSink  *k = opaque;

	k->inflight--;
	if (m->err)
	{
		k->failed = true;
		strlcpy(k->error, rd_kafka_err2str(m->err), sizeof(k->error));
	}
	else
		k->messages++;
}

static void
quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
}

/* The sink's owner (pathway.kafka_sinks.owner); InvalidOid if gone. */
static Oid
sink_owner(int64 id)
{
	Oid			owner;

	SPI_connect();
	owner = meta_sink_owner(id);
	SPI_finish();
	return owner;
}

KafkaSink *
kafka_sink_start(int64 id, Oid view, const char *brokers, const char *topic,
				 Jsonb *options, int wake_fd)
{
	KafkaSink  *k = palloc0(sizeof(KafkaSink));
	rd_kafka_conf_t *conf;
	char		err[512];

	k->id = id;
	k->view = view;
	k->owner = sink_owner(id);
	k->topic = pstrdup(topic);
	k->backoff_ms = 1000;
	k->idle = false;
	strlcpy(k->status, "starting", sizeof(k->status));
	/* as for sources: nothing reaches librdkafka before these checks */
	if (kafka_options_validate(options, true, err, sizeof(err)) != KAFKA_OPTIONS_OK)
	{
		strlcpy(k->status, "error", sizeof(k->status));
		strlcpy(k->error, err, sizeof(k->error));
		return k;
	}
	if (kafka_options_refused(options, k->owner, "the sink cannot start", &k->needs_superuser,
							  err, sizeof(err)))
	{
		strlcpy(k->status, "failed", sizeof(k->status));
		strlcpy(k->error, err, sizeof(k->error));
		ereport(LOG, (errmsg("pathway: Kafka sink %lld failed: %s", (long long) id, err)));
		return k;
	}
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_opaque(conf, k);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_log_cb(conf, quiet_log);
	/* linger.ms is a default the options may change */
	if (rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof(err)) != RD_KAFKA_CONF_OK ||
		!kafka_conf_apply(conf, options, NULL, true, err, sizeof(err)) ||
		rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err)) != RD_KAFKA_CONF_OK ||
		rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err)) != RD_KAFKA_CONF_OK)
	{
		rd_kafka_conf_destroy(conf);
		strlcpy(k->status, "error", sizeof(k->status));
		strlcpy(k->error, err, sizeof(k->error));
		return k;
	}
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (k->rk == NULL)
	{
		rd_kafka_conf_destroy(conf);
		strlcpy(k->status, "error", sizeof(k->status));
		strlcpy(k->error, err, sizeof(k->error));
		return k;
	}
	/* delivery reports wake the worker through the same pipe as sources */
	{
		rd_kafka_queue_t *q = rd_kafka_queue_get_main(k->rk);

		rd_kafka_queue_io_event_enable(q, wake_fd, "s", 1);
		rd_kafka_queue_destroy(q);
	}
	k->rkt = rd_kafka_topic_new(k->rk, topic, NULL);
	strlcpy(k->status, "running", sizeof(k->status));
	return k;
}

void
kafka_sink_stop(KafkaSink *k)
{
	if (k->http)
	{
		http_sink_stop(k);
		return;
	}
	if (k->rk)
	{
		/* what is in flight is still in the outbox if it is not confirmed */
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(k->rk, 0);
		if (k->rkt)
			rd_kafka_topic_destroy(k->rkt);
		rd_kafka_destroy(k->rk);
		k->rk = NULL;
	}
}

/* A record type with the table's column names and types (anonymous, blessed). */
static TupleDesc
record_desc(TupleDesc desc)
{
	TupleDesc	rd = CreateTupleDescCopy(desc);

	rd->tdtypeid = RECORDOID;
	rd->tdtypmod = -1;
	return BlessTupleDesc(rd);
}

/* The row as JSON (row_to_json of a tuple of a blessed record type). */
static char *
tuple_json(TupleDesc desc, Datum *values, bool *isnull)
{
	HeapTuple	tup = heap_form_tuple(desc, values, isnull);

	HeapTupleHeaderSetDatumLength(tup->t_data, tup->t_len);
	HeapTupleHeaderSetTypeId(tup->t_data, desc->tdtypeid);
	HeapTupleHeaderSetTypMod(tup->t_data, desc->tdtypmod);
	return text_to_cstring(DatumGetTextPP(DirectFunctionCall1(row_to_json,
															  HeapTupleGetDatum(tup))));
}

static void
outbox_add(KafkaSink *k, TupleDesc desc, TupleDesc keydesc, Datum *values, bool *isnull,
		   int nkeycols, AttrNumber *keycols, int64 weight, XLogRecPtr frontier)
{
	StringInfoData payload;
	char	   *row = tuple_json(desc, values, isnull);
	char	   *key = NULL;

	/* an HTTP sink's key is the epoch's frontier: the batch the row goes in */
	if (k->http)
		key = psprintf("%X/%X", LSN_FORMAT_ARGS(frontier));
	else if (nkeycols > 0)
	{
		Datum		kv[INDEX_MAX_KEYS];
		bool		kn[INDEX_MAX_KEYS];
		int			i;

		for (i = 0; i < nkeycols; i++)
		{
			kv[i] = values[keycols[i] - 1];
			kn[i] = isnull[keycols[i] - 1];
		}
		key = tuple_json(keydesc, kv, kn);
	}
	initStringInfo(&payload);
	appendStringInfo(&payload, "{\"op\": \"%s\", \"row\": %s, \"frontier\": \"%X/%X\"}",
					 weight > 0 ? "insert" : "delete", row, LSN_FORMAT_ARGS(frontier));
	meta_outbox_add(k->id, key, payload.data, weight > 0 ? weight : -weight);
}

/* A blessed descriptor of the view's key columns (names and types). */
static TupleDesc
key_desc(TupleDesc desc, int nkeycols, AttrNumber *keycols)
{
	TupleDesc	kd;
	int			i;

	if (nkeycols == 0)
		return NULL;
	kd = CreateTemplateTupleDesc(nkeycols);
	for (i = 0; i < nkeycols; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, keycols[i] - 1);

		TupleDescInitEntry(kd, i + 1, NameStr(a->attname), a->atttypid, a->atttypmod, 0);
	}
	return BlessTupleDesc(kd);
}

/*
 * In the epoch's transaction, before the views run: a new sink's first
 * messages are its view's current rows.
 */
void
kafka_sink_snapshot(KafkaSink *k, XLogRecPtr frontier, int nkeycols, AttrNumber *keycols)
{
	Relation	rel = table_open(k->view, AccessShareLock);
	TupleDesc	desc = record_desc(RelationGetDescr(rel));
	TupleDesc	kd = key_desc(desc, nkeycols, keycols);
	TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);

	SPI_connect();
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		slot_getallattrs(slot);
		outbox_add(k, desc, kd, slot->tts_values, slot->tts_isnull, nkeycols, keycols, 1, frontier);
	}
	SPI_finish();
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);
	k->fresh = false;
	k->idle = false;
}

/* In the epoch's transaction: the rows the view's table gained (+) and lost (-). */
void
kafka_sink_capture(KafkaSink *k, TupleDesc outdesc, ZBatch *changes, XLogRecPtr frontier,
				   int nkeycols, AttrNumber *keycols)
{
	Relation	rel;
	TupleDesc	desc;
	TupleDesc	kd;
	TupleTableSlot *slot;
	int			i;

	if (changes->n == 0)
		return;
	rel = table_open(k->view, AccessShareLock);
	desc = record_desc(RelationGetDescr(rel));	/* the table's column names */
	kd = key_desc(desc, nkeycols, keycols);
	slot = MakeSingleTupleTableSlot(outdesc, &TTSOpsMinimalTuple);
	SPI_connect();
	for (i = 0; i < changes->n; i++)
	{
		ExecStoreMinimalTuple(changes->rows[i].tup, slot, false);
		slot_getallattrs(slot);
		outbox_add(k, desc, kd, slot->tts_values, slot->tts_isnull, nkeycols, keycols,
				   changes->rows[i].weight, frontier);
	}
	SPI_finish();
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);
	k->idle = false;
}

/*
 * Outside any transaction: serve delivery reports; when a round is fully
 * confirmed, delete it from the outbox; then send the next round.  Returns
 * true while messages are in flight (the caller should come back soon).
 */
bool
kafka_sink_flush(KafkaSink *k)
{
	MetaOutboxRow *rows;
	int			nrows;
	int			i;

	if (k->http)
		return http_sink_flush(k);
	if (k->rk == NULL)
		return false;
	rd_kafka_poll(k->rk, 0);
	if (k->inflight > 0)
		return true;
	if (k->failed)
	{
		/* resend the round after a backoff (its delivered part goes twice) */
		k->failed = false;
		k->sent_upto = 0;
		k->failures++;
		strlcpy(k->status, "error", sizeof(k->status));
		k->retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), k->backoff_ms);
		k->backoff_ms = Min(k->backoff_ms * 2, 30000);
		return false;
	}
	if (GetCurrentTimestamp() < k->retry_at)
		return false;
	if (k->idle && k->sent_upto == 0)
		return false;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (k->needs_superuser && !superuser_arg(k->owner))
	{
		/* its options need a superuser and its owner is no longer one: stop for good */
		char	   *name = GetUserNameFromId(k->owner, true);

		snprintf(k->error, sizeof(k->error),
				 "the sink stopped: its owner %s%s%s is no longer superuser, and its options need one",
				 name ? "\"" : "", name ? name : "(dropped)", name ? "\"" : "");
		PopActiveSnapshot();
		CommitTransactionCommand();
		kafka_sink_stop(k);
		strlcpy(k->status, "failed", sizeof(k->status));
		ereport(LOG, (errmsg("pathway: Kafka sink %lld failed: %s", (long long) k->id, k->error)));
		return false;
	}
	SPI_connect();
	if (k->sent_upto > 0)
	{
		/* the whole round is confirmed */
		meta_outbox_delete_upto(k->id, k->sent_upto);
		k->sent_upto = 0;
		if (strcmp(k->status, "error") == 0)
		{
			strlcpy(k->status, "running", sizeof(k->status));
			k->error[0] = '\0';
		}
		k->backoff_ms = 1000;
	}
	nrows = meta_outbox_next(k->id, FLUSH_BATCH, &rows);
	k->idle = (nrows == 0);
	for (i = 0; i < nrows; i++)
	{
		int64		id = rows[i].id;
		char	   *key = rows[i].key;
		char	   *payload = rows[i].payload;

		/* librdkafka copies key and payload (RD_KAFKA_MSG_F_COPY) */
		if (rd_kafka_produce(k->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
							 payload, strlen(payload), key, key ? strlen(key) : 0, NULL) != 0)
		{
			/* the local queue is full: the rest goes in the next round */
			break;
		}
		k->inflight++;
		k->sent_upto = id;
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return k->inflight > 0;
}
