/* SPDX-License-Identifier: MIT */
/*
 * test_aio_timeouts.c - CPython's Lib/test/test_asyncio/test_timeouts.py
 * (class TimeoutTests), ported to libcorun's timeout scopes.  Each test is
 * named test_timeouts__<python method>.  Each Python case is an async
 * method: here its body runs in a task and ends by returning the status
 * the Python code would raise (0 for none).  Not ported (libcorun(3)): the
 * repr tests, the exception-chaining one, and the enter-twice / reschedule
 * before enter ones, which the C API cannot express (a scope exists only
 * once entered).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

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

/* Run body in a task; return the task's status. */
static int
run_task(corun_task_fn body, void *arg)
{
	corun_future *t;
	int rc;

	ck_assert_int_eq(corun_task_spawn(loop, body, arg, NULL, &t), 0);
	rc = corun_loop_run_until_complete(loop, t);
	ck_assert_int_eq(rc, corun_future_status(t));
	corun_future_unref(t);
	return rc;
}

static corun_timeout *cm, *cm2;

static int
basic(void *arg)
{
	int rc;

	(void)arg;
	ck_assert_int_eq(corun_timeout_enter(0.01, &cm), 0);
	rc = corun_sleep(10);
	ck_assert_int_eq(rc, CORUN_ECANCELED);	/* test_waiter_cancelled */
	return corun_timeout_exit(cm, rc);
}

/* test_timeouts.py, TimeoutTests.test_timeout_basic */
START_TEST(test_timeouts__test_timeout_basic)
{
	ck_assert_int_eq(run_task(basic, NULL), CORUN_ETIMEDOUT);
	ck_assert(corun_timeout_expired(cm));
	corun_timeout_free(cm);
}
END_TEST

/* test_timeouts.py, TimeoutTests.test_waiter_cancelled */
START_TEST(test_timeouts__test_waiter_cancelled)
{
	/* basic() asserts the sleep inside saw the cancellation. */
	ck_assert_int_eq(run_task(basic, NULL), CORUN_ETIMEDOUT);
	corun_timeout_free(cm);
}
END_TEST

static double deadline;

static int
at_basic(void *arg)
{
	(void)arg;
	deadline = corun_loop_time(loop) + 0.01;
	ck_assert_int_eq(corun_timeout_enter_at(deadline, &cm), 0);
	return corun_timeout_exit(cm, corun_sleep(10));
}

/* test_timeouts.py, TimeoutTests.test_timeout_at_basic */
START_TEST(test_timeouts__test_timeout_at_basic)
{
	ck_assert_int_eq(run_task(at_basic, NULL), CORUN_ETIMEDOUT);
	ck_assert(corun_timeout_expired(cm));
	ck_assert(corun_timeout_when(cm) == deadline);
	corun_timeout_free(cm);
}
END_TEST

static int
nested(void *arg)
{
	int rc, *cancelled = arg;

	deadline = corun_loop_time(loop) + 0.01;
	ck_assert_int_eq(corun_timeout_enter_at(deadline, &cm), 0);
	ck_assert_int_eq(corun_timeout_enter_at(deadline, &cm2), 0);
	rc = corun_timeout_exit(cm2, corun_sleep(10));
	/* Only the outermost turns it into a timeout. */
	*cancelled = rc == CORUN_ECANCELED;
	return corun_timeout_exit(cm, rc);
}

/* test_timeouts.py, TimeoutTests.test_nested_timeouts */
START_TEST(test_timeouts__test_nested_timeouts)
{
	int cancelled = 0;

	ck_assert_int_eq(run_task(nested, &cancelled), CORUN_ETIMEDOUT);
	ck_assert(cancelled);
	ck_assert(corun_timeout_expired(cm));
	ck_assert(corun_timeout_expired(cm2));
	corun_timeout_free(cm);
	corun_timeout_free(cm2);
}
END_TEST

static int
not_called(void *arg)
{
	double *t1 = arg;
	int rc;

	ck_assert_int_eq(corun_timeout_enter(10, &cm), 0);
	rc = corun_timeout_exit(cm, corun_sleep(0.01));
	*t1 = corun_loop_time(loop);
	return rc;
}

/* test_timeouts.py, TimeoutTests.test_timeout_not_called */
START_TEST(test_timeouts__test_timeout_not_called)
{
	double t1 = 0;

	ck_assert_int_eq(run_task(not_called, &t1), 0);
	ck_assert(!corun_timeout_expired(cm));
	ck_assert(corun_timeout_when(cm) > t1);
	corun_timeout_free(cm);
}
END_TEST

