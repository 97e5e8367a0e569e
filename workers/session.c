/* SPDX-License-Identifier: MIT */
/*
 * session.c - the worker's side of the protocol (doc/wire-protocol.md).
 *
 *   HELLO, CREDIT(capacity) -> WELCOME -> JOBS / CANCEL / HEARTBEAT ...
 *   -> SHUTDOWN -> RESULTS ... BYE
 *
 * How a session ends:
 *
 *   SHUTDOWN graceful, SIGTERM   DRAINING: no new jobs (late ones are
 *                                refused with CORUN_ECLOSED), running jobs
 *                                finish (deadline -> cancelled), results
 *                                flushed, BYE(0), exit 0
 *   SHUTDOWN drain               DRAINING too, but the jobs held here
 *                                run as slots free; when none is left or
 *                                running, the last results, BYE(0), exit 0
 *   SHUTDOWN not graceful        the same, with every job cancelled first
 *   malformed or wrong frame     BYE(code), jobs cancelled, exit 2
 *   supervisor gone              jobs cancelled, exit 3 (nobody to tell)
 *
 * After BYE the worker waits until nng has written it (SENDFD) or the
 * supervisor closes the pipe, at most WK_LINGER, then stops the loop.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "worker.h"

static void finish(struct wk_state *w);
static void abort_all(struct wk_state *w, int exit_code);

static void
timer_clear(corun_handle **h)
{
	if (*h != NULL) {
		(void)corun_handle_cancel(*h);
		corun_handle_release(*h);
		*h = NULL;
	}
}

static void
timer_set(struct wk_state *w, corun_handle **h, double delay, corun_cb cb)
{
	timer_clear(h);
	if (corun_call_later(w->loop, delay, cb, w, h) != 0) {
		*h = NULL;
	}
}

/* At the start of a timer callback: drop our reference to its handle. */
static void
timer_fired(corun_handle **h)
{
	if (*h != NULL) {
		corun_handle_release(*h);
		*h = NULL;
	}
}

static void
done(struct wk_state *w)
{
	w->state = WK_W_DONE;
	timer_clear(&w->hb_timer);
	timer_clear(&w->watch_timer);
	timer_clear(&w->stop_timer);
	timer_clear(&w->linger_timer);
	corun_loop_stop(w->loop);
}

static void
linger_expired(void *arg)
{
	struct wk_state *w = arg;

	timer_fired(&w->linger_timer);
	done(w);
}

/* Wait for what was sent to leave, then stop. */
static void
linger(struct wk_state *w)
{
	timer_clear(&w->stop_timer);
	timer_clear(&w->hb_timer);
	w->state = WK_W_LINGER;
	timer_set(w, &w->linger_timer, WK_LINGER, linger_expired);
	wk_conn_wait_flushed(w);
}

void
wk_session_flushed(struct wk_state *w)
{
	if (w->state == WK_W_LINGER) {
		done(w);
	}
}

/* ---- leaving ----------------------------------------------------------- */

static void
finish(struct wk_state *w)
{
	wk_dispatch_flush(w);
	wk_session_send_bye(w);
	linger(w);
}

static void
give_up(void *arg)
{
	struct wk_state *w = arg;

	timer_fired(&w->stop_timer);
	wk_log(w, "%zu job(s) did not stop after cancellation; leaving them",
	    w->running);
	if (w->state == WK_W_DRAINING) {
		snprintf(w->bye_reason, sizeof(w->bye_reason),
		    "shutdown; %zu job(s) did not stop", w->running);
		finish(w);
	} else if (w->state == WK_W_ABORTING) {
		linger(w);
	}
}

static void
drain_deadline(void *arg)
{
	struct wk_state *w = arg;

	timer_fired(&w->stop_timer);
	wk_log(w, "shutdown deadline passed; cancelling %zu job(s)",
	    w->running);
	wk_dispatch_cancel_all(w);
	timer_set(w, &w->stop_timer, WK_CANCEL_WAIT, give_up);
}

