/* SPDX-License-Identifier: MIT */
/*
 * run-window.c - the scheduler of `corun run`: the bounded window of
 * jobs in flight, topped up from the input, retired as they complete,
 * and stopped by a halt policy or a signal.
 *
 * Everything happens on one corun loop.  cli_run_pump() is the whole
 * scheduler: it tops the window up from the input (which may be a slow
 * pipe: the input is polled, never waited on, and an fd event wakes
 * cli_run_pump() when more arrives), and ends the loop when nothing is
 * left in flight.  Each pool future's done callback retires its job (or,
 * with -k, every job that is now next in order) and pumps again.
 *
 * The window holds at most 4 x the pool's concurrency + one batch of
 * submitted, unprinted jobs, so a million-line input never becomes a
 * million futures, and -k buffers at most a window of outputs.  With {%}
 * in the template the window is the concurrency itself, so that a job
 * slot number is free exactly when one of the running jobs ended.
 *
 * SIGINT and SIGTERM arrive as libevent signal events on the loop's
 * base: start nothing more, shut the pool down without waiting (the
 * workers kill the jobs' process groups), log what completes, exit
 * 128 + signal.  A second signal exits at once.
 */
#include "config.h"

#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corun/future.h>
#include <corun/loop.h>
#include <corun/pool.h>
#include <corun/task.h>

#include "cli.h"
#include "run-internal.h"
#include "run-web.h"
#include "procfile.h"
#include "limit.h"

#define CLI_BATCH 256

/* ---- finishing a job ------------------------------------------------ */

/* The pool did not complete what was cancelled: do not hang for it. */
static void
force_finish(void *arg)
{
	struct cli_run *r = arg;

	corun_handle_release(r->watchdog);
	r->watchdog = NULL;
	if (!r->finished) {
		cli_warn("%zu job(s) did not end after being cancelled; "
		    "giving up on them", r->inflight);
		r->failed_hard = 1;
		r->finished = 1;
		corun_loop_stop(r->loop);
	}
}

/*
 * soon: start nothing more; the pool drops the jobs it has not handed to
 * a worker, running ones finish.  now: every job in flight is cancelled
 * (queued ones complete at once, running ones are killed by their worker:
 * TERM to the process group, then KILL) and the pool shut down.
 */
void
cli_run_stop(struct cli_run *r, int now)
{
	corun_future *done = NULL;
	size_t i;

	if (r->stopping >= (now ? 2 : 1)) {
		return;
	}
	r->stopping = now ? 2 : 1;
	if (r->ev_in != NULL) {
		event_del(r->ev_in);
	}
	if (!now) {
		corun_pool_shutdown(r->pool, 1, 1, &done);
		if (done != NULL) {
			corun_future_unref(done);
		}
		return;
	}
	for (i = 0; i < r->wsize; i++) {
		if (r->win[i].used && !r->win[i].done) {
			corun_future_cancel(r->win[i].fut);
		}
	}
	/*
	 * The workers are told to stop now too (a stopped one is woken for
	 * it), rather than once every cancelled job has come back: a worker
	 * that does not answer would hold those back.
	 */
	corun_pool_shutdown(r->pool, 0, 1, NULL);
	if (r->watchdog == NULL) {
		corun_call_later(r->loop, CLI_CANCEL_WAIT, force_finish, r,
		    &r->watchdog);
	}
}

