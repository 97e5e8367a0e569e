/* SPDX-License-Identifier: MIT */
/*
 * cr-spipc.h - one PAIR1 connection over a Unix socket (nng's ipc://),
 * read and written on a libevent loop with plain system calls: no nng
 * threads.  The supervisor listens with it for the local worker it
 * started, the worker dials with it; either end may as well be an nng
 * PAIR1 socket (the wire is nng's, doc/wire-protocol.md, "Transport").
 * Internal, not installed.
 *
 * Everything runs on the thread of the loop whose base is given; the
 * callbacks are called from that loop's events only (never from inside
 * cr_spipc_send), and a callback may close the connection.
 */
#ifndef CR_SPIPC_H
#define CR_SPIPC_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct cr_spipc;

struct cr_spipc_ops {
	/* One message's body (valid during the call). */
	void	(*on_msg)(void *arg, const uint8_t *buf, size_t len);
	/*
	 * The peer went or broke the protocol (why: for a log).  A dialled
	 * connection is over (sends fail from now on); a listener drops the
	 * connection, what was queued for it too, and accepts the next.
	 * Optional for a listener.
	 */
	void	(*on_close)(void *arg, const char *why);
	/* Everything queued has gone to the kernel (cr_spipc_notify_drained). */
	void	(*on_drained)(void *arg);
	/* Optional: nonzero leaves readable data unread this time (faults). */
	int	(*rx_hold)(void *arg);
};

/*
 * Listen at path for one peer.  Messages sent meanwhile wait for it and
 * go out once its greeting was read; a second peer while one is there,
 * a bad greeting or one not complete within 10 s is closed.  max: the
 * largest body taken (a bigger message closes the connection, as nng's
 * NNG_OPT_RECVMAXSZ).  0, or CORUN_ESYS with errno set.
 */
int	cr_spipc_listen(struct event_base *base, const char *path, size_t max,
	    const struct cr_spipc_ops *ops, void *arg, struct cr_spipc **out);
/*
 * Connect to the listener at path (blocking: a local peer's accept queue
 * answers at once).  0, or an errno value (ECONNREFUSED, ENOENT: nobody
 * listens yet), or CORUN_ENOMEM.
 */
int	cr_spipc_dial(struct event_base *base, const char *path, size_t max,
	    const struct cr_spipc_ops *ops, void *arg, struct cr_spipc **out);
/*
 * Send one message: written at once when the socket takes it, else queued
 * (in order) behind a write event.  0; CORUN_ECLOSED when a dialled
 * connection is over (cr_spipc_why says why); CORUN_ENOMEM.  A listener's
 * frame to a peer that just broke is dropped with the connection (0).
 */
int	cr_spipc_send(struct cr_spipc *c, const uint8_t *buf, size_t len);
/* Read and hand over what has arrived, now (no rx_hold). */
void	cr_spipc_read(struct cr_spipc *c);
/* Stop reading; sends still go out. */
void	cr_spipc_stop_rx(struct cr_spipc *c);
/* Call ops->on_drained (from the loop) once nothing is queued. */
void	cr_spipc_notify_drained(struct cr_spipc *c);
/* Bytes queued and not written yet. */
size_t	cr_spipc_queued(const struct cr_spipc *c);
/* Why the connection ended ("" while it has not). */
const char *cr_spipc_why(const struct cr_spipc *c);
/* Close the connection (and a listener's socket file); frees c. */
void	cr_spipc_close(struct cr_spipc *c);
/*
 * Send buf[*off, len) on the non-blocking socket fd, advancing *off: 0
 * all of it went, 1 the socket is full (the rest waits for EV_WRITE), -1
 * broken (errno).  SIGPIPE is never raised.  ctl-uds.c shares it.
 */
int	cr_sock_flush(int fd, const void *buf, size_t len, size_t *off);

#endif /* CR_SPIPC_H */
