/* SPDX-License-Identifier: MIT */
/*
 * feed.c - feeding the pool from the store, and recording results: the
 * step, and the feed's start, drain and stop.
 *
 * The store holds every job; the pool holds at most conf.window of them
 * at once, so a million queued jobs are a million rows, not a million
 * futures.  Once per loop iteration that saw something happen (a request,
 * a result, a resume), the step opens one transaction, handles the
 * requests (through d->feed_hooks: ctl.c), records every result that
 * arrived, takes as many runnable jobs as the window has room for,
 * commits, and only then answers the requests, hands the new jobs to the
 * pool and answers the waiters: a job acknowledged and a result a client
 * sees are on disk.  One commit per iteration, whatever came in it (group
 * commit), and a job submitted is taken in the same transaction, so a
 * noop job costs two commits from submit to result: its insert and take,
 * its result.
 *
 * Taking a job is not an attempt: a job counts one when it starts on a
 * worker.  The pool says so through on_lease (with no prefetch a worker
 * holds only what it can start, so leased is started); the step records
 * the starts that came since the last one in its transaction, those of
 * the jobs it just handed out included.  So a crash fails only jobs
 * that really ran max_attempts times, never one still waiting.
 *
 * The pool's life (scaling, a broken pool) is in feed-pool.c, the jobs
 * in it in feed-jobs.c, when the step runs in feed-wake.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed-internal.h"
#include "spool.h"

/*
 * Record the results that arrived: ok gets those written, again those
 * the store failed to take (recorded again at the next step).
 */
static void
record_results(struct cd_daemon *d, struct cd_inflight **ok,
    struct cd_inflight **again)
{
	struct cd_inflight *r, *next;

	for (r = d->done_head, d->done_head = NULL; r != NULL; r = next) {
		next = r->done_next;
		if (cd_feed_record(d, r) != 0) {
			r->done_next = *again;
			*again = r;
		} else {
			r->done_next = *ok;
			*ok = r;
		}
	}
}

/*
 * Take what the window has room for and hand it to the pool.  The jobs
 * go out before the commit, so the disk write and the jobs overlap.
 * Their results are handled in a later iteration, after this commit.  If
 * the daemon dies before it, the jobs were not acknowledged, or they are
 * still queued and run again.
 */
static void
take_jobs(struct cd_daemon *d)
{
	struct cd_taken *taken = NULL;
	size_t ntaken = 0;

	cd_feed_delay_release(d);
	if (cd_feed_can_take(d)) {
		size_t room = d->conf.window - d->ninflight;

		if ((taken = calloc(room, sizeof(*taken))) != NULL &&
		    cd_store_take(d->store, room, cd_feed_wall_ns(), taken,
		    &ntaken) != 0) {
			cd_log("store: %s", cd_store_errmsg(d->store));
			ntaken = 0;
		}
	}
	if (ntaken > 0) {
		cd_feed_hand(d, taken, ntaken);
		corun_pool_flush(d->pool);
	}
	free(taken);
}

/*
 * After the commit: let go of the results it recorded (ok), or keep them
 * to record again when it failed.  Returns those to record again.
 */
static struct cd_inflight *
settle(struct cd_daemon *d, struct cd_inflight *ok, struct cd_inflight *again,
    int committed)
{
	struct cd_inflight *r, *next;

	for (r = ok; r != NULL; r = next) {
		next = r->done_next;
		if (committed) {
			cd_feed_unlink(d, r);
			corun_future_unref(r->fut);
			free(r);
		} else {
			r->done_next = again;
			again = r;
		}
	}
	if (again != NULL && d->exiting) {
		/*
		 * Stopping and the store fails: let go.  The job is still
		 * running in the store, so it runs again after a restart.
		 */
		for (r = again; r != NULL; r = next) {
			next = r->done_next;
			cd_log("job %lld: result not recorded; it runs again "
			    "after a restart", (long long)r->id);
			cd_feed_unlink(d, r);
			corun_future_unref(r->fut);
			free(r);
		}
		again = NULL;
	}
	return again;
}

void
cd_feed_step(struct cd_daemon *d)
{
	struct cd_inflight *r, *before, *ok = NULL, *again = NULL;
	size_t nfinished = d->nfinished;
	uint64_t recorded = d->results_recorded;
	int committed, leases_ok;

	cd_log_hold();	/* written before the answers, after the jobs left */
	if (cd_store_begin(d->store) != 0) {
		cd_log("store: %s", cd_store_errmsg(d->store));
		cd_log_release();
		d->feed_hooks->requests(d, 0);
		d->feed_hooks->answer(d, 1);
		cd_feed_kick_later(d, 0.1);
		return;
	}
	/* Requests first: a job submitted now can be taken now. */
	d->feed_hooks->requests(d, 1);
	/*
	 * A result is let go only once its write is committed; one the
	 * store failed to take is recorded again at the next step.
	 */
	record_results(d, &ok, &again);
	if (d->tick_h != NULL) {
		/* Kicked by a submit, a result, a resume: done here. */
		corun_handle_cancel(d->tick_h);
		corun_handle_release(d->tick_h);
		d->tick_h = NULL;
	}
	before = d->inflight;
	d->in_step = 1;
	take_jobs(d);
	d->in_step = 0;
	/* The jobs that started on a worker, these ones included. */
	leases_ok = cd_feed_record_leases(d) == 0;
	if (!leases_ok) {
		cd_log("store: %s; job starts kept to record again",
		    cd_store_errmsg(d->store));
	}
	if (d->nfinished > 0 && d->feed_hooks->ending != NULL) {
		d->feed_hooks->ending(d);
	}
	committed = cd_store_commit(d->store) == 0;
	cd_feed_leases_done(d, committed && leases_ok);
	if (!committed) {
		/*
		 * Nothing of this iteration is on disk: stop its jobs (a
		 * cancelled job goes back to the queue, cd_feed_record()),
		 * and keep its results to record again.
		 */
		cd_log("store: commit: %s; results kept to record again",
		    cd_store_errmsg(d->store));
		for (r = d->inflight; r != before; r = r->next) {
			corun_future_cancel(r->fut);
		}
		d->nfinished = nfinished;	/* none of them ended */
		d->results_recorded = recorded;
	}
	d->done_head = again = settle(d, ok, again, committed);
	if ((again != NULL || !committed || !leases_ok) &&
	    d->tick_h == NULL) {
		/* The store failed: try again shortly, not in a busy loop. */
		cd_feed_kick_later(d, 0.1);
	}
	cd_log_release();
	d->feed_hooks->answer(d, committed);
	d->feed_hooks->finished(d);
	if (d->exiting && d->ninflight == 0 && d->done_head == NULL) {
		cd_quit(d);
	}
}

