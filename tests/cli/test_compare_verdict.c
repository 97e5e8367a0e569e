/* SPDX-License-Identifier: MIT */
/*
 * test_compare_verdict.c - the numbers of `corun compare` on synthetic
 * rows: the verdict (winner, ratio, the reason the numbers give), the
 * derived parallelism, medians over --repeat, the latency histogram, and
 * the option errors (each names the bad value and the accepted ones),
 * and fmath.c's functions (corun links no libm) against libm's.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check-util.h"
#include "cli/compare.h"
#include "cli/fmath.h"

/*
 * A row as a run would fill it: P x T x C, jobs, wall time, CPU seconds
 * and the mean run time of one job.
 */
static struct cli_cmp_row
mk(const char *name, unsigned p, unsigned t, unsigned c, uint64_t jobs,
    double wall, double cpu, double run_ms)
{
	struct cli_cmp_row r;

	memset(&r, 0, sizeof(r));
	snprintf(r.model, sizeof(r.model), "%s", name);
	snprintf(r.impl, sizeof(r.impl), "corun");
	r.procs = p;
	r.threads = t;
	r.conc = c;
	r.jobs = jobs;
	r.wall_s = wall;
	r.jobs_per_s = (double)jobs / wall;
	r.cpu_s = cpu;
	r.mean_run_ms = run_ms;
	r.runs = 1;
	return r;
}

static void
verdict(struct cli_cmp_row *rows, size_t n, struct cli_verdict *v)
{
	cli_cmp_derive(rows, n);
	cli_cmp_verdict(rows, n, v);
}

#define HAS(text, needle) \
	ck_assert_msg(strstr((text), (needle)) != NULL, \
	    "[%s] not in [%s]", (needle), (text))

START_TEST(io_async_wins_because_jobs_wait)
{
	/* 100 x sleep 20 ms on 2 cores. */
	struct cli_cmp_row rows[] = {
		mk("process", 2, 1, 1, 100, 1.02, 0.06, 20.1),
		mk("thread", 1, 2, 1, 100, 1.01, 0.05, 20.1),
		mk("async", 1, 1, 100, 100, 0.025, 0.01, 20.3),
		mk("hybrid", 2, 1, 50, 100, 0.026, 0.02, 20.2),
	};
	struct cli_verdict v;

	verdict(rows, 4, &v);
	ck_assert_int_eq(v.winner, 2);
	ck_assert_int_eq(v.runner_up, 3);
	ck_assert(fabs(v.ratio - 0.026 / 0.025) < 1e-9);
	ck_assert_int_eq(v.other, 0);	/* process: the slowest */
	ck_assert(rows[2].par > 50 && rows[0].par < 2.1);
	HAS(v.text, "async wins");
	HAS(v.text, "a tie");
	HAS(v.text, "ahead of process");
	HAS(v.text, "the jobs wait, not compute");
}
END_TEST

START_TEST(cpu_process_beats_async_by_cores)
{
	struct cli_cmp_row rows[] = {
		mk("process", 2, 1, 1, 40, 0.42, 0.83, 20.5),
		mk("thread", 1, 2, 1, 40, 0.43, 0.84, 20.6),
		mk("async", 1, 1, 40, 40, 0.82, 0.82, 400),
		mk("hybrid", 2, 1, 20, 40, 0.44, 0.85, 200),
	};
	struct cli_verdict v;

	verdict(rows, 4, &v);
	ck_assert_int_eq(v.winner, 0);
	ck_assert_int_eq(v.other, 2);
	ck_assert(v.other_ratio > 1.9 && v.other_ratio < 2.0);
	/* par from the shortest run time (20.5 ms), not async's 400 ms. */
	ck_assert(fabs(rows[2].par - 40 * 0.0205 / 0.82) < 1e-9);
	HAS(v.text, "the jobs compute, and async has one thread");
}
END_TEST

