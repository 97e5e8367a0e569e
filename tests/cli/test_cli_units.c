/*
 * test_cli_units.c - the pure parts of `corun run`: options, input
 * expansion, templates and quoting, the jobs file, halt policy, joblog
 * rows, exit status, output records.  Expected strings for placeholders
 * and quoting were checked against GNU parallel --dry-run where the two
 * overlap.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-util.h"
#include "cli/cli.h"

/* ---- helpers ---------------------------------------------------------- */

static int
parse(struct cr_run_opts *o, struct cr_err *e, const char *const *words)
{
	static char *argv[64];
	int n = 0;

	while (words[n] != NULL) {
		argv[n] = (char *)words[n];
		n++;
	}
	argv[n] = NULL;
	return cr_run_opts_parse(n, argv, o, e);
}

#define PARSE_OK(o, ...) do {						\
	static const char *const w_[] = { __VA_ARGS__, NULL };		\
	struct cr_err e_;						\
	ck_assert_int_eq(parse((o), &e_, w_), 0);			\
} while (0)

/* Parse must fail with a message containing want. */
static void
parse_bad(const char *want, const char *const *words)
{
	struct cr_run_opts o;
	struct cr_err e;

	ck_assert_int_ne(parse(&o, &e, words), 0);
	ck_assert_msg(strstr(e.msg, want) != NULL, "\"%s\" not in \"%s\"",
	    want, e.msg);
	cr_run_opts_free(&o);
}

#define PARSE_BAD(want, ...) do {					\
	static const char *const w_[] = { __VA_ARGS__, NULL };		\
	parse_bad((want), w_);						\
} while (0)

/* Expand all jobs of options into one string, lines joined by '|'. */
static char *
expand_all(struct cr_run_opts *o)
{
	struct cr_input in;
	struct cr_tmpl t;
	struct cr_err e;
	struct cr_cmd c;
	struct cr_buf b = { 0 };
	const char **args;
	uint64_t seq = 1;
	char *line;
	int rc;

	ck_assert_int_eq(cr_tmpl_init(&t, o->cmd, o->ncmd, o->ngroups ?
	    o->ngroups : 1, &e), 0);
	ck_assert_int_eq(cr_input_open(&in, o, &e), 0);
	while ((rc = cr_input_next(&in, 0, &args, &e)) == 0) {
		ck_assert_int_eq(cr_tmpl_expand(&t, args, in.ngroups, seq,
		    (unsigned)((seq - 1) % 2 + 1), &c), 0);
		line = cr_cmd_line(&c);
		if (b.len > 0) {
			cr_buf_addc(&b, '|');
		}
		cr_buf_adds(&b, line);
		free(line);
		cr_cmd_free(&c);
		seq++;
	}
	ck_assert_int_eq(rc, CORUN_EDONE);
	cr_input_close(&in);
	return cr_buf_steal(&b);
}

#define EXPANDS(want, ...) do {						\
	struct cr_run_opts o_;						\
	char *got_;							\
	PARSE_OK(&o_, __VA_ARGS__);					\
	got_ = expand_all(&o_);						\
	ck_assert_str_eq(got_, (want));					\
	free(got_);							\
	cr_run_opts_free(&o_);						\
} while (0)

static char *
tmpfile_with(const char *data, size_t len)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/cr-cli-test-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

/* ---- options ---------------------------------------------------------- */

