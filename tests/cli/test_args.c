/* SPDX-License-Identifier: MIT */
/*
 * test_args.c - the options of `corun run` (src/cli/args.c): every
 * option, and the messages for bad ones; --load's two meanings and its
 * start decision on given /proc/loadavg contents (pace.c); --limit's
 * built-in limits and their statuses on given numbers (limit.c).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-util.h"
#include "cli/cli.h"
#include "cli/pace.h"
#include "cli-test.h"
#include "cli/limit.h"

START_TEST(opts_all)
{
	struct cli_run_opts o;

	PARSE_OK(&o, "-j4", "--model", "async", "--offload", "--load",
	    "a.so", "--load=b.so", "-k", "--joblog", "log", "--results=r",
	    "--timeout", "1.5", "--retries", "2", "--halt", "now,fail=1",
	    "--tag", "--line-buffer", "--json", "--bar", "--progress",
	    "--dry-run", "-a", "f1", "--arg-file=f2", "-0", "echo", "x",
	    "{}", ":::", "a", "b", "::::", "f3", "f4");
	ck_assert_uint_eq(o.jobs, 4);
	ck_assert_int_eq(o.model, CORUN_MODEL_ASYNC);
	ck_assert_int_eq(o.offload, 1);
	ck_assert_uint_eq(o.load.n, 2);
	ck_assert_str_eq(o.load.v[1], "b.so");
	ck_assert(o.keep_order && o.tag && o.line_buffer && o.json);
	ck_assert(o.bar && o.progress && o.dry_run && o.null_sep);
	ck_assert_str_eq(o.joblog, "log");
	ck_assert_str_eq(o.results, "r");
	ck_assert(o.timeout == 1.5);
	/* --retries 2: two runs in all, one after the first. */
	ck_assert_int_eq(o.retries, 1);
	ck_assert_int_eq(o.halt.when, CLI_HALT_NOW);
	ck_assert_uint_eq(o.ncmd, 3);
	ck_assert_str_eq(o.cmd[2], "{}");
	/* -a f1, -a f2, ::: a b, :::: f3, :::: f4 */
	ck_assert_uint_eq(o.ngroups, 5);
	ck_assert(o.groups[0].is_file && o.groups[1].is_file);
	ck_assert_str_eq(o.groups[1].path, "f2");
	ck_assert(!o.groups[2].is_file);
	ck_assert_uint_eq(o.groups[2].vals.n, 2);
	ck_assert_str_eq(o.groups[4].path, "f4");
	cli_run_opts_free(&o);

	PARSE_OK(&o, "--jobs", "0", "-k0", "--", "-x", ":::", "1");
	ck_assert(o.keep_order && o.null_sep);
	ck_assert_uint_eq(o.ncmd, 1);
	ck_assert_str_eq(o.cmd[0], "-x");
	cli_run_opts_free(&o);

	PARSE_OK(&o, "--procs", "2", "--threads=3", "echo");
	ck_assert_int_eq(o.model, CORUN_MODEL_CUSTOM);
	ck_assert_uint_eq(o.procs, 2);
	ck_assert_uint_eq(o.threads, 3);
	ck_assert_uint_eq(o.concurrency, 1);
	cli_run_opts_free(&o);

	/* Options after the command belong to the command. */
	PARSE_OK(&o, "grep", "-k", "x");
	ck_assert(!o.keep_order);
	ck_assert_uint_eq(o.ncmd, 3);
	cli_run_opts_free(&o);

	PARSE_OK(&o, "--jobs-file", "-");
	ck_assert_str_eq(o.jobs_file, "-");
	cli_run_opts_free(&o);
}
END_TEST

