/* SPDX-License-Identifier: MIT */
/*
 * test_pipe_split.c - the pure part of --pipe/--pipepart
 * (src/cli/pipe-split.c): where a block ends as GNU parallel cuts it,
 * the escapes of --recend/--recstart, -N, --header, the split points of
 * a file, the size suffixes; and --resume's reading of a joblog
 * (src/cli/resume.c).
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-util.h"
#include "cli/cli.h"
#include "cli/pipe.h"
#include "cli-test.h"

static void
split_for(struct cli_split *s, const char *recstart, const char *recend,
    unsigned records)
{
	struct cli_run_opts o;
	struct cli_err e;

	memset(&o, 0, sizeof(o));
	o.recstart = recstart;
	o.recend = recend;
	o.g.max_args = records;		/* -N */
	o.g.n_given = records > 0;
	ck_assert_int_eq(cli_split_init(s, &o, &e), 0);
}

START_TEST(pass_cuts_at_the_last_newline)
{
	struct cli_split s;
	char buf[] = "1\n2\n3";

	split_for(&s, NULL, NULL, 0);
	ck_assert_uint_eq(cli_split_pass(&s, buf, 5, 0), 4);
	/* at the end of input the rest is the last block, not a pass */
	ck_assert_uint_eq(cli_split_pass(&s, buf, 5, 1), 0);
	ck_assert_uint_eq(cli_split_pass(&s, "abc", 3, 0), 0);
	cli_split_free(&s);
}
END_TEST

START_TEST(recend_recstart_and_escapes)
{
	struct cli_split s;
	const char *in = "/foo, bar/, /baz, qux/, ";

	split_for(&s, "/", ", ", 0);
	/* both: ", " followed by "/"; the cut after ", " */
	ck_assert_uint_eq(cli_split_pass(&s, in, strlen(in), 0), 12);
	cli_split_free(&s);
	split_for(&s, NULL, "\\0", 0);
	ck_assert_uint_eq(s.lend, 1);
	ck_assert_uint_eq(cli_split_pass(&s, "a\0b\0c", 5, 0), 4);
	cli_split_free(&s);
	/* --recend '': every byte is a boundary */
	split_for(&s, NULL, "", 0);
	ck_assert_uint_eq(cli_split_pass(&s, "abc", 3, 0), 3);
	cli_split_free(&s);
}
END_TEST

START_TEST(n_records)
{
	struct cli_split s;

	split_for(&s, NULL, NULL, 2);
	ck_assert_uint_eq(cli_split_pass(&s, "1\n2\n3\n", 6, 0), 4);
	ck_assert_uint_eq(cli_split_pass(&s, "3\n", 2, 1), 0);
	cli_split_free(&s);
}
END_TEST

/* -L alone with --pipe: the whole groups of L lines, at eof too. */
START_TEST(l_line_records)
{
	struct cli_run_opts o;
	struct cli_split s;
	struct cli_err e;

	memset(&o, 0, sizeof(o));
	o.g.max_lines = 3;
	ck_assert_int_eq(cli_split_init(&s, &o, &e), 0);
	ck_assert_uint_eq(s.lines, 3);
	ck_assert_uint_eq(cli_split_pass(&s, "1\n2\n3\n4\n5\n", 10, 0), 6);
	ck_assert_uint_eq(cli_split_pass(&s, "1\n2\n3\n4\n5\n6\n7", 13, 1),
	    12);
	ck_assert_uint_eq(cli_split_pass(&s, "1\n2\n", 4, 0), 0);
	ck_assert_uint_eq(cli_split_pass(&s, "1\n2\n", 4, 1), 0);
	cli_split_free(&s);
	/* with -N, -L multiplies the records instead */
	o.g.max_args = 2;
	o.g.n_given = 1;
	ck_assert_int_eq(cli_split_init(&s, &o, &e), 0);
	ck_assert_uint_eq(s.lines, 0);
	ck_assert_uint_eq(s.records, 6);
	cli_split_free(&s);
}
END_TEST

