/* SPDX-License-Identifier: MIT */
/*
 * test_joblog.c - joblog rows (src/cli/joblog.c), as GNU parallel
 * --joblog writes them.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-util.h"
#include "cli/cli.h"
#include "cli-test.h"

START_TEST(joblog_rows)
{
	struct cli_logrow r = { 3, 1700000000.1234, 1.5, 12, 2, 0,
	    "printf '%s\\n' 'a\tb'" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_joblog_header(f);
	cli_joblog_row(f, &r);
	r.seq = 4, r.exitval = -1, r.signal = 15, r.command = "sleep 9";
	r.runtime = 12345.6789;
	cli_joblog_row(f, &r);
	fclose(f);
	ck_assert_str_eq(buf,
	    "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\t"
	    "Signal\tCommand\n"
	    "3\t:\t1700000000.123\t     1.500\t0\t12\t2\t0\t"
	    "printf '%s\\n' 'a\\tb'\n"
	    "4\t:\t1700000000.123\t 12345.679\t0\t12\t-1\t15\tsleep 9\n");
	free(buf);
}
END_TEST

/* A job a remote worker ran names its node; a local one is ":". */
START_TEST(joblog_host)
{
	struct cli_logrow r = { 5, 1700000000.5, 0.25, 0, 0, 0, "true" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	r.host = "n3";
	cli_joblog_row(f, &r);
	r.host = "";
	cli_joblog_row(f, &r);
	fclose(f);
	ck_assert_str_eq(buf,
	    "5\tn3\t1700000000.500\t     0.250\t0\t0\t0\t0\ttrue\n"
	    "5\t:\t1700000000.500\t     0.250\t0\t0\t0\t0\ttrue\n");
	free(buf);
}
END_TEST

static Suite *
joblog_suite(void)
{
	Suite *s = suite_create("cli-joblog");
	TCase *tc = tcase_create("joblog");

	tcase_add_test(tc, joblog_rows);
	tcase_add_test(tc, joblog_host);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(joblog_suite());
}