START_TEST(opts_all)
{
	struct cr_run_opts o;

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
	ck_assert_int_eq(o.retries, 2);
	ck_assert_int_eq(o.halt.when, CR_HALT_NOW);
	ck_assert_uint_eq(o.ncmd, 3);
	ck_assert_str_eq(o.cmd[2], "{}");
	/* -a f1, -a f2, ::: a b, :::: f3, :::: f4 */
	ck_assert_uint_eq(o.ngroups, 5);
	ck_assert(o.groups[0].is_file && o.groups[1].is_file);
	ck_assert_str_eq(o.groups[1].path, "f2");
	ck_assert(!o.groups[2].is_file);
	ck_assert_uint_eq(o.groups[2].vals.n, 2);
	ck_assert_str_eq(o.groups[4].path, "f4");
	cr_run_opts_free(&o);

	PARSE_OK(&o, "--jobs", "0", "-k0", "--", "-x", ":::", "1");
	ck_assert(o.keep_order && o.null_sep);
	ck_assert_uint_eq(o.ncmd, 1);
	ck_assert_str_eq(o.cmd[0], "-x");
	cr_run_opts_free(&o);

	PARSE_OK(&o, "--procs", "2", "--threads=3", "echo");
	ck_assert_int_eq(o.model, CORUN_MODEL_CUSTOM);
	ck_assert_uint_eq(o.procs, 2);
	ck_assert_uint_eq(o.threads, 3);
	ck_assert_uint_eq(o.concurrency, 1);
	cr_run_opts_free(&o);

	/* Options after the command belong to the command. */
	PARSE_OK(&o, "grep", "-k", "x");
	ck_assert(!o.keep_order);
	ck_assert_uint_eq(o.ncmd, 3);
	cr_run_opts_free(&o);

	PARSE_OK(&o, "--jobs-file", "-");
	ck_assert_str_eq(o.jobs_file, "-");
	cr_run_opts_free(&o);
}
END_TEST

