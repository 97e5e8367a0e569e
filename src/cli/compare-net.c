/* SPDX-License-Identifier: MIT */
/*
 * compare-net.c - the TCP server behind `corun compare --workload net`.
 *
 * It listens on 127.0.0.1 (a port the kernel picks), reads each request
 * until the client half-closes, waits delay_ms as a remote service
 * would, answers one line and closes.  It runs in a child process so its
 * CPU does not count against the supervisor of the model being measured
 * (it is reaped only after every model ran).  It is forked before any
 * pool exists: nng is not fork-safe, and nothing here touches nng.  The
 * child exits when the control pipe closes, so it never outlives
 * compare, even when compare is killed.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compare.h"

struct cli_nconn {
	struct event_base *base;
	struct event *ev;
	struct timeval delay;
	int fd;
};

static void
conn_close(struct cli_nconn *c)
{
	event_free(c->ev);
	close(c->fd);
	free(c);
}

static void
on_delay(evutil_socket_t fd, short what, void *arg)
{
	static const char reply[] = "ok\n";
	struct cli_nconn *c = arg;

	(void)fd;
	(void)what;
	/* A 3-byte reply fits any socket buffer: one send does it. */
	if (send(c->fd, reply, sizeof(reply) - 1, MSG_NOSIGNAL) < 0) {
		/* The client went away: nothing to tell anyone. */
	}
	conn_close(c);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct cli_nconn *c = arg;
	char buf[4096];
	ssize_t n;

	(void)what;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			continue;
		}
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return;
		}
		break;
	}
	if (n < 0) {
		conn_close(c);
		return;
	}
	/* The request is whole: answer after the service's delay. */
	event_free(c->ev);
	c->ev = evtimer_new(c->base, on_delay, c);
	if (c->ev == NULL || evtimer_add(c->ev, &c->delay) != 0) {
		close(c->fd);
		free(c);
	}
}

struct cli_nsrv {
	struct event_base *base;
	struct timeval delay;
};

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct cli_nsrv *s = arg;
	struct cli_nconn *c;
	int fd;

	(void)what;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) >= 0) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->base = s->base;
		c->fd = fd;
		c->delay = s->delay;
		c->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_read,
		    c);
		if (c->ev == NULL || event_add(c->ev, NULL) != 0) {
			if (c->ev != NULL) {
				event_free(c->ev);
			}
			close(fd);
			free(c);
		}
	}
}

static void
on_ctl(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void
serve(int lfd, int ctl, double delay_ms)
{
	struct cli_nsrv s;
	struct event *lev, *cev;

	signal(SIGPIPE, SIG_IGN);
	s.delay.tv_sec = (time_t)(delay_ms / 1000);
	s.delay.tv_usec = (suseconds_t)((delay_ms - (double)s.delay.tv_sec *
	    1000) * 1000);
	if ((s.base = event_base_new()) == NULL) {
		_exit(1);
	}
	lev = event_new(s.base, lfd, EV_READ | EV_PERSIST, on_accept, &s);
	cev = event_new(s.base, ctl, EV_READ, on_ctl, s.base);
	if (lev == NULL || cev == NULL || event_add(lev, NULL) != 0 ||
	    event_add(cev, NULL) != 0) {
		_exit(1);
	}
	event_base_dispatch(s.base);
	_exit(0);
}

int
cli_netsrv_start(struct cli_netsrv *s, double delay_ms, struct cli_err *e)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int lfd, p[2];
	pid_t pid;

	s->pid = -1;
	s->ctl = -1;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		return cli_errf(e, CORUN_ESYS, "net server: socket: %s",
		    strerror(errno));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 4096) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0 ||
	    pipe2(p, O_CLOEXEC) != 0) {
		int err = errno;

		close(lfd);
		return cli_errf(e, CORUN_ESYS, "net server: 127.0.0.1: %s",
		    strerror(err));
	}
	if ((pid = fork()) < 0) {
		int err = errno;

		close(lfd);
		close(p[0]);
		close(p[1]);
		return cli_errf(e, CORUN_ESYS, "net server: fork: %s",
		    strerror(err));
	}
	if (pid == 0) {
		close(p[1]);
		serve(lfd, p[0], delay_ms);
	}
	close(lfd);
	close(p[0]);
	s->pid = (int)pid;
	s->ctl = p[1];
	s->port = ntohs(sa.sin_port);
	return 0;
}

void
cli_netsrv_stop(struct cli_netsrv *s)
{
	int status;

	if (s->ctl >= 0) {
		close(s->ctl);
		s->ctl = -1;
	}
	if (s->pid > 0) {
		while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR) {
		}
		s->pid = -1;
	}
}
