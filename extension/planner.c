/*
 * planner.c
 *	  From a view's SQL text to an engine graph.
 *
 * The text is parsed and analyzed by PostgreSQL itself; the analyzed Query is
 * checked against what the engine maintains exactly, and anything else is
 * refused with ERRCODE_FEATURE_NOT_SUPPORTED naming the construct.  The graph
 * is built left-deep:
 *
 *	  source -> [filter] -+
 *	                      join -> [filter] -+
 *	  source -> [filter] -+                 join -> ... -> [map keys+args]
 *	  source -> [filter] -------------------+           -> reduce -> map target
 *
 * Each source keeps only the columns of its table that the query reads, and
 * a condition on one table is applied right after its source, so joins hold
 * as little as possible.  Expressions keep PostgreSQL's semantics because
 * they are PostgreSQL expressions, re-pointed at the engine's rows and run by
 * the executor.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "catalog/pg_operator.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rewriteManip.h"
#include "parser/parse_agg.h"
#include "parser/parse_coerce.h"
#include "parser/parse_node.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/sortsupport.h"
#include "utils/typcache.h"

#include "extension/planner.h"

/* Where a column of a base table sits in the current row. */
typedef struct Layout
{
	int			nrels;			/* range table size */
	int		  **pos;			/* pos[rti][attno] = 0-based column or -1 */
	int		   *natts;
} Layout;

typedef struct PlanState_
{
	const char *name;
	Query	   *query;
	Layout		layout;
	Bitmapset  *done_rels;		/* rtis joined so far */
	List	   *pending;		/* conjuncts not applied yet */
	struct ViewPlan *plan;
} PState;

static void
refuse(const char *name, const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot maintain view \"%s\"", name),
			 errdetail("%s is not supported.", what),
			 hint ? errhint("%s", hint) : 0));
}

/* ---------- checks ---------- */

static bool
has_row_security(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		rls;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	rls = ((Form_pg_class) GETSTRUCT(tup))->relrowsecurity;
	ReleaseSysCache(tup);
	return rls;
}

static bool
time_function_checker(Oid func, void *context)
{
	return func == F_NOW || func == F_STATEMENT_TIMESTAMP ||
		func == F_TRANSACTION_TIMESTAMP;
}

static bool
volatile_checker(Oid func, void *context)
{
	if (func_volatile(func) == PROVOLATILE_VOLATILE)
	{
		*(Oid *) context = func;
		return true;
	}
	return false;
}

static bool
check_walker(Node *node, PState *ps)
{
	Oid			func = InvalidOid;

	if (node == NULL)
		return false;
	if (check_functions_in_node(node, volatile_checker, &func))
	{
		char		detail[NAMEDATALEN + 64];

		snprintf(detail, sizeof(detail), "The volatile function %s()", get_func_name(func));
		refuse(ps->name, detail,
			   "A live view must give the same result whenever it is recomputed; compute volatile values when rows are written instead.");
	}
	if (check_functions_in_node(node, time_function_checker, NULL) ||
		IsA(node, SQLValueFunction))
		refuse(ps->name, "A function of the current time or session (now(), CURRENT_DATE, CURRENT_USER, ...)",
			   "A live view must not depend on when it is recomputed; store the time in a column when rows are written.");
	if (IsA(node, NextValueExpr))
		refuse(ps->name, "A sequence call", NULL);
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varlevelsup > 0)
			refuse(ps->name, "An outer reference", NULL);
		if (var->varattno < 0)
			refuse(ps->name, "A system column", "Use ordinary columns; system columns such as ctid and xmin differ between a table and its view.");
		if (var->varattno == 0)
			refuse(ps->name, "A whole-row reference", "List the columns instead.");
	}
	if (IsA(node, Aggref))
	{
		Aggref	   *agg = (Aggref *) node;

		if (agg->aggkind != AGGKIND_NORMAL)
			refuse(ps->name, "An ordered-set or hypothetical-set aggregate", NULL);
		if (agg->agglevelsup > 0)
			refuse(ps->name, "An outer-level aggregate", NULL);
	}
	if (IsA(node, WindowFunc))
		refuse(ps->name, "A window function", NULL);
	if (IsA(node, SubLink))
		refuse(ps->name, "A subquery in an expression", NULL);
	if (IsA(node, Param))
		refuse(ps->name, "A parameter", NULL);
	return expression_tree_walker(node, check_walker, (void *) ps);
}

static void
check_query(PState *ps)
{
	Query	   *q = ps->query;
	ListCell   *lc;

	if (q->commandType != CMD_SELECT || q->utilityStmt)
		refuse(ps->name, "A statement other than SELECT", NULL);
	if (q->hasWindowFuncs)
		refuse(ps->name, "A window function", NULL);
	if (q->hasTargetSRFs)
		refuse(ps->name, "A set-returning function in the select list", NULL);
	if (q->hasSubLinks)
		refuse(ps->name, "A subquery in an expression", "Rewrite it as a join.");
	if (q->limitCount || q->limitOffset)
		refuse(ps->name, "LIMIT and OFFSET", "Drop the LIMIT and select from the view with a LIMIT instead.");
	if (q->rowMarks || q->hasForUpdate)
		refuse(ps->name, "FOR UPDATE and FOR SHARE", "Remove the locking clause.");
	if (q->hasRecursive)
		refuse(ps->name, "WITH RECURSIVE", NULL);
	if (q->jointree->fromlist == NIL && q->setOperations == NULL)
		refuse(ps->name, "A query without FROM", "A live view must read at least one table.");

	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		switch (rte->rtekind)
		{
			case RTE_RELATION:
				/* an expanded view stays in the range table for privileges only */
				if (rte->relkind == RELKIND_VIEW && !rte->inFromCl)
					break;
				if (rte->tablesample)
					refuse(ps->name, "TABLESAMPLE", NULL);
				if (rte->relkind == RELKIND_PARTITIONED_TABLE)
					refuse(ps->name, "A partitioned table as a source", "Create the view over a partition, or wait for partitioned sources.");
				if (rte->relkind == RELKIND_MATVIEW || rte->relkind == RELKIND_FOREIGN_TABLE)
					ereport(ERROR,
							(errcode(ERRCODE_WRONG_OBJECT_TYPE),
							 errmsg("cannot maintain view \"%s\"", ps->name),
							 errdetail("\"%s\" is not a table.", get_rel_name(rte->relid)),
							 errhint("A live view reads ordinary tables; write the underlying query over them.")));
				if (rte->relkind != RELKIND_RELATION)
					ereport(ERROR,
							(errcode(ERRCODE_WRONG_OBJECT_TYPE),
							 errmsg("cannot maintain view \"%s\"", ps->name),
							 errdetail("\"%s\" is not a table.", get_rel_name(rte->relid))));
				if (has_row_security(rte->relid))
					refuse(ps->name, "A table with row-level security as a source",
						   "A live view is computed as its owner and would not apply the policies; select from the table through an ordinary view instead.");
				if (get_rel_persistence(rte->relid) != RELPERSISTENCE_PERMANENT)
					refuse(ps->name, "A temporary or unlogged table as a source",
						   "Changes of such tables are not written to the WAL, so they cannot be followed.");
				if (!rte->inh && rte->relkind == RELKIND_RELATION)
					break;
				if (has_subclass(rte->relid))
					refuse(ps->name, "A table with inheritance children", "Use ONLY, or create the view over each child.");
				break;
			case RTE_JOIN:
				break;
			case RTE_SUBQUERY:
				if (rte->lateral)
					refuse(ps->name, "LATERAL", NULL);
				break;
			case RTE_FUNCTION:
				{
					RangeTblFunction *rtf;

					if (list_length(rte->functions) != 1 || rte->funcordinality)
						refuse(ps->name, "ROWS FROM and WITH ORDINALITY", NULL);
					rtf = linitial_node(RangeTblFunction, rte->functions);
					if (rtf->funccolnames != NIL)
						refuse(ps->name, "A function in FROM with a column definition list", NULL);
					if (!contain_vars_of_level(rtf->funcexpr, 0))
						refuse(ps->name, "A function in FROM that reads no table",
							   "Put its rows in a table, or call it over a table's columns (LATERAL).");
				}
				break;
			case RTE_TABLEFUNC:
				refuse(ps->name, "A table function (XMLTABLE, JSON_TABLE) in FROM", NULL);
				break;
			case RTE_VALUES:
				refuse(ps->name, "VALUES in FROM", NULL);
				break;
			default:
				refuse(ps->name, "This kind of FROM item", NULL);
		}
	}
	/* subqueries in FROM are checked when their own level is planned */
	(void) query_tree_walker(q, check_walker, (void *) ps, QTW_IGNORE_RT_SUBQUERIES);
}

/* ---------- layout and expression re-pointing ---------- */

static void
layout_init(Layout *l, Query *q)
{
	int			i;

	l->nrels = list_length(q->rtable);
	l->pos = palloc0(sizeof(int *) * (l->nrels + 1));
	l->natts = palloc0(sizeof(int) * (l->nrels + 1));
	for (i = 1; i <= l->nrels; i++)
	{
		RangeTblEntry *rte = rt_fetch(i, q->rtable);

		if (rte->rtekind == RTE_RELATION)
		{
			Relation	rel = table_open(rte->relid, AccessShareLock);
			int			n = RelationGetNumberOfAttributes(rel);

			table_close(rel, AccessShareLock);

			l->natts[i] = n;
			l->pos[i] = palloc(sizeof(int) * (n + 1));
			memset(l->pos[i], -1, sizeof(int) * (n + 1));
		}
		else if (rte->rtekind == RTE_SUBQUERY || rte->rtekind == RTE_FUNCTION)
		{
			int			n = rte->rtekind == RTE_SUBQUERY ? list_length(rte->subquery->targetList)
				: list_length(rte->eref->colnames);

			l->natts[i] = n;
			l->pos[i] = palloc(sizeof(int) * (n + 1));
			memset(l->pos[i], -1, sizeof(int) * (n + 1));
		}
	}
}

