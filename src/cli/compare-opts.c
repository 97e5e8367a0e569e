/* SPDX-License-Identifier: MIT */
/*
 * compare-opts.c - the options of `corun compare`.  Pure: no pool, no
 * output but the message in struct cli_err, so the unit tests can check
 * that every bad value is named along with the accepted ones.
 *
 * Long options take their value as --opt=V or --opt V; -j, -n, -c and
 * -w as -j2 or -j 2.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"
#include "help.h"

#define WORKLOADS "io, cpu, blocking, mixed, shell, net, noop, or a " \
	"FILE.jsonl jobs file"
#define MODELS "process, thread, async, hybrid"

static const char *const wl_names[] = {
	"io", "cpu", "blocking", "mixed", "shell", "net", "noop", "file"
};

const char *
cli_wl_name(enum cli_wl wl)
{
	return (unsigned)wl < sizeof(wl_names) / sizeof(wl_names[0]) ?
	    wl_names[wl] : "?";
}

void
cli_compare_usage(FILE *f)
{
	fputs(
"usage: corun compare [-h] [--workload io|cpu|blocking|mixed|shell|net|noop|\n"
"                     FILE.jsonl] [--count n] [--ms ms] [--models list]\n"
"                     [-j n] [--concurrency c] [--window w] [--repeat r]\n"
"                     [--mix io:cpu:block] [--json | --csv] [--svg file]\n"
"                     [--png file] [--peers python] [--min-runs n]\n"
"                     [--max-runs m] [--time-budget secs] [--max-spread pct]\n"
"                     [--export-markdown|--export-json|--export-csv file]\n"
"\n"
"Runs one workload under each model and prints wall time, jobs/s,\n"
"latency p50/p95/p99, CPU, peak RSS and context switches, then a\n"
"verdict.  Each model runs at least 3 times, more while its wall times\n"
"spread over 5%, for up to 60 s; wall is mean +- sd, min and max, and a\n"
"tie when the intervals overlap.  -j is the core budget: process N x 1,\n"
"thread 1 x N threads, async 1 x C in flight, hybrid N x C/N (C:\n"
"--concurrency, default 1000, at most --count).  Exit: 0, 1 if a model\n"
"failed, 255 bad input.\n", f);
	cli_help_options(f, "compare");
}

static int
parse_wl(const char *v, struct cli_cmp_opts *o, struct cli_err *e)
{
	struct stat sb;

	for (size_t i = 0; i < CLI_WL_FILE; i++) {
		if (strcmp(v, wl_names[i]) == 0) {
			o->wl = (enum cli_wl)i;
			return 0;
		}
	}
	/* A path: it looks like one, or it is there. */
	if (strchr(v, '/') != NULL || strchr(v, '.') != NULL ||
	    stat(v, &sb) == 0) {
		if (strcmp(v, "-") == 0) {
			goto bad;
		}
		o->wl = CLI_WL_FILE;
		o->file = v;
		return 0;
	}
bad:
	return cli_errf(e, CORUN_EINVAL, "--workload: unknown workload \"%s\" "
	    "(accepted: " WORKLOADS "; a file is read once per model, so "
	    "not stdin)", v);
}

static int
parse_models(const char *v, struct cli_cmp_opts *o, struct cli_err *e)
{
	char buf[256], *tok, *save = NULL;
	enum corun_model m;

	if (strlen(v) >= sizeof(buf)) {
		return cli_errf(e, CORUN_EINVAL, "--models: too long (a comma-"
		    "separated list of " MODELS ")");
	}
	strcpy(buf, v);
	o->nmodels = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (cli_model_parse(tok, &m) != 0) {
			return cli_errf(e, CORUN_EINVAL, "--models: unknown "
			    "model \"%s\" (accepted: " MODELS ")", tok);
		}
		for (size_t i = 0; i < o->nmodels; i++) {
			if (o->models[i] == m) {
				return cli_errf(e, CORUN_EINVAL, "--models: "
				    "\"%s\" given twice", tok);
			}
		}
		if (o->nmodels == CLI_CMP_MAX_MODELS) {
			break;
		}
		o->models[o->nmodels++] = m;
	}
	if (o->nmodels == 0) {
		return cli_errf(e, CORUN_EINVAL, "--models: empty (accepted: "
		    MODELS ", comma-separated)");
	}
	return 0;
}

