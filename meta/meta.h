/*
 * meta.h
 *	  Reads and writes of the extension's own tables (pathway.*), through SPI
 *	  with every result checked.
 *
 * Each concern keeps its statements in a file of this folder; they all go
 * through meta_exec, which raises an error naming the statement when
 * SPI reports anything but success, so no caller can overlook a failure.
 * meta_exec needs SPI connected and a snapshot.  The named functions of
 * views.c and kafka.c (the SQL face's) connect SPI themselves; those of
 * streams.c and engine.c (the worker's) run inside its connection.
 */
#ifndef PATHWAY_META_H
#define PATHWAY_META_H

#include "postgres.h"

#include "executor/spi.h"

/*
 * Run sql with nargs parameters (types/values/nulls as for
 * SPI_execute_with_args; nulls may be NULL).  Returns SPI_processed; the
 * rows are in SPI_tuptable.  As the current user, or, with as_owner, as
 * the bootstrap superuser that owns the extension's tables (for writes a
 * caller may make only through the extension's functions).
 */
extern uint64 meta_exec(const char *sql, int nargs, Oid *types, Datum *values,
						   const char *nulls, bool read_only, long count);
extern uint64 meta_exec_as_owner(const char *sql, int nargs, Oid *types, Datum *values,
								 const char *nulls, long count);
/* the same for a statement that only reads */
extern uint64 meta_read_as_owner(const char *sql, int nargs, Oid *types, Datum *values,
								 const char *nulls, long count);

#endif							/* PATHWAY_META_H */
