/* SPDX-License-Identifier: MIT */
/*
 * store-on-done.c - a job's own on-done command (submit --on-done CMD),
 * kept in the on_done table (schema version 5) so that it is run when
 * the job ends, whenever that is, across restarts (on-done.c runs it).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store-delay.h"
#include "store-internal.h"

int
cd_store_on_done_set(cd_store *s, int64_t id, const char *cmd)
{
	sqlite3_stmt *st;
	int rc;

	if (cd_store_txn_lost(s) || sqlite3_prepare_v2(s->db,
	    "INSERT OR REPLACE INTO on_done(id, cmd) VALUES (?1, ?2)", -1,
	    &st, NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, cmd, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : CORUN_ESYS;
	sqlite3_finalize(st);
	s->on_done_rows = 1;
	return rc;
}

/* Does any job have its own command?  (Read once, then kept.) */
static int
any_rows(cd_store *s)
{
	sqlite3_stmt *st;

	if (s->on_done_rows < 0 && sqlite3_prepare_v2(s->db,
	    "SELECT 1 FROM on_done LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
		s->on_done_rows = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	return s->on_done_rows != 0;
}

int
cd_store_on_done_get(cd_store *s, int64_t id, char *buf, size_t size)
{
	sqlite3_stmt *st;
	int rc;

	buf[0] = '\0';
	if (!any_rows(s)) {
		return 0;	/* no query for each job that ends */
	}
	if (sqlite3_prepare_v2(s->db, "SELECT cmd FROM on_done WHERE id = ?1",
	    -1, &st, NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
		snprintf(buf, size, "%s",
		    (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : CORUN_ESYS;
}
