/* SPDX-License-Identifier: MIT */
/*
 * pool-dispatch.c - handing queued jobs to workers: one dispatch per loop
 * iteration, JOBS frames within each worker's credit, the first jobs of a
 * starting worker through its socket pair, leases, re-queueing, and the
 * cancels of the iteration sent together.
 *
 * Jobs wait in one FIFO queue.  A worker grants credit (free slots); one
 * dispatch per loop iteration hands queued jobs to workers with credit, in
 * batch frames, and records each as leased to that worker: first every
 * worker's free slots, then the room remote workers have to hold a job
 * ahead (remote_share).  A result
 * completes its job's future once: results for a lease that no longer
 * exists (the job was re-leased after its worker died) are ignored.  When
 * a worker dies its leases go back to the front of the queue until the
 * job's attempts run out.
 *
 * What a worker holds beyond its slots: p->prefetch jobs of any kind
 * (corun_pool_opts.prefetch), and, on a local worker whose prefetch is
 * automatic and none (P > 1), up to p->map_ahead chunks of a
 * corun_pool_map_chunked() call, which would otherwise wait a round trip
 * each: as many as cover SUP_MAP_AHEAD_NS of their measured run time, so
 * a slow chunk never leaves work stuck behind it on a busy worker while
 * another is idle.  A job of any other kind goes only to a worker that
 * holds nothing, and starts at once.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "sup-internal.h"

static void dispatch(void *arg);

/* Map chunks held ahead cover about this much of their run time. */
#define SUP_MAP_AHEAD_NS 2000000ull

/* What w holds beyond its slots for map chunks (the worker's --prefetch
 * includes it: local workers only). */
static uint32_t
map_reserve(const struct corun_pool *p, const struct sup_worker *w)
{
	return w->remote ? 0 : p->map_ahead;
}

/*
 * A chunk's run time goes to a ring of the last SUP_CHUNK_TIMES; only a
 * pool that holds chunks ahead keeps it (one worker, P == 1, holds its
 * prefetch of any job and nothing more: no use timing its chunks).
 * corun_pool_map_chunked starts the ring again for each map.
 */
void
sup_pool_chunk_ran(struct corun_pool *p, uint64_t run_ns)
{
	if (p->map_ahead > 0) {
		p->chunk_times[p->nchunk_times++ % SUP_CHUNK_TIMES] = run_ns;
	}
}

/*
 * The median of the ring: a chunk preempted on a busy machine does not
 * make the others look slow.  Sorted when a dispatch asks, not for every
 * result (a frame brings many).
 */
static uint64_t
chunk_median(struct corun_pool *p)
{
	uint64_t v[SUP_CHUNK_TIMES], x;
	unsigned n, i, k;

	if (p->nchunk_sorted == p->nchunk_times) {
		return p->chunk_ns;
	}
	n = p->nchunk_times < SUP_CHUNK_TIMES ? p->nchunk_times :
	    SUP_CHUNK_TIMES;
	for (i = 0; i < n; i++) {	/* insertion sort: 8 at most */
		x = p->chunk_times[i];
		for (k = i; k > 0 && v[k - 1] > x; k--) {
			v[k] = v[k - 1];
		}
		v[k] = x;
	}
	p->chunk_ns = v[n / 2] > 0 ? v[n / 2] : 1;
	p->nchunk_sorted = p->nchunk_times;
	return p->chunk_ns;
}

/* The map chunks w may hold now beyond its slots and the prefetch. */
static uint32_t
map_depth(struct corun_pool *p, const struct sup_worker *w)
{
	uint64_t d;

	if (map_reserve(p, w) == 0) {
		return 0;
	}
	if (p->nchunk_times == 0) {
		return 1;	/* none measured yet */
	}
	d = SUP_MAP_AHEAD_NS / chunk_median(p);
	return d < p->map_ahead ? (uint32_t)d : p->map_ahead;
}

void
sup_pool_schedule_dispatch(struct corun_pool *p)
{
	if (p->dispatch_h == NULL && p->queue.len > 0) {
		corun_call_soon(p->loop, dispatch, p, &p->dispatch_h);
	}
}

/* Run dispatch at the end of this iteration even with nothing queued. */
void
sup_pool_schedule_flush(struct corun_pool *p)
{
	if (p->dispatch_h == NULL) {
		corun_call_soon(p->loop, dispatch, p, &p->dispatch_h);
	}
}

