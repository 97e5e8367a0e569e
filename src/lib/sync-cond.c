/* SPDX-License-Identifier: MIT */
/*
 * sync-cond.c - asyncio's Condition for tasks (corun/sync.h): waiters
 * release the lock, wait to be notified, and take the lock again before
 * returning, even when cancelled.
 */
#include "config.h"

#include <stdlib.h>

#include <corun/sync.h>
#include <corun/task.h>

#include "sync-internal.h"

struct corun_condition {
	corun_loop *loop;
	corun_lock *lock;
	int own_lock;
	struct cr_waitq wq;
};

int
corun_condition_new(corun_loop *loop, corun_lock *lock,
    corun_condition **out)
{
	corun_condition *c;
	int rc;

	if (loop == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		return CORUN_ENOMEM;
	}
	c->loop = loop;
	c->lock = lock;
	if (lock == NULL) {
		if ((rc = corun_lock_new(loop, &c->lock)) != 0) {
			free(c);
			return rc;
		}
		c->own_lock = 1;
	}
	*out = c;
	return 0;
}

int
corun_condition_free(corun_condition *c)
{
	if (c == NULL) {
		return 0;
	}
	if (c->wq.n > 0) {
		return CORUN_EBUSY;
	}
	if (c->own_lock && corun_lock_free(c->lock) != 0) {
		return CORUN_EBUSY;
	}
	cr_waitq_free(&c->wq);
	free(c);
	return 0;
}

corun_lock *
corun_condition_lock(corun_condition *c)
{
	return c != NULL ? c->lock : NULL;
}

int
corun_condition_wait(corun_condition *c)
{
	int rc, woken, rc2;

	if (c == NULL) {
		return CORUN_EINVAL;
	}
	if (!corun_lock_locked(c->lock)) {
		return CORUN_ESTATE;
	}
	if (corun_task_self() == NULL) {
		return CORUN_ENOTCO;
	}
	corun_lock_release(c->lock);
	rc = cr_waitq_wait(&c->wq, c->loop, &woken);
	if (rc != 0 && woken) {
		cr_waitq_wake_one(&c->wq);	/* the notification goes on */
	}
	/* Take the lock back whatever happens; a cancellation while doing
	   so is kept for the caller. */
	while ((rc2 = corun_lock_acquire(c->lock)) == CORUN_ECANCELED) {
		rc = CORUN_ECANCELED;
	}
	return rc != 0 ? rc : rc2;
}

int
corun_condition_wait_for(corun_condition *c, int (*pred)(void *arg),
    void *arg)
{
	int rc;

	if (c == NULL || pred == NULL) {
		return CORUN_EINVAL;
	}
	while (!pred(arg)) {
		if ((rc = corun_condition_wait(c)) != 0) {
			return rc;
		}
	}
	return 0;
}

int
corun_condition_notify(corun_condition *c, size_t n)
{
	if (c == NULL) {
		return CORUN_EINVAL;
	}
	if (!corun_lock_locked(c->lock)) {
		return CORUN_ESTATE;
	}
	while (n > 0 && cr_waitq_wake_one(&c->wq)) {
		n--;
	}
	return 0;
}

int
corun_condition_notify_all(corun_condition *c)
{
	return corun_condition_notify(c, (size_t)-1);
}
