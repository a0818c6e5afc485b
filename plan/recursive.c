/*
 * recursive.c
 *	  WITH RECURSIVE: the body of a recursive WITH query (non-recursive term
 *	  UNION [ALL] recursive term) as an OP_ITERATE over the two terms'
 *	  graphs (engine/iterate.h).
 *
 * The recursive WITH query is inlined like any other (planner.c); its
 * reference to itself, the working table, stays an RTE_CTE with
 * self_reference set, which join.c plans through plan_working_table: a
 * source only the iterate operator feeds.  PostgreSQL's parser already
 * refuses a second reference, one in a subquery, on the nullable side of
 * an outer join or under INTERSECT / EXCEPT, aggregates and window
 * functions in the recursive term, and its rewriter has turned SEARCH and
 * CYCLE clauses into ordinary columns and conditions.  What is left to
 * check here is that nothing between the reference and the term's output
 * groups rows (DISTINCT, a decorrelated subquery grouped on the working
 * table's rows), so that the term is linear in the working table.
 *
 * UNION (a set) adds a last column, the row's level, to both terms: 0 in
 * the non-recursive term, the working table's level + 1 in the recursive
 * term (its query gets one more select-list entry).
 */
#include "postgres.h"

#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteSearchCycle.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/typcache.h"

#include "engine/iterate.h"
#include "pathway.h"
#include "plan/internal.h"

/* The working tables of the recursive terms being planned, innermost first. */
typedef struct WorkTable
{
	const char *ctename;
	Op		   *op;
	bool		used;
} WorkTable;

static List *worktables = NIL;

/* The reference to the query itself in q or a subquery in its FROM, or NULL. */
static RangeTblEntry *
find_self_reference(Query *q)
{
	ListCell   *lc;

	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		RangeTblEntry *found;

		if (rte->rtekind == RTE_CTE && rte->self_reference)
			return rte;
		if (rte->rtekind == RTE_SUBQUERY && (found = find_self_reference(rte->subquery)) != NULL)
			return found;
	}
	return NULL;
}

/* Anywhere below a set operation's branches? */
static bool
setop_has_self_reference(Query *q, Node *node)
{
	if (IsA(node, RangeTblRef))
	{
		RangeTblEntry *rte = rt_fetch(((RangeTblRef *) node)->rtindex, q->rtable);

		return rte->rtekind == RTE_SUBQUERY && find_self_reference(rte->subquery) != NULL;
	}
	return setop_has_self_reference(q, castNode(SetOperationStmt, node)->larg) ||
		setop_has_self_reference(q, castNode(SetOperationStmt, node)->rarg);
}

/*
 * UNION: the level, one more select-list entry at each query level from
 * the recursive term down to the one that reads the working table (the
 * rewriter's SEARCH and CYCLE put the term in a subquery): the working
 * table's level + 1 there, the subquery's new column above it.
 */
static void
add_level(PState *ps, Query *q, int ncols)
{
	ListCell   *lc;
	Expr	   *e = NULL;

	foreach(lc, q->targetList)
		if (lfirst_node(TargetEntry, lc)->resjunk)
			plan_refuse(ps->name, "A recursive term with ORDER BY or GROUP BY columns it does not select", NULL);
	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		int			rti = foreach_current_index(lc) + 1;

		if (rte->rtekind == RTE_CTE && rte->self_reference)
			e = (Expr *) makeFuncExpr(F_INT4PL, INT4OID,
									  list_make2(makeVar(rti, ncols + 1, INT4OID, -1, InvalidOid, 0),
												 makeConst(INT4OID, -1, InvalidOid, sizeof(int32),
														   Int32GetDatum(1), false, true)),
									  InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
		else if (rte->rtekind == RTE_SUBQUERY && find_self_reference(rte->subquery) != NULL)
		{
			add_level(ps, rte->subquery, ncols);
			e = (Expr *) makeVar(rti, list_length(rte->subquery->targetList), INT4OID, -1, InvalidOid, 0);
			rte->eref->colnames = lappend(list_copy(rte->eref->colnames), makeString("level"));
		}
		else
			continue;
		break;
	}
	Assert(e != NULL);
	q->targetList = lappend(q->targetList,
							makeTargetEntry(e, list_length(q->targetList) + 1, pstrdup("level"), false));
}

/* Is q the body of a recursive WITH query? */
bool
plan_is_recursive(Query *q)
{
	return q->setOperations != NULL && setop_has_self_reference(q, q->setOperations);
}

