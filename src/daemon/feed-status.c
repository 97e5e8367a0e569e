/* SPDX-License-Identifier: MIT */
/*
 * feed-status.c - the daemon's state as the status op shows it: workers,
 * job counts, the pool's health, the paused groups.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "daemon.h"

json_t *
cd_feed_status(struct cd_daemon *d)
{
	struct corun_pool_stats st;
	uint64_t c[CD_NSTATES];
	json_t *j = json_object(), *w = json_object(), *counts = json_object();
	json_t *pids = json_array();
	int buf[1024];
	size_t n = 0;
	const char *state;

	memset(&st, 0, sizeof(st));
	if (d->pool != NULL) {
		corun_pool_stats(d->pool, &st);
		n = corun_pool_worker_pids(d->pool, buf, 1024);
	}
	for (size_t i = 0; i < n && i < 1024; i++) {
		json_array_append_new(pids, json_integer(buf[i]));
	}
	cd_store_counts(d->store, c);
	for (int i = 0; i < CD_NSTATES; i++) {
		json_object_set_new(counts, cd_state_name(i),
		    json_integer((json_int_t)c[i]));
	}
	state = d->exiting ? "draining" : d->pool_error != NULL ? "failing" :
	    d->paused_all ? "paused" : "running";
	json_object_set_new(j, "state", json_string(state));
	json_object_set_new(j, "pid", json_integer(getpid()));
	json_object_set_new(j, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(j, "uptime", json_real((double)(
	    corun_loop_now_ns() - d->started_ns) / 1e9));
	json_object_set_new(j, "pool_error", d->pool_error != NULL ?
	    json_string(d->pool_error) : json_null());
	json_object_set_new(w, "target", json_integer(d->workers));
	json_object_set_new(w, "alive", json_integer(st.workers_alive));
	json_object_set_new(w, "pids", pids);
	json_object_set_new(w, "restarts", json_integer((json_int_t)
	    st.restarts));
	json_object_set_new(w, "lost", json_integer((json_int_t)st.lost));
	json_object_set_new(w, "model", json_string(
	    corun_model_name(d->conf.model)));
	json_object_set_new(j, "workers", w);
	json_object_set_new(j, "counts", counts);
	json_object_set_new(j, "in_pool", json_integer((json_int_t)
	    d->ninflight));
	json_object_set_new(j, "paused_all", json_boolean(d->paused_all));
	json_object_set_new(j, "paused", cd_store_paused_json(d->store));
	return j;
}
