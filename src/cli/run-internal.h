/* SPDX-License-Identifier: MIT */
/*
 * run-internal.h - the state of one `corun run`, shared by run.c (the
 * command: options, the pool, start and end), run-window.c (the window
 * of jobs in flight, signals) and runjob.c (making jobs, printing
 * outcomes).
 */
#ifndef CORUN_CLI_RUN_INTERNAL_H
#define CORUN_CLI_RUN_INTERNAL_H

#include <event2/event.h>

#include <corun/future.h>
#include <corun/loop.h>
#include <corun/pool.h>

#include "cli.h"
#include "pace.h"
#include "argbatch.h"
#include "perlexpr.h"
#include "median.h"
#include "shuf.h"

/*
 * Seconds to wait for cancelled jobs to come back before exiting anyway:
 * the worker's TERM-then-KILL grace plus a margin.
 */
#define CLI_CANCEL_WAIT 15.0

struct cli_run;

struct cli_wslot {
	struct cli_run *r;
	struct cli_jobspec js;
	corun_future *fut;
	int used, done;
	uint64_t submit_ns;	/* wall clock, with --http (run-web.c) */
	int skipped;		/* -k: a Seq --resume skips, holding its place */
	int limit_killed;	/* --limit's status 2 killed it (kill_youngest) */
};

struct cli_run {
	struct cli_run_opts *o;
	corun_loop *loop;
	corun_pool *pool;
	struct cli_input in;
	struct cli_tmpl tmpl;
	struct cli_batch batch;	/* the values of each job (argbatch.c) */
	struct cli_perl perl;	/* {= =} (perlexpr.c), pid > 0 if started */
	struct cli_jobsfile jf;
	int use_jf;
	int in_open;		/* in is open (cli_input_close it) */
	char pid_env[48];	/* "PARALLEL_PID=..." for every job */
	unsigned conc;		/* jobs running at once */
	struct cli_wslot *win;
	size_t wsize, inflight;
	size_t *freew, nfreew;	/* free window slots (unordered mode) */
	unsigned *freenum, nfreenum; /* free {%} numbers */
	uint64_t next_seq, next_print;
	int eof, stopping, halted, signo, failed_hard, finished;
	int pool_closed;	/* every job submitted: the pool closed */
	int streaming;		/* --line-buffer: output as it comes */
	int spill;		/* big output through files (CORUN_JOB_SPILL) */
	uint64_t signo_ns;		/* when the first signal came */
	struct event *ev_in, *ev_sig[2];
	corun_handle *watchdog;
	FILE *joblog;
	struct cli_rcmds *rcmds;		/* remote-cmd.h */
	struct cli_tally tally;
	struct cli_progress prog;
	struct cli_web *web;		/* --http (run-web.c), or NULL */
	struct cli_resume *resume;	/* --resume*: Seqs to skip, or NULL */
	struct cli_results *results;	/* --results, or NULL */
	struct cli_pace pace;		/* --delay, --memfree, --load N */
	corun_handle *pace_timer;	/* a pump to come, when paced */
	corun_handle *limit_timer;	/* --limit's next look while jobs run */
	struct cli_logins logins;	/* -S, --sshloginfile */
	uint64_t nskipped;
	struct cli_median runtimes;	/* --timeout N%: successful jobs */
	size_t running;		/* submitted, not done (on_done) */
	struct cli_shuf shuf;		/* --shuf */
	unsigned jobs_now;	/* -j FILE: its value now (procfile.h), 0 = off */
};

/*
 * run-window.c: the scheduler.  Everything is called on the loop thread.
 */

/*
 * Size the window for r->conc jobs at once and allocate it (once, after
 * the pool is up).  0 or CORUN_ENOMEM; run.c frees the arrays.
 */
int cli_run_window_new(struct cli_run *r);
/* Watch the input's fd (when it has one) and SIGINT, SIGTERM. */
void cli_run_watch(struct cli_run *r);
/*
 * Top the window up from the input; stop the loop once nothing more is
 * coming and nothing is in flight.
 */
void cli_run_pump(struct cli_run *r);
/*
 * Start nothing more.  now == 0: the pool drops the jobs it has not
 * handed to a worker, running ones finish.  now != 0: every job in
 * flight is cancelled and the workers are told to leave at once (a
 * stopped one is woken), and the loop stops CLI_CANCEL_WAIT seconds later
 * if they have not all come back.  Idempotent per level.
 */
void cli_run_stop(struct cli_run *r, int now);

/*
 * run-fds.c: fit po's plan to the descriptor limit before the pool starts:
 * the soft limit is raised as far as needed (up to the hard one); if that
 * is not enough, po->jobs is lowered and one line on stderr says so.  0,
 * or CLI_EXIT_ERROR after a message when no plan fits (or the plan was
 * given as --procs/--threads/--concurrency and does not fit).
 */
struct corun_pool_opts;
int cli_run_fit_fds(struct corun_pool_opts *po);

/* runjob.c */
int cli_run_open_sources(struct cli_run *r, struct cli_err *e);
int cli_run_next_job(struct cli_run *r, int nonblock, unsigned slot,
    struct cli_jobspec *js, struct cli_err *e);
int cli_run_dry(struct cli_run *r);
void cli_run_print_outcome(struct cli_run *r, const struct cli_outcome *oc);

#endif /* CORUN_CLI_RUN_INTERNAL_H */
