/* SPDX-License-Identifier: MIT */
/*
 * test_aio_futures.c - CPython's asyncio test cases for futures and the
 * event loop, ported to libcorun.  Each test is named
 * <python file>__<python test method>; the comment above it gives the
 * file, class and method it follows.  The cases C cannot express are
 * listed in libcorun(3), ASYNCIO COMPATIBILITY.
 */
#include <stdint.h>
#include <stdio.h>
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

/* A bag of integers that callbacks append to. */
struct bag {
	int v[16];
	int n;
};

struct bag_cb {
	struct bag *bag;
	int thing;
};

static void
bag_appender(corun_future *f, void *arg)
{
	struct bag_cb *c = arg;

	(void)f;
	c->bag->v[c->bag->n++] = c->thing;
}

/* test_futures.py, BaseFutureDoneCallbackTests.test_callbacks_remove_first_callback */
START_TEST(test_futures__test_callbacks_remove_first_callback)
{
	struct bag bag = { { 0 }, 0 };
	struct bag_cb c1 = { &bag, 42 }, c2 = { &bag, 17 }, c3 = { &bag, 100 };
	corun_future *f;

	corun_future_new(loop, &f);
	corun_future_add_done_callback(f, bag_appender, &c1);
	corun_future_add_done_callback(f, bag_appender, &c2);
	corun_future_add_done_callback(f, bag_appender, &c3);
	ck_assert_int_eq(corun_future_remove_done_callback(f, bag_appender,
	    &c1), 1);
	ck_assert_int_eq(corun_future_remove_done_callback(f, bag_appender,
	    &c1), 0);
	ck_assert_int_eq(bag.n, 0);
	corun_future_set_result(f, "foo", NULL);
	corun_loop_run_once(loop, 0);
	ck_assert_int_eq(bag.n, 2);
	ck_assert_int_eq(bag.v[0], 17);
	ck_assert_int_eq(bag.v[1], 100);
	ck_assert_str_eq(corun_future_result(f, NULL), "foo");
	corun_future_unref(f);
}
END_TEST

/* test_futures.py, BaseFutureDoneCallbackTests.test_callbacks_remove_third_callback */
START_TEST(test_futures__test_callbacks_remove_third_callback)
{
	struct bag bag = { { 0 }, 0 };
	struct bag_cb c1 = { &bag, 42 }, c2 = { &bag, 17 }, c3 = { &bag, 100 };
	corun_future *f;

	corun_future_new(loop, &f);
	corun_future_add_done_callback(f, bag_appender, &c1);
	corun_future_add_done_callback(f, bag_appender, &c2);
	corun_future_add_done_callback(f, bag_appender, &c3);
	corun_future_remove_done_callback(f, bag_appender, &c3);
	corun_future_remove_done_callback(f, bag_appender, &c3);
	corun_future_set_result(f, "foo", NULL);
	corun_loop_run_once(loop, 0);
	ck_assert_int_eq(bag.n, 2);
	ck_assert_int_eq(bag.v[0], 42);
	ck_assert_int_eq(bag.v[1], 17);
	corun_future_unref(f);
}
END_TEST

/* test_futures.py, BaseFutureDoneCallbackTests.test_remove_done_callback */
START_TEST(test_futures__test_remove_done_callback)
{
	struct bag bag = { { 0 }, 0 };
	struct bag_cb c1 = { &bag, 1 }, c2 = { &bag, 2 }, c3 = { &bag, 3 };
	corun_future *f;

	corun_future_new(loop, &f);
	corun_future_add_done_callback(f, bag_appender, &c1);
	corun_future_add_done_callback(f, bag_appender, &c2);
	ck_assert_int_eq(corun_future_remove_done_callback(f, bag_appender,
	    &c2), 1);
	ck_assert_int_eq(corun_future_remove_done_callback(f, bag_appender,
	    &c3), 0);
	corun_future_add_done_callback(f, bag_appender, &c2);
	for (int i = 0; i < 5; i++) {
		corun_future_add_done_callback(f, bag_appender, &c1);
	}
	ck_assert_int_eq(corun_future_remove_done_callback(f, bag_appender,
	    &c1), 6);
	corun_future_set_result(f, "foo", NULL);
	corun_loop_run_once(loop, 0);
	ck_assert_int_eq(bag.n, 1);
	ck_assert_int_eq(bag.v[0], 2);
	/* Done: the callbacks are scheduled, nothing left to remove. */
	corun_future_add_done_callback(f, bag_appender, &c3);
	ck_assert_int_eq(corun_future_remove_done_callback(f, bag_appender,
	    &c3), 0);
	corun_loop_run_once(loop, 0);
	ck_assert_int_eq(bag.n, 2);
	ck_assert_int_eq(bag.v[1], 3);
	corun_future_unref(f);
}
END_TEST