typedef struct RepointCtx
{
	Layout	   *layout;
	List	   *exprs;			/* replace these (equal()) by Var k+1 */
} RepointCtx;

static Node *
repoint_mutator(Node *node, RepointCtx *ctx)
{
	if (node == NULL)
		return NULL;
	if (ctx->exprs)
	{
		ListCell   *lc;

		foreach(lc, ctx->exprs)
		{
			if (equal(node, lfirst(lc)))
			{
				Expr	   *e = (Expr *) node;

				return (Node *) makeVar(1, foreach_current_index(lc) + 1, exprType((Node *) e),
										exprTypmod((Node *) e), exprCollation((Node *) e), 0);
			}
		}
	}
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;
		Var		   *nv;
		int			p;

		if (ctx->layout == NULL)
			elog(ERROR, "pathway: column reference outside of the grouping keys");
		p = ctx->layout->pos[var->varno][var->varattno];
		if (p < 0)
			elog(ERROR, "pathway: column %d of range entry %d is not in the row",
				 var->varattno, var->varno);
		nv = (Var *) copyObject(var);
		nv->varno = 1;
		nv->varattno = p + 1;
		nv->varnosyn = 0;
		nv->varattnosyn = 0;
		return (Node *) nv;
	}
	return expression_tree_mutator(node, repoint_mutator, (void *) ctx);
}

static ExprState *
compile_expr(Expr *expr, Layout *layout, List *replace)
{
	RepointCtx	ctx;
	Expr	   *e;

	ctx.layout = layout;
	ctx.exprs = replace;
	e = (Expr *) repoint_mutator((Node *) expr, &ctx);
	e = expression_planner(e);
	return ExecInitExpr(e, NULL);
}

static ExprState *
compile_qual(List *conjuncts, Layout *layout, List *replace)
{
	RepointCtx	ctx;
	List	   *q;

	ctx.layout = layout;
	ctx.exprs = replace;
	q = (List *) repoint_mutator((Node *) conjuncts, &ctx);
	q = (List *) expression_planner((Expr *) q);
	return ExecInitQual(q, NULL);
}

static TupleDesc
desc_for_exprs(List *exprs)
{
	TupleDesc	desc = CreateTemplateTupleDesc(list_length(exprs));
	ListCell   *lc;

	foreach(lc, exprs)
	{
		Node	   *e = lfirst(lc);
		int			i = foreach_current_index(lc) + 1;

		TupleDescInitEntry(desc, i, NULL, exprType(e), exprTypmod(e), 0);
		TupleDescInitEntryCollation(desc, i, exprCollation(e));
	}
	return desc;
}

static void
op_slots(Op *op)
{
	if (op->left)
		op->lslot = MakeSingleTupleTableSlot(op->left->desc, &TTSOpsMinimalTuple);
	if (op->right)
		op->rslot = MakeSingleTupleTableSlot(op->right->desc, &TTSOpsMinimalTuple);
}

/* ---------- sources, filters, joins ---------- */

static Op *
make_source(PState *ps, int rti, List *vars, ViewPlan *plan)
{
	RangeTblEntry *rte = rt_fetch(rti, ps->query->rtable);
	Relation	rel = table_open(rte->relid, AccessShareLock);
	TupleDesc	tdesc = RelationGetDescr(rel);
	Bitmapset  *atts = NULL;
	ListCell   *lc;
	Op		   *op;
	int			n = 0,
				a;

	foreach(lc, vars)
	{
		Var		   *v = lfirst_node(Var, lc);

		if (v->varno == rti)
			atts = bms_add_member(atts, v->varattno);
	}
	op = op_make(OP_SOURCE, CreateTemplateTupleDesc(bms_num_members(atts)));
	op->relid = rte->relid;
	op->nsrccols = bms_num_members(atts);
	op->srcattnos = palloc(sizeof(AttrNumber) * (op->nsrccols + 1));
	a = -1;
	while ((a = bms_next_member(atts, a)) >= 0)
	{
		TupleDescCopyEntry(op->desc, n + 1, tdesc, a);
		op->srcattnos[n] = a;
		ps->layout.pos[rti][a] = n;
		plan->columns = lappend_oid(plan->columns, rte->relid);
		plan->column_attnos = lappend_int(plan->column_attnos, a);
		n++;
	}
	table_close(rel, AccessShareLock);
	plan->sources = lappend(plan->sources, op);
	if (!list_member_oid(plan->relids, rte->relid))
		plan->relids = lappend_oid(plan->relids, rte->relid);
	return op;
}

/* Wrap op in a filter for the pending conjuncts that only read 'rels'. */
static Op *
apply_ready_quals(PState *ps, Op *op, Bitmapset *rels)
{
	List	   *ready = NIL;
	List	   *rest = NIL;
	ListCell   *lc;
	Op		   *f;

	foreach(lc, ps->pending)
	{
		Node	   *qual = lfirst(lc);

		if (bms_is_subset(pull_varnos(NULL, qual), rels))
			ready = lappend(ready, qual);
		else
			rest = lappend(rest, qual);
	}
	ps->pending = rest;
	if (ready == NIL)
		return op;
	f = op_make(OP_MAP, op->desc);
	f->left = op;
	f->qual = compile_qual(ready, &ps->layout, NIL);
	op_slots(f);
	return f;
}

/*
 * The hashable equality operator that decides "a = b" on one type, or
 * InvalidOid.  A cross-type equality (int4 = int8) is rewritten over the
 * common type, which both sides convert to exactly.
 */
static Oid
same_type_equality(OpExpr *op, Node **a, Node **b)
{
	Oid			ta = exprType(*a),
				tb = exprType(*b),
				common,
				eqop;
	ParseState *pstate;

	if (ta == tb)
		return op_hashjoinable(op->opno, ta) ? op->opno : InvalidOid;
	if (!op_hashjoinable(op->opno, ta) && !op_mergejoinable(op->opno, ta))
		return InvalidOid;
	pstate = make_parsestate(NULL);
	common = select_common_type(pstate, list_make2(*a, *b), NULL, NULL);
	if (!OidIsValid(common))
		return InvalidOid;
	eqop = lookup_type_cache(common, TYPECACHE_EQ_OPR)->eq_opr;
	if (!OidIsValid(eqop) || !op_hashjoinable(eqop, common))
		return InvalidOid;
	*a = coerce_to_common_type(pstate, *a, common, "JOIN");
	*b = coerce_to_common_type(pstate, *b, common, "JOIN");
	return eqop;
}

/*
 * Split off the equality conjuncts usable as hash keys between the rows
 * joined so far and table rti.  Returns the key expressions of each side.
 */
static void
find_join_keys(PState *ps, Bitmapset *right, List **lkeys, List **rkeys, List **eqops)
{
	List	   *rest = NIL;
	ListCell   *lc;

	foreach(lc, ps->pending)
	{
		Node	   *qual = lfirst(lc);
		OpExpr	   *op;
		Node	   *a,
				   *b;
		Bitmapset  *ra,
				   *rb;
		Oid			eqop;

		if (IsA(qual, OpExpr) && list_length(((OpExpr *) qual)->args) == 2)
		{
			op = (OpExpr *) qual;
			a = linitial(op->args);
			b = lsecond(op->args);
			ra = pull_varnos(NULL, a);
			rb = pull_varnos(NULL, b);
			eqop = same_type_equality(op, &a, &b);
			if (OidIsValid(eqop) && !bms_is_empty(ra) && !bms_is_empty(rb))
			{
				if (bms_is_subset(ra, ps->done_rels) && bms_is_subset(rb, right))
				{
					*lkeys = lappend(*lkeys, a);
					*rkeys = lappend(*rkeys, b);
					*eqops = lappend_oid(*eqops, eqop);
					continue;
				}
				if (bms_is_subset(rb, ps->done_rels) && bms_is_subset(ra, right))
				{
					*lkeys = lappend(*lkeys, b);
					*rkeys = lappend(*rkeys, a);
					*eqops = lappend_oid(*eqops, eqop);
					continue;
				}
			}
		}
		rest = lappend(rest, qual);
	}
	ps->pending = rest;
}

static bool
connects(PState *ps, Bitmapset *rels)
{
	ListCell   *lc;

	foreach(lc, ps->pending)
	{
		Bitmapset  *r = pull_varnos(NULL, lfirst(lc));

		if (bms_overlap(rels, r) && bms_overlap(r, ps->done_rels))
			return true;
	}
	return false;
}

static KeySpec *
keyspec_for_ops(List *exprs, List *eqops)
{
	KeySpec    *ks = palloc0(sizeof(KeySpec));
	ListCell   *lc;
	int			n = list_length(exprs);

	ks->nkeys = n;
	ks->keydesc = desc_for_exprs(exprs);
	ks->hashfn = palloc0(sizeof(FmgrInfo) * (n + 1));
	ks->eqfn = palloc0(sizeof(FmgrInfo) * (n + 1));
	ks->collations = palloc0(sizeof(Oid) * (n + 1));
	foreach(lc, exprs)
	{
		int			i = foreach_current_index(lc);
		Oid			eqop = list_nth_oid(eqops, i);
		Oid			lhs,
					rhs;

		if (!get_op_hash_functions(eqop, &lhs, &rhs))
			elog(ERROR, "pathway: no hash function for operator %u", eqop);
		fmgr_info(lhs, &ks->hashfn[i]);
		fmgr_info(get_opcode(eqop), &ks->eqfn[i]);
		ks->collations[i] = exprCollation(lfirst(lc));
	}
	return ks;
}