static void
retire(struct cli_run *r, struct cli_wslot *w)
{
	struct cli_outcome oc;
	const char *msg = NULL;

	oc.js = &w->js;
	oc.res = corun_pool_result(w->fut);
	oc.quiet = 0;
	if (oc.res != NULL) {
		oc.status = oc.res->status;
		oc.message = oc.res->message ? oc.res->message : "";
	} else {
		oc.status = corun_future_error(w->fut, &msg);
		oc.status = oc.status ? oc.status : CORUN_ECANCELED;
		oc.message = msg ? msg : "";
	}
	/*
	 * A job dropped by a halt or a signal before it started: no trace.
	 * One we killed while it ran is printed and logged (as GNU parallel
	 * does), but did not fail on its own: it is not counted.
	 */
	/* --limit's kill of its last attempt: the joblog tells, as GNU
	 * parallel's does; no line on stderr (parallel prints none). */
	oc.quiet = w->limit_killed && oc.status == CORUN_ECANCELED;
	if (!(oc.res == NULL && oc.status == CORUN_ECANCELED &&
	    r->stopping)) {
		int killed = oc.status == CORUN_ECANCELED && r->stopping;

		r->tally.done += !killed;
		if (killed) {
			/* counted nowhere */
		} else if (oc.status == 0) {
			r->tally.succeeded++;
			if (r->o->timeout_pct > 0 && oc.res != NULL &&
			    oc.res->end_ns >= oc.res->start_ns) {
				cli_median_add(&r->runtimes, (double)
				    (oc.res->end_ns - oc.res->start_ns) / 1e9);
			}
		} else {
			r->tally.failed++;
			/* fail=1 exits with the status of the job that
			 * fired the halt, not of one that ended after. */
			if (!r->halted) {
				r->tally.last_fail_exit = oc.res ?
				    oc.res->exit_code : -1;
			}
		}
		cli_run_web_ended(r, &oc, w->submit_ns, killed);
		cli_run_print_outcome(r, &oc);
	}
	if (oc.status == CORUN_EBROKEN) {
		/*
		 * The pool gave up (its workers cannot start) and said why in
		 * one line: the run stops, and the exit status is 255.
		 */
		r->failed_hard = 1;
		cli_run_stop(r, 0);
	}
	corun_future_unref(w->fut);
	w->fut = NULL;
	if (w->js.slot != 0) {
		r->freenum[r->nfreenum++] = w->js.slot;
	}
	cli_logins_release(&r->logins, w->js.login - 1);
	cli_jobspec_free(&w->js);
	w->used = w->done = 0;
	if (!r->o->keep_order) {
		r->freew[r->nfreew++] = (size_t)(w - r->win);
	}
	r->inflight--;
	cli_progress_update(&r->prog, r->tally.done, r->next_seq - 1, r->eof,
	    corun_loop_time(r->loop), 0);
	if (!r->halted && cli_halt_triggered(&r->o->halt, &r->tally)) {
		r->halted = 1;
		cli_run_stop(r, r->o->halt.when == CLI_HALT_NOW);
	}
}

/* -k: retire the done jobs at the head of the window, in order. */
static void
retire_in_order(struct cli_run *r)
{
	struct cli_wslot *w;

	for (;;) {
		w = &r->win[(r->next_print - 1) % r->wsize];
		if (!w->used || !w->done) {
			break;
		}
		r->next_print++;
		if (w->skipped) {
			w->used = w->done = w->skipped = w->limit_killed = 0;
			continue;
		}
		retire(r, w);
	}
}

static void
on_done(corun_future *fut, void *arg)
{
	struct cli_wslot *w = arg;
	struct cli_run *r = w->r;

	w->done = 1;
	r->running--;
	if (r->jobs_now != 0) {
		/* -j FILE: read again after each job, as parallel does. */
		(void)cli_procfile_read(r->o->g.jobs_file, &r->jobs_now);
		r->jobs_now = r->jobs_now < r->conc ? r->jobs_now : r->conc;
	}
	if (!r->o->keep_order) {
		retire(r, w);
	} else {
		retire_in_order(r);
	}
	cli_run_pump(r);
}

/* ---- starting jobs -------------------------------------------------- */

static void
on_input(evutil_socket_t fd, short what, void *arg)
{
	cli_run_pump(arg);
}

static int
submit(struct cli_run *r, struct cli_wslot *w)
{
	struct corun_job job;
	double tmo = r->o->timeout_pct > 0 ?
	    cli_median_timeout(&r->runtimes, r->o->timeout_pct) : r->o->timeout;
	int rc;

	cli_jobsfile_pool_job(&w->js, tmo, r->o->retries, &job);
	job.tag = (uint64_t)(w - r->win);
	job.flags = r->streaming ? CORUN_JOB_STREAM :
	    r->spill ? CORUN_JOB_SPILL : 0;
	if ((rc = corun_pool_submit(r->pool, &job, &w->fut)) != 0) {
		return rc;
	}
	w->used = 1;
	w->done = 0;
	r->inflight++;
	if (r->web != NULL) {
		w->submit_ns = cli_run_web_now();
		cli_run_web_submitted(r);
	}
	r->running++;
	return corun_future_add_done_callback(w->fut, on_done, w);
}

