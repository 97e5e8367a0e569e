/*
 * combine.c - asyncio's combinators: shield, wait_for, gather, wait and
 * as_completed.
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
#include "config.h"

#include <stdlib.h>

#include <corun/task.h>

#include "future-internal.h"

/* ---- timers that hold a reference ------------------------------------ */

static void
ref_drop(void *arg)
{
	corun_future_unref(arg);
}

/* call_later(delay) with a reference on owner; delay < 0 means soon. */
static int
timer_arm(corun_future *owner, double delay, corun_cb cb, corun_handle **h)
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
static void
timer_disarm(corun_future *owner, corun_handle **h)
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
static void
timer_fired(corun_handle **h)
{
	corun_handle_release(*h);
	*h = NULL;
}

static int
check_inputs(corun_loop *loop, corun_future *const *futs, size_t n)
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

	corun_future_remove_done_callback(sh->inner, shield_done, sh);
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
	timer_disarm(fut, &wf->timer);
	corun_future_cancel(wf->inner);
	return 0;
}

static void wait_for_done(corun_future *inner, void *arg);

static void
wait_for_destroy(corun_future *fut)
{
	struct cr_wait_for *wf = (struct cr_wait_for *)fut;

	corun_future_remove_done_callback(wf->inner, wait_for_done, wf);
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
	timer_disarm(fut, &wf->timer);
	if (!corun_future_done(fut)) {
		if (wf->cancel_req) {
			cr_future_complete_cancelled(fut);
		} else if (wf->timed_out) {
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

	timer_fired(&wf->timer);
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

	if (fut == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if ((wf = calloc(1, sizeof(*wf))) == NULL) {
		return CORUN_ENOMEM;
	}
	cr_future_init(&wf->fut, fut->loop, &wait_for_ops);
	wf->inner = corun_future_ref(fut);
	wf->timeout = timeout;
	rc = corun_future_add_done_callback(fut, wait_for_done, wf);
	/* timeout < 0: no timeout (the callback above does all the work). */
	if (rc == 0 && timeout >= 0) {
		rc = timer_arm(&wf->fut, timeout, wait_for_timeout, &wf->timer);
	}
	if (rc != 0) {
		corun_future_unref(&wf->fut);	/* destroy unregisters */
		return rc;
	}
	*out = &wf->fut;
	return 0;
}

/* ---- gather ----------------------------------------------------------- */

struct cr_gather {
	struct corun_future fut;
	corun_future **futs;
	size_t n, ndone;
	int flags;
	int cancel_req;
	corun_handle *soon;		/* n == 0: completes next iteration */
};

static void
gather_finish(struct cr_gather *g)
{
	if (g->cancel_req) {
		cr_future_complete_cancelled(&g->fut);
	} else {
		corun_future_set_result(&g->fut, g->futs, NULL);
	}
}

static int
gather_cancel(corun_future *fut)
{
	struct cr_gather *g = (struct cr_gather *)fut;
	size_t i;

	/* The children's callbacks (or the n == 0 timer) complete us. */
	g->cancel_req = 1;
	for (i = 0; i < g->n; i++) {
		corun_future_cancel(g->futs[i]);
	}
	return 0;
}

static void gather_child_done(corun_future *child, void *arg);

static void
gather_destroy(corun_future *fut)
{
	struct cr_gather *g = (struct cr_gather *)fut;
	size_t i;

	for (i = 0; i < g->n; i++) {
		corun_future_remove_done_callback(g->futs[i],
		    gather_child_done, g);
		corun_future_unref(g->futs[i]);
	}
	corun_handle_release(g->soon);
	free(g->futs);
	free(g);
}

static const struct cr_future_ops gather_ops = {
	.cancel = gather_cancel,
	.destroy = gather_destroy
};

static void
gather_child_done(corun_future *child, void *arg)
{
	struct cr_gather *g = arg;

	g->ndone++;
	if (!corun_future_done(&g->fut)) {
		if (corun_future_status(child) != 0 &&
		    !(g->flags & CORUN_GATHER_RETURN_ERRORS)) {
			if (g->cancel_req) {
				cr_future_complete_cancelled(&g->fut);
			} else {
				corun_future_copy_outcome(&g->fut, child);
			}
		} else if (g->ndone == g->n) {
			gather_finish(g);
		}
	}
}

static void
gather_empty(void *arg)
{
	struct cr_gather *g = arg;

	timer_fired(&g->soon);
	if (!corun_future_done(&g->fut)) {
		gather_finish(g);
	}
	corun_future_unref(&g->fut);
}

int
corun_gather(corun_loop *loop, corun_future *const *futs, size_t n,
    int flags, corun_future **out)
{
	struct cr_gather *g;
	size_t i;
	int rc = 0;

	if (out == NULL || (rc = check_inputs(loop, futs, n)) != 0) {
		return rc != 0 ? rc : CORUN_EINVAL;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		return CORUN_ENOMEM;
	}
	if (n > 0 && (g->futs = calloc(n, sizeof(*g->futs))) == NULL) {
		free(g);
		return CORUN_ENOMEM;
	}
	cr_future_init(&g->fut, loop, &gather_ops);
	g->flags = flags;
	if (n == 0) {
		rc = timer_arm(&g->fut, -1, gather_empty, &g->soon);
	}
	for (i = 0; i < n && rc == 0; i++) {
		g->futs[i] = corun_future_ref(futs[i]);
		g->n = i + 1;
		rc = corun_future_add_done_callback(futs[i],
		    gather_child_done, g);
	}
	if (rc != 0) {
		corun_future_unref(&g->fut);	/* destroy unregisters */
		return rc;
	}
	*out = &g->fut;
	return 0;
}

corun_future *const *
corun_gather_futures(const corun_future *gathered, size_t *n)
{
	const struct cr_gather *g = (const struct cr_gather *)gathered;

	if (gathered == NULL || gathered->ops != &gather_ops) {
		if (n != NULL) {
			*n = 0;
		}
		return NULL;
	}
	if (n != NULL) {
		*n = g->n;
	}
	return g->futs;
}

/* ---- wait ------------------------------------------------------------- */

struct cr_wait;

static void wait_slot_done(corun_future *f, void *arg);

/* One per input: tells the callback which index fired. */
struct cr_wait_slot {
	struct cr_wait *w;
	int fired;
};

struct cr_wait {
	struct corun_future fut;
	corun_future **futs;
	struct cr_wait_slot *slots;
	size_t n, nfired;
	int when;
	int finished;
	corun_handle *timer;
	struct corun_wait_set set;	/* arrays of n, allocated up front */
};

/*
 * Fix the sets and stop listening.  Inputs done whose callback has not run
 * yet go to the done set after those that were seen to finish.
 */
static void
wait_finish(struct cr_wait *w, int cancelled)
{
	size_t i;

	w->finished = 1;
	timer_disarm(&w->fut, &w->timer);
	for (i = 0; i < w->n; i++) {
		if (w->slots[i].fired) {
			continue;
		}
		if (corun_future_done(w->futs[i])) {
			w->set.done[w->set.ndone++] = w->futs[i];
		} else {
			w->set.pending[w->set.npending++] = w->futs[i];
		}
		corun_future_remove_done_callback(w->futs[i],
		    wait_slot_done, &w->slots[i]);
	}
	if (cancelled) {
		cr_future_complete_cancelled(&w->fut);
	} else {
		corun_future_set_result(&w->fut, &w->set, NULL);
	}
}

static int
wait_cancel(corun_future *fut)
{
	wait_finish((struct cr_wait *)fut, 1);
	return 0;
}

static void
wait_destroy(corun_future *fut)
{
	struct cr_wait *w = (struct cr_wait *)fut;
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (!w->slots[i].fired) {
			corun_future_remove_done_callback(w->futs[i],
			    wait_slot_done, &w->slots[i]);
		}
		corun_future_unref(w->futs[i]);
	}
	corun_handle_release(w->timer);
	free(w->futs);
	free(w->slots);
	free(w->set.done);
	free(w->set.pending);
	free(w);
}

static const struct cr_future_ops wait_ops = {
	.cancel = wait_cancel,
	.destroy = wait_destroy
};

static void
wait_slot_done(corun_future *f, void *arg)
{
	struct cr_wait_slot *s = arg;
	struct cr_wait *w = s->w;
	int hit;

	s->fired = 1;
	if (!w->finished) {
		w->set.done[w->set.ndone++] = f;
		w->nfired++;
		switch (w->when) {
		case CORUN_FIRST_COMPLETED:
			hit = 1;
			break;
		case CORUN_FIRST_ERROR:
			hit = corun_future_status(f) != 0 || w->nfired == w->n;
			break;
		default:
			hit = w->nfired == w->n;
			break;
		}
		if (hit) {
			/* It disarms the timer, maybe the last reference. */
			corun_future_ref(&w->fut);
			wait_finish(w, 0);
			corun_future_unref(&w->fut);
		}
	}
}

static void
wait_timeout(void *arg)
{
	struct cr_wait *w = arg;

	timer_fired(&w->timer);
	if (!w->finished) {
		wait_finish(w, 0);
	}
	corun_future_unref(&w->fut);
}

int
corun_wait(corun_loop *loop, corun_future *const *futs, size_t n,
    enum corun_wait_when when, double timeout, corun_future **out)
{
	struct cr_wait *w;
	size_t i, alloc = n > 0 ? n : 1;
	int rc = 0;

	if (out == NULL || (rc = check_inputs(loop, futs, n)) != 0) {
		return rc != 0 ? rc : CORUN_EINVAL;
	}
	if (when != CORUN_FIRST_COMPLETED && when != CORUN_FIRST_ERROR &&
	    when != CORUN_ALL_COMPLETED) {
		return CORUN_EINVAL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		return CORUN_ENOMEM;
	}
	/* Everything up front, so finishing can never fail. */
	w->futs = calloc(alloc, sizeof(*w->futs));
	w->slots = calloc(alloc, sizeof(*w->slots));
	w->set.done = calloc(alloc, sizeof(*w->set.done));
	w->set.pending = calloc(alloc, sizeof(*w->set.pending));
	cr_future_init(&w->fut, loop, &wait_ops);
	w->when = when;
	if (w->futs == NULL || w->slots == NULL || w->set.done == NULL ||
	    w->set.pending == NULL) {
		corun_future_unref(&w->fut);
		return CORUN_ENOMEM;
	}
	/* Nothing to wait for: the condition holds at the next iteration. */
	if (n == 0) {
		timeout = -1;
		rc = timer_arm(&w->fut, -1, wait_timeout, &w->timer);
	}
	for (i = 0; i < n && rc == 0; i++) {
		w->futs[i] = corun_future_ref(futs[i]);
		w->slots[i].w = w;
		w->n = i + 1;
		rc = corun_future_add_done_callback(futs[i], wait_slot_done,
		    &w->slots[i]);
	}
	if (rc == 0 && timeout >= 0) {
		rc = timer_arm(&w->fut, timeout, wait_timeout, &w->timer);
	}
	if (rc != 0) {
		timer_disarm(&w->fut, &w->timer);
		corun_future_unref(&w->fut);	/* destroy unregisters */
		return rc;
	}
	*out = &w->fut;
	return 0;
}

const struct corun_wait_set *
corun_wait_result(const corun_future *waited)
{
	const struct cr_wait *w = (const struct cr_wait *)waited;

	if (waited == NULL || waited->ops != &wait_ops ||
	    corun_future_state(waited) != CORUN_FUTURE_RESULT) {
		return NULL;
	}
	return &w->set;
}

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

	timer_fired(&ac->timer);
	ac->timed_out = 1;
	ac_wake(ac);
}

/* The loop is freed first (a misuse): at least forget the handle. */
static void
ac_timer_drop(void *arg)
{
	corun_as_completed *ac = arg;

	timer_fired(&ac->timer);
}

int
corun_as_completed_new(corun_loop *loop, corun_future *const *futs,
    size_t n, double timeout, corun_as_completed **out)
{
	corun_as_completed *ac;
	size_t i, alloc = n > 0 ? n : 1;
	int rc = 0;

	if (out == NULL || (rc = check_inputs(loop, futs, n)) != 0) {
		return rc != 0 ? rc : CORUN_EINVAL;
	}
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
	if (rc == 0 && timeout >= 0 && n > 0) {
		rc = corun_call_later(loop, timeout, ac_timeout, ac,
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
		timer_fired(&ac->timer);
	}
	for (i = 0; i < ac->n; i++) {
		corun_future_remove_done_callback(ac->futs[i], ac_done, ac);
		corun_future_unref(ac->futs[i]);
	}
	free(ac->futs);
	free(ac->ready);
	free(ac);
}
