/* SPDX-License-Identifier: MIT */
/*
 * nng-floor.c - what nng itself costs here: an echo server in a child
 * process, and one request's round trip to it.
 *
 * corund's round trip is two nng round trips at least: the client's
 * REQ/REP request to corund and corund's PAIR1 exchange with a worker.
 * These echoes measure both on the same machine, in the same run, with
 * nothing else in the way: the floor under any design that keeps the
 * control socket and the worker processes.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corun/corun.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "bench-util.h"
#include "nng-floor.h"

/* The child: echo every message back until killed. */
static void
serve(int pair, const char *url)
{
	nng_socket s;
	nng_msg *m;

	if ((pair ? nng_pair1_open(&s) : nng_rep0_open(&s)) != 0 ||
	    nng_listen(s, url, NULL, 0) != 0) {
		fprintf(stderr, "bench: cannot listen on %s\n", url);
		_exit(1);
	}
	for (;;) {
		if (nng_recvmsg(s, &m, 0) != 0) {
			_exit(0);
		}
		if (nng_sendmsg(s, m, 0) != 0) {
			nng_msg_free(m);
		}
	}
}

pid_t
floor_start(int pair, const char *url)
{
	pid_t pid = fork();

	if (pid < 0) {
		bench_fail("fork", CORUN_ESYS);
	}
	if (pid == 0) {
		/* nng is untouched in the parent so far: safe to use. */
		serve(pair, url);
	}
	return pid;
}

void
floor_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int
floor_open(struct floor *f, int pair, const char *url)
{
	uint64_t deadline = bench_now_ns() + 10000000000ull;

	memset(f, 0, sizeof(*f));
	if ((pair ? nng_pair1_open(&f->sock) : nng_req0_open(&f->sock)) !=
	    0) {
		return -1;
	}
	while (nng_dial(f->sock, url, NULL, 0) != 0) {
		if (bench_now_ns() > deadline) {
			nng_close(f->sock);
			return -1;
		}
		usleep(10000);
	}
	return 0;
}

uint64_t
floor_once(struct floor *f, const char *body)
{
	uint64_t t0 = bench_now_ns();
	size_t len = strlen(body);
	nng_msg *m;

	if (nng_msg_alloc(&m, len) != 0) {
		bench_fail("nng_msg_alloc", CORUN_ENOMEM);
	}
	memcpy(nng_msg_body(m), body, len);
	if (nng_sendmsg(f->sock, m, 0) != 0 || nng_recvmsg(f->sock, &m,
	    0) != 0) {
		bench_fail("echo round trip", CORUN_ESYS);
	}
	nng_msg_free(m);
	return bench_now_ns() - t0;
}

uint64_t
floor_dial_once(const char *url, const char *body)
{
	uint64_t t0 = bench_now_ns();
	struct floor f;

	if (floor_open(&f, 0, url) != 0) {
		bench_fail("dial the echo server", CORUN_ESYS);
	}
	(void)floor_once(&f, body);
	floor_close(&f);
	return bench_now_ns() - t0;
}

void
floor_close(struct floor *f)
{
	nng_close(f->sock);
}
