/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c - jobs in: slots, the job table, held (prefetched) jobs,
 * starting jobs on the job threads (threads.c) and cancelling them.
 *
 * T == 1: jobs run on the main loop itself, with no thread hop.  T > 1:
 * T job threads, each running its own loop; a job goes to the thread with
 * the most free slots (corun_call_soon_threadsafe) and its outcome comes
 * back to the main loop the same way.  A loop never runs more than C
 * jobs.  The supervisor holds credit for the free slots plus --prefetch:
 * prefetched jobs wait here (in arrival order) for the first free slot,
 * so a slot never waits for a round trip to the supervisor.  Prefetch is
 * for a single worker (P == 1), where no other worker could have run
 * them sooner; with several, the supervisor uses it for short chunks of
 * a chunked map only (src/sup/pool-dispatch.c).
 *
 * A struct wk_job lives from its JOBS record until its result is encoded.
 * The main loop owns it; a CANCEL posted to a job thread holds a second
 * reference, because the outcome may overtake it and the main loop then
 * drops its own.  The job's future is touched on its thread only.
 *
 * Finished jobs go to flush.c, which sends them in batches (results.c).
 * The session learns that no job runs any more, or that dispatching
 * failed, through the callbacks it installed (w->dispatch_ops).
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "kinds.h"
#include "worker.h"

static size_t
slot_of(const struct wk_state *w, uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (size_t)id & w->table_mask;
}

static void
table_remove(struct wk_state *w, struct wk_job *j)
{
	struct wk_job **pp = &w->table[slot_of(w, j->id)];

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == j) {
			*pp = j->hnext;
			j->hnext = NULL;
			return;
		}
	}
}

static void start_on(struct wk_state *w, struct wk_job *j,
    struct wk_jthread *th);
static struct wk_jthread *pick_thread(struct wk_state *w);

/* Start held jobs while some thread has a free slot. */
static void
start_pending(struct wk_state *w)
{
	struct wk_jthread *th;
	struct wk_job *j;

	/* (In HELLO only first jobs can be held: they start as slots free.) */
	while ((j = w->pend_head) != NULL && (w->state == WK_W_RUNNING ||
	    w->state == WK_W_HELLO ||
	    (w->state == WK_W_DRAINING && w->drain)) &&
	    (th = pick_thread(w))->running < w->opt.concurrency) {
		w->pend_head = j->dnext;
		if (w->pend_head == NULL) {
			w->pend_tail = NULL;
		}
		w->npending--;
		j->dnext = NULL;
		start_on(w, j, th);
	}
	if (w->npending == 0 && w->flush_timer != NULL) {
		wk_dispatch_schedule_flush(w); /* nothing held: go now */
	}
}

/* Main loop: a job's outcome is in. */
static void
job_back(void *arg)
{
	struct wk_job *j = arg;
	struct wk_state *w = j->w;

	if (j->th != NULL) {
		j->th->running--;
		w->running--;
	}
	table_remove(w, j);
	wk_flush_push_done(w, j);
	start_pending(w);
	if (w->running == 0 && !w->flush_scheduled) {
		w->dispatch_ops->idle(w);
	}
}

static void
set_failure(struct wk_job *j, int status, const char *msg)
{
	memset(&j->oc, 0, sizeof(j->oc));
	j->oc.id = j->id;
	j->oc.attempt = j->attempt;
	j->oc.status = status;
	j->oc.exit_code = -1;
	j->oc.message = strdup(msg);
}

/* Job thread: hand the finished job to the main loop. */
static void
job_finish(struct wk_job *j)
{
	struct wk_state *w = j->w;

	if (j->th->loop == w->loop) {
		job_back(j);
	} else if (corun_call_soon_threadsafe(w->loop, job_back, j) != 0) {
		wk_job_unref(j);	/* the main loop is gone */
	}
}

