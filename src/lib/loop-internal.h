/* SPDX-License-Identifier: MIT */
/*
 * loop-internal.h - the loop core shared inside the library: handles, the
 * ready queue, timers and the loop structure itself.  Not installed.
 *
 * This is the bottom of the library: nothing here knows futures, tasks or
 * the executor.  Parts built on top that own state in the loop (live
 * tasks, the executor's threads) install a teardown hook with
 * cr_loop_set_part(); corun_loop_free() calls it at a fixed stage.
 */
#ifndef CORUN_LOOP_INTERNAL_H
#define CORUN_LOOP_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include <corun/loop.h>

/* Handle states. */
enum {
	CR_H_IDLE = 0,		/* not scheduled */
	CR_H_READY,		/* in the ready queue */
	CR_H_TIMER,		/* in the timer heap */
	CR_H_TIMERQ		/* in the sorted timer list */
};

/* Handle flags. */
#define CR_H_EMBEDDED 0x1	/* lives inside another object: not freed */

struct corun_handle {
	corun_cb cb;
	void *arg;
	corun_cb drop;			/* if set: called with arg instead of
					   cb when the loop is freed with the
					   handle still pending */
	corun_loop *loop;
	union {
		struct {		/* CR_H_READY, CR_H_TIMERQ, free lists */
			struct corun_handle *next, *prev;
			uint64_t when;	/* CR_H_TIMERQ: deadline, ns */
		} q;
		struct {		/* CR_H_TIMER */
			size_t idx;	/* index in the heap */
		} t;
	} u;
	uint32_t refs;			/* malloc'd handles only */
	uint8_t state;
	uint8_t flags;
	uint8_t tq;			/* CR_H_TIMERQ: which list */
};

/* Sorted timer lists of a loop (see struct corun_loop). */
#define CR_TQ_LISTS 4

/* A timer heap entry: the keys are copied here for locality. */
struct cr_heap_ent {
	uint64_t when;
	uint64_t seq;			/* FIFO among equal deadlines */
	struct corun_handle *h;
};

#ifndef CR_TLS
/* Thread-locals read on every step: no __tls_get_addr call. */
#define CR_TLS __attribute__((tls_model("initial-exec")))
#endif

/*
 * A part of the library that keeps state in the loop and must release it
 * when the loop is freed.  corun_loop_free() calls, for every installed
 * part in the order of the CR_PART_* slots, each stage's hook in turn:
 * first every quiesce, then every destroy, then every release.  Any hook
 * may be NULL.  All run on the thread freeing the loop, not running it.
 */
struct cr_loop_part_ops {
	/* Before the thread-safe queue closes: join threads posting to it. */
	void (*quiesce)(corun_loop *loop);
	/* Before pending handles are dropped: end live objects holding
	   handles (they may unschedule them). */
	void (*destroy)(corun_loop *loop);
	/* After every handle is gone: free caches. */
	void (*release)(corun_loop *loop);
};

enum {
	CR_PART_EXECUTOR = 0,	/* executor.c */
	CR_PART_TASKS,		/* task.c */
	CR_PART_COUNT
};

struct cr_executor;
struct cr_task;
struct corun_exception_ctx;

struct corun_loop {
	struct event_base *base;
	struct event *wake_ev;		/* reads wake_fd */
	struct event *timer_ev;		/* fires at the earliest deadline */
	int timer_fd;			/* timerfd behind timer_ev, or -1 */
	int wake_fd[2];			/* eventfd: [0] == [1]; pipe otherwise */

	struct corun_handle *rq_head, *rq_tail;	/* doubly linked */
	size_t rq_len;
	uint64_t armed_when;		/* deadline timer_ev is set for */
	int timer_armed;

