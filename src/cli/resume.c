/* SPDX-License-Identifier: MIT */
/*
 * resume.c - --resume, --resume-failed and --retry-failed: what an
 * earlier run's --joblog says was done, keyed on Seq as GNU parallel
 * keys it.  --resume skips every Seq the log holds; --resume-failed only
 * those that ended with Exitval 0 and Signal 0; --retry-failed runs the
 * Command of each failed row again (the command line's own command and
 * inputs are ignored), under its old Seq.  The log is then appended to
 * (no second header).  Pure: see cli.h.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
mark(struct cli_resume *rs, uint64_t seq)
{
	if (seq >= rs->cap) {
		size_t nc = (size_t)seq * 2 + 64;
		unsigned char *nd = realloc(rs->done, nc);

		if (nd == NULL) {
			return CORUN_ENOMEM;
		}
		memset(nd + rs->cap, 0, nc - rs->cap);
		rs->done = nd;
		rs->cap = nc;
	}
	rs->done[seq] = 1;
	return 0;
}

/* The command of a row: what follows the 8th tab, \t and \n undone. */
static char *
row_command(const char *line)
{
	const char *c = line;
	char *out, *o;
	int k;

	for (k = 0; k < 8; k++) {
		if ((c = strchr(c, '\t')) == NULL) {
			return NULL;
		}
		c++;
	}
	if ((out = malloc(strlen(c) + 1)) == NULL) {
		return NULL;
	}
	for (o = out; *c != '\0'; c++) {
		if (c[0] == '\\' && (c[1] == 't' || c[1] == 'n')) {
			*o++ = c[1] == 't' ? '\t' : '\n';
			c++;
		} else {
			*o++ = *c;
		}
	}
	*o = '\0';
	return out;
}

/* One row: its Seq, and whether it ended well (Exitval 0, Signal 0). */
static int
parse_row(const char *line, uint64_t *seq, int *ok)
{
	char *end;
	const char *c = line;
	long v[2];
	int k;

	errno = 0;
	*seq = strtoull(line, &end, 10);
	if (end == line || *end != '\t' || errno != 0 || *seq == 0) {
		return CORUN_EINVAL;
	}
	for (k = 0; k < 6; k++) {
		if ((c = strchr(c, '\t')) == NULL) {
			return CORUN_EINVAL;
		}
		c++;
	}
	for (k = 0; k < 2; k++) {
		v[k] = strtol(c, &end, 10);
		if (end == c || *end != '\t') {
			return CORUN_EINVAL;
		}
		c = end + 1;
	}
	*ok = v[0] == 0 && v[1] == 0;
	return 0;
}

static int
keep_command(struct cli_resume *rs, uint64_t seq, const char *line, int ok)
{
	char *cmd = ok ? strdup("true") : row_command(line);

	if (cmd == NULL) {
		return CORUN_ENOMEM;
	}
	while (rs->cmds.n + 1 < seq) {
		/* a Seq missing from the log: nothing to run there */
		if (cli_strv_push(&rs->cmds, "true") != 0 ||
		    mark(rs, rs->cmds.n) != 0) {
			free(cmd);
			return CORUN_ENOMEM;
		}
	}
	if (rs->cmds.n >= seq) {
		free(rs->cmds.v[seq - 1]);
		rs->cmds.v[seq - 1] = cmd;
		return 0;
	}
	return cli_strv_take(&rs->cmds, cmd);
}

int
cli_resume_load(struct cli_resume *rs, const char *path, int mode,
    struct cli_err *e)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0, seq;
	int ok, rc = 0;

	memset(rs, 0, sizeof(*rs));
	rs->mode = mode;
	if ((f = fopen(path, "r")) == NULL) {
		return errno == ENOENT ? 0 : cli_errf(e, CORUN_EINVAL,
		    "--joblog: %s: %s", path, strerror(errno));
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n') {
			line[--n] = '\0';
		}
		if (lineno++ == 0) {
			rs->had_header = 1;
			continue;
		}
		if (parse_row(line, &seq, &ok) != 0) {
			rc = cli_errf(e, CORUN_EINVAL, "--joblog: %s:%llu: not a "
			    "joblog row", path, (unsigned long long)lineno);
			break;
		}
		if (mode == CLI_RESUME_ALL || ok) {
			rc = mark(rs, seq);
		}
		if (rc == 0 && mode == CLI_RESUME_RETRY) {
			rc = keep_command(rs, seq, line, ok);
		}
		if (rc == CORUN_ENOMEM) {
			rc = cli_errf(e, rc, "out of memory");
		}
	}
	free(line);
	fclose(f);
	return rc;
}

int
cli_resume_skip(const struct cli_resume *rs, uint64_t seq)
{
	return rs != NULL && seq < rs->cap && rs->done[seq];
}

void
cli_resume_free(struct cli_resume *rs)
{
	free(rs->done);
	cli_strv_free(&rs->cmds);
	memset(rs, 0, sizeof(*rs));
}