START_TEST(blocking_serialises_async)
{
	struct cli_cmp_row rows[] = {
		mk("process", 2, 1, 1, 40, 0.41, 0.02, 20.1),
		mk("thread", 1, 2, 1, 40, 0.41, 0.02, 20.1),
		mk("async", 1, 1, 40, 40, 0.81, 0.01, 400),
		mk("hybrid", 2, 1, 20, 40, 0.41, 0.02, 200),
	};
	struct cli_verdict v;

	verdict(rows, 4, &v);
	ck_assert(v.winner != 2);
	ck_assert_int_eq(v.other, 2);
	HAS(v.text, "blocking calls serialised the async loop: one job at "
	    "a time");
}
END_TEST

START_TEST(noop_overhead_decides)
{
	struct cli_cmp_row rows[] = {
		mk("process", 2, 1, 1, 10000, 0.50, 0.60, 0.001),
		mk("async", 1, 1, 1000, 10000, 0.05, 0.06, 0.001),
	};
	struct cli_verdict v;

	verdict(rows, 2, &v);
	ck_assert_int_eq(v.winner, 1);
	ck_assert(fabs(v.ratio - 10) < 1e-9);
	HAS(v.text, "per-job overhead decides");
	HAS(v.text, "async spends 5 us of wall");
}
END_TEST

START_TEST(all_tied)
{
	struct cli_cmp_row rows[] = {
		mk("process", 2, 1, 1, 10, 1.00, 0.5, 100),
		mk("thread", 1, 2, 1, 10, 1.05, 0.5, 100),
	};
	struct cli_verdict v;

	verdict(rows, 2, &v);
	ck_assert_int_eq(v.winner, 0);
	ck_assert_int_eq(v.other, -1);
	HAS(v.text, "does not separate the models");
}
END_TEST

START_TEST(failed_rows_never_win)
{
	struct cli_cmp_row rows[] = {
		mk("process", 2, 1, 1, 10, 1.0, 0.1, 10),
		mk("async", 1, 1, 10, 10, 0.1, 0.1, 10),
		mk("thread", 1, 2, 1, 10, 0.01, 0.1, 10),
	};
	struct cli_verdict v;

	snprintf(rows[2].error, sizeof(rows[2].error), "pool: broken");
	rows[1].failed = 10;	/* every job failed */
	verdict(rows, 3, &v);
	ck_assert_int_eq(v.winner, 0);
	ck_assert_int_eq(v.runner_up, -1);
	HAS(v.text, "the only model");
	rows[0].jobs = 0;
	verdict(rows, 3, &v);
	ck_assert_int_eq(v.winner, -1);
	HAS(v.text, "no model completed");
}
END_TEST

START_TEST(aggregate_median_and_spread)
{
	struct cli_cmp_row runs[] = {
		mk("async", 1, 1, 10, 10, 3.0, 0.3, 10),
		mk("async", 1, 1, 10, 10, 1.0, 0.1, 10),
		mk("async", 1, 1, 10, 10, 2.0, 0.2, 10),
		mk("async", 1, 1, 10, 10, 0.1, 0.2, 10),
	}, out;

	snprintf(runs[3].error, sizeof(runs[3].error), "failed");
	cli_cmp_aggregate(runs, 4, &out);
	ck_assert(out.wall_s == 2.0);
	ck_assert(out.cpu_s == 0.2);
	ck_assert(out.wall_min_s == 1.0 && out.wall_max_s == 3.0);
	ck_assert_uint_eq(out.runs, 3);
	ck_assert_str_eq(out.model, "async");
	ck_assert_str_eq(out.error, "");
}
END_TEST

static int
close_to(double got, double want, double rel)
{
	if (got == want) {
		return 1;
	}
	return fabs(got - want) <= rel * fabs(want);
}

