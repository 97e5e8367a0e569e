/*
 * job.h - a job held by corun-worker and the job threads (dispatch.c,
 * flush.c, results.c, job.c).
 */
#ifndef CR_WORKER_JOB_H
#define CR_WORKER_JOB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <corun/future.h>
#include <corun/loop.h>

#include "kinds.h"

struct cr_worker;

struct cr_jthread {
	struct cr_worker *w;
	corun_loop	*loop;
	pthread_t	 tid;
	int		 started;
	unsigned	 running;	/* main loop's count of its jobs */
	uint64_t	 lag_max;	/* atomic: job loop writes, main takes */
	uint64_t	 probe_due;	/* job loop */
};

struct cr_job {
	struct cr_job	*hnext;		/* table chain */
	struct cr_job	*dnext;		/* finished list */
	struct cr_worker *w;
	struct cr_jthread *th;		/* NULL if never started */
	corun_future	*fut;		/* job thread only */
	int		 refs;		/* atomic */
	int		 cancel_posted;
	uint64_t	 id;
	uint32_t	 attempt;
	uint32_t	 timeout_ms;
	uint32_t	 flags;		/* CR_WIRE_JOB_* */
	size_t		 kind_len;
	size_t		 payload_len;
	struct cr_job_outcome oc;	/* set before the job comes back */
	char		 data[];	/* kind, then payload */
};

/* Output a streamed job wrote, on its way to an OUTPUT frame. */
struct cr_outchunk {
	struct cr_outchunk *next;
	struct cr_worker *w;
	uint64_t	 id;
	uint32_t	 attempt;
	uint32_t	 stream;	/* CR_WIRE_STDOUT or CR_WIRE_STDERR */
	size_t		 len;
	char		 data[];
};

/* job.c: drop a reference; the last one frees the job and its outcome. */
void	cr_job_unref(struct cr_job *j);

/* flush.c, on the main loop: j finished; send its result soon. */
void	cr_flush_push_done(struct cr_worker *w, struct cr_job *j);
/*
 * flush.c, on j's thread: a streamed job wrote whole lines (arg is the
 * job).  They reach the main loop ahead of the job's outcome.
 */
void	cr_flush_job_output(void *arg, int stream, const char *data,
	    size_t len);

#endif /* CR_WORKER_JOB_H */
