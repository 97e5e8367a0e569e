/* SPDX-License-Identifier: MIT */
/*
 * test_aio_tasks.c - CPython's asyncio test cases for tasks, shield,
 * wait_for, gather, wait and as_completed, ported to libcorun.  Each test
 * is named <python file>__<python test method>; the comment above it gives
 * the file, class and method.  The cases C cannot express are listed in
 * libcorun(3), ASYNCIO COMPATIBILITY.
 */
#include <pthread.h>
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
	ck_assert_int_eq(corun_loop_free(loop), 0);
	loop = NULL;
}

static corun_future *
spawn(corun_task_fn fn, void *arg)
{
	corun_future *t = NULL;

	ck_assert_int_eq(corun_task_spawn(loop, fn, arg, NULL, &t), 0);
	return t;
}

static int
cancel_self_then_return(void *arg)
{
	corun_future *self = corun_task_self();

	(void)arg;
	ck_assert_int_eq(corun_future_cancel(self), 0);
	/* No await since: the result is refused, the task ends cancelled. */
	ck_assert_int_eq(corun_future_set_result(self, (void *)12, NULL),
	    CORUN_ECANCELED);
	return 0;
}

/* test_tasks.py, BaseTaskTests.test_cancel_at_end */
START_TEST(test_tasks__test_cancel_at_end)
{
	corun_future *t = spawn(cancel_self_then_return, NULL);

	ck_assert_int_eq(corun_loop_run_until_complete(loop, t),
	    CORUN_ECANCELED);
	ck_assert(corun_future_cancelled(t));
	corun_future_unref(t);
}
END_TEST

static int
sleep_long(void *arg)
{
	(void)arg;
	return corun_sleep(60);
}

/* test_tasks.py, BaseTaskTests.test_task_set_methods */
START_TEST(test_tasks__test_task_set_methods)
{
	corun_future *t = spawn(sleep_long, NULL);

	ck_assert_int_eq(corun_future_set_result(t, NULL, NULL), CORUN_ESTATE);
	ck_assert_int_eq(corun_future_set_error(t, CORUN_EFAILED, "x"),
	    CORUN_ESTATE);
	ck_assert(!corun_future_done(t));
	corun_future_cancel(t);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t),
	    CORUN_ECANCELED);
	corun_future_unref(t);
}
END_TEST

struct counts {
	int in_handler;
	int after_uncancel;
	int seen;
};

static int
count_cancelling(void *arg)
{
	struct counts *c = arg;
	int rc = corun_sleep(60);

	c->seen = rc;
	c->in_handler = corun_task_cancelling(corun_task_self());
	c->after_uncancel = corun_task_uncancel(corun_task_self());
	/* Uncancelled: the task goes on and may await again. */
	return corun_sleep(0.001);
}

/* test_tasks.py, BaseTaskTests.test_cancelling */
START_TEST(test_tasks__test_cancelling)
{
	struct counts c = { -1, -1, 0 };
	corun_future *t = spawn(count_cancelling, &c);

	corun_loop_run_once(loop, 0);
	ck_assert_int_eq(corun_task_cancelling(t), 0);
	ck_assert_int_eq(corun_future_cancel(t), 0);
	ck_assert_int_eq(corun_task_cancelling(t), 1);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t), 0);
	ck_assert_int_eq(c.seen, CORUN_ECANCELED);
	ck_assert_int_eq(c.in_handler, 1);
	ck_assert_int_eq(c.after_uncancel, 0);
	ck_assert(!corun_future_cancelled(t));
	corun_future_unref(t);
}
END_TEST

/* test_tasks.py, BaseTaskTests.test_uncancel_basic */
START_TEST(test_tasks__test_uncancel_basic)
{
	corun_future *t = spawn(sleep_long, NULL);

	corun_loop_run_once(loop, 0);
	corun_future_cancel(t);
	corun_future_cancel(t);
	ck_assert_int_eq(corun_task_cancelling(t), 2);
	ck_assert_int_eq(corun_task_uncancel(t), 1);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t),
	    CORUN_ECANCELED);
	ck_assert_int_eq(corun_task_cancelling(t), 1);
	corun_future_unref(t);
}
END_TEST

