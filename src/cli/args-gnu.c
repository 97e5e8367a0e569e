/* SPDX-License-Identifier: MIT */
/*
 * args-gnu.c - the handlers of `corun run`'s GNU parallel options that
 * shape a job's command (their rows are in args-opts.c's table): -N -X
 * -m -L -s, --colsep --header --trim, -d, the -j forms, -I and its kin.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "args-internal.h"

#define G_FIELD(o, op, type) ((type *)(void *)((char *)&(o)->g + (op)->off))

int
cli_opt_gflag(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	*G_FIELD(o, op, int) = 1;
	return 0;
}

int
cli_opt_gstr(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	*G_FIELD(o, op, const char *) = v;
	return 0;
}

/* -I and its kin: op->min is the replacement string's index. */
int
cli_opt_rs(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	if (*v == '\0') {
		return cli_errf(e, CORUN_EINVAL, "%s: empty replacement "
		    "string", name);
	}
	o->g.rs[op->min] = v;
	return 0;
}

int
cli_opt_multi(struct cli_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	o->g.multi = (enum cli_multi)op->min;
	return 0;
}

static int
count(const char *name, const char *v, unsigned long long min,
    unsigned long long max, unsigned long long *out, struct cli_err *e)
{
	if (cli_parse_uint(v, max, out) != 0 || *out < min) {
		return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not an integer "
		    "from %llu to %llu", name, v, min, max);
	}
	return 0;
}

/* -N/-n N (-N0: read one argument, put in none). */
int
cli_opt_maxargs(struct cli_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	unsigned long long n;
	int rc = count(name, v, 0, 1000000, &n, e);

	o->g.max_args = (unsigned)n;
	o->g.n_given = 1;
	return rc;
}

int
cli_opt_maxlines(struct cli_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	unsigned long long n;
	int rc = count(name, v, 1, 1000000, &n, e);

	o->g.max_lines = (unsigned)n;
	return rc;
}

/* -s N: the longest command line -X, -m and --xargs may build. */
int
cli_opt_maxchars(struct cli_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	unsigned long long n;
	int rc = count(name, v, 1, CLI_MAX_LINE, &n, e);

	o->g.max_chars = (unsigned long)n;
	return rc;
}

/* -d: one character, or a C escape (\n \t \0 \\ ...). */
int
cli_opt_delim(struct cli_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	static const char esc[] = "n\nt\tr\r0\0\\\\a\ab\bf\fv\v";
	const char *p;

	if (v[0] != '\0' && v[1] == '\0') {
		o->g.delim = (unsigned char)v[0];
	} else if (v[0] == '\\' && v[1] != '\0' && v[2] == '\0' &&
	    (p = memchr(esc, v[1], sizeof(esc) - 1)) != NULL &&
	    (p - esc) % 2 == 0) {
		o->g.delim = (unsigned char)p[1];
	} else {
		return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not one "
		    "character or a \\n-like escape", name, v);
	}
	o->g.delim_given = 1;
	return 0;
}

int
cli_opt_trim(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	static const char *const ok[] = { "n", "l", "r", "lr", "rl", NULL };
	size_t i;

	for (i = 0; ok[i] != NULL; i++) {
		if (strcmp(v, ok[i]) == 0) {
			o->g.trim = v;
			return 0;
		}
	}
	return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not n, l, r, lr or "
	    "rl", name, v);
}

int
cli_jobs_parse(const char *v, unsigned cores, unsigned *out)
{
	unsigned long long n;
	size_t len = strlen(v);
	char num[32];

	if (len == 0 || len >= sizeof(num)) {
		return CORUN_EINVAL;
	}
	if (v[len - 1] == '%') {
		memcpy(num, v, len - 1);
		num[len - 1] = '\0';
		if (cli_parse_uint(num, 100000, &n) != 0) {
			return CORUN_EINVAL;
		}
		n = n * cores / 100;
	} else if (v[0] == '+' || v[0] == '-') {
		if (cli_parse_uint(v + 1, 100000, &n) != 0) {
			return CORUN_EINVAL;
		}
		n = v[0] == '+' ? cores + n : (n >= cores ? 1 : cores - n);
	} else if (cli_parse_uint(v, 1000000, &n) != 0) {
		return CORUN_EINVAL;
	} else if (n == 0) {
		n = CLI_JOBS_MANY;
	}
	*out = n ? (unsigned)n : 1;
	return 0;
}

/* -j/-P: N, N%, +N, -N, 0 (as many as can run), or a file holding one. */
int
cli_opt_jobs(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	char buf[64];
	size_t n;
	FILE *f;

	cores = cores > 0 ? cores : 1;
	if (cli_jobs_parse(v, (unsigned)cores, &o->jobs) == 0) {
		o->g.jobs_given = 1;
		return 0;
	}
	if ((f = fopen(v, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		buf[strcspn(buf, " \t\r\n")] = '\0';
		if (cli_jobs_parse(buf, (unsigned)cores, &o->jobs) == 0) {
			o->g.jobs_file = v;
			o->g.jobs_given = 1;
			return 0;
		}
		return cli_errf(e, CORUN_EINVAL, "%s: file %s does not hold "
		    "N, N%%, +N or -N", name, v);
	}
	return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not N, N%%, +N, -N "
	    "or a file holding one", name, v);
}
