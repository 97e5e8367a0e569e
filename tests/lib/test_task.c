/* SPDX-License-Identifier: MIT */
/*
 * test_task.c - stackful and callback-style tasks: awaiting, sleeping,
 * cancellation at the await point, fds, child processes.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <corun/corun.h>

#include "check-util.h"

extern char **environ;

static corun_loop *
new_loop(void)
{
	corun_loop *loop = NULL;

	ck_assert_int_eq(corun_loop_new(&loop), 0);
	return loop;
}

static double
now_s(void)
{
	return (double)corun_loop_now_ns() / 1e9;
}

/* ---- results and errors -------------------------------------------- */

static int
returns_value(void *arg)
{
	corun_future_set_result(corun_task_self(), arg, NULL);
	return 0;
}

static int
returns_error(void *arg)
{
	(void)arg;
	return CORUN_ETIMEDOUT;
}

static int
returns_custom_error(void *arg)
{
	(void)arg;
	corun_future_set_error(corun_task_self(), CORUN_EFAILED,
	    "disk %s is full", "sda");
	return CORUN_EFAILED;
}

START_TEST(test_task_result_and_errors)
{
	corun_loop *loop = new_loop();
	corun_future *a, *b, *c;
	const char *msg;
	int v = 3;

	ck_assert_int_eq(corun_task_spawn(loop, returns_value, &v, NULL, &a),
	    0);
	corun_task_spawn(loop, returns_error, NULL, NULL, &b);
	corun_task_spawn(loop, returns_custom_error, NULL, NULL, &c);
	ck_assert(corun_is_task(a));
	ck_assert_uint_eq(corun_loop_task_count(loop), 3);
	ck_assert(!corun_future_done(a));	/* first step is call_soon */
	corun_loop_run_until_complete(loop, c);
	corun_loop_run_until_complete(loop, b);
	corun_loop_run_until_complete(loop, a);
	ck_assert_ptr_eq(corun_future_result(a, NULL), &v);
	ck_assert_int_eq(corun_future_status(b), CORUN_ETIMEDOUT);
	ck_assert_int_eq(corun_future_error(c, &msg), CORUN_EFAILED);
	ck_assert_str_eq(msg, "disk sda is full");
	ck_assert_uint_eq(corun_loop_task_count(loop), 0);
	corun_future_unref(a);
	corun_future_unref(b);
	corun_future_unref(c);
	corun_loop_free(loop);
}
END_TEST

/* ---- locals survive suspension; sleeps interleave ------------------ */

struct sleeper {
	double secs;
	int id;
	int *order;
	int *n;
	double sum;
};

static int
sleeper_body(void *arg)
{
	struct sleeper *s = arg;
	double local = s->secs * 1000;	/* a local across the suspend */
	int id = s->id;
	int rc;

	rc = corun_sleep(s->secs);
	if (rc != 0) {
		return rc;
	}
	s->sum = local + id;
	s->order[(*s->n)++] = id;
	return 0;
}

START_TEST(test_sleeps_interleave_and_keep_locals)
{
	corun_loop *loop = new_loop();
	int order[3], n = 0;
	struct sleeper s[3] = {
		{ 0.03, 0, order, &n, 0 },
		{ 0.01, 1, order, &n, 0 },
		{ 0.02, 2, order, &n, 0 },
	};
	corun_future *f[3], *g;
	double t0 = now_s();

	for (int i = 0; i < 3; i++) {
		corun_task_spawn(loop, sleeper_body, &s[i], NULL, &f[i]);
	}
	corun_gather(loop, f, 3, 0, &g);
	corun_loop_run_until_complete(loop, g);
	/* All three slept concurrently: about 30 ms, not 60. */
	ck_assert(now_s() - t0 < 0.055);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(order[0], 1);
	ck_assert_int_eq(order[1], 2);
	ck_assert_int_eq(order[2], 0);
	ck_assert_double_eq_tol(s[0].sum, 30.0, 1e-9);
	ck_assert_double_eq_tol(s[1].sum, 11.0, 1e-9);
	ck_assert_double_eq_tol(s[2].sum, 22.0, 1e-9);
	for (int i = 0; i < 3; i++) {
		corun_future_unref(f[i]);
	}
	corun_future_unref(g);
	corun_loop_free(loop);
}
END_TEST

