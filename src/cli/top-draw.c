/* SPDX-License-Identifier: MIT */
/*
 * top-draw.c - corun top's screen (top.h): from the state that
 * /api/state answers, the same things the web page shows, as lines.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "top.h"

struct screen {
	struct cm_buf *b;
	int rows, cols, used;
};

static void
line(struct screen *s, const char *fmt, ...) __attribute__((format(printf,
    2, 3)));

/* One line, cut at the terminal's width; nothing past its last row. */
static void
line(struct screen *s, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	size_t n;

	if (s->used >= s->rows) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = strlen(text);
	if (s->cols > 0 && n > (size_t)s->cols) {
		n = (size_t)s->cols;
	}
	cm_buf_add(s->b, text, n);
	cm_buf_adds(s->b, "\033[K\r\n");
	s->used++;
}

static long long
ival(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static const char *
sval(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "";
}

static void
fmt_dur(char *out, size_t size, double s)
{
	if (s < 1) {
		snprintf(out, size, "%.1fms", s * 1e3);
	} else if (s < 120) {
		snprintf(out, size, "%.1fs", s);
	} else if (s < 7200) {
		snprintf(out, size, "%.0fm", s / 60);
	} else {
		snprintf(out, size, "%.1fh", s / 3600);
	}
}

/* The header: source, state, counts, and the rates of the last 10 s. */
static void
header(struct screen *s, const json_t *j, const char *addr)
{
	const json_t *st = json_object_get(j, "status");
	const json_t *w = json_object_get(st, "workers");
	const json_t *c = json_object_get(st, "counts");
	const json_t *h = json_object_get(j, "history"), *x;
	double ended = 0, rt = 0;
	size_t i, n = json_array_size(h);
	char up[32], mean[32];

	for (i = n > 10 ? n - 10 : 0; i < n; i++) {
		x = json_array_get(h, i);
		ended += (double)json_integer_value(json_array_get(x, 1));
		rt += (double)json_integer_value(json_array_get(x, 1)) *
		    (double)json_integer_value(json_array_get(x, 2)) / 1e6;
	}
	fmt_dur(up, sizeof(up), json_real_value(json_object_get(st,
	    "uptime")));
	fmt_dur(mean, sizeof(mean), ended > 0 ? rt / ended : 0);
	line(s, "corun top - %s %s at %s   state %s   up %s", sval(j, "source"),
	    sval(st, "version"), addr, sval(st, "state"), up);
	line(s, "workers %lld/%lld  restarts %lld  lost %lld   jobs: queued "
	    "%lld  running %lld  done %lld  failed %lld  cancelled %lld",
	    ival(w, "alive"), ival(w, "target"), ival(w, "restarts"),
	    ival(w, "lost"), ival(c, "queued"), ival(c, "running"),
	    ival(c, "done"), ival(c, "failed"), ival(c, "cancelled"));
	line(s, "rate %.1f jobs/s (10 s)   mean run time %s", ended /
	    (double)(n < 10 ? (n > 0 ? n : 1) : 10), ended > 0 ? mean : "-");
	line(s, "%s", "");
}

static void
workers(struct screen *s, const json_t *j)
{
	const json_t *a = json_object_get(j, "workers"), *w;
	size_t i;
	char up[32];

	line(s, "%-8s %-16s %-8s %6s %8s %8s", "PID", "HOST", "MODEL", "JOBS",
	    "DONE", "UP");
	json_array_foreach(a, i, w) {
		fmt_dur(up, sizeof(up), json_real_value(json_object_get(w,
		    "uptime")));
		line(s, "%-8lld %-16.16s %-8s %6lld %8lld %8s%s", ival(w, "pid"),
		    sval(w, "host"), sval(w, "model"), ival(w, "inflight"),
		    ival(w, "jobs_done"), up, json_is_true(json_object_get(w,
		    "draining")) ? "  draining" : "");
	}
	line(s, "%s", "");
}

static void
groups(struct screen *s, const json_t *j)
{
	const json_t *g = json_object_get(j, "groups"), *v;
	const json_t *paused = json_object_get(json_object_get(j, "status"),
	    "paused");
	const char *k;

	line(s, "%-20s %8s %8s %s", "GROUP", "QUEUED", "RUNNING", "PAUSED");
	json_object_foreach((json_t *)g, k, v) {
		int p = 0;
		size_t i;
		json_t *x;

		json_array_foreach(paused, i, x) {
			p |= strcmp(json_string_value(x) ? json_string_value(x)
			    : "", k) == 0;
		}
		line(s, "%-20.20s %8lld %8lld %s", *k != '\0' ? k : "(default)",
		    ival(v, "queued"), ival(v, "running"), p ? "yes" : "");
	}
	line(s, "%s", "");
}

static void
failures(struct screen *s, const json_t *j)
{
	const json_t *a = json_object_get(j, "failures"), *f;
	size_t i;
	char when[16];

	line(s, "LAST FAILURES");
	json_array_foreach(a, i, f) {
		time_t t = (time_t)json_real_value(json_object_get(f, "ended"));
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		line(s, "  job %-8lld %s  %s", ival(f, "id"), when,
		    sval(f, "message"));
	}
	if (json_array_size(a) == 0) {
		line(s, "  none");
	}
}

void
cli_top_draw(struct cm_buf *b, const json_t *j, const char *err,
    const char *addr, int rows, int cols)
{
	struct screen s = { b, rows > 1 ? rows - 1 : 1, cols, 0 };

	if (j == NULL) {
		line(&s, "corun top - %s: %s", addr, err);
	} else {
		header(&s, j, addr);
		workers(&s, j);
		groups(&s, j);
		failures(&s, j);
	}
	s.rows++;
	line(&s, "q quits");
}
