/* SPDX-License-Identifier: MIT */
/*
 * output.c - what a finished job prints: its output (whole, or line by
 * line with --tag), its --results directory and its joblog row (its
 * --json record: output-json.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

const char *
cli_status_name(int status)
{
	switch (status) {
	case 0:
		return "ok";
	case CORUN_EFAILED:
		return "failed";
	case CORUN_ETIMEDOUT:
		return "timeout";
	case CORUN_ECANCELED:
		return "cancelled";
	case CORUN_ELOST:
		return "lost";
	case CORUN_EBROKEN:
		return "broken";
	default:
		return "error";
	}
}

int
cli_write_tagged(FILE *f, const char *tag, const char *data, size_t len,
    int flush_lines)
{
	const char *nl;
	size_t n;

	if (tag == NULL) {
		if (len > 0 && fwrite(data, 1, len, f) != len) {
			return CORUN_ESYS;
		}
		return 0;
	}
	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl ? (size_t)(nl - data) + 1 : len;
		fputs(tag, f);
		fputc('\t', f);
		if (fwrite(data, 1, n, f) != n) {
			return CORUN_ESYS;
		}
		if (nl == NULL) {
			/* Finish a last line without a newline. */
			fputc('\n', f);
		}
		if (flush_lines && fflush(f) != 0) {
			return CORUN_ESYS;
		}
		data += n;
		len -= n;
	}
	return 0;
}

static double
ns_to_s(uint64_t ns)
{
	return (double)ns / 1e9;
}

void
cli_outcome_logrow(const struct cli_outcome *oc, struct cli_logrow *row)
{
	const struct corun_job_result *r = oc->res;

	memset(row, 0, sizeof(*row));
	row->seq = oc->js->seq;
	row->command = oc->js->cmdline;
	row->exitval = -1;
	if (r != NULL) {
		row->start = ns_to_s(r->start_ns);
		row->runtime = r->end_ns >= r->start_ns ?
		    ns_to_s(r->end_ns - r->start_ns) : 0;
		row->receive = r->out_len;
		row->signal = r->signal;
		row->host = r->host;
		/* A kind without a process: exit 0 if it worked, else 1. */
		row->exitval = r->exit_code;
		if (r->exit_code < 0 && r->signal == 0 && oc->status == 0) {
			row->exitval = 0;
		} else if (r->exit_code < 0 && r->signal == 0 &&
		    oc->status == CORUN_EFAILED) {
			row->exitval = 1;
		}
	}
}

char *
cli_files_write(const char *tmpdir, const char *data, size_t len)
{
	struct cm_buf b = { 0 };
	char *name;
	int fd, ok;

	cm_buf_adds(&b, tmpdir != NULL ? tmpdir : "/tmp");
	if ((name = (cm_buf_adds(&b, "/parXXXXXX.par"), cm_buf_steal(&b))) ==
	    NULL || (fd = mkstemps(name, 4)) < 0) {
		free(name);
		return NULL;
	}
	ok = len == 0 || write(fd, data, len) == (ssize_t)len;
	if (close(fd) != 0 || !ok) {
		unlink(name);
		free(name);
		return NULL;
	}
	return name;
}