static void
purge_cb(void *arg)
{
	struct cd_daemon *d = arg;
	size_t n = 0;

	corun_handle_release(d->purge_h);
	d->purge_h = NULL;
	if (d->conf.purge_age > 0 || d->conf.purge_count > 0) {
		if (cd_store_begin(d->store) == 0) {
			cd_store_purge(d->store, d->conf.purge_age,
			    d->conf.purge_count, cd_feed_wall_ns(), &n);
			cd_store_commit(d->store);
		}
	}
	/* A big backlog goes in slices of 10000, one per second. */
	corun_call_later(d->loop, n >= 10000 ? 1.0 : 10.0, purge_cb, d,
	    &d->purge_h);
}

/* The store ended a job by itself (its dependency failed). */
static void
store_ended(void *arg, int64_t id)
{
	cd_feed_finished(arg, id);
}

int
cd_feed_start(struct cd_daemon *d)
{
	int rc;

	cd_store_on_ended(d->store, store_ended, d);
	if (cd_spool_init(d->conf.state_dir) != 0) {
		cd_log("%s/spool: %s (corun follow shows output only when "
		    "a job ends)", d->conf.state_dir, strerror(errno));
	}
	d->feed_step = cd_feed_step;
	d->workers = d->conf.workers;
	if ((rc = cd_feed_make_pool(d, &d->pool)) != 0) {
		cd_log("cannot start the pool: %s (%s)", corun_strerror(rc),
		    rc == CORUN_ESYS ? strerror(errno) : "check the options");
		return rc;
	}
	corun_call_later(d->loop, 1.0, purge_cb, d, &d->purge_h);
	cd_feed_kick(d);
	return 0;
}

static void
hard_stop(void *arg)
{
	struct cd_daemon *d = arg;

	cd_log("graceful timeout: stopping with %zu job(s) still running "
	    "(they run again at the next start)", d->ninflight);
	cd_quit(d);
}

void
cd_feed_drain(struct cd_daemon *d, int fast)
{
	if (d->exiting && !fast) {
		return;
	}
	d->draining = 1;
	d->exiting = 1;
	d->fast = fast;
	cd_notify("STOPPING=1\nSTATUS=%s", fast ? "stopping" : "draining");
	cd_log("%s: %zu job(s) in flight", fast ? "stopping" : "draining",
	    d->ninflight);
	if (fast) {
		/* In-flight jobs are cancelled and go back to the queue. */
		for (struct cd_inflight *r = d->inflight; r != NULL;
		    r = r->next) {
			corun_future_cancel(r->fut);
		}
		corun_call_later(d->loop, 2.0, hard_stop, d, NULL);
	} else {
		/* Jobs not yet on a worker go back; the rest finish. */
		if (d->pool != NULL) {
			corun_future *done = NULL;

			corun_pool_shutdown(d->pool, 1, 1, &done);
			corun_future_unref(done);
		}
		corun_call_later(d->loop, d->conf.graceful_timeout, hard_stop,
		    d, NULL);
	}
	cd_feed_kick(d);
}

void
cd_feed_stop(struct cd_daemon *d)
{
	struct cd_inflight *r;

	if (d->tick_h != NULL) {
		corun_handle_cancel(d->tick_h);
		corun_handle_release(d->tick_h);
		d->tick_h = NULL;
	}
	/*
	 * Results that arrived but were not recorded, and jobs that
	 * started: record them now.
	 */
	if ((d->done_head != NULL || d->lease_head != NULL) &&
	    cd_store_begin(d->store) == 0) {
		(void)cd_feed_record_leases(d);
		for (r = d->done_head; r != NULL; r = r->done_next) {
			cd_feed_record(d, r);
		}
		cd_store_commit(d->store);
	}
	cd_feed_forget_all(d);
	if (d->pool != NULL) {
		corun_pool_free(d->pool);
		d->pool = NULL;
	}
	for (size_t i = 0; i < d->nold; i++) {
		corun_pool_free(d->old_pools[i]);
	}
	d->nold = 0;
	cd_feed_delay_stop(d);
	if (d->purge_h != NULL) {
		corun_handle_cancel(d->purge_h);
		corun_handle_release(d->purge_h);
		d->purge_h = NULL;
	}
	if (d->retry_h != NULL) {
		corun_handle_cancel(d->retry_h);
		corun_handle_release(d->retry_h);
		d->retry_h = NULL;
	}
	free(d->pool_error);
	d->pool_error = NULL;
	free(d->finished);
	d->finished = NULL;
}
