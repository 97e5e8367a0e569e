/* SPDX-License-Identifier: MIT */
/*
 * task.c - tasks: a coroutine (or a step function) driven by the loop, and
 * the future that reports how it ended.
 *
 * A task runs in steps.  Each step is its embedded handle running on the
 * loop: it resumes the coroutine (or calls the step function) until the
 * task waits for something, and the thing it waits for schedules the next
 * step.  Cancellation is a request: it unhooks what the task waits for and
 * wakes it with CORUN_ECANCELED; the task ends when its body returns.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corun/exception.h>

#include "task-internal.h"

static __thread struct cr_task *cr_cur_task CR_TLS;

static int task_cancel(corun_future *fut);
static int task_may_complete(corun_future *fut);
static void task_unread(corun_future *fut);
static void task_destroy(corun_future *fut);
static void loop_destroy_tasks(corun_loop *loop);
static void loop_free_task_cache(corun_loop *loop);

static const struct cr_future_ops task_ops = {
	.cancel = task_cancel,
	.destroy = task_destroy,
	.may_complete = task_may_complete,
	.unread = task_unread,
	.is_task = 1,
};

/*
 * Installed on a loop with its first step-task slab or stackful task:
 * corun_loop_free() ends the live tasks, then frees the slabs.
 */
static const struct cr_loop_part_ops task_part = {
	.destroy = loop_destroy_tasks,
	.release = loop_free_task_cache,
};

struct cr_task *
cr_task_current(void)
{
	return cr_cur_task;
}

corun_future *
corun_task_self(void)
{
	return cr_cur_task != NULL ? &cr_cur_task->fut : NULL;
}

int
corun_is_task(const corun_future *fut)
{
	return fut != NULL && fut->ops != NULL && fut->ops->is_task;
}

const char *
corun_task_name(const corun_future *fut)
{
	static __thread char buf[32];
	const struct cr_task *t = (const struct cr_task *)fut;

	if (!corun_is_task(fut)) {
		return "";
	}
	if (t->name != NULL) {
		return t->name;
	}
	snprintf(buf, sizeof(buf), "task-%p", (const void *)t);
	return buf;
}

int
corun_task_cancelling(const corun_future *fut)
{
	if (!corun_is_task(fut)) {
		return 0;
	}
	return ((const struct cr_task *)fut)->ncancel;
}

int
corun_task_uncancel(corun_future *fut)
{
	struct cr_task *t = (struct cr_task *)fut;

	if (!corun_is_task(fut)) {
		return 0;
	}
	if (t->ncancel > 0 && --t->ncancel == 0) {
		t->cancel_req = 0;	/* withdrawn before delivery */
	}
	return t->ncancel;
}

/* Only the body completes its task; a pending self-cancel wins. */
static int
task_may_complete(corun_future *fut)
{
	struct cr_task *t = (struct cr_task *)fut;

	if (t != cr_cur_task) {
		return CORUN_ESTATE;
	}
	if (t->cancel_req) {
		t->cancel_req = 0;
		cr_future_complete_cancelled(fut);
		return CORUN_ECANCELED;
	}
	return 0;
}

/*
 * Step tasks are all one size and a loop may hold hundreds of thousands:
 * they are carved from slabs owned by the loop, with no malloc header
 * each, and recycled through a free list until the loop is freed.
 */
#define CR_SLAB_SIZE (64 * 1024)

struct cr_slab {
	struct cr_slab *next;
	/* tasks follow, aligned */
};

static int
slab_grow(corun_loop *loop)
{
	size_t hdr = (sizeof(struct cr_slab) + 15) & ~(size_t)15;
	size_t n = (CR_SLAB_SIZE - hdr) / sizeof(struct cr_task);
	struct cr_slab *slab = malloc(CR_SLAB_SIZE);
	char *p;

	if (slab == NULL) {
		return CORUN_ENOMEM;
	}
	/* The loop frees the slabs, and the live tasks, through task_part. */
	cr_loop_set_part(loop, CR_PART_TASKS, &task_part);
	slab->next = loop->task_slabs;
	loop->task_slabs = slab;
	p = (char *)slab + hdr;
	for (size_t i = 0; i < n; i++) {
		struct cr_task *t = (struct cr_task *)(void *)
		    (p + i * sizeof(struct cr_task));

		t->lnext = loop->free_tasks;
		loop->free_tasks = t;
	}
	return 0;
}

/* A failed task whose error nobody read: say so through the loop's
   exception handler (asyncio: "Task exception was never retrieved"). */
static void
task_unread(corun_future *fut)
{
	struct corun_exception_ctx ctx = { 0 };

	ctx.message = "task exception was never retrieved";
	ctx.code = fut->err;
	ctx.detail = fut->x.msg;
	ctx.future = fut;
	ctx.task = corun_task_name(fut);
	corun_loop_call_exception_handler(fut->loop, &ctx);
}

