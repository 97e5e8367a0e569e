/* SPDX-License-Identifier: MIT */
/*
 * store-jobs.c - a job's life in the store: added (with its idempotency
 * key and dependencies), taken to run, finished exactly once or put back
 * in the queue, and purged once it is long finished.  Every call is all
 * or nothing (cd_store_op_begin / cd_store_op_end) and keeps the
 * per-state counts right.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fault-internal.h"
#include "store-internal.h"

int
cd_store_add(cd_store *s, const struct cd_jobspec *js, uint64_t now_ns,
    int64_t *id, int *existed)
{
	sqlite3_stmt *st;
	int64_t blocked = 0, failed_dep = 0;
	int rc;

	*existed = 0;
	if (js->key != NULL) {
		st = cd_store_stmt(s, ST_KEY);
		sqlite3_bind_text(st, 1, js->key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*id = sqlite3_column_int64(st, 0);
			*existed = 1;
			sqlite3_reset(st);
			return 0;
		}
		sqlite3_reset(st);
	}
	if ((rc = cd_store_deps_check(s, js, &blocked, &failed_dep)) != 0) {
		return rc;
	}
	if (cd_store_op_begin(s) != 0) {
		return CORUN_ESYS;
	}
	st = cd_store_stmt(s, ST_INSERT);
	sqlite3_bind_text(st, 1, js->kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, js->len > 0 ? js->payload : "", (int)js->len,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, js->group != NULL ? js->group : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 4, js->priority);
	sqlite3_bind_double(st, 5, js->timeout);
	sqlite3_bind_int(st, 6, js->retries);
	if (js->key != NULL) {
		sqlite3_bind_text(st, 7, js->key, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 8, blocked);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)now_ns);
	if (cd_store_step_done(st) != 0) {
		return cd_store_op_end(s, CORUN_ESYS);
	}
	*id = sqlite3_last_insert_rowid(s->db);
	if (cd_store_deps_add(s, *id, js) != 0 || (failed_dep != 0 &&
	    cd_store_dep_fail(s, *id, failed_dep, now_ns) != 0)) {
		return cd_store_op_end(s, CORUN_ESYS);
	}
	if (cd_store_op_end(s, 0) != 0) {
		return CORUN_ESYS;
	}
	cd_store_wake(s);
	if (failed_dep != 0) {
		/* After one that failed: it has failed already. */
		s->counts[CD_FAILED]++;
		cd_store_tell_ended(s, id, 1);
	} else {
		s->counts[CD_QUEUED]++;
	}
	if (*id > s->max_added) {
		s->max_added = *id;	/* acknowledged at the commit */
	}
	return 0;
}

/* One row of ST_TAKE into t: SQLITE_ROW, or SQLITE_NOMEM (t freed). */
static int
read_taken(sqlite3_stmt *st, struct cd_taken *t)
{
	const char *kind;
	const void *p = sqlite3_column_blob(st, 2);
	int len = sqlite3_column_bytes(st, 2);

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(st, 0);
	kind = (const char *)sqlite3_column_text(st, 1);
	t->kind = kind != NULL ? cr_strdup(kind) : NULL;
	t->payload = cr_malloc((size_t)len + 1);
	if (t->kind == NULL || t->payload == NULL) {
		cd_taken_free(t);
		return SQLITE_NOMEM;
	}
	if (len > 0) {
		memcpy(t->payload, p, (size_t)len);
	}
	t->len = (size_t)len;
	t->timeout = sqlite3_column_double(st, 3);
	t->retries = sqlite3_column_int(st, 4);
	t->attempts = (uint32_t)sqlite3_column_int(st, 5) + 1;
	t->submitted_ns = (uint64_t)sqlite3_column_int64(st, 7);
	return SQLITE_ROW;
}