/*
 * Join 'left' (the rows of ps->done_rels) and 'right' (the rows of 'rrels',
 * laid out from column 0) on the given keys; the right rows' columns move
 * after the left's.  pad_left/pad_right: LEFT/RIGHT/FULL outer joins.
 */
static Op *
make_join(PState *ps, Op *left, Op *right, Bitmapset *rrels, List *lkeys,
		  List *rkeys, List *eqops, bool pad_left, bool pad_right)
{
	int			nl = left->desc->natts,
				i,
				k,
				rti;
	TupleDesc	desc = CreateTemplateTupleDesc(nl + right->desc->natts);
	Op		   *join;
	ListCell   *lc;

	for (i = 0; i < nl; i++)
		TupleDescCopyEntry(desc, i + 1, left->desc, i + 1);
	for (i = 0; i < right->desc->natts; i++)
	{
		TupleDescCopyEntry(desc, nl + i + 1, right->desc, i + 1);
		/* a padded side's columns can be NULL whatever the table says */
		TupleDescAttr(desc, nl + i)->attnotnull = false;
	}
	join = op_make(OP_JOIN, desc);
	join->left = left;
	join->right = right;
	join->pad_left = pad_left;
	join->pad_right = pad_right;
	op_slots(join);
	join->keys = keyspec_for_ops(lkeys, eqops);
	join->keys->nulls_match = false;
	join->lkeys = palloc0(sizeof(ExprState *) * (list_length(lkeys) + 1));
	join->rkeys = palloc0(sizeof(ExprState *) * (list_length(rkeys) + 1));
	/* both sides' keys are compiled before the right side's columns move */
	foreach(lc, lkeys)
		join->lkeys[foreach_current_index(lc)] = compile_expr(lfirst(lc), &ps->layout, NIL);
	foreach(lc, rkeys)
		join->rkeys[foreach_current_index(lc)] = compile_expr(lfirst(lc), &ps->layout, NIL);
	join->larr = arrangement_create(CurrentMemoryContext, "pathway join left", join->keys, true);
	join->rarr = arrangement_create(CurrentMemoryContext, "pathway join right", join->keys, true);
	join->larr->track_touched = join->rarr->track_touched = (pad_left || pad_right);

	rti = -1;
	while ((rti = bms_next_member(rrels, rti)) >= 0)
		for (k = 0; k <= ps->layout.natts[rti]; k++)
			if (ps->layout.pos[rti][k] >= 0)
				ps->layout.pos[rti][k] += nl;
	return join;
}

/* The tables a function in FROM reads. */
static Bitmapset *
function_rels(PState *ps, int rti)
{
	RangeTblEntry *rte = rt_fetch(rti, ps->query->rtable);

	return pull_varnos(NULL, linitial_node(RangeTblFunction, rte->functions)->funcexpr);
}

/* Each row of 'cur', extended by each row the function returns for it. */
static Op *
make_flatmap(PState *ps, Op *cur, int rti)
{
	RangeTblEntry *rte = rt_fetch(rti, ps->query->rtable);
	Node	   *fexpr = linitial_node(RangeTblFunction, rte->functions)->funcexpr;
	TupleDesc	fdesc;
	TupleDesc	desc;
	Oid			rettype;
	RepointCtx	ctx;
	Expr	   *e;
	Op		   *op;
	int			nl = cur->desc->natts,
				i;

	switch (get_expr_result_type(fexpr, &rettype, &fdesc))
	{
		case TYPEFUNC_COMPOSITE:
			fdesc = CreateTupleDescCopy(fdesc);
			break;
		case TYPEFUNC_SCALAR:
			fdesc = CreateTemplateTupleDesc(1);
			TupleDescInitEntry(fdesc, 1, NULL, exprType(fexpr), exprTypmod(fexpr), 0);
			TupleDescInitEntryCollation(fdesc, 1, exprCollation(fexpr));
			break;
		default:
			refuse(ps->name, "A function in FROM returning record", NULL);
	}
	desc = CreateTemplateTupleDesc(nl + fdesc->natts);
	for (i = 0; i < nl; i++)
		TupleDescCopyEntry(desc, i + 1, cur->desc, i + 1);
	for (i = 0; i < fdesc->natts; i++)
		TupleDescCopyEntry(desc, nl + i + 1, fdesc, i + 1);

	op = op_make(OP_FLATMAP, desc);
	op->left = cur;
	op_slots(op);
	op->fdesc = fdesc;
	op->fslot = MakeSingleTupleTableSlot(fdesc, &TTSOpsMinimalTuple);
	op->argcxt = AllocSetContextCreate(CurrentMemoryContext, "pathway function arguments",
									   ALLOCSET_SMALL_SIZES);
	ctx.layout = &ps->layout;
	ctx.exprs = NIL;
	e = expression_planner((Expr *) repoint_mutator(fexpr, &ctx));
	op->srf = ExecInitTableFunctionResult(e, op->econtext, NULL);

	for (i = 1; i <= fdesc->natts && i <= ps->layout.natts[rti]; i++)
		ps->layout.pos[rti][i] = nl + i - 1;
	return op;
}

/* An item of a join scope: a table, or an outer join built as a unit. */
typedef struct JoinItem
{
	int			rti;
	JoinExpr   *outer;
	Bitmapset  *rels;
} JoinItem;

static Bitmapset *
jointree_rels(Node *jt)
{
	Bitmapset  *rels = NULL;
	ListCell   *lc;

	if (IsA(jt, RangeTblRef))
		return bms_make_singleton(((RangeTblRef *) jt)->rtindex);
	if (IsA(jt, FromExpr))
		foreach(lc, ((FromExpr *) jt)->fromlist)
			rels = bms_join(rels, jointree_rels(lfirst(lc)));
	else if (IsA(jt, JoinExpr))
		rels = bms_join(jointree_rels(((JoinExpr *) jt)->larg),
						jointree_rels(((JoinExpr *) jt)->rarg));
	return rels;
}

/* Inner joins and FROM lists flatten into one scope; outer joins do not. */
static void
flatten_scope(Node *jt, List **items, List **quals)
{
	JoinItem   *it;

	if (IsA(jt, RangeTblRef))
	{
		it = palloc0(sizeof(JoinItem));
		it->rti = ((RangeTblRef *) jt)->rtindex;
		it->rels = bms_make_singleton(it->rti);
		*items = lappend(*items, it);
	}
	else if (IsA(jt, FromExpr))
	{
		FromExpr   *f = (FromExpr *) jt;
		ListCell   *lc;

		foreach(lc, f->fromlist)
			flatten_scope(lfirst(lc), items, quals);
		if (f->quals)
			*quals = list_concat(*quals, make_ands_implicit((Expr *) f->quals));
	}
	else if (IsA(jt, JoinExpr) && ((JoinExpr *) jt)->jointype == JOIN_INNER)
	{
		JoinExpr   *j = (JoinExpr *) jt;

		flatten_scope(j->larg, items, quals);
		flatten_scope(j->rarg, items, quals);
		if (j->quals)
			*quals = list_concat(*quals, make_ands_implicit((Expr *) j->quals));
	}
	else if (IsA(jt, JoinExpr))
	{
		it = palloc0(sizeof(JoinItem));
		it->outer = (JoinExpr *) jt;
		it->rels = jointree_rels(jt);
		*items = lappend(*items, it);
	}
	else
		elog(ERROR, "pathway: unexpected node in FROM: %d", (int) nodeTag(jt));
}

static Op  *build_scope(PState *ps, Node *jt, List *extra_quals, List *vars,
						ViewPlan *plan, Bitmapset **rels);
static Op  *make_subquery(PState *ps, int rti);
static Op  *plan_query(const char *name, Query *q, ViewPlan *plan, bool top, List **names);
static Op  *build_setop(PState *ps, Node *node);
static Op  *distinct_rows(PState *ps, Op *input);
static Op  *distinct_on(PState *ps, Op *input, Query *q, bool top);
static Op  *plan_grouping_set(PState *ps, Op *input, Query *q, List *set, List *aggrefs,
							  List *mapexprs);

/*
 * LEFT, RIGHT and FULL joins.  The ON clause may hold equalities between the
 * two sides (the keys) and, for LEFT/RIGHT, conditions on the nullable side
 * alone (they filter that side before the join); anything else would change
 * which rows are padded and is refused.
 */