static void
job_done(corun_future *fut, void *arg)
{
	struct wk_job *j = arg;
	struct wk_job_outcome *oc = corun_future_result(fut, NULL);
	const char *msg = NULL;

	if (oc != NULL) {
		/*
		 * Take the buffers instead of copying them: the future is
		 * released right below and its destructor frees what is
		 * left, so output crosses threads without a copy.
		 */
		j->oc = *oc;
		oc->out = oc->err = oc->message = NULL;
		oc->out_file = oc->err_file = NULL;
	} else {
		int rc = corun_future_status(fut);

		(void)corun_future_error(fut, &msg);
		set_failure(j, rc != 0 ? rc : CORUN_EFAILED,
		    msg != NULL ? msg : "the job ended without an outcome");
	}
	corun_future_unref(fut);
	j->fut = NULL;
	job_finish(j);
}

/* Job thread: start it. */
static void
job_start(void *arg)
{
	struct wk_job *j = arg;
	struct wk_job_exec ex;
	int rc;

	memset(&ex, 0, sizeof(ex));
	ex.id = j->id;
	ex.attempt = j->attempt;
	ex.kind = j->data;
	ex.kind_len = j->kind_len;
	ex.payload = j->data + j->kind_len;
	ex.len = j->payload_len;
	ex.timeout_ms = j->timeout_ms;
	ex.offload = j->w->opt.offload;
	ex.spill = (j->flags & WIRE_JOB_SPILL) != 0;
	ex.spill_mem = (j->flags & WIRE_JOB_SPILL_MEM) != 0;
	if (j->flags & WIRE_JOB_STREAM) {
		ex.stream = wk_flush_job_output;
		ex.stream_arg = j;
	}
	rc = wk_job_start(j->th->loop, &ex, &j->fut);
	if (rc == 0 && (rc = corun_future_add_done_callback(j->fut, job_done,
	    j)) != 0) {
		(void)corun_future_cancel(j->fut);
		corun_future_unref(j->fut);
	}
	if (rc != 0) {
		j->fut = NULL;
		set_failure(j, rc, "cannot start the job");
		job_finish(j);
	}
}

/* Job thread: a CANCEL for one of its jobs. */
static void
job_cancel(void *arg)
{
	struct wk_job *j = arg;

	if (j->fut != NULL) {
		(void)corun_future_cancel(j->fut);
	}
	wk_job_unref(j);
}

/* ---- main loop: jobs in, cancels ------------------------------------- */

static struct wk_jthread *
pick_thread(struct wk_state *w)
{
	struct wk_jthread *best = &w->threads[0];
	unsigned i;

	for (i = 1; i < w->nthreads; i++) {
		if (w->threads[i].running < best->running) {
			best = &w->threads[i];
		}
	}
	return best;
}

void
wk_dispatch_jobs(struct wk_state *w, struct wire_frame *f)
{
	struct wire_job r;
	struct wk_job *j;

	while (wire_next_job(f, &r) == 0) {
		j = malloc(sizeof(*j) + r.kind.len + r.payload.len);
		if (j == NULL) {
			char msg[64];

			snprintf(msg, sizeof(msg), "out of memory for job %llu",
			    (unsigned long long)r.id);
			w->dispatch_ops->fatal(w, CORUN_ENOMEM, msg);
			return;
		}
		memset(j, 0, sizeof(*j));
		j->w = w;
		j->refs = 1;
		j->id = r.id;
		j->attempt = r.attempt;
		j->timeout_ms = r.timeout_ms;
		j->flags = r.flags;
		j->files_added = 0;
		j->kind_len = r.kind.len;
		j->payload_len = r.payload.len;
		memcpy(j->data, r.kind.ptr, r.kind.len);
		if (r.payload.len > 0) {
			memcpy(j->data + r.kind.len, r.payload.ptr,
			    r.payload.len);
		}
		if (w->state != WK_W_RUNNING) {
			/* Granted before the shutdown: refuse, do not run. */
			set_failure(j, CORUN_ECLOSED,
			    "the worker is shutting down; job not started");
			wk_flush_push_done(w, j);
			continue;
		}
		j->hnext = w->table[slot_of(w, j->id)];
		w->table[slot_of(w, j->id)] = j;
		if (w->pend_head == NULL &&
		    pick_thread(w)->running < w->opt.concurrency) {
			start_on(w, j, pick_thread(w));
			continue;
		}
		/* Every slot is busy: hold it (prefetch) until one frees. */
		j->dnext = NULL;
		if (w->pend_tail != NULL) {
			w->pend_tail->dnext = j;
		} else {
			w->pend_head = j;
		}
		w->pend_tail = j;
		w->npending++;
	}
}

