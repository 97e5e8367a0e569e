/* SPDX-License-Identifier: MIT */
/*
 * gather.c - corun_gather: one future for many, completed when every
 * input is done, or at the first error unless CORUN_GATHER_RETURN_ERRORS.
 */
#include "config.h"

#include <stdlib.h>

#include "combine-internal.h"

/* ---- gather ----------------------------------------------------------- */

struct cr_gather {
	struct corun_future fut;
	corun_future **futs;
	size_t n, ndone;
	int flags;
	int cancel_req;
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

	int any = 0;

	/* The children's callbacks complete us.  Nothing left to cancel:
	   refused, the outcome stays (asyncio's False). */
	for (i = 0; i < g->n; i++) {
		if (corun_future_cancel(g->futs[i]) == 0) {
			any = 1;
		}
	}
	if (!any) {
		return CORUN_ESTATE;
	}
	g->cancel_req = 1;
	return 0;
}

static void gather_child_done(corun_future *child, void *arg);

static void
gather_destroy(corun_future *fut)
{
	struct cr_gather *g = (struct cr_gather *)fut;
	size_t i;

	for (i = 0; i < g->n; i++) {
		corun_future_discard_callback(g->futs[i],
		    gather_child_done, g);
		corun_future_unref(g->futs[i]);
	}
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
			} else if (corun_future_cancelled(child)) {
				/* A child's cancellation is gather's error. */
				cr_future_set_error(&g->fut, CORUN_ECANCELED, 1,
				    "a gathered future was cancelled");
			} else {
				corun_future_copy_outcome(&g->fut, child);
			}
		} else if (g->ndone == g->n) {
			gather_finish(g);
		}
	}
}

int
corun_gather(corun_loop *loop, corun_future *const *futs, size_t n,
    int flags, corun_future **out)
{
	struct cr_gather *g;
	size_t i;
	int rc = 0;

	if (out == NULL || (rc = cr_combine_check_inputs(loop, futs, n)) != 0) {
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
		gather_finish(g);	/* nothing to wait for: done at once */
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