static void
remove_siblings(corun_future *f, void *arg)
{
	struct bag_cb *c = arg;

	corun_future_remove_done_callback(f, bag_appender, c);
}

/* test_futures.py, BaseFutureDoneCallbackTests.test_schedule_callbacks_list_mutation_1 */
START_TEST(test_futures__test_schedule_callbacks_list_mutation_1)
{
	struct bag bag = { { 0 }, 0 };
	struct bag_cb c = { &bag, 5 };
	corun_future *f;

	corun_future_new(loop, &f);
	corun_future_add_done_callback(f, remove_siblings, &c);
	corun_future_add_done_callback(f, bag_appender, &c);
	corun_future_add_done_callback(f, bag_appender, &c);
	corun_future_set_result(f, NULL, NULL);
	corun_loop_run_once(loop, 0);
	/* Already scheduled when the first one ran: both still run. */
	ck_assert_int_eq(bag.n, 2);
	corun_future_unref(f);
}
END_TEST

/* test_futures.py, BaseFutureTests.test_cancel */
START_TEST(test_futures__test_cancel)
{
	corun_future *f;

	corun_future_new(loop, &f);
	ck_assert_int_eq(corun_future_cancel(f), 0);
	ck_assert(corun_future_cancelled(f));
	ck_assert(corun_future_done(f));
	ck_assert_int_eq(corun_future_status(f), CORUN_ECANCELED);
	ck_assert_int_eq(corun_future_set_result(f, NULL, NULL), CORUN_ESTATE);
	ck_assert_int_eq(corun_future_set_error(f, CORUN_EFAILED, "x"),
	    CORUN_ESTATE);
	ck_assert_int_eq(corun_future_cancel(f), CORUN_ESTATE);
	corun_future_unref(f);
}
END_TEST

/* test_futures.py, BaseFutureTests.test_future_cancel_message_getter */
START_TEST(test_futures__test_future_cancel_message_getter)
{
	corun_future *f;
	const char *msg = NULL;

	corun_future_new(loop, &f);
	ck_assert_int_eq(corun_future_cancel_msg(f, "my message"), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, f),
	    CORUN_ECANCELED);
	ck_assert_int_eq(corun_future_error(f, &msg), CORUN_ECANCELED);
	ck_assert_str_eq(msg, "my message");
	corun_future_unref(f);
}
END_TEST

/* ---- the loop (test_base_events.py, test_events.py) ----------------- */

static int calls[8], ncalls;

static void
record(void *arg)
{
	calls[ncalls++] = (int)(intptr_t)arg;
}

/* test_base_events.py, BaseEventLoopTests.test_call_later_negative_delays */
START_TEST(test_base_events__test_call_later_negative_delays)
{
	ncalls = 0;
	corun_call_later(loop, -1, record, (void *)1, NULL);
	corun_call_later(loop, -2, record, (void *)2, NULL);
	corun_loop_run_once(loop, 0);
	ck_assert_int_eq(ncalls, 2);
	ck_assert_int_eq(calls[0], 2);
	ck_assert_int_eq(calls[1], 1);
}
END_TEST

/* test_base_events.py, BaseEventLoopTests.test_run_forever_pre_stopped */
START_TEST(test_base_events__test_run_forever_pre_stopped)
{
	ncalls = 0;
	corun_call_soon(loop, record, (void *)7, NULL);
	corun_loop_stop(loop);
	/* One iteration runs: the callback ready at the start of it. */
	ck_assert_int_eq(corun_loop_run_forever(loop), 0);
	ck_assert_int_eq(ncalls, 1);
	ck_assert_int_eq(calls[0], 7);
}
END_TEST

static int free_rc;

static void
cancel_cb(void *arg)
{
	corun_future_cancel(arg);
}

static void
close_loop(void *arg)
{
	free_rc = corun_loop_free(arg);
}

