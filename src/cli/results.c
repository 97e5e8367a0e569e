/* SPDX-License-Identifier: MIT */
/*
 * results.c - --results in GNU parallel's layout.  A plain DIR gets
 * DIR/1/VALUE1/2/VALUE2/.../{seq,stdout,stderr} per job (seq without a
 * newline; in a value \ / TAB NUL are written \\ \_ \t \0, so a value
 * never names another directory, and ".." or "" stay inside DIR as in
 * parallel); DIR ending in .csv, .tsv or .json is one file of a row per
 * job (parallel's columns: Seq Host Starttime JobRuntime Send Receive
 * Exitval Signal Command V1.. Stdout Stderr, quoted as parallel quotes
 * them).  A job without input values (a jobs file) uses its Seq as its
 * one value.  See cli.h.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static int
ends_with(const char *s, const char *sfx)
{
	size_t a = strlen(s), b = strlen(sfx);

	return a >= b && strcmp(s + a - b, sfx) == 0;
}

int
cli_results_open(struct cli_results *rs, const char *dir, struct cli_err *e)
{
	memset(rs, 0, sizeof(*rs));
	rs->dir = dir;
	rs->kind = ends_with(dir, ".csv") ? CLI_RESULTS_CSV :
	    ends_with(dir, ".tsv") ? CLI_RESULTS_TSV :
	    ends_with(dir, ".json") ? CLI_RESULTS_JSON : CLI_RESULTS_DIR;
	if (rs->kind == CLI_RESULTS_DIR) {
		return 0;
	}
	if ((rs->f = fopen(dir, "w")) == NULL) {
		return cli_errf(e, CORUN_EINVAL, "--results: %s: %s", dir,
		    strerror(errno));
	}
	return 0;
}

int
cli_results_close(struct cli_results *rs)
{
	int rc = 0;

	if (rs->f != NULL && fclose(rs->f) != 0) {
		rc = CORUN_ESYS;
	}
	rs->f = NULL;
	return rc;
}

/* mkdir -p of path (modified in place and restored). */
static int
mkpath(char *path)
{
	char *p;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/') {
			continue;
		}
		*p = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(path, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static void
add_dirname(struct cm_buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		switch (*v) {
		case '\\':
			cm_buf_adds(b, "\\\\");
			break;
		case '\t':
			cm_buf_adds(b, "\\t");
			break;
		case '/':
			cm_buf_adds(b, "\\_");
			break;
		default:
			cm_buf_addc(b, *v);
			break;
		}
	}
}

