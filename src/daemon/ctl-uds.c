/* SPDX-License-Identifier: MIT */
/*
 * ctl-uds.c - corund's ipc:// control listener on the loop's thread.
 *
 * Through nng, a request crossed threads four times before its reply
 * left (the listener's thread accepts, another greets, a third reads
 * the message, the loop is woken through an eventfd), each a wake-up of
 * a scheduler on a busy 2-core machine: most of what `corun status`
 * waited for (BENCHMARKS.md, client_status).  This file speaks the same
 * wire itself, in libevent callbacks of the daemon's loop, so nngcat,
 * nng REQ sockets and corun's own client (client-ipc.c) all still talk
 * to it:
 *
 *   greeting  8 bytes each way: "\0SP\0", the protocol number (0x00 0x31
 *             for REP from us, 0x00 0x30 for REQ from the peer), "\0\0";
 *   message   a type byte 1, a 64-bit big-endian length, the body;
 *   REQ body  the routing header - 4-byte big-endian words, the last
 *             (the request id) with its high bit set, at most 8 - then
 *             the request.  The reply carries the same header back.
 *
 * Replies are written at once when the socket takes them (the usual
 * case: a reply of a few kilobytes) and otherwise queued behind a write
 * event.  Our greeting goes once the peer's is read: at once when the
 * peer waits for it (nng's REQ sends its request only then), or in the
 * same write as the first reply when the request came with the greeting
 * (corun's client sends both at once), so that the client is woken once,
 * for the reply, and not first for a greeting alone.  nng 1.5.2's ipc listener also went deaf after a connection
 * closed before the greeting (nng issue 1518), which a thread had to
 * watch for; this one does not, and a socket file that was deleted is
 * made again by a timer that checks it every few seconds.
 */
#include "config.h"

#define _GNU_SOURCE 1

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctl-uds.h"
#include "lib/cr-spipc.h"
#include "daemon.h"

#define SP_REQ0 0x30
#define SP_REP0 0x31
#define SP_MSG 1
#define SP_MAXHOPS 8
#define UDS_CHECK_S 3		/* seconds between checks of the file */
#define UDS_READ 65536		/* room made for each read */

struct cd_uds_conn {
	struct cd_uds *u;	/* NULL once closed */
	int fd;
	int refs;		/* 1 while open, + each cd_uds_hold */
	struct event *rev, *wev;
	int greeted;		/* the peer's greeting was read */
	int owe_greeting;	/* ours goes with the first reply */
	char *in;		/* what was read and not yet taken */
	size_t in_len, in_cap;
	char *out;		/* what the socket did not take yet */
	size_t out_len, out_off;
	struct cd_uds_conn *prev, *next;
};

struct cd_uds {
	struct event_base *base;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	dev_t dev;
	ino_t ino;
	struct event *lev, *tick;
	size_t cap;
	const struct cd_uds_ops *ops;
	void *arg;
	struct cd_uds_conn *conns;
};

static const unsigned char greeting[8] = { 0, 'S', 'P', 0, 0, SP_REP0 };

static void conn_kill(struct cd_uds_conn *c);

static void
conn_free(struct cd_uds_conn *c)
{
	free(c->in);
	free(c->out);
	free(c);
}

void
cd_uds_hold(struct cd_uds_conn *c)
{
	c->refs++;
}

void
cd_uds_release(struct cd_uds_conn *c)
{
	if (--c->refs == 0) {
		conn_free(c);
	}
}

/* Write what is queued; 0, or -1 when the connection broke. */
static int
conn_flush(struct cd_uds_conn *c)
{
	int rc = cr_sock_flush(c->fd, c->out, c->out_len, &c->out_off);

	if (rc == 1) {
		event_add(c->wev, NULL);
		return 0;
	}
	if (rc != 0) {
		return -1;
	}
	c->out_len = c->out_off = 0;
	event_del(c->wev);
	return 0;
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	struct cd_uds_conn *c = arg;

	(void)fd;
	(void)what;
	if (conn_flush(c) != 0) {
		conn_kill(c);
	}
}

/* Append n bytes at p to the queue. */
static int
queue_out(struct cd_uds_conn *c, const void *p, size_t n)
{
	char *o = realloc(c->out, c->out_len + n);

	if (o == NULL) {
		return -1;
	}
	memcpy(o + c->out_len, p, n);
	c->out = o;
	c->out_len += n;
	return 0;
}