static int
parse_mix(const char *v, struct cli_cmp_opts *o, struct cli_err *e)
{
	unsigned long long w[3];
	char buf[64], *p = buf, *colon;

	if (strlen(v) >= sizeof(buf)) {
		goto bad;
	}
	strcpy(buf, v);
	for (int i = 0; i < 3; i++) {
		colon = strchr(p, ':');
		if ((colon == NULL) != (i == 2)) {
			goto bad;
		}
		if (colon != NULL) {
			*colon = '\0';
		}
		if (cli_parse_uint(p, 1000, &w[i]) != 0) {
			goto bad;
		}
		p = colon + 1;
	}
	if (w[0] + w[1] + w[2] == 0) {
		goto bad;
	}
	for (int i = 0; i < 3; i++) {
		o->mix[i] = (unsigned)w[i];
	}
	return 0;
bad:
	return cli_errf(e, CORUN_EINVAL, "--mix: bad blend \"%s\" (expected "
	    "IO:CPU:BLOCK weights 0-1000, not all 0, e.g. 8:1:1)", v);
}

static int
uint_opt(const char *name, const char *v, unsigned long long lo,
    unsigned long long hi, unsigned long long *out, struct cli_err *e)
{
	if (cli_parse_uint(v, hi, out) != 0 || *out < lo) {
		return cli_errf(e, CORUN_EINVAL, "%s: bad value \"%s\" (a whole "
		    "number from %llu to %llu)", name, v, lo, hi);
	}
	return 0;
}

/* ---- the options' handlers, one per valued option ------------------ */

struct cmp_opt;

/* Apply the value v of the option named name to o: 0 or an error in e. */
typedef int cmp_opt_fn(struct cli_cmp_opts *o, const struct cmp_opt *op,
    const char *name, const char *v, struct cli_err *e);

struct cmp_opt {
	const char *name;	/* "--workload" */
	cmp_opt_fn *fn;
	size_t off;		/* an unsigned field, for set_count */
	unsigned long long lo, hi;	/* its range */
};

static int
set_count(struct cli_cmp_opts *o, const struct cmp_opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	unsigned long long u;
	int rc;

	/* -j's range error names it -j, whichever way it was given. */
	rc = uint_opt(strcmp(name, "--jobs") == 0 ? "-j" : name, v, op->lo,
	    op->hi, &u, e);
	*(unsigned *)(void *)((char *)o + op->off) = (unsigned)u;
	return rc;
}

static int
opt_workload(struct cli_cmp_opts *o, const struct cmp_opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	return parse_wl(v, o, e);
}

static int
opt_count(struct cli_cmp_opts *o, const struct cmp_opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	unsigned long long u;
	int rc = uint_opt(name, v, 1, 100000000, &u, e);

	o->count = u;
	return rc;
}

static int
opt_ms(struct cli_cmp_opts *o, const struct cmp_opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	unsigned long long u;
	int rc = uint_opt(name, v, 0, 3600000, &u, e);

	o->ms = (double)u;
	return rc;
}

static int
opt_models(struct cli_cmp_opts *o, const struct cmp_opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	return parse_models(v, o, e);
}

static int
opt_mix(struct cli_cmp_opts *o, const struct cmp_opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	return parse_mix(v, o, e);
}

static int
opt_svg(struct cli_cmp_opts *o, const struct cmp_opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	o->svg = v;
	return 0;
}

/* A number of seconds or a percentage: positive, at most hi. */
static int
opt_pos(const char *name, const char *v, double hi, double *out,
    struct cli_err *e)
{
	if (cli_parse_double(v, out) != 0 || *out <= 0 || *out > hi) {
		return cli_errf(e, CORUN_EINVAL, "%s: bad value \"%s\" (a "
		    "number above 0, at most %g)", name, v, hi);
	}
	return 0;
}

static int
opt_budget(struct cli_cmp_opts *o, const struct cmp_opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	return opt_pos(name, v, 86400, &o->budget_s, e);
}

static int
opt_spread(struct cli_cmp_opts *o, const struct cmp_opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	return opt_pos(name, v, 100, &o->max_spread, e);
}

/* --export-markdown, --export-json, --export-csv: a file to write. */
static int
opt_export(struct cli_cmp_opts *o, const struct cmp_opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	if (*v == '\0') {
		return cli_errf(e, CORUN_EINVAL, "%s: empty file name", name);
	}
	*(const char **)(void *)((char *)o + op->off) = v;
	return 0;
}

