/* SPDX-License-Identifier: MIT */
/*
 * test_loop.c - the event loop: ordering, timers, handles, stop, threads.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <corun/corun.h>

#include "check-util.h"

struct rec {
	int order[64];
	int n;
};

struct rec_arg {
	struct rec *rec;
	int id;
};

static void
record(void *arg)
{
	struct rec_arg *a = arg;

	a->rec->order[a->rec->n++] = a->id;
}

static corun_loop *
new_loop(void)
{
	corun_loop *loop = NULL;

	ck_assert_int_eq(corun_loop_new(&loop), 0);
	ck_assert_ptr_nonnull(loop);
	return loop;
}

START_TEST(test_call_soon_fifo)
{
	corun_loop *loop = new_loop();
	struct rec rec = { .n = 0 };
	struct rec_arg a[5];

	for (int i = 0; i < 5; i++) {
		a[i].rec = &rec;
		a[i].id = i;
		ck_assert_int_eq(corun_call_soon(loop, record, &a[i], NULL), 0);
	}
	ck_assert_int_eq(rec.n, 0);	/* nothing runs before the loop */
	ck_assert_int_eq(corun_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(rec.n, 5);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(rec.order[i], i);
	}
	corun_loop_free(loop);
}
END_TEST

struct chain {
	corun_loop *loop;
	int runs;
};

static void
chain_cb(void *arg)
{
	struct chain *c = arg;

	c->runs++;
	corun_call_soon(c->loop, chain_cb, c, NULL);
}

START_TEST(test_soon_from_callback_waits_next_iteration)
{
	struct chain c = { .loop = new_loop(), .runs = 0 };

	corun_call_soon(c.loop, chain_cb, &c, NULL);
	corun_loop_run_once(c.loop, 0);
	ck_assert_int_eq(c.runs, 1);
	corun_loop_run_once(c.loop, 0);
	ck_assert_int_eq(c.runs, 2);
	corun_loop_free(c.loop);	/* drops the pending one: no leak */
}
END_TEST

static void
stop_cb(void *arg)
{
	corun_loop_stop(arg);
}

START_TEST(test_call_later_order)
{
	corun_loop *loop = new_loop();
	struct rec rec = { .n = 0 };
	struct rec_arg a[4];
	double delays[4] = { 0.03, 0.01, 0.02, 0.01 };
	uint64_t t0 = corun_loop_now_ns();

	for (int i = 0; i < 4; i++) {
		a[i].rec = &rec;
		a[i].id = i;
		ck_assert_int_eq(corun_call_later(loop, delays[i], record,
		    &a[i], NULL), 0);
	}
	corun_call_later(loop, 0.04, stop_cb, loop, NULL);
	ck_assert_int_eq(corun_loop_run_forever(loop), 0);
	ck_assert_int_eq(rec.n, 4);
	/* Deadline order; equal deadlines (1 and 3 at 10 ms) keep FIFO. */
	ck_assert_int_eq(rec.order[0], 1);
	ck_assert_int_eq(rec.order[1], 3);
	ck_assert_int_eq(rec.order[2], 2);
	ck_assert_int_eq(rec.order[3], 0);
	ck_assert_uint_ge(corun_loop_now_ns() - t0, 40000000u);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_call_at_same_deadline_fifo)
{
	corun_loop *loop = new_loop();
	struct rec rec = { .n = 0 };
	struct rec_arg a[8];
	double when = corun_loop_time(loop) + 0.005;

	for (int i = 0; i < 8; i++) {
		a[i].rec = &rec;
		a[i].id = i;
		corun_call_at(loop, when, record, &a[i], NULL);
	}
	corun_call_at(loop, when + 0.001, stop_cb, loop, NULL);
	corun_loop_run_forever(loop);
	ck_assert_int_eq(rec.n, 8);
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(rec.order[i], i);
	}
	corun_loop_free(loop);
}
END_TEST

struct stamp {
	uint64_t at;
};

static void
stamp_cb(void *arg)
{
	((struct stamp *)arg)->at = corun_loop_now_ns();
}

