/* SPDX-License-Identifier: MIT */
/*
 * cli-test.h - helpers shared by the Check programs of src/cli: parse a
 * `corun run` command line, expand every job of it into one string, make
 * a temporary file with given bytes.
 */
#ifndef CORUN_CLI_TEST_H
#define CORUN_CLI_TEST_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/argbatch.h"

static inline int
parse(struct cli_run_opts *o, struct cli_err *e, const char *const *words)
{
	static char *argv[64];
	int n = 0;

	while (words[n] != NULL) {
		argv[n] = (char *)words[n];
		n++;
	}
	argv[n] = NULL;
	return cli_run_opts_parse(n, argv, o, e);
}

#define PARSE_OK(o, ...) do {						\
	static const char *const w_[] = { __VA_ARGS__, NULL };		\
	struct cli_err e_;						\
	ck_assert_int_eq(parse((o), &e_, w_), 0);			\
} while (0)

/* Parse must fail with a message containing want. */
static inline void
parse_bad(const char *want, const char *const *words)
{
	struct cli_run_opts o;
	struct cli_err e;

	ck_assert_int_ne(parse(&o, &e, words), 0);
	ck_assert_msg(strstr(e.msg, want) != NULL, "\"%s\" not in \"%s\"",
	    want, e.msg);
	cli_run_opts_free(&o);
}

#define PARSE_BAD(want, ...) do {					\
	static const char *const w_[] = { __VA_ARGS__, NULL };		\
	parse_bad((want), w_);						\
} while (0)

/*
 * Expand all jobs of options into one string, lines joined by '|', as
 * corun run forms them (argbatch.c gathers each job's values).
 */
static inline char *
expand_all(struct cli_run_opts *o)
{
	struct cli_input in;
	struct cli_batch bt;
	struct cli_tmpl t;
	struct cli_err e;
	struct cli_cmd c;
	struct cm_buf b = { 0 };
	const char **args;
	size_t nargs;
	uint64_t seq = 1;
	char *line;
	int rc;

	ck_assert_int_eq(cli_input_open(&in, o, &e), 0);
	ck_assert_int_eq(cli_batch_open(&bt, &o->g, &e), 0);
	ck_assert_int_eq(cli_batch_names(&bt, &in.hdr, &e), 0);
	ck_assert_int_eq(cli_tmpl_setup(&t, o->cmd, o->ncmd, o->ngroups ?
	    o->ngroups : 1, &o->g, &bt.names, &e), 0);
	cli_batch_measure(&bt, &t);
	if (t.wants_total) {
		ck_assert_int_eq(cli_batch_count(o, &t.total, &e), 0);
	}
	while ((rc = cli_batch_next(&bt, &in, 0, &args, &nargs, &e)) == 0) {
		ck_assert_int_eq(cli_tmpl_expand(&t, args, nargs, seq,
		    (unsigned)((seq - 1) % 2 + 1), &c), 0);
		line = cli_cmd_line(&c);
		if (b.len > 0) {
			cm_buf_addc(&b, '|');
		}
		cm_buf_adds(&b, line);
		free(line);
		cli_cmd_free(&c);
		seq++;
	}
	ck_assert_int_eq(rc, CORUN_EDONE);
	cli_tmpl_free(&t);
	cli_batch_close(&bt);
	cli_input_close(&in);
	return b.p != NULL ? cm_buf_steal(&b) : strdup("");
}

#define EXPANDS(want, ...) do {						\
	struct cli_run_opts o_;						\
	char *got_;							\
	PARSE_OK(&o_, __VA_ARGS__);					\
	got_ = expand_all(&o_);						\
	ck_assert_str_eq(got_, (want));					\
	free(got_);							\
	cli_run_opts_free(&o_);						\
} while (0)

static inline char *
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

#endif /* CORUN_CLI_TEST_H */
