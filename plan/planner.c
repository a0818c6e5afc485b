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

#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/tlist.h"
#include "parser/analyze.h"
#include "parser/parse_agg.h"
#include "parser/parse_coerce.h"
#include "parser/parse_oper.h"
#include "parser/parser.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rewriteManip.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "plan/internal.h"



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

/* inside a recursive WITH query's copy: every reference gets its own copy */
static int	inlining_recursive = 0;

static void
inline_ctes(const char *name, Query *q, List *stack)
{
	/* (lcons changes its list in place: the caller's stack is not ours) */
	List	   *mystack = lcons(q->cteList, list_copy(stack));
	ListCell   *lc;

	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		bool		recursive = false;

		/* a recursive term's working table stays (recursive.c) */
		if (rte->rtekind == RTE_CTE && !rte->self_reference)
		{
			List	   *ctes = (rte->ctelevelsup < list_length(mystack))
				? (List *) list_nth(mystack, rte->ctelevelsup) : NIL;
			CommonTableExpr *found = NULL;
			Query	   *done;
			ListCell   *lc2;

			foreach(lc2, ctes)
				if (strcmp(lfirst_node(CommonTableExpr, lc2)->ctename, rte->ctename) == 0)
					found = lfirst(lc2);
			if (found == NULL)
				plan_refuse(name, "A reference to a WITH query of another level", NULL);
			found = plan_expand_search_cycle(found);
			if (!IsA(found->ctequery, Query) ||
				((Query *) found->ctequery)->commandType != CMD_SELECT)
				plan_refuse(name, "A data-modifying statement in WITH", NULL);
			rte->rtekind = RTE_SUBQUERY;
			rte->ctename = NULL;
			rte->self_reference = false;
			/* read again: the copy inlined already, planned once (recursive.c) */
			done = (inlining_recursive == 0 && !found->cterecursive) ? plan_inlined_cte(found) : NULL;
			if (done)
			{
				rte->subquery = done;
				rte->ctelevelsup = 0;
				continue;
			}
			rte->subquery = copyObject((Query *) found->ctequery);
			plan_note_cte_copy(rte->subquery, found, inlining_recursive == 0 && !found->cterecursive);
			/* its references to outer WITH lists now start from here */
			if (rte->ctelevelsup > 0)
				IncrementVarSublevelsUp((Node *) rte->subquery, rte->ctelevelsup, 1);
			rte->ctelevelsup = 0;
			recursive = found->cterecursive;
		}
		if (rte->rtekind == RTE_SUBQUERY)
		{
			inlining_recursive += recursive ? 1 : 0;
			inline_ctes(name, rte->subquery, mystack);
			inlining_recursive -= recursive ? 1 : 0;
		}
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
				plan_refuse(ps->name, "A set operation whose branches' types do not convert", NULL);
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
	map = op_make(OP_MAP, plan_desc_for_exprs(exprs));
	for (i = 0; i < map->desc->natts; i++)
		namestrcpy(&TupleDescAttr(map->desc, i)->attname, NameStr(TupleDescAttr(op->desc, i)->attname));
	map->left = op;
	map->nexprs = list_length(exprs);
	map->exprs = palloc0(sizeof(ExprState *) * (map->nexprs + 1));
	foreach(lc, exprs)
		map->exprs[foreach_current_index(lc)] =
			ExecInitExpr(expression_planner((Expr *) lfirst(lc)), NULL);
	plan_op_slots(map);
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
		return plan_make_subquery(ps, ((RangeTblRef *) node)->rtindex);
	s = castNode(SetOperationStmt, node);
	left = coerce_branch(ps, build_setop(ps, s->larg), s);
	right = coerce_branch(ps, build_setop(ps, s->rarg), s);
	op = op_make(s->op == SETOP_UNION ? OP_UNION : OP_SETOP, CreateTupleDescCopy(left->desc));
	op->left = left;
	op->right = right;
	op->setop = s->op;
	op->setop_all = s->all;
	plan_op_slots(op);
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
									 plan_grouping_keyspec(ps, cols, eqops), false);
		op->arr->keys->nulls_match = true;
		op->arr->track_touched = true;
	}
	if (s->op == SETOP_UNION && !s->all)
		op = plan_distinct_rows(ps, op);
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
plan_analyze_view(const char *name, const char *query, char **text)
{
	List	   *raw;
	RawStmt    *stmt;
	Query	   *q;
	List	   *rewritten;
	List	   *held;

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
	held = plan_hold_search_cycle(q);
	rewritten = QueryRewrite(q);
	if (list_length(rewritten) != 1)
		plan_refuse(name, "A query that rules rewrite into several", NULL);
	plan_restore_search_cycle(linitial_node(Query, rewritten), held);
	return linitial_node(Query, rewritten);
}

static Op *plan_query(const char *name, Query *q, ViewPlan *plan, bool top, bool order_matters,
					  List **names);

/* A nested query level (subquery in FROM, EXISTS, IN, a scalar subquery): ps->plan_subquery. */
static Op *
plan_subquery(PState *ps, Query *sub)
{
	Op		   *op = plan_shared_cte(sub);

	if (op == NULL)
	{
		op = plan_query(ps->name, sub, ps->plan, false, ps->order_matters, NULL);
		plan_share_cte(sub, op);
	}
	return op;
}