/* test_tasks.py, BaseTaskTests.test_shield_shortcut */
START_TEST(test_tasks__test_shield_shortcut)
{
	corun_future *f, *s;

	corun_future_new(loop, &f);
	corun_future_set_result(f, (void *)42, NULL);
	ck_assert_int_eq(corun_shield(f, &s), 0);
	ck_assert_ptr_eq(s, f);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, s), 0);
	ck_assert_ptr_eq(corun_future_result(s, NULL), (void *)42);
	corun_future_unref(s);
	corun_future_unref(f);
}
END_TEST

/* test_waitfor.py, AsyncioWaitForTest.test_wait_for_timeout_less_then_0_or_0 */
START_TEST(test_waitfor__test_wait_for_timeout_less_then_0_or_0)
{
	double timeouts[2] = { 0, -1 };

	for (int i = 0; i < 2; i++) {
		corun_future *t = spawn(sleep_long, NULL), *w;
		uint64_t t0 = corun_loop_now_ns();

		ck_assert_int_eq(corun_wait_for(t, timeouts[i], &w), 0);
		ck_assert_int_eq(corun_loop_run_until_complete(loop, w),
		    CORUN_ETIMEDOUT);
		ck_assert(corun_future_cancelled(t));
		ck_assert_uint_lt(corun_loop_now_ns() - t0, 5000000000u);
		corun_future_unref(w);
		corun_future_unref(t);
	}
}
END_TEST

static int
raise_on_cancel(void *arg)
{
	(void)arg;
	(void)corun_sleep(0.2);
	return CORUN_EPROTO;	/* its own error, in place of the cancel */
}

/* test_waitfor.py, AsyncioWaitForTest.test_wait_for_reraises_exception_during_cancellation */
START_TEST(test_waitfor__test_wait_for_reraises_exception_during_cancellation)
{
	corun_future *t = spawn(raise_on_cancel, NULL), *w;

	ck_assert_int_eq(corun_wait_for(t, 0.001, &w), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, w),
	    CORUN_EPROTO);
	corun_future_unref(w);
	corun_future_unref(t);
}
END_TEST

static int
return_on_cancel(void *arg)
{
	(void)arg;
	if (corun_sleep(0.2) == CORUN_ECANCELED) {
		return corun_future_set_result(corun_task_self(), (void *)42,
		    NULL);
	}
	return CORUN_EFAILED;
}

/*
 * test_waitfor.py (3.10), test_wait_for_raises_timeout_error_if_returned_
 * during_cancellation: since 3.11 (wait_for on asyncio.timeout) the value
 * returned while the cancellation is handled is the result, not a timeout.
 */
START_TEST(test_waitfor__test_wait_for_raises_timeout_error_if_returned_during_cancellation)
{
	corun_future *t = spawn(return_on_cancel, NULL), *w;

	ck_assert_int_eq(corun_wait_for(t, 0.001, &w), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, w), 0);
	ck_assert_ptr_eq(corun_future_result(w, NULL), (void *)42);
	corun_future_unref(w);
	corun_future_unref(t);
}
END_TEST

/* test_tasks.py, FutureGatherTests.test_constructor_empty_sequence_use_running_loop */
START_TEST(test_tasks__test_constructor_empty_sequence_use_running_loop)
{
	corun_future *g;
	size_t n = 9;

	ck_assert_int_eq(corun_gather(loop, NULL, 0, 0, &g), 0);
	ck_assert(corun_future_done(g));
	ck_assert_int_eq(corun_future_status(g), 0);
	corun_gather_futures(g, &n);
	ck_assert_uint_eq(n, 0);
	corun_future_unref(g);
}
END_TEST

/* test_tasks.py, FutureGatherTests.test_one_cancellation */
START_TEST(test_tasks__test_one_cancellation)
{
	corun_future *f[5], *g;
	const char *msg;

	for (int i = 0; i < 5; i++) {
		corun_future_new(loop, &f[i]);
	}
	ck_assert_int_eq(corun_gather(loop, f, 5, 0, &g), 0);
	corun_future_set_result(f[0], NULL, NULL);
	corun_future_cancel(f[1]);
	corun_loop_run_once(loop, 0);
	ck_assert(corun_future_done(g));
	/* Failed with a cancellation error, not cancelled itself. */
	ck_assert(!corun_future_cancelled(g));
	ck_assert_int_eq(corun_future_state(g), CORUN_FUTURE_ERROR);
	ck_assert_int_eq(corun_future_error(g, &msg), CORUN_ECANCELED);
	for (int i = 2; i < 5; i++) {
		corun_future_cancel(f[i]);
	}
	corun_loop_run_once(loop, 0);
	for (int i = 0; i < 5; i++) {
		corun_future_unref(f[i]);
	}
	corun_future_unref(g);
}
END_TEST

