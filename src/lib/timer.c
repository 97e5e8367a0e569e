/*
 * timer.c - the loop's timers: a sorted list for the common case of
 * deadlines that only grow, and a binary heap for the rest.
 *
 * Keys live in the heap array, not in the handles: sifting compares
 * neighbours in one array instead of chasing pointers to handles spread
 * over memory (each a cache miss when 100 000 tasks sleep).
 */
#include "config.h"

#include <stdlib.h>

#include "loop-internal.h"

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
	if (loop->tq_head == NULL && loop->heap_len == 0) {
		loop->tq_max = 0;
	}
}

void
cr_timer_remove(corun_loop *loop, struct corun_handle *h)
{
	if (h->state == CR_H_TIMERQ) {
		cr_list_unlink(&loop->tq_head, &loop->tq_tail, h);
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
