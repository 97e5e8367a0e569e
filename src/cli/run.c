/*
 * run.c - `corun run`: read jobs, keep a bounded window of them in a
 * process pool, print each one's outcome as it completes.
 *
 * Everything happens on one corun loop.  pump() is the whole scheduler:
 * it tops the window up from the input (which may be a slow pipe: the
 * input is polled, never waited on, and an fd event wakes pump() when
 * more arrives), and ends the loop when nothing is left in flight.  Each
 * pool future's done callback retires its job (or, with -k, every job
 * that is now next in order) and calls pump() again.
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

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corun/future.h>
#include <corun/loop.h>
#include <corun/pool.h>
#include <corun/task.h>

#include "cli.h"
#include "remote-cmd.h"
#include "run-internal.h"

#define CR_BATCH 256

/*
 * Seconds to wait for cancelled jobs to come back before exiting anyway:
 * the worker's TERM-then-KILL grace plus a margin.
 */
#define CR_CANCEL_WAIT 15.0

/* Seconds to wait for idle workers to exit at the end. */
#define CR_EXIT_WAIT 30.0

static void pump(struct cr_run *r);


/* ---- finishing a job ------------------------------------------------ */

static void stop(struct cr_run *r, int now);

/* The pool did not complete what was cancelled: do not hang for it. */
static void
force_finish(void *arg)
{
	struct cr_run *r = arg;

	corun_handle_release(r->watchdog);
	r->watchdog = NULL;
	if (!r->finished) {
		cr_warn("%zu job(s) did not end after being cancelled; "
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
 * TERM to the process group, then KILL).
 */
static void
stop(struct cr_run *r, int now)
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
	if (r->watchdog == NULL) {
		corun_call_later(r->loop, CR_CANCEL_WAIT, force_finish, r,
		    &r->watchdog);
	}
}

static void
retire(struct cr_run *r, struct cr_wslot *w)
{
	struct cr_outcome oc;
	const char *msg = NULL;

	oc.js = &w->js;
	oc.res = corun_pool_result(w->fut);
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
	if (!(oc.res == NULL && oc.status == CORUN_ECANCELED &&
	    r->stopping)) {
		int killed = oc.status == CORUN_ECANCELED && r->stopping;

		r->tally.done += !killed;
		if (killed) {
			/* counted nowhere */
		} else if (oc.status == 0) {
			r->tally.succeeded++;
		} else {
			r->tally.failed++;
			/* fail=1 exits with the status of the job that
			 * fired the halt, not of one that ended after. */
			if (!r->halted) {
				r->tally.last_fail_exit = oc.res ?
				    oc.res->exit_code : -1;
			}
		}
		cr_run_print_outcome(r, &oc);
	}
	corun_future_unref(w->fut);
	w->fut = NULL;
	if (w->js.slot != 0) {
		r->freenum[r->nfreenum++] = w->js.slot;
	}
	cr_jobspec_free(&w->js);
	w->used = w->done = 0;
	if (!r->o->keep_order) {
		r->freew[r->nfreew++] = (size_t)(w - r->win);
	}
	r->inflight--;
	cr_progress_update(&r->prog, r->tally.done, r->next_seq - 1, r->eof,
	    corun_loop_time(r->loop), 0);
	if (!r->halted && cr_halt_triggered(&r->o->halt, &r->tally)) {
		r->halted = 1;
		stop(r, r->o->halt.when == CR_HALT_NOW);
	}
}

static void
on_done(corun_future *fut, void *arg)
{
	struct cr_wslot *w = arg;
	struct cr_run *r = w->r;

	w->done = 1;
	if (!r->o->keep_order) {
		retire(r, w);
	} else {
		for (;;) {
			w = &r->win[(r->next_print - 1) % r->wsize];
			if (!w->used || !w->done) {
				break;
			}
			r->next_print++;
			retire(r, w);
		}
	}
	pump(r);
}

/* ---- starting jobs -------------------------------------------------- */

static void
on_input(evutil_socket_t fd, short what, void *arg)
{
	pump(arg);
}

static int
submit(struct cr_run *r, struct cr_wslot *w)
{
	struct corun_job job;
	int rc;

	memset(&job, 0, sizeof(job));
	job.kind = w->js.kind;
	job.payload = w->js.payload;
	job.len = w->js.len;
	job.timeout = w->js.timeout >= 0 ? w->js.timeout : r->o->timeout;
	job.retries = w->js.retries >= 0 ? w->js.retries : r->o->retries;
	job.tag = (uint64_t)(w - r->win);
	job.flags = r->streaming ? CORUN_JOB_STREAM : 0;
	if ((rc = corun_pool_submit(r->pool, &job, &w->fut)) != 0) {
		return rc;
	}
	w->used = 1;
	w->done = 0;
	r->inflight++;
	return corun_future_add_done_callback(w->fut, on_done, w);
}

static int
window_has_room(struct cr_run *r)
{
	if (r->tmpl.has_slot && r->nfreenum == 0) {
		return 0;
	}
	if (r->o->keep_order) {
		return r->next_seq - r->next_print < r->wsize;
	}
	return r->nfreew > 0;
}

static void
pump(struct cr_run *r)
{
	struct cr_wslot *w;
	struct cr_err e;
	unsigned slot;
	size_t i;
	int rc;

	while (!r->stopping && !r->eof && window_has_room(r)) {
		slot = r->tmpl.has_slot ? r->freenum[r->nfreenum - 1] : 0;
		i = r->o->keep_order ? (r->next_seq - 1) % r->wsize :
		    r->freew[r->nfreew - 1];
		w = &r->win[i];
		rc = cr_run_next_job(r, 1, slot, &w->js, &e);
		if (rc == CORUN_EAGAIN) {
			event_add(r->ev_in, NULL);
			break;
		}
		if (rc == CORUN_EDONE) {
			r->eof = r->tally.at_eof = 1;
			break;
		}
		if (rc != 0) {
			cr_warn("%s", e.msg);
			r->failed_hard = 1;
			stop(r, 0);
			break;
		}
		if (r->tmpl.has_slot) {
			r->nfreenum--;
		}
		if (!r->o->keep_order) {
			r->nfreew--;
		}
		r->next_seq++;
		r->tally.total = r->next_seq - 1;
		if ((rc = submit(r, w)) != 0) {
			cr_warn("cannot submit a job: %s", corun_strerror(rc));
			cr_jobspec_free(&w->js);
			r->failed_hard = 1;
			stop(r, 0);
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
	struct cr_run *r = arg;

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
	stop(r, 1);
	pump(r);
}

/* ---- setup ---------------------------------------------------------- */

static int
setup_window(struct cr_run *r)
{
	size_t i;

	r->wsize = r->tmpl.has_slot ? r->conc :
	    (size_t)r->conc * 4 + CR_BATCH;
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

/*
 * The default model follows the work (measured in BENCHMARKS.md): shell
 * commands, sleeps, requests and no-ops are separate processes or waits,
 * so one worker process running many of them on its loop (async) spawns
 * and collects them fastest; cpu and block jobs need a process per core.
 */
static enum corun_model
default_model(const struct cr_run *r)
{
	const struct cr_run_opts *o = r->o;

	if (o->model != CORUN_MODEL_DEFAULT || o->procs || o->threads ||
	    o->concurrency) {
		return o->model;
	}
	if (r->use_jf && r->jf.cpu_bound) {
		return CORUN_MODEL_PROCESS;
	}
	return CORUN_MODEL_ASYNC;
}

/* --line-buffer: a running job's whole lines, printed as they come. */
static void
on_output(void *arg, uint64_t tag, int stream, const char *data, size_t len)
{
	struct cr_run *r = arg;
	const struct cr_wslot *w = &r->win[tag];
	FILE *f = stream == 1 ? stdout : stderr;

	(void)cr_write_tagged(f, r->o->tag ? w->js.tagstr : NULL, data, len,
	    1);
	fflush(f);
}

static void
pool_opts(struct cr_run *r, struct corun_pool_opts *po)
{
	const struct cr_run_opts *o = r->o;

	memset(po, 0, sizeof(*po));
	po->model = default_model(r);
	/*
	 * A halt policy decides after each result whether to start more:
	 * a worker must not have started jobs ahead of that decision.
	 */
	if (o->halt.when != CR_HALT_NEVER) {
		po->prefetch = -1;
	}
	po->jobs = o->jobs;
	po->procs = o->procs;
	po->threads = o->threads;
	po->concurrency = o->concurrency;
	po->offload = o->offload;
	po->load = (const char *const *)o->load.v;
	po->nload = o->load.n;
	po->listen = o->listen;
	po->token = cr_rcmds_token(r->rcmds);
	po->tls_cert = o->tls_cert;
	po->tls_key = o->tls_key;
	po->tls_ca = o->tls_ca;
	po->insecure = o->insecure;
	po->no_local = o->remote_only;
	po->remote_timeout_ms = (unsigned)(o->remote_timeout * 1000);
	/*
	 * --line-buffer streams lines as jobs write them, as GNU parallel
	 * does; with -k or --json output still goes whole, in its place.
	 */
	r->streaming = o->line_buffer && !o->keep_order && !o->json;
	if (r->streaming) {
		po->on_output = on_output;
		po->output_arg = r;
	}
}

/* ---- the --worker-cmd commands' callbacks (remote-cmd.h) ---------- */

static int
rcmds_unattended(void *arg)
{
	struct cr_run *r = arg;
	struct corun_pool_stats st;

	corun_pool_stats(r->pool, &st);
	return st.remote_alive == 0 && !r->stopping;
}

static void
rcmds_give_up(void *arg)
{
	struct cr_run *r = arg;

	r->failed_hard = 1;
	stop(r, 1);
}

static const struct cr_rcmds_ops rcmds_ops = {
	.unattended = rcmds_unattended,
	.give_up = rcmds_give_up,
};

/* Undo a start that failed part way; the exit status for it. */
static int
start_failed(struct cr_run *r)
{
	if (r->pool != NULL) {
		corun_pool_free(r->pool);
		r->pool = NULL;
	}
	cr_rcmds_finish(r->rcmds);
	r->rcmds = NULL;
	corun_loop_free(r->loop);
	r->loop = NULL;
	return CR_EXIT_ERROR;
}

static int
run_jobs(struct cr_run *r)
{
	struct corun_pool_opts po;
	struct corun_pool_stats st;
	struct event_base *base;
	corun_future *done = NULL, *bounded = NULL;
	int rc, sigs[2] = { SIGINT, SIGTERM }, i;

	if ((rc = corun_loop_new(&r->loop)) != 0) {
		cr_warn("cannot start the loop: %s", corun_strerror(rc));
		return CR_EXIT_ERROR;
	}
	if (r->o->listen != NULL) {
		struct cr_err e;

		/* The token first: the pool needs it. */
		if (cr_rcmds_start(r->o, &r->rcmds, &e) != 0) {
			cr_warn("%s", e.msg);
			return start_failed(r);
		}
	}
	pool_opts(r, &po);
	if ((rc = corun_pool_new(r->loop, &po, &r->pool)) != 0) {
		cr_warn("cannot start the pool: %s", corun_strerror(rc));
		return start_failed(r);
	}
	if (r->o->listen != NULL) {
		struct cr_err e;

		if (cr_rcmds_spawn(r->rcmds, r->o, r->loop, &rcmds_ops, r,
		    &e) != 0) {
			cr_warn("%s", e.msg);
			return start_failed(r);
		}
	}
	corun_pool_stats(r->pool, &st);
	r->conc = st.procs * st.threads * st.concurrency;
	if (r->o->listen != NULL) {
		/* Room in the window for what remote workers take. */
		r->conc += r->o->remote_slots ? r->o->remote_slots : 64;
	}
	r->conc = r->conc ? r->conc : 1;
	if (setup_window(r) != 0) {
		cr_warn("out of memory");
		return start_failed(r);
	}
	base = corun_loop_base(r->loop);
	if (!r->use_jf && cr_input_fd(&r->in) >= 0) {
		r->ev_in = event_new(base, cr_input_fd(&r->in), EV_READ,
		    on_input, r);
	}
	for (i = 0; i < 2; i++) {
		r->ev_sig[i] = evsignal_new(base, sigs[i], on_signal, r);
		if (r->ev_sig[i] != NULL) {
			event_add(r->ev_sig[i], NULL);
		}
	}
	cr_progress_init(&r->prog, r->o->bar, r->o->progress,
	    corun_loop_time(r->loop));
	r->next_seq = r->next_print = 1;
	pump(r);
	if (!r->finished) {
		corun_loop_run_forever(r->loop);
	}
	cr_progress_update(&r->prog, r->tally.done, r->next_seq - 1, 1,
	    corun_loop_time(r->loop), 1);
	/*
	 * Nothing is in flight any more (or a halt or signal already shut
	 * the pool down): the workers may simply be told to go.
	 */
	if (corun_pool_shutdown(r->pool, 0, 1, &done) == 0 && done != NULL) {
		/* Bounded: corun_pool_free() kills whatever is left. */
		if (corun_wait_for(done, r->stopping == 2 ? CR_CANCEL_WAIT :
		    CR_EXIT_WAIT, &bounded) == 0) {
			corun_loop_run_until_complete(r->loop, bounded);
			corun_future_unref(bounded);
		}
		corun_future_unref(done);
	}
	if (r->watchdog != NULL) {
		corun_handle_cancel(r->watchdog);
		corun_handle_release(r->watchdog);
		r->watchdog = NULL;
	}
	for (i = 0; i < 2; i++) {
		if (r->ev_sig[i] != NULL) {
			event_free(r->ev_sig[i]);
		}
	}
	if (r->ev_in != NULL) {
		event_free(r->ev_in);
	}
	for (i = 0; i < (int)r->wsize; i++) {
		if (r->win[i].used) {
			corun_future_unref(r->win[i].fut);
			cr_jobspec_free(&r->win[i].js);
			r->win[i].used = 0;
		}
	}
	corun_pool_free(r->pool);
	cr_rcmds_finish(r->rcmds);
	r->rcmds = NULL;
	corun_loop_free(r->loop);
	if (r->failed_hard && r->signo == 0) {
		return CR_EXIT_ERROR;
	}
	return cr_exit_status(&r->o->halt, &r->tally, r->halted, r->signo);
}

int
cr_cmd_run(int argc, char **argv)
{
	struct cr_run_opts o;
	struct cr_run r;
	struct cr_err e;
	unsigned p = 1, t = 1, c = 1;
	int rc;

	memset(&r, 0, sizeof(r));
	if (cr_run_opts_parse(argc - 1, argv + 1, &o, &e) != 0) {
		cr_warn("run: %s", e.msg);
		fprintf(stderr, "Try `%s run --help'.\n", CR_PROG);
		cr_run_opts_free(&o);
		return CR_EXIT_ERROR;
	}
	if (o.help || o.version) {
		if (o.help) {
			cr_run_usage(stdout);
		} else {
			printf("%s %s\n", CR_PROG, PACKAGE_VERSION);
		}
		cr_run_opts_free(&o);
		return 0;
	}
	r.o = &o;
	r.tally.last_fail_exit = -1;
	if (cr_run_open_sources(&r, &e) != 0) {
		cr_warn("%s", e.msg);
		cr_run_opts_free(&o);
		return CR_EXIT_ERROR;
	}
	if (o.dry_run) {
		struct corun_pool_opts po;

		pool_opts(&r, &po);
		if (corun_model_resolve(&po, &p, &t, &c) != 0) {
			p = t = c = 1;
		}
		r.conc = p * t * c;
		r.conc = r.conc ? r.conc : 1;
		rc = cr_run_dry(&r);
		goto out;
	}
	if (o.joblog != NULL) {
		r.joblog = strcmp(o.joblog, "-") == 0 ? stdout :
		    fopen(o.joblog, "w");
		if (r.joblog == NULL) {
			cr_warn("--joblog: %s: %s", o.joblog, strerror(errno));
			rc = CR_EXIT_ERROR;
			goto out;
		}
		cr_joblog_header(r.joblog);
		fflush(r.joblog);
	}
	rc = run_jobs(&r);
out:
	if (r.joblog != NULL && r.joblog != stdout && fclose(r.joblog) != 0) {
		cr_warn("--joblog: %s: %s", o.joblog, strerror(errno));
		rc = CR_EXIT_ERROR;
	}
	free(r.win);
	free(r.freew);
	free(r.freenum);
	if (r.use_jf) {
		cr_jobsfile_close(&r.jf);
	} else {
		cr_input_close(&r.in);
	}
	cr_run_opts_free(&o);
	return rc;
}
