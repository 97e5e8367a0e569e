/* SPDX-License-Identifier: MIT */
/*
 * pool-util.h - helpers shared by the Check programs of the pool
 * (tests/sup/test_pool_*.c): the loop each test runs (made by setup, freed
 * by teardown), a pool of a model and size, running futures to their end
 * with a time limit, shutting a pool down, and job structs.
 */
#ifndef CORUN_POOL_UTIL_H
#define CORUN_POOL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <corun/corun.h>

#include <check.h>

static corun_loop *loop;

static inline void
setup(void)
{
	ck_assert_int_eq(corun_loop_new(&loop), 0);
}

static inline void
teardown(void)
{
	corun_loop_free(loop);
	loop = NULL;
}

static inline double
now_s(void)
{
	return (double)corun_loop_now_ns() / 1e9;
}

static inline corun_pool *
new_pool(enum corun_model model, unsigned jobs)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	corun_pool *p = NULL;

	o.model = model;
	o.jobs = jobs;
	o.quiet = 1;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	return p;
}

/* Run the loop until every future is done (or fail after limit s). */
static inline void
run_all(corun_future **f, size_t n, double limit)
{
	corun_future *g;

	ck_assert_int_eq(corun_gather(loop, f, n, CORUN_GATHER_RETURN_ERRORS,
	    &g), 0);
	corun_call_later(loop, limit, (corun_cb)corun_loop_stop, loop, NULL);
	corun_loop_run_until_complete(loop, g);
	ck_assert_msg(corun_future_done(g), "jobs did not finish in %.1f s",
	    limit);
	corun_future_unref(g);
}

/* Run until the pool's done future completes (10 s at most), then free it. */
static inline void
finish_pool(corun_pool *p, corun_future *done)
{
	corun_call_later(loop, 10, (corun_cb)corun_loop_stop, loop, NULL);
	corun_loop_run_until_complete(loop, done);
	ck_assert(corun_future_done(done));
	ck_assert_int_eq(corun_future_status(done), 0);
	corun_future_unref(done);
	corun_pool_free(p);
}

static inline void
shutdown_pool(corun_pool *p)
{
	corun_future *done;

	ck_assert_int_eq(corun_pool_shutdown(p, 1, 0, &done), 0);
	finish_pool(p, done);
}

static inline struct corun_job
job(const char *kind, const char *payload)
{
	struct corun_job j = { 0 };

	j.kind = kind;
	j.payload = payload;
	j.len = payload != NULL ? strlen(payload) : 0;
	return j;
}

/* A shell payload: words NUL-terminated. */
static inline struct corun_job
shell(const char *buf, size_t len)
{
	struct corun_job j = { 0 };

	j.kind = "shell";
	j.payload = buf;
	j.len = len;
	return j;
}

/* Cancelled: before it ran (cancelled) or while running (a result). */
static inline int
was_cancelled(const corun_future *f)
{
	const struct corun_job_result *r = corun_pool_result(f);

	return corun_future_cancelled(f) ||
	    (r != NULL && r->status == CORUN_ECANCELED);
}

struct killer {
	corun_pool *pool;
	int kills;
};

static inline void
kill_one(void *arg)
{
	struct killer *k = arg;
	int pids[8];
	size_t n = corun_pool_worker_pids(k->pool, pids, 8);

	/* Take turns, so no single job is likely to be hit every time. */
	if (n > 0) {
		kill(pids[k->kills % n], SIGKILL);
		k->kills++;
	}
	if (k->kills < 3) {
		corun_call_later(loop, 0.15, kill_one, k, NULL);
	}
}

#endif /* CORUN_POOL_UTIL_H */