/* ---- awaiting futures and tasks ------------------------------------ */

static void
complete_later(void *arg)
{
	corun_future_set_result(arg, (void *)(uintptr_t)99, NULL);
}

struct awaiter {
	corun_future *target;
	int rc;
	void *value;
};

static int
awaiter_body(void *arg)
{
	struct awaiter *a = arg;

	a->rc = corun_await(a->target);
	a->value = corun_future_result(a->target, NULL);
	return a->rc;
}

START_TEST(test_await_future_many_awaiters)
{
	corun_loop *loop = new_loop();
	corun_future *f, *t[3];
	struct awaiter a[3];

	corun_future_new(loop, &f);
	for (int i = 0; i < 3; i++) {
		a[i].target = f;
		a[i].rc = -1;
		corun_task_spawn(loop, awaiter_body, &a[i], NULL, &t[i]);
	}
	corun_call_later(loop, 0.01, complete_later, f, NULL);
	for (int i = 0; i < 3; i++) {
		corun_loop_run_until_complete(loop, t[i]);
		ck_assert_int_eq(a[i].rc, 0);
		ck_assert_ptr_eq(a[i].value, (void *)99);
		corun_future_unref(t[i]);
	}
	corun_future_unref(f);
	corun_loop_free(loop);
}
END_TEST

static int
inner_task(void *arg)
{
	(void)arg;
	corun_sleep(0.005);
	corun_future_set_bytes(corun_task_self(), "inner", 5);
	return 0;
}

static int
outer_task(void *arg)
{
	corun_future *inner;
	int rc;

	(void)arg;
	corun_task_spawn(corun_future_loop(corun_task_self()), inner_task,
	    NULL, NULL, &inner);
	rc = corun_await(inner);
	if (rc == 0) {
		size_t len;
		char *s = corun_future_result(inner, &len);

		corun_future_set_bytes(corun_task_self(), s, len);
	}
	corun_future_unref(inner);
	return rc;
}

START_TEST(test_task_awaits_task)
{
	corun_loop *loop = new_loop();
	corun_future *t;

	corun_task_spawn(loop, outer_task, NULL, NULL, &t);
	corun_loop_run_until_complete(loop, t);
	ck_assert_str_eq(corun_future_result(t, NULL), "inner");
	corun_future_unref(t);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_await_outside_task)
{
	corun_loop *loop = new_loop();
	corun_future *f;

	corun_future_new(loop, &f);
	ck_assert_int_eq(corun_await(f), CORUN_ENOTCO);
	ck_assert_int_eq(corun_sleep(0.001), CORUN_ENOTCO);
	ck_assert_int_eq(corun_yield(), CORUN_ENOTCO);
	ck_assert_ptr_null(corun_task_self());
	corun_future_unref(f);
	corun_loop_free(loop);
}
END_TEST

/* ---- cancellation -------------------------------------------------- */

struct cancellee {
	int started;
	int sleep_rc;
	int cleaned;
	int swallow;
	double woke_at;
};

static int
cancellee_body(void *arg)
{
	struct cancellee *c = arg;

	c->started = 1;
	c->sleep_rc = corun_sleep(10.0);
	c->woke_at = now_s();
	/* Cleanup may itself await after the cancel was delivered. */
	if (corun_sleep(0.001) == 0) {
		c->cleaned = 1;
	}
	if (c->swallow) {
		return 0;
	}
	return c->sleep_rc;
}

static void
cancel_cb(void *arg)
{
	ck_assert_int_eq(corun_future_cancel(arg), 0);
}

