/* SPDX-License-Identifier: MIT */
/*
 * compare.h - `corun compare`: one workload under every model, side by
 * side.  Internal to the corun command.
 *
 * The files split by concern:
 *
 *   compare.c        options, the order of runs, peers, outputs
 *   compare-run.c    one model's run: pool, bounded window, measurements
 *   compare-net.c    the small TCP server the net workload talks to
 *   compare-stats.c  latency histogram, medians, the verdict (pure: no
 *                    pool, no I/O, so tests/cli/test_compare_verdict checks it
 *                    on synthetic numbers)
 *   compare-out.c    the table, JSON and CSV
 *   compare-chart.c  the SVG / PNG chart (cairo)
 *
 * What -j means here: the resource budget, in cores.  Every model gets it
 * and uses it its natural way: process N processes x 1; thread 1 x N
 * threads; async 1 process x 1 thread x C jobs in flight; hybrid N
 * processes x C/N each.  C is --concurrency (default 1000), never more
 * than --count.
 */
#ifndef CORUN_CLI_COMPARE_H
#define CORUN_CLI_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>

#include <corun/pool.h>

#include "cli.h"

enum cli_wl {
	CLI_WL_IO = 0,		/* sleep MS: waits on a timer */
	CLI_WL_CPU,		/* cpu: a fixed number of rounds (~MS) */
	CLI_WL_BLOCKING,		/* block MS: a blocking call */
	CLI_WL_MIXED,		/* a blend of the three (--mix) */
	CLI_WL_SHELL,		/* a short command */
	CLI_WL_NET,		/* a request to compare's own TCP server */
	CLI_WL_NOOP,		/* nothing: pure overhead */
	CLI_WL_FILE		/* a JSON-lines jobs file */
};

#define CLI_CMP_MAX_MODELS 8
#define CLI_CMP_NAME 32

struct cli_cmp_opts {
	enum cli_wl wl;
	const char *file;	/* CLI_WL_FILE */
	uint64_t count;		/* 0: the workload's default */
	double ms;		/* < 0: the workload's default */
	unsigned jobs;		/* -j: the core budget (0 = cores) */
	unsigned conc;		/* --concurrency: async/hybrid in flight */
	unsigned window;	/* --window: futures outstanding (0 = auto) */
	enum corun_model models[CLI_CMP_MAX_MODELS];
	size_t nmodels;
	unsigned repeat;	/* runs done per model (set when run) */
	unsigned min_runs, max_runs;	/* --min-runs, --max-runs */
	double budget_s;	/* --time-budget: measuring beyond min_runs */
	double max_spread;	/* --max-spread: sd / mean, in % */
	const char *export_md, *export_json, *export_csv;	/* --export-* */
	unsigned mix[3];	/* --mix weights: io, cpu, block */
	int json, csv;
	const char *svg, *png;
	int peers;		/* --peers python */
	int help;
};

/* One measured run (or, after cli_cmp_aggregate, the median of runs). */
struct cli_cmp_row {
	char model[CLI_CMP_NAME];	/* "process", "py-asyncio", ... */
	char impl[CLI_CMP_NAME];		/* "corun" or "python" */
	unsigned procs, threads, conc;	/* P x T x C */
	uint64_t jobs, failed;
	double wall_s, jobs_per_s;
	double p50_ms, p95_ms, p99_ms;
	double mean_run_ms;		/* a job's own start to end */
	double cpu_user_s, cpu_sys_s, cpu_s;
	uint64_t peak_rss_kb;		/* summed over all processes */
	uint64_t vcsw, ivcsw;		/* context switches */
	double par;			/* serial time / wall: jobs that ran
					   at once, on average */
	double cores_busy;		/* cpu_s / wall_s */
	unsigned runs;			/* runs aggregated */
	double wall_min_s, wall_max_s;	/* the spread of runs */
	double wall_sd_s;		/* their standard deviation (wall_s
					   is their mean) */
	char error[128];		/* the run failed: why */
};

/* ---- latency histogram (compare-stats.c) ---------------------------- */

/*
 * Log-spaced buckets, 1% apart, from 1 us to ~1000 s: fixed memory
 * whatever the count, and percentiles within 1%.
 */
#define CLI_HIST_BUCKETS 2100

struct cli_hist {
	uint64_t n;
	uint32_t b[CLI_HIST_BUCKETS];
};

void cli_hist_add(struct cli_hist *h, double ms);
/* The q-quantile (0 < q <= 1) in ms; 0 when empty. */
double cli_hist_quantile(const struct cli_hist *h, double q);

