/* SPDX-License-Identifier: MIT */
/*
 * test_combine.c - shield, wait_for, gather, wait, as_completed and task
 * groups, driven by tasks that sleep for known times.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <corun/corun.h>

#include "check-util.h"

static corun_loop *loop;

static void
setup(void)
{
	ck_assert_int_eq(corun_loop_new(&loop), 0);
}

static void
teardown(void)
{
	corun_loop_free(loop);
	loop = NULL;
}

/*
 * A scripted task: sleep, then return value or fail with code/msg.  If
 * cancelled during the sleep: note it, optionally sleep cleanup_delay
 * (awaiting again after a cancel is allowed), then end cancelled or, with
 * cleanup_code, fail.
 */
struct job {
	const char *name;
	double delay;
	intptr_t value;
	int code;
	const char *msg;
	double cleanup_delay;
	int cleanup_code;
	/* observed */
	int cancel_seen;
	int cleanup_done;
	int finished;
};

static int
job_fn(void *arg)
{
	struct job *j = arg;
	corun_future *self = corun_task_self();
	int rc;

	rc = corun_sleep(j->delay);
	if (rc == CORUN_ECANCELED) {
		j->cancel_seen = 1;
		if (j->cleanup_delay > 0) {
			ck_assert_int_eq(corun_sleep(j->cleanup_delay), 0);
		}
		j->cleanup_done = 1;
		if (j->cleanup_code != 0) {
			corun_future_set_error(self, j->cleanup_code,
			    "%s cleanup failed", j->name);
			return j->cleanup_code;
		}
		return CORUN_ECANCELED;
	}
	ck_assert_int_eq(rc, 0);
	j->finished = 1;
	if (j->code != 0) {
		corun_future_set_error(self, j->code, "%s", j->msg);
		return j->code;
	}
	corun_future_set_result(self, (void *)j->value, NULL);
	return 0;
}

static corun_future *
spawn(struct job *j)
{
	struct corun_task_opts o = { 0, j->name };
	corun_future *t;

	ck_assert_int_eq(corun_task_spawn(loop, job_fn, j, &o, &t), 0);
	return t;
}

static void
unref_all(corun_future **f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		corun_future_unref(f[i]);
	}
}

static double
ms_since(uint64_t t0)
{
	return (double)(corun_loop_now_ns() - t0) / 1e6;
}

/* ---- shield ----------------------------------------------------------- */

START_TEST(test_shield_cancel_outer)
{
	struct job j = { "inner", 0.03, 7 };
	corun_future *inner = spawn(&j), *outer;

	ck_assert_int_eq(corun_shield(inner, &outer), 0);
	ck_assert_int_eq(corun_future_cancel(outer), 0);
	ck_assert(corun_future_cancelled(outer));
	ck_assert_int_eq(corun_loop_run_until_complete(loop, inner), 0);
	/* The inner task ran to the end, untouched. */
	ck_assert_int_eq(j.cancel_seen, 0);
	ck_assert_int_eq(corun_future_status(inner), 0);
	ck_assert_ptr_eq(corun_future_result(inner, NULL), (void *)7);
	ck_assert(corun_future_cancelled(outer));
	corun_future_unref(outer);
	corun_future_unref(inner);
}
END_TEST

START_TEST(test_shield_mirrors)
{
	struct job j = { "inner", 0.01, 9 };
	corun_future *inner = spawn(&j), *outer;

	ck_assert_int_eq(corun_shield(inner, &outer), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, outer), 0);
	ck_assert_int_eq(corun_future_status(outer), 0);
	ck_assert_ptr_eq(corun_future_result(outer, NULL), (void *)9);
	corun_future_unref(outer);
	corun_future_unref(inner);
}
END_TEST

/* ---- wait_for --------------------------------------------------------- */

START_TEST(test_wait_for_in_time)
{
	struct job j = { "quick", 0.01, 42 };
	corun_future *t = spawn(&j), *w;

	ck_assert_int_eq(corun_wait_for(t, 1.0, &w), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, w), 0);
	ck_assert_int_eq(corun_future_status(w), 0);
	ck_assert_ptr_eq(corun_future_result(w, NULL), (void *)42);
	ck_assert_int_eq(j.cancel_seen, 0);
	corun_future_unref(w);
	corun_future_unref(t);
}
END_TEST

static int cleanup_seen_at_completion = -1;

