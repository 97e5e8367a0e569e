/* SPDX-License-Identifier: MIT */
/*
 * store-queue.c - fixing the queue after the fact, in the store: the
 * jobs not ended (for cancel --all / --group), finished jobs run again
 * as new jobs (restart), queued jobs held back (the held table: stash)
 * and let go (enqueue), a queued job's payload and priority changed
 * (edit).  Forgetting finished jobs (clean) is
 * store-jobs.c's purge.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fault-internal.h"
#include "store-internal.h"
#include "store-queue.h"

int
cd_store_active_ids(cd_store *s, const char *group, int64_t **ids,
    size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT id FROM jobs WHERE state < 2"
	    " AND (?1 IS NULL OR grp = ?1) ORDER BY id", -1, &st,
	    NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	if (group != NULL) {
		sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			int64_t *p;

			cap = cap ? cap * 2 : 64;
			if ((p = cr_realloc(*ids, cap * sizeof(*p))) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			*ids = p;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return rc == SQLITE_NOMEM ? CORUN_ENOMEM : CORUN_ESYS;
	}
	return 0;
}

int
cd_store_restart(cd_store *s, int64_t id, uint64_t now_ns, int64_t *new_id)
{
	struct cd_job_row r;
	struct cd_jobspec js;
	char group[CD_GROUP_BUF];
	int existed, rc, state;

	if ((rc = cd_store_job_get(s, id, &r)) != 0) {
		return rc;
	}
	state = (int)r.f[CD_F_STATE].i;
	if (state < CD_DONE || r.f[CD_F_KIND].p == NULL ||
	    r.f[CD_F_GROUP].len >= sizeof(group)) {
		cd_store_job_done(s);
		return state < CD_DONE ? CORUN_ESTATE : CORUN_ENOMEM;
	}
	memset(&js, 0, sizeof(js));
	memcpy(group, r.f[CD_F_GROUP].p != NULL ? r.f[CD_F_GROUP].p : "",
	    r.f[CD_F_GROUP].len);
	group[r.f[CD_F_GROUP].len] = '\0';
	js.kind = r.f[CD_F_KIND].p;
	js.payload = r.f[CD_F_PAYLOAD].p;
	js.len = r.f[CD_F_PAYLOAD].len;
	js.group = group;
	js.priority = (int)r.f[CD_F_PRIORITY].i;
	js.timeout = r.f[CD_F_TIMEOUT].r;
	js.retries = (int)r.f[CD_F_RETRIES].i;
	/* The row stays readable: adding uses other statements. */
	rc = cd_store_add(s, &js, now_ns, new_id, &existed);
	cd_store_job_done(s);
	return rc;
}

int
cd_store_hold(cd_store *s, int64_t id, int hold)
{
	sqlite3_stmt *st;
	int state, rc;

	if ((rc = cd_store_state(s, id, &state)) != 0) {
		return rc;
	}
	if (hold && state != CD_QUEUED) {
		return CORUN_ESTATE;
	}
	if (cd_store_txn_lost(s) || sqlite3_prepare_v2(s->db, hold ?
	    "INSERT OR IGNORE INTO held(id) VALUES (?1)" :
	    "DELETE FROM held WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : CORUN_ESYS;
	sqlite3_finalize(st);
	cd_store_wake(s);	/* enqueued: it can run */
	return rc;
}

int
cd_store_edit(cd_store *s, int64_t id, const void *payload, size_t len,
    int set_priority, int priority)
{
	sqlite3_stmt *st;
	int rc, state, changes;

	/* The state is checked by the write itself: never a taken job. */
	if (cd_store_txn_lost(s) || sqlite3_prepare_v2(s->db, "UPDATE jobs"
	    " SET payload = CASE WHEN ?2 THEN ?3 ELSE payload END,"
	    " priority = CASE WHEN ?4 THEN ?5 ELSE priority END"
	    " WHERE id = ?1 AND state = 0", -1, &st, NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	/* A bind that fails leaves NULL: the payload would be lost. */
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, payload != NULL) != SQLITE_OK ||
	    (payload != NULL && sqlite3_bind_blob(st, 3, payload, (int)len,
	    SQLITE_STATIC) != SQLITE_OK) ||
	    sqlite3_bind_int(st, 4, set_priority != 0) != SQLITE_OK ||
	    sqlite3_bind_int(st, 5, priority) != SQLITE_OK) {
		sqlite3_finalize(st);
		return CORUN_ENOMEM;
	}
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : CORUN_ESYS;
	changes = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	if (rc != 0) {
		return rc;
	}
	if (changes == 0) {
		rc = cd_store_state(s, id, &state);
		return rc != 0 ? rc : CORUN_ESTATE;
	}
	cd_store_wake(s);	/* its place in the queue may have moved */
	return 0;
}
