/* SPDX-License-Identifier: MIT */
/*
 * store-list.c - a page of the job table for the list operation: the
 * jobs after (or, newest first, before) an id, filtered by state and
 * group, at most a page of them.  The scan walks the rowid from the
 * cursor and stops at the page's end, so the first page costs the same
 * with a million jobs queued as with a thousand; output columns are not
 * read.
 */
#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "store-internal.h"

/* ST_GET's columns in its order, without the output (never listed). */
#define LIST_COLS "id, state, kind, grp, priority, timeout, retries," \
	" ikey, attempts, submitted_ns, start_ns, end_ns, status," \
	" exit_code, signal, worker_pid, message, NULL, NULL, payload," \
	" id IN (SELECT id FROM held)"

static void
read_row(sqlite3_stmt *st, struct cd_job_row *row)
{
	memset(row, 0, sizeof(*row));
	for (int i = 0; i < CD_F_N; i++) {
		struct cd_value *v = &row->f[i];

		v->null = sqlite3_column_type(st, i) == SQLITE_NULL;
		switch (i) {
		case CD_F_KIND:
			v->p = (const char *)sqlite3_column_text(st, i);
			v->len = (size_t)sqlite3_column_bytes(st, i);
			break;
		case CD_F_GROUP: case CD_F_KEY: case CD_F_MESSAGE:
		case CD_F_OUT: case CD_F_ERR: case CD_F_PAYLOAD:
			v->p = sqlite3_column_blob(st, i);
			v->len = (size_t)sqlite3_column_bytes(st, i);
			break;
		case CD_F_TIMEOUT:
			v->r = sqlite3_column_double(st, i);
			break;
		default:
			v->i = sqlite3_column_int64(st, i);
			break;
		}
	}
	row->held = sqlite3_column_int(st, CD_F_N);
}

int
cd_store_list(cd_store *s, const struct cd_list_query *q,
    int (*fn)(void *arg, const struct cd_job_row *row), void *arg)
{
	static const char *const sql[2] = {
		"SELECT " LIST_COLS " FROM jobs WHERE id > ?1"
		" AND ((?2 >> state) & 1) AND (?3 IS NULL OR grp = ?3)"
		" ORDER BY id LIMIT ?4",
		"SELECT " LIST_COLS " FROM jobs WHERE id < ?1"
		" AND ((?2 >> state) & 1) AND (?3 IS NULL OR grp = ?3)"
		" ORDER BY id DESC LIMIT ?4",
	};
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql[q->desc != 0], -1, &st,
	    NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	sqlite3_bind_int64(st, 1, q->desc && q->cursor == 0 ? INT64_MAX :
	    q->cursor);
	sqlite3_bind_int(st, 2, (int)q->states);
	if (q->group != NULL) {
		sqlite3_bind_text(st, 3, q->group, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 4, (sqlite3_int64)q->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cd_job_row row;

		read_row(st, &row);
		if (fn(arg, &row) != 0) {
			sqlite3_finalize(st);
			return CORUN_ENOMEM;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : CORUN_ESYS;
}