	/*
	 * Timers go to the first of CR_TQ_LISTS sorted lists whose every
	 * deadline since the timers last ran dry was not after theirs (O(1)
	 * in and out: the common case of a few distinct delays, each list
	 * taking one of them, as a 1 s heartbeat beside many 100 ms
	 * sleeps); the others to the heap.
	 */
	struct cr_timerq {
		struct corun_handle *head, *tail;
		uint64_t max;
	} tq[CR_TQ_LISTS];
	struct cr_heap_ent *heap;
	size_t heap_len, heap_cap;
	uint64_t seq;

	pthread_mutex_t tsq_mu;
	struct corun_handle *tsq_head, *tsq_tail; /* linked by next */
	int tsq_signalled;		/* wake_fd written, not yet drained */
	int closing;

	int running;
	int stopping;
	pthread_t thread;

	struct corun_handle *free_handles;
	size_t nfree_handles;

	/* Teardown hooks of the parts above the core, by CR_PART_*. */
	const struct cr_loop_part_ops *parts[CR_PART_COUNT];

	/* Owned by task.c; read here only by corun_loop_task_count(). */
	struct cr_task *tasks;		/* live tasks (intrusive list) */
	struct cr_task *free_tasks;	/* step-task structs for reuse */
	void *task_slabs;		/* where step tasks are carved from */
	size_t ntasks;
	uint64_t task_ids;

	/* Owned by executor.c. */
	struct cr_executor *executor;	/* lazily created */
	size_t executor_threads;

	/* exception-handler.c */
	void (*exc_handler)(corun_loop *loop,
	    const struct corun_exception_ctx *ctx, void *arg);
	void *exc_arg;
};

/* ---- the ready queue and the sorted timer list (inline: hot) ---------- */

static inline void
cr_list_append(struct corun_handle **head, struct corun_handle **tail,
    struct corun_handle *h)
{
	h->u.q.next = NULL;
	h->u.q.prev = *tail;
	if (*tail != NULL) {
		(*tail)->u.q.next = h;
	} else {
		*head = h;
	}
	*tail = h;
}

/* Unlink h and mark it idle. */
static inline void
cr_list_unlink(struct corun_handle **head, struct corun_handle **tail,
    struct corun_handle *h)
{
	struct corun_handle *next = h->u.q.next, *prev = h->u.q.prev;

	if (prev != NULL) {
		prev->u.q.next = next;
	} else {
		*head = next;
	}
	if (next != NULL) {
		next->u.q.prev = prev;
	} else {
		*tail = prev;
	}
	h->state = CR_H_IDLE;
}

static inline void
cr_rq_push(corun_loop *loop, struct corun_handle *h)
{
	cr_list_append(&loop->rq_head, &loop->rq_tail, h);
	loop->rq_len++;
	h->state = CR_H_READY;
}

static inline void
cr_rq_remove(corun_loop *loop, struct corun_handle *h)
{
	cr_list_unlink(&loop->rq_head, &loop->rq_tail, h);
	loop->rq_len--;
}

/* ---- timers (loop.c) ------------------------------------------------- */

/* Add h (idle) to the heap: 0, or CORUN_ENOMEM (h untouched). */
int cr_timer_heap_push(corun_loop *loop, struct corun_handle *h,
    uint64_t when_ns);

/*
 * Add h (idle) to the timers with deadline when_ns (monotonic ns).  Equal
 * deadlines run in the order they were added.  Returns CORUN_ENOMEM when
 * the heap cannot grow; h is then untouched.
 *
 * A timer goes to the first list whose deadline is >= every deadline the
 * list has taken since the timers were last all empty (its max), else to
 * the heap.  The maxima only grow until then, so equal deadlines always
 * land in the same list, in order, and a list entry with the same
 * deadline as a heap entry was always scheduled first: ties go to the
 * lists.  Inline: the lists are the common case.
 */
