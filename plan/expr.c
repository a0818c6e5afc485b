/*
 * expr.c
 *	  What every part of the planner uses, and which uses no other part: the
 *	  refusal, the checks of a query level and its expressions, the layout of
 *	  a row and the re-pointing of expressions at it, join and grouping keys,
 *	  and the settings a view captures at creation.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_oper.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "plan/internal.h"

/*
 * quals AND conds as one flat AND (NULL for nothing): the conjuncts that
 * later steps take apart (join keys, semi-joins, correlations) stay at the
 * top, never inside an AND of their own.
 */
Node *
plan_and(Node *quals, List *conds)
{
	List	   *all = list_concat_copy(make_ands_implicit((Expr *) quals), conds);

	return all == NIL ? NULL : (Node *) make_ands_explicit(all);
}

/*
 * SELECT x.c1, ... FROM (sub) x WHERE quals: sub's visible columns read
 * from it as the only FROM item (alias x).  The caller may change the
 * select list; sub itself is taken, not copied.
 */
Query *
plan_select_over(Query *sub, const char *alias, Node *quals)
{
	Query	   *w = makeNode(Query);
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	RangeTblRef *rtr = makeNode(RangeTblRef);
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, sub->targetList)
	{
		TargetEntry *t = lfirst_node(TargetEntry, lc);

		names = lappend(names, makeString(t->resname ? pstrdup(t->resname) : "?column?"));
		if (!t->resjunk)
			w->targetList = lappend(w->targetList,
									makeTargetEntry((Expr *) makeVar(1, t->resno, exprType((Node *) t->expr),
																	 exprTypmod((Node *) t->expr),
																	 exprCollation((Node *) t->expr), 0),
													list_length(w->targetList) + 1,
													t->resname ? pstrdup(t->resname) : NULL, false));
	}
	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = sub;
	rte->eref = makeAlias(alias, names);
	rte->inFromCl = true;
	rtr->rtindex = 1;
	w->commandType = CMD_SELECT;
	w->querySource = QSRC_ORIGINAL;
	w->canSetTag = true;
	w->rtable = list_make1(rte);
	w->jointree = makeFromExpr(list_make1(rtr), quals);
	return w;
}

/*
 * te (an expression of sub's rows) as one more column of sub and one more
 * key of its GROUP BY and of its DISTINCT, whichever it has: a correlation
 * taken out of sub's WHERE comes back as a column per group or row.
 */
void
plan_add_group_key(Query *sub, TargetEntry *te)
{
	SortGroupClause *g = makeNode(SortGroupClause);
	Index		ref = 0;
	bool		hashable;
	ListCell   *lc;

	foreach(lc, sub->targetList)
		ref = Max(ref, lfirst_node(TargetEntry, lc)->ressortgroupref);
	te->ressortgroupref = ref + 1;
	g->tleSortGroupRef = ref + 1;
	get_sort_group_operators(exprType((Node *) te->expr), false, true, false,
							 &g->sortop, &g->eqop, NULL, &hashable);
	g->hashable = hashable;
	if (sub->groupClause)
		sub->groupClause = lappend(sub->groupClause, g);
	if (sub->distinctClause)
		sub->distinctClause = lappend(sub->distinctClause, copyObject(g));
	sub->targetList = lappend(sub->targetList, te);
}

void
plan_refuse(const char *name, const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot maintain view \"%s\"", name),
			 errdetail("%s is not supported.", what),
			 hint ? errhint("%s", hint) : 0));
}

/* ---------- checks ---------- */

static const char *captured_settings_list(void);

bool
plan_has_row_security(Oid relid)
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

/*
 * pathway.http_request and http_get are volatile (a plain query calls each
 * time), yet a live view may call them: there each distinct request is
 * made once and its answer memoized (connectors/http_call.c), so that a
 * recomputation gives the same result.
 */
static bool
is_memoized_call(Oid func)
{
	Oid			embed,
				request,
				get;

	plan_batch_functions(&embed, &request, &get);
	return func == request || func == get;
}