/* test_events.py, EventLoopTestsMixin.test_close_running_event_loop */
START_TEST(test_events__test_close_running_event_loop)
{
	corun_future *f;

	free_rc = -1;
	corun_future_new(loop, &f);
	corun_call_soon(loop, close_loop, loop, NULL);
	corun_call_later(loop, 0.001, cancel_cb, f, NULL);
	/* Refused while running; the loop goes on, valid. */
	ck_assert_int_eq(corun_loop_run_until_complete(loop, f),
	    CORUN_ECANCELED);
	ck_assert_int_eq(free_rc, CORUN_EBUSY);
	corun_future_unref(f);
}
END_TEST

static int cleanup_ran;

static int
sleeper(void *arg)
{
	int rc = corun_sleep(60);

	(void)arg;
	if (rc == CORUN_ECANCELED) {
		cleanup_ran++;	/* the cleanup code of a finally block */
	}
	return rc;
}

/* test_runners.py, RunTests.test_asyncio_run_cancel_hang (what asyncio.run
   does when it closes: the live tasks are cancelled and run to their end) */
START_TEST(test_runners__test_asyncio_run_cancel_hang)
{
	corun_loop *l;

	cleanup_ran = 0;
	ck_assert_int_eq(corun_loop_new(&l), 0);
	corun_task_spawn(l, sleeper, NULL, NULL, NULL);
	corun_task_spawn(l, sleeper, NULL, NULL, NULL);
	corun_loop_run_once(l, 0);
	ck_assert_uint_eq(corun_loop_task_count(l), 2);
	ck_assert_int_eq(corun_loop_free(l), 0);
	ck_assert_int_eq(cleanup_ran, 2);
}
END_TEST

/* ---- the exception handler ------------------------------------------ */

struct seen {
	int calls;
	int code;
	char message[80];
	corun_loop *loop;
};

static void
record_exc(corun_loop *l, const struct corun_exception_ctx *ctx, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->code = ctx->code;
	s->loop = l;
	snprintf(s->message, sizeof(s->message), "%s", ctx->message);
}

/* test_base_events.py, BaseEventLoopTests.test_set_exc_handler_custom */
START_TEST(test_base_events__test_set_exc_handler_custom)
{
	struct seen s = { 0, 0, "", NULL };
	struct corun_exception_ctx ctx = { .message = "boom",
	    .code = CORUN_EPROTO };

	corun_loop_set_exception_handler(loop, record_exc, &s);
	corun_loop_call_exception_handler(loop, &ctx);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.code, CORUN_EPROTO);
	ck_assert_ptr_eq(s.loop, loop);
	ck_assert_str_eq(s.message, "boom");
}
END_TEST

static int
failing(void *arg)
{
	(void)arg;
	return CORUN_EIO;
}

/* test_futures.py, BaseFutureTests.test_future_exception_never_retrieved
   (for a task, as the C library reports it) */
START_TEST(test_futures__test_future_exception_never_retrieved)
{
	struct seen s = { 0, 0, "", NULL };
	corun_future *t;

	corun_loop_set_exception_handler(loop, record_exc, &s);
	corun_task_spawn(loop, failing, NULL, NULL, &t);
	for (int i = 0; i < 3; i++) {
		corun_loop_run_once(loop, 0);
	}
	ck_assert(corun_future_done(t));
	corun_future_unref(t);		/* error never read */
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.code, CORUN_EIO);
	ck_assert_str_eq(s.message, "task exception was never retrieved");
	/* Read once: nothing to say. */
	corun_task_spawn(loop, failing, NULL, NULL, &t);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t), CORUN_EIO);
	corun_future_unref(t);
	ck_assert_int_eq(s.calls, 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("aio_futures");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_futures__test_callbacks_remove_first_callback);
	tcase_add_test(tc, test_futures__test_callbacks_remove_third_callback);
	tcase_add_test(tc, test_futures__test_remove_done_callback);
	tcase_add_test(tc, test_futures__test_schedule_callbacks_list_mutation_1);
	tcase_add_test(tc, test_futures__test_cancel);
	tcase_add_test(tc, test_futures__test_future_cancel_message_getter);
	tcase_add_test(tc, test_base_events__test_call_later_negative_delays);
	tcase_add_test(tc, test_base_events__test_run_forever_pre_stopped);
	tcase_add_test(tc, test_events__test_close_running_event_loop);
	tcase_add_test(tc, test_runners__test_asyncio_run_cancel_hang);
	tcase_add_test(tc, test_base_events__test_set_exc_handler_custom);
	tcase_add_test(tc, test_futures__test_future_exception_never_retrieved);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
