/* SPDX-License-Identifier: MIT */
/*
 * test_executor.c - run_in_executor: wake-ups, threads, cancellation,
 * destructors, pool size, and the blocking-call trap it exists to avoid.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <corun/corun.h>

#include "check-util.h"

static corun_loop *loop;
static pthread_t main_thread;

/* Counters the tests share; reset for each (CK_FORK=no runs them in turn). */
static int fn_ran, cb_ran, resumed, dtor_calls, started, ran_after;

static void
setup(void)
{
	fn_ran = cb_ran = resumed = dtor_calls = started = ran_after = 0;
	ck_assert_int_eq(corun_loop_new(&loop), 0);
	main_thread = pthread_self();
}

static void
teardown(void)
{
	corun_loop_free(loop);
	loop = NULL;
}

static double
ms_since(uint64_t t0)
{
	return (double)(corun_loop_now_ns() - t0) / 1e6;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
		continue;
	}
}

/* ---- wake-up and threads ---------------------------------------------- */

static pthread_t fn_thread, cb_thread;
static void *awaited_value;

static int
record_fn(void *arg, void **result)
{
	fn_thread = pthread_self();
	__atomic_add_fetch(&fn_ran, 1, __ATOMIC_SEQ_CST);
	sleep_ms(20);
	*result = arg;
	return 0;
}

static void
record_cb(corun_future *f, void *arg)
{
	cb_thread = pthread_self();
	cb_ran = corun_future_status(f) == 0 ? 1 : -1;
}

static int
awaiter(void *arg)
{
	corun_future *f;
	int rc;

	ck_assert_int_eq(corun_run_in_executor(loop, record_fn, arg, NULL, &f),
	    0);
	ck_assert_int_eq(corun_future_add_done_callback(f, record_cb, NULL),
	    0);
	rc = corun_await(f);
	awaited_value = corun_future_result(f, NULL);
	corun_future_unref(f);
	resumed = 1;
	return rc;
}

START_TEST(test_wakeup_on_loop_thread)
{
	corun_future *t;

	ck_assert_uint_eq(corun_loop_executor_threads(loop), 0);
	ck_assert_int_eq(corun_task_spawn(loop, awaiter, (void *)0x1234, NULL,
	    &t), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t), 0);
	ck_assert_int_eq(corun_future_status(t), 0);
	ck_assert_int_eq(resumed, 1);
	ck_assert_ptr_eq(awaited_value, (void *)0x1234);
	ck_assert_int_eq(fn_ran, 1);
	ck_assert(!pthread_equal(fn_thread, main_thread));
	/* The callback may run after the task resumed; give it its turn. */
	while (cb_ran == 0) {
		corun_loop_run_once(loop, 0.01);
	}
	ck_assert_int_eq(cb_ran, 1);
	ck_assert(pthread_equal(cb_thread, main_thread));
	ck_assert_uint_eq(corun_loop_executor_threads(loop), 4);
	corun_future_unref(t);
}
END_TEST

/* ---- many calls, errors ----------------------------------------------- */

static int
square_fn(void *arg, void **result)
{
	intptr_t v = (intptr_t)arg;

	*result = (void *)(v * v);
	return 0;
}

START_TEST(test_many_calls)
{
	enum { N = 300 };
	corun_future *f[N];
	intptr_t i;

	for (i = 0; i < N; i++) {
		ck_assert_int_eq(corun_run_in_executor(loop, square_fn,
		    (void *)i, NULL, &f[i]), 0);
	}
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(corun_loop_run_until_complete(loop, f[i]), 0);
		ck_assert_int_eq(corun_future_status(f[i]), 0);
		ck_assert_ptr_eq(corun_future_result(f[i], NULL),
		    (void *)(i * i));
		corun_future_unref(f[i]);
	}
}
END_TEST

static void
count_dtor(void *p)
{
	dtor_calls++;
	free(p);
}

static int
fail_with_result(void *arg, void **result)
{
	*result = malloc(16);
	return CORUN_EPROTO;
}

START_TEST(test_error_drops_result)
{
	corun_future *f;
	const char *msg = NULL;

	ck_assert_int_eq(corun_run_in_executor(loop, fail_with_result, NULL,
	    count_dtor, &f), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, f), CORUN_EPROTO);
	ck_assert_int_eq(corun_future_status(f), CORUN_EPROTO);
	ck_assert_int_eq(corun_future_error(f, &msg), CORUN_EPROTO);
	ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(dtor_calls, 1);
	corun_future_unref(f);
	ck_assert_int_eq(dtor_calls, 1);
}
END_TEST