void
sup_pool_requeue_front(struct corun_pool *p, struct sup_job *job)
{
	/* (a kill of its last attempt is over: corun_pool_kill) */
	job->cancel_req = job->cancel_sent = job->cancel_retry = 0;
	job->state = SUP_JOB_QUEUED;
	sup_jobq_push_front(&p->queue, job);
	sup_pool_schedule_dispatch(p);
}

/* ---- cancel --------------------------------------------------------- */

int
sup_pool_job_cancel(corun_future *fut)
{
	struct sup_job *job = (struct sup_job *)fut;
	struct corun_pool *p = job->pool;

	switch (job->state) {
	case SUP_JOB_QUEUED:
		sup_jobq_remove(&p->queue, job);
		sup_pool_job_fail(job, CORUN_ECANCELED, NULL);
		return 0;
	case SUP_JOB_LEASED:
		/*
		 * The worker kills it and answers with its result.  Cancels
		 * leave once per iteration, together: a worker that got them
		 * one by one could start a held job in the slot the first
		 * one freed before hearing that it was cancelled too.
		 */
		job->cancel_retry = 0;	/* a cancel ends a kill's retry */
		if (!job->cancel_req) {
			job->cancel_req = 1;
			job->worker->cancels++;
			sup_pool_schedule_flush(p);
		}
		return 0;
	default:
		return CORUN_ESTATE;
	}
}

/*
 * corun_pool_kill: the running job is stopped as a cancel stops it, and
 * its result (pool-frame.c) is a failed attempt, run again while its
 * retries allow.  One not running (queued, or being stopped) is left.
 */
int
sup_pool_job_kill(struct sup_job *job)
{
	switch (job->state) {
	case SUP_JOB_QUEUED:
		return CORUN_EAGAIN;
	case SUP_JOB_LEASED:
		if (job->cancel_req) {
			return CORUN_EAGAIN;
		}
		job->cancel_req = job->cancel_retry = 1;
		job->worker->cancels++;
		sup_pool_schedule_flush(job->pool);
		return 0;
	default:
		return CORUN_ESTATE;
	}
}

/* One CANCEL frame per worker for the cancels of this iteration. */
static void
send_cancels(struct corun_pool *p, struct sup_worker *w)
{
	const uint8_t *frame;
	size_t len;
	struct sup_job *job;

	w->cancels = 0;
	if (wire_builder_begin(&p->wb, WIRE_CANCEL) != 0) {
		return;
	}
	for (job = w->leases.head; job != NULL; job = job->next) {
		if (!job->cancel_req || job->cancel_sent) {
			continue;
		}
		if (wire_add_cancel(&p->wb, job->id) == CORUN_EAGAIN) {
			if (wire_builder_finish(&p->wb, &frame, &len) == 0) {
				sup_worker_send(w, frame, len);
			}
			wire_builder_begin(&p->wb, WIRE_CANCEL);
			wire_add_cancel(&p->wb, job->id);
		}
		job->cancel_sent = 1;
	}
	if (wire_builder_count(&p->wb) > 0 &&
	    wire_builder_finish(&p->wb, &frame, &len) == 0) {
		sup_worker_send(w, frame, len);
	}
}

/* ---- dispatch ------------------------------------------------------- */

static int
send_frame(struct corun_pool *p, struct sup_worker *w)
{
	const uint8_t *frame;
	size_t len;

	if (wire_builder_finish(&p->wb, &frame, &len) != 0) {
		return -1;
	}
	return sup_worker_send(w, frame, len);
}

/*
 * Out of memory building a frame: the jobs stay queued and dispatch runs
 * again a little later (not at once: that would spin while it lasts).
 */
static void
no_memory_yet(struct corun_pool *p)
{
	if (p->dispatch_h == NULL) {
		corun_call_later(p->loop, 0.05, dispatch, p, &p->dispatch_h);
	}
}

/*
 * Add the queue's first job to the JOBS frame being built for w.  Only a
 * worker of ours, on this machine, may spill output to files: we read
 * them.
 */
