/* SPDX-License-Identifier: MIT */
/*
 * run.c - `corun run`: read jobs, keep a bounded window of them in a
 * process pool, print each one's outcome as it completes.
 *
 * This file is the command: its options become the pool's, it starts
 * the loop, the pool and the --worker-cmd commands, runs the loop, and
 * ends them all.  The window of jobs in flight, and the signals, are
 * run-window.c's; making jobs and printing outcomes are runjob.c's.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <corun/future.h>
#include <corun/loop.h>
#include <corun/pool.h>
#include <corun/task.h>

#include "cli.h"
#include "onall.h"
#include "args-internal.h"
#include "pipe.h"
#include "remote-cmd.h"
#include "slurm.h"
#include "run-internal.h"
#include "run-web.h"

/* Seconds to wait for idle workers to exit at the end. */
#define CLI_EXIT_WAIT 30.0

/* ---- setup ---------------------------------------------------------- */

/*
 * The default model follows the work (measured in BENCHMARKS.md): shell
 * commands, sleeps, requests and no-ops are separate processes or waits,
 * so one worker process running many of them on its loop (async) spawns
 * and collects them fastest; cpu and block jobs need a process per core.
 */
static enum corun_model
default_model(const struct cli_run *r)
{
	const struct cli_run_opts *o = r->o;

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
	struct cli_run *r = arg;
	const struct cli_wslot *w = &r->win[tag];
	FILE *f = stream == 1 ? stdout : stderr;

	cli_progress_clear(&r->prog);
	(void)cli_write_tagged(f, r->o->tag || r->o->tagstring ?
	    w->js.tagstr : NULL, data, len, !r->o->ungroup);
	fflush(f);
}

static void
pool_opts(struct cli_run *r, struct corun_pool_opts *po)
{
	const struct cli_run_opts *o = r->o;

	*po = (struct corun_pool_opts)CORUN_POOL_OPTS_INIT;
	po->model = default_model(r);
	/*
	 * A halt policy decides after each result whether to start more:
	 * a worker must not have started jobs ahead of that decision (nor
	 * of a job --limit killed that --retries runs again, as parallel).
	 */
	if (o->halt.when != CLI_HALT_NEVER || o->limit != NULL) {
		po->prefetch = -1;
	}
	po->jobs = o->jobs;
	if (o->g.jobs_file != NULL && o->jobs < CLI_JOBS_MANY) {
		/* -j FILE: room for what the file may say later; the
		 * window holds the run to the file's value (procfile.h). */
		po->jobs = CLI_JOBS_MANY;
	}
	po->procs = o->procs;
	po->threads = o->threads;
	po->concurrency = o->concurrency;
	po->offload = o->offload;
	po->heartbeat_timeout_ms = o->heartbeat_ms;
	if (o->heartbeat_ms == CLI_RUN_HEARTBEAT_UNSET) {
		/* A cpu or block job on a worker's loop silences it. */
		po->heartbeat_timeout_ms = r->use_jf && !o->offload ? 0 :
		    CLI_RUN_HEARTBEAT_MS;
	}
	po->restart_max = o->restart_max;
	po->restart_window_ms = o->restart_window_ms;
	po->load = (const char *const *)o->load.v;
	po->nload = o->load.n;
	po->listen = o->listen;
	po->token = cli_rcmds_token(r->rcmds);
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
	r->streaming = (o->line_buffer || o->ungroup) && !o->keep_order &&
	    !o->json && !o->files && o->results == NULL;
	/*
	 * Output printed whole from the result can stay in the file the
	 * worker writes once a job has written more than a little: memory
	 * stays small, and the bytes cross no process (cli_write_file).
	 * --json, --files and --results want it in memory.
	 */
	r->spill = !r->streaming && !o->json && !o->files &&
	    o->results == NULL;
	/*
	 * --tmpdir is $TMPDIR, as with GNU parallel: where large output
	 * waits (the workers inherit it) and what the jobs see.
	 */
	if (o->tmpdir != NULL) {
		(void)setenv("TMPDIR", o->tmpdir, 1);
	}
	if (r->streaming) {
		po->on_output = on_output;
		po->output_arg = r;
	}
}

/* ---- the --worker-cmd commands' callbacks (remote-cmd.h) ---------- */

static int
rcmds_unattended(void *arg)
{
	struct cli_run *r = arg;
	struct corun_pool_stats st;

	corun_pool_stats(r->pool, &st);
	return st.remote_alive == 0 && !r->stopping;
}

static void
rcmds_give_up(void *arg)
{
	struct cli_run *r = arg;

	r->failed_hard = 1;
	cli_run_stop(r, 1);
}

