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


#include "plan/internal.h"


void
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

/*
 * Functions whose result depends on the session that calls them: the view
 * is filled by the creator's session and maintained by the engine worker's,
 * so they would give the creator's value at first and the worker's later
 * (or fail there).  Most are STABLE, so the volatility check lets them by.
 */
static bool
session_checker(Oid func, void *context)
{
	switch (func)
	{
		case F_PG_BACKEND_PID:
		case F_INET_CLIENT_ADDR:
		case F_INET_CLIENT_PORT:
		case F_INET_SERVER_ADDR:
		case F_INET_SERVER_PORT:
		case F_TXID_CURRENT:
		case F_TXID_CURRENT_IF_ASSIGNED:
		case F_TXID_CURRENT_SNAPSHOT:
		case F_PG_CURRENT_XACT_ID:
		case F_PG_CURRENT_XACT_ID_IF_ASSIGNED:
		case F_PG_CURRENT_SNAPSHOT:
		case F_PG_MY_TEMP_SCHEMA:
		case F_PG_IS_OTHER_TEMP_SCHEMA:
		case F_CURRENT_USER:
		case F_SESSION_USER:
		case F_GETPGUSERNAME:
		case F_CURRENT_SCHEMA:
		case F_CURRENT_SCHEMAS:
		case F_PG_CLIENT_ENCODING:
		case F_PG_TRIGGER_DEPTH:
		case F_PG_LISTENING_CHANNELS:
		case F_PG_CONF_LOAD_TIME:
		case F_PG_SHOW_ALL_SETTINGS:
			*(Oid *) context = func;
			return true;
		default:
			return false;
	}
}

/*
 * current_setting(name [, missing_ok]): the worker computes with the
 * settings captured at creation, so exactly those may be read, and only by
 * a constant name.
 */
static void
check_current_setting(PState *ps, FuncExpr *f)
{
	Node	   *arg;
	char	   *setting;

	if (f->funcid != F_CURRENT_SETTING_TEXT && f->funcid != F_CURRENT_SETTING_TEXT_BOOL)
		return;
	arg = eval_const_expressions(NULL, linitial(f->args));
	if (!IsA(arg, Const) || ((Const *) arg)->constisnull)
		refuse(ps->name, "current_setting() of a name that is not a constant",
			   "Name the setting with a constant; only the settings captured when the view is created can be read.");
	setting = TextDatumGetCString(((Const *) arg)->constvalue);
	if (!pathway_setting_captured(setting))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot maintain view \"%s\"", ps->name),
				 errdetail("current_setting('%s') is not supported: the setting is not captured when the view is created.",
						   setting),
				 errhint("Only these settings are captured (the engine computes with their values at creation): %s. Store other values in a column when rows are written.",
						 pathway_captured_settings_list())));
}

static bool
check_walker(Node *node, PState *ps)
{
	Oid			func = InvalidOid;

	if (node == NULL)
		return false;
	if (check_functions_in_node(node, session_checker, &func))
	{
		char		detail[NAMEDATALEN + 64];

		snprintf(detail, sizeof(detail), "The session-dependent function %s()", get_func_name(func));
		refuse(ps->name, detail,
			   "The engine computes the view in its own session, where this function gives another value; store the value in a column when rows are written.");
	}
	if (IsA(node, FuncExpr))
		check_current_setting(ps, (FuncExpr *) node);
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
		{
			ListCell   *la;

			foreach(la, agg->aggdirectargs)
				if (!IsA(eval_const_expressions(NULL, lfirst(la)), Const))
					refuse(ps->name, "An ordered-set aggregate whose direct argument is not a constant",
						   "Give the fraction as a constant: percentile_cont(0.5) WITHIN GROUP (ORDER BY x).");
		}
		if (agg->agglevelsup > 0)
			refuse(ps->name, "An outer-level aggregate", NULL);
	}
	if (IsA(node, SubLink))
		refuse(ps->name, "A subquery in an expression", NULL);
	if (IsA(node, Param))
		refuse(ps->name, "A parameter", NULL);
	return expression_tree_walker(node, check_walker, (void *) ps);
}