static void
note_cleanup(corun_future *f, void *arg)
{
	cleanup_seen_at_completion = ((struct job *)arg)->cleanup_done;
}

START_TEST(test_wait_for_timeout)
{
	struct job j = { "slow", 5.0, 1, 0, NULL, 0.03 };
	corun_future *t = spawn(&j), *w;
	const char *msg = NULL;
	uint64_t t0 = corun_loop_now_ns();
	double ms;

	ck_assert_int_eq(corun_wait_for(t, 0.05, &w), 0);
	ck_assert_int_eq(corun_future_add_done_callback(w, note_cleanup, &j),
	    0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, w), CORUN_ETIMEDOUT);
	ms = ms_since(t0);
	ck_assert_int_eq(corun_future_status(w), CORUN_ETIMEDOUT);
	ck_assert_int_eq(corun_future_error(w, &msg), CORUN_ETIMEDOUT);
	ck_assert_ptr_nonnull(msg);
	/* The inner task was cancelled, and w waited for its cleanup. */
	ck_assert(corun_future_cancelled(t));
	ck_assert_int_eq(j.cancel_seen, 1);
	ck_assert_int_eq(j.cleanup_done, 1);
	ck_assert_msg(ms >= 75 && ms < 2000, "took %.1f ms", ms);
	corun_loop_run_once(loop, 0);
	ck_assert_int_eq(cleanup_seen_at_completion, 1);
	corun_future_unref(w);
	corun_future_unref(t);
}
END_TEST

START_TEST(test_wait_for_cancel_outer)
{
	struct job j = { "slow", 5.0 };
	corun_future *t = spawn(&j), *w;

	ck_assert_int_eq(corun_wait_for(t, 10.0, &w), 0);
	ck_assert_int_eq(corun_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(corun_future_cancel(w), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, w), CORUN_ECANCELED);
	ck_assert(corun_future_cancelled(w));
	ck_assert(corun_future_cancelled(t));
	ck_assert_int_eq(j.cancel_seen, 1);
	corun_future_unref(w);
	corun_future_unref(t);
}
END_TEST

/* ---- gather ----------------------------------------------------------- */

START_TEST(test_gather_order)
{
	struct job j[3] = { { "a", 0.03, 1 }, { "b", 0.01, 2 },
	    { "c", 0.02, 3 } };
	corun_future *t[3], *g;
	corun_future *const *r;
	size_t n, i;

	for (i = 0; i < 3; i++) {
		t[i] = spawn(&j[i]);
	}
	ck_assert_int_eq(corun_gather(loop, t, 3, 0, &g), 0);
	unref_all(t, 3);	/* the gather holds its own references */
	ck_assert_int_eq(corun_loop_run_until_complete(loop, g), 0);
	ck_assert_int_eq(corun_future_status(g), 0);
	r = corun_gather_futures(g, &n);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(corun_future_status(r[i]), 0);
		ck_assert_ptr_eq(corun_future_result(r[i], NULL),
		    (void *)(i + 1));
	}
	corun_future_unref(g);
}
END_TEST

START_TEST(test_gather_first_error)
{
	struct job j[3] = { { "ok", 0.01, 1 },
	    { "bad", 0.02, 0, CORUN_EPROTO, "bad frame" },
	    { "slow", 0.3, 3 } };
	corun_future *t[3], *g;
	const char *msg = NULL;
	uint64_t t0 = corun_loop_now_ns();
	size_t i;

	for (i = 0; i < 3; i++) {
		t[i] = spawn(&j[i]);
	}
	ck_assert_int_eq(corun_gather(loop, t, 3, 0, &g), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, g), CORUN_EPROTO);
	/* Propagated at once, long before the slow one is done... */
	ck_assert_msg(ms_since(t0) < 250, "took %.1f ms", ms_since(t0));
	ck_assert_int_eq(corun_future_error(g, &msg), CORUN_EPROTO);
	ck_assert_str_eq(msg, "bad frame");
	/* ...which is not cancelled and finishes normally. */
	ck_assert(!corun_future_done(t[2]));
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t[2]), 0);
	ck_assert_int_eq(corun_future_status(t[2]), 0);
	ck_assert_int_eq(j[2].cancel_seen, 0);
	unref_all(t, 3);
	corun_future_unref(g);
}
END_TEST

