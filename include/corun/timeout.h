/* SPDX-License-Identifier: MIT */
/*
 * corun/timeout.h - timeout scopes (asyncio.timeout() and timeout_at()): a
 * deadline over any stretch of awaits in a task.
 *
 *	corun_timeout *tm;
 *	int rc = corun_timeout_enter(2.5, &tm);    // or _enter_at(when)
 *	if (rc == 0) {
 *		rc = step_one();                    // any awaits
 *		if (rc == 0)
 *			rc = step_two();
 *		rc = corun_timeout_exit(tm, rc);    // CORUN_ETIMEDOUT if expired
 *		corun_timeout_free(tm);
 *	}
 *
 * When the deadline passes, the task that entered the scope is cancelled
 * (corun_future_cancel: its current or next await returns CORUN_ECANCELED).
 * At the end of the scope corun_timeout_exit() turns that cancellation into
 * CORUN_ETIMEDOUT, withdrawing the request it made (corun_task_uncancel),
 * so the task is not cancelled beyond the scope.  A cancellation from
 * elsewhere stays a cancellation: exit returns CORUN_ECANCELED when
 * another request is still counted in corun_task_cancelling() beyond
 * those that were counted when the scope was entered.  Scopes nest; only
 * the scope that expired turns the cancellation into a timeout.
 *
 * Contracts: enter and exit are called from the body of one task (a
 * stackful or step task) on its loop's thread, exit before the task's body
 * returns; reschedule, when and expired may be called from anything on
 * that loop's thread.  The caller owns the scope: corun_timeout_free()
 * after exit (the object stays readable between the two).
 */
#ifndef CORUN_TIMEOUT_H
#define CORUN_TIMEOUT_H

#include <corun/error.h>
#include <corun/future.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corun_timeout corun_timeout;

/*
 * Enter a scope whose deadline is delay seconds from now (asyncio.timeout).
 * CORUN_NO_TIMEOUT: no deadline (set one later with reschedule); 0 or
 * negative: already expired, the cancellation comes at the next await.
 * *out receives a new scope owned by the caller.  CORUN_ENOTCO outside a
 * task, CORUN_EINVAL for NaN, CORUN_ENOMEM.
 */
int corun_timeout_enter(double delay, corun_timeout **out);

/* The same with an absolute deadline in corun_loop_time() seconds
   (asyncio.timeout_at); CORUN_NO_TIMEOUT for none. */
int corun_timeout_enter_at(double when, corun_timeout **out);

/*
 * Move the deadline to when (absolute, corun_loop_time(); CORUN_NO_TIMEOUT
 * removes it).  CORUN_ESTATE once the scope expired or was left.
 */
int corun_timeout_reschedule(corun_timeout *tm, double when);

/* The deadline (absolute), or CORUN_NO_TIMEOUT when there is none. */
double corun_timeout_when(const corun_timeout *tm);

/* Nonzero once the deadline passed while the scope was active. */
int corun_timeout_expired(const corun_timeout *tm);

/*
 * Leave the scope; rc is the status the body ends the scope with (0, or
 * the error its last await returned).  Returns CORUN_ETIMEDOUT when the
 * scope expired and rc is the CORUN_ECANCELED it caused, else rc
 * unchanged.  CORUN_ESTATE if already left.
 */
int corun_timeout_exit(corun_timeout *tm, int rc);

/* Free a scope (leaving it first, as exit with rc 0, if still active). */
void corun_timeout_free(corun_timeout *tm);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_TIMEOUT_H */