static int
frame_job(struct corun_pool *p, const struct sup_worker *w,
    const struct sup_job *job)
{
	struct wire_job wj;

	memset(&wj, 0, sizeof(wj));
	wj.id = job->id;
	wj.attempt = job->attempts + 1;
	wj.timeout_ms = job->timeout_ms;
	wj.flags = job->stream ? WIRE_JOB_STREAM : 0;
	if (job->spill && !w->remote) {
		wj.flags |= WIRE_JOB_SPILL;
		if (sup_pool_spill_mem_room()) {
			wj.flags |= WIRE_JOB_SPILL_MEM;
		}
		if (!p->spilling) {
			p->spilling = 1;
			sup_pool_files_orphans();
		}
	}
	wj.kind.ptr = (const uint8_t *)job->kind;
	wj.kind.len = job->kind_len;
	wj.payload.ptr = job->payload;
	wj.payload.len = (uint32_t)job->len;
	return wire_add_job(&p->wb, &wj);
}

/*
 * The job went into a frame for w (rc: frame_job's answer, not EAGAIN or
 * ENOMEM): off the queue, leased to w.  0, or -1 if it failed instead.
 */
static int
lease_job(struct corun_pool *p, struct sup_worker *w, struct sup_job *job,
    int rc)
{
	sup_jobq_remove(&p->queue, job);
	if (rc != 0) {
		sup_pool_job_fail(job, rc, "job %llu cannot be sent: %s",
		    (unsigned long long)job->id, corun_strerror(rc));
		return -1;
	}
	if (sup_jobmap_put(&p->leased, job) != 0) {
		sup_pool_job_fail(job, CORUN_ENOMEM, "no memory to lease it");
		return -1;
	}
	job->state = SUP_JOB_LEASED;
	job->worker = w;
	job->attempts++;
	job->streamed[0] = job->streamed[1] = 0;
	sup_pool_job_files_drop(job);	/* an earlier attempt's */
	sup_jobq_push(&w->leases, job);
	if (p->opts.on_lease != NULL) {
		p->opts.on_lease(p->opts.lease_arg, job->tag, job->attempts);
	}
	return 0;
}

/* Send w up to max queued jobs (within its credit). */
static void
send_jobs(struct corun_pool *p, struct sup_worker *w, uint32_t max)
{
	/* A remote worker's room is its credit (remote_share decides how
	   much of it); a local one keeps its map reserve for chunks. */
	uint32_t slots = w->remote ? w->capacity :
	    sup_worker_slots(p, w) + p->prefetch;
	uint32_t chunks = slots + map_depth(p, w);
	struct sup_job *job;
	int rc;

	if (wire_builder_begin(&p->wb, WIRE_JOBS) != 0) {
		no_memory_yet(p);
		return;
	}
	while (w->credit > 0 && max > 0 && (job = p->queue.head) != NULL &&
	    w->leases.len < (job->map_chunk ? chunks : slots)) {
		rc = frame_job(p, w, job);
		if (rc == CORUN_EAGAIN) {
			send_frame(p, w);
			if (wire_builder_begin(&p->wb, WIRE_JOBS) != 0) {
				no_memory_yet(p);
				return;
			}
			continue;
		}
		if (rc == CORUN_ENOMEM) {
			/* Not the job's fault: it stays queued. */
			no_memory_yet(p);
			break;
		}
		if (lease_job(p, w, job, rc) == 0) {
			w->credit--;
			max--;
		}
	}
	if (wire_builder_count(&p->wb) > 0) {
		send_frame(p, w);
	}
}

/*
 * A local worker reads its first jobs from a socket (--jobs-fd) before it
 * loads nng and connects, so they start while it does: a millisecond and
 * a half sooner than through the connection and the handshake.  One JOBS
 * frame, at most the worker's window and SUP_FIRST_BYTES (the socket
 * holds it whole: the send never blocks), then the socket is closed, jobs
 * or not; the worker grants the rest of its window with HELLO.  A worker
 * that dies first hands them back as any worker's leases.
 */
#define SUP_FIRST_BYTES (48 * 1024)

