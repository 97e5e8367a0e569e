/* SPDX-License-Identifier: MIT */
/*
 * feed-jobs.c - the jobs in the pool: handed to it from the store, their
 * results recorded, cancelled by a client.  A result is recorded once;
 * a job stopped through no fault of its own (a fast stop, a broken pool)
 * goes back to the queue without using an attempt.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "feed-internal.h"
#include "spool.h"
#include "jobsig.h"
#include "stats.h"

void
cd_feed_finished(struct cd_daemon *d, int64_t id)
{
	if (d->nfinished == d->finished_cap) {
		size_t cap = d->finished_cap ? d->finished_cap * 2 : 256;
		int64_t *p = realloc(d->finished, cap * sizeof(*p));

		if (p == NULL) {
			return;	/* waiters recheck on their timeout */
		}
		d->finished = p;
		d->finished_cap = cap;
	}
	d->finished[d->nfinished++] = id;
}

static void
on_done(corun_future *fut, void *arg)
{
	struct cd_inflight *r = arg;

	(void)fut;
	r->completed = 1;
	r->done_next = r->d->done_head;
	r->d->done_head = r;
	cd_feed_kick(r->d);
}

void
cd_feed_unlink(struct cd_daemon *d, struct cd_inflight *r)
{
	if (r->prev != NULL) {
		r->prev->next = r->next;
	} else {
		d->inflight = r->next;
	}
	if (r->next != NULL) {
		r->next->prev = r->prev;
	}
	d->ninflight--;
}

/* The job's end in corund's log: done, failed or cancelled, with why. */
static void
log_outcome(int64_t id, const struct cd_outcome *o)
{
	if (o->state == CD_DONE) {
		cd_log("job %lld done (exit 0, %u attempt(s))", (long long)id,
		    (unsigned)o->attempts);
	} else if (o->state == CD_CANCELLED) {
		cd_log("job %lld cancelled", (long long)id);
	} else if (o->signal != 0) {
		cd_log("job %lld failed: %s (signal %d, %u attempt(s))",
		    (long long)id, o->message ? o->message : "?", o->signal,
		    (unsigned)o->attempts);
	} else {
		cd_log("job %lld failed: %s (exit %d, %u attempt(s))",
		    (long long)id, o->message ? o->message : "?", o->exit_code,
		    (unsigned)o->attempts);
	}
}

int
cd_feed_record(struct cd_daemon *d, struct cd_inflight *r)
{
	const struct corun_job_result *res = corun_pool_result(r->fut);
	struct cd_outcome o;
	const char *msg = NULL;
	int code, recorded = 0;

	memset(&o, 0, sizeof(o));
	o.attempts = r->attempts;
	o.end_ns = cd_feed_wall_ns();
	if (res != NULL && res->status == CORUN_ECANCELED && !r->cancel_req) {
		/*
		 * Stopped by a fast stop (INT, QUIT), not by a client: not
		 * the job's end, nor its fault.  It runs again, and this
		 * attempt is not counted.
		 */
		cd_log("job %lld re-queued: stopped by a fast stop",
		    (long long)r->id);
		cd_feed_spool_drop(d, r);	/* the next r starts anew */
		return cd_store_requeue_at(d->store, r->id, r->attempts +
		    res->attempts - 2) != 0 ? -1 : 0;
	}
	if (res != NULL) {
		o.status = res->status;
		o.state = res->status == 0 ? CD_DONE :
		    res->status == CORUN_ECANCELED ? CD_CANCELLED : CD_FAILED;
		o.exit_code = res->exit_code;
		o.signal = res->signal;
		o.attempts += res->attempts > 0 ? res->attempts - 1 : 0;
		o.start_ns = res->start_ns;
		o.end_ns = res->end_ns ? res->end_ns : o.end_ns;
		o.out = res->out;
		o.out_len = res->out_len;
		o.err = res->err;
		o.err_len = res->err_len;
		o.message = res->message;
		if (o.state != CD_DONE && (o.message == NULL ||
		    *o.message == '\0')) {
			o.message = corun_strerror(res->status);
		}
		o.worker_pid = res->worker_pid;
	} else {
		code = corun_future_error(r->fut, &msg);
		if (code == CORUN_EBROKEN || (code == CORUN_ECANCELED &&
		    !r->cancel_req) || code == CORUN_ECLOSED) {
			/* Not the job's fault: it runs again (the leases
			   lost with dying workers stay counted). */
			if (code == CORUN_EBROKEN) {
				cd_feed_failing(d, msg);
			}
			cd_log("job %lld re-queued: %s", (long long)r->id,
			    msg != NULL ? msg : corun_strerror(code));
			cd_feed_spool_drop(d, r);
			return cd_store_requeue(d->store, r->id) != 0 ? -1 : 0;
		}
		o.status = code;
		o.state = code == CORUN_ECANCELED ? CD_CANCELLED : CD_FAILED;
		o.message = msg != NULL ? msg : corun_strerror(code);
	}
	if (cd_store_finish(d->store, r->id, &o, &recorded) != 0) {
		cd_log("job %lld: cannot record its result: %s; will retry",
		    (long long)r->id, cd_store_errmsg(d->store));
		return -1;
	}
	if (recorded) {
		cd_feed_spool_drop(d, r);	/* stored */
		d->results_recorded++;
		cd_stats_ended(d->stats, r->id, &o, r->submitted_ns);
		cd_feed_finished(d, r->id);
		log_outcome(r->id, &o);
	}
	return 0;
}

