/* SPDX-License-Identifier: MIT */
/*
 * client-ipc.c - one request to corund over ipc:// with plain system
 * calls, speaking nng's REQ protocol on its IPC transport itself.
 *
 * A `corun status` spent most of its time in nng rather than in the
 * request: nng 1.5 starts about ten threads with the first socket (task
 * queues, timers, the poller, the resolvers) and joins them at exit,
 * 3.5 ms of CPU and 70 context switches for a request of a few hundred
 * bytes (BENCHMARKS.md, client_status).  One request and one reply need
 * none of that: connect(2), an 8-byte greeting each way ("\0SP\0", the
 * protocol number: 0x30 REQ, 0x31 REP, two zero bytes), then one
 * message each way (a type byte 1, a 64-bit big-endian length, and the
 * body, which REQ and REP open with the 4-byte request id, high bit
 * set): nng's IPC transport, as corund speaks it (src/daemon/ctl-uds.c).  The
 * client then costs about what task-spooler's does.
 *
 * The server is checked before anything is sent: the uid on the other
 * end of the socket (SO_PEERCRED) must be ours or root's.  A request is never resent: a connection that
 * ends before the reply is reported, as client.c's REQ socket (resending
 * off) reports a lost daemon.
 */
#include "config.h"

#define _GNU_SOURCE 1

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "client-internal.h"

#define SP_REQ0 0x30		/* nng's protocol numbers: req0, rep0 */
#define SP_REP0 0x31
#define SP_MSG 1		/* the IPC transport's message type */
#define SEND_TIMEOUT_MS 10000	/* as client.c's NNG_OPT_SENDTIMEO */

/* Milliseconds since an arbitrary start. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until fd is ready for ev, or the deadline (-1: none) passed:
 * 0, or an errno value (ETIMEDOUT).
 */
static int
wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int ms, n;

	for (;;) {
		ms = deadline < 0 ? -1 : (int)(deadline - now_ms());
		if (deadline >= 0 && ms < 0) {
			ms = 0;
		}
		n = poll(&p, 1, ms);
		if (n > 0) {
			return 0;
		}
		if (n == 0) {
			return ETIMEDOUT;
		}
		if (errno != EINTR) {
			return errno;
		}
	}
}

/* Send all of buf: 0, or an errno value. */
static int
send_all(int fd, const void *buf, size_t len, int64_t deadline)
{
	const char *p = buf;
	ssize_t n;
	int rv;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			return errno;
		}
		if ((rv = wait_fd(fd, POLLOUT, deadline)) != 0) {
			return rv;
		}
	}
	return 0;
}

/*
 * What was read ahead: corund sends its greeting, the reply's header and
 * a short reply in one write, taken here in one recv instead of three.
 */
struct rbuf {
	unsigned char b[4096];
	size_t off, len;
};

/* Read exactly len bytes: 0, ECONNRESET at end of file, or an errno. */
static int
recv_all(int fd, struct rbuf *rb, void *buf, size_t len, int64_t deadline)
{
	char *p = buf;
	ssize_t n;
	int rv;

	while (len > 0) {
		if (rb->off < rb->len) {
			n = (ssize_t)(rb->len - rb->off < len ?
			    rb->len - rb->off : len);
			memcpy(p, rb->b + rb->off, (size_t)n);
			rb->off += (size_t)n;
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (len < sizeof(rb->b)) {
			n = recv(fd, rb->b, sizeof(rb->b), MSG_DONTWAIT);
			rb->off = 0;
			rb->len = n > 0 ? (size_t)n : 0;
			if (n > 0) {
				continue;
			}
		} else {
			n = recv(fd, p, len, MSG_DONTWAIT);
		}
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0) {
			return ECONNRESET;
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			return errno;
		}
		if ((rv = wait_fd(fd, POLLIN, deadline)) != 0) {
			return rv;
		}
	}
	return 0;
}

static void
put64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++) {
		v = v << 8 | p[i];
	}
	return v;
}

/* Connect to the socket path of url: the fd, or -1 with *err set. */
static int
connect_url(const char *url, int *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = url + strlen("ipc://");
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		*err = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		*err = errno;
		return -1;
	}
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno != EINTR) {
			*err = errno;
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* The peer must run as our uid or root: 0, or -1 with a line printed. */
static int
peer_is_ours(int fd, const char *url)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
		cli_warn("%s: cannot tell who serves it; nothing sent", url);
		return -1;
	}
	if (cr.uid != 0 && cr.uid != geteuid()) {
		cli_warn("%s is served by uid %llu, not by uid %ld or root: "
		    "not corund; nothing sent", url,
		    (unsigned long long)cr.uid, (long)geteuid());
		return -1;
	}
	return 0;
}

