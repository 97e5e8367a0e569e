/* SPDX-License-Identifier: MIT */
/*
 * feed-wake.c - when the feed's step runs: at the end of this loop
 * iteration (cd_feed_kick), or a little later after a store failure;
 * and the wall clock the feed records.
 * The step is d->feed_step, which cd_feed_start() installs.
 */
#include "config.h"

#include <time.h>

#include "feed-internal.h"

uint64_t
cd_feed_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
tick(void *arg)
{
	struct cd_daemon *d = arg;

	corun_handle_release(d->tick_h);
	d->tick_h = NULL;
	d->feed_step(d);
}

void
cd_feed_kick(struct cd_daemon *d)
{
	if (d->tick_h == NULL) {
		corun_call_soon(d->loop, tick, d, &d->tick_h);
	}
}

void
cd_feed_kick_later(struct cd_daemon *d, double secs)
{
	corun_call_later(d->loop, secs, tick, d, &d->tick_h);
}