static int
disabled(void *arg)
{
	int at = (int)(intptr_t)arg;

	if (at) {
		ck_assert_int_eq(corun_timeout_enter_at(CORUN_NO_TIMEOUT,
		    &cm), 0);
	} else {
		ck_assert_int_eq(corun_timeout_enter(CORUN_NO_TIMEOUT, &cm),
		    0);
	}
	return corun_timeout_exit(cm, corun_sleep(0.01));
}

/* test_timeouts.py, TimeoutTests.test_timeout_disabled */
START_TEST(test_timeouts__test_timeout_disabled)
{
	ck_assert_int_eq(run_task(disabled, (void *)0), 0);
	ck_assert(!corun_timeout_expired(cm));
	ck_assert(isinf(corun_timeout_when(cm)));
	corun_timeout_free(cm);
}
END_TEST

/* test_timeouts.py, TimeoutTests.test_timeout_at_disabled */
START_TEST(test_timeouts__test_timeout_at_disabled)
{
	ck_assert_int_eq(run_task(disabled, (void *)1), 0);
	ck_assert(!corun_timeout_expired(cm));
	ck_assert(isinf(corun_timeout_when(cm)));
	corun_timeout_free(cm);
}
END_TEST

struct zero {
	double delay, sleep, t0, t1;
};

static int
zero(void *arg)
{
	struct zero *z = arg;
	int rc;

	z->t0 = corun_loop_time(loop);
	ck_assert_int_eq(corun_timeout_enter(z->delay, &cm), 0);
	rc = corun_timeout_exit(cm, corun_sleep(z->sleep));
	z->t1 = corun_loop_time(loop);
	return rc;
}

/* test_timeouts.py, TimeoutTests.test_timeout_zero */
START_TEST(test_timeouts__test_timeout_zero)
{
	struct zero z = { 0, 10, 0, 0 };
	uint64_t t0 = corun_loop_now_ns();

	ck_assert_int_eq(run_task(zero, &z), CORUN_ETIMEDOUT);
	ck_assert(corun_timeout_expired(cm));
	ck_assert(z.t0 <= corun_timeout_when(cm));
	ck_assert(corun_timeout_when(cm) <= z.t1);
	ck_assert_uint_lt(corun_loop_now_ns() - t0, 5000000000u);
	corun_timeout_free(cm);
}
END_TEST

/* test_timeouts.py, TimeoutTests.test_timeout_zero_sleep_zero */
START_TEST(test_timeouts__test_timeout_zero_sleep_zero)
{
	struct zero z = { 0, 0, 0, 0 };

	ck_assert_int_eq(run_task(zero, &z), CORUN_ETIMEDOUT);
	ck_assert(corun_timeout_expired(cm));
	ck_assert(z.t0 <= corun_timeout_when(cm));
	ck_assert(corun_timeout_when(cm) <= z.t1);
	corun_timeout_free(cm);
}
END_TEST

/* test_timeouts.py, TimeoutTests.test_timeout_in_the_past_sleep_zero */
START_TEST(test_timeouts__test_timeout_in_the_past_sleep_zero)
{
	struct zero z = { -11, 0, 0, 0 };

	ck_assert_int_eq(run_task(zero, &z), CORUN_ETIMEDOUT);
	ck_assert(corun_timeout_expired(cm));
	ck_assert(z.t0 >= corun_timeout_when(cm));
	corun_timeout_free(cm);
}
END_TEST

static int
foreign_error(void *arg)
{
	(void)arg;
	ck_assert_int_eq(corun_timeout_enter(0.01, &cm), 0);
	return corun_timeout_exit(cm, CORUN_EPROTO);	/* "raise KeyError" */
}

/* test_timeouts.py, TimeoutTests.test_foreign_exception_passed */
START_TEST(test_timeouts__test_foreign_exception_passed)
{
	ck_assert_int_eq(run_task(foreign_error, NULL), CORUN_EPROTO);
	ck_assert(!corun_timeout_expired(cm));
	corun_timeout_free(cm);
}
END_TEST

static int
crash(void *arg)
{
	(void)arg;
	(void)corun_sleep(1);
	return CORUN_ERANGE;	/* its finally block fails: "1/0" */
}

static int
foreign_on_timeout(void *arg)
{
	corun_future *t;
	int rc;

	(void)arg;
	ck_assert_int_eq(corun_timeout_enter(0.01, &cm), 0);
	ck_assert_int_eq(corun_task_spawn(loop, crash, NULL, NULL, &t), 0);
	rc = corun_await(t);
	/* The inner task's own error, which the cancellation caused. */
	if (rc == CORUN_ECANCELED && corun_future_done(t)) {
		rc = corun_future_status(t);
	}
	corun_future_unref(t);
	return corun_timeout_exit(cm, rc);
}

