/*
 * table_source.c
 *	  Changes of ordinary tables: the engine worker's replication slot and
 *	  the loop that reads it (the output plugin's callbacks are decoding.c).
 *
 * Decoding runs outside any transaction of the worker (the reorder buffer
 * starts its own to replay each transaction).
 *
 * Memory: the decoding context lives in TopMemoryContext for the worker's
 * life; decoded changes go to the batch context the caller passes and
 * resets.
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xlogutils.h"
#include "miscadmin.h"
#include "replication/decode.h"
#include "replication/logical.h"
#include "replication/slot.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/memutils.h"

#include "connectors/decoding.h"
#include "connectors/table_source.h"
#include "pathway.h"

static LogicalDecodingContext *decoding = NULL;

static void set_decoding_mark(bool on);

static void
noop_write(LogicalDecodingContext *ctx, XLogRecPtr lsn, TransactionId xid, bool last)
{
}

/*
 * Create the database's slot if it is missing, then acquire it and start a
 * decoding context that stays open for the worker's life.
 */
void
table_source_open(const char *slot_name)
{
	MemoryContext old;

	if (SearchNamedReplicationSlot(slot_name, true) == NULL)
	{
		LogicalDecodingContext *ctx;

		CheckLogicalDecodingRequirements();
		ReplicationSlotCreate(slot_name, true, RS_EPHEMERAL, false);
		StartTransactionCommand();
		ctx = CreateInitDecodingContext(PATHWAY_LIBRARY, NIL, false, InvalidXLogRecPtr,
										XL_ROUTINE(.page_read = read_local_xlog_page,
												   .segment_open = wal_segment_open,
												   .segment_close = wal_segment_close),
										NULL, NULL, NULL);
		DecodingContextFindStartpoint(ctx);
		FreeDecodingContext(ctx);
		CommitTransactionCommand();
		ReplicationSlotPersist();
		ReplicationSlotRelease();
	}

	ReplicationSlotAcquire(slot_name, true);
	old = MemoryContextSwitchTo(TopMemoryContext);
	decoding = CreateDecodingContext(InvalidXLogRecPtr, NIL, false,
									 XL_ROUTINE(.page_read = read_local_xlog_page,
												.segment_open = wal_segment_open,
												.segment_close = wal_segment_close),
									 noop_write, noop_write, NULL);
	XLogBeginRead(decoding->reader, MyReplicationSlot->data.restart_lsn);
	set_decoding_mark(false);

	MemoryContextSwitchTo(old);
	decoding_init();
}

void
table_source_close(void)
{
	if (decoding)
	{
		FreeDecodingContext(decoding);
		decoding = NULL;
	}
	if (MyReplicationSlot)
		ReplicationSlotRelease();
}

void
table_source_drop_slot(const char *slot_name)
{
	table_source_close();
	if (SearchNamedReplicationSlot(slot_name, true) != NULL)
		ReplicationSlotDrop(slot_name, true);
}

void
table_source_set_filter(TableSourceWants wants)
{
	decoding_set_filter(wants);
}

void
table_source_watch(Oid relid, AttrNumber attno)
{
	decoding_watch(relid, attno);
}

void
table_source_unwatch_all(void)
{
	decoding_unwatch_all();
}

/*
 * CreateDecodingContext marks the process as decoding, which makes other
 * snapshots ignore its xid.  That is right while decoding (no transaction is
 * open) and disastrous while the worker writes: readers would take its
 * in-progress rows for aborted ones.  So the mark is set only around reads.
 */
static void
set_decoding_mark(bool on)
{
	LWLockAcquire(ProcArrayLock, LW_EXCLUSIVE);
	if (on)
		MyProc->statusFlags |= PROC_IN_LOGICAL_DECODING;
	else
		MyProc->statusFlags &= ~PROC_IN_LOGICAL_DECODING;
	ProcGlobal->statusFlags[MyProc->pgxactoff] = MyProc->statusFlags;
	LWLockRelease(ProcArrayLock);
}

static void
decode_until(XLogRecPtr last, int max_changes)
{
	while (decoding->reader->EndRecPtr < last)
	{
		XLogRecord *record;
		char	   *errm = NULL;

		record = XLogReadRecord(decoding->reader, &errm);
		if (errm)
			elog(ERROR, "pathway: could not read WAL: %s", errm);
		if (record != NULL)
			LogicalDecodingProcessRecord(decoding, decoding->reader);
		CHECK_FOR_INTERRUPTS();
		if (decoding_read_full(max_changes))
			break;
	}
}

/*
 * Decode whole transactions until 'upto' (a flushed WAL position) or until
 * max_changes were collected.  Returns the position up to which everything
 * is decoded: every transaction committed before it is in *txns (if it
 * touched a watched table).  Tables whose changes could not be followed
 * (TRUNCATE, a missing old row) are listed in *unfollowable.  *xids lists
 * every transaction decoded, watched or not: a view adopted next must see
 * them all in its snapshot, since none of them will be decoded again.
 */
XLogRecPtr
table_source_read(XLogRecPtr upto, int max_changes, MemoryContext batchcxt,
				  List **txns, List **unfollowable, TransactionId **xids, int *nxids)
{
	XLogRecPtr	done;
	const XLogRecPtr last = pathway_wal_records_end(upto);

	decoding_read_begin(batchcxt);

	Assert(!IsTransactionOrTransactionBlock());
	set_decoding_mark(true);
	PG_TRY();
	{
		decode_until(last, max_changes);
	}
	PG_FINALLY();
	{
		decoding_read_stop();
		set_decoding_mark(false);
	}
	PG_END_TRY();

	done = decoding->reader->EndRecPtr;
	if (done >= last)
		done = Max(done, upto);
	decoding_read_end(txns, unfollowable, xids, nxids);
	return done;
}

/* Everything before lsn is applied and committed: let the slot move on. */
void
table_source_confirm(XLogRecPtr lsn)
{
	LogicalConfirmReceivedLocation(lsn);
	ReplicationSlotMarkDirty();
}

