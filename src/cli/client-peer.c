/* SPDX-License-Identifier: MIT */
/*
 * client-peer.c - make sure the corund we are about to talk to is ours.
 *
 * Before a request leaves, the default socket's directory must be ours
 * and private (paths.h), and the process listening on an ipc:// socket
 * must run as our uid or as root: another local user listening in
 * corund's place (while it is down, or after moving its socket away)
 * gets the connection closed before anything is sent.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "common/paths.h"
#include "cli.h"
#include "client-internal.h"

#define CLI_PEER_WAIT_MS 3000	/* for the pipe of a dial that succeeded */

/* What the pipe callback saw; one client call at a time per process. */
static struct {
	pthread_mutex_t mu;
	int seen;		/* a pipe arrived */
	int bad;		/* ... and its peer is not ours (closed) */
	uint64_t uid;		/* the last peer's uid (UINT64_MAX: unknown) */
} peer = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0 };

/* Before a pipe joins the socket: keep it only if its peer is ours. */
static void
peer_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	uint64_t uid;
	int bad;

	(void)ev;
	(void)arg;
	if (nng_pipe_get_uint64(p, NNG_OPT_IPC_PEER_UID, &uid) != 0) {
		uid = UINT64_MAX;
	}
	bad = uid != 0 && uid != (uint64_t)geteuid();
	pthread_mutex_lock(&peer.mu);
	peer.seen = 1;
	peer.bad |= bad;
	peer.uid = uid;
	pthread_mutex_unlock(&peer.mu);
	if (bad) {
		nng_pipe_close(p);
	}
}

int
cli_client_guard(nng_socket sock, const char *url)
{
	char why[4352];

	if (strncmp(url, "ipc://", 6) != 0) {
		return 0;
	}
	if (cd_socket_dir_check(url, 0, why, sizeof(why)) != 0) {
		cli_warn("%s", why);
		return -1;
	}
	pthread_mutex_lock(&peer.mu);
	peer.seen = peer.bad = 0;
	pthread_mutex_unlock(&peer.mu);
	if (nng_pipe_notify(sock, NNG_PIPE_EV_ADD_PRE, peer_cb, NULL) != 0) {
		cli_warn("cannot check who serves %s", url);
		return -1;
	}
	return 0;
}

int
cli_client_peer_ok(const char *url)
{
	int seen = 0, bad = 0;
	uint64_t uid = 0;

	if (strncmp(url, "ipc://", 6) != 0) {
		return 0;
	}
	for (int ms = 0; ms <= CLI_PEER_WAIT_MS && !seen; ms++) {
		pthread_mutex_lock(&peer.mu);
		seen = peer.seen;
		bad = peer.bad;
		uid = peer.uid;
		pthread_mutex_unlock(&peer.mu);
		if (!seen) {
			nng_msleep(1);
		}
	}
	if (!seen) {
		cli_warn("%s: cannot tell who serves it; nothing sent", url);
		return -1;
	}
	if (bad && uid == UINT64_MAX) {
		cli_warn("%s: cannot tell who serves it; nothing sent", url);
		return -1;
	}
	if (bad) {
		cli_warn("%s is served by uid %llu, not by uid %ld or root: "
		    "not corund; nothing sent", url, (unsigned long long)uid,
		    (long)geteuid());
		return -1;
	}
	return 0;
}
