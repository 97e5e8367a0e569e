/* SPDX-License-Identifier: MIT */
/*
 * web.h - corund's web listener (corund --http): /metrics, the
 * dashboard and its control actions, served by src/common/http.c with
 * what the daemon knows (web.c, web-metrics.c).  main.c starts it after
 * the pool and stops it before the feed.  On the loop thread only.
 */
#ifndef CD_WEB_H
#define CD_WEB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/buf.h"
#include "daemon.h"

struct cm_http;

/* The listener and what it keeps between requests (d->web). */
struct cd_web {
	struct cm_http *http;
	char host[256];
	/* The counts by group (cd_web_groups): [0] all states, [1] queued
	   and running; when each was counted and what that cost. */
	json_t *groups[2];
	uint64_t groups_at[2], groups_cost[2];
};

/* Start the listener d->conf.http (nothing when NULL): 0, or -1 with why
   set (a bad address, a port in use, a token file that cannot be read). */
int cd_web_start(struct cd_daemon *d, char *why, size_t whysize);
void cd_web_stop(struct cd_daemon *d);

/*
 * web-groups.c: the store's jobs by group, {GROUP: {STATE: N}} (all states, or queued
 * and running only), owned by the listener.  Counting is one query over
 * the store, whose cost grows with it: the last count is returned
 * instead until 100 times what it cost has passed, so that counting
 * never takes more than 1% of corund's time.
 */
json_t *cd_web_groups(struct cd_daemon *d, int active_only);

/* web-metrics.c: everything /metrics shows, appended to b. */
void cd_web_metrics(struct cd_daemon *d, struct cm_buf *b);

#endif