/* The checks of a query's expressions, for one outside of its lists. */
void
check_expression(PState *ps, Node *node)
{
	(void) check_walker(node, ps);
}

static void
check_query(PState *ps)
{
	Query	   *q = ps->query;
	ListCell   *lc;

	if (q->commandType != CMD_SELECT || q->utilityStmt)
		refuse(ps->name, "A statement other than SELECT", NULL);
	if (q->hasTargetSRFs)
		refuse(ps->name, "This set-returning function in the select list",
			   "One set-returning function over the row's columns is maintained; call it in FROM instead.");
	if (q->hasSubLinks)
		refuse(ps->name, "A subquery in an expression", "Rewrite it as a join.");
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
				if (rte->relkind == RELKIND_MATVIEW || rte->relkind == RELKIND_FOREIGN_TABLE)
					ereport(ERROR,
							(errcode(ERRCODE_WRONG_OBJECT_TYPE),
							 errmsg("cannot maintain view \"%s\"", ps->name),
							 errdetail("\"%s\" is not a table.", get_rel_name(rte->relid)),
							 errhint("A live view reads ordinary tables; write the underlying query over them.")));
				if (rte->relkind != RELKIND_RELATION && rte->relkind != RELKIND_PARTITIONED_TABLE)
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
				{
					/* changes of children are routed to their parents: ONLY cannot be followed */
					if (has_subclass(rte->relid))
						refuse(ps->name, "ONLY on a table with inheritance children",
							   "Drop ONLY (the view then reads the children too), or move the parent's own rows to a table of their own.");
					break;
				}
				/* a partitioned table: its leaves' changes are routed to it */
				if (rte->relkind == RELKIND_PARTITIONED_TABLE)
				{
					if (!rte->inh)
						refuse(ps->name, "ONLY on a partitioned table", "Drop ONLY: a partitioned table's rows are its partitions' rows.");
					break;
				}
				/* a table with inheritance children: theirs are routed to it, as partitions are */
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
				}
				break;
			case RTE_TABLEFUNC:
				refuse(ps->name, "A table function (XMLTABLE, JSON_TABLE) in FROM", NULL);
				break;
			case RTE_VALUES:
				if (contain_vars_of_level((Node *) rte->values_lists, 0) ||
					contain_vars_of_level((Node *) rte->values_lists, 1))
					refuse(ps->name, "VALUES that read columns of other FROM items", NULL);
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
		else if (rte->rtekind == RTE_SUBQUERY || rte->rtekind == RTE_FUNCTION ||
				 rte->rtekind == RTE_VALUES)
		{
			int			n = rte->rtekind == RTE_SUBQUERY ? list_length(rte->subquery->targetList)
				: list_length(rte->eref->colnames);

			l->natts[i] = n;
			l->pos[i] = palloc(sizeof(int) * (n + 1));
			memset(l->pos[i], -1, sizeof(int) * (n + 1));
		}
	}
}

Node *
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

ExprState *
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

ExprState *
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

TupleDesc
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

void
op_slots(Op *op)
{
	if (op->left)
		op->lslot = MakeSingleTupleTableSlot(op->left->desc, &TTSOpsMinimalTuple);
	if (op->right)
		op->rslot = MakeSingleTupleTableSlot(op->right->desc, &TTSOpsMinimalTuple);
}

/* ---------- scalar subqueries ---------- */

/* ---------- a set-returning function in the select list ---------- */

typedef struct SrfCtx
{
	List	   *found;			/* the set-returning calls */
	bool		nested;			/* one inside another's arguments */
} SrfCtx;

static bool
find_srfs(Node *node, SrfCtx *ctx)
{
	if (node == NULL)
		return false;
	if ((IsA(node, FuncExpr) && ((FuncExpr *) node)->funcretset) ||
		(IsA(node, OpExpr) && ((OpExpr *) node)->opretset))
	{
		ctx->found = lappend(ctx->found, node);
		if (expression_returns_set((Node *) (IsA(node, FuncExpr) ? ((FuncExpr *) node)->args
											 : ((OpExpr *) node)->args)))
			ctx->nested = true;
		return false;
	}
	return expression_tree_walker(node, find_srfs, (void *) ctx);
}