/*
 * A file compare will write at the end: its directory must be there and
 * writable now, before minutes of measuring are spent.
 */
static int
check_out(const char *name, const char *path, struct cli_err *e)
{
	char dir[4096];
	const char *slash;
	struct stat sb;

	if (path == NULL || strcmp(path, "-") == 0) {
		return 0;
	}
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash == NULL ? 1 : slash == path ?
	    1 : (int)(slash - path), slash == NULL ? "." : path);
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		return cli_errf(e, CORUN_EINVAL, "%s %s: the directory %s does "
		    "not exist (create it first: nothing was measured)", name,
		    path, dir);
	}
	if (access(dir, W_OK) != 0) {
		return cli_errf(e, CORUN_EINVAL, "%s %s: the directory %s is "
		    "not writable (nothing was measured)", name, path, dir);
	}
	return 0;
}

static int
opt_png(struct cli_cmp_opts *o, const struct cmp_opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	o->png = v;
	return 0;
}

static int
opt_peers(struct cli_cmp_opts *o, const struct cmp_opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	if (strcmp(v, "python") != 0) {
		return cli_errf(e, CORUN_EINVAL, "--peers: unknown peers "
		    "\"%s\" (accepted: python)", v);
	}
	o->peers = 1;
	return 0;
}

#define CMP_OFF(f) offsetof(struct cli_cmp_opts, f)

/* The options that take a value. */
static const struct cmp_opt cmp_opts[] = {
	{ "--workload", opt_workload, 0, 0, 0 },
	{ "--count", opt_count, 0, 0, 0 },
	{ "--ms", opt_ms, 0, 0, 0 },
	{ "--models", opt_models, 0, 0, 0 },
	{ "--jobs", set_count, CMP_OFF(jobs), 1, 1024 },
	{ "--concurrency", set_count, CMP_OFF(conc), 1, 65536 },
	{ "--window", set_count, CMP_OFF(window), 1, 1000000 },
	{ "--repeat", set_count, CMP_OFF(repeat), 1, 1000 },
	{ "--mix", opt_mix, 0, 0, 0 },
	{ "--svg", opt_svg, 0, 0, 0 },
	{ "--png", opt_png, 0, 0, 0 },
	{ "--peers", opt_peers, 0, 0, 0 },
	{ "--min-runs", set_count, CMP_OFF(min_runs), 1, CLI_CMP_MAX_RUNS },
	{ "--max-runs", set_count, CMP_OFF(max_runs), 1, CLI_CMP_MAX_RUNS },
	{ "--time-budget", opt_budget, 0, 0, 0 },
	{ "--max-spread", opt_spread, 0, 0, 0 },
	{ "--export-markdown", opt_export, CMP_OFF(export_md), 0, 0 },
	{ "--export-json", opt_export, CMP_OFF(export_json), 0, 0 },
	{ "--export-csv", opt_export, CMP_OFF(export_csv), 0, 0 },
	{ NULL, NULL, 0, 0, 0 }
};

/* The flags, matched whole (--json=1 is an unknown option). */
static const struct {
	const char *name;
	size_t off;
} cmp_flags[] = {
	{ "-h", CMP_OFF(help) },
	{ "--help", CMP_OFF(help) },
	{ "--json", CMP_OFF(json) },
	{ "--csv", CMP_OFF(csv) },
};

static void
set_defaults(struct cli_cmp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->wl = CLI_WL_IO;
	o->ms = -1;
	o->repeat = 0;		/* not given: as many runs as it takes */
	o->min_runs = 3;
	o->max_runs = 20;
	o->budget_s = 60;
	o->max_spread = 5;
	o->mix[0] = 8;
	o->mix[1] = 1;
	o->mix[2] = 1;
	o->models[0] = CORUN_MODEL_PROCESS;
	o->models[1] = CORUN_MODEL_THREAD;
	o->models[2] = CORUN_MODEL_ASYNC;
	o->models[3] = CORUN_MODEL_HYBRID;
	o->nmodels = 4;
}

/* Nonzero if a is a flag, which is then set. */
static int
take_flag(const char *a, struct cli_cmp_opts *o)
{
	for (size_t k = 0; k < sizeof(cmp_flags) / sizeof(cmp_flags[0]);
	    k++) {
		if (strcmp(a, cmp_flags[k].name) == 0) {
			*(int *)(void *)((char *)o + cmp_flags[k].off) = 1;
			return 1;
		}
	}
	return 0;
}

