/* SPDX-License-Identifier: MIT */
/*
 * pool-frame.c - frames from workers: HELLO and WELCOME, credit, results
 * and streamed output, BYE; recycling a worker that has run its share
 * (opts.max_jobs_per_worker); dropping one that breaks the protocol.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "sup-internal.h"

static void
on_result(struct sup_worker *w, const struct wire_result *r)
{
	struct corun_pool *p = w->pool;
	struct sup_job *job = sup_jobmap_get(&p->leased, r->id);

	if (job == NULL || job->worker != w || job->attempts != r->attempt) {
		return;		/* a lease that was given up: stale */
	}
	sup_pool_unlease(p, job);
	if (r->status == CORUN_ECLOSED) {
		/*
		 * Refused, or handed back, by a worker that is leaving: it
		 * takes nothing more (room it had left to hold a job ahead
		 * is no credit now).
		 */
		w->credit = 0;
	} else {
		w->jobs_done++;		/* recycling: see maybe_recycle */
		/* Short jobs: it may hold one ahead (pool-dispatch.c). */
		w->short_runs = r->end_ns >= r->start_ns &&
		    r->end_ns - r->start_ns < SUP_AHEAD_MAX_NS;
	}
	if (job->cancel_retry && (r->status == CORUN_ECLOSED ||
	    r->start_ns == 0)) {
		/* Killed (corun_pool_kill) before it started: no attempt. */
		job->attempts--;
		sup_pool_requeue_front(p, job);
	} else if (job->cancel_retry && r->status != 0 &&
	    job->retries_left > 0) {
		/* Killed while it ran: a failed attempt, run again. */
		job->retries_left--;
		sup_pool_requeue_front(p, job);
	} else if (job->cancel_req && r->status == CORUN_ECLOSED) {
		sup_pool_job_fail(job, CORUN_ECANCELED, NULL);	/* never started */
	} else if (job->cancel_req) {
		/*
		 * It ran, and was stopped (or finished first): the caller
		 * gets what happened, timings and output so far included,
		 * with status CORUN_ECANCELED unless it completed.
		 */
		sup_pool_job_succeed(job, r, w->remote ? (pid_t)w->rpid : w->pid,
		    w->remote ? w->host : NULL);
	} else if (r->status == CORUN_ECLOSED) {
		/* Refused by a worker that is shutting down: not an attempt. */
		job->attempts--;
		sup_pool_requeue_front(p, job);
	} else if (r->status != 0 && r->status != CORUN_ECANCELED &&
	    job->retries_left > 0) {
		job->retries_left--;
		sup_pool_requeue_front(p, job);
	} else {
		sup_pool_job_succeed(job, r, w->remote ? (pid_t)w->rpid : w->pid,
		    w->remote ? w->host : NULL);
	}
}

static void
on_output(struct sup_worker *w, const struct wire_output *o)
{
	struct sup_job *job = sup_jobmap_get(&w->pool->leased, o->id);
	int current = job != NULL && job->worker == w &&
	    job->attempts == o->attempt;

	if (o->stream == WIRE_STDOUT_FILE || o->stream == WIRE_STDERR_FILE) {
		/* Files are read and removed here: only from our own. */
		if (!w->remote) {
			sup_pool_job_file(current ? job : NULL, (int)o->stream,
			    o->data.ptr, o->data.len);
		}
		return;
	}
	if (current && job->stream) {
		sup_pool_deliver(job, (int)o->stream, o->data.ptr, o->data.len);
	}
}

/* ---- recycling (opts.max_jobs_per_worker) --------------------------- */

/*
 * The limit of one worker process: max_jobs_per_worker +/- up to 10%,
 * drawn per process, so workers started together do not all reach it,
 * and stop, in the same moment.
 */
