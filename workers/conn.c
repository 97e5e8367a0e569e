/* SPDX-License-Identifier: MIT */
/*
 * conn.c - the worker's PAIR1 connection, driven from the main loop.
 *
 * A local worker (--parent, an ipc:// URL) reads and writes its Unix
 * socket itself on the loop (lib/spipc.c speaks nng's wire: the
 * supervisor, or any nng PAIR1 listener, is its peer), with no nng
 * thread involved; the peer's end of stream is the connection lost.
 * Frames the socket does not take wait in spipc.c's buffer, in order.
 *
 * A remote worker's session is an nng PAIR1 socket.  No aio callbacks:
 * nng's pollable descriptors (NNG_OPT_RECVFD, NNG_OPT_SENDFD) are
 * watched by libevent events on the main loop's base, and messages move
 * with non-blocking nng_recvmsg/nng_sendmsg on the loop thread.  A send
 * that would block queues the frame; the queue drains in order when
 * SENDFD becomes readable.
 *
 * The socket's send buffer is left at 0, so SENDFD is readable exactly
 * when the pipe has finished with the previous message: that is how the
 * worker knows its BYE has left before it closes the socket.
 *
 * A dialer re-dials after its pipe drops, so a closed supervisor never
 * shows up as NNG_ECLOSED on receive.  Pipe removal is watched with
 * nng_pipe_notify instead; that callback runs on an nng thread and only
 * hands the news to the loop with corun_call_soon_threadsafe().
 *
 * What comes in goes up through the callbacks the session installed
 * (w->conn_ops): each frame received, the send queue flushed, the
 * connection lost.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <corun/loop.h>
#include <event2/event.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "lib/cr-spipc.h"
#include "worker.h"

/* Messages taken per RECVFD wake-up, so timers and sends get a turn. */
#define WK_RX_BURST	64

static void
pipe_gone(void *arg)
{
	struct wk_state *w = arg;

	w->lost = 1;
	w->conn_ops->lost(w, "the connection to the supervisor closed");
}

/* nng thread: hand over, do nothing else. */
static void
pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct wk_state *w = arg;

	(void)p;
	if (ev == NNG_PIPE_EV_REM_POST) {
		(void)corun_call_soon_threadsafe(w->loop, pipe_gone, w);
	}
}

static void
tx_arm(struct wk_state *w, int on)
{
	if (on && !w->tx_armed) {
		event_add(w->tx_ev, NULL);
		w->tx_armed = 1;
	} else if (!on && w->tx_armed) {
		event_del(w->tx_ev);
		w->tx_armed = 0;
	}
}

static int
outq_push(struct wk_state *w, nng_msg *m)
{
	if (w->out_len == w->out_cap) {
		size_t ncap = w->out_cap ? w->out_cap * 2 : 16, i;
		nng_msg **nq = calloc(ncap, sizeof(*nq));

		if (nq == NULL) {
			return CORUN_ENOMEM;
		}
		for (i = 0; i < w->out_len; i++) {
			nq[i] = w->outq[(w->out_head + i) % w->out_cap];
		}
		free(w->outq);
		w->outq = nq;
		w->out_cap = ncap;
		w->out_head = 0;
	}
	w->outq[(w->out_head + w->out_len) % w->out_cap] = m;
	w->out_len++;
	return 0;
}

static void
send_failed(struct wk_state *w, int rv)
{
	char msg[256];

	w->lost = 1;
	snprintf(msg, sizeof(msg), "send to the supervisor failed: %s",
	    nng_strerror(rv));
	w->conn_ops->lost(w, msg);
}

/* Send queued frames until nng would block.  0, or the nng error. */
static int
outq_drain(struct wk_state *w)
{
	int rv;

	while (w->out_len > 0) {
		nng_msg *m = w->outq[w->out_head];

		rv = nng_sendmsg(w->sock, m, NNG_FLAG_NONBLOCK);
		if (rv == NNG_EAGAIN) {
			return 0;
		}
		if (rv != 0) {
			return rv;
		}
		w->out_head = (w->out_head + 1) % w->out_cap;
		w->out_len--;
		w->tx_inflight = 1;
	}
	return 0;
}

static void
tx_ready(evutil_socket_t fd, short what, void *arg)
{
	struct wk_state *w = arg;
	int rv, was_empty = w->out_len == 0;

	(void)fd;
	(void)what;
	if (was_empty) {
		/* Readable with nothing queued: the last message has left. */
		w->tx_inflight = 0;
	} else if ((rv = outq_drain(w)) != 0) {
		tx_arm(w, 0);
		send_failed(w, rv);
		return;
	}
	if (w->out_len > 0) {
		return;
	}
	if (w->state == WK_W_LINGER && w->tx_inflight) {
		return;		/* wait for the next readiness */
	}
	tx_arm(w, 0);
	if (w->state == WK_W_LINGER) {
		w->conn_ops->flushed(w);
	}
}

/* ---- a local worker: the socket on the loop (lib/spipc.c) ---------- */

