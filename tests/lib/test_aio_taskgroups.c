/* SPDX-License-Identifier: MIT */
/*
 * test_aio_taskgroups.c - CPython's Lib/test/test_asyncio/test_taskgroups.py
 * (class TestTaskGroup), ported to libcorun's task groups.  Each test is
 * named test_taskgroups__<python method>.  "async with TaskGroup() as g:
 * body" is corun_group_new() in a task, the body, then
 * corun_group_wait(g, status of the body); an ExceptionGroup is
 * CORUN_EMULTI with the errors listed by corun_group_error().
 */
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

struct job {
	double delay;
	int rc;			/* returned after the sleep ("1 / 0") */
	int cancel_seen;
};

static int
job_fn(void *arg)
{
	struct job *j = arg;
	int rc = corun_sleep(j->delay);

	if (rc == CORUN_ECANCELED) {
		j->cancel_seen = 1;
		return rc;
	}
	return j->rc;
}

static corun_future *t1, *t2;

static void
drop(corun_future **t)
{
	corun_future_unref(*t);
	*t = NULL;
}

struct body {
	struct job *jobs;
	int njobs;
	double sleep_before;	/* body awaits this long, then... */
	int cancel_first;	/* ...cancels the first member */
	int body_rc;		/* ...and ends with this */
	int body_cancel_seen;
	int num;		/* the code after the group ran */
	int group_rc;
	int nerrs;
};

static int
runner(void *arg)
{
	struct body *b = arg;
	corun_group *g;
	int rc = 0;

	ck_assert_int_eq(corun_group_new(loop, &g), 0);
	for (int i = 0; i < b->njobs; i++) {
		ck_assert_int_eq(corun_group_spawn(g, job_fn, &b->jobs[i], NULL,
		    i == 0 ? &t1 : i == 1 ? &t2 : NULL), 0);
		if (i == 0 && b->sleep_before > 0) {
			rc = corun_sleep(b->sleep_before);
			if (rc == CORUN_ECANCELED) {
				b->body_cancel_seen = 1;
			}
			if (b->cancel_first) {
				corun_future_cancel(t1);
			}
		}
	}
	if (rc == 0) {
		rc = b->body_rc;
	}
	b->group_rc = corun_group_wait(g, rc);
	b->nerrs = (int)corun_group_error_count(g);
	corun_group_free(g);
	if (b->group_rc != 0) {
		return b->group_rc;
	}
	b->num += 10;
	return 0;
}

static int
run(struct body *b)
{
	corun_future *r;
	int rc;

	ck_assert_int_eq(corun_task_spawn(loop, runner, b, NULL, &r), 0);
	rc = corun_loop_run_until_complete(loop, r);
	corun_future_unref(r);
	return rc;
}

/* test_taskgroups.py, TestTaskGroup.test_taskgroup_01 */
START_TEST(test_taskgroups__test_taskgroup_01)
{
	struct job j[2] = { { 0.01, 0, 0 }, { 0.02, 0, 0 } };
	struct body b = { j, 2, 0, 0, 0, 0, 0, 0, 0 };

	ck_assert_int_eq(run(&b), 0);
	ck_assert_int_eq(corun_future_status(t1), 0);
	ck_assert_int_eq(corun_future_status(t2), 0);
	ck_assert_int_eq(b.num, 10);
	drop(&t1);
	drop(&t2);
}
END_TEST

/* test_taskgroups.py, TestTaskGroup.test_taskgroup_03 */
START_TEST(test_taskgroups__test_taskgroup_03)
{
	struct job j[2] = { { 1, 0, 0 }, { 0.02, 0, 0 } };
	struct body b = { j, 2, 0.015, 1, 0, 0, 0, 0, 0 };

	/* Cancelling a member explicitly: everything else goes on. */
	ck_assert_int_eq(run(&b), 0);
	ck_assert(corun_future_cancelled(t1));
	ck_assert_int_eq(corun_future_status(t2), 0);
	drop(&t1);
	drop(&t2);
}
END_TEST

/* test_taskgroups.py, TestTaskGroup.test_taskgroup_04 */
START_TEST(test_taskgroups__test_taskgroup_04)
{
	struct job j[2] = { { 0.01, CORUN_ERANGE, 0 }, { 1, 0, 0 } };
	struct body b = { j, 2, 0, 0, 0, 0, 0, 0, 0 };

	ck_assert_int_eq(run(&b), CORUN_EMULTI);
	ck_assert_int_eq(b.num, 0);
	ck_assert_int_eq(b.nerrs, 1);
	ck_assert(j[1].cancel_seen);
	ck_assert(corun_future_cancelled(t2));
	drop(&t1);
	drop(&t2);
}
END_TEST

/* test_taskgroups.py, TestTaskGroup.test_cancel_children_on_child_error */
START_TEST(test_taskgroups__test_cancel_children_on_child_error)
{
	struct job j[4] = { { 5, 0, 0 }, { 0.01, CORUN_ERANGE, 0 },
	    { 0.01, CORUN_ERANGE, 0 }, { 0.01, CORUN_ERANGE, 0 } };
	struct body b = { j, 4, 0, 0, 0, 0, 0, 0, 0 };

	/* The body awaits (10 s in Python) after spawning them all. */
	b.sleep_before = 0;
	ck_assert_int_eq(run(&b), CORUN_EMULTI);
	ck_assert_int_eq(b.num, 0);
	ck_assert(j[0].cancel_seen);
	ck_assert_int_ge(b.nerrs, 1);
	drop(&t1);
	drop(&t2);
}
END_TEST

