/* SPDX-License-Identifier: MIT */
/*
 * compare-out.c - what `corun compare` prints: a table that fits 80
 * columns, or JSON (--json), or CSV (--csv); and the files of
 * --export-markdown, --export-json and --export-csv.  The JSON and CSV field
 * names are the ones corun(1) documents; peers (peers.py) print rows with
 * the same names, read back by cli_cmp_row_from_json().
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"

/* A number in at most 6 characters, with about 3 significant digits. */
const char *
cli_cmp_num(char *buf, size_t len, double v)
{
	if (v >= 999999.5) {
		snprintf(buf, len, "%.2g", v);
	} else if (v >= 100) {
		snprintf(buf, len, "%.0f", v);
	} else if (v >= 10) {
		snprintf(buf, len, "%.1f", v);
	} else if (v >= 1) {
		snprintf(buf, len, "%.2f", v);
	} else {
		snprintf(buf, len, "%.3f", v);
	}
	return buf;
}

/*
 * Print text with every line wrapped at width, continuation lines
 * indented by 4, so the verdict keeps to 80 columns too.
 */
static void
wrap(FILE *f, const char *text, size_t width)
{
	const char *p = text, *nl;
	size_t col, wl, len;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		col = 0;
		while (len > 0) {
			wl = 0;
			while (wl < len && p[wl] != ' ') {
				wl++;
			}
			if (col > 0 && col + 1 + wl > width) {
				fputs("\n    ", f);
				col = 4;
			} else if (col > 0) {
				fputc(' ', f);
				col++;
			}
			fwrite(p, 1, wl, f);
			col += wl;
			p += wl;
			len -= wl;
			while (len > 0 && *p == ' ') {
				p++;
				len--;
			}
		}
		fputc('\n', f);
		p = nl != NULL ? nl + 1 : p;
	}
}

/* Each model's wall time: mean +- sd over its runs, min and max. */
static void
print_runs(FILE *f, const struct cli_cmp_report *r)
{
	fputs("\nwall time over the runs: mean \u00b1 sd (min .. max)\n", f);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct cli_cmp_row *w = &r->rows[i];

		if (w->error[0] != '\0' || w->runs == 0) {
			continue;
		}
		fprintf(f, "  %-11.11s %6.4f \u00b1 %6.4f s  (%.4f .. %.4f), "
		    "%u run%s\n", w->model, w->wall_s, w->wall_sd_s,
		    w->wall_min_s, w->wall_max_s, w->runs,
		    w->runs == 1 ? "" : "s");
	}
}

void
cli_cmp_print_table(FILE *f, const struct cli_cmp_report *r)
{
	char a[9][24], plan[32];
	int rep = r->o->repeat > 1;

	fprintf(f, "%s: %s, -j %u (cores), concurrency %u%s\n",
	    r->workload, r->desc, r->cores, r->conc,
	    rep ? "; wall: means" : "");
	fprintf(f, "%-11s %8s %7s %8s %6s %6s %6s %5s %6s %6s\n", "model",
	    "PxTxC", "wall s", "jobs/s", "p50ms", "p95ms", "p99ms", "cpu s",
	    "rss MB", rep ? "spread" : "csw");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct cli_cmp_row *w = &r->rows[i];

		if (w->procs > 0) {
			snprintf(plan, sizeof(plan), "%ux%ux%u", w->procs,
			    w->threads, w->conc);
		} else {
			snprintf(plan, sizeof(plan), "-");
		}
		if (w->error[0] != '\0') {
			fprintf(f, "%-11s %8s failed: %.50s\n", w->model, plan,
			    w->error);
			continue;
		}
		if (rep) {
			snprintf(a[8], sizeof(a[8]), "%.0f%%", w->wall_s > 0 ?
			    (w->wall_max_s - w->wall_min_s) * 100 / w->wall_s :
			    0);
		} else {
			cli_cmp_num(a[8], sizeof(a[8]),
			    (double)(w->vcsw + w->ivcsw));
		}
		fprintf(f, "%-11.11s %8s %7s %8s %6s %6s %6s %5s %6s %6s\n",
		    w->model, plan, cli_cmp_num(a[0], sizeof(a[0]), w->wall_s),
		    cli_cmp_num(a[1], sizeof(a[1]), w->jobs_per_s),
		    cli_cmp_num(a[2], sizeof(a[2]), w->p50_ms),
		    cli_cmp_num(a[3], sizeof(a[3]), w->p95_ms),
		    cli_cmp_num(a[4], sizeof(a[4]), w->p99_ms),
		    cli_cmp_num(a[5], sizeof(a[5]), w->cpu_s),
		    cli_cmp_num(a[6], sizeof(a[6]),
		    (double)w->peak_rss_kb / 1024),
		    a[8]);
	}
	print_runs(f, r);
	if (r->v != NULL && r->v->text[0] != '\0') {
		fputc('\n', f);
		wrap(f, r->v->text, 79);
	}
}

