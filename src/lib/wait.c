/* SPDX-License-Identifier: MIT */
/*
 * wait.c - corun_wait: completes when the first input is done, the first
 * fails, or all are done (or at a timeout), and reports the done and
 * pending sets.
 */
#include "config.h"

#include <stdlib.h>

#include "combine-internal.h"

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
	cr_combine_timer_disarm(&w->fut, &w->timer);
	for (i = 0; i < w->n; i++) {
		if (w->slots[i].fired) {
			continue;
		}
		if (corun_future_done(w->futs[i])) {
			w->set.done[w->set.ndone++] = w->futs[i];
		} else {
			w->set.pending[w->set.npending++] = w->futs[i];
		}
		corun_future_discard_callback(w->futs[i],
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
			corun_future_discard_callback(w->futs[i],
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

	cr_combine_timer_fired(&w->timer);
	if (!w->finished) {
		wait_finish(w, 0);
	}
	corun_future_unref(&w->fut);
}

static int wait_new(corun_loop *loop, corun_future *const *futs, size_t n,
    enum corun_wait_when when, double timeout, corun_future **out);

int
corun_wait(corun_loop *loop, corun_future *const *futs, size_t n,
    enum corun_wait_when when, double timeout, corun_future **out)
{
	corun_future **uniq;
	size_t alloc;
	int rc = 0;

	if (out == NULL || (rc = cr_combine_check_inputs(loop, futs, n)) != 0) {
		return rc != 0 ? rc : CORUN_EINVAL;
	}
	/* An empty set is a mistake (asyncio: ValueError). */
	if (n == 0 || isnan(timeout)) {
		return CORUN_EINVAL;
	}
	if (when != CORUN_FIRST_COMPLETED && when != CORUN_FIRST_ERROR &&
	    when != CORUN_ALL_COMPLETED) {
		return CORUN_EINVAL;
	}
	/* A future given twice is one future of the set. */
	if ((rc = cr_combine_unique(futs, n, &uniq, &alloc)) != 0) {
		return rc;
	}
	rc = wait_new(loop, uniq, alloc, when, timeout, out);
	if (uniq != futs) {
		free(uniq);
	}
	return rc;
}

static int
wait_new(corun_loop *loop, corun_future *const *futs, size_t n,
    enum corun_wait_when when, double timeout, corun_future **out)
{
	struct cr_wait *w;
	size_t i, alloc = n;
	int rc = 0;

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
	for (i = 0; i < n && rc == 0; i++) {
		w->futs[i] = corun_future_ref(futs[i]);
		w->slots[i].w = w;
		w->n = i + 1;
		rc = corun_future_add_done_callback(futs[i], wait_slot_done,
		    &w->slots[i]);
	}
	if (rc == 0 && !cr_no_timeout(timeout)) {
		rc = cr_combine_timer_arm(&w->fut, cr_timeout_delay(timeout),
		    wait_timeout, &w->timer);
	}
	if (rc != 0) {
		cr_combine_timer_disarm(&w->fut, &w->timer);
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