static Node *
replace_srf_mutator(Node *node, void *arg)
{
	void	  **pair = arg;

	if (node == pair[0])
		return (Node *) pair[1];
	return expression_tree_mutator(node, replace_srf_mutator, arg);
}

/*
 * SELECT id, unnest(tags) FROM t: one set-returning call over the row's
 * columns is the same as the function in FROM, LATERAL, which is
 * maintained: each row expands to the function's rows (none: the row is
 * gone).  Several calls run in lockstep in PostgreSQL (not a cross product)
 * and are refused, as are calls after aggregation and composite results.
 */
static void
pull_up_target_srf(PState *ps, Query *q)
{
	SrfCtx		ctx = {NIL, false};
	Node	   *call;
	RangeTblEntry *rte;
	RangeTblFunction *rtf;
	RangeTblRef *rtr;
	Var		   *var;
	void	   *pair[2];
	Oid			type;

	if (!q->hasTargetSRFs)
		return;
	(void) find_srfs((Node *) q->targetList, &ctx);
	if (list_length(ctx.found) != 1 || ctx.nested || q->hasAggs || q->groupClause ||
		q->groupingSets || q->hasWindowFuncs || q->setOperations)
		return;					/* refused by check_query */
	call = linitial(ctx.found);
	type = exprType(call);
	if (type_is_rowtype(type))
		return;
	rtf = makeNode(RangeTblFunction);
	rtf->funcexpr = copyObject(call);
	rtf->funccolcount = 1;
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_FUNCTION;
	rte->functions = list_make1(rtf);
	rte->lateral = true;
	rte->inFromCl = true;
	rte->eref = makeAlias("srf", list_make1(makeString("srf")));
	q->rtable = lappend(q->rtable, rte);
	rtr = makeNode(RangeTblRef);
	rtr->rtindex = list_length(q->rtable);
	q->jointree->fromlist = lappend(q->jointree->fromlist, rtr);
	var = makeVar(rtr->rtindex, 1, type, exprTypmod(call), exprCollation(call), 0);
	pair[0] = call;
	pair[1] = var;
	q->targetList = (List *) replace_srf_mutator((Node *) q->targetList, pair);
	q->hasTargetSRFs = false;
}

typedef struct ScalarCtx
{
	PState	   *ps;
	Query	   *q;
	bool		in_targets;		/* mutating the select list (not WHERE) */
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
		{
			if (!ctx->in_targets)
				refuse(ctx->ps->name, "A correlated scalar subquery here",
					   "Rewrite it as a join with GROUP BY.");
			return pull_up_correlated_scalar(ctx->ps, ctx->q, sl);
		}
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
	/*
	 * WHERE: a conjunct that reads a correlated scalar subquery is applied
	 * after its LEFT JOIN (with the marks' conditions, apply_marks).
	 */
	ctx.in_targets = true;
	{
		List	   *keep = NIL;
		ListCell   *lc;

		foreach(lc, q->jointree->quals ? make_ands_implicit((Expr *) q->jointree->quals) : NIL)
		{
			int			before = list_length(ps->correlated);
			Node	   *c = scalar_mutator(lfirst(lc), &ctx);

			if (list_length(ps->correlated) > before)
				ps->post_quals = lappend(ps->post_quals, c);
			else
				keep = lappend(keep, c);
		}
		q->jointree->quals = keep ? (Node *) make_ands_explicit(keep) : NULL;
	}
	ctx.in_targets = !q->hasWindowFuncs && !q->setOperations;
	if (!q->hasAggs && !q->groupClause)
		q->targetList = (List *) scalar_mutator((Node *) q->targetList, &ctx);
	q->hasSubLinks = checkExprHasSubLink((Node *) q->targetList) ||
		checkExprHasSubLink(q->jointree->quals) || checkExprHasSubLink(q->havingQual) ||
		checkExprHasSubLink((Node *) ps->post_quals);
}

/* ---------- subqueries, WITH, set operations ---------- */

/*
 * Non-recursive WITH queries become subqueries in FROM, as PostgreSQL's own
 * planner inlines them.  'stack' holds the WITH lists of the enclosing
 * levels, innermost first.
 */