/* -N with --regexp: N split points; input before --recstart apart. */
START_TEST(n_regexp_records)
{
	struct cli_run_opts o;
	struct cli_split s;
	struct cli_err e;
	char in[] = ">a\n1\n>b\n2\n>c\n3\n";
	char junk[] = "junk\n>a\n1\n>b\n";

	memset(&o, 0, sizeof(o));
	o.regexp = 1;
	o.recstart = ">";
	o.recend = "\\n";
	o.g.max_args = 2;
	o.g.n_given = 1;
	ck_assert_int_eq(cli_split_init(&s, &o, &e), 0);
	ck_assert_uint_eq(s.lend, 1);	/* \n is the newline */
	ck_assert_uint_eq(cli_split_pass(&s, in, strlen(in), 0), 10);
	ck_assert_uint_eq(cli_split_pass(&s, in + 10, strlen(in) - 10, 1),
	    0);
	ck_assert_uint_eq(cli_split_garbage(&s, in, strlen(in)), 0);
	ck_assert_uint_eq(cli_split_garbage(&s, junk, strlen(junk)), 5);
	cli_split_free(&s);
}
END_TEST

/* The records per block of a parsed command line (0: by --block). */
static unsigned
records_of(const char *a1, const char *a2)
{
	char *argv[] = { "--pipe", (char *)a1, (char *)a2, "wc", NULL };
	struct cli_run_opts o;
	struct cli_err e;
	unsigned n;

	ck_assert_int_eq(cli_run_opts_parse(4, argv, &o, &e), 0);
	n = cli_pipe_records(&o);
	cli_run_opts_free(&o);
	return n;
}

/* -N is the command-forming option's: --pipe counts records with it,
 * with -n too, times -L; -N0 is by --block, as parallel. */
START_TEST(n_is_the_max_args_option)
{
	char *bad[] = { "--pipe", "--max-records", "3", "wc", NULL };
	struct cli_run_opts o;
	struct cli_err e;

	ck_assert_uint_eq(records_of("-N", "3"), 3);
	ck_assert_uint_eq(records_of("-n", "4"), 4);
	ck_assert_uint_eq(records_of("-N0", "-k"), 0);
	ck_assert_uint_eq(records_of("-N2", "-L3"), 6);
	ck_assert_uint_eq(records_of("-k", "-j2"), 0);
	ck_assert_int_ne(cli_run_opts_parse(4, bad, &o, &e), 0);
	cli_run_opts_free(&o);
}
END_TEST

START_TEST(header_lines_and_pattern)
{
	struct cli_header h;
	struct cli_err e;
	char buf[64] = "%h1\n%h2\n1\n2\n";
	int complete;

	ck_assert_int_eq(cli_header_spec(":", &h, &e), 0);
	ck_assert_uint_eq(cli_header_len(&h, buf, strlen(buf), &complete), 4);
	ck_assert_int_eq(complete, 1);
	ck_assert_int_eq(cli_header_spec("2", &h, &e), 0);
	ck_assert_uint_eq(cli_header_len(&h, buf, strlen(buf), &complete), 8);
	ck_assert_uint_eq(cli_header_len(&h, buf, 5, &complete), 0);
	ck_assert_int_eq(complete, 0);
	ck_assert_int_eq(cli_header_spec("(%.*\\n)*", &h, &e), 0);
	ck_assert_uint_eq(cli_header_len(&h, buf, strlen(buf), &complete), 8);
	cli_header_free(&h);
}
END_TEST