void
wk_dispatch_first(struct wk_state *w, struct wire_frame *f)
{
	enum wk_wstate st = w->state;

	/* Taken as any JOBS frame, before the session exists. */
	w->state = WK_W_RUNNING;
	wk_dispatch_jobs(w, f);
	w->state = st;
}

static void
start_on(struct wk_state *w, struct wk_job *j, struct wk_jthread *th)
{
	j->th = th;
	th->running++;
	w->running++;
	if (th->loop == w->loop) {
		job_start(j);
	} else if (corun_call_soon_threadsafe(th->loop, job_start, j) != 0) {
		set_failure(j, CORUN_ECLOSED, "job thread is gone");
		job_back(j);
	}
}

/* Take a held job out of the pending list. */
static void
pending_remove(struct wk_state *w, struct wk_job *j)
{
	struct wk_job **pp;

	w->pend_tail = NULL;
	for (pp = &w->pend_head; *pp != NULL; pp = &(*pp)->dnext) {
		if (*pp == j) {
			*pp = j->dnext;
			w->npending--;
			break;
		}
	}
	for (struct wk_job *k = w->pend_head; k != NULL; k = k->dnext) {
		w->pend_tail = k;
	}
	j->dnext = NULL;
}

/* A held job ends without running, with status (and message). */
static void
pending_end(struct wk_state *w, struct wk_job *j, int status,
    const char *msg)
{
	pending_remove(w, j);
	set_failure(j, status, msg);
	job_back(j);
}

void
wk_dispatch_refuse_pending(struct wk_state *w)
{
	while (w->pend_head != NULL) {
		pending_end(w, w->pend_head, CORUN_ECLOSED, "the worker is "
		    "shutting down; job not started");
	}
}

static void
cancel_one(struct wk_state *w, struct wk_job *j)
{
	if (j->th == NULL) {
		pending_end(w, j, CORUN_ECANCELED, "cancelled");
		return;
	}
	if (j->th->loop == w->loop) {
		if (j->fut != NULL) {
			(void)corun_future_cancel(j->fut);
		}
		return;
	}
	if (j->cancel_posted) {
		return;
	}
	j->cancel_posted = 1;
	__atomic_add_fetch(&j->refs, 1, __ATOMIC_ACQ_REL);
	if (corun_call_soon_threadsafe(j->th->loop, job_cancel, j) != 0) {
		wk_job_unref(j);
	}
}

void
wk_dispatch_cancel(struct wk_state *w, uint64_t id)
{
	struct wk_job *j, *next;

	/* Every attempt of that id; unknown ids are ignored. */
	for (j = w->table[slot_of(w, id)]; j != NULL; j = next) {
		next = j->hnext;
		if (j->id == id) {
			cancel_one(w, j);
		}
	}
}

void
wk_dispatch_cancel_all(struct wk_state *w)
{
	struct wk_job *j;
	size_t i;

	/* Held jobs first: ending one starts no other while we cancel. */
	while (w->pend_head != NULL) {
		pending_end(w, w->pend_head, CORUN_ECANCELED, "cancelled");
	}
	for (i = 0; i <= w->table_mask; i++) {
		struct wk_job *next;

		for (j = w->table[i]; j != NULL; j = next) {
			next = j->hnext;
			cancel_one(w, j);
		}
	}
}