static void
send_first_jobs(struct corun_pool *p, struct sup_worker *w)
{
	uint32_t window = p->threads * p->concurrency + p->prefetch, n = 0;
	const uint8_t *frame;
	struct sup_job *job;
	size_t bytes = 0, len;
	int rc;

	if (p->queue.len == 0 || w->recycling ||
	    wire_builder_begin(&p->wb, WIRE_JOBS) != 0) {
		sup_worker_close_jobs_fd(w);
		return;
	}
	while (n < window && (job = p->queue.head) != NULL) {
		bytes += 64 + job->kind_len + job->len;
		if (bytes > SUP_FIRST_BYTES ||
		    (rc = frame_job(p, w, job)) == CORUN_EAGAIN ||
		    rc == CORUN_ENOMEM) {
			break;
		}
		n += lease_job(p, w, job, rc) == 0;
	}
	if (wire_builder_count(&p->wb) > 0 &&
	    wire_builder_finish(&p->wb, &frame, &len) == 0 &&
	    send(w->jobs_fd, frame, len, MSG_NOSIGNAL) != (ssize_t)len) {
		/* It gets a broken frame and leaves: the leases come back. */
		sup_pool_log(p, "worker %u: cannot hand it its first jobs",
		    w->idx);
	}
	sup_worker_close_jobs_fd(w);
}

/*
 * A worker that still holds prefetched jobs has no slot waiting for us:
 * refill it in batches, when a quarter of its window is free and we have
 * a quarter of what it holds to send (a caller that submits one job per
 * result, as corun run does, would otherwise cost a message per job).
 * One whose held jobs may have run out gets what we have now.
 */
static int
worth_sending(const struct corun_pool *p, const struct sup_worker *w)
{
	uint32_t slots = sup_worker_slots(p, w);

	if (w->credit == 0) {
		return 0;
	}
	if (w->leases.len <= slots) {
		return 1;
	}
	return w->credit >= w->capacity / 4 &&
	    p->queue.len >= (w->leases.len - slots) / 4;
}

/*
 * How many jobs a remote worker gets now.  First pass: its free slots.
 * Second pass (every worker's free slots are filled and jobs are left):
 * the room it has to hold jobs ahead (its --prefetch), so that its next
 * job is there when one ends, without a round trip to us between them -
 * only while its jobs are short (a job held behind a long one could have
 * started elsewhere sooner) and unless the caller wants no job held
 * (prefetch < 0: a halt policy decides after each result).
 */
static uint32_t
remote_share(const struct corun_pool *p, const struct sup_worker *w,
    int ahead)
{
	uint32_t slots = sup_worker_slots(p, w);

	if (!ahead) {
		return w->leases.len < slots ? slots - (uint32_t)w->leases.len :
		    0;
	}
	if (p->opts.prefetch < 0 || !w->short_runs ||
	    w->leases.len < slots || !worth_sending(p, w)) {
		return 0;
	}
	return w->credit;
}

static void
dispatch(void *arg)
{
	struct corun_pool *p = arg;

	corun_handle_release(p->dispatch_h);
	p->dispatch_h = NULL;
	sup_pool_dispatch_now(p);
}

/*
 * Hand queued jobs to workers now, in this call (a long submission can
 * let workers start before it ends).
 */
void
sup_pool_dispatch_now(struct corun_pool *p)
{
	unsigned start;

	/* Start at a different worker each time so credit is shared fairly. */
	start = p->rr++;
	for (unsigned i = 0; i < p->nslots; i++) {
		struct sup_worker *w = &p->workers[i];

		if (w->jobs_fd >= 0) {
			send_first_jobs(p, w);
		}
		if (w->listen_due) {
			sup_worker_listen(w);
		}
		/* (One that has not said HELLO gets them after WELCOME.) */
		if (w->cancels > 0 && w->state != SUP_W_IDLE &&
		    w->state != SUP_W_STARTING) {
			send_cancels(p, w);
		}
	}
	/* Two passes: free slots everywhere, then remote room ahead. */
	for (unsigned k = 0; k < 2 * p->nslots && p->queue.len > 0; k++) {
		struct sup_worker *w = &p->workers[(start + k) % p->nslots];
		int ahead = k >= p->nslots;
		uint32_t n;

		if (w->state != SUP_W_READY || w->recycling) {
			continue;
		}
		if (w->remote) {
			n = remote_share(p, w, ahead);
		} else {
			n = !ahead && worth_sending(p, w) ? w->credit : 0;
		}
		if (n > 0) {
			send_jobs(p, w, n);
		}
	}
	sup_pool_maybe_finish_shutdown(p);
}

int
corun_pool_flush(corun_pool *p)
{
	if (p == NULL) {
		return CORUN_EINVAL;
	}
	if (p->dispatch_h != NULL) {
		corun_handle_cancel(p->dispatch_h);
		dispatch(p);	/* releases dispatch_h */
	}
	return 0;
}
