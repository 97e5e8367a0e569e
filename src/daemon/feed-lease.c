/* SPDX-License-Identifier: MIT */
/*
 * feed-lease.c - jobs that started on a worker: the pool's on_lease
 * queues them, the step records each start (an attempt) in its
 * transaction.  With no prefetch a worker holds only what it can start,
 * so a lease is a start.  On the loop thread.
 */
#include "config.h"

#include <stdint.h>

#include "feed-internal.h"
#include "spool.h"

void
cd_feed_on_lease(void *arg, uint64_t tag, uint32_t attempt)
{
	struct cd_daemon *d = arg;
	struct cd_inflight *r = (struct cd_inflight *)(uintptr_t)tag;

	if (attempt > 1) {
		cd_log("job %lld re-queued: attempt %u was lost with its "
		    "worker", (long long)r->id, r->attempts - 2 + attempt);
	}
	cd_log("job %lld started (attempt %u)", (long long)r->id,
	    r->attempts - 1 + attempt);
	r->leased = attempt;
	cd_feed_spool_drop(d, r);	/* an earlier attempt's: output anew */
	if (!r->lease_queued) {
		r->lease_queued = 1;
		r->lease_next = d->lease_head;
		d->lease_head = r;
	}
	if (!d->in_step) {
		cd_feed_kick(d);	/* the step records it */
	}
}

int
cd_feed_record_leases(struct cd_daemon *d)
{
	uint64_t now = 0;

	for (struct cd_inflight *r = d->lease_head; r != NULL;
	    r = r->lease_next) {
		if (r->completed) {
			continue;	/* its result records its attempts */
		}
		if (now == 0) {
			now = cd_feed_wall_ns();
		}
		if (cd_store_leased(d->store, r->id, r->attempts - 1 +
		    r->leased, now) != 0) {
			return CORUN_ESYS;
		}
	}
	return 0;
}

void
cd_feed_leases_done(struct cd_daemon *d, int all)
{
	struct cd_inflight *r, *next, **link = &d->lease_head;

	for (r = d->lease_head; r != NULL; r = next) {
		next = r->lease_next;
		if (all || r->completed) {
			r->lease_queued = 0;
			r->lease_next = NULL;
			*link = next;
		} else {
			link = &r->lease_next;
		}
	}
}

void
cd_feed_on_output(void *arg, uint64_t tag, int stream, const char *data,
    size_t len)
{
	struct cd_daemon *d = arg;
	struct cd_inflight *r = (struct cd_inflight *)(uintptr_t)tag;

	r->spooled = 1;
	cd_spool_write(d->conf.state_dir, r->id, stream, data, len);
}

/*
 * The spool starts empty at each start of corund (cd_spool_init), and
 * only r writes its job's files, so a job that wrote no output has none
 * to remove: two unlinks fewer at each start and end of a quiet job.
 */
void
cd_feed_spool_drop(struct cd_daemon *d, struct cd_inflight *r)
{
	if (r->spooled) {
		cd_spool_remove(d->conf.state_dir, r->id);
		r->spooled = 0;
	}
}
