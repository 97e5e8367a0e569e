/*
 * rv-ask.h - the rendezvous tests' one exchange: send a message on a REQ
 * socket dialled to a pool's rendezvous and take the WELCOME it answers.
 *
 * rv_ask() runs the caller's loop through spin(0.02) between polls, at
 * most tries times, and fails the test unless a WELCOME arrives.  The
 * reason is copied into text; wel->reason points into a freed message
 * afterwards and must not be read.
 */
#ifndef CR_TESTS_RV_ASK_H
#define CR_TESTS_RV_ASK_H

#include <stdio.h>

#include <check.h>
#include <nng/nng.h>

#include "wire/wire.h"

static inline void
rv_ask(nng_socket s, const void *msg, size_t len, int tries,
    void (*spin)(double), struct cr_wire_welcome *wel, char *text,
    size_t size)
{
	struct cr_wire_frame fr;
	char why[CR_WIRE_WHY_SIZE];
	nng_msg *m = NULL;
	int rv = NNG_EAGAIN;

	ck_assert_int_eq(nng_send(s, (void *)msg, len, 0), 0);
	for (int i = 0; i < tries && rv == NNG_EAGAIN; i++) {
		spin(0.02);
		rv = nng_recvmsg(s, &m, NNG_FLAG_NONBLOCK);
	}
	ck_assert_int_eq(rv, 0);
	ck_assert_int_eq(cr_wire_decode(nng_msg_body(m), nng_msg_len(m),
	    CR_WIRE_MAX_FRAME, &fr, why, sizeof(why)), 0);
	ck_assert_int_eq(fr.hdr.type, CR_WIRE_WELCOME);
	*wel = fr.u.welcome;
	snprintf(text, size, "%.*s", (int)wel->reason.len,
	    (const char *)wel->reason.ptr);
	nng_msg_free(m);
}

#endif