/* ---- medians and the verdict (compare-stats.c) ---------------------- */

double cli_median(double *v, size_t n);	/* sorts v */

/*
 * Fold runs[0..n) of one model into out: the median of every number,
 * and the smallest and largest wall time as the spread.
 */
void cli_cmp_aggregate(const struct cli_cmp_row *runs, size_t n,
    struct cli_cmp_row *out);

/*
 * Fill par and cores_busy of every row: par = serial time / wall, where
 * the serial time is jobs x the shortest mean run time any row saw (the
 * least contended measure of what one job costs on its own).
 */
void cli_cmp_derive(struct cli_cmp_row *rows, size_t n);

/* Models within this ratio of the winner's wall time are a tie. */
#define CLI_TIE_RATIO 1.10

struct cli_verdict {
	int winner, runner_up;	/* row indexes, -1 if none */
	double ratio;		/* runner-up wall / winner wall */
	int other;		/* slowest row outside the tie, or -1 */
	double other_ratio;
	int tie;		/* the runner-up cannot be told from it */
	char text[640];		/* "verdict: ...\nwhy: ..." */
};

/* What the workload's jobs do, as the verdict may say it. */
enum {
	CLI_NATURE_UNKNOWN = 0,	/* mixed, shell, noop, a jobs file */
	CLI_NATURE_WAITS,	/* io, net */
	CLI_NATURE_COMPUTES,	/* cpu */
	CLI_NATURE_BLOCKS	/* blocking */
};

/*
 * Rows that failed (error set, or no job done) never win.  The winner
 * has the least mean wall time; the runner-up is a tie when their mean
 * +- sd intervals overlap (cli_cmp_tied).  The reason given never
 * contradicts nature (a cpu workload is not said to wait).
 */
void cli_cmp_verdict_wl(const struct cli_cmp_row *rows, size_t n,
    int nature, struct cli_verdict *v);
/* The same, nature unknown: the reason comes from the figures alone. */
void cli_cmp_verdict(const struct cli_cmp_row *rows, size_t n,
    struct cli_verdict *v);
/* Whether a's and b's wall times overlap (mean +- sd; one run: 10%). */
int cli_cmp_tied(const struct cli_cmp_row *a, const struct cli_cmp_row *b);

/* ---- how many runs (compare-repeat.c) -------------------------------- */

#define CLI_CMP_MAX_RUNS 1000

struct cli_cmp_stop {
	unsigned min_runs, max_runs;
	double budget_s;	/* seconds of measuring */
	double max_spread;	/* sd / mean, in % */
};

/* The mean and the sample standard deviation (0 for n < 2) of v[0..n). */
void cli_cmp_mean_sd(const double *v, size_t n, double *mean, double *sd);

/*
 * Whether to run another round, after done rounds and elapsed_s seconds:
 * 1 below min_runs; else 0 at max_runs, at stride (the room per model in
 * runs) or past the budget; else 1 while some model's good runs (model m
 * at runs[m * stride ...]) spread over max_spread.
 */
int cli_cmp_more_rounds(const struct cli_cmp_stop *s,
    const struct cli_cmp_row *runs, size_t nmodels, size_t stride,
    unsigned done, double elapsed_s);

/* ---- outputs (compare-out.c) ---------------------------------------- */

struct cli_cmp_report {
	const struct cli_cmp_opts *o;
	const char *workload;	/* "io", or the jobs file's name */
	const char *desc;	/* "100 x sleep 20 ms" */
	uint64_t count;
	double ms;
	unsigned cores, conc;
	const struct cli_cmp_row *rows;
	size_t nrows;
	const struct cli_verdict *v;
};

void cli_cmp_print_table(FILE *f, const struct cli_cmp_report *r);
int cli_cmp_print_json(FILE *f, const struct cli_cmp_report *r);
void cli_cmp_print_csv(FILE *f, const struct cli_cmp_report *r);
void cli_cmp_print_markdown(FILE *f, const struct cli_cmp_report *r);
/* Write the --export-* files r->o names: 0, or -1 with e naming it. */
int cli_cmp_export(const struct cli_cmp_report *r, struct cli_err *e);
/* Parse one peer's JSON row (the same field names) into row. */
int cli_cmp_row_from_json(const char *line, struct cli_cmp_row *row,
    struct cli_err *e);

/* ---- chart (compare-chart.c) ---------------------------------------- */

