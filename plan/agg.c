/*
 * agg.c
 *	  GROUP BY, aggregates (from pg_aggregate), grouping sets, DISTINCT and
 *	  DISTINCT ON.
 */
#include "postgres.h"

#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_agg.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "plan/internal.h"

static int	list_index_of_tle(List *tlist, TargetEntry *tle);

/* ---------- aggregation ---------- */


bool
plan_collect_aggrefs(Node *node, List **aggs)
{
	if (node == NULL)
		return false;
	if (IsA(node, Aggref))
	{
		if (!list_member(*aggs, node))
			*aggs = lappend(*aggs, node);
		return false;
	}
	return expression_tree_walker(node, plan_collect_aggrefs, (void *) aggs);
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

	/*
	 * An ordered-set aggregate: its direct arguments (constants) come first
	 * among the input types and go to the final function; its support
	 * functions sort the inputs themselves and find the Aggref through the
	 * per-transition state.
	 */
	spec->ndirect = list_length(aggref->aggdirectargs);
	spec->directvals = palloc0(sizeof(Datum) * (spec->ndirect + 1));
	spec->directnulls = palloc0(sizeof(bool) * (spec->ndirect + 1));
	foreach(lc, aggref->aggdirectargs)
	{
		Const	   *c = (Const *) eval_const_expressions(NULL, lfirst(lc));
		int			i = foreach_current_index(lc);

		if (!IsA(c, Const))
			plan_refuse(ps->name, "An ordered-set aggregate whose direct argument is not a constant", NULL);
		inputTypes[i] = c->consttype;
		spec->directvals[i] = c->constisnull ? (Datum) 0 :
			datumCopy(c->constvalue, c->constbyval, c->constlen);
		spec->directnulls[i] = c->constisnull;
	}
	if (aggref->aggkind != AGGKIND_NORMAL)
	{
		spec->pertrans = palloc0(sizeof(AggStatePerTransData));
		spec->pertrans->aggref = copyObject(aggref);
		spec->pertrans->aggshared = false;
		spec->peragg = palloc0(sizeof(AggStatePerAggData));
		spec->peragg->aggref = spec->pertrans->aggref;
		spec->peragg->transno = 0;
	}

	/* args holds the inputs, then any ORDER BY-only expressions (resjunk) */
	spec->argcols = palloc(sizeof(int) * (nargs + 1));
	nargs = 0;
	foreach(lc, aggref->args)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (tle->resjunk)
			continue;
		inputTypes[spec->ndirect + nargs] = exprType((Node *) tle->expr);
		spec->argcols[nargs++] = firstcol + foreach_current_index(lc);
	}
	spec->nargs = nargs;

	/* ORDER BY and DISTINCT inside the call: sort a group's inputs first (an ordered set sorts itself) */
	sortclauses = aggref->aggkind != AGGKIND_NORMAL ? NIL :
		aggref->aggdistinct ? aggref->aggdistinct : aggref->aggorder;
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
			plan_refuse(ps->name, "DISTINCT or ORDER BY inside an aggregate on a type without ordering", NULL);
		PrepareSortSupportFromOrderingOp(sgc->sortop, ssup);
	}
	spec->collation = aggref->inputcollid;

	/* plain transition */
	transtype = resolve_aggregate_transtype(aggref->aggfnoid, agg->aggtranstype,
											inputTypes, spec->ndirect + nargs);
	build_aggregate_transfn_expr(inputTypes, spec->ndirect + nargs, spec->ndirect, aggref->aggvariadic,
								 transtype, aggref->inputcollid,
								 agg->aggtransfn, InvalidOid, &transexpr, &invexpr);
	set_fn(&spec->transfn, agg->aggtransfn, transexpr);
	spec->transstrict = func_strict(agg->aggtransfn);
	get_typlenbyval(transtype, &spec->translen, &spec->transbyval);
	spec->initval = aggregate_initval(tup, Anum_pg_aggregate_agginitval, transtype, &spec->initnull);
	if (OidIsValid(agg->aggfinalfn))
	{
		spec->has_final = true;
		spec->nfinalargs = agg->aggfinalextra ? spec->ndirect + nargs + 1 : spec->ndirect + 1;
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
	/*
	 * min and max: their transition (int4smaller, text_larger, ...) as a
	 * moving one; a removal gives up only when it removes the extreme.
	 */
	if (!spec->moving && OidIsValid(agg->aggsortop) && spec->nsort == 0 && spec->ndirect == 0 &&
		nargs == 1 && !OidIsValid(agg->aggfinalfn) && spec->transstrict &&
		transtype == inputTypes[0] && !aggref->aggdistinct)
	{
		TypeCacheEntry *tc = lookup_type_cache(transtype, TYPECACHE_EQ_OPR_FINFO);

		if (OidIsValid(tc->eq_opr_finfo.fn_oid))
		{
			spec->moving = true;
			spec->extreme = true;
			fmgr_info_copy(&spec->extreme_eq, &tc->eq_opr_finfo, CurrentMemoryContext);
			spec->mtransfn = spec->transfn;
			spec->mtransstrict = spec->transstrict;
			spec->mtranslen = spec->translen;
			spec->mtransbyval = spec->transbyval;
			spec->mtrans_internal = false;
			spec->minitval = spec->initval;
			spec->minitnull = spec->initnull;
			spec->has_mfinal = false;
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

	/* a view with time options: late rows stop before the reduce */
	if (ps->plan->timewin)
		input = plan_time_gate_in(ps, input);

	/* map to (keys..., aggregate arguments...) */
	pre = op_make(OP_MAP, plan_desc_for_exprs(preexprs));
	pre->left = input;
	pre->nexprs = list_length(preexprs);
	pre->exprs = palloc0(sizeof(ExprState *) * (pre->nexprs + 1));
	foreach(lc, preexprs)
		pre->exprs[foreach_current_index(lc)] = plan_compile_expr(lfirst(lc), &ps->layout, NIL);
	plan_op_slots(pre);

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
	plan_op_slots(red);
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
		if (spec->mtrans_internal || spec->extreme)
			any_internal = true;	/* a group may need its rows to reseed */
	}
	red->arr = arrangement_create(CurrentMemoryContext, "pathway groups",
								  plan_grouping_keyspec(ps, keyexprs, eqops),
								  !red->all_moving || any_internal);
	red->arr->keys->nulls_match = true;
	red->arr->track_touched = true;
	op_init_reduce(red, CurrentMemoryContext);
	if (ps->plan->timewin)
		plan_time_note_reduce(ps, red, keyexprs);
	return red;
}

/*
 * DISTINCT ON (keys) ... ORDER BY: per key, the row that sorts first.  The
 * input holds every target list entry (sort-only ones too), and so does the
 * result: the caller keeps the selected ones (plan_select_columns), after a
 * LIMIT if there is one.
 */
Op *
plan_distinct_on(PState *ps, Op *input, Query *q, bool top)
{
	Op		   *first = op_make(OP_FIRST, input->desc);
	List	   *keyexprs = NIL,
			   *eqops = NIL;
	ListCell   *lc;

	first->left = input;
	plan_op_slots(first);
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
									plan_grouping_keyspec(ps, keyexprs, eqops), true);
	first->arr->keys->nulls_match = true;
	first->arr->track_touched = true;

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
	return first;
}

