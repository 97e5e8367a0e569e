/* SPDX-License-Identifier: MIT */
/*
 * poolview.h - a pool's workers as the dashboards show them (the page's
 * JSON, and one in-flight gauge per worker for /metrics), for corund and
 * corun run alike.  The caller reads them with corun_pool_workers()
 * (common does not call the pool itself: see doc/HACKING.md, layers).
 */
#ifndef CM_COMMON_POOLVIEW_H
#define CM_COMMON_POOLVIEW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <corun/pool.h>

#include "common/buf.h"

/*
 * Append to the array a one object per worker of w[0..n): pid, host
 * (host for a local worker, its address for a remote one), remote,
 * model, inflight, jobs_done, uptime (seconds at now_ns, loop clock)
 * and draining.
 */
void cm_workers_json(const struct corun_worker_info *w, size_t n,
    const char *model, const char *host, int draining, uint64_t now_ns,
    json_t *a);
/* One sample name{pid="..."} JOBS per worker of w[0..n), appended to b. */
void cm_workers_inflight_prom(const struct corun_worker_info *w, size_t n,
    const char *name, struct cm_buf *b);

#endif