/* fmath.c against libm over the ranges compare uses, and past them. */
START_TEST(own_math_matches_libm)
{
	double x = 1e-300;

	for (int i = 0; i < 600; i++, x *= 3.1) {
		ck_assert_msg(close_to(cli_ln(x), log(x), 1e-15) ||
		    fabs(cli_ln(x) - log(x)) < 1e-15, "ln %g", x);
		ck_assert_msg(close_to(cli_log10(x), log10(x), 1e-15) ||
		    fabs(cli_log10(x) - log10(x)) < 1e-15, "log10 %g", x);
		ck_assert_msg(close_to(cli_sqrt(x), sqrt(x), 1e-15),
		    "sqrt %g", x);
	}
	for (double y = -700; y < 700; y += 0.73) {
		ck_assert_msg(close_to(cli_exp(y), exp(y), 2e-15), "exp %g",
		    y);
	}
	for (int i = 0; i <= 2100; i++) {
		ck_assert_msg(close_to(cli_pow(1.01, i + 0.5),
		    pow(1.01, i + 0.5), 1e-13), "pow 1.01^%d.5", i);
	}
	for (int k = -22; k <= 22; k++) {
		ck_assert(cli_pow(10, k) == pow(10, k));
		ck_assert(cli_log10(pow(10, k)) == k);
	}
	ck_assert(close_to(cli_ln(5e-320), log(5e-320), 1e-15));
	ck_assert(close_to(cli_sqrt(5e-320), sqrt(5e-320), 1e-15));
	ck_assert(cli_ln(1) == 0 && cli_sqrt(0) == 0 && cli_sqrt(1) == 1);
	ck_assert(isinf(cli_ln(0)) && cli_ln(0) < 0);
	ck_assert(isnan(cli_ln(-1)) && isnan(cli_sqrt(-1)));
	ck_assert(isinf(cli_exp(710)) && cli_exp(-746) == 0);
}
END_TEST

START_TEST(histogram_quantiles)
{
	static struct cli_hist h;

	memset(&h, 0, sizeof(h));
	ck_assert(cli_hist_quantile(&h, 0.5) == 0);
	for (int i = 1; i <= 1000; i++) {
		cli_hist_add(&h, i * 0.1);	/* 0.1 .. 100 ms */
	}
	ck_assert_uint_eq(h.n, 1000);
	ck_assert(fabs(cli_hist_quantile(&h, 0.50) - 50) < 0.6);
	ck_assert(fabs(cli_hist_quantile(&h, 0.99) - 99) < 1.1);
	ck_assert(fabs(cli_hist_quantile(&h, 1.0) - 100) < 1.1);
	cli_hist_add(&h, 1e12);		/* clamped, not out of bounds */
	cli_hist_add(&h, 0);
	ck_assert_uint_eq(h.n, 1002);
}
END_TEST

static int
parse(const char *const *words, struct cli_cmp_opts *o, struct cli_err *e)
{
	static char *argv[32];
	int n = 0;

	argv[n++] = (char *)"compare";
	while (words[n - 1] != NULL) {
		argv[n] = (char *)words[n - 1];
		n++;
	}
	return cli_compare_opts_parse(n, argv, o, e);
}

