/* SPDX-License-Identifier: MIT */
/*
 * as-completed.c - corun_as_completed: hands out the inputs in the order
 * they complete, with an optional overall timeout.
 */
#include "config.h"

#include <stdlib.h>

#include "combine-internal.h"

/* ---- as_completed ----------------------------------------------------- */

/*
 * Not a future: it lives until corun_as_completed_free(), which removes its
 * callbacks from the inputs and cancels its timer.
 */
struct corun_as_completed {
	corun_loop *loop;
	int timed_out;
	corun_future **futs;
	corun_future **ready;		/* in completion order */
	size_t n, nready, nreturned;
	corun_handle *timer;
	corun_future *waiter;		/* set while next() sleeps */
};

static void
ac_wake(corun_as_completed *ac)
{
	if (ac->waiter != NULL && !corun_future_done(ac->waiter)) {
		corun_future_set_result(ac->waiter, NULL, NULL);
	}
}

static void
ac_done(corun_future *f, void *arg)
{
	corun_as_completed *ac = arg;

	ac->ready[ac->nready++] = f;
	ac_wake(ac);
}

static void
ac_timeout(void *arg)
{
	corun_as_completed *ac = arg;

	cr_combine_timer_fired(&ac->timer);
	ac->timed_out = 1;
	ac_wake(ac);
}

/* The loop is freed first (a misuse): at least forget the handle. */
static void
ac_timer_drop(void *arg)
{
	corun_as_completed *ac = arg;

	cr_combine_timer_fired(&ac->timer);
}

static int ac_new(corun_loop *loop, corun_future *const *futs, size_t n,
    double timeout, corun_as_completed **out);

int
corun_as_completed_new(corun_loop *loop, corun_future *const *futs,
    size_t n, double timeout, corun_as_completed **out)
{
	corun_future **uniq;
	size_t nuniq;
	int rc = 0;

	if (out == NULL || (rc = cr_combine_check_inputs(loop, futs, n)) != 0) {
		return rc != 0 ? rc : CORUN_EINVAL;
	}
	if (isnan(timeout)) {
		return CORUN_EINVAL;
	}
	/* A future given twice comes back once. */
	if ((rc = cr_combine_unique(futs, n, &uniq, &nuniq)) != 0) {
		return rc;
	}
	rc = ac_new(loop, uniq, nuniq, timeout, out);
	if (uniq != futs) {
		free(uniq);
	}
	return rc;
}

static int
ac_new(corun_loop *loop, corun_future *const *futs, size_t n,
    double timeout, corun_as_completed **out)
{
	corun_as_completed *ac;
	size_t i, alloc = n > 0 ? n : 1;
	int rc = 0;

	if ((ac = calloc(1, sizeof(*ac))) == NULL) {
		return CORUN_ENOMEM;
	}
	ac->loop = loop;
	ac->futs = calloc(alloc, sizeof(*ac->futs));
	ac->ready = calloc(alloc, sizeof(*ac->ready));
	if (ac->futs == NULL || ac->ready == NULL) {
		corun_as_completed_free(ac);
		return CORUN_ENOMEM;
	}
	for (i = 0; i < n && rc == 0; i++) {
		ac->futs[i] = corun_future_ref(futs[i]);
		ac->n = i + 1;
		rc = corun_future_add_done_callback(futs[i], ac_done, ac);
	}
	if (rc == 0 && !cr_no_timeout(timeout) && n > 0) {
		rc = corun_call_later(loop, cr_timeout_delay(timeout), ac_timeout, ac,
		    &ac->timer);
		if (rc == 0) {
			ac->timer->drop = ac_timer_drop;
		} else {
			ac->timer = NULL;
		}
	}
	if (rc != 0) {
		corun_as_completed_free(ac);
		return rc;
	}
	*out = ac;
	return 0;
}

int
corun_as_completed_next(corun_as_completed *ac, corun_future **next)
{
	corun_future *w;
	int rc;

	if (ac == NULL || next == NULL) {
		return CORUN_EINVAL;
	}
	for (;;) {
		if (ac->nreturned < ac->nready) {
			*next = ac->ready[ac->nreturned++];
			return 0;
		}
		if (ac->nreturned == ac->n) {
			return CORUN_EDONE;
		}
		if (ac->timed_out) {
			return CORUN_ETIMEDOUT;
		}
		if (ac->waiter != NULL) {
			return CORUN_EBUSY;	/* another task is in next() */
		}
		if (corun_task_self() == NULL) {
			return CORUN_ENOTCO;
		}
		if ((rc = corun_future_new(ac->loop, &w)) != 0) {
			return rc;
		}
		ac->waiter = w;
		rc = corun_await(w);
		ac->waiter = NULL;
		corun_future_unref(w);
		if (rc != 0) {
			return rc;	/* this task was cancelled */
		}
	}
}

void
corun_as_completed_free(corun_as_completed *ac)
{
	size_t i;

	if (ac == NULL) {
		return;
	}
	if (ac->timer != NULL) {
		corun_handle_cancel(ac->timer);
		cr_combine_timer_fired(&ac->timer);
	}
	for (i = 0; i < ac->n; i++) {
		corun_future_discard_callback(ac->futs[i], ac_done, ac);
		corun_future_unref(ac->futs[i]);
	}
	free(ac->futs);
	free(ac->ready);
	free(ac);
}