static void
task_destroy(corun_future *fut)
{
	struct cr_task *t = (struct cr_task *)fut;
	corun_loop *loop = fut->loop;

	free(t->name);
	if (t->is_step) {
		t->lnext = loop->free_tasks;
		loop->free_tasks = t;
		return;
	}
	free(t);
}

static void
loop_free_task_cache(corun_loop *loop)
{
	struct cr_slab *slab;

	while ((slab = loop->task_slabs) != NULL) {
		loop->task_slabs = slab->next;
		free(slab);
	}
	loop->free_tasks = NULL;
}

/* Detach the task from the loop's list of live tasks. */
static void
task_unlink(struct cr_task *t)
{
	corun_loop *loop = t->fut.loop;

	if (t->lprev != NULL) {
		t->lprev->lnext = t->lnext;
	} else {
		loop->tasks = t->lnext;
	}
	if (t->lnext != NULL) {
		t->lnext->lprev = t->lprev;
	}
	t->lnext = t->lprev = NULL;
	loop->ntasks--;
}

/* Called once the body has returned rc. */
static void
task_finish(struct cr_task *t, int rc)
{
	t->finished = 1;
	if (!t->is_step && ((struct cr_cotask *)t)->co != NULL) {
		corun_co_free(((struct cr_cotask *)t)->co);
		((struct cr_cotask *)t)->co = NULL;
	}
	if (t->fut.state == CORUN_FUTURE_PENDING) {
		if (rc == 0 && t->cancel_req > 0) {
			/* An undelivered request still cancels (as asyncio). */
			rc = CORUN_ECANCELED;
		}
		if (rc == 0) {
			cr_future_set_result(&t->fut, NULL, NULL);
		} else if (rc == CORUN_ECANCELED) {
			cr_future_complete_cancelled(&t->fut);
		} else {
			cr_future_set_error(&t->fut, rc > 0 ? rc :
			    CORUN_EFAILED, 0, "%s", corun_strerror(rc));
		}
	}
	task_unlink(t);
	corun_future_unref(&t->fut);	/* the loop's reference */
}

/* Done-callback of a future a task awaits. */
void
cr_task_on_done(corun_future *fut, void *arg)
{
	struct cr_task *t = arg;

	if (t->wait_kind == CR_W_FUTURE && t->w.fut == fut) {
		cr_task_wake(t, corun_future_status(fut));
	}
}

/* Undo whatever the task waits on; returns what it was. */
static int
task_unhook(struct cr_task *t)
{
	int kind = t->wait_kind;

	switch (kind) {
	case CR_W_FUTURE:
		corun_future_discard_callback(t->w.fut, cr_task_on_done,
		    t);
		break;
	case CR_W_TIMER:
		cr_handle_unschedule(&t->step_h);
		break;
	case CR_W_FD:
		event_del(t->w.ev);
		break;
	default:
		break;
	}
	return kind;
}

static void
co_entry(void *arg)
{
	struct cr_cotask *ct = arg;

	ct->rc = ct->t.body.fn(ct->t.arg);
}

static void
task_step(void *arg)
{
	struct cr_task *t = arg;
	struct cr_task *prev = cr_cur_task;
	int rc;

	if (t->finished) {
		return;
	}
	if (!t->started) {
		t->started = 1;
		if (t->cancel_req > 0) {
			/* Cancelled before it ran: the body never starts. */
			t->cancel_req = 0;
			task_finish(t, CORUN_ECANCELED);
			return;
		}
	}
	cr_cur_task = t;
	if (t->is_step) {
		int wake = t->wake;

		if (task_unhook(t) == CR_W_FUTURE) {
			corun_future_unref(t->w.fut);
		}
		t->wait_kind = CR_W_NONE;
		t->wake = 0;
		if (t->cancel_req > 0) {
			t->cancel_req = 0;
			wake = CORUN_ECANCELED;
		}
		rc = t->body.step(&t->fut, t->arg, wake);
		cr_cur_task = prev;
		if (rc != CORUN_PENDING) {
			task_finish(t, rc);
		}
		return;
	}
	corun_co_resume(cr_task_co(t));
	cr_cur_task = prev;
	if (corun_co_finished(cr_task_co(t))) {
		task_finish(t, ((struct cr_cotask *)t)->rc);
	}
}

static struct cr_task *
task_alloc(corun_loop *loop, size_t size, const char *name)
{
	struct cr_task *t;

	if (size == sizeof(struct cr_task)) {
		if (loop->free_tasks == NULL && slab_grow(loop) != 0) {
			return NULL;
		}
		t = loop->free_tasks;
		loop->free_tasks = t->lnext;
	} else if ((t = malloc(size)) == NULL) {
		return NULL;
	}
	memset(t, 0, size);
	cr_future_init(&t->fut, loop, &task_ops);
	cr_handle_init_embedded(&t->step_h, loop, task_step, t);
	if (name != NULL && (t->name = strdup(name)) == NULL) {
		t->is_step = size == sizeof(struct cr_task);
		task_destroy(&t->fut);
		return NULL;
	}
	return t;
}

