/* SPDX-License-Identifier: MIT */
/*
 * gnu.h - the GNU parallel options of `corun run` that shape how a job's
 * command is formed: several arguments per job (-N -n -X -m --xargs -L
 * -s), columns and headers (--colsep --header --trim), linked inputs,
 * replacement strings (-I --er --bnr --dnr --bner --seqreplace --plus),
 * quoting (-q), empty input (-r), the -j forms and --timeout N%.  They
 * live in one struct, a field of struct cli_run_opts (cli.h).
 */
#ifndef CORUN_CLI_GNU_H
#define CORUN_CLI_GNU_H

#include <stddef.h>

/* -s's largest value, and the line -X/-m fill by default (parallel's). */
#define CLI_MAX_LINE 131072
#define CLI_DEF_LINE 130000
/* -j 0: as many jobs at once as can run (run-fds.c may lower it). */
#define CLI_JOBS_MANY 1000

/* The replacement strings that -I and its kin rename. */
enum cli_rs {
	CLI_RS_ALL = 0,		/* {}   -I */
	CLI_RS_NOEXT,		/* {.}  --extensionreplace */
	CLI_RS_BASE,		/* {/}  --basenamereplace */
	CLI_RS_DIR,		/* {//} --dirnamereplace */
	CLI_RS_BASENOEXT,	/* {/.} --basenameextensionreplace */
	CLI_RS_SEQ,		/* {#}  --seqreplace */
	CLI_RS_SLOT,		/* {%}  --slotreplace */
	CLI_RS_N
};

/* How several arguments of one job are put in: -m, -X. */
enum cli_multi { CLI_MULTI_NONE = 0, CLI_MULTI_M, CLI_MULTI_X };

struct cli_gnu {
	const char *rs[CLI_RS_N];	/* NULL: the default name */
	int plus;			/* --plus */
	int quote;			/* -q */
	int no_empty;			/* -r */
	int link;			/* --link */
	unsigned max_args;		/* -N/-n (0 with n_given: -N0) */
	int n_given;
	enum cli_multi multi;		/* -m, -X, --xargs */
	unsigned max_lines;		/* -L */
	unsigned long max_chars;	/* -s; 0: the default */
	const char *colsep;		/* --colsep regexp */
	const char *header;		/* --header regexp (or ":") */
	const char *trim;		/* --trim n|l|r|lr|rl */
	int delim, delim_given;		/* -d */
	double timeout_pct;		/* --timeout N%: of the median */
	const char *jobs_file;		/* -j FILE */
	int jobs_given;
	const char *env;		/* --env (the last; all are inherited) */			/* -j/-P given (0 = as many as can) */
};

/* -j's forms against cores: N, N%, +N, -N, 0.  0 or CORUN_EINVAL. */
int cli_jobs_parse(const char *v, unsigned cores, unsigned *out);

#endif /* CORUN_CLI_GNU_H */