/*
 * The graph of one query level: the view's query, a subquery in FROM, an
 * inlined WITH query or a branch of a set operation.  Its rows are the
 * level's non-junk target list.  Only the top level sets the view's key.
 */
/*
 * WHERE and ON conditions as PostgreSQL's planner prepares them: constants
 * folded, and the terms common to every branch of an OR taken out of it
 * ((a.k = b.k AND x) OR (b.k = a.k AND y) -> a.k = b.k AND (x OR y)), so
 * that an equality written in each branch becomes a join key.
 */
/* a.k = b.k and b.k = a.k alike: two Vars in (varno, varattno) order, by the commutator */
static Node *
order_vars_mutator(Node *node, void *context)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, OpExpr) && list_length(((OpExpr *) node)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) expression_tree_mutator(node, order_vars_mutator, context);
		Var		   *a = linitial(op->args);
		Var		   *b = lsecond(op->args);
		Oid			com;

		if (IsA(a, Var) && IsA(b, Var) && a->varlevelsup == b->varlevelsup &&
			(a->varno > b->varno || (a->varno == b->varno && a->varattno > b->varattno)) &&
			OidIsValid(com = get_commutator(op->opno)))
		{
			op->opno = com;
			op->opfuncid = InvalidOid;
			op->args = list_make2(b, a);
		}
		return (Node *) op;
	}
	return expression_tree_mutator(node, order_vars_mutator, context);
}

/*
 * EXISTS (SELECT ... LIMIT n) with n at least 1 (or LIMIT ALL) and no
 * OFFSET: whether a row exists depends neither on the limit nor on the
 * order, so both go (and the subquery is then a plain one).
 */
static bool
exists_limit_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink) && ((SubLink *) node)->subLinkType == EXISTS_SUBLINK &&
		IsA(((SubLink *) node)->subselect, Query))
	{
		Query	   *sub = (Query *) ((SubLink *) node)->subselect;
		Node	   *lim = sub->limitCount ? eval_const_expressions(NULL, copyObject(sub->limitCount)) : NULL;

		if (lim && sub->limitOffset == NULL && IsA(lim, Const) &&
			((Const *) lim)->consttype == INT8OID &&
			(((Const *) lim)->constisnull || DatumGetInt64(((Const *) lim)->constvalue) >= 1))
		{
			sub->limitCount = NULL;
			sub->limitOption = LIMIT_OPTION_DEFAULT;
			if (!sub->hasDistinctOn)
				sub->sortClause = NIL;
		}
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, exists_limit_walker, context, 0);
	return expression_tree_walker(node, exists_limit_walker, context);
}

static Node *
prepare_qual(Node *qual)
{
	qual = order_vars_mutator(eval_const_expressions(NULL, qual), NULL);
	return (Node *) canonicalize_qual((Expr *) qual, false);
}

static void
preprocess_quals(Node *jt)
{
	if (jt == NULL)
		return;
	if (IsA(jt, FromExpr))
	{
		FromExpr   *f = (FromExpr *) jt;
		ListCell   *lc;

		foreach(lc, f->fromlist)
			preprocess_quals(lfirst(lc));
		if (f->quals)
			f->quals = prepare_qual(f->quals);
	}
	else if (IsA(jt, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) jt;

		preprocess_quals(j->larg);
		preprocess_quals(j->rarg);
		if (j->quals)
			j->quals = prepare_qual(j->quals);
	}
}

/*
 * order_matters: the order of this level's rows can reach the view's
 * rows (the level around it aggregates, has window functions, DISTINCT ON
 * or LIMIT, or passes its rows to one that does): an ORDER BY here without
 * LIMIT is then refused, else ignored, as PostgreSQL's result does not
 * depend on it.
 */