void
wk_session_idle(struct wk_state *w)
{
	if (w->running > 0 || w->flush_scheduled ||
	    (w->drain && w->npending > 0 && w->state == WK_W_DRAINING)) {
		return;
	}
	if (w->state == WK_W_DRAINING) {
		finish(w);
	} else if (w->state == WK_W_ABORTING) {
		linger(w);
	}
}

void
wk_session_shutdown(struct wk_state *w, int graceful, uint32_t deadline_ms,
    const char *why)
{
	if (w->state >= WK_W_ABORTING) {
		return;
	}
	snprintf(w->bye_reason, sizeof(w->bye_reason), "%s", why);
	w->bye_code = 0;
	w->exit_code = WK_EXIT_OK;
	if (w->state == WK_W_HELLO && w->running == 0 && w->npending == 0) {
		finish(w);	/* nothing runs yet */
		return;
	}
	if (graceful == WIRE_SHUTDOWN_CANCEL) {
		w->state = WK_W_DRAINING;
		w->drain = 0;
		wk_dispatch_cancel_all(w);
		timer_set(w, &w->stop_timer, WK_CANCEL_WAIT, give_up);
	} else if (graceful == WIRE_SHUTDOWN_DRAIN &&
	    w->state == WK_W_RUNNING) {
		/* Nothing more will come: run what is held, then leave. */
		w->state = WK_W_DRAINING;
		w->drain = 1;
		if (deadline_ms > 0) {
			timer_set(w, &w->stop_timer, deadline_ms / 1000.0,
			    drain_deadline);
		}
	} else if (w->state == WK_W_DRAINING && w->drain) {
		/* A signal while draining: what is held does not start. */
		w->drain = 0;
		wk_dispatch_refuse_pending(w);
	} else if (w->state == WK_W_RUNNING || w->state == WK_W_HELLO) {
		w->state = WK_W_DRAINING;
		/* Held jobs never started: hand them back to be re-leased. */
		wk_dispatch_refuse_pending(w);
		if (deadline_ms > 0) {
			timer_set(w, &w->stop_timer, deadline_ms / 1000.0,
			    drain_deadline);
		}
	}
	wk_session_idle(w);
}

static void
abort_expired(void *arg)
{
	give_up(arg);
}

static void
abort_all(struct wk_state *w, int exit_code)
{
	if (w->state >= WK_W_ABORTING) {
		return;		/* the first reason stands */
	}
	w->exit_code = exit_code;
	w->state = WK_W_ABORTING;
	timer_clear(&w->hb_timer);
	wk_conn_stop_rx(w);
	wk_dispatch_drop_results(w);
	/* Cancelling kills shell jobs' process groups: leave no orphans. */
	wk_dispatch_cancel_all(w);
	timer_set(w, &w->stop_timer, WK_CANCEL_WAIT, abort_expired);
	wk_session_idle(w);
}

void
wk_session_fatal(struct wk_state *w, int code, const char *fmt, ...)
{
	va_list ap;

	if (w->state >= WK_W_ABORTING) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(w->bye_reason, sizeof(w->bye_reason), fmt, ap);
	va_end(ap);
	wk_log(w, "%s", w->bye_reason);
	w->bye_code = code;
	wk_session_send_bye(w);
	abort_all(w, WK_EXIT_PROTO);
}

void
wk_session_lost(struct wk_state *w, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	w->lost = 1;
	if (w->state == WK_W_LINGER) {
		done(w);	/* the supervisor closed after our BYE */
		return;
	}
	if (w->state >= WK_W_ABORTING) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!wk_lost_expected(w)) {
		char line[320];

		/* News, not the end of an order: lost.c says if it is told. */
		snprintf(line, sizeof(line), "%s; cancelling %zu job(s) and "
		    "exiting", msg, w->running);
		wk_lost_note(w, line);
	}
	abort_all(w, WK_EXIT_LOST);
}

/* ---- what conn.c and dispatch.c report -------------------------------- */

static void
conn_lost(struct wk_state *w, const char *why)
{
	wk_session_lost(w, "%s", why);
}

static void
dispatch_fatal(struct wk_state *w, int code, const char *why)
{
	wk_session_fatal(w, code, "%s", why);
}