START_TEST(test_gather_return_errors)
{
	struct job j[3] = { { "e1", 0.01, 0, CORUN_EPROTO, "first" },
	    { "ok", 0.03, 5 }, { "e2", 0.02, 0, CORUN_ERANGE, "second" } };
	corun_future *t[3], *g;
	corun_future *const *r;
	const char *msg;
	size_t i, n;

	for (i = 0; i < 3; i++) {
		t[i] = spawn(&j[i]);
	}
	ck_assert_int_eq(corun_gather(loop, t, 3, CORUN_GATHER_RETURN_ERRORS,
	    &g), 0);
	unref_all(t, 3);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, g), 0);
	ck_assert_int_eq(corun_future_status(g), 0);
	r = corun_gather_futures(g, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(corun_future_error(r[0], &msg), CORUN_EPROTO);
	ck_assert_str_eq(msg, "first");
	ck_assert_int_eq(corun_future_status(r[1]), 0);
	ck_assert_ptr_eq(corun_future_result(r[1], NULL), (void *)5);
	ck_assert_int_eq(corun_future_error(r[2], &msg), CORUN_ERANGE);
	ck_assert_str_eq(msg, "second");
	corun_future_unref(g);
}
END_TEST

START_TEST(test_gather_cancel)
{
	struct job j[2] = { { "a", 5.0 }, { "b", 5.0 } };
	corun_future *t[2], *g;

	t[0] = spawn(&j[0]);
	t[1] = spawn(&j[1]);
	ck_assert_int_eq(corun_gather(loop, t, 2, 0, &g), 0);
	ck_assert_int_eq(corun_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(corun_future_cancel(g), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, g), CORUN_ECANCELED);
	ck_assert(corun_future_cancelled(g));
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t[1]), CORUN_ECANCELED);
	ck_assert(corun_future_cancelled(t[0]));
	ck_assert(corun_future_cancelled(t[1]));
	ck_assert_int_eq(j[0].cancel_seen + j[1].cancel_seen, 2);
	unref_all(t, 2);
	corun_future_unref(g);
}
END_TEST

START_TEST(test_gather_empty)
{
	corun_future *g;
	size_t n = 99;

	/* Done at once (test_tasks.py, test_gather_empty / asyncio). */
	ck_assert_int_eq(corun_gather(loop, NULL, 0, 0, &g), 0);
	ck_assert(corun_future_done(g));
	ck_assert_int_eq(corun_future_status(g), 0);
	ck_assert_ptr_null(corun_gather_futures(g, &n));
	ck_assert_uint_eq(n, 0);
	corun_future_unref(g);
}
END_TEST

/* ---- wait ------------------------------------------------------------- */

static const struct corun_wait_set *
run_wait(corun_future **t, size_t n, enum corun_wait_when when,
    double timeout, corun_future **w)
{
	ck_assert_int_eq(corun_wait(loop, t, n, when, timeout, w), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, *w), 0);
	ck_assert_int_eq(corun_future_status(*w), 0);
	ck_assert_ptr_nonnull(corun_wait_result(*w));
	return corun_wait_result(*w);
}

START_TEST(test_wait_first_completed)
{
	struct job j[3] = { { "a", 0.2 }, { "b", 0.01 }, { "c", 0.1 } };
	corun_future *t[3], *w;
	const struct corun_wait_set *s;
	size_t i;

	for (i = 0; i < 3; i++) {
		t[i] = spawn(&j[i]);
	}
	s = run_wait(t, 3, CORUN_FIRST_COMPLETED, CORUN_NO_TIMEOUT, &w);
	ck_assert_uint_eq(s->ndone, 1);
	ck_assert_ptr_eq(s->done[0], t[1]);
	ck_assert_uint_eq(s->npending, 2);
	ck_assert_ptr_eq(s->pending[0], t[0]);
	ck_assert_ptr_eq(s->pending[1], t[2]);
	/* wait never cancels. */
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t[0]), 0);
	ck_assert_int_eq(corun_future_status(t[0]), 0);
	ck_assert_int_eq(corun_future_status(t[2]), 0);
	corun_future_unref(w);
	unref_all(t, 3);
}
END_TEST

