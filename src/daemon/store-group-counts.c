/* SPDX-License-Identifier: MIT */
/*
 * store-group-counts.c - job counts by group and state, for /metrics and the
 * dashboard's queue (one aggregate query; not kept in memory, since a
 * scrape or a push asks seldom and the submit path stays as it is).
 */
#include "config.h"

#include <sqlite3.h>

#include "store-internal.h"

int
cd_store_group_counts(cd_store *s, int active_only,
    void (*fn)(void *arg, const char *group, int state, uint64_t n),
    void *arg)
{
	static const char all[] = "SELECT grp, state, count(*) FROM jobs"
	    " GROUP BY grp, state ORDER BY grp, state";
	static const char active[] = "SELECT grp, state, count(*) FROM jobs"
	    " WHERE state IN (0, 1) GROUP BY grp, state ORDER BY grp, state";
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, active_only ? active : all, -1, &st,
	    NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *g = (const char *)sqlite3_column_text(st, 0);

		fn(arg, g != NULL ? g : "", sqlite3_column_int(st, 1),
		    (uint64_t)sqlite3_column_int64(st, 2));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : CORUN_ESYS;
}