/* The working table, as a FROM item of the recursive term (join.c). */
Op *
plan_working_table(PState *ps, int rti)
{
	RangeTblEntry *rte = rt_fetch(rti, ps->query->rtable);
	WorkTable  *wt = worktables ? linitial(worktables) : NULL;
	int			n,
				k;

	if (!rte->self_reference || wt == NULL || strcmp(wt->ctename, rte->ctename) != 0)
		plan_refuse(ps->name, "A reference to a recursive WITH query here", NULL);
	if (wt->used)
		plan_refuse(ps->name, "A recursive term that reads its WITH query twice", NULL);
	wt->used = true;
	n = wt->op->desc->natts;
	ps->layout.natts[rti] = n;
	ps->layout.pos[rti] = palloc(sizeof(int) * (n + 1));
	for (k = 0; k <= n; k++)
		ps->layout.pos[rti][k] = k - 1;
	return wt->op;
}

static Op *
make_map(Op *input, List *exprs)
{
	Op		   *map = op_make(OP_MAP, plan_desc_for_exprs(exprs));
	ListCell   *lc;

	map->left = input;
	map->nexprs = list_length(exprs);
	map->exprs = palloc0(sizeof(ExprState *) * (map->nexprs + 1));
	foreach(lc, exprs)
		map->exprs[foreach_current_index(lc)] =
			ExecInitExpr(expression_planner((Expr *) lfirst(lc)), NULL);
	plan_op_slots(map);
	return map;
}

/* The columns of a row of desc as Vars of range table entry 1. */
static List *
desc_vars(TupleDesc desc, int n)
{
	List	   *vars = NIL;
	int			i;

	for (i = 0; i < n; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		vars = lappend(vars, makeVar(1, i + 1, att->atttypid, att->atttypmod,
									 att->attcollation, 0));
	}
	return vars;
}

static bool
reaches(Op *op, Op *target)
{
	if (op == NULL)
		return false;
	return op == target || reaches(op->left, target) || reaches(op->right, target);
}

/*
 * Every operator between the recursive term's output and the working table
 * must be linear in the working table's rows: each row's results depend on
 * that row alone (and on the other sources).
 */
static void
check_linear(PState *ps, Op *op, Op *wt)
{
	while (op != wt)
	{
		bool		left = reaches(op->left, wt);

		switch (op->kind)
		{
			case OP_MAP:
			case OP_FLATMAP:
			case OP_UNION:
				break;
			case OP_JOIN:
				if ((op->semi || op->anti) && !left)
					plan_refuse(ps->name, "A recursive term that tests its WITH query in a subquery", NULL);
				if (left ? op->pad_right : op->pad_left)
					plan_refuse(ps->name, "A recursive term whose WITH query is on the nullable side of an outer join", NULL);
				break;
			default:
				plan_refuse(ps->name, "A recursive term that groups or orders the rows of its WITH query",
							"The recursive term may filter, project and join the working table; DISTINCT, grouping, windows and LIMIT over it are not maintained.");
		}
		op = left ? op->left : op->right;
	}
}

/* The working table's source: the WITH query's columns (and the level). */
static Op *
make_worktable(SetOperationStmt *s, TupleDesc basedesc, bool set)
{
	int			n = list_length(s->colTypes);
	TupleDesc	desc = CreateTemplateTupleDesc(n + (set ? 1 : 0));
	Op		   *op;
	int			i;

	for (i = 0; i < n; i++)
	{
		TupleDescInitEntry(desc, i + 1, NameStr(TupleDescAttr(basedesc, i)->attname),
						   list_nth_oid(s->colTypes, i), list_nth_int(s->colTypmods, i), 0);
		TupleDescInitEntryCollation(desc, i + 1, list_nth_oid(s->colCollations, i));
	}
	if (set)
		TupleDescInitEntry(desc, n + 1, "level", INT4OID, -1, 0);
	op = op_make(OP_SOURCE, desc);
	op->relid = InvalidOid;
	op->nsrccols = desc->natts;
	op->srcattnos = palloc(sizeof(AttrNumber) * (desc->natts + 1));
	for (i = 0; i < desc->natts; i++)
		op->srcattnos[i] = i + 1;
	zbatch_init(&op->consts);
	return op;
}

static void
check_types(PState *ps, TupleDesc desc, SetOperationStmt *s, int extra, const char *term)
{
	ListCell   *lc;

	if (desc->natts != list_length(s->colTypes) + extra)
		elog(ERROR, "pathway: the %s term has %d columns, its WITH query %d",
			 term, desc->natts, list_length(s->colTypes) + extra);
	foreach(lc, s->colTypes)
		if (TupleDescAttr(desc, foreach_current_index(lc))->atttypid != lfirst_oid(lc))
			plan_refuse(ps->name, "A recursive WITH query whose terms' column types differ",
						"Cast the non-recursive term's columns to the types the recursive term yields.");
}

