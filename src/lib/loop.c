/* SPDX-License-Identifier: MIT */
/*
 * loop.c - the loop core: handles (allocation, the free list, scheduling
 * and cancelling), the public calls that schedule callbacks, and timers.
 *
 * The timers: a sorted list for the common case of deadlines that only
 * grow, and a binary heap for the rest.  Keys live in the heap array, not
 * in the handles: sifting compares neighbours in one array instead of
 * chasing pointers to handles spread over memory (each a cache miss when
 * 100 000 tasks sleep).
 *
 * The ready queue is in loop-internal.h, the run loop in loop-run.c,
 * wake-ups from other threads in loop-wake.c and creation and destruction
 * in loop-new.c.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop-internal.h"

#define CR_FREE_HANDLES_MAX 1024

uint64_t
corun_loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double
corun_loop_time(corun_loop *loop)
{
	(void)loop;
	return (double)corun_loop_now_ns() / 1e9;
}

struct event_base *
corun_loop_base(corun_loop *loop)
{
	return loop->base;
}

int
corun_loop_is_running(const corun_loop *loop)
{
	return loop->running;
}

size_t
corun_loop_task_count(const corun_loop *loop)
{
	return loop->ntasks;
}

/* ---- handles -------------------------------------------------------- */

void
cr_handle_init_embedded(struct corun_handle *h, corun_loop *loop,
    corun_cb cb, void *arg)
{
	memset(h, 0, sizeof(*h));
	h->cb = cb;
	h->arg = arg;
	h->loop = loop;
	h->flags = CR_H_EMBEDDED;
}

struct corun_handle *
cr_handle_alloc(corun_loop *loop, corun_cb cb, void *arg)
{
	struct corun_handle *h = loop->free_handles;

	if (h != NULL) {
		loop->free_handles = h->u.q.next;
		loop->nfree_handles--;
	} else if ((h = malloc(sizeof(*h))) == NULL) {
		return NULL;
	}
	memset(h, 0, sizeof(*h));
	h->cb = cb;
	h->arg = arg;
	h->loop = loop;
	h->refs = 1;
	return h;
}

void
cr_handle_free(struct corun_handle *h)
{
	corun_loop *loop = h->loop;

	if (loop->nfree_handles < CR_FREE_HANDLES_MAX) {
		h->u.q.next = loop->free_handles;
		loop->free_handles = h;
		loop->nfree_handles++;
	} else {
		free(h);
	}
}

void
cr_loop_schedule(corun_loop *loop, struct corun_handle *h)
{
	cr_rq_push(loop, h);
}

int
cr_handle_unschedule(struct corun_handle *h)
{
	switch (h->state) {
	case CR_H_READY:
		cr_rq_remove(h->loop, h);
		return 0;
	case CR_H_TIMER:
	case CR_H_TIMERQ:
		cr_timer_remove(h->loop, h);
		return 0;
	default:
		return CORUN_ESTATE;
	}
}

static int
schedule_new(corun_loop *loop, int timer, uint64_t when, corun_cb cb,
    void *arg, corun_handle **out)
{
	struct corun_handle *h;

	if (loop == NULL || cb == NULL) {
		return CORUN_EINVAL;
	}
	if ((h = cr_handle_alloc(loop, cb, arg)) == NULL) {
		return CORUN_ENOMEM;
	}
	if (timer) {
		if (cr_timer_insert(loop, h, when) != 0) {
			cr_handle_unref(h);
			return CORUN_ENOMEM;
		}
	} else {
		cr_rq_push(loop, h);
	}
	if (out != NULL) {
		h->refs++;
		*out = h;
	}
	return 0;
}

int
corun_call_soon(corun_loop *loop, corun_cb cb, void *arg, corun_handle **out)
{
	return schedule_new(loop, 0, 0, cb, arg, out);
}

static uint64_t
deadline_ns(double delay)
{
	uint64_t now = corun_loop_now_ns();

	if (delay < 0) {
		/* Already due, and earlier the more negative (as asyncio). */
		double back = delay < -1e9 ? 1e18 : -delay * 1e9;

		return (double)now > back ? now - (uint64_t)back : 0;
	}
	if (!(delay > 0)) {
		return now;	/* 0 or NaN */
	}
	if (delay > 1e9) {
		delay = 1e9;	/* about 31 years: far enough */
	}
	return now + (uint64_t)(delay * 1e9);
}

