/* SPDX-License-Identifier: MIT */
/*
 * spipc.c - a PAIR1 connection over ipc:// on the loop's own thread.
 *
 * Through nng, every frame between the supervisor and a local worker
 * crossed nng's threads on both sides (the header's read, the body's,
 * the wake-up of the loop through the socket's RECVFD).  This file reads
 * and writes the Unix socket itself, in libevent callbacks, speaking the
 * wire of nng 1.5.2's ipc transport and PAIR1 protocol, so an nng PAIR1
 * socket is still a valid peer (tests/lib/test_spipc checks both ways):
 *
 *   greeting  8 bytes each way, sent at once: "\0SP\0", the protocol
 *             number 0x00 0x11 (PAIR1, and its peer is PAIR1), "\0\0";
 *   message   a type byte 1, a 64-bit big-endian length, then that many
 *             bytes: PAIR1's 4-byte big-endian hop count (sent as 1; a
 *             count over 255 is malformed and closes the connection, one
 *             over 8 drops the message, as nng's default TTL), the body.
 *
 * A listener waits for the peer's greeting before it writes frames that
 * were queued for the peer; a dialler writes its frames right behind its
 * greeting (the listener reads the greeting first).  Reads take what the
 * socket has, up to a bounded amount per wake-up, and hand over every
 * whole message; writes that the socket does not take wait, in order, in
 * one buffer behind a write event.
 */
#include "config.h"

#define _GNU_SOURCE 1

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/event.h>

#include <corun/error.h>

#include "spipc-internal.h"

#define SP_MSG		1
#define SP_HEAD		13		/* type, length, hop count */
#define SP_MAXHOPS	8
#define SP_CHUNK	65536		/* room made for a read */
#define SP_READS	4		/* reads per wake-up, at most */
#define SP_KEEP		(1u << 20)	/* buffers above are freed when empty */

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++) {
		v = v << 8 | p[i];
	}
	return v;
}

static int
writing_ok(const struct cr_spipc *c)
{
	return c->fd >= 0 && (c->lfd < 0 || c->greeted);
}

/* Close the connection only: buffers emptied, a listener listens on. */
void
cr_spipc_drop(struct cr_spipc *c)
{
	if (c->rev != NULL) {
		event_free(c->rev);
		c->rev = NULL;
	}
	if (c->wev != NULL) {
		event_free(c->wev);
		c->wev = NULL;
	}
	if (c->tmo != NULL) {
		event_del(c->tmo);
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	c->in_off = c->in_len = 0;
	if (c->greeted || c->lfd < 0) {
		/* Frames cut by the peer's end; ones not begun waited in vain
		 * too.  A listener's frames wait on for a peer never greeted. */
		c->out_off = c->out_len = 0;
	}
	c->greeted = 0;
}

/* The connection broke (from an event): drop it and tell the owner. */
static void
conn_fail(struct cr_spipc *c, const char *why)
{
	int was = c->greeted || c->lfd < 0;

	snprintf(c->why, sizeof(c->why), "%s", why);
	cr_spipc_drop(c);
	if (c->lfd < 0) {
		c->over = 1;
	}
	if (was && c->ops->on_close != NULL) {
		c->ops->on_close(c->arg, c->why);
	}
}

static void
conn_fail_errno(struct cr_spipc *c, const char *what, int err)
{
	char why[128];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(err));
	conn_fail(c, why);
}

void
cr_spipc_free(struct cr_spipc *c)
{
	free(c->in);
	free(c->out);
	free(c);
}

/* Out of an event callback: free c if a callback closed it. */
static void
leave(struct cr_spipc *c)
{
	if (--c->busy == 0 && c->dead) {
		cr_spipc_free(c);
	}
}

/* ---- writing ---------------------------------------------------------- */