/* ---- JSON ----------------------------------------------------------- */

static json_t *
row_json(const struct cli_cmp_row *w)
{
	json_t *o = json_object();

	if (o == NULL) {
		return NULL;
	}
	json_object_set_new(o, "model", json_string(w->model));
	json_object_set_new(o, "impl", json_string(w->impl));
	json_object_set_new(o, "procs", json_integer(w->procs));
	json_object_set_new(o, "threads", json_integer(w->threads));
	json_object_set_new(o, "concurrency", json_integer(w->conc));
	json_object_set_new(o, "jobs", json_integer((json_int_t)w->jobs));
	json_object_set_new(o, "failed", json_integer((json_int_t)w->failed));
	json_object_set_new(o, "wall_s", json_real(w->wall_s));
	json_object_set_new(o, "wall_min_s", json_real(w->wall_min_s));
	json_object_set_new(o, "wall_max_s", json_real(w->wall_max_s));
	json_object_set_new(o, "wall_sd_s", json_real(w->wall_sd_s));
	json_object_set_new(o, "runs", json_integer(w->runs));
	json_object_set_new(o, "jobs_per_s", json_real(w->jobs_per_s));
	json_object_set_new(o, "p50_ms", json_real(w->p50_ms));
	json_object_set_new(o, "p95_ms", json_real(w->p95_ms));
	json_object_set_new(o, "p99_ms", json_real(w->p99_ms));
	json_object_set_new(o, "mean_run_ms", json_real(w->mean_run_ms));
	json_object_set_new(o, "cpu_s", json_real(w->cpu_s));
	json_object_set_new(o, "cpu_user_s", json_real(w->cpu_user_s));
	json_object_set_new(o, "cpu_sys_s", json_real(w->cpu_sys_s));
	json_object_set_new(o, "peak_rss_kb",
	    json_integer((json_int_t)w->peak_rss_kb));
	json_object_set_new(o, "vcsw", json_integer((json_int_t)w->vcsw));
	json_object_set_new(o, "ivcsw", json_integer((json_int_t)w->ivcsw));
	json_object_set_new(o, "par", json_real(w->par));
	json_object_set_new(o, "cores_busy", json_real(w->cores_busy));
	json_object_set_new(o, "error", w->error[0] ? json_string(w->error) :
	    json_null());
	return o;
}

int
cli_cmp_print_json(FILE *f, const struct cli_cmp_report *r)
{
	json_t *top, *rows, *v;
	int rc;

	top = json_object();
	rows = json_array();
	v = json_object();
	if (top == NULL || rows == NULL || v == NULL) {
		json_decref(top);
		json_decref(rows);
		json_decref(v);
		return CORUN_ENOMEM;
	}
	json_object_set_new(top, "workload", json_string(r->workload));
	json_object_set_new(top, "description", json_string(r->desc));
	json_object_set_new(top, "count", json_integer((json_int_t)r->count));
	json_object_set_new(top, "ms", json_real(r->ms));
	json_object_set_new(top, "cores", json_integer(r->cores));
	json_object_set_new(top, "concurrency", json_integer(r->conc));
	json_object_set_new(top, "repeat", json_integer(r->o->repeat));
	for (size_t i = 0; i < r->nrows; i++) {
		json_array_append_new(rows, row_json(&r->rows[i]));
	}
	json_object_set_new(top, "results", rows);
	if (r->v != NULL && r->v->winner >= 0) {
		json_object_set_new(v, "winner",
		    json_string(r->rows[r->v->winner].model));
		json_object_set_new(v, "runner_up", r->v->runner_up >= 0 ?
		    json_string(r->rows[r->v->runner_up].model) : json_null());
		json_object_set_new(v, "ratio", json_real(r->v->ratio));
		json_object_set_new(v, "tie", json_boolean(r->v->tie));
	}
	json_object_set_new(v, "text", json_string(r->v != NULL ?
	    r->v->text : ""));
	json_object_set_new(top, "verdict", v);
	rc = json_dumpf(top, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(6));
	fputc('\n', f);
	json_decref(top);
	return rc == 0 ? 0 : CORUN_EIO;
}

