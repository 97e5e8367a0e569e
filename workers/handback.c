/* SPDX-License-Identifier: MIT */
/*
 * handback.c - SIGTERM to a remote worker (no --parent): hand its jobs
 * back.
 *
 * A batch system ends a worker with SIGTERM: scancel of its step, a time
 * limit, preemption, or --signal=B:TERM@N before the limit.  Its jobs did
 * nothing wrong, and Slurm signals every process of the step, the jobs'
 * own processes too.  So the worker stops its running jobs (their process
 * groups killed), refuses the held ones, and reports every result it has
 * not sent yet as CORUN_ECLOSED: the supervisor runs them again elsewhere
 * without counting an attempt, and no job is recorded failed, or
 * succeeded, by the signal.
 *
 * The signal may reach a job's process a moment before the worker: a
 * remote worker holds back a result killed by SIGTERM for WK_TERM_HOLD,
 * so that a SIGTERM of its own that follows turns it into a hand-back.
 * scancel of a step sends SIGKILL to all its processes at once (Slurm
 * 22.05): a result killed by SIGKILL is held back too, and the worker's
 * own death a moment later leaves the job to be re-leased, as for any
 * worker lost.
 *
 * main.c starts the hand-back (w->handback, then a cancelling shutdown);
 * flush.c and results.c ask here what to do with each result.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "job.h"
#include "worker.h"

int
wk_handback_hold(const struct wk_state *w, const struct wk_job *j)
{
	if (w->opt.parent != 0 || w->handback ||
	    j->oc.status == CORUN_ETIMEDOUT || j->oc.status == CORUN_ECANCELED) {
		return 0;	/* local, handed back, or stopped by us */
	}
	return j->oc.signal == SIGTERM || j->oc.signal == SIGKILL ||
	    (j->oc.status != 0 && j->oc.exit_code == 128 + SIGTERM);
}

void
wk_handback_result(const struct wk_state *w, struct wire_result *r)
{
	static const char msg[] = "handed back: the worker was terminated";

	if (!w->handback) {
		return;
	}
	r->status = (uint32_t)CORUN_ECLOSED;
	r->exit_code = 0;
	r->signal = 0;
	r->out.len = r->err.len = 0;
	r->errmsg.ptr = (const uint8_t *)msg;
	r->errmsg.len = (uint32_t)strlen(msg);
}