/* test_timeouts.py, TimeoutTests.test_foreign_exception_on_timeout */
START_TEST(test_timeouts__test_foreign_exception_on_timeout)
{
	ck_assert_int_eq(run_task(foreign_on_timeout, NULL), CORUN_ERANGE);
	corun_timeout_free(cm);
}
END_TEST

static int
foreign_cancel(void *arg)
{
	(void)arg;
	ck_assert_int_eq(corun_timeout_enter(10, &cm), 0);
	corun_future_cancel(corun_task_self());
	return corun_timeout_exit(cm, corun_sleep(10));
}

/* test_timeouts.py, TimeoutTests.test_foreign_cancel_doesnt_timeout_if_not_expired */
START_TEST(test_timeouts__test_foreign_cancel_doesnt_timeout_if_not_expired)
{
	ck_assert_int_eq(run_task(foreign_cancel, NULL), CORUN_ECANCELED);
	ck_assert(!corun_timeout_expired(cm));
	corun_timeout_free(cm);
}
END_TEST

static int
outer(void *arg)
{
	(void)arg;
	ck_assert_int_eq(corun_timeout_enter(0.001, &cm), 0);
	ck_assert_int_eq(corun_timeout_exit(cm, corun_sleep(10)),
	    CORUN_ETIMEDOUT);
	corun_timeout_free(cm);
	return 0;
}

/* test_timeouts.py, TimeoutTests.test_outer_task_is_not_cancelled */
START_TEST(test_timeouts__test_outer_task_is_not_cancelled)
{
	corun_future *t;

	ck_assert_int_eq(corun_task_spawn(loop, outer, NULL, NULL, &t), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t), 0);
	ck_assert(!corun_future_cancelled(t));
	ck_assert(corun_future_done(t));
	ck_assert_int_eq(corun_task_cancelling(t), 0);
	corun_future_unref(t);
}
END_TEST

static void
busy_sleep(double s)
{
	struct timespec ts = { 0, (long)(s * 1e9) };

	nanosleep(&ts, NULL);
}

static int
loop_busy(void *arg)
{
	int rc;

	(void)arg;
	ck_assert_int_eq(corun_timeout_enter(0.1, &cm), 0);
	ck_assert_int_eq(corun_timeout_enter(0.01, &cm2), 0);
	busy_sleep(0.1);	/* the loop is busy for a while */
	/*
	 * Both deadlines have passed by the next iteration: the inner scope
	 * sees a cancellation that is not only its own and passes it on (in
	 * Python the CancelledError goes through the inner assertRaises);
	 * had it expired alone, the sleep after it is cut by the outer one.
	 */
	rc = corun_timeout_exit(cm2, corun_sleep(1));
	if (rc == CORUN_ETIMEDOUT) {
		rc = corun_sleep(10);
	}
	return corun_timeout_exit(cm, rc);
}

/* test_timeouts.py, TimeoutTests.test_nested_timeouts_loop_busy */
START_TEST(test_timeouts__test_nested_timeouts_loop_busy)
{
	double t0 = corun_loop_time(loop), t1;

	ck_assert_int_eq(run_task(loop_busy, NULL), CORUN_ETIMEDOUT);
	t1 = corun_loop_time(loop);
	ck_assert(t0 <= t1 && t1 <= t0 + 5);
	corun_timeout_free(cm);
	corun_timeout_free(cm2);
}
END_TEST

static int
reschedule_body(void *arg)
{
	corun_future *fut = arg;

	ck_assert_int_eq(corun_timeout_enter_at(deadline, &cm), 0);
	corun_future_set_result(fut, cm, NULL);
	return corun_timeout_exit(cm, corun_sleep(50));
}

/* test_timeouts.py, TimeoutTests.test_reschedule */
START_TEST(test_timeouts__test_reschedule)
{
	corun_future *fut, *t;
	corun_timeout *got;
	double deadline2;

	deadline = corun_loop_time(loop) + 10;
	deadline2 = deadline + 20;
	corun_future_new(loop, &fut);
	corun_task_spawn(loop, reschedule_body, fut, NULL, &t);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, fut), 0);
	got = corun_future_result(fut, NULL);
	ck_assert(corun_timeout_when(got) == deadline);
	ck_assert_int_eq(corun_timeout_reschedule(got, deadline2), 0);
	ck_assert(corun_timeout_when(got) == deadline2);
	ck_assert_int_eq(corun_timeout_reschedule(got, CORUN_NO_TIMEOUT), 0);
	ck_assert(isinf(corun_timeout_when(got)));
	corun_future_cancel(t);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t),
	    CORUN_ECANCELED);
	ck_assert(!corun_timeout_expired(got));
	corun_timeout_free(got);
	corun_future_unref(t);
	corun_future_unref(fut);
}
END_TEST

