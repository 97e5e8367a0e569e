/* SPDX-License-Identifier: MIT */
/*
 * pipe-out.c - what a finished job of `corun run --pipe/--pipepart`
 * leaves: its stdout and stderr printed whole (with -k in the order of
 * the blocks, else as jobs end), its --joblog row, its count in the
 * tally behind the exit status.  See pipe-internal.h.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipe-internal.h"

int
cli_pipe_joblog_open(struct cli_prun *r)
{
	struct cli_err e;

	if (cli_joblog_open(r->o->joblog, &r->joblog, &e) != 0) {
		cli_warn("%s", e.msg);
		return -1;
	}
	return 0;
}

static void
print_job(struct cli_pjob *j)
{
	if (j->obuf.len > 0) {
		fwrite(j->obuf.p, 1, j->obuf.len, stdout);
		fflush(stdout);
	}
	if (j->ebuf.len > 0) {
		fwrite(j->ebuf.p, 1, j->ebuf.len, stderr);
		fflush(stderr);
	}
}

/* -k: a finished job waits for those before it. */
static int
keep(struct cli_prun *r, struct cli_pjob *j)
{
	size_t at = (size_t)(j->seq - r->printed - 1);
	struct cli_pjob *copy = malloc(sizeof(*copy));

	if (at >= r->ndone) {
		size_t nn = at + 16;
		struct cli_pjob **nd = realloc(r->done, nn * sizeof(*nd));

		if (nd == NULL || copy == NULL) {
			free(copy);
			return -1;
		}
		memset(nd + r->ndone, 0, (nn - r->ndone) * sizeof(*nd));
		r->done = nd;
		r->ndone = nn;
	}
	if (copy == NULL) {
		return -1;
	}
	*copy = *j;
	memset(j, 0, sizeof(*j));
	r->done[at] = copy;
	while (r->ndone > 0 && r->done[0] != NULL) {
		copy = r->done[0];
		print_job(copy);
		cli_pjob_free(copy);
		free(copy);
		memmove(r->done, r->done + 1, (r->ndone - 1) *
		    sizeof(*r->done));
		r->done[r->ndone - 1] = NULL;
		r->printed++;
	}
	return 0;
}

static void
log_job(struct cli_prun *r, const struct cli_pjob *j)
{
	struct cli_logrow row;
	int st = j->wstatus;

	memset(&row, 0, sizeof(row));
	row.seq = j->seq;
	row.start = j->start;
	row.runtime = j->runtime;
	row.receive = j->obuf.len;
	row.exitval = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	row.signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	row.command = j->cmdline ? j->cmdline : "";
	(void)cli_joblog_row(r->joblog, &row);
}

void
cli_pjob_end(struct cli_prun *r, struct cli_pjob *j)
{
	int st = j->wstatus;
	int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;

	r->tally.total++;
	r->tally.done++;
	if (ok) {
		r->tally.succeeded++;
	} else {
		r->tally.failed++;
		r->tally.last_fail_exit = WIFEXITED(st) ? WEXITSTATUS(st) :
		    -1;
	}
	if (r->joblog != NULL) {
		log_job(r, j);
	}
	if (r->o->keep_order && keep(r, j) == 0) {
		return;
	}
	print_job(j);
	r->printed++;
	cli_pjob_free(j);
}

void
cli_pipe_finish(struct cli_prun *r)
{
	unsigned k;
	size_t d;

	for (k = 0; r->job != NULL && k < r->jobs; k++) {
		struct cli_pjob *j = &r->job[k];

		if (j->used && !j->exited && j->pid > 0) {
			kill(j->pid, SIGTERM);
			cli_pjob_reap(j, 1);
		}
		if (j->pidfd >= 0) {
			close(j->pidfd);
		}
		if (j->out >= 0) {
			close(j->out);
		}
		if (j->err >= 0) {
			close(j->err);
		}
		if (j->used) {
			cli_pjob_free(j);
		}
	}
	for (d = 0; d < r->ndone; d++) {
		if (r->done[d] != NULL) {
			cli_pjob_free(r->done[d]);
			free(r->done[d]);
		}
	}
	free(r->done);
	free(r->job);
	if (r->joblog != NULL && r->joblog != stdout) {
		fclose(r->joblog);
	}
}