START_TEST(opts_bad)
{
	PARSE_BAD("-j: \"x\"", "-j", "x", "echo");
	PARSE_BAD("--jobs: \"-1\"", "--jobs=-1", "echo");
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

/* ---- halt policy and exit status ---------------------------------------- */

START_TEST(halt_parse)
{
	struct cr_halt h;
	struct cr_err e;

	ck_assert_int_eq(cr_halt_parse("never", &h, &e), 0);
	ck_assert_int_eq(h.when, CR_HALT_NEVER);
	ck_assert_int_eq(cr_halt_parse("now,fail=1", &h, &e), 0);
	ck_assert(h.when == CR_HALT_NOW && h.why == CR_HALT_FAIL &&
	    h.value == 1 && !h.percent);
	ck_assert_int_eq(cr_halt_parse("soon,fail=20%", &h, &e), 0);
	ck_assert(h.when == CR_HALT_SOON && h.percent && h.value == 20);
	ck_assert_int_eq(cr_halt_parse("now,success=1", &h, &e), 0);
	ck_assert_int_eq(h.why, CR_HALT_SUCCESS);
	ck_assert_int_eq(cr_halt_parse("now,done=5", &h, &e), 0);
	ck_assert(h.why == CR_HALT_DONE && h.value == 5);
	/* GNU parallel's old forms. */
	ck_assert_int_eq(cr_halt_parse("2", &h, &e), 0);
	ck_assert(h.when == CR_HALT_NOW && h.why == CR_HALT_FAIL);
	ck_assert_int_eq(cr_halt_parse("-1", &h, &e), 0);
	ck_assert(h.when == CR_HALT_SOON && h.why == CR_HALT_SUCCESS);
	ck_assert_int_eq(cr_halt_parse("30%", &h, &e), 0);
	ck_assert(h.when == CR_HALT_SOON && h.percent && h.value == 30);
	ck_assert_int_eq(cr_halt_parse("0", &h, &e), 0);
	ck_assert_int_eq(h.when, CR_HALT_NEVER);

	ck_assert_int_ne(cr_halt_parse("now", &h, &e), 0);
	ck_assert_int_ne(cr_halt_parse("later,fail=1", &h, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "\"later\" is not now or soon"));
	ck_assert_int_ne(cr_halt_parse("now,fail", &h, &e), 0);
	ck_assert_int_ne(cr_halt_parse("now,fail=0", &h, &e), 0);
	ck_assert_int_ne(cr_halt_parse("now,fail=101%", &h, &e), 0);
	ck_assert_int_ne(cr_halt_parse("now,fail=%", &h, &e), 0);
	ck_assert_int_ne(cr_halt_parse("now,done=-2", &h, &e), 0);
	ck_assert_int_ne(cr_halt_parse("3", &h, &e), 0);
}
END_TEST

START_TEST(halt_decide)
{
	struct cr_halt h;
	struct cr_tally t = { 10, 1, 0, 0, 0, -1 };
	struct cr_err e;

	ck_assert_int_eq(cr_halt_parse("never", &h, &e), 0);
	t.done = t.failed = 10;
	ck_assert(!cr_halt_triggered(&h, &t));

	ck_assert_int_eq(cr_halt_parse("soon,fail=3", &h, &e), 0);
	t.done = 5, t.failed = 2, t.succeeded = 3;
	ck_assert(!cr_halt_triggered(&h, &t));
	t.failed = 3;
	ck_assert(cr_halt_triggered(&h, &t));

	ck_assert_int_eq(cr_halt_parse("now,success=2", &h, &e), 0);
	t.succeeded = 1;
	ck_assert(!cr_halt_triggered(&h, &t));
	t.succeeded = 2;
	ck_assert(cr_halt_triggered(&h, &t));

	ck_assert_int_eq(cr_halt_parse("now,done=5", &h, &e), 0);
	t.done = 4;
	ck_assert(!cr_halt_triggered(&h, &t));
	t.done = 5;
	ck_assert(cr_halt_triggered(&h, &t));

	/* 20% of 10 jobs is 2 failures. */
	ck_assert_int_eq(cr_halt_parse("soon,fail=20%", &h, &e), 0);
	t.failed = 1;
	ck_assert(!cr_halt_triggered(&h, &t));
	t.failed = 2;
	ck_assert(cr_halt_triggered(&h, &t));
}
END_TEST

START_TEST(exit_status)
{
	struct cr_halt never = { CR_HALT_NEVER, CR_HALT_FAIL, 0, 0 };
	struct cr_halt h;
	struct cr_tally t = { 200, 1, 0, 0, 0, -1 };
	struct cr_err e;

	ck_assert_int_eq(cr_exit_status(&never, &t, 0, 0), 0);
	t.failed = 1;
	ck_assert_int_eq(cr_exit_status(&never, &t, 0, 0), 1);
	t.failed = 100;
	ck_assert_int_eq(cr_exit_status(&never, &t, 0, 0), 100);
	t.failed = 101;
	ck_assert_int_eq(cr_exit_status(&never, &t, 0, 0), 101);
	t.failed = 150;
	ck_assert_int_eq(cr_exit_status(&never, &t, 0, 0), 101);
	ck_assert_int_eq(cr_exit_status(&never, &t, 0, 2), 130);
	ck_assert_int_eq(cr_exit_status(&never, &t, 0, 15), 143);

	/* fail=1: the failing job's exit code. */
	ck_assert_int_eq(cr_halt_parse("now,fail=1", &h, &e), 0);
	t.failed = 1, t.last_fail_exit = 7;
	ck_assert_int_eq(cr_exit_status(&h, &t, 1, 0), 7);
	t.last_fail_exit = -1;	/* killed by a signal */
	ck_assert_int_eq(cr_exit_status(&h, &t, 1, 0), 1);
	/* success=: 0 even if some failed. */
	ck_assert_int_eq(cr_halt_parse("now,success=1", &h, &e), 0);
	t.failed = 4;
	ck_assert_int_eq(cr_exit_status(&h, &t, 1, 0), 0);
	/* fail=Y%: the percentage that failed (rounded up). */
	ck_assert_int_eq(cr_halt_parse("soon,fail=1%", &h, &e), 0);
	t.failed = 3, t.total = 200;
	ck_assert_int_eq(cr_exit_status(&h, &t, 1, 0), 2);
	/* fail=N with N > 1: the number of failures. */
	ck_assert_int_eq(cr_halt_parse("soon,fail=2", &h, &e), 0);
	t.failed = 2;
	ck_assert_int_eq(cr_exit_status(&h, &t, 1, 0), 2);
}
END_TEST

/* ---- templates, placeholders, quoting ----------------------------------- */

START_TEST(quoting)
{
	struct cr_buf b = { 0 };

	cr_shquote(&b, "abc-1.2/x_y+z");
	ck_assert_str_eq(b.p, "abc-1.2/x_y+z");
	b.len = 0;
	/* As GNU parallel: @ , : = % ~ ^ ] are quoted. */
	cr_shquote(&b, "a@b,c:d");
	ck_assert_str_eq(b.p, "'a@b,c:d'");
	b.len = 0;
	cr_shquote(&b, "");
	ck_assert_str_eq(b.p, "''");
	b.len = 0;
	cr_shquote(&b, "it's $(x) `y`; a\nb");
	ck_assert_str_eq(b.p, "'it'\\''s $(x) `y`; a\nb'");
	cr_buf_free(&b);
	ck_assert(cr_has_shell_syntax("a|b"));
	ck_assert(cr_has_shell_syntax("echo hi"));
	ck_assert(!cr_has_shell_syntax("/usr/bin/true"));
}
END_TEST

START_TEST(xforms)
{
	/* Checked against GNU parallel --dry-run echo {.} {/} {//} {/.}. */
	static const char *const cases[][5] = {
		{ "/a/b/c.txt", "/a/b/c", "c.txt", "/a/b", "c" },
		{ "x.tar.gz", "x.tar", "x.tar.gz", ".", "x.tar" },
		{ ".bashrc", "", ".bashrc", ".", "" },
		{ "/x", "/x", "x", "/", "x" },
		{ "a/b/", "a/b/", "", "a", "" },
		{ "/a.b/c", "/a.b/c", "c", "/a.b", "c" },
		{ "a/.c", "a/", ".c", "a", "" },
		{ "x.", "x", "x.", ".", "x" },
		{ "/", "/", "", "/", "" },
	};
	static const char *const ops[] = { ".", "/", "//", "/." };
	size_t i, k;
	char *x;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (k = 0; k < 4; k++) {
			x = cr_xform(cases[i][0], ops[k]);
			ck_assert_msg(strcmp(x, cases[i][k + 1]) == 0,
			    "{%s} of \"%s\": \"%s\", want \"%s\"", ops[k],
			    cases[i][0], x, cases[i][k + 1]);
			free(x);
		}
	}
}
END_TEST