/* test_tasks.py, BaseTaskTests.test_cancel_gather_1 */
START_TEST(test_tasks__test_cancel_gather_1)
{
	corun_future *f, *g;

	corun_future_new(loop, &f);
	ck_assert_int_eq(corun_gather(loop, &f, 1, 0, &g), 0);
	corun_future_set_result(f, (void *)5, NULL);
	/* Every child done, gather not yet: cancelling it is refused. */
	ck_assert_int_eq(corun_future_cancel(g), CORUN_ESTATE);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, g), 0);
	ck_assert(!corun_future_cancelled(g));
	corun_future_unref(g);
	corun_future_unref(f);
}
END_TEST

/* test_tasks.py, BaseTaskTests.test_wait_errors */
START_TEST(test_tasks__test_wait_errors)
{
	corun_future *w = NULL;

	ck_assert_int_eq(corun_wait(loop, NULL, 0, CORUN_ALL_COMPLETED,
	    CORUN_NO_TIMEOUT, &w), CORUN_EINVAL);
	ck_assert_ptr_null(w);
}
END_TEST

/* test_tasks.py, BaseTaskTests.test_wait_duplicate_coroutines */
START_TEST(test_tasks__test_wait_duplicate_coroutines)
{
	corun_future *a, *b, *w, *in[3];
	const struct corun_wait_set *s;

	corun_future_new(loop, &a);
	corun_future_new(loop, &b);
	in[0] = a;
	in[1] = a;
	in[2] = b;
	ck_assert_int_eq(corun_wait(loop, in, 3, CORUN_ALL_COMPLETED,
	    CORUN_NO_TIMEOUT, &w), 0);
	corun_future_set_result(a, NULL, NULL);
	corun_future_set_result(b, NULL, NULL);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, w), 0);
	s = corun_wait_result(w);
	ck_assert_uint_eq(s->ndone, 2);
	ck_assert_uint_eq(s->npending, 0);
	corun_future_unref(w);
	corun_future_unref(a);
	corun_future_unref(b);
}
END_TEST

struct ac_arg {
	corun_future **in;
	size_t n;
	int got;
	int last;
};

static int
consume(void *arg)
{
	struct ac_arg *a = arg;
	corun_as_completed *ac;
	corun_future *next;
	int rc;

	rc = corun_as_completed_new(loop, a->in, a->n, CORUN_NO_TIMEOUT, &ac);
	if (rc != 0) {
		return rc;
	}
	while ((rc = corun_as_completed_next(ac, &next)) == 0) {
		a->got++;
	}
	a->last = rc;
	corun_as_completed_free(ac);
	return 0;
}

/* test_tasks.py, BaseTaskTests.test_as_completed_duplicate_coroutines */
START_TEST(test_tasks__test_as_completed_duplicate_coroutines)
{
	corun_future *a, *b, *in[3], *t;
	struct ac_arg arg = { in, 3, 0, 0 };

	corun_future_new(loop, &a);
	corun_future_new(loop, &b);
	in[0] = a;
	in[1] = a;
	in[2] = b;
	t = spawn(consume, &arg);
	corun_future_set_result(a, NULL, NULL);
	corun_future_set_result(b, NULL, NULL);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t), 0);
	ck_assert_int_eq(arg.got, 2);
	ck_assert_int_eq(arg.last, CORUN_EDONE);
	corun_future_unref(t);
	corun_future_unref(a);
	corun_future_unref(b);
}
END_TEST

/* ---- run_coroutine_threadsafe (test_tasks.py,
   RunCoroutineThreadsafeTests) --------------------------------------- */

struct submit {
	corun_task_fn fn;
	double timeout;
	int cancel;
	int status;
	void *result;
	volatile int finished;
};

static int
add_body(void *arg)
{
	(void)arg;
	if (corun_sleep(0.01) != 0) {
		return CORUN_ECANCELED;
	}
	return corun_future_set_result(corun_task_self(), (void *)3, NULL);
}

static int
fail_body(void *arg)
{
	(void)arg;
	(void)corun_sleep(0.01);
	return CORUN_EPROTO;
}

static int
slow_body(void *arg)
{
	(void)arg;
	return corun_sleep(30);
}

