/* SPDX-License-Identifier: MIT */
/*
 * sync-sem.c - asyncio's Semaphore and BoundedSemaphore for tasks
 * (corun/sync.h).  FIFO: a newcomer does not pass woken waiters.
 */
#include "config.h"

#include <stdlib.h>

#include <corun/sync.h>

#include "sync-internal.h"

struct corun_semaphore {
	corun_loop *loop;
	struct cr_waitq wq;
	unsigned value, bound;
	int bounded;
};

int
corun_semaphore_new(corun_loop *loop, unsigned value, int bounded,
    corun_semaphore **out)
{
	corun_semaphore *s;

	if (loop == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		return CORUN_ENOMEM;
	}
	s->loop = loop;
	s->value = s->bound = value;
	s->bounded = bounded != 0;
	*out = s;
	return 0;
}

int
corun_semaphore_free(corun_semaphore *s)
{
	if (s == NULL) {
		return 0;
	}
	if (s->wq.n > 0) {
		return CORUN_EBUSY;
	}
	cr_waitq_free(&s->wq);
	free(s);
	return 0;
}

int
corun_semaphore_locked(const corun_semaphore *s)
{
	/* Waiters not yet served count as ahead of a newcomer. */
	return s == NULL || s->value == 0 || s->wq.n > 0;
}

unsigned
corun_semaphore_value(const corun_semaphore *s)
{
	return s != NULL ? s->value : 0;
}

int
corun_semaphore_acquire(corun_semaphore *s)
{
	int rc, woken;

	if (s == NULL) {
		return CORUN_EINVAL;
	}
	if (!corun_semaphore_locked(s)) {
		s->value--;
		return 0;
	}
	while ((rc = cr_waitq_wait(&s->wq, s->loop, &woken)) == 0 &&
	    s->value == 0) {
	}
	if (rc != 0) {
		if (woken && s->value > 0) {
			cr_waitq_wake_one(&s->wq);
		}
		return rc;
	}
	s->value--;
	/* More left (several releases): the next waiter may go too. */
	if (s->value > 0) {
		cr_waitq_wake_one(&s->wq);
	}
	return 0;
}

int
corun_semaphore_release(corun_semaphore *s)
{
	if (s == NULL) {
		return CORUN_EINVAL;
	}
	if (s->bounded && s->value >= s->bound) {
		return CORUN_ERANGE;
	}
	s->value++;
	cr_waitq_wake_one(&s->wq);
	return 0;
}