static inline int
cr_timer_insert(corun_loop *loop, struct corun_handle *h, uint64_t when)
{
	for (unsigned i = 0; i < CR_TQ_LISTS; i++) {
		struct cr_timerq *q = &loop->tq[i];

		if (when >= q->max) {
			h->u.q.when = when;
			cr_list_append(&q->head, &q->tail, h);
			q->max = when;
			h->tq = (uint8_t)i;
			h->state = CR_H_TIMERQ;
			return 0;
		}
	}
	return cr_timer_heap_push(loop, h, when);
}
/* Remove h (CR_H_TIMER or CR_H_TIMERQ) from the timers; h becomes idle. */
void cr_timer_remove(corun_loop *loop, struct corun_handle *h);

/* The earliest timer (ties: the lists'), or NULL; *when its deadline. */
static inline struct corun_handle *
cr_timer_first(const corun_loop *loop, uint64_t *when)
{
	const struct corun_handle *l = NULL;

	for (unsigned i = 0; i < CR_TQ_LISTS; i++) {
		const struct corun_handle *c = loop->tq[i].head;

		if (c != NULL && (l == NULL || c->u.q.when < l->u.q.when)) {
			l = c;
		}
	}
	if (loop->heap_len > 0 &&
	    (l == NULL || loop->heap[0].when < l->u.q.when)) {
		*when = loop->heap[0].when;
		return loop->heap[0].h;
	}
	if (l != NULL) {
		*when = l->u.q.when;
	}
	return (struct corun_handle *)l;
}

/* Any timer at all? */
static inline int
cr_timers_any(const corun_loop *loop)
{
	for (unsigned i = 0; i < CR_TQ_LISTS; i++) {
		if (loop->tq[i].head != NULL) {
			return 1;
		}
	}
	return loop->heap_len > 0;
}

/*
 * Schedule h (idle) to run at when_ns.  Never fails: without memory for
 * the timer, h runs at the next iteration instead.  On the loop thread.
 */
void cr_loop_timer_add(corun_loop *loop, struct corun_handle *h,
    uint64_t when_ns);

/* ---- handles (loop.c) ------------------------------------------------ */

/* Schedule h (idle) to run at the next iteration.  On the loop thread. */
void cr_loop_schedule(corun_loop *loop, struct corun_handle *h);
/* Take h out of the ready queue or the timers: 0, or CORUN_ESTATE when h
   was not scheduled. */
int cr_handle_unschedule(struct corun_handle *h);
/* Set up a handle living inside another object: never freed by the loop. */
void cr_handle_init_embedded(struct corun_handle *h, corun_loop *loop,
    corun_cb cb, void *arg);
/* A fresh handle with one reference (from the free list when it can), or
   NULL without memory. */
struct corun_handle *cr_handle_alloc(corun_loop *loop, corun_cb cb,
    void *arg);
/* Return a handle whose last reference went to the free list. */
void cr_handle_free(struct corun_handle *h);

/* Drop one reference to h; embedded handles are not counted. */
static inline void
cr_handle_unref(struct corun_handle *h)
{
	if ((h->flags & CR_H_EMBEDDED) || --h->refs > 0) {
		return;
	}
	cr_handle_free(h);
}

/* ---- the rest of the core --------------------------------------------- */

/*
 * Install ops as the teardown hooks of part (a CR_PART_* slot) of loop;
 * ops must outlive the loop.  Installing the same ops again is a no-op.
 */
static inline void
cr_loop_set_part(corun_loop *loop, int part,
    const struct cr_loop_part_ops *ops)
{
	loop->parts[part] = ops;
}

/* loop-wake.c: the wake-up fd and the thread-safe queue. */
int cr_wake_fd_open(int fds[2]);
void cr_wake_fd_close(int fds[2]);
/* libevent callback on wake_fd[0]: moves queued calls to the ready queue. */
void cr_loop_wake_cb(evutil_socket_t fd, short what, void *arg);
/* Refuse further thread-safe calls and free those not yet run. */
void cr_loop_tsq_close(corun_loop *loop);

/* loop-run.c: forget loop as this thread's current loop, if it is. */
void cr_loop_forget_current(corun_loop *loop);

#endif /* CORUN_LOOP_INTERNAL_H */
