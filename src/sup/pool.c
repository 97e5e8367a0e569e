/*
 * pool.c - corun_pool: submit jobs, get futures; leases and re-leases.
 *
 * Jobs wait in one FIFO queue.  A worker grants credit (free slots); one
 * dispatch per loop iteration hands queued jobs to workers with credit, in
 * batch frames, and records each as leased to that worker.  A result
 * completes its job's future once: results for a lease that no longer
 * exists (the job was re-leased after its worker died) are ignored.  When
 * a worker dies its leases go back to the front of the queue until the
 * job's attempts run out.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sup-internal.h"

#define CR_HEARTBEAT_MS 1000

static int job_cancel(corun_future *fut);
static void job_destroy(corun_future *fut);

static const struct cr_future_ops job_ops = {
	.cancel = job_cancel,
	.destroy = job_destroy,
};

const struct cr_future_ops *
cr_pool_job_ops(void)
{
	return &job_ops;
}

void
cr_pool_log(const struct corun_pool *p, const char *fmt, ...)
{
	va_list ap;

	if (p->opts.quiet) {
		return;
	}
	va_start(ap, fmt);
	fputs("corun: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void dispatch(void *arg);
static void maybe_finish_shutdown(struct corun_pool *p);
static void stop_worker(struct corun_pool *p, struct cr_worker *w,
    int graceful);

void
cr_pool_schedule_dispatch(struct corun_pool *p)
{
	if (p->dispatch_h == NULL && p->queue.len > 0) {
		corun_call_soon(p->loop, dispatch, p, &p->dispatch_h);
	}
}

/* Run dispatch at the end of this iteration even with nothing queued. */
void
cr_pool_schedule_flush(struct corun_pool *p)
{
	if (p->dispatch_h == NULL) {
		corun_call_soon(p->loop, dispatch, p, &p->dispatch_h);
	}
}

/* ---- job completion ------------------------------------------------- */

/* The job is done: drop the pool's reference. */
static void
job_done(struct cr_job *job)
{
	job->state = CR_JOB_DONE;
	job->pool->st.completed++;
	corun_future_unref(&job->fut);
}