START_TEST(test_cancel_delivered_at_await_point)
{
	corun_loop *loop = new_loop();
	struct cancellee c = { 0 };
	corun_future *t;
	double t0 = now_s();

	corun_task_spawn(loop, cancellee_body, &c, NULL, &t);
	corun_call_later(loop, 0.01, cancel_cb, t, NULL);
	corun_loop_run_until_complete(loop, t);
	ck_assert_int_eq(c.started, 1);
	ck_assert_int_eq(c.sleep_rc, CORUN_ECANCELED);
	ck_assert_int_eq(c.cleaned, 1);
	ck_assert(c.woke_at - t0 < 1.0);	/* not after the 10 s sleep */
	ck_assert(corun_future_cancelled(t));
	ck_assert_int_eq(corun_future_cancel(t), CORUN_ESTATE);
	corun_future_unref(t);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_cancel_swallowed)
{
	corun_loop *loop = new_loop();
	struct cancellee c = { .swallow = 1 };
	corun_future *t;

	corun_task_spawn(loop, cancellee_body, &c, NULL, &t);
	corun_call_later(loop, 0.005, cancel_cb, t, NULL);
	corun_loop_run_until_complete(loop, t);
	ck_assert_int_eq(c.sleep_rc, CORUN_ECANCELED);
	ck_assert_int_eq(corun_future_state(t), CORUN_FUTURE_RESULT);
	corun_future_unref(t);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_cancel_before_start)
{
	corun_loop *loop = new_loop();
	struct cancellee c = { 0 };
	corun_future *t;

	corun_task_spawn(loop, cancellee_body, &c, NULL, &t);
	ck_assert_int_eq(corun_future_cancel(t), 0);
	ck_assert(!corun_future_done(t));	/* done when the loop runs */
	ck_assert_int_eq(corun_task_cancelling(t), 1);
	corun_loop_run_until_complete(loop, t);
	ck_assert(corun_future_cancelled(t));
	ck_assert_int_eq(c.started, 0);
	corun_future_unref(t);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_cancel_propagates_to_awaited_future)
{
	corun_loop *loop = new_loop();
	struct awaiter a = { 0 };
	corun_future *f, *t;

	corun_future_new(loop, &f);
	a.target = f;
	corun_task_spawn(loop, awaiter_body, &a, NULL, &t);
	corun_call_later(loop, 0.005, cancel_cb, t, NULL);
	corun_loop_run_until_complete(loop, t);
	ck_assert_int_eq(a.rc, CORUN_ECANCELED);
	ck_assert(corun_future_cancelled(f));
	ck_assert(corun_future_cancelled(t));
	corun_future_unref(f);
	corun_future_unref(t);
	corun_loop_free(loop);
}
END_TEST

/* A task cancelled while awaiting an inner task waits for it to wind down. */
static int
inner_cleanup(void *arg)
{
	int *cleaned = arg;
	int rc = corun_sleep(10.0);

	corun_sleep(0.002);
	*cleaned = 1;
	return rc;
}

struct outer2 {
	int cleaned;
	int rc;
	int inner_done_when_woken;
	corun_future *inner;
};

static int
outer2_body(void *arg)
{
	struct outer2 *o = arg;

	corun_task_spawn(corun_future_loop(corun_task_self()), inner_cleanup,
	    &o->cleaned, NULL, &o->inner);
	o->rc = corun_await(o->inner);
	o->inner_done_when_woken = corun_future_done(o->inner);
	return o->rc;
}

START_TEST(test_cancel_waits_for_inner_task)
{
	corun_loop *loop = new_loop();
	struct outer2 o = { 0 };
	corun_future *t;

	corun_task_spawn(loop, outer2_body, &o, NULL, &t);
	corun_call_later(loop, 0.005, cancel_cb, t, NULL);
	corun_loop_run_until_complete(loop, t);
	ck_assert_int_eq(o.rc, CORUN_ECANCELED);
	ck_assert_int_eq(o.cleaned, 1);
	ck_assert_int_eq(o.inner_done_when_woken, 1);
	ck_assert(corun_future_cancelled(o.inner));
	corun_future_unref(o.inner);
	corun_future_unref(t);
	corun_loop_free(loop);
}
END_TEST

