/* SPDX-License-Identifier: MIT */
/*
 * compare-chart.c - the chart of `corun compare --svg FILE / --png FILE`,
 * drawn with cairo: one row per model, three panels side by side (wall
 * time, throughput, latency p50 with a p95-p99 whisker), the winner in
 * green, Python peers in orange, and the verdict underneath.
 *
 * cairo is loaded with dlopen when a chart is asked for, not linked: it
 * pulls some twenty libraries (X11, fontconfig, freetype, png...) whose
 * loading cost every start of corun 1.8 ms here, and `corun run` starts
 * far more often than it draws.  The functions used are listed once in
 * CLI_CAIRO_FNS; the calls below read as plain cairo calls through the
 * macros that follow the table.
 */
#include "config.h"

#include <cairo.h>
#include <cairo-svg.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"
#include "fmath.h"

/* cairo's soname has been libcairo.so.2 since cairo 1.0. */
#define CLI_CAIRO_SONAME "libcairo.so.2"

#define CLI_CAIRO_FNS(X) \
	X(arc) X(create) X(destroy) X(fill) X(image_surface_create) \
	X(line_to) X(move_to) X(paint) X(rectangle) X(select_font_face) \
	X(set_font_size) X(set_line_width) X(set_source_rgb) X(show_text) \
	X(status) X(status_to_string) X(stroke) X(surface_destroy) \
	X(surface_finish) X(surface_status) X(surface_write_to_png) \
	X(svg_surface_create) X(text_extents)

static struct {
#define CLI_CAIRO_MEMBER(f) __typeof__(cairo_##f) *f;
	CLI_CAIRO_FNS(CLI_CAIRO_MEMBER)
#undef CLI_CAIRO_MEMBER
} cx;

