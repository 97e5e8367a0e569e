/* SPDX-License-Identifier: MIT */
/*
 * runner-outcome.c - how a running job ended, as the struct
 * wk_job_outcome its future completes with: shared by the jobs that run
 * as tasks (runner.c) and those that run without one (runner-nostack.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kinds.h"
#include "runner-internal.h"

uint64_t
wk_realtime_ns(void)
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
	/* Files nobody was told of: gone with the outcome. */
	for (int i = 0; i < 2; i++) {
		char *f = i ? o->err_file : o->out_file;

		if (f != NULL) {
			unlink(f);
			free(f);
		}
	}
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
	o->end_ns = job->end_ns != 0 ? job->end_ns : wk_realtime_ns();
	/* Hand the buffers over rather than copy up to 64 MiB. */
	o->out = job->ctx.out.p;
	o->out_len = job->ctx.out.len;
	o->err = job->ctx.err.p;
	o->err_len = job->ctx.err.len;
	o->message = outcome_message(job, status);
	o->out_file = wk_outbuf_take_file(&job->ctx.out);
	o->err_file = wk_outbuf_take_file(&job->ctx.err);
	job->ctx.out.p = job->ctx.err.p = NULL;
	job->ctx.out.len = job->ctx.err.len = 0;
	return o;
}

/* Complete the job's future; only ever with a result. */
void
wk_runjob_complete(struct wk_runjob *job, int status)
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
int
wk_runjob_status(struct wk_runjob *job)
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