/* png: 1 writes PNG, 0 SVG. */
int cli_cmp_chart(const char *path, int png, const struct cli_cmp_report *r,
    struct cli_err *e);

/* ---- one model's run (compare-run.c) -------------------------------- */

struct cli_cmp_work {
	const struct cli_cmp_opts *o;
	enum cli_wl wl;
	uint64_t count;
	double ms;
	uint64_t cpu_iters;	/* rounds of the cpu kind for ~ms */
	char addr[64];		/* net: "127.0.0.1:PORT" */
	const char *file;
};

/* The model's plan under the core budget (see the top of this file). */
void cli_cmp_plan(const struct cli_cmp_opts *o, enum corun_model m,
    uint64_t count, struct corun_pool_opts *po);

/* compare-jobs.c: the job being made, and what it points into. */
struct cli_mkjob {
	char buf[128];
	char msbuf[32];		/* the last length in ms, formatted once */
	size_t mslen;
	double ms;
	int have_ms;
	struct cli_jobspec js;
	int have_js;
};

/*
 * Job number i of w into j (its payload points into mk, or into jf's
 * job for a jobs file): 1 with a job, 0 at the end, -1 with e set.  mk
 * starts zeroed; the caller frees mk->js when mk->have_js.
 */
int cli_cmp_make_job(const struct cli_cmp_work *w, struct cli_jobsfile *jf,
    uint64_t i, struct cli_mkjob *mk, struct corun_job *j, struct cli_err *e);

/* Run the workload once under po; fills row (row->error on failure). */
int cli_cmp_run_model(const struct cli_cmp_work *w,
    const struct corun_pool_opts *po, const char *name,
    struct cli_cmp_row *row);

/* compare-proc.c: a "Key: N kB" line of /proc/PID/status (0: self). */
uint64_t cli_proc_status_kb(int pid, const char *key);
/* Reset this process's peak RSS (VmHWM) to its current RSS. */
void cli_reset_peak_rss(void);
/* Add (sign 1) or take (sign -1) the workers' CPU seconds from /proc. */
void cli_workers_cpu(corun_pool *pool, int sign, double *user, double *sys);
/* Add the rusage b - a (user and sys may be NULL: switches only). */
void cli_ru_delta(const struct rusage *a, const struct rusage *b,
    double *user, double *sys, uint64_t *vcsw, uint64_t *ivcsw);

/* Measure how many cpu rounds take ms on a worker (one job). */
int cli_cmp_calibrate_cpu(double ms, uint64_t *iters, struct cli_err *e);

/* ---- the net server (compare-net.c) --------------------------------- */

struct cli_netsrv {
	int pid;
	int ctl;		/* closing it tells the server to exit */
	int port;
};

/*
 * Start the server in a child process: it answers each request after
 * delay_ms.  Forked before any pool exists (nng is not fork-safe).
 */
int cli_netsrv_start(struct cli_netsrv *s, double delay_ms, struct cli_err *e);
void cli_netsrv_stop(struct cli_netsrv *s);

/* ---- Python peers (compare-peers.c) ---------------------------------- */

/*
 * peers.py's path into out: $CORUN_PEERS, next to the binary (build tree
 * or install), or pkgdatadir.  0, or -1 if none is readable.
 */
int cli_cmp_find_peers(char *out, size_t len);

/*
 * Run script once for w (cores: -j's default): up to max rows, one per
 * Python implementation.  Spawned, not forked (nng is live in this
 * process).  Failures are warned about and give fewer rows.
 */
size_t cli_cmp_run_peers(const char *script, const struct cli_cmp_work *w,
    unsigned cores, struct cli_cmp_row *rows, size_t max);

/* ---- options (compare-opts.c) --------------------------------------- */

/* Parse the arguments after "compare"; the message names the bad value. */
int cli_compare_opts_parse(int argc, char **argv, struct cli_cmp_opts *o,
    struct cli_err *e);
void cli_compare_usage(FILE *f);

/*
 * The name of the i-th option of compare's tables without its dashes
 * ("workload", "h"), NULL past their end: the help test walks them.
 */
const char *cli_compare_opt_name(size_t i);

/* ---- the command (compare.c) ---------------------------------------- */

int cli_cmd_compare(int argc, char **argv);
const char *cli_wl_name(enum cli_wl wl);

/* A number in at most 6 characters, about 3 significant digits. */
const char *cli_cmp_num(char *buf, size_t len, double v);

#endif /* CORUN_CLI_COMPARE_H */
