/* SPDX-License-Identifier: MIT */
/*
 * runner.c - wk_job_start(): run one job as a stackful task and report how
 * it ended as a struct wk_job_outcome (noop and sleep run without a task:
 * runner-nostack.c).
 *
 * Three objects take part:
 *   - the job (struct wk_runjob), whose first member is the future handed to
 *     the caller.  It has its own ops: cancelling it does not complete it,
 *     it records the request and cancels the task, and the future completes
 *     later with an outcome that says CORUN_ECANCELED.  So the future only
 *     ever completes with a result, as kinds.h promises, even when the
 *     task is cancelled before it starts (then its body never runs);
 *   - the task running job_body(), which runs the kind (or, offloaded,
 *     awaits the executor call that runs it);
 *   - a timer, when there is a timeout: it records CORUN_ETIMEDOUT as the
 *     reason and cancels the task the same way.
 * The task's done-callback builds the outcome and completes the job's
 * future; it also drops the task's reference on the job.
 *
 * Offload: a blocking kind's function runs on the loop's executor while
 * the task awaits a shield of that call.  The call is never cancelled
 * under a running function (executor.h would then complete its future at
 * once while the function still wrote into the ctx): on cancel the task
 * sets ctx->stop, which a function that has not started yet sees (and the
 * cpu kernel polls), and waits for the call to finish.
 *
 * What a running kind calls on its context (corun_job_write_out() and the
 * rest of <corun/job.h>) is in job.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <corun/executor.h>
#include <corun/task.h>

#include "kinds-internal.h"
#include "kinds.h"
#include "future-internal.h"
#include "runner-internal.h"

static int job_cancel(corun_future *fut);
static void job_destroy(corun_future *fut);

static const struct cr_future_ops job_ops = {
	.cancel = job_cancel,
	.destroy = job_destroy,
	.is_task = 0
};

/* The registry, for kinds that run other kinds (ctx->kinds). */
static const struct wk_kind_lookup kind_lookup = {
	.find = wk_kind_find,
	.names = wk_kind_names,
	.stack = wk_kind_stack,
};

/* ---- the task ----------------------------------------------------------- */

static int
offload_fn(void *arg, void **result)
{
	struct wk_runjob *job = arg;

	(void)result;
	/* Asked to stop before a thread picked it up: do not start. */
	if (wk_job_stopping(&job->ctx) != 0) {
		job->rc = CORUN_ECANCELED;
	} else {
		job->rc = job->ctx.kind->run(&job->ctx);
	}
	return 0;
}

/* Run the kind on the executor and wait, through cancels, until it ends. */
static int
run_offloaded(struct wk_runjob *job)
{
	corun_future *call, *sh;
	int rc;

	job->ctx.offloaded = 1;
	rc = corun_run_in_executor(job->ctx.loop, offload_fn, job, NULL,
	    &call);
	if (rc != 0) {
		return corun_job_fail(&job->ctx, rc, "%s: cannot offload: %s",
		    job->ctx.name, corun_strerror(rc));
	}
	while (!corun_future_done(call)) {
		if (corun_shield(call, &sh) != 0) {
			/* No memory for a shield: yield and look again. */
			corun_sleep(0.001);
			continue;
		}
		/* A cancel interrupts this await; ctx->stop is already set. */
		corun_await(sh);
		corun_future_unref(sh);
	}
	corun_future_unref(call);
	return job->rc;
}

static int
job_body(void *arg)
{
	struct wk_runjob *job = arg;

	job->started = 1;
	if (job->offload && (job->ctx.kind->flags & CORUN_KIND_BLOCKING)) {
		job->rc = run_offloaded(job);
	} else {
		job->rc = job->ctx.kind->run(&job->ctx);
	}
	job->finished = 1;
	job->end_ns = wk_realtime_ns();
	/*
	 * Report now, not a loop turn later when the task's completion is
	 * handled: the worker starts its next job sooner.  A stop request
	 * can no longer change the outcome (job_stop sees finished).
	 */
	if (job->timer != NULL) {
		corun_handle_cancel(job->timer);
		corun_handle_release(job->timer);
		job->timer = NULL;
	}
	wk_runjob_complete(job, wk_runjob_status(job));
	return 0;
}

static void
job_task_done(corun_future *task, void *arg)
{
	struct wk_runjob *job = arg;

	(void)task;
	if (job->timer != NULL) {
		corun_handle_cancel(job->timer);
		corun_handle_release(job->timer);
		job->timer = NULL;
	}
	job->finished = 1;
	wk_runjob_complete(job, job->started ? wk_runjob_status(job) :
	    (wk_job_stopping(&job->ctx) != 0 ? wk_job_stopping(&job->ctx) :
	    CORUN_ECANCELED));
	corun_future_unref(job->task);
	job->task = NULL;
	corun_future_unref(&job->fut);	/* the task's reference */
}

/* Ask the task to stop, giving why (ETIMEDOUT or ECANCELED). */
static void
job_stop(struct wk_runjob *job, int why)
{
	int zero = 0;

	if (job->nostack) {
		wk_nostack_stop(job, why);
		return;
	}
	if (job->finished || job->task == NULL) {
		return;
	}
	atomic_compare_exchange_strong(&job->ctx.stop, &zero, why);
	corun_future_cancel(job->task);
}

static void
job_timeout(void *arg)
{
	job_stop(arg, CORUN_ETIMEDOUT);
}