static int
self_cancel(void *arg)
{
	int *rc = arg;

	corun_future_cancel(corun_task_self());
	*rc = corun_yield();
	return *rc;
}

START_TEST(test_self_cancel_at_next_await)
{
	corun_loop *loop = new_loop();
	corun_future *t;
	int rc = -1;

	corun_task_spawn(loop, self_cancel, &rc, NULL, &t);
	corun_loop_run_until_complete(loop, t);
	ck_assert_int_eq(rc, CORUN_ECANCELED);
	ck_assert(corun_future_cancelled(t));
	corun_future_unref(t);
	corun_loop_free(loop);
}
END_TEST

/* ---- callback-style tasks ------------------------------------------ */

static int
trivial_step(corun_future *self, void *state, int wake)
{
	(void)self;
	(void)wake;
	(*(int *)state)++;
	return 0;
}

struct machine {
	int phase;
	int wakes[4];
	corun_future *target;
};

static int
machine_step(corun_future *self, void *state, int wake)
{
	struct machine *m = state;

	m->wakes[m->phase] = wake;
	switch (m->phase++) {
	case 0:
		corun_step_sleep(self, 0.005);
		return CORUN_PENDING;
	case 1:
		corun_step_await(self, m->target);
		return CORUN_PENDING;
	default:
		corun_future_set_result(self, corun_future_result(m->target,
		    NULL), NULL);
		return 0;
	}
}

START_TEST(test_step_tasks)
{
	corun_loop *loop = new_loop();
	struct machine m = { 0 };
	corun_future *t, *u, *f;
	int runs = 0;

	corun_task_spawn_step(loop, trivial_step, &runs, &u);
	corun_future_new(loop, &f);
	m.target = f;
	corun_task_spawn_step(loop, machine_step, &m, &t);
	ck_assert(corun_is_task(t));
	corun_call_later(loop, 0.01, complete_later, f, NULL);
	corun_loop_run_until_complete(loop, t);
	ck_assert_int_eq(runs, 1);
	ck_assert_int_eq(corun_future_state(u), CORUN_FUTURE_RESULT);
	ck_assert_int_eq(m.phase, 3);
	ck_assert_int_eq(m.wakes[0], 0);
	ck_assert_int_eq(m.wakes[1], 0);
	ck_assert_int_eq(m.wakes[2], 0);
	ck_assert_ptr_eq(corun_future_result(t, NULL), (void *)99);
	corun_future_unref(f);
	corun_future_unref(t);
	corun_future_unref(u);
	corun_loop_free(loop);
}
END_TEST

static int
step_sleeps_long(corun_future *self, void *state, int wake)
{
	int *seen = state;

	if (*seen == -1) {
		*seen = 0;
		corun_step_sleep(self, 10.0);
		return CORUN_PENDING;
	}
	*seen = wake;
	return wake;
}

START_TEST(test_step_task_cancel)
{
	corun_loop *loop = new_loop();
	corun_future *t;
	int seen = -1;

	corun_task_spawn_step(loop, step_sleeps_long, &seen, &t);
	corun_call_later(loop, 0.005, cancel_cb, t, NULL);
	corun_loop_run_until_complete(loop, t);
	ck_assert_int_eq(seen, CORUN_ECANCELED);
	ck_assert(corun_future_cancelled(t));
	corun_future_unref(t);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_many_step_tasks)
{
	corun_loop *loop = new_loop();
	enum { N = 100000 };
	int runs = 0;
	corun_future *last;

	for (int i = 0; i < N - 1; i++) {
		ck_assert_int_eq(corun_task_spawn_step(loop, trivial_step,
		    &runs, NULL), 0);
	}
	corun_task_spawn_step(loop, trivial_step, &runs, &last);
	ck_assert_uint_eq(corun_loop_task_count(loop), N);
	corun_loop_run_until_complete(loop, last);
	ck_assert_int_eq(runs, N);
	ck_assert_uint_eq(corun_loop_task_count(loop), 0);
	corun_future_unref(last);
	corun_loop_free(loop);
}
END_TEST

/* ---- fds ------------------------------------------------------------ */

