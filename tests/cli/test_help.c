/* SPDX-License-Identifier: MIT */
/*
 * test_help.c - every option in the tables of `corun run` and `corun
 * compare` has a line in help.c's table, and --help prints it.  A new
 * option row without its description fails here, by name.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-util.h"
#include "cli/args-internal.h"
#include "cli/compare.h"
#include "cli/help.h"

/* A documented option of cmd named n ("jobs"), or the letter n ("h"). */
static int
documented(const char *cmd, const char *n)
{
	if (strlen(n) == 1) {
		for (const char *l = "help"; l; l = NULL) {
			const struct cli_optdoc *d = cli_help_find(cmd, l);

			if (d != NULL && d->shrt == n[0]) {
				return 1;
			}
		}
	}
	return cli_help_find(cmd, n) != NULL;
}

START_TEST(every_run_option_is_described)
{
	const char *n;
	size_t i, missing = 0;

	for (i = 0; (n = cli_run_opt_name(i)) != NULL; i++) {
		if (!documented("run", n)) {
			fprintf(stderr, "corun run --%s: no line in "
			    "src/cli/help.c\n", n);
			missing++;
		}
	}
	ck_assert_uint_gt(i, 30);
	ck_assert_uint_eq(missing, 0);
}
END_TEST

START_TEST(every_compare_option_is_described)
{
	const char *n;
	size_t i, missing = 0;

	for (i = 0; (n = cli_compare_opt_name(i)) != NULL; i++) {
		if (!documented("compare", n)) {
			fprintf(stderr, "corun compare --%s: no line in "
			    "src/cli/help.c\n", n);
			missing++;
		}
	}
	ck_assert_uint_gt(i, 10);
	ck_assert_uint_eq(missing, 0);
}
END_TEST

START_TEST(help_prints_each_option_with_its_text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	cli_run_usage(f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "\noptions:\n"));
	ck_assert_ptr_nonnull(strstr(buf, "  -j, --jobs N "));
	ck_assert_ptr_nonnull(strstr(buf, "      --dry-run "));
	ck_assert_ptr_nonnull(strstr(buf, cli_help_find("run",
	    "keep-order")->text));
	free(buf);
	ck_assert_ptr_null(cli_help_find("run", "no-such-option"));
	ck_assert_ptr_null(cli_help_find("nosuchcmd", "jobs"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("help");
	TCase *tc = tcase_create("help");

	tcase_add_test(tc, every_run_option_is_described);
	tcase_add_test(tc, every_compare_option_is_described);
	tcase_add_test(tc, help_prints_each_option_with_its_text);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