START_TEST(opts_bad)
{
	PARSE_BAD("-j: \"x\"", "-j", "x", "echo");
	PARSE_BAD("--jobs: \"-x\"", "--jobs=-x", "echo");
	PARSE_BAD("-j needs a value", "-j");
	PARSE_BAD("unknown option \"--frobnicate\"", "--frobnicate");
	PARSE_BAD("unknown option \"-z\"", "-kz");
	PARSE_BAD("--model: unknown model \"fibers\"", "--model=fibers");
	PARSE_BAD("--procs: \"0\"", "--procs", "0");
	PARSE_BAD("--threads: \"two\"", "--threads", "two");
	PARSE_BAD("--concurrency: \"1.5\"", "--concurrency", "1.5");
	PARSE_BAD("--timeout: \"0\"", "--timeout", "0");
	PARSE_BAD("--timeout: \"-3\"", "--timeout", "-3");
	PARSE_BAD("--timeout: \"abc\"", "--timeout=abc");
	PARSE_BAD("--retries: \"-1\"", "--retries", "-1");
	PARSE_BAD("--halt: \"sometimes\"", "--halt", "sometimes");
	PARSE_BAD("--halt-on-error: \"now,fail=x\"", "--halt-on-error",
	    "now,fail=x");
	PARSE_BAD("--tag takes no value", "--tag=1");
	PARSE_BAD("--results: empty", "--results=");
	PARSE_BAD("--load: empty", "--load", "");
	PARSE_BAD(":::: needs at least one file", "echo", "::::");
	PARSE_BAD("--jobs-file cannot be combined", "--jobs-file", "f",
	    "echo");
	PARSE_BAD("--jobs-file cannot be combined", "--jobs-file", "f",
	    ":::", "a");
}
END_TEST

/* --plugin FILE.so; --load FILE.so or a path is the plugin, else N. */
START_TEST(opts_load)
{
	struct cli_run_opts o;
	struct cli_pace p;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	double retry = 0, x = 0;

	PARSE_OK(&o, "--plugin", "p.so", "--load", "./up", "--load=q.so",
	    "echo");
	ck_assert_uint_eq(o.load.n, 3);
	ck_assert_str_eq(o.load.v[0], "p.so");
	ck_assert_str_eq(o.load.v[1], "./up");
	ck_assert(o.max_load == 0);
	cli_run_opts_free(&o);
	PARSE_OK(&o, "--load", "2.5", "echo");
	ck_assert_uint_eq(o.load.n, 0);
	ck_assert(o.max_load == 2.5);
	cli_run_opts_free(&o);
	PARSE_OK(&o, "--load", "200%", "echo");
	ck_assert(o.max_load == 2.0 * (double)cores);
	cli_run_opts_free(&o);
	PARSE_BAD("--load: \"fast\" is neither a load", "--load", "fast");
	PARSE_BAD("--load: \"+5%\" is neither a load", "--load", "+5%");

	/* the forms: N, N%, +N, -N against 4 cores; 0 is 0.01 */
	ck_assert(cli_load_parse("3", 4, &x) == 0 && x == 3);
	ck_assert(cli_load_parse("50%", 4, &x) == 0 && x == 2);
	ck_assert(cli_load_parse("+2", 4, &x) == 0 && x == 6);
	ck_assert(cli_load_parse("-1", 4, &x) == 0 && x == 3);
	ck_assert(cli_load_parse("0", 4, &x) == 0 && x == 0.01);
	ck_assert(cli_load_parse("-9", 4, &x) == 0 && x == 0.01);
	ck_assert(cli_load_parse("1x", 4, &x) != 0);
	ck_assert(cli_load_parse("", 4, &x) != 0);

	/* the runnable count less the reader; garbage is unknown (-1) */
	ck_assert(cli_load_from("0.50 0.40 0.30 5/300 1234\n") == 4);
	ck_assert(cli_load_from("9.00 9.00 9.00 1/300 1234\n") == 0);
	ck_assert(cli_load_from("nonsense") == -1);

	/* the decision: start below the limit, hold at or above it */
	memset(&p, 0, sizeof(p));
	p.max_load = 3;
	ck_assert(cli_pace_ok(&p, 10, -1,
	    cli_load_from("7.0 7.0 7.0 3/200 9\n"), &retry) == 1);
	ck_assert(cli_pace_ok(&p, 10, -1,
	    cli_load_from("0.1 0.1 0.1 4/200 9\n"), &retry) == 0);
	ck_assert(retry > 0 && retry <= 1);
	/* an unknown load holds, as parallel takes it */
	ck_assert(cli_pace_ok(&p, 10, -1, -1, &retry) == 0);
	p.max_load = 0;
	ck_assert(cli_pace_ok(&p, 10, -1, 50, &retry) == 1);
}
END_TEST