/*
 * A non-recursive term without FROM (SELECT 1, 0) reads one constant row:
 * a one-row VALUES in its FROM, which the view's builds feed once.
 */
static void
give_from(Query *sub)
{
	ListCell   *lc;

	if (sub->jointree->fromlist == NIL && sub->setOperations == NULL)
	{
		RangeTblEntry *v = makeNode(RangeTblEntry);
		RangeTblRef *rtr = makeNode(RangeTblRef);

		v->rtekind = RTE_VALUES;
		v->values_lists = list_make1(list_make1(makeConst(INT4OID, -1, InvalidOid, sizeof(int32),
														   Int32GetDatum(0), false, true)));
		v->coltypes = list_make1_oid(INT4OID);
		v->coltypmods = list_make1_int(-1);
		v->colcollations = list_make1_oid(InvalidOid);
		v->eref = makeAlias("one", list_make1(makeString("one")));
		v->inFromCl = true;
		sub->rtable = lappend(sub->rtable, v);
		rtr->rtindex = list_length(sub->rtable);
		sub->jointree->fromlist = list_make1(rtr);
	}
	foreach(lc, sub->rtable)
		if (lfirst_node(RangeTblEntry, lc)->rtekind == RTE_SUBQUERY)
			give_from(lfirst_node(RangeTblEntry, lc)->subquery);
}

/* ... in every branch of the non-recursive term */
static void
give_branches_from(Query *q, Node *node)
{
	RangeTblEntry *rte;

	if (!IsA(node, RangeTblRef))
	{
		give_branches_from(q, castNode(SetOperationStmt, node)->larg);
		give_branches_from(q, castNode(SetOperationStmt, node)->rarg);
		return;
	}
	rte = rt_fetch(((RangeTblRef *) node)->rtindex, q->rtable);
	if (rte->rtekind == RTE_SUBQUERY)
		give_from(rte->subquery);
}

/*
 * The body of a recursive WITH query: q->setOperations is
 * non-recursive UNION [ALL] recursive.  build_branch plans a branch
 * (planner.c's set-operation builder).
 */
Op *
plan_recursive(PState *ps, Query *q, Op *(*build_branch) (PState *ps, Node *node))
{
	SetOperationStmt *s = castNode(SetOperationStmt, q->setOperations);
	bool		set;
	Op		   *base,
			   *op;
	Op		   *volatile body = NULL;
	Query	   *rq;
	RangeTblEntry *rte;
	WorkTable  *wt;
	IterateSpec *it;
	int			ncols = list_length(s->colTypes);
	RangeTblEntry *self;

	if (s->op != SETOP_UNION || !IsA(s->rarg, RangeTblRef) ||
		setop_has_self_reference(q, s->larg))
		plan_refuse(ps->name, "This form of recursive WITH query",
					"Write it as non-recursive term UNION [ALL] one recursive SELECT.");
	rte = rt_fetch(((RangeTblRef *) s->rarg)->rtindex, q->rtable);
	rq = rte->subquery;
	self = find_self_reference(rq);
	if (rq->setOperations || self == NULL)
		plan_refuse(ps->name, "A recursive term that is a set operation",
					"Write it as non-recursive term UNION [ALL] one recursive SELECT.");
	if (rq->distinctClause || rq->groupClause || rq->hasAggs || rq->hasWindowFuncs ||
		rq->limitCount || rq->limitOffset || rq->sortClause)
		plan_refuse(ps->name, "DISTINCT, GROUP BY, ORDER BY or LIMIT in a recursive term",
					"Apply them to the recursive query's result instead.");
	set = !s->all;

	give_branches_from(q, s->larg);
	base = build_branch(ps, s->larg);
	check_types(ps, base->desc, s, 0, "non-recursive");
	if (set)
	{
		List	   *exprs = desc_vars(base->desc, ncols);
		Op		   *map;
		int			i;

		exprs = lappend(exprs, makeConst(INT4OID, -1, InvalidOid, sizeof(int32),
										 Int32GetDatum(0), false, true));
		map = make_map(base, exprs);
		for (i = 0; i < ncols; i++)
			namestrcpy(&TupleDescAttr(map->desc, i)->attname,
					   NameStr(TupleDescAttr(base->desc, i)->attname));
		base = map;
	}

	/* the recursive term, reading the working table */
	if (set)
		add_level(ps, rq, ncols);
	wt = palloc0(sizeof(WorkTable));
	wt->ctename = self->ctename;
	wt->op = make_worktable(s, base->desc, set);
	worktables = lcons(wt, worktables);
	PG_TRY();
	{
		body = ps->plan_subquery(ps, rq);
	}
	PG_FINALLY();
	{
		worktables = list_delete_first(worktables);
	}
	PG_END_TRY();
	if (!wt->used)
		plan_refuse(ps->name, "A recursive term whose reference to its WITH query is not in its FROM", NULL);
	check_types(ps, body->desc, s, set ? 1 : 0, "recursive");
	check_linear(ps, body, wt->op);

	op = op_make(OP_ITERATE, NULL);
	op->left = base;
	op->right = body;
	it = palloc0(sizeof(IterateSpec));
	it->wt = wt->op;
	it->set = set;
	it->ncols = ncols;
	it->max_iterations = &pathway_max_iterations;
	it->name = pstrdup(wt->ctename);
	op->iterate = it;
	if (set)
	{
		List	   *cols = desc_vars(base->desc, ncols);
		List	   *eqops = NIL;
		ListCell   *lc;

		foreach(lc, cols)
			eqops = lappend_oid(eqops, lookup_type_cache(exprType(lfirst(lc)), TYPECACHE_EQ_OPR)->eq_opr);
		op->arr = arrangement_create(CurrentMemoryContext, "pathway recursive rows",
									 plan_grouping_keyspec(ps, cols, eqops), false);
		op->arr->keys->nulls_match = true;
		op->arr->track_touched = true;
		op->desc = CreateTupleDescCopy(op->arr->keys->keydesc);
		op->lslot = MakeSingleTupleTableSlot(base->desc, &TTSOpsMinimalTuple);
		op->rslot = MakeSingleTupleTableSlot(op->arr->keys->keydesc, &TTSOpsMinimalTuple);
	}
	else
	{
		op->desc = CreateTupleDescCopy(base->desc);
		plan_op_slots(op);
	}
	{
		int			i;

		for (i = 0; i < ncols; i++)
			namestrcpy(&TupleDescAttr(op->desc, i)->attname,
					   NameStr(TupleDescAttr(base->desc, i)->attname));
	}
	return op;
}

