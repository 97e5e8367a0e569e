/* SPDX-License-Identifier: MIT */
/*
 * test_output.c - the output records of `corun run` (src/cli/output.c):
 * a job's outcome as JSON and as a joblog row, and tagged output.
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

START_TEST(outcome_json)
{
	struct cli_jobspec js = { 0 };
	struct corun_job_result res = { 0 };
	struct cli_outcome oc = { &js, &res, CORUN_EFAILED, "" };
	struct cli_logrow row;
	char *s;

	js.seq = 7;
	js.kind = "shell";
	js.cmdline = "echo 'a b'";
	cli_strv_push(&js.args, "a b");
	res.exit_code = 3;
	res.status = CORUN_EFAILED;
	res.attempts = 2;
	res.start_ns = 1500000000ULL;
	res.end_ns = 4000000000ULL;
	res.out = "hi\n\xff";
	res.out_len = 4;
	res.err = "";
	res.worker_pid = 99;
	s = cli_outcome_json(&oc);
	ck_assert_str_eq(s, "{\"seq\":7,\"kind\":\"shell\",\"command\":"
	    "\"echo 'a b'\",\"args\":[\"a b\"],\"status\":\"failed\",\"exit\":3,"
	    "\"signal\":0,\"stdout\":\"hi\\n\xef\xbf\xbd\",\"stderr\":\"\","
	    "\"start\":1.5,\"runtime\":2.5,\"attempts\":2,\"worker_pid\":99}");
	free(s);
	cli_outcome_logrow(&oc, &row);
	ck_assert_int_eq(row.exitval, 3);
	ck_assert_uint_eq(row.receive, 4);
	ck_assert(row.runtime == 2.5);
	cli_strv_free(&js.args);

	/* Never ran (lost): exit -1, the reason in "error". */
	oc.res = NULL;
	oc.status = CORUN_ELOST;
	oc.message = "worker lost: signal 9";
	s = cli_outcome_json(&oc);
	ck_assert_ptr_nonnull(strstr(s, "\"status\":\"lost\",\"exit\":-1"));
	ck_assert_ptr_nonnull(strstr(s, "\"error\":\"worker lost: signal "
	    "9\""));
	free(s);
}
END_TEST

START_TEST(tagged)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_write_tagged(f, "a 1", "x\ny\n", 4, 0);
	cli_write_tagged(f, "b", "no newline", 10, 1);
	cli_write_tagged(f, NULL, "raw", 3, 0);
	fclose(f);
	ck_assert_str_eq(buf, "a 1\tx\na 1\ty\nb\tno newline\nraw");
	free(buf);
}
END_TEST

static Suite *
output_suite(void)
{
	Suite *s = suite_create("cli-output");
	TCase *tc = tcase_create("output");

	tcase_add_test(tc, outcome_json);
	tcase_add_test(tc, tagged);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(output_suite());
}
