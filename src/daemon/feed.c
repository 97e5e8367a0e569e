/*
 * feed.c - feeding the pool from the store, and recording results.
 *
 * The store holds every job; the pool holds at most conf.window of them
 * at once, so a million queued jobs are a million rows, not a million
 * futures.  Once per loop iteration that saw something happen (a request,
 * a result, a resume), the step opens one transaction, handles the
 * requests (ctl.c), records every result that arrived, takes as many
 * runnable jobs as the window has room for, commits, and only then
 * answers the requests, hands the new jobs to the pool and answers the
 * waiters: a job acknowledged and a result a client sees are on disk.
 * One commit per iteration, whatever came in it (group commit), and a
 * job submitted is taken in the same transaction, so a noop job costs
 * two commits from submit to result: its insert and take, its result.
 *
 * Scaling replaces the pool: the new one gets the new worker count, the
 * old one finishes the jobs its workers hold and is freed; jobs it had
 * not handed out come back to the store.  A broken pool (workers keep
 * dying) gives its jobs back too, the daemon says why in status, and a
 * new pool is tried after conf.restart_window.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

struct cd_inflight {
	struct cd_daemon *d;
	int64_t id;
	corun_future *fut;
	uint32_t attempts;
	int cancel_req;			/* cancelled by a client */
	struct cd_inflight *next, *prev;
	struct cd_inflight *done_next;
};

static void tick(void *arg);
static void retry_pool(void *arg);

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
cd_feed_kick(struct cd_daemon *d)
{
	if (d->tick_h == NULL) {
		corun_call_soon(d->loop, tick, d, &d->tick_h);
	}
}

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
	r->done_next = r->d->done_head;
	r->d->done_head = r;
	cd_feed_kick(r->d);
}

/* The first line of a token file into buf; logs why not. */
static int
read_token(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		cd_log("token-file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(buf, (int)size, f) == NULL) {
		buf[0] = '\0';
	}
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n == 0 || n > 1024) {
		cd_log("token-file %s: the first line must hold a token of 1 "
		    "to 1024 bytes", path);
		return -1;
	}
	return 0;
}

static int
make_pool(struct cd_daemon *d, corun_pool **out)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;

	o.model = d->conf.model;
	o.jobs = d->workers;
	o.max_attempts = d->conf.max_attempts;
	o.restart_max = d->conf.restart_max;
	o.prefetch = -1;	/* a slow job must not trap others */
	o.heartbeat_timeout_ms = (unsigned)(d->conf.heartbeat_timeout * 1000);
	o.restart_window_ms = (unsigned)(d->conf.restart_window * 1000);
	o.max_jobs_per_worker = d->conf.max_jobs_per_worker;
	if (d->conf.listen != NULL) {
		char token[1100] = "";
		int rc;

		if (d->conf.token_file != NULL &&
		    read_token(d->conf.token_file, token,
		    sizeof(token)) != 0) {
			return CORUN_EINVAL;
		}
		o.listen = d->conf.listen;
		o.token = token[0] != '\0' ? token : NULL;
		o.tls_cert = d->conf.tls_cert;
		o.tls_key = d->conf.tls_key;
		o.tls_ca = d->conf.tls_ca;
		o.insecure = d->conf.insecure;
		o.remote_timeout_ms = (unsigned)(d->conf.remote_timeout * 1000);
		rc = corun_pool_new(d->loop, &o, out);
		memset(token, 0, sizeof(token));
		return rc;
	}
	return corun_pool_new(d->loop, &o, out);
}

static void
unlink_rec(struct cd_daemon *d, struct cd_inflight *r)
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

static void
pool_failing(struct cd_daemon *d, const char *why)
{
	if (d->pool_error != NULL) {
		return;
	}
	d->pool_error = strdup(why != NULL ? why : "pool is broken");
	cd_log("pool failing: %s; retrying in %.0f s", d->pool_error,
	    d->conf.restart_window);
	cd_notify("STATUS=failing: %s", d->pool_error);
	if (d->retry_h == NULL) {
		corun_call_later(d->loop, d->conf.restart_window, retry_pool, d,
		    &d->retry_h);
	}
}

/*
 * Turn a completed pool future into a store write.  -1 when the store
 * failed: the caller keeps r and records it again later.
 */
static int
record(struct cd_daemon *d, struct cd_inflight *r)
{
	const struct corun_job_result *res = corun_pool_result(r->fut);
	struct cd_outcome o;
	const char *msg = NULL;
	int code, recorded = 0;

