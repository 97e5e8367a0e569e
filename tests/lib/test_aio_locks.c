/* SPDX-License-Identifier: MIT */
/*
 * test_aio_locks.c - CPython's Lib/test/test_asyncio/test_locks.py and
 * test_queues.py, ported to libcorun's corun/sync.h and corun/queue.h.
 * Each test is named <python file>__<python method>; the comment above it
 * gives the class.  Python's "await x" on a primitive is the matching
 * corun call inside a task.
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

static corun_future *
spawn(corun_task_fn fn, void *arg)
{
	corun_future *t;

	ck_assert_int_eq(corun_task_spawn(loop, fn, arg, NULL, &t), 0);
	return t;
}

/* A task nobody waits for: the loop holds it, the test keeps no ref. */
static void
spawn_bg(corun_task_fn fn, void *arg)
{
	ck_assert_int_eq(corun_task_spawn(loop, fn, arg, NULL, NULL), 0);
}

static void
spin(int n)
{
	for (int i = 0; i < n; i++) {
		corun_loop_run_once(loop, 0);
	}
}

static int order[8], norder;

struct who {
	void *obj;
	int id;
};

static int
lock_user(void *arg)
{
	struct who *w = arg;
	int rc = corun_lock_acquire(w->obj);

	if (rc == 0) {
		order[norder++] = w->id;
	}
	return rc;
}

/* test_locks.py, LockTests.test_acquire */
START_TEST(test_locks__test_acquire)
{
	corun_lock *l;
	struct who w[3] = { { NULL, 1 }, { NULL, 2 }, { NULL, 3 } };
	corun_future *t[3];

	norder = 0;
	corun_lock_new(loop, &l);
	spawn_bg(lock_user, &(struct who){ l, 0 });	/* takes it at once */
	spin(1);
	ck_assert(corun_lock_locked(l));
	for (int i = 0; i < 3; i++) {
		w[i].obj = l;
		t[i] = spawn(lock_user, &w[i]);
	}
	spin(2);
	ck_assert_int_eq(norder, 1);
	for (int i = 1; i <= 3; i++) {
		ck_assert_int_eq(corun_lock_release(l), 0);
		spin(3);
		ck_assert_int_eq(norder, i + 1);
		ck_assert_int_eq(order[i], i);	/* FIFO */
	}
	ck_assert_int_eq(corun_lock_release(l), 0);
	for (int i = 0; i < 3; i++) {
		corun_future_unref(t[i]);
	}
	ck_assert_int_eq(corun_lock_free(l), 0);
}
END_TEST

/* test_locks.py, LockTests.test_acquire_cancel */
START_TEST(test_locks__test_acquire_cancel)
{
	corun_lock *l;
	corun_future *t;

	norder = 0;
	corun_lock_new(loop, &l);
	spawn_bg(lock_user, &(struct who){ l, 0 });
	spin(1);
	t = spawn(lock_user, &(struct who){ l, 1 });
	spin(1);
	corun_future_cancel(t);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t),
	    CORUN_ECANCELED);
	ck_assert_int_eq(norder, 1);
	ck_assert_int_eq(corun_lock_release(l), 0);
	ck_assert(!corun_lock_locked(l));
	corun_future_unref(t);
	ck_assert_int_eq(corun_lock_free(l), 0);
}
END_TEST

/* test_locks.py, LockTests.test_release_not_acquired */
START_TEST(test_locks__test_release_not_acquired)
{
	corun_lock *l;

	corun_lock_new(loop, &l);
	ck_assert_int_eq(corun_lock_release(l), CORUN_ESTATE);
	corun_lock_free(l);
}
END_TEST

static int
event_waiter(void *arg)
{
	struct who *w = arg;
	int rc = corun_event_wait(w->obj);

	if (rc == 0) {
		order[norder++] = w->id;
	}
	return rc;
}