/* ---------- grouping sets ---------- */

typedef struct GroupingSetCtx
{
	List	   *set;			/* sortgrouprefs grouped on in this set */
	List	   *absent;			/* grouping expressions that are not */
	List	   *present;		/* grouping expressions that are (kept whole) */
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
	/* a key of this set stays whole, even if it reads a column that is absent (k / 10 next to k) */
	foreach(lc, ctx->present)
		if (equal(node, lfirst(lc)))
			return node;
	foreach(lc, ctx->absent)
		if (equal(node, lfirst(lc)))
			return (Node *) makeNullConst(exprType(node), exprTypmod(node), exprCollation(node));
	return expression_tree_mutator(node, grouping_set_mutator, (void *) ctx);
}

/* The rows of one grouping set: a reduce on its keys, then the target list. */
Op *
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
			ctx.present = lappend(ctx.present, e);
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
	post = op_make(OP_MAP, plan_desc_for_exprs(mapexprs));
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
				plan_refuse(ps->name, "A column that is functionally dependent on the GROUP BY key but not in it",
					   "Add the column to GROUP BY.");
		}
		post->exprs[foreach_current_index(lc)] = plan_compile_expr((Expr *) e, NULL, replace);
	}
	if (q->havingQual)
		post->qual = plan_compile_qual(make_ands_implicit((Expr *) grouping_set_mutator(q->havingQual, &ctx)),
								  NULL, replace);
	plan_op_slots(post);
	return post;
}

/* DISTINCT over a row: group on all its columns. */
Op *
plan_distinct_rows(PState *ps, Op *input)
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

/* ---------- scalar subqueries that are not aggregates ---------- */

static Oid
pathway_function(const char *name)
{
	Oid			anyelement = ANYELEMENTOID;

	return LookupFuncName(list_make2(makeString("pathway"), makeString((char *) name)),
						  1, &anyelement, false);
}