typedef struct InlineCtx
{
	const char *name;
	List	   *stack;
} InlineCtx;

static bool inline_sublinks(Node *node, InlineCtx *ctx);

static void
inline_ctes(const char *name, Query *q, List *stack)
{
	/* (lcons changes its list in place: the caller's stack is not ours) */
	List	   *mystack = lcons(q->cteList, list_copy(stack));
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
	/* and in subqueries in expressions: EXISTS, IN, scalar subqueries */
	{
		InlineCtx	ctx = {name, mystack};

		(void) inline_sublinks((Node *) list_make3(q->targetList, q->jointree, q->havingQual), &ctx);
	}
	q->cteList = NIL;
}

static bool
inline_sublinks(Node *node, InlineCtx *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
	{
		inline_ctes(ctx->name, (Query *) ((SubLink *) node)->subselect, ctx->stack);
		return inline_sublinks(((SubLink *) node)->testexpr, ctx);
	}
	return expression_tree_walker(node, inline_sublinks, (void *) ctx);
}

/* A subquery in FROM: its graph, its columns laid out from column 0. */
Op *
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

/*
 * A branch of a set operation as the operation's column types: PostgreSQL
 * resolves them to a common type (int and bigint: bigint) but leaves the
 * branches' own queries as written, for the planner to convert.
 */