/* test_locks.py, EventTests.test_wait */
START_TEST(test_locks__EventTests_test_wait)
{
	corun_event *ev;
	struct who w[3];
	corun_future *t[3];

	norder = 0;
	corun_event_new(loop, &ev);
	ck_assert(!corun_event_is_set(ev));
	for (int i = 0; i < 3; i++) {
		w[i].obj = ev;
		w[i].id = i + 1;
		t[i] = spawn(event_waiter, &w[i]);
	}
	spin(2);
	ck_assert_int_eq(norder, 0);
	corun_event_set(ev);
	spin(2);
	ck_assert_int_eq(norder, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(order[i], i + 1);
		ck_assert(corun_future_done(t[i]));
		corun_future_unref(t[i]);
	}
	corun_event_free(ev);
}
END_TEST

/* test_locks.py, EventTests.test_clear */
START_TEST(test_locks__EventTests_test_clear)
{
	corun_event *ev;
	corun_future *t;

	norder = 0;
	corun_event_new(loop, &ev);
	corun_event_set(ev);
	ck_assert(corun_event_is_set(ev));
	corun_event_clear(ev);
	ck_assert(!corun_event_is_set(ev));
	t = spawn(event_waiter, &(struct who){ ev, 1 });
	spin(2);
	ck_assert(!corun_future_done(t));
	corun_future_cancel(t);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t),
	    CORUN_ECANCELED);	/* test_wait_cancel */
	corun_future_unref(t);
	ck_assert_int_eq(corun_event_free(ev), 0);
}
END_TEST

struct cond_arg {
	corun_condition *c;
	int id;
	int *ready;
};

static int
cond_waiter(void *arg)
{
	struct cond_arg *a = arg;
	int rc;

	corun_lock_acquire(corun_condition_lock(a->c));
	rc = corun_condition_wait(a->c);
	ck_assert(corun_lock_locked(corun_condition_lock(a->c)));
	if (rc == 0) {
		order[norder++] = a->id;
	}
	corun_lock_release(corun_condition_lock(a->c));
	return rc;
}

static int
notifier(void *arg)
{
	struct cond_arg *a = arg;

	corun_lock_acquire(corun_condition_lock(a->c));
	if (a->id == 0) {
		corun_condition_notify_all(a->c);
	} else {
		corun_condition_notify(a->c, (size_t)a->id);
	}
	corun_lock_release(corun_condition_lock(a->c));
	return 0;
}

/* test_locks.py, ConditionTests.test_notify */
START_TEST(test_locks__ConditionTests_test_notify)
{
	corun_condition *c;
	struct cond_arg a[3];

	norder = 0;
	corun_condition_new(loop, NULL, &c);
	for (int i = 0; i < 3; i++) {
		a[i] = (struct cond_arg){ c, i + 1, NULL };
		corun_future_unref(spawn(cond_waiter, &a[i]));
	}
	spin(3);
	corun_future_unref(spawn(notifier, &(struct cond_arg){ c, 1, NULL }));
	spin(4);
	ck_assert_int_eq(norder, 1);
	ck_assert_int_eq(order[0], 1);
	corun_future_unref(spawn(notifier, &(struct cond_arg){ c, 2, NULL }));
	spin(6);
	ck_assert_int_eq(norder, 3);
	ck_assert_int_eq(order[1], 2);
	ck_assert_int_eq(order[2], 3);
	ck_assert_int_eq(corun_condition_free(c), 0);
}
END_TEST

/* test_locks.py, ConditionTests.test_notify_all */
START_TEST(test_locks__ConditionTests_test_notify_all)
{
	corun_condition *c;
	struct cond_arg a[3];

	norder = 0;
	corun_condition_new(loop, NULL, &c);
	for (int i = 0; i < 3; i++) {
		a[i] = (struct cond_arg){ c, i + 1, NULL };
		corun_future_unref(spawn(cond_waiter, &a[i]));
	}
	spin(3);
	corun_future_unref(spawn(notifier, &(struct cond_arg){ c, 0, NULL }));
	spin(8);
	ck_assert_int_eq(norder, 3);
	ck_assert_int_eq(corun_condition_free(c), 0);
}
END_TEST