static void
task_start(corun_loop *loop, struct cr_task *t, corun_future **out)
{
	t->lnext = loop->tasks;
	if (loop->tasks != NULL) {
		loop->tasks->lprev = t;
	}
	loop->tasks = t;
	loop->ntasks++;
	if (out != NULL) {
		*out = corun_future_ref(&t->fut);
	}
	cr_loop_schedule(loop, &t->step_h);
}

int
corun_task_spawn(corun_loop *loop, corun_task_fn fn, void *arg,
    const struct corun_task_opts *opts, corun_future **out)
{
	struct cr_cotask *ct;
	struct cr_task *t;
	int rc;

	if (loop == NULL || fn == NULL) {
		return CORUN_EINVAL;
	}
	t = task_alloc(loop, sizeof(*ct), opts != NULL ? opts->name : NULL);
	if (t == NULL) {
		return CORUN_ENOMEM;
	}
	ct = (struct cr_cotask *)t;
	/* Step tasks install it in slab_grow, off their hot path. */
	cr_loop_set_part(loop, CR_PART_TASKS, &task_part);
	rc = corun_co_new(co_entry, ct, opts != NULL ? opts->stack_size : 0,
	    &ct->co);
	if (rc != 0) {
		task_destroy(&t->fut);
		return rc;
	}
	corun_co_set_data(ct->co, t);
	t->body.fn = fn;
	t->arg = arg;
	task_start(loop, t, out);
	return 0;
}

int
corun_task_spawn_step(corun_loop *loop, corun_step_fn step, void *state,
    corun_future **out)
{
	struct cr_task *t;

	if (loop == NULL || step == NULL) {
		return CORUN_EINVAL;
	}
	if ((t = task_alloc(loop, sizeof(*t), NULL)) == NULL) {
		return CORUN_ENOMEM;
	}
	t->is_step = 1;
	t->body.step = step;
	t->arg = state;
	task_start(loop, t, out);
	return 0;
}

/* Schedule the next step, handing it status. */
void
cr_task_wake(struct cr_task *t, int status)
{
	if (t->step_h.state != CR_H_IDLE) {
		return;		/* a step is already on its way */
	}
	t->wake = status;
	cr_loop_schedule(t->fut.loop, &t->step_h);
}

void
cr_task_suspend(struct cr_task *t)
{
	(void)t;
	corun_co_suspend();
}

static int
task_cancel(corun_future *fut)
{
	struct cr_task *t = (struct cr_task *)fut;

	if (t->finished) {
		return CORUN_ESTATE;
	}
	t->ncancel++;
	t->cancel_req = 1;
	if (!t->started || t == cr_cur_task) {
		return 0;	/* seen when it starts, or at its next await */
	}
	switch (t->wait_kind) {
	case CR_W_FUTURE:
		/*
		 * Cancel what we await.  A plain future completes now and
		 * wakes us; a task wakes us when it has wound down.
		 */
		if (corun_future_cancel(t->w.fut) != 0 &&
		    !corun_future_done(t->w.fut)) {
			cr_task_wake(t, CORUN_ECANCELED);
		}
		break;
	case CR_W_TIMER:
	case CR_W_FD:
		task_unhook(t);
		cr_task_wake(t, CORUN_ECANCELED);
		break;
	default:
		break;		/* already scheduled: delivered on resume */
	}
	return 0;
}

/*
 * Before a loop is freed: cancel its live tasks and run it (without
 * blocking) so their bodies see CORUN_ECANCELED and run their cleanup
 * code, asking again while they await again and something is ready.
 * Not possible while another loop runs on this thread: then the tasks
 * are only destroyed.
 */
#define CR_UNWIND_ROUNDS 64

static void
unwind_tasks(corun_loop *loop)
{
	for (int round = 0; round < CR_UNWIND_ROUNDS && loop->tasks != NULL;
	    round++) {
		struct cr_task *t, *next;

		for (t = loop->tasks; t != NULL; t = next) {
			next = t->lnext;
			if (!t->cancel_req) {
				(void)task_cancel(&t->fut);
			}
		}
		if (corun_loop_run_once(loop, 0) != 0) {
			return;
		}
	}
}

static void
loop_destroy_tasks(corun_loop *loop)
{
	struct cr_task *t;

	unwind_tasks(loop);
	while ((t = loop->tasks) != NULL) {
		int kind = task_unhook(t);

		cr_handle_unschedule(&t->step_h);
		if (kind == CR_W_FUTURE) {
			corun_future_unref(t->w.fut);
		} else if (kind == CR_W_FD) {
			event_free(t->w.ev);
		}
		t->wait_kind = CR_W_NONE;
		t->cancel_req = 0;
		task_finish(t, CORUN_ECANCELED);
	}
}