static Op *
coerce_branch(PState *ps, Op *op, SetOperationStmt *s)
{
	List	   *exprs = NIL;
	bool		same = true;
	ListCell   *lt,
			   *lm,
			   *lc;
	int			i = 0;
	Op		   *map;

	forthree(lt, s->colTypes, lm, s->colTypmods, lc, s->colCollations)
	{
		Form_pg_attribute att = TupleDescAttr(op->desc, i);
		Oid			type = lfirst_oid(lt);
		int32		typmod = lfirst_int(lm);
		Node	   *e = (Node *) makeVar(1, i + 1, att->atttypid, att->atttypmod,
										 att->attcollation, 0);

		if (att->atttypid != type || (typmod >= 0 && att->atttypmod != typmod))
		{
			same = false;
			e = coerce_to_target_type(NULL, e, att->atttypid, type, typmod,
									  COERCION_IMPLICIT, COERCE_IMPLICIT_CAST, -1);
			if (e == NULL)
				refuse(ps->name, "A set operation whose branches' types do not convert", NULL);
		}
		if (OidIsValid(lfirst_oid(lc)) && exprCollation(e) != lfirst_oid(lc))
		{
			CollateExpr *ce = makeNode(CollateExpr);

			ce->arg = (Expr *) e;
			ce->collOid = lfirst_oid(lc);
			ce->location = -1;
			e = (Node *) ce;
			same = false;
		}
		exprs = lappend(exprs, e);
		i++;
	}
	if (same)
		return op;
	map = op_make(OP_MAP, desc_for_exprs(exprs));
	for (i = 0; i < map->desc->natts; i++)
		namestrcpy(&TupleDescAttr(map->desc, i)->attname, NameStr(TupleDescAttr(op->desc, i)->attname));
	map->left = op;
	map->nexprs = list_length(exprs);
	map->exprs = palloc0(sizeof(ExprState *) * (map->nexprs + 1));
	foreach(lc, exprs)
		map->exprs[foreach_current_index(lc)] =
			ExecInitExpr(expression_planner((Expr *) lfirst(lc)), NULL);
	op_slots(map);
	return map;
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
	left = coerce_branch(ps, build_setop(ps, s->larg), s);
	right = coerce_branch(ps, build_setop(ps, s->rarg), s);
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
analyze_view(const char *name, const char *query, char **text)
{
	List	   *raw;
	RawStmt    *stmt;
	Query	   *q;
	List	   *rewritten;

	raw = raw_parser(query, RAW_PARSE_DEFAULT);
	if (list_length(raw) != 1 || !IsA(((RawStmt *) linitial(raw))->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("query of view \"%s\" must be a single SELECT statement", name),
				 list_length(raw) > 1 ?
				 errdetail("The query holds %d statements.", list_length(raw)) : 0));
	stmt = linitial_node(RawStmt, raw);
	/* the statement alone: what follows its semicolon (comments) is not part of it */
	if (text)
	{
		int			start = Max(stmt->stmt_location, 0);
		int			len = stmt->stmt_len > 0 ? stmt->stmt_len : (int) strlen(query) - start;

		*text = pnstrdup(query + start, len);
	}
	q = parse_analyze_fixedparams(stmt, query, NULL, 0, NULL);
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
Op *
plan_query(const char *name, Query *q, ViewPlan *plan, bool top, List **names)
{
	PState		ps;
	List	   *semis;
	List	   *vars;
	List	   *outexprs = NIL;
	List	   *mapexprs = NIL;
	List	   *outnames = NIL;
	ListCell   *lc;
	List	   *levelexprs;
	List	   *winputs = NIL;
	Op		   *cur;
	bool		limited;
	bool		all_columns;
	int			i;

	(void) ExecCheckRTPerms(q->rtable, true);
	plan->rtable = list_concat(plan->rtable, q->rtable);

	memset(&ps, 0, sizeof(ps));
	ps.name = name;
	ps.query = q;
	ps.plan = plan;
	decorrelate_laterals(&ps, q);
	pull_up_target_srf(&ps, q);
	pull_up_scalars(&ps, q);
	semis = extract_semis(&ps, q);
	extract_marks(&ps, q);
	check_query(&ps);
	if (has_join_rtes(q))
	{
		q->targetList = (List *) flatten_join_alias_vars(q, (Node *) q->targetList);
		q->jointree = (FromExpr *) flatten_join_alias_vars(q, (Node *) q->jointree);
		ps.post_quals = (List *) flatten_join_alias_vars(q, (Node *) ps.post_quals);
	}
	limited = (q->limitCount != NULL || q->limitOffset != NULL);
	if (top)
		plan->ignored_order = (q->sortClause != NIL && !q->hasDistinctOn && !limited);
	else if (q->sortClause != NIL && !q->setOperations && !q->hasDistinctOn && !limited)
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
		foreach(lc, ps.correlated)
			semikeys = list_concat(semikeys, ((CorrelatedScalar *) lfirst(lc))->lkeys);
		foreach(lc, ps.marks)
			semikeys = list_concat(semikeys, ((MarkJoin *) lfirst(lc))->sj->lkeys);
		semikeys = list_concat(semikeys, list_copy(ps.post_quals));
		/* and the columns that functions in FROM read */
		foreach(lc, q->rtable)
			if (lfirst_node(RangeTblEntry, lc)->rtekind == RTE_FUNCTION)
				semikeys = lappend(semikeys,
								   linitial_node(RangeTblFunction, lfirst_node(RangeTblEntry, lc)->functions)->funcexpr);
		vars = pull_var_clause((Node *) list_make4(q->targetList, q->jointree, q->havingQual, semikeys),
							   PVC_RECURSE_AGGREGATES | PVC_RECURSE_WINDOWFUNCS);
		cur = build_scope(&ps, (Node *) q->jointree, NIL, vars, plan, &ps.done_rels);
		foreach(lc, semis)
		{
			SemiJoin   *sj = lfirst(lc);

			cur = sj->not_in ? apply_not_in(&ps, cur, sj) : apply_semi(&ps, cur, sj);
		}
		foreach(lc, ps.correlated)
			cur = apply_correlated(&ps, cur, lfirst(lc));
		cur = apply_marks(&ps, cur);
	}

	/* DISTINCT ON and LIMIT sort on columns that need not be selected */
	all_columns = q->hasDistinctOn || limited;
	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (all_columns)
			mapexprs = lappend(mapexprs, tle->expr);
		if (tle->resjunk)
			continue;
		outexprs = lappend(outexprs, tle->expr);
		outnames = lappend(outnames, tle->resname ? tle->resname : "?column?");
	}
	if (!all_columns)
		mapexprs = outexprs;
	if (all_columns && q->distinctClause && !q->hasDistinctOn &&
		list_length(mapexprs) != list_length(outexprs))
		refuse(name, "DISTINCT with ORDER BY on a column that is not selected", NULL);

	/* window functions run over what the level computes before them */
	levelexprs = mapexprs;
	if (q->hasWindowFuncs)
	{
		winputs = window_inputs(q, mapexprs);
		levelexprs = winputs;
	}

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
		collect_aggrefs((Node *) levelexprs, &aggrefs);
		collect_aggrefs(q->havingQual, &aggrefs);

		cur = NULL;
		foreach(ls, sets)
		{
			Op		   *post = plan_grouping_set(&ps, input, q, lfirst(ls), aggrefs, levelexprs);

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
		Op		   *map = op_make(OP_MAP, desc_for_exprs(levelexprs));

		map->left = cur;
		map->nexprs = list_length(levelexprs);
		map->exprs = palloc0(sizeof(ExprState *) * (map->nexprs + 1));
		foreach(lc, levelexprs)
			map->exprs[foreach_current_index(lc)] = compile_expr(lfirst(lc), &ps.layout, NIL);
		op_slots(map);
		cur = map;
	}
	if (q->hasWindowFuncs)
		cur = plan_windows(&ps, cur, q, winputs, mapexprs);

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
	if (limited)
		cur = plan_limit(&ps, cur, q);
	if (all_columns)
		cur = select_columns(cur, q);
	if (names)
		*names = outnames;
	return cur;
}

