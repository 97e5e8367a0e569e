/* SPDX-License-Identifier: MIT */
/*
 * argbatch.c - the values of one job, as GNU parallel gathers them from
 * the input's tuples: one tuple (the usual case, passed through without
 * a copy), -N n tuples, -L n lines (a line ending in a blank goes on on
 * the next), -X/-m/--xargs as many as fit in -s characters; each value
 * split into columns by --colsep, trimmed by --trim, and blank lines
 * skipped by -r.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "argbatch.h"

/* Perl's \t \s \d \w in --colsep, as POSIX extended regexp text. */
static char *
colsep_regex(const char *s)
{
	struct cm_buf b = { 0 };
	int rc = 0;

	for (; *s != '\0' && rc == 0; s++) {
		if (*s != '\\' || s[1] == '\0') {
			rc = cm_buf_addc(&b, *s);
			continue;
		}
		s++;
		switch (*s) {
		case 't': rc = cm_buf_addc(&b, '\t'); break;
		case 'n': rc = cm_buf_addc(&b, '\n'); break;
		case 's': rc = cm_buf_adds(&b, "[[:space:]]"); break;
		case 'd': rc = cm_buf_adds(&b, "[0-9]"); break;
		case 'w': rc = cm_buf_adds(&b, "[[:alnum:]_]"); break;
		default:
			rc = cm_buf_addc(&b, '\\');
			if (rc == 0) {
				rc = cm_buf_addc(&b, *s);
			}
		}
	}
	if (rc != 0) {
		cm_buf_free(&b);
		return NULL;
	}
	return b.p != NULL ? cm_buf_steal(&b) : strdup("");
}

int
cli_batch_open(struct cli_batch *b, const struct cli_gnu *g,
    struct cli_err *e)
{
	char *re;
	int rc;

	memset(b, 0, sizeof(*b));
	b->g = g;
	b->trim = g->trim ? g->trim : g->colsep ? "lr" : "n";
	b->copy = g->n_given || g->multi || g->max_lines || g->colsep ||
	    strcmp(b->trim, "n") != 0 || g->no_empty;
	b->max = g->max_chars ? g->max_chars : CLI_DEF_LINE;
	if (g->colsep != NULL) {
		if ((re = colsep_regex(g->colsep)) == NULL) {
			return cli_errf(e, CORUN_ENOMEM, "out of memory");
		}
		rc = regcomp(&b->re, re, REG_EXTENDED);
		free(re);
		if (rc != 0) {
			return cli_errf(e, CORUN_EINVAL, "--colsep: \"%s\" is "
			    "not a regular expression", g->colsep);
		}
		b->have_re = 1;
	}
	return 0;
}

void
cli_batch_measure(struct cli_batch *b, const struct cli_tmpl *t)
{
	struct cli_cmd c;
	char *line;

	if (b->g->multi && cli_tmpl_expand(t, NULL, 0, 1, 1, &c) == 0) {
		/* What the line costs before any value. */
		line = cli_cmd_line(&c);
		b->base = line ? strlen(line) : 0;
		free(line);
		cli_cmd_free(&c);
	}
}

void
cli_batch_close(struct cli_batch *b)
{
	if (b->have_re) {
		regfree(&b->re);
	}
	cli_strv_free(&b->vals);
	cli_strv_free(&b->pend);
	cli_strv_free(&b->names);
	free(b->cont);
	memset(b, 0, sizeof(*b));
}

/* Push v[0..n) trimmed as --trim says. */
static int
push_trimmed(struct cli_batch *b, struct cli_strv *to, const char *v,
    size_t n)
{
	if (strchr(b->trim, 'l') != NULL) {
		while (n > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			n--;
		}
	}
	if (strchr(b->trim, 'r') != NULL) {
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) {
			n--;
		}
	}
	return cli_strv_pushn(to, v, n);
}

/* Push value v, split into columns by --colsep. */
static int
push_value(struct cli_batch *b, struct cli_strv *to, const char *v)
{
	regmatch_t m;
	int rc = 0;

	if (!b->have_re) {
		return push_trimmed(b, to, v, strlen(v));
	}
	while (rc == 0 && regexec(&b->re, v, 1, &m, 0) == 0 && m.rm_eo > 0) {
		rc = push_trimmed(b, to, v, (size_t)m.rm_so);
		v += m.rm_eo;
	}
	return rc == 0 ? push_trimmed(b, to, v, strlen(v)) : rc;
}

int
cli_batch_names(struct cli_batch *b, const struct cli_strv *hdr,
    struct cli_err *e)
{
	size_t i;

	for (i = 0; i < hdr->n; i++) {
		if (push_value(b, &b->names, hdr->v[i]) != 0) {
			return cli_errf(e, CORUN_ENOMEM, "out of memory");
		}
	}
	return 0;
}

static int
is_blank_line(const char *v)
{
	return v[strspn(v, " \t\r\n")] == '\0';
}

/* The cost of one value in the line -X/-m build (its quoting, a blank). */
static size_t
cost(const struct cli_strv *sv, size_t from)
{
	struct cm_buf q = { 0 };
	size_t n = 0, i;

	for (i = from; i < sv->n; i++) {
		cm_shquote(&q, sv->v[i]);
		n += q.len + 1;
		q.len = 0;
	}
	cm_buf_free(&q);
	return n;
}

