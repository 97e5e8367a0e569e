/* SPDX-License-Identifier: MIT */
/*
 * output.c - what a finished job prints: its output (whole, or line by
 * line with --tag; from memory, or from the file a worker spilled it to),
 * its --results directory and its joblog row (its --json record:
 * output-json.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
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

/* Wait until fd takes more (an O_NONBLOCK output); 0 or -1. */
static int
wait_writable(int fd)
{
	struct pollfd p = { fd, POLLOUT, 0 };

	return poll(&p, 1, -1) < 0 && errno != EINTR ? -1 : 0;
}

/* len bytes to fd, whatever it takes; 0 or -1. */
static int
put_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			if (wait_writable(fd) != 0) {
				return -1;
			}
		} else if (n == 0 || errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

/* All of in to out, in the kernel where it can; 0 or -1. */
static int
copy_fd(int in, int out)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = sendfile(out, in, NULL, (size_t)1 << 30);
		if (n == 0) {
			return 0;
		}
		if (n > 0 || errno == EINTR) {
			continue;
		}
		if (errno == EAGAIN) {
			if (wait_writable(out) != 0) {
				return -1;
			}
			continue;
		}
		if (errno != EINVAL && errno != ENOSYS) {
			return -1;
		}
		break;		/* no sendfile to this output: copy */
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 || put_all(out, buf, (size_t)n) != 0) {
			return -1;
		}
	}
	return 0;
}

/* Tag the lines of one piece; *bol: the piece starts a line. */
static int
tag_piece(FILE *f, const char *tag, const char *p, size_t len, int *bol,
    int flush_lines)
{
	const char *nl;
	size_t n;

	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl ? (size_t)(nl - p) + 1 : len;
		if (*bol) {
			fputs(tag, f);
			fputc('\t', f);
		}
		if (fwrite(p, 1, n, f) != n) {
			return -1;
		}
		*bol = nl != NULL;
		if (nl != NULL && flush_lines && fflush(f) != 0) {
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int
cli_write_file(FILE *f, const char *tag, const char *path, int flush_lines)
{
	char buf[65536];
	int fd, rc = 0, bol = 1, e;
	ssize_t n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return CORUN_ESYS;
	}
	if (tag == NULL) {
		rc = fflush(f) != 0 || copy_fd(fd, fileno(f)) != 0 ? -1 : 0;
	} else {
		while (rc == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
			if (n < 0) {
				rc = errno == EINTR ? 0 : -1;
				continue;
			}
			rc = tag_piece(f, tag, buf, (size_t)n, &bol,
			    flush_lines);
		}
		if (rc == 0 && !bol) {
			/* Finish a last line without a newline. */
			fputc('\n', f);
			rc = flush_lines && fflush(f) != 0 ? -1 : 0;
		}
	}
	e = errno;
	close(fd);
	errno = e;
	return rc == 0 ? 0 : CORUN_ESYS;
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
	struct stat st;

	memset(row, 0, sizeof(*row));
	row->seq = oc->js->seq;
	row->command = oc->js->cmdline;
	row->exitval = -1;
	if (r != NULL) {
		row->start = ns_to_s(r->start_ns);
		row->runtime = r->end_ns >= r->start_ns ?
		    ns_to_s(r->end_ns - r->start_ns) : 0;
		row->receive = r->out_len;
		if (r->out_file != NULL && stat(r->out_file, &st) == 0) {
			row->receive = (uint64_t)st.st_size;
		}
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