struct fdwait {
	int fd;
	double timeout;
	int rc;
	short revents;
	char got;
};

static int
fd_reader(void *arg)
{
	struct fdwait *w = arg;

	w->rc = corun_wait_fd(w->fd, CORUN_READ, w->timeout, &w->revents);
	if (w->rc == 0) {
		ck_assert_int_eq(read(w->fd, &w->got, 1), 1);
	}
	return w->rc;
}

static int
fd_writer(void *arg)
{
	corun_sleep(0.01);
	ck_assert_int_eq(write(*(int *)arg, "k", 1), 1);
	return 0;
}

START_TEST(test_wait_fd)
{
	corun_loop *loop = new_loop();
	int fds[2];
	struct fdwait w = { 0 };
	corun_future *r, *wr;

	ck_assert_int_eq(pipe(fds), 0);
	w.fd = fds[0];
	w.timeout = 5;
	corun_task_spawn(loop, fd_reader, &w, NULL, &r);
	corun_task_spawn(loop, fd_writer, &fds[1], NULL, &wr);
	corun_loop_run_until_complete(loop, r);
	ck_assert_int_eq(w.rc, 0);
	ck_assert_int_eq(w.revents, CORUN_READ);
	ck_assert_int_eq(w.got, 'k');
	corun_loop_run_until_complete(loop, wr);
	corun_future_unref(r);
	corun_future_unref(wr);

	/* Nothing to read: the timeout expires. */
	w.timeout = 0.01;
	w.rc = -1;
	corun_task_spawn(loop, fd_reader, &w, NULL, &r);
	corun_loop_run_until_complete(loop, r);
	ck_assert_int_eq(w.rc, CORUN_ETIMEDOUT);
	ck_assert_int_eq(corun_future_status(r), CORUN_ETIMEDOUT);
	corun_future_unref(r);
	close(fds[0]);
	close(fds[1]);
	corun_loop_free(loop);
}
END_TEST

/* ---- child processes ----------------------------------------------- */

struct child {
	const char *script;
	int rc;
	int status;
};

static int
child_body(void *arg)
{
	struct child *c = arg;
	char *argv[] = { "sh", "-c", (char *)c->script, NULL };
	pid_t pid;

	ck_assert_int_eq(posix_spawn(&pid, "/bin/sh", NULL, NULL, argv,
	    environ), 0);
	c->rc = corun_wait_child(pid, &c->status);
	return c->rc;
}

START_TEST(test_wait_children_concurrently)
{
	corun_loop *loop = new_loop();
	struct child c[2] = {
		{ "sleep 0.1; exit 3", -1, 0 },
		{ "kill -TERM $$", -1, 0 },
	};
	corun_future *t[2], *g;
	double t0 = now_s();

	for (int i = 0; i < 2; i++) {
		corun_task_spawn(loop, child_body, &c[i], NULL, &t[i]);
	}
	corun_gather(loop, t, 2, CORUN_GATHER_RETURN_ERRORS, &g);
	corun_loop_run_until_complete(loop, g);
	ck_assert_int_eq(c[0].rc, 0);
	ck_assert(WIFEXITED(c[0].status));
	ck_assert_int_eq(WEXITSTATUS(c[0].status), 3);
	ck_assert_int_eq(c[1].rc, 0);
	ck_assert(WIFSIGNALED(c[1].status));
	ck_assert_int_eq(WTERMSIG(c[1].status), SIGTERM);
	ck_assert(now_s() - t0 < 2.0);
	for (int i = 0; i < 2; i++) {
		corun_future_unref(t[i]);
	}
	corun_future_unref(g);
	corun_loop_free(loop);
}
END_TEST

/* ---- the blocking trap (without the executor) ----------------------- */

static int
blocker(void *arg)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	(void)arg;
	nanosleep(&ts, NULL);	/* blocks the whole loop, on purpose */
	return 0;
}

static void
stamp(void *arg)
{
	*(double *)arg = now_s();
}

