/*
 * lateral.h
 *	  A LATERAL subquery with ORDER BY ... LIMIT k, correlated with the row
 *	  around it, kept per outer row: the as-of join (the price in force when
 *	  a trade happened) and the nearest neighbours (ORDER BY a distance to
 *	  the outer row's vector).
 *
 * An OP_LATERAL operator has the outer rows on the left and the inner
 * rows (the subquery without its ORDER BY, LIMIT and correlated
 * conditions: the candidates) on the right, both arranged on the
 * subquery's equality correlations (op->keys, op->lkeys, op->rkeys,
 * op->larr, op->rarr).  Every other use of the outer row is an expression
 * over the pair "outer row ++ candidate": the remaining conditions, the
 * ORDER BY keys and the subquery's select list.  Its output rows are the
 * outer row followed by the select list of the answers it has.
 *
 * Each distinct outer row keeps its answer: the first offset + count
 * entries of its candidates in ORDER BY order (with WITH TIES, the peers
 * of the last one too).  An entry is the ORDER BY values and select list
 * of one candidate with the number of candidates giving it; entries are
 * ordered by the ORDER BY keys and then by their bytes, so the order is
 * total and the answer the same after every rebuild.  Ties in the ORDER BY
 * are decided that way; PostgreSQL decides them arbitrarily, so a query
 * whose ORDER BY ends with a unique column is the one to write.
 *
 * A new candidate is compared with each outer row of its key and enters
 * the answers it beats; a removed candidate leaves the answers it was in,
 * and an answer that falls short is recomputed from its key's candidates,
 * for that outer row only.  A new outer row is answered by a scan of its
 * key's candidates.
 */
#ifndef PATHWAY_LATERAL_H
#define PATHWAY_LATERAL_H

#include "postgres.h"

#include "engine/operator.h"

typedef struct LateralSpec
{
	int64		offset;
	int64		count;			/* -1: no limit */
	bool		with_ties;
	bool		pad;			/* LEFT JOIN LATERAL ... ON true */

	/* over the pair row (outer row ++ candidate), in pairslot */
	ExprState  *qual;			/* correlated conditions; NULL: none */
	int			nsort;
	ExprState **sortexprs;
	struct SortSupportData *sortkeys;
	int			nout;
	ExprState **outexprs;		/* the subquery's select list */

	TupleDesc	pairdesc;
	TupleTableSlot *pairslot;
	TupleDesc	entrydesc;		/* an answer entry: ORDER BY values ++ select list */
	TupleTableSlot *entryslot;

	/*
	 * Nearest-neighbour fast path: the first ORDER BY key is a distance
	 * (engine/vector.h) between a candidate column and an outer row column.
	 * It is computed directly, and a pair that it puts after a full
	 * answer's last entry is skipped without evaluating anything else; any
	 * other pair is evaluated as always, so the answer is the same.
	 */
	int			fast;			/* VectorKind; 0: none */
	int			fast_cand_col;	/* 0-based, in the candidate row */
	int			fast_outer_col; /* 0-based, in the outer row */

	struct HTAB *answers;		/* by outer row (ArrRow *): LatAnswer */
	MemoryContext anscxt;		/* answers and their entries; long-lived */
	int64		nentries;
	int64		recomputes;		/* answers rebuilt from their candidates */
} LateralSpec;

/*
 * Make op (of kind OP_LATERAL, with left, right, keys and arrangements set
 * by the planner, and op->lateral filled but for its slots and state)
 * ready to run.
 */
extern void op_init_lateral(Op *op);
extern void op_lateral_step(Op *op);
extern Size op_lateral_bytes(Op *op);

#endif							/* PATHWAY_LATERAL_H */