static int
runner_sleeping(void *arg)
{
	struct body *b = arg;
	corun_group *g;
	int rc;

	ck_assert_int_eq(corun_group_new(loop, &g), 0);
	for (int i = 0; i < b->njobs; i++) {
		ck_assert_int_eq(corun_group_spawn(g, job_fn, &b->jobs[i], NULL,
		    NULL), 0);
	}
	rc = corun_sleep(10);
	if (rc == CORUN_ECANCELED) {
		b->body_cancel_seen = 1;	/* the owner is cancelled too */
		rc = b->body_rc != 0 ? b->body_rc : rc;
	}
	b->group_rc = corun_group_wait(g, rc);
	b->nerrs = (int)corun_group_error_count(g);
	corun_group_free(g);
	return b->group_rc;
}

/* test_taskgroups.py, TestTaskGroup.test_cancel_children_on_child_error
   (the body's own await is cancelled: runner_cancel) */
START_TEST(test_taskgroups__test_cancel_children_on_child_error_body)
{
	struct job j[2] = { { 0.01, CORUN_ERANGE, 0 }, { 5, 0, 0 } };
	struct body b = { j, 2, 0, 0, 0, 0, 0, 0, 0 };
	corun_future *r;

	corun_task_spawn(loop, runner_sleeping, &b, NULL, &r);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, r), CORUN_EMULTI);
	ck_assert(b.body_cancel_seen);
	ck_assert(j[1].cancel_seen);
	/* The group withdrew the cancellation it made of its owner. */
	ck_assert_int_eq(corun_task_cancelling(r), 0);
	corun_future_unref(r);
}
END_TEST

/* test_taskgroups.py, TestTaskGroup.test_cancellation */
START_TEST(test_taskgroups__test_cancellation)
{
	struct job j[5] = { { 5, 0, 0 }, { 5, 0, 0 }, { 5, 0, 0 }, { 5, 0, 0 },
	    { 5, 0, 0 } };
	struct body b = { j, 5, 0, 0, 0, 0, 0, 0, 0 };
	corun_future *r;
	const char *msg = NULL;
	int num = 0;

	corun_task_spawn(loop, runner_sleeping, &b, NULL, &r);
	for (int i = 0; i < 3; i++) {
		corun_loop_run_once(loop, 0.01);
	}
	ck_assert(!corun_future_done(r));
	ck_assert_int_eq(corun_future_cancel_msg(r, "test"), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, r),
	    CORUN_ECANCELED);
	ck_assert_int_eq(corun_future_error(r, &msg), CORUN_ECANCELED);
	ck_assert_str_eq(msg, "test");
	for (int i = 0; i < 5; i++) {
		num += j[i].cancel_seen;
	}
	ck_assert_int_eq(num, 5);
	ck_assert(b.body_cancel_seen);		/* test_taskgroup_07 */
	corun_future_unref(r);
}
END_TEST

/* test_taskgroups.py, TestTaskGroup.test_taskgroup_09 */
START_TEST(test_taskgroups__test_taskgroup_09)
{
	struct job j[2] = { { 1, 0, 0 }, { 2, 0, 0 } };
	struct body b = { j, 2, 0, 0, CORUN_ERANGE, 0, 0, 0, 0 };

	b.sleep_before = 0.01;
	ck_assert_int_eq(run(&b), CORUN_EMULTI);
	ck_assert_int_eq(b.nerrs, 1);
	ck_assert(corun_future_cancelled(t1));
	ck_assert(corun_future_cancelled(t2));
	drop(&t1);
	drop(&t2);
}
END_TEST

/* test_taskgroups.py, TestTaskGroup.test_taskgroup_10 */
START_TEST(test_taskgroups__test_taskgroup_10)
{
	struct job j[2] = { { 1, 0, 0 }, { 2, 0, 0 } };
	struct body b = { j, 2, 0, 0, CORUN_ERANGE, 0, 0, 0, 0 };

	ck_assert_int_eq(run(&b), CORUN_EMULTI);
	ck_assert(corun_future_cancelled(t1));
	ck_assert(corun_future_cancelled(t2));
	drop(&t1);
	drop(&t2);
}
END_TEST

/* test_taskgroups.py, TestTaskGroup.test_taskgroup_18 */
START_TEST(test_taskgroups__test_taskgroup_18)
{
	struct body b = { NULL, 0, 0, 0, CORUN_EPROTO, 0, 0, 0, 0 };
	corun_future *r;

	corun_task_spawn(loop, runner_sleeping, &b, NULL, &r);
	corun_loop_run_once(loop, 0.01);
	corun_future_cancel(r);
	/* The body turned the cancellation into its own error. */
	ck_assert_int_eq(corun_loop_run_until_complete(loop, r), CORUN_EMULTI);
	ck_assert_int_eq(b.nerrs, 1);
	ck_assert(b.body_cancel_seen);
	corun_future_unref(r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("aio_taskgroups");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_taskgroups__test_taskgroup_01);
	tcase_add_test(tc, test_taskgroups__test_taskgroup_03);
	tcase_add_test(tc, test_taskgroups__test_taskgroup_04);
	tcase_add_test(tc, test_taskgroups__test_cancel_children_on_child_error);
	tcase_add_test(tc,
	    test_taskgroups__test_cancel_children_on_child_error_body);
	tcase_add_test(tc, test_taskgroups__test_cancellation);
	tcase_add_test(tc, test_taskgroups__test_taskgroup_09);
	tcase_add_test(tc, test_taskgroups__test_taskgroup_10);
	tcase_add_test(tc, test_taskgroups__test_taskgroup_18);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