static void
ipc_msg(void *arg, const uint8_t *buf, size_t len)
{
	struct wk_state *w = arg;

	w->last_rx_ns = corun_loop_now_ns();
	w->conn_ops->frame(w, buf, len);
}

static void
ipc_close(void *arg, const char *why)
{
	struct wk_state *w = arg;
	char msg[256];

	w->lost = 1;
	if (strcmp(why, "the connection closed") == 0) {
		w->conn_ops->lost(w, "the connection to the supervisor closed");
		return;
	}
	snprintf(msg, sizeof(msg), "the connection to the supervisor broke: "
	    "%s", why);
	w->conn_ops->lost(w, msg);
}

static void
ipc_drained(void *arg)
{
	struct wk_state *w = arg;

	if (w->state == WK_W_LINGER) {
		w->conn_ops->flushed(w);
	}
}

static const struct cr_spipc_ops ipc_ops = {
	.on_msg = ipc_msg,
	.on_close = ipc_close,
	.on_drained = ipc_drained,
};

static int
ipc_send(struct wk_state *w, const uint8_t *frame, size_t len)
{
	char msg[256];
	int rv = cr_spipc_send(w->ipc, frame, len);

	if (rv == CORUN_ENOMEM) {
		wk_log(w, "out of memory queueing a frame");
	} else if (rv != 0) {
		w->lost = 1;
		snprintf(msg, sizeof(msg), "send to the supervisor failed: %s",
		    cr_spipc_why(w->ipc));
		w->conn_ops->lost(w, msg);
	}
	return rv;
}

int
wk_conn_send(struct wk_state *w, const uint8_t *frame, size_t len)
{
	nng_msg *m = NULL;
	int rv;

	if (w->lost || !w->sock_open) {
		return CORUN_ECLOSED;
	}
	if (w->ipc != NULL) {
		return ipc_send(w, frame, len);
	}
	if ((rv = nng_msg_alloc(&m, 0)) != 0 ||
	    (rv = nng_msg_append(m, frame, len)) != 0) {
		if (rv != 0 && m != NULL) {
			nng_msg_free(m);
		}
		wk_log(w, "cannot build a message: %s", nng_strerror(rv));
		return CORUN_ENOMEM;
	}
	/* Keep frames in order: once something waits, queue behind it. */
	if (w->out_len == 0) {
		rv = nng_sendmsg(w->sock, m, NNG_FLAG_NONBLOCK);
		if (rv == 0) {
			w->tx_inflight = 1;
			return 0;
		}
		if (rv != NNG_EAGAIN) {
			nng_msg_free(m);
			send_failed(w, rv);
			return CORUN_ECLOSED;
		}
	}
	if (outq_push(w, m) != 0) {
		nng_msg_free(m);
		wk_log(w, "out of memory queueing a frame");
		return CORUN_ENOMEM;
	}
	tx_arm(w, 1);
	return 0;
}

void
wk_conn_wait_flushed(struct wk_state *w)
{
	if (w->lost || !w->sock_open) {
		w->conn_ops->flushed(w);
		return;
	}
	if (w->ipc != NULL) {
		cr_spipc_notify_drained(w->ipc);
		return;
	}
	/* SENDFD is readable once the pipe is done with the last frame. */
	tx_arm(w, 1);
}

static void
rx_ready(evutil_socket_t fd, short what, void *arg)
{
	struct wk_state *w = arg;
	nng_msg *m;
	int i, rv;

	(void)fd;
	(void)what;
	for (i = 0; i < WK_RX_BURST && w->rx_ev != NULL; i++) {
		rv = nng_recvmsg(w->sock, &m, NNG_FLAG_NONBLOCK);
		if (rv == NNG_EAGAIN) {
			return;
		}
		if (rv != 0) {
			char msg[256];

			wk_conn_stop_rx(w);
			w->lost = 1;
			snprintf(msg, sizeof(msg), "receive from the supervisor "
			    "failed: %s", nng_strerror(rv));
			w->conn_ops->lost(w, msg);
			return;
		}
		w->last_rx_ns = corun_loop_now_ns();
		w->conn_ops->frame(w, nng_msg_body(m), nng_msg_len(m));
		nng_msg_free(m);
	}
}

void
wk_conn_stop_rx(struct wk_state *w)
{
	if (w->ipc != NULL) {
		cr_spipc_stop_rx(w->ipc);
	}
	if (w->rx_ev != NULL) {
		event_free(w->rx_ev);
		w->rx_ev = NULL;
	}
}

static int
fail(char *why, size_t whylen, const char *what, const char *url, int rv)
{
	snprintf(why, whylen, "%s %s: %s", what, url, nng_strerror(rv));
	return CORUN_ESYS;
}

/*
 * Dial the supervisor's listener.  A local worker is started before its
 * supervisor listens (the two start up side by side), so while that
 * supervisor lives, a listener that is not there yet is waited for: 0.1
 * ms, doubling to 6.4 ms between tries, for at most --wait seconds.
 */
