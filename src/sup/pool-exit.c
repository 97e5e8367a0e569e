/* SPDX-License-Identifier: MIT */
/*
 * pool-exit.c - workers that end: their leases taken back (re-queued or
 * failed), and their replacements.  A worker that dies while it runs
 * (the OOM killer, an operator, a job that crashes it) is replaced for as
 * long as the pool lives, paced once restarts pass the intensity limit
 * (health.c); the job it was running loses an attempt and fails alone
 * once its attempts are spent.  The pool breaks only when workers cannot
 * start: too many in a row die before their HELLO.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "sup-internal.h"

static void
set_broken(struct corun_pool *p, const char *why)
{
	if (p->broken) {
		return;
	}
	p->broken = 1;
	free(p->broken_reason);
	p->broken_reason = strdup(why);
	sup_pool_log(p, "pool is broken: %s", why);
	sup_pool_fail_queue(p, CORUN_EBROKEN, why);
}

static void
restart_cb(void *arg)
{
	struct corun_pool *p = arg;
	char why[256];

	corun_handle_release(p->restart_h);
	p->restart_h = NULL;
	if (p->broken || (p->closing && (!p->wait_on_close ||
	    p->queue.len == 0))) {
		sup_pool_maybe_finish_shutdown(p);
		return;
	}
	for (unsigned i = 0; i < p->procs; i++) {
		struct sup_worker *w = &p->workers[i];

		if (w->state != SUP_W_IDLE) {
			continue;
		}
		if (sup_worker_spawn(p, w) != 0) {
			snprintf(why, sizeof(why), "cannot start %s: %s",
			    p->worker_path, strerror(errno));
			set_broken(p, why);
			return;
		}
		p->st.restarts++;
	}
}

/*
 * How many of w's leases it may have been running: a worker starts the
 * jobs it holds in the order it got them (workers/dispatch.c), so the
 * oldest leases, up to its job slots, are the ones that may have run;
 * the rest were held (prefetch) and never started.
 */
static size_t
running_slots(const struct corun_pool *p, const struct sup_worker *w)
{
	return sup_worker_slots(p, w);
}

/*
 * Take back every job leased to w: re-queue or fail each.  With count, a
 * job it may have been running loses an attempt; one it only held does
 * not.
 */
static size_t
release_leases(struct corun_pool *p, struct sup_worker *w, const char *why,
    int count)
{
	struct sup_job *job;
	size_t requeued = 0, ran = count ? running_slots(p, w) : 0;

	while ((job = w->leases.head) != NULL) {
		sup_pool_unlease(p, job);
		p->st.lost++;
		if (ran > 0) {
			job->lost++;
			ran--;
		}
		/* (a job being killed, corun_pool_kill, is re-leased) */
		if ((job->cancel_req && !job->cancel_retry) ||
		    (p->closing && !p->wait_on_close)) {
			sup_pool_job_fail(job, CORUN_ECANCELED, NULL);
		} else if (job->lost >= p->max_attempts) {
			sup_pool_job_fail(job, CORUN_ELOST,
			    "%s (attempt %u of %u)", why, job->lost,
			    p->max_attempts);
		} else {
			sup_pool_requeue_front(p, job);
			requeued++;
		}
	}
	return requeued;
}

/*
 * A remote worker is gone (its connection closed, it fell silent, it
 * broke the protocol): its jobs go elsewhere.  Nothing is restarted: its
 * host may attach again.
 */
void
sup_pool_on_lost(struct sup_worker *w, const char *why)
{
	struct corun_pool *p = w->pool;
	size_t held = w->leases.len, requeued;

	w->state = SUP_W_IDLE;
	w->recycling = 0;
	w->credit = 0;
	requeued = release_leases(p, w, why, 1);
	if (held > 0 || !p->closing) {
		sup_pool_log(p, "remote worker %u (%s): %s; %zu job(s) "
		    "re-queued", w->idx, w->peer, why, requeued);
	}
	sup_pool_maybe_finish_shutdown(p);
}

/*
 * After a loss (not a recycling): restart it later (health.c paces the
 * restarts), or break the pool if workers keep failing to start.
 */