static void *
submitter(void *arg)
{
	struct submit *s = arg;
	corun_tfuture *tf;

	s->status = corun_submit_threadsafe(loop, s->fn, NULL, &tf);
	if (s->status == 0) {
		if (s->cancel) {
			corun_tfuture_cancel(tf);
		}
		s->status = corun_tfuture_wait(tf, s->timeout);
		if (s->status == CORUN_ETIMEDOUT) {
			corun_tfuture_cancel(tf);	/* as the Python test */
			corun_tfuture_wait(tf, CORUN_NO_TIMEOUT);
		}
		s->result = corun_tfuture_result(tf);
		corun_tfuture_free(tf);
	}
	s->finished = 1;
	return NULL;
}

static void
run_submit(struct submit *s)
{
	pthread_t th;
	uint64_t t0 = corun_loop_now_ns();

	ck_assert_int_eq(pthread_create(&th, NULL, submitter, s), 0);
	while (!s->finished && corun_loop_now_ns() - t0 < 10000000000u) {
		corun_loop_run_once(loop, 0.005);
	}
	pthread_join(th, NULL);
	ck_assert(s->finished);
	/* Let the release posted by corun_tfuture_free run. */
	corun_loop_run_once(loop, 0);
	corun_loop_run_once(loop, 0);
}

/* test_tasks.py, RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe */
START_TEST(test_tasks__test_run_coroutine_threadsafe)
{
	struct submit s = { add_body, CORUN_NO_TIMEOUT, 0, -1, NULL, 0 };

	run_submit(&s);
	ck_assert_int_eq(s.status, 0);
	ck_assert_ptr_eq(s.result, (void *)3);
}
END_TEST

/* test_tasks.py, RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe_with_exception */
START_TEST(test_tasks__test_run_coroutine_threadsafe_with_exception)
{
	struct submit s = { fail_body, CORUN_NO_TIMEOUT, 0, -1, NULL, 0 };

	run_submit(&s);
	ck_assert_int_eq(s.status, CORUN_EPROTO);
}
END_TEST

/* test_tasks.py, RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe_with_timeout */
START_TEST(test_tasks__test_run_coroutine_threadsafe_with_timeout)
{
	struct submit s = { slow_body, 0.02, 0, -1, NULL, 0 };

	run_submit(&s);
	ck_assert_int_eq(s.status, CORUN_ETIMEDOUT);
	ck_assert_uint_eq(corun_loop_task_count(loop), 0);	/* cancelled */
}
END_TEST

/* test_tasks.py, RunCoroutineThreadsafeTests.test_run_coroutine_threadsafe_task_cancelled */
START_TEST(test_tasks__test_run_coroutine_threadsafe_task_cancelled)
{
	struct submit s = { slow_body, CORUN_NO_TIMEOUT, 1, -1, NULL, 0 };

	run_submit(&s);
	ck_assert_int_eq(s.status, CORUN_ECANCELED);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("aio_tasks");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_tasks__test_cancel_at_end);
	tcase_add_test(tc, test_tasks__test_task_set_methods);
	tcase_add_test(tc, test_tasks__test_cancelling);
	tcase_add_test(tc, test_tasks__test_uncancel_basic);
	tcase_add_test(tc, test_tasks__test_shield_shortcut);
	tcase_add_test(tc, test_waitfor__test_wait_for_timeout_less_then_0_or_0);
	tcase_add_test(tc,
	    test_waitfor__test_wait_for_reraises_exception_during_cancellation);
	tcase_add_test(tc,
	    test_waitfor__test_wait_for_raises_timeout_error_if_returned_during_cancellation);
	tcase_add_test(tc,
	    test_tasks__test_constructor_empty_sequence_use_running_loop);
	tcase_add_test(tc, test_tasks__test_one_cancellation);
	tcase_add_test(tc, test_tasks__test_cancel_gather_1);
	tcase_add_test(tc, test_tasks__test_wait_errors);
	tcase_add_test(tc, test_tasks__test_wait_duplicate_coroutines);
	tcase_add_test(tc, test_tasks__test_as_completed_duplicate_coroutines);
	tcase_add_test(tc, test_tasks__test_run_coroutine_threadsafe);
	tcase_add_test(tc,
	    test_tasks__test_run_coroutine_threadsafe_with_exception);
	tcase_add_test(tc,
	    test_tasks__test_run_coroutine_threadsafe_with_timeout);
	tcase_add_test(tc,
	    test_tasks__test_run_coroutine_threadsafe_task_cancelled);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