int
cr_sock_flush(int fd, const void *buf, size_t len, size_t *off)
{
	const char *p = buf;

	while (*off < len) {
		ssize_t n = send(fd, p + *off, len - *off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			*off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return 1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* Write what is queued: 0 all gone, 1 some waits, -1 broken (errno). */
static int
out_flush(struct cr_spipc *c)
{
	int rc = cr_sock_flush(c->fd, c->out, c->out_len, &c->out_off);

	if (rc != 0) {
		return rc;
	}
	c->out_off = c->out_len = 0;
	if (c->out_cap > SP_KEEP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	return 0;
}

/* Queue n bytes of two pieces from offset skip on. */
static int
out_append(struct cr_spipc *c, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, size_t skip)
{
	size_t need = alen + blen - skip;

	if (c->out_off > 0 && c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
	}
	if (c->out_len + need > c->out_cap) {
		size_t ncap = c->out_cap ? c->out_cap : 4096;
		uint8_t *n;

		if (c->out_off > 0) {	/* room at the front first */
			memmove(c->out, c->out + c->out_off,
			    c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		while (ncap < c->out_len + need) {
			ncap *= 2;
		}
		if (ncap > c->out_cap) {
			if ((n = realloc(c->out, ncap)) == NULL) {
				return CORUN_ENOMEM;
			}
			c->out = n;
			c->out_cap = ncap;
		}
	}
	if (skip < alen) {
		memcpy(c->out + c->out_len, a + skip, alen - skip);
		c->out_len += alen - skip;
		skip = alen;
	}
	memcpy(c->out + c->out_len, b + (skip - alen), blen - (skip - alen));
	c->out_len += blen - (skip - alen);
	return 0;
}

void
cr_spipc_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct cr_spipc *c = arg;
	int rv;

	(void)fd;
	(void)what;
	c->busy++;
	if ((rv = out_flush(c)) < 0) {
		conn_fail_errno(c, "send", errno);
	} else if (rv == 0) {
		event_del(c->wev);
		if (c->drain) {
			c->drain = 0;
			c->ops->on_drained(c->arg);
		}
	}			/* (rv > 0: still full, wait again) */
	leave(c);
}

int
cr_spipc_send(struct cr_spipc *c, const uint8_t *buf, size_t len)
{
	uint8_t head[SP_HEAD];
	size_t done = 0;

	if (c->over || c->dead) {
		return CORUN_ECLOSED;
	}
	head[0] = SP_MSG;
	put_be(head + 1, (uint64_t)len + 4, 8);
	put_be(head + 9, 1, 4);		/* one hop: nng's PAIR1 sends 1 */
	if (writing_ok(c) && c->out_off == c->out_len) {
		struct iovec iov[2] = {
			{ head, sizeof(head) }, { (void *)buf, len }
		};
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
		ssize_t n;

		do {
			n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		} while (n < 0 && errno == EINTR);
		if (n == (ssize_t)(sizeof(head) + len)) {
			return 0;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(c->why, sizeof(c->why), "send: %s",
			    strerror(errno));
			cr_spipc_drop(c);
			if (c->lfd >= 0) {
				return 0;	/* dropped with its peer */
			}
			c->over = 1;
			return CORUN_ECLOSED;
		}
		done = n > 0 ? (size_t)n : 0;
	}
	if (out_append(c, head, sizeof(head), buf, len, done) != 0) {
		return CORUN_ENOMEM;
	}
	if (writing_ok(c)) {
		event_add(c->wev, NULL);
	}
	return 0;
}

void
cr_spipc_notify_drained(struct cr_spipc *c)
{
	c->drain = 1;
	if (c->wev != NULL) {
		event_add(c->wev, NULL);	/* writable: on_write tells */
	}
}

size_t
cr_spipc_queued(const struct cr_spipc *c)
{
	return c->out_len - c->out_off;
}

const char *
cr_spipc_why(const struct cr_spipc *c)
{
	return c->why;
}

/* ---- reading ---------------------------------------------------------- */

/* Check the greeting at p (8 bytes): 0, or -1 with why. */
static int
greeting_ok(struct cr_spipc *c, const uint8_t *p)
{
	if (p[0] != 0 || p[1] != 'S' || p[2] != 'P' || p[3] != 0 ||
	    p[6] != 0 || p[7] != 0) {
		conn_fail(c, "bad greeting (not nng's SP protocol)");
		return -1;
	}
	if (get_be(p + 4, 2) != CR_SPIPC_PAIR1) {
		conn_fail(c, "bad greeting (the peer is not PAIR1)");
		return -1;
	}
	c->greeted = 1;
	if (c->tmo != NULL) {
		event_del(c->tmo);
	}
	if (c->out_len > c->out_off) {
		event_add(c->wev, NULL);	/* what waited for the peer */
	}
	return 0;
}

/*
 * Hand over every whole message in the buffer.  0 when more is needed,
 * -1 when the connection went (or c was closed by a callback).
 */
static int
parse(struct cr_spipc *c)
{
	while (c->fd >= 0 && !c->dead) {
		const uint8_t *p = c->in + c->in_off;
		size_t avail = c->in_len - c->in_off;
		uint64_t len, hops;

		if (!c->greeted) {
			if (avail < CR_SPIPC_GREET_LEN) {
				return 0;
			}
			c->in_off += CR_SPIPC_GREET_LEN;
			if (greeting_ok(c, p) != 0) {
				return -1;
			}
			continue;
		}
		if (avail < SP_HEAD - 4) {
			return 0;
		}
		len = get_be(p + 1, 8);
		if (p[0] != SP_MSG || len < 4 || len - 4 > c->max) {
			conn_fail(c, p[0] != SP_MSG ? "bad message type" :
			    len < 4 ? "message without PAIR1's header" :
			    "message over the size limit");
			return -1;
		}
		if (avail < SP_HEAD - 4 + len) {
			return 0;
		}
		if ((hops = get_be(p + 9, 4)) > 0xff) {
			conn_fail(c, "malformed PAIR1 header");
			return -1;
		}
		c->in_off += SP_HEAD - 4 + len;
		if (hops <= SP_MAXHOPS) {	/* more: dropped, as nng does */
			c->ops->on_msg(c->arg, p + SP_HEAD, len - 4);
		}
	}
	return -1;
}

/* Room for the next read: the whole message in hand, or a chunk. */
static int
in_room(struct cr_spipc *c)
{
	size_t want = SP_CHUNK, have = c->in_len - c->in_off;

	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, have);
		c->in_len = have;
		c->in_off = 0;
	}
	if (c->greeted && have >= SP_HEAD - 4) {
		uint64_t len = get_be(c->in + 1, 8);

		if (len + SP_HEAD - 4 > have + want) {
			want = (size_t)len + SP_HEAD - 4 - have;
		}
	}
	if (c->in_len + want > c->in_cap) {
		/* Doubling for chunks: a message's tail does not realloc
		 * at every read. */
		size_t ncap = c->in_len + want;
		uint8_t *n;

		if (want == SP_CHUNK && ncap < 2 * c->in_cap) {
			ncap = 2 * c->in_cap;
		}
		if ((n = realloc(c->in, ncap)) == NULL) {
			return -1;
		}
		c->in = n;
		c->in_cap = ncap;
	}
	return 0;
}

static void
read_some(struct cr_spipc *c)
{
	for (int i = 0; i < SP_READS && c->fd >= 0 && !c->dead; i++) {
		size_t room;
		ssize_t n;

		if (in_room(c) != 0) {
			conn_fail(c, "out of memory reading a message");
			return;
		}
		room = c->in_cap - c->in_len;
		n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			/* (A reset: the peer closed with our bytes unread.) */
			conn_fail(c, "the connection closed");
			return;
		}
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				conn_fail_errno(c, "receive", errno);
			}
			return;
		}
		c->in_len += (size_t)n;
		if (parse(c) != 0 || (size_t)n < room) {
			break;		/* the socket is empty for now */
		}
	}
	if (c->fd >= 0 && c->in_off == c->in_len) {
		c->in_off = c->in_len = 0;
		if (c->in_cap > SP_KEEP) {
			free(c->in);
			c->in = NULL;
			c->in_cap = 0;
		}
	}
}

void
cr_spipc_read(struct cr_spipc *c)
{
	if (c->reading || c->dead) {
		return;
	}
	c->reading = 1;
	c->busy++;
	read_some(c);
	c->reading = 0;
	leave(c);
}

void
cr_spipc_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct cr_spipc *c = arg;

	(void)fd;
	(void)what;
	if (c->ops->rx_hold == NULL || !c->ops->rx_hold(c->arg)) {
		cr_spipc_read(c);
	}
}

void
cr_spipc_stop_rx(struct cr_spipc *c)
{
	if (c->rev != NULL) {
		event_free(c->rev);
		c->rev = NULL;
	}
}

