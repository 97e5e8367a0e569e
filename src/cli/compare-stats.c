/* SPDX-License-Identifier: MIT */
/*
 * compare-stats.c - the numbers behind `corun compare`: a fixed-size
 * latency histogram, medians over --repeat, and the verdict.
 *
 * Pure functions on plain data, so that the verdict can be tested on
 * synthetic rows (tests/cli/test_compare_verdict.c).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "fmath.h"

/* ---- histogram ------------------------------------------------------ */

#define CLI_HIST_BASE 1.01

void
cli_hist_add(struct cli_hist *h, double ms)
{
	double us = ms * 1000.0;
	long i = 0;

	if (us >= 1.0) {
		i = (long)(cli_ln(us) / cli_ln(CLI_HIST_BASE));
	}
	if (i < 0) {
		i = 0;
	}
	if (i >= CLI_HIST_BUCKETS) {
		i = CLI_HIST_BUCKETS - 1;
	}
	h->b[i]++;
	h->n++;
}

double
cli_hist_quantile(const struct cli_hist *h, double q)
{
	uint64_t want, seen = 0;

	if (h->n == 0) {
		return 0;
	}
	/* The smallest value with at least q of the samples at or below. */
	want = (uint64_t)ceil(q * (double)h->n);
	if (want < 1) {
		want = 1;
	}
	for (size_t i = 0; i < CLI_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			/* The bucket's geometric middle, in ms. */
			return i == 0 ? 0.001 :
			    cli_pow(CLI_HIST_BASE, (double)i + 0.5) / 1000.0;
		}
	}
	return cli_pow(CLI_HIST_BASE, CLI_HIST_BUCKETS) / 1000.0;
}

/* ---- medians -------------------------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
cli_median(double *v, size_t n)
{
	if (n == 0) {
		return 0;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define CLI_AGG_MAX 1000

/*
 * CPU user, sys and their sum from one run, the one of median CPU (the
 * lower of the two middle ones), so that cpu_s = user + sys holds.
 */
static void
cpu_of_median_run(const struct cli_cmp_row *runs, size_t n,
    struct cli_cmp_row *out)
{
	size_t idx[CLI_AGG_MAX], k = 0;

	for (size_t i = 0; i < n; i++) {
		if (runs[i].error[0] == '\0') {
			idx[k++] = i;
		}
	}
	if (k == 0) {
		return;
	}
	for (size_t a = 1; a < k; a++) {	/* insertion sort by cpu_s */
		size_t t = idx[a], b = a;

		while (b > 0 && runs[idx[b - 1]].cpu_s > runs[t].cpu_s) {
			idx[b] = idx[b - 1];
			b--;
		}
		idx[b] = t;
	}
	out->cpu_s = runs[idx[(k - 1) / 2]].cpu_s;
	out->cpu_user_s = runs[idx[(k - 1) / 2]].cpu_user_s;
	out->cpu_sys_s = runs[idx[(k - 1) / 2]].cpu_sys_s;
}

void
cli_cmp_aggregate(const struct cli_cmp_row *runs, size_t n,
    struct cli_cmp_row *out)
{
	double v[CLI_AGG_MAX];
	size_t k;

	if (n == 0) {
		return;
	}
	if (n > CLI_AGG_MAX) {
		n = CLI_AGG_MAX;
	}
	*out = runs[0];
	/* The median of one field over the runs that did not fail. */
#define MED(field, type) do {						\
		k = 0;							\
		for (size_t i = 0; i < n; i++) {			\
			if (runs[i].error[0] == '\0') {			\
				v[k++] = (double)runs[i].field;		\
			}						\
		}							\
		if (k > 0) {						\
			out->field = (type)cli_median(v, k);		\
		}							\
	} while (0)
	MED(jobs, uint64_t);
	MED(failed, uint64_t);
	MED(wall_s, double);
	MED(jobs_per_s, double);
	MED(p50_ms, double);
	MED(p95_ms, double);
	MED(p99_ms, double);
	MED(mean_run_ms, double);
	MED(cpu_user_s, double);
	MED(cpu_sys_s, double);
	MED(cpu_s, double);
	MED(peak_rss_kb, uint64_t);
	MED(vcsw, uint64_t);
	MED(ivcsw, uint64_t);
#undef MED
	out->runs = 0;
	out->wall_min_s = out->wall_max_s = 0;
	for (size_t i = 0; i < n; i++) {
		if (runs[i].error[0] != '\0') {
			continue;
		}
		if (out->runs == 0 || runs[i].wall_s < out->wall_min_s) {
			out->wall_min_s = runs[i].wall_s;
		}
		if (out->runs == 0 || runs[i].wall_s > out->wall_max_s) {
			out->wall_max_s = runs[i].wall_s;
		}
		out->runs++;
	}
	if (out->runs > 0) {
		out->error[0] = '\0';
	}
	/* The wall time is the mean of the good runs, with its spread. */
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (runs[i].error[0] == '\0') {
			v[k++] = runs[i].wall_s;
		}
	}
	if (k > 0) {
		cli_cmp_mean_sd(v, k, &out->wall_s, &out->wall_sd_s);
		/* jobs/s from the same wall time the table shows */
		out->jobs_per_s = (double)out->jobs / out->wall_s;
	}
	cpu_of_median_run(runs, n, out);
}

