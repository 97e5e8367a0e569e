/* SPDX-License-Identifier: MIT */
/*
 * web-metrics.c - everything corund's /metrics shows (web.h): the
 * store's counts (by state, and by group and state), stats.c's counters
 * and histograms, the pool's workers, and the store's size on disk.
 * Each metric is described in corund(8).
 */
#include "config.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/poolview.h"
#include "stats.h"
#include "web.h"

/* corund_jobs_by_group from cd_web_groups(). */
static void
by_group(struct cd_daemon *d, struct cm_buf *b)
{
	json_t *g = cd_web_groups(d, 0), *states, *n;
	const char *group, *state;

	json_object_foreach(g, group, states) {
		json_object_foreach(states, state, n) {
			if (json_integer_value(n) > 0) {
				cm_prom_sample(b, "corund_jobs_by_group",
				    (double)json_integer_value(n), "group",
				    group, "state", state, (char *)NULL);
			}
		}
	}
}

static void
jobs(struct cd_daemon *d, struct cm_buf *b)
{
	uint64_t c[CD_NSTATES];

	cd_store_counts(d->store, c);
	cm_prom_head(b, "corund_jobs", "gauge",
	    "Jobs in the store, by state.");
	for (int i = 0; i < CD_NSTATES; i++) {
		cm_prom_sample(b, "corund_jobs", (double)c[i], "state",
		    cd_state_name(i), (char *)NULL);
	}
	cm_prom_head(b, "corund_jobs_by_group", "gauge",
	    "Jobs in the store, by group (\"\" is the default group) and "
	    "state.");
	by_group(d, b);
	cm_prom_head(b, "corund_jobs_in_pool", "gauge",
	    "Jobs handed to the workers and not recorded yet.");
	cm_prom_sample(b, "corund_jobs_in_pool", (double)d->ninflight,
	    (char *)NULL);
}

/* The workers of p (up to 256) into w; how many. */
static size_t
pool_workers(corun_pool *p, struct corun_worker_info *w)
{
	size_t n;

	for (size_t i = 0; i < 256; i++) {
		w[i].size = sizeof(w[i]);
	}
	n = corun_pool_workers(p, w, 256);
	return n < 256 ? n : 256;
}

static void
workers(struct cd_daemon *d, struct cm_buf *b)
{
	static struct corun_worker_info w[256];
	struct corun_pool_stats st = { 0 };

	if (d->pool != NULL) {
		corun_pool_stats(d->pool, &st);
	}
	cm_prom_head(b, "corund_workers", "gauge", "Worker processes wanted "
	    "(target) and ready (alive).");
	cm_prom_sample(b, "corund_workers", (double)d->workers, "kind",
	    "target", (char *)NULL);
	cm_prom_sample(b, "corund_workers", (double)st.workers_alive, "kind",
	    "alive", (char *)NULL);
	cm_prom_head(b, "corund_worker_restarts_total", "counter",
	    "Workers restarted after they exited (the current pool).");
	cm_prom_sample(b, "corund_worker_restarts_total", (double)st.restarts,
	    (char *)NULL);
	cm_prom_head(b, "corund_workers_lost_total", "counter",
	    "Workers lost while holding jobs: crashed, killed or silent past "
	    "the heartbeat timeout (the current pool).");
	cm_prom_sample(b, "corund_workers_lost_total", (double)st.lost,
	    (char *)NULL);
	cm_prom_head(b, "corund_worker_inflight", "gauge",
	    "Jobs each worker holds now, by worker pid (workers of a pool "
	    "retired by a scale included until they finish).");
	if (d->pool != NULL) {
		cm_workers_inflight_prom(w, pool_workers(d->pool, w),
		    "corund_worker_inflight", b);
	}
	for (size_t i = 0; i < d->nold; i++) {
		cm_workers_inflight_prom(w, pool_workers(d->old_pools[i], w),
		    "corund_worker_inflight", b);
	}
}

/* jobs.db and its WAL, in bytes. */
static double
store_bytes(struct cd_daemon *d)
{
	static const char *const files[] = { "jobs.db", "jobs.db-wal" };
	char path[4200];
	struct stat st;
	double sum = 0;

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", d->conf.state_dir,
		    files[i]);
		if (stat(path, &st) == 0) {
			sum += (double)st.st_size;
		}
	}
	return sum;
}

void
cd_web_metrics(struct cd_daemon *d, struct cm_buf *b)
{
	jobs(d, b);
	cd_stats_prom(d->stats, b);
	workers(d, b);
	cm_prom_head(b, "corund_store_bytes", "gauge",
	    "Size of the job store on disk (jobs.db and its WAL).");
	cm_prom_sample(b, "corund_store_bytes", store_bytes(d), (char *)NULL);
	cm_prom_head(b, "corund_uptime_seconds", "gauge",
	    "Seconds since corund started.");
	cm_prom_sample(b, "corund_uptime_seconds", (double)(
	    corun_loop_now_ns() - d->started_ns) / 1e9, (char *)NULL);
}
