/* SPDX-License-Identifier: MIT */
/*
 * sync-internal.h - the FIFO of waiting tasks that locks, events,
 * conditions, semaphores and queues share (sync-waiters.c).  Not
 * installed.  Each waiter is a plain future the task awaits; waking it
 * sets its result.  On the loop's thread only.
 */
#ifndef CORUN_SYNC_INTERNAL_H
#define CORUN_SYNC_INTERNAL_H

#include <stddef.h>

#include <corun/future.h>

struct cr_waitq {
	corun_future **v;	/* oldest first */
	size_t n, cap;
};

/*
 * From a stackful task: queue a waiter in wq and await it.  Returns 0 once
 * woken; else the await's status (CORUN_ECANCELED), with *woken (may be
 * NULL) nonzero when the waiter had been woken before the cancellation
 * arrived (the caller then passes the wake-up on).  The waiter has left
 * wq either way.  CORUN_ENOTCO outside a stackful task, CORUN_ENOMEM.
 */
int cr_waitq_wait(struct cr_waitq *wq, corun_loop *loop, int *woken);

/* Wake the oldest waiter not yet woken; 1 if one was, else 0. */
int cr_waitq_wake_one(struct cr_waitq *wq);

/* Wake every waiter; returns how many. */
size_t cr_waitq_wake_all(struct cr_waitq *wq);

/* Number of waiters not yet woken. */
size_t cr_waitq_pending(const struct cr_waitq *wq);

/* Free the list; waiters still queued are cancelled. */
void cr_waitq_free(struct cr_waitq *wq);

#endif /* CORUN_SYNC_INTERNAL_H */
