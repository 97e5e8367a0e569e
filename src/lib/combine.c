/* SPDX-License-Identifier: MIT */
/*
 * combine.c - the timers and checks every combinator shares, and the two
 * that watch a single future: shield and wait_for.  gather.c, wait.c and
 * as-completed.c hold the others; the reference rules they all follow are
 * in combine-internal.h.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "combine-internal.h"

/* ---- timers that hold a reference ------------------------------------ */

static void
ref_drop(void *arg)
{
	corun_future_unref(arg);
}

/* call_later(delay) with a reference on owner; delay < 0 means soon. */
int
cr_combine_timer_arm(corun_future *owner, double delay, corun_cb cb, corun_handle **h)
{
	int rc;

	if (delay < 0) {
		rc = corun_call_soon(owner->loop, cb, owner, h);
	} else {
		rc = corun_call_later(owner->loop, delay, cb, owner, h);
	}
	if (rc != 0) {
		*h = NULL;
		return rc;
	}
	corun_future_ref(owner);
	(*h)->drop = ref_drop;
	return 0;
}

/* Cancel an armed timer.  The caller holds a reference on owner. */
void
cr_combine_timer_disarm(corun_future *owner, corun_handle **h)
{
	corun_handle *t = *h;

	if (t == NULL) {
		return;
	}
	*h = NULL;
	if (corun_handle_cancel(t) == 0) {
		corun_future_unref(owner);	/* the timer's reference */
	}
	corun_handle_release(t);
}

/* From inside the timer's callback: forget the handle. */
void
cr_combine_timer_fired(corun_handle **h)
{
	corun_handle_release(*h);
	*h = NULL;
}

int
cr_combine_check_inputs(corun_loop *loop, corun_future *const *futs, size_t n)
{
	size_t i;

	if (loop == NULL || (futs == NULL && n > 0)) {
		return CORUN_EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (futs[i] == NULL || futs[i]->loop != loop) {
			return CORUN_EINVAL;
		}
	}
	return 0;
}

static int
ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(corun_future *const *)a;
	uintptr_t y = (uintptr_t)*(corun_future *const *)b;

	return x < y ? -1 : x > y;
}

int
cr_combine_unique(corun_future *const *futs, size_t n, corun_future ***uniq,
    size_t *nuniq)
{
	corun_future **sorted, **out;
	unsigned char *seen;
	size_t i, k = 0;
	int dup = 0;

	*uniq = (corun_future **)futs;
	*nuniq = n;
	if (n < 2) {
		return 0;
	}
	if ((sorted = malloc(n * sizeof(*sorted))) == NULL) {
		return CORUN_ENOMEM;
	}
	memcpy(sorted, futs, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), ptr_cmp);
	for (i = 1; i < n && !dup; i++) {
		dup = sorted[i] == sorted[i - 1];
	}
	out = dup ? malloc(n * sizeof(*out)) : NULL;
	seen = dup ? calloc(n, 1) : NULL;
	if (dup && (out == NULL || seen == NULL)) {
		free(out);
		free(seen);
		free(sorted);
		return CORUN_ENOMEM;
	}
	for (i = 0; dup && i < n; i++) {
		corun_future **at = bsearch(&futs[i], sorted, n,
		    sizeof(*sorted), ptr_cmp);
		/* bsearch may land on any of equal keys: use the first. */
		while (at > sorted && at[-1] == futs[i]) {
			at--;
		}
		if (!seen[at - sorted]) {
			seen[at - sorted] = 1;
			out[k++] = futs[i];
		}
	}
	free(seen);
	free(sorted);
	if (dup) {
		*uniq = out;
		*nuniq = k;
	}
	return 0;
}

/* ---- shield ----------------------------------------------------------- */

struct cr_shield {
	struct corun_future fut;
	corun_future *inner;
};

static void shield_done(corun_future *inner, void *arg);

static void
shield_destroy(corun_future *fut)
{
	struct cr_shield *sh = (struct cr_shield *)fut;

	corun_future_discard_callback(sh->inner, shield_done, sh);
	corun_future_unref(sh->inner);
	free(sh);
}

/* No cancel op: cancelling the outer completes it and touches nothing else. */
static const struct cr_future_ops shield_ops = {
	.destroy = shield_destroy
};

