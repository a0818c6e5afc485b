/*
 * iterate.h
 *	  WITH RECURSIVE: an operator that iterates the recursive term to a
 *	  fixed point, incrementally (iterate.c).
 *
 * The operator (OP_ITERATE) reads the non-recursive term's graph on its
 * left and the recursive term's graph on its right.  The recursive term's
 * graph reads the working table through a source operator of its own
 * (wt), which only this operator feeds.  The recursive term is linear in
 * the working table (PostgreSQL allows one reference, outside subqueries
 * and outer joins' nullable sides; the planner checks that nothing between
 * the reference and the term's output groups rows), so
 *
 *	  f(W + dW, E + dE) - f(W, E)
 *
 * is what the term's graph emits when it is fed dW after the other sources'
 * changes dE, and iterating it from the changes of the non-recursive term
 * gives the change of the whole result.
 *
 * UNION ALL (a bag): the rows fed to the term and not seen by it yet are
 * fed again until nothing new comes out; every derivation counts, as in
 * PostgreSQL's result.
 *
 * UNION (a set): every row carries the round (its level) it was first
 * derived at, as a last column the planner adds to both terms (0 in the
 * non-recursive term, the working table's level + 1 in the recursive one).
 * For each distinct row the operator counts its derivations per level; a
 * row's level is the least level with derivations, and the working table
 * holds each row once, at its level.  Changes are settled level by level,
 * lowest first, so a row that lost its support is retracted before what it
 * derived could support it again through a cycle (the rounds of the
 * iteration are a time dimension, as in differential dataflow).
 */
#ifndef PATHWAY_ITERATE_H
#define PATHWAY_ITERATE_H

#include "postgres.h"

#include "engine/operator.h"

typedef struct IterateSpec
{
	struct Op  *wt;				/* the working table's source, in the recursive term */
	bool		set;			/* UNION: rows distinct, each at its level */
	int			ncols;			/* the query's columns (set: without the level) */
	const int  *max_iterations; /* rounds (UNION: levels) allowed, read each step */
	const char *name;			/* the WITH query's name, for errors */
	int64		rounds;			/* rounds run, in all steps */
	int			last_rounds;	/* rounds of the last step */
	uint64		gen;			/* the step being run (set: marks touched rows) */
} IterateSpec;

extern void op_iterate_step(struct Op *op);

#endif							/* PATHWAY_ITERATE_H */
