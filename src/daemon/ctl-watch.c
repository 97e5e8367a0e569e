/* SPDX-License-Identifier: MIT */
/*
 * ctl-watch.c - keep corund's ipc control listener accepting.
 *
 * nng 1.5.2's ipc listener stops handing connections to its socket after
 * one that closed during the handshake (nng issue 1518, fixed upstream
 * after 1.5.2): the transport still answers the SP header, but no pipe
 * reaches the REP socket, so every client times out.  A raw connect and
 * close - socat, a health check written by hand - is enough.
 *
 * A thread of its own (never the loop: it must not wait on the daemon's
 * work) dials the socket every CD_WATCH_PERIOD seconds with a REQ socket
 * and waits for the pipe to reach the REP socket (NNG_PIPE_EV_ADD_POST).
 * When that fails twice in a row the listener is replaced by a new one on
 * the same address, and that is logged.  The same repair brings back a
 * socket file that was deleted.  Closing a listener also closes the
 * connections it accepted, so a false alarm would cost the connected
 * clients their requests: hence two misses in a row, each a wait of
 * seconds for what takes well under a millisecond.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/transport/ipc/ipc.h>

#include "ctl-watch.h"
#include "daemon.h"

#define CD_WATCH_PERIOD	3	/* seconds between checks */
#define CD_WATCH_WAIT	3	/* seconds a dialed pipe may take to arrive */
#define CD_WATCH_FAILS	2	/* failed checks in a row before a repair */

struct cd_watch {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	uint64_t pipes;		/* pipes that reached the REP socket */
	nng_socket sock;
	nng_listener l;
	char url[];
};

static void
pipe_added(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct cd_watch *w = arg;

	(void)p;
	(void)ev;
	pthread_mutex_lock(&w->mu);
	w->pipes++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void
deadline(struct timespec *ts, int secs)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += secs;
}

/* Does a fresh connection reach the REP socket? */
static int
check(struct cd_watch *w)
{
	struct timespec ts;
	nng_socket req;
	uint64_t before;
	int ok;

	if (nng_req0_open(&req) != 0) {
		return 1;	/* cannot tell: do not repair */
	}
	pthread_mutex_lock(&w->mu);
	before = w->pipes;
	pthread_mutex_unlock(&w->mu);
	if (nng_dial(req, w->url, NULL, 0) != 0) {
		nng_close(req);
		return 0;
	}
	deadline(&ts, CD_WATCH_WAIT);
	pthread_mutex_lock(&w->mu);
	while (!w->stop && w->pipes == before &&
	    pthread_cond_timedwait(&w->cv, &w->mu, &ts) != ETIMEDOUT) {
	}
	ok = w->stop || w->pipes != before;
	pthread_mutex_unlock(&w->mu);
	nng_close(req);
	return ok;
}

static void
repair(struct cd_watch *w)
{
	nng_listener l;
	int rv;

	nng_listener_close(w->l);
	if ((rv = nng_listener_create(&l, w->sock, w->url)) != 0) {
		cd_log("control socket: %s: cannot listen again: %s", w->url,
		    nng_strerror(rv));
		return;
	}
	nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, 0600);
	if ((rv = nng_listener_start(l, 0)) != 0) {
		cd_log("control socket: %s: cannot listen again: %s", w->url,
		    nng_strerror(rv));
		nng_listener_close(l);
		return;
	}
	w->l = l;
	cd_log("control socket: %s stopped accepting connections; "
	    "listening again", w->url);
}

static void *
watch_main(void *arg)
{
	struct cd_watch *w = arg;
	struct timespec ts;
	int fails = 0;

	for (;;) {
		deadline(&ts, CD_WATCH_PERIOD);
		pthread_mutex_lock(&w->mu);
		while (!w->stop &&
		    pthread_cond_timedwait(&w->cv, &w->mu, &ts) != ETIMEDOUT) {
		}
		if (w->stop) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		pthread_mutex_unlock(&w->mu);
		if (check(w)) {
			fails = 0;
		} else if (++fails >= CD_WATCH_FAILS) {
			repair(w);
			fails = 0;
		}
	}
	return NULL;
}

int
cd_watch_start(nng_socket sock, nng_listener l, const char *url,
    struct cd_watch **out)
{
	struct cd_watch *w;
	pthread_condattr_t ca;

	*out = NULL;
	if (strncmp(url, "ipc://", 6) != 0) {
		return 0;	/* the nng defect is in the ipc listener */
	}
	if ((w = calloc(1, sizeof(*w) + strlen(url) + 1)) == NULL) {
		return CORUN_ENOMEM;
	}
	memcpy(w->url, url, strlen(url) + 1);
	w->sock = sock;
	w->l = l;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (nng_pipe_notify(sock, NNG_PIPE_EV_ADD_POST, pipe_added, w) != 0 ||
	    pthread_create(&w->th, NULL, watch_main, w) != 0) {
		nng_pipe_notify(sock, NNG_PIPE_EV_ADD_POST, NULL, NULL);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return CORUN_ESYS;
	}
	*out = w;
	return 0;
}

void
cd_watch_stop(struct cd_watch *w)
{
	if (w == NULL || w->stop) {
		return;
	}
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
}

void
cd_watch_free(struct cd_watch *w)
{
	if (w == NULL) {
		return;
	}
	cd_watch_stop(w);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
