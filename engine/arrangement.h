/*
 * arrangement.h
 *	  State indexed by key: groups of rows with weights.
 *
 * An arrangement maps a key (a tuple of key values, compared with the key
 * types' equality functions) to a group.  A group optionally holds the rows
 * with that key and their weights (consolidated: one entry per distinct row),
 * and an operator-owned payload (aggregate states, the current output row).
 *
 * Everything lives in the arrangement's own memory context, a child of the
 * view's long-lived context.
 */
#ifndef PATHWAY_ARRANGEMENT_H
#define PATHWAY_ARRANGEMENT_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "engine/row.h"

/* How keys are hashed and compared: one entry per key column. */
typedef struct KeySpec
{
	int			nkeys;
	TupleDesc	keydesc;		/* descriptor of the key tuple */
	FmgrInfo   *hashfn;
	FmgrInfo   *eqfn;
	Oid		   *collations;
	bool		nulls_match;	/* GROUP BY: NULLs equal; join: NULLs never match */
} KeySpec;

typedef struct ArrRow
{
	struct ArrRow *grp_prev;	/* list of rows of the group */
	struct ArrRow *grp_next;
	struct ArrGroup *group;
	uint32		rowhash;
	int64		weight;
	MinimalTuple tup;			/* allocated together with the entry */
} ArrRow;

typedef struct ArrGroup
{
	uint32		keyhash;
	MinimalTuple key;
	ArrRow	   *rows;			/* rows with this key (if rows are kept) */
	int64		nrows;			/* distinct rows held */
	int64		weight;			/* sum of weights of all rows */
	bool		touched;		/* changed in the current step */
	bool		was_empty;		/* had no rows when first touched in this step */
	struct ArrGroup *touched_next;
	void	   *payload;		/* owned by the operator */
} ArrGroup;

typedef struct Arrangement
{
	MemoryContext cxt;
	MemoryContext widecxt;		/* rows of ARR_WIDE_ROW bytes or more (made on demand) */
	KeySpec    *keys;
	bool		keep_rows;
	bool		track_touched;	/* keep the list of changed groups */

	struct arr_groups_hash *groups; /* by key (keyhash) */
	int64		ngroups;

	struct arr_rows_hash *rows; /* by group and row (rowhash), if rows are kept */
	int64		nrows;

	ArrGroup   *touched;		/* groups changed since arrangement_clear_touched */
} Arrangement;

/*
 * A row at least this large is allocated on its own (widecxt): the main
 * context rounds a chunk up to a power of two, a quarter lost on average
 * for wide rows (vectors, documents); wide rows are few per block anyway.
 */
#define ARR_WIDE_ROW 1024

extern Arrangement *arrangement_create(MemoryContext parent, const char *name,
									   KeySpec *keys, bool keep_rows);
extern uint32 arrangement_key_hash(KeySpec *keys, Datum *values, bool *isnull, bool *hasnull);
extern ArrGroup *arrangement_lookup(Arrangement *arr, uint32 keyhash,
									Datum *values, bool *isnull, bool create);
extern void arrangement_add(Arrangement *arr, ArrGroup *group, MinimalTuple tup,
							int64 weight);
extern ArrRow *arrangement_find_row(Arrangement *arr, ArrGroup *group, MinimalTuple tup);
extern void arrangement_remove_group(Arrangement *arr, ArrGroup *group);
extern void arrangement_forget_row(Arrangement *arr, ArrRow *row);
extern List *arrangement_groups(Arrangement *arr);
extern void arrangement_drop_group(Arrangement *arr, ArrGroup *group);
extern void arrangement_clear_touched(Arrangement *arr);
extern Size arrangement_bytes(Arrangement *arr);

#endif							/* PATHWAY_ARRANGEMENT_H */