static bool
volatile_checker(Oid func, void *context)
{
	if (func_volatile(func) == PROVOLATILE_VOLATILE && !is_memoized_call(func))
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
		plan_refuse(ps->name, "current_setting() of a name that is not a constant",
			   "Name the setting with a constant; only the settings captured when the view is created can be read.");
	setting = TextDatumGetCString(((Const *) arg)->constvalue);
	if (!plan_setting_captured(setting))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot maintain view \"%s\"", ps->name),
				 errdetail("current_setting('%s') is not supported: the setting is not captured when the view is created.",
						   setting),
				 errhint("Only these settings are captured (the engine computes with their values at creation): %s. Store other values in a column when rows are written.",
						 captured_settings_list())));
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
		plan_refuse(ps->name, detail,
			   "The engine computes the view in its own session, where this function gives another value; store the value in a column when rows are written.");
	}
	if (IsA(node, FuncExpr))
		check_current_setting(ps, (FuncExpr *) node);
	if (check_functions_in_node(node, volatile_checker, &func))
	{
		char		detail[NAMEDATALEN + 64];

		snprintf(detail, sizeof(detail), "The volatile function %s()", get_func_name(func));
		plan_refuse(ps->name, detail,
			   "A live view must give the same result whenever it is recomputed; compute volatile values when rows are written instead.");
	}
	if (check_functions_in_node(node, time_function_checker, NULL) ||
		IsA(node, SQLValueFunction))
		plan_refuse(ps->name, "A function of the current time or session (now(), CURRENT_DATE, CURRENT_USER, ...)",
			   "To compare a column with the current time, use pathway.now() in WHERE (ts > pathway.now() - interval '1 hour'): the view's clock; otherwise store the time in a column when rows are written.");
	if (IsA(node, NextValueExpr))
		plan_refuse(ps->name, "A sequence call", NULL);
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varlevelsup > 0)
			plan_refuse(ps->name, "An outer reference", NULL);
		if (var->varattno < 0)
			plan_refuse(ps->name, "A system column", "Use ordinary columns; system columns such as ctid and xmin differ between a table and its view.");
		if (var->varattno == 0)
			plan_refuse(ps->name, "A whole-row reference", "List the columns instead.");
	}
	if (IsA(node, Aggref))
	{
		Aggref	   *agg = (Aggref *) node;

		if (agg->aggkind != AGGKIND_NORMAL)
		{
			ListCell   *la;

			foreach(la, agg->aggdirectargs)
				if (!IsA(eval_const_expressions(NULL, lfirst(la)), Const))
					plan_refuse(ps->name, "An ordered-set aggregate whose direct argument is not a constant",
						   "Give the fraction as a constant: percentile_cont(0.5) WITHIN GROUP (ORDER BY x).");
		}
		if (agg->agglevelsup > 0)
			plan_refuse(ps->name, "An outer-level aggregate", NULL);
	}
	if (IsA(node, SubLink))
		plan_refuse(ps->name, "A subquery in an expression", NULL);
	if (IsA(node, Param))
		plan_refuse(ps->name, "A parameter", NULL);
	return expression_tree_walker(node, check_walker, (void *) ps);
}

/* The checks of a query's expressions, for one outside of its lists. */
void
plan_check_expression(PState *ps, Node *node)
{
	(void) check_walker(node, ps);
}

void
plan_check_query(PState *ps)
{
	Query	   *q = ps->query;
	ListCell   *lc;

	if (q->commandType != CMD_SELECT || q->utilityStmt)
		plan_refuse(ps->name, "A statement other than SELECT", NULL);
	if (q->hasTargetSRFs)
		plan_refuse(ps->name, "This set-returning function in the select list",
			   "One set-returning function over the row's columns is maintained; call it in FROM instead.");
	if (q->hasSubLinks)
		plan_refuse(ps->name, "A subquery in an expression", "Rewrite it as a join.");
	if (q->rowMarks || q->hasForUpdate)
		plan_refuse(ps->name, "FOR UPDATE and FOR SHARE", "Remove the locking clause.");

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
					plan_refuse(ps->name, "TABLESAMPLE", NULL);
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
				if (plan_has_row_security(rte->relid))
					plan_refuse(ps->name, "A table with row-level security as a source",
						   "A live view is computed as its owner and would not apply the policies; select from the table through an ordinary view instead.");
				if (get_rel_persistence(rte->relid) != RELPERSISTENCE_PERMANENT)
					plan_refuse(ps->name, "A temporary or unlogged table as a source",
						   "Changes of such tables are not written to the WAL, so they cannot be followed.");
				/*
				 * A partitioned table or one with inheritance children:
				 * theirs are routed to it, marked so (connectors/decoding.c);
				 * with ONLY the source takes the table's own rows alone (a
				 * partitioned table has none).
				 */
				break;
			case RTE_JOIN:
				break;
			case RTE_SUBQUERY:
				if (rte->lateral)
					plan_refuse(ps->name, "LATERAL", NULL);
				break;
			case RTE_FUNCTION:
				{
					ListCell   *lf;

					foreach(lf, rte->functions)
						if (lfirst_node(RangeTblFunction, lf)->funccolnames != NIL)
							plan_refuse(ps->name, "A function in FROM with a column definition list", NULL);
				}
				break;
			case RTE_TABLEFUNC:
				plan_refuse(ps->name, "A table function (XMLTABLE, JSON_TABLE) in FROM", NULL);
				break;
			case RTE_VALUES:
				if (contain_vars_of_level((Node *) rte->values_lists, 0) ||
					contain_vars_of_level((Node *) rte->values_lists, 1))
					plan_refuse(ps->name, "VALUES that read columns of other FROM items", NULL);
				break;
			case RTE_CTE:
				/* a recursive term's working table (recursive.c) */
				if (!rte->self_reference)
					plan_refuse(ps->name, "This kind of FROM item", NULL);
				break;
			default:
				plan_refuse(ps->name, "This kind of FROM item", NULL);
		}
	}
	/* subqueries in FROM are checked when their own level is planned */
	(void) query_tree_walker(q, check_walker, (void *) ps, QTW_IGNORE_RT_SUBQUERIES);
}