static int
usable(const struct cli_cmp_row *r)
{
	return r->error[0] == '\0' && r->jobs > r->failed && r->wall_s > 0;
}

void
cli_cmp_derive(struct cli_cmp_row *rows, size_t n)
{
	double run = -1;

	for (size_t i = 0; i < n; i++) {
		if (usable(&rows[i]) && rows[i].mean_run_ms >= 0 &&
		    (run < 0 || rows[i].mean_run_ms < run)) {
			run = rows[i].mean_run_ms;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct cli_cmp_row *r = &rows[i];

		r->par = r->cores_busy = 0;
		if (!usable(r)) {
			continue;
		}
		r->par = run > 0 ? (double)r->jobs * run / 1000.0 / r->wall_s :
		    0;
		r->cores_busy = r->cpu_s / r->wall_s;
	}
}

/* ---- the verdict ---------------------------------------------------- */

static void
addf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
addf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* A loop with many slots that still ran about one job at a time. */
static int
serialised(const struct cli_cmp_row *r)
{
	return usable(r) && r->procs * r->threads == 1 && r->conc >= 2 &&
	    r->jobs >= 2 && r->par > 0 && r->par < 1.5;
}

/*
 * Why w beat o, from figures that agree with each other and with what
 * the workload is (nature): a compute workload is never said to wait,
 * nor a waiting one to compute.
 */
static void
why(const struct cli_cmp_row *w, const struct cli_cmp_row *o, int nature,
    char *buf, size_t len)
{
	int waits = nature == CLI_NATURE_WAITS || (nature ==
	    CLI_NATURE_UNKNOWN && w->cores_busy < 0.5 * w->par);
	int computes = nature == CLI_NATURE_COMPUTES;

	if (o == NULL) {
		addf(buf, len, "why: the workload does not separate the "
		    "models (%.1f jobs ran at once in %s)", w->par, w->model);
	} else if (w->par < 0.5 && o->par < 0.5) {
		/* Jobs are a small part of the wall time: overhead rules. */
		addf(buf, len, "why: per-job overhead decides (the jobs "
		    "themselves fill %.0f%% of the time): %s spends %.0f us "
		    "of wall and %.0f us of CPU per job, %s %.0f and %.0f",
		    w->par * 100, w->model, w->wall_s * 1e6 / (double)w->jobs,
		    w->cpu_s * 1e6 / (double)w->jobs, o->model,
		    o->wall_s * 1e6 / (double)o->jobs,
		    o->cpu_s * 1e6 / (double)o->jobs);
	} else if (serialised(o) && (nature == CLI_NATURE_BLOCKS ||
	    (nature == CLI_NATURE_UNKNOWN && o->cores_busy < 0.5))) {
		addf(buf, len, "why: blocking calls serialised the %s loop: "
		    "one job at a time (%.1f at once with %u slots, %.2f "
		    "cores busy); %s ran %.1f at once", o->model, o->par,
		    o->conc, o->cores_busy, w->model, w->par);
	} else if (serialised(o)) {
		addf(buf, len, "why: the jobs compute, and %s has one thread: "
		    "one job at a time (%.1f at once, %.2f cores busy); %s ran "
		    "%.1f at once on %.2f cores", o->model, o->par,
		    o->cores_busy, w->model, w->par, w->cores_busy);
	} else if (w->par >= 1.5 * o->par && waits && !computes) {
		addf(buf, len, "why: the jobs wait, not compute (%.2f cores "
		    "busy): %s ran %.1f at once, %s %.1f", w->cores_busy,
		    w->model, w->par, o->model, o->par);
	} else if (w->par >= 1.5 * o->par) {
		addf(buf, len, "why: more jobs at once: %s ran %.1f at once on "
		    "%.2f cores, %s %.1f on %.2f", w->model, w->par,
		    w->cores_busy, o->model, o->par, o->cores_busy);
	} else {
		addf(buf, len, "why: the same concurrency (%.1f vs %.1f at "
		    "once), less cost per job: %s %.0f us of CPU, %s %.0f",
		    w->par, o->par, w->model,
		    w->cpu_s * 1e6 / (double)w->jobs, o->model,
		    o->cpu_s * 1e6 / (double)o->jobs);
	}
}

/*
 * Whether b's wall time cannot be told from a's: their mean +- sd
 * intervals overlap; without a spread (single runs), within the ratio.
 */
int
cli_cmp_tied(const struct cli_cmp_row *a, const struct cli_cmp_row *b)
{
	const struct cli_cmp_row *f = a->wall_s <= b->wall_s ? a : b;
	const struct cli_cmp_row *s = f == a ? b : a;

	if (f->runs < 2 || s->runs < 2) {
		return s->wall_s <= f->wall_s * CLI_TIE_RATIO;
	}
	return s->wall_s - s->wall_sd_s <= f->wall_s + f->wall_sd_s;
}

/* The fastest and second fastest usable rows. */
static void
rank(const struct cli_cmp_row *rows, size_t n, struct cli_verdict *v)
{
	for (size_t i = 0; i < n; i++) {
		if (!usable(&rows[i])) {
			continue;
		}
		if (v->winner < 0 || rows[i].wall_s < rows[v->winner].wall_s) {
			v->runner_up = v->winner;
			v->winner = (int)i;
		} else if (v->runner_up < 0 ||
		    rows[i].wall_s < rows[v->runner_up].wall_s) {
			v->runner_up = (int)i;
		}
	}
}

/* "0.315 +- 0.012 s" for a row (no spread: one run). */
static void
wall_text(const struct cli_cmp_row *r, char *buf, size_t len)
{
	if (r->runs >= 2) {
		snprintf(buf, len, "%.3g \u00b1 %.2g s", r->wall_s,
		    r->wall_sd_s);
	} else {
		snprintf(buf, len, "%.3g s, one run", r->wall_s);
	}
}

void
cli_cmp_verdict(const struct cli_cmp_row *rows, size_t n,
    struct cli_verdict *v)
{
	cli_cmp_verdict_wl(rows, n, CLI_NATURE_UNKNOWN, v);
}

void
cli_cmp_verdict_wl(const struct cli_cmp_row *rows, size_t n, int nature,
    struct cli_verdict *v)
{
	const struct cli_cmp_row *w, *o, *r;
	char a[48], b[48];
	size_t ntie = 0;

	memset(v, 0, sizeof(*v));
	v->winner = v->runner_up = v->other = -1;
	rank(rows, n, v);
	if (v->winner < 0) {
		snprintf(v->text, sizeof(v->text), "verdict: none: no model "
		    "completed the workload");
		return;
	}
	w = &rows[v->winner];
	if (v->runner_up < 0) {
		snprintf(v->text, sizeof(v->text), "verdict: %s, the only "
		    "model that completed the workload", w->model);
		return;
	}
	r = &rows[v->runner_up];
	v->ratio = r->wall_s / w->wall_s;
	/*
	 * The slowest row explains the gap best: the models that tie with
	 * the winner mostly share its reason, the worst one lacks it.
	 */
	for (size_t i = 0; i < n; i++) {
		if (!usable(&rows[i]) || (int)i == v->winner) {
			continue;
		}
		if (cli_cmp_tied(w, &rows[i])) {
			ntie++;
		} else if (v->other < 0 ||
		    rows[i].wall_s > rows[v->other].wall_s) {
			v->other = (int)i;
		}
	}
	if (v->other >= 0) {
		v->other_ratio = rows[v->other].wall_s / w->wall_s;
	}
	o = v->other >= 0 ? &rows[v->other] : NULL;
	wall_text(w, a, sizeof(a));
	wall_text(r, b, sizeof(b));
	v->tie = cli_cmp_tied(w, r);
	if (v->tie) {
		addf(v->text, sizeof(v->text), "verdict: a tie: %s wins by "
		    "%.*fx over %s, but their times overlap (%s vs %s)",
		    w->model, v->ratio < 10 ? 2 : 0, v->ratio, r->model, a, b);
		if (o != NULL) {
			addf(v->text, sizeof(v->text), "; %.1fx ahead of %s",
			    v->other_ratio, o->model);
		}
	} else {
		addf(v->text, sizeof(v->text), "verdict: %s wins, %.*fx ahead "
		    "of %s (%s vs %s)", w->model, v->ratio < 10 ? 2 : 0,
		    v->ratio, r->model, a, b);
		if (ntie > 0 && o != NULL) {
			addf(v->text, sizeof(v->text), "; %.1fx ahead of %s",
			    v->other_ratio, o->model);
		}
	}
	addf(v->text, sizeof(v->text), "\n");
	why(w, o, nature, v->text, sizeof(v->text));
	/* Say it even when the serialised loop is not the one compared. */
	for (size_t i = 0; i < n; i++) {
		if (&rows[i] != o && (int)i != v->winner &&
		    serialised(&rows[i]) && w->par >= 1.5 &&
		    (nature == CLI_NATURE_BLOCKS || (nature ==
		    CLI_NATURE_UNKNOWN && rows[i].cores_busy < 0.5))) {
			addf(v->text, sizeof(v->text), "\nnote: blocking calls "
			    "serialised the %s loop: one job at a time",
			    rows[i].model);
			break;
		}
	}
}