START_TEST(sizes)
{
	double v;

	ck_assert_int_eq(cli_parse_size("1M", &v), 0);
	ck_assert(v == 1048576.0);
	ck_assert_int_eq(cli_parse_size("2k", &v), 0);
	ck_assert(v == 2000.0);
	ck_assert_int_eq(cli_parse_size("1.5Ki", &v), 0);
	ck_assert(v == 1536.0);
	ck_assert_int_eq(cli_parse_size("-10", &v), 0);
	ck_assert(v == -10.0);
	ck_assert_int_ne(cli_parse_size("10Q", &v), 0);
	ck_assert_int_ne(cli_parse_size("", &v), 0);
}
END_TEST

START_TEST(pipepart_positions)
{
	char path[] = "/tmp/cr-split.XXXXXX";
	const char *data = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
	struct cli_split s;
	struct cli_err e;
	off_t *pos;
	size_t n;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, data, strlen(data)), (int)strlen(data));
	split_for(&s, NULL, NULL, 0);
	/* as parallel: from each multiple of 6, past the next newline */
	ck_assert_int_eq(cli_pipepart_positions(fd, 21, 0, 6, &s, &pos, &n,
	    &e), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(pos[0], 0);
	ck_assert_int_eq(pos[1], 8);
	ck_assert_int_eq(pos[2], 16);
	ck_assert_int_eq(pos[3], 21);
	free(pos);
	cli_split_free(&s);
	close(fd);
}
END_TEST

START_TEST(resume_reads_a_joblog)
{
	char path[] = "/tmp/cr-resume.XXXXXX";
	const char *log = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\t"
	    "Exitval\tSignal\tCommand\n"
	    "1\t:\t1.0\t0.1\t0\t0\t0\t0\techo a\n"
	    "2\t:\t1.0\t0.1\t0\t0\t3\t0\texit 3\n"
	    "4\t:\t1.0\t0.1\t0\t0\t0\t9\tsleep\\t9\n";
	struct cli_resume rs;
	struct cli_err e;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, log, strlen(log)), (int)strlen(log));
	close(fd);
	ck_assert_int_eq(cli_resume_load(&rs, path, CLI_RESUME_ALL, &e), 0);
	ck_assert(rs.had_header);
	ck_assert(cli_resume_skip(&rs, 1) && cli_resume_skip(&rs, 2) &&
	    !cli_resume_skip(&rs, 3) && cli_resume_skip(&rs, 4));
	cli_resume_free(&rs);
	ck_assert_int_eq(cli_resume_load(&rs, path, CLI_RESUME_FAILED, &e),
	    0);
	ck_assert(cli_resume_skip(&rs, 1) && !cli_resume_skip(&rs, 2) &&
	    !cli_resume_skip(&rs, 4));
	cli_resume_free(&rs);
	ck_assert_int_eq(cli_resume_load(&rs, path, CLI_RESUME_RETRY, &e), 0);
	ck_assert_uint_eq(rs.cmds.n, 4);
	ck_assert_str_eq(rs.cmds.v[1], "exit 3");
	ck_assert_str_eq(rs.cmds.v[2], "true");	/* Seq 3: not in the log */
	ck_assert_str_eq(rs.cmds.v[3], "sleep\t9");
	cli_resume_free(&rs);
	unlink(path);
	ck_assert_int_eq(cli_resume_load(&rs, path, CLI_RESUME_ALL, &e), 0);
	ck_assert(!rs.had_header && !cli_resume_skip(&rs, 1));
	cli_resume_free(&rs);
}
END_TEST

static Suite *
split_suite(void)
{
	Suite *s = suite_create("cli-pipe-split");
	TCase *tc = tcase_create("split");

	tcase_add_test(tc, pass_cuts_at_the_last_newline);
	tcase_add_test(tc, recend_recstart_and_escapes);
	tcase_add_test(tc, n_records);
	tcase_add_test(tc, l_line_records);
	tcase_add_test(tc, n_regexp_records);
	tcase_add_test(tc, n_is_the_max_args_option);
	tcase_add_test(tc, header_lines_and_pattern);
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, pipepart_positions);
	tcase_add_test(tc, resume_reads_a_joblog);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(split_suite());
}