static int
unknown(const char *name, struct cli_err *e)
{
	return cli_errf(e, CORUN_EINVAL, "unknown option \"%s\" (accepted: "
	    "--workload, --count, --ms, --models, -j, --concurrency, "
	    "--window, --repeat, --min-runs, --max-runs, --time-budget, "
	    "--max-spread, --mix, --json, --csv, --svg, --png, "
	    "--export-markdown, --export-json, --export-csv, --peers, "
	    "--help)", name);
}

/*
 * The option word at argv[*i] that is not a flag, with its value (which
 * may be the next word): its long name into nbuf, and *v.  -j, -n, -c
 * and -w stand for --jobs, --count, --concurrency and --workload.
 */
static int
split_option(int argc, char **argv, int *i, char *nbuf, size_t nlen,
    const char **v, struct cli_err *e)
{
	static const char *const longs[] = {
		"--jobs", "--count", "--concurrency", "--workload"
	};
	const char *a = argv[*i], *eq;

	*v = NULL;
	if (a[0] == '-' && a[1] != '-' && strchr("jncw", a[1]) &&
	    a[1] != '\0') {
		snprintf(nbuf, nlen, "%s", longs[strchr("jncw", a[1]) -
		    "jncw"]);
		*v = a[2] != '\0' ? a + 2 : NULL;
	} else if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
		eq = strchr(a, '=');
		snprintf(nbuf, nlen, "%.*s", eq != NULL ? (int)(eq - a) :
		    (int)strlen(a), a);
		*v = eq != NULL ? eq + 1 : NULL;
	} else {
		snprintf(nbuf, nlen, "%s", a);
		return unknown(nbuf, e);
	}
	if (*v == NULL) {
		if (*i + 1 >= argc) {
			return cli_errf(e, CORUN_EINVAL, "%s: missing value",
			    nbuf);
		}
		*v = argv[++*i];
	}
	return 0;
}

int
cli_compare_opts_parse(int argc, char **argv, struct cli_cmp_opts *o,
    struct cli_err *e)
{
	const struct cmp_opt *op;
	const char *v;
	char nbuf[40];
	int i, rc;

	set_defaults(o);
	for (i = 1; i < argc; i++) {
		if (take_flag(argv[i], o)) {
			continue;
		}
		if ((rc = split_option(argc, argv, &i, nbuf, sizeof(nbuf), &v,
		    e)) != 0) {
			return rc;
		}
		for (op = cmp_opts; op->name != NULL; op++) {
			if (strcmp(nbuf, op->name) == 0) {
				break;
			}
		}
		if (op->name == NULL) {
			return unknown(nbuf, e);
		}
		if ((rc = op->fn(o, op, nbuf, v, e)) != 0) {
			return rc;
		}
	}
	if (o->json && o->csv) {
		return cli_errf(e, CORUN_EINVAL, "--json and --csv: choose one "
		    "(both go to stdout)");
	}
	if (o->repeat > 0) {
		o->min_runs = o->max_runs = o->repeat;	/* exactly */
	}
	if (o->min_runs > o->max_runs) {
		return cli_errf(e, CORUN_EINVAL, "--min-runs %u is over "
		    "--max-runs %u", o->min_runs, o->max_runs);
	}
	if ((rc = check_out("--svg", o->svg, e)) != 0 ||
	    (rc = check_out("--png", o->png, e)) != 0 ||
	    (rc = check_out("--export-markdown", o->export_md, e)) != 0 ||
	    (rc = check_out("--export-json", o->export_json, e)) != 0 ||
	    (rc = check_out("--export-csv", o->export_csv, e)) != 0) {
		return rc;
	}
	return 0;
}

const char *
cli_compare_opt_name(size_t i)
{
	size_t nv = sizeof(cmp_opts) / sizeof(cmp_opts[0]) - 1;

	if (i < nv) {
		return cmp_opts[i].name + 2;
	}
	i -= nv;
	if (i < sizeof(cmp_flags) / sizeof(cmp_flags[0])) {
		return cmp_flags[i].name + (cmp_flags[i].name[1] == '-' ? 2 :
		    1);
	}
	return NULL;
}