START_TEST(cross_product)
{
	/* parallel --dry-run echo {1} {2} ::: a b ::: 1 2 */
	EXPANDS("echo a 1|echo a 2|echo b 1|echo b 2",
	    "echo", "{1}", "{2}", ":::", "a", "b", ":::", "1", "2");
	/* No placeholder: the values are appended, one word each. */
	EXPANDS("echo a 1|echo a 2|echo b 1|echo b 2",
	    "echo", ":::", "a", "b", ":::", "1", "2");
	EXPANDS("echo b|echo c", "echo", "{2}", ":::", "a", ":::", "b", "c");
	EXPANDS("x a 1 p|x a 1 q|x a 2 p|x a 2 q|x b 1 p|x b 1 q|x b 2 p|"
	    "x b 2 q", "x", ":::", "a", "b", ":::", "1", "2", ":::", "p",
	    "q");
	/* {} alone with several groups: one word per group. */
	EXPANDS("echo a b", "echo", "{}", ":::", "a", ":::", "b");
	/* {} inside a word: the values joined with a space, one word. */
	EXPANDS("echo 'xa by'", "echo", "x{}y", ":::", "a", ":::", "b");
	EXPANDS("echo a.c y", "echo", "{1}", "{2/}", ":::", "a.c", ":::",
	    "/x/y");
	/* An empty group: no jobs. */
	EXPANDS("", "echo", ":::", "a", ":::");
}
END_TEST

START_TEST(placeholders)
{
	EXPANDS("echo /a/b/c.txt /a/b/c c.txt /a/b c 1 1|"
	    "echo x.tar.gz x.tar x.tar.gz . x.tar 2 2",
	    "echo", "{}", "{.}", "{/}", "{//}", "{/.}", "{#}", "{%}", ":::",
	    "/a/b/c.txt", "x.tar.gz");
	/* Unknown braces stay as they are. */
	EXPANDS("echo '${HOME}' '{a,b}' '{x}' a", "echo", "${HOME}", "{a,b}",
	    "{x}", ":::", "a");
	EXPANDS("echo a-1", "echo", "{1}-{#}", ":::", "a");
}
END_TEST

