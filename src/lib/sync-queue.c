/* SPDX-License-Identifier: MIT */
/*
 * sync-queue.c - asyncio's Queue, LifoQueue and PriorityQueue for tasks
 * (corun/queue.h).  The items live in one array: a ring for FIFO, a stack
 * for LIFO, a binary heap for priority.
 */
#include "config.h"

#include <stdlib.h>

#include <corun/queue.h>

#include "sync-internal.h"

struct corun_queue {
	corun_loop *loop;
	enum corun_queue_kind kind;
	corun_queue_cmp cmp;
	void **v;
	size_t head, n, cap, maxsize;
	size_t unfinished;		/* put and not yet task_done */
	struct cr_waitq getters, putters, joiners;
};

int
corun_queue_new(corun_loop *loop, enum corun_queue_kind kind,
    size_t maxsize, corun_queue_cmp cmp, corun_queue **out)
{
	corun_queue *q;

	if (loop == NULL || out == NULL || kind > CORUN_QUEUE_PRIORITY ||
	    (kind == CORUN_QUEUE_PRIORITY && cmp == NULL)) {
		return CORUN_EINVAL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		return CORUN_ENOMEM;
	}
	q->loop = loop;
	q->kind = kind;
	q->cmp = cmp;
	q->maxsize = maxsize;
	*out = q;
	return 0;
}

int
corun_queue_free(corun_queue *q)
{
	if (q == NULL) {
		return 0;
	}
	if (q->getters.n + q->putters.n + q->joiners.n > 0) {
		return CORUN_EBUSY;
	}
	cr_waitq_free(&q->getters);
	cr_waitq_free(&q->putters);
	cr_waitq_free(&q->joiners);
	free(q->v);
	free(q);
	return 0;
}

size_t
corun_queue_size(const corun_queue *q)
{
	return q->n;
}

size_t
corun_queue_maxsize(const corun_queue *q)
{
	return q->maxsize;
}

int
corun_queue_empty(const corun_queue *q)
{
	return q->n == 0;
}

int
corun_queue_full(const corun_queue *q)
{
	return q->maxsize > 0 && q->n >= q->maxsize;
}

/* Room for one more; a FIFO ring is unrolled into the new array. */
static int
grow(corun_queue *q)
{
	size_t cap = q->cap ? q->cap * 2 : 8;
	void **v;

	if (q->n < q->cap) {
		return 0;
	}
	if ((v = malloc(cap * sizeof(*v))) == NULL) {
		return CORUN_ENOMEM;
	}
	for (size_t i = 0; i < q->n; i++) {
		v[i] = q->v[(q->head + i) % q->cap];
	}
	free(q->v);
	q->v = v;
	q->cap = cap;
	q->head = 0;
	return 0;
}

static void
heap_up(corun_queue *q, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		void *t;

		if (q->cmp(q->v[i], q->v[p]) >= 0) {
			break;
		}
		t = q->v[i];
		q->v[i] = q->v[p];
		q->v[p] = t;
		i = p;
	}
}

static void
heap_down(corun_queue *q)
{
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		void *t;

		if (l < q->n && q->cmp(q->v[l], q->v[m]) < 0) {
			m = l;
		}
		if (r < q->n && q->cmp(q->v[r], q->v[m]) < 0) {
			m = r;
		}
		if (m == i) {
			return;
		}
		t = q->v[i];
		q->v[i] = q->v[m];
		q->v[m] = t;
		i = m;
	}
}

int
corun_queue_put_nowait(corun_queue *q, void *item)
{
	int rc;

	if (q == NULL) {
		return CORUN_EINVAL;
	}
	if (corun_queue_full(q)) {
		return CORUN_EAGAIN;
	}
	if ((rc = grow(q)) != 0) {
		return rc;
	}
	if (q->kind == CORUN_QUEUE_FIFO) {
		q->v[(q->head + q->n) % q->cap] = item;
		q->n++;
	} else {
		q->v[q->n++] = item;
		if (q->kind == CORUN_QUEUE_PRIORITY) {
			heap_up(q, q->n - 1);
		}
	}
	q->unfinished++;
	cr_waitq_wake_one(&q->getters);
	return 0;
}

int
corun_queue_get_nowait(corun_queue *q, void **item)
{
	void *it;

	if (q == NULL || item == NULL) {
		return CORUN_EINVAL;
	}
	if (q->n == 0) {
		return CORUN_EAGAIN;
	}
	if (q->kind == CORUN_QUEUE_FIFO) {
		it = q->v[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
	} else if (q->kind == CORUN_QUEUE_LIFO) {
		it = q->v[--q->n];
	} else {
		it = q->v[0];
		q->v[0] = q->v[--q->n];
		heap_down(q);
	}
	*item = it;
	cr_waitq_wake_one(&q->putters);
	return 0;
}

int
corun_queue_put(corun_queue *q, void *item)
{
	int rc, woken;

	if (q == NULL) {
		return CORUN_EINVAL;
	}
	while (corun_queue_full(q)) {
		if ((rc = cr_waitq_wait(&q->putters, q->loop, &woken)) != 0) {
			if (woken && !corun_queue_full(q)) {
				cr_waitq_wake_one(&q->putters);
			}
			return rc;
		}
	}
	return corun_queue_put_nowait(q, item);
}

int
corun_queue_get(corun_queue *q, void **item)
{
	int rc, woken;

	if (q == NULL || item == NULL) {
		return CORUN_EINVAL;
	}
	while (q->n == 0) {
		if ((rc = cr_waitq_wait(&q->getters, q->loop, &woken)) != 0) {
			if (woken && q->n > 0) {
				cr_waitq_wake_one(&q->getters);
			}
			return rc;
		}
	}
	return corun_queue_get_nowait(q, item);
}

int
corun_queue_task_done(corun_queue *q)
{
	if (q == NULL) {
		return CORUN_EINVAL;
	}
	if (q->unfinished == 0) {
		return CORUN_ESTATE;
	}
	if (--q->unfinished == 0) {
		cr_waitq_wake_all(&q->joiners);
	}
	return 0;
}

int
corun_queue_join(corun_queue *q)
{
	int rc;

	if (q == NULL) {
		return CORUN_EINVAL;
	}
	while (q->unfinished > 0) {
		if ((rc = cr_waitq_wait(&q->joiners, q->loop, NULL)) != 0) {
			return rc;
		}
	}
	return 0;
}
