/* SPDX-License-Identifier: MIT */
/*
 * sync-waiters.c - the FIFO of waiting tasks behind every synchronisation
 * primitive (see sync-internal.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <corun/task.h>

#include "sync-internal.h"

static int
push(struct cr_waitq *wq, corun_future *f)
{
	if (wq->n == wq->cap) {
		size_t cap = wq->cap ? wq->cap * 2 : 4;
		corun_future **v = realloc(wq->v, cap * sizeof(*v));

		if (v == NULL) {
			return CORUN_ENOMEM;
		}
		wq->v = v;
		wq->cap = cap;
	}
	wq->v[wq->n++] = f;
	return 0;
}

static void
drop(struct cr_waitq *wq, corun_future *f)
{
	for (size_t i = 0; i < wq->n; i++) {
		if (wq->v[i] == f) {
			memmove(&wq->v[i], &wq->v[i + 1],
			    (wq->n - i - 1) * sizeof(*wq->v));
			wq->n--;
			return;
		}
	}
}

int
cr_waitq_wait(struct cr_waitq *wq, corun_loop *loop, int *woken)
{
	corun_future *f;
	int rc;

	if (woken != NULL) {
		*woken = 0;
	}
	if (corun_task_self() == NULL) {
		return CORUN_ENOTCO;
	}
	if ((rc = corun_future_new(loop, &f)) != 0) {
		return rc;
	}
	if ((rc = push(wq, f)) != 0) {
		corun_future_unref(f);
		return rc;
	}
	rc = corun_await(f);
	drop(wq, f);
	if (rc != 0 && woken != NULL) {
		*woken = corun_future_state(f) == CORUN_FUTURE_RESULT;
	}
	corun_future_unref(f);
	return rc;
}

int
cr_waitq_wake_one(struct cr_waitq *wq)
{
	for (size_t i = 0; i < wq->n; i++) {
		if (!corun_future_done(wq->v[i])) {
			corun_future_set_result(wq->v[i], NULL, NULL);
			return 1;
		}
	}
	return 0;
}

size_t
cr_waitq_wake_all(struct cr_waitq *wq)
{
	size_t k = 0;

	while (cr_waitq_wake_one(wq)) {
		k++;
	}
	return k;
}

size_t
cr_waitq_pending(const struct cr_waitq *wq)
{
	size_t k = 0;

	for (size_t i = 0; i < wq->n; i++) {
		k += !corun_future_done(wq->v[i]);
	}
	return k;
}

void
cr_waitq_free(struct cr_waitq *wq)
{
	for (size_t i = 0; i < wq->n; i++) {
		corun_future_cancel(wq->v[i]);
	}
	free(wq->v);
	wq->v = NULL;
	wq->n = wq->cap = 0;
}