START_TEST(test_call_later_not_early)
{
	corun_loop *loop = new_loop();
	struct stamp s = { 0 };
	uint64_t t0 = corun_loop_now_ns();

	corun_call_later(loop, 0.025, stamp_cb, &s, NULL);
	corun_call_later(loop, 0.03, stop_cb, loop, NULL);
	corun_loop_run_forever(loop);
	ck_assert_uint_ge(s.at - t0, 25000000u);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_handle_cancel)
{
	corun_loop *loop = new_loop();
	struct rec rec = { .n = 0 };
	struct rec_arg a[3] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 } };
	corun_handle *h0, *h1, *h2;

	corun_call_soon(loop, record, &a[0], &h0);
	corun_call_soon(loop, record, &a[1], &h1);
	corun_call_later(loop, 0.001, record, &a[2], &h2);
	ck_assert_int_eq(corun_handle_cancel(h1), 0);
	ck_assert_int_eq(corun_handle_cancel(h1), CORUN_ESTATE);
	ck_assert_int_eq(corun_handle_cancel(h2), 0);
	corun_call_later(loop, 0.01, stop_cb, loop, NULL);
	corun_loop_run_forever(loop);
	ck_assert_int_eq(rec.n, 1);
	ck_assert_int_eq(rec.order[0], 0);
	/* It ran: cancelling now is too late. */
	ck_assert_int_eq(corun_handle_cancel(h0), CORUN_ESTATE);
	corun_handle_release(h0);
	corun_handle_release(h1);
	corun_handle_release(h2);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_many_timers_in_order)
{
	corun_loop *loop = new_loop();
	enum { N = 20000 };
	struct stamp *s = calloc(N, sizeof(*s));
	double base = corun_loop_time(loop) + 0.001;

	/* Deadlines in reverse order of scheduling; each fires, in order. */
	for (int i = 0; i < N; i++) {
		corun_call_at(loop, base + (N - i) * 1e-6, stamp_cb, &s[i],
		    NULL);
	}
	corun_call_later(loop, 0.05, stop_cb, loop, NULL);
	corun_loop_run_forever(loop);
	for (int i = 0; i < N; i++) {
		ck_assert_uint_ne(s[i].at, 0);
		if (i > 0) {
			ck_assert_uint_le(s[i].at, s[i - 1].at);
		}
	}
	free(s);
	corun_loop_free(loop);
}
END_TEST

struct ordrec {
	int *order;
	int *n;
	int id;
};

static void
ord_cb(void *arg)
{
	struct ordrec *r = arg;

	r->order[(*r->n)++] = r->id;
}

START_TEST(test_mixed_deadlines_stable_order)
{
	corun_loop *loop = new_loop();
	enum { N = 2000 };
	struct ordrec *r = calloc(N, sizeof(*r));
	corun_handle **h = calloc(N, sizeof(*h));
	int *order = calloc(N, sizeof(int)), n = 0, expect = 0;
	int *slot = calloc(N, sizeof(int));
	double base = corun_loop_time(loop) + 0.002;
	unsigned x = 12345;

	/* Deadlines from 40 values in scrambled order, some cancelled. */
	for (int i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		slot[i] = (int)((x >> 16) % 40);
		r[i].order = order;
		r[i].n = &n;
		r[i].id = i;
		corun_call_at(loop, base + slot[i] * 1e-4, ord_cb, &r[i], &h[i]);
		if (i % 7 == 3) {
			ck_assert_int_eq(corun_handle_cancel(h[i]), 0);
		}
	}
	corun_call_at(loop, base + 0.01, stop_cb, loop, NULL);
	corun_loop_run_forever(loop);
	/* Expected: by deadline, then by scheduling order (stable). */
	for (int s = 0; s < 40; s++) {
		for (int i = 0; i < N; i++) {
			if (slot[i] == s && i % 7 != 3) {
				ck_assert_int_lt(expect, n);
				ck_assert_int_eq(order[expect], i);
				expect++;
			}
		}
	}
	ck_assert_int_eq(expect, n);
	for (int i = 0; i < N; i++) {
		corun_handle_release(h[i]);
	}
	free(r);
	free(h);
	free(order);
	free(slot);
	corun_loop_free(loop);
}
END_TEST

struct thr {
	corun_loop *loop;
	pthread_t loop_thread;
	pthread_t ran_on;
	int ran;
};

static void
thr_cb(void *arg)
{
	struct thr *t = arg;

	t->ran_on = pthread_self();
	t->ran++;
	corun_loop_stop(t->loop);
}

static void *
thr_main(void *arg)
{
	struct thr *t = arg;

	usleep(50000);
	ck_assert_int_eq(corun_call_soon_threadsafe(t->loop, thr_cb, t), 0);
	return NULL;
}

START_TEST(test_call_soon_threadsafe_wakes_loop)
{
	struct thr t = { .loop = new_loop(), .ran = 0 };
	pthread_t th;
	uint64_t t0 = corun_loop_now_ns();

	t.loop_thread = pthread_self();
	pthread_create(&th, NULL, thr_main, &t);
	/* Nothing else is scheduled: only the wake-up can end this. */
	ck_assert_int_eq(corun_loop_run_forever(t.loop), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(t.ran, 1);
	ck_assert(pthread_equal(t.ran_on, t.loop_thread));
	ck_assert_uint_ge(corun_loop_now_ns() - t0, 40000000u);
	corun_loop_free(t.loop);
}
END_TEST

struct many {
	corun_loop *loop;
	int count;
};

static void
count_cb(void *arg)
{
	((struct many *)arg)->count++;
}

static void *
flood(void *arg)
{
	struct many *m = arg;

	for (int i = 0; i < 10000; i++) {
		corun_call_soon_threadsafe(m->loop, count_cb, m);
	}
	return NULL;
}

START_TEST(test_call_soon_threadsafe_many_threads)
{
	struct many m = { .loop = new_loop(), .count = 0 };
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		pthread_create(&th[i], NULL, flood, &m);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
	}
	while (m.count < 40000) {
		corun_loop_run_once(m.loop, 0.1);
	}
	ck_assert_int_eq(m.count, 40000);
	corun_loop_free(m.loop);
}
END_TEST