/* Load cairo once; 0, or an error naming what is missing. */
static int
cairo_load(struct cli_err *e)
{
	static void *dl;
	void *sym;

	if (dl != NULL) {
		return 0;
	}
	if ((dl = dlopen(CLI_CAIRO_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		return cli_errf(e, CORUN_EIO, "cannot draw the chart: %s "
		    "(install the Debian package libcairo2)", dlerror());
	}
#define CLI_CAIRO_LOAD(f) \
	if ((sym = dlsym(dl, "cairo_" #f)) == NULL) { \
		dlclose(dl); \
		dl = NULL; \
		return cli_errf(e, CORUN_EIO, "cannot draw the chart: " \
		    "%s has no cairo_%s", CLI_CAIRO_SONAME, #f); \
	} \
	/* POSIX: dlsym's pointer converts to a function pointer. */ \
	memcpy(&cx.f, &sym, sizeof(sym));
	CLI_CAIRO_FNS(CLI_CAIRO_LOAD)
#undef CLI_CAIRO_LOAD
	return 0;
}

/* From here on cairo_f(...) calls through the loaded table. */
#define cairo_arc cx.arc
#define cairo_create cx.create
#define cairo_destroy cx.destroy
#define cairo_fill cx.fill
#define cairo_image_surface_create cx.image_surface_create
#define cairo_line_to cx.line_to
#define cairo_move_to cx.move_to
#define cairo_paint cx.paint
#define cairo_rectangle cx.rectangle
#define cairo_select_font_face cx.select_font_face
#define cairo_set_font_size cx.set_font_size
#define cairo_set_line_width cx.set_line_width
#define cairo_set_source_rgb cx.set_source_rgb
#define cairo_show_text cx.show_text
#define cairo_status cx.status
#define cairo_status_to_string cx.status_to_string
#define cairo_stroke cx.stroke
#define cairo_surface_destroy cx.surface_destroy
#define cairo_surface_finish cx.surface_finish
#define cairo_surface_status cx.surface_status
#define cairo_surface_write_to_png cx.surface_write_to_png
#define cairo_svg_surface_create cx.svg_surface_create
#define cairo_text_extents cx.text_extents

#define CH_W 900.0
#define CH_LABEL 130.0		/* the model names' column */
#define CH_GAP 24.0
#define CH_ROW 26.0
#define CH_TOP 78.0
#define CH_FONT "sans-serif"

struct ch {
	cairo_t *cr;
	const struct cli_cmp_report *r;
	double pw;		/* one panel's width */
};

static void
color(cairo_t *cr, unsigned rgb)
{
	cairo_set_source_rgb(cr, ((rgb >> 16) & 0xff) / 255.0,
	    ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0);
}

static void
text(cairo_t *cr, double x, double y, double size, int bold, int align,
    const char *s)
{
	cairo_text_extents_t te;

	cairo_select_font_face(cr, CH_FONT, CAIRO_FONT_SLANT_NORMAL,
	    bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	cairo_text_extents(cr, s, &te);
	/* align: 0 left, 1 centre, 2 right. */
	cairo_move_to(cr, x - (align == 1 ? te.x_advance / 2 :
	    align == 2 ? te.x_advance : 0), y);
	cairo_show_text(cr, s);
}

static unsigned
row_color(const struct ch *c, size_t i)
{
	const struct cli_cmp_row *w = &c->r->rows[i];

	if (c->r->v != NULL && c->r->v->winner == (int)i) {
		return 0x2e9e4f;
	}
	return strcmp(w->impl, "corun") == 0 ? 0x4a78b5 : 0xe08a2e;
}

/* A round step for about n ticks from 0 to hi. */
static double
nice_step(double hi, int n)
{
	double raw = hi / n, p = cli_pow(10, floor(cli_log10(raw))), f = raw / p;

	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/* One tick of a panel's axis at x: a grid line and its value below. */
static void
tick(struct ch *c, double x, double v)
{
	double bottom = CH_TOP + CH_ROW * (double)c->r->nrows;
	char buf[32];

	color(c->cr, 0xdddddd);
	cairo_set_line_width(c->cr, 1);
	cairo_move_to(c->cr, x, CH_TOP);
	cairo_line_to(c->cr, x, bottom + 3);
	cairo_stroke(c->cr);
	color(c->cr, 0x777777);
	text(c->cr, x, bottom + 12, 9, 0, 1, cli_cmp_num(buf, sizeof(buf),
	    v));
}

/* A linear axis from 0 to hi over w, ticked and named under the panel. */
static void
lin_axis(struct ch *c, double x0, double w, double hi, const char *name)
{
	double step;

	if (hi <= 0) {
		return;
	}
	step = nice_step(hi, 4);
	for (double t = 0; t <= hi * 1.0001; t += step) {
		tick(c, x0 + t / hi * w, t);
	}
	color(c->cr, 0x555555);
	text(c->cr, x0 + w / 2, CH_TOP + CH_ROW * (double)c->r->nrows + 24,
	    9, 0, 1, name);
}

/* A bar panel: value per row, scaled to the largest. */
static void
bars(struct ch *c, double x0, const char *title, int which)
{
	cairo_t *cr = c->cr;
	double max = 0, v, y, wdt;
	char buf[32];

	color(cr, 0x222222);
	text(cr, x0, CH_TOP - 12, 12, 1, 0, title);
	for (size_t i = 0; i < c->r->nrows; i++) {
		v = which ? c->r->rows[i].jobs_per_s : c->r->rows[i].wall_s +
		    c->r->rows[i].wall_sd_s;
		max = v > max ? v : max;
	}
	lin_axis(c, x0, c->pw - 50, max, which ? "jobs per second" :
	    "seconds (mean \u00b1 sd of the runs)");
	for (size_t i = 0; i < c->r->nrows; i++) {
		const struct cli_cmp_row *w = &c->r->rows[i];

		y = CH_TOP + (double)i * CH_ROW;
		if (w->error[0] != '\0') {
			color(cr, 0xb00020);
			text(cr, x0, y + 17, 11, 0, 0, "failed");
			continue;
		}
		v = which ? w->jobs_per_s : w->wall_s;
		wdt = max > 0 ? v / max * (c->pw - 50) : 0;
		color(cr, row_color(c, i));
		cairo_rectangle(cr, x0, y + 5, wdt < 1 ? 1 : wdt, CH_ROW - 10);
		cairo_fill(cr);
		if (!which && w->wall_sd_s > 0 && max > 0) {
			/* the spread of the runs: mean - sd .. mean + sd */
			double s = w->wall_sd_s / max * (c->pw - 50);

			color(cr, 0x222222);
			cairo_set_line_width(cr, 1.5);
			cairo_move_to(cr, x0 + wdt - s, y + CH_ROW / 2);
			cairo_line_to(cr, x0 + wdt + s, y + CH_ROW / 2);
			cairo_stroke(cr);
			wdt += s;
		}
		color(cr, 0x222222);
		text(cr, x0 + wdt + 4, y + 17, 11, 0, 0,
		    cli_cmp_num(buf, sizeof(buf), v));
	}
}

/* Latency: a log axis when the values span more than 20x. */
static double
lat_x(double v, double lo, double hi, int logs, double x0, double w)
{
	if (v <= 0) {
		v = lo;
	}
	if (logs) {
		return x0 + (cli_log10(v) - cli_log10(lo)) /
		    (cli_log10(hi) - cli_log10(lo)) * w;
	}
	return x0 + v / hi * w;
}

static void
latency(struct ch *c, double x0)
{
	cairo_t *cr = c->cr;
	double lo = 0, hi = 0, w = c->pw - 50, y, a, b, m;
	int logs;
	char buf[32];

	color(cr, 0x222222);
	text(cr, x0, CH_TOP - 12, 12, 1, 0,
	    "latency ms (p50, p95-p99)");
	for (size_t i = 0; i < c->r->nrows; i++) {
		const struct cli_cmp_row *r = &c->r->rows[i];

		if (r->error[0] != '\0') {
			continue;
		}
		if (r->p50_ms > 0 && (lo == 0 || r->p50_ms < lo)) {
			lo = r->p50_ms;
		}
		hi = r->p99_ms > hi ? r->p99_ms : hi;
	}
	if (hi <= 0) {
		return;
	}
	logs = lo > 0 && hi / lo > 20;
	color(cr, 0x555555);
	text(cr, x0 + w / 2, CH_TOP + CH_ROW * (double)c->r->nrows + 24, 9, 0,
	    1, logs ? "milliseconds (log scale)" : "milliseconds");
	if (!logs) {
		double step = nice_step(hi, 4);

		for (double t = 0; t <= hi * 1.0001; t += step) {
			tick(c, x0 + t / hi * w, t);	/* 0 at x0 */
		}
	}
	if (logs) {
		lo = cli_pow(10, floor(cli_log10(lo)));
		hi = cli_pow(10, ceil(cli_log10(hi)));
		/* Decade ticks, so a log axis reads as one. */
		for (double t = lo; t <= hi * 1.001; t *= 10) {
			a = lat_x(t, lo, hi, 1, x0, w);
			color(cr, 0xdddddd);
			cairo_move_to(cr, a, CH_TOP);
			cairo_line_to(cr, a, CH_TOP + CH_ROW *
			    (double)c->r->nrows);
			cairo_set_line_width(cr, 1);
			cairo_stroke(cr);
			color(cr, 0x777777);
			text(cr, a, CH_TOP + CH_ROW * (double)c->r->nrows + 12,
			    9, 0, 1, cli_cmp_num(buf, sizeof(buf), t));
		}
	}
	for (size_t i = 0; i < c->r->nrows; i++) {
		const struct cli_cmp_row *r = &c->r->rows[i];

		if (r->error[0] != '\0') {
			continue;
		}
		y = CH_TOP + (double)i * CH_ROW + CH_ROW / 2;
		m = lat_x(r->p50_ms, lo, hi, logs, x0, w);
		a = lat_x(r->p95_ms, lo, hi, logs, x0, w);
		b = lat_x(r->p99_ms, lo, hi, logs, x0, w);
		color(cr, row_color(c, i));
		cairo_set_line_width(cr, 2);
		cairo_move_to(cr, m, y);
		cairo_line_to(cr, b, y);
		cairo_stroke(cr);
		cairo_move_to(cr, a, y - 5);
		cairo_line_to(cr, a, y + 5);
		cairo_move_to(cr, b, y - 7);
		cairo_line_to(cr, b, y + 7);
		cairo_stroke(cr);
		cairo_arc(cr, m, y, 4.5, 0, 2 * M_PI);
		cairo_fill(cr);
		color(cr, 0x222222);
		text(cr, b + 5, y + 4, 10, 0, 0, cli_cmp_num(buf, sizeof(buf),
		    r->p99_ms));
	}
}

/* The verdict, wrapped to the width; returns the y after it. */
static double
paragraph(cairo_t *cr, const char *s, double x, double y, double width)
{
	char line[600], word[200];
	cairo_text_extents_t te;
	const char *p = s;
	size_t ll = 0, wl;

	cairo_select_font_face(cr, CH_FONT, CAIRO_FONT_SLANT_NORMAL,
	    CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, 12);
	line[0] = '\0';
	while (*p != '\0') {
		wl = strcspn(p, " \n");
		snprintf(word, sizeof(word), "%.*s", (int)wl, p);
		if (ll > 0) {
			char t[800];

			snprintf(t, sizeof(t), "%s %s", line, word);
			cairo_text_extents(cr, t, &te);
			if (te.x_advance > width) {
				cairo_move_to(cr, x, y);
				cairo_show_text(cr, line);
				y += 16;
				ll = 0;
				line[0] = '\0';
			}
		}
		ll += (size_t)snprintf(line + ll, sizeof(line) - ll, "%s%s",
		    ll > 0 ? " " : "", word);
		if (ll >= sizeof(line)) {
			ll = sizeof(line) - 1;
		}
		p += wl;
		if (*p == '\n' || *p == '\0') {
			cairo_move_to(cr, x, y);
			cairo_show_text(cr, line);
			y += 16;
			ll = 0;
			line[0] = '\0';
		}
		if (*p != '\0') {
			p++;
		}
	}
	return y;
}

static void
draw(struct ch *c, double h)
{
	cairo_t *cr = c->cr;
	char title[300];
	double y;

	color(cr, 0xffffff);
	cairo_paint(cr);
	snprintf(title, sizeof(title), "corun compare: %s", c->r->workload);
	color(cr, 0x111111);
	text(cr, 16, 26, 17, 1, 0, title);
	snprintf(title, sizeof(title), "%s; -j %u cores, concurrency %u; "
	    "%u run%s of each model", c->r->desc, c->r->cores, c->r->conc,
	    c->r->o->repeat, c->r->o->repeat == 1 ? "" : "s");
	color(cr, 0x555555);
	text(cr, 16, 44, 12, 0, 0, title);
	for (size_t i = 0; i < c->r->nrows; i++) {
		y = CH_TOP + (double)i * CH_ROW;
		if (i % 2 == 0) {
			color(cr, 0xf4f6f8);
			cairo_rectangle(cr, 8, y, CH_W - 16, CH_ROW);
			cairo_fill(cr);
		}
		color(cr, 0x111111);
		text(cr, 16, y + 17, 12, c->r->v != NULL &&
		    c->r->v->winner == (int)i, 0, c->r->rows[i].model);
	}
	bars(c, CH_LABEL, "wall time, s (shorter wins)", 0);
	bars(c, CH_LABEL + c->pw + CH_GAP, "jobs/s (longer wins)", 1);
	latency(c, CH_LABEL + 2 * (c->pw + CH_GAP));
	y = CH_TOP + CH_ROW * (double)c->r->nrows + 48;
	color(cr, 0x222222);
	if (c->r->v != NULL) {
		paragraph(cr, c->r->v->text, 16, y, CH_W - 32);
	}
	(void)h;
}

int
cli_cmp_chart(const char *path, int png, const struct cli_cmp_report *r,
    struct cli_err *e)
{
	cairo_surface_t *s;
	cairo_status_t st;
	struct ch c;
	double h = CH_TOP + CH_ROW * (double)r->nrows + 48 + 7 * 16 + 8;

	int rc;

	if ((rc = cairo_load(e)) != 0) {
		return rc;
	}
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.pw = (CH_W - CH_LABEL - 2 * CH_GAP - 16) / 3;
	if (png) {
		s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)CH_W,
		    (int)h);
	} else {
		s = cairo_svg_surface_create(path, CH_W, h);
	}
	if ((st = cairo_surface_status(s)) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		return cli_errf(e, CORUN_EIO, "%s: %s", path,
		    cairo_status_to_string(st));
	}
	c.cr = cairo_create(s);
	draw(&c, h);
	st = cairo_status(c.cr);
	cairo_destroy(c.cr);
	if (st == CAIRO_STATUS_SUCCESS && png) {
		st = cairo_surface_write_to_png(s, path);
	}
	cairo_surface_finish(s);
	if (st == CAIRO_STATUS_SUCCESS) {
		st = cairo_surface_status(s);
	}
	cairo_surface_destroy(s);
	if (st != CAIRO_STATUS_SUCCESS) {
		return cli_errf(e, CORUN_EIO, "%s: %s", path,
		    cairo_status_to_string(st));
	}
	return 0;
}
