/* SPDX-License-Identifier: MIT */
/*
 * store-query.c - reading the store: a job's state, a job's whole row
 * (store-json.c turns it into a reply), and the paused groups, which are
 * set here too.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store-internal.h"

int
cd_store_state(cd_store *s, int64_t id, int *state)
{
	sqlite3_stmt *st = cd_store_stmt(s, ST_STATE);
	int rc = CORUN_ENOENT;

	sqlite3_bind_int64(st, 1, id);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*state = sqlite3_column_int(st, 0);
		rc = 0;
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = CORUN_ESYS;	/* not "no such job" */
		break;
	}
	sqlite3_reset(st);
	return rc;
}

int
cd_store_set_paused(cd_store *s, const char *group, int paused)
{
	sqlite3_stmt *st;
	int rc;

	if (cd_store_txn_lost(s)) {
		return CORUN_ESYS;
	}
	if (sqlite3_prepare_v2(s->db, paused ?
	    "INSERT OR IGNORE INTO paused(grp) VALUES (?1)" :
	    "DELETE FROM paused WHERE grp = ?1", -1, &st, NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : CORUN_ESYS;
	sqlite3_finalize(st);
	cd_store_wake(s);	/* resumed: its jobs can run */
	return rc;
}

/* How each column of ST_GET is read: as bytes, an integer or a real. */
enum { COL_BYTES, COL_INT, COL_REAL, COL_TEXT };

static const unsigned char col_how[CD_F_N] = {
	[CD_F_ID] = COL_INT, [CD_F_STATE] = COL_INT, [CD_F_KIND] = COL_TEXT,
	[CD_F_GROUP] = COL_BYTES, [CD_F_PRIORITY] = COL_INT,
	[CD_F_TIMEOUT] = COL_REAL, [CD_F_RETRIES] = COL_INT,
	[CD_F_KEY] = COL_BYTES, [CD_F_ATTEMPTS] = COL_INT,
	[CD_F_SUBMITTED] = COL_INT, [CD_F_STARTED] = COL_INT,
	[CD_F_ENDED] = COL_INT, [CD_F_STATUS] = COL_INT,
	[CD_F_EXIT_CODE] = COL_INT, [CD_F_SIGNAL] = COL_INT,
	[CD_F_WORKER_PID] = COL_INT, [CD_F_MESSAGE] = COL_BYTES,
	[CD_F_OUT] = COL_BYTES, [CD_F_ERR] = COL_BYTES,
	[CD_F_PAYLOAD] = COL_BYTES,
};

int
cd_store_job_get(cd_store *s, int64_t id, struct cd_job_row *row)
{
	sqlite3_stmt *st = cd_store_stmt(s, ST_GET);
	int rc;

	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? CORUN_ENOENT : CORUN_ESYS;
	}
	memset(row, 0, sizeof(*row));
	for (int i = 0; i < CD_F_N; i++) {
		struct cd_value *v = &row->f[i];

		/* The type first, before any conversion changes it. */
		v->null = sqlite3_column_type(st, i) == SQLITE_NULL;
		switch (col_how[i]) {
		case COL_TEXT:
			/* NUL-terminated; NULL when that ran out of memory. */
			v->p = (const char *)sqlite3_column_text(st, i);
			v->len = (size_t)sqlite3_column_bytes(st, i);
			break;
		case COL_BYTES:
			v->p = sqlite3_column_blob(st, i);
			v->len = (size_t)sqlite3_column_bytes(st, i);
			break;
		case COL_INT:
			v->i = sqlite3_column_int64(st, i);
			break;
		case COL_REAL:
			v->r = sqlite3_column_double(st, i);
			break;
		}
	}
	return 0;
}

void
cd_store_job_done(cd_store *s)
{
	sqlite3_reset(s->st[ST_GET]);
}

int
cd_store_paused(cd_store *s, void (*fn)(void *arg, const char *group),
    void *arg)
{
	sqlite3_stmt *st = cd_store_stmt(s, ST_PAUSED);
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(arg, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : CORUN_ESYS;
}