static void
job_fail(struct cr_job *job, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
job_fail(struct cr_job *job, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (code == CORUN_ECANCELED) {
		cr_future_complete_cancelled(&job->fut);
	} else {
		corun_future_set_verror(&job->fut, code, fmt, ap);
		job->pool->st.failed++;
	}
	va_end(ap);
	job_done(job);
}

/* Hand streamed output to the caller (opts.on_output). */
static void
deliver(struct cr_job *job, int stream, const uint8_t *data, size_t len)
{
	const struct corun_pool_opts *o = &job->pool->opts;

	if (len > 0 && o->on_output != NULL) {
		o->on_output(o->output_arg, job->tag, stream,
		    (const char *)data, len);
	}
	job->streamed[stream - 1] += (uint32_t)len;
}

/* The output a streamed job's result has beyond what OUTPUT brought. */
static void
deliver_rest(struct cr_job *job, const struct cr_wire_result *r)
{
	if (r->out.len > job->streamed[0]) {
		deliver(job, CR_WIRE_STDOUT, r->out.ptr + job->streamed[0],
		    r->out.len - job->streamed[0]);
	}
	if (r->err.len > job->streamed[1]) {
		deliver(job, CR_WIRE_STDERR, r->err.ptr + job->streamed[1],
		    r->err.len - job->streamed[1]);
	}
}

static void
job_succeed(struct cr_job *job, const struct cr_wire_result *r, pid_t pid)
{
	struct corun_job_result *res;
	size_t size;
	char *s;

	if (job->stream) {
		deliver_rest(job, r);
	}
	size = sizeof(*res) + r->out.len + r->err.len + r->errmsg.len + 3;
	if ((res = malloc(size)) == NULL) {
		job_fail(job, CORUN_ENOMEM, "no memory for the result");
		return;
	}
	memset(res, 0, sizeof(*res));
	res->id = job->id;
	res->tag = job->tag;
	res->status = (int)r->status;
	res->exit_code = r->exit_code;
	res->signal = (int)r->signal;
	res->attempts = job->attempts;
	res->start_ns = r->start_ns;
	res->end_ns = r->end_ns;
	res->worker_pid = (int)pid;
	s = (char *)(res + 1);
	res->out = s;
	res->out_len = r->out.len;
	memcpy(s, r->out.ptr, r->out.len);
	s += r->out.len;
	*s++ = '\0';
	res->err = s;
	res->err_len = r->err.len;
	memcpy(s, r->err.ptr, r->err.len);
	s += r->err.len;
	*s++ = '\0';
	res->message = s;
	memcpy(s, r->errmsg.ptr, r->errmsg.len);
	s[r->errmsg.len] = '\0';
	if (res->status != 0) {
		job->pool->st.failed++;
	}
	corun_future_set_result(&job->fut, res, free);
	job_done(job);
}

const struct corun_job_result *
corun_pool_result(const corun_future *fut)
{
	if (fut == NULL || fut->ops != &job_ops) {
		return NULL;
	}
	return corun_future_result(fut, NULL);
}

/* Take a leased job back from its worker. */
static void
unlease(struct corun_pool *p, struct cr_job *job)
{
	cr_jobmap_del(&p->leased, job->id);
	cr_jobq_remove(&job->worker->leases, job);
	job->worker = NULL;
	job->state = CR_JOB_QUEUED;
}

static void
requeue_front(struct corun_pool *p, struct cr_job *job)
{
	job->state = CR_JOB_QUEUED;
	cr_jobq_push_front(&p->queue, job);
	cr_pool_schedule_dispatch(p);
}

/* ---- cancel --------------------------------------------------------- */

static int
job_cancel(corun_future *fut)
{
	struct cr_job *job = (struct cr_job *)fut;
	struct corun_pool *p = job->pool;

	switch (job->state) {
	case CR_JOB_QUEUED:
		cr_jobq_remove(&p->queue, job);
		job_fail(job, CORUN_ECANCELED, NULL);
		return 0;
	case CR_JOB_LEASED:
		/*
		 * The worker kills it and answers with its result.  Cancels
		 * leave once per iteration, together: a worker that got them
		 * one by one could start a held job in the slot the first
		 * one freed before hearing that it was cancelled too.
		 */
		if (!job->cancel_req) {
			job->cancel_req = 1;
			job->worker->cancels++;
			cr_pool_schedule_flush(p);
		}
		return 0;
	default:
		return CORUN_ESTATE;
	}
}

/* One CANCEL frame per worker for the cancels of this iteration. */
static void
send_cancels(struct corun_pool *p, struct cr_worker *w)
{
	const uint8_t *frame;
	size_t len;
	struct cr_job *job;

	w->cancels = 0;
	if (cr_wire_builder_begin(&p->wb, CR_WIRE_CANCEL) != 0) {
		return;
	}
	for (job = w->leases.head; job != NULL; job = job->next) {
		if (!job->cancel_req || job->cancel_sent) {
			continue;
		}
		if (cr_wire_add_cancel(&p->wb, job->id) == CORUN_EAGAIN) {
			if (cr_wire_builder_finish(&p->wb, &frame, &len) == 0) {
				cr_worker_send(w, frame, len);
			}
			cr_wire_builder_begin(&p->wb, CR_WIRE_CANCEL);
			cr_wire_add_cancel(&p->wb, job->id);
		}
		job->cancel_sent = 1;
	}
	if (cr_wire_builder_count(&p->wb) > 0 &&
	    cr_wire_builder_finish(&p->wb, &frame, &len) == 0) {
		cr_worker_send(w, frame, len);
	}
}

static void
job_destroy(corun_future *fut)
{
	free(fut);
}

/* ---- frames from workers -------------------------------------------- */

static void
on_result(struct cr_worker *w, const struct cr_wire_result *r)
{
	struct corun_pool *p = w->pool;
	struct cr_job *job = cr_jobmap_get(&p->leased, r->id);

	if (job == NULL || job->worker != w || job->attempts != r->attempt) {
		return;		/* a lease that was given up: stale */
	}
	unlease(p, job);
	if (r->status != CORUN_ECLOSED) {
		w->jobs_done++;		/* recycling: see maybe_recycle */
	}
	if (job->cancel_req && r->status == CORUN_ECLOSED) {
		job_fail(job, CORUN_ECANCELED, NULL);	/* never started */
	} else if (job->cancel_req) {
		/*
		 * It ran, and was stopped (or finished first): the caller
		 * gets what happened, timings and output so far included,
		 * with status CORUN_ECANCELED unless it completed.
		 */
		job_succeed(job, r, w->remote ? (pid_t)w->rpid : w->pid);
	} else if (r->status == CORUN_ECLOSED) {
		/* Refused by a worker that is shutting down: not an attempt. */
		job->attempts--;
		requeue_front(p, job);
	} else if (r->status != 0 && r->status != CORUN_ECANCELED &&
	    job->retries_left > 0) {
		job->retries_left--;
		requeue_front(p, job);
	} else {
		job_succeed(job, r, w->remote ? (pid_t)w->rpid : w->pid);
	}
}

static void
on_output(struct cr_worker *w, const struct cr_wire_output *o)
{
	struct cr_job *job = cr_jobmap_get(&w->pool->leased, o->id);

	if (job != NULL && job->worker == w && job->attempts == o->attempt &&
	    job->stream) {
		deliver(job, (int)o->stream, o->data.ptr, o->data.len);
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
 * it (cr_pool_on_exit), without counting as a loss.
 */
static void
maybe_recycle(struct cr_worker *w)
{
	struct corun_pool *p = w->pool;

	if (p->opts.max_jobs_per_worker == 0 || w->state != CR_W_READY) {
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
		stop_worker(p, w, 1);
	}
}

static void
protocol_error(struct cr_worker *w, const char *why)
{
	char msg[CR_WIRE_WHY_SIZE + 64];

	snprintf(msg, sizeof(msg), "protocol error: %s; dropping it", why);
	cr_worker_kill(w, SIGKILL, msg);
	cr_worker_close_socket(w);	/* hear nothing more from it */
}

/*
 * Workers take silence as a dead supervisor: every heartbeat interval each
 * ready worker hears from us, whatever else is going on.
 */
static void
heartbeat_cb(void *arg)
{
	struct corun_pool *p = arg;
	struct cr_wire_heartbeat hb = { 0 };
	const uint8_t *frame;
	size_t len;

	corun_handle_release(p->heartbeat_h);
	p->heartbeat_h = NULL;
	hb.seq = ++p->heartbeat_seq;
	for (unsigned i = 0; i < p->nslots; i++) {
		struct cr_worker *w = &p->workers[i];

		if (w->state != CR_W_READY && w->state != CR_W_STOPPING) {
			continue;
		}
		if ((w->hb_killed_ns != 0 && w->hb_pid == w->pid) ||
		    (w->state == CR_W_STOPPING && w->leases.len == 0)) {
			/*
			 * Being killed (health.c), or stopping with nothing
			 * left to run: it is about to exit, and a write to
			 * it as it dies makes nng close the pipe while its
			 * last frames may still be read, which nng 1.5.2 can
			 * hang on (sockclose.c).
			 */
			continue;
		}
		hb.running = (uint32_t)w->leases.len;
		if (cr_wire_encode_heartbeat(&p->wb, &hb, &frame, &len) == 0) {
			cr_worker_send(w, frame, len);
		}
	}
	corun_call_later(p->loop, CR_HEARTBEAT_MS / 1000.0 / 2, heartbeat_cb,
	    p, &p->heartbeat_h);
}

void
cr_pool_start_heartbeats(struct corun_pool *p)
{
	if (p->heartbeat_h == NULL) {
		corun_call_later(p->loop, CR_HEARTBEAT_MS / 1000.0 / 2,
		    heartbeat_cb, p, &p->heartbeat_h);
	}
}

static void
on_hello(struct cr_worker *w, const struct cr_wire_hello *h)
{
	struct cr_wire_welcome wel = { 0 };
	const uint8_t *frame;
	size_t len;

	if (w->state == CR_W_STOPPING) {
		return;		/* told to stop (SIGTERM) before it said hello */
	}
	if (w->state != CR_W_STARTING) {
		protocol_error(w, "HELLO twice");
		return;
	}
	if (w->remote && cr_remote_check_hello(w, h) != 0) {
		return;		/* dropped: logged by remote.c */
	}
	wel.accepted = 1;
	wel.version = CR_WIRE_VERSION;
	wel.worker_id = w->idx;
	wel.heartbeat_ms = CR_HEARTBEAT_MS;
	w->capacity = h->capacity;
	if (w->cancels > 0) {
		cr_pool_schedule_flush(w->pool);  /* first jobs cancelled */
	}
	if (cr_wire_encode_welcome(&w->pool->wb, &wel, &frame, &len) == 0) {
		cr_worker_send(w, frame, len);
	}
	w->state = CR_W_READY;
}

static int
add_credit(struct cr_worker *w, uint32_t credit)
{
	if ((uint64_t)w->credit + credit + w->leases.len > w->capacity) {
		protocol_error(w, "credit beyond the announced capacity");
		return -1;
	}
	w->credit += credit;
	return 0;
}

void
cr_pool_on_frame(struct cr_worker *w, const uint8_t *buf, size_t len)
{
	struct cr_wire_frame f;
	struct cr_wire_result r;
	struct cr_wire_output o;
	char why[CR_WIRE_WHY_SIZE];

	if (cr_wire_decode(buf, len, CR_WIRE_MAX_FRAME, &f, why,
	    sizeof(why)) != 0) {
		protocol_error(w, why);
		return;
	}
	if (w->state == CR_W_STARTING && f.hdr.type != CR_WIRE_HELLO) {
		protocol_error(w, "frame before HELLO");
		return;
	}
	switch (f.hdr.type) {
	case CR_WIRE_HELLO:
		on_hello(w, &f.u.hello);
		break;
	case CR_WIRE_CREDIT:
		/* A worker grants credit right after HELLO: none if that
		 * HELLO was not taken (stopping, or dropped). */
		if (w->state != CR_W_READY) {
			break;
		}
		if (add_credit(w, f.u.credit) == 0) {
			cr_pool_schedule_dispatch(w->pool);
		}
		break;
	case CR_WIRE_RESULTS:
		while (cr_wire_next_result(&f, &r) == 0) {
			on_result(w, &r);
		}
		maybe_recycle(w);
		if (add_credit(w, f.u.credit) == 0) {
			cr_pool_schedule_dispatch(w->pool);
		}
		maybe_finish_shutdown(w->pool);
		break;
	case CR_WIRE_OUTPUT:
		while (cr_wire_next_output(&f, &o) == 0) {
			on_output(w, &o);
		}
		break;
	case CR_WIRE_BYE:
		cr_worker_bye(w);
		break;
	case CR_WIRE_HEARTBEAT:
		break;
	default:
		snprintf(why, sizeof(why), "unexpected %s frame",
		    cr_wire_type_name(f.hdr.type));
		protocol_error(w, why);
		break;
	}
}

/* ---- dispatch ------------------------------------------------------- */

static int
send_frame(struct corun_pool *p, struct cr_worker *w)
{
	const uint8_t *frame;
	size_t len;

	if (cr_wire_builder_finish(&p->wb, &frame, &len) != 0) {
		return -1;
	}
	return cr_worker_send(w, frame, len);
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

/* Add the queue's first job to the JOBS frame being built. */
static int
frame_job(struct corun_pool *p, const struct cr_job *job)
{
	struct cr_wire_job wj;

	memset(&wj, 0, sizeof(wj));
	wj.id = job->id;
	wj.attempt = job->attempts + 1;
	wj.timeout_ms = job->timeout_ms;
	wj.flags = job->stream ? CR_WIRE_JOB_STREAM : 0;
	wj.kind.ptr = (const uint8_t *)job->kind;
	wj.kind.len = job->kind_len;
	wj.payload.ptr = job->payload;
	wj.payload.len = (uint32_t)job->len;
	return cr_wire_add_job(&p->wb, &wj);
}

/*
 * The job went into a frame for w (rc: frame_job's answer, not EAGAIN or
 * ENOMEM): off the queue, leased to w.  0, or -1 if it failed instead.
 */
static int
lease_job(struct corun_pool *p, struct cr_worker *w, struct cr_job *job,
    int rc)
{
	cr_jobq_remove(&p->queue, job);
	if (rc != 0) {
		job_fail(job, rc, "job %llu cannot be sent: %s",
		    (unsigned long long)job->id, corun_strerror(rc));
		return -1;
	}
	if (cr_jobmap_put(&p->leased, job) != 0) {
		job_fail(job, CORUN_ENOMEM, "no memory to lease it");
		return -1;
	}
	job->state = CR_JOB_LEASED;
	job->worker = w;
	job->attempts++;
	job->streamed[0] = job->streamed[1] = 0;
	cr_jobq_push(&w->leases, job);
	return 0;
}

static void
send_jobs(struct corun_pool *p, struct cr_worker *w)
{
	struct cr_job *job;
	int rc;

	if (cr_wire_builder_begin(&p->wb, CR_WIRE_JOBS) != 0) {
		no_memory_yet(p);
		return;
	}
	while (w->credit > 0 && (job = p->queue.head) != NULL) {
		rc = frame_job(p, job);
		if (rc == CORUN_EAGAIN) {
			send_frame(p, w);
			if (cr_wire_builder_begin(&p->wb, CR_WIRE_JOBS) != 0) {
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
		}
	}
	if (cr_wire_builder_count(&p->wb) > 0) {
		send_frame(p, w);
	}
}

/*
 * A local worker reads its first jobs from a socket (--jobs-fd) before it
 * loads nng and connects, so they start while it does: a millisecond and
 * a half sooner than through the connection and the handshake.  One JOBS
 * frame, at most the worker's window and CR_FIRST_BYTES (the socket
 * holds it whole: the send never blocks), then the socket is closed, jobs
 * or not; the worker grants the rest of its window with HELLO.  A worker
 * that dies first hands them back as any worker's leases.
 */
#define CR_FIRST_BYTES (48 * 1024)

static void
send_first_jobs(struct corun_pool *p, struct cr_worker *w)
{
	uint32_t window = p->threads * p->concurrency + p->prefetch, n = 0;
	const uint8_t *frame;
	struct cr_job *job;
	size_t bytes = 0, len;
	int rc;

	if (p->queue.len == 0 || w->recycling ||
	    cr_wire_builder_begin(&p->wb, CR_WIRE_JOBS) != 0) {
		cr_worker_close_jobs_fd(w);
		return;
	}
	while (n < window && (job = p->queue.head) != NULL) {
		bytes += 64 + job->kind_len + job->len;
		if (bytes > CR_FIRST_BYTES ||
		    (rc = frame_job(p, job)) == CORUN_EAGAIN ||
		    rc == CORUN_ENOMEM) {
			break;
		}
		n += lease_job(p, w, job, rc) == 0;
	}
	if (cr_wire_builder_count(&p->wb) > 0 &&
	    cr_wire_builder_finish(&p->wb, &frame, &len) == 0 &&
	    send(w->jobs_fd, frame, len, MSG_NOSIGNAL) != (ssize_t)len) {
		/* It gets a broken frame and leaves: the leases come back. */
		cr_pool_log(p, "worker %u: cannot hand it its first jobs",
		    w->idx);
	}
	cr_worker_close_jobs_fd(w);
}

/*
 * A worker that still holds prefetched jobs has no slot waiting for us:
 * refill it in batches, when a quarter of its window is free and we have
 * a quarter of what it holds to send (a caller that submits one job per
 * result, as corun run does, would otherwise cost a message per job).
 * One whose held jobs may have run out gets what we have now.
 */
static int
worth_sending(const struct corun_pool *p, const struct cr_worker *w)
{
	uint32_t slots = w->capacity > p->prefetch ?
	    w->capacity - p->prefetch : 1;

	if (w->credit == 0) {
		return 0;
	}
	if (w->leases.len <= slots) {
		return 1;
	}
	return w->credit >= w->capacity / 4 &&
	    p->queue.len >= (w->leases.len - slots) / 4;
}

static void
dispatch(void *arg)
{
	struct corun_pool *p = arg;

	corun_handle_release(p->dispatch_h);
	p->dispatch_h = NULL;
	cr_pool_dispatch_now(p);
}

/*
 * Hand queued jobs to workers now, in this call (a long submission can
 * let workers start before it ends).
 */
void
cr_pool_dispatch_now(struct corun_pool *p)
{
	unsigned start;

	/* Start at a different worker each time so credit is shared fairly. */
	start = p->rr++;
	for (unsigned i = 0; i < p->nslots; i++) {
		struct cr_worker *w = &p->workers[i];

		if (w->jobs_fd >= 0) {
			send_first_jobs(p, w);
		}
		if (w->listen_due) {
			cr_worker_listen(w);
		}
		/* (One that has not said HELLO gets them after WELCOME.) */
		if (w->cancels > 0 && w->state != CR_W_IDLE &&
		    w->state != CR_W_STARTING) {
			send_cancels(p, w);
		}
	}
	for (unsigned i = 0; i < p->nslots && p->queue.len > 0; i++) {
		struct cr_worker *w = &p->workers[(start + i) % p->nslots];

		if (w->state == CR_W_READY && !w->recycling &&
		    worth_sending(p, w)) {
			send_jobs(p, w);
		}
	}
	maybe_finish_shutdown(p);
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

/* ---- workers that end ----------------------------------------------- */

static void
fail_queue(struct corun_pool *p, int code, const char *why)
{
	struct cr_job *job;

	while ((job = cr_jobq_pop(&p->queue)) != NULL) {
		job_fail(job, code, "%s", why);
	}
}

static void
set_broken(struct corun_pool *p, const char *why)
{
	if (p->broken) {
		return;
	}
	p->broken = 1;
	free(p->broken_reason);
	p->broken_reason = strdup(why);
	cr_pool_log(p, "pool is broken: %s", why);
	fail_queue(p, CORUN_EBROKEN, why);
}

/* Count a restart; nonzero if the intensity limit is passed. */
static int
too_many_restarts(struct corun_pool *p)
{
	uint64_t now = corun_loop_now_ns();
	unsigned n = 0, cap = p->restart_max + 1;

	p->restart_times[p->nrestart_times++ % cap] = now;
	for (unsigned i = 0; i < cap && i < p->nrestart_times; i++) {
		if (now - p->restart_times[i] <
		    cr_health_restart_window_ns(p)) {
			n++;
		}
	}
	return n > p->restart_max;
}

static void
restart_cb(void *arg)
{
	struct corun_pool *p = arg;
	char why[256];

	corun_handle_release(p->restart_h);
	p->restart_h = NULL;
	if (p->broken || (p->closing && (!p->wait_on_close ||
	    p->queue.len == 0))) {
		maybe_finish_shutdown(p);
		return;
	}
	for (unsigned i = 0; i < p->procs; i++) {
		struct cr_worker *w = &p->workers[i];

		if (w->state != CR_W_IDLE) {
			continue;
		}
		if (cr_worker_spawn(p, w) != 0) {
			snprintf(why, sizeof(why), "cannot start %s: %s",
			    p->worker_path, strerror(errno));
			set_broken(p, why);
			return;
		}
		p->st.restarts++;
	}
}

/* Take back every job leased to w: re-queue or fail each.  */
static size_t
release_leases(struct corun_pool *p, struct cr_worker *w, const char *why,
    int count)
{
	struct cr_job *job;
	size_t requeued = 0;

	while ((job = w->leases.head) != NULL) {
		unlease(p, job);
		p->st.lost++;
		job->lost += count != 0;
		if (job->cancel_req || (p->closing && !p->wait_on_close)) {
			job_fail(job, CORUN_ECANCELED, NULL);
		} else if (job->lost >= p->max_attempts) {
			job_fail(job, CORUN_ELOST, "%s (attempt %u of %u)", why,
			    job->lost, p->max_attempts);
		} else {
			requeue_front(p, job);
			requeued++;
		}
	}
	return requeued;
}

/*
 * A remote worker is gone (its connection closed, it fell silent, it
 * broke the protocol): its jobs go elsewhere.  Nothing is restarted: its
 * host may attach again.
 */
void
cr_pool_on_lost(struct cr_worker *w, const char *why)
{
	struct corun_pool *p = w->pool;
	size_t held = w->leases.len, requeued;

	w->state = CR_W_IDLE;
	w->recycling = 0;
	w->credit = 0;
	requeued = release_leases(p, w, why, 1);
	if (held > 0 || !p->closing) {
		cr_pool_log(p, "remote worker %u (%s): %s; %zu job(s) "
		    "re-queued", w->idx, w->peer, why, requeued);
	}
	maybe_finish_shutdown(p);
}

void
cr_pool_on_exit(struct cr_worker *w, int status)
{
	struct corun_pool *p = w->pool;
	char why[128];
	size_t requeued = 0;
	int quick, recycled, unstarted;

	/*
	 * Told to stop after its share of jobs (recycling) or after what it
	 * held (draining), and holding none: no loss.
	 */
	recycled = (w->recycling || w->draining) && w->leases.len == 0;
	w->draining = 0;
	w->recycling = 0;
	w->jobs_done = 0;
	w->jobs_limit = 0;
	if (WIFSIGNALED(status)) {
		snprintf(why, sizeof(why), "worker lost: signal %d",
		    WTERMSIG(status));
	} else {
		snprintf(why, sizeof(why), "worker lost: exit %d",
		    WEXITSTATUS(status));
	}
	quick = corun_loop_now_ns() - w->started_ns < 1000000000ull;
	/*
	 * One that never said HELLO and exited, or that we stopped (it broke
	 * the protocol, it hung), failed to start: the first jobs it was
	 * handed (--jobs-fd) do not lose an attempt; a broken worker breaks
	 * the pool instead.  A signal we did not send (a job crashed it)
	 * counts, as after HELLO.
	 */
	unstarted = w->state == CR_W_STARTING &&
	    (WIFEXITED(status) || w->kill_sent);
	cr_worker_close(w);
	w->state = CR_W_IDLE;
	w->pid = 0;
	requeued = release_leases(p, w, why, !unstarted);
	if (!recycled && (requeued > 0 || !p->closing)) {
		cr_pool_log(p, "worker %u: %s; %zu job(s) re-queued", w->idx,
		    why, requeued);
	}
	if (recycled && !p->broken && (!p->closing || (p->wait_on_close &&
	    p->queue.len > 0))) {
		/* Not a failure: replace it now, outside the intensity limit. */
		if (p->restart_h == NULL) {
			corun_call_later(p->loop, 0, restart_cb, p,
			    &p->restart_h);
		}
	} else if (!p->broken && (!p->closing || (p->wait_on_close &&
	    p->queue.len > 0))) {
		if (too_many_restarts(p)) {
			char msg[256];

			snprintf(msg, sizeof(msg), "workers keep dying (more "
			    "than %u restarts in %g s; last: %s)",
			    p->restart_max,
			    (double)cr_health_restart_window_ns(p) / 1e9, why);
			set_broken(p, msg);
		} else if (quick && p->restart_streak >= (p->restart_max < 5 ?
		    p->restart_max : 5)) {
			/*
			 * Backoff keeps a crash loop under the intensity
			 * limit; workers that never live past their first
			 * second are as broken as a restart storm.
			 */
			char msg[256];

			snprintf(msg, sizeof(msg), "workers keep dying (%u in "
			    "a row within a second of starting; last: %s)",
			    p->restart_streak + 1, why);
			set_broken(p, msg);
		} else if (p->restart_h == NULL) {
			/* A worker that died at once is not retried at once. */
			corun_call_later(p->loop,
			    cr_health_restart_delay(p, quick), restart_cb, p,
			    &p->restart_h);
		}
	}
	if (p->broken) {
		int alive = 0;

		for (unsigned i = 0; i < p->nslots; i++) {
			alive += p->workers[i].state != CR_W_IDLE;
		}
		if (!alive) {
			fail_queue(p, CORUN_EBROKEN, p->broken_reason);
		}
	}
	maybe_finish_shutdown(p);
}

/* ---- shutdown ------------------------------------------------------- */

static void
stop_worker(struct corun_pool *p, struct cr_worker *w, int graceful)
{
	struct cr_wire_shutdown sd = { (uint8_t)graceful, 0 };
	const uint8_t *frame;
	size_t len;

	/*
	 * A draining worker told to cancel after all hears it too, if it
	 * still runs something (one that does not is leaving: a write to it
	 * as it exits is what sockclose.c is careful about).
	 */
	if ((w->state == CR_W_READY || (w->state == CR_W_STOPPING &&
	    w->draining && graceful == CR_SHUTDOWN_CANCEL &&
	    w->leases.len > 0 && !w->bye_seen)) &&
	    cr_wire_encode_shutdown(&p->wb, &sd, &frame, &len) == 0 &&
	    cr_worker_send(w, frame, len) == 0) {
		w->state = CR_W_STOPPING;
		w->draining = 0;
	} else if (w->state == CR_W_STARTING || w->state == CR_W_READY) {
		cr_worker_kill(w, SIGTERM, NULL);
		w->state = CR_W_STOPPING;
	}
}

/*
 * The pool is closing and nothing is queued: a local worker still running
 * jobs is told to run what it holds and leave (SHUTDOWN drain), so that it
 * exits right behind its last results instead of a round trip later.  It
 * takes no new jobs from here on; a job re-queued meanwhile (a retry, a
 * lost worker's) goes to a worker started for it.
 */
static void
drain_worker(struct corun_pool *p, struct cr_worker *w)
{
	struct cr_wire_shutdown sd = { CR_SHUTDOWN_DRAIN, 0 };
	const uint8_t *frame;
	size_t len;

	if (cr_wire_encode_shutdown(&p->wb, &sd, &frame, &len) == 0 &&
	    cr_worker_send(w, frame, len) == 0) {
		w->state = CR_W_STOPPING;
		w->draining = 1;
	}
}

static void
maybe_finish_shutdown(struct corun_pool *p)
{
	size_t leased = p->leased.len;
	int alive = 0;

	if (!p->closing) {
		return;
	}
	for (unsigned i = 0; i < p->nslots; i++) {
		struct cr_worker *w = &p->workers[i];

		if (w->state == CR_W_IDLE) {
			continue;
		}
		alive++;
		if (p->queue.len == 0 && leased == 0) {
			stop_worker(p, w, CR_SHUTDOWN_GRACEFUL);
		} else if (p->queue.len == 0 && p->wait_on_close &&
		    w->state == CR_W_READY && !w->remote && !w->recycling &&
		    w->leases.len > 0) {
			drain_worker(p, w);
		}
	}
	if (alive == 0 && p->queue.len > 0 && p->restart_h == NULL &&
	    !(p->opts.no_local && p->wait_on_close && !p->broken)) {
		/* Nobody is left to run them and nobody will be started. */
		if (p->broken) {
			fail_queue(p, CORUN_EBROKEN, p->broken_reason);
		} else {
			fail_queue(p, CORUN_ECANCELED, "pool shut down");
		}
	}
	if (alive == 0 && p->done != NULL && !corun_future_done(p->done)) {
		corun_future_set_result(p->done, NULL, NULL);
	}
}

int
corun_pool_shutdown(corun_pool *p, int wait, int cancel_pending,
    corun_future **done)
{
	struct cr_job *job;
	int rc;

	if (p == NULL) {
		return CORUN_EINVAL;
	}
	if (p->done == NULL &&
	    (rc = corun_future_new(p->loop, &p->done)) != 0) {
		return rc;
	}
	/*
	 * A later call may ask for more than an earlier one (corun run
	 * closes the pool once its input is all submitted, then a halt or a
	 * signal cancels): cancelling the queue or the running jobs happens
	 * on any call, once.
	 */
	if (!p->closing) {
		p->closing = 1;
		p->wait_on_close = wait;
		cr_remote_stop(p);	/* no new remote workers */
	}
	if (cancel_pending || !wait) {
		while ((job = cr_jobq_pop(&p->queue)) != NULL) {
			job_fail(job, CORUN_ECANCELED, NULL);
		}
	}
	if (!wait && !p->stopped_now) {
		p->stopped_now = 1;
		p->wait_on_close = 0;
		for (unsigned i = 0; i < p->nslots; i++) {
			struct cr_worker *w = &p->workers[i];

			for (job = w->leases.head; job != NULL;
			    job = job->next) {
				job->cancel_req = 1;
			}
			stop_worker(p, w, CR_SHUTDOWN_CANCEL);
		}
	}
	if (done != NULL) {
		*done = corun_future_ref(p->done);
	}
	maybe_finish_shutdown(p);
	return 0;
}