/* ---- CSV ------------------------------------------------------------ */

void
cli_cmp_print_csv(FILE *f, const struct cli_cmp_report *r)
{
	fputs("workload,model,impl,procs,threads,concurrency,jobs,failed,"
	    "wall_s,wall_min_s,wall_max_s,runs,jobs_per_s,p50_ms,p95_ms,"
	    "p99_ms,mean_run_ms,cpu_s,cpu_user_s,cpu_sys_s,peak_rss_kb,vcsw,"
	    "ivcsw,par,cores_busy,winner,wall_sd_s\n", f);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct cli_cmp_row *w = &r->rows[i];

		/* Names are [a-z0-9-] and the workload a path: quote it. */
		fputc('"', f);
		for (const char *p = r->workload; *p; p++) {
			if (*p == '"') {
				fputc('"', f);
			}
			fputc(*p, f);
		}
		fprintf(f, "\",%s,%s,%u,%u,%u,%" PRIu64 ",%" PRIu64 ",%.6f,"
		    "%.6f,%.6f,%u,%.3f,%.3f,%.3f,%.3f,%.3f,%.4f,%.4f,%.4f,"
		    "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.3f,%.3f,%d,%.6f\n",
		    w->model, w->impl, w->procs, w->threads, w->conc, w->jobs,
		    w->failed, w->wall_s, w->wall_min_s, w->wall_max_s,
		    w->runs, w->jobs_per_s, w->p50_ms, w->p95_ms, w->p99_ms,
		    w->mean_run_ms, w->cpu_s, w->cpu_user_s, w->cpu_sys_s,
		    w->peak_rss_kb, w->vcsw, w->ivcsw, w->par, w->cores_busy,
		    r->v != NULL && r->v->winner == (int)i, w->wall_sd_s);
	}
}

/* ---- a peer's row --------------------------------------------------- */

static double
getd(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : 0;
}

int
cli_cmp_row_from_json(const char *line, struct cli_cmp_row *w,
    struct cli_err *e)
{
	json_error_t je;
	json_t *o, *m, *er;

	memset(w, 0, sizeof(*w));
	if ((o = json_loads(line, 0, &je)) == NULL || !json_is_object(o)) {
		json_decref(o);
		return cli_errf(e, CORUN_EINVAL, "not a JSON object: %s",
		    je.text);
	}
	m = json_object_get(o, "model");
	if (!json_is_string(m)) {
		json_decref(o);
		return cli_errf(e, CORUN_EINVAL, "no \"model\" string");
	}
	snprintf(w->model, sizeof(w->model), "%s", json_string_value(m));
	m = json_object_get(o, "impl");
	snprintf(w->impl, sizeof(w->impl), "%s", json_is_string(m) ?
	    json_string_value(m) : "python");
	w->procs = (unsigned)getd(o, "procs");
	w->threads = (unsigned)getd(o, "threads");
	w->conc = (unsigned)getd(o, "concurrency");
	w->jobs = (uint64_t)getd(o, "jobs");
	w->failed = (uint64_t)getd(o, "failed");
	w->wall_s = getd(o, "wall_s");
	w->jobs_per_s = getd(o, "jobs_per_s");
	w->p50_ms = getd(o, "p50_ms");
	w->p95_ms = getd(o, "p95_ms");
	w->p99_ms = getd(o, "p99_ms");
	w->mean_run_ms = getd(o, "mean_run_ms");
	w->cpu_user_s = getd(o, "cpu_user_s");
	w->cpu_sys_s = getd(o, "cpu_sys_s");
	w->cpu_s = getd(o, "cpu_s");
	w->peak_rss_kb = (uint64_t)getd(o, "peak_rss_kb");
	w->vcsw = (uint64_t)getd(o, "vcsw");
	w->ivcsw = (uint64_t)getd(o, "ivcsw");
	w->runs = 1;
	w->wall_min_s = w->wall_max_s = w->wall_s;
	er = json_object_get(o, "error");
	if (json_is_string(er)) {
		snprintf(w->error, sizeof(w->error), "%s",
		    json_string_value(er));
	}
	json_decref(o);
	return 0;
}