static Op *
build_outer(PState *ps, JoinExpr *j, List *vars, ViewPlan *plan)
{
	Node	   *larg = j->larg,
			   *rarg = j->rarg;
	bool		full = (j->jointype == JOIN_FULL);
	Bitmapset  *lrels,
			   *rrels,
			   *save_done = ps->done_rels;
	List	   *save_pending = ps->pending;
	List	   *rquals = NIL,
			   *lkeys = NIL,
			   *rkeys = NIL,
			   *eqops = NIL;
	ListCell   *lc;
	Op		   *left,
			   *right,
			   *join;

	if (j->jointype == JOIN_RIGHT)
	{
		larg = j->rarg;
		rarg = j->larg;
	}
	else if (j->jointype != JOIN_LEFT && !full)
		refuse(ps->name, "This kind of join", NULL);
	lrels = jointree_rels(larg);
	rrels = jointree_rels(rarg);

	foreach(lc, j->quals ? make_ands_implicit((Expr *) j->quals) : NIL)
	{
		Node	   *c = lfirst(lc);
		Bitmapset  *r = pull_varnos(NULL, c);

		if (!full && bms_is_subset(r, rrels))
		{
			rquals = lappend(rquals, c);
			continue;
		}
		if (IsA(c, OpExpr) && list_length(((OpExpr *) c)->args) == 2)
		{
			OpExpr	   *op = (OpExpr *) c;
			Node	   *a = linitial(op->args);
			Node	   *b = lsecond(op->args);
			Bitmapset  *ra = pull_varnos(NULL, a);
			Bitmapset  *rb = pull_varnos(NULL, b);
			Oid			eqop = same_type_equality(op, &a, &b);

			if (OidIsValid(eqop) && !bms_is_empty(ra) && !bms_is_empty(rb))
			{
				if (bms_is_subset(ra, lrels) && bms_is_subset(rb, rrels))
				{
					lkeys = lappend(lkeys, a);
					rkeys = lappend(rkeys, b);
					eqops = lappend_oid(eqops, eqop);
					continue;
				}
				if (bms_is_subset(rb, lrels) && bms_is_subset(ra, rrels))
				{
					lkeys = lappend(lkeys, b);
					rkeys = lappend(rkeys, a);
					eqops = lappend_oid(eqops, eqop);
					continue;
				}
			}
		}
		refuse(ps->name, full ? "A FULL JOIN condition other than equalities between its two sides"
			   : "An outer join condition other than equalities between its sides or conditions on its nullable side",
			   "Move a condition on the preserved side to WHERE, or rewrite the join.");
	}

	left = build_scope(ps, larg, NIL, vars, plan, &lrels);
	right = build_scope(ps, rarg, rquals, vars, plan, &rrels);
	ps->done_rels = lrels;
	join = make_join(ps, left, right, rrels, lkeys, rkeys, eqops, true, full);
	ps->done_rels = save_done;
	ps->pending = save_pending;
	return join;
}

/*
 * Build the rows of one join scope: its items joined left-deep, preferring
 * at each step an item that has a join condition with what is built, with
 * every condition applied as soon as the rows it reads are there.
 */
static Op *
build_scope(PState *ps, Node *jt, List *extra_quals, List *vars, ViewPlan *plan,
			Bitmapset **rels)
{
	List	   *items = NIL,
			   *quals = NIL;
	List	   *save_pending = ps->pending;
	Bitmapset  *save_done = ps->done_rels;
	Op		   *cur = NULL;

	flatten_scope(jt, &items, &quals);
	ps->pending = list_concat(quals, extra_quals);
	ps->done_rels = NULL;

	while (items != NIL)
	{
		JoinItem   *it = NULL;
		ListCell   *lc;
		Op		   *op;
		bool		took_function = false;

		/* a function over other tables' columns comes as soon as they are here */
		foreach(lc, items)
		{
			JoinItem   *f = lfirst(lc);

			if (f->outer == NULL && rt_fetch(f->rti, ps->query->rtable)->rtekind == RTE_FUNCTION &&
				cur && bms_is_subset(function_rels(ps, f->rti), ps->done_rels))
			{
				items = list_delete_ptr(items, f);
				cur = make_flatmap(ps, cur, f->rti);
				ps->done_rels = bms_add_member(ps->done_rels, f->rti);
				cur = apply_ready_quals(ps, cur, ps->done_rels);
				took_function = true;
				break;
			}
		}
		if (items == NIL)
			break;
		foreach(lc, items)
		{
			JoinItem   *c = lfirst(lc);

			if (c->outer == NULL && rt_fetch(c->rti, ps->query->rtable)->rtekind == RTE_FUNCTION)
				continue;
			if (it == NULL || (cur && connects(ps, c->rels)))
			{
				it = c;
				if (cur == NULL || connects(ps, c->rels))
					break;
			}
		}
		if (it == NULL)
		{
			if (cur != NULL && took_function)
				continue;		/* more functions may now be ready */
			refuse(ps->name, "A function in FROM over tables of another join scope", NULL);
		}
		items = list_delete_ptr(items, it);

		if (it->outer)
		{
			List	   *pending = ps->pending;
			Bitmapset  *done = ps->done_rels;

			op = build_outer(ps, it->outer, vars, plan);
			ps->pending = pending;
			ps->done_rels = done;
		}
		else if (rt_fetch(it->rti, ps->query->rtable)->rtekind == RTE_SUBQUERY)
			op = make_subquery(ps, it->rti);
		else
			op = make_source(ps, it->rti, vars, plan);
		op = apply_ready_quals(ps, op, it->rels);

		if (cur == NULL)
		{
			cur = op;
			ps->done_rels = bms_copy(it->rels);
		}
		else
		{
			List	   *lkeys = NIL,
					   *rkeys = NIL,
					   *eqops = NIL;

			find_join_keys(ps, it->rels, &lkeys, &rkeys, &eqops);
			cur = make_join(ps, cur, op, it->rels, lkeys, rkeys, eqops, false, false);
			ps->done_rels = bms_join(ps->done_rels, bms_copy(it->rels));
			cur = apply_ready_quals(ps, cur, ps->done_rels);
		}
	}
	if (ps->pending != NIL)
		cur = apply_ready_quals(ps, cur, ps->done_rels);
	if (ps->pending != NIL)
		elog(ERROR, "pathway: a condition reads tables outside of its join");
	*rels = ps->done_rels;
	ps->pending = save_pending;
	ps->done_rels = save_done;
	return cur;
}

/* ---------- aggregation ---------- */

static int	list_index_of_tle(List *tlist, TargetEntry *tle);

static bool
collect_aggrefs(Node *node, List **aggs)
{
	if (node == NULL)
		return false;
	if (IsA(node, Aggref))
	{
		if (!list_member(*aggs, node))
			*aggs = lappend(*aggs, node);
		return false;
	}
	return expression_tree_walker(node, collect_aggrefs, (void *) aggs);
}

static Datum
aggregate_initval(HeapTuple tup, AttrNumber attno, Oid transtype, bool *isnull)
{
	Datum		d = SysCacheGetAttr(AGGFNOID, tup, attno, isnull);
	Oid			input,
				ioparam;
	char	   *str;

	if (*isnull)
		return (Datum) 0;
	getTypeInputInfo(transtype, &input, &ioparam);
	str = TextDatumGetCString(d);
	return OidInputFunctionCall(input, str, ioparam, -1);
}

static void
set_fn(FmgrInfo *fi, Oid fn, Expr *expr)
{
	fmgr_info(fn, fi);
	fmgr_info_set_expr((Node *) expr, fi);
}

static void
aggspec_fill(PState *ps, AggSpec *spec, Aggref *aggref, int firstcol)
{
	HeapTuple	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggref->aggfnoid));
	Form_pg_aggregate agg;
	Oid			inputTypes[FUNC_MAX_ARGS];
	int			nargs = list_length(aggref->args);
	List	   *sortclauses;
	Oid			transtype;
	Expr	   *transexpr,
			   *invexpr,
			   *finalexpr;
	ListCell   *lc;
	AclResult	aclresult;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for aggregate %u", aggref->aggfnoid);
	agg = (Form_pg_aggregate) GETSTRUCT(tup);

	aclresult = pg_proc_aclcheck(aggref->aggfnoid, GetUserId(), ACL_EXECUTE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_AGGREGATE, get_func_name(aggref->aggfnoid));

	/* args holds the inputs, then any ORDER BY-only expressions (resjunk) */
	spec->argcols = palloc(sizeof(int) * (nargs + 1));
	nargs = 0;
	foreach(lc, aggref->args)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (tle->resjunk)
			continue;
		inputTypes[nargs] = exprType((Node *) tle->expr);
		spec->argcols[nargs++] = firstcol + foreach_current_index(lc);
	}
	spec->nargs = nargs;

	/* ORDER BY and DISTINCT inside the call: sort a group's inputs first */
	sortclauses = aggref->aggdistinct ? aggref->aggdistinct : aggref->aggorder;
	spec->distinct = (aggref->aggdistinct != NIL);
	spec->nsort = list_length(sortclauses);
	spec->sortcols = palloc0(sizeof(int) * (spec->nsort + 1));
	spec->sortkeys = palloc0(sizeof(SortSupportData) * (spec->nsort + 1));
	foreach(lc, sortclauses)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		TargetEntry *tle = get_sortgroupclause_tle(sgc, aggref->args);
		SortSupport ssup = &spec->sortkeys[foreach_current_index(lc)];

		spec->sortcols[foreach_current_index(lc)] = firstcol + list_index_of_tle(aggref->args, tle);
		ssup->ssup_cxt = CurrentMemoryContext;
		ssup->ssup_collation = exprCollation((Node *) tle->expr);
		ssup->ssup_nulls_first = sgc->nulls_first;
		if (!OidIsValid(sgc->sortop))
			refuse(ps->name, "DISTINCT or ORDER BY inside an aggregate on a type without ordering", NULL);
		PrepareSortSupportFromOrderingOp(sgc->sortop, ssup);
	}
	spec->collation = aggref->inputcollid;

	/* plain transition */
	transtype = resolve_aggregate_transtype(aggref->aggfnoid, agg->aggtranstype,
											inputTypes, nargs);
	build_aggregate_transfn_expr(inputTypes, nargs, 0, aggref->aggvariadic,
								 transtype, aggref->inputcollid,
								 agg->aggtransfn, InvalidOid, &transexpr, &invexpr);
	set_fn(&spec->transfn, agg->aggtransfn, transexpr);
	spec->transstrict = func_strict(agg->aggtransfn);
	get_typlenbyval(transtype, &spec->translen, &spec->transbyval);
	spec->initval = aggregate_initval(tup, Anum_pg_aggregate_agginitval, transtype, &spec->initnull);
	if (OidIsValid(agg->aggfinalfn))
	{
		spec->has_final = true;
		spec->nfinalargs = agg->aggfinalextra ? nargs + 1 : 1;
		build_aggregate_finalfn_expr(inputTypes, spec->nfinalargs, transtype,
									 aggref->aggtype, aggref->inputcollid,
									 agg->aggfinalfn, &finalexpr);
		set_fn(&spec->finalfn, agg->aggfinalfn, finalexpr);
		spec->finalstrict = func_strict(agg->aggfinalfn);
	}

	/* moving (invertible) transition; not for sorted or DISTINCT inputs */
	if (OidIsValid(agg->aggmtransfn) && OidIsValid(agg->aggminvtransfn) &&
		agg->aggmfinalmodify == AGGMODIFY_READ_ONLY && spec->nsort == 0)
	{
		Oid			mtranstype = resolve_aggregate_transtype(aggref->aggfnoid, agg->aggmtranstype,
															 inputTypes, nargs);

		spec->moving = true;
		build_aggregate_transfn_expr(inputTypes, nargs, 0, aggref->aggvariadic,
									 mtranstype, aggref->inputcollid,
									 agg->aggmtransfn, agg->aggminvtransfn,
									 &transexpr, &invexpr);
		set_fn(&spec->mtransfn, agg->aggmtransfn, transexpr);
		set_fn(&spec->minvfn, agg->aggminvtransfn, invexpr);
		spec->mtransstrict = func_strict(agg->aggmtransfn);
		get_typlenbyval(mtranstype, &spec->mtranslen, &spec->mtransbyval);
		spec->mtrans_internal = (mtranstype == INTERNALOID);
		spec->minitval = aggregate_initval(tup, Anum_pg_aggregate_aggminitval, mtranstype, &spec->minitnull);
		if (OidIsValid(agg->aggmfinalfn))
		{
			spec->has_mfinal = true;
			spec->nmfinalargs = agg->aggmfinalextra ? nargs + 1 : 1;
			build_aggregate_finalfn_expr(inputTypes, spec->nmfinalargs, mtranstype,
										 aggref->aggtype, aggref->inputcollid,
										 agg->aggmfinalfn, &finalexpr);
			set_fn(&spec->mfinalfn, agg->aggmfinalfn, finalexpr);
			spec->mfinalstrict = func_strict(agg->aggmfinalfn);
		}
	}
	ReleaseSysCache(tup);
}