int
corun_call_later(corun_loop *loop, double delay, corun_cb cb, void *arg,
    corun_handle **out)
{
	return schedule_new(loop, 1, deadline_ns(delay), cb, arg, out);
}

int
corun_call_at(corun_loop *loop, double when, corun_cb cb, void *arg,
    corun_handle **out)
{
	/* Same when, same deadline: convert directly, not via a delay. */
	/* Rounded to the nearest ns (without llround: corun links no libm). */
	uint64_t ns = when > 0 ? (uint64_t)(when * 1e9 + 0.5) : 0;

	return schedule_new(loop, 1, ns, cb, arg, out);
}

int
corun_handle_cancel(corun_handle *h)
{
	if (h == NULL) {
		return CORUN_EINVAL;
	}
	if (cr_handle_unschedule(h) != 0) {
		return CORUN_ESTATE;
	}
	cr_handle_unref(h);	/* the loop's reference */
	return 0;
}

void
corun_handle_release(corun_handle *h)
{
	if (h != NULL) {
		cr_handle_unref(h);
	}
}

/* ---- the timer heap (min by deadline, then by sequence) ------------- */

static int
heap_less(const struct cr_heap_ent *a, const struct cr_heap_ent *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void
heap_set(corun_loop *loop, size_t i, struct cr_heap_ent e)
{
	loop->heap[i] = e;
	e.h->u.t.idx = i;
}

static void
heap_up(corun_loop *loop, size_t i)
{
	struct cr_heap_ent e = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!heap_less(&e, &loop->heap[parent])) {
			break;
		}
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, e);
}

static void
heap_down(corun_loop *loop, size_t i)
{
	struct cr_heap_ent e = loop->heap[i];
	size_t n = loop->heap_len;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n) {
			break;
		}
		if (c + 1 < n && heap_less(&loop->heap[c + 1], &loop->heap[c])) {
			c++;
		}
		if (!heap_less(&loop->heap[c], &e)) {
			break;
		}
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, e);
}

int
cr_timer_heap_push(corun_loop *loop, struct corun_handle *h, uint64_t when)
{
	struct cr_heap_ent e;

	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		struct cr_heap_ent *nh;

		nh = realloc(loop->heap, cap * sizeof(*nh));
		if (nh == NULL) {
			return CORUN_ENOMEM;
		}
		loop->heap = nh;
		loop->heap_cap = cap;
	}
	e.when = when;
	e.seq = loop->seq++;
	e.h = h;
	heap_set(loop, loop->heap_len++, e);
	heap_up(loop, h->u.t.idx);
	h->state = CR_H_TIMER;
	return 0;
}

static void
heap_remove(corun_loop *loop, struct corun_handle *h)
{
	size_t i = h->u.t.idx;
	struct cr_heap_ent last = loop->heap[--loop->heap_len];

	h->state = CR_H_IDLE;
	if (last.h == h) {
		return;
	}
	heap_set(loop, i, last);
	if (i > 0 && heap_less(&last, &loop->heap[(i - 1) / 2])) {
		heap_up(loop, i);
	} else {
		heap_down(loop, i);
	}
}

/* ---- timers: the list or the heap (insertion: loop-internal.h) ------ */

static void
timers_maybe_reset(corun_loop *loop)
{
	if (!cr_timers_any(loop)) {
		for (unsigned i = 0; i < CR_TQ_LISTS; i++) {
			loop->tq[i].max = 0;
		}
	}
}

void
cr_timer_remove(corun_loop *loop, struct corun_handle *h)
{
	if (h->state == CR_H_TIMERQ) {
		cr_list_unlink(&loop->tq[h->tq].head, &loop->tq[h->tq].tail,
		    h);
	} else {
		heap_remove(loop, h);
	}
	timers_maybe_reset(loop);
}

void
cr_loop_timer_add(corun_loop *loop, struct corun_handle *h, uint64_t when)
{
	if (cr_timer_insert(loop, h, when) != 0) {
		/*
		 * No memory to grow the heap: run the callback at once rather
		 * than lose it.  Early is the lesser evil than never.
		 */
		cr_rq_push(loop, h);
	}
}