static void
shield_done(corun_future *inner, void *arg)
{
	struct cr_shield *sh = arg;

	if (!corun_future_done(&sh->fut)) {
		corun_future_copy_outcome(&sh->fut, inner);
	}
}

int
corun_shield(corun_future *fut, corun_future **out)
{
	struct cr_shield *sh;
	int rc;

	if (fut == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if (corun_future_done(fut)) {
		/* Nothing to protect: the future itself (as asyncio). */
		*out = corun_future_ref(fut);
		return 0;
	}
	if ((sh = calloc(1, sizeof(*sh))) == NULL) {
		return CORUN_ENOMEM;
	}
	cr_future_init(&sh->fut, fut->loop, &shield_ops);
	sh->inner = corun_future_ref(fut);
	if ((rc = corun_future_add_done_callback(fut, shield_done, sh)) != 0) {
		corun_future_unref(&sh->fut);
		return rc;
	}
	*out = &sh->fut;
	return 0;
}

/* ---- wait_for --------------------------------------------------------- */

struct cr_wait_for {
	struct corun_future fut;
	corun_future *inner;
	corun_handle *timer;
	double timeout;
	int timed_out;
	int cancel_req;
};

static int
wait_for_cancel(corun_future *fut)
{
	struct cr_wait_for *wf = (struct cr_wait_for *)fut;

	/* Done only once the inner future is: see wait_for_done. */
	wf->cancel_req = 1;
	cr_combine_timer_disarm(fut, &wf->timer);
	corun_future_cancel(wf->inner);
	return 0;
}

static void wait_for_done(corun_future *inner, void *arg);

static void
wait_for_destroy(corun_future *fut)
{
	struct cr_wait_for *wf = (struct cr_wait_for *)fut;

	corun_future_discard_callback(wf->inner, wait_for_done, wf);
	corun_handle_release(wf->timer);
	corun_future_unref(wf->inner);
	free(wf);
}

static const struct cr_future_ops wait_for_ops = {
	.cancel = wait_for_cancel,
	.destroy = wait_for_destroy
};

static void
wait_for_done(corun_future *inner, void *arg)
{
	struct cr_wait_for *wf = arg;
	corun_future *fut = corun_future_ref(&wf->fut);

	/* The timer's reference may be the last one: we hold our own. */
	cr_combine_timer_disarm(fut, &wf->timer);
	if (!corun_future_done(fut)) {
		if (wf->cancel_req) {
			cr_future_complete_cancelled(fut);
		} else if (wf->timed_out && corun_future_cancelled(inner)) {
			corun_future_set_error(fut, CORUN_ETIMEDOUT,
			    "timed out after %g s", wf->timeout);
		} else {
			corun_future_copy_outcome(fut, inner);
		}
	}
	corun_future_unref(fut);
}

static void
wait_for_timeout(void *arg)
{
	struct cr_wait_for *wf = arg;

	cr_combine_timer_fired(&wf->timer);
	/* If the inner future beat us, its callback is already on its way. */
	if (!corun_future_done(wf->inner) && !wf->cancel_req) {
		wf->timed_out = 1;
		corun_future_cancel(wf->inner);
	}
	corun_future_unref(&wf->fut);
}

int
corun_wait_for(corun_future *fut, double timeout, corun_future **out)
{
	struct cr_wait_for *wf;
	int rc;

	if (fut == NULL || out == NULL || isnan(timeout)) {
		return CORUN_EINVAL;
	}
	if ((wf = calloc(1, sizeof(*wf))) == NULL) {
		return CORUN_ENOMEM;
	}
	cr_future_init(&wf->fut, fut->loop, &wait_for_ops);
	wf->inner = corun_future_ref(fut);
	wf->timeout = timeout;
	rc = corun_future_add_done_callback(fut, wait_for_done, wf);
	/* Without a timeout the callback above does all the work; a
	   negative one has expired: the timer runs at the next iteration. */
	if (rc == 0 && !cr_no_timeout(timeout)) {
		rc = cr_combine_timer_arm(&wf->fut, cr_timeout_delay(timeout),
		    wait_for_timeout, &wf->timer);
	}
	if (rc != 0) {
		corun_future_unref(&wf->fut);	/* destroy unregisters */
		return rc;
	}
	*out = &wf->fut;
	return 0;
}