static int
window_has_room(struct cli_run *r)
{
	if (r->tmpl.has_slot && r->nfreenum == 0) {
		return 0;
	}
	/*
	 * --timeout N%: a job's limit is fixed when it is submitted, from
	 * the median so far, so submit only when it can start at once.
	 */
	if (r->o->timeout_pct > 0 && r->running >= r->conc) {
		return 0;
	}
	if (r->jobs_now != 0 && r->running >= r->jobs_now) {
		return 0;
	}
	if (r->o->keep_order) {
		return r->next_seq - r->next_print < r->wsize;
	}
	return r->nfreew > 0;
}

static void
on_pace(void *arg)
{
	struct cli_run *r = arg;

	corun_handle_release(r->pace_timer);
	r->pace_timer = NULL;
	cli_run_pump(r);
}

/* --delay, --memfree, --load N, --limit: may a job start now?  If not, pump again
 * later. */
static int
pace_allows(struct cli_run *r)
{
	double retry, now = corun_loop_time(r->loop);
	long long avail = r->pace.memfree > 0 ? cli_mem_available() : -1;
	double load = r->pace.max_load > 0 ? cli_load_now() : -1;

	if (cli_pace_ok(&r->pace, now, avail, load, &retry)) {
		if (r->o->limit == NULL || r->pace_timer != NULL) {
			/* (a held --limit asks again when its timer fires) */
			return r->o->limit == NULL;
		}
		/* --limit: the command's exit status 0 lets a job start. */
		if (cli_limit_run(r->o->limit) == 0) {
			return 1;
		}
		retry = CLI_LIMIT_RETRY;
	}
	if (r->pace_timer == NULL) {
		(void)corun_call_later(r->loop, retry, on_pace, r,
		    &r->pace_timer);
	}
	return 0;
}

/*
 * --limit's status 2: kill the youngest running job (its worker stops
 * it: TERM to its process group, then KILL); it fails, and runs again
 * while --retries allows (corun_pool_kill).  The pool starts jobs in
 * order, so the running ones are the oldest -j of those not done; the
 * ones after them wait in the pool.  One being killed already, or not
 * started, is passed over for the next younger one.
 */
static void
kill_youngest(struct cli_run *r)
{
	unsigned conc = r->jobs_now ? r->jobs_now : r->conc;
	uint64_t from = 0;
	size_t i, n = 0, skip;

	for (i = 0; i < r->wsize; i++) {
		if (r->win[i].used && !r->win[i].done && !r->win[i].skipped) {
			n++;
		}
	}
	/* the youngest running: past the n - conc youngest, which wait */
	skip = conc > 0 && n > conc ? n - conc : 0;
	for (;;) {
		struct cli_wslot *y = NULL;

		for (i = 0; i < r->wsize; i++) {
			struct cli_wslot *w = &r->win[i];

			if (w->used && !w->done && !w->skipped &&
			    w->fut != NULL && (from == 0 ||
			    w->js.seq < from) && (y == NULL ||
			    w->js.seq > y->js.seq)) {
				y = w;
			}
		}
		if (y == NULL) {
			return;
		}
		from = y->js.seq;
		if (skip > 0) {
			skip--;
		} else if (corun_pool_kill(y->fut) == 0) {
			y->limit_killed = 1;
			return;
		}
	}
}

/*
 * --limit, as GNU parallel: while jobs run, the command is asked every
 * CLI_LIMIT_RETRY seconds, and its status 2 ("way over the limit")
 * kills the youngest job.
 */
static void
on_limit_watch(void *arg)
{
	struct cli_run *r = arg;

	corun_handle_release(r->limit_timer);
	r->limit_timer = NULL;
	if (r->stopping || r->finished) {
		return;
	}
	if (r->inflight > 0 && cli_limit_run(r->o->limit) == 2) {
		kill_youngest(r);
	}
	(void)corun_call_later(r->loop, CLI_LIMIT_RETRY, on_limit_watch, r,
	    &r->limit_timer);
}

/* --resume: the job w holds was done in an earlier run. */
static void
skip_job(struct cli_run *r, struct cli_wslot *w)
{
	cli_jobspec_free(&w->js);
	r->next_seq++;
	r->nskipped++;
	if (r->o->keep_order) {
		w->used = w->done = w->skipped = 1;
		retire_in_order(r);
	}
}