int
cd_uds_send(struct cd_uds_conn *c, const unsigned char *hdr, size_t hlen,
    const char *body, size_t len)
{
	unsigned char head[9];
	uint64_t n = (uint64_t)hlen + len;
	struct iovec iov[4];
	size_t sent = 0, total = 9 + hlen + len;
	ssize_t w;

	if (c->u == NULL) {
		return -1;
	}
	head[0] = SP_MSG;
	for (int i = 0; i < 8; i++) {
		head[1 + i] = (unsigned char)(n >> (56 - 8 * i));
	}
	/* Our greeting first when it is still owed (see the top). */
	iov[0] = (struct iovec){ (void *)greeting, c->owe_greeting ?
	    sizeof(greeting) : 0 };
	iov[1] = (struct iovec){ head, 9 };
	iov[2] = (struct iovec){ (void *)hdr, hlen };
	iov[3] = (struct iovec){ (void *)body, len };
	total += iov[0].iov_len;
	c->owe_greeting = 0;
	if (c->out_len == 0) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 4 };

		do {
			w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		} while (w < 0 && errno == EINTR);
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			conn_kill(c);
			return -1;
		}
		sent = w > 0 ? (size_t)w : 0;
		if (sent == total) {
			return 0;
		}
	}
	/* The rest goes behind what is queued. */
	for (int i = 0; i < 4; i++) {
		size_t skip = sent < iov[i].iov_len ? sent : iov[i].iov_len;

		sent -= skip;
		if (iov[i].iov_len > skip && queue_out(c,
		    (char *)iov[i].iov_base + skip, iov[i].iov_len - skip) != 0) {
			conn_kill(c);
			return -1;
		}
	}
	event_add(c->wev, NULL);
	return 0;
}

/* The routing header's length (ending with the word whose high bit is
   set), or 0 when the body has none: nng's REP drops such a message. */
static size_t
req_header(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < SP_MAXHOPS && (i + 1) * 4 <= len; i++) {
		if (p[i * 4] & 0x80) {
			return (i + 1) * 4;
		}
	}
	return 0;
}

/*
 * Take the messages that arrived whole: 0, or -1 for a connection that
 * broke the protocol (closed, as nng closes it).
 */
static int
conn_parse(struct cd_uds_conn *c)
{
	size_t pos = 0;

	if (!c->greeted) {
		const unsigned char *g = (unsigned char *)c->in;

		if (c->in_len < 8) {
			return 0;
		}
		if (memcmp(g, "\0SP\0", 4) != 0 || g[4] != 0 ||
		    g[5] != SP_REQ0 || g[6] != 0 || g[7] != 0) {
			return -1;
		}
		c->greeted = 1;
		pos = 8;
		if (c->in_len == 8 && send(c->fd, greeting, sizeof(greeting),
		    MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(greeting)) {
			return -1;
		}
		c->owe_greeting = c->in_len > 8;
	}
	while (c->u != NULL && c->in_len - pos >= 9) {
		const unsigned char *m = (unsigned char *)c->in + pos;
		uint64_t n = 0;
		size_t hl;

		for (int i = 0; i < 8; i++) {
			n = n << 8 | m[1 + i];
		}
		if (m[0] != SP_MSG || n > c->u->cap) {
			return -1;
		}
		if (c->in_len - pos - 9 < n) {
			break;
		}
		if ((hl = req_header(m + 9, (size_t)n)) > 0) {
			c->u->ops->request(c->u->arg, c, m + 9, hl,
			    (const char *)m + 9 + hl, (size_t)n - hl);
		}
		pos += 9 + (size_t)n;
	}
	memmove(c->in, c->in + pos, c->in_len - pos);
	c->in_len -= pos;
	return 0;
}

/* Room for the next read: UDS_READ bytes, or the whole message whose
   header is in. */
static int
conn_room(struct cd_uds_conn *c)
{
	size_t want = c->in_len + UDS_READ;
	char *p;

	if (want <= c->in_cap) {
		return 0;
	}
	if (c->in_cap > 0 && want < c->in_cap * 2) {
		want = c->in_cap * 2;
	}
	if ((p = realloc(c->in, want)) == NULL) {
		return -1;
	}
	c->in = p;
	c->in_cap = want;
	return 0;
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct cd_uds_conn *c = arg;
	ssize_t n;

	(void)what;
	cd_uds_hold(c);		/* request() may end it */
	for (int round = 0; round < 16 && c->u != NULL; round++) {
		if (conn_room(c) != 0) {
			conn_kill(c);
			break;
		}
		n = recv(fd, c->in + c->in_len, c->in_cap - c->in_len,
		    MSG_DONTWAIT);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		}
		if (n <= 0) {
			conn_kill(c);
			break;
		}
		c->in_len += (size_t)n;
		if (conn_parse(c) != 0) {
			conn_kill(c);
			break;
		}
	}
	cd_uds_release(c);
}

/* Close the connection; its memory stays while it is held. */
static void
conn_kill(struct cd_uds_conn *c)
{
	struct cd_uds *u = c->u;

	if (u == NULL) {
		return;
	}
	if (c->prev != NULL) {
		c->prev->next = c->next;
	} else {
		u->conns = c->next;
	}
	if (c->next != NULL) {
		c->next->prev = c->prev;
	}
	c->u = NULL;
	event_free(c->rev);
	event_free(c->wev);
	close(c->fd);
	c->fd = -1;
	cd_uds_release(c);
}