START_TEST(options_and_their_errors)
{
	struct cli_cmp_opts o;
	struct cli_err e;
	const char *ok[] = { "--workload=cpu", "-n", "5", "--ms", "3", "-j2",
	    "--models", "async,process", "--repeat", "3", "--mix", "1:0:2",
	    "--json", NULL };
	const char *file[] = { "-w", "jobs.jsonl", NULL };

	ck_assert_int_eq(parse(ok, &o, &e), 0);
	ck_assert_int_eq(o.wl, CLI_WL_CPU);
	ck_assert_uint_eq(o.count, 5);
	ck_assert(o.ms == 3);
	ck_assert_uint_eq(o.jobs, 2);
	ck_assert_uint_eq(o.nmodels, 2);
	ck_assert_int_eq(o.models[0], CORUN_MODEL_ASYNC);
	ck_assert_uint_eq(o.repeat, 3);
	ck_assert_uint_eq(o.mix[2], 2);
	ck_assert_int_eq(o.json, 1);
	ck_assert_int_eq(parse(file, &o, &e), 0);
	ck_assert_int_eq(o.wl, CLI_WL_FILE);
	ck_assert_str_eq(o.file, "jobs.jsonl");

#define BAD(needle, ...) do {						\
		const char *w_[] = { __VA_ARGS__, NULL };		\
		ck_assert_int_ne(parse(w_, &o, &e), 0);			\
		HAS(e.msg, needle);					\
	} while (0)
	BAD("unknown workload \"iox\" (accepted: io, cpu, blocking, mixed, "
	    "shell, net, noop", "--workload", "iox");
	BAD("unknown model \"asynx\" (accepted: process, thread, async, "
	    "hybrid)", "--models", "process,asynx");
	BAD("\"async\" given twice", "--models", "async,async");
	BAD("--count: bad value \"0\" (a whole number from 1", "--count",
	    "0");
	BAD("-j: bad value \"x\"", "-j", "x");
	BAD("unknown peers \"ruby\" (accepted: python)", "--peers", "ruby");
	BAD("--mix: bad blend \"0:0:0\"", "--mix", "0:0:0");
	BAD("choose one", "--json", "--csv");
	BAD("unknown option \"--modles\" (accepted: --workload", "--modles",
	    "async");
	BAD("--ms: missing value", "--ms");
#undef BAD
}
END_TEST

/* n runs of a model whose wall times are walls[0..n). */
static void
runs_of(struct cli_cmp_row *out, const char *name, const double *walls,
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = mk(name, 1, 1, 10, 10, walls[i], 0.1, 10);
	}
}

START_TEST(repeat_until_the_spread_is_small)
{
	static const double tight[] = { 1.00, 1.01, 0.99, 1.00 };
	static const double loose[] = { 1.0, 2.0, 1.0, 2.0 };
	struct cli_cmp_stop s = { 3, 10, 60, 5 };
	struct cli_cmp_row runs[2 * 10];
	double mean, sd, v[] = { 1, 2, 3 };

	cli_cmp_mean_sd(v, 3, &mean, &sd);
	ck_assert(mean == 2 && fabs(sd - 1) < 1e-12);
	cli_cmp_mean_sd(v, 1, &mean, &sd);
	ck_assert(mean == 1 && sd == 0);

	memset(runs, 0, sizeof(runs));
	runs_of(&runs[0], "process", tight, 4);
	runs_of(&runs[10], "async", tight, 4);
	/* at least min_runs, whatever the spread */
	ck_assert_int_eq(cli_cmp_more_rounds(&s, runs, 2, 10, 0, 0), 1);
	ck_assert_int_eq(cli_cmp_more_rounds(&s, runs, 2, 10, 2, 1000), 1);
	/* 3 tight runs each: enough */
	ck_assert_int_eq(cli_cmp_more_rounds(&s, runs, 2, 10, 3, 1), 0);
	/* one model spreads 40%: more, until the budget or max_runs */
	runs_of(&runs[10], "async", loose, 4);
	ck_assert_int_eq(cli_cmp_more_rounds(&s, runs, 2, 10, 3, 1), 1);
	ck_assert_int_eq(cli_cmp_more_rounds(&s, runs, 2, 10, 4, 59.9), 1);
	ck_assert_int_eq(cli_cmp_more_rounds(&s, runs, 2, 10, 4, 60), 0);
	ck_assert_int_eq(cli_cmp_more_rounds(&s, runs, 2, 10, 10, 1), 0);
	/* failed runs do not count toward the spread */
	snprintf(runs[11].error, sizeof(runs[11].error), "lost");
	snprintf(runs[13].error, sizeof(runs[13].error), "lost");
	ck_assert_int_eq(cli_cmp_more_rounds(&s, runs, 2, 10, 4, 1), 0);
	/* --repeat 2: exactly two */
	s.min_runs = s.max_runs = 2;
	ck_assert_int_eq(cli_cmp_more_rounds(&s, runs, 2, 10, 1, 1e9), 1);
	ck_assert_int_eq(cli_cmp_more_rounds(&s, runs, 2, 10, 2, 0), 0);
}
END_TEST

