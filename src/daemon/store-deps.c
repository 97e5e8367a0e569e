/* SPDX-License-Identifier: MIT */
/*
 * store-deps.c - dependencies between jobs.  A job "after" others starts
 * when all of them succeeded; when one fails or is cancelled it fails
 * too, with "dependency N failed", and the jobs after it in turn.  A job
 * "after_any" others starts when they ended, however they ended.  The
 * deps table holds what still waits (its rows go when the dependency
 * ends); a job's blocked column counts them.
 */
#include "config.h"

#include <stdlib.h>

#include <sqlite3.h>

#include "fault-internal.h"
#include "store-internal.h"

void
cd_store_on_ended(cd_store *s, void (*fn)(void *arg, int64_t id), void *arg)
{
	s->on_ended = fn;
	s->ended_arg = arg;
}

void
cd_store_tell_ended(cd_store *s, const int64_t *ids, size_t n)
{
	for (size_t i = 0; i < n && s->on_ended != NULL; i++) {
		s->on_ended(s->ended_arg, ids[i]);
	}
}

/* One list of dependencies of a new job. */
static int
check_list(cd_store *s, const int64_t *ids, size_t n, int any,
    int64_t *blocked, int64_t *failed_dep)
{
	for (size_t i = 0; i < n; i++) {
		int state, rc;

		if ((rc = cd_store_state(s, ids[i], &state)) != 0) {
			return rc;
		}
		*blocked += state < CD_DONE;
		if (!any && *failed_dep == 0 && (state == CD_FAILED ||
		    state == CD_CANCELLED)) {
			*failed_dep = ids[i];
		}
	}
	return 0;
}

int
cd_store_deps_check(cd_store *s, const struct cd_jobspec *js,
    int64_t *blocked, int64_t *failed_dep)
{
	int rc;

	*blocked = 0;
	*failed_dep = 0;
	if ((rc = check_list(s, js->after, js->nafter, 0, blocked,
	    failed_dep)) != 0) {
		return rc;
	}
	return check_list(s, js->after_any, js->nafter_any, 1, blocked,
	    failed_dep);
}

static int
add_list(cd_store *s, int64_t id, const int64_t *ids, size_t n, int any)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = cd_store_stmt(s, ST_DEPADD);

		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, ids[i]);
		sqlite3_bind_int(st, 3, any);
		if (cd_store_step_done(st) != 0) {
			return CORUN_ESYS;
		}
	}
	return 0;
}

int
cd_store_deps_add(cd_store *s, int64_t id, const struct cd_jobspec *js)
{
	if (add_list(s, id, js->after, js->nafter, 0) != 0) {
		return CORUN_ESYS;
	}
	return add_list(s, id, js->after_any, js->nafter_any, 1);
}

int
cd_store_dep_fail(cd_store *s, int64_t id, int64_t dep, uint64_t now_ns)
{
	sqlite3_stmt *st = cd_store_stmt(s, ST_DEPFAIL);

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, dep);
	sqlite3_bind_int(st, 3, CORUN_EFAILED);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now_ns);
	return cd_store_step_done(st);
}

/* A growable list of job ids. */
struct idlist {
	int64_t *v;
	size_t n, cap;
};

static int
push(struct idlist *l, int64_t id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		int64_t *p = cr_realloc(l->v, cap * sizeof(*p));

		if (p == NULL) {
			return CORUN_ENOMEM;
		}
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = id;
	return 0;
}

/* The jobs that wait for id to succeed, onto jobs (id onto deps). */
static int
waiters(cd_store *s, int64_t id, struct idlist *jobs, struct idlist *deps)
{
	sqlite3_stmt *st = cd_store_stmt(s, ST_DEPWAITERS);
	int rc;

	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (push(jobs, sqlite3_column_int64(st, 0)) != 0 ||
		    push(deps, id) != 0) {
			sqlite3_reset(st);
			return CORUN_ENOMEM;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : CORUN_ESYS;
}

/* id ended: unblock what waited for it and forget its rows. */
static int
release(cd_store *s, int64_t id)
{
	sqlite3_stmt *st = cd_store_stmt(s, ST_UNBLOCK);

	sqlite3_bind_int64(st, 1, id);
	if (cd_store_step_done(st) != 0) {
		return CORUN_ESYS;
	}
	st = cd_store_stmt(s, ST_DEPDEL);
	sqlite3_bind_int64(st, 1, id);
	return cd_store_step_done(st);
}

int
cd_store_deps_ended(cd_store *s, int64_t id, int state, uint64_t now_ns,
    int64_t **ended, size_t *nended)
{
	struct idlist out = { 0 }, jobs = { 0 }, deps = { 0 };
	int rc = 0;

	*ended = NULL;
	*nended = 0;
	if (state != CD_DONE) {
		rc = waiters(s, id, &jobs, &deps);
	}
	if (rc == 0) {
		rc = release(s, id);
	}
	/* Breadth first: each failed job's own waiters join the list. */
	for (size_t i = 0; rc == 0 && i < jobs.n; i++) {
		if ((rc = cd_store_dep_fail(s, jobs.v[i], deps.v[i],
		    now_ns)) != 0) {
			break;
		}
		if (sqlite3_changes(s->db) != 1) {
			continue;	/* failed already, by another dependency */
		}
		if ((rc = push(&out, jobs.v[i])) == 0 &&
		    (rc = waiters(s, jobs.v[i], &jobs, &deps)) == 0) {
			rc = release(s, jobs.v[i]);
		}
	}
	free(jobs.v);
	free(deps.v);
	if (rc != 0) {
		free(out.v);
		return rc;
	}
	*ended = out.v;
	*nended = out.n;
	return 0;
}