/* test_locks.py, ConditionTests.test_notify_unacquired */
START_TEST(test_locks__ConditionTests_test_notify_unacquired)
{
	corun_condition *c;

	corun_condition_new(loop, NULL, &c);
	ck_assert_int_eq(corun_condition_notify(c, 1), CORUN_ESTATE);
	ck_assert_int_eq(corun_condition_notify_all(c), CORUN_ESTATE);
	corun_condition_free(c);
}
END_TEST

static int
sem_user(void *arg)
{
	struct who *w = arg;
	int rc = corun_semaphore_acquire(w->obj);

	if (rc == 0) {
		order[norder++] = w->id;
	}
	return rc;
}

/* test_locks.py, SemaphoreTests.test_acquire */
START_TEST(test_locks__SemaphoreTests_test_acquire)
{
	corun_semaphore *s;
	struct who w[4];

	norder = 0;
	corun_semaphore_new(loop, 3, 0, &s);
	ck_assert_uint_eq(corun_semaphore_value(s), 3);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct who){ s, i + 1 };
		corun_future_unref(spawn(sem_user, &w[i]));
	}
	spin(3);
	ck_assert_int_eq(norder, 3);
	ck_assert(corun_semaphore_locked(s));
	corun_semaphore_release(s);
	spin(3);
	ck_assert_int_eq(norder, 4);
	ck_assert_int_eq(order[3], 4);
	for (int i = 0; i < 4; i++) {
		corun_semaphore_release(s);
	}
	ck_assert_uint_eq(corun_semaphore_value(s), 4);	/* unbounded */
	corun_semaphore_free(s);
}
END_TEST

/* test_locks.py, SemaphoreTests.test_release_not_acquired */
START_TEST(test_locks__SemaphoreTests_test_release_not_acquired)
{
	corun_semaphore *s;

	corun_semaphore_new(loop, 1, 1, &s);	/* BoundedSemaphore */
	ck_assert_int_eq(corun_semaphore_release(s), CORUN_ERANGE);
	corun_semaphore_free(s);
}
END_TEST

/* test_locks.py, SemaphoreTests.test_acquire_cancel */
START_TEST(test_locks__SemaphoreTests_test_acquire_cancel)
{
	corun_semaphore *s;
	corun_future *t;

	norder = 0;
	corun_semaphore_new(loop, 0, 0, &s);
	t = spawn(sem_user, &(struct who){ s, 1 });
	spin(1);
	corun_future_cancel(t);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t),
	    CORUN_ECANCELED);
	ck_assert_uint_eq(corun_semaphore_value(s), 0);
	ck_assert_int_eq(corun_semaphore_free(s), 0);
	corun_future_unref(t);
}
END_TEST

/* ---- queues ----------------------------------------------------------- */

static int
int_cmp(const void *a, const void *b)
{
	intptr_t x = (intptr_t)a, y = (intptr_t)b;

	return x < y ? -1 : x > y;
}

