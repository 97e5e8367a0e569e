/* SPDX-License-Identifier: MIT */
/*
 * jobstats.h - what the dashboards count about jobs that ended, for
 * corund and corun run alike: ended jobs by final state, run-time and
 * queue-wait histograms, the last jobs and the last failures, and the
 * jobs ended per second over the last two minutes.  Written out as
 * Prometheus text (prom.h) and as the JSON the page and corun top read.
 * Not thread-safe: one owner, one thread.
 */
#ifndef CM_COMMON_JOBSTATS_H
#define CM_COMMON_JOBSTATS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/prom.h"

enum cm_js_state { CM_JS_DONE, CM_JS_FAILED, CM_JS_CANCELLED, CM_JS_N };

#define CM_JS_FAILS 10		/* the last failures kept */
#define CM_JS_RECENT 20		/* the last ended jobs kept */
#define CM_JS_HIST 120		/* seconds of throughput history */

/* A job that ended, as the page lists it. */
struct cm_js_end {
	int64_t id;
	int state;		/* enum cm_js_state */
	int worker_pid;
	uint64_t end_ns;	/* wall clock */
	double runtime;		/* seconds */
	char message[160];	/* "" when done */
};

struct cm_jobstats {
	uint64_t ended[CM_JS_N];
	struct cm_hist runtime, wait;		/* seconds */
	struct cm_js_end fail[CM_JS_FAILS];
	size_t nfail;				/* ever; ring at nfail % N */
	struct cm_js_end recent[CM_JS_RECENT];
	size_t nrecent;				/* the same */
	/* Per second (of the wall clock): jobs ended, their run times. */
	uint64_t hist_sec[CM_JS_HIST];
	uint32_t hist_n[CM_JS_HIST];
	double hist_rt[CM_JS_HIST];
};

/* One job and how it ended. */
struct cm_js_job {
	int64_t id;
	int state;		/* enum cm_js_state */
	int worker_pid;
	uint64_t submitted_ns;	/* wall clock, 0 = unknown */
	uint64_t start_ns;	/* 0 = never started */
	uint64_t end_ns;
	const char *message;	/* why it failed, or NULL */
};

const char *cm_js_state_name(int state);
void cm_jobstats_init(struct cm_jobstats *s);
void cm_jobstats_ended(struct cm_jobstats *s, const struct cm_js_job *j);
/*
 * PREFIX_jobs_ended_total{state}, PREFIX_job_runtime_seconds and
 * PREFIX_job_queue_wait_seconds, appended to b.
 */
void cm_jobstats_prom(const struct cm_jobstats *s, const char *prefix,
    struct cm_buf *b);
/*
 * Set "recent", "failures" (newest first) and "history" (per second of
 * the last CM_JS_HIST up to now_s: [seconds ago, jobs ended, their mean
 * run time in microseconds]) in the object j.
 */
void cm_jobstats_json(const struct cm_jobstats *s, uint64_t now_s,
    json_t *j);

#endif
