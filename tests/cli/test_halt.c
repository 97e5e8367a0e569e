/* SPDX-License-Identifier: MIT */
/*
 * test_halt.c - the halt policy (src/cli/halt.c): parsing --halt,
 * deciding when it triggers, and the exit status of `corun run`.
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

START_TEST(halt_parse)
{
	struct cli_halt h;
	struct cli_err e;

	ck_assert_int_eq(cli_halt_parse("never", &h, &e), 0);
	ck_assert_int_eq(h.when, CLI_HALT_NEVER);
	ck_assert_int_eq(cli_halt_parse("now,fail=1", &h, &e), 0);
	ck_assert(h.when == CLI_HALT_NOW && h.why == CLI_HALT_FAIL &&
	    h.value == 1 && !h.percent);
	ck_assert_int_eq(cli_halt_parse("soon,fail=20%", &h, &e), 0);
	ck_assert(h.when == CLI_HALT_SOON && h.percent && h.value == 20);
	ck_assert_int_eq(cli_halt_parse("now,success=1", &h, &e), 0);
	ck_assert_int_eq(h.why, CLI_HALT_SUCCESS);
	ck_assert_int_eq(cli_halt_parse("now,done=5", &h, &e), 0);
	ck_assert(h.why == CLI_HALT_DONE && h.value == 5);
	/* GNU parallel's old forms. */
	ck_assert_int_eq(cli_halt_parse("2", &h, &e), 0);
	ck_assert(h.when == CLI_HALT_NOW && h.why == CLI_HALT_FAIL);
	ck_assert_int_eq(cli_halt_parse("-1", &h, &e), 0);
	ck_assert(h.when == CLI_HALT_SOON && h.why == CLI_HALT_SUCCESS);
	ck_assert_int_eq(cli_halt_parse("30%", &h, &e), 0);
	ck_assert(h.when == CLI_HALT_SOON && h.percent && h.value == 30);
	ck_assert_int_eq(cli_halt_parse("0", &h, &e), 0);
	ck_assert_int_eq(h.when, CLI_HALT_NEVER);

	ck_assert_int_ne(cli_halt_parse("now", &h, &e), 0);
	ck_assert_int_ne(cli_halt_parse("later,fail=1", &h, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "\"later\" is not now or soon"));
	ck_assert_int_ne(cli_halt_parse("now,fail", &h, &e), 0);
	ck_assert_int_ne(cli_halt_parse("now,fail=0", &h, &e), 0);
	ck_assert_int_ne(cli_halt_parse("now,fail=101%", &h, &e), 0);
	ck_assert_int_ne(cli_halt_parse("now,fail=%", &h, &e), 0);
	ck_assert_int_ne(cli_halt_parse("now,done=-2", &h, &e), 0);
	ck_assert_int_ne(cli_halt_parse("3", &h, &e), 0);
}
END_TEST

START_TEST(halt_decide)
{
	struct cli_halt h;
	struct cli_tally t = { 10, 1, 0, 0, 0, -1 };
	struct cli_err e;

	ck_assert_int_eq(cli_halt_parse("never", &h, &e), 0);
	t.done = t.failed = 10;
	ck_assert(!cli_halt_triggered(&h, &t));

	ck_assert_int_eq(cli_halt_parse("soon,fail=3", &h, &e), 0);
	t.done = 5, t.failed = 2, t.succeeded = 3;
	ck_assert(!cli_halt_triggered(&h, &t));
	t.failed = 3;
	ck_assert(cli_halt_triggered(&h, &t));

	ck_assert_int_eq(cli_halt_parse("now,success=2", &h, &e), 0);
	t.succeeded = 1;
	ck_assert(!cli_halt_triggered(&h, &t));
	t.succeeded = 2;
	ck_assert(cli_halt_triggered(&h, &t));

	ck_assert_int_eq(cli_halt_parse("now,done=5", &h, &e), 0);
	t.done = 4;
	ck_assert(!cli_halt_triggered(&h, &t));
	t.done = 5;
	ck_assert(cli_halt_triggered(&h, &t));

	/* 20% of 10 jobs is 2 failures. */
	ck_assert_int_eq(cli_halt_parse("soon,fail=20%", &h, &e), 0);
	t.failed = 1;
	ck_assert(!cli_halt_triggered(&h, &t));
	t.failed = 2;
	ck_assert(cli_halt_triggered(&h, &t));
}
END_TEST

START_TEST(exit_status)
{
	struct cli_halt never = { CLI_HALT_NEVER, CLI_HALT_FAIL, 0, 0 };
	struct cli_halt h;
	struct cli_tally t = { 200, 1, 0, 0, 0, -1 };
	struct cli_err e;

	ck_assert_int_eq(cli_exit_status(&never, &t, 0, 0), 0);
	t.failed = 1;
	ck_assert_int_eq(cli_exit_status(&never, &t, 0, 0), 1);
	t.failed = 100;
	ck_assert_int_eq(cli_exit_status(&never, &t, 0, 0), 100);
	t.failed = 101;
	ck_assert_int_eq(cli_exit_status(&never, &t, 0, 0), 101);
	t.failed = 150;
	ck_assert_int_eq(cli_exit_status(&never, &t, 0, 0), 101);
	ck_assert_int_eq(cli_exit_status(&never, &t, 0, 2), 130);
	ck_assert_int_eq(cli_exit_status(&never, &t, 0, 15), 143);

	/* fail=1: the failing job's exit code. */
	ck_assert_int_eq(cli_halt_parse("now,fail=1", &h, &e), 0);
	t.failed = 1, t.last_fail_exit = 7;
	ck_assert_int_eq(cli_exit_status(&h, &t, 1, 0), 7);
	t.last_fail_exit = -1;	/* killed by a signal */
	ck_assert_int_eq(cli_exit_status(&h, &t, 1, 0), 1);
	/* success=: 0 even if some failed. */
	ck_assert_int_eq(cli_halt_parse("now,success=1", &h, &e), 0);
	t.failed = 4;
	ck_assert_int_eq(cli_exit_status(&h, &t, 1, 0), 0);
	/* fail=Y%: the percentage that failed (rounded up). */
	ck_assert_int_eq(cli_halt_parse("soon,fail=1%", &h, &e), 0);
	t.failed = 3, t.total = 200;
	ck_assert_int_eq(cli_exit_status(&h, &t, 1, 0), 2);
	/* fail=N with N > 1: the number of failures. */
	ck_assert_int_eq(cli_halt_parse("soon,fail=2", &h, &e), 0);
	t.failed = 2;
	ck_assert_int_eq(cli_exit_status(&h, &t, 1, 0), 2);
}
END_TEST

static Suite *
halt_suite(void)
{
	Suite *s = suite_create("cli-halt");
	TCase *tc = tcase_create("halt");

	tcase_add_test(tc, halt_parse);
	tcase_add_test(tc, halt_decide);
	tcase_add_test(tc, exit_status);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(halt_suite());
}
