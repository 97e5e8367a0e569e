/* SPDX-License-Identifier: MIT */
/*
 * help.h - what each option of each corun command does, for --help
 * (help.c).  The option tables stay where they are (args-opts.c,
 * compare-opts.c, client-submit.c, ...); this is a separate table keyed
 * by command and long option name, so that a new option is one more
 * line here.  tests/cli/test_help.c fails when an option of a table has
 * no line, and the completion scripts read --help, so a documented
 * option is completed too.
 */
#ifndef CORUN_CLI_HELP_H
#define CORUN_CLI_HELP_H

#include <stdio.h>

struct cli_optdoc {
	const char *cmd;	/* "run", "compare", "submit", ... */
	const char *opt;	/* long name without "--" */
	char shrt;		/* short letter, or 0 */
	const char *arg;	/* the value's name, or NULL for a flag */
	const char *text;	/* what it does, one line */
};

/*
 * Print "options:" and one line per documented option of cmd, in the
 * table's order ("  -j, --jobs N   text").  Nothing when cmd has none.
 */
void cli_help_options(FILE *f, const char *cmd);

/* The description of --opt of cmd, or NULL. */
const struct cli_optdoc *cli_help_find(const char *cmd, const char *opt);

/*
 * The usage of a command that has no table of its own: "usage: corun
 * [-S URL] " synopsis, then its options, on f.
 */
void cli_help_client(FILE *f, const char *cmd, const char *synopsis);

#endif /* CORUN_CLI_HELP_H */