void
cli_run_pump(struct cli_run *r)
{
	struct cli_wslot *w;
	struct cli_err e;
	unsigned slot;
	size_t i;
	int rc;

	if (r->o->limit != NULL && r->limit_timer == NULL && !r->stopping) {
		(void)corun_call_later(r->loop, CLI_LIMIT_RETRY,
		    on_limit_watch, r, &r->limit_timer);
	}
	while (!r->stopping && !r->eof && window_has_room(r) &&
	    pace_allows(r)) {
		slot = r->tmpl.has_slot ? r->freenum[r->nfreenum - 1] : 0;
		i = r->o->keep_order ? (r->next_seq - 1) % r->wsize :
		    r->freew[r->nfreew - 1];
		w = &r->win[i];
		rc = cli_run_next_job(r, 1, slot, &w->js, &e);
		if (rc == CORUN_EAGAIN) {
			event_add(r->ev_in, NULL);
			break;
		}
		if (rc == CORUN_EDONE) {
			r->eof = r->tally.at_eof = 1;
			break;
		}
		if (rc != 0) {
			cli_warn("%s", e.msg);
			r->failed_hard = 1;
			cli_run_stop(r, 0);
			break;
		}
		if (cli_resume_skip(r->resume, r->next_seq)) {
			skip_job(r, w);
			continue;
		}
		if (r->tmpl.has_slot) {
			r->nfreenum--;
		}
		if (!r->o->keep_order) {
			r->nfreew--;
		}
		r->next_seq++;
		r->tally.total = r->next_seq - 1 - r->nskipped;
		cli_pace_started(&r->pace, corun_loop_time(r->loop));
		if ((rc = submit(r, w)) != 0) {
			cli_warn("cannot submit a job: %s", corun_strerror(rc));
			cli_jobspec_free(&w->js);
			r->failed_hard = 1;
			cli_run_stop(r, 0);
			break;
		}
	}
	if (r->eof && !r->stopping && !r->pool_closed &&
	    r->o->listen == NULL) {
		/*
		 * Nothing more will be submitted: close the pool now, so that
		 * each worker, once it has been handed its last jobs, runs
		 * them and leaves right behind its last results (SHUTDOWN
		 * drain), a round trip before we could tell it at the end.
		 * Retries still run (on a worker started for them).  Not with
		 * --listen: remote workers may attach until the end.
		 */
		r->pool_closed = 1;
		(void)corun_pool_shutdown(r->pool, 1, 0, NULL);
	}
	if ((r->eof || r->stopping) && r->inflight == 0 && !r->finished) {
		r->finished = 1;
		corun_loop_stop(r->loop);
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct cli_run *r = arg;

	if (r->signo != 0) {
		/*
		 * A second signal: the user means it, unless it came with the
		 * first (timeout(1) and terminals signal the process and its
		 * group, so one Ctrl-C can arrive twice).  The workers, left
		 * behind, see their parent go and kill their jobs themselves.
		 */
		if (corun_loop_now_ns() - r->signo_ns < 1000000000ull) {
			return;
		}
		if (r->joblog != NULL) {
			fflush(r->joblog);
		}
		_exit(128 + (int)sig);
	}
	r->signo = (int)sig;
	r->signo_ns = corun_loop_now_ns();
	cli_run_stop(r, 1);
	cli_run_pump(r);
}

/* ---- setup ---------------------------------------------------------- */

int
cli_run_window_new(struct cli_run *r)
{
	size_t i;

	r->wsize = r->tmpl.has_slot ? r->conc :
	    (size_t)r->conc * 4 + CLI_BATCH;
	r->win = calloc(r->wsize, sizeof(*r->win));
	r->freew = calloc(r->wsize, sizeof(*r->freew));
	r->freenum = calloc(r->conc, sizeof(*r->freenum));
	if (r->win == NULL || r->freew == NULL || r->freenum == NULL) {
		return CORUN_ENOMEM;
	}
	for (i = 0; i < r->wsize; i++) {
		r->win[i].r = r;
		r->freew[r->nfreew++] = r->wsize - 1 - i;
	}
	for (i = 0; i < r->conc; i++) {
		r->freenum[r->nfreenum++] = r->conc - (unsigned)i;
	}
	return 0;
}

void
cli_run_watch(struct cli_run *r)
{
	struct event_base *base = corun_loop_base(r->loop);
	int sigs[2] = { SIGINT, SIGTERM }, i;

	if (!r->use_jf && cli_input_fd(&r->in) >= 0) {
		r->ev_in = event_new(base, cli_input_fd(&r->in), EV_READ,
		    on_input, r);
	}
	for (i = 0; i < 2; i++) {
		r->ev_sig[i] = evsignal_new(base, sigs[i], on_signal, r);
		if (r->ev_sig[i] != NULL) {
			event_add(r->ev_sig[i], NULL);
		}
	}
}