START_TEST(awkward_words)
{
	/* Words stay words: quotes and $(...) are data, not shell code. */
	EXPANDS("echo 'a b'|echo 'it'\\''s'|echo '$(x)'|echo 'a;b'|"
	    "echo 'a\nb'|echo '`id`'",
	    "echo", ":::", "a b", "it's", "$(x)", "a;b", "a\nb", "`id`");
	/* sh -c 'exit {}' ::: 3 gives sh the words -c and "exit 3". */
	EXPANDS("sh -c 'exit 3'", "sh", "-c", "exit {}", ":::", "3");
	/* One word with shell syntax: sh -c, values quoted. */
	EXPANDS("grep x 'a'\\''b' | wc -l", "grep x {} | wc -l", ":::",
	    "a'b");
	EXPANDS("echo hi 'a b'", "echo hi", ":::", "a b");
	/* A lone program name from a value is quoted, not run as sh. */
	EXPANDS("'echo hi'|'a;b'", "{}", ":::", "echo hi", "a;b");
	/* No command: the input is the command. */
	EXPANDS("echo hi|ls | wc", ":::", "echo hi", "ls | wc");
	/* Empty arguments survive. */
	EXPANDS("echo ''", "echo", ":::", "");
}
END_TEST

START_TEST(bad_placeholder)
{
	struct cr_tmpl t;
	struct cr_err e;
	const char *w[] = { "echo", "{3}" };

	ck_assert_int_ne(cr_tmpl_init(&t, w, 2, 2, &e), 0);
	ck_assert_str_eq(e.msg,
	    "placeholder {3} but there are only 2 input sources");
	ck_assert_int_eq(cr_tmpl_init(&t, w, 2, 3, &e), 0);
}
END_TEST

START_TEST(payload)
{
	struct cr_cmd c = { { 0 }, 0 };
	struct cr_strv env = { 0 };
	struct cr_buf b = { 0 };

	cr_strv_push(&c.argv, "printf");
	cr_strv_push(&c.argv, "%s");
	cr_strv_push(&c.argv, "a b");
	ck_assert_int_eq(cr_shell_payload(&c, NULL, &b), 0);
	ck_assert_uint_eq(b.len, 14);
	ck_assert_int_eq(memcmp(b.p, "printf\0%s\0a b\0", 14), 0);
	cr_buf_free(&b);
	cr_strv_push(&env, "K=V");
	ck_assert_int_eq(cr_shell_payload(&c, &env, &b), 0);
	ck_assert_uint_eq(b.len, 19);
	ck_assert_int_eq(memcmp(b.p, "printf\0%s\0a b\0\0K=V\0", 19), 0);
	cr_buf_free(&b);
	cr_strv_free(&env);

	/* An empty word would end argv: the command becomes one script. */
	cr_strv_push(&c.argv, "");
	ck_assert_int_eq(cr_cmd_normalize(&c), 0);
	ck_assert(c.shell);
	ck_assert_uint_eq(c.argv.n, 1);
	ck_assert_str_eq(c.argv.v[0], "printf '%s' 'a b' ''");
	cr_cmd_free(&c);
}
END_TEST

/* ---- input ------------------------------------------------------------ */

