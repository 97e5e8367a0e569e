/* SPDX-License-Identifier: MIT */
/*
 * remote-auth.c - the supervisor's half of the rendezvous
 * challenge-response: the nonces it has handed out and the check of a
 * worker's answer.  A nonce is fresh from getrandom(2), bound to the
 * connection (nng pipe) it was sent on, good for one answer, and expires
 * after the remote timeout; at most SUP_RV_OUTSTANDING are kept (the oldest
 * gives way), so a flood of requests cannot grow memory.  The MAC and
 * the derivations are wire-auth.c's.  Runs on the loop thread only.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "remote-internal.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
forget(struct sup_rv_nonce *n)
{
	memset(n, 0, sizeof(*n));
}

/* The slot for a new nonce on pipe: its old one, a free one, the oldest. */
static struct sup_rv_nonce *
slot_for(struct sup_remote *r, uint32_t pipe, uint64_t now)
{
	struct sup_rv_nonce *free_n = NULL, *oldest = &r->nonces[0];

	for (size_t i = 0; i < SUP_RV_OUTSTANDING; i++) {
		struct sup_rv_nonce *n = &r->nonces[i];

		if (n->live && n->expires_ns <= now) {
			forget(n);
		}
		if (n->live && n->pipe == pipe) {
			return n;
		}
		if (!n->live && free_n == NULL) {
			free_n = n;
		}
		if (n->live && n->expires_ns < oldest->expires_ns) {
			oldest = n;
		}
	}
	return free_n != NULL ? free_n : oldest;
}

int
sup_remote_challenge(struct sup_remote *r, uint32_t pipe, uint64_t ttl_ns,
    char *text, size_t size)
{
	uint64_t now = now_ns();
	struct sup_rv_nonce *n = slot_for(r, pipe, now);

	forget(n);
	if (wire_auth_random(n->nonce, sizeof(n->nonce)) != 0) {
		forget(n);
		return -1;
	}
	n->live = 1;
	n->pipe = pipe;
	n->expires_ns = now + ttl_ns;
	wire_rv_format_challenge(n->nonce, text, size);
	return 0;
}

int
sup_remote_check_answer(struct sup_remote *r, uint32_t pipe,
    const struct wire_hello *h, char key[WIRE_RV_KEY_HEX + 1],
    char proof[WIRE_RV_KEY_HEX + 1])
{
	uint8_t cnonce[WIRE_RV_NONCE_LEN], mac[WIRE_SHA256_LEN];
	uint8_t want[WIRE_SHA256_LEN], snonce[WIRE_RV_NONCE_LEN];
	struct sup_rv_nonce *n = NULL;
	uint64_t now = now_ns();
	int ok;

	for (size_t i = 0; i < SUP_RV_OUTSTANDING; i++) {
		if (r->nonces[i].live && r->nonces[i].pipe == pipe) {
			n = &r->nonces[i];
		}
	}
	if (n == NULL) {
		return -1;	/* never challenged here, or already answered */
	}
	memcpy(snonce, n->nonce, sizeof(snonce));
	ok = n->expires_ns > now;
	forget(n);		/* one answer per nonce, right or wrong */
	if (!ok || wire_rv_parse_answer(h->token.ptr, h->token.len, cnonce,
	    mac) != 0) {
		return -1;
	}
	wire_rv_mac(r->token, snonce, cnonce, h, want);
	ok = wire_auth_equal(mac, want, sizeof(mac));
	if (ok) {
		wire_rv_session_key(r->token, snonce, cnonce, key);
		wire_rv_proof(r->token, snonce, cnonce, proof);
	}
	memset(want, 0, sizeof(want));
	return ok ? 0 : -1;
}