	memset(&o, 0, sizeof(o));
	o.attempts = r->attempts;
	o.end_ns = wall_ns();
	if (res != NULL && res->status == CORUN_ECANCELED && !r->cancel_req) {
		/*
		 * Stopped by a fast stop (INT, QUIT), not by a client: not
		 * the job's end, nor its fault.  It runs again, no attempt.
		 */
		return cd_store_requeue(d->store, r->id) != 0 ? -1 : 0;
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
			/* Not the job's fault: it runs again, no attempt. */
			if (code == CORUN_EBROKEN) {
				pool_failing(d, msg);
			}
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
		d->results_recorded++;
		cd_feed_finished(d, r->id);
	}
	return 0;
}

static int
can_take(const struct cd_daemon *d)
{
	return d->pool != NULL && !d->paused_all && !d->draining &&
	    d->pool_error == NULL && d->ninflight < d->conf.window;
}

static void
start_taken(struct cd_daemon *d, struct cd_taken *t, size_t n)
{
	struct corun_job *jobs = calloc(n, sizeof(*jobs));
	corun_future **futs = calloc(n, sizeof(*futs));
	int rc = CORUN_ENOMEM;

	if (jobs != NULL && futs != NULL) {
		for (size_t i = 0; i < n; i++) {
			jobs[i].kind = t[i].kind;
			jobs[i].payload = t[i].payload;
			jobs[i].len = t[i].len;
			jobs[i].timeout = t[i].timeout;
			jobs[i].retries = t[i].retries;
			jobs[i].tag = (uint64_t)t[i].id;
		}
		rc = corun_pool_map(d->pool, jobs, n, futs);
	}
	for (size_t i = 0; i < n; i++) {
		struct cd_inflight *r;

		if (rc != 0 || (r = calloc(1, sizeof(*r))) == NULL) {
			/* The pool refused them all: back to the queue. */
			if (rc == 0) {
				corun_future_cancel(futs[i]);
				corun_future_unref(futs[i]);
			}
			cd_store_requeue(d->store, t[i].id);
			continue;
		}
		r->d = d;
		r->id = t[i].id;
		r->fut = futs[i];
		r->attempts = t[i].attempts;
		r->next = d->inflight;
		if (d->inflight != NULL) {
			d->inflight->prev = r;
		}
		d->inflight = r;
		d->ninflight++;
		corun_future_add_done_callback(r->fut, on_done, r);
	}
	if (rc == CORUN_EBROKEN) {
		pool_failing(d, "workers keep dying");
	} else if (rc != 0) {
		cd_log("cannot hand jobs to the pool: %s", corun_strerror(rc));
	}
	for (size_t i = 0; i < n; i++) {
		cd_taken_free(&t[i]);
	}
	free(jobs);
	free(futs);
}

static void
tick(void *arg)
{
	struct cd_daemon *d = arg;

	corun_handle_release(d->tick_h);
	d->tick_h = NULL;
	cd_feed_step(d);
}