static void
check_order(enum corun_queue_kind kind, const int *want)
{
	int in[4] = { 1, 3, 2, 4 };
	corun_queue *q;
	void *it;

	ck_assert_int_eq(corun_queue_new(loop, kind, 0, int_cmp, &q), 0);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(corun_queue_put_nowait(q,
		    (void *)(intptr_t)in[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(corun_queue_get_nowait(q, &it), 0);
		ck_assert_int_eq((int)(intptr_t)it, want[i]);
	}
	corun_queue_free(q);
}

/* test_queues.py, QueueBasicTests.test_order */
START_TEST(test_queues__QueueBasicTests_test_order)
{
	check_order(CORUN_QUEUE_FIFO, (int[]){ 1, 3, 2, 4 });
}
END_TEST

/* test_queues.py, LifoQueueTests.test_order */
START_TEST(test_queues__LifoQueueTests_test_order)
{
	check_order(CORUN_QUEUE_LIFO, (int[]){ 4, 2, 3, 1 });
}
END_TEST

/* test_queues.py, PriorityQueueTests.test_order */
START_TEST(test_queues__PriorityQueueTests_test_order)
{
	check_order(CORUN_QUEUE_PRIORITY, (int[]){ 1, 2, 3, 4 });
}
END_TEST

/* test_queues.py, QueueBasicTests.test_full / test_empty */
START_TEST(test_queues__QueueBasicTests_test_full)
{
	corun_queue *q;
	void *it;

	corun_queue_new(loop, CORUN_QUEUE_FIFO, 1, NULL, &q);
	ck_assert(corun_queue_empty(q));
	ck_assert(!corun_queue_full(q));
	ck_assert_int_eq(corun_queue_get_nowait(q, &it), CORUN_EAGAIN);
	ck_assert_int_eq(corun_queue_put_nowait(q, (void *)1), 0);
	ck_assert(corun_queue_full(q));
	ck_assert_int_eq(corun_queue_put_nowait(q, (void *)2), CORUN_EAGAIN);
	ck_assert_uint_eq(corun_queue_size(q), 1);
	corun_queue_free(q);
}
END_TEST

struct qarg {
	corun_queue *q;
	void *item;
	int rc;
};

static int
getter(void *arg)
{
	struct qarg *a = arg;

	a->rc = corun_queue_get(a->q, &a->item);
	return a->rc;
}

static int
putter(void *arg)
{
	struct qarg *a = arg;

	a->rc = corun_queue_put(a->q, a->item);
	return a->rc;
}

/* test_queues.py, QueueGetTests.test_blocking_get_wait */
START_TEST(test_queues__QueueGetTests_test_blocking_get_wait)
{
	corun_queue *q;
	struct qarg a = { NULL, NULL, -1 };
	corun_future *t;

	corun_queue_new(loop, CORUN_QUEUE_FIFO, 0, NULL, &q);
	a.q = q;
	t = spawn(getter, &a);
	spin(2);
	ck_assert(!corun_future_done(t));
	corun_queue_put_nowait(q, (void *)7);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t), 0);
	ck_assert_ptr_eq(a.item, (void *)7);
	corun_future_unref(t);
	corun_queue_free(q);
}
END_TEST

/* test_queues.py, QueueGetTests.test_get_cancelled */
START_TEST(test_queues__QueueGetTests_test_get_cancelled)
{
	corun_queue *q;
	struct qarg a = { NULL, NULL, -1 }, b = { NULL, NULL, -1 };
	corun_future *t1, *t2;

	corun_queue_new(loop, CORUN_QUEUE_FIFO, 0, NULL, &q);
	a.q = b.q = q;
	t1 = spawn(getter, &a);
	t2 = spawn(getter, &b);
	spin(2);
	corun_future_cancel(t1);
	corun_queue_put_nowait(q, (void *)5);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t2), 0);
	ck_assert_ptr_eq(b.item, (void *)5);	/* not lost with t1 */
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t1),
	    CORUN_ECANCELED);
	corun_future_unref(t1);
	corun_future_unref(t2);
	ck_assert_int_eq(corun_queue_free(q), 0);
}
END_TEST

/* test_queues.py, QueuePutTests.test_blocking_put_wait */
START_TEST(test_queues__QueuePutTests_test_blocking_put_wait)
{
	corun_queue *q;
	struct qarg a = { NULL, (void *)2, -1 };
	corun_future *t;
	void *it;

	corun_queue_new(loop, CORUN_QUEUE_FIFO, 1, NULL, &q);
	corun_queue_put_nowait(q, (void *)1);
	a.q = q;
	t = spawn(putter, &a);
	spin(2);
	ck_assert(!corun_future_done(t));
	corun_queue_get_nowait(q, &it);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, t), 0);
	ck_assert_uint_eq(corun_queue_size(q), 1);
	corun_queue_get_nowait(q, &it);
	ck_assert_ptr_eq(it, (void *)2);
	corun_future_unref(t);
	corun_queue_free(q);
}
END_TEST

