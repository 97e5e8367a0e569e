/* SPDX-License-Identifier: MIT */
/*
 * kind-net.c - a TCP request: connect to HOST:PORT, send the request,
 * half-close, and read the reply until the peer closes it.
 *
 * Everything is non-blocking on the loop except name resolution: a host
 * that is not a numeric address goes through getaddrinfo(), which blocks
 * the loop for as long as the lookup takes (/etc/hosts answers at once; a
 * slow DNS server stalls the loop's other jobs).  The job timeout covers
 * the connect, the send and the reply.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corun/task.h>

#include "kinds-internal.h"

#define NET_HOST_MAX 255

/* Split "host:port" or "[v6]:port"; 0 or CORUN_EINVAL with a message. */
static int
parse_addr(corun_job_ctx *ctx, const char *a, size_t alen, char *host,
    char *port)
{
	const char *colon, *h = a;
	size_t hlen, plen;

	if (alen > 0 && a[0] == '[') {
		const char *rb = memchr(a, ']', alen);

		if (rb == NULL || (size_t)(rb - a) + 1 >= alen ||
		    rb[1] != ':') {
			goto bad;
		}
		h = a + 1;
		hlen = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = NULL;
		for (size_t i = 0; i < alen; i++) {
			if (a[i] == ':') {
				colon = a + i;
			}
		}
		if (colon == NULL) {
			goto bad;
		}
		hlen = (size_t)(colon - a);
		if (memchr(a, ':', hlen) != NULL) {
			goto bad;	/* bare IPv6: needs brackets */
		}
	}
	plen = alen - (size_t)(colon + 1 - a);
	if (hlen == 0 || hlen > NET_HOST_MAX || plen == 0 || plen > 5) {
		goto bad;
	}
	for (size_t i = 0; i < plen; i++) {
		if (colon[1 + i] < '0' || colon[1 + i] > '9') {
			goto bad;
		}
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memcpy(port, colon + 1, plen);
	port[plen] = '\0';
	if (atoi(port) < 1 || atoi(port) > 65535) {
		goto bad;
	}
	return 0;
bad:
	return corun_job_fail(ctx, CORUN_EINVAL, "net: bad payload: address "
	    "'%.*s' is not HOST:PORT or [IPV6]:PORT with a port 1-65535",
	    (int)(alen > 300 ? 300 : alen), a);
}

/* Connect one address without blocking; 0, or an errno value. */
static int
try_connect(const struct addrinfo *ai, int *fdp, int *cancelled)
{
	socklen_t sl = sizeof(int);
	int fd, err = 0, rc;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		return errno;
	}
	while ((rc = connect(fd, ai->ai_addr, ai->ai_addrlen)) != 0 &&
	    errno == EINTR) {
		continue;
	}
	if (rc != 0 && errno != EINPROGRESS) {
		err = errno;
	} else if (rc != 0) {
		if ((rc = corun_wait_fd(fd, CORUN_WRITE, CORUN_NO_TIMEOUT, NULL)) != 0) {
			*cancelled = rc;
			err = EINTR;
		} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
		    &sl) != 0) {
			err = errno;
		}
	}
	if (err != 0) {
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

static int
send_all(int fd, const char *p, size_t len, int *err)
{
	ssize_t n;
	int rc;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((rc = corun_wait_fd(fd, CORUN_WRITE, CORUN_NO_TIMEOUT,
			    NULL)) != 0) {
				return rc;
			}
		} else if (n < 0 && errno != EINTR) {
			*err = errno;
			return CORUN_ESYS;
		}
	}
	return 0;
}

static int
recv_all(corun_job_ctx *ctx, int fd, int *err)
{
	char buf[16384];
	ssize_t n;
	int rc;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			if ((rc = corun_job_write_out(ctx, buf,
			    (size_t)n)) != 0) {
				return rc;
			}
		} else if (n == 0) {
			return 0;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if ((rc = corun_wait_fd(fd, CORUN_READ, CORUN_NO_TIMEOUT,
			    NULL)) != 0) {
				return rc;
			}
		} else if (errno != EINTR) {
			*err = errno;
			return CORUN_ESYS;
		}
	}
}

int
wk_kind_net(corun_job_ctx *ctx)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[NET_HOST_MAX + 1], port[8], shown[NET_HOST_MAX + 8];
	const char *nul, *req, *stage;
	size_t alen, reqlen;
	int fd = -1, rc, err = 0, cancelled = 0;

	nul = memchr(ctx->payload, '\0', ctx->len);
	alen = nul != NULL ? (size_t)(nul - ctx->payload) : ctx->len;
	req = nul != NULL ? nul + 1 : ctx->payload + ctx->len;
	reqlen = ctx->len - (size_t)(req - ctx->payload);
	if ((rc = parse_addr(ctx, ctx->payload, alen, host, port)) != 0) {
		return rc;
	}
	snprintf(shown, sizeof(shown), strchr(host, ':') != NULL ?
	    "[%s]:%s" : "%s:%s", host, port);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc != 0) {
		return corun_job_fail(ctx, CORUN_EFAILED, "resolve %s: %s",
		    shown, rc == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(rc));
	}
	/* Each address in turn, as a client should; the last error wins. */
	for (ai = res; ai != NULL && !cancelled; ai = ai->ai_next) {
		if ((err = try_connect(ai, &fd, &cancelled)) == 0) {
			break;
		}
	}
	freeaddrinfo(res);
	if (cancelled) {
		return cancelled;
	}
	if (fd < 0) {
		return corun_job_fail(ctx, CORUN_EFAILED, "connect %s: %s",
		    shown, strerror(err));
	}
	stage = "send to";
	rc = send_all(fd, req, reqlen, &err);
	if (rc == 0) {
		/* A half-close tells request/EOF servers the request ended. */
		shutdown(fd, SHUT_WR);
		stage = "receive from";
		rc = recv_all(ctx, fd, &err);
	}
	close(fd);
	if (rc == CORUN_ESYS) {
		return corun_job_fail(ctx, CORUN_EFAILED, "%s %s: %s", stage,
		    shown, strerror(err));
	}
	return rc;
}
