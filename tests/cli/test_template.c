/* SPDX-License-Identifier: MIT */
/*
 * test_template.c - command templates (src/cli/template.c): quoting,
 * the placeholder transforms, the cross product of input groups, awkward
 * words, bad placeholders and the shell payload.  Expected strings for
 * placeholders and quoting were checked against GNU parallel --dry-run
 * where the two overlap.
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

START_TEST(quoting)
{
	struct cm_buf b = { 0 };

	cm_shquote(&b, "abc-1.2/x_y+z");
	ck_assert_str_eq(b.p, "abc-1.2/x_y+z");
	b.len = 0;
	/* As GNU parallel: @ , : = % ~ ^ ] are quoted. */
	cm_shquote(&b, "a@b,c:d");
	ck_assert_str_eq(b.p, "'a@b,c:d'");
	b.len = 0;
	cm_shquote(&b, "");
	ck_assert_str_eq(b.p, "''");
	b.len = 0;
	cm_shquote(&b, "it's $(x) `y`; a\nb");
	ck_assert_str_eq(b.p, "'it'\\''s $(x) `y`; a\nb'");
	cm_buf_free(&b);
	ck_assert(cm_has_shell_syntax("a|b"));
	ck_assert(cm_has_shell_syntax("echo hi"));
	ck_assert(!cm_has_shell_syntax("/usr/bin/true"));
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
			x = cli_xform(cases[i][0], ops[k]);
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
	/* {} inside a word: each value quoted, as parallel --dry-run. */
	EXPANDS("echo xa by", "echo", "x{}y", ":::", "a", ":::", "b");
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
	/* Unknown braces stay as they are (for the shell). */
	EXPANDS("echo ${HOME} {a,b} {x} a", "echo", "${HOME}", "{a,b}",
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
	/* The words are joined for the shell, as GNU parallel does. */
	EXPANDS("sh -c exit 3", "sh", "-c", "exit {}", ":::", "3");
	/* -q: each word stays one argument. */
	EXPANDS("sh -c 'exit 3'", "-q", "sh", "-c", "exit {}", ":::", "3");
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

/* Expected lines from GNU parallel 20221122 --dry-run -j1. */
START_TEST(several_per_job)
{
	EXPANDS("echo a-b|echo c-d|echo e-", "-N2", "echo", "{1}-{2}",
	    ":::", "a", "b", "c", "d", "e");
	EXPANDS("echo a b|echo c", "-N2", "echo", ":::", "a", "b", "c");
	EXPANDS("echo hi|echo hi", "-N0", "echo", "hi", ":::", "a", "b");
	EXPANDS("echo preapost prebpost precpost", "-X", "echo",
	    "pre{}post", ":::", "a", "b", "c");
	EXPANDS("echo prea b cpost", "-m", "echo", "pre{}post", ":::", "a",
	    "b", "c");
	EXPANDS("echo aaaa bbbb cccc|echo dddd eeee", "-X", "-s", "20",
	    "echo", "{}", ":::", "aaaa", "bbbb", "cccc", "dddd", "eeee");
	EXPANDS("echo 1 1 a b", "-X", "echo", "{#}", "{%}", "{}", ":::", "a",
	    "b");
}
END_TEST

START_TEST(replacement_strings)
{
	EXPANDS("echo a {}", "-I", ",,", "echo", ",,", "{}", ":::", "a");
	EXPANDS("echo a {.}", "--er", "EXT", "echo", "EXT", "{.}", ":::",
	    "a.b");
	EXPANDS("echo b d b", "--bnr", "B", "--dnr", "D", "--bner", "E",
	    "echo", "B", "D", "E", ":::", "d/b");
	EXPANDS("echo 1", "echo", "{#}", ":::", "A");
	EXPANDS("echo '' gz tar.gz '' a a.tar.gz a a.tar.gz|"
	    "echo d e d.e c.d.e d/b.c d/b b.c b", "--plus", "echo", "{+/}",
	    "{+.}", "{+..}", "{+...}", "{..}", "{...}", "{/..}", "{/...}",
	    ":::", "a.tar.gz", "d/b.c.d.e");
	EXPANDS("echo 2 1|echo 2 2", "--plus", "echo", "{##}", "{0#}",
	    ":::", "a", "b");
}
END_TEST

START_TEST(shell_decision)
{
	struct cli_tmpl t;
	struct cli_err e;
	static const char *const direct[] = { "printf", "%s=%d", "--x=1",
		"{}", "a#b" };
	static const char *const shell[][2] = { { "echo", "a|b" },
		{ "A=1", "env" }, { "echo", "#c" }, { "cd", "/" },
		{ "echo", "*" }, { "echo", "$HOME" } };
	size_t i;

	ck_assert_int_eq(cli_tmpl_init(&t, direct, 5, 1, &e), 0);
	ck_assert(!t.shell);
	cli_tmpl_free(&t);
	for (i = 0; i < sizeof(shell) / sizeof(shell[0]); i++) {
		ck_assert_int_eq(cli_tmpl_init(&t, shell[i], 2, 1, &e), 0);
		ck_assert_msg(t.shell, "%s %s", shell[i][0], shell[i][1]);
		cli_tmpl_free(&t);
	}
	setenv("BASH_FUNC_myfn%%", "() {  echo x\n}", 1);
	ck_assert_int_eq(cli_sh_word_needs("myfn", 4), 2);
	unsetenv("BASH_FUNC_myfn%%");
	ck_assert_int_eq(cli_sh_word_needs("myfn", 4), 0);
}
END_TEST

/* Expected lines from GNU parallel 20221122 --dry-run -k. */
START_TEST(links_and_columns)
{
	EXPANDS("echo a 1|echo b 2|echo c 1", "--link", "echo", ":::", "a",
	    "b", "c", ":::", "1", "2");
	/* :::+ stops at the shorter source. */
	EXPANDS("echo A F|echo B G", "echo", ":::", "A", "B", "C", ":::+",
	    "F", "G");
	EXPANDS("echo a 1 x|echo a 1 y|echo b 2 x|echo b 2 y", "echo", ":::",
	    "a", "b", ":::+", "1", "2", ":::", "x", "y");
	EXPANDS("echo b a", "--colsep", ",", "echo", "{2}", "{1}", ":::",
	    " a , b ");
	/* (corun's display quotes "=", the words are parallel's) */
	EXPANDS("echo 'f1=A' 'f2=C'|echo 'f1=A' 'f2=D'|echo 'f1=B' 'f2=C'|"
	    "echo 'f1=B' 'f2=D'",
	    "--header", ":", "echo", "f1={f1}", "f2={f2}", ":::", "f1", "A",
	    "B", ":::", "f2", "C", "D");
	EXPANDS("echo pre-A-post", "--trim", "lr", "echo", "pre-{}-post",
	    ":::", " A ");
	EXPANDS("echo 'pre- A-post'", "--trim", "r", "echo", "pre-{}-post",
	    ":::", " A ");
	EXPANDS("echo x|echo y", "-r", "echo", ":::", "x", "", " ", "y");
}
END_TEST

START_TEST(bad_placeholder)
{
	struct cli_tmpl t;
	struct cli_err e;
	const char *w[] = { "echo", "{3}" };

	ck_assert_int_ne(cli_tmpl_init(&t, w, 2, 2, &e), 0);
	ck_assert_str_eq(e.msg,
	    "placeholder {3} but there are only 2 input sources");
	ck_assert_int_eq(cli_tmpl_init(&t, w, 2, 3, &e), 0);
	cli_tmpl_free(&t);
}
END_TEST

START_TEST(payload)
{
	struct cli_cmd c = { { 0 }, 0 };
	struct cli_strv env = { 0 };
	struct cm_buf b = { 0 };

	cli_strv_push(&c.argv, "printf");
	cli_strv_push(&c.argv, "%s");
	cli_strv_push(&c.argv, "a b");
	ck_assert_int_eq(cli_shell_payload(&c, NULL, &b), 0);
	ck_assert_uint_eq(b.len, 14);
	ck_assert_int_eq(memcmp(b.p, "printf\0%s\0a b\0", 14), 0);
	cm_buf_free(&b);
	cli_strv_push(&env, "K=V");
	ck_assert_int_eq(cli_shell_payload(&c, &env, &b), 0);
	ck_assert_uint_eq(b.len, 19);
	ck_assert_int_eq(memcmp(b.p, "printf\0%s\0a b\0\0K=V\0", 19), 0);
	cm_buf_free(&b);
	cli_strv_free(&env);

	/* An empty word would end argv: the command becomes one script. */
	cli_strv_push(&c.argv, "");
	ck_assert_int_eq(cli_cmd_normalize(&c), 0);
	ck_assert(c.shell);
	ck_assert_uint_eq(c.argv.n, 1);
	ck_assert_str_eq(c.argv.v[0], "printf '%s' 'a b' ''");
	cli_cmd_free(&c);
}
END_TEST

static Suite *
template_suite(void)
{
	Suite *s = suite_create("cli-template");
	TCase *tc = tcase_create("template");

	tcase_add_test(tc, quoting);
	tcase_add_test(tc, xforms);
	tcase_add_test(tc, cross_product);
	tcase_add_test(tc, placeholders);
	tcase_add_test(tc, awkward_words);
	tcase_add_test(tc, bad_placeholder);
	tcase_add_test(tc, several_per_job);
	tcase_add_test(tc, replacement_strings);
	tcase_add_test(tc, shell_decision);
	tcase_add_test(tc, links_and_columns);
	tcase_add_test(tc, payload);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(template_suite());
}