static int
consumer(void *arg)
{
	corun_queue *q = arg;
	void *it;
	int rc;

	while ((rc = corun_queue_get(q, &it)) == 0) {
		order[norder++] = (int)(intptr_t)it;
		corun_queue_task_done(q);
	}
	return rc == CORUN_ECANCELED ? 0 : rc;
}

static int
joiner(void *arg)
{
	return corun_queue_join(arg);
}

/* test_queues.py, _QueueJoinTestMixin.test_task_done */
START_TEST(test_queues__test_task_done)
{
	corun_queue *q;
	corun_future *c[2], *j;

	norder = 0;
	corun_queue_new(loop, CORUN_QUEUE_FIFO, 0, NULL, &q);
	for (int i = 0; i < 6; i++) {
		corun_queue_put_nowait(q, (void *)(intptr_t)i);
	}
	c[0] = spawn(consumer, q);
	c[1] = spawn(consumer, q);
	j = spawn(joiner, q);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, j), 0);
	ck_assert_int_eq(norder, 6);
	for (int i = 0; i < 2; i++) {
		corun_future_cancel(c[i]);
		corun_loop_run_until_complete(loop, c[i]);
		corun_future_unref(c[i]);
	}
	corun_future_unref(j);
	ck_assert_int_eq(corun_queue_free(q), 0);
}
END_TEST

/* test_queues.py, _QueueJoinTestMixin.test_task_done_underflow */
START_TEST(test_queues__test_task_done_underflow)
{
	corun_queue *q;

	corun_queue_new(loop, CORUN_QUEUE_FIFO, 0, NULL, &q);
	ck_assert_int_eq(corun_queue_task_done(q), CORUN_ESTATE);
	corun_queue_free(q);
}
END_TEST

/* test_queues.py, _QueueJoinTestMixin.test_join_empty_queue */
START_TEST(test_queues__test_join_empty_queue)
{
	corun_queue *q;
	corun_future *j;

	corun_queue_new(loop, CORUN_QUEUE_FIFO, 0, NULL, &q);
	j = spawn(joiner, q);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, j), 0);
	corun_future_unref(j);
	corun_queue_free(q);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("aio_locks");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_locks__test_acquire);
	tcase_add_test(tc, test_locks__test_acquire_cancel);
	tcase_add_test(tc, test_locks__test_release_not_acquired);
	tcase_add_test(tc, test_locks__EventTests_test_wait);
	tcase_add_test(tc, test_locks__EventTests_test_clear);
	tcase_add_test(tc, test_locks__ConditionTests_test_notify);
	tcase_add_test(tc, test_locks__ConditionTests_test_notify_all);
	tcase_add_test(tc, test_locks__ConditionTests_test_notify_unacquired);
	tcase_add_test(tc, test_locks__SemaphoreTests_test_acquire);
	tcase_add_test(tc, test_locks__SemaphoreTests_test_release_not_acquired);
	tcase_add_test(tc, test_locks__SemaphoreTests_test_acquire_cancel);
	tcase_add_test(tc, test_queues__QueueBasicTests_test_order);
	tcase_add_test(tc, test_queues__LifoQueueTests_test_order);
	tcase_add_test(tc, test_queues__PriorityQueueTests_test_order);
	tcase_add_test(tc, test_queues__QueueBasicTests_test_full);
	tcase_add_test(tc, test_queues__QueueGetTests_test_blocking_get_wait);
	tcase_add_test(tc, test_queues__QueueGetTests_test_get_cancelled);
	tcase_add_test(tc, test_queues__QueuePutTests_test_blocking_put_wait);
	tcase_add_test(tc, test_queues__test_task_done);
	tcase_add_test(tc, test_queues__test_task_done_underflow);
	tcase_add_test(tc, test_queues__test_join_empty_queue);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
