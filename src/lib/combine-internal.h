/* SPDX-License-Identifier: MIT */
/*
 * combine-internal.h - what the combinators (combine.c, gather.c, wait.c,
 * as-completed.c) share: timers that hold a reference on their owner, and
 * the check of input futures.  Not installed.
 *
 * Each combinator is a future with its own ops (the state follows the
 * corun_future in one allocation) that registers a done-callback on its
 * inputs.  Reference rules, the same everywhere:
 *   - the combinator holds a reference on each input until it is freed,
 *     so it can cancel them or hand them out (gather_futures, wait sets);
 *   - a done-callback holds no reference on the combinator: its destroy op
 *     removes the registrations instead (removal also catches callbacks
 *     already scheduled but not yet run).  A reference held by a callback
 *     would leak whenever the loop is freed with that callback scheduled,
 *     since the loop drops scheduled callbacks without running them;
 *   - an armed timer holds a reference, released when it fires or is
 *     cancelled, or by its drop hook if the loop is freed first.
 * So a combinator nobody references any more is freed and stops watching
 * its inputs; one with a timer lives until the timer is done with it.
 */
#ifndef CORUN_COMBINE_INTERNAL_H
#define CORUN_COMBINE_INTERNAL_H

#include <math.h>
#include <stddef.h>

#include <corun/task.h>

#include "future-internal.h"

/*
 * corun_call_later(delay) (corun_call_soon when delay < 0) of cb(owner),
 * holding a reference on owner until the timer fires, is disarmed or is
 * dropped with the loop.  On failure *h is NULL and no reference is held.
 */
int cr_combine_timer_arm(corun_future *owner, double delay, corun_cb cb,
    corun_handle **h);
/* Cancel an armed timer (no-op when *h is NULL); *h becomes NULL.  The
   caller holds a reference on owner. */
void cr_combine_timer_disarm(corun_future *owner, corun_handle **h);
/* From inside the timer's callback: forget the handle.  The callback
   still owns the timer's reference on owner and must release it. */
void cr_combine_timer_fired(corun_handle **h);
/* 0 when loop is set and every futs[i] is non-NULL and on loop, else
   CORUN_EINVAL. */
int cr_combine_check_inputs(corun_loop *loop, corun_future *const *futs,
    size_t n);

/*
 * The same input futures once each, in the order of their first
 * occurrence: *uniq is futs itself when there is no duplicate (*nuniq ==
 * n), else a malloc'd array the caller frees.  CORUN_ENOMEM.
 */
int cr_combine_unique(corun_future *const *futs, size_t n,
    corun_future ***uniq, size_t *nuniq);

/* A timeout argument: CORUN_NO_TIMEOUT (or any +inf) waits for ever. */
static inline int
cr_no_timeout(double t)
{
	return isinf(t) && t > 0;
}

/* The delay to arm for a timeout: negative means already expired (0). */
static inline double
cr_timeout_delay(double t)
{
	return t > 0 ? t : 0;
}

#endif /* CORUN_COMBINE_INTERNAL_H */
