/*
 * pool-exit.c - workers that end: their leases taken back (re-queued or
 * failed), restarts with backoff under the intensity limit, and a pool
 * that breaks when its workers keep dying.
 */
#include "config.h"

#include <errno.h>
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
	cr_pool_log(p, "pool is broken: %s", why);
	cr_pool_fail_queue(p, CORUN_EBROKEN, why);
}

/* Count a restart; nonzero if the intensity limit is passed. */
static int
too_many_restarts(struct corun_pool *p)
{
	uint64_t now = corun_loop_now_ns();
	unsigned n = 0, cap = p->restart_max + 1;

	p->restart_times[p->nrestart_times++ % cap] = now;
	for (unsigned i = 0; i < cap && i < p->nrestart_times; i++) {
		if (now - p->restart_times[i] <
		    cr_health_restart_window_ns(p)) {
			n++;
		}
	}
	return n > p->restart_max;
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
		cr_pool_maybe_finish_shutdown(p);
		return;
	}
	for (unsigned i = 0; i < p->procs; i++) {
		struct cr_worker *w = &p->workers[i];

		if (w->state != CR_W_IDLE) {
			continue;
		}
		if (cr_worker_spawn(p, w) != 0) {
			snprintf(why, sizeof(why), "cannot start %s: %s",
			    p->worker_path, strerror(errno));
			set_broken(p, why);
			return;
		}
		p->st.restarts++;
	}
}

/* Take back every job leased to w: re-queue or fail each.  */
static size_t
release_leases(struct corun_pool *p, struct cr_worker *w, const char *why,
    int count)
{
	struct cr_job *job;
	size_t requeued = 0;

	while ((job = w->leases.head) != NULL) {
		cr_pool_unlease(p, job);
		p->st.lost++;
		job->lost += count != 0;
		if (job->cancel_req || (p->closing && !p->wait_on_close)) {
			cr_pool_job_fail(job, CORUN_ECANCELED, NULL);
		} else if (job->lost >= p->max_attempts) {
			cr_pool_job_fail(job, CORUN_ELOST,
			    "%s (attempt %u of %u)", why, job->lost,
			    p->max_attempts);
		} else {
			cr_pool_requeue_front(p, job);
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
cr_pool_on_lost(struct cr_worker *w, const char *why)
{
	struct corun_pool *p = w->pool;
	size_t held = w->leases.len, requeued;

	w->state = CR_W_IDLE;
	w->recycling = 0;
	w->credit = 0;
	requeued = release_leases(p, w, why, 1);
	if (held > 0 || !p->closing) {
		cr_pool_log(p, "remote worker %u (%s): %s; %zu job(s) "
		    "re-queued", w->idx, w->peer, why, requeued);
	}
	cr_pool_maybe_finish_shutdown(p);
}

/*
 * After a loss (not a recycling): restart it later, with backoff, or
 * break the pool if workers keep dying.
 */
static void
restart_or_break(struct corun_pool *p, const char *why, int quick)
{
	char msg[256];

	if (too_many_restarts(p)) {
		snprintf(msg, sizeof(msg), "workers keep dying (more than %u "
		    "restarts in %g s; last: %s)", p->restart_max,
		    (double)cr_health_restart_window_ns(p) / 1e9, why);
		set_broken(p, msg);
	} else if (quick && p->restart_streak >= (p->restart_max < 5 ?
	    p->restart_max : 5)) {
		/*
		 * Backoff keeps a crash loop under the intensity limit;
		 * workers that never live past their first second are as
		 * broken as a restart storm.
		 */
		snprintf(msg, sizeof(msg), "workers keep dying (%u in a row "
		    "within a second of starting; last: %s)",
		    p->restart_streak + 1, why);
		set_broken(p, msg);
	} else if (p->restart_h == NULL) {
		/* A worker that died at once is not retried at once. */
		corun_call_later(p->loop, cr_health_restart_delay(p, quick),
		    restart_cb, p, &p->restart_h);
	}
}

/* A broken pool with no worker left: nobody will run what is queued. */
static void
fail_if_none_left(struct corun_pool *p)
{
	int alive = 0;

	for (unsigned i = 0; i < p->nslots; i++) {
		alive += p->workers[i].state != CR_W_IDLE;
	}
	if (!alive) {
		cr_pool_fail_queue(p, CORUN_EBROKEN, p->broken_reason);
	}
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
cr_pool_on_exit(struct cr_worker *w, int status)
{
	struct corun_pool *p = w->pool;
	char why[128];
	size_t requeued = 0;
	int quick, recycled, unstarted, clean;

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
	quick = corun_loop_now_ns() - w->started_ns < 1000000000ull;
	/*
	 * One that never said HELLO and exited, or that we stopped (it broke
	 * the protocol, it hung), failed to start: the first jobs it was
	 * handed (--jobs-fd) do not lose an attempt; a broken worker breaks
	 * the pool instead.  A signal we did not send (a job crashed it)
	 * counts, as after HELLO.
	 */
	unstarted = w->state == CR_W_STARTING &&
	    (WIFEXITED(status) || w->kill_sent);
	cr_worker_close(w);
	w->state = CR_W_IDLE;
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
		cr_pool_log(p, "worker %u: %s; %zu job(s) re-queued", w->idx,
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
		restart_or_break(p, why, quick);
	}
	if (p->broken) {
		fail_if_none_left(p);
	}
	cr_pool_maybe_finish_shutdown(p);
}