static int
list_index_of_tle(List *tlist, TargetEntry *tle)
{
	ListCell   *lc;

	foreach(lc, tlist)
		if (lfirst(lc) == tle)
			return foreach_current_index(lc);
	elog(ERROR, "pathway: ORDER BY entry of an aggregate not found");
	return -1;
}

/* Hash and equality for grouping or DISTINCT on these expressions. */
static KeySpec *
grouping_keyspec(PState *ps, List *exprs, List *eqops)
{
	ListCell   *lc;

	foreach(lc, exprs)
	{
		Oid			eqop = list_nth_oid(eqops, foreach_current_index(lc));
		Oid			lhs,
					rhs;

		if (!OidIsValid(eqop) || !get_op_hash_functions(eqop, &lhs, &rhs))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot maintain view \"%s\"", ps->name),
					 errdetail("Type %s has no hashable equality, so it cannot be a grouping key.",
							   format_type_be(exprType(lfirst(lc)))),
					 errhint("Cast the column to a type with equality, for example json to jsonb or point to text.")));
	}
	return keyspec_for_ops(exprs, eqops);
}

static Op *
build_reduce(PState *ps, Op *input, List *keyexprs, List *eqops, List *aggrefs,
			 bool distinct)
{
	List	   *preexprs = list_copy(keyexprs);
	ListCell   *lc;
	Op		   *pre,
			   *red;
	TupleDesc	desc;
	int			nkeys = list_length(keyexprs);
	int			i;
	bool		any_internal = false;

	foreach(lc, aggrefs)
	{
		Aggref	   *a = lfirst_node(Aggref, lc);
		ListCell   *lc2;

		foreach(lc2, a->args)
			preexprs = lappend(preexprs, lfirst_node(TargetEntry, lc2)->expr);
		if (a->aggfilter)
			preexprs = lappend(preexprs, a->aggfilter);
	}

	/* map to (keys..., aggregate arguments...) */
	pre = op_make(OP_MAP, desc_for_exprs(preexprs));
	pre->left = input;
	pre->nexprs = list_length(preexprs);
	pre->exprs = palloc0(sizeof(ExprState *) * (pre->nexprs + 1));
	foreach(lc, preexprs)
		pre->exprs[foreach_current_index(lc)] = compile_expr(lfirst(lc), &ps->layout, NIL);
	op_slots(pre);

	desc = CreateTemplateTupleDesc(nkeys + list_length(aggrefs));
	for (i = 0; i < nkeys; i++)
		TupleDescCopyEntry(desc, i + 1, pre->desc, i + 1);
	foreach(lc, aggrefs)
	{
		Aggref	   *a = lfirst_node(Aggref, lc);

		TupleDescInitEntry(desc, nkeys + foreach_current_index(lc) + 1, NULL,
						   a->aggtype, -1, 0);
		TupleDescInitEntryCollation(desc, nkeys + foreach_current_index(lc) + 1,
									a->aggcollid);
	}

	red = op_make(OP_REDUCE, desc);
	red->left = pre;
	op_slots(red);
	red->nkeys = nkeys;
	red->distinct = distinct;
	red->global = (nkeys == 0);
	red->naggs = list_length(aggrefs);
	red->aggs = palloc0(sizeof(AggSpec) * (red->naggs + 1));
	red->all_moving = true;
	i = nkeys;
	foreach(lc, aggrefs)
	{
		Aggref	   *a = lfirst_node(Aggref, lc);
		AggSpec    *spec = &red->aggs[foreach_current_index(lc)];

		aggspec_fill(ps, spec, a, i);
		i += list_length(a->args);
		spec->filtercol = a->aggfilter ? i++ : -1;
		if (!spec->moving)
			red->all_moving = false;
		if (spec->mtrans_internal)
			any_internal = true;
	}
	red->arr = arrangement_create(CurrentMemoryContext, "pathway groups",
								  grouping_keyspec(ps, keyexprs, eqops),
								  !red->all_moving || any_internal);
	red->arr->keys->nulls_match = true;
	red->arr->track_touched = true;
	op_init_reduce(red, CurrentMemoryContext);
	return red;
}

/* ---------- scalar subqueries ---------- */

typedef struct ScalarCtx
{
	PState	   *ps;
	Query	   *q;
} ScalarCtx;

/*
 * An uncorrelated scalar subquery that is a global aggregate always yields
 * exactly one row: it becomes a one-row subquery in FROM, cross-joined, and
 * the expression reads its column.  Others are left for the checks to refuse.
 */
static Node *
scalar_mutator(Node *node, ScalarCtx *ctx)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, SubLink) && ((SubLink *) node)->subLinkType == EXPR_SUBLINK)
	{
		SubLink    *sl = (SubLink *) node;
		Query	   *sub = (Query *) sl->subselect;
		TargetEntry *tle;
		RangeTblEntry *rte;
		RangeTblRef *rtr;

		if (contain_vars_of_level((Node *) sub, 1))
			refuse(ctx->ps->name, "A correlated scalar subquery", "Rewrite it as a join with GROUP BY.");
		if (!sub->hasAggs || sub->groupClause || sub->groupingSets || sub->havingQual ||
			sub->setOperations || sub->limitCount || sub->limitOffset || sub->cteList)
			refuse(ctx->ps->name, "A scalar subquery other than a global aggregate",
				   "A scalar subquery such as (SELECT max(x) FROM t) is maintained; others may yield no row or several.");
		tle = linitial_node(TargetEntry, sub->targetList);
		rte = makeNode(RangeTblEntry);
		rte->rtekind = RTE_SUBQUERY;
		rte->subquery = copyObject(sub);
		rte->eref = makeAlias("scalar", list_make1(makeString(tle->resname ? tle->resname : "?column?")));
		rte->inFromCl = true;
		ctx->q->rtable = lappend(ctx->q->rtable, rte);
		rtr = makeNode(RangeTblRef);
		rtr->rtindex = list_length(ctx->q->rtable);
		ctx->q->jointree->fromlist = lappend(ctx->q->jointree->fromlist, rtr);
		return (Node *) makeVar(rtr->rtindex, 1, exprType((Node *) tle->expr),
								exprTypmod((Node *) tle->expr), exprCollation((Node *) tle->expr), 0);
	}
	if (IsA(node, Query))
		return node;
	return expression_tree_mutator(node, scalar_mutator, (void *) ctx);
}

static void
pull_up_scalars(PState *ps, Query *q)
{
	ScalarCtx	ctx;

	if (!q->hasSubLinks)
		return;
	ctx.ps = ps;
	ctx.q = q;
	q->jointree->quals = scalar_mutator(q->jointree->quals, &ctx);
	if (!q->hasAggs && !q->groupClause)
		q->targetList = (List *) scalar_mutator((Node *) q->targetList, &ctx);
	q->hasSubLinks = checkExprHasSubLink((Node *) q->targetList) ||
		checkExprHasSubLink(q->jointree->quals) || checkExprHasSubLink(q->havingQual);
}

/* ---------- EXISTS and IN: semi- and anti-joins ---------- */

typedef struct SemiJoin
{
	SubLink    *sublink;
	bool		negated;
	List	   *lkeys;			/* outer expressions, at this query level */
	List	   *eqops;
	Query	   *sub;			/* its target list: the inner keys */
} SemiJoin;

