/* SPDX-License-Identifier: MIT */
/*
 * test_progress.c - the progress line of `corun run` (src/cli/progress.c).
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

START_TEST(progress_line)
{
	char buf[160];

	cli_progress_format(buf, sizeof(buf), 0, 5, 10, 1, 2.0);
	ck_assert_str_eq(buf, "5/10 done, 2.5 jobs/s, ETA 0m02s");
	cli_progress_format(buf, sizeof(buf), 0, 5, 7, 0, 1.0);
	ck_assert_str_eq(buf, "5/7+ done, 5.0 jobs/s, ETA ?");
	cli_progress_format(buf, sizeof(buf), 1, 5, 10, 1, 1.0);
	ck_assert_str_eq(buf, " 50% [###############...............] "
	    "5/10 5.0/s ETA 0m01s");
}
END_TEST

static Suite *
progress_suite(void)
{
	Suite *s = suite_create("cli-progress");
	TCase *tc = tcase_create("progress");

	tcase_add_test(tc, progress_line);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(progress_suite());
}
