/* SPDX-License-Identifier: MIT */
/*
 * nng-floor.h - nng echo round trips, the floor under corund's (see
 * nng-floor.c).
 */
#ifndef CORUN_BENCH_NNG_FLOOR_H
#define CORUN_BENCH_NNG_FLOOR_H

#include <stdint.h>
#include <sys/types.h>

#include <nng/nng.h>

struct floor {
	nng_socket sock;
};

/*
 * Fork an echo server on url: REP (pair 0) or PAIR1 (pair 1).  Call it
 * before this process uses nng (nng is not fork-safe).
 */
pid_t floor_start(int pair, const char *url);
void floor_stop(pid_t pid);

/* Connect a REQ (or PAIR1) socket to it, persistently; 0 or -1. */
int floor_open(struct floor *f, int pair, const char *url);
/* One message there and back; its round trip in ns. */
uint64_t floor_once(struct floor *f, const char *body);
void floor_close(struct floor *f);
/* A REQ socket for one request, as the corun client does: open, dial,
   send, receive, close; ns. */
uint64_t floor_dial_once(const char *url, const char *body);

#endif /* CORUN_BENCH_NNG_FLOOR_H */
