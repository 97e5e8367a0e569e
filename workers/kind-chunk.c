/* SPDX-License-Identifier: MIT */
/*
 * kind-chunk.c - the internal kind behind corun_pool_map_chunked(): run
 * the items of a chunk one after another in the chunk's own task and
 * return one record per item, in order, as the chunk's stdout (layouts in
 * src/wire/wire-chunk.h).
 *
 * Each item runs with a context of its own, as a job would: its kind,
 * payload, timeout and retries, its stdout, stderr, exit code and
 * message.  No task is made per item; kinds that want a bigger stack than
 * the chunk's (net, plugins) get a task of their own.  Blocking kinds run
 * inline, never in the executor: a chunk is one job's worth of loop time.
 *
 * Stopping: an item's timeout sets the item's stop reason and cancels the
 * chunk's task, which interrupts whatever the item awaits; the chunk then
 * goes on with the next item.  A cancel of the whole chunk sets the
 * chunk's stop reason, which every item sees (wk_job_stopping looks at
 * the parent); the items not run yet are reported cancelled.
 *
 * Items' kinds are looked up through the chunk's context (ctx->kinds,
 * the registry as the runner hands it over), not by name.  It is a kind
 * (kinds-internal.h) in the worker program's layer because it reads the
 * wire's chunk layout; main.c registers it (wk_kinds_set_chunk).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <corun/task.h>

#include "kinds-internal.h"
#include "kinds.h"
#include "wire/wire-chunk.h"
#include "worker.h"

struct item {
	corun_job_ctx c;
	char name[WK_KIND_NAME_MAX + 1];	/* c.name's */
	const struct corun_job_kind *kind;
	corun_future *task;		/* the chunk's task */
	uint32_t timeout_ms;
	int timer_fired;
};

static uint64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
item_timeout(void *arg)
{
	struct item *it = arg;
	int zero = 0;

	it->timer_fired = 1;
	atomic_compare_exchange_strong(&it->c.stop, &zero, CORUN_ETIMEDOUT);
	(void)corun_future_cancel(it->task);
}

static int
item_body(void *arg)
{
	struct item *it = arg;

	return it->kind->run(&it->c);
}

/* Run the item's kind once, in this task or, for a big stack, its own. */
static int
item_run(struct item *it)
{
	struct corun_task_opts opts = { 0, NULL };
	corun_future *t;
	int rc;

	opts.stack_size = it->c.kinds->stack(it->kind);
	if (opts.stack_size == 0) {
		return it->kind->run(&it->c);
	}
	opts.name = it->c.name;
	if ((rc = corun_task_spawn(it->c.loop, item_body, it, &opts,
	    &t)) != 0) {
		return corun_job_fail(&it->c, rc, "%s: cannot start: %s",
		    it->c.name, corun_strerror(rc));
	}
	/* A cancel of this task cancels t too; wait until it has ended. */
	while (!corun_future_done(t)) {
		(void)corun_await(t);
	}
	rc = corun_future_status(t);
	corun_future_unref(t);
	return rc == CORUN_ECANCELED && wk_job_stopping(&it->c) == 0 ?
	    CORUN_EFAILED : rc;
}

/* The item's status, as runner.c decides a job's. */
static int
item_status(struct item *it, int rc, uint64_t start, uint64_t end)
{
	int stop = wk_job_stopping(&it->c);

	if (stop != 0) {
		return stop;
	}
	if (it->timeout_ms > 0 && end - start >=
	    (uint64_t)it->timeout_ms * 1000000u) {
		return CORUN_ETIMEDOUT;
	}
	if (rc < 0 || rc >= CORUN_EMAXERR) {
		return CORUN_EFAILED;
	}
	return rc;
}

static void
item_message(struct item *it, int status, char *buf, size_t len)
{
	int stop = wk_job_stopping(&it->c);
	size_t n;

	buf[0] = '\0';
	if (status == CORUN_ETIMEDOUT) {
		snprintf(buf, len, "timeout after %g s%s",
		    it->timeout_ms / 1000.0, stop == status ? "" : " (the "
		    "job blocked its loop, so it could not be stopped)");
	} else if (status == CORUN_ECANCELED && stop == status) {
		snprintf(buf, len, "cancelled");
	} else if (status != 0 && it->c.fail_msg != NULL) {
		snprintf(buf, len, "%s", it->c.fail_msg);
	} else if (status != 0) {
		snprintf(buf, len, "%s: %s", it->c.name,
		    corun_strerror(status));
	}
	if (it->c.out.truncated || it->c.err.truncated) {
		n = strlen(buf);
		snprintf(buf + n, len - n, "%s%s truncated at %zu MiB",
		    n > 0 ? "; " : "", it->c.out.truncated ? "stdout" :
		    "stderr", WK_OUT_CAP >> 20);
	}
}

