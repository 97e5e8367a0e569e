/* SPDX-License-Identifier: MIT */
/*
 * store-delay.c - queued jobs not to be taken before a time (submit
 * --delay, --at): a row in the delayed table keeps a job out of the take
 * until the feed releases it, once its time has come (the rows whose
 * time passed are deleted).  In the store, so across restarts.
 */
#include "config.h"

#include <sqlite3.h>

#include "store-delay.h"
#include "store-internal.h"

int
cd_store_delay(cd_store *s, int64_t id, int64_t not_before_ns)
{
	sqlite3_stmt *st;
	int rc;

	if (cd_store_txn_lost(s) || sqlite3_prepare_v2(s->db,
	    "INSERT OR REPLACE INTO delayed(id, not_before_ns)"
	    " VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, not_before_ns);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : CORUN_ESYS;
	sqlite3_finalize(st);
	if (rc == 0 && s->delay_next != 0 && (s->delay_next < 0 ||
	    not_before_ns < s->delay_next)) {
		s->delay_next = not_before_ns;	/* 0 (unread) stays */
		s->delay_moved = 1;
	}
	return rc;
}

/* The earliest time still waited for into *next (0: none). */
static int
next_time(cd_store *s, int64_t *next)
{
	sqlite3_stmt *st;
	int rc;

	*next = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT min(not_before_ns) FROM"
	    " delayed", -1, &st, NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*next = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : CORUN_ESYS;
}

int
cd_store_delay_release(cd_store *s, int64_t now_ns, int64_t *next_ns,
    int *moved)
{
	sqlite3_stmt *st;
	int rc;

	if (s->delay_next < 0 || (s->delay_next > 0 &&
	    now_ns < s->delay_next)) {
		goto out;	/* nothing due */
	}
	if (cd_store_txn_lost(s) || sqlite3_prepare_v2(s->db,
	    "DELETE FROM delayed WHERE not_before_ns <= ?1", -1, &st,
	    NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	sqlite3_bind_int64(st, 1, now_ns);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : CORUN_ESYS;
	sqlite3_finalize(st);
	if (rc != 0 || (rc = next_time(s, &s->delay_next)) != 0) {
		return rc;
	}
	cd_store_wake(s);	/* those jobs can run now */
	s->delay_next = s->delay_next > 0 ? s->delay_next : -1;
	s->delay_moved = 1;
out:
	*next_ns = s->delay_next > 0 ? s->delay_next : 0;
	*moved = s->delay_moved;
	s->delay_moved = 0;
	return 0;
}
