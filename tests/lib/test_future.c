/* SPDX-License-Identifier: MIT */
/*
 * test_future.c - futures: exactly-once completion, callbacks, ownership.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <corun/corun.h>

#include "check-util.h"

static corun_loop *
new_loop(void)
{
	corun_loop *loop = NULL;

	ck_assert_int_eq(corun_loop_new(&loop), 0);
	return loop;
}

static int dtor_calls;

static void
count_dtor(void *value)
{
	(void)value;
	dtor_calls++;
}

START_TEST(test_pending_then_result)
{
	corun_loop *loop = new_loop();
	corun_future *f;
	int value = 7;

	ck_assert_int_eq(corun_future_new(loop, &f), 0);
	ck_assert_int_eq(corun_future_state(f), CORUN_FUTURE_PENDING);
	ck_assert(!corun_future_done(f));
	ck_assert_int_eq(corun_future_status(f), CORUN_ESTATE);
	ck_assert_ptr_null(corun_future_result(f, NULL));
	ck_assert_ptr_eq(corun_future_loop(f), loop);
	ck_assert_int_eq(corun_future_set_result(f, &value, NULL), 0);
	ck_assert(corun_future_done(f));
	ck_assert_int_eq(corun_future_status(f), 0);
	ck_assert_ptr_eq(corun_future_result(f, NULL), &value);
	ck_assert_int_eq(corun_future_error(f, NULL), 0);
	corun_future_unref(f);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_exactly_once)
{
	corun_loop *loop = new_loop();
	corun_future *f;
	int a = 1, b = 2;

	dtor_calls = 0;
	corun_future_new(loop, &f);
	ck_assert_int_eq(corun_future_set_result(f, &a, count_dtor), 0);
	/* Every second completion is refused and changes nothing. */
	ck_assert_int_eq(corun_future_set_result(f, &b, count_dtor),
	    CORUN_ESTATE);
	ck_assert_int_eq(corun_future_set_error(f, CORUN_EFAILED, "no"),
	    CORUN_ESTATE);
	ck_assert_int_eq(corun_future_set_bytes(f, "x", 1), CORUN_ESTATE);
	ck_assert_int_eq(corun_future_cancel(f), CORUN_ESTATE);
	ck_assert_ptr_eq(corun_future_result(f, NULL), &a);
	ck_assert_int_eq(corun_future_state(f), CORUN_FUTURE_RESULT);
	ck_assert_int_eq(dtor_calls, 0);	/* refused value not touched */
	corun_future_unref(f);
	ck_assert_int_eq(dtor_calls, 1);	/* destructor once, at free */
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_error_and_message)
{
	corun_loop *loop = new_loop();
	corun_future *f;
	const char *msg = NULL;

	corun_future_new(loop, &f);
	ck_assert_int_eq(corun_future_set_error(f, 0, "x"), CORUN_EINVAL);
	ck_assert_int_eq(corun_future_set_error(f, CORUN_EFAILED,
	    "job %d failed: %s", 12, "exit 3"), 0);
	ck_assert_int_eq(corun_future_state(f), CORUN_FUTURE_ERROR);
	ck_assert_int_eq(corun_future_error(f, &msg), CORUN_EFAILED);
	ck_assert_str_eq(msg, "job 12 failed: exit 3");
	ck_assert_int_eq(corun_future_status(f), CORUN_EFAILED);
	ck_assert_ptr_null(corun_future_result(f, NULL));
	corun_future_unref(f);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_bytes_are_copied)
{
	corun_loop *loop = new_loop();
	corun_future *f;
	char buf[] = { 'a', 0, 'b' };
	size_t len = 0;
	char *got;

	corun_future_new(loop, &f);
	ck_assert_int_eq(corun_future_set_bytes(f, buf, sizeof(buf)), 0);
	buf[0] = 'z';
	got = corun_future_result(f, &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_int_eq(got[0], 'a');
	ck_assert_int_eq(got[1], 0);
	ck_assert_int_eq(got[2], 'b');
	ck_assert_int_eq(got[3], 0);	/* NUL appended */
	corun_future_unref(f);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_cancel_plain)
{
	corun_loop *loop = new_loop();
	corun_future *f;
	const char *msg;

	corun_future_new(loop, &f);
	ck_assert_int_eq(corun_future_cancel(f), 0);
	ck_assert(corun_future_cancelled(f));
	ck_assert_int_eq(corun_future_status(f), CORUN_ECANCELED);
	ck_assert_int_eq(corun_future_error(f, &msg), CORUN_ECANCELED);
	ck_assert_str_eq(msg, "cancelled");
	ck_assert_int_eq(corun_future_set_result(f, NULL, NULL),
	    CORUN_ESTATE);
	corun_future_unref(f);
	corun_loop_free(loop);
}
END_TEST

struct cbrec {
	int order[16];
	int n;
	pthread_t thread[16];
	corun_future *seen[16];
	int state_seen[16];
};

struct cbarg {
	struct cbrec *rec;
	int id;
};

static void
done_cb(corun_future *f, void *arg)
{
	struct cbarg *a = arg;
	int i = a->rec->n++;

	a->rec->order[i] = a->id;
	a->rec->thread[i] = pthread_self();
	a->rec->seen[i] = f;
	a->rec->state_seen[i] = corun_future_state(f);
}

START_TEST(test_callbacks_on_loop_in_order)
{
	corun_loop *loop = new_loop();
	struct cbrec rec = { .n = 0 };
	struct cbarg a[4];
	corun_future *f;

	corun_future_new(loop, &f);
	for (int i = 0; i < 3; i++) {
		a[i].rec = &rec;
		a[i].id = i;
		corun_future_add_done_callback(f, done_cb, &a[i]);
	}
	corun_future_set_result(f, NULL, NULL);
	/* Never inside the completing call. */
	ck_assert_int_eq(rec.n, 0);
	corun_loop_run_once(loop, 0);
	ck_assert_int_eq(rec.n, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(rec.order[i], i);
		ck_assert_ptr_eq(rec.seen[i], f);
		ck_assert_int_eq(rec.state_seen[i], CORUN_FUTURE_RESULT);
		ck_assert(pthread_equal(rec.thread[i], pthread_self()));
	}
	/* Added after completion: still runs, on the loop, not inline. */
	a[3].rec = &rec;
	a[3].id = 3;
	corun_future_add_done_callback(f, done_cb, &a[3]);
	ck_assert_int_eq(rec.n, 3);
	corun_loop_run_once(loop, 0);
	ck_assert_int_eq(rec.n, 4);
	ck_assert_int_eq(rec.order[3], 3);
	corun_future_unref(f);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_many_callbacks)
{
	corun_loop *loop = new_loop();
	struct cbrec rec = { .n = 0 };
	struct cbarg a[16];
	corun_future *f;

	corun_future_new(loop, &f);
	for (int i = 0; i < 16; i++) {
		a[i].rec = &rec;
		a[i].id = i;
		corun_future_add_done_callback(f, done_cb, &a[i]);
	}
	/* Removing one registration leaves the others in order. */
	ck_assert_int_eq(corun_future_remove_done_callback(f, done_cb,
	    &a[5]), 1);
	corun_future_set_error(f, CORUN_EFAILED, "x");
	corun_loop_run_once(loop, 0);
	ck_assert_int_eq(rec.n, 15);
	for (int i = 0, j = 0; i < 16; i++) {
		if (i == 5) {
			continue;
		}
		ck_assert_int_eq(rec.order[j++], i);
	}
	corun_future_unref(f);
	corun_loop_free(loop);
}
END_TEST

static void
release_in_cb(corun_future *f, void *arg)
{
	int *ran = arg;

	/* The caller let go before we ran: the future must still be valid. */
	ck_assert_int_eq(corun_future_state(f), CORUN_FUTURE_RESULT);
	(*ran)++;
}

START_TEST(test_callback_keeps_future_alive)
{
	corun_loop *loop = new_loop();
	corun_future *f;
	int ran = 0;

	dtor_calls = 0;
	corun_future_new(loop, &f);
	corun_future_add_done_callback(f, release_in_cb, &ran);
	corun_future_set_result(f, &ran, count_dtor);
	corun_future_unref(f);
	ck_assert_int_eq(dtor_calls, 0);
	corun_loop_run_once(loop, 0);
	ck_assert_int_eq(ran, 1);
	ck_assert_int_eq(dtor_calls, 1);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_copy_outcome_shares_value)
{
	corun_loop *loop = new_loop();
	corun_future *src, *dst, *dst2, *dst3;
	int v = 5;

	dtor_calls = 0;
	corun_future_new(loop, &src);
	corun_future_new(loop, &dst);
	corun_future_new(loop, &dst2);
	corun_future_new(loop, &dst3);
	ck_assert_int_eq(corun_future_copy_outcome(dst, src), CORUN_EINVAL);
	corun_future_set_result(src, &v, count_dtor);
	ck_assert_int_eq(corun_future_copy_outcome(dst, src), 0);
	ck_assert_ptr_eq(corun_future_result(dst, NULL), &v);
	ck_assert_int_eq(corun_future_copy_outcome(dst, src), CORUN_ESTATE);
	corun_future_unref(src);
	ck_assert_int_eq(dtor_calls, 0);	/* dst still holds it */
	corun_future_unref(dst);
	ck_assert_int_eq(dtor_calls, 1);

	corun_future_set_error(dst2, CORUN_ETIMEDOUT, "slow");
	ck_assert_int_eq(corun_future_copy_outcome(dst3, dst2), 0);
	ck_assert_int_eq(corun_future_status(dst3), CORUN_ETIMEDOUT);
	corun_future_unref(dst2);
	corun_future_unref(dst3);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_loop_free_drops_scheduled_callbacks)
{
	corun_loop *loop = new_loop();
	struct cbrec rec = { .n = 0 };
	struct cbarg a = { &rec, 0 };
	corun_future *f;

	dtor_calls = 0;
	corun_future_new(loop, &f);
	corun_future_add_done_callback(f, done_cb, &a);
	corun_future_set_result(f, &a, count_dtor);
	corun_future_unref(f);
	/* The scheduled callbacks hold the last reference; freeing drops it. */
	corun_loop_free(loop);
	ck_assert_int_eq(rec.n, 0);
	ck_assert_int_eq(dtor_calls, 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("future");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pending_then_result);
	tcase_add_test(tc, test_exactly_once);
	tcase_add_test(tc, test_error_and_message);
	tcase_add_test(tc, test_bytes_are_copied);
	tcase_add_test(tc, test_cancel_plain);
	tcase_add_test(tc, test_callbacks_on_loop_in_order);
	tcase_add_test(tc, test_many_callbacks);
	tcase_add_test(tc, test_callback_keeps_future_alive);
	tcase_add_test(tc, test_copy_outcome_shares_value);
	tcase_add_test(tc, test_loop_free_drops_scheduled_callbacks);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