static void
item_reset(struct item *it)
{
	if (it->c.out.p != NULL || it->c.out.truncated) {
		free(it->c.out.p);
		memset(&it->c.out, 0, sizeof(it->c.out));
	}
	if (it->c.err.p != NULL || it->c.err.truncated) {
		free(it->c.err.p);
		memset(&it->c.err, 0, sizeof(it->c.err));
	}
	if (it->c.fail_msg != NULL) {
		free(it->c.fail_msg);
		it->c.fail_msg = NULL;
	}
	it->c.fail_code = 0;
	it->c.exit_code = -1;
	it->c.signal = 0;
	atomic_store(&it->c.stop, 0);
}

/* Append the record of an item that did not run (the chunk stopped). */
static int
add_unrun(struct wire_chunk_buf *b, int status)
{
	struct wire_chunk_result r;

	memset(&r, 0, sizeof(r));
	r.status = (uint32_t)status;
	r.exit_code = -1;
	r.msg = status == CORUN_ECANCELED ? "cancelled" : "not run";
	r.msg_len = (uint32_t)strlen(r.msg);
	return wire_chunk_add_result(b, &r);
}

/* Run one item, with its retries; its status (start, end, attempts set). */
static int
run_attempts(struct item *itp, corun_job_ctx *chunk,
    const struct wire_chunk_job *j, const struct corun_job_kind *kind,
    uint64_t *now_ns, uint64_t *start, uint64_t *end, uint32_t *attempts)
{
	corun_handle *timer;
	uint32_t retries = j->retries;
	int rc, status;

	for (;;) {
		item_reset(itp);
		itp->timer_fired = 0;
		timer = NULL;
		(*attempts)++;
		/*
		 * One clock read per run: the previous item's end is this
		 * one's start (reading the clock is a large part of a no-op
		 * job's cost on some virtual machines).
		 */
		*start = *attempts == 1 ? *now_ns : realtime_ns();
		if (j->timeout_ms > 0 && corun_call_later(chunk->loop,
		    j->timeout_ms / 1000.0, item_timeout, itp, &timer) != 0) {
			timer = NULL;
		}
		if (kind == NULL) {
			rc = corun_job_fail(&itp->c, CORUN_ENOENT, "unknown job "
			    "kind '%s' (known: %s)", itp->c.name,
			    chunk->kinds->names());
		} else {
			rc = item_run(itp);
		}
		*end = *now_ns = realtime_ns();
		if (timer != NULL) {
			corun_handle_cancel(timer);
			corun_handle_release(timer);
		}
		status = item_status(itp, rc, *start, *end);
		/*
		 * A timeout that fired after the item's last await leaves a
		 * cancel request for the next one: take it here.  A cancel
		 * of the chunk is seen through the chunk's stop reason.
		 */
		if (itp->timer_fired && wk_job_stopping(chunk) == 0 &&
		    corun_task_cancelling(itp->task) > 0) {
			(void)corun_yield();
		}
		if (status == 0 || status == CORUN_ECANCELED ||
		    wk_job_stopping(chunk) != 0 || retries == 0) {
			return status;
		}
		retries--;
	}
}