static bool
only_outer_vars(Node *n)
{
	return contain_vars_of_level(n, 1) && !contain_vars_of_level(n, 0);
}

/*
 * Take a WHERE conjunct of the form [NOT] EXISTS (subquery) or x IN
 * (subquery) apart: the subquery's correlated equalities and the IN test
 * become join keys; what is left of the subquery is planned on its own.
 */
static SemiJoin *
make_semi(PState *ps, Node *conj)
{
	SemiJoin   *sj = palloc0(sizeof(SemiJoin));
	SubLink    *sl;
	Query	   *sub;
	List	   *keep = NIL,
			   *rkeys = NIL;
	ListCell   *lc;
	bool		correlated = false;

	if (is_notclause(conj))
	{
		sj->negated = true;
		conj = (Node *) get_notclausearg((Expr *) conj);
	}
	sl = (SubLink *) conj;
	sj->sublink = sl;
	if (sl->subLinkType == ANY_SUBLINK && sj->negated)
		refuse(ps->name, "NOT IN (subquery)", "Use NOT EXISTS, which does not depend on NULLs in the subquery.");
	if (sl->subLinkType != EXISTS_SUBLINK && sl->subLinkType != ANY_SUBLINK)
		refuse(ps->name, "A subquery in an expression other than [NOT] EXISTS or IN in WHERE", NULL);
	sub = copyObject((Query *) sl->subselect);
	if (sub->cteList)
		refuse(ps->name, "WITH inside a subquery in WHERE", NULL);

	/* IN: the tested expressions against the subquery's columns */
	if (sl->subLinkType == ANY_SUBLINK)
	{
		List	   *tests = (is_andclause(sl->testexpr))
			? ((BoolExpr *) sl->testexpr)->args : list_make1(sl->testexpr);

		foreach(lc, tests)
		{
			OpExpr	   *op = (OpExpr *) lfirst(lc);
			Node	   *outer,
					   *inner;
			Param	   *param;
			OpExpr		test;
			Oid			eqop;

			if (!IsA(op, OpExpr) || list_length(op->args) != 2 || !IsA(lsecond(op->args), Param))
				refuse(ps->name, "This form of IN (subquery)", NULL);
			outer = linitial(op->args);
			param = (Param *) lsecond(op->args);
			inner = (Node *) list_nth_node(TargetEntry, sub->targetList, param->paramid - 1)->expr;
			test = *op;
			eqop = same_type_equality(&test, &outer, &inner);
			if (!OidIsValid(eqop))
				refuse(ps->name, "IN (subquery) with an operator other than a hashable equality", NULL);
			sj->lkeys = lappend(sj->lkeys, outer);
			sj->eqops = lappend_oid(sj->eqops, eqop);
			rkeys = lappend(rkeys, inner);
		}
	}

	/* correlated equalities in the subquery's WHERE become keys too */
	foreach(lc, sub->jointree->quals ? make_ands_implicit((Expr *) sub->jointree->quals) : NIL)
	{
		Node	   *c = lfirst(lc);

		if (!contain_vars_of_level(c, 1))
		{
			keep = lappend(keep, c);
			continue;
		}
		correlated = true;
		if (IsA(c, OpExpr) && list_length(((OpExpr *) c)->args) == 2)
		{
			OpExpr	   *op = (OpExpr *) c;
			Node	   *a = linitial(op->args);
			Node	   *b = lsecond(op->args);
			Node	   *outer = NULL,
					   *inner = NULL;
			Oid			eqop;

			if (only_outer_vars(a) && !contain_vars_of_level(b, 1))
				outer = a, inner = b;
			else if (only_outer_vars(b) && !contain_vars_of_level(a, 1))
				outer = b, inner = a;
			if (outer && (eqop = same_type_equality(op, &outer, &inner)) != InvalidOid &&
				op == (OpExpr *) c)
			{
				outer = copyObject(outer);
				IncrementVarSublevelsUp(outer, -1, 1);
				sj->lkeys = lappend(sj->lkeys, outer);
				sj->eqops = lappend_oid(sj->eqops, eqop);
				rkeys = lappend(rkeys, inner);
				continue;
			}
		}
		refuse(ps->name, "A correlated condition in a subquery other than an equality with the outer query",
			   "Correlate the subquery through equalities only.");
	}
	if (correlated && (sub->hasAggs || sub->groupClause || sub->havingQual ||
					   sub->setOperations || sub->limitCount || sub->limitOffset))
		refuse(ps->name, "A correlated subquery with aggregates, set operations or LIMIT", NULL);
	sub->jointree->quals = (Node *) make_ands_explicit(keep);
	if (contain_vars_of_level((Node *) sub, 1))
		refuse(ps->name, "An outer reference in a subquery other than in its WHERE", NULL);

	/* the subquery now yields its side of the keys (EXISTS: only those) */
	if (sj->lkeys == NIL)
	{
		/* uncorrelated EXISTS: one constant key on both sides */
		Const	   *one = makeConst(INT4OID, -1, InvalidOid, 4, Int32GetDatum(1), false, true);

		sj->lkeys = list_make1(one);
		sj->eqops = list_make1_oid(Int4EqualOperator);
		rkeys = list_make1(copyObject(one));
	}
	if (!sub->hasAggs && !sub->groupClause && !sub->setOperations)
	{
		List	   *tl = NIL;

		foreach(lc, rkeys)
			tl = lappend(tl, makeTargetEntry(lfirst(lc), foreach_current_index(lc) + 1, NULL, false));
		sub->targetList = tl;
		sub->sortClause = NIL;
		sub->distinctClause = NIL;
		sub->hasDistinctOn = false;
	}
	else if (sl->subLinkType != ANY_SUBLINK)
		refuse(ps->name, "EXISTS over a subquery with aggregates or set operations", NULL);
	sj->sub = sub;
	return sj;
}

/* Keep the rows of 'cur' that have (EXISTS, IN) or lack (NOT EXISTS) a partner. */
static Op *
apply_semi(PState *ps, Op *cur, SemiJoin *sj)
{
	Op		   *right = plan_query(ps->name, sj->sub, ps->plan, false, NULL);
	Op		   *op = op_make(OP_JOIN, CreateTupleDescCopy(cur->desc));
	ListCell   *lc;
	int			n = list_length(sj->lkeys);

	if (right->desc->natts < n)
		elog(ERROR, "pathway: subquery yields fewer columns than its keys");
	op->left = cur;
	op->right = right;
	op->semi = !sj->negated;
	op->anti = sj->negated;
	op_slots(op);
	op->keys = keyspec_for_ops(sj->lkeys, sj->eqops);
	op->keys->nulls_match = false;
	op->lkeys = palloc0(sizeof(ExprState *) * (n + 1));
	op->rkeys = palloc0(sizeof(ExprState *) * (n + 1));
	foreach(lc, sj->lkeys)
	{
		int			i = foreach_current_index(lc);
		Form_pg_attribute att = TupleDescAttr(right->desc, i);

		op->lkeys[i] = compile_expr(lfirst(lc), &ps->layout, NIL);
		op->rkeys[i] = ExecInitExpr((Expr *) makeVar(1, i + 1, att->atttypid, att->atttypmod,
													 att->attcollation, 0), NULL);
	}
	op->larr = arrangement_create(CurrentMemoryContext, "pathway semi join left", op->keys, true);
	op->rarr = arrangement_create(CurrentMemoryContext, "pathway semi join right", op->keys, true);
	op->rarr->track_touched = true;
	return op;
}

/* Split the WHERE clause: [NOT] EXISTS / IN conjuncts out, the rest stays. */
static List *
extract_semis(PState *ps, Query *q)
{
	List	   *semis = NIL,
			   *keep = NIL;
	ListCell   *lc;

	if (!q->hasSubLinks || q->jointree->quals == NULL)
		return NIL;
	foreach(lc, make_ands_implicit((Expr *) q->jointree->quals))
	{
		Node	   *c = lfirst(lc);
		Node	   *inner = is_notclause(c) ? (Node *) get_notclausearg((Expr *) c) : c;

		if (IsA(inner, SubLink))
			semis = lappend(semis, make_semi(ps, c));
		else
			keep = lappend(keep, c);
	}
	q->jointree->quals = (Node *) make_ands_explicit(keep);
	q->hasSubLinks = checkExprHasSubLink((Node *) q->targetList) ||
		checkExprHasSubLink(q->jointree->quals) || checkExprHasSubLink(q->havingQual);
	return semis;
}

/*
 * DISTINCT ON (keys) ... ORDER BY: per key, the row that sorts first.  The
 * input holds every target list entry (sort-only ones too); the result keeps
 * the selected ones.
 */
