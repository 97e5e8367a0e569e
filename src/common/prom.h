/* SPDX-License-Identifier: MIT */
/*
 * prom.h - the metrics registry's pieces: histograms and the Prometheus
 * text exposition format (version 0.0.4) written into a cm_buf.  The
 * owner keeps its counters and gauges as plain numbers and writes them
 * with these calls when /metrics is asked for; nothing here allocates
 * but the buffer.  Not thread-safe: one owner, one thread.
 */
#ifndef CM_COMMON_PROM_H
#define CM_COMMON_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define CM_HIST_MAX 16

/* A histogram with fixed upper bounds (seconds, ascending). */
struct cm_hist {
	size_t nb;
	double bound[CM_HIST_MAX];
	uint64_t count[CM_HIST_MAX];	/* per bucket, not cumulative */
	uint64_t total;
	double sum;
};

/* A histogram with the nb bounds of b (at most CM_HIST_MAX). */
void cm_hist_init(struct cm_hist *h, const double *b, size_t nb);
void cm_hist_observe(struct cm_hist *h, double v);

/* "# HELP name help" and "# TYPE name type" (counter, gauge, ...). */
void cm_prom_head(struct cm_buf *b, const char *name, const char *type,
    const char *help);
/*
 * One sample: name{labels} value.  labels is NULL or "k1", "v1", "k2",
 * "v2", ... ending with NULL; values are escaped as the format wants.
 */
void cm_prom_sample(struct cm_buf *b, const char *name, double v, ...);
/* A whole histogram (buckets, +Inf, _sum, _count), with its head. */
void cm_prom_hist(struct cm_buf *b, const char *name, const char *help,
    const struct cm_hist *h);

#endif