/* Run one item (with its retries) and append its record. */
static int
run_item(struct item *itp, corun_job_ctx *chunk, const struct wire_chunk_job *j,
    const struct corun_job_kind *kind, struct wire_chunk_buf *b,
    uint64_t *now_ns)
{
	struct wire_chunk_result r;
	uint64_t start = 0, end = 0;
	uint32_t attempts = 0;
	char msg[1024];
	int rc, status;

	itp->kind = kind;
	itp->timeout_ms = j->timeout_ms;
	itp->c.name = itp->name;
	memcpy(itp->c.name, j->kind, j->kind_len);
	itp->c.name[j->kind_len] = '\0';
	itp->c.kind = kind;
	itp->c.payload = (char *)j->payload;	/* NUL-terminated, ours */
	itp->c.len = j->len;
	itp->c.timeout = j->timeout_ms / 1000.0;
	status = run_attempts(itp, chunk, j, kind, now_ns, &start, &end,
	    &attempts);
	item_message(itp, status, msg, sizeof(msg));
	memset(&r, 0, sizeof(r));
	r.status = (uint32_t)status;
	r.exit_code = itp->c.exit_code;
	r.signal = (uint32_t)itp->c.signal;
	r.attempts = attempts;
	r.start_ns = start;
	r.end_ns = end;
	r.out = itp->c.out.p;
	r.out_len = (uint32_t)itp->c.out.len;
	r.err = itp->c.err.p;
	r.err_len = (uint32_t)itp->c.err.len;
	if (b->len + WIRE_CHUNK_RESULT_FIXED + itp->c.out.len + itp->c.err.len +
	    sizeof(msg) > WIRE_CHUNK_MAX_OUTPUT) {
		/* One frame carries the whole chunk: keep it under a limit. */
		r.status = CORUN_ERANGE;
		r.out_len = r.err_len = 0;
		snprintf(msg, sizeof(msg), "output dropped (%zu bytes of "
		    "stdout, %zu of stderr): a chunk's results are limited "
		    "to %u MiB; use smaller chunks", itp->c.out.len,
		    itp->c.err.len, WIRE_CHUNK_MAX_OUTPUT >> 20);
	}
	r.msg = msg;
	r.msg_len = (uint32_t)strlen(msg);
	rc = wire_chunk_add_result(b, &r);
	itp->c.payload = NULL;
	item_reset(itp);
	return rc;
}

static int
kind_chunk(corun_job_ctx *ctx)
{
	const struct corun_job_kind *kind = NULL;
	const char *kname = NULL;
	struct wire_chunk_iter it;
	struct wire_chunk_job j;
	struct wire_chunk_buf b = { NULL, 0, 0 };
	struct item *item;
	uint64_t now_ns;
	uint32_t i;
	int rc;

	/* Check the whole payload before running anything. */
	if (wire_chunk_iter_init(&it, ctx->payload, ctx->len) != 0 ||
	    it.count > ctx->len) {
		return corun_job_fail(ctx, CORUN_EINVAL, "%s: malformed "
		    "payload", ctx->name);
	}
	while ((rc = wire_chunk_next_job(&it, &j)) == 0) {
		continue;
	}
	if (rc != CORUN_EDONE) {
		return corun_job_fail(ctx, CORUN_EINVAL, "%s: malformed "
		    "item %u", ctx->name, it.index);
	}
	wire_chunk_iter_init(&it, ctx->payload, ctx->len);
	if ((item = calloc(1, sizeof(*item))) == NULL ||
	    (rc = wire_chunk_begin(&b)) != 0) {
		free(item);
		return corun_job_fail(ctx, CORUN_ENOMEM, "%s: out of memory",
		    ctx->name);
	}
	/* One context for every item, reset between them. */
	item->task = corun_task_self();
	item->c.loop = ctx->loop;
	item->c.parent = ctx;
	item->c.kinds = ctx->kinds;
	now_ns = realtime_ns();
	for (i = 0; i < it.count && rc == 0; i++) {
		(void)wire_chunk_next_job(&it, &j);
		if (wk_job_stopping(ctx) != 0) {
			rc = add_unrun(&b, wk_job_stopping(ctx));
			continue;
		}
		if (j.kind != kname) {
			/* Runs of one kind share its bytes: one lookup. */
			kname = j.kind;
			kind = ctx->kinds->find(j.kind, j.kind_len);
		}
		rc = run_item(item, ctx, &j, kind, &b, &now_ns);
	}
	free(item);
	wire_chunk_finish(&b, it.count);
	if (rc == 0) {
		rc = corun_job_write_out(ctx, b.p, b.len);
	}
	wire_chunk_buf_free(&b);
	if (rc != 0) {
		return corun_job_fail(ctx, rc, "%s: %s", ctx->name,
		    corun_strerror(rc));
	}
	return 0;
}

const struct corun_job_kind wk_chunk_kind = {
	WIRE_CHUNK_KIND, kind_chunk, 0
};