static const struct cli_rcmds_ops rcmds_ops = {
	.unattended = rcmds_unattended,
	.give_up = rcmds_give_up,
};

/* Undo a start that failed part way; the exit status for it. */
static int
start_failed(struct cli_run *r)
{
	if (r->pool != NULL) {
		corun_pool_free(r->pool);
		r->pool = NULL;
	}
	cli_rcmds_finish(r->rcmds);
	r->rcmds = NULL;
	corun_loop_free(r->loop);
	r->loop = NULL;
	return CLI_EXIT_ERROR;
}

/* The loop, the token, the pool, the commands, the window: 0, or the
 * exit status of a start that failed. */
static int
run_start(struct cli_run *r)
{
	struct corun_pool_opts po;
	struct corun_pool_stats st;
	struct cli_err e;
	int rc;

	if ((rc = corun_loop_new(&r->loop)) != 0) {
		cli_warn("cannot start the loop: %s", corun_strerror(rc));
		return CLI_EXIT_ERROR;
	}
	/* The token first: the pool needs it. */
	if (r->o->listen != NULL &&
	    cli_rcmds_start(r->o, &r->rcmds, &e) != 0) {
		cli_warn("%s", e.msg);
		return start_failed(r);
	}
	pool_opts(r, &po);
	if (cli_run_fit_fds(&po) != 0) {
		return start_failed(r);
	}
	if ((rc = corun_pool_new(r->loop, &po, &r->pool)) != 0) {
		cli_warn("cannot start the pool: %s", rc == CORUN_ERANGE ?
		    "beyond its limits (1024 worker processes, 256 threads "
		    "and 1000000 jobs a loop, 1048576 job slots a worker "
		    "process)" : corun_strerror(rc));
		return start_failed(r);
	}
	if (r->o->listen != NULL && cli_rcmds_spawn(r->rcmds, r->o,
	    corun_pool_listen_url(r->pool), r->loop, &rcmds_ops, r, &e) != 0) {
		cli_warn("%s", e.msg);
		return start_failed(r);
	}
	corun_pool_stats(r->pool, &st);
	r->conc = st.procs * st.threads * st.concurrency;
	if (r->o->listen != NULL) {
		/* Room in the window for what remote workers take. */
		r->conc += r->o->remote_slots ? r->o->remote_slots : 64;
	}
	r->conc = r->conc ? r->conc : 1;
	if (r->o->http != NULL && cli_run_web_start(r) != 0) {
		return start_failed(r);
	}
	if (r->o->g.jobs_file != NULL) {
		r->jobs_now = r->o->jobs < r->conc ? r->o->jobs : r->conc;
		r->jobs_now = r->jobs_now ? r->jobs_now : 1;
	}
	if (cli_run_window_new(r) != 0) {
		cli_warn("out of memory");
		cli_run_web_stop(r);
		return start_failed(r);
	}
	return 0;
}

/*
 * Nothing is in flight any more (or a halt or signal already shut the
 * pool down): the workers may simply be told to go.
 */
