/* SPDX-License-Identifier: MIT */
/*
 * runner.c - wk_job_start(): run one job as a stackful task and report how
 * it ended as a struct wk_job_outcome.
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

struct wk_runjob {
	struct corun_future fut;	/* first: what the caller holds */
	corun_job_ctx ctx;
	uint64_t id;
	uint32_t attempt;
	uint32_t timeout_ms;
	int offload;
	corun_future *task;		/* NULL when it never started */
	corun_handle *timer;
	uint64_t start_ns, end_ns;
	int rc;				/* what the kind returned */
	int started, finished;		/* the body began / ended */
};

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

static uint64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- outcome ------------------------------------------------------------ */

void
wk_job_outcome_free(void *p)
{
	struct wk_job_outcome *o = p;

	if (o == NULL) {
		return;
	}
	free(o->out);
	free(o->err);
	free(o->message);
	free(o);
}

/* The message for status, or NULL when there is nothing to say. */
static char *
outcome_message(struct wk_runjob *job, int status)
{
	corun_job_ctx *ctx = &job->ctx;
	char *msg = NULL, *full = NULL;
	int r = 0;

	if (status == CORUN_ETIMEDOUT && wk_job_stopping(ctx) == status) {
		r = asprintf(&msg, "timeout after %g s",
		    job->timeout_ms / 1000.0);
	} else if (status == CORUN_ETIMEDOUT && wk_job_stopping(ctx) == 0) {
		r = asprintf(&msg, "timeout after %g s (the job blocked its "
		    "loop, so it could not be stopped; --offload runs it in "
		    "the executor)", job->timeout_ms / 1000.0);
	} else if (status == CORUN_ECANCELED &&
	    wk_job_stopping(ctx) == status) {
		msg = strdup("cancelled");
	} else if (status != 0 && ctx->fail_msg != NULL) {
		msg = strdup(ctx->fail_msg);
	} else if (status != 0) {
		r = asprintf(&msg, "%s: %s", ctx->name,
		    corun_strerror(status));
	}
	if (r < 0) {
		msg = NULL;
	}
	if (!ctx->out.truncated && !ctx->err.truncated) {
		return msg;
	}
	/* Dropped output is worth saying even when the job succeeded. */
	r = asprintf(&full, "%s%s%s truncated at %zu MiB",
	    msg != NULL ? msg : "", msg != NULL ? "; " : "",
	    ctx->out.truncated ? (ctx->err.truncated ? "stdout and stderr" :
	    "stdout") : "stderr", WK_OUT_CAP >> 20);
	if (r < 0) {
		return msg;
	}
	free(msg);
	return full;
}

static struct wk_job_outcome *
outcome_build(struct wk_runjob *job, int status)
{
	struct wk_job_outcome *o;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		return NULL;
	}
	o->id = job->id;
	o->attempt = job->attempt;
	o->status = status;
	o->exit_code = job->ctx.exit_code;
	o->signal = job->ctx.signal;
	o->start_ns = job->start_ns;
	o->end_ns = job->end_ns != 0 ? job->end_ns : realtime_ns();
	/* Hand the buffers over rather than copy up to 64 MiB. */
	o->out = job->ctx.out.p;
	o->out_len = job->ctx.out.len;
	o->err = job->ctx.err.p;
	o->err_len = job->ctx.err.len;
	o->message = outcome_message(job, status);
	job->ctx.out.p = job->ctx.err.p = NULL;
	job->ctx.out.len = job->ctx.err.len = 0;
	return o;
}

/* Complete the job's future; only ever with a result. */
static void
job_complete(struct wk_runjob *job, int status)
{
	struct wk_job_outcome *o;

	if (corun_future_done(&job->fut)) {
		return;
	}
	if ((o = outcome_build(job, status)) == NULL) {
		/*
		 * Not even the outcome fits in memory.  An error is the only
		 * completion left; the worker reports it as a failed job.
		 */
		corun_future_set_error(&job->fut, CORUN_ENOMEM,
		    "%s: out of memory for the outcome", job->ctx.name);
		return;
	}
	corun_future_set_result(&job->fut, o, wk_job_outcome_free);
}

/* The status the outcome reports. */
static int
job_status(struct wk_runjob *job)
{
	int stop = wk_job_stopping(&job->ctx);

	/*
	 * A stop request made while the job ran wins, even if the kind
	 * then finished anyway: the job overran its timeout, or the caller
	 * no longer wanted it.
	 */
	if (stop != 0) {
		return stop;
	}
	/*
	 * A kind that blocks its loop cannot be interrupted, so its timer
	 * could not fire in time; it still overran its timeout.
	 */
	if (job->timeout_ms > 0 && job->end_ns > job->start_ns &&
	    job->end_ns - job->start_ns >= (uint64_t)job->timeout_ms *
	    1000000u) {
		return CORUN_ETIMEDOUT;
	}
	if (job->rc < 0 || job->rc >= CORUN_EMAXERR) {
		return CORUN_EFAILED;
	}
	return job->rc;
}

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
	job->end_ns = realtime_ns();
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
	job_complete(job, job_status(job));
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
	job_complete(job, job->started ? job_status(job) :
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

	free(job->ctx.payload);
	free(job->ctx.out.p);
	free(job->ctx.err.p);
	free(job->ctx.fail_msg);
	free(job);
}

/* A job and its context, from exec; *nlen: the bytes of its kind's name. */
static struct wk_runjob *
job_new(corun_loop *loop, const struct wk_job_exec *exec, size_t *nlen)
{
	struct wk_runjob *job;

	if ((job = calloc(1, sizeof(*job))) == NULL) {
		return NULL;
	}
	cr_future_init(&job->fut, loop, &job_ops);
	job->id = exec->id;
	job->attempt = exec->attempt;
	job->timeout_ms = exec->timeout_ms;
	job->offload = exec->offload;
	job->start_ns = realtime_ns();
	job->ctx.loop = loop;
	job->ctx.kinds = &kind_lookup;
	job->ctx.stream = exec->stream;
	job->ctx.stream_arg = exec->stream_arg;
	job->ctx.exit_code = -1;
	job->ctx.timeout = exec->timeout_ms / 1000.0;
	atomic_init(&job->ctx.stop, 0);
	*nlen = exec->kind_len < sizeof(job->ctx.name) ? exec->kind_len :
	    sizeof(job->ctx.name) - 1;
	if (*nlen > 0) {
		memcpy(job->ctx.name, exec->kind, *nlen);
	}
	if ((job->ctx.payload = malloc(exec->len + 1)) == NULL) {
		free(job);
		return NULL;
	}
	if (exec->len > 0) {
		memcpy(job->ctx.payload, exec->payload, exec->len);
	}
	job->ctx.payload[exec->len] = '\0';
	job->ctx.len = exec->len;
	return job;
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
		job_complete(job, CORUN_ENOENT);
		*out = &job->fut;
		return 0;
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
		corun_future_remove_done_callback(job->task, job_task_done,
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
