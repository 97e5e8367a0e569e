/* SPDX-License-Identifier: MIT */
/*
 * remote-util.h - what the rendezvous tests (test_remote, test_remote_auth)
 * share: a raw peer's HELLO, running the pool's loop for a while, and
 * the one exchange with the rendezvous, a message on a REQ socket
 * answered by a WELCOME.
 *
 * rv_raw_hello() is the HELLO of a raw peer (pid 4242, name "raw", one
 * of each) carrying token, which must outlive it.
 *
 * rv_spin() runs loop for s seconds (it must not be running).  rv_ask()
 * sends msg, runs loop through rv_spin(loop, 0.02) between polls, at most
 * tries times, and fails the test unless a WELCOME arrives.  The reason
 * is copied into text; wel->reason points into a freed message afterwards
 * and must not be read.
 */
#ifndef CR_TESTS_REMOTE_UTIL_H
#define CR_TESTS_REMOTE_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <nng/nng.h>

#include <corun/corun.h>

#include "wire/wire.h"

static inline struct wire_hello
rv_raw_hello(const char *token)
{
	struct wire_hello h = { 0 };

	h.max_version = WIRE_VERSION;
	h.pid = 4242;
	h.procs = h.threads = h.concurrency = h.capacity = 1;
	h.token.ptr = (const uint8_t *)token;
	h.token.len = (uint32_t)strlen(token);
	h.name.ptr = (const uint8_t *)"raw";
	h.name.len = 3;
	return h;
}

static inline void
rv_stop_cb(void *arg)
{
	corun_loop_stop(arg);
}

static inline void
rv_spin(corun_loop *loop, double s)
{
	ck_assert_int_eq(corun_call_later(loop, s, rv_stop_cb, loop, NULL),
	    0);
	corun_loop_run_forever(loop);
}

static inline void
rv_ask(corun_loop *loop, nng_socket s, const void *msg, size_t len,
    int tries, struct wire_welcome *wel, char *text, size_t size)
{
	struct wire_frame fr;
	char why[WIRE_WHY_SIZE];
	nng_msg *m = NULL;
	int rv = NNG_EAGAIN;

	ck_assert_int_eq(nng_send(s, (void *)msg, len, 0), 0);
	for (int i = 0; i < tries && rv == NNG_EAGAIN; i++) {
		rv_spin(loop, 0.02);
		rv = nng_recvmsg(s, &m, NNG_FLAG_NONBLOCK);
	}
	ck_assert_int_eq(rv, 0);
	ck_assert_int_eq(wire_decode(nng_msg_body(m), nng_msg_len(m),
	    WIRE_MAX_FRAME, &fr, why, sizeof(why)), 0);
	ck_assert_int_eq(fr.hdr.type, WIRE_WELCOME);
	*wel = fr.u.welcome;
	snprintf(text, size, "%.*s", (int)wel->reason.len,
	    (const char *)wel->reason.ptr);
	nng_msg_free(m);
}

#endif