START_TEST(input_files)
{
	struct cr_run_opts o;
	char f1[64], f2[64], *got;
	const char *w[] = { "-a", f1, "-a", f2, "echo", NULL };
	const char *w0[] = { "-0", "-a", f1, "echo", NULL };
	const char *w4[] = { "echo", "::::", f1, ":::", "x", NULL };
	struct cr_err e;

	snprintf(f1, sizeof(f1), "%s", tmpfile_with("1\n2\n", 4));
	snprintf(f2, sizeof(f2), "%s", tmpfile_with("a\nb c", 5));
	ck_assert_int_eq(parse(&o, &e, w), 0);
	got = expand_all(&o);
	ck_assert_str_eq(got, "echo 1 a|echo 1 'b c'|echo 2 a|echo 2 'b c'");
	free(got);
	cr_run_opts_free(&o);
	ck_assert_int_eq(parse(&o, &e, w4), 0);
	got = expand_all(&o);
	ck_assert_str_eq(got, "echo 1 x|echo 2 x");
	free(got);
	cr_run_opts_free(&o);
	unlink(f1);

	snprintf(f1, sizeof(f1), "%s", tmpfile_with("a\nb\0c d\0", 8));
	ck_assert_int_eq(parse(&o, &e, w0), 0);
	got = expand_all(&o);
	ck_assert_str_eq(got, "echo 'a\nb'|echo 'c d'");
	free(got);
	cr_run_opts_free(&o);
	unlink(f1);
	unlink(f2);
}
END_TEST