/* ---- Markdown ------------------------------------------------------- */

void
cli_cmp_print_markdown(FILE *f, const struct cli_cmp_report *r)
{
	fprintf(f, "**%s**: %s, -j %u, concurrency %u\n\n", r->workload,
	    r->desc, r->cores, r->conc);
	fputs("| model | P x T x C | wall s (mean \u00b1 sd) | min s | max s "
	    "| runs | jobs/s | p50 ms | p99 ms | cpu s |\n"
	    "|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n", f);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct cli_cmp_row *w = &r->rows[i];

		if (w->error[0] != '\0') {
			fprintf(f, "| %s | %u x %u x %u | failed: %s | | | | | "
			    "| | |\n", w->model, w->procs, w->threads,
			    w->conc, w->error);
			continue;
		}
		fprintf(f, "| %s%s%s | %u x %u x %u | %.4f \u00b1 %.4f | %.4f "
		    "| %.4f | %u | %.1f | %.2f | %.2f | %.3f |\n",
		    r->v != NULL && r->v->winner == (int)i ? "**" : "",
		    w->model, r->v != NULL && r->v->winner == (int)i ? "**" :
		    "", w->procs, w->threads, w->conc, w->wall_s, w->wall_sd_s,
		    w->wall_min_s, w->wall_max_s, w->runs, w->jobs_per_s,
		    w->p50_ms, w->p99_ms, w->cpu_s);
	}
	if (r->v != NULL && r->v->text[0] != '\0') {
		fputc('\n', f);
		for (const char *p = r->v->text; *p != '\0'; p++) {
			/* each line of the verdict a paragraph of its own */
			if (*p == '\n') {
				fputs("\n\n", f);
			} else {
				fputc(*p, f);
			}
		}
		fputc('\n', f);
	}
}

/* One --export-* file: written whole, or an error naming it. */
static int
export_one(const char *opt, const char *path, const struct cli_cmp_report *r,
    void (*print)(FILE *, const struct cli_cmp_report *), struct cli_err *e)
{
	FILE *f;
	int bad;

	if (path == NULL) {
		return 0;
	}
	if ((f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w")) == NULL) {
		return cli_errf(e, CORUN_EIO, "%s %s: %s", opt, path,
		    strerror(errno));
	}
	print(f, r);
	bad = ferror(f);
	if (f != stdout) {
		bad |= fclose(f) != 0;
	} else {
		bad |= fflush(f) != 0;
	}
	return bad ? cli_errf(e, CORUN_EIO, "%s %s: write error", opt, path) :
	    0;
}

static void
print_json_void(FILE *f, const struct cli_cmp_report *r)
{
	cli_cmp_print_json(f, r);
}

int
cli_cmp_export(const struct cli_cmp_report *r, struct cli_err *e)
{
	const struct cli_cmp_opts *o = r->o;

	if (export_one("--export-markdown", o->export_md, r,
	    cli_cmp_print_markdown, e) != 0 ||
	    export_one("--export-json", o->export_json, r, print_json_void,
	    e) != 0 ||
	    export_one("--export-csv", o->export_csv, r, cli_cmp_print_csv,
	    e) != 0) {
		return -1;
	}
	return 0;
}
