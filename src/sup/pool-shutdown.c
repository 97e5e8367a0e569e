/* SPDX-License-Identifier: MIT */
/*
 * pool-shutdown.c - closing the pool: workers told to drain or stop, the
 * queue cancelled, and the shutdown future completed once every worker is
 * gone.
 */
#include "config.h"

#include <signal.h>

#include "sup-internal.h"

/*
 * A stopped worker (SIGSTOP, a terminal's ^Z) reads nothing and acts on
 * no signal but SIGKILL until it runs again: a worker told to stop is
 * woken first, so that it can leave as any other does.
 */
static void
wake(struct sup_worker *w)
{
	if (!w->remote && w->pid > 0 && w->state != SUP_W_IDLE &&
	    w->state != SUP_W_DEAD) {
		sup_worker_continue(w->pid);
	}
}

void
sup_pool_stop_worker(struct corun_pool *p, struct sup_worker *w,
    int graceful)
{
	struct wire_shutdown sd = { (uint8_t)graceful, 0 };
	const uint8_t *frame;
	size_t len;

	/*
	 * Woken when it is told to stop, or to cancel after all, not each
	 * time the pool looks again at one already stopping (every other
	 * worker's exit does): that one may be exiting, and LeakSanitizer
	 * stops an exiting process's threads with ptrace, whose SIGSTOP a
	 * SIGCONT discards: the attach then waits, and the worker hangs.
	 */
	if (w->state != SUP_W_STOPPING || graceful == WIRE_SHUTDOWN_CANCEL) {
		wake(w);
	}
	/*
	 * A draining worker told to cancel after all hears it too, if it
	 * still runs something (one that does not is leaving: a write to it
	 * as it exits is what sockclose.c is careful about).
	 */
	if ((w->state == SUP_W_READY || (w->state == SUP_W_STOPPING &&
	    w->draining && graceful == WIRE_SHUTDOWN_CANCEL &&
	    w->leases.len > 0 && !w->bye_seen)) &&
	    wire_encode_shutdown(&p->wb, &sd, &frame, &len) == 0 &&
	    sup_worker_send(w, frame, len) == 0) {
		w->state = SUP_W_STOPPING;
		w->draining = 0;
	} else if (w->state == SUP_W_STARTING && w->leases.len == 0 &&
	    !w->remote) {
		/*
		 * Nothing of ours runs there, and one still dialling hears no
		 * SIGTERM until it gives up on a listener that will not open.
		 */
		sup_worker_kill(w, SIGKILL, NULL);
		w->state = SUP_W_STOPPING;
	} else if (w->state == SUP_W_STARTING || w->state == SUP_W_READY) {
		sup_worker_kill(w, SIGTERM, NULL);
		w->state = SUP_W_STOPPING;
	}
}

/*
 * The pool is closing and nothing is queued: a local worker still running
 * jobs is told to run what it holds and leave (SHUTDOWN drain), so that it
 * exits right behind its last results instead of a round trip later.  It
 * takes no new jobs from here on; a job re-queued meanwhile (a retry, a
 * lost worker's) goes to a worker started for it.
 */
static void
drain_worker(struct corun_pool *p, struct sup_worker *w)
{
	struct wire_shutdown sd = { WIRE_SHUTDOWN_DRAIN, 0 };
	const uint8_t *frame;
	size_t len;

	if (wire_encode_shutdown(&p->wb, &sd, &frame, &len) == 0 &&
	    sup_worker_send(w, frame, len) == 0) {
		w->state = SUP_W_STOPPING;
		w->draining = 1;
	}
}

void
sup_pool_maybe_finish_shutdown(struct corun_pool *p)
{
	size_t leased = p->leased.len;
	int alive = 0;

	if (!p->closing) {
		return;
	}
	for (unsigned i = 0; i < p->nslots; i++) {
		struct sup_worker *w = &p->workers[i];

		if (w->state == SUP_W_IDLE) {
			continue;
		}
		alive++;
		if (p->queue.len == 0 && leased == 0) {
			sup_pool_stop_worker(p, w, WIRE_SHUTDOWN_GRACEFUL);
		} else if (p->queue.len == 0 && p->wait_on_close &&
		    w->state == SUP_W_READY && !w->remote && !w->recycling &&
		    w->leases.len > 0) {
			drain_worker(p, w);
		}
	}
	if (alive == 0 && p->queue.len > 0 && p->restart_h == NULL &&
	    !(p->opts.no_local && p->wait_on_close && !p->broken)) {
		/* Nobody is left to run them and nobody will be started. */
		if (p->broken) {
			sup_pool_fail_queue(p, CORUN_EBROKEN, p->broken_reason);
		} else {
			sup_pool_fail_queue(p, CORUN_ECANCELED, "pool shut down");
		}
	}
	if (alive == 0 && p->done != NULL && !corun_future_done(p->done)) {
		corun_future_set_result(p->done, NULL, NULL);
	}
}

int
corun_pool_shutdown(corun_pool *p, int wait, int cancel_pending,
    corun_future **done)
{
	struct sup_job *job;
	int rc;

	if (p == NULL) {
		return CORUN_EINVAL;
	}
	if (p->done == NULL &&
	    (rc = corun_future_new(p->loop, &p->done)) != 0) {
		return rc;
	}
	/*
	 * A later call may ask for more than an earlier one (corun run
	 * closes the pool once its input is all submitted, then a halt or a
	 * signal cancels): cancelling the queue or the running jobs happens
	 * on any call, once.
	 */
	if (!p->closing) {
		p->closing = 1;
		p->wait_on_close = wait;
		sup_remote_stop(p);	/* no new remote workers */
	}
	if (cancel_pending || !wait) {
		while ((job = sup_jobq_pop(&p->queue)) != NULL) {
			sup_pool_job_fail(job, CORUN_ECANCELED, NULL);
		}
	}
	if (!wait && !p->stopped_now) {
		p->stopped_now = 1;
		p->wait_on_close = 0;
		for (unsigned i = 0; i < p->nslots; i++) {
			struct sup_worker *w = &p->workers[i];

			for (job = w->leases.head; job != NULL;
			    job = job->next) {
				job->cancel_req = 1;
				job->cancel_retry = 0;
			}
			sup_pool_stop_worker(p, w, WIRE_SHUTDOWN_CANCEL);
		}
	}
	if (done != NULL) {
		*done = corun_future_ref(p->done);
	}
	sup_pool_maybe_finish_shutdown(p);
	return 0;
}
