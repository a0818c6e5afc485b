/*
 * meta.c
 *	  Checked SPI for the extension's own tables.
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "meta/meta.h"

uint64
meta_exec(const char *sql, int nargs, Oid *types, Datum *values,
			 const char *nulls, bool read_only, long count)
{
	int			rc;

	if (nargs > 0)
		rc = SPI_execute_with_args(sql, nargs, types, values, nulls, read_only, count);
	else
		rc = SPI_execute(sql, read_only, count);
	if (rc < 0)
		elog(ERROR, "pathway: catalog statement failed (%s): %s", SPI_result_code_string(rc), sql);
	return SPI_processed;
}

static uint64
exec_as_owner(const char *sql, int nargs, Oid *types, Datum *values,
			  const char *nulls, bool read_only, long count)
{
	Oid			save_user;
	int			save_sec;
	volatile uint64 n = 0;

	int			nest;

	/*
	 * As the superuser, names resolve in pg_catalog only: with the caller's
	 * search_path, an operator of theirs that fits the statement's types
	 * better than pg_catalog's would run as the superuser.
	 */
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		n = meta_exec(sql, nargs, types, values, nulls, read_only, count);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_END_TRY();
	AtEOXact_GUC(false, nest);
	return n;
}

uint64
meta_exec_as_owner(const char *sql, int nargs, Oid *types, Datum *values,
				   const char *nulls, long count)
{
	return exec_as_owner(sql, nargs, types, values, nulls, false, count);
}

uint64
meta_read_as_owner(const char *sql, int nargs, Oid *types, Datum *values,
				   const char *nulls, long count)
{
	return exec_as_owner(sql, nargs, types, values, nulls, true, count);
}