static int
in_finally(void *arg)
{
	int rc;

	(void)arg;
	ck_assert_int_eq(corun_timeout_enter(0.01, &cm), 0);
	rc = corun_sleep(1);
	/* The finally block: a scope of its own, which expires too. */
	ck_assert_int_eq(corun_timeout_enter(0.01, &cm2), 0);
	ck_assert_int_eq(corun_timeout_exit(cm2, corun_sleep(10)),
	    CORUN_ETIMEDOUT);
	return corun_timeout_exit(cm, rc);
}

/* test_timeouts.py, TimeoutTests.test_nested_timeout_in_finally */
START_TEST(test_timeouts__test_nested_timeout_in_finally)
{
	ck_assert_int_eq(run_task(in_finally, NULL), CORUN_ETIMEDOUT);
	corun_timeout_free(cm);
	corun_timeout_free(cm2);
}
END_TEST

static int
after_cancellation(void *arg)
{
	int cancel_inside = (int)(intptr_t)arg;

	corun_future_cancel(corun_task_self());
	ck_assert_int_eq(corun_sleep(1), CORUN_ECANCELED);	/* handled */
	ck_assert_int_eq(corun_timeout_enter(cancel_inside ? 1.0 : 0.0, &cm),
	    0);
	if (cancel_inside) {
		corun_future_cancel(corun_task_self());
	}
	return corun_timeout_exit(cm, corun_sleep(cancel_inside ? 2 : 1));
}

/* test_timeouts.py, TimeoutTests.test_timeout_after_cancellation */
START_TEST(test_timeouts__test_timeout_after_cancellation)
{
	ck_assert_int_eq(run_task(after_cancellation, (void *)0),
	    CORUN_ETIMEDOUT);
	corun_timeout_free(cm);
}
END_TEST

/* test_timeouts.py, TimeoutTests.test_cancel_in_timeout_after_cancellation */
START_TEST(test_timeouts__test_cancel_in_timeout_after_cancellation)
{
	ck_assert_int_eq(run_task(after_cancellation, (void *)1),
	    CORUN_ECANCELED);
	corun_timeout_free(cm);
}
END_TEST

static int
finished(void *arg)
{
	(void)arg;
	ck_assert_int_eq(corun_timeout_enter(0.01, &cm), 0);
	return corun_timeout_exit(cm, 0);
}

/* test_timeouts.py, TimeoutTests.test_timeout_finished */
START_TEST(test_timeouts__test_timeout_finished)
{
	ck_assert_int_eq(run_task(finished, NULL), 0);
	ck_assert_int_eq(corun_timeout_reschedule(cm, 0.02), CORUN_ESTATE);
	ck_assert_int_eq(corun_timeout_exit(cm, 0), CORUN_ESTATE);
	corun_timeout_free(cm);
}
END_TEST

/* test_timeouts.py, TimeoutTests.test_timeout_without_task */
START_TEST(test_timeouts__test_timeout_without_task)
{
	corun_timeout *tm = NULL;

	ck_assert_int_eq(corun_timeout_enter(0.01, &tm), CORUN_ENOTCO);
	ck_assert_ptr_null(tm);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("aio_timeouts");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_timeouts__test_timeout_basic);
	tcase_add_test(tc, test_timeouts__test_timeout_at_basic);
	tcase_add_test(tc, test_timeouts__test_nested_timeouts);
	tcase_add_test(tc, test_timeouts__test_waiter_cancelled);
	tcase_add_test(tc, test_timeouts__test_timeout_not_called);
	tcase_add_test(tc, test_timeouts__test_timeout_disabled);
	tcase_add_test(tc, test_timeouts__test_timeout_at_disabled);
	tcase_add_test(tc, test_timeouts__test_timeout_zero);
	tcase_add_test(tc, test_timeouts__test_timeout_zero_sleep_zero);
	tcase_add_test(tc, test_timeouts__test_timeout_in_the_past_sleep_zero);
	tcase_add_test(tc, test_timeouts__test_foreign_exception_passed);
	tcase_add_test(tc, test_timeouts__test_foreign_exception_on_timeout);
	tcase_add_test(tc,
	    test_timeouts__test_foreign_cancel_doesnt_timeout_if_not_expired);
	tcase_add_test(tc, test_timeouts__test_outer_task_is_not_cancelled);
	tcase_add_test(tc, test_timeouts__test_nested_timeouts_loop_busy);
	tcase_add_test(tc, test_timeouts__test_reschedule);
	tcase_add_test(tc, test_timeouts__test_nested_timeout_in_finally);
	tcase_add_test(tc, test_timeouts__test_timeout_after_cancellation);
	tcase_add_test(tc,
	    test_timeouts__test_cancel_in_timeout_after_cancellation);
	tcase_add_test(tc, test_timeouts__test_timeout_finished);
	tcase_add_test(tc, test_timeouts__test_timeout_without_task);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
