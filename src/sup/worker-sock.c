/* SPDX-License-Identifier: MIT */
/*
 * worker-sock.c - a worker's PAIR1 socket on the pool's loop: frames sent,
 * frames read and reported to the owner (ops->on_frame), closing.
 *
 * A local worker's ipc:// socket is listened on, read and written by the
 * loop itself (lib/spipc.c: nng's wire, no nng thread between the worker
 * and us); its end is told by its process' exit (worker.c), so a dropped
 * connection needs no report.  A remote worker's socket is nng's: its
 * RECVFD and SENDFD are watched, and sends queue while nng pushes back.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cr-spipc.h"
#include "lib/fault-internal.h"
#include "remote-internal.h"

static void on_readable(evutil_socket_t fd, short what, void *arg);
static void on_writable(evutil_socket_t fd, short what, void *arg);

/* Watch w's open socket: RECVFD for messages, SENDFD when sends wait. */
int
sup_worker_watch(struct corun_pool *p, struct sup_worker *w)
{
	struct event_base *base = corun_loop_base(p->loop);
	int rfd, wfd;

	if (nng_socket_get_int(w->sock, NNG_OPT_RECVFD, &rfd) != 0 ||
	    nng_socket_get_int(w->sock, NNG_OPT_SENDFD, &wfd) != 0) {
		return CORUN_ESYS;
	}
	w->rev = event_new(base, rfd, EV_READ | EV_PERSIST, on_readable, w);
	w->wev = event_new(base, wfd, EV_READ | EV_PERSIST, on_writable, w);
	if (w->rev == NULL || w->wev == NULL ||
	    event_add(w->rev, NULL) != 0) {
		return CORUN_ENOMEM;
	}
	return 0;
}

static void
ipc_msg(void *arg, const uint8_t *buf, size_t len)
{
	struct sup_worker *w = arg;

	w->pool->st.frames_in++;
	w->last_rx_ns = corun_loop_now_ns();
	w->ops->on_frame(w, buf, len);
}

/* The loop woken for w's frames leaves them (injected: not read yet). */
static int
ipc_rx_hold(void *arg)
{
	(void)arg;
	return cr_fault(CR_FAULT_RX);
}

static const struct cr_spipc_ops ipc_ops = {
	.on_msg = ipc_msg,
	.rx_hold = ipc_rx_hold,
};

int
sup_worker_open_socket(struct corun_pool *p, struct sup_worker *w)
{
	const char *path = w->url + 6;	/* "ipc://" */

	if (strncmp(w->url, "ipc://", 6) != 0) {
		sup_pool_log(p, "listen %s: not an ipc:// URL", w->url);
		return CORUN_EINVAL;
	}
	if (cr_fault(CR_FAULT_LISTEN)) {
		sup_pool_log(p, "listen %s: Address in use", w->url);
		return CORUN_ESYS;
	}
	if (cr_spipc_listen(corun_loop_base(p->loop), path, WIRE_MAX_FRAME,
	    &ipc_ops, w, &w->ipc) != 0) {
		sup_pool_log(p, "listen %s: %s", w->url, strerror(errno));
		return CORUN_ESYS;
	}
	w->sock_open = 1;
	return 0;
}

static void
flush_out(struct sup_worker *w)
{
	while (w->outq != NULL) {
		struct sup_outmsg *m = w->outq;
		int rv = nng_sendmsg(w->sock, m->msg, NNG_FLAG_NONBLOCK);

		if (rv == NNG_EAGAIN) {
			event_add(w->wev, NULL);	/* wait until it may send */
			return;
		}
		if (rv != 0) {
			nng_msg_free(m->msg);	/* closed: the exit handles it */
		}
		w->outq = m->next;
		free(m);
		w->pool->st.frames_out++;
	}
	w->outq_tail = NULL;
	event_del(w->wev);
}

int
sup_worker_send(struct sup_worker *w, const uint8_t *frame, size_t len)
{
	struct sup_outmsg *m;
	nng_msg *msg;

	if (!w->sock_open || w->exit_deferred) {
		return CORUN_ECLOSED;	/* (a dead peer: see exited_now) */
	}
	if (w->ipc != NULL) {
		int rv = cr_spipc_send(w->ipc, frame, len);

		if (rv == 0) {
			w->pool->st.frames_out++;
		}
		return rv;
	}
	if (nng_msg_alloc(&msg, len) != 0) {
		return CORUN_ENOMEM;
	}
	memcpy(nng_msg_body(msg), frame, len);
	if (w->outq == NULL) {
		int rv = nng_sendmsg(w->sock, msg, NNG_FLAG_NONBLOCK);

		if (rv == 0) {
			w->pool->st.frames_out++;
			return 0;
		}
		if (rv != NNG_EAGAIN) {
			nng_msg_free(msg);
			return CORUN_ECLOSED;
		}
	}
	if ((m = malloc(sizeof(*m))) == NULL) {
		nng_msg_free(msg);
		return CORUN_ENOMEM;
	}
	m->msg = msg;
	m->next = NULL;
	if (w->outq_tail != NULL) {
		w->outq_tail->next = m;
	} else {
		w->outq = m;
	}
	w->outq_tail = m;
	event_add(w->wev, NULL);
	return 0;
}

static void
on_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush_out(arg);
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (cr_fault(CR_FAULT_RX)) {
		return;		/* (injected: nothing handed over yet) */
	}
	sup_worker_read(arg);
}

void
sup_worker_read(struct sup_worker *w)
{
	uint32_t gen = w->gen;

	if (w->ipc != NULL) {
		cr_spipc_read(w->ipc);	/* bounded too */
		return;
	}
	/* Bounded, so one busy worker cannot starve the loop. */
	for (int i = 0; i < 64 && w->sock_open && w->gen == gen; i++) {
		nng_msg *msg;

		if (nng_recvmsg(w->sock, &msg, NNG_FLAG_NONBLOCK) != 0) {
			break;
		}
		w->pool->st.frames_in++;
		w->last_rx_ns = corun_loop_now_ns();
		w->ops->on_frame(w, nng_msg_body(msg), nng_msg_len(msg));
		nng_msg_free(msg);
	}
}

/* Stop talking to the worker: its exit is still watched. */
void
sup_worker_close_socket(struct sup_worker *w)
{
	while (w->outq != NULL) {
		struct sup_outmsg *m = w->outq;

		w->outq = m->next;
		nng_msg_free(m->msg);
		free(m);
	}
	w->outq_tail = NULL;
	if (w->rev != NULL) {
		event_free(w->rev);
		w->rev = NULL;
	}
	if (w->wev != NULL) {
		event_free(w->wev);
		w->wev = NULL;
	}
	if (w->ipc != NULL) {
		cr_spipc_close(w->ipc);	/* and its socket file */
		w->ipc = NULL;
		w->sock_open = 0;
	} else if (w->sock_open && w->remote) {
		sup_remote_close_socket(w);
	} else if (w->sock_open) {
		sup_sock_close(w->sock, w->watch, w->url);
		w->watch = NULL;
		w->sock_open = 0;
	}
}