static const struct wk_conn_ops conn_ops = {
	.frame = wk_session_frame,
	.flushed = wk_session_flushed,
	.lost = conn_lost,
};

static const struct wk_dispatch_ops dispatch_ops = {
	.idle = wk_session_idle,
	.fatal = dispatch_fatal,
};

void
wk_session_init(struct wk_state *w)
{
	w->conn_ops = &conn_ops;
	w->dispatch_ops = &dispatch_ops;
}

/* ---- timers ------------------------------------------------------------ */

static void
heartbeat(void *arg)
{
	struct wk_state *w = arg;
	struct wire_heartbeat hb;
	const uint8_t *frame = NULL;
	size_t len = 0;
	int rc;

	timer_fired(&w->hb_timer);
	if (w->state != WK_W_RUNNING && w->state != WK_W_DRAINING) {
		return;
	}
	hb.seq = ++w->hb_seq;
	hb.running = (uint32_t)w->running;
	hb.lag_ns = wk_dispatch_take_lag(w);
	rc = wire_encode_heartbeat(&w->wb, &hb, &frame, &len);
	(void)wk_session_send(w, rc, frame, len);
	timer_set(w, &w->hb_timer, w->heartbeat_ms / 1000.0, heartbeat);
}

static double
watch_period(const struct wk_state *w)
{
	double p = w->heartbeat_ms / 2000.0;

	return p <= 0 || p > 0.25 ? 0.25 : p < 0.02 ? 0.02 : p;
}

/* The supervisor must stay: parent process, and messages arriving. */
static void
watch(void *arg)
{
	struct wk_state *w = arg;
	uint64_t quiet;

	timer_fired(&w->watch_timer);
	if (w->state >= WK_W_ABORTING) {
		return;
	}
	if (w->opt.parent != 0 && getppid() != w->opt.parent) {
		wk_session_lost(w, "parent process %ld is gone",
		    (long)w->opt.parent);
		return;
	}
	quiet = corun_loop_now_ns() - w->last_rx_ns;
	if (w->heartbeat_ms > 0 && w->state != WK_W_HELLO &&
	    quiet > (uint64_t)w->opt.silence * w->heartbeat_ms * 1000000ull) {
		wk_session_lost(w, "nothing from the supervisor for %llu ms "
		    "(heartbeat %u ms)", (unsigned long long)(quiet / 1000000),
		    w->heartbeat_ms);
		return;
	}
	timer_set(w, &w->watch_timer, watch_period(w), watch);
}

static void
handshake_expired(void *arg)
{
	struct wk_state *w = arg;

	timer_fired(&w->stop_timer);
	if (w->state == WK_W_HELLO) {
		wk_session_lost(w, "no WELCOME within %g s", WK_HANDSHAKE_TIMEOUT);
	}
}

/* ---- frames ------------------------------------------------------------ */

static void
on_welcome(struct wk_state *w, const struct wire_welcome *wel)
{
	if (!wel->accepted) {
		wk_log(w, "refused by the supervisor: %.*s",
		    (int)wel->reason.len, (const char *)wel->reason.ptr);
		w->exit_code = WK_EXIT_SETUP;
		w->state = WK_W_ABORTING;
		linger(w);
		return;
	}
	if (wel->version != WIRE_VERSION) {
		wk_session_fatal(w, CORUN_ENOTSUP, "WELCOME chose protocol "
		    "version %u; this worker speaks %u", wel->version,
		    WIRE_VERSION);
		return;
	}
	timer_clear(&w->stop_timer);
	w->worker_id = wel->worker_id;
	w->heartbeat_ms = wel->heartbeat_ms;
	w->state = WK_W_RUNNING;
	if (w->heartbeat_ms > 0) {
		timer_set(w, &w->hb_timer, w->heartbeat_ms / 1000.0,
		    heartbeat);
	}
	timer_set(w, &w->watch_timer, watch_period(w), watch);
}

