/*
 * stats.h - what corund counts for /metrics and the dashboard beyond
 * what the store and the pool already know: jobs submitted and ended,
 * their run times and queue waits, the last failures, and the control
 * requests by op and error code.  Every call takes NULL (counts
 * nothing), so files linked without the daemon (the fault test, the
 * fuzzer) need no stats.  On the loop thread only.
 */
#ifndef CD_STATS_H
#define CD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/prom.h"
#include "daemon.h"

#define CD_STATS_FAILS 10	/* the last failures kept */
#define CD_STATS_OPS 16		/* control ops counted by name */
#define CD_STATS_CODES 16	/* error codes counted by name */
#define CD_STATS_HIST 120	/* seconds of throughput history */

#define CD_STATS_RECENT 20	/* the last ended jobs kept */

/* A job that ended, as the page lists it. */
struct cd_stats_end {
	int64_t id;
	int state;
	int worker_pid;
	uint64_t end_ns;
	double runtime;		/* seconds */
	char message[160];	/* failures only */
};

struct cd_stats {
	uint64_t submitted;
	uint64_t ended[CD_NSTATES];	/* by final state */
	struct cm_hist runtime, wait;	/* seconds */
	struct cd_stats_end fail[CD_STATS_FAILS];
	size_t nfail;			/* ever; ring index = nfail % N */
	struct cd_stats_end recent[CD_STATS_RECENT];
	size_t nrecent;			/* ever, the same way */
	struct {
		char name[16];
		uint64_t ok;
		uint64_t err[CD_STATS_CODES];
	} ops[CD_STATS_OPS];
	size_t nops;
	char codes[CD_STATS_CODES][24];	/* error codes seen */
	size_t ncodes;
	/* Per-second history (hist.c of the page): ended jobs and mean
	   run time, one slot per second, ring at hist_at. */
	uint64_t hist_sec[CD_STATS_HIST];
	uint32_t hist_n[CD_STATS_HIST];
	double hist_rt[CD_STATS_HIST];
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
/* The last failures (newest first) and the per-second history of the
   last CD_STATS_HIST seconds up to now_s, as JSON. */
json_t *cd_stats_failures_json(const struct cd_stats *s);
/* The last ended jobs, newest first, as JSON. */
json_t *cd_stats_recent_json(const struct cd_stats *s);
json_t *cd_stats_history_json(const struct cd_stats *s, uint64_t now_s);

#endif