START_TEST(mean_and_spread_of_the_runs)
{
	static const double w[] = { 1.0, 1.2, 1.1 };
	struct cli_cmp_row runs[3], out;

	runs_of(runs, "thread", w, 3);
	cli_cmp_aggregate(runs, 3, &out);
	ck_assert(fabs(out.wall_s - 1.1) < 1e-12);
	ck_assert(fabs(out.wall_sd_s - 0.1) < 1e-12);
	ck_assert(out.wall_min_s == 1.0 && out.wall_max_s == 1.2);
	ck_assert_uint_eq(out.runs, 3);
}
END_TEST

/* A row of 3 runs: mean wall, sd. */
static struct cli_cmp_row
mk3(const char *name, unsigned p, unsigned t, unsigned c, double wall,
    double sd, double cpu)
{
	struct cli_cmp_row r = mk(name, p, t, c, 100, wall, cpu, 20.1);

	r.runs = 3;
	r.wall_sd_s = sd;
	r.wall_min_s = wall - sd;
	r.wall_max_s = wall + sd;
	return r;
}

START_TEST(tie_when_the_intervals_overlap)
{
	struct cli_cmp_row rows[] = {
		mk3("process", 2, 1, 1, 1.00, 0.10, 1.6),
		mk3("thread", 1, 2, 1, 1.15, 0.10, 1.6),
		mk3("async", 1, 1, 100, 1.90, 0.05, 0.9),
	};
	struct cli_verdict v;

	cli_cmp_derive(rows, 3);
	cli_cmp_verdict_wl(rows, 3, CLI_NATURE_COMPUTES, &v);
	ck_assert_int_eq(v.winner, 0);
	ck_assert_int_eq(v.runner_up, 1);
	ck_assert_int_eq(v.tie, 1);	/* 1.00+0.10 >= 1.15-0.10 */
	ck_assert_int_eq(v.other, 2);
	HAS(v.text, "verdict: a tie: process wins by 1.15x over thread, but "
	    "their times overlap (1 \u00b1 0.1 s vs 1.15 \u00b1 0.1 s)");
	HAS(v.text, "1.9x ahead of async");
	/* apart: the same means with a tenth of the spread */
	rows[0].wall_sd_s = rows[1].wall_sd_s = 0.01;
	cli_cmp_verdict_wl(rows, 3, CLI_NATURE_COMPUTES, &v);
	ck_assert_int_eq(v.tie, 0);
	HAS(v.text, "verdict: process wins, 1.15x ahead of thread");
	ck_assert(strstr(v.text, "tie") == NULL);
	ck_assert_int_eq(cli_cmp_tied(&rows[0], &rows[1]), 0);
	ck_assert_int_eq(cli_cmp_tied(&rows[1], &rows[0]), 0);
}
END_TEST