/*
 * -L: lines ending in a blank go on on the next one.  1: *v is a whole
 * line (b->cont owns it), 0: keep reading.
 */
static int
join_lines(struct cli_batch *b, const char **v)
{
	size_t n = strlen(*v), have = b->cont ? strlen(b->cont) : 0;
	char *nc = realloc(b->cont, have + n + 1);

	if (nc == NULL) {
		return -1;
	}
	memcpy(nc + have, *v, n + 1);
	b->cont = nc;
	n += have;
	if (n > 0 && (nc[n - 1] == ' ' || nc[n - 1] == '\t')) {
		return 0;
	}
	*v = nc;
	return 1;
}

/* One more tuple into b->vals; *full: the job is full after it. */
static int
add_tuple(struct cli_batch *b, const char **args, size_t n, int *full,
    struct cli_err *e)
{
	const struct cli_gnu *g = b->g;
	size_t i, from = b->vals.n;

	for (i = 0; i < n; i++) {
		if (push_value(b, &b->vals, args[i]) != 0) {
			return cli_errf(e, CORUN_ENOMEM, "out of memory");
		}
	}
	if (g->multi) {
		b->len += cost(&b->vals, from);
		if (b->ntuples > 0 && b->base + b->len > b->max) {
			/* Too long: this tuple starts the next job. */
			for (i = from; i < b->vals.n; i++) {
				cli_strv_take(&b->pend, b->vals.v[i]);
			}
			b->vals.n = from;
			*full = 1;
			return 0;
		}
	}
	b->ntuples++;
	if (g->n_given) {
		*full = b->ntuples >= (g->max_args ? g->max_args : 1);
	} else if (g->max_lines) {
		*full = b->ntuples >= g->max_lines;
	} else {
		*full = !g->multi;
	}
	return 0;
}

/* Start a job's values with what did not fit in the one before. */
static void
start_job(struct cli_batch *b)
{
	size_t i;

	b->vals.n = 0;
	b->ntuples = 0;
	b->len = 0;
	if (b->pend.n > 0) {
		for (i = 0; i < b->pend.n; i++) {
			cli_strv_take(&b->vals, b->pend.v[i]);
		}
		b->pend.n = 0;
		b->ntuples = 1;
		b->len = cost(&b->vals, 0);
	}
	b->open = 1;
}

static int
finish(struct cli_batch *b, const char ***vals, size_t *nvals)
{
	b->open = 0;
	*vals = (const char **)b->vals.v;
	/* -N0: a job per argument, the argument not put in. */
	*nvals = b->g->n_given && b->g->max_args == 0 ? 0 : b->vals.n;
	return 0;
}

int
cli_batch_next(struct cli_batch *b, struct cli_input *in, int nonblock,
    const char ***vals, size_t *nvals, struct cli_err *e)
{
	const char **args;
	const char *v;
	int rc, j, full = 0;

	if (!b->copy) {
		rc = cli_input_next(in, nonblock, &args, e);
		*vals = args;
		*nvals = in->ngroups;
		return rc;
	}
	if (!b->open) {
		for (size_t i = 0; i < b->vals.n; i++) {
			free(b->vals.v[i]);
		}
		start_job(b);
	}
	for (;;) {
		rc = cli_input_next(in, nonblock, &args, e);
		if (rc == CORUN_EDONE && b->cont != NULL) {
			/* The last line ended in a blank. */
			v = b->cont;
			rc = add_tuple(b, &v, 1, &full, e);
			free(b->cont);
			b->cont = NULL;
			if (rc != 0) {
				return rc;
			}
		}
		if (rc == CORUN_EDONE && b->ntuples > 0) {
			return finish(b, vals, nvals);
		}
		if (rc != 0) {
			return rc;
		}
		if (b->g->no_empty && in->ngroups == 1 &&
		    is_blank_line(args[0])) {
			continue;
		}
		if (b->g->max_lines && in->ngroups == 1) {
			v = args[0];
			if ((j = join_lines(b, &v)) < 0) {
				return cli_errf(e, CORUN_ENOMEM, "out of memory");
			}
			if (j == 0) {
				continue;
			}
			rc = add_tuple(b, &v, 1, &full, e);
			free(b->cont);
			b->cont = NULL;
		} else {
			rc = add_tuple(b, args, in->ngroups, &full, e);
		}
		if (rc != 0) {
			return rc;
		}
		if (full) {
			return finish(b, vals, nvals);
		}
	}
}

int
cli_batch_count(const struct cli_run_opts *o, uint64_t *n, struct cli_err *e)
{
	struct cli_input in;
	struct cli_batch b;
	const char **v;
	size_t nv, g;
	int rc;

	*n = 0;
	for (g = 0; g < o->ngroups; g++) {
		if (o->groups[g].is_file && strcmp(o->groups[g].path, "-") == 0) {
			return 0;
		}
	}
	if (o->ngroups == 0) {
		return 0;
	}
	if ((rc = cli_input_open(&in, o, e)) != 0) {
		return rc;
	}
	if ((rc = cli_batch_open(&b, &o->g, e)) == 0) {
		while ((rc = cli_batch_next(&b, &in, 0, &v, &nv, e)) == 0) {
			(*n)++;
		}
		cli_batch_close(&b);
	}
	cli_input_close(&in);
	return rc == CORUN_EDONE ? 0 : rc;
}