static int
alloc_fn(void *arg, void **result)
{
	*result = malloc(32);
	return 0;
}

START_TEST(test_result_dtor_on_free)
{
	corun_future *f;

	ck_assert_int_eq(corun_run_in_executor(loop, alloc_fn, NULL,
	    count_dtor, &f), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, f), 0);
	ck_assert_int_eq(corun_future_status(f), 0);
	ck_assert_int_eq(dtor_calls, 0);
	corun_future_unref(f);
	ck_assert_int_eq(dtor_calls, 1);
}
END_TEST

/* ---- cancellation ----------------------------------------------------- */

static int
slow_fn(void *arg, void **result)
{
	__atomic_store_n(&started, 1, __ATOMIC_SEQ_CST);
	sleep_ms((long)(intptr_t)arg);
	*result = malloc(8);
	return 0;
}

static int
mark_fn(void *arg, void **result)
{
	__atomic_add_fetch(&ran_after, 1, __ATOMIC_SEQ_CST);
	return 0;
}

START_TEST(test_cancel_before_start)
{
	corun_future *a, *b, *c;

	ck_assert_int_eq(corun_loop_set_executor_threads(loop, 1), 0);
	ck_assert_int_eq(corun_run_in_executor(loop, slow_fn, (void *)50,
	    count_dtor, &a), 0);
	ck_assert_int_eq(corun_run_in_executor(loop, mark_fn, NULL, NULL, &b),
	    0);
	ck_assert_int_eq(corun_run_in_executor(loop, mark_fn, NULL, NULL, &c),
	    0);
	/* The one thread is busy with a (or about to be): b is queued. */
	ck_assert_int_eq(corun_future_cancel(b), 0);
	ck_assert(corun_future_cancelled(b));
	ck_assert_int_eq(corun_future_cancel(b), CORUN_ESTATE);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, c), 0);
	ck_assert_int_eq(corun_future_status(a), 0);
	ck_assert_int_eq(corun_future_status(c), 0);
	/* c ran after a, in FIFO order; b was skipped for good. */
	ck_assert_int_eq(__atomic_load_n(&ran_after, __ATOMIC_SEQ_CST), 1);
	ck_assert(corun_future_cancelled(b));
	corun_future_unref(a);
	corun_future_unref(b);
	corun_future_unref(c);
	ck_assert_int_eq(dtor_calls, 1);
}
END_TEST

START_TEST(test_cancel_running_drops_result)
{
	corun_future *a, *c;

	ck_assert_int_eq(corun_loop_set_executor_threads(loop, 1), 0);
	ck_assert_int_eq(corun_run_in_executor(loop, slow_fn, (void *)60,
	    count_dtor, &a), 0);
	ck_assert_int_eq(corun_run_in_executor(loop, mark_fn, NULL, NULL, &c),
	    0);
	while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST)) {
		sleep_ms(1);
	}
	/* Running: the future is cancelled now, the call still finishes. */
	ck_assert_int_eq(corun_future_cancel(a), 0);
	ck_assert(corun_future_cancelled(a));
	corun_future_unref(a);
	ck_assert_int_eq(dtor_calls, 0);
	/* c runs after a on the single thread, so a has returned by then. */
	ck_assert_int_eq(corun_loop_run_until_complete(loop, c), 0);
	ck_assert_int_eq(dtor_calls, 1);
	ck_assert_int_eq(ran_after, 1);
	corun_future_unref(c);
}
END_TEST

/* ---- pool size -------------------------------------------------------- */

static int busy, max_busy;