void
wk_session_frame(struct wk_state *w, const uint8_t *buf, size_t len)
{
	char why[WIRE_WHY_SIZE];
	struct wire_frame f;
	uint64_t id;
	int rc;

	if (w->state >= WK_W_ABORTING) {
		return;
	}
	rc = wire_decode(buf, len, 0, &f, why, sizeof(why));
	if (rc != 0) {
		wk_session_fatal(w, rc, "malformed frame from the supervisor: "
		    "%s", why);
		return;
	}
	if (w->state == WK_W_HELLO && f.hdr.type != WIRE_WELCOME &&
	    f.hdr.type != WIRE_HEARTBEAT &&
	    f.hdr.type != WIRE_SHUTDOWN) {
		wk_session_fatal(w, CORUN_EPROTO, "%s frame before WELCOME",
		    wire_type_name(f.hdr.type));
		return;
	}
	switch (f.hdr.type) {
	case WIRE_WELCOME:
		if (w->state == WK_W_DRAINING && w->heartbeat_ms == 0) {
			/* Told to stop while first jobs ran, before WELCOME. */
			break;
		}
		if (w->state != WK_W_HELLO) {
			wk_session_fatal(w, CORUN_EPROTO, "second WELCOME");
			return;
		}
		on_welcome(w, &f.u.welcome);
		break;
	case WIRE_JOBS:
		if (f.hdr.count > w->granted) {
			wk_session_fatal(w, CORUN_EPROTO, "JOBS frame with %u "
			    "job(s) but only %u granted", f.hdr.count,
			    w->granted);
			return;
		}
		w->granted -= f.hdr.count;
		wk_dispatch_jobs(w, &f);
		break;
	case WIRE_CANCEL:
		while (wire_next_cancel(&f, &id) == 0) {
			wk_dispatch_cancel(w, id);
		}
		break;
	case WIRE_HEARTBEAT:
		break;		/* arrival is what counts */
	case WIRE_SHUTDOWN:
		wk_session_shutdown(w, f.u.shutdown.graceful,
		    f.u.shutdown.deadline_ms, "shutdown requested");
		break;
	default:
		wk_session_fatal(w, CORUN_EPROTO, "unexpected %s frame from "
		    "the supervisor", wire_type_name(f.hdr.type));
		break;
	}
}

int
wk_session_start(struct wk_state *w)
{
	struct wire_hello h;
	const uint8_t *frame = NULL;
	size_t len = 0;
	int rc;

	/* A remote worker proves it is the one the rendezvous let in. */
	wk_session_hello(w, w->session_key, &h);
	if (w->state < WK_W_DRAINING) {
		/* (A signal while first jobs ran may have set DRAINING.) */
		w->state = WK_W_HELLO;
	}
	w->last_rx_ns = corun_loop_now_ns();
	rc = wire_encode_hello(&w->wb, &h, &frame, &len);
	if ((rc = wk_session_send(w, rc, frame, len)) != 0) {
		return rc;
	}
	/*
	 * The whole window as credit now, not after WELCOME: the supervisor
	 * reads it right behind the HELLO and sends the first jobs behind
	 * its WELCOME, a round trip (half a millisecond) sooner.  Less the
	 * first jobs from --jobs-fd, which the supervisor counted; none
	 * when a signal already told us to stop.
	 */
	w->granted = w->state == WK_W_HELLO ? w->window - w->first_jobs : 0;
	if (w->granted > 0) {
		rc = wire_encode_credit(&w->wb, w->granted, &frame, &len);
		if ((rc = wk_session_send(w, rc, frame, len)) != 0) {
			return rc;
		}
	}
	if (w->done_head != NULL) {
		wk_dispatch_schedule_flush(w);	/* first jobs that ended */
	}
	if (w->state == WK_W_HELLO) {
		/* (Else stop_timer may be a drain's deadline: keep it.) */
		timer_set(w, &w->stop_timer, WK_HANDSHAKE_TIMEOUT,
		    handshake_expired);
	}
	timer_set(w, &w->watch_timer, watch_period(w), watch);
	return 0;
}

void
wk_session_fini(struct wk_state *w)
{
	timer_clear(&w->hb_timer);
	timer_clear(&w->watch_timer);
	timer_clear(&w->stop_timer);
	timer_clear(&w->linger_timer);
	wire_builder_fini(&w->wb);
}