static Op *
plan_query(const char *name, Query *q, ViewPlan *plan, bool top, bool order_matters,
		   List **names)
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

	plan_wrap_global_aggregate(q);
	plan_wrap_aggregate_srf(q);
	(void) query_tree_walker(q, exists_limit_walker, NULL, 0);
	(void) ExecCheckRTPerms(q->rtable, true);
	plan->rtable = list_concat(plan->rtable, q->rtable);

	memset(&ps, 0, sizeof(ps));
	ps.name = name;
	ps.query = q;
	ps.plan = plan;
	ps.plan_subquery = plan_subquery;
	limited = (q->limitCount != NULL || q->limitOffset != NULL);
	ps.order_matters = order_matters || q->hasAggs || q->hasWindowFuncs || q->hasDistinctOn ||
		limited || q->hasTargetSRFs;
	preprocess_quals((Node *) q->jointree);
	plan_rewrite_outer_joins(q);
	plan_decorrelate_laterals(&ps, q);
	plan_pull_up_target_srf(&ps, q);
	plan_rewrite_residual_exists(q);
	plan_pull_up_scalars(&ps, q);
	semis = plan_extract_semis(&ps, q);
	plan_extract_marks(&ps, q);
	plan_check_query(&ps);
	if (has_join_rtes(q))
	{
		q->targetList = (List *) flatten_join_alias_vars(q, (Node *) q->targetList);
		q->jointree = (FromExpr *) flatten_join_alias_vars(q, (Node *) q->jointree);
		ps.post_quals = (List *) flatten_join_alias_vars(q, (Node *) ps.post_quals);
	}
	if (top)
		plan->ignored_order = (q->sortClause != NIL && !q->hasDistinctOn && !limited);
	else if (q->sortClause != NIL && !q->hasDistinctOn && !limited)
	{
		if (order_matters)
			plan_refuse(name, "ORDER BY in a subquery whose order reaches an aggregate, a window function, DISTINCT ON or LIMIT around it",
				   "Order inside the aggregate call (array_agg(x ORDER BY x)) or in the window's own ORDER BY.");
		q->sortClause = NIL;	/* a subquery's rows have no order of their own */
	}

	plan_layout_init(&ps.layout, q);
	ps.plan = plan;
	if (q->setOperations && plan_is_recursive(q))
		cur = plan_recursive(&ps, q, build_setop);
	else if (q->setOperations)
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
		semikeys = list_concat(semikeys, plan_lateral_exprs(&ps));
		/* and the columns that functions in FROM read */
		foreach(lc, q->rtable)
			if (lfirst_node(RangeTblEntry, lc)->rtekind == RTE_FUNCTION)
			{
				ListCell   *lf;

				foreach(lf, lfirst_node(RangeTblEntry, lc)->functions)
					semikeys = lappend(semikeys, lfirst_node(RangeTblFunction, lf)->funcexpr);
			}
		vars = pull_var_clause((Node *) list_make4(q->targetList, q->jointree, q->havingQual, semikeys),
							   PVC_RECURSE_AGGREGATES | PVC_RECURSE_WINDOWFUNCS);
		cur = plan_build_scope(&ps, (Node *) q->jointree, NIL, vars, plan, &ps.done_rels);
		foreach(lc, semis)
		{
			SemiJoin   *sj = lfirst(lc);

			cur = sj->not_in ? plan_apply_not_in(&ps, cur, sj) : plan_apply_semi(&ps, cur, sj);
		}
		foreach(lc, ps.correlated)
			cur = plan_apply_correlated(&ps, cur, lfirst(lc));
		cur = plan_apply_marks(&ps, cur);
		if (top && plan->temporal_bounds)
			cur = plan_temporal_apply(&ps, cur);	/* time.c */
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
		plan_refuse(name, "DISTINCT with ORDER BY on a column that is not selected", NULL);

	/* window functions run over what the level computes before them */
	levelexprs = mapexprs;
	if (q->hasWindowFuncs)
	{
		winputs = plan_window_inputs(q, mapexprs);
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
		plan_collect_aggrefs((Node *) levelexprs, &aggrefs);
		plan_collect_aggrefs(q->havingQual, &aggrefs);

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
				plan_op_slots(u);
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
		Op		   *map = op_make(OP_MAP, plan_desc_for_exprs(levelexprs));

		map->left = cur;
		map->nexprs = list_length(levelexprs);
		map->exprs = palloc0(sizeof(ExprState *) * (map->nexprs + 1));
		foreach(lc, levelexprs)
			map->exprs[foreach_current_index(lc)] = plan_compile_expr(lfirst(lc), &ps.layout, NIL);
		plan_op_slots(map);
		cur = map;
	}
	if (q->hasWindowFuncs)
		cur = plan_windows(&ps, cur, q, winputs, mapexprs);

	if (q->hasDistinctOn)
		cur = plan_distinct_on(&ps, cur, q, top);
	else if (q->distinctClause)
	{
		cur = plan_distinct_rows(&ps, cur);
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
		cur = plan_select_columns(cur, q);
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
		if (plan_has_row_security(relid))
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
	return plan_view_timed(name, query, NULL);
}

ViewPlan *
plan_view_timed(const char *name, Query *query, TimeOptions *opts)
{
	Query	   *q = copyObject(query);
	ViewPlan   *plan = palloc0(sizeof(ViewPlan));
	List	   *names;
	ListCell   *lc;

	(void) collect_funcs_walker((Node *) q, &plan->funcids);
	plan_forget_cte_copies();
	inlining_recursive = 0;
	inline_ctes(name, q, NIL);
	plan_temporal_extract(name, q, plan);	/* time.c */
	if (opts && plan->temporal_bounds)
		plan_refuse(name, "pathway.now() in a view with time options",
					"Filter by pathway.now() in a live view over the windowed one.");
	if (opts)
		plan_time_check(name, q, plan, opts);	/* time.c */
	plan->root = plan_query(name, q, plan, true, false, &names);
	if (opts)
		plan->root = plan_time_gate_out(name, plan, plan->root);
	plan_batch_calls(plan->root);	/* batch.c */

	/* name the view's columns as the query does */
	plan->desc = CreateTupleDescCopy(plan->root->desc);
	foreach(lc, names)
		namestrcpy(&TupleDescAttr(plan->desc, foreach_current_index(lc))->attname,
				   (char *) lfirst(lc));
	return plan;
}