static Op *
distinct_on(PState *ps, Op *input, Query *q, bool top)
{
	Op		   *first = op_make(OP_FIRST, input->desc);
	Op		   *proj;
	List	   *keyexprs = NIL,
			   *eqops = NIL;
	ListCell   *lc;
	int			n = 0,
				i;

	first->left = input;
	op_slots(first);
	first->rslot = MakeSingleTupleTableSlot(input->desc, &TTSOpsMinimalTuple);
	first->keycols = palloc0(sizeof(int) * (list_length(q->distinctClause) + 1));
	foreach(lc, q->distinctClause)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		TargetEntry *tle = get_sortgroupclause_tle(sgc, q->targetList);

		first->keycols[foreach_current_index(lc)] = tle->resno - 1;
		keyexprs = lappend(keyexprs, tle->expr);
		eqops = lappend_oid(eqops, sgc->hashable ? sgc->eqop : InvalidOid);
	}
	first->nsort = list_length(q->sortClause);
	first->sortcols = palloc0(sizeof(int) * (first->nsort + 1));
	first->sortkeys = palloc0(sizeof(SortSupportData) * (first->nsort + 1));
	foreach(lc, q->sortClause)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		TargetEntry *tle = get_sortgroupclause_tle(sgc, q->targetList);
		SortSupport ssup = &first->sortkeys[foreach_current_index(lc)];

		first->sortcols[foreach_current_index(lc)] = tle->resno - 1;
		ssup->ssup_cxt = CurrentMemoryContext;
		ssup->ssup_collation = exprCollation((Node *) tle->expr);
		ssup->ssup_nulls_first = sgc->nulls_first;
		PrepareSortSupportFromOrderingOp(sgc->sortop, ssup);
	}
	first->arr = arrangement_create(CurrentMemoryContext, "pathway distinct on",
									grouping_keyspec(ps, keyexprs, eqops), true);
	first->arr->keys->nulls_match = true;
	first->arr->track_touched = true;

	/* keep the selected columns */
	foreach(lc, q->targetList)
		if (!lfirst_node(TargetEntry, lc)->resjunk)
			n++;
	proj = op_make(OP_MAP, CreateTemplateTupleDesc(n));
	proj->left = first;
	proj->nexprs = n;
	proj->exprs = palloc0(sizeof(ExprState *) * (n + 1));
	i = 0;
	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		Form_pg_attribute att = TupleDescAttr(input->desc, tle->resno - 1);

		if (tle->resjunk)
			continue;
		TupleDescCopyEntry(proj->desc, i + 1, input->desc, tle->resno);
		proj->exprs[i++] = ExecInitExpr((Expr *) makeVar(1, tle->resno, att->atttypid, att->atttypmod,
														 att->attcollation, 0), NULL);
	}
	op_slots(proj);

	/* the view's key: the DISTINCT ON expressions, if all are selected */
	if (top)
	{
		ps->plan->keycols = palloc0(sizeof(AttrNumber) * (list_length(keyexprs) + 1));
		ps->plan->nkeycols = 0;
		foreach(lc, q->distinctClause)
		{
			TargetEntry *tle = get_sortgroupclause_tle(lfirst_node(SortGroupClause, lc), q->targetList);
			int			pos = 0;
			ListCell   *lt;

			if (tle->resjunk)
			{
				ps->plan->nkeycols = 0;
				break;
			}
			foreach(lt, q->targetList)
			{
				if (lfirst(lt) == tle)
					break;
				if (!lfirst_node(TargetEntry, lt)->resjunk)
					pos++;
			}
			ps->plan->keycols[ps->plan->nkeycols++] = pos + 1;
		}
	}
	return proj;
}

/* ---------- grouping sets ---------- */

typedef struct GroupingSetCtx
{
	List	   *set;			/* sortgrouprefs grouped on in this set */
	List	   *absent;			/* grouping expressions that are not */
	List	   *allrefs;
} GroupingSetCtx;

/*
 * Within one grouping set, a grouping expression it does not group on is
 * NULL, and GROUPING(...) is a constant.
 */
static Node *
grouping_set_mutator(Node *node, GroupingSetCtx *ctx)
{
	ListCell   *lc;

	if (node == NULL)
		return NULL;
	if (IsA(node, Aggref))
		return node;
	if (IsA(node, GroupingFunc))
	{
		GroupingFunc *gf = (GroupingFunc *) node;
		int32		bits = 0;

		foreach(lc, gf->refs)
			bits = (bits << 1) | (list_member_int(ctx->set, lfirst_int(lc)) ? 0 : 1);
		return (Node *) makeConst(INT4OID, -1, InvalidOid, 4, Int32GetDatum(bits), false, true);
	}
	foreach(lc, ctx->absent)
		if (equal(node, lfirst(lc)))
			return (Node *) makeNullConst(exprType(node), exprTypmod(node), exprCollation(node));
	return expression_tree_mutator(node, grouping_set_mutator, (void *) ctx);
}

/* The rows of one grouping set: a reduce on its keys, then the target list. */
static Op *
plan_grouping_set(PState *ps, Op *input, Query *q, List *set, List *aggrefs, List *mapexprs)
{
	List	   *keyexprs = NIL,
			   *eqops = NIL,
			   *replace,
			   *exprs;
	GroupingSetCtx ctx;
	ListCell   *lc;
	Op		   *red,
			   *post;

	memset(&ctx, 0, sizeof(ctx));
	ctx.set = set;
	foreach(lc, q->groupClause)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		Node	   *e = get_sortgroupclause_expr(sgc, q->targetList);

		if (list_member_int(set, sgc->tleSortGroupRef))
		{
			if (!list_member(keyexprs, e))
			{
				keyexprs = lappend(keyexprs, e);
				eqops = lappend_oid(eqops, sgc->hashable ? sgc->eqop : InvalidOid);
			}
		}
		else
			ctx.absent = lappend(ctx.absent, e);
	}
	red = build_reduce(ps, input, keyexprs, eqops, aggrefs, false);

	/* the target list over (keys..., aggregates...) */
	replace = list_concat(list_copy(keyexprs), aggrefs);
	exprs = (List *) grouping_set_mutator((Node *) mapexprs, &ctx);
	post = op_make(OP_MAP, desc_for_exprs(mapexprs));
	post->left = red;
	post->nexprs = list_length(exprs);
	post->exprs = palloc0(sizeof(ExprState *) * (post->nexprs + 1));
	foreach(lc, exprs)
	{
		Node	   *e = lfirst(lc);
		List	   *vs = pull_var_clause(e, PVC_INCLUDE_AGGREGATES);
		ListCell   *lv;

		/* a column outside of the grouping keys, allowed by a primary key */
		foreach(lv, vs)
		{
			bool		found = !IsA(lfirst(lv), Var);
			ListCell   *lk;

			foreach(lk, keyexprs)
				if (equal(lfirst(lk), lfirst(lv)) ||
					list_member(pull_var_clause(lfirst(lk), PVC_INCLUDE_AGGREGATES), lfirst(lv)))
					found = true;
			if (!found && !list_member(replace, e))
				refuse(ps->name, "A column that is functionally dependent on the GROUP BY key but not in it",
					   "Add the column to GROUP BY.");
		}
		post->exprs[foreach_current_index(lc)] = compile_expr((Expr *) e, NULL, replace);
	}
	if (q->havingQual)
		post->qual = compile_qual(make_ands_implicit((Expr *) grouping_set_mutator(q->havingQual, &ctx)),
								  NULL, replace);
	op_slots(post);
	return post;
}

/* ---------- subqueries, WITH, set operations ---------- */

/* DISTINCT over a row: group on all its columns. */
static Op *
distinct_rows(PState *ps, Op *input)
{
	List	   *cols = NIL;
	List	   *eqops = NIL;
	Layout		identity;
	Layout		saved = ps->layout;
	Op		   *red;
	int			n = input->desc->natts,
				i;

	for (i = 0; i < n; i++)
	{
		Form_pg_attribute att = TupleDescAttr(input->desc, i);

		cols = lappend(cols, makeVar(1, i + 1, att->atttypid, att->atttypmod,
									 att->attcollation, 0));
		eqops = lappend_oid(eqops, lookup_type_cache(att->atttypid, TYPECACHE_EQ_OPR)->eq_opr);
	}
	identity.nrels = 1;
	identity.natts = palloc0(sizeof(int) * 2);
	identity.pos = palloc0(sizeof(int *) * 2);
	identity.natts[1] = n;
	identity.pos[1] = palloc(sizeof(int) * (n + 1));
	for (i = 0; i <= n; i++)
		identity.pos[1][i] = i - 1;
	ps->layout = identity;
	red = build_reduce(ps, input, cols, eqops, NIL, true);
	red->global = false;
	ps->layout = saved;
	return red;
}

/*
 * Non-recursive WITH queries become subqueries in FROM, as PostgreSQL's own
 * planner inlines them.  'stack' holds the WITH lists of the enclosing
 * levels, innermost first.
 */
static void
inline_ctes(const char *name, Query *q, List *stack)
{
	List	   *mystack = lcons(q->cteList, stack);
	ListCell   *lc;

	if (q->hasRecursive)
		refuse(name, "WITH RECURSIVE", NULL);
	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_CTE)
		{
			List	   *ctes = (rte->ctelevelsup < list_length(mystack))
				? (List *) list_nth(mystack, rte->ctelevelsup) : NIL;
			CommonTableExpr *found = NULL;
			ListCell   *lc2;

			foreach(lc2, ctes)
				if (strcmp(lfirst_node(CommonTableExpr, lc2)->ctename, rte->ctename) == 0)
					found = lfirst(lc2);
			if (found == NULL || found->cterecursive)
				refuse(name, "WITH RECURSIVE", NULL);
			if (!IsA(found->ctequery, Query) ||
				((Query *) found->ctequery)->commandType != CMD_SELECT)
				refuse(name, "A data-modifying statement in WITH", NULL);
			rte->rtekind = RTE_SUBQUERY;
			rte->subquery = copyObject((Query *) found->ctequery);
			/* its references to outer WITH lists now start from here */
			if (rte->ctelevelsup > 0)
				IncrementVarSublevelsUp((Node *) rte->subquery, rte->ctelevelsup, 1);
			rte->ctename = NULL;
			rte->ctelevelsup = 0;
			rte->self_reference = false;
		}
		if (rte->rtekind == RTE_SUBQUERY)
			inline_ctes(name, rte->subquery, mystack);
	}
	q->cteList = NIL;
}

