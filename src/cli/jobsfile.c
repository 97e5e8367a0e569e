/* SPDX-License-Identifier: MIT */
/*
 * jobsfile.c - --jobs-file FILE|-: one job per line, as a JSON object
 * (src/common/jobspec.h: the same line means the same job for corun run
 * and corun submit), read and handed out by this file:
 *
 *   {"kind":"shell","cmd":"make -C x"}     one shell word (sh -c if needed)
 *   {"kind":"shell","argv":["ls","-l"]}    words run directly
 *   {"cmd":["ls","-l"]}                    the same, as corund takes it
 *   {"kind":"sleep","ms":10}  {"kind":"cpu","ms":50}  {"kind":"noop"}
 *   {"kind":"net","addr":"127.0.0.1:8080","request":"GET / ...\r\n\r\n"}
 *   {"kind":"mykind","payload":"..."}     kinds from --load plugins
 *
 * Blank lines are skipped.  The whole file is checked before anything
 * runs (a bad line 7 must not leave jobs 1-6 half done).  A regular file
 * is then read again from the start; a pipe is copied to an unlinked
 * temporary file while checking, so memory stays bounded either way.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/jobspec.h"

/*
 * One line: the job specification (src/common/jobspec.c) parses and
 * checks it for corun run; js gets the payload, the display line and the
 * --tag string.  where starts the message, or NULL.
 */
static int
parse_at(const char *line, size_t len, const char *where,
    struct cli_jobspec *js, struct cli_err *e)
{
	struct cm_jobspec_desc d;
	struct cm_jobspec_err pe;
	struct cm_jobspec_run r;
	int rc;

	memset(js, 0, sizeof(*js));
	if ((rc = cm_jobspec_parse_line(line, len, where, CM_JOBSPEC_RUN, &d,
	    &pe)) != 0) {
		return cli_errf(e, rc, "%s", pe.msg);
	}
	cm_jobspec_take_run(&d, &r);
	js->kind = r.kind;
	js->payload = r.payload;
	js->len = r.len;
	js->cmdline = r.cmdline;
	js->id = r.id;
	js->timeout = r.timeout;
	js->retries = r.retries;
	if ((js->tagstr = strdup(js->id ? js->id : js->cmdline)) == NULL) {
		cli_jobspec_free(js);
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	return 0;
}

void
cli_jobsfile_pool_job(const struct cli_jobspec *js, double def_timeout,
    int def_retries, struct corun_job *j)
{
	struct cm_jobspec_desc d;

	/* A view of js: cm_jobspec_pool_job() reads just these fields. */
	memset(&d, 0, sizeof(d));
	d.kind = js->kind;
	d.payload = js->payload;
	d.len = js->len;
	d.timeout = js->timeout;
	d.retries = js->retries;
	cm_jobspec_pool_job(&d, def_timeout, def_retries, j);
}

int
cli_jobsfile_parse_line(const char *line, size_t len, struct cli_jobspec *js,
    struct cli_err *e)
{
	return parse_at(line, len, NULL, js, e);
}

/* The next line of the file as a job, "file:line: " before an error. */
static int
parse_rec(struct cli_jobsfile *jf, const char *rec, size_t len,
    struct cli_jobspec *js, struct cli_err *e)
{
	char where[512];

	snprintf(where, sizeof(where), "%s:%" PRIu64, jf->name,
	    jf->rd.lineno);
	return parse_at(rec, len, where, js, e);
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isspace((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Read the file again, from the copy or from where it started. */
static int
reread(struct cli_jobsfile *jf, off_t start, struct cli_err *e)
{
	free(jf->rd.buf);
	jf->rd.buf = NULL;
	jf->rd.len = jf->rd.off = jf->rd.cap = 0;
	jf->rd.eof = 0;
	jf->rd.lineno = 0;
	if (jf->spool != NULL) {
		if (jf->rd.own) {
			close(jf->rd.fd);
		}
		jf->rd.fd = fileno(jf->spool);
		jf->rd.own = 0;
		start = 0;
		if (fflush(jf->spool) != 0) {
			return cli_errf(e, CORUN_ESYS, "%s: temporary file: %s",
			    jf->name, strerror(errno));
		}
	}
	if (lseek(jf->rd.fd, start, SEEK_SET) < 0) {
		return cli_errf(e, CORUN_ESYS, "%s: %s", jf->name,
		    strerror(errno));
	}
	return 0;
}

int
cli_jobsfile_open(struct cli_jobsfile *jf, const char *path, struct cli_err *e)
{
	struct cli_jobspec js;
	off_t start;
	char *rec;
	size_t len;
	int rc;

	memset(jf, 0, sizeof(*jf));
	if ((rc = cli_reader_open(&jf->rd, path, '\n', e)) != 0) {
		return rc;
	}
	jf->name = jf->rd.name;
	start = lseek(jf->rd.fd, 0, SEEK_CUR);
	if (start < 0 && (jf->spool = tmpfile()) == NULL) {
		rc = cli_errf(e, CORUN_ESYS, "%s: temporary file: %s",
		    jf->name, strerror(errno));
		cli_jobsfile_close(jf);
		return rc;
	}
	while ((rc = cli_reader_next(&jf->rd, 0, &rec, &len, e)) == 0) {
		if (jf->spool != NULL && (fwrite(rec, 1, len, jf->spool) !=
		    len || fputc('\n', jf->spool) == EOF)) {
			rc = cli_errf(e, CORUN_ESYS, "%s: temporary file: %s",
			    jf->name, strerror(errno));
			break;
		}
		if (blank(rec, len)) {
			continue;
		}
		if ((rc = parse_rec(jf, rec, len, &js, e)) != 0) {
			break;
		}
		if (strcmp(js.kind, "cpu") == 0 ||
		    strcmp(js.kind, "block") == 0) {
			jf->cpu_bound = 1;
		}
		cli_jobspec_free(&js);
	}
	if (rc != CORUN_EDONE || (rc = reread(jf, start, e)) != 0) {
		cli_jobsfile_close(jf);
		return rc;
	}
	return 0;
}

int
cli_jobsfile_next(struct cli_jobsfile *jf, struct cli_jobspec *js,
    struct cli_err *e)
{
	char *rec;
	size_t len;
	int rc;

	while ((rc = cli_reader_next(&jf->rd, 0, &rec, &len, e)) == 0) {
		if (blank(rec, len)) {
			continue;
		}
		return parse_rec(jf, rec, len, js, e);
	}
	return rc;
}

void
cli_jobsfile_close(struct cli_jobsfile *jf)
{
	cli_reader_close(&jf->rd);
	if (jf->spool != NULL) {
		fclose(jf->spool);
	}
	memset(jf, 0, sizeof(*jf));
	jf->rd.fd = -1;
}
