/* SPDX-License-Identifier: MIT */
/*
 * feed-internal.h - what the feed's files share: a job in the pool, and
 * the calls between them.  feed.c (the step, start and stop) is on top;
 * it calls feed-jobs.c (jobs in the pool), which calls feed-pool.c (the
 * pool's life), which calls feed-wake.c (when the step runs);
 * feed-lease.c (jobs that started) is called by feed.c and installed by
 * feed-pool.c, and calls feed-wake.c.  Used by
 * these files only; all of it on the loop thread.
 */
#ifndef CD_FEED_INTERNAL_H
#define CD_FEED_INTERNAL_H

#include <stdint.h>

#include "daemon.h"

/* A job handed to the pool, until its result is recorded. */
struct cd_inflight {
	struct cd_daemon *d;
	int64_t id;
	corun_future *fut;
	uint32_t attempts;		/* the store's, +1 (cd_taken's) */
	uint32_t leased;		/* the pool's last lease number */
	uint64_t submitted_ns;		/* the store's (wall clock) */
	int cancel_req;			/* cancelled by a client */
	int completed;			/* its future completed */
	int lease_queued;		/* on d->lease_head */
	int spooled;			/* wrote spool files (spool.h) */
	struct cd_inflight *next, *prev;
	struct cd_inflight *done_next;
	struct cd_inflight *lease_next;	/* leases to record */
};

/* Wall-clock time in nanoseconds (what the store records). */
uint64_t cd_feed_wall_ns(void);

/* ---- feed-wake.c --------------------------------------------------- */

/* Run d->feed_step in secs seconds (a store failure: not in a busy
   loop), whatever is pending; the handle is d->tick_h. */
void cd_feed_kick_later(struct cd_daemon *d, double secs);

/* ---- feed-pool.c --------------------------------------------------- */

/* A new pool with d->workers workers and the settings; 0 or its error. */
int cd_feed_make_pool(struct cd_daemon *d, corun_pool **out);
/* The pool is broken: say why (once) and try a new one later. */
void cd_feed_failing(struct cd_daemon *d, const char *why);
/* Retire the current pool (wait: its workers finish what they hold). */
void cd_feed_retire(struct cd_daemon *d, int wait);

/* ---- feed-delay.c -------------------------------------------------- */

/* In the step's transaction, before a take: release the delayed jobs
   whose time has come, and wake again at the next one's. */
void cd_feed_delay_release(struct cd_daemon *d);
/* Stopping: no more wake-ups. */
void cd_feed_delay_stop(struct cd_daemon *d);

/* ---- feed-lease.c -------------------------------------------------- */

/*
 * The pool's on_lease: a job started on a worker (leased with no
 * prefetch: a worker holds only what it can start).  Queued on
 * d->lease_head for the step to record.
 */
void cd_feed_on_lease(void *arg, uint64_t tag, uint32_t attempt);
/* The pool's on_output: a running job's output into its spool file
   (spool.h), for the follow op. */
void cd_feed_on_output(void *arg, uint64_t tag, int stream,
    const char *data, size_t len);
/* Remove r's spool files, if it wrote any (a new start, its end). */
void cd_feed_spool_drop(struct cd_daemon *d, struct cd_inflight *r);
/* Record the queued leases in the step's transaction (a job whose
   result came is left to that result); 0 or CORUN_ESYS. */
int cd_feed_record_leases(struct cd_daemon *d);
/* After the commit: with all (they are on disk) empty the queue, else
   drop only the jobs whose result came (they may be freed now). */
void cd_feed_leases_done(struct cd_daemon *d, int all);
/* ---- feed-jobs.c --------------------------------------------------- */

/*
 * Turn a completed pool future into a store write.  -1 when the store
 * failed: the caller keeps r and records it again later.
 */
int cd_feed_record(struct cd_daemon *d, struct cd_inflight *r);
/* Room in the window, and a pool to take jobs for? */
int cd_feed_can_take(const struct cd_daemon *d);
/* Hand n taken jobs to the pool (those it refuses go back to the
   queue); frees what t holds. */
void cd_feed_hand(struct cd_daemon *d, struct cd_taken *t, size_t n);
/* Take r off the in-flight list (the caller frees it). */
void cd_feed_unlink(struct cd_daemon *d, struct cd_inflight *r);
/* Let go of every job in flight, unrecorded (stopping). */
void cd_feed_forget_all(struct cd_daemon *d);

#endif /* CD_FEED_INTERNAL_H */
