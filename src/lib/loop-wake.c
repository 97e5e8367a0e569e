/* SPDX-License-Identifier: MIT */
/*
 * loop-wake.c - waking the loop from other threads: the wake-up fd (an
 * eventfd, or a pipe elsewhere) and the queue of calls posted with
 * corun_call_soon_threadsafe(), moved to the ready queue on the loop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include "loop-internal.h"

static void
wake_fd_write(corun_loop *loop)
{
	uint64_t one = 1;
	ssize_t n;

	do {
		n = write(loop->wake_fd[1], &one, sizeof(one));
	} while (n < 0 && errno == EINTR);
	/* EAGAIN: the counter or pipe is full, so the loop will wake anyway. */
}

static void
wake_fd_drain(corun_loop *loop)
{
	char buf[64];
	ssize_t n;

	do {
		n = read(loop->wake_fd[0], buf, sizeof(buf));
	} while (n > 0 || (n < 0 && errno == EINTR));
}

int
corun_call_soon_threadsafe(corun_loop *loop, corun_cb cb, void *arg)
{
	struct corun_handle *h;
	int signal;

	if (loop == NULL || cb == NULL) {
		return CORUN_EINVAL;
	}
	if ((h = malloc(sizeof(*h))) == NULL) {
		return CORUN_ENOMEM;
	}
	memset(h, 0, sizeof(*h));
	h->cb = cb;
	h->arg = arg;
	h->loop = loop;
	h->refs = 1;

	pthread_mutex_lock(&loop->tsq_mu);
	if (loop->closing) {
		pthread_mutex_unlock(&loop->tsq_mu);
		free(h);
		return CORUN_ECLOSED;
	}
	if (loop->tsq_tail != NULL) {
		loop->tsq_tail->u.q.next = h;
	} else {
		loop->tsq_head = h;
	}
	loop->tsq_tail = h;
	signal = !loop->tsq_signalled;
	loop->tsq_signalled = 1;
	/* Write under the lock so loop_free cannot close the fd under us. */
	if (signal) {
		wake_fd_write(loop);
	}
	pthread_mutex_unlock(&loop->tsq_mu);
	return 0;
}

void
cr_loop_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	corun_loop *loop = arg;
	struct corun_handle *h, *next;

	(void)fd;
	(void)what;
	wake_fd_drain(loop);
	pthread_mutex_lock(&loop->tsq_mu);
	h = loop->tsq_head;
	loop->tsq_head = loop->tsq_tail = NULL;
	loop->tsq_signalled = 0;
	pthread_mutex_unlock(&loop->tsq_mu);
	for (; h != NULL; h = next) {
		next = h->u.q.next;
		cr_rq_push(loop, h);
	}
}

void
cr_loop_tsq_close(corun_loop *loop)
{
	struct corun_handle *h, *next;

	pthread_mutex_lock(&loop->tsq_mu);
	loop->closing = 1;
	h = loop->tsq_head;
	loop->tsq_head = loop->tsq_tail = NULL;
	pthread_mutex_unlock(&loop->tsq_mu);
	for (; h != NULL; h = next) {
		next = h->u.q.next;
		free(h);
	}
}

static void
stop_cb(void *arg)
{
	corun_loop_stop(arg);
}

int
corun_loop_stop_threadsafe(corun_loop *loop)
{
	return corun_call_soon_threadsafe(loop, stop_cb, loop);
}

int
cr_wake_fd_open(int fds[2])
{
#ifdef __linux__
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd >= 0) {
		fds[0] = fds[1] = fd;
		return 0;
	}
#endif
	if (pipe(fds) != 0) {
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
	}
	return 0;
}

void
cr_wake_fd_close(int fds[2])
{
	if (fds[0] >= 0) {
		close(fds[0]);
	}
	if (fds[1] >= 0 && fds[1] != fds[0]) {
		close(fds[1]);
	}
	fds[0] = fds[1] = -1;
}