START_TEST(input_missing_file)
{
	struct cr_run_opts o;
	struct cr_input in;
	struct cr_err e;
	const char *w[] = { "echo", ":::", "a", "::::", "/nonexistent/f",
	    NULL };

	ck_assert_int_eq(parse(&o, &e, w), 0);
	ck_assert_int_ne(cr_input_open(&in, &o, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/f"));
	cr_run_opts_free(&o);
}
END_TEST

/* A pipe as group 0: streamed, EAGAIN when nothing is there yet. */
START_TEST(input_stream)
{
	struct cr_run_opts o;
	struct cr_input in;
	struct cr_err e;
	const char **args;
	const char *w[] = { "echo", ":::", "x", "y", NULL };
	int fds[2], saved;

	ck_assert_int_eq(pipe(fds), 0);
	saved = dup(0);
	dup2(fds[0], 0);
	close(fds[0]);
	ck_assert_int_eq(parse(&o, &e, w), 0);
	/* Make stdin group 0: a :::: - group first. */
	cr_run_opts_free(&o);
	{
		const char *w2[] = { "echo", "::::", "-", ":::", "x", "y",
		    NULL };

		ck_assert_int_eq(parse(&o, &e, w2), 0);
	}
	ck_assert_int_eq(cr_input_open(&in, &o, &e), 0);
	ck_assert_int_eq(cr_input_fd(&in), 0);
	ck_assert_int_eq(cr_input_next(&in, 1, &args, &e), CORUN_EAGAIN);
	ck_assert_int_eq(write(fds[1], "a\nb", 3), 3);
	ck_assert_int_eq(cr_input_next(&in, 1, &args, &e), 0);
	ck_assert_str_eq(args[0], "a");
	ck_assert_str_eq(args[1], "x");
	ck_assert_int_eq(cr_input_next(&in, 1, &args, &e), 0);
	ck_assert_str_eq(args[0], "a");
	ck_assert_str_eq(args[1], "y");
	/* "b" has no newline yet: wait, and the odometer must not move. */
	ck_assert_int_eq(cr_input_next(&in, 1, &args, &e), CORUN_EAGAIN);
	ck_assert_int_eq(cr_input_next(&in, 1, &args, &e), CORUN_EAGAIN);
	close(fds[1]);
	ck_assert_int_eq(cr_input_next(&in, 1, &args, &e), 0);
	ck_assert_str_eq(args[0], "b");
	ck_assert_str_eq(args[1], "x");
	ck_assert_int_eq(cr_input_next(&in, 1, &args, &e), 0);
	ck_assert_str_eq(args[1], "y");
	ck_assert_int_eq(cr_input_next(&in, 1, &args, &e), CORUN_EDONE);
	cr_input_close(&in);
	cr_run_opts_free(&o);
	dup2(saved, 0);
	close(saved);
}
END_TEST

/* ---- jobs file ----------------------------------------------------------- */

static void
jobline_ok(const char *line, const char *kind, const char *pl,
    size_t len, const char *cmdline)
{
	struct cr_jobspec js;
	struct cr_err e;

	ck_assert_msg(cr_jobsfile_parse_line(line, strlen(line), &js, &e) ==
	    0, "%s: %s", line, e.msg);
	ck_assert_str_eq(js.kind, kind);
	ck_assert_uint_eq(js.len, len);
	if (len > 0) {
		ck_assert_int_eq(memcmp(js.payload, pl, len), 0);
	}
	ck_assert_str_eq(js.cmdline, cmdline);
	cr_jobspec_free(&js);
}

static void
jobline_bad(const char *line, const char *want)
{
	struct cr_jobspec js;
	struct cr_err e;

	ck_assert_msg(cr_jobsfile_parse_line(line, strlen(line), &js, &e) !=
	    0, "accepted %s", line);
	ck_assert_msg(strstr(e.msg, want) != NULL, "%s: \"%s\" not in "
	    "\"%s\"", line, want, e.msg);
}

START_TEST(jobs_lines)
{
	struct cr_jobspec js;
	struct cr_err e;
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
	ck_assert_int_eq(cr_jobsfile_parse_line(l, strlen(l), &js, &e), 0);
	ck_assert_str_eq(js.id, "j1");
	ck_assert_str_eq(js.tagstr, "j1");
	ck_assert(js.timeout == 2.5);
	ck_assert_int_eq(js.retries, 3);
	cr_jobspec_free(&js);
	l = "{\"kind\":\"noop\",\"id\":42}";
	ck_assert_int_eq(cr_jobsfile_parse_line(l, strlen(l), &js, &e), 0);
	ck_assert_str_eq(js.id, "42");
	ck_assert(js.timeout < 0 && js.retries < 0);
	cr_jobspec_free(&js);
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
	struct cr_jobsfile jf;
	struct cr_jobspec js;
	struct cr_err e;
	char path[64];
	int n = 0;

	snprintf(path, sizeof(path), "%s", tmpfile_with(data,
	    sizeof(data) - 1));
	ck_assert_int_eq(cr_jobsfile_open(&jf, path, &e), 0);
	while (cr_jobsfile_next(&jf, &js, &e) == 0) {
		n++;
		if (n == 2) {
			ck_assert_str_eq(js.kind, "sleep");
		}
		cr_jobspec_free(&js);
	}
	ck_assert_int_eq(n, 3);
	cr_jobsfile_close(&jf);
	unlink(path);

	snprintf(path, sizeof(path), "%s", tmpfile_with(bad,
	    sizeof(bad) - 1));
	ck_assert_int_ne(cr_jobsfile_open(&jf, path, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, ":4: \"ms\" must be a "
	    "non-negative integer"));
	ck_assert_int_eq(strncmp(e.msg, path, strlen(path)), 0);
	unlink(path);
}
END_TEST

/* A jobs file on a pipe is checked, spooled, then read again. */
START_TEST(jobs_file_pipe)
{
	struct cr_jobsfile jf;
	struct cr_jobspec js;
	struct cr_err e;
	int fds[2], saved, n = 0;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "{\"kind\":\"noop\"}\n{\"kind\":"
	    "\"sleep\",\"ms\":1}\n", 40), 40);
	close(fds[1]);
	saved = dup(0);
	dup2(fds[0], 0);
	close(fds[0]);
	ck_assert_int_eq(cr_jobsfile_open(&jf, "-", &e), 0);
	while (cr_jobsfile_next(&jf, &js, &e) == 0) {
		n++;
		cr_jobspec_free(&js);
	}
	ck_assert_int_eq(n, 2);
	cr_jobsfile_close(&jf);
	dup2(saved, 0);
	close(saved);
}
END_TEST

/* ---- joblog, output records --------------------------------------------- */