START_TEST(test_wait_first_error)
{
	struct job j[3] = { { "ok", 0.01 },
	    { "bad", 0.03, 0, CORUN_EFAILED, "no" }, { "slow", 0.3 } };
	corun_future *t[3], *w;
	const struct corun_wait_set *s;
	size_t i;

	for (i = 0; i < 3; i++) {
		t[i] = spawn(&j[i]);
	}
	s = run_wait(t, 3, CORUN_FIRST_ERROR, CORUN_NO_TIMEOUT, &w);
	ck_assert_uint_eq(s->ndone, 2);
	ck_assert_ptr_eq(s->done[0], t[0]);
	ck_assert_ptr_eq(s->done[1], t[1]);
	ck_assert_uint_eq(s->npending, 1);
	ck_assert_ptr_eq(s->pending[0], t[2]);
	ck_assert(!corun_future_done(t[2]));
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t[2]), 0);
	ck_assert_int_eq(corun_future_status(t[2]), 0);
	corun_future_unref(w);
	unref_all(t, 3);
}
END_TEST

START_TEST(test_wait_first_error_none)
{
	struct job j[2] = { { "a", 0.02 }, { "b", 0.01 } };
	corun_future *t[2], *w;
	const struct corun_wait_set *s;

	t[0] = spawn(&j[0]);
	t[1] = spawn(&j[1]);
	s = run_wait(t, 2, CORUN_FIRST_ERROR, CORUN_NO_TIMEOUT, &w);
	ck_assert_uint_eq(s->ndone, 2);
	ck_assert_uint_eq(s->npending, 0);
	corun_future_unref(w);
	unref_all(t, 2);
}
END_TEST

START_TEST(test_wait_all_completed)
{
	struct job j[3] = { { "a", 0.03 }, { "b", 0.01 },
	    { "c", 0.02, 0, CORUN_EFAILED, "x" } };
	corun_future *t[3], *w;
	const struct corun_wait_set *s;
	size_t i;

	for (i = 0; i < 3; i++) {
		t[i] = spawn(&j[i]);
	}
	s = run_wait(t, 3, CORUN_ALL_COMPLETED, CORUN_NO_TIMEOUT, &w);
	ck_assert_uint_eq(s->ndone, 3);
	ck_assert_uint_eq(s->npending, 0);
	/* Completion order, not the order given. */
	ck_assert_ptr_eq(s->done[0], t[1]);
	ck_assert_ptr_eq(s->done[1], t[2]);
	ck_assert_ptr_eq(s->done[2], t[0]);
	corun_future_unref(w);
	unref_all(t, 3);
}
END_TEST

START_TEST(test_wait_timeout)
{
	struct job j[3] = { { "a", 0.3 }, { "b", 0.01 }, { "c", 0.3 } };
	corun_future *t[3], *w;
	const struct corun_wait_set *s;
	uint64_t t0 = corun_loop_now_ns();
	double ms;
	size_t i;

	for (i = 0; i < 3; i++) {
		t[i] = spawn(&j[i]);
	}
	s = run_wait(t, 3, CORUN_ALL_COMPLETED, 0.06, &w);
	ms = ms_since(t0);
	ck_assert_msg(ms >= 50 && ms < 250, "took %.1f ms", ms);
	ck_assert_uint_eq(s->ndone, 1);
	ck_assert_ptr_eq(s->done[0], t[1]);
	ck_assert_uint_eq(s->npending, 2);
	ck_assert_ptr_eq(s->pending[0], t[0]);
	ck_assert_ptr_eq(s->pending[1], t[2]);
	/* Not cancelled on timeout: they finish later on their own. */
	ck_assert(!corun_future_done(t[0]));
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t[2]), 0);
	ck_assert_int_eq(corun_future_status(t[0]), 0);
	ck_assert_int_eq(corun_future_status(t[2]), 0);
	ck_assert_int_eq(j[0].cancel_seen + j[2].cancel_seen, 0);
	corun_future_unref(w);
	unref_all(t, 3);
}
END_TEST

/* ---- as_completed ----------------------------------------------------- */

struct ac_run {
	corun_future **futs;
	size_t n;
	double timeout;
	size_t order[8];
	size_t got;
	int last_rc;
};

