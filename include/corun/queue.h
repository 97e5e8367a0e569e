/* SPDX-License-Identifier: MIT */
/*
 * corun/queue.h - queues between tasks of one loop (asyncio.Queue,
 * LifoQueue, PriorityQueue), with join/task_done.
 *
 * Items are opaque pointers, owned by whoever holds them: a queue never
 * frees one.  put and get wait (from a stackful task) while the queue is
 * full or empty; they return 0, CORUN_ECANCELED if the task is cancelled
 * while waiting (nothing was added or taken), CORUN_ENOTCO outside a task.
 * The _nowait forms never wait: CORUN_EAGAIN when full or empty
 * (asyncio's QueueFull, QueueEmpty).  On the loop's thread only.
 *
 * Ownership: corun_queue_new gives the caller the queue; corun_queue_free
 * returns CORUN_EBUSY (freeing nothing) while a task waits on it.
 */
#ifndef CORUN_QUEUE_H
#define CORUN_QUEUE_H

#include <stddef.h>

#include <corun/error.h>
#include <corun/loop.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corun_queue corun_queue;

enum corun_queue_kind {
	CORUN_QUEUE_FIFO = 0,		/* asyncio.Queue */
	CORUN_QUEUE_LIFO = 1,		/* asyncio.LifoQueue */
	CORUN_QUEUE_PRIORITY = 2	/* asyncio.PriorityQueue: smallest first */
};

/* Orders items of a priority queue: < 0, 0, > 0 as strcmp. */
typedef int (*corun_queue_cmp)(const void *a, const void *b);

/*
 * maxsize 0: unbounded.  cmp is required for CORUN_QUEUE_PRIORITY (items
 * that compare equal come out in any order), ignored otherwise.
 */
int corun_queue_new(corun_loop *loop, enum corun_queue_kind kind,
    size_t maxsize, corun_queue_cmp cmp, corun_queue **out);
int corun_queue_free(corun_queue *q);

int corun_queue_put(corun_queue *q, void *item);
int corun_queue_put_nowait(corun_queue *q, void *item);
int corun_queue_get(corun_queue *q, void **item);
int corun_queue_get_nowait(corun_queue *q, void **item);

/*
 * One item taken with get is fully processed.  When every item put has
 * been marked so, join() returns.  CORUN_ESTATE when called more times
 * than items were put (asyncio: ValueError).
 */
int corun_queue_task_done(corun_queue *q);
/* Wait until every item put has been marked done (at once if so). */
int corun_queue_join(corun_queue *q);

size_t corun_queue_size(const corun_queue *q);
size_t corun_queue_maxsize(const corun_queue *q);
int corun_queue_empty(const corun_queue *q);
int corun_queue_full(const corun_queue *q);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_QUEUE_H */
