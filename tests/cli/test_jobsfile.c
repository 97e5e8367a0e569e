/* SPDX-License-Identifier: MIT */
/*
 * test_jobsfile.c - the jobs file (src/cli/jobsfile.c): good and bad
 * lines, a file, a pipe.
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

static void
jobline_ok(const char *line, const char *kind, const char *pl,
    size_t len, const char *cmdline)
{
	struct cli_jobspec js;
	struct cli_err e;

	ck_assert_msg(cli_jobsfile_parse_line(line, strlen(line), &js, &e) ==
	    0, "%s: %s", line, e.msg);
	ck_assert_str_eq(js.kind, kind);
	ck_assert_uint_eq(js.len, len);
	if (len > 0) {
		ck_assert_int_eq(memcmp(js.payload, pl, len), 0);
	}
	ck_assert_str_eq(js.cmdline, cmdline);
	cli_jobspec_free(&js);
}

static void
jobline_bad(const char *line, const char *want)
{
	struct cli_jobspec js;
	struct cli_err e;

	ck_assert_msg(cli_jobsfile_parse_line(line, strlen(line), &js, &e) !=
	    0, "accepted %s", line);
	ck_assert_msg(strstr(e.msg, want) != NULL, "%s: \"%s\" not in "
	    "\"%s\"", line, want, e.msg);
}

START_TEST(jobs_lines)
{
	struct cli_jobspec js;
	struct cli_err e;
	const char *l;

	jobline_ok("{\"kind\":\"shell\",\"cmd\":\"echo hi | wc\"}", "shell",
	    "echo hi | wc", 13, "echo hi | wc");
	jobline_ok("{\"kind\":\"shell\",\"argv\":[\"printf\",\"%s\",\"a;b\"]}",
	    "shell", "printf\0%s\0a;b", 14, "printf '%s' 'a;b'");
	jobline_ok("{\"kind\":\"shell\",\"argv\":[\"my prog\"]}", "shell",
	    "'my prog'", 10, "'my prog'");
	jobline_ok("{\"kind\":\"shell\",\"argv\":[\"env\"],\"env\":{\"A\":"
	    "\"1 2\"}}", "shell", "env\0\0A=1 2", 11, "env");
	jobline_ok("{\"kind\":\"sleep\",\"ms\":10}", "sleep", "10", 2,
	    "sleep 10");
	jobline_ok("{\"kind\":\"cpu\",\"ms\":50}", "cpu", "50ms", 4,
	    "cpu 50ms");
	jobline_ok("{\"kind\":\"cpu\",\"iter\":1000}", "cpu", "1000iter", 8,
	    "cpu 1000iter");
	jobline_ok("{\"kind\":\"noop\"}", "noop", "", 0, "noop");
	jobline_ok("{\"kind\":\"net\",\"addr\":\"127.0.0.1:8080\",\"request\":"
	    "\"GET /\"}", "net", "127.0.0.1:8080\0GET /", 20,
	    "net '127.0.0.1:8080'");
	jobline_ok("{\"kind\":\"upper\",\"payload\":\"abc\"}", "upper", "abc",
	    3, "upper abc");

	l = "{\"kind\":\"sleep\",\"ms\":1,\"id\":\"j1\",\"timeout\":2.5,"
	    "\"retries\":3}";
	ck_assert_int_eq(cli_jobsfile_parse_line(l, strlen(l), &js, &e), 0);
	ck_assert_str_eq(js.id, "j1");
	ck_assert_str_eq(js.tagstr, "j1");
	ck_assert(js.timeout == 2.5);
	ck_assert_int_eq(js.retries, 3);
	cli_jobspec_free(&js);
	l = "{\"kind\":\"noop\",\"id\":42}";
	ck_assert_int_eq(cli_jobsfile_parse_line(l, strlen(l), &js, &e), 0);
	ck_assert_str_eq(js.id, "42");
	ck_assert(js.timeout < 0 && js.retries < 0);
	cli_jobspec_free(&js);
}
END_TEST

START_TEST(jobs_bad_lines)
{
	jobline_bad("{\"kind\":\"sleep\"", "invalid JSON");
	jobline_bad("[1]", "must be a JSON object");
	jobline_bad("{\"ms\":1}", "\"kind\" (a string) is missing");
	jobline_bad("{\"kind\":\"a b\"}", "is not a kind name");
	jobline_bad("{\"kind\":\"\"}", "is not a kind name");
	jobline_bad("{\"kind\":\"sleep\",\"ms\":-1}",
	    "\"ms\" must be a non-negative integer");
	jobline_bad("{\"kind\":\"sleep\",\"ms\":1.5}",
	    "\"ms\" must be a non-negative integer");
	jobline_bad("{\"kind\":\"sleep\",\"ms\":\"10\"}",
	    "\"ms\" must be a non-negative integer");
	jobline_bad("{\"kind\":\"sleep\"}",
	    "\"ms\" must be a non-negative integer");
	jobline_bad("{\"kind\":\"cpu\",\"ms\":1,\"iter\":2}", "not both");
	jobline_bad("{\"kind\":\"sleep\",\"ms\":1,\"timout\":1}",
	    "unknown field \"timout\" for kind \"sleep\"");
	jobline_bad("{\"kind\":\"noop\",\"cmd\":\"x\"}",
	    "unknown field \"cmd\"");
	jobline_bad("{\"kind\":\"shell\"}", "exactly one of \"cmd\" and");
	jobline_bad("{\"kind\":\"shell\",\"cmd\":\"a\",\"argv\":[\"a\"]}",
	    "exactly one of");
	jobline_bad("{\"kind\":\"shell\",\"cmd\":\"\"}", "\"cmd\" must be");
	jobline_bad("{\"kind\":\"shell\",\"cmd\":7}", "\"cmd\" must be");
	jobline_bad("{\"kind\":\"shell\",\"argv\":[]}", "\"argv\" must be");
	jobline_bad("{\"kind\":\"shell\",\"argv\":[\"a\",1]}",
	    "\"argv\"[1] must be");
	jobline_bad("{\"kind\":\"shell\",\"argv\":[\"\"]}",
	    "\"argv\"[0] must not be empty");
	jobline_bad("{\"kind\":\"shell\",\"cmd\":\"x\",\"env\":[]}",
	    "\"env\" must be");
	jobline_bad("{\"kind\":\"shell\",\"cmd\":\"x\",\"env\":{\"A=B\":\"\"}}",
	    "\"env\": \"A=B\"");
	jobline_bad("{\"kind\":\"shell\",\"cmd\":\"x\",\"env\":{\"A\":1}}",
	    "\"env\": \"A\"");
	jobline_bad("{\"kind\":\"net\",\"addr\":\"localhost\"}",
	    "\"addr\" must be");
	jobline_bad("{\"kind\":\"net\",\"addr\":\"h:99999\"}",
	    "\"addr\" must be");
	jobline_bad("{\"kind\":\"net\",\"addr\":\"h:80\",\"request\":1}",
	    "\"request\" must be");
	jobline_bad("{\"kind\":\"x\",\"payload\":[]}", "\"payload\" must be");
	jobline_bad("{\"kind\":\"noop\",\"timeout\":-1}", "\"timeout\" must");
	jobline_bad("{\"kind\":\"noop\",\"timeout\":\"1\"}", "\"timeout\"");
	jobline_bad("{\"kind\":\"noop\",\"retries\":1.5}", "\"retries\"");
	jobline_bad("{\"kind\":\"noop\",\"retries\":100000}",
	    "\"retries\" must be at most");
	jobline_bad("{\"kind\":\"noop\",\"id\":[1]}", "\"id\" must be");
	jobline_bad("{\"kind\":\"noop\",\"kind\":\"noop\"}", "invalid JSON");
}
END_TEST

START_TEST(jobs_file)
{
	static const char data[] =
	    "{\"kind\":\"noop\"}\n"
	    "\n"
	    "   \n"
	    "{\"kind\":\"sleep\",\"ms\":5}\n"
	    "{\"kind\":\"shell\",\"cmd\":\"true\"}";
	static const char bad[] =
	    "{\"kind\":\"noop\"}\n"
	    "{\"kind\":\"noop\"}\n"
	    "\n"
	    "{\"kind\":\"sleep\",\"ms\":-5}\n";
	struct cli_jobsfile jf;
	struct cli_jobspec js;
	struct cli_err e;
	char path[64];
	int n = 0;

	snprintf(path, sizeof(path), "%s", tmpfile_with(data,
	    sizeof(data) - 1));
	ck_assert_int_eq(cli_jobsfile_open(&jf, path, &e), 0);
	while (cli_jobsfile_next(&jf, &js, &e) == 0) {
		n++;
		if (n == 2) {
			ck_assert_str_eq(js.kind, "sleep");
		}
		cli_jobspec_free(&js);
	}
	ck_assert_int_eq(n, 3);
	cli_jobsfile_close(&jf);
	unlink(path);

	snprintf(path, sizeof(path), "%s", tmpfile_with(bad,
	    sizeof(bad) - 1));
	ck_assert_int_ne(cli_jobsfile_open(&jf, path, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, ":4: \"ms\" must be a "
	    "non-negative integer"));
	ck_assert_int_eq(strncmp(e.msg, path, strlen(path)), 0);
	unlink(path);
}
END_TEST

/* A jobs file on a pipe is checked, spooled, then read again. */
START_TEST(jobs_file_pipe)
{
	struct cli_jobsfile jf;
	struct cli_jobspec js;
	struct cli_err e;
	int fds[2], saved, n = 0;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "{\"kind\":\"noop\"}\n{\"kind\":"
	    "\"sleep\",\"ms\":1}\n", 40), 40);
	close(fds[1]);
	saved = dup(0);
	dup2(fds[0], 0);
	close(fds[0]);
	ck_assert_int_eq(cli_jobsfile_open(&jf, "-", &e), 0);
	while (cli_jobsfile_next(&jf, &js, &e) == 0) {
		n++;
		cli_jobspec_free(&js);
	}
	ck_assert_int_eq(n, 2);
	cli_jobsfile_close(&jf);
	dup2(saved, 0);
	close(saved);
}
END_TEST

static Suite *
jobsfile_suite(void)
{
	Suite *s = suite_create("cli-jobsfile");
	TCase *tc = tcase_create("jobsfile");

	tcase_add_test(tc, jobs_lines);
	tcase_add_test(tc, jobs_bad_lines);
	tcase_add_test(tc, jobs_file);
	tcase_add_test(tc, jobs_file_pipe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(jobsfile_suite());
}