/* ---------- SEARCH and CYCLE ---------- */

/*
 * PostgreSQL's rewriter expands a recursive WITH query's SEARCH and CYCLE
 * clauses into columns and conditions but keeps the clauses, so the stored
 * tree would deparse (for pathway.check_view) as both.  The view's own
 * clauses are therefore held back from the rewriter and expanded when the
 * view is planned (plan_expand_search_cycle); those of ordinary views it
 * reads are already expanded there, and their clauses are dropped.
 */
typedef struct HeldClauses
{
	CommonTableExpr *cte;
	CTESearchClause *search;
	CTECycleClause *cycle;
} HeldClauses;

typedef struct ClauseCtx
{
	List	   *held;
	bool		restore;
} ClauseCtx;

static bool
clauses_walker(Node *node, ClauseCtx *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, clauses_walker, (void *) ctx, 0);
	if (IsA(node, CommonTableExpr))
	{
		CommonTableExpr *cte = (CommonTableExpr *) node;

		if (!ctx->restore && (cte->search_clause || cte->cycle_clause))
		{
			HeldClauses *h = palloc(sizeof(HeldClauses));

			h->cte = cte;
			h->search = cte->search_clause;
			h->cycle = cte->cycle_clause;
			ctx->held = lappend(ctx->held, h);
			cte->search_clause = NULL;
			cte->cycle_clause = NULL;
		}
		else if (ctx->restore)
		{
			ListCell   *lc;
			bool		mine = false;

			foreach(lc, ctx->held)
			{
				HeldClauses *h = lfirst(lc);

				if (h->cte == cte)
				{
					cte->search_clause = h->search;
					cte->cycle_clause = h->cycle;
					mine = true;
				}
			}
			if (!mine)
			{
				/* an ordinary view's, expanded by the rewriter */
				cte->search_clause = NULL;
				cte->cycle_clause = NULL;
			}
			/* the held ones' queries are not expanded yet: nothing inside to drop */
			if (mine)
				return false;
		}
	}
	return expression_tree_walker(node, clauses_walker, (void *) ctx);
}

/* Before QueryRewrite: take the query's SEARCH and CYCLE clauses out. */
List *
plan_hold_search_cycle(Query *q)
{
	ClauseCtx	ctx = {NIL, false};

	(void) clauses_walker((Node *) q, &ctx);
	return ctx.held;
}

