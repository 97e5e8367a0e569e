/* SPDX-License-Identifier: MIT */
/*
 * pool-info.c - what the pool tells of each worker it runs (pid, where,
 * jobs held, results so far), for the dashboards of corund and corun run.
 */
#include "config.h"

#include <string.h>

#include "sup-internal.h"

/* Fill what fits of the caller's size-tagged element from w. */
static void
fill(const struct sup_worker *w, struct corun_worker_info *out)
{
	struct corun_worker_info i;
	size_t sz = out->size < sizeof(i) ? out->size : sizeof(i);

	memset(&i, 0, sizeof(i));
	i.size = out->size;
	i.pid = w->remote ? (int)w->rpid : (int)w->pid;
	i.remote = w->remote;
	if (w->remote) {
		memcpy(i.peer, w->peer, sizeof(i.peer));
		i.peer[sizeof(i.peer) - 1] = '\0';
	}
	i.inflight = (unsigned)w->leases.len;
	i.jobs_done = w->jobs_done;
	i.started_ns = w->started_ns;
	memcpy(out, &i, sz);
}

size_t
corun_pool_workers(const corun_pool *p, struct corun_worker_info *out,
    size_t n)
{
	size_t k = 0;

	for (unsigned i = 0; p != NULL && i < p->nslots; i++) {
		const struct sup_worker *w = &p->workers[i];

		if (w->state == SUP_W_IDLE || (!w->remote && w->pid <= 0)) {
			continue;
		}
		if (k < n && out[k].size >= sizeof(size_t)) {
			fill(w, &out[k]);
		}
		k++;
	}
	return k;
}
