/* SPDX-License-Identifier: MIT */
/*
 * prom.c - histograms and the Prometheus text format (prom.h).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/prom.h"

void
cm_hist_init(struct cm_hist *h, const double *b, size_t nb)
{
	memset(h, 0, sizeof(*h));
	h->nb = nb < CM_HIST_MAX ? nb : CM_HIST_MAX;
	memcpy(h->bound, b, h->nb * sizeof(*b));
}

void
cm_hist_observe(struct cm_hist *h, double v)
{
	size_t i = 0;

	if (!(v >= 0)) {
		v = 0;
	}
	while (i < h->nb && v > h->bound[i]) {
		i++;
	}
	if (i < h->nb) {
		h->count[i]++;
	}
	h->total++;
	h->sum += v;
}

void
cm_prom_head(struct cm_buf *b, const char *name, const char *type,
    const char *help)
{
	cm_buf_adds(b, "# HELP ");
	cm_buf_adds(b, name);
	cm_buf_addc(b, ' ');
	cm_buf_adds(b, help);
	cm_buf_adds(b, "\n# TYPE ");
	cm_buf_adds(b, name);
	cm_buf_addc(b, ' ');
	cm_buf_adds(b, type);
	cm_buf_addc(b, '\n');
}

/* A label value: backslash, double quote and newline escaped. */
static void
add_escaped(struct cm_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"') {
			cm_buf_addc(b, '\\');
			cm_buf_addc(b, *s);
		} else if (*s == '\n') {
			cm_buf_adds(b, "\\n");
		} else {
			cm_buf_addc(b, *s);
		}
	}
}

static void
add_value(struct cm_buf *b, double v)
{
	char num[64];

	if (isinf(v)) {
		cm_buf_adds(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == floor(v) && fabs(v) < 9e15) {
		snprintf(num, sizeof(num), "%.0f", v);
	} else {
		snprintf(num, sizeof(num), "%.9g", v);
	}
	cm_buf_adds(b, num);
}

static void
vsample(struct cm_buf *b, const char *name, double v, va_list ap)
{
	const char *k, *val;
	int first = 1;

	cm_buf_adds(b, name);
	while ((k = va_arg(ap, const char *)) != NULL) {
		val = va_arg(ap, const char *);
		cm_buf_adds(b, first ? "{" : ",");
		cm_buf_adds(b, k);
		cm_buf_adds(b, "=\"");
		add_escaped(b, val != NULL ? val : "");
		cm_buf_addc(b, '"');
		first = 0;
	}
	cm_buf_adds(b, first ? " " : "} ");
	add_value(b, v);
	cm_buf_addc(b, '\n');
}

void
cm_prom_sample(struct cm_buf *b, const char *name, double v, ...)
{
	va_list ap;

	va_start(ap, v);
	vsample(b, name, v, ap);
	va_end(ap);
}

void
cm_prom_hist(struct cm_buf *b, const char *name, const char *help,
    const struct cm_hist *h)
{
	char n[128], le[64];
	uint64_t cum = 0;

	cm_prom_head(b, name, "histogram", help);
	snprintf(n, sizeof(n), "%s_bucket", name);
	for (size_t i = 0; i < h->nb; i++) {
		cum += h->count[i];
		snprintf(le, sizeof(le), "%g", h->bound[i]);
		cm_prom_sample(b, n, (double)cum, "le", le, (char *)NULL);
	}
	cm_prom_sample(b, n, (double)h->total, "le", "+Inf", (char *)NULL);
	snprintf(n, sizeof(n), "%s_sum", name);
	cm_prom_sample(b, n, h->sum, (char *)NULL);
	snprintf(n, sizeof(n), "%s_count", name);
	cm_prom_sample(b, n, (double)h->total, (char *)NULL);
}