/*
 * The functions a query calls whose EXECUTE privilege the executor checks
 * when it starts a plan (functions, operators, aggregates, window
 * functions), at every level of the query.
 */
static bool
collect_funcs_walker(Node *node, List **funcs)
{
	Oid			f = InvalidOid;

	if (node == NULL)
		return false;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, collect_funcs_walker, funcs, 0);
	switch (nodeTag(node))
	{
		case T_FuncExpr:
			f = ((FuncExpr *) node)->funcid;
			break;
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
			set_opfuncid((OpExpr *) node);
			f = ((OpExpr *) node)->opfuncid;
			break;
		case T_ScalarArrayOpExpr:
			set_sa_opfuncid((ScalarArrayOpExpr *) node);
			f = ((ScalarArrayOpExpr *) node)->opfuncid;
			break;
		case T_Aggref:
			f = ((Aggref *) node)->aggfnoid;
			break;
		case T_WindowFunc:
			f = ((WindowFunc *) node)->winfnoid;
			break;
		default:
			break;
	}
	if (OidIsValid(f))
		*funcs = list_append_unique_oid(*funcs, f);
	return expression_tree_walker(node, collect_funcs_walker, funcs);
}

void
plan_check_access(const char *name, ViewPlan *plan)
{
	ListCell   *lc;

	(void) ExecCheckRTPerms(plan->rtable, true);
	foreach(lc, plan->funcids)
	{
		Oid			f = lfirst_oid(lc);

		if (pg_proc_aclcheck(f, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, get_func_name(f));
	}
	foreach(lc, plan->relids)
	{
		Oid			relid = lfirst_oid(lc);

		/* as create_view refuses it: whether or not the owner is exempt */
		if (has_row_security(relid))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot maintain view \"%s\"", name),
					 errdetail("Row-level security is enabled on table \"%s\", a source of the view.",
							   get_rel_name(relid)),
					 errhint("A live view is computed as its owner and would not apply the policies; drop the view, or disable row-level security on the table.")));
	}
}

ViewPlan *
plan_view(const char *name, Query *query)
{
	Query	   *q = copyObject(query);
	ViewPlan   *plan = palloc0(sizeof(ViewPlan));
	List	   *names;
	ListCell   *lc;

	(void) collect_funcs_walker((Node *) q, &plan->funcids);
	inline_ctes(name, q, NIL);
	plan->root = plan_query(name, q, plan, true, &names);
	if (plan->relids == NIL)
		refuse(name, "A query that reads no table", "A live view must read at least one table.");

	/* name the view's columns as the query does */
	plan->desc = CreateTupleDescCopy(plan->root->desc);
	foreach(lc, names)
		namestrcpy(&TupleDescAttr(plan->desc, foreach_current_index(lc))->attname,
				   (char *) lfirst(lc));
	return plan;
}