/* A subquery in FROM: its graph, its columns laid out from column 0. */
static Op *
make_subquery(PState *ps, int rti)
{
	RangeTblEntry *rte = rt_fetch(rti, ps->query->rtable);
	Op		   *op;
	int			k;

	if (rte->lateral)
		refuse(ps->name, "LATERAL", NULL);
	op = plan_query(ps->name, rte->subquery, ps->plan, false, NULL);
	for (k = 1; k <= op->desc->natts && k <= ps->layout.natts[rti]; k++)
		ps->layout.pos[rti][k] = k - 1;
	return op;
}

/* A tree of UNION / INTERSECT / EXCEPT over subqueries. */
static Op *
build_setop(PState *ps, Node *node)
{
	SetOperationStmt *s;
	Op		   *left,
			   *right,
			   *op;

	if (IsA(node, RangeTblRef))
		return make_subquery(ps, ((RangeTblRef *) node)->rtindex);
	s = castNode(SetOperationStmt, node);
	left = build_setop(ps, s->larg);
	right = build_setop(ps, s->rarg);
	op = op_make(s->op == SETOP_UNION ? OP_UNION : OP_SETOP, CreateTupleDescCopy(left->desc));
	op->left = left;
	op->right = right;
	op->setop = s->op;
	op->setop_all = s->all;
	op_slots(op);
	if (op->kind == OP_SETOP)
	{
		List	   *cols = NIL;
		List	   *eqops = NIL;
		int			i;

		for (i = 0; i < op->desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(op->desc, i);

			cols = lappend(cols, makeVar(1, i + 1, att->atttypid, att->atttypmod,
										 att->attcollation, 0));
			eqops = lappend_oid(eqops, lookup_type_cache(att->atttypid, TYPECACHE_EQ_OPR)->eq_opr);
		}
		op->arr = arrangement_create(CurrentMemoryContext, "pathway set operation",
									 grouping_keyspec(ps, cols, eqops), false);
		op->arr->keys->nulls_match = true;
		op->arr->track_touched = true;
	}
	if (s->op == SETOP_UNION && !s->all)
		op = distinct_rows(ps, op);
	/* the query's target list reads the leftmost branch's columns */
	return op;
}

/* ---------- entry point ---------- */

static bool
has_join_rtes(Query *q)
{
	ListCell   *lc;

	foreach(lc, q->rtable)
		if (lfirst_node(RangeTblEntry, lc)->rtekind == RTE_JOIN)
			return true;
	return false;
}

/*
 * Parse and analyze a view's text, and expand the ordinary views it reads
 * (PostgreSQL's rewriter).  The result is what is stored: it names objects
 * by OID, so renames, search_path and later changes to those views cannot
 * change its meaning.
 */
Query *
analyze_view(const char *name, const char *query)
{
	List	   *raw;
	Query	   *q;
	List	   *rewritten;

	raw = raw_parser(query, RAW_PARSE_DEFAULT);
	if (list_length(raw) != 1 || !IsA(((RawStmt *) linitial(raw))->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("query of view \"%s\" must be a single SELECT statement", name)));
	q = parse_analyze_fixedparams(linitial_node(RawStmt, raw), query, NULL, 0, NULL);
	AcquireRewriteLocks(q, true, false);
	rewritten = QueryRewrite(q);
	if (list_length(rewritten) != 1)
		refuse(name, "A query that rules rewrite into several", NULL);
	return linitial_node(Query, rewritten);
}

/*
 * The graph of one query level: the view's query, a subquery in FROM, an
 * inlined WITH query or a branch of a set operation.  Its rows are the
 * level's non-junk target list.  Only the top level sets the view's key.
 */
static Op *
plan_query(const char *name, Query *q, ViewPlan *plan, bool top, List **names)
{
	PState		ps;
	List	   *semis;
	List	   *vars;
	List	   *outexprs = NIL;
	List	   *mapexprs = NIL;
	List	   *outnames = NIL;
	ListCell   *lc;
	Op		   *cur;
	int			i;

	(void) ExecCheckRTPerms(q->rtable, true);
	plan->rtable = list_concat(plan->rtable, q->rtable);

	memset(&ps, 0, sizeof(ps));
	ps.name = name;
	ps.query = q;
	ps.plan = plan;
	pull_up_scalars(&ps, q);
	semis = extract_semis(&ps, q);
	check_query(&ps);
	if (has_join_rtes(q))
	{
		q->targetList = (List *) flatten_join_alias_vars(q, (Node *) q->targetList);
		q->jointree = (FromExpr *) flatten_join_alias_vars(q, (Node *) q->jointree);
	}
	if (top)
		plan->ignored_order = (q->sortClause != NIL && !q->hasDistinctOn);
	else if (q->sortClause != NIL && !q->setOperations && !q->hasDistinctOn)
		refuse(name, "ORDER BY in a subquery", "Drop it: a subquery's rows have no order here.");

	layout_init(&ps.layout, q);
	ps.plan = plan;
	if (q->setOperations)
		cur = build_setop(&ps, q->setOperations);
	else
	{
		List	   *semikeys = NIL;

		foreach(lc, semis)
			semikeys = list_concat(semikeys, ((SemiJoin *) lfirst(lc))->lkeys);
		/* and the columns that functions in FROM read */
		foreach(lc, q->rtable)
			if (lfirst_node(RangeTblEntry, lc)->rtekind == RTE_FUNCTION)
				semikeys = lappend(semikeys,
								   linitial_node(RangeTblFunction, lfirst_node(RangeTblEntry, lc)->functions)->funcexpr);
		vars = pull_var_clause((Node *) list_make4(q->targetList, q->jointree, q->havingQual, semikeys),
							   PVC_RECURSE_AGGREGATES);
		cur = build_scope(&ps, (Node *) q->jointree, NIL, vars, plan, &ps.done_rels);
		foreach(lc, semis)
			cur = apply_semi(&ps, cur, lfirst(lc));
	}

	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		/* DISTINCT ON sorts on columns that need not be selected */
		if (q->hasDistinctOn)
			mapexprs = lappend(mapexprs, tle->expr);
		if (tle->resjunk)
			continue;
		outexprs = lappend(outexprs, tle->expr);
		outnames = lappend(outnames, tle->resname ? tle->resname : "?column?");
	}
	if (!q->hasDistinctOn)
		mapexprs = outexprs;

	if (q->hasAggs || q->groupClause)
	{
		List	   *aggrefs = NIL;
		List	   *sets;
		List	   *allrefs = NIL;
		Op		   *input = cur;
		ListCell   *ls;

		/* plain GROUP BY is the one grouping set of all its keys */
		foreach(lc, q->groupClause)
			allrefs = lappend_int(allrefs, lfirst_node(SortGroupClause, lc)->tleSortGroupRef);
		sets = q->groupingSets ? expand_grouping_sets(q->groupingSets, q->groupDistinct, 4096)
			: list_make1(allrefs);
		collect_aggrefs((Node *) mapexprs, &aggrefs);
		collect_aggrefs(q->havingQual, &aggrefs);

		cur = NULL;
		foreach(ls, sets)
		{
			Op		   *post = plan_grouping_set(&ps, input, q, lfirst(ls), aggrefs, mapexprs);

			if (cur == NULL)
				cur = post;
			else
			{
				Op		   *u = op_make(OP_UNION, CreateTupleDescCopy(cur->desc));

				u->left = cur;
				u->right = post;
				op_slots(u);
				cur = u;
			}
		}

		/* the view's key: every grouping expression is an output column */
		if (q->groupClause != NIL && q->groupingSets == NIL && top)
		{
			plan->keycols = palloc0(sizeof(AttrNumber) * list_length(q->groupClause));
			foreach(lc, q->groupClause)
			{
				Node	   *key = get_sortgroupclause_expr(lfirst(lc), q->targetList);
				int			pos = -1;
				ListCell   *lo;

				foreach(lo, outexprs)
					if (equal(lfirst(lo), key))
					{
						pos = foreach_current_index(lo);
						break;
					}
				if (pos < 0)
				{
					plan->nkeycols = 0;
					break;
				}
				plan->keycols[plan->nkeycols++] = pos + 1;
			}
		}
	}
	else
	{
		Op		   *map = op_make(OP_MAP, desc_for_exprs(mapexprs));

		map->left = cur;
		map->nexprs = list_length(mapexprs);
		map->exprs = palloc0(sizeof(ExprState *) * (map->nexprs + 1));
		foreach(lc, mapexprs)
			map->exprs[foreach_current_index(lc)] = compile_expr(lfirst(lc), &ps.layout, NIL);
		op_slots(map);
		cur = map;
	}

	if (q->hasDistinctOn)
		cur = distinct_on(&ps, cur, q, top);
	else if (q->distinctClause)
	{
		cur = distinct_rows(&ps, cur);
		if (top)
		{
			plan->nkeycols = cur->desc->natts;
			plan->keycols = palloc0(sizeof(AttrNumber) * (plan->nkeycols + 1));
			for (i = 0; i < plan->nkeycols; i++)
				plan->keycols[i] = i + 1;
		}
	}
	if (names)
		*names = outnames;
	return cur;
}

ViewPlan *
plan_view(const char *name, Query *query)
{
	Query	   *q = copyObject(query);
	ViewPlan   *plan = palloc0(sizeof(ViewPlan));
	List	   *names;
	ListCell   *lc;

	inline_ctes(name, q, NIL);
	plan->root = plan_query(name, q, plan, true, &names);

	/* name the view's columns as the query does */
	plan->desc = CreateTupleDescCopy(plan->root->desc);
	foreach(lc, names)
		namestrcpy(&TupleDescAttr(plan->desc, foreach_current_index(lc))->attname,
				   (char *) lfirst(lc));
	return plan;
}
