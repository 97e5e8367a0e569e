/*
 * loop-internal.h - structures shared by the loop, futures and tasks.
 * Not installed.
 */
#ifndef CORUN_LOOP_INTERNAL_H
#define CORUN_LOOP_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include <corun/co.h>
#include <corun/future.h>
#include <corun/loop.h>
#include <corun/task.h>

#define CR_NOPOS ((size_t)-1)

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
};

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

struct cr_executor;
struct cr_task;

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
	 * Timers whose deadline is not before every deadline seen since the
	 * timers last ran dry go to a sorted list (O(1) in and out: the
	 * common case of many equal delays); the others to the heap.
	 */
	struct corun_handle *tq_head, *tq_tail;
	uint64_t tq_max;
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

	struct cr_task *tasks;		/* live tasks (intrusive list) */
	struct cr_task *free_tasks;	/* step-task structs for reuse */
	void *task_slabs;		/* where step tasks are carved from */
	size_t ntasks;
	uint64_t task_ids;

	struct cr_executor *executor;	/* lazily created */
	size_t executor_threads;
};

/* Done-callback registration. */
struct cr_cb_entry {
	corun_future_cb cb;
	void *arg;
};

/* Pluggable behaviour of special futures (tasks, combinators). */
struct cr_future_ops {
	/* Cancel request; NULL means: complete as cancelled at once. */
	int (*cancel)(corun_future *fut);
	/* Release the extra state when the future is freed. */
	void (*destroy)(corun_future *fut);
	/* Nonzero for tasks. */
	int is_task;
};

struct corun_future {
	corun_loop *loop;
	const struct cr_future_ops *ops;
	void *value;
	union {
		char *msg;		/* error message */
		corun_future *shared;	/* result borrowed from this one */
	} x;
	corun_dtor dtor;
	size_t len;
	struct cr_cb_entry *cbs;	/* NULL: only inl is used */
	struct cr_cb_entry inl;
	uint32_t refs;
	uint32_t ncb, capcb, cb_run;	/* callbacks [0, cb_run) already ran */
	int err;
	uint8_t state;			/* enum corun_future_state */
	uint8_t flags;			/* CR_F_* */
};

#define CR_F_CB_SCHEDULED 0x1		/* callbacks are in the ready queue */
#define CR_F_SHARED 0x2			/* x.shared is set */

/* What a task is suspended on. */
enum {
	CR_W_NONE = 0,
	CR_W_FUTURE,
	CR_W_TIMER,
	CR_W_FD,
	CR_W_YIELD
};

struct cr_task {
	struct corun_future fut;	/* first: a task is a future */
	struct cr_task *lnext, *lprev;	/* loop->tasks */
	struct corun_handle step_h;	/* schedules a step; also the sleep timer */
	union {
		corun_future *fut;	/* CR_W_FUTURE: awaited (ref held) */
		struct event *ev;	/* CR_W_FD */
	} w;
	char *name;
	int wake;			/* status handed to the next step */
	int cancel_req;			/* undelivered cancel requests */
	short revents;			/* CR_W_FD: what was ready */
	uint8_t wait_kind;
	uint8_t started;
	uint8_t finished;
	uint8_t is_step;
	union {
		corun_task_fn fn;
		corun_step_fn step;
	} body;
	void *arg;			/* fn's arg or step's state */
};

/* A stackful task: step tasks are allocated without these fields. */
struct cr_cotask {
	struct cr_task t;
	corun_co *co;
	int rc;
};

static inline corun_co *
cr_task_co(const struct cr_task *t)
{
	return t->is_step ? NULL : ((const struct cr_cotask *)t)->co;
}

/* loop.c */
void cr_loop_schedule(corun_loop *loop, struct corun_handle *h);
void cr_loop_timer_add(corun_loop *loop, struct corun_handle *h,
    uint64_t when_ns);
int cr_handle_unschedule(struct corun_handle *h);
void cr_handle_init_embedded(struct corun_handle *h, corun_loop *loop,
    corun_cb cb, void *arg);
struct corun_handle *cr_handle_alloc(corun_loop *loop, corun_cb cb,
    void *arg);
void cr_handle_unref(struct corun_handle *h);

/* future.c */
void cr_future_init(corun_future *fut, corun_loop *loop,
    const struct cr_future_ops *ops);
int cr_future_complete_cancelled(corun_future *fut);
void cr_future_drop_callbacks(void *fut);

/* task.c */
struct cr_task *cr_task_current(void);
void cr_task_suspend(struct cr_task *t);	/* back to the loop */
void cr_task_wake(struct cr_task *t, int status);
void cr_task_on_done(corun_future *fut, void *arg);
void cr_loop_destroy_tasks(corun_loop *loop);
void cr_loop_free_task_cache(corun_loop *loop);

/* executor.c */
void cr_executor_destroy(corun_loop *loop);

#endif /* CORUN_LOOP_INTERNAL_H */