START_TEST(cpu_verdict_never_says_the_jobs_wait)
{
	/*
	 * A loaded machine: the cpu jobs got a third of a core each, so
	 * the figures alone (0.34 cores busy) look like waiting jobs.
	 */
	struct cli_cmp_row rows[] = {
		mk3("process", 2, 1, 1, 0.60, 0.01, 0.20),
		mk3("async", 1, 1, 40, 1.20, 0.01, 0.21),
	};
	struct cli_verdict v;

	rows[0].mean_run_ms = 10;
	rows[1].mean_run_ms = 30;
	cli_cmp_derive(rows, 2);
	cli_cmp_verdict_wl(rows, 2, CLI_NATURE_COMPUTES, &v);
	ck_assert(strstr(v.text, "wait") == NULL);
	ck_assert(strstr(v.text, "blocking") == NULL);
	HAS(v.text, "the jobs compute, and async has one thread");
	/* the same figures on a blocking workload: the blocking calls */
	cli_cmp_verdict_wl(rows, 2, CLI_NATURE_BLOCKS, &v);
	HAS(v.text, "blocking calls serialised the async loop");
	/* and an io workload whose winner ran more at once: waiting */
	rows[1].procs = 2;
	cli_cmp_derive(rows, 2);
	cli_cmp_verdict_wl(rows, 2, CLI_NATURE_WAITS, &v);
	ck_assert(strstr(v.text, "the jobs compute") == NULL);
	HAS(v.text, "the jobs wait, not compute");
}
END_TEST

START_TEST(output_paths_refused_before_measuring)
{
	struct cli_cmp_opts o;
	struct cli_err e;
	const char *svg[] = { "--svg", "/nonexistent-dir/c.svg", NULL };
	const char *md[] = { "--export-markdown", "no-such-dir/c.md", NULL };
	const char *ok[] = { "--export-markdown", "c.md", "--export-json",
	    "/tmp/c.json", "--min-runs", "2", "--max-runs", "4",
	    "--time-budget", "10", "--max-spread", "2.5", NULL };
	const char *runs[] = { "--min-runs", "5", "--max-runs", "3", NULL };
	const char *rep[] = { "--repeat", "7", NULL };

	ck_assert_int_ne(parse(svg, &o, &e), 0);
	HAS(e.msg, "--svg /nonexistent-dir/c.svg: the directory "
	    "/nonexistent-dir does not exist");
	ck_assert_int_ne(parse(md, &o, &e), 0);
	HAS(e.msg, "the directory no-such-dir does not exist");
	ck_assert_int_eq(parse(ok, &o, &e), 0);
	ck_assert_str_eq(o.export_md, "c.md");
	ck_assert_uint_eq(o.min_runs, 2);
	ck_assert_uint_eq(o.max_runs, 4);
	ck_assert(o.budget_s == 10 && o.max_spread == 2.5);
	ck_assert_int_ne(parse(runs, &o, &e), 0);
	HAS(e.msg, "--min-runs 5 is over --max-runs 3");
	ck_assert_int_eq(parse(rep, &o, &e), 0);
	ck_assert_uint_eq(o.min_runs, 7);
	ck_assert_uint_eq(o.max_runs, 7);
	ck_assert_int_eq(parse(rep + 2, &o, &e), 0);	/* the defaults */
	ck_assert_uint_eq(o.min_runs, 3);
}
END_TEST

static Suite *
compare_suite(void)
{
	Suite *s = suite_create("compare");
	TCase *tc = tcase_create("verdict");

	tcase_add_test(tc, io_async_wins_because_jobs_wait);
	tcase_add_test(tc, cpu_process_beats_async_by_cores);
	tcase_add_test(tc, blocking_serialises_async);
	tcase_add_test(tc, noop_overhead_decides);
	tcase_add_test(tc, all_tied);
	tcase_add_test(tc, failed_rows_never_win);
	tcase_add_test(tc, aggregate_median_and_spread);
	tcase_add_test(tc, histogram_quantiles);
	tcase_add_test(tc, own_math_matches_libm);
	tcase_add_test(tc, options_and_their_errors);
	tcase_add_test(tc, repeat_until_the_spread_is_small);
	tcase_add_test(tc, mean_and_spread_of_the_runs);
	tcase_add_test(tc, tie_when_the_intervals_overlap);
	tcase_add_test(tc, cpu_verdict_never_says_the_jobs_wait);
	tcase_add_test(tc, output_paths_refused_before_measuring);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(compare_suite());
}
