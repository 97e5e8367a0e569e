/* SPDX-License-Identifier: MIT */
/*
 * joblog.c - --joblog FILE, in GNU parallel's tab-separated format:
 *
 *   Seq Host Starttime JobRuntime Send Receive Exitval Signal Command
 *
 * Host is ":" (this machine) or the node of the remote worker that ran
 * the job (its Slurm node or host name), Starttime epoch seconds and JobRuntime
 * seconds with three decimals (JobRuntime right-aligned in 10 columns as
 * parallel writes it), Send 0, Receive the bytes of stdout, Exitval -1
 * for a job killed (timeout, interrupt) or lost, Command the shell-quoted
 * command line.  A command holding a tab or a newline would break the
 * rows apart, so those two are written as \t and \n (the only change
 * made to the command; a literal backslash-n in a command reads the same,
 * which is the price of keeping every other command byte for byte).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"

void
cli_joblog_header(FILE *f)
{
	fputs("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\t"
	    "Signal\tCommand\n", f);
}

int
cli_joblog_open(const char *path, FILE **out, struct cli_err *e)
{
	int append = path[0] == '+';
	FILE *f;

	if (strcmp(path, "-") == 0) {
		*out = stdout;
		cli_joblog_header(stdout);
		fflush(stdout);
		return 0;
	}
	if ((f = fopen(path + append, append ? "a" : "w")) == NULL) {
		return cli_errf(e, CORUN_EINVAL, "--joblog: %s: %s",
		    path + append, strerror(errno));
	}
	if (!append) {
		cli_joblog_header(f);
	}
	fflush(f);
	*out = f;
	return 0;
}

int
cli_joblog_append(const char *path, FILE **out, struct cli_err *e)
{
	const char *p = path + (path[0] == '+');

	if ((*out = fopen(p, "a")) == NULL) {
		return cli_errf(e, CORUN_EINVAL, "--joblog: %s: %s", p,
		    strerror(errno));
	}
	return 0;
}

int
cli_joblog_row(FILE *f, const struct cli_logrow *r)
{
	const char *c;

	fprintf(f, "%" PRIu64 "\t%s\t%.3f\t%10.3f\t0\t%" PRIu64 "\t%d\t%d\t",
	    r->seq, r->host != NULL && *r->host != '\0' ? r->host : ":",
	    r->start, r->runtime, r->receive, r->exitval, r->signal);
	for (c = r->command; *c != '\0'; c++) {
		switch (*c) {
		case '\t':
			fputs("\\t", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		default:
			fputc(*c, f);
			break;
		}
	}
	fputc('\n', f);
	/* One row per job as it ends: a crash loses nothing logged. */
	return fflush(f) == 0 ? 0 : CORUN_ESYS;
}