int
cd_store_take(cd_store *s, size_t n, uint64_t now_ns, struct cd_taken *out,
    size_t *got)
{
	sqlite3_stmt *st, *mk;
	struct cd_group_caps caps;
	size_t k = 0;
	int rc = SQLITE_DONE;

	(void)now_ns;	/* it starts when leased: cd_store_leased() */
	*got = 0;
	if (s->dry) {
		return 0;	/* nothing changed since it found none */
	}
	if (cd_store_op_begin(s) != 0) {
		return CORUN_ESYS;
	}
	if (cd_group_caps_load(s, &caps) != 0) {
		return cd_store_op_end(s, CORUN_ESYS);
	}
	st = cd_store_stmt(s, ST_TAKE);
	/* Rows of a group that fills in this batch are skipped. */
	sqlite3_bind_int64(st, 1, caps.n > 0 ? -1 : (sqlite3_int64)n);
	while (k < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cd_taken *t = &out[k];
		const char *grp = (const char *)sqlite3_column_text(st, 6);

		if (caps.n > 0 && !cd_group_caps_take(&caps, grp)) {
			continue;
		}
		if ((rc = read_taken(st, t)) != SQLITE_ROW) {
			break;
		}
		k++;
	}
	sqlite3_reset(st);
	cd_group_caps_free(&caps);
	/* Taking fewer than asked is fine, a failed read is not. */
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		goto fail;
	}
	for (size_t i = 0; i < k; i++) {
		mk = cd_store_stmt(s, ST_MARK);
		sqlite3_bind_int64(mk, 1, out[i].id);
		if (cd_store_step_done(mk) != 0) {
			goto fail;
		}
	}
	if (cd_store_op_end(s, 0) != 0) {
		goto fail_ended;
	}
	s->counts[CD_QUEUED] -= k;
	s->counts[CD_RUNNING] += k;
	s->dry = k < n && rc == SQLITE_DONE;	/* it read them all */
	*got = k;
	return 0;
fail:
	cd_store_op_end(s, CORUN_ESYS);
fail_ended:
	for (size_t j = 0; j < k; j++) {
		cd_taken_free(&out[j]);
	}
	return CORUN_ESYS;
}

void
cd_taken_free(struct cd_taken *t)
{
	free(t->kind);
	free(t->payload);
	t->kind = NULL;
	t->payload = NULL;
}

int
cd_store_finish(cd_store *s, int64_t id, const struct cd_outcome *o,
    int *recorded)
{
	sqlite3_stmt *st;
	int64_t *ended;
	size_t nended;
	int prev, rc;

	*recorded = 0;
	if ((rc = cd_store_state(s, id, &prev)) != 0) {
		return rc;
	}
	if (prev >= CD_DONE) {
		return 0;	/* already recorded: exactly once */
	}
	if (cd_store_op_begin(s) != 0) {
		return CORUN_ESYS;
	}
	st = cd_store_stmt(s, ST_FINISH);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, o->state);
	sqlite3_bind_int(st, 3, o->status);
	sqlite3_bind_int(st, 4, o->exit_code);
	sqlite3_bind_int(st, 5, o->signal);
	sqlite3_bind_int64(st, 6, o->attempts);
	if (o->start_ns != 0) {
		sqlite3_bind_int64(st, 7, (sqlite3_int64)o->start_ns);
	}
	sqlite3_bind_int64(st, 8, (sqlite3_int64)o->end_ns);
	sqlite3_bind_blob(st, 9, o->out != NULL ? o->out : "",
	    (int)o->out_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, o->err != NULL ? o->err : "",
	    (int)o->err_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, o->message != NULL ? o->message : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 12, o->worker_pid);
	if (cd_store_step_done(st) != 0) {
		return cd_store_op_end(s, CORUN_ESYS);
	}
	if (sqlite3_changes(s->db) != 1) {
		return cd_store_op_end(s, 0);
	}
	if (cd_store_deps_ended(s, id, o->state, o->end_ns, &ended,
	    &nended) != 0) {
		return cd_store_op_end(s, CORUN_ESYS);
	}
	if (cd_store_op_end(s, 0) != 0) {
		free(ended);
		return CORUN_ESYS;
	}
	/* The jobs after it that failed with it were all queued. */
	s->counts[CD_QUEUED] -= nended;
	s->counts[CD_FAILED] += nended;
	cd_store_tell_ended(s, ended, nended);
	free(ended);
	s->counts[prev]--;
	s->counts[o->state]++;
	cd_store_wake(s);	/* its group has room, its dependants may run */
	*recorded = 1;
	return 0;
}