static void
run_end(struct cli_run *r)
{
	corun_future *done = NULL, *bounded = NULL;
	size_t i;

	if (corun_pool_shutdown(r->pool, 0, 1, &done) == 0 && done != NULL) {
		/* Bounded: corun_pool_free() kills whatever is left. */
		if (corun_wait_for(done, r->stopping == 2 ? CLI_CANCEL_WAIT :
		    CLI_EXIT_WAIT, &bounded) == 0) {
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
	for (i = 0; i < r->wsize; i++) {
		if (r->win[i].used) {
			corun_future_unref(r->win[i].fut);
			cli_jobspec_free(&r->win[i].js);
			r->win[i].used = 0;
		}
	}
	cli_run_web_stop(r);
	corun_pool_free(r->pool);
	cli_rcmds_finish(r->rcmds);
	r->rcmds = NULL;
	corun_loop_free(r->loop);
}

static int
run_jobs(struct cli_run *r)
{
	int rc;

	if ((rc = run_start(r)) != 0) {
		return rc;
	}
	cli_run_watch(r);
	cli_progress_init(&r->prog, r->o->bar, r->o->progress || r->o->eta,
	    corun_loop_time(r->loop));
	r->next_seq = r->next_print = 1;
	cli_run_pump(r);
	if (!r->finished) {
		corun_loop_run_forever(r->loop);
	}
	if (r->pace_timer != NULL) {
		(void)corun_handle_cancel(r->pace_timer);
		corun_handle_release(r->pace_timer);
		r->pace_timer = NULL;
	}
	if (r->limit_timer != NULL) {
		(void)corun_handle_cancel(r->limit_timer);
		corun_handle_release(r->limit_timer);
		r->limit_timer = NULL;
	}
	if (r->signo != 0) {
		/* interrupted: no stale status line under the prompt */
		cli_progress_clear(&r->prog);
	} else {
		cli_progress_update(&r->prog, r->tally.done, r->next_seq - 1,
		    1, corun_loop_time(r->loop), 1);
	}
	run_end(r);
	if (r->failed_hard && r->signo == 0) {
		return CLI_EXIT_ERROR;
	}
	return cli_exit_status(&r->o->halt, &r->tally, r->halted, r->signo);
}

/* What cli_run_open_sources() opened, however far it got. */
static void
close_sources(struct cli_run *r)
{
	if (r->use_jf) {
		cli_jobsfile_close(&r->jf);
	} else if (r->in_open) {
		cli_input_close(&r->in);
	}
	cli_shuf_free(&r->shuf);
	cli_batch_close(&r->batch);
	if (r->perl.pid > 0) {
		cli_perl_stop(&r->perl);
	}
	cli_tmpl_free(&r->tmpl);
}

/*
 * --resume, --resume-failed, --retry-failed: read the joblog; for
 * --retry-failed its failed commands become the only input.
 */
static int
setup_resume(struct cli_run_opts *o, struct cli_resume *rs,
    struct cli_err *e)
{
	int mode = o->retry_failed ? CLI_RESUME_RETRY : o->resume_failed ?
	    CLI_RESUME_FAILED : o->resume ? CLI_RESUME_ALL : CLI_RESUME_NONE;
	struct cli_group *g;
	size_t k;
	int rc;

	if (mode == CLI_RESUME_NONE) {
		return 0;
	}
	if (o->joblog == NULL || strcmp(o->joblog, "-") == 0) {
		return cli_errf(e, CORUN_EINVAL, "--resume, --resume-failed "
		    "and --retry-failed need --joblog FILE");
	}
	if ((rc = cli_resume_load(rs, o->joblog + (o->joblog[0] == '+'),
	    mode, e)) != 0 || mode != CLI_RESUME_RETRY) {
		return rc;
	}
	/* the command line's command and inputs give way to the log's */
	for (k = 0; k < o->ngroups; k++) {
		cli_strv_free(&o->groups[k].vals);
	}
	o->ngroups = 0;
	o->cmd = NULL;
	o->ncmd = 0;
	if ((g = cli_run_add_group(o, 0, NULL)) == NULL) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	g->vals = rs->cmds;
	memset(&rs->cmds, 0, sizeof(rs->cmds));
	return 0;
}

/*
 * -S: as many jobs at once as the logins have slots; --nonall: one job
 * per login, without input.
 */
static int
setup_logins(struct cli_run_opts *o, const struct cli_logins *l,
    struct cli_err *e)
{
	struct cli_group *g;
	size_t k;

	if (l->n == 0) {
		if (o->nonall) {
			return cli_errf(e, CORUN_EINVAL, "--nonall needs "
			    "--sshlogin");
		}
		return 0;
	}
	o->jobs = l->total;
	if (!o->nonall) {
		return 0;
	}
	for (k = 0; k < o->ngroups; k++) {
		cli_strv_free(&o->groups[k].vals);
	}
	o->ngroups = 0;
	if ((g = cli_run_add_group(o, 0, NULL)) == NULL) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	for (k = 0; k < l->n; k++) {
		if (cli_strv_push(&g->vals, l->v[k].host) != 0) {
			return cli_errf(e, CORUN_ENOMEM, "out of memory");
		}
	}
	return 0;
}

/*
 * --onall -S: this run becomes the outer run of onall.c's command line,
 * one job per login, each an inner run of this same command line.
 */
static int
run_onall(const struct cli_run_opts *o, int argc, char **argv)
{
	struct cli_strv out;
	struct cli_err e;
	char *tmp = NULL;
	int rc;

	if (cli_onall_outer(o, argc, argv, &out, &tmp, &e) != 0) {
		cli_warn("%s", e.msg);
		rc = CLI_EXIT_ERROR;
	} else {
		rc = cli_cmd_run((int)out.n, out.v);
	}
	if (tmp != NULL) {
		(void)unlink(tmp);
		free(tmp);
	}
	cli_strv_free(&out);
	return rc;
}

/*
 * --semaphore, --pipe and --onall -S (argv: the arguments after "run")
 * run apart from the pool: 1 when o is one.
 */
static int
other_mode(const struct cli_run_opts *o, int argc, char **argv, int *rc)
{
	if (o->nice_set && setpriority(PRIO_PROCESS, 0, o->nice) != 0) {
		cli_warn("--nice %d: %s", o->nice, strerror(errno));
	}
	if (o->semaphore) {
		*rc = cli_sem_run(o);
		return 1;
	}
	if (o->onall && (o->sshlogins.n > 0 || o->sshloginfiles.n > 0)) {
		*rc = run_onall(o, argc, argv);
		return 1;
	}
	if (o->pipe || o->pipepart) {
		/* pipe.c spawns the jobs itself */
		*rc = cli_pipe_run(o);
		return 1;
	}
	return 0;
}

/* Resuming, logins, pacing and the inputs of r: 0 or an error in e. */
static int
prepare(struct cli_run *r, struct cli_run_opts *o, struct cli_resume *rs,
    struct cli_err *e)
{
	int rc;

	if ((rc = setup_resume(o, rs, e)) != 0 ||
	    (rc = cli_logins_init(&r->logins, o, e)) != 0 ||
	    (rc = setup_logins(o, &r->logins, e)) != 0) {
		return rc;
	}
	r->resume = rs->mode != CLI_RESUME_NONE ? rs : NULL;
	r->pace.delay = o->delay;
	r->pace.memfree = o->memfree;
	r->pace.max_load = o->max_load;
	r->o = o;
	r->tally.last_fail_exit = -1;
	return cli_run_open_sources(r, e);
}

/* --joblog (appended to when resuming) and --results. */
static int
open_outputs(struct cli_run *r, const struct cli_resume *rs,
    struct cli_results *res)
{
	const struct cli_run_opts *o = r->o;
	struct cli_err e;

	if (o->joblog != NULL && (rs->had_header ? cli_joblog_append(o->joblog,
	    &r->joblog, &e) : cli_joblog_open(o->joblog, &r->joblog, &e)) !=
	    0) {
		cli_warn("%s", e.msg);
		return CLI_EXIT_ERROR;
	}
	if (o->results != NULL) {
		if (cli_results_open(res, o->results, &e) != 0) {
			cli_warn("%s", e.msg);
			return CLI_EXIT_ERROR;
		}
		r->results = res;
	}
	return 0;
}

int
cli_cmd_run(int argc, char **argv)
{
	struct cli_run_opts o;
	struct cli_run r;
	struct cli_err e;
	struct cli_resume rs;
	struct cli_results res;
	unsigned p = 1, t = 1, c = 1;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&rs, 0, sizeof(rs));
	if (cli_run_opts_parse(argc - 1, argv + 1, &o, &e) != 0 ||
	    cli_onall_inner(&o, &e) != 0) {
		cli_warn("run: %s", e.msg);
		fprintf(stderr, "Try `%s run --help'.\n", CLI_PROG);
		cli_run_opts_free(&o);
		return CLI_EXIT_ERROR;
	}
	if (o.help || o.version) {
		if (o.help) {
			cli_run_usage(stdout);
		} else {
			printf("%s %s\n", CLI_PROG, PACKAGE_VERSION);
		}
		cli_run_opts_free(&o);
		return 0;
	}
	if (cli_slurm_prepare(&o, &e) != 0) {
		cli_warn("run: %s", e.msg);
		cli_run_opts_free(&o);
		return CLI_EXIT_ERROR;
	}
	if (other_mode(&o, argc - 1, argv + 1, &rc)) {
		cli_run_opts_free(&o);
		return rc;
	}
	if (prepare(&r, &o, &rs, &e) != 0) {
		cli_warn("%s", e.msg);
		r.use_jf = 0;	/* a jobs file that failed closed itself */
		close_sources(&r);
		cli_logins_free(&r.logins);
		cli_resume_free(&rs);
		cli_run_opts_free(&o);
		return CLI_EXIT_ERROR;
	}
	if (o.dry_run) {
		struct corun_pool_opts po;

		pool_opts(&r, &po);
		if (corun_model_resolve(&po, &p, &t, &c) != 0) {
			p = t = c = 1;
		}
		r.conc = p * t * c;
		r.conc = r.conc ? r.conc : 1;
		rc = cli_run_dry(&r);
		goto out;
	}
	if ((rc = open_outputs(&r, &rs, &res)) == 0) {
		rc = run_jobs(&r);
		if (r.results != NULL && cli_results_close(&res) != 0) {
			cli_warn("--results: %s: %s", o.results,
			    strerror(errno));
			rc = CLI_EXIT_ERROR;
		}
	}
out:
	if (r.joblog != NULL && r.joblog != stdout && fclose(r.joblog) != 0) {
		cli_warn("--joblog: %s: %s", o.joblog, strerror(errno));
		rc = CLI_EXIT_ERROR;
	}
	free(r.win);
	free(r.freew);
	free(r.freenum);
	close_sources(&r);
	cli_resume_free(&rs);
	cli_logins_free(&r.logins);
	cli_run_opts_free(&o);
	return rc;
}
