/* SPDX-License-Identifier: MIT */
/*
 * spipc-open.c - a PAIR1 connection over ipc:// (spipc.c): listening for
 * the one peer, dialling, the greeting, closing.
 */
#include "config.h"

#define _GNU_SOURCE 1

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <corun/error.h>

#include "spipc-internal.h"

const uint8_t cr_spipc_greeting[CR_SPIPC_GREET_LEN] = {
	0, 'S', 'P', 0, 0, CR_SPIPC_PAIR1, 0, 0
};

/* Take fd as the connection: greet, watch it.  0, or -1 (fd closed). */
static int
conn_start(struct cr_spipc *c, int fd)
{
	ssize_t n;

	do {
		n = send(fd, cr_spipc_greeting, CR_SPIPC_GREET_LEN, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)CR_SPIPC_GREET_LEN ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->greeted = 0;
	c->rev = event_new(c->base, fd, EV_READ | EV_PERSIST,
	    cr_spipc_on_read, c);
	c->wev = event_new(c->base, fd, EV_WRITE | EV_PERSIST,
	    cr_spipc_on_write, c);
	if (c->rev == NULL || c->wev == NULL || event_add(c->rev, NULL) != 0) {
		cr_spipc_drop(c);
		return -1;
	}
	if (c->lfd < 0 && c->out_len > c->out_off) {
		event_add(c->wev, NULL);
	}
	return 0;
}

static void
on_greet_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct cr_spipc *c = arg;

	(void)fd;
	(void)what;
	if (!c->greeted) {
		cr_spipc_drop(c);	/* silent: make way for the real one */
	}
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct cr_spipc *c = arg;
	struct timeval tv = { CR_SPIPC_GREET_S, 0 };
	int fd;

	(void)what;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0 &&
	    errno == EINTR) {
	}
	if (fd < 0) {
		return;
	}
	if (c->fd >= 0) {
		close(fd);	/* one peer: PAIR1 is monogamous */
		return;
	}
	if (conn_start(c, fd) == 0 && c->tmo != NULL) {
		event_add(c->tmo, &tv);
	}
}

static struct cr_spipc *
c_new(struct event_base *base, const char *path, size_t max,
    const struct cr_spipc_ops *ops, void *arg)
{
	struct cr_spipc *c;

	if (strlen(path) >= sizeof(c->path) ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		return NULL;
	}
	c->base = base;
	c->ops = ops;
	c->arg = arg;
	c->max = max;
	c->lfd = c->fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	return c;
}

static int
bind_path(int fd, const char *path)
{
	struct sockaddr_un sa;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		return 0;
	}
	if (errno == EADDRINUSE) {
		/* A file left behind (nobody answers on it) is replaced. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int live = probe >= 0 && connect(probe,
		    (struct sockaddr *)&sa, sizeof(sa)) == 0;

		if (probe >= 0) {
			close(probe);
		}
		if (!live && unlink(path) == 0) {
			return bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		}
		errno = EADDRINUSE;
	}
	return -1;
}

int
cr_spipc_listen(struct event_base *base, const char *path, size_t max,
    const struct cr_spipc_ops *ops, void *arg, struct cr_spipc **out)
{
	struct cr_spipc *c = c_new(base, path, max, ops, arg);
	int err;

	if (c == NULL) {
		errno = ENAMETOOLONG;
		return CORUN_ESYS;
	}
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (c->lfd < 0 || bind_path(c->lfd, path) != 0 ||
	    listen(c->lfd, 4) != 0) {
		err = errno;
		if (c->lfd >= 0) {
			close(c->lfd);
		}
		cr_spipc_free(c);
		errno = err;
		return CORUN_ESYS;
	}
	c->lev = event_new(base, c->lfd, EV_READ | EV_PERSIST, on_accept, c);
	c->tmo = evtimer_new(base, on_greet_timeout, c);
	if (c->lev == NULL || c->tmo == NULL || event_add(c->lev, NULL) != 0) {
		c->fd = -1;
		cr_spipc_close(c);
		errno = ENOMEM;
		return CORUN_ESYS;
	}
	*out = c;
	return 0;
}

int
cr_spipc_dial(struct event_base *base, const char *path, size_t max,
    const struct cr_spipc_ops *ops, void *arg, struct cr_spipc **out)
{
	struct cr_spipc *c = c_new(base, path, max, ops, arg);
	struct sockaddr_un sa;
	int fd, err;

	if (c == NULL) {
		return CORUN_ENOMEM;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		err = errno;
		cr_spipc_free(c);
		return err;
	}
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno != EINTR) {
			err = errno;
			close(fd);
			cr_spipc_free(c);
			return err;
		}
	}
	if (conn_start(c, fd) != 0) {
		cr_spipc_free(c);
		return ECONNRESET;
	}
	*out = c;
	return 0;
}

void
cr_spipc_close(struct cr_spipc *c)
{
	if (c == NULL || c->dead) {
		return;
	}
	cr_spipc_drop(c);
	if (c->tmo != NULL) {
		event_free(c->tmo);
		c->tmo = NULL;
	}
	if (c->lev != NULL) {
		event_free(c->lev);
		c->lev = NULL;
	}
	if (c->lfd >= 0) {
		close(c->lfd);
		c->lfd = -1;
		unlink(c->path);	/* so the run directory can go */
	}
	c->over = 1;
	if (c->busy > 0) {
		c->dead = 1;		/* freed when the callback returns */
		return;
	}
	cr_spipc_free(c);
}
