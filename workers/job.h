/* SPDX-License-Identifier: MIT */
/*
 * job.h - a job held by corun-worker and the job threads (dispatch.c,
 * flush.c, results.c, job.c).
 */
#ifndef WK_WORKER_JOB_H
#define WK_WORKER_JOB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <corun/future.h>
#include <corun/loop.h>

#include "kinds.h"

struct wk_state;

struct wk_jthread {
	struct wk_state *w;
	corun_loop	*loop;
	pthread_t	 tid;
	int		 started;
	unsigned	 running;	/* main loop's count of its jobs */
	uint64_t	 lag_max;	/* atomic: job loop writes, main takes */
	uint64_t	 probe_due;	/* job loop */
};

struct wk_job {
	struct wk_job	*hnext;		/* table chain */
	struct wk_job	*dnext;		/* finished list */
	struct wk_state *w;
	struct wk_jthread *th;		/* NULL if never started */
	corun_future	*fut;		/* job thread only */
	int		 refs;		/* atomic */
	int		 cancel_posted;
	uint64_t	 id;
	uint32_t	 attempt;
	uint32_t	 timeout_ms;
	uint32_t	 flags;		/* WIRE_JOB_* */
	uint8_t		 files_added;	/* results.c: spill records in the
					   frame being built (bit 0 out) */
	size_t		 kind_len;
	size_t		 payload_len;
	struct wk_job_outcome oc;	/* set before the job comes back */
	char		 data[];	/* kind, then payload */
};

/* Output a streamed job wrote, on its way to an OUTPUT frame. */
struct wk_outchunk {
	struct wk_outchunk *next;
	struct wk_state *w;
	uint64_t	 id;
	uint32_t	 attempt;
	uint32_t	 stream;	/* WIRE_STDOUT or WIRE_STDERR */
	size_t		 len;
	char		 data[];
};

/* job.c: drop a reference; the last one frees the job and its outcome. */
void	wk_job_unref(struct wk_job *j);

/* flush.c, on the main loop: j finished; send its result soon. */
void	wk_flush_push_done(struct wk_state *w, struct wk_job *j);
/*
 * flush.c, on j's thread: a streamed job wrote whole lines (arg is the
 * job).  They reach the main loop ahead of the job's outcome.
 */
void	wk_flush_job_output(void *arg, int stream, const char *data,
	    size_t len);

#endif /* WK_WORKER_JOB_H */