static int
dial_local(struct wk_state *w, const char *url)
{
	uint64_t deadline = corun_loop_now_ns() +
	    (uint64_t)(w->opt.wait * 1e9);
	struct timespec nap = { 0, 100000 };
	int rv;

	while ((rv = nng_dial(w->sock, url, NULL, 0)) == NNG_ECONNREFUSED ||
	    rv == NNG_ENOENT) {
		if (w->opt.parent == 0 || getppid() != w->opt.parent ||
		    corun_loop_now_ns() > deadline) {
			break;
		}
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 5000000) {
			nap.tv_nsec *= 2;
		}
	}
	return rv;
}

/* Dial a local supervisor's ipc:// socket on the loop (lib/spipc.c). */
static int
open_local_ipc(struct wk_state *w, char *why, size_t whylen)
{
	uint64_t deadline = corun_loop_now_ns() +
	    (uint64_t)(w->opt.wait * 1e9);
	struct timespec nap = { 0, 100000 };
	const char *url = w->opt.url;
	int rv;

	/* Waited for as dial_local does (the listener may not be there). */
	while ((rv = cr_spipc_dial(corun_loop_base(w->loop), url + 6,
	    WIRE_MAX_FRAME + WIRE_HDR_SIZE, &ipc_ops, w, &w->ipc)) ==
	    ECONNREFUSED || rv == ENOENT) {
		if (getppid() != w->opt.parent ||
		    corun_loop_now_ns() > deadline) {
			break;
		}
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 5000000) {
			nap.tv_nsec *= 2;
		}
	}
	if (rv != 0) {
		snprintf(why, whylen, "cannot connect to %s: %s", url,
		    rv == CORUN_ENOMEM ? "out of memory" : strerror(rv));
		return CORUN_ESYS;
	}
	w->sock_open = 1;
	return 0;
}

int
wk_conn_open(struct wk_state *w, char *why, size_t whylen)
{
	struct event_base *base = corun_loop_base(w->loop);
	const char *url = w->opt.url;
	int rv, rfd, sfd;

	if (w->opt.parent != 0 && w->tls == NULL &&
	    strncmp(url, "ipc://", 6) == 0) {
		return open_local_ipc(w, why, whylen);
	}
	if ((rv = nng_pair1_open(&w->sock)) != 0) {
		return fail(why, whylen, "cannot open a socket for", url, rv);
	}
	w->sock_open = 1;
	/* nng's default limit (1 MiB) is below the protocol's frames. */
	if ((rv = nng_socket_set_size(w->sock, NNG_OPT_RECVMAXSZ,
	    WIRE_MAX_FRAME + WIRE_HDR_SIZE)) != 0 ||
	    (rv = nng_pipe_notify(w->sock, NNG_PIPE_EV_REM_POST, pipe_event,
	    w)) != 0) {
		return fail(why, whylen, "cannot set up the socket for", url,
		    rv);
	}
	if (w->tls != NULL) {
		nng_dialer d;

		/* A remote worker's session: the rendezvous' TLS settings. */
		if ((rv = nng_dialer_create(&d, w->sock, url)) != 0 ||
		    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG,
		    w->tls)) != 0 || (rv = nng_dialer_start(d, 0)) != 0) {
			return fail(why, whylen, "cannot connect to", url, rv);
		}
	} else if ((rv = dial_local(w, url)) != 0) {
		return fail(why, whylen, "cannot connect to", url, rv);
	}
	if ((rv = nng_socket_get_int(w->sock, NNG_OPT_RECVFD, &rfd)) != 0 ||
	    (rv = nng_socket_get_int(w->sock, NNG_OPT_SENDFD, &sfd)) != 0) {
		return fail(why, whylen, "no pollable descriptors for", url,
		    rv);
	}
	w->rx_ev = event_new(base, rfd, EV_READ | EV_PERSIST, rx_ready, w);
	w->tx_ev = event_new(base, sfd, EV_READ | EV_PERSIST, tx_ready, w);
	if (w->rx_ev == NULL || w->tx_ev == NULL ||
	    event_add(w->rx_ev, NULL) != 0) {
		snprintf(why, whylen, "cannot watch the socket for %s", url);
		return CORUN_ENOMEM;
	}
	return 0;
}

void
wk_conn_close(struct wk_state *w)
{
	wk_conn_leave(w);
	if (w->sock_open && w->ipc == NULL) {
		/* Pipe callbacks may still fire; they only post to the loop. */
		nng_close(w->sock);
		w->sock_open = 0;
	}
}

void
wk_conn_leave(struct wk_state *w)
{
	if (w->ipc != NULL) {
		/* Whatever was handed to the kernel reaches the peer. */
		cr_spipc_close(w->ipc);
		w->ipc = NULL;
		w->sock_open = 0;
	}
	wk_conn_stop_rx(w);
	if (w->tx_ev != NULL) {
		event_free(w->tx_ev);
		w->tx_ev = NULL;
		w->tx_armed = 0;
	}
	while (w->out_len > 0) {
		nng_msg_free(w->outq[w->out_head]);
		w->out_head = (w->out_head + 1) % w->out_cap;
		w->out_len--;
	}
	free(w->outq);
	w->outq = NULL;
	w->out_cap = 0;
}