static void *
stopper(void *arg)
{
	usleep(20000);
	corun_loop_stop_threadsafe(arg);
	return NULL;
}

START_TEST(test_stop_threadsafe)
{
	corun_loop *loop = new_loop();
	pthread_t th;

	pthread_create(&th, NULL, stopper, loop);
	ck_assert_int_eq(corun_loop_run_forever(loop), 0);
	pthread_join(th, NULL);
	ck_assert(!corun_loop_is_running(loop));
	corun_loop_free(loop);
}
END_TEST

struct nest {
	corun_loop *loop;
	int rc;
	corun_loop *cur;
};

static void
nest_cb(void *arg)
{
	struct nest *n = arg;

	n->cur = corun_loop_current();
	n->rc = corun_loop_run_forever(n->loop);
	corun_loop_stop(n->loop);
}

START_TEST(test_nested_run_refused)
{
	struct nest n = { .loop = new_loop(), .rc = -1 };

	ck_assert_ptr_null(corun_loop_current());
	corun_call_soon(n.loop, nest_cb, &n, NULL);
	corun_loop_run_forever(n.loop);
	ck_assert_int_eq(n.rc, CORUN_EBUSY);
	ck_assert_ptr_eq(n.cur, n.loop);
	ck_assert_ptr_null(corun_loop_current());
	corun_loop_free(n.loop);
}
END_TEST

static void
set_result_cb(void *arg)
{
	corun_future_set_result(arg, (void *)(uintptr_t)42, NULL);
}

START_TEST(test_run_until_complete)
{
	corun_loop *loop = new_loop();
	corun_future *f;

	corun_future_new(loop, &f);
	corun_call_later(loop, 0.01, set_result_cb, f, NULL);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, f), 0);
	ck_assert_int_eq(corun_future_state(f), CORUN_FUTURE_RESULT);
	ck_assert_ptr_eq(corun_future_result(f, NULL), (void *)42);
	corun_future_unref(f);
	corun_loop_free(loop);
}
END_TEST

START_TEST(test_run_until_complete_stopped)
{
	corun_loop *loop = new_loop();
	corun_future *f;

	corun_future_new(loop, &f);
	corun_call_later(loop, 0.005, stop_cb, loop, NULL);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, f),
	    CORUN_ESTATE);
	ck_assert(!corun_future_done(f));
	corun_future_unref(f);
	corun_loop_free(loop);
}
END_TEST

struct io {
	corun_loop *loop;
	char got;
};

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct io *io = arg;

	(void)what;
	ck_assert_int_eq(read(fd, &io->got, 1), 1);
	corun_loop_stop(io->loop);
}

static void
write_cb(void *arg)
{
	ck_assert_int_eq(write(*(int *)arg, "x", 1), 1);
}

START_TEST(test_libevent_io_through_base)
{
	struct io io = { .loop = new_loop(), .got = 0 };
	int fds[2];
	struct event *ev;

	ck_assert_int_eq(pipe(fds), 0);
	ev = event_new(corun_loop_base(io.loop), fds[0], EV_READ, io_cb, &io);
	event_add(ev, NULL);
	corun_call_later(io.loop, 0.01, write_cb, &fds[1], NULL);
	corun_loop_run_forever(io.loop);
	ck_assert_int_eq(io.got, 'x');
	event_free(ev);
	close(fds[0]);
	close(fds[1]);
	corun_loop_free(io.loop);
}
END_TEST

START_TEST(test_bad_arguments)
{
	corun_loop *loop = new_loop();

	ck_assert_int_eq(corun_loop_new(NULL), CORUN_EINVAL);
	ck_assert_int_eq(corun_call_soon(loop, NULL, NULL, NULL),
	    CORUN_EINVAL);
	ck_assert_int_eq(corun_call_later(NULL, 1, stop_cb, NULL, NULL),
	    CORUN_EINVAL);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, NULL),
	    CORUN_EINVAL);
	ck_assert_str_eq(corun_strerror(CORUN_ETIMEDOUT), "timed out");
	ck_assert_str_eq(corun_strerror(9999), "unknown error");
	corun_loop_free(loop);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_call_soon_fifo);
	tcase_add_test(tc, test_soon_from_callback_waits_next_iteration);
	tcase_add_test(tc, test_call_later_order);
	tcase_add_test(tc, test_call_at_same_deadline_fifo);
	tcase_add_test(tc, test_call_later_not_early);
	tcase_add_test(tc, test_handle_cancel);
	tcase_add_test(tc, test_many_timers_in_order);
	tcase_add_test(tc, test_mixed_deadlines_stable_order);
	tcase_add_test(tc, test_call_soon_threadsafe_wakes_loop);
	tcase_add_test(tc, test_call_soon_threadsafe_many_threads);
	tcase_add_test(tc, test_stop_threadsafe);
	tcase_add_test(tc, test_nested_run_refused);
	tcase_add_test(tc, test_run_until_complete);
	tcase_add_test(tc, test_run_until_complete_stopped);
	tcase_add_test(tc, test_libevent_io_through_base);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