/* The REP's greeting: 0, or an errno (EPROTO). */
static int
greeted(int fd, struct rbuf *rb, int64_t deadline)
{
	unsigned char in[8];
	int rv;

	if ((rv = recv_all(fd, rb, in, sizeof(in), deadline)) != 0) {
		return rv;
	}
	if (memcmp(in, "\0SP\0", 4) != 0 || in[4] != 0 || in[5] != SP_REP0) {
		return EPROTO;
	}
	return 0;
}

/*
 * Our greeting and the request (its 4-byte id first), in one write when
 * memory allows, so that corund reads them in one wake-up; nng's REQ
 * does not wait for the REP's greeting either.  0, or an errno.
 */
static int
send_request(int fd, uint32_t id, const char *text, size_t len,
    int64_t deadline)
{
	unsigned char head[21] = { 0, 'S', 'P', 0, 0, SP_REQ0, 0, 0 };
	unsigned char *all;
	int rv;

	head[8] = SP_MSG;
	put64(head + 9, (uint64_t)len + 4);
	head[17] = (unsigned char)(id >> 24);
	head[18] = (unsigned char)(id >> 16);
	head[19] = (unsigned char)(id >> 8);
	head[20] = (unsigned char)id;
	if ((all = malloc(sizeof(head) + len)) == NULL) {
		if ((rv = send_all(fd, head, sizeof(head), deadline)) != 0) {
			return rv;
		}
		return send_all(fd, text, len, deadline);
	}
	memcpy(all, head, sizeof(head));
	memcpy(all + sizeof(head), text, len);
	rv = send_all(fd, all, sizeof(head) + len, deadline);
	free(all);
	return rv;
}

/* The reply to request id into a malloc'ed *body: 0, or an errno. */
static int
recv_reply(int fd, struct rbuf *rb, uint32_t id, int64_t deadline,
    char **body, size_t *blen)
{
	unsigned char head[13];
	uint64_t len;
	uint32_t got;
	char *buf;
	int rv;

	if ((rv = recv_all(fd, rb, head, sizeof(head), deadline)) != 0) {
		return rv;
	}
	len = get64(head + 1);
	got = (uint32_t)head[9] << 24 | (uint32_t)head[10] << 16 |
	    (uint32_t)head[11] << 8 | head[12];
	if (head[0] != SP_MSG || len < 4 || got != id ||
	    len - 4 > SIZE_MAX - 1) {
		return EPROTO;
	}
	if ((buf = malloc((size_t)(len - 4) + 1)) == NULL) {
		return ENOMEM;
	}
	if ((rv = recv_all(fd, rb, buf, (size_t)(len - 4), deadline)) != 0) {
		free(buf);
		return rv;
	}
	buf[len - 4] = '\0';
	*body = buf;
	*blen = (size_t)(len - 4);
	return 0;
}

static const char *
why_text(int err)
{
	switch (err) {
	case ETIMEDOUT:
		return "no reply in time";
	case ECONNRESET:
	case EPIPE:
		return "connection closed before its reply";
	case EPROTO:
		return "not an nng REP socket (protocol error)";
	default:
		return strerror(err);
	}
}

int
cli_client_ipc_call(const char *url, const char *text, size_t len,
    double timeout, char **reply, size_t *rlen)
{
	int64_t start = now_ms();
	int64_t send_by = start + SEND_TIMEOUT_MS;
	int64_t reply_by = timeout < 0 ? -1 : start + (int64_t)(timeout * 1000);
	struct rbuf rb = { .off = 0, .len = 0 };
	uint32_t id;
	int fd, rv;

	if ((fd = connect_url(url, &rv)) < 0) {
		cli_warn("cannot reach corund at %s: %s (is it running? "
		    "-S URL or $CORUN_SOCKET name another socket)", url,
		    rv == ENOENT ? strerror(ECONNREFUSED) : strerror(rv));
		return -1;
	}
	if (peer_is_ours(fd, url) != 0) {
		close(fd);
		return -1;
	}
	/* A request id as REQ makes one: the high bit set. */
	id = 0x80000000u | (((uint32_t)getpid() << 8) ^ (uint32_t)start);
	if ((rv = send_request(fd, id, text, len, send_by)) == 0 &&
	    (rv = greeted(fd, &rb, send_by)) == 0) {
		rv = recv_reply(fd, &rb, id, reply_by, reply, rlen);
	}
	close(fd);
	if (rv != 0) {
		cli_warn("corund at %s: %s", url, why_text(rv));
		return -1;
	}
	return 0;
}
