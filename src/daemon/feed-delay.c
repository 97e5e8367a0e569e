/* SPDX-License-Identifier: MIT */
/*
 * feed-delay.c - jobs submitted with a time before which they are not
 * taken (store-delay.c): the feed wakes at the earliest such time, lets
 * the store release the jobs whose time has come, and waits for the
 * next (the store reads the table at the first step: delayed jobs
 * survive a restart; a submit with a nearer time moves the wake-up at
 * the step that follows).  On the loop thread.
 */
#include "config.h"

#include "feed-internal.h"
#include "store-delay.h"

static void
delay_due(void *arg)
{
	struct cd_daemon *d = arg;

	corun_handle_release(d->delay_h);
	d->delay_h = NULL;
	cd_feed_kick(d);
}

/* Wake the feed at next_ns (0: not at all). */
static void
arm(struct cd_daemon *d, int64_t next_ns)
{
	int64_t now = (int64_t)cd_feed_wall_ns();

	if (d->delay_h != NULL) {
		corun_handle_cancel(d->delay_h);
		corun_handle_release(d->delay_h);
		d->delay_h = NULL;
	}
	if (next_ns > 0) {
		corun_call_later(d->loop, next_ns > now ?
		    (double)(next_ns - now) / 1e9 : 0, delay_due, d,
		    &d->delay_h);
	}
}

void
cd_feed_delay_release(struct cd_daemon *d)
{
	int64_t next;
	int moved;

	if (cd_store_delay_release(d->store, (int64_t)cd_feed_wall_ns(), &next,
	    &moved) != 0) {
		cd_log("store: %s; delayed jobs checked again in 1 s",
		    cd_store_errmsg(d->store));
		arm(d, (int64_t)cd_feed_wall_ns() + 1000000000);
	} else if (moved) {
		arm(d, next);
	}
}

void
cd_feed_delay_stop(struct cd_daemon *d)
{
	arm(d, 0);
}
