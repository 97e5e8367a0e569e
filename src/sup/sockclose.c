/* SPDX-License-Identifier: MIT */
/*
 * sockclose.c - closing a worker's socket without hanging in nng 1.5.2.
 *
 * nng 1.5.2's IPC transport can lose a pipe's receive for good: when the
 * pipe is closed while a message's header has been read and its body not
 * yet asked for, the receive callback asks for the body on the stopped
 * transfer, which fails without completing anything; the protocol's
 * receive then never ends, and the pipe's teardown waits for it on nng's
 * one reaper thread.  From then on every close of every socket in the
 * process waits behind it (seen here: a corund with ten closes and the
 * control socket's close stuck in futex waits, their reaper in the pair1
 * pipe's stop, its receive queued on a transport whose transfer was
 * stopped with NNG_ECANCELED).  Upstream fixed the general case after
 * 1.5.2 (nng issues 1543, 1813).
 *
 * The race needs a message arriving as the pipe closes.  A worker's last
 * frames (its results, its goodbye) are still being read when we learn
 * that it exited and close its socket.  So the socket is closed on a
 * thread of its own (the loop never waits on nng) that first reads and
 * drops whatever is left until nng has removed the pipe itself at the
 * worker's end of stream, which happens on nng's receive path, where it
 * cannot race with a read; only then nng_close, with no pipe to tear
 * down.  The wait is bounded (2 s) for a peer that never closes.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sup-internal.h"

#define SUP_DRAIN_STEP_NS 5000000L	/* 5 ms */
#define SUP_DRAIN_STEPS 400		/* 2 s */

struct sup_sockwatch {
	int pipes;			/* atomic: pipes attached */
};

static int pending;			/* atomic: closes not finished */

static void
on_pipe(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	struct sup_sockwatch *sw = arg;

	(void)pipe;
	__atomic_add_fetch(&sw->pipes, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1,
	    __ATOMIC_SEQ_CST);
}

int
sup_sock_watch(nng_socket sock, struct sup_sockwatch **out)
{
	struct sup_sockwatch *sw;

	if ((sw = calloc(1, sizeof(*sw))) == NULL) {
		return CORUN_ENOMEM;
	}
	if (nng_pipe_notify(sock, NNG_PIPE_EV_ADD_POST, on_pipe, sw) != 0 ||
	    nng_pipe_notify(sock, NNG_PIPE_EV_REM_POST, on_pipe, sw) != 0) {
		free(sw);
		return CORUN_ESYS;
	}
	*out = sw;
	return 0;
}

struct sup_closing {
	nng_socket sock;
	struct sup_sockwatch *sw;
};

static void
drain_and_close(nng_socket sock, struct sup_sockwatch *sw)
{
	struct timespec step = { 0, SUP_DRAIN_STEP_NS };
	nng_msg *m;

	for (int i = 0; sw != NULL && i < SUP_DRAIN_STEPS &&
	    __atomic_load_n(&sw->pipes, __ATOMIC_SEQ_CST) > 0; i++) {
		while (nng_recvmsg(sock, &m, NNG_FLAG_NONBLOCK) == 0) {
			nng_msg_free(m);
		}
		nanosleep(&step, NULL);
	}
	nng_close(sock);
	/* No callbacks after nng_close: the watch can go. */
	free(sw);
	__atomic_sub_fetch(&pending, 1, __ATOMIC_SEQ_CST);
}

static void *
close_main(void *arg)
{
	struct sup_closing *c = arg;

	drain_and_close(c->sock, c->sw);
	free(c);
	return NULL;
}

void
sup_sock_close(nng_socket sock, struct sup_sockwatch *sw, const char *url)
{
	struct sup_closing *c = malloc(sizeof(*c));
	pthread_attr_t attr;
	pthread_t tid;
	int ok = 0;

	__atomic_add_fetch(&pending, 1, __ATOMIC_SEQ_CST);
	/* The socket file goes now, so the run directory can be removed. */
	if (url != NULL && strncmp(url, "ipc://", 6) == 0) {
		unlink(url + 6);
	}
	if (c != NULL) {
		c->sock = sock;
		c->sw = sw;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		ok = pthread_create(&tid, &attr, close_main, c) == 0;
		pthread_attr_destroy(&attr);
	}
	if (!ok) {
		free(c);
		drain_and_close(sock, sw);
	}
}

unsigned
sup_sock_closes_pending(void)
{
	return (unsigned)__atomic_load_n(&pending, __ATOMIC_SEQ_CST);
}