static void
restart_or_break(struct corun_pool *p, const char *why, int start_failed)
{
	unsigned limit = p->restart_max < SUP_START_FAILS_MAX ? p->restart_max :
	    SUP_START_FAILS_MAX;
	char msg[512];
	double delay;

	if (start_failed && p->restart_streak >= limit) {
		snprintf(msg, sizeof(msg), "workers keep dying before their "
		    "HELLO (%u in a row; last: %s): cannot start %s",
		    p->restart_streak + 1, why, p->worker_path);
		set_broken(p, msg);
		return;
	}
	delay = sup_health_restart_delay(p, start_failed);
	if (p->restart_h == NULL) {
		corun_call_later(p->loop, delay, restart_cb, p, &p->restart_h);
	}
}

/* A broken pool with no worker left: nobody will run what is queued. */
static void
fail_if_none_left(struct corun_pool *p)
{
	int alive = 0;

	for (unsigned i = 0; i < p->nslots; i++) {
		alive += p->workers[i].state != SUP_W_IDLE;
	}
	if (!alive) {
		sup_pool_fail_queue(p, CORUN_EBROKEN, p->broken_reason);
	}
}

/*
 * A worker that never said HELLO and exited by itself, crashed (a signal
 * nobody sends on purpose), or was stopped by us (it broke the protocol,
 * it hung, its listener failed) failed to start.  One killed from outside
 * before its HELLO (SIGKILL, SIGTERM: the OOM killer, an operator) did
 * not: it is replaced as one that died while it ran.
 */
static int
start_failed(const struct sup_worker *w, int status)
{
	int sig;

	if (w->state != SUP_W_STARTING || WIFEXITED(status) || w->kill_sent) {
		return w->state == SUP_W_STARTING;
	}
	sig = WTERMSIG(status);
	return sig != SIGKILL && sig != SIGTERM && sig != SIGINT &&
	    sig != SIGHUP;
}

static void
describe_exit(int status, char *why, size_t size)
{
	if (WIFSIGNALED(status)) {
		snprintf(why, size, "worker lost: signal %d", WTERMSIG(status));
	} else {
		snprintf(why, size, "worker lost: exit %d", WEXITSTATUS(status));
	}
}

void
sup_pool_on_exit(struct sup_worker *w, int status)
{
	struct corun_pool *p = w->pool;
	char why[128];
	size_t requeued = 0;
	int recycled, unstarted, failed_start, clean;

	/*
	 * Told to stop after its share of jobs (recycling) or after what it
	 * held (draining), and holding none: no loss.
	 */
	recycled = (w->recycling || w->draining) && w->leases.len == 0;
	w->draining = 0;
	w->recycling = 0;
	w->jobs_done = 0;
	w->jobs_limit = 0;
	describe_exit(status, why, sizeof(why));
	/*
	 * One that never said HELLO and exited, or that we stopped (it broke
	 * the protocol, it hung), failed to start: the first jobs it was
	 * handed (--jobs-fd) do not lose an attempt; a broken worker breaks
	 * the pool instead.  A signal we did not send (a job crashed it)
	 * counts, as after HELLO.
	 */
	unstarted = w->state == SUP_W_STARTING &&
	    (WIFEXITED(status) || w->kill_sent);
	failed_start = start_failed(w, status);
	sup_worker_close(w);
	if (p->spilling && !w->remote && w->pid > 0) {
		/* Spill files it made but could not send: gone with it. */
		sup_pool_files_sweep(w->pid);
	}
	w->state = SUP_W_IDLE;
	w->pid = 0;
	requeued = release_leases(p, w, why, !unstarted);
	/*
	 * Exit 0 is a worker that was told to stop (by us, or by a signal
	 * from whoever may stop it: an operator, a batch system stopping the
	 * whole step) and left in order: no news, unless jobs it held had to
	 * be taken back while the pool still runs.
	 */
	clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!recycled && (requeued > 0 || !p->closing) &&
	    !(clean && (requeued == 0 || p->closing))) {
		sup_pool_log(p, "worker %u: %s; %zu job(s) re-queued", w->idx,
		    why, requeued);
	}
	if (recycled && !p->broken && (!p->closing || (p->wait_on_close &&
	    p->queue.len > 0))) {
		/* Not a failure: replace it now, outside the intensity limit. */
		if (p->restart_h == NULL) {
			corun_call_later(p->loop, 0, restart_cb, p,
			    &p->restart_h);
		}
	} else if (!p->broken && (!p->closing || (p->wait_on_close &&
	    p->queue.len > 0))) {
		restart_or_break(p, why, failed_start);
	}
	if (p->broken) {
		fail_if_none_left(p);
	}
	sup_pool_maybe_finish_shutdown(p);
}