START_TEST(test_blocking_call_delays_other_timers)
{
	corun_loop *loop = new_loop();
	corun_future *b;
	double fired = 0, t0 = now_s();

	corun_call_later(loop, 0.02, stamp, &fired, NULL);
	corun_task_spawn(loop, blocker, NULL, NULL, &b);
	corun_loop_run_until_complete(loop, b);
	while (fired == 0) {
		corun_loop_run_once(loop, 0.1);
	}
	/* The 20 ms timer could only fire after the 200 ms block. */
	ck_assert(fired - t0 >= 0.19);
	corun_future_unref(b);
	corun_loop_free(loop);
}
END_TEST

/* ---- lifetime ------------------------------------------------------- */

static int
return_code(void *arg)
{
	return (int)(intptr_t)arg;
}

/* A task's own codes (errno values) are its error, never corun's. */
START_TEST(test_own_codes_do_not_collide)
{
	corun_loop *loop = new_loop();
	int codes[3] = { EINTR, ENOENT, 200 };

	for (int i = 0; i < 3; i++) {
		corun_future *t;
		const char *msg = NULL;

		ck_assert_int_eq(corun_task_spawn(loop, return_code,
		    (void *)(intptr_t)codes[i], NULL, &t), 0);
		ck_assert_int_eq(corun_loop_run_until_complete(loop, t),
		    codes[i]);
		ck_assert(!corun_future_cancelled(t));
		ck_assert_int_eq(corun_future_error(t, &msg), codes[i]);
		ck_assert(!CORUN_IS_CORUN_ERROR(codes[i]));
		corun_future_unref(t);
	}
	ck_assert_str_eq(corun_strerror(ENOENT), strerror(ENOENT));
	ck_assert_str_eq(corun_strerror(CORUN_EINVAL), "invalid argument");
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_loop_free_with_suspended_tasks)
{
	corun_loop *loop = new_loop();
	struct cancellee c = { 0 };
	struct machine m = { 0 };
	corun_future *f;
	int fds[2];
	struct fdwait w = { 0 };

	ck_assert_int_eq(pipe(fds), 0);
	w.fd = fds[0];
	w.timeout = CORUN_NO_TIMEOUT;
	corun_future_new(loop, &f);
	m.target = f;
	corun_task_spawn(loop, cancellee_body, &c, NULL, NULL);
	corun_task_spawn(loop, fd_reader, &w, NULL, NULL);
	corun_task_spawn_step(loop, machine_step, &m, NULL);
	corun_loop_run_once(loop, 0);
	corun_loop_run_once(loop, 0.02);
	corun_loop_run_once(loop, 0.02);
	ck_assert_uint_eq(corun_loop_task_count(loop), 3);
	/* Tasks suspended in sleep, fd and future waits: freed, no leaks.
	 * The loop's free unwinds them, and the step machine reads its
	 * target as it does: f is let go after the loop. */
	corun_loop_free(loop);
	corun_future_unref(f);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("task");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_task_result_and_errors);
	tcase_add_test(tc, test_sleeps_interleave_and_keep_locals);
	tcase_add_test(tc, test_await_future_many_awaiters);
	tcase_add_test(tc, test_task_awaits_task);
	tcase_add_test(tc, test_await_outside_task);
	tcase_add_test(tc, test_cancel_delivered_at_await_point);
	tcase_add_test(tc, test_cancel_swallowed);
	tcase_add_test(tc, test_cancel_before_start);
	tcase_add_test(tc, test_cancel_propagates_to_awaited_future);
	tcase_add_test(tc, test_cancel_waits_for_inner_task);
	tcase_add_test(tc, test_self_cancel_at_next_await);
	tcase_add_test(tc, test_step_tasks);
	tcase_add_test(tc, test_step_task_cancel);
	tcase_add_test(tc, test_many_step_tasks);
	tcase_add_test(tc, test_wait_fd);
	tcase_add_test(tc, test_wait_children_concurrently);
	tcase_add_test(tc, test_blocking_call_delays_other_timers);
	tcase_add_test(tc, test_loop_free_with_suspended_tasks);
	tcase_add_test(tc, test_own_codes_do_not_collide);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