static void
conn_new(struct cd_uds *u, int fd)
{
	struct cd_uds_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(fd);
		return;
	}
	c->u = u;
	c->fd = fd;
	c->refs = 1;
	c->rev = event_new(u->base, fd, EV_READ | EV_PERSIST, on_read, c);
	c->wev = event_new(u->base, fd, EV_WRITE, on_write, c);
	if (c->rev == NULL || c->wev == NULL) {
		if (c->rev != NULL) {
			event_free(c->rev);
		}
		if (c->wev != NULL) {
			event_free(c->wev);
		}
		close(fd);
		free(c);
		return;
	}
	c->next = u->conns;
	if (u->conns != NULL) {
		u->conns->prev = c;
	}
	u->conns = c;
	event_add(c->rev, NULL);
	/*
	 * A client sends its request right after connect(2), and by the time
	 * we are woken to accept, it is often there: read it now rather than
	 * after another trip through epoll.
	 */
	on_read(fd, EV_READ, c);
}

static void
on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct cd_uds *u = arg;
	int cfd;

	(void)what;
	for (int i = 0; i < 64; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0) {
			conn_new(u, cfd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE) {
			/* Out of descriptors: try again with the check. */
			cd_log("control socket: accept: %s", strerror(errno));
			event_del(u->lev);
		}
		break;
	}
}

/* Bind and listen on u->path (0600): 0, or an errno value. */
static int
uds_bind(struct cd_uds *u)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, e;

	memcpy(sa.sun_path, u->path, strlen(u->path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return errno;
	}
	if (lstat(u->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		unlink(u->path);	/* stale: nobody listens on it */
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(u->path, 0600) != 0 || listen(fd, 128) != 0 ||
	    stat(u->path, &st) != 0) {
		e = errno;
		close(fd);
		return e;
	}
	u->fd = fd;
	u->dev = st.st_dev;
	u->ino = st.st_ino;
	return 0;
}

/* Listen on a new socket (the file was deleted or replaced). */
static void
uds_rebind(struct cd_uds *u)
{
	int old = u->fd, e;

	event_free(u->lev);
	u->lev = NULL;
	if ((e = uds_bind(u)) != 0) {
		u->fd = old;
		cd_log("control socket: cannot listen on %s again: %s",
		    u->path, strerror(e));
	} else {
		close(old);
		cd_log("control socket: %s was gone; listening again",
		    u->path);
	}
	u->lev = event_new(u->base, u->fd, EV_READ | EV_PERSIST, on_accept,
	    u);
	if (u->lev != NULL) {
		event_add(u->lev, NULL);
	}
}

/* Every few seconds: the file is still ours, and accepting is on. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct cd_uds *u = arg;
	struct stat st;

	(void)fd;
	(void)what;
	if (stat(u->path, &st) != 0 || st.st_dev != u->dev ||
	    st.st_ino != u->ino) {
		uds_rebind(u);
	} else if (u->lev != NULL && !event_pending(u->lev, EV_READ, NULL)) {
		event_add(u->lev, NULL);	/* after EMFILE */
	}
}

int
cd_uds_open(struct event_base *base, const char *path, size_t cap,
    const struct cd_uds_ops *ops, void *arg, struct cd_uds **out,
    char *why, size_t whysize)
{
	struct timeval tv = { UDS_CHECK_S, 0 };
	struct cd_uds *u;
	int e;

	*out = NULL;
	if (strlen(path) >= sizeof(u->path)) {
		snprintf(why, whysize, "%s: socket path too long", path);
		return CORUN_ERANGE;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	u->base = base;
	u->cap = cap;
	u->ops = ops;
	u->arg = arg;
	u->fd = -1;
	snprintf(u->path, sizeof(u->path), "%s", path);
	if ((e = uds_bind(u)) != 0) {
		snprintf(why, whysize, "listen on ipc://%s: %s%s", path,
		    strerror(e), e == EADDRINUSE ?
		    " (another corund serves it?)" : "");
		free(u);
		return CORUN_ESYS;
	}
	u->lev = event_new(base, u->fd, EV_READ | EV_PERSIST, on_accept, u);
	u->tick = event_new(base, -1, EV_PERSIST, on_tick, u);
	if (u->lev == NULL || u->tick == NULL) {
		*out = u;
		cd_uds_close(u);
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	event_add(u->lev, NULL);
	event_add(u->tick, &tv);
	*out = u;
	return 0;
}

void
cd_uds_flush(struct cd_uds *u, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct cd_uds_conn *c, *next;
		int busy = 0;

		for (c = u->conns; c != NULL; c = next) {
			next = c->next;
			if (c->out_len > 0 && conn_flush(c) != 0) {
				conn_kill(c);
			} else if (c->out_len > 0) {
				busy = 1;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (!busy || (t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms) {
			return;
		}
		poll(NULL, 0, 5);
	}
}

void
cd_uds_close(struct cd_uds *u)
{
	struct stat st;

	if (u == NULL) {
		return;
	}
	while (u->conns != NULL) {
		conn_kill(u->conns);
	}
	if (u->lev != NULL) {
		event_free(u->lev);
	}
	if (u->tick != NULL) {
		event_free(u->tick);
	}
	if (u->fd >= 0) {
		close(u->fd);
		if (stat(u->path, &st) == 0 && st.st_dev == u->dev &&
		    st.st_ino == u->ino) {
			unlink(u->path);
		}
	}
	free(u);
}