int
cd_feed_can_take(const struct cd_daemon *d)
{
	return d->pool != NULL && !d->paused_all && !d->draining &&
	    d->pool_error == NULL && d->ninflight < d->conf.window;
}

/* A new in-flight record for t, on d->inflight. */
static struct cd_inflight *
inflight_new(struct cd_daemon *d, const struct cd_taken *t)
{
	struct cd_inflight *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		return NULL;
	}
	r->d = d;
	r->id = t->id;
	r->attempts = t->attempts;
	r->submitted_ns = t->submitted_ns;
	r->next = d->inflight;
	if (d->inflight != NULL) {
		d->inflight->prev = r;
	}
	d->inflight = r;
	d->ninflight++;
	return r;
}

/*
 * The jobs as the pool takes them; each one's tag is its in-flight
 * record (on_lease finds it so).  0, or CORUN_ENOMEM with none made.
 */
static int
hand_prepare(struct cd_daemon *d, struct cd_taken *t, size_t n,
    struct corun_job *jobs, struct cd_inflight **rs)
{
	for (size_t i = 0; i < n; i++) {
		if ((rs[i] = inflight_new(d, &t[i])) == NULL) {
			while (i-- > 0) {
				cd_feed_unlink(d, rs[i]);
				free(rs[i]);
			}
			return CORUN_ENOMEM;
		}
		jobs[i].kind = t[i].kind;
		jobs[i].payload = t[i].payload;
		jobs[i].len = t[i].len;
		jobs[i].timeout = t[i].timeout;
		jobs[i].retries = t[i].retries;
		if (cd_jobsig_mark(&t[i]) != 0) {
			cd_log("job %lld: no memory to mark it; corun pause "
			    "cannot find it", (long long)t[i].id);
		}
		jobs[i].kind = t[i].kind;
		jobs[i].payload = t[i].payload;
		jobs[i].len = t[i].len;
		jobs[i].tag = (uint64_t)(uintptr_t)rs[i];
		jobs[i].flags = CORUN_JOB_STREAM;	/* corun follow */
	}
	return 0;
}

void
cd_feed_hand(struct cd_daemon *d, struct cd_taken *t, size_t n)
{
	struct corun_job *jobs = calloc(n, sizeof(*jobs));
	corun_future **futs = calloc(n, sizeof(*futs));
	struct cd_inflight **rs = calloc(n, sizeof(*rs));
	int rc = CORUN_ENOMEM;

	if (jobs != NULL && futs != NULL && rs != NULL &&
	    (rc = hand_prepare(d, t, n, jobs, rs)) == 0 &&
	    (rc = corun_pool_map(d->pool, jobs, n, futs)) != 0) {
		for (size_t i = 0; i < n; i++) {
			cd_feed_unlink(d, rs[i]);
			free(rs[i]);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (rc != 0) {
			/* The pool refused them all: back to the queue. */
			cd_log("job %lld re-queued: the pool refused it",
			    (long long)t[i].id);
			cd_store_requeue(d->store, t[i].id);
			continue;
		}
		rs[i]->fut = futs[i];
		corun_future_add_done_callback(rs[i]->fut, on_done, rs[i]);
	}
	if (rc == CORUN_EBROKEN) {
		cd_feed_failing(d, "workers keep dying");
	} else if (rc != 0) {
		cd_log("cannot hand jobs to the pool: %s", corun_strerror(rc));
	}
	for (size_t i = 0; i < n; i++) {
		cd_taken_free(&t[i]);
	}
	free(jobs);
	free(futs);
	free(rs);
}

int
cd_feed_cancel(struct cd_daemon *d, int64_t id, int *found)
{
	struct cd_outcome o;
	int state, rec, rc;

	*found = 0;
	if ((rc = cd_store_state(d->store, id, &state)) != 0) {
		return rc;
	}
	*found = 1;
	if (state == CD_RUNNING) {
		for (struct cd_inflight *r = d->inflight; r != NULL;
		    r = r->next) {
			if (r->id == id) {
				r->cancel_req = 1;
				corun_future_cancel(r->fut);
				/* A paused job must go on to its end. */
				(void)cd_jobsig_job(d, id, SIGCONT);
				return 0;
			}
		}
	}
	if (state != CD_QUEUED && state != CD_RUNNING) {
		return 0;	/* already ended: nothing to do */
	}
	/* Queued (or running with no pool future: after a crash). */
	memset(&o, 0, sizeof(o));
	o.state = CD_CANCELLED;
	o.status = CORUN_ECANCELED;
	o.message = "cancelled";
	o.end_ns = cd_feed_wall_ns();
	o.exit_code = -1;
	if ((rc = cd_store_finish(d->store, id, &o, &rec)) == 0 && rec) {
		cd_stats_ended(d->stats, id, &o, 0);
		cd_feed_finished(d, id);
	}
	return rc;
}

void
cd_feed_forget_all(struct cd_daemon *d)
{
	struct cd_inflight *r, *next;

	for (r = d->inflight; r != NULL; r = next) {
		next = r->next;
		corun_future_discard_callback(r->fut, on_done, r);
		corun_future_unref(r->fut);
		free(r);
	}
	d->inflight = NULL;
	d->ninflight = 0;
	d->done_head = NULL;
	d->lease_head = NULL;
}
