/* SPDX-License-Identifier: MIT */
/*
 * poolview.c - a pool's workers for the dashboards (poolview.h).
 */
#include "config.h"

#include <stdio.h>

#include "common/poolview.h"
#include "common/prom.h"

void
cm_workers_json(const struct corun_worker_info *w, size_t n,
    const char *model, const char *host, int draining, uint64_t now_ns,
    json_t *a)
{
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(a, json_pack("{s:i, s:s, s:b, s:s, s:i, "
		    "s:I, s:f, s:b}", "pid", w[i].pid, "host", w[i].remote ?
		    w[i].peer : host, "remote", w[i].remote, "model", model,
		    "inflight", (int)w[i].inflight, "jobs_done",
		    (json_int_t)w[i].jobs_done, "uptime", w[i].started_ns > 0 &&
		    now_ns > w[i].started_ns ? (double)(now_ns -
		    w[i].started_ns) / 1e9 : 0.0, "draining", draining));
	}
}

void
cm_workers_inflight_prom(const struct corun_worker_info *w, size_t n,
    const char *name, struct cm_buf *b)
{
	char pid[32];

	for (size_t i = 0; i < n; i++) {
		snprintf(pid, sizeof(pid), "%d", w[i].pid);
		cm_prom_sample(b, name, (double)w[i].inflight, "pid", pid,
		    (char *)NULL);
	}
}
