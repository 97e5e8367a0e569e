/* SPDX-License-Identifier: MIT */
/*
 * test_input.c - the input of `corun run` (src/cli/input.c): argument
 * files, a missing file, and stdin streamed as a group.
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

START_TEST(input_files)
{
	struct cli_run_opts o;
	char f1[64], f2[64], *got;
	const char *w[] = { "-a", f1, "-a", f2, "echo", NULL };
	const char *w0[] = { "-0", "-a", f1, "echo", NULL };
	const char *w4[] = { "echo", "::::", f1, ":::", "x", NULL };
	struct cli_err e;

	snprintf(f1, sizeof(f1), "%s", tmpfile_with("1\n2\n", 4));
	snprintf(f2, sizeof(f2), "%s", tmpfile_with("a\nb c", 5));
	ck_assert_int_eq(parse(&o, &e, w), 0);
	got = expand_all(&o);
	ck_assert_str_eq(got, "echo 1 a|echo 1 'b c'|echo 2 a|echo 2 'b c'");
	free(got);
	cli_run_opts_free(&o);
	ck_assert_int_eq(parse(&o, &e, w4), 0);
	got = expand_all(&o);
	ck_assert_str_eq(got, "echo 1 x|echo 2 x");
	free(got);
	cli_run_opts_free(&o);
	unlink(f1);

	snprintf(f1, sizeof(f1), "%s", tmpfile_with("a\nb\0c d\0", 8));
	ck_assert_int_eq(parse(&o, &e, w0), 0);
	got = expand_all(&o);
	ck_assert_str_eq(got, "echo 'a\nb'|echo 'c d'");
	free(got);
	cli_run_opts_free(&o);
	unlink(f1);
	unlink(f2);
}
END_TEST

START_TEST(input_missing_file)
{
	struct cli_run_opts o;
	struct cli_input in;
	struct cli_err e;
	const char *w[] = { "echo", ":::", "a", "::::", "/nonexistent/f",
	    NULL };

	ck_assert_int_eq(parse(&o, &e, w), 0);
	ck_assert_int_ne(cli_input_open(&in, &o, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/f"));
	cli_run_opts_free(&o);
}
END_TEST

/* A pipe as group 0: streamed, EAGAIN when nothing is there yet. */
START_TEST(input_stream)
{
	struct cli_run_opts o;
	struct cli_input in;
	struct cli_err e;
	const char **args;
	const char *w[] = { "echo", ":::", "x", "y", NULL };
	int fds[2], saved;

	ck_assert_int_eq(pipe(fds), 0);
	saved = dup(0);
	dup2(fds[0], 0);
	close(fds[0]);
	ck_assert_int_eq(parse(&o, &e, w), 0);
	/* Make stdin group 0: a :::: - group first. */
	cli_run_opts_free(&o);
	{
		const char *w2[] = { "echo", "::::", "-", ":::", "x", "y",
		    NULL };

		ck_assert_int_eq(parse(&o, &e, w2), 0);
	}
	ck_assert_int_eq(cli_input_open(&in, &o, &e), 0);
	ck_assert_int_eq(cli_input_fd(&in), 0);
	ck_assert_int_eq(cli_input_next(&in, 1, &args, &e), CORUN_EAGAIN);
	ck_assert_int_eq(write(fds[1], "a\nb", 3), 3);
	ck_assert_int_eq(cli_input_next(&in, 1, &args, &e), 0);
	ck_assert_str_eq(args[0], "a");
	ck_assert_str_eq(args[1], "x");
	ck_assert_int_eq(cli_input_next(&in, 1, &args, &e), 0);
	ck_assert_str_eq(args[0], "a");
	ck_assert_str_eq(args[1], "y");
	/* "b" has no newline yet: wait, and the odometer must not move. */
	ck_assert_int_eq(cli_input_next(&in, 1, &args, &e), CORUN_EAGAIN);
	ck_assert_int_eq(cli_input_next(&in, 1, &args, &e), CORUN_EAGAIN);
	close(fds[1]);
	ck_assert_int_eq(cli_input_next(&in, 1, &args, &e), 0);
	ck_assert_str_eq(args[0], "b");
	ck_assert_str_eq(args[1], "x");
	ck_assert_int_eq(cli_input_next(&in, 1, &args, &e), 0);
	ck_assert_str_eq(args[1], "y");
	ck_assert_int_eq(cli_input_next(&in, 1, &args, &e), CORUN_EDONE);
	cli_input_close(&in);
	cli_run_opts_free(&o);
	dup2(saved, 0);
	close(saved);
}
END_TEST

static Suite *
input_suite(void)
{
	Suite *s = suite_create("cli-input");
	TCase *tc = tcase_create("input");

	tcase_add_test(tc, input_files);
	tcase_add_test(tc, input_missing_file);
	tcase_add_test(tc, input_stream);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(input_suite());
}
