/* SPDX-License-Identifier: MIT */
/*
 * onall.c - --onall with -S: every job (all of the input) runs on every
 * login, as GNU parallel runs it.  Like parallel, the run becomes two
 * levels: an outer `corun run` with one job per login (the logins in
 * sorted order, -j of them at once, default all; output grouped per
 * login; exit status the number of logins that failed), each job an
 * inner `corun run` of the same command line told by the environment
 * (CORUN_ONALL_LOGIN) to use that one login, one job at a time.  Input
 * read from stdin is copied to a file first so that every login gets
 * all of it.  run.c runs the outer command line this file makes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "onall.h"

#define ONALL_ENV "CORUN_ONALL_LOGIN"

/* The inner run's login tag (--tag), alive for the whole run. */
static char *inner_tag;

int
cli_onall_inner(struct cli_run_opts *o, struct cli_err *e)
{
	const char *login = getenv(ONALL_ENV);

	if (login == NULL) {
		return 0;
	}
	free(inner_tag);
	if ((inner_tag = strdup(login)) == NULL) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	/* the jobs must not take the outer run's word for theirs */
	unsetenv(ONALL_ENV);
	cli_strv_free(&o->sshlogins);
	cli_strv_free(&o->sshloginfiles);
	if (cli_strv_push(&o->sshlogins, inner_tag) != 0) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	o->onall = 0;
	o->jobs = 1;
	o->g.jobs_given = 1;
	o->g.jobs_file = NULL;
	o->joblog = NULL;
	if (o->tag) {
		o->tag = 0;
		o->tagstring = inner_tag;
	}
	return 0;
}

static int
cmp_login(const void *a, const void *b)
{
	const struct cli_login *x = a, *y = b;

	return strcmp(x->host, y->host);
}

/* Does the input come from stdin (no ::: or ::::, or a "-" file)? */
static int
reads_stdin(const struct cli_run_opts *o)
{
	size_t k;

	if (o->ngroups == 0) {
		return 1;
	}
	for (k = 0; k < o->ngroups; k++) {
		if (o->groups[k].is_file && strcmp(o->groups[k].path, "-") ==
		    0) {
			return 1;
		}
	}
	return 0;
}

/* Copy stdin into a new temporary file; its path in *tmp. */
static int
save_stdin(char **tmp, struct cli_err *e)
{
	const char *dir = getenv("TMPDIR");
	struct cm_buf b = { 0 };
	char buf[65536];
	ssize_t n = 0, got, off;
	int fd, bad = 0;

	cm_buf_adds(&b, dir != NULL && *dir != '\0' ? dir : "/tmp");
	cm_buf_adds(&b, "/corun-onall-XXXXXX");
	if (b.p == NULL || (fd = mkstemp(b.p)) < 0) {
		cm_buf_free(&b);
		return cli_errf(e, CORUN_ESYS, "--onall: cannot make a "
		    "temporary file for stdin: %s", strerror(errno));
	}
	*tmp = cm_buf_steal(&b);
	while (bad == 0 && (got = read(0, buf, sizeof(buf))) != 0) {
		if (got < 0) {
			bad = errno != EINTR;
			continue;
		}
		for (off = 0; bad == 0 && off < got; off += n > 0 ? n : 0) {
			n = write(fd, buf + off, (size_t)(got - off));
			bad = n < 0 && errno != EINTR;
		}
	}
	if (close(fd) != 0 || bad) {
		return cli_errf(e, CORUN_ESYS, "--onall: cannot copy stdin to "
		    "%s: %s", *tmp, strerror(errno));
	}
	return 0;
}

/* "CORUN_ONALL_LOGIN=host exec SELF run ARGS... [< tmp]" */
static char *
inner_cmd(const char *self, const char *host, int argc, char **argv,
    const char *tmp)
{
	struct cm_buf b = { 0 };
	int k;

	cm_buf_adds(&b, ONALL_ENV "=");
	cm_shquote(&b, host);
	cm_buf_adds(&b, " exec ");
	cm_shquote(&b, self);
	cm_buf_adds(&b, " run");
	for (k = 0; k < argc; k++) {
		cm_buf_addc(&b, ' ');
		cm_shquote(&b, argv[k]);
	}
	if (tmp != NULL) {
		cm_buf_adds(&b, " < ");
		cm_shquote(&b, tmp);
	}
	return cm_buf_steal(&b);
}

/* The outer run's options: -j, and the output modes parallel passes. */
static int
outer_opts(const struct cli_run_opts *o, size_t nlogins, struct cli_strv *out)
{
	char num[32];
	unsigned j = o->g.jobs_given && o->jobs > 0 ? o->jobs :
	    (unsigned)nlogins;

	snprintf(num, sizeof(num), "%u", j);
	if (cli_strv_push(out, "run") != 0 ||
	    cli_strv_push(out, "-j") != 0 || cli_strv_push(out, num) != 0 ||
	    (o->keep_order && cli_strv_push(out, "-k") != 0) ||
	    (o->line_buffer && cli_strv_push(out, "--line-buffer") != 0) ||
	    (o->ungroup && cli_strv_push(out, "-u") != 0) ||
	    cli_strv_push(out, ":::") != 0) {
		return CORUN_ENOMEM;
	}
	return 0;
}

int
cli_onall_outer(const struct cli_run_opts *o, int argc, char **argv,
    struct cli_strv *out, char **tmp, struct cli_err *e)
{
	struct cli_logins l;
	char self[4096];
	ssize_t n;
	size_t k;
	int rc;

	*tmp = NULL;
	memset(out, 0, sizeof(*out));
	if (o->joblog != NULL || o->results != NULL) {
		return cli_errf(e, CORUN_EINVAL, "--onall: --joblog and "
		    "--results are not supported with it");
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		return cli_errf(e, CORUN_ESYS, "--onall: cannot find the "
		    "corun program (/proc/self/exe): %s", strerror(errno));
	}
	self[n] = '\0';
	if ((rc = cli_logins_init(&l, o, e)) != 0) {
		return rc;
	}
	qsort(l.v, l.n, sizeof(*l.v), cmp_login);
	if (reads_stdin(o) && o->jobs_file == NULL) {
		rc = save_stdin(tmp, e);
	}
	if (rc == 0 && outer_opts(o, l.n, out) != 0) {
		rc = cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	for (k = 0; k < l.n && rc == 0; k++) {
		char *c = inner_cmd(self, l.v[k].host, argc, argv, *tmp);

		if (c == NULL || cli_strv_take(out, c) != 0) {
			rc = cli_errf(e, CORUN_ENOMEM, "out of memory");
		}
	}
	cli_logins_free(&l);
	return rc;
}