static int
ac_consumer(void *arg)
{
	struct ac_run *r = arg;
	corun_as_completed *ac;
	corun_future *f;
	size_t i;
	int rc;

	ck_assert_int_eq(corun_as_completed_new(loop, r->futs, r->n,
	    r->timeout, &ac), 0);
	while ((rc = corun_as_completed_next(ac, &f)) == 0) {
		ck_assert(corun_future_done(f));
		for (i = 0; i < r->n && r->futs[i] != f; i++) {
			continue;
		}
		ck_assert_uint_lt(i, r->n);
		r->order[r->got++] = i;
	}
	r->last_rc = rc;
	/* Exhausted (or timed out) stays so. */
	ck_assert_int_eq(corun_as_completed_next(ac, &f), rc);
	corun_as_completed_free(ac);
	return 0;
}

START_TEST(test_as_completed_order)
{
	struct job j[4] = { { "a", 0.06 }, { "b", 0.01 }, { "c", 0.04 },
	    { "d", 0.02, 0, CORUN_EFAILED, "d" } };
	corun_future *t[4], *c;
	struct ac_run r = { t, 4, CORUN_NO_TIMEOUT };
	size_t i;

	for (i = 0; i < 4; i++) {
		t[i] = spawn(&j[i]);
	}
	ck_assert_int_eq(corun_task_spawn(loop, ac_consumer, &r, NULL, &c), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, c), 0);
	ck_assert_int_eq(corun_future_status(c), 0);
	ck_assert_int_eq(r.last_rc, CORUN_EDONE);
	ck_assert_uint_eq(r.got, 4);
	ck_assert_uint_eq(r.order[0], 1);
	ck_assert_uint_eq(r.order[1], 3);
	ck_assert_uint_eq(r.order[2], 2);
	ck_assert_uint_eq(r.order[3], 0);
	corun_future_unref(c);
	unref_all(t, 4);
}
END_TEST

START_TEST(test_as_completed_timeout)
{
	struct job j[2] = { { "fast", 0.01 }, { "slow", 0.5 } };
	corun_future *t[2], *c;
	struct ac_run r = { t, 2, 0.08 };

	t[0] = spawn(&j[0]);
	t[1] = spawn(&j[1]);
	ck_assert_int_eq(corun_task_spawn(loop, ac_consumer, &r, NULL, &c), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, c), 0);
	ck_assert_int_eq(r.last_rc, CORUN_ETIMEDOUT);
	ck_assert_uint_eq(r.got, 1);
	ck_assert_uint_eq(r.order[0], 0);
	ck_assert(!corun_future_done(t[1]));
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t[1]), 0);
	ck_assert_int_eq(corun_future_status(t[1]), 0);
	corun_future_unref(c);
	unref_all(t, 2);
}
END_TEST

/* ---- task groups ------------------------------------------------------ */

START_TEST(test_group_errors)
{
	struct job a = { "A", 0.01, 0, CORUN_EFAILED, "A failed" };
	struct job b = { "B", 5.0, 0, 0, NULL, 0.01, CORUN_EPROTO };
	struct job c = { "C", 5.0, 0, 0, NULL, 0.02 };
	struct job d = { "D", 0.005, 4 };
	struct corun_task_opts o = { 0, "B" };
	corun_group *g;
	corun_future *gf, *tc, *tb;
	const char *msg;

	ck_assert_int_eq(corun_group_new(loop, &g), 0);
	ck_assert_int_eq(corun_group_spawn(g, job_fn, &a,
	    &(struct corun_task_opts){ 0, "A" }, NULL), 0);
	/* A member added from outside. */
	ck_assert_int_eq(corun_task_spawn(loop, job_fn, &b, &o, &tb), 0);
	ck_assert_int_eq(corun_group_add(g, tb), 0);
	ck_assert_int_eq(corun_group_spawn(g, job_fn, &c,
	    &(struct corun_task_opts){ 0, "C" }, &tc), 0);
	ck_assert_int_eq(corun_group_spawn(g, job_fn, &d, NULL, NULL), 0);
	gf = corun_future_ref(corun_group_future(g));
	ck_assert_int_eq(corun_loop_run_until_complete(loop, gf), CORUN_EMULTI);

	ck_assert_int_eq(corun_future_error(gf, &msg), CORUN_EMULTI);
	ck_assert_ptr_nonnull(strstr(msg, "2 errors"));
	ck_assert_ptr_nonnull(strstr(msg, "A: A failed"));
	ck_assert_ptr_nonnull(strstr(msg, "B: B cleanup failed"));
	ck_assert_uint_eq(corun_group_error_count(g), 2);
	ck_assert_int_eq(corun_group_error(g, 0, &msg), CORUN_EFAILED);
	ck_assert_str_eq(msg, "A failed");
	ck_assert_int_eq(corun_group_error(g, 1, &msg), CORUN_EPROTO);
	ck_assert_str_eq(msg, "B cleanup failed");
	ck_assert_int_eq(corun_group_error(g, 2, &msg), 0);
	ck_assert_ptr_null(msg);
	/* Siblings were cancelled and their cleanup ran; D finished first. */
	ck_assert_int_eq(b.cancel_seen, 1);
	ck_assert_int_eq(b.cleanup_done, 1);
	ck_assert_int_eq(c.cancel_seen, 1);
	ck_assert_int_eq(c.cleanup_done, 1);
	ck_assert(corun_future_cancelled(tc));
	ck_assert_int_eq(d.finished, 1);
	ck_assert_int_eq(d.cancel_seen, 0);
	/* A done group takes no one. */
	ck_assert_int_eq(corun_group_spawn(g, job_fn, &d, NULL, NULL),
	    CORUN_ESTATE);
	corun_group_free(g);
	corun_future_unref(gf);
	corun_future_unref(tb);
	corun_future_unref(tc);
}
END_TEST

