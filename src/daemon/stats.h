/* SPDX-License-Identifier: MIT */
/*
 * stats.h - what corund counts for /metrics and the dashboard beyond
 * what the store and the pool already know: jobs submitted, the jobs
 * that ended (src/common/jobstats.h: by state, run times, queue waits,
 * the last jobs and failures), and the control requests by op and error
 * code.  Every call takes NULL (counts nothing), so files linked
 * without the daemon (the fault test, the fuzzer) need no stats.  On
 * the loop thread only.
 */
#ifndef CD_STATS_H
#define CD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/jobstats.h"
#include "daemon.h"

#define CD_STATS_OPS 32		/* control ops counted by name: ops.c's 22
				   (edit included) and "invalid" */
#define CD_STATS_CODES 16	/* error codes counted by name */

struct cd_stats {
	uint64_t submitted;
	struct cm_jobstats jobs;
	struct {
		char name[16];
		uint64_t ok;
		uint64_t err[CD_STATS_CODES];
	} ops[CD_STATS_OPS];
	size_t nops;
	char codes[CD_STATS_CODES][24];	/* error codes seen */
	size_t ncodes;
};

struct cd_stats *cd_stats_new(void);
void cd_stats_free(struct cd_stats *s);
/* n jobs were added by a submit. */
void cd_stats_submitted(struct cd_stats *s, size_t n);
/* Job id ended as o says (recorded once); submitted_ns from the store. */
void cd_stats_ended(struct cd_stats *s, int64_t id,
    const struct cd_outcome *o, uint64_t submitted_ns);
/* A control request for op (or "invalid") got reply r (NULL: later). */
void cd_stats_request(struct cd_stats *s, const char *op, json_t *r);
/* The counters, histograms and requests in Prometheus' text format. */
void cd_stats_prom(const struct cd_stats *s, struct cm_buf *b);

#endif