void
cd_feed_step(struct cd_daemon *d)
{
	struct cd_inflight *r, *next, *before, *ok = NULL, *again = NULL;
	struct cd_taken *taken = NULL;
	size_t ntaken = 0, nfinished = d->nfinished;
	uint64_t recorded = d->results_recorded;
	int committed;

	if (cd_store_begin(d->store) != 0) {
		cd_log("store: %s", cd_store_errmsg(d->store));
		cd_ctl_handle(d, 0);
		cd_ctl_answer(d, 1);
		corun_call_later(d->loop, 0.1, tick, d, &d->tick_h);
		return;
	}
	/* Requests first: a job submitted now can be taken now. */
	cd_ctl_handle(d, 1);
	/*
	 * A result is let go only once its write is committed; one the
	 * store failed to take is recorded again at the next step.
	 */
	for (r = d->done_head, d->done_head = NULL; r != NULL; r = next) {
		next = r->done_next;
		if (record(d, r) != 0) {
			r->done_next = again;
			again = r;
		} else {
			r->done_next = ok;
			ok = r;
		}
	}
	if (d->tick_h != NULL) {
		/* Kicked by a submit, a result, a resume: done here. */
		corun_handle_cancel(d->tick_h);
		corun_handle_release(d->tick_h);
		d->tick_h = NULL;
	}
	if (can_take(d)) {
		size_t room = d->conf.window - d->ninflight;

		if ((taken = calloc(room, sizeof(*taken))) != NULL &&
		    cd_store_take(d->store, room, wall_ns(), taken,
		    &ntaken) != 0) {
			cd_log("store: %s", cd_store_errmsg(d->store));
			ntaken = 0;
		}
	}
	/*
	 * The jobs go out before the commit, so the disk write and the
	 * jobs overlap.  Their results are handled in a later iteration,
	 * after this commit.  If the daemon dies before it, the jobs were
	 * not acknowledged, or they are still queued and run again.
	 */
	before = d->inflight;
	if (ntaken > 0) {
		start_taken(d, taken, ntaken);
		corun_pool_flush(d->pool);
	}
	free(taken);
	committed = cd_store_commit(d->store) == 0;
	if (!committed) {
		/*
		 * Nothing of this iteration is on disk: stop its jobs (a
		 * cancelled job goes back to the queue, record()), and keep
		 * its results to record again.
		 */
		cd_log("store: commit: %s; results kept to record again",
		    cd_store_errmsg(d->store));
		for (r = d->inflight; r != before; r = r->next) {
			corun_future_cancel(r->fut);
		}
		d->nfinished = nfinished;	/* none of them ended */
		d->results_recorded = recorded;
	}
	for (r = ok; r != NULL; r = next) {
		next = r->done_next;
		if (committed) {
			unlink_rec(d, r);
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
			unlink_rec(d, r);
			corun_future_unref(r->fut);
			free(r);
		}
		again = NULL;
	}
	d->done_head = again;
	if ((again != NULL || !committed) && d->tick_h == NULL) {
		/* The store failed: try again shortly, not in a busy loop. */
		corun_call_later(d->loop, 0.1, tick, d, &d->tick_h);
	}
	cd_ctl_answer(d, committed);
	cd_ctl_notify(d);
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
			    d->conf.purge_count, wall_ns(), &n);
			cd_store_commit(d->store);
		}
	}
	/* A big backlog goes in slices of 10000, one per second. */
	corun_call_later(d->loop, n >= 10000 ? 1.0 : 10.0, purge_cb, d,
	    &d->purge_h);
}

int
cd_feed_start(struct cd_daemon *d)
{
	int rc;

	d->workers = d->conf.workers;
	if ((rc = make_pool(d, &d->pool)) != 0) {
		cd_log("cannot start the pool: %s (%s)", corun_strerror(rc),
		    rc == CORUN_ESYS ? strerror(errno) : "check the options");
		return rc;
	}
	corun_call_later(d->loop, 1.0, purge_cb, d, &d->purge_h);
	cd_feed_kick(d);
	return 0;
}

static void
old_pool_done(corun_future *fut, void *arg)
{
	struct cd_daemon *d = arg;

	for (size_t i = 0; i < d->nold; i++) {
		/* Free the one whose shutdown this was. */
		if (d->old_pools[i] != NULL) {
			struct corun_pool_stats st;

			corun_pool_stats(d->old_pools[i], &st);
			if (st.workers_alive == 0 && st.running == 0) {
				corun_pool_free(d->old_pools[i]);
				d->old_pools[i] = d->old_pools[--d->nold];
				break;
			}
		}
	}
	corun_future_unref(fut);
	cd_feed_kick(d);
}

/* Retire the current pool: its workers finish what they hold. */
static void
retire_pool(struct cd_daemon *d, int wait)
{
	corun_future *done = NULL;

	if (d->pool == NULL) {
		return;
	}
	if (d->nold == sizeof(d->old_pools) / sizeof(d->old_pools[0])) {
		wait = 0;	/* too many draining: the oldest must go */
	}
	corun_pool_shutdown(d->pool, wait, 1, &done);
	if (d->nold < sizeof(d->old_pools) / sizeof(d->old_pools[0])) {
		d->old_pools[d->nold++] = d->pool;
		corun_future_add_done_callback(done, old_pool_done, d);
	} else {
		corun_future_unref(done);
		corun_pool_free(d->pool);
	}
	d->pool = NULL;
}

int
cd_feed_scale(struct cd_daemon *d, unsigned n)
{
	corun_pool *np;
	unsigned prev = d->workers;
	int rc;

	if (n == 0 || n > 1024) {
		return CORUN_ERANGE;
	}
	if (n == d->workers && d->pool != NULL && d->pool_error == NULL) {
		return 0;
	}
	d->workers = n;
	if (d->conf.listen != NULL) {
		/* Its rendezvous holds the address: give it up first. */
		retire_pool(d, 1);
	}
	if ((rc = make_pool(d, &np)) != 0) {
		d->workers = prev;
		if (d->pool == NULL) {
			/* The old one is gone (listen): keep trying. */
			d->workers = n;
			pool_failing(d, "cannot start a pool with the new "
			    "settings");
		}
		return rc;
	}
	retire_pool(d, 1);
	d->pool = np;
	free(d->pool_error);
	d->pool_error = NULL;
	cd_log("workers: %u -> %u", prev, n);
	cd_notify("STATUS=running, %u workers", n);
	cd_feed_kick(d);
	return 0;
}