/* pathway.single_value(arg) */
static Expr *
single_value_call(Expr *arg)
{
	Aggref	   *a = makeNode(Aggref);

	a->aggfnoid = pathway_function("single_value");
	a->aggtype = exprType((Node *) arg);
	a->aggcollid = exprCollation((Node *) arg);
	a->inputcollid = exprCollation((Node *) arg);
	a->aggargtypes = list_make1_oid(exprType((Node *) arg));
	a->args = list_make1(makeTargetEntry(arg, 1, NULL, false));
	a->aggkind = AGGKIND_NORMAL;
	a->aggsplit = AGGSPLIT_SIMPLE;
	a->aggno = a->aggtransno = -1;
	a->location = -1;
	return (Expr *) a;
}

static Expr *
count_star(void)
{
	Aggref	   *a = makeNode(Aggref);

	a->aggfnoid = F_COUNT_;
	a->aggtype = INT8OID;
	a->aggstar = true;
	a->aggkind = AGGKIND_NORMAL;
	a->aggsplit = AGGSPLIT_SIMPLE;
	a->aggno = a->aggtransno = -1;
	a->location = -1;
	return (Expr *) a;
}

/* CASE WHEN n > 1 THEN pathway._several_rows(v) ELSE v END */
Expr *
plan_scalar_checked(Expr *v, Expr *n)
{
	CaseExpr   *ce = makeNode(CaseExpr);
	CaseWhen   *cw = makeNode(CaseWhen);
	Oid			type = exprType((Node *) v);
	Oid			coll = exprCollation((Node *) v);

	cw->expr = (Expr *) makeFuncExpr(F_INT8GT, BOOLOID,
									 list_make2(n, makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
															 Int64GetDatum(1), false, FLOAT8PASSBYVAL)),
									 InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	cw->result = (Expr *) makeFuncExpr(pathway_function("_several_rows"), type,
									   list_make1(copyObject(v)), coll, coll, COERCE_EXPLICIT_CALL);
	cw->location = -1;
	ce->casetype = type;
	ce->casecollid = coll;
	ce->args = list_make1(cw);
	ce->defresult = v;
	ce->location = -1;
	return (Expr *) ce;
}

static bool
plain_select(Query *sub)
{
	return !sub->hasAggs && !sub->groupClause && !sub->groupingSets && !sub->havingQual &&
		!sub->setOperations && !sub->limitCount && !sub->limitOffset && !sub->cteList &&
		!sub->hasWindowFuncs && !sub->hasTargetSRFs && !sub->distinctClause;
}

/*
 * A scalar subquery that is not a global aggregate, as one with two
 * columns: v, pathway.single_value() of its value (NULL for no row), and n,
 * count(*); the caller reads it through plan_scalar_checked (PostgreSQL's
 * error where n > 1).  A plain SELECT gets the aggregates in its select list
 * (its WHERE, correlations included, stays where it is); any other query is
 * wrapped: SELECT single_value(x.v), count(*) FROM (sub) x.  NULL for a
 * query that is already a global aggregate, or one this cannot take (a
 * correlated query that is not a plain SELECT: the caller refuses it).
 */
Query *
plan_scalar_as_aggregate(Query *sub, bool correlated)
{
	TargetEntry *tle = NULL;
	ListCell   *lc;

	if (sub->hasAggs && !sub->groupClause && !sub->groupingSets && !sub->setOperations &&
		!sub->limitCount && !sub->limitOffset && !sub->hasWindowFuncs && !sub->hasTargetSRFs)
		return NULL;
	foreach(lc, sub->targetList)
		if (!lfirst_node(TargetEntry, lc)->resjunk)
			tle = lfirst(lc);
	if (tle == NULL)
		return NULL;
	sub = copyObject(sub);
	if (plain_select(sub))
	{
		sub->targetList = list_make2(makeTargetEntry(single_value_call(copyObject(tle->expr)), 1,
													 tle->resname ? pstrdup(tle->resname) : "v", false),
									 makeTargetEntry(count_star(), 2, "n", false));
		sub->sortClause = NIL;
		sub->hasAggs = true;
		return sub;
	}
	if (correlated)
		return NULL;
	{
		Query	   *w = plan_select_over(sub, "scalar", NULL);
		Var		   *v = makeVar(1, tle->resno, exprType((Node *) tle->expr), exprTypmod((Node *) tle->expr),
								exprCollation((Node *) tle->expr), 0);

		w->targetList = list_make2(makeTargetEntry(single_value_call((Expr *) v), 1, "v", false),
								   makeTargetEntry(count_star(), 2, "n", false));
		w->hasAggs = true;
		return w;
	}
}