/* After it: put them back (on the same nodes: the rewriter works in place). */
void
plan_restore_search_cycle(Query *q, List *held)
{
	ClauseCtx	ctx = {held, true};

	(void) clauses_walker((Node *) q, &ctx);
}

/* When a WITH query is inlined: its SEARCH and CYCLE clauses as columns. */
CommonTableExpr *
plan_expand_search_cycle(CommonTableExpr *cte)
{
	if (cte->search_clause == NULL && cte->cycle_clause == NULL)
		return cte;
	return rewriteSearchAndCycle(cte);
}

/* ---------- one graph for a WITH query read several times ---------- */

/*
 * A WITH query is inlined once per reference (planner.c).  A query that
 * reads it several times, or round after round of an iteration
 * (pathway.create_iterate_view), would hold a copy of its graph per
 * reference, each reading the previous ones' copies: their number would
 * grow exponentially.  So every copy of one WITH query that reads no
 * column of an outer query level is planned once, and its operator is
 * shared (a graph step runs an operator read by several others once).
 * Not across a recursive term's boundary: the term's graph runs again for
 * each round of its iteration, and what is outside must not see those
 * rounds' batches.
 */
typedef struct CteCopy
{
	Query	   *copy;
	CommonTableExpr *cte;
	bool		reusable;		/* inlined outside every recursive WITH query */
} CteCopy;

typedef struct SharedCte
{
	CommonTableExpr *cte;
	WorkTable  *context;		/* the innermost working table when it was planned */
	Op		   *op;
} SharedCte;

static List *cte_copies = NIL;
static List *shared_ctes = NIL;

typedef struct OuterCtx
{
	int			depth;
} OuterCtx;

static bool
reads_outer_walker(Node *node, OuterCtx *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return ((Var *) node)->varlevelsup > ctx->depth;
	if (IsA(node, PlaceHolderVar))
		return ((PlaceHolderVar *) node)->phlevelsup > ctx->depth;
	if (IsA(node, Aggref))
		return ((Aggref *) node)->agglevelsup > ctx->depth ||
			expression_tree_walker(node, reads_outer_walker, (void *) ctx);
	if (IsA(node, GroupingFunc))
		return ((GroupingFunc *) node)->agglevelsup > ctx->depth;
	if (IsA(node, Query))
	{
		bool		r;

		ctx->depth++;
		r = query_tree_walker((Query *) node, reads_outer_walker, (void *) ctx, 0);
		ctx->depth--;
		return r;
	}
	return expression_tree_walker(node, reads_outer_walker, (void *) ctx);
}

void
plan_forget_cte_copies(void)
{
	cte_copies = NIL;
	shared_ctes = NIL;
}

void
plan_note_cte_copy(Query *copy, CommonTableExpr *cte, bool reusable)
{
	OuterCtx	ctx = {-1};
	CteCopy    *c;

	if (reads_outer_walker((Node *) cte->ctequery, &ctx))
		return;
	c = palloc(sizeof(CteCopy));
	c->copy = copy;
	c->cte = cte;
	c->reusable = reusable;
	cte_copies = lappend(cte_copies, c);
}

static CommonTableExpr *
cte_of(Query *copy)
{
	ListCell   *lc;

	foreach(lc, cte_copies)
		if (((CteCopy *) lfirst(lc))->copy == copy)
			return ((CteCopy *) lfirst(lc))->cte;
	return NULL;
}

/* The first copy of a WITH query that is inlined, if it may be read again. */
Query *
plan_inlined_cte(CommonTableExpr *cte)
{
	ListCell   *lc;

	foreach(lc, cte_copies)
		if (((CteCopy *) lfirst(lc))->cte == cte && ((CteCopy *) lfirst(lc))->reusable)
			return ((CteCopy *) lfirst(lc))->copy;
	return NULL;
}

Op *
plan_shared_cte(Query *copy)
{
	CommonTableExpr *cte = cte_of(copy);
	ListCell   *lc;

	if (cte == NULL)
		return NULL;
	foreach(lc, shared_ctes)
	{
		SharedCte  *s = lfirst(lc);

		if (s->cte == cte && s->context == (worktables ? linitial(worktables) : NULL))
			return s->op;
	}
	return NULL;
}

void
plan_share_cte(Query *copy, Op *op)
{
	CommonTableExpr *cte = cte_of(copy);
	SharedCte  *s;

	if (cte == NULL)
		return;
	s = palloc(sizeof(SharedCte));
	s->cte = cte;
	s->context = worktables ? linitial(worktables) : NULL;
	s->op = op;
	shared_ctes = lappend(shared_ctes, s);
}