/* ---------- layout and expression re-pointing ---------- */

void
plan_layout_init(Layout *l, Query *q)
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
plan_repoint_mutator(Node *node, RepointCtx *ctx)
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
	return expression_tree_mutator(node, plan_repoint_mutator, (void *) ctx);
}

ExprState *
plan_compile_expr(Expr *expr, Layout *layout, List *replace)
{
	RepointCtx	ctx;
	Expr	   *e;

	ctx.layout = layout;
	ctx.exprs = replace;
	e = (Expr *) plan_repoint_mutator((Node *) expr, &ctx);
	e = expression_planner(e);
	return ExecInitExpr(e, NULL);
}

ExprState *
plan_compile_qual(List *conjuncts, Layout *layout, List *replace)
{
	RepointCtx	ctx;
	List	   *q;

	ctx.layout = layout;
	ctx.exprs = replace;
	q = (List *) plan_repoint_mutator((Node *) conjuncts, &ctx);
	q = (List *) expression_planner((Expr *) q);
	return ExecInitQual(q, NULL);
}

TupleDesc
plan_desc_for_exprs(List *exprs)
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
plan_op_slots(Op *op)
{
	if (op->left)
		op->lslot = MakeSingleTupleTableSlot(op->left->desc, &TTSOpsMinimalTuple);
	if (op->right)
		op->rslot = MakeSingleTupleTableSlot(op->right->desc, &TTSOpsMinimalTuple);
}


/* ---------- keys ---------- */

/*
 * The hashable equality operator that decides "a = b" on one type, or
 * InvalidOid.  A cross-type equality (int4 = int8) is rewritten over the
 * common type, which both sides convert to exactly.
 */
Oid
plan_same_type_equality(OpExpr *op, Node **a, Node **b)
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

KeySpec *
plan_keyspec_for_ops(List *exprs, List *eqops)
{
	KeySpec    *ks = palloc0(sizeof(KeySpec));
	ListCell   *lc;
	int			n = list_length(exprs);

	ks->nkeys = n;
	ks->keydesc = plan_desc_for_exprs(exprs);
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

/* Hash and equality for grouping or DISTINCT on these expressions. */
KeySpec *
plan_grouping_keyspec(PState *ps, List *exprs, List *eqops)
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
	return plan_keyspec_for_ops(exprs, eqops);
}

/* ---------- settings captured at creation ---------- */

/*
 * Settings that change what an expression computes.  The view is filled
 * under the caller's values, so the worker must compute with the same ones.
 */
static const char *const captured_settings[] = {
	"TimeZone", "DateStyle", "IntervalStyle", "extra_float_digits", "bytea_output",
	"lc_monetary", "lc_numeric", "lc_time", "default_text_search_config",
	"search_path", "xmlbinary", "xmloption", "pathway.http_request_on_error"
};

/* May current_setting(name) be read by a view?  Only a captured setting. */
bool
plan_setting_captured(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(captured_settings); i++)
		if (pg_strcasecmp(name, captured_settings[i]) == 0)
			return true;
	return false;
}

/* "TimeZone, DateStyle, ...": for hints. */
static const char *
captured_settings_list(void)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < lengthof(captured_settings); i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", captured_settings[i]);
	return buf.data;
}

/* The current values of the captured settings, as a text[] of "name=value". */
Datum
plan_capture_settings(void)
{
	int			n = lengthof(captured_settings);
	Datum	   *items = palloc(sizeof(Datum) * n);
	int			i;

	for (i = 0; i < n; i++)
		items[i] = CStringGetTextDatum(psprintf("%s=%s", captured_settings[i],
												GetConfigOptionByName(captured_settings[i], NULL, false)));
	return PointerGetDatum(construct_array(items, n, TEXTOID, -1, false, TYPALIGN_INT));
}