static int
concurrency_fn(void *arg, void **result)
{
	int now = __atomic_add_fetch(&busy, 1, __ATOMIC_SEQ_CST);
	int seen = __atomic_load_n(&max_busy, __ATOMIC_SEQ_CST);

	while (now > seen && !__atomic_compare_exchange_n(&max_busy, &seen,
	    now, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		continue;
	}
	sleep_ms(40);
	__atomic_sub_fetch(&busy, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static int
max_concurrency(int ncalls)
{
	corun_future *f[16];
	int i;

	max_busy = 0;
	for (i = 0; i < ncalls; i++) {
		ck_assert_int_eq(corun_run_in_executor(loop, concurrency_fn,
		    NULL, NULL, &f[i]), 0);
	}
	for (i = 0; i < ncalls; i++) {
		ck_assert_int_eq(corun_loop_run_until_complete(loop, f[i]), 0);
		ck_assert_int_eq(corun_future_status(f[i]), 0);
		corun_future_unref(f[i]);
	}
	return max_busy;
}

START_TEST(test_thread_count)
{
	ck_assert_int_eq(corun_loop_set_executor_threads(loop, 0),
	    CORUN_EINVAL);
	ck_assert_int_eq(corun_loop_set_executor_threads(loop, 257),
	    CORUN_EINVAL);
	ck_assert_int_eq(corun_loop_set_executor_threads(loop, 2), 0);
	ck_assert_uint_eq(corun_loop_executor_threads(loop), 0);
	ck_assert_int_eq(max_concurrency(6), 2);
	ck_assert_uint_eq(corun_loop_executor_threads(loop), 2);
	/* Grow. */
	ck_assert_int_eq(corun_loop_set_executor_threads(loop, 3), 0);
	ck_assert_uint_eq(corun_loop_executor_threads(loop), 3);
	ck_assert_int_eq(max_concurrency(9), 3);
	/* Shrink: idle threads leave. */
	ck_assert_int_eq(corun_loop_set_executor_threads(loop, 1), 0);
	ck_assert_uint_eq(corun_loop_executor_threads(loop), 1);
	ck_assert_int_eq(max_concurrency(4), 1);
}
END_TEST

/* ---- loop free with calls in flight ----------------------------------- */

START_TEST(test_free_with_calls_in_flight)
{
	corun_future *f;
	int i;

	ck_assert_int_eq(corun_loop_set_executor_threads(loop, 1), 0);
	ck_assert_int_eq(corun_run_in_executor(loop, slow_fn, (void *)50,
	    count_dtor, &f), 0);
	corun_future_unref(f);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(corun_run_in_executor(loop, mark_fn, NULL,
		    NULL, &f), 0);
		corun_future_unref(f);
	}
	while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST)) {
		sleep_ms(1);
	}
	/* Waits for the running call, drops its result, frees the queue. */
	corun_loop_free(loop);
	loop = NULL;
	ck_assert_int_eq(dtor_calls, 1);
	ck_assert_int_eq(ran_after, 0);
}
END_TEST

/* ---- the blocking trap ------------------------------------------------ */

static uint64_t t0;
static double b_fired_ms;

static int
blocking_200ms(void *arg, void **result)
{
	sleep_ms(200);
	return 0;
}

static int
timer_task(void *arg)
{
	int rc = corun_sleep(0.02);

	b_fired_ms = ms_since(t0);
	return rc;
}

static int
block_directly(void *arg)
{
	return blocking_200ms(NULL, NULL);
}

static int
block_offloaded(void *arg)
{
	corun_future *f;
	int rc;

	if ((rc = corun_run_in_executor(loop, blocking_200ms, NULL, NULL,
	    &f)) != 0) {
		return rc;
	}
	rc = corun_await(f);
	corun_future_unref(f);
	return rc;
}

static double
run_pair(corun_task_fn blocker)
{
	corun_future *a, *b;

	b_fired_ms = -1;
	t0 = corun_loop_now_ns();
	ck_assert_int_eq(corun_task_spawn(loop, timer_task, NULL, NULL, &b),
	    0);
	ck_assert_int_eq(corun_task_spawn(loop, blocker, NULL, NULL, &a), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, a), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, b), 0);
	ck_assert_int_eq(corun_future_status(a), 0);
	ck_assert_int_eq(corun_future_status(b), 0);
	corun_future_unref(a);
	corun_future_unref(b);
	return b_fired_ms;
}

START_TEST(test_blocking_trap)
{
	double late = run_pair(block_directly);
	double on_time = run_pair(block_offloaded);

	/* One blocking call stalls every task of the loop... */
	ck_assert_msg(late >= 150, "blocked timer fired at %.1f ms", late);
	/* ...the executor keeps the loop free. */
	ck_assert_msg(on_time >= 15 && on_time < 120,
	    "offloaded timer fired at %.1f ms", on_time);
}
END_TEST

static Suite *
executor_suite(void)
{
	Suite *s = suite_create("executor");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_wakeup_on_loop_thread);
	tcase_add_test(tc, test_many_calls);
	tcase_add_test(tc, test_error_drops_result);
	tcase_add_test(tc, test_result_dtor_on_free);
	tcase_add_test(tc, test_cancel_before_start);
	tcase_add_test(tc, test_cancel_running_drops_result);
	tcase_add_test(tc, test_thread_count);
	tcase_add_test(tc, test_free_with_calls_in_flight);
	tcase_add_test(tc, test_blocking_trap);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(executor_suite());
}