static uint32_t
recycle_limit(struct corun_pool *p)
{
	uint64_t z, max = p->opts.max_jobs_per_worker, span = max / 10;

	if (p->recycle_rng == 0) {
		p->recycle_rng = corun_loop_now_ns() ^
		    ((uint64_t)getpid() << 32) ^ (uintptr_t)p;
	}
	/* splitmix64: cheap, and good enough for jitter. */
	z = (p->recycle_rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	max = max - span + z % (2 * span + 1);
	return max > UINT32_MAX ? UINT32_MAX : max > 0 ? (uint32_t)max : 1;
}

/*
 * A worker that has run its share is given no more jobs; once the jobs it
 * holds are done it is told to stop gracefully.  Its exit then restarts
 * it (sup_pool_on_exit), without counting as a loss.
 */
static void
maybe_recycle(struct sup_worker *w)
{
	struct corun_pool *p = w->pool;

	if (p->opts.max_jobs_per_worker == 0 || w->state != SUP_W_READY) {
		return;
	}
	if (!w->recycling) {
		if (w->jobs_limit == 0) {
			w->jobs_limit = recycle_limit(p);
		}
		if (w->jobs_done < w->jobs_limit) {
			return;
		}
		w->recycling = 1;
	}
	if (w->leases.len == 0) {
		sup_pool_stop_worker(p, w, 1);
	}
}

static void
protocol_error(struct sup_worker *w, const char *why)
{
	char msg[WIRE_WHY_SIZE + 64];

	snprintf(msg, sizeof(msg), "protocol error: %s; dropping it", why);
	sup_worker_kill(w, SIGKILL, msg);
	sup_worker_close_socket(w);	/* hear nothing more from it */
}

static void
on_hello(struct sup_worker *w, const struct wire_hello *h)
{
	struct wire_welcome wel = { 0 };
	const uint8_t *frame;
	size_t len;

	if (w->state == SUP_W_STOPPING) {
		return;		/* told to stop (SIGTERM) before it said hello */
	}
	if (w->state != SUP_W_STARTING) {
		protocol_error(w, "HELLO twice");
		return;
	}
	if (w->remote && sup_remote_check_hello(w, h) != 0) {
		return;		/* dropped: logged by remote.c */
	}
	wel.accepted = 1;
	wel.version = WIRE_VERSION;
	wel.worker_id = w->idx;
	wel.heartbeat_ms = SUP_HEARTBEAT_MS;
	w->capacity = h->capacity;
	if (w->remote) {
		/* Its slots; the rest of its capacity holds jobs ahead. */
		uint64_t slots = (uint64_t)h->threads * h->concurrency;

		w->slots = slots == 0 || slots > w->capacity ? w->capacity :
		    (uint32_t)slots;
		w->short_runs = 0;
	}
	w->pool->restart_streak = 0;	/* workers can start */
	if (w->cancels > 0) {
		sup_pool_schedule_flush(w->pool);  /* first jobs cancelled */
	}
	if (wire_encode_welcome(&w->pool->wb, &wel, &frame, &len) == 0) {
		sup_worker_send(w, frame, len);
	}
	w->state = SUP_W_READY;
}

static int
add_credit(struct sup_worker *w, uint32_t credit)
{
	if ((uint64_t)w->credit + credit + w->leases.len > w->capacity) {
		protocol_error(w, "credit beyond the announced capacity");
		return -1;
	}
	w->credit += credit;
	return 0;
}

void
sup_pool_on_frame(struct sup_worker *w, const uint8_t *buf, size_t len)
{
	struct wire_frame f;
	struct wire_result r;
	struct wire_output o;
	char why[WIRE_WHY_SIZE];

	if (wire_decode(buf, len, WIRE_MAX_FRAME, &f, why,
	    sizeof(why)) != 0) {
		protocol_error(w, why);
		return;
	}
	if (w->state == SUP_W_STARTING && f.hdr.type != WIRE_HELLO) {
		protocol_error(w, "frame before HELLO");
		return;
	}
	switch (f.hdr.type) {
	case WIRE_HELLO:
		on_hello(w, &f.u.hello);
		break;
	case WIRE_CREDIT:
		/* A worker grants credit right after HELLO: none if that
		 * HELLO was not taken (stopping, or dropped). */
		if (w->state != SUP_W_READY) {
			break;
		}
		if (add_credit(w, f.u.credit) == 0) {
			sup_pool_schedule_dispatch(w->pool);
		}
		break;
	case WIRE_RESULTS:
		while (wire_next_result(&f, &r) == 0) {
			on_result(w, &r);
		}
		maybe_recycle(w);
		if (add_credit(w, f.u.credit) == 0) {
			sup_pool_schedule_dispatch(w->pool);
		}
		sup_pool_maybe_finish_shutdown(w->pool);
		break;
	case WIRE_OUTPUT:
		while (wire_next_output(&f, &o) == 0) {
			on_output(w, &o);
		}
		break;
	case WIRE_BYE:
		sup_worker_bye(w);
		break;
	case WIRE_HEARTBEAT:
		break;
	default:
		snprintf(why, sizeof(why), "unexpected %s frame",
		    wire_type_name(f.hdr.type));
		protocol_error(w, why);
		break;
	}
}
