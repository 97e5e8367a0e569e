/* SPDX-License-Identifier: MIT */
/*
 * sync-lock.c - asyncio's Lock and Event for tasks (corun/sync.h).
 *
 * A release wakes the oldest waiter, which takes the lock when it runs;
 * a newcomer finding the lock free while woken waiters are on their way
 * queues behind them (FIFO, as asyncio).  A woken waiter cancelled before
 * it ran passes the wake-up on.
 */
#include "config.h"

#include <stdlib.h>

#include <corun/sync.h>

#include "sync-internal.h"

struct corun_lock {
	corun_loop *loop;
	struct cr_waitq wq;
	int locked;
};

struct corun_event {
	corun_loop *loop;
	struct cr_waitq wq;
	int set;
};

int
corun_lock_new(corun_loop *loop, corun_lock **out)
{
	if (loop == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if ((*out = calloc(1, sizeof(**out))) == NULL) {
		return CORUN_ENOMEM;
	}
	(*out)->loop = loop;
	return 0;
}

int
corun_lock_free(corun_lock *lock)
{
	if (lock == NULL) {
		return 0;
	}
	if (lock->wq.n > 0) {
		return CORUN_EBUSY;
	}
	cr_waitq_free(&lock->wq);
	free(lock);
	return 0;
}

int
corun_lock_acquire(corun_lock *lock)
{
	int rc, woken;

	if (lock == NULL) {
		return CORUN_EINVAL;
	}
	if (!lock->locked && lock->wq.n == 0) {
		lock->locked = 1;
		return 0;
	}
	while ((rc = cr_waitq_wait(&lock->wq, lock->loop, &woken)) == 0 &&
	    lock->locked) {
		/* Woken, then someone else took it first: wait again. */
	}
	if (rc != 0) {
		if (woken && !lock->locked) {
			cr_waitq_wake_one(&lock->wq);	/* pass it on */
		}
		return rc;
	}
	lock->locked = 1;
	return 0;
}

int
corun_lock_release(corun_lock *lock)
{
	if (lock == NULL) {
		return CORUN_EINVAL;
	}
	if (!lock->locked) {
		return CORUN_ESTATE;
	}
	lock->locked = 0;
	cr_waitq_wake_one(&lock->wq);
	return 0;
}

int
corun_lock_locked(const corun_lock *lock)
{
	return lock != NULL && lock->locked;
}

int
corun_event_new(corun_loop *loop, corun_event **out)
{
	if (loop == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if ((*out = calloc(1, sizeof(**out))) == NULL) {
		return CORUN_ENOMEM;
	}
	(*out)->loop = loop;
	return 0;
}

int
corun_event_free(corun_event *ev)
{
	if (ev == NULL) {
		return 0;
	}
	if (ev->wq.n > 0) {
		return CORUN_EBUSY;
	}
	cr_waitq_free(&ev->wq);
	free(ev);
	return 0;
}

int
corun_event_wait(corun_event *ev)
{
	if (ev == NULL) {
		return CORUN_EINVAL;
	}
	if (ev->set) {
		return 0;
	}
	return cr_waitq_wait(&ev->wq, ev->loop, NULL);
}

void
corun_event_set(corun_event *ev)
{
	if (ev != NULL && !ev->set) {
		ev->set = 1;
		cr_waitq_wake_all(&ev->wq);
	}
}

void
corun_event_clear(corun_event *ev)
{
	if (ev != NULL) {
		ev->set = 0;
	}
}

int
corun_event_is_set(const corun_event *ev)
{
	return ev != NULL && ev->set;
}
