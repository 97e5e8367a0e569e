/* SPDX-License-Identifier: MIT */
/*
 * spipc-internal.h - what spipc.c (reading, writing) and spipc-open.c
 * (listening, dialling, closing) share.  Not installed.
 */
#ifndef CR_SPIPC_INTERNAL_H
#define CR_SPIPC_INTERNAL_H

#include <sys/un.h>

#include <event2/event.h>

#include "cr-spipc.h"

#define CR_SPIPC_PAIR1		0x11	/* nng's PAIR1, and its peer */
#define CR_SPIPC_GREET_LEN	8
#define CR_SPIPC_GREET_S	10	/* seconds for a peer's greeting */

struct cr_spipc {
	struct event_base *base;
	const struct cr_spipc_ops *ops;
	void *arg;
	size_t max;
	int lfd;			/* listening socket, -1 when dialled */
	struct event *lev, *tmo;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;				/* the connection, -1 if none */
	struct event *rev, *wev;
	int greeted;			/* the peer's greeting was read */
	int over;			/* a dialled connection ended */
	int drain;			/* on_drained is wanted */
	int reading;			/* inside read_some (no recursion) */
	int busy;			/* inside a callback */
	int dead;			/* closed while busy: free after */
	uint8_t *in;
	size_t in_off, in_len, in_cap;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	char why[128];
};

extern const uint8_t cr_spipc_greeting[CR_SPIPC_GREET_LEN];

/* Close the connection only: a listener listens on. */
void	cr_spipc_drop(struct cr_spipc *c);
void	cr_spipc_free(struct cr_spipc *c);
/* The connection's events. */
void	cr_spipc_on_read(evutil_socket_t fd, short what, void *arg);
void	cr_spipc_on_write(evutil_socket_t fd, short what, void *arg);

#endif /* CR_SPIPC_INTERNAL_H */