static void
retry_pool(void *arg)
{
	struct cd_daemon *d = arg;
	int rc;

	corun_handle_release(d->retry_h);
	d->retry_h = NULL;
	if (d->exiting || d->pool_error == NULL) {
		return;
	}
	cd_log("starting a new pool after: %s", d->pool_error);
	d->workers = d->workers ? d->workers : 1;
	{
		unsigned n = d->workers;

		d->workers = 0;	/* force a new pool */
		rc = cd_feed_scale(d, n);
	}
	if (rc != 0) {
		corun_call_later(d->loop, d->conf.restart_window, retry_pool, d,
		    &d->retry_h);
	}
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
	o.end_ns = wall_ns();
	o.exit_code = -1;
	if ((rc = cd_store_finish(d->store, id, &o, &rec)) == 0 && rec) {
		cd_feed_finished(d, id);
	}
	return rc;
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
	struct cd_inflight *r, *next;

	if (d->tick_h != NULL) {
		corun_handle_cancel(d->tick_h);
		corun_handle_release(d->tick_h);
		d->tick_h = NULL;
	}
	/* Results that arrived but were not recorded: record them now. */
	if (d->done_head != NULL && cd_store_begin(d->store) == 0) {
		for (r = d->done_head; r != NULL; r = r->done_next) {
			record(d, r);
		}
		cd_store_commit(d->store);
	}
	for (r = d->inflight; r != NULL; r = next) {
		next = r->next;
		corun_future_remove_done_callback(r->fut, on_done, r);
		corun_future_unref(r->fut);
		free(r);
	}
	d->inflight = NULL;
	d->ninflight = 0;
	d->done_head = NULL;
	if (d->pool != NULL) {
		corun_pool_free(d->pool);
		d->pool = NULL;
	}
	for (size_t i = 0; i < d->nold; i++) {
		corun_pool_free(d->old_pools[i]);
	}
	d->nold = 0;
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

json_t *
cd_feed_status(struct cd_daemon *d)
{
	struct corun_pool_stats st;
	uint64_t c[CD_NSTATES];
	json_t *j = json_object(), *w = json_object(), *counts = json_object();
	json_t *pids = json_array();
	int buf[1024];
	size_t n = 0;
	const char *state;

	memset(&st, 0, sizeof(st));
	if (d->pool != NULL) {
		corun_pool_stats(d->pool, &st);
		n = corun_pool_worker_pids(d->pool, buf, 1024);
	}
	for (size_t i = 0; i < n && i < 1024; i++) {
		json_array_append_new(pids, json_integer(buf[i]));
	}
	cd_store_counts(d->store, c);
	for (int i = 0; i < CD_NSTATES; i++) {
		json_object_set_new(counts, cd_state_name(i),
		    json_integer((json_int_t)c[i]));
	}
	state = d->exiting ? "draining" : d->pool_error != NULL ? "failing" :
	    d->paused_all ? "paused" : "running";
	json_object_set_new(j, "state", json_string(state));
	json_object_set_new(j, "pid", json_integer(getpid()));
	json_object_set_new(j, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(j, "uptime", json_real((double)(
	    corun_loop_now_ns() - d->started_ns) / 1e9));
	json_object_set_new(j, "pool_error", d->pool_error != NULL ?
	    json_string(d->pool_error) : json_null());
	json_object_set_new(w, "target", json_integer(d->workers));
	json_object_set_new(w, "alive", json_integer(st.workers_alive));
	json_object_set_new(w, "pids", pids);
	json_object_set_new(w, "restarts", json_integer((json_int_t)
	    st.restarts));
	json_object_set_new(w, "lost", json_integer((json_int_t)st.lost));
	json_object_set_new(w, "model", json_string(
	    corun_model_name(d->conf.model)));
	json_object_set_new(j, "workers", w);
	json_object_set_new(j, "counts", counts);
	json_object_set_new(j, "in_pool", json_integer((json_int_t)
	    d->ninflight));
	json_object_set_new(j, "paused_all", json_boolean(d->paused_all));
	json_object_set_new(j, "paused", cd_store_paused_json(d->store));
	return j;
}