START_TEST(joblog_rows)
{
	struct cr_logrow r = { 3, 1700000000.1234, 1.5, 12, 2, 0,
	    "printf '%s\\n' 'a\tb'" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_joblog_header(f);
	cr_joblog_row(f, &r);
	r.seq = 4, r.exitval = -1, r.signal = 15, r.command = "sleep 9";
	r.runtime = 12345.6789;
	cr_joblog_row(f, &r);
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

START_TEST(outcome_json)
{
	struct cr_jobspec js = { 0 };
	struct corun_job_result res = { 0 };
	struct cr_outcome oc = { &js, &res, CORUN_EFAILED, "" };
	struct cr_logrow row;
	char *s;

	js.seq = 7;
	js.kind = "shell";
	js.cmdline = "echo 'a b'";
	cr_strv_push(&js.args, "a b");
	res.exit_code = 3;
	res.status = CORUN_EFAILED;
	res.attempts = 2;
	res.start_ns = 1500000000ULL;
	res.end_ns = 4000000000ULL;
	res.out = "hi\n\xff";
	res.out_len = 4;
	res.err = "";
	res.worker_pid = 99;
	s = cr_outcome_json(&oc);
	ck_assert_str_eq(s, "{\"seq\":7,\"kind\":\"shell\",\"command\":"
	    "\"echo 'a b'\",\"args\":[\"a b\"],\"status\":\"failed\",\"exit\":3,"
	    "\"signal\":0,\"stdout\":\"hi\\n\xef\xbf\xbd\",\"stderr\":\"\","
	    "\"start\":1.5,\"runtime\":2.5,\"attempts\":2,\"worker_pid\":99}");
	free(s);
	cr_outcome_logrow(&oc, &row);
	ck_assert_int_eq(row.exitval, 3);
	ck_assert_uint_eq(row.receive, 4);
	ck_assert(row.runtime == 2.5);
	cr_strv_free(&js.args);

	/* Never ran (lost): exit -1, the reason in "error". */
	oc.res = NULL;
	oc.status = CORUN_ELOST;
	oc.message = "worker lost: signal 9";
	s = cr_outcome_json(&oc);
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

	cr_write_tagged(f, "a 1", "x\ny\n", 4, 0);
	cr_write_tagged(f, "b", "no newline", 10, 1);
	cr_write_tagged(f, NULL, "raw", 3, 0);
	fclose(f);
	ck_assert_str_eq(buf, "a 1\tx\na 1\ty\nb\tno newline\nraw");
	free(buf);
}
END_TEST

START_TEST(progress_line)
{
	char buf[160];

	cr_progress_format(buf, sizeof(buf), 0, 5, 10, 1, 2.0);
	ck_assert_str_eq(buf, "5/10 done, 2.5 jobs/s, ETA 0m02s");
	cr_progress_format(buf, sizeof(buf), 0, 5, 7, 0, 1.0);
	ck_assert_str_eq(buf, "5/7+ done, 5.0 jobs/s, ETA ?");
	cr_progress_format(buf, sizeof(buf), 1, 5, 10, 1, 1.0);
	ck_assert_str_eq(buf, " 50% [###############...............] "
	    "5/10 5.0/s ETA 0m01s");
}
END_TEST

static Suite *
cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("units");

	tcase_add_test(tc, opts_all);
	tcase_add_test(tc, opts_bad);
	tcase_add_test(tc, halt_parse);
	tcase_add_test(tc, halt_decide);
	tcase_add_test(tc, exit_status);
	tcase_add_test(tc, quoting);
	tcase_add_test(tc, xforms);
	tcase_add_test(tc, cross_product);
	tcase_add_test(tc, placeholders);
	tcase_add_test(tc, awkward_words);
	tcase_add_test(tc, bad_placeholder);
	tcase_add_test(tc, payload);
	tcase_add_test(tc, input_files);
	tcase_add_test(tc, input_missing_file);
	tcase_add_test(tc, input_stream);
	tcase_add_test(tc, jobs_lines);
	tcase_add_test(tc, jobs_bad_lines);
	tcase_add_test(tc, jobs_file);
	tcase_add_test(tc, jobs_file_pipe);
	tcase_add_test(tc, joblog_rows);
	tcase_add_test(tc, outcome_json);
	tcase_add_test(tc, tagged);
	tcase_add_test(tc, progress_line);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(cli_suite());
}