int
cd_store_leased(cd_store *s, int64_t id, uint32_t attempts, uint64_t now_ns)
{
	sqlite3_stmt *st;

	if (cd_store_txn_lost(s)) {
		return CORUN_ESYS;
	}
	st = cd_store_stmt(s, ST_LEASE);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, attempts);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now_ns);
	return cd_store_step_done(st);
}

int
cd_store_requeue(cd_store *s, int64_t id)
{
	return cd_store_requeue_at(s, id, UINT32_MAX);
}

int
cd_store_requeue_at(cd_store *s, int64_t id, uint32_t attempts)
{
	sqlite3_stmt *st;

	if (cd_store_txn_lost(s)) {
		return CORUN_ESYS;
	}
	st = cd_store_stmt(s, ST_REQUEUE);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, attempts);
	if (cd_store_step_done(st) != 0) {
		return CORUN_ESYS;
	}
	if (sqlite3_changes(s->db) == 1) {
		s->counts[CD_RUNNING]--;
		s->counts[CD_QUEUED]++;
		cd_store_wake(s);
	}
	return 0;
}

/* Delete the finished jobs that sel (a SELECT of ids) picks. */
static int
purge_some(cd_store *s, const char *sel, size_t *deleted)
{
	char sql[768];
	sqlite3_stmt *st;
	uint64_t by_state[CD_NSTATES] = { 0 };
	size_t n;
	int rc;

	/* Count what goes, per state, so the counts need no full scan. */
	snprintf(sql, sizeof(sql), "SELECT state, count(*) FROM jobs"
	    " WHERE id IN (%s) GROUP BY state", sel);
	if (cd_store_op_begin(s) != 0) {
		return CORUN_ESYS;
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		return cd_store_op_end(s, CORUN_ESYS);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int state = sqlite3_column_int(st, 0);

		if (state >= 0 && state < CD_NSTATES) {
			by_state[state] = (uint64_t)sqlite3_column_int64(st, 1);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		return cd_store_op_end(s, CORUN_ESYS);
	}
	snprintf(sql, sizeof(sql), "DELETE FROM jobs WHERE id IN (%s)", sel);
	if ((rc = cd_store_exec(s, sql)) != 0) {
		return cd_store_op_end(s, rc);
	}
	n = (size_t)sqlite3_changes(s->db);
	if (cd_store_op_end(s, 0) != 0) {
		return CORUN_ESYS;
	}
	*deleted += n;
	for (int i = 0; i < CD_NSTATES; i++) {
		s->counts[i] -= by_state[i] <= s->counts[i] ? by_state[i] :
		    s->counts[i];
	}
	return 0;
}

int
cd_store_purge(cd_store *s, double max_age_s, uint64_t keep, uint64_t now_ns,
    size_t *deleted)
{
	char sel[256];
	uint64_t fin;
	int rc;

	*deleted = 0;
	if (max_age_s > 0 && now_ns > (uint64_t)(max_age_s * 1e9)) {
		uint64_t cut = now_ns - (uint64_t)(max_age_s * 1e9);

		/* Bounded per call: a big purge must not stall the loop. */
		snprintf(sel, sizeof(sel), "SELECT id FROM jobs WHERE state >= 2"
		    " AND end_ns < %llu ORDER BY end_ns LIMIT 10000",
		    (unsigned long long)cut);
		if ((rc = purge_some(s, sel, deleted)) != 0) {
			return rc;
		}
	}
	fin = s->counts[CD_DONE] + s->counts[CD_FAILED] +
	    s->counts[CD_CANCELLED];
	if (keep > 0 && fin > keep) {
		uint64_t extra = fin - keep;

		snprintf(sel, sizeof(sel), "SELECT id FROM jobs WHERE state >= 2"
		    " ORDER BY end_ns LIMIT %llu",
		    (unsigned long long)(extra > 10000 ? 10000 : extra));
		if ((rc = purge_some(s, sel, deleted)) != 0) {
			return rc;
		}
	}
	return 0;
}

int
cd_store_clean(cd_store *s, unsigned mask, size_t *deleted)
{
	char sel[160];

	snprintf(sel, sizeof(sel), "SELECT id FROM jobs WHERE state >= 2"
	    " AND ((%u >> state) & 1) ORDER BY id LIMIT 10000",
	    mask & ~((1u << CD_DONE) - 1));
	return purge_some(s, sel, deleted);
}
