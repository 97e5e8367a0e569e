/* SPDX-License-Identifier: MIT */
/*
 * top-fetch.c - one HTTP/1.0 GET for corun top (top.h): a blocking
 * socket bounded by poll timeouts; corun top has nothing else to do
 * meanwhile.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "top.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for fd to be ready for ev before deadline: 0, or -1 (timeout). */
static int
wait_fd(int fd, short ev, double deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	double left = deadline - now_s();

	return left > 0 && poll(&p, 1, (int)(left * 1000) + 1) > 0 ? 0 : -1;
}

static int
dial(const char *host, int port, double deadline, char *why, size_t whysize)
{
	struct addrinfo hints = { 0 }, *ai, *a;
	char ps[16];
	int fd = -1, rc, err = 0;
	socklen_t len = sizeof(err);

	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%d", port);
	if ((rc = getaddrinfo(host, ps, &hints, &ai)) != 0) {
		snprintf(why, whysize, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (a = ai; a != NULL && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0 &&
		    (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) != 0
		    || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
		    err != 0)) {
			snprintf(why, whysize, "%s", err != 0 ? strerror(err) :
			    errno != EINPROGRESS ? strerror(errno) : "timed out");
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

/* Read until the peer closes (HTTP/1.0) into b. */
static int
read_all(int fd, struct cm_buf *b, double deadline, char *why,
    size_t whysize)
{
	char chunk[16384];
	ssize_t n;

	for (;;) {
		if (wait_fd(fd, POLLIN, deadline) != 0) {
			snprintf(why, whysize, "timed out");
			return -1;
		}
		if ((n = read(fd, chunk, sizeof(chunk))) == 0) {
			return 0;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(why, whysize, "%s", strerror(errno));
			return -1;
		}
		if (n > 0 && cm_buf_add(b, chunk, (size_t)n) != 0) {
			snprintf(why, whysize, "out of memory");
			return -1;
		}
	}
}

int
cli_http_get(const char *host, int port, const char *path, double timeout_s,
    char **body, char *why, size_t whysize)
{
	double deadline = now_s() + timeout_s;
	struct cm_buf b = { 0 };
	char req[512], *sep;
	int fd, n, rc = -1;

	*body = NULL;
	if ((fd = dial(host, port, deadline, why, whysize)) < 0) {
		return -1;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n"
	    "Connection: close\r\n\r\n", path, host);
	if (write(fd, req, (size_t)n) != n) {
		snprintf(why, whysize, "cannot send: %s", strerror(errno));
	} else if (read_all(fd, &b, deadline, why, whysize) == 0) {
		if (b.p == NULL || strncmp(b.p, "HTTP/1.", 7) != 0 ||
		    (sep = strstr(b.p, "\r\n\r\n")) == NULL) {
			snprintf(why, whysize, "not an HTTP answer");
		} else if (strncmp(b.p + 8, " 200", 4) != 0) {
			snprintf(why, whysize, "%s answered %.40s", path, b.p);
			why[strcspn(why, "\r\n")] = '\0';
		} else {
			*body = strdup(sep + 4);
			rc = *body != NULL ? 0 : -1;
		}
	}
	cm_buf_free(&b);
	close(fd);
	return rc;
}