static int
job_cancel(corun_future *fut)
{
	job_stop((struct wk_runjob *)fut, CORUN_ECANCELED);
	return 0;
}

static void
job_destroy(corun_future *fut)
{
	struct wk_runjob *job = (struct wk_runjob *)fut;

	wk_outbuf_free(&job->ctx.out);
	wk_outbuf_free(&job->ctx.err);
	free(job->ctx.fail_msg);
	free(job);
}

/* A job and its context, from exec; *nlen: the bytes of its kind's name. */
static struct wk_runjob *
job_new(corun_loop *loop, const struct wk_job_exec *exec, size_t *nlen)
{
	struct wk_runjob *job;
	size_t n = exec->kind_len < WK_KIND_NAME_MAX ? exec->kind_len :
	    WK_KIND_NAME_MAX;

	/* The payload and, after it, the kind's name: in the same block. */
	if ((job = malloc(sizeof(*job) + exec->len + 1 + n + 1)) == NULL) {
		return NULL;
	}
	memset(job, 0, sizeof(*job));	/* (not the payload: up to 1 MiB) */
	cr_future_init(&job->fut, loop, &job_ops);
	job->id = exec->id;
	job->attempt = exec->attempt;
	job->timeout_ms = exec->timeout_ms;
	job->offload = exec->offload;
	job->start_ns = wk_realtime_ns();
	job->ctx.loop = loop;
	job->ctx.kinds = &kind_lookup;
	job->ctx.stream = exec->stream;
	job->ctx.stream_arg = exec->stream_arg;
	/* Streamed lines come from memory: a streamed job does not spill. */
	job->ctx.spill = exec->spill && exec->stream == NULL;
	job->ctx.spill_mem = job->ctx.spill && exec->spill_mem;
	job->ctx.exit_code = -1;
	job->ctx.timeout = exec->timeout_ms / 1000.0;
	atomic_init(&job->ctx.stop, 0);
	*nlen = n;
	job->ctx.payload = job->data;
	job->ctx.name = job->ctx.payload + exec->len + 1;
	if (*nlen > 0) {
		memcpy(job->ctx.name, exec->kind, *nlen);
	}
	job->ctx.name[*nlen] = '\0';
	if (exec->len > 0) {
		memcpy(job->ctx.payload, exec->payload, exec->len);
	}
	job->ctx.payload[exec->len] = '\0';
	job->ctx.len = exec->len;
	return job;
}

/* A job that needs no task (runner-nostack.c), and its timeout. */
static int
start_nostack(corun_loop *loop, struct wk_runjob *job,
    const struct wk_job_exec *exec, corun_future **out)
{
	int rc = wk_nostack_start(job);

	if (rc == 0 && !job->finished && exec->timeout_ms > 0 &&
	    corun_call_later(loop, exec->timeout_ms / 1000.0, job_timeout,
	    job, &job->timer) != 0) {
		/* Cannot time it: stop it now rather than let it overrun. */
		wk_nostack_stop(job, CORUN_ENOMEM);
	}
	if (rc != 0) {
		job_destroy(&job->fut);
		return rc;
	}
	*out = &job->fut;
	return 0;
}

int
wk_job_start(corun_loop *loop, const struct wk_job_exec *exec,
    corun_future **out)
{
	struct corun_task_opts opts = { 0, NULL };
	struct wk_runjob *job;
	size_t nlen;
	int rc;

	if (loop == NULL || exec == NULL || out == NULL ||
	    (exec->payload == NULL && exec->len > 0) ||
	    (exec->kind == NULL && exec->kind_len > 0)) {
		return CORUN_EINVAL;
	}
	if ((job = job_new(loop, exec, &nlen)) == NULL) {
		return CORUN_ENOMEM;
	}

	job->ctx.kind = wk_kind_find(exec->kind, exec->kind_len);
	if (job->ctx.kind == NULL) {
		corun_job_fail(&job->ctx, CORUN_ENOENT, "unknown job kind "
		    "'%.*s' (known: %s)", (int)nlen, job->ctx.name,
		    wk_kind_names());
		job->end_ns = job->start_ns;
		wk_runjob_complete(job, CORUN_ENOENT);
		*out = &job->fut;
		return 0;
	}
	if (wk_nostack_fits(job)) {
		return start_nostack(loop, job, exec, out);
	}
	opts.stack_size = wk_kind_stack(job->ctx.kind);
	opts.name = job->ctx.name;
	rc = corun_task_spawn(loop, job_body, job, &opts, &job->task);
	if (rc != 0) {
		job_destroy(&job->fut);
		return rc;
	}
	corun_future_ref(&job->fut);	/* the task's, until it is done */
	rc = corun_future_add_done_callback(job->task, job_task_done, job);
	if (rc == 0 && exec->timeout_ms > 0) {
		rc = corun_call_later(loop, exec->timeout_ms / 1000.0,
		    job_timeout, job, &job->timer);
	}
	if (rc != 0) {
		/* The task has not run yet: cancelling it keeps it so. */
		corun_future_discard_callback(job->task, job_task_done,
		    job);
		corun_future_cancel(job->task);
		corun_future_unref(job->task);
		job->task = NULL;
		corun_future_unref(&job->fut);
		corun_future_unref(&job->fut);
		return rc;
	}
	*out = &job->fut;
	return 0;
}