/* /proc/diskstats lines: sda 500 ms busy, sdb 50 ms, in 1000 ms. */
static const char disk0[] =
    "   8       0 sda 10 0 80 5 10 0 80 5 0 1000 10 0 0 0 0\n"
    "   8      16 sdb 10 0 80 5 10 0 80 5 0 2000 10 0 0 0 0\n";
static const char disk1[] =
    "   8       0 sda 20 0 90 9 20 0 90 9 0 1500 20 0 0 0 0\n"
    "   8      16 sdb 20 0 90 9 20 0 90 9 0 2050 20 0 0 0 0\n"
    "   8      32 sdc 1 0 1 1 1 0 1 1 0 9999 1 0 0 0 0\n";

START_TEST(limit_builtins)
{
	struct cli_run_opts o;

	PARSE_OK(&o, "--limit", "io 50", "--limit", "load 3", "--limit",
	    "mem 2G", "--limit", "memory-check.sh 1", "echo");
	ck_assert_str_eq(o.limit, "memory-check.sh 1");
	cli_run_opts_free(&o);
	PARSE_BAD("--limit: \"io 101\": the built-in limit is io N",
	    "--limit", "io 101");
	PARSE_BAD("--limit: \"mem\": the built-in limit is mem SIZE",
	    "--limit", "mem");
	PARSE_BAD("--limit: \"load x\": the built-in limit is load N",
	    "--limit", "load x");
	PARSE_BAD("--limit: \"load 1 2\"", "--limit", "load 1 2");

	/* the busiest disk over the time between the two looks */
	ck_assert(cli_io_busy(disk0, disk1, 1000) == 50);
	ck_assert(cli_io_busy(disk0, disk1, 250) == 100);
	ck_assert(cli_io_busy(disk1, disk1, 1000) == 0);
	ck_assert(cli_io_busy(NULL, disk1, 1000) == -1);

	/* io 1, load 2, mem 3: 0 start, 1 hold, 2 kill the youngest */
	ck_assert_int_eq(cli_limit_decide(1, 40, 39), 0);
	ck_assert_int_eq(cli_limit_decide(1, 40, 41), 1);
	ck_assert_int_eq(cli_limit_decide(2, 3, 3), 0);
	ck_assert_int_eq(cli_limit_decide(2, 3, 4), 1);
	ck_assert_int_eq(cli_limit_decide(3, 1000, 1000), 0);
	ck_assert_int_eq(cli_limit_decide(3, 1000, 999), 1);
	ck_assert_int_eq(cli_limit_decide(3, 1000, 499), 2);
	ck_assert_int_eq(cli_limit_decide(2, 3, -1), 1);
	/* the built-ins measured here: far below and far above */
	ck_assert_int_eq(cli_limit_run("load 100000"), 0);
	ck_assert_int_eq(cli_limit_run("mem 1k"), 0);
	ck_assert_int_eq(cli_limit_run("mem 1000000000G"), 2);
	ck_assert_int_eq(cli_limit_run("io 100"), 0);
}
END_TEST

static Suite *
args_suite(void)
{
	Suite *s = suite_create("cli-args");
	TCase *tc = tcase_create("args");

	tcase_add_test(tc, opts_all);
	tcase_add_test(tc, opts_bad);
	tcase_add_test(tc, opts_load);
	tcase_add_test(tc, limit_builtins);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(args_suite());
}