START_TEST(test_group_ok)
{
	struct job j[3] = { { "a", 0.01 }, { "b", 0.02 }, { "c", 0.005 } };
	corun_group *g;
	size_t i;

	ck_assert_int_eq(corun_group_new(loop, &g), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(corun_group_spawn(g, job_fn, &j[i], NULL,
		    NULL), 0);
	}
	ck_assert_int_eq(corun_loop_run_until_complete(loop,
	    corun_group_future(g)), 0);
	ck_assert_int_eq(corun_future_status(corun_group_future(g)), 0);
	ck_assert_uint_eq(corun_group_error_count(g), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(j[i].finished, 1);
	}
	corun_group_free(g);
}
END_TEST

START_TEST(test_group_empty)
{
	corun_group *g;
	corun_future *gf;

	ck_assert_int_eq(corun_group_new(loop, &g), 0);
	gf = corun_group_future(g);
	ck_assert(!corun_future_done(gf));
	ck_assert_int_eq(corun_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(corun_future_status(gf), 0);
	corun_group_free(g);
}
END_TEST

START_TEST(test_group_cancel_future)
{
	struct job j[2] = { { "a", 5.0 }, { "b", 5.0, 0, 0, NULL, 0.01 } };
	corun_group *g;
	corun_future *gf;

	ck_assert_int_eq(corun_group_new(loop, &g), 0);
	ck_assert_int_eq(corun_group_spawn(g, job_fn, &j[0], NULL, NULL), 0);
	ck_assert_int_eq(corun_group_spawn(g, job_fn, &j[1], NULL, NULL), 0);
	gf = corun_group_future(g);
	ck_assert_int_eq(corun_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(corun_future_cancel(gf), 0);
	/* Not done until the members' cleanup is. */
	ck_assert(!corun_future_done(gf));
	ck_assert_int_eq(corun_loop_run_until_complete(loop, gf), CORUN_ECANCELED);
	ck_assert(corun_future_cancelled(gf));
	ck_assert_int_eq(j[0].cleanup_done + j[1].cleanup_done, 2);
	ck_assert_uint_eq(corun_group_error_count(g), 0);
	corun_group_free(g);
}
END_TEST

START_TEST(test_group_free_early)
{
	struct job j = { "a", 0.02, 3 };
	corun_group *g;
	corun_future *t, *gf;

	ck_assert_int_eq(corun_group_new(loop, &g), 0);
	ck_assert_int_eq(corun_group_spawn(g, job_fn, &j, NULL, &t), 0);
	gf = corun_future_ref(corun_group_future(g));
	corun_group_free(g);
	/* Whoever holds the group's future is not left hanging... */
	ck_assert(corun_future_cancelled(gf));
	/* ...and the member keeps running. */
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t), 0);
	ck_assert_int_eq(corun_future_status(t), 0);
	ck_assert_int_eq(j.cancel_seen, 0);
	corun_future_unref(gf);
	corun_future_unref(t);
}
END_TEST

/* ---- lifetimes (run under valgrind: nothing may leak) ----------------- */

