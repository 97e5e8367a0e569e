/* SPDX-License-Identifier: MIT */
/*
 * task-internal.h - the task structure (a future driven by loop steps)
 * shared by task.c and the waits of await.c.  Not installed.
 */
#ifndef CORUN_TASK_INTERNAL_H
#define CORUN_TASK_INTERNAL_H

#include <event2/event.h>

#include <corun/co.h>
#include <corun/task.h>

#include "future-internal.h"
#include "loop-internal.h"

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
	int ncancel;			/* cancelling(): requests not uncancelled */
	short revents;			/* CR_W_FD: what was ready */
	uint8_t cancel_req;		/* a request not yet delivered */
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

/* The task running on this thread, or NULL outside tasks. */
struct cr_task *cr_task_current(void);
/* Switch from the running stackful task back to the loop; returns when
   the task is woken (cr_task_wake) and stepped again. */
void cr_task_suspend(struct cr_task *t);
/* Schedule t's next step, handing it status.  On the loop thread. */
void cr_task_wake(struct cr_task *t, int status);
/* Done callback for an awaited future: wakes the task arg. */
void cr_task_on_done(corun_future *fut, void *arg);

#endif /* CORUN_TASK_INTERNAL_H */