static int
put_file(struct cm_buf *path, size_t base, const char *name,
    const char *data, size_t len)
{
	FILE *f;
	int ok;

	path->len = base;
	cm_buf_adds(path, name);
	if (path->oom || (f = fopen(path->p, "w")) == NULL) {
		return -1;
	}
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int
put_dir(struct cli_results *rs, const struct cli_outcome *oc,
    struct cli_err *e)
{
	const struct corun_job_result *r = oc->res;
	const struct cli_strv *args = &oc->js->args;
	struct cm_buf b = { 0 };
	char num[32];
	size_t g, base;
	int rc;

	cm_buf_adds(&b, rs->dir);
	for (g = 0; g < (args->n ? args->n : 1); g++) {
		snprintf(num, sizeof(num), "/%zu/", g + 1);
		cm_buf_adds(&b, num);
		if (args->n) {
			add_dirname(&b, args->v[g]);
		} else {
			snprintf(num, sizeof(num), "%" PRIu64, oc->js->seq);
			cm_buf_adds(&b, num);
		}
	}
	if (cm_buf_addc(&b, '/') != 0) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	base = b.len;
	snprintf(num, sizeof(num), "%" PRIu64, oc->js->seq);
	rc = mkpath(b.p) != 0 ||
	    put_file(&b, base, "seq", num, strlen(num)) != 0 ||
	    put_file(&b, base, "stdout", r ? r->out : "", r ? r->out_len :
	    0) != 0 ||
	    put_file(&b, base, "stderr", r ? r->err : "", r ? r->err_len :
	    0) != 0;
	if (rc != 0) {
		rc = cli_errf(e, CORUN_ESYS, "--results: %s: %s", b.p,
		    strerror(errno));
	}
	cm_buf_free(&b);
	return rc;
}

/* One CSV/TSV field as parallel's combine_ref writes it. */
static void
sep_field(FILE *f, int sep, int first, const char *v, size_t len)
{
	size_t k;
	int quote = 0;

	for (k = 0; k < len; k++) {
		if (v[k] == '"' || v[k] == sep || v[k] == '\0' ||
		    strchr(" \t\n\r\f\v", v[k]) != NULL) {
			quote = 1;
		}
	}
	if (!first) {
		fputc(sep, f);
	}
	if (quote) {
		fputc('"', f);
	}
	for (k = 0; k < len; k++) {
		if (v[k] == '"') {
			fputc('"', f);
		}
		fputc(v[k], f);
	}
	if (quote) {
		fputc('"', f);
	}
}

static void
json_str(FILE *f, const char *v, size_t len)
{
	size_t k;

	fputc('"', f);
	for (k = 0; k < len; k++) {
		unsigned char c = (unsigned char)v[k];

		if (c == '\\' || c == '"') {
			fprintf(f, "\\%c", c);
		} else if (c < 32) {
			fprintf(f, "\\u%04x", c);
		} else {
			fputc(c, f);
		}
	}
	fputc('"', f);
}

static void
put_json(struct cli_results *rs, const struct cli_outcome *oc,
    const struct cli_logrow *row)
{
	const struct corun_job_result *r = oc->res;
	const struct cli_strv *a = &oc->js->args;
	size_t k;

	fprintf(rs->f, "{ \"Seq\": %" PRIu64 ", \"Host\": \":\", "
	    "\"Starttime\": %.3f, \"JobRuntime\": %.3f, \"Send\": 0, "
	    "\"Receive\": %" PRIu64 ", \"Exitval\": %d, \"Signal\": %d, "
	    "\"Command\": ", row->seq, row->start, row->runtime, row->receive,
	    row->exitval, row->signal);
	json_str(rs->f, row->command, strlen(row->command));
	fputs(", \"V\": [ ", rs->f);
	for (k = 0; k < a->n; k++) {
		fputs(k ? "," : "", rs->f);
		json_str(rs->f, a->v[k], strlen(a->v[k]));
	}
	fputs(" ], \"Stdout\": ", rs->f);
	json_str(rs->f, r ? r->out : "", r ? r->out_len : 0);
	fputs(", \"Stderr\": ", rs->f);
	json_str(rs->f, r ? r->err : "", r ? r->err_len : 0);
	fputs(" }\n", rs->f);
}

static void
put_sep(struct cli_results *rs, const struct cli_outcome *oc,
    const struct cli_logrow *row)
{
	static const char *const cols[] = { "Seq", "Host", "Starttime",
		"JobRuntime", "Send", "Receive", "Exitval", "Signal",
		"Command" };
	const struct corun_job_result *r = oc->res;
	const struct cli_strv *a = &oc->js->args;
	int sep = rs->kind == CLI_RESULTS_CSV ? ',' : '\t';
	char num[160];
	size_t k;

	if (!rs->header_done) {
		for (k = 0; k < 9; k++) {
			sep_field(rs->f, sep, k == 0, cols[k], strlen(cols[k]));
		}
		for (k = 0; k < a->n; k++) {
			snprintf(num, sizeof(num), "V%zu", k + 1);
			sep_field(rs->f, sep, 0, num, strlen(num));
		}
		fprintf(rs->f, "%cStdout%cStderr\n", sep, sep);
		rs->header_done = 1;
	}
	snprintf(num, sizeof(num), "%" PRIu64 "%c:%c%.3f%c%.3f%c0%c%" PRIu64
	    "%c%d%c%d", row->seq, sep, sep, row->start, sep, row->runtime, sep,
	    sep, row->receive, sep, row->exitval, sep, row->signal);
	fputs(num, rs->f);
	sep_field(rs->f, sep, 0, row->command, strlen(row->command));
	for (k = 0; k < a->n; k++) {
		sep_field(rs->f, sep, 0, a->v[k], strlen(a->v[k]));
	}
	sep_field(rs->f, sep, 0, r ? r->out : "", r ? r->out_len : 0);
	sep_field(rs->f, sep, 0, r ? r->err : "", r ? r->err_len : 0);
	fputc('\n', rs->f);
}

int
cli_results_put(struct cli_results *rs, const struct cli_outcome *oc,
    struct cli_err *e)
{
	struct cli_logrow row;

	if (rs->kind == CLI_RESULTS_DIR) {
		return put_dir(rs, oc, e);
	}
	cli_outcome_logrow(oc, &row);
	if (rs->kind == CLI_RESULTS_JSON) {
		put_json(rs, oc, &row);
	} else {
		put_sep(rs, oc, &row);
	}
	if (fflush(rs->f) != 0) {
		return cli_errf(e, CORUN_ESYS, "--results: %s: %s", rs->dir,
		    strerror(errno));
	}
	return 0;
}
