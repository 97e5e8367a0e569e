/* SPDX-License-Identifier: MIT */
/*
 * timeout-scope.c - timeout scopes: a deadline that cancels the task which
 * entered the scope, and turns that cancellation into CORUN_ETIMEDOUT when
 * the scope is left (asyncio.timeout).  See corun/timeout.h.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include <corun/timeout.h>

#include "task-internal.h"

enum {
	CR_TM_ACTIVE,		/* entered, deadline not passed */
	CR_TM_EXPIRING,		/* deadline passed: the task was cancelled */
	CR_TM_EXPIRED,		/* left after expiring */
	CR_TM_LEFT		/* left without expiring */
};

struct corun_timeout {
	corun_future *task;	/* borrowed: the scope lives in its body */
	corun_handle *timer;
	double when;		/* CORUN_NO_TIMEOUT: none */
	int cancelling;		/* the task's cancelling() at enter */
	int state;
};

static void
on_deadline(void *arg)
{
	corun_timeout *tm = arg;

	corun_handle_release(tm->timer);
	tm->timer = NULL;
	if (tm->state == CR_TM_ACTIVE) {
		tm->state = CR_TM_EXPIRING;
		(void)corun_future_cancel(tm->task);
	}
}

static void
disarm(corun_timeout *tm)
{
	if (tm->timer != NULL) {
		(void)corun_handle_cancel(tm->timer);
		corun_handle_release(tm->timer);
		tm->timer = NULL;
	}
}

static int
arm(corun_timeout *tm, double when)
{
	corun_loop *loop = corun_future_loop(tm->task);
	int rc;

	disarm(tm);
	tm->when = when;
	if (isinf(when) && when > 0) {
		return 0;
	}
	/* Already due: the cancellation comes at the next iteration. */
	if (when <= corun_loop_time(loop)) {
		rc = corun_call_soon(loop, on_deadline, tm, &tm->timer);
	} else {
		rc = corun_call_at(loop, when, on_deadline, tm, &tm->timer);
	}
	if (rc != 0) {
		tm->timer = NULL;
	}
	return rc;
}

int
corun_timeout_enter_at(double when, corun_timeout **out)
{
	corun_future *task = corun_task_self();
	corun_timeout *tm;
	int rc;

	if (out == NULL || isnan(when)) {
		return CORUN_EINVAL;
	}
	if (task == NULL) {
		return CORUN_ENOTCO;
	}
	if ((tm = calloc(1, sizeof(*tm))) == NULL) {
		return CORUN_ENOMEM;
	}
	tm->task = task;
	tm->cancelling = corun_task_cancelling(task);
	tm->state = CR_TM_ACTIVE;
	if ((rc = arm(tm, when)) != 0) {
		free(tm);
		return rc;
	}
	*out = tm;
	return 0;
}

int
corun_timeout_enter(double delay, corun_timeout **out)
{
	corun_future *task = corun_task_self();

	if (isnan(delay)) {
		return CORUN_EINVAL;
	}
	if (isinf(delay) && delay > 0) {
		return corun_timeout_enter_at(CORUN_NO_TIMEOUT, out);
	}
	if (task == NULL) {
		return CORUN_ENOTCO;
	}
	return corun_timeout_enter_at(corun_loop_time(corun_future_loop(task)) +
	    delay, out);
}

int
corun_timeout_reschedule(corun_timeout *tm, double when)
{
	if (tm == NULL || isnan(when)) {
		return CORUN_EINVAL;
	}
	if (tm->state != CR_TM_ACTIVE) {
		return CORUN_ESTATE;
	}
	return arm(tm, when);
}

double
corun_timeout_when(const corun_timeout *tm)
{
	return tm != NULL ? tm->when : CORUN_NO_TIMEOUT;
}

int
corun_timeout_expired(const corun_timeout *tm)
{
	return tm != NULL && (tm->state == CR_TM_EXPIRING ||
	    tm->state == CR_TM_EXPIRED);
}

int
corun_timeout_exit(corun_timeout *tm, int rc)
{
	if (tm == NULL) {
		return CORUN_EINVAL;
	}
	if (tm->state == CR_TM_EXPIRED || tm->state == CR_TM_LEFT) {
		return CORUN_ESTATE;
	}
	disarm(tm);
	if (tm->state == CR_TM_ACTIVE) {
		tm->state = CR_TM_LEFT;
		return rc;
	}
	tm->state = CR_TM_EXPIRED;
	/* Our request withdrawn; one from elsewhere keeps the count up. */
	if (corun_task_uncancel(tm->task) <= tm->cancelling &&
	    rc == CORUN_ECANCELED) {
		return CORUN_ETIMEDOUT;
	}
	return rc;
}

void
corun_timeout_free(corun_timeout *tm)
{
	if (tm == NULL) {
		return;
	}
	if (tm->state == CR_TM_ACTIVE || tm->state == CR_TM_EXPIRING) {
		(void)corun_timeout_exit(tm, 0);
	}
	free(tm);
}