static void
make_all(corun_future *f, corun_future **out)
{
	corun_future *both[2] = { f, f };

	ck_assert_int_eq(corun_shield(f, &out[0]), 0);
	ck_assert_int_eq(corun_wait_for(f, 10.0, &out[1]), 0);
	ck_assert_int_eq(corun_gather(loop, both, 2, 0, &out[2]), 0);
	ck_assert_int_eq(corun_wait(loop, both, 2, CORUN_ALL_COMPLETED, 10.0,
	    &out[3]), 0);
}

START_TEST(test_dropped_while_pending)
{
	corun_future *f, *c[4];

	/* Dropped at once; the loop is freed with f still pending. */
	ck_assert_int_eq(corun_future_new(loop, &f), 0);
	make_all(f, c);
	unref_all(c, 4);
	ck_assert_int_eq(corun_loop_run_once(loop, 0), 0);
	corun_future_unref(f);
}
END_TEST

START_TEST(test_loop_freed_with_callbacks_scheduled)
{
	corun_future *f, *c[4];

	/* f is done, every combinator's callback is scheduled, none ran. */
	ck_assert_int_eq(corun_future_new(loop, &f), 0);
	make_all(f, c);
	ck_assert_int_eq(corun_future_set_result(f, NULL, NULL), 0);
	unref_all(c, 4);
	corun_future_unref(f);
}
END_TEST

START_TEST(test_dropped_then_completed)
{
	corun_future *f, *c[4];

	ck_assert_int_eq(corun_future_new(loop, &f), 0);
	make_all(f, c);
	unref_all(c, 4);
	ck_assert_int_eq(corun_future_set_bytes(f, "x", 1), 0);
	ck_assert_int_eq(corun_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(corun_loop_run_once(loop, 0), 0);
	corun_future_unref(f);
}
END_TEST

START_TEST(test_as_completed_misc)
{
	corun_as_completed *ac;
	corun_future *f, *next;

	ck_assert_int_eq(corun_as_completed_new(loop, NULL, 0, CORUN_NO_TIMEOUT, &ac), 0);
	ck_assert_int_eq(corun_as_completed_next(ac, &next), CORUN_EDONE);
	corun_as_completed_free(ac);
	/* Outside a task it cannot wait; freed with its timer armed. */
	ck_assert_int_eq(corun_future_new(loop, &f), 0);
	ck_assert_int_eq(corun_as_completed_new(loop, &f, 1, 5.0, &ac), 0);
	ck_assert_int_eq(corun_as_completed_next(ac, &next), CORUN_ENOTCO);
	ck_assert_int_eq(corun_future_set_result(f, NULL, NULL), 0);
	ck_assert_int_eq(corun_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(corun_as_completed_next(ac, &next), 0);
	ck_assert_ptr_eq(next, f);
	ck_assert_int_eq(corun_as_completed_next(ac, &next), CORUN_EDONE);
	corun_as_completed_free(ac);
	corun_future_unref(f);
}
END_TEST

static Suite *
combine_suite(void)
{
	Suite *s = suite_create("combine");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_shield_cancel_outer);
	tcase_add_test(tc, test_shield_mirrors);
	tcase_add_test(tc, test_wait_for_in_time);
	tcase_add_test(tc, test_wait_for_timeout);
	tcase_add_test(tc, test_wait_for_cancel_outer);
	tcase_add_test(tc, test_gather_order);
	tcase_add_test(tc, test_gather_first_error);
	tcase_add_test(tc, test_gather_return_errors);
	tcase_add_test(tc, test_gather_cancel);
	tcase_add_test(tc, test_gather_empty);
	tcase_add_test(tc, test_wait_first_completed);
	tcase_add_test(tc, test_wait_first_error);
	tcase_add_test(tc, test_wait_first_error_none);
	tcase_add_test(tc, test_wait_all_completed);
	tcase_add_test(tc, test_wait_timeout);
	tcase_add_test(tc, test_as_completed_order);
	tcase_add_test(tc, test_as_completed_timeout);
	tcase_add_test(tc, test_group_errors);
	tcase_add_test(tc, test_group_ok);
	tcase_add_test(tc, test_group_empty);
	tcase_add_test(tc, test_group_cancel_future);
	tcase_add_test(tc, test_group_free_early);
	tcase_add_test(tc, test_dropped_while_pending);
	tcase_add_test(tc, test_loop_freed_with_callbacks_scheduled);
	tcase_add_test(tc, test_dropped_then_completed);
	tcase_add_test(tc, test_as_completed_misc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(combine_suite());
}
